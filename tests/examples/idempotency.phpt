--TEST--
Idempotency examples on SQLite with 8+ concurrent processes: one order, one payment, one paid transition, one consumption; a runner frozen past its lease, its write refused by the fence
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif-sqlite.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$n = (string) scaled(10, 8);
foreach (['checkout' => $n, 'payment-callback' => $n, 'queue-consumer' => (string) scaled(8, 8)] as $example => $procs) {
    [$exit, $out] = run_php_file(__DIR__ . "/../../examples/$example.php", [$redis->uri(), $procs], [], [], pdo_sqlite_extensions());
    echo preg_replace(['/\b' . $procs . '\b/', '/order \d+\b/'], ['N', 'order ID'], $out), "exit $exit\n";
}
[$exit, $out] = run_php_file(__DIR__ . '/../../examples/idempotent-fencing.php', [$redis->uri()], [], [], pdo_sqlite_extensions());
echo preg_replace(['/invoice:[0-9a-f]+/', '/\d{6,}/'], ['invoice:ID', 'N'], $out), "exit $exit\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
N concurrent "Place order" clicks, then N concurrent "Pay" clicks, one Idempotency-Key each
orders created: 1, payments: 1
answers: N x "order ID", N x "payment 1"
exit 0
N concurrent deliveries of notification wx-… for order ID
unpaid -> paid transitions: 1, payments: 1
answered: N x SUCCESS
exit 0
message delivered N times at once
consumed: 1, acked: N
exit 0
A: claimed N
A is frozen and its lease ran out
B: claimed N
B: fence N, rows changed: 1
B: done, result stored (rows changed: 1)
A: fence N, rows changed: 0
A: the claim on key "invoice:ID" was lost before its result was stored: a duplicate may have run
invoice: sent by B, fence N
exit 0
