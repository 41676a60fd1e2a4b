<?php
/* Turns one benchmark run into the table in docs/proof.md and a PNG chart. */
require_once dirname(__DIR__) . '/tools/lib/readme-block.php';

function bench_ratio(float $ours, float $theirs): string
{
    return $theirs > 0 ? sprintf('%.2f×', $ours / $theirs) : '–';
}

/** The markdown that goes between the bench markers of docs/proof.md. */
function bench_markdown(array $r): string
{
    $md = sprintf("Measured by `bench/run` on %s (%s), Redis %s, PHP %s, %s; local redis-servers on loopback,"
        . " one for every single-server figure.\n\n",
        $r['machine'], php_uname('m'), $r['redis'], $r['php'], $r['when']);

    $md .= "**Uncontended** — acquire + release pairs per second in one process:\n\n";
    $md .= "| lock | pairs/s | rlock is |\n|---|---:|---:|\n";
    $ours = $r['uncontended']['rlock'];
    foreach ($r['uncontended'] as $name => $rate) {
        $md .= sprintf("| %s | %.0f | %s |\n", $name, $rate,
            str_starts_with($name, 'rlock') ? '' : bench_ratio($ours, $rate) . ' as fast');
    }
    foreach (['rlock + watchdog', 'rlock + fencing'] as $variant) {
        if (isset($r['uncontended'][$variant])) {
            $md .= sprintf("\n%s costs %.1f%% of rlock's pairs/s (%.1f µs more per pair).", ucfirst(substr($variant, 8)),
                100 * (1 - $r['uncontended'][$variant] / $ours), 1e6 / $r['uncontended'][$variant] - 1e6 / $ours);
        }
    }
    $md .= "\n";

    if (isset($r['modes'])) {
        $md .= "\n**Deployments** — acquire + release in one process on one server, on Redlock masters, on a"
            . " Redis Cluster, against the peer for each (every redis-server on one core, the client on the other;"
            . " on separate hosts a Redlock round trip costs the slowest master's latency, not the sum):\n\n";
        $md .= "| deployment | lock | pairs/s | p50 | p99 | rlock is |\n|---|---|---:|---:|---:|---:|\n";
        foreach ($r['modes'] as $label => $x) {
            [$deployment, $lock] = explode(': ', $label, 2);
            $ours = $r['modes']["$deployment: rlock"]['pairs_per_s'];
            $md .= sprintf("| %s | %s | %.0f | %.0f µs | %.0f µs | %s |\n", $deployment, $lock, $x['pairs_per_s'],
                $x['p50_us'], $x['p99_us'], $lock === 'rlock' ? '' : bench_ratio($ours, $x['pairs_per_s']) . ' as fast');
        }
    }

    if (isset($r['replay'])) {
        $md .= "\n**Idempotency, the duplicate path** — a replay of a completed key (`RLockIdempotency::run()` on a"
            . " key that is done; the closure does not run):\n\n| | replays/s | round trips each |\n|---|---:|---:|\n";
        foreach ($r['replay'] as $name => $x) {
            $md .= sprintf("| %s | %.0f | %.2f |\n", $name, $x['ops_per_s'], $x['trips']);
        }
    }

    $titles = ['with_work' => '1 ms held, 2 ms of other work between acquisitions',
        'no_work' => '1 ms held, no other work (a poller can re-take its own lock)'];
    foreach ($titles as $scenario => $title) {
        $md .= sprintf("\n**Contended** — %d processes × %d acquisitions of one name, %s:\n\n",
            $r['workers'], $r['rounds'], $title);
        $md .= "| lock | acquisitions/s | p50 wait | p99 wait | round trips/acq | Redis commands/acq |\n";
        $md .= "|---|---:|---:|---:|---:|---:|\n";
        foreach ($r[$scenario] as $name => $x) {
            $md .= sprintf("| %s | %.0f | %.1f ms | %.1f ms | %.2f | %.2f |\n", $name, $x['acq_per_s'],
                $x['p50_ms'], $x['p99_ms'], $x['trips_per_acq'], $x['commands_per_acq']);
        }
        $md .= "\n| rlock vs | default: throughput | p99 wait | round trips | fair: throughput | p99 wait | round trips |\n";
        $md .= "|---|---:|---:|---:|---:|---:|---:|\n";
        foreach ($r[$scenario] as $name => $peer) {
            if (str_starts_with($name, 'rlock')) {
                continue;
            }
            $row = "| $name";
            foreach (['rlock', 'rlock fair'] as $ours) {
                $o = $r[$scenario][$ours];
                $row .= sprintf(" | %s | %s | %s", bench_ratio($o['acq_per_s'], $peer['acq_per_s']),
                    bench_ratio($o['p99_ms'], $peer['p99_ms']), bench_ratio($o['trips_per_acq'], $peer['trips_per_acq']));
            }
            $md .= "$row |\n";
        }
    }
    $md .= "\n\"Round trips\" are the commands each client sent; \"Redis commands\" is `total_commands_processed`"
        . " from `INFO stats`, which also counts the commands a Lua script runs inside Redis. Raw numbers:"
        . " `bench/out/results.json`; chart: `bench/out/chart.png`.\n";
    return $md;
}

function bench_chart(array $r, string $out): void
{
    $names = array_keys($r['with_work']);
    $data = '';
    foreach ($names as $i => $name) {
        $data .= sprintf("\"%s\" %.1f %.1f %.2f %.2f\n", $name, $r['with_work'][$name]['acq_per_s'],
            $r['no_work'][$name]['acq_per_s'], $r['with_work'][$name]['p99_ms'], $r['no_work'][$name]['p99_ms']);
    }
    file_put_contents("$out/contended.dat", $data);
    $plot = <<<GP
set terminal png size 1100,480
set output '$out/chart.png'
set multiplot layout 1,2 title "8 processes contending for one lock (1 ms held)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -30
set grid ytics
set title "acquisitions per second (higher is better)"
set yrange [0:*]
plot '$out/contended.dat' using 2:xtic(1) title "2 ms other work", '' using 3 title "no other work"
set title "p99 wait, ms (log scale, lower is better)"
set yrange [1:*]
set logscale y
plot '$out/contended.dat' using 4:xtic(1) title "2 ms other work", '' using 5 title "no other work"
unset multiplot
GP;
    file_put_contents("$out/chart.gp", $plot);
    exec('gnuplot ' . escapeshellarg("$out/chart.gp") . ' 2>&1', $lines, $status);
    if ($status !== 0) {
        fwrite(STDERR, "gnuplot failed: " . implode("\n", $lines) . "\n");
    }
}

function bench_report(array $results, string $out, string $readme): void
{
    bench_chart($results, $out);
    readme_replace_block($readme, 'bench', bench_markdown($results));
}
