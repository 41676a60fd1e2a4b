--TEST--
Eviction safety: a Redis whose maxmemory-policy may evict lock keys (allkeys-*, volatile-*, with maxmemory set) is named once per worker and server in the PHP error log; noeviction, or no maxmemory, logs nothing; the lock works either way
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$servers = [
    'allkeys-lru, 100mb' => ['maxmemory' => '100mb', 'maxmemory-policy' => 'allkeys-lru'],
    'volatile-ttl, 100mb' => ['maxmemory' => '100mb', 'maxmemory-policy' => 'volatile-ttl'],
    'noeviction, 100mb' => ['maxmemory' => '100mb', 'maxmemory-policy' => 'noeviction'],
    'allkeys-lru, no maxmemory' => ['maxmemory' => '0', 'maxmemory-policy' => 'allkeys-lru'],
];
$log = sys_get_temp_dir() . '/rlock-eviction-' . getmypid() . '.log';
$n = 0;
foreach ($servers as $what => $config) {
    $redis = TestRedis::start(__FILE__ . '.node' . $n++, $config);
    @unlink($log);
    // one worker: two locks, and a reconnect after CLIENT KILL: one line
    [$exit, $out] = run_php('<?php
$o = ["servers" => getenv("URI")];
$a = new RLock("a", $o); $b = new RLock("b", $o);
$ok = $a->acquire() && $a->release() && $b->acquire() && $b->release();
exec("redis-cli -p " . parse_url(getenv("URI"), PHP_URL_PORT) . " CLIENT KILL TYPE normal > /dev/null");
$ok = $ok && $a->acquire() && $a->release(); // reconnects: still logged once
echo $ok ? "locked, connects: " . RLock::stats()["connects"] : "FAILED";', ['error_log' => $log, 'log_errors' => '1'], ['URI' => $redis->uri()]);
    $lines = is_file($log) ? array_values(array_filter(file($log), fn($l) => str_contains($l, 'maxmemory-policy'))) : [];
    echo str_pad($what, 28), "$out; log lines: ", count($lines),
        $lines ? ": " . preg_replace(['/^\[[^]]*\] /', '/127\.0\.0\.1:\d+/'], ['', 'HOST:PORT'], trim($lines[0])) : '', "\n";
    $redis->stop();
}
@unlink($log);
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
allkeys-lru, 100mb          locked, connects: 2; log lines: 1: rlock: Redis at redis://HOST:PORT/0 has maxmemory-policy allkeys-lru: under memory pressure it evicts lock keys, and an evicted lock is a lock another process can take; set maxmemory-policy noeviction for the locks' Redis (see rlock's docs/guarantees.md)
volatile-ttl, 100mb         locked, connects: 2; log lines: 1: rlock: Redis at redis://HOST:PORT/0 has maxmemory-policy volatile-ttl: under memory pressure it evicts lock keys, and an evicted lock is a lock another process can take; set maxmemory-policy noeviction for the locks' Redis (see rlock's docs/guarantees.md)
noeviction, 100mb           locked, connects: 2; log lines: 0
allkeys-lru, no maxmemory   locked, connects: 2; log lines: 0
