<?php
/*
 * A queue message redelivered 5 times (a consumer timed out before its ack, the
 * broker failed over) and taken by 5 consumers at once. Keyed by the message
 * id, RLockIdempotency lets one of them consume it; the others ack without
 * doing the work again.
 *
 *   php -d extension=rlock examples/queue-consumer.php [redis://127.0.0.1:6379] [deliveries]
 */
require __DIR__ . '/lib/shop.php'; // SQLite through PDO

$servers = $argv[1] ?? 'redis://127.0.0.1:6379';
$deliveries = (int) ($argv[2] ?? 5);
$shop = new DemoShop(demo_db_file('queue'));
$message = ['id' => 'msg-' . bin2hex(random_bytes(6)), 'body' => 'send invoice for order 1001'];
$acks = demo_db_file('queue') . '.acks';

in_parallel($deliveries, function () use ($servers, $shop, $message, $acks) {
    $idempotency = new RLockIdempotency('invoice-consumer', ['servers' => $servers, 'wait' => 10000]);
    $idempotency->run($message['id'], fn() => $shop->consume($message['body']));
    file_put_contents($acks, "ack\n", FILE_APPEND | LOCK_EX); // reached only once the message is handled
});

printf("message delivered %d times at once\n", $deliveries);
printf("consumed: %d, acked: %d\n", $shop->count('consumed'), count(file($acks)));
