<?php
/*
 * Load on the e2e shop: nginx + php-fpm (4 workers) + redis-server, wrk driving
 * order / pay / notify with every request sent twice, for each guard in the
 * same run: rlock, phpredis by hand (persistent connections), Symfony Lock.
 * Then counts Redis' connections: one per php-fpm worker, however many requests.
 * Prints a table, writes e2e/out/load.json and the README's e2e table.
 *
 *   php e2e/load.php [--quick]        (tools/e2e-load sets everything up)
 */
require __DIR__ . '/lib/stack.php';
require __DIR__ . '/app/ledger.php';

$quick = in_array('--quick', $argv, true);
$seconds = $quick ? 3 : 15;
$workers = 4;
$stack = new E2EStack($workers);
$stack->start();
$ledger = new Ledger("{$stack->dir}/ledger.sqlite");
$results = ['machine' => php_uname('n') . ', ' . trim((string) shell_exec('nproc')) . ' cores', 'when' => date('Y-m-d H:i'),
    'seconds' => $seconds, 'workers' => $workers, 'wrk' => '2 threads, 8 connections'];

printf("== %d s of wrk per guard, 2 threads x 8 connections, php-fpm with %d workers\n", $seconds, $workers);
printf("%-22s %10s %9s %9s %8s %8s %10s %9s\n", 'guard', 'req/s', 'p50', 'p99', 'non-2xx', 'orders', 'dup orders', 'dup pays');
foreach (['rlock', 'phpredis', 'symfony'] as $kind) {
    $before = $stack->redis()->info('stats')['total_connections_received'];
    $json = shell_exec(sprintf('E2E_KIND=%s wrk -t2 -c8 -d%ds -s %s http://127.0.0.1:%d 2>&1', $kind, $seconds,
        escapeshellarg(__DIR__ . '/wrk/checkout.lua'), $stack->httpPort));
    if (!preg_match('/^\{.*\}$/m', (string) $json, $m)) {
        throw new RuntimeException("wrk failed: $json");
    }
    $run = json_decode($m[0], true);
    $audit = $ledger->audit();
    $run['rps'] = $run['requests'] / $run['seconds'];
    $run['non_2xx'] = $run['requests'] - ($run['statuses']['200'] ?? 0);
    $run['audit'] = $audit;
    $run['new_connections'] = $stack->redis()->info('stats')['total_connections_received'] - $before - 1;
    $results['load'][$kind] = $run;
    printf("%-22s %10.0f %7.1fms %7.1fms %8d %8d %10d %9d\n", $kind, $run['rps'], $run['p50_ms'], $run['p99_ms'],
        $run['non_2xx'], $audit['orders'], $audit['duplicate_orders'], $audit['double_payments']);
    $ledger->db()->exec('DELETE FROM orders; DELETE FROM payments; DELETE FROM confirmations');
}

// Who is connected now: rlock names its connections rlock-<pid> (and rlock-watchdog-<pid>).
$clients = $stack->redis()->client('list');
$pids = $stack->fpmWorkers();
$own = $subscribers = $watchdog = 0;
foreach ($clients as $client) {
    foreach ($pids as $pid) {
        // the wake-up subscriber of a worker that has waited carries the same name, in pub/sub mode (flag P)
        $own += $client['name'] === "rlock-$pid" && !str_contains($client['flags'], 'P');
        $subscribers += $client['name'] === "rlock-$pid" && str_contains($client['flags'], 'P');
        $watchdog += $client['name'] === "rlock-watchdog-$pid";
    }
}
$results['connections'] = ['workers' => count($pids), 'rlock' => $own, 'subscribers' => $subscribers, 'watchdog' => $watchdog,
    'requests' => $results['load']['rlock']['requests'], 'opened_during_rlock_run' => $results['load']['rlock']['new_connections']];
printf("\nRedis connections from rlock after %d requests: %d for %d php-fpm workers, plus %d wake-up subscribers"
    . " and %d watchdog threads; %d opened during the rlock run\n", $results['connections']['requests'], $own, count($pids),
    $subscribers, $watchdog, $results['connections']['opened_during_rlock_run']);

@mkdir(__DIR__ . '/out', 0777, true);
file_put_contents(__DIR__ . '/out/load.json', json_encode($results, JSON_PRETTY_PRINT) . "\n");
require __DIR__ . '/report.php';
e2e_report_load($results, dirname(__DIR__) . '/docs/proof.md');
