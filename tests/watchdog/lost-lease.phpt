--TEST--
Lost leases: the watchdog notices a DEL, a Redis restart or an unreachable Redis; on_lost=throw stops a loop or a sleep; fork children renew nothing
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$watched = $redis->opts(['ttl' => 600, 'watchdog' => true]);

/** Scripts Redis has run: the watchdog renews with one, so a new one after a DEL is its try. */
function scripts_run(TestRedis $redis): int
{
    return $redis->calls('evalsha') + $redis->calls('eval');
}

echo "-- an admin deletes the key\n";
$lock = new RLock('pay:1', $watched);
$lock->acquire();
$lost = RLock::stats()['lost'];
$scripts = scripts_run($redis);
$redis->cmd('DEL', 'rlock:{pay:1}');
// The watchdog's next renewal (due within ttl/3) is refused; then its answer needs a moment.
await(fn() => scripts_run($redis) > $scripts);
usleep((int) (1e6 * time_limit(0.2, 1.0)));
$commands = RLock::stats()['commands'];
var_dump($lock->isAcquired(), $lock->release(), $lock->extend());
echo "known without asking Redis: ", RLock::stats()['commands'] === $commands ? 'yes' : 'no', "\n";
echo "counted once: ", RLock::stats()['lost'] - $lost, "\n";

echo "-- Redis restarts (our key is gone with it)\n";
$lock = new RLock('pay:2', $watched);
$lock->acquire();
$redis->restart();
usleep(500000);
var_dump($lock->isAcquired(), $lock->release());

echo "-- Redis unreachable until the lease ends\n";
$lock = new RLock('pay:3', $watched);
$lock->acquire();
$redis->stop();
// The lease ends at most 600 ms after the stop (its last renewal may be 200 ms old); the
// watchdog gives it up by its own clock, as nothing in Redis can show it.
usleep((int) (1e6 * time_limit(1.8, 3.0)));
$before = RLock::stats();
var_dump($lock->isAcquired());
$after = RLock::stats();
echo "answered without asking the dead server: ", $after['commands'] === $before['commands']
    && $after['connection_errors'] === $before['connection_errors'] ? 'yes' : 'no', "\n";
$redis->restart();

echo "-- on_lost=throw stops a busy loop\n";
$lock = new RLock('pay:4', $watched + ['on_lost' => 'throw']);
$lock->acquire();
$redis->cmd('DEL', 'rlock:{pay:4}');
$deleted = microtime(true);
try {
    while (true) {
        $charged = 'again';
    }
} catch (RLockLostException $e) {
    echo get_class($e), ': ', $e->getMessage(), "\n";
    // noticed at the next renewal (ttl/3 = 200 ms); the bound is 5 of those
    echo "within a renewal period or so: ", microtime(true) - $deleted < time_limit(1.0, 3.0) ? 'yes' : 'no', "\n";
}
var_dump($lock->release());

echo "-- on_lost=throw while the request sleeps: thrown when sleep() returns\n";
$lock = new RLock('pay:5', $watched + ['on_lost' => 'throw']);
$lock->acquire();
$redis->cmd('DEL', 'rlock:{pay:5}');
$after = 'not reached';
try {
    // short sleeps until the watchdog notices (within ttl/3 unless the machine is very busy):
    // each returns normally, and the exception comes as one returns
    for ($until = microtime(true) + 20; microtime(true) < $until;) {
        usleep(100000);
    }
    $after = 'reached';
} catch (RLockLostException $e) {
    echo get_class($e), "\n";
}
echo "statement after the sleep: $after\n";

echo "-- fork: the child renews nothing; the parent's renewals go on\n";
$lock = new RLock('pay:6', $watched);
$lock->acquire();
$pid = fork_child(function () use ($redis, $lock) {
    $before = RLock::stats()['renewals'];
    usleep(700000);
    preg_match_all('/name=rlock-watchdog-(\d+)/', $redis->cmd('CLIENT', 'LIST'), $m);
    $redis->cmd('SET', 'child', json_encode([
        'renewals' => RLock::stats()['renewals'] - $before,
        'watchdog connection' => in_array((string) getmypid(), $m[1], true),
        'holds the parent lock' => $lock->isAcquired(),
    ]));
});
pcntl_waitpid($pid, $status);
echo "child: ", $redis->cmd('GET', 'child'), "\n";
$renewals = RLock::stats()['renewals'];
await(fn() => RLock::stats()['renewals'] >= $renewals + 2, 10);
echo "parent still renewing after the child exited: yes\n";
var_dump($lock->isAcquired(), $lock->release());
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- an admin deletes the key
bool(false)
bool(false)
bool(false)
known without asking Redis: yes
counted once: 1
-- Redis restarts (our key is gone with it)
bool(false)
bool(false)
-- Redis unreachable until the lease ends
bool(false)
answered without asking the dead server: yes
-- on_lost=throw stops a busy loop
RLockLostException: lock "pay:4" was lost: the watchdog could not renew its lease
within a renewal period or so: yes
bool(false)
-- on_lost=throw while the request sleeps: thrown when sleep() returns
RLockLostException
statement after the sleep: not reached
-- fork: the child renews nothing; the parent's renewals go on
child: {"renewals":0,"watchdog connection":false,"holds the parent lock":false}
parent still renewing after the child exited: yes
bool(true)
bool(true)
