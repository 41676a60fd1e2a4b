--TEST--
RLockSemaphore: restock, take once per holder, release, extend, consume, leases that end give permits back
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/semaphore.inc';
$redis = TestRedis::start(__FILE__);
$stock = new RLockSemaphore('stock:sku-42', $redis->opts(['ttl' => 60000]));
$b = fn(bool $v) => $v ? 'true' : 'false';

echo "before any restock: acquire ", $b($stock->acquire('cart-0')), ", available ", $stock->available(), "\n";
echo "addPermits(3) = ", $stock->addPermits(3), "\n";
echo "cart-1 takes 1: ", $b($stock->acquire('cart-1')), "; a double click: ", $b($stock->acquire('cart-1')),
    "; asking for 2 with the same id: ", $b($stock->acquire('cart-1', 2)), "; available ", $stock->available(), "\n";
echo "cart-2 takes 2: ", $b($stock->acquire('cart-2', 2)), "; cart-3 finds none: ", $b($stock->acquire('cart-3')),
    "; available ", $stock->available(), "\n";
echo "cart-1 consumes: ", $b($stock->consume('cart-1')), ", again: ", $b($stock->consume('cart-1')),
    "; acquire after its sale takes nothing: ", $b($stock->acquire('cart-1')), ", available ", $stock->available(), "\n";
echo "release of a consumed holder: ", $b($stock->release('cart-1')), "\n";
echo "cart-2 releases: ", $b($stock->release('cart-2')), ", again: ", $b($stock->release('cart-2')),
    "; available ", $stock->available(), "\n";
echo "unknown holder: release ", $b($stock->release('cart-9')), ", extend ", $b($stock->extend('cart-9')),
    ", consume ", $b($stock->consume('cart-9')), "\n";
echo "a holder id with any byte but NUL: ", $b($stock->acquire("cart|4|{x}%\n\xff")), ", released: ",
    $b($stock->release("cart|4|{x}%\n\xff")), "\n";

// A lease that ends: its permits come back by themselves, once.
$short = new RLockSemaphore('stock:sku-42', $redis->opts(['ttl' => 150]));
echo "cart-5 takes 2 for 150 ms: ", $b($short->acquire('cart-5', 2)), ", extend(cart-5, 300): ", $b($short->extend('cart-5', 300)),
    "; available ", $short->available(), "\n";
usleep(100000);
echo "150 ms on, still held: available ", $short->available(), "\n";
// nothing but a call gives them back: available() is one
await(fn() => $short->available() === 2);
echo "its lease is gone from Redis: ", $b($redis->cmd('ZSCORE', 'rlock:{stock:sku-42}:sem:lease', 'cart-5') === null), "\n";
echo "after the lease: available ", $short->available(), ", extend ", $b($short->extend('cart-5')),
    ", consume ", $b($short->consume('cart-5')), ", release ", $b($short->release('cart-5')), "\n";

// A holder that consumed is remembered for the retention, then forgotten: it may take again.
$brief = new RLockSemaphore('stock:sku-42', $redis->opts(['retention' => 100]));
echo "cart-6 takes and consumes: ", $b($brief->acquire('cart-6')), " ", $b($brief->consume('cart-6')), "; ";
usleep(300000);
echo "after its retention, consume answers ", $b($brief->consume('cart-6')), ", acquire takes again: ",
    $b($brief->acquire('cart-6')), " (available ", $brief->available(), "), and it releases: ", $b($brief->release('cart-6')), "\n";

echo "withdraw 5 (only 1 free): ", $stock->addPermits(-5), "; restock 4: ", $stock->addPermits(4), "\n";
$ledger = semaphore_ledger($redis, 'stock:sku-42');
echo "ledger: ", json_encode($ledger), "\n";
echo "invariant: ", semaphore_invariant_broken($ledger, 3 - 1 + 4) ?: 'holds', "\n";
echo "keys: ", implode(' ', $redis->cmd('KEYS', '*')), "\n";

// One round trip each: an acquire is one EVALSHA, and so is a consume or a release.
$stock->available(); // scripts loaded
$redis->cmd('CONFIG', 'RESETSTAT');
$stock->acquire('cart-7');
$stock->consume('cart-7');
$stock->acquire('cart-8');
$stock->release('cart-8');
preg_match_all('/^cmdstat_([^:]+):calls=(\d+)/m', $redis->cmd('INFO', 'commandstats'), $m);
$top = array_intersect_key(array_combine($m[1], $m[2]), array_flip(['evalsha', 'eval', 'ping', 'select', 'auth']));
echo "acquire + consume, acquire + release: ", json_encode($top), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTF--
before any restock: acquire false, available 0
addPermits(3) = 3
cart-1 takes 1: true; a double click: true; asking for 2 with the same id: true; available 2
cart-2 takes 2: true; cart-3 finds none: false; available 0
cart-1 consumes: true, again: true; acquire after its sale takes nothing: true, available 0
release of a consumed holder: false
cart-2 releases: true, again: false; available 2
unknown holder: release false, extend false, consume false
a holder id with any byte but NUL: true, released: true
cart-5 takes 2 for 150 ms: true, extend(cart-5, 300): true; available 0
150 ms on, still held: available 0
its lease is gone from Redis: true
after the lease: available 2, extend false, consume false, release false
cart-6 takes and consumes: true true; after its retention, consume answers false, acquire takes again: true (available 0), and it releases: true
withdraw 5 (only 1 free): 0; restock 4: 4
ledger: {"free":4,"added":6,"consumed":2,"held":0,"holders":0}
invariant: holds
keys: %s
acquire + consume, acquire + release: {"evalsha":"4"}
