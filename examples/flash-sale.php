<?php
/*
 * Overselling under a flash sale (超卖): no lock, RLock, and RLockSemaphore.
 *
 * 100 units of one SKU, 8 worker processes serving 40 buyers each. The naive shop reads the
 * stock, checks it, and writes it back: it oversells. With RLock the same code runs inside
 * synchronized(): never oversold, but every buyer waits for the one before, order work
 * included. With RLockSemaphore each unit is a permit: a buyer reserves one (one round trip,
 * no lock), creates the order, then consumes the permit; a declined payment releases it for
 * the next buyer, and a buyer whose process dies gives it back when its lease ends. The
 * orders live in SQLite.
 *
 *   php -d extension=rlock examples/flash-sale.php [redis://127.0.0.1:6379] [stock] [workers] [buyers per worker]
 */
require __DIR__ . '/lib/shop.php';

$servers = $argv[1] ?? 'redis://127.0.0.1:6379';
$stock = (int) ($argv[2] ?? 100);
$workers = (int) ($argv[3] ?? 8);
$buyers = (int) ($argv[4] ?? 40);

/** The sale with the stock in SQLite: read, check, write — under RLock when $servers is given. */
function sale_in_sqlite(DemoShop $shop, int $stock, int $workers, int $buyers, ?string $servers): array
{
    $shop->setStock('sku-42', $stock);
    in_parallel($workers, function () use ($shop, $buyers, $servers) {
        $lock = $servers ? new RLock('stock:sku-42', ['servers' => $servers, 'ttl' => 5000]) : null;
        for ($i = 0; $i < $buyers; $i++) {
            $lock ? $lock->synchronized(fn() => $shop->buyOne('sku-42'), 10000) : $shop->buyOne('sku-42');
        }
    });
    return [$shop->count('sales'), $shop->count('stock', 'sku-42')];
}

/** The sale with the stock as permits: reserve, order, consume (or release when declined). */
function sale_with_permits(DemoShop $shop, int $stock, int $workers, int $buyers, string $servers): array
{
    $options = ['servers' => $servers, 'ttl' => 5000];
    $units = new RLockSemaphore('stock:sku-42', $options);
    $units->addPermits($stock - $units->available());
    in_parallel($workers, function (int $w) use ($shop, $buyers, $options) {
        $units = new RLockSemaphore('stock:sku-42', $options);
        for ($i = 0; $i < $buyers; $i++) {
            $order = "order-$w-$i"; // the holder id: a double click reserves nothing more
            if (!$units->acquire($order)) {
                continue; // sold out (for now: a declined payment may give one back)
            }
            $shop->orderReserved('sku-42', $order, declined: $i % 10 === 3)
                ? $units->consume($order)
                : $units->release($order);
        }
    });
    return [$shop->count('sales'), $units->available()];
}

function report(string $label, int $stock, int $sold, int $left, float $seconds, int $buyers): void
{
    // Sold plus left must equal what there was: above is stock sold twice, below is stock lost.
    $drift = $sold + $left - $stock;
    printf("%s sold %d, stock left %d%s (%d buyers/s)\n", $label, $sold, $left,
        $drift > 0 ? ", oversold by $drift" : ($drift < 0 ? ", undersold by " . -$drift : ''), $buyers / $seconds);
}

printf("%d units, %d workers x %d buyers\n", $stock, $workers, $buyers);
$designs = [
    'without a lock' => fn($shop) => sale_in_sqlite($shop, $stock, $workers, $buyers, null),
    'with RLock' => fn($shop) => sale_in_sqlite($shop, $stock, $workers, $buyers, $servers),
    'with RLockSemaphore' => fn($shop) => sale_with_permits($shop, $stock, $workers, $buyers, $servers),
];
foreach ($designs as $label => $sale) {
    $t = microtime(true);
    [$sold, $left] = $sale(new DemoShop(demo_db_file('sale-' . strtr($label, ' ', '-'))));
    report(str_pad("$label:", 20), $stock, $sold, $left, microtime(true) - $t, $workers * $buyers);
}
