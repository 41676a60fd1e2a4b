--TEST--
Key space: different (kind, scope, key, name) never share a Redis key; in a Cluster every key of one lock shares a slot, for any name
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; if (!is_executable('/usr/bin/redis-cli')) die('skip redis-cli not installed'); ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$o = $redis->opts();

echo "-- scope orders:2024 + key 17 and scope orders + key 2024:17 are two records\n";
$runs = 0;
$a = (new RLockIdempotency('orders:2024', $o))->run('17', function () use (&$runs) { $runs++; return 'order A'; });
$b = (new RLockIdempotency('orders', $o))->run('2024:17', function () use (&$runs) { $runs++; return 'order B'; });
echo "$a, $b, runs: $runs\n";

echo "-- no lock name reaches a stored payment result\n";
$payments = new RLockIdempotency('payments', $o);
$payments->run('order-1', fn() => 'charged once');
$deleted = 0;
foreach (['idem:payments:order-1', 'payments:order-1', 'payments:order-1}:idem', 'payments%3Aorder-1',
          '{payments:order-1}:idem', 'payments:order-1:idem'] as $name) {
    $deleted += RLock::forceRelease($name, $o);
    $lock = new RLock($name, $o);
    $deleted += $lock->acquire() ? 0 : 1; // a lock on the record's key would find it taken
    $lock->release();
}
echo "records hit by locks: $deleted; replayed: ",
    $payments->run('order-1', fn() => 'charged AGAIN'), "\n";

echo "-- hostile names: every one a lock of its own, every (scope, key) a record of its own\n";
$parts = ['a', 'a:b', 'a}', '{a', '}a', '{}', '%', '%7D', '%7Da', 'a%3Ab', ':', '::', "a\0b", 'a:b:c', '}{', '{a}'];
$locks = [];
foreach ($parts as $name) {
    $lock = new RLock($name, $o);
    $locks[] = $lock;
    if (!$lock->acquire()) {
        echo "lock ", json_encode($name), " found taken\n";
    }
}
$lockKeys = count(array_filter($redis->cmd('KEYS', '*'), fn($k) => !str_ends_with($k, ':idem')));
echo count($locks), " locks held at once, lock keys: $lockKeys\n";
$runs = 0;
foreach ($parts as $scope) {
    foreach ($parts as $key) {
        (new RLockIdempotency($scope, $o))->run($key, function () use (&$runs) { $runs++; return 1; });
    }
}
echo "records: ", count($parts) ** 2, ", runs: $runs, record keys: ",
    count(array_filter($redis->cmd('KEYS', '*'), fn($k) => str_ends_with($k, ':idem'))) - 3, "\n";
foreach ($locks as $lock) {
    $lock->release();
}

echo "-- a Redis Cluster: one slot per lock and per record, whatever the name\n";
$cluster = TestRedisCluster::start(__FILE__);
$bad = 0;
foreach ($parts as $name) {
    $lock = new RLock($name, $cluster->opts(['fencing' => true, 'ttl' => 5000]));
    $waiter = new RLock($name, $cluster->opts(['ttl' => 5000, 'reentrant' => false]));
    try {
        // taken, waited for (the queue key), handed over (the fence key), released
        $ok = $lock->acquire() && !$waiter->acquire(30) && $lock->release() && $waiter->acquire(100) && $waiter->release();
        $idem = new RLockIdempotency($name, $cluster->opts(['wait' => 50]));
        $ok = $ok && $idem->run($name, fn() => 'x') === 'x';
    } catch (RLockException $e) {
        $ok = false;
        echo json_encode($name), ": ", $e->getMessage(), "\n";
    }
    $bad += !$ok;
}
echo "names that failed in the cluster: $bad\n";
foreach (['{}', 'a{}', '{}b'] as $prefix) {
    try {
        new RLock('x', $cluster->opts(['prefix' => $prefix]));
        echo "prefix $prefix accepted\n";
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
foreach (['app{shop}:', 'a{', '}{x}'] as $prefix) {
    $lock = new RLock('}x', $cluster->opts(['prefix' => $prefix, 'fencing' => true]));
    echo "prefix $prefix: ", var_export($lock->acquire() && $lock->release(), true), "\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- scope orders:2024 + key 17 and scope orders + key 2024:17 are two records
order A, order B, runs: 2
-- no lock name reaches a stored payment result
records hit by locks: 0; replayed: charged once
-- hostile names: every one a lock of its own, every (scope, key) a record of its own
16 locks held at once, lock keys: 16
records: 256, runs: 256, record keys: 256
-- a Redis Cluster: one slot per lock and per record, whatever the name
names that failed in the cluster: 0
RLock::__construct(): Argument #2 ($options) option "prefix" must not hold an empty hash tag "{}" with "cluster": the keys of one lock would land in different slots
RLock::__construct(): Argument #2 ($options) option "prefix" must not hold an empty hash tag "{}" with "cluster": the keys of one lock would land in different slots
RLock::__construct(): Argument #2 ($options) option "prefix" must not hold an empty hash tag "{}" with "cluster": the keys of one lock would land in different slots
prefix app{shop}:: true
prefix a{: true
prefix }{x}: true
