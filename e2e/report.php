<?php
/* Writes the e2e runs' figures into docs/proof.md, between their markers. */
require_once dirname(__DIR__) . '/tools/lib/readme-block.php';

function e2e_report_load(array $r, string $readme): void
{
    $md = sprintf("`tools/e2e-load` on %s, %s: nginx + php-fpm (%d workers) + redis-server on loopback, wrk %s for"
        . " %d s per guard, every order / pay / notify request sent twice:\n\n", $r['machine'], $r['when'],
        $r['workers'], $r['wrk'], $r['seconds']);
    $md .= "| guard | requests/s | p50 | p99 | non-2xx | orders | duplicate orders | double payments | rlock is |\n";
    $md .= "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    $ours = $r['load']['rlock']['rps'];
    foreach ($r['load'] as $kind => $x) {
        $md .= sprintf("| %s | %.0f | %.1f ms | %.1f ms | %d | %d | %d | %d | %s |\n", $kind, $x['rps'], $x['p50_ms'],
            $x['p99_ms'], $x['non_2xx'], $x['audit']['orders'], $x['audit']['duplicate_orders'],
            $x['audit']['double_payments'], $kind === 'rlock' ? '' : sprintf('%.2f× the throughput', $ours / $x['rps']));
    }
    $c = $r['connections'];
    $md .= sprintf("\nAfter %d requests Redis had %d rlock command connections for %d php-fpm workers (plus %d"
        . " wake-up subscribers of workers that waited, and %d watchdog threads); %d connections were opened during"
        . " the whole rlock run. Non-2xx answers are the app's own (404 a payment for an order not yet created, 409"
        . " busy); raw numbers in `e2e/out/load.json`.\n", $c['requests'], $c['rlock'], $c['workers'],
        $c['subscribers'], $c['watchdog'], $c['opened_during_rlock_run']);
    readme_replace_block($readme, 'e2e-load', $md);
}

function e2e_report_chaos(array $r, string $readme): void
{
    $md = sprintf("`tools/chaos` on %s: %d shoppers for %.0f s, every order, payment and notification sent twice by"
        . " each of them (so 12 copies of each), through nginx + php-fpm (4 workers) to a redis-server in its own"
        . " network namespace, while these faults were injected:\n\n", $r['when'], $r['shoppers'], $r['seconds']);
    foreach ($r['faults'] as $line) {
        $md .= "    $line\n";
    }
    $md .= "\n| answers (retries included) | count |\n|---|---:|\n";
    foreach ($r['answers'] as $k => $n) {
        $md .= "| $k | $n |\n";
    }
    $md .= "\n| ledger (SQLite) | count |\n|---|---:|\n";
    foreach ($r['audit'] as $k => $n) {
        $md .= '| ' . str_replace('_', ' ', $k) . " | $n |\n";
    }
    $md .= "\n";
    foreach ($r['checks'] as $what => $ok) {
        $md .= sprintf("- %s %s\n", $ok ? '✔' : '✘', $what);
    }
    readme_replace_block($readme, 'e2e-chaos', $md);
}
