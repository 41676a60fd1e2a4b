<?php
/*
 * Shared by bench/flash-sale.php and bench/handover.php: forked processes (one child
 * on a socket, or a crowd that waits for one start gun), and where results go. Each
 * child opens its own connections after the fork (rlock reconnects in a child anyway;
 * phpredis would share the parent's socket); its result comes back as JSON.
 */
require_once dirname(__DIR__) . '/tools/lib/readme-block.php';

/** Forks a child that runs $fn($socket) and exits; the parent gets [pid, its end of the socket]. */
function bench_spawn(callable $fn): array
{
    [$ours, $theirs] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
    $pid = pcntl_fork();
    if ($pid < 0) {
        throw new RuntimeException('fork failed');
    }
    if ($pid === 0) {
        fclose($ours);
        $status = 0;
        try {
            $fn($theirs);
        } catch (Throwable $e) {
            fwrite($theirs, json_encode(['error' => get_class($e) . ': ' . $e->getMessage()]) . "\n");
            $status = 1;
        }
        exit($status);
    }
    fclose($theirs);
    return [$pid, $ours];
}

/** A child's JSON line, or an exception naming what went wrong in it. */
function bench_read_result($socket): array
{
    $result = json_decode((string) fgets($socket), true);
    if (!is_array($result) || isset($result['error'])) {
        throw new RuntimeException('a child failed: ' . ($result['error'] ?? 'no result'));
    }
    return $result;
}

/**
 * Runs $fn($w, $gun) in $n children, $w = 0..n-1. Each child sets up, then calls $gun(),
 * which returns the common start (hrtime ns) once every child is ready; $atGun runs in
 * the parent just before it fires. Returns what each $fn returned (arrays), in order.
 */
function bench_fork(int $n, callable $fn, ?callable $atGun = null): array
{
    $children = [];
    for ($w = 0; $w < $n; $w++) {
        $children[] = bench_spawn(function ($socket) use ($fn, $w) {
            $gun = function () use ($socket): int {
                fwrite($socket, "ready\n");
                $line = fgets($socket);
                if ($line === false) {
                    exit(1); // the parent gave up (another child failed)
                }
                $start = (int) $line;
                while (hrtime(true) < $start) {
                    usleep(100);
                }
                return $start;
            };
            fwrite($socket, json_encode($fn($w, $gun)) . "\n");
        });
    }
    foreach ($children as [, $socket]) {
        if (fgets($socket) !== "ready\n") {
            bench_read_result($socket); // throws with the child's error
        }
    }
    if ($atGun) {
        $atGun();
    }
    $start = hrtime(true) + 20_000_000; // every child reads it in time
    foreach ($children as [, $socket]) {
        fwrite($socket, "$start\n");
    }
    $results = [];
    foreach ($children as [$pid, $socket]) {
        $results[] = bench_read_result($socket);
        pcntl_waitpid($pid, $status);
        fclose($socket);
    }
    return $results;
}

/** Single-process runs on the CPU bench/run keeps free of redis-servers, or back on every CPU (as bench.php does). */
function bench_pin(bool $pinned): void
{
    $cpu = getenv('RLOCK_BENCH_CLIENT_CPU');
    if ($cpu !== false) {
        $cpus = $pinned ? $cpu : '0-' . (trim((string) shell_exec('nproc')) - 1);
        exec('taskset -pc ' . escapeshellarg($cpus) . ' ' . getmypid() . ' > /dev/null');
    }
}

function bench_median(array $values): float
{
    sort($values);
    return (float) $values[intdiv(count($values), 2)];
}

/** What a run was measured on, for the JSON and the tables. */
function bench_about(Redis $observer): array
{
    return ['machine' => php_uname('n') . ', ' . trim((string) shell_exec('nproc')) . ' cores',
        'redis' => $observer->info('server')['redis_version'], 'php' => PHP_VERSION, 'when' => date('Y-m-d H:i')];
}

/** Writes bench/out/$name.json and the $name block of docs/proof.md. */
function bench_save(string $name, array $results, string $markdown): void
{
    $out = __DIR__ . '/out';
    @mkdir($out, 0777, true);
    file_put_contents("$out/$name.json", json_encode($results, JSON_PRETTY_PRINT) . "\n");
    readme_replace_block(dirname(__DIR__) . '/docs/proof.md', $name, $markdown);
    echo "\nwrote $out/$name.json and the $name table in docs/proof.md\n";
}
