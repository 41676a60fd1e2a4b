--TEST--
Blocking acquire: woken by release, not stalled past a holder's expiry, deadline kept, read_timeout no limit
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/inc/server.inc';
$redis = TestRedis::start(__FILE__);
$slack = under_valgrind() ? 1.5 : 0.25; // how late a wake-up may come, in seconds

/** A child takes the lock, says so, holds it $holdMs, then releases it (or just exits). */
function holder(TestRedis $redis, string $name, int $holdMs, bool $release, array $opts = []): int
{
    $redis->cmd('DEL', "holding:$name");
    $pid = fork_child(function () use ($redis, $name, $holdMs, $release, $opts) {
        $lock = new RLock($name, $redis->opts($opts + ['auto_release' => $release]));
        $lock->acquire();
        $redis->cmd('SET', "holding:$name", '1');
        usleep($holdMs * 1000);
        if ($release) {
            $lock->release();
        }
    });
    await(fn() => $redis->cmd('GET', "holding:$name"));
    return $pid;
}

echo "-- woken by the release\n";
$pid = holder($redis, 'sku:1', 300, true);
$start = microtime(true);
$waiter = new RLock('sku:1', $redis->opts());
var_dump($waiter->acquire(10000));
$took = microtime(true) - $start;
echo $took > 0.2 && $took < 0.3 + $slack ? "after the release\n" : "took {$took}s\n";
$waiter->release();
pcntl_waitpid($pid, $status);

echo "-- a holder that dies without releasing is waited out at its expiry, not at our deadline\n";
$pid = holder($redis, 'sku:2', 0, false, ['ttl' => 400]);
pcntl_waitpid($pid, $status);
$start = microtime(true);
$waiter = new RLock('sku:2', $redis->opts());
var_dump($waiter->acquire(20000));
$took = microtime(true) - $start;
echo $took < 0.4 + $slack ? "at the holder's expiry\n" : "took {$took}s\n";
$waiter->release();

echo "-- the deadline is kept when the holder does not let go\n";
$pid = holder($redis, 'sku:3', 1500, true);
$start = microtime(true);
$waiter = new RLock('sku:3', $redis->opts());
var_dump($waiter->acquire(300));
$took = microtime(true) - $start;
echo $took >= 0.3 && $took < 0.3 + $slack ? "gave up at the deadline\n" : "took {$took}s\n";
echo "left the queue: ", $redis->cmd('EXISTS', 'rlock:{sku:3}:q') ? 'no' : 'yes', "\n";
pcntl_waitpid($pid, $status);

echo "-- read_timeout does not cut a long wait short\n";
$pid = holder($redis, 'sku:4', 800, true);
$waiter = new RLock('sku:4', $redis->opts(['read_timeout' => 100]));
$start = microtime(true);
var_dump($waiter->acquire(10000));
echo microtime(true) - $start > 0.5 ? "waited past read_timeout\n" : "too early\n";
$waiter->release();
pcntl_waitpid($pid, $status);

echo "-- synchronized() waits the same way\n";
$pid = holder($redis, 'sku:5', 200, true);
var_dump((new RLock('sku:5', $redis->opts()))->synchronized(fn() => 'paid', 10000));
pcntl_waitpid($pid, $status);

echo "-- nothing left behind\n";
var_dump($redis->cmd('KEYS', 'rlock:*'));
?>
--CLEAN--
<?php require __DIR__ . '/inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
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
