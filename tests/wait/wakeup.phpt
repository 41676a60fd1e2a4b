--TEST--
Blocking acquire: woken by release, not stalled past a holder's expiry, deadline kept, read_timeout no limit
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
// A wake-up takes milliseconds; a waiter that missed one would sit until its 10-20 s
// deadline or the holder's 30 s TTL. The bounds below are far from both.
$prompt = time_limit(1.0, 3.0);

/**
 * A child takes the lock and says so; once a waiter is in line it holds the lock $holdMs
 * more and releases it, noting when (released:$name) — or, with $holdMs null, holds it
 * until the test sets let-go:$name. Handshakes through Redis, not fixed sleeps, keep the
 * holds as long as the checks assume however slowly the machine runs the waiter.
 */
function holder(TestRedis $redis, string $name, ?int $holdMs): int
{
    $redis->cmd('DEL', "holding:$name", "released:$name", "let-go:$name");
    $pid = fork_child(function () use ($redis, $name, $holdMs) {
        $lock = new RLock($name, $redis->opts());
        $lock->acquire();
        $redis->cmd('SET', "holding:$name", '1');
        if ($holdMs === null) {
            await(fn() => $redis->cmd('GET', "let-go:$name"), 60);
        } else {
            await_waiters($redis, "rlock:{{$name}}");
            usleep($holdMs * 1000);
        }
        $redis->cmd('SET', "released:$name", (string) microtime(true));
        $lock->release();
    });
    await(fn() => $redis->cmd('GET', "holding:$name"));
    return $pid;
}

echo "-- woken by the release\n";
$pid = holder($redis, 'sku:1', 300);
$start = microtime(true);
$waiter = new RLock('sku:1', $redis->opts());
var_dump($waiter->acquire(10000));
$got = microtime(true);
$released = (float) $redis->cmd('GET', 'released:sku:1');
// it waited the whole hold (which began once it was in line), and woke right after the release
echo $got - $start >= 0.3 && $got >= $released && $got - $released < $prompt
    ? "after the release\n" : sprintf("took %.3f s, %.3f s after the release\n", $got - $start, $got - $released);
$waiter->release();
pcntl_waitpid($pid, $status);

echo "-- a holder that dies without releasing is waited out at its expiry, not at our deadline\n";
$pid = fork_child(function () use ($redis) {
    $lock = new RLock('sku:2', $redis->opts(['ttl' => 400, 'auto_release' => false]));
    $lock->acquire();
});
pcntl_waitpid($pid, $status);
$start = microtime(true);
$waiter = new RLock('sku:2', $redis->opts());
var_dump($waiter->acquire(20000));
$took = microtime(true) - $start;
echo $took < 3 * 0.4 + $prompt ? "at the holder's expiry\n" : "took {$took}s\n";
$waiter->release();

echo "-- the deadline is kept when the holder does not let go\n";
$pid = holder($redis, 'sku:3', null);
$start = microtime(true);
$waiter = new RLock('sku:3', $redis->opts());
var_dump($waiter->acquire(300));
$took = microtime(true) - $start;
echo $took >= 0.3 && $took < time_limit(0.9, 3.0) ? "gave up at the deadline\n" : "took {$took}s\n";
echo "left the queue: ", $redis->cmd('EXISTS', 'rlock:{sku:3}:q') ? 'no' : 'yes', "\n";
$redis->cmd('SET', 'let-go:sku:3', '1');
pcntl_waitpid($pid, $status);

echo "-- read_timeout does not cut a long wait short\n";
$pid = holder($redis, 'sku:4', 800);
$waiter = new RLock('sku:4', $redis->opts(['read_timeout' => 100]));
$start = microtime(true);
var_dump($waiter->acquire(10000));
// the holder held on 800 ms after this waiter was in line: 8 read_timeouts
echo microtime(true) - $start >= 0.8 ? "waited past read_timeout\n" : "too early\n";
$waiter->release();
pcntl_waitpid($pid, $status);

echo "-- synchronized() waits the same way\n";
$pid = holder($redis, 'sku:5', 200);
var_dump((new RLock('sku:5', $redis->opts()))->synchronized(fn() => 'paid', 10000));
pcntl_waitpid($pid, $status);

echo "-- nothing left behind\n";
var_dump($redis->cmd('KEYS', 'rlock:*'));
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- woken by the release
bool(true)
after the release
-- a holder that dies without releasing is waited out at its expiry, not at our deadline
bool(true)
at the holder's expiry
-- the deadline is kept when the holder does not let go
bool(false)
gave up at the deadline
left the queue: yes
-- read_timeout does not cut a long wait short
bool(true)
waited past read_timeout
-- synchronized() waits the same way
string(4) "paid"
-- nothing left behind
array(0) {
}
