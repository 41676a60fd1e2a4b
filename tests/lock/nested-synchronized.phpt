--TEST--
synchronized() inside a section that holds the lock runs as part of it: the outer section stays locked to its end
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$lock = new RLock('order:9', $redis->opts());
$held = fn() => $redis->cmd('GET', 'rlock:{order:9}') === $lock->getToken() && $lock->getToken() !== null;

echo "-- synchronized() in synchronized()\n";
$result = $lock->synchronized(function (RLock $l) use ($held) {
    $inner = $l->synchronized(fn() => 'inner ' . var_export($held(), true));
    return "$inner, outer after it: " . var_export($held(), true);
});
echo $result, "; after: ", var_export($held(), true), "\n";

echo "-- synchronized() after acquire(): the caller's release() frees it\n";
$lock->acquire();
$lock->synchronized(fn() => null);
echo "after the section: ", var_export($held(), true), "; release: ", var_export($lock->release(), true), "\n";

echo "-- the inner section throws: the outer one still holds the lock\n";
$lock->synchronized(function (RLock $l) use ($held) {
    try {
        $l->synchronized(fn() => throw new DomainException('inner failed'));
    } catch (DomainException $e) {
        echo $e->getMessage(), ", outer still holds it: ", var_export($held(), true), "\n";
    }
});

echo "-- the lease is lost inside a nested section: both say so\n";
try {
    $lock->synchronized(function (RLock $l) use ($redis) {
        try {
            $l->synchronized(function () use ($redis) {
                $redis->cmd('DEL', 'rlock:{order:9}');
                RLock::forceRelease('order:9', $redis->opts());
                return isset($l) ?: true;
            });
            echo "inner: no exception\n";
        } catch (RLockLostException $e) {
            echo "inner: ", get_class($e), "\n";
        }
        $l->isAcquired(); // asks Redis: now known lost
    });
} catch (RLockLostException $e) {
    echo "outer: ", get_class($e), "\n";
}

echo "-- acquire(), the lease runs out and another process takes the lock: synchronized() refuses to run\n";
$short = new RLock('order:10', $redis->opts(['ttl' => 100]));
$short->acquire();
await(fn() => $redis->cmd('EXISTS', 'rlock:{order:10}') === 0);
$other = new RLock('order:10', $redis->opts(['reentrant' => false]));
$other->acquire();
try {
    $short->synchronized(fn() => print("callback ran\n"), 1000);
} catch (RLockLostException $e) {
    echo get_class($e), ": ", $e->getMessage(), "; the other still holds it: ",
        var_export($redis->cmd('GET', 'rlock:{order:10}') === $other->getToken(), true), "\n";
}
$other->release();

echo "-- released by the callback itself: no complaint\n";
var_dump($lock->synchronized(fn(RLock $l) => $l->release()));
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- synchronized() in synchronized()
inner true, outer after it: true; after: false
-- synchronized() after acquire(): the caller's release() frees it
after the section: true; release: true
-- the inner section throws: the outer one still holds the lock
inner failed, outer still holds it: true
-- the lease is lost inside a nested section: both say so
inner: RLockLostException
outer: RLockLostException
-- acquire(), the lease runs out and another process takes the lock: synchronized() refuses to run
RLockLostException: lock "order:10" was lost before the critical section began; the other still holds it: true
-- released by the callback itself: no complaint
bool(true)
