--TEST--
synchronized(): runs the callback under the lock, releases in finally, times out, reports a lost lease
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$key = 'rlock:{order:42}';

$lock = new RLock('order:42', $redis->opts());
echo "-- returns the callback's value; the callback gets the lock\n";
var_dump($lock->synchronized(function (RLock $held) use ($redis, $key) {
    return ['held' => $redis->cmd('GET', $key) === $held->getToken()];
}));
var_dump($redis->cmd('EXISTS', $key));

echo "-- an exception from the callback propagates, the lock is released\n";
try {
    $lock->synchronized(function () {
        throw new DomainException('card declined');
    });
} catch (DomainException $e) {
    echo get_class($e), ': ', $e->getMessage(), "\n";
}
var_dump($redis->cmd('EXISTS', $key), $lock->getToken());

echo "-- someone else holds it: RLockTimeoutException after waitMs, callback not run\n";
$other = new RLock('order:42', $redis->opts(['reentrant' => false]));
$other->acquire();
$ran = false;
$start = microtime(true);
try {
    $lock->synchronized(function () use (&$ran) { $ran = true; }, 200);
} catch (RLockTimeoutException $e) {
    $took = microtime(true) - $start;
    echo get_class($e), ': ', $e->getMessage(), "\n";
    var_dump($took >= 0.2 && $took < time_limit(1.0, 3.0));
}
var_dump($ran);
$start = microtime(true);
var_dump($lock->acquire(150), microtime(true) - $start >= 0.15);
$other->release();

echo "-- the lease ran out inside the callback and was taken over: RLockLostException\n";
$short = new RLock('order:42', $redis->opts(['ttl' => 100, 'reentrant' => false]));
try {
    var_dump($short->synchronized(function () use ($other) {
        usleep(250000);
        $other->acquire();
        return 'charged twice?';
    }));
} catch (RLockLostException $e) {
    echo get_class($e), ': ', $e->getMessage(), "\n";
}
var_dump($other->isAcquired());
$other->release();

echo "-- releasing inside the callback is fine\n";
var_dump($lock->synchronized(fn(RLock $l) => $l->release()));

echo "-- a waiter gets the lock once the holder in another process lets go\n";
$pid = pcntl_fork();
if ($pid === 0) {
    $holder = new RLock('order:43', $redis->opts());
    $holder->acquire();
    $redis->cmd('SET', 'holding', '1');
    await_waiters($redis, 'rlock:{order:43}'); // the waiter must really wait, however slow the machine
    usleep(300000);
    $redis->cmd('SET', 'releasing', '1');
    $holder->release();
    exit(0);
}
await(fn() => $redis->cmd('GET', 'holding'));
$waiter = new RLock('order:43', $redis->opts());
// Order, not the clock, shows it waited: the callback runs only after the holder began to release.
var_dump($waiter->synchronized(fn() => $redis->cmd('GET', 'releasing') ? 'after the release' : 'while held', 10000));
pcntl_waitpid($pid, $status);
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- returns the callback's value; the callback gets the lock
array(1) {
  ["held"]=>
  bool(true)
}
int(0)
-- an exception from the callback propagates, the lock is released
DomainException: card declined
int(0)
NULL
-- someone else holds it: RLockTimeoutException after waitMs, callback not run
RLockTimeoutException: could not acquire lock "order:42" within 200 ms
bool(true)
bool(false)
bool(false)
bool(true)
-- the lease ran out inside the callback and was taken over: RLockLostException
RLockLostException: lock "order:42" was lost before the critical section ended
bool(true)
-- releasing inside the callback is fine
bool(true)
-- a waiter gets the lock once the holder in another process lets go
string(17) "after the release"
