<?php
/*
 * Overselling under a flash sale (超卖), with and without RLock.
 *
 * 100 units of one SKU, 8 worker processes serving 40 buyers each. The naive
 * shop reads the stock, checks it, and writes it back; with RLock the same code
 * runs inside synchronized(), and waiting buyers are woken by each release
 * instead of polling.
 *
 *   php -d extension=rlock examples/flash-sale.php [redis://127.0.0.1:6379] [stock] [workers] [buyers per worker]
 */
require __DIR__ . '/lib/shop.php';

$servers = $argv[1] ?? 'redis://127.0.0.1:6379';
$stock = (int) ($argv[2] ?? 100);
$workers = (int) ($argv[3] ?? 8);
$buyers = (int) ($argv[4] ?? 40);
$dir = sys_get_temp_dir() . '/rlock-flash-sale-' . getmypid();
@mkdir($dir);

/** Reads, checks and writes the stock like shop code does: the check and the write are two steps. */
function buy_one(string $file): bool
{
    $left = (int) file_get_contents($file);
    if ($left <= 0) {
        return false;
    }
    usleep(300); // price rules, the order row
    file_put_contents($file, (string) ($left - 1));
    file_put_contents("$file.sold", "1\n", FILE_APPEND | LOCK_EX);
    return true;
}

function run_sale(string $file, int $stock, int $workers, int $buyers, ?string $servers): array
{
    file_put_contents($file, (string) $stock);
    @unlink("$file.sold");
    in_parallel($workers, function () use ($file, $buyers, $servers) {
        $lock = $servers ? new RLock('stock:sku-42', ['servers' => $servers, 'ttl' => 5000]) : null;
        for ($i = 0; $i < $buyers; $i++) {
            $lock ? $lock->synchronized(fn() => buy_one($file), 10000) : buy_one($file);
        }
    });
    return [is_file("$file.sold") ? count(file("$file.sold")) : 0, (int) file_get_contents($file)];
}

function report(string $label, int $stock, int $sold, int $left): void
{
    // Sold plus left must equal what there was: anything above is stock sold twice.
    $oversold = $sold + $left - $stock;
    printf("%s sold %d, stock left %d%s\n", $label, $sold, $left, $oversold > 0 ? ", oversold by $oversold" : '');
}

printf("%d units, %d workers x %d buyers\n", $stock, $workers, $buyers);
report('without a lock:', $stock, ...run_sale("$dir/naive", $stock, $workers, $buyers, null));
report('with RLock:    ', $stock, ...run_sale("$dir/rlock", $stock, $workers, $buyers, $servers));
exec('rm -rf ' . escapeshellarg($dir));
