<?php
/* The torture run (tools/torture runs this): starts a throwaway redis-server
 * (AOF, fsync always), lets the driver run the workers and inject faults,
 * then has the checker judge the ledger and Redis, prints the counts, each
 * rule's verdict and "N passed, N failed"; exits 1 on any violation.
 *
 *   main.php [--seed N] [--seconds N] [--workers N] [--sabotage[=lock,steal,idem,crash]]
 */
require __DIR__ . '/../../../tests/inc/server.inc';
require __DIR__ . '/ledger.php';
require __DIR__ . '/driver.php';
require __DIR__ . '/history.php';
require __DIR__ . '/checker.php';
require __DIR__ . '/redis-audit.php';
require __DIR__ . '/report.php';

const SABOTAGE_ALL = ['lock', 'steal', 'idem', 'crash'];

function parse_args(array $argv): array
{
    $args = ['seed' => random_int(1, 2 ** 31 - 1), 'seconds' => 60, 'workers' => 12, 'sabotage' => []];
    for ($i = 1; $i < count($argv); $i++) {
        if (preg_match('/^--(seed|seconds|workers)$/', $argv[$i], $m) && isset($argv[$i + 1]) && preg_match('/^\d+$/', $argv[$i + 1])) {
            $args[$m[1]] = (int) $argv[++$i];
        } elseif (preg_match('/^--sabotage(?:=([a-z,]+))?$/', $argv[$i], $m)) {
            $args['sabotage'] = isset($m[1]) ? explode(',', $m[1]) : SABOTAGE_ALL;
        } else {
            fwrite(STDERR, "usage: tools/torture [--seed N] [--seconds N] [--workers N] [--sabotage[=lock,steal,idem,crash]]\n");
            exit(2);
        }
    }
    if (array_diff($args['sabotage'], SABOTAGE_ALL) || $args['workers'] < 2 || $args['seconds'] < 1) {
        fwrite(STDERR, "bad --sabotage, --workers (>= 2) or --seconds (>= 1)\n");
        exit(2);
    }
    return $args;
}

/** The php command line of a worker: rlock, phpredis (for the sabotaged stand-ins), posix; every error shown. */
function worker_command(): array
{
    $cmd = [PHP_BINARY, '-n', '-d', 'extension=' . getenv('RLOCK_SO'), '-d', 'extension=igbinary', '-d', 'extension=redis',
        '-d', 'extension=posix', '-d', 'display_errors=stderr', '-d', 'log_errors=0', '-d', 'error_reporting=-1'];
    return array_merge($cmd, [__DIR__ . '/worker.php']);
}

$runDir = getenv('TORTURE_DIR');
if (!$runDir || !getenv('RLOCK_SO')) {
    fwrite(STDERR, "run tools/torture, which sets TORTURE_DIR and RLOCK_SO\n");
    exit(2);
}
$args = parse_args($argv);
echo "seed {$args['seed']}\n";
exec('rm -rf ' . escapeshellarg($runDir));
mkdir($runDir, 0777, true);
$scope = "torture-{$args['seed']}";
$redisConfig = ['appendonly' => 'yes', 'appendfsync' => 'always'];
$driver = null;
register_shutdown_function(function () use (&$driver) {
    $driver?->cleanup(); // registered before the server's own stop(), so the workers go first
});
$redis = TestRedis::start('torture', $redisConfig);
$ledgerPath = "$runDir/ledger.jsonl";
$ledger = new Ledger($ledgerPath, 'driver');
$ledger->append('start', $args + ['port' => $redis->port]);
$driver = new Driver($ledger, $redis, $redisConfig, worker_command(),
    [$ledgerPath, $redis->port, $scope, implode(',', $args['sabotage'])], $runDir, $args['seed']);
pcntl_async_signals(true);
foreach ([SIGINT, SIGTERM, SIGHUP] as $signal) {
    pcntl_signal($signal, fn() => exit(130)); // exit() runs the shutdown functions: workers, then Redis
}
echo "redis-server on port {$redis->port}, {$args['workers']} workers for {$args['seconds']} s"
    . ($args['sabotage'] ? ', SABOTAGED: ' . implode(',', $args['sabotage']) : '') . "; ledger $ledgerPath\n";
$driver->run($args['workers'], $args['seconds']);

$history = History::read($ledgerPath);
$checker = new Checker($history);
$rules = [
    'rule 1: no two live holders of one name' => $checker->mutualExclusion(),
    'rule 2: fencing tokens increase in entry order' => $checker->fencing(),
    'rule 3: each idempotent effect at most once, completed keys done' =>
        $checker->idempotency(fn($key) => idempotency_state($redis, $scope, $key)),
    'rule 4: nothing left without a TTL but fencing counters' => Checker::leftovers($ttls = redis_ttls($redis)),
    'rule 5: no crash, hang, core, unexpected exception or PHP message' =>
        $checker->crashes(glob("$runDir/workers/*.log"), glob("$runDir/workers/core*")),
];
exit(report($history, $checker, $rules, $args, $ttls, "$runDir/violations.txt") ? 0 : 1);
