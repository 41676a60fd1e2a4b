--TEST--
RLock basics: one token per acquisition, owner-checked release/extend, what lands in Redis
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);

$a = new RLock('order:1001', $redis->opts(['ttl' => 5000]));
$b = new RLock('order:1001', $redis->opts(['reentrant' => false])); // a rival, as if in another process
var_dump($a->getName(), $a->getToken(), $a->getRemainingTtl(), $a->isAcquired());

echo "-- a acquires\n";
var_dump($a->acquire());
$token = $a->getToken();
var_dump(strlen($token), (bool) preg_match("/^[0-9a-f]{32}$/", $token));
var_dump($redis->cmd('GET', 'rlock:{order:1001}') === $token);
$pttl = $redis->cmd('PTTL', 'rlock:{order:1001}');
var_dump($pttl > 4000 && $pttl <= 5000);
var_dump($a->isAcquired(), $a->getRemainingTtl() > 4000);

echo "-- b is refused, a's key untouched\n";
var_dump($b->acquire(), $b->getToken(), $b->release(), $b->extend());
var_dump($redis->cmd('GET', 'rlock:{order:1001}') === $token);

echo "-- acquire again while held keeps the token, refreshes the lease and counts up\n";
$redis->cmd('PEXPIRE', 'rlock:{order:1001}', '1000');
var_dump($a->acquire(), $a->getToken() === $token, $redis->cmd('PTTL', 'rlock:{order:1001}') > 4000);

echo "-- extend\n";
var_dump($a->extend(20000), $redis->cmd('PTTL', 'rlock:{order:1001}') > 19000);
var_dump($a->extend(), $redis->cmd('PTTL', 'rlock:{order:1001}') <= 5000);

echo "-- release: the inner acquisition first, the lock stays\n";
var_dump($a->release(), $redis->cmd('GET', 'rlock:{order:1001}') === $token);
var_dump($a->release(), $redis->cmd('EXISTS', 'rlock:{order:1001}'), $a->release(), $a->getToken());

echo "-- b now gets it with a fresh token; a's next acquisition gets another\n";
var_dump($b->acquire(), $b->getToken() !== $token);
$b->release();
$a->acquire();
var_dump($a->getToken() !== $token);
$a->release();

echo "-- prefix option\n";
$p = new RLock('sku:7', $redis->opts(['prefix' => 'shop:']));
$p->acquire();
var_dump($redis->cmd('EXISTS', 'shop:{sku:7}'));
var_dump(RLock::forceRelease('sku:7', $redis->opts(['prefix' => 'shop:'])), $p->release());
var_dump(RLock::forceRelease('sku:7', $redis->opts(['prefix' => 'shop:'])));

$s = RLock::stats();
var_dump($s['acquired'], $s['released'], $s['extended'], $s['busy'], $s['lost'], $s['connects']);
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
string(10) "order:1001"
NULL
int(-1)
bool(false)
-- a acquires
bool(true)
int(32)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
-- b is refused, a's key untouched
bool(false)
NULL
bool(false)
bool(false)
bool(true)
-- acquire again while held keeps the token, refreshes the lease and counts up
bool(true)
bool(true)
bool(true)
-- extend
bool(true)
bool(true)
bool(true)
bool(true)
-- release: the inner acquisition first, the lock stays
bool(true)
bool(true)
bool(true)
int(0)
bool(false)
NULL
-- b now gets it with a fresh token; a's next acquisition gets another
bool(true)
bool(true)
bool(true)
-- prefix option
int(1)
bool(true)
bool(false)
bool(false)
int(4)
int(3)
int(2)
int(1)
int(1)
int(1)
