<?php
/*
 * Duplicate order submission and duplicate payment, with and without RLock.
 *
 * A customer double-clicks "Place order" (here: N clicks at once), then the
 * payment provider calls back N times at once. Without a lock the naive shop
 * creates several orders and charges several times; with RLock exactly one
 * order is created and it is paid exactly once.
 *
 *   php -d extension=rlock examples/order-submit.php [redis://127.0.0.1:6379] [clicks]
 */
require __DIR__ . '/lib/shop.php'; // SQLite through PDO

$servers = $argv[1] ?? 'redis://127.0.0.1:6379';
$clicks = (int) ($argv[2] ?? 20);
$cart = 'cart-' . bin2hex(random_bytes(3));

function place_order_naively(DemoShop $shop, string $cart): void
{
    if (!$shop->findOrder($cart)) {
        $shop->createOrder($cart, 4999);
    }
}

function place_order_with_rlock(DemoShop $shop, string $cart, string $servers): void
{
    $lock = new RLock("order:create:$cart", ['servers' => $servers, 'ttl' => 10000]);
    if (!$lock->acquire()) {
        return; // "your order is already being placed" — the first click is handling it
    }
    try {
        if (!$shop->findOrder($cart)) {
            $shop->createOrder($cart, 4999);
        }
    } finally {
        $lock->release();
    }
}

function pay_with_rlock(DemoShop $shop, string $cart, string $servers): void
{
    // Callbacks wait their turn (up to 5 s); the status check inside the lock makes repeats no-ops.
    $lock = new RLock("order:pay:$cart", ['servers' => $servers, 'ttl' => 10000]);
    $lock->synchronized(fn() => $shop->payIfUnpaid($cart), 5000);
}

$naive = new DemoShop(demo_db_file('order-naive'));
in_parallel($clicks, fn() => place_order_naively($naive, $cart));
in_parallel($clicks, fn() => $naive->payIfUnpaid($cart));

$locked = new DemoShop(demo_db_file('order-rlock'));
in_parallel($clicks, fn() => place_order_with_rlock($locked, $cart, $servers));
in_parallel($clicks, fn() => pay_with_rlock($locked, $cart, $servers));

printf("%d concurrent clicks on \"Place order\", then %d concurrent payment callbacks\n", $clicks, $clicks);
printf("without a lock: orders created: %d, payments: %d\n", $naive->count('orders'), $naive->count('payments'));
printf("with RLock:     orders created: %d, payments: %d\n", $locked->count('orders'), $locked->count('payments'));
