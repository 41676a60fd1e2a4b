--TEST--
examples/order-submit.php: concurrent duplicate submissions and payment callbacks make one order, paid once
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif-sqlite.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$clicks = scaled(20, 4);

for ($run = 0; $run < scaled(3, 1); $run++) {
    [$exit, $out] = run_php_file(__DIR__ . '/../../examples/order-submit.php', [$redis->uri(), (string) $clicks], [], [],
        pdo_sqlite_extensions());
    // The naive run may or may not duplicate on a given try; the locked run must never.
    echo preg_replace(['/clicks on/', '/\d+ concurrent/', '/without a lock: .*/'], ['clicks on', 'N concurrent', 'without a lock: ...'], $out);
    echo "exit $exit\n";
}
echo "locks left in Redis: ", $redis->cmd('DBSIZE'), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTREGEX--
(N concurrent clicks on "Place order", then N concurrent payment callbacks
without a lock: \.\.\.
with RLock:     orders created: 1, payments: 1
exit 0
)+locks left in Redis: 0
