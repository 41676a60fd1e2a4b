<?php
/*
 * A flash sale, five designs side by side in one run against one redis-server: 8
 * processes of buyers race for the units, each sale does some "order work". The
 * figure is units sold per second (first buyer's start to the last unit sold), what
 * a shop cares about; an observer counts the sales (each sale INCRs a counter) to
 * catch overselling. Then a kill run: every 10th buyer's process dies (kill -9)
 * holding a permit; once the leases end, no unit may be lost. Prints the table,
 * writes bench/out/flash-sale.json and its block in docs/proof.md.
 *
 *   php bench/flash-sale.php URI [--quick]   (bench/run sets everything up)
 */
require __DIR__ . '/locks.php';
require __DIR__ . '/procs.php';

$uri = $argv[1] ?? 'redis://127.0.0.1:6379';
$quick = in_array('--quick', $argv, true);
$workers = 8;
$buyers = $quick ? 50 : 150; // per worker: twice the units, so every run sells out
$units = $quick ? 200 : 600;
$repeats = $quick ? 1 : 3; // sales this short are easily disturbed: the median run counts
$killTtl = 500;
const DECREMENT = "local n = tonumber(redis.call('get', KEYS[1]) or 0)\n"
    . "if n > 0 then redis.call('decr', KEYS[1]) return 1 end return 0";
// The second step of a reserve-then-confirm design without leases or holders: the floor for
// any design that takes a unit before the order and settles it after (two round trips).
const CONFIRM = "return redis.call('incr', KEYS[1])";
const DESIGNS = ['semaphore', 'RLock', 'spin lock', 'atomic Lua', 'Lua, 2 steps'];

/**
 * One buyer of $design, made in its worker process: fn(holder) => true when it bought
 * a unit, false when it found none (sold out). $work: the order work in µs.
 */
function sale_buyer(string $design, string $uri, array $keys, int $work, int $ttl, int $waitMs): Closure
{
    $r = phpredis_connect($uri);
    [$name, $stock, $sales] = $keys;
    // b and c: read the stock, do the order work, decrement — inside the lock
    $section = function () use ($r, $stock, $sales, $work): bool {
        if ((int) $r->get($stock) <= 0) {
            return false;
        }
        usleep($work);
        $r->decr($stock);
        $r->incr($sales);
        return true;
    };
    switch ($design) {
        case 'semaphore':
            $sem = new RLockSemaphore($name, ['servers' => $uri, 'ttl' => $ttl, 'auto_release' => true]);
            $sem->available(); // connected before the start, as the others are
            return function (string $holder) use ($sem, $r, $sales, $work, $waitMs): bool {
                if (!$sem->acquire($holder, 1, $waitMs)) {
                    return false;
                }
                usleep($work);
                if (!$sem->consume($holder)) {
                    throw new RuntimeException("$holder: its permit was gone at consume()");
                }
                $r->incr($sales);
                return true;
            };
        case 'RLock':
            $lock = new RLock($name, ['servers' => $uri, 'ttl' => $ttl]);
            $lock->acquire() && $lock->release(); // connected before the start
            return fn(string $holder): bool => $lock->synchronized($section, 60000);
        case 'spin lock':
            $spin = new PhpredisPollBench($r, $name, 1000);
            return function (string $holder) use ($spin, $section): bool {
                $spin->acquire();
                try {
                    return $section();
                } finally {
                    $spin->release();
                }
            };
        case 'atomic Lua':
        case 'Lua, 2 steps':
            $sha = $r->script('load', DECREMENT);
            $confirm = $design === 'Lua, 2 steps' ? $r->script('load', CONFIRM) : null;
            return function (string $holder) use ($r, $sha, $confirm, $stock, $sales, $work): bool {
                if (!$r->evalSha($sha, [$stock], 1)) {
                    return false;
                }
                usleep($work);
                $confirm ? $r->evalSha($confirm, [$sales], 1) : $r->incr($sales);
                return true;
            };
    }
    throw new LogicException("no design $design");
}

/** kill run: a child takes $holder's permit, says so, and is killed -9 holding it. True when it held one. */
function sale_victim(string $uri, string $name, string $holder, int $ttl, int $waitMs): bool
{
    [$pid, $socket] = bench_spawn(function ($socket) use ($uri, $name, $holder, $ttl, $waitMs) {
        $sem = new RLockSemaphore($name, ['servers' => $uri, 'ttl' => $ttl, 'auto_release' => true]);
        fwrite($socket, $sem->acquire($holder, 1, $waitMs) ? "held\n" : "none\n");
        sleep(60);
    });
    $answer = fgets($socket);
    posix_kill($pid, SIGKILL);
    pcntl_waitpid($pid, $status);
    fclose($socket);
    return match ($answer) {
        "held\n" => true,
        "none\n" => false,
        default => throw new RuntimeException("victim $holder failed: $answer"),
    };
}

/**
 * One sale of $design: $workers processes × $buyers, each stops at its first sold-out answer.
 * $killTtl > 0: the kill run, with leases that short.
 */
function sale_run(Redis $observer, string $uri, string $design, int $units, int $workers, int $buyers, int $work,
    int $killTtl = 0): array
{
    $id = bin2hex(random_bytes(4));
    $keys = ["bench:sale:$id", "bench:sale:$id:stock", "bench:sale:$id:sales"];
    $ttl = $killTtl ?: 5000;
    $waitMs = 3 * $killTtl; // killed holders' permits come back at their lease end: wait for them
    $observer->set($keys[1], $units);
    if ($design === 'semaphore') {
        (new RLockSemaphore($keys[0], ['servers' => $uri]))->addPermits($units);
    }
    $results = bench_fork($workers, function (int $w, callable $gun) use ($design, $uri, $keys, $work, $ttl, $waitMs,
        $buyers, $killTtl) {
        $buy = sale_buyer($design, $uri, $keys, $work, $ttl, $waitMs);
        $sold = $killed = $last = 0;
        $start = $gun();
        for ($i = 0; $i < $buyers; $i++) {
            if ($killTtl && $i % 10 === 0) {
                if (!sale_victim($uri, $keys[0], "buyer-$w-$i", $ttl, $waitMs)) {
                    break; // sold out
                }
                $killed++;
                continue;
            }
            if (!$buy("buyer-$w-$i")) {
                break;
            }
            $sold++;
            $last = hrtime(true);
        }
        return ['start' => $start, 'last' => $last, 'sold' => $sold, 'killed' => $killed];
    });
    $wall = (max(array_column($results, 'last')) - $results[0]['start']) / 1e9;
    $sales = (int) $observer->get($keys[2]);
    return ['units_per_s' => $sales / $wall, 'sold' => $sales, 'oversold' => max(0, $sales - $units),
        'killed_holding' => array_sum(array_column($results, 'killed')), 'keys' => $keys];
}

/** After a kill run and its leases: every unit is sold, free or held, none lost. */
function sale_audit(Redis $observer, string $uri, array $run, int $units, int $ttl): array
{
    usleep(($ttl + 200) * 1000);
    (new RLockSemaphore($run['keys'][0], ['servers' => $uri]))->available(); // a call: ended leases come back
    $hash = $observer->hGetAll("rlock:{{$run['keys'][0]}}:sem");
    [$free, $added, $consumed] = [(int) $hash["\0free"], (int) $hash["\0added"], (int) $hash["\0consumed"]];
    // the other fields: counts (a leading NUL byte), holders that consumed ("sold"), and holders' permits
    $held = array_sum(array_filter($hash, fn($v, $k) => $k[0] !== "\0" && $v !== 'sold', ARRAY_FILTER_USE_BOTH));
    return $run + ['free' => $free, 'added' => $added, 'consumed' => $consumed,
        'lost' => $added - $free - $consumed - $held, 'still_held' => $held, 'sold_plus_free' => $run['sold'] + $free];
}

function sale_markdown(array $r): string
{
    $md = sprintf("Measured by `bench/run` on %s, Redis %s, PHP %s, %s: %d units, %d processes × %d buyers,"
        . " the median of %d runs (oversold: the worst).\n\n", $r['machine'], $r['redis'], $r['php'], $r['when'],
        $r['units'], $r['workers'], $r['buyers'], $r['repeats']);
    $md .= "| design | order work | units sold/s | sold | oversold |\n|---|---:|---:|---:|---:|\n";
    foreach ($r['runs'] as $work => $designs) {
        foreach ($designs as $design => $x) {
            $md .= sprintf("| %s | %s µs | %.0f | %d | %d |\n", $design, $work, $x['units_per_s'], $x['sold'], $x['oversold']);
        }
    }
    $md .= "\n| order work | semaphore ÷ RLock (goal ≥ 4×) | semaphore ÷ atomic Lua (goal ≥ 0.8×) | semaphore ÷ Lua, 2 steps |\n"
        . "|---:|---:|---:|---:|\n";
    foreach ($r['ratios'] as $work => $x) {
        $md .= sprintf("| %s µs | %.2f× | %.2f× | %.2f× |\n", $work, $x['vs_rlock'], $x['vs_lua'], $x['vs_two_step']);
    }
    $k = $r['kill'];
    $md .= sprintf("\nKill run (ttl %d ms): %d holders killed -9 holding a permit; after their leases: sold %d, free %d,"
        . " still held %d, lost (added − free − consumed − held) **%d**, sold + free = %d of %d.\n", $r['kill_ttl'],
        $k['killed_holding'], $k['sold'], $k['free'], $k['still_held'], $k['lost'], $k['sold_plus_free'], $r['units']);
    return $md;
}

$observer = phpredis_connect($uri);
$results = bench_about($observer) + ['units' => $units, 'workers' => $workers, 'buyers' => $buyers,
    'repeats' => $repeats, 'kill_ttl' => $killTtl];
printf("== flash sale: %d units, %d processes x %d buyers; units sold/s from the start to the last unit sold"
    . " (median of %d)\n", $units, $workers, $buyers, $repeats);
printf("%-12s %10s %14s %6s %9s\n", 'design', 'order work', 'units sold/s', 'sold', 'oversold');
foreach ([200, 1000] as $work) {
    $all = [];
    for ($k = 0; $k < $repeats; $k++) { // interleaved: a load that comes and goes weighs on every design
        foreach (DESIGNS as $design) {
            $all[$design][] = sale_run($observer, $uri, $design, $units, $workers, $buyers, $work);
        }
    }
    foreach ($all as $design => $runs) {
        usort($runs, fn($a, $b) => $a['units_per_s'] <=> $b['units_per_s']);
        $x = ['oversold' => max(array_column($runs, 'oversold'))] + $runs[intdiv($repeats, 2)]; // the worst oversold
        unset($x['keys'], $x['killed_holding']);
        $results['runs'][$work][$design] = $x;
        printf("%-12s %7d us %14.0f %6d %9d\n", $design, $work, $x['units_per_s'], $x['sold'], $x['oversold']);
    }
    $d = $results['runs'][$work];
    $results['ratios'][$work] = ['vs_rlock' => $d['semaphore']['units_per_s'] / $d['RLock']['units_per_s'],
        'vs_lua' => $d['semaphore']['units_per_s'] / $d['atomic Lua']['units_per_s'],
        'vs_two_step' => $d['semaphore']['units_per_s'] / $d['Lua, 2 steps']['units_per_s']];
    printf("semaphore / RLock %.2fx (goal >= 4x), semaphore / atomic Lua %.2fx (goal >= 0.8x), semaphore / Lua, 2 steps %.2fx\n",
        $results['ratios'][$work]['vs_rlock'], $results['ratios'][$work]['vs_lua'], $results['ratios'][$work]['vs_two_step']);
}

echo "== kill run: semaphore, ttl $killTtl ms, every 10th buyer killed -9 holding its permit\n";
$kill = sale_audit($observer, $uri, sale_run($observer, $uri, 'semaphore', $units, $workers, $buyers, 200, $killTtl),
    $units, $killTtl);
unset($kill['keys']);
$results['kill'] = $kill;
printf("killed holding %d; sold %d, free %d, still held %d, lost %d, sold + free = %d of %d%s\n", $kill['killed_holding'],
    $kill['sold'], $kill['free'], $kill['still_held'], $kill['lost'], $kill['sold_plus_free'], $units,
    $kill['lost'] === 0 && $kill['sold_plus_free'] === $units && $kill['oversold'] === 0 ? '' : '  <-- WRONG');

bench_save('flash-sale', $results, sale_markdown($results));
