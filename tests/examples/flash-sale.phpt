--TEST--
examples/flash-sale.php: 8 processes buying from 100 units never oversell with RLock (waiters woken, not polling)
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif-sqlite.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
[$workers, $buyers, $stock] = under_valgrind() ? [4, 8, 20] : [8, 40, 100];
[$exit, $out] = run_php_file(__DIR__ . '/../../examples/flash-sale.php',
    [$redis->uri(), (string) $stock, (string) $workers, (string) $buyers], [], [], pdo_sqlite_extensions());
echo preg_replace('/^without a lock: .*$/m', 'without a lock: ...', preg_replace('/^\d+ units.*$/m', 'N units', $out));
echo "exit $exit\n";
echo "locks or queues left in Redis: ", $redis->cmd('DBSIZE'), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTF--
N units
without a lock: ...
with RLock:     sold %d, stock left 0
exit 0
locks or queues left in Redis: 0
