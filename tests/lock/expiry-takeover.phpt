--TEST--
Expiry takeover: once our lease expired and another process took the lock, we never touch it
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);

$old = new RLock('pay:77', $redis->opts(['ttl' => 150]));
var_dump($old->acquire());
$oldToken = $old->getToken();
usleep(300000); // the lease runs out while "payment" is slow

// Another process takes the lock.
[$code, $out] = run_php('<?php
$l = new RLock("pay:77", ["servers" => getenv("URI"), "ttl" => 60000, "auto_release" => false]);
var_dump($l->acquire());
echo $l->getToken(), "\n";', [], ['URI' => $redis->uri()]);
[$took, $newToken] = explode("\n", trim($out));
echo "other process: $took\n";
var_dump($newToken !== $oldToken, $redis->cmd('GET', 'rlock:{pay:77}') === $newToken);

echo "-- the old holder learns it lost the lease\n";
$lostBefore = RLock::stats()['lost'];
var_dump($old->extend(), $old->release(), $old->isAcquired(), $old->getRemainingTtl(), $old->getToken());
echo "lost leases counted: ", RLock::stats()['lost'] - $lostBefore, "\n";

echo "-- the new holder's key is untouched\n";
var_dump($redis->cmd('GET', 'rlock:{pay:77}') === $newToken, $redis->cmd('PTTL', 'rlock:{pay:77}') > 50000);

echo "-- a lease found lost by release() is counted too\n";
$a = new RLock('pay:78', $redis->opts(['ttl' => 100]));
$a->acquire();
usleep(200000);
$b = new RLock('pay:78', $redis->opts(['reentrant' => false]));
var_dump($b->acquire());
$lostBefore = RLock::stats()['lost'];
var_dump($a->release(), $b->isAcquired(), RLock::stats()['lost'] - $lostBefore);
$b->release();

echo "-- isAcquired() notices expiry with nobody else holding\n";
$c = new RLock('pay:79', $redis->opts(['ttl' => 100]));
$c->acquire();
usleep(200000);
var_dump($c->isAcquired(), $c->release(), $redis->cmd('EXISTS', 'rlock:{pay:79}'));
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
bool(true)
other process: bool(true)
bool(true)
bool(true)
-- the old holder learns it lost the lease
bool(false)
bool(false)
bool(false)
int(-1)
NULL
lost leases counted: 1
-- the new holder's key is untouched
bool(true)
bool(true)
-- a lease found lost by release() is counted too
bool(true)
bool(false)
bool(true)
int(1)
-- isAcquired() notices expiry with nobody else holding
bool(false)
bool(false)
int(0)
