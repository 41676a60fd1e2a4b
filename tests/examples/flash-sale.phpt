--TEST--
examples/flash-sale.php: 8 processes buying from 100 units never oversell with RLock (waiters woken, not polling) or RLockSemaphore (reserve, order, consume; a declined payment releases)
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif-sqlite.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/semaphore.inc';
$redis = TestRedis::start(__FILE__);
[$workers, $buyers, $stock] = under_valgrind() ? [4, 8, 20] : [8, 40, 100];
[$exit, $out] = run_php_file(__DIR__ . '/../../examples/flash-sale.php',
    [$redis->uri(), (string) $stock, (string) $workers, (string) $buyers], [], [], pdo_sqlite_extensions());
$out = preg_replace('/^without a lock: .*$/m', 'without a lock: ...', preg_replace('/^\d+ units.*$/m', 'N units', $out));
echo preg_replace('/ \(\d+ buyers\/s\)$/m', ' (N buyers/s)', $out);
echo "exit $exit\n";
$ledger = semaphore_ledger($redis, 'stock:sku-42');
echo "the semaphore's ledger: ", semaphore_invariant_broken($ledger, $stock)
    ?: ($ledger['consumed'] === $stock && $ledger['held'] === 0 ? 'consumed == units, none held' : json_encode($ledger)), "\n";
echo "locks or queues left in Redis: ", count(array_filter($redis->cmd('KEYS', '*'), fn($k) => !str_contains($k, ':sem'))), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTF--
N units
without a lock: ...
with RLock:          sold %d, stock left 0 (N buyers/s)
with RLockSemaphore: sold %d, stock left 0 (N buyers/s)
exit 0
the semaphore's ledger: consumed == units, none held
locks or queues left in Redis: 0
