<?php
/* The order status page (HTML, or JSON with format=json): what the shop's database holds for a cart. */
$payments = $order ? $shop->paymentsFor((int) $order['id']) : 0;
$status = ['cart' => $cart, 'orders' => $shop->ordersFor($cart), 'payments' => $payments, 'status' => $order['status'] ?? 'no order'];
if (($_GET['format'] ?? '') === 'json') {
    header('Content-Type: application/json');
    echo json_encode($status);
    return;
}
?>
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Order status</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40em; margin: 2em auto">
<h1>Order status</h1>
<p id="status">Cart <?= htmlspecialchars($cart) ?>: <?= $status['orders'] ?> order, <?= $status['payments'] ?> payment — <?= htmlspecialchars($status['status']) ?></p>
<p><a href="/">Back to the shop</a></p>
</body>
</html>
