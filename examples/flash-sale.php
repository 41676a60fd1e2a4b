<?php
/*
 * Overselling under a flash sale (超卖), with and without RLock.
 *
 * 100 units of one SKU, 8 worker processes serving 40 buyers each. The naive
 * shop reads the stock, checks it, and writes it back; with RLock the same code
 * runs inside synchronized(), and waiting buyers are woken by each release
 * instead of polling: never oversold, never undersold. The stock lives in SQLite.
 *
 *   php -d extension=rlock examples/flash-sale.php [redis://127.0.0.1:6379] [stock] [workers] [buyers per worker]
 */
require __DIR__ . '/lib/shop.php';

$servers = $argv[1] ?? 'redis://127.0.0.1:6379';
$stock = (int) ($argv[2] ?? 100);
$workers = (int) ($argv[3] ?? 8);
$buyers = (int) ($argv[4] ?? 40);

function run_sale(DemoShop $shop, int $stock, int $workers, int $buyers, ?string $servers): array
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

function report(string $label, int $stock, int $sold, int $left): void
{
    // Sold plus left must equal what there was: above is stock sold twice, below is stock lost.
    $drift = $sold + $left - $stock;
    printf("%s sold %d, stock left %d%s\n", $label, $sold, $left,
        $drift > 0 ? ", oversold by $drift" : ($drift < 0 ? ", undersold by " . -$drift : ''));
}

printf("%d units, %d workers x %d buyers\n", $stock, $workers, $buyers);
report('without a lock:', $stock, ...run_sale(new DemoShop(demo_db_file('sale-naive')), $stock, $workers, $buyers, null));
report('with RLock:    ', $stock, ...run_sale(new DemoShop(demo_db_file('sale-rlock')), $stock, $workers, $buyers, $servers));
