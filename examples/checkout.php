<?php
/*
 * Exactly-once order submission and payment with RLockIdempotency.
 *
 * The browser sends an Idempotency-Key with "Place order" and with "Pay"; the
 * customer double-clicks each ten times at once. The first request for a key
 * runs, every duplicate gets the same answer (the same order id, the same
 * payment id) without running again.
 *
 *   php -d extension=rlock examples/checkout.php [redis://127.0.0.1:6379] [clicks]
 */
require __DIR__ . '/lib/shop.php'; // SQLite through PDO

$servers = $argv[1] ?? 'redis://127.0.0.1:6379';
$clicks = (int) ($argv[2] ?? 10);
$cart = 'cart-' . bin2hex(random_bytes(3));
$shop = new DemoShop(demo_db_file('checkout'));
$answers = demo_db_file('checkout') . '.answers';

/** What the web request does: the key comes from the browser's Idempotency-Key header. */
function handle(string $servers, string $key, string $body, callable $work): array
{
    $idempotency = new RLockIdempotency('checkout', ['servers' => $servers, 'wait' => 10000]);
    return $idempotency->run($key, $work, hash('sha256', $body)); // same key, other body: 409
}

in_parallel($clicks, function () use ($servers, $shop, $cart, $answers) {
    $order = handle($servers, "place-order:$cart", "cart=$cart", fn() => $shop->createOrder($cart, 4999));
    file_put_contents($answers, "order {$order['id']}\n", FILE_APPEND | LOCK_EX);
});
in_parallel($clicks, function () use ($servers, $shop, $cart, $answers) {
    $paid = handle($servers, "pay:$cart", "cart=$cart&amount=4999", fn() => ['payment' => $shop->payIfUnpaid($cart)]);
    file_put_contents($answers, "payment {$paid['payment']}\n", FILE_APPEND | LOCK_EX);
});

printf("%d concurrent \"Place order\" clicks, then %d concurrent \"Pay\" clicks, one Idempotency-Key each\n", $clicks, $clicks);
printf("orders created: %d, payments: %d\n", $shop->count('orders'), $shop->count('payments'));
$distinct = array_count_values(file($answers, FILE_IGNORE_NEW_LINES));
printf("answers: %s\n", implode(', ', array_map(fn($a, $n) => "$n x \"$a\"", array_keys($distinct), $distinct)));
