<?php
/*
 * A payment notification (WeChat Pay, Alipay, Stripe) delivered 10 times at
 * once — providers retry until they hear "SUCCESS". With RLockIdempotency keyed
 * by the provider's transaction id, the order moves unpaid -> paid once, and
 * every delivery is answered "SUCCESS".
 *
 *   php -d extension=rlock examples/payment-callback.php [redis://127.0.0.1:6379] [deliveries]
 */
require __DIR__ . '/lib/shop.php'; // SQLite through PDO

$servers = $argv[1] ?? 'redis://127.0.0.1:6379';
$deliveries = (int) ($argv[2] ?? 10);
$shop = new DemoShop(demo_db_file('callback'));
$order = $shop->createOrder('cart-cb', 1999);
$transaction = 'wx-' . bin2hex(random_bytes(6));
$replies = demo_db_file('callback') . '.replies';

/** The notify endpoint: answer "SUCCESS" once the payment is recorded, however often it is called. */
function notify_endpoint(string $servers, DemoShop $shop, string $transaction, string $cart): string
{
    $idempotency = new RLockIdempotency('payment-notify', ['servers' => $servers, 'wait' => 10000, 'lease' => 5000]);
    try {
        return $idempotency->run($transaction, function () use ($shop, $cart) {
            $shop->payIfUnpaid($cart);
            return 'SUCCESS';
        });
    } catch (RLockInProgressException $e) {
        return 'FAIL'; // the provider retries later
    }
}

in_parallel($deliveries, function () use ($servers, $shop, $transaction, $replies) {
    file_put_contents($replies, notify_endpoint($servers, $shop, $transaction, 'cart-cb') . "\n", FILE_APPEND | LOCK_EX);
});

printf("%d concurrent deliveries of notification %s for order %d\n", $deliveries, 'wx-…', $order['id']);
printf("unpaid -> paid transitions: %d, payments: %d\n", $shop->count('transitions'), $shop->count('payments'));
$answered = array_count_values(file($replies, FILE_IGNORE_NEW_LINES));
printf("answered: %s\n", implode(', ', array_map(fn($a, $n) => "$n x $a", array_keys($answered), $answered)));
