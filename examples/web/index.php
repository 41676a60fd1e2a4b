<?php
/*
 * A checkout page on rlock: a product, "Place order" and "Pay" buttons, an
 * order status page. The page's script does what many shop front ends do — it
 * sends a request per click, without disabling the button — so a double click
 * reaches the server twice. RLockIdempotency makes the second click get the
 * first one's answer: one order, one payment, and the page says so.
 *
 *   RLOCK_DEMO_REDIS=redis://127.0.0.1:6379 RLOCK_DEMO_DB=/tmp/shop.sqlite \
 *       php -d extension=rlock -S 127.0.0.1:8080 examples/web/index.php
 * (tools/web-demo starts Redis and the server for you.)
 */
require dirname(__DIR__) . '/lib/shop.php'; // SQLite through PDO

$shop = new DemoShop(getenv('RLOCK_DEMO_DB') ?: sys_get_temp_dir() . '/rlock-web-demo.sqlite');
$servers = getenv('RLOCK_DEMO_REDIS') ?: 'redis://127.0.0.1:6379';
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);

/** One answer per key, whatever the number of clicks; the first request's answer for every duplicate. */
function once(string $servers, string $key, callable $work): array
{
    $idempotency = new RLockIdempotency('web-demo', ['servers' => $servers, 'wait' => 10000]);
    return $idempotency->run($key, $work);
}

function json(array $body, int $status = 200): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body);
}

$cart = preg_replace('/[^a-z0-9-]/', '', (string) ($_POST['cart'] ?? $_GET['cart'] ?? ''));
try {
    if ($path === '/order' && $cart !== '') {
        $order = once($servers, "order:$cart", fn() => $shop->createOrder($cart, 4999));
        return json(['order' => $order['id'], 'orders' => $shop->count('orders')]);
    }
    if ($path === '/pay' && $cart !== '') {
        $paid = once($servers, "pay:$cart", fn() => ['payment' => $shop->payIfUnpaid($cart)]);
        return json(['payment' => $paid['payment'], 'payments' => $shop->count('payments')]);
    }
    if ($path === '/status' && $cart !== '') {
        $order = $shop->findOrder($cart);
        require __DIR__ . '/status.php';
        return;
    }
} catch (RLockException $e) {
    return json(['error' => 'please try again in a moment'], 503);
}
require __DIR__ . '/product.php';
