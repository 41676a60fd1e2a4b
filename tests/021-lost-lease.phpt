--TEST--
Lost leases: the watchdog notices a DEL, a Redis restart or an unreachable Redis; on_lost=throw stops a loop or a sleep; fork children renew nothing
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/inc/server.inc';
$redis = TestRedis::start(__FILE__);
$watched = $redis->opts(['ttl' => 600, 'watchdog' => true]);

echo "-- an admin deletes the key\n";
$lock = new RLock('pay:1', $watched);
$lock->acquire();
$lost = RLock::stats()['lost'];
$redis->cmd('DEL', 'rlock:{pay:1}');
usleep(400000); // more than one renewal period (ttl/3)
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
usleep(800000);
$start = microtime(true);
var_dump($lock->isAcquired()); // answered locally: no wait for a dead server
echo "answered at once: ", microtime(true) - $start < 0.1 ? 'yes' : 'no', "\n";
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
    echo "within a renewal period: ", microtime(true) - $deleted < (under_valgrind() ? 3 : 0.6) ? 'yes' : 'no', "\n";
}
var_dump($lock->release());

echo "-- on_lost=throw while the request sleeps: thrown when sleep() returns\n";
$lock = new RLock('pay:5', $watched + ['on_lost' => 'throw']);
$lock->acquire();
$redis->cmd('DEL', 'rlock:{pay:5}');
$after = 'not reached';
try {
    usleep(700000);
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
$renewals = RLock::stats()['renewals'];
pcntl_waitpid($pid, $status);
echo "child: ", $redis->cmd('GET', 'child'), "\n";
usleep(400000);
echo "parent still renewing after the child exited: ", RLock::stats()['renewals'] > $renewals + 3 ? 'yes' : 'no', "\n";
var_dump($lock->isAcquired(), $lock->release());
?>
--CLEAN--
<?php require __DIR__ . '/inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
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
answered at once: yes
-- on_lost=throw stops a busy loop
RLockLostException: lock "pay:4" was lost: the watchdog could not renew its lease
within a renewal period: yes
bool(false)
-- on_lost=throw while the request sleeps: thrown when sleep() returns
RLockLostException
statement after the sleep: not reached
-- fork: the child renews nothing; the parent's renewals go on
child: {"renewals":0,"watchdog connection":false,"holds the parent lock":false}
parent still renewing after the child exited: yes
bool(true)
bool(true)
