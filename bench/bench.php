<?php
/*
 * rlock against the locks PHP code uses today, in one run against one local
 * redis-server: uncontended acquire+release pairs/s in one process, then 8
 * processes contending for one name. Prints the table, writes bench/out/
 * (results.json, chart.png) and the benchmark table in docs/proof.md.
 *
 *   php bench/bench.php URI [--masters=URI,URI,...] [--cluster=SEED] [--quick]
 *   (bench/run sets everything up)
 */
require '/usr/share/php/Symfony/Component/Lock/autoload.php';
require __DIR__ . '/locks.php';
require __DIR__ . '/modes.php';

$uri = $argv[1] ?? 'redis://127.0.0.1:6379';
$masters = $clusterSeed = null;
foreach ($argv as $arg) {
    if (str_starts_with($arg, '--masters=')) {
        $masters = explode(',', substr($arg, 10));
    } elseif (str_starts_with($arg, '--cluster=')) {
        $clusterSeed = substr($arg, 10);
    }
}
$quick = in_array('--quick', $argv, true);
$pairs = $quick ? 2000 : 10000;
$workers = 8;
$rounds = $quick ? 20 : 100;
$out = __DIR__ . '/out';
@mkdir($out, 0777, true);
$observer = phpredis_connect($uri);

function percentile(array $sorted, float $p): float
{
    return $sorted[min(count($sorted) - 1, (int) floor($p * count($sorted)))];
}

/** Single-process runs on the CPU bench/run keeps free of redis-servers (see there), or back on every CPU. */
function pin_client(bool $pinned): void
{
    $cpu = getenv('RLOCK_BENCH_CLIENT_CPU');
    if ($cpu !== false) {
        $cpus = $pinned ? $cpu : '0-' . (trim((string) shell_exec('nproc')) - 1);
        exec('taskset -pc ' . escapeshellarg($cpus) . ' ' . getmypid() . ' > /dev/null');
    }
}

function uncontended(string $uri, string $contender, int $pairs): float
{
    $lock = (bench_contenders() + bench_variants())[$contender]($uri, "bench:solo:$contender");
    for ($i = 0; $i < 200; $i++) { // warm up: connections, scripts
        $lock->tryAcquire();
        $lock->release();
    }
    $t = hrtime(true);
    for ($i = 0; $i < $pairs; $i++) {
        if (!$lock->tryAcquire()) {
            throw new RuntimeException("$contender: an uncontended acquire failed");
        }
        $lock->release();
    }
    return $pairs / ((hrtime(true) - $t) / 1e9);
}

function contended(Redis $observer, string $uri, string $contender, int $workers, int $rounds, int $workUs): array
{
    $name = 'bench:hot:' . bin2hex(random_bytes(4));
    $startAt = microtime(true) + 1.0; // every worker loaded and connected before the gun
    $procs = $outputs = [];
    $before = $observer->info('stats')['total_commands_processed'];
    for ($w = 0; $w < $workers; $w++) {
        // The system php.ini loads phpredis; rlock comes from this build.
        $cmd = [PHP_BINARY, '-d', 'extension=' . getenv('RLOCK_SO'), __DIR__ . '/worker.php',
            $contender, $uri, $name, (string) $rounds, '1000', (string) $workUs, (string) $startAt];
        $procs[] = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $outputs[] = $pipes;
    }
    $results = [];
    foreach ($procs as $i => $proc) {
        $json = stream_get_contents($outputs[$i][1]);
        $err = stream_get_contents($outputs[$i][2]);
        proc_close($proc);
        $result = json_decode($json, true);
        if (!$result) {
            throw new RuntimeException("$contender worker failed: $json $err");
        }
        $results[] = $result;
    }
    // One INFO call of ours is counted too.
    $commands = $observer->info('stats')['total_commands_processed'] - $before - 1;
    $waits = array_merge(...array_column($results, 'waits'));
    sort($waits);
    $total = count($waits);
    $wall = max(array_column($results, 'end')) - min(array_column($results, 'start'));
    return [
        'acq_per_s' => $total / $wall,
        'p50_ms' => percentile($waits, 0.50) / 1000,
        'p99_ms' => percentile($waits, 0.99) / 1000,
        'trips_per_acq' => array_sum(array_column($results, 'trips')) / $total,
        'commands_per_acq' => $commands / $total,
        'acquisitions' => $total,
    ];
}

$contenders = array_keys(bench_contenders());
$results = ['machine' => php_uname('n') . ', ' . trim((string) shell_exec('nproc')) . ' cores',
    'redis' => $observer->info('server')['redis_version'], 'php' => PHP_VERSION, 'when' => date('Y-m-d H:i'),
    'pairs' => $pairs, 'workers' => $workers, 'rounds' => $rounds];

pin_client(true);
echo "== uncontended: acquire+release pairs/s in one process (median of 5 interleaved runs, $pairs pairs each)\n";
$solo = ['rlock' => 'rlock', 'rlock + watchdog' => 'rlock + watchdog', 'rlock + fencing' => 'rlock + fencing',
    'phpredis poll 1ms' => 'phpredis hand-written', 'Symfony Lock' => 'Symfony Lock'];
$runs = [];
for ($r = 0; $r < 5; $r++) {
    foreach ($solo as $contender => $label) {
        $runs[$label][] = uncontended($uri, $contender, $pairs);
    }
}
foreach ($runs as $label => $rates) {
    sort($rates);
    $results['uncontended'][$label] = $rates[2];
    printf("%-24s %10.0f pairs/s\n", $label, $rates[2]);
}

if ($masters && $clusterSeed) {
    $modePairs = $quick ? 300 : 2000;
    echo "== deployments: acquire+release in one process, one server vs Redlock vs Cluster (median of 5 runs, $modePairs pairs each)\n";
    $results['modes'] = bench_measure_modes(bench_modes($uri, $masters, $clusterSeed), $modePairs, 5);
    foreach ($results['modes'] as $label => $m) {
        printf("%-50s %8.0f pairs/s  p50 %6.0f us  p99 %6.0f us\n", $label, $m['pairs_per_s'], $m['p50_us'], $m['p99_us']);
    }
}

echo "== idempotency: the duplicate path, a replay of a completed key ($pairs replays)\n";
$idem = new RLockIdempotency('bench', ['servers' => $uri]);
$stored = ['order' => 1001, 'status' => 'paid', 'items' => [1, 2, 3]];
$idem->run('replayed', fn() => $stored);
$trips = RLock::stats()['commands'];
$t = hrtime(true);
for ($i = 0; $i < $pairs; $i++) {
    $idem->run('replayed', fn() => throw new LogicException('a duplicate must not run'));
}
$results['replay']['rlock'] = ['ops_per_s' => $pairs / ((hrtime(true) - $t) / 1e9),
    'trips' => (RLock::stats()['commands'] - $trips) / $pairs];
// For scale: the cheapest userland replay, one GET of a stored serialize()d value with phpredis.
$observer->set('bench:replayed', serialize($stored));
$t = hrtime(true);
for ($i = 0; $i < $pairs; $i++) {
    unserialize($observer->get('bench:replayed'));
}
$results['replay']['phpredis GET + unserialize'] = ['ops_per_s' => $pairs / ((hrtime(true) - $t) / 1e9), 'trips' => 1.0];
foreach ($results['replay'] as $name => $r) {
    printf("%-28s %10.0f replays/s %6.2f round trips each\n", $name, $r['ops_per_s'], $r['trips']);
}

pin_client(false); // the contending workers get every CPU
foreach (['with_work' => 2000, 'no_work' => 0] as $scenario => $workUs) {
    printf("== contended: %d processes x %d acquisitions of one name, 1 ms held, %s between\n", $workers, $rounds,
        $workUs ? ($workUs / 1000) . ' ms of other work' : 'no other work');
    printf("%-20s %10s %10s %10s %12s %14s\n", 'lock', 'acq/s', 'p50 wait', 'p99 wait', 'trips/acq', 'commands/acq');
    foreach ($contenders as $contender) {
        $r = contended($observer, $uri, $contender, $workers, $rounds, $workUs);
        $results[$scenario][$contender] = $r;
        printf("%-20s %10.0f %8.1fms %8.1fms %12.2f %14.2f\n", $contender, $r['acq_per_s'], $r['p50_ms'],
            $r['p99_ms'], $r['trips_per_acq'], $r['commands_per_acq']);
    }
}

file_put_contents("$out/results.json", json_encode($results, JSON_PRETTY_PRINT) . "\n");
require __DIR__ . '/report.php';
bench_report($results, $out, dirname(__DIR__) . '/docs/proof.md');
echo "\nwrote $out/results.json, $out/chart.png and the benchmark table in docs/proof.md\n";
