<?php
/*
 * The e2e shop behind nginx + php-fpm: POST /{lock}/order, /{lock}/pay,
 * /{lock}/notify, where {lock} is rlock, phpredis (a hand-written SET NX lock,
 * as shops write it) or symfony (Symfony Lock's RedisStore) — one app, three
 * ways to guard it, for the load comparison. The chaos run uses rlock only.
 *
 *   order   cart, amount   create the cart's order once
 *   pay     cart [stall]   charge the cart's order once (stall: ms spent "at the
 *                          payment gateway" while holding the lock, after
 *                          writing the worker's pid to STATE_DIR/stall-<cart>)
 *   notify  txn, cart      record the gateway's confirmation once per txn
 *
 * Answers JSON. Errors are application errors: 404 no order, 409 busy / in
 * progress / refused stale write, 503 Redis unavailable; anything else is a 500
 * the e2e runs count as a failure.
 */
require __DIR__ . '/ledger.php';
require __DIR__ . '/guards.php';

function answer(int $status, array $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body), "\n";
}

$ledger = new Ledger(getenv('E2E_LEDGER'));
$redis = getenv('E2E_REDIS');
[, $kind, $action] = array_pad(explode('/', parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH)), 3, '');
$cart = (string) ($_POST['cart'] ?? '');

try {
    $guard = guard_for($kind, $redis);
    if (!$guard || !in_array($action, ['order', 'pay', 'notify'], true) || $cart === '') {
        answer(404, ['error' => 'no such endpoint']);
        return;
    }
    if ($action === 'order') {
        $order = $guard->once("order:$cart", fn() => $ledger->createOrder($cart, (int) ($_POST['amount'] ?? 1000)),
            fn() => $ledger->order($cart));
        answer(200, ['order' => $order['id']]);
    } elseif ($action === 'pay') {
        $stall = (int) ($_GET['stall'] ?? $_POST['stall'] ?? 0);
        $outcome = $guard->exclusive("pay:$cart", function (int $fence) use ($ledger, $cart, $stall) {
            $order = $ledger->order($cart);
            if (!$order) {
                return [404, ['error' => 'no order for this cart']];
            }
            if ($order['status'] === 'paid') {
                return [200, ['paid' => true, 'now' => false]];
            }
            if ($stall > 0) {
                file_put_contents(getenv('E2E_STATE') . "/stall-$cart", (string) getmypid());
                usleep($stall * 1000); // at the payment gateway
            }
            $payment = $ledger->recordPayment($order, $fence);
            return $payment === null
                ? [409, ['error' => 'stale lock: a newer holder already wrote', 'fence' => $fence]]
                : [200, ['paid' => true, 'now' => true, 'payment' => $payment]];
        });
        answer(...$outcome);
    } else {
        $txn = (string) ($_POST['txn'] ?? '');
        $id = $guard->once("notify:$txn", fn() => $ledger->confirm($txn, $cart), fn() => null);
        answer(200, ['confirmed' => $id]);
    }
} catch (RLockConnectionException | RedisException | Symfony\Component\Lock\Exception\LockStorageException $e) {
    answer(503, ['error' => 'lock service unavailable, try again', 'detail' => $e->getMessage()]);
} catch (RLockInProgressException $e) {
    answer(409, ['error' => 'in progress', 'retry_after' => $e->getRetryAfter()]);
} catch (GuardBusy $e) {
    answer(409, ['error' => 'busy, try again']);
}
