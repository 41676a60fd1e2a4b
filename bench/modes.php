<?php
/*
 * Acquire + release latency per deployment: one server, Redlock over 3 and 5
 * independent masters, a 3-master Redis Cluster — rlock and, for each, the peer
 * a PHP team would reach for: phpredis by hand on one server or on RedisCluster,
 * Symfony's CombinedStore (ConsensusStrategy) over several masters.
 */

/** label => fn(lock name) => BenchLock, for the servers bench/run started. */
function bench_modes(string $single, array $masters, string $clusterSeed): array
{
    $seed = parse_url($clusterSeed);
    $modes = [
        'one server: rlock' => fn($name) => new RLockBench($single, $name),
        'one server: phpredis by hand' => fn($name) => new PhpredisPollBench(phpredis_connect($single), $name, 1000),
    ];
    foreach ([3, 5] as $n) {
        $uris = array_slice($masters, 0, $n);
        $modes["Redlock, $n masters: rlock"] = fn($name) => new RLockBench($single, $name, ['servers' => $uris]);
        $modes["Redlock, $n masters: Symfony CombinedStore"] = fn($name) => new SymfonyBench($uris, $name);
    }
    $modes['Cluster, 3 masters: rlock'] = fn($name) => new RLockBench($single, $name, ['cluster' => $clusterSeed]);
    $modes['Cluster, 3 masters: phpredis RedisCluster by hand'] = fn($name) => new PhpredisPollBench(
        new RedisCluster(null, ["{$seed['host']}:{$seed['port']}"], 1.0, 1.0, true), $name, 1000);
    return $modes;
}

/** Per mode: pairs/s (median of $runs interleaved runs), p50 and p99 of every pair's latency in µs. */
function bench_measure_modes(array $modes, int $pairs, int $runs): array
{
    $rates = $latencies = [];
    $locks = [];
    foreach ($modes as $label => $make) {
        // many names: in a cluster they spread over every master, as real lock names do
        for ($k = 0; $k < 16; $k++) {
            $locks[$label][] = $lock = $make("bench:mode:$k:" . bin2hex(random_bytes(3)));
            for ($i = 0; $i < 20; $i++) { // warm up: connections, scripts
                $lock->tryAcquire();
                $lock->release();
            }
        }
    }
    for ($r = 0; $r < $runs; $r++) {
        foreach ($locks as $label => $set) {
            $t0 = hrtime(true);
            for ($i = 0; $i < $pairs; $i++) {
                $lock = $set[$i & 15];
                $t = hrtime(true);
                if (!$lock->tryAcquire()) {
                    throw new RuntimeException("$label: an uncontended acquire failed");
                }
                $lock->release();
                $latencies[$label][] = (hrtime(true) - $t) / 1000;
            }
            $rates[$label][] = $pairs / ((hrtime(true) - $t0) / 1e9);
        }
    }
    $results = [];
    foreach ($rates as $label => $r) {
        sort($r);
        $l = $latencies[$label];
        sort($l);
        $results[$label] = ['pairs_per_s' => $r[intdiv(count($r), 2)], 'p50_us' => percentile($l, 0.50),
            'p99_us' => percentile($l, 0.99)];
    }
    return $results;
}
