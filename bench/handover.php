<?php
/*
 * What a waiter pays when the lock is released, against one redis-server: the
 * loopback round trip, the wake floor (a blocked phpredis subscriber woken by a
 * PUBLISH from another process), rlock's hand-over from a releasing process to a
 * queued one; then 8, 32 and 96 waiters on an RLock and on a 1-permit
 * RLockSemaphore: throughput, and Redis CPU and commands per acquisition (which
 * must not grow with the waiters). Prints the table, writes bench/out/handover.json
 * and its block in docs/proof.md.
 *
 *   php bench/handover.php URI [--quick]   (bench/run sets everything up)
 */
require __DIR__ . '/locks.php';
require __DIR__ . '/procs.php';

$uri = $argv[1] ?? 'redis://127.0.0.1:6379';
$quick = in_array('--quick', $argv, true);
$samples = $quick ? 300 : 1000;
$seconds = $quick ? 1 : 5;
const HOLD_US = 1000;
const WORK_US = 2000;

/** Median of $n PINGs, µs. */
function ping_median(Redis $r, int $n): float
{
    $rtts = [];
    for ($i = 0; $i < $n + 100; $i++) {
        $t = hrtime(true);
        $r->ping();
        $rtts[] = (hrtime(true) - $t) / 1000;
    }
    return bench_median(array_slice($rtts, 100)); // the first ones warm up
}

/** µs from just before publish() to a blocked subscriber's callback in another process, $n times. */
function wake_floor(string $uri, int $n): array
{
    $channel = 'bench:wake:' . bin2hex(random_bytes(4));
    [$pid, $socket] = bench_spawn(function ($socket) use ($uri, $channel) {
        phpredis_connect($uri)->subscribe([$channel], function ($redis, $channel, $sent) use ($socket) {
            fwrite($socket, (hrtime(true) - (int) $sent) . "\n");
        });
    });
    $pub = phpredis_connect($uri);
    while (($pub->pubsub('numsub', [$channel])[$channel] ?? 0) < 1) {
        usleep(1000);
    }
    $waits = [];
    for ($i = 0; $i < $n + 20; $i++) {
        usleep(3000); // the subscriber is asleep in its read by now
        $pub->publish($channel, (string) hrtime(true));
        $waits[] = (int) fgets($socket) / 1000;
    }
    posix_kill($pid, SIGKILL);
    pcntl_waitpid($pid, $status);
    return array_slice($waits, 20);
}

/**
 * One side of the hand-over: takes turns with the other process, holding then
 * waiting. The holder waits until the other is queued, then 3 ms more, then releases;
 * the other, woken in acquire(), measures from the holder's stamp to its own.
 */
function handover_side(string $uri, string $name, $socket, bool $first, int $n): array
{
    $lock = new RLock($name, ['servers' => $uri, 'ttl' => 30000]);
    $r = phpredis_connect($uri);
    $holding = $first;
    if ($first && !$lock->acquire()) {
        throw new RuntimeException('the first acquire failed');
    }
    fwrite($socket, "go\n"); // each side waits for the other to be set up
    fgets($socket);
    $times = [];
    for ($k = 0; $k < $n; $k++) {
        if ($holding) {
            while ($r->zCard("rlock:{{$name}}:q") < 1) {
                usleep(100);
            }
            usleep(3000);
            $t = hrtime(true);
            $lock->release();
            fwrite($socket, "$t\n");
            fgets($socket); // it holds the lock now: our acquire() will queue
        } else {
            if (!$lock->acquire(10000)) {
                throw new RuntimeException('no hand-over in 10 s');
            }
            $t = hrtime(true);
            $times[] = ($t - (int) fgets($socket)) / 1000;
            fwrite($socket, "ok\n");
        }
        $holding = !$holding;
    }
    if ($holding) {
        $lock->release();
    }
    return $times;
}

/** µs of $n hand-overs between two processes, half each way. */
function handover_times(string $uri, int $n): array
{
    $name = 'bench:handover:' . bin2hex(random_bytes(4));
    [$pid, $socket] = bench_spawn(function ($socket) use ($uri, $name, $n) {
        fwrite($socket, json_encode(handover_side($uri, $name, $socket, false, $n + 20)) . "\n");
    });
    $ours = handover_side($uri, $name, $socket, true, $n + 20);
    $theirs = bench_read_result($socket);
    pcntl_waitpid($pid, $status);
    return array_merge(array_slice($ours, 10), array_slice($theirs, 10));
}

/** [Redis CPU seconds, commands processed (a script's commands counted too)]: the work done in Redis. */
function redis_work(Redis $r): array
{
    $cpu = $r->info('cpu');
    return [$cpu['used_cpu_sys'] + $cpu['used_cpu_user'], $r->info('stats')['total_commands_processed']];
}

/** $n processes: take ($kind: RLock or a 1-permit RLockSemaphore), hold 1 ms, release, 2 ms of other work. */
function contended(Redis $observer, string $uri, string $kind, int $n, int $seconds): array
{
    $name = 'bench:contended:' . bin2hex(random_bytes(4));
    if ($kind === 'semaphore') {
        (new RLockSemaphore($name, ['servers' => $uri]))->addPermits(1);
    }
    $before = [];
    $results = bench_fork($n, function (int $w, callable $gun) use ($uri, $kind, $name, $seconds) {
        $options = ['servers' => $uri, 'ttl' => 30000];
        [$take, $give] = $kind === 'semaphore'
            ? [fn($s) => $s->acquire("w$w", 1, 30000), fn($s) => $s->release("w$w")]
            : [fn($l) => $l->acquire(30000), fn($l) => $l->release()];
        $lock = $kind === 'semaphore' ? new RLockSemaphore($name, $options) : new RLock($name, $options);
        $take($lock); // connected, scripts loaded: the CPU measured is the acquisitions'
        $give($lock);
        $end = $gun() + $seconds * 1_000_000_000;
        $in = $all = 0;
        while (hrtime(true) < $end) {
            if (!$take($lock)) {
                throw new RuntimeException("$kind: no lock in 30 s");
            }
            $in += hrtime(true) < $end; // counted in the rate when taken inside the window
            $all++;
            usleep(HOLD_US);
            $give($lock);
            usleep(WORK_US);
        }
        return ['in' => $in, 'all' => $all];
    }, function () use ($observer, &$before) {
        $before = redis_work($observer);
    });
    $after = redis_work($observer);
    $all = array_sum(array_column($results, 'all'));
    return ['acq_per_s' => array_sum(array_column($results, 'in')) / $seconds,
        'redis_cpu_us_per_acq' => ($after[0] - $before[0]) * 1e6 / $all,
        'commands_per_acq' => ($after[1] - $before[1] - 2) / $all, 'acquisitions' => $all]; // 2: INFOs of ours
}

function handover_markdown(array $r): string
{
    $md = sprintf("Measured by `bench/run` on %s, Redis %s, PHP %s, %s.\n\n", $r['machine'], $r['redis'], $r['php'],
        $r['when']);
    $md .= sprintf("| loopback PING | wake floor | rlock hand-over | hand-over ÷ wake floor (goal ≤ 1.2×) |\n"
        . "|---:|---:|---:|---:|\n| %.0f µs | %.0f µs | %.0f µs | %.2f× |\n\n", $r['ping_us'], $r['wake_floor_us'],
        $r['handover_us'], $r['handover_us'] / $r['wake_floor_us']);
    $md .= sprintf("Contended, %d s each: 1 ms held, 2 ms of other work; ideal = 1 / (hold + wake floor) = %.0f/s.\n\n",
        $r['seconds'], $r['ideal_per_s']);
    $md .= "| lock | waiters | acquisitions/s | ÷ ideal (goal ≥ 0.9×) | Redis CPU per acquisition | Redis commands per"
        . " acquisition |\n|---|---:|---:|---:|---:|---:|\n";
    foreach ($r['contended'] as $kind => $rows) {
        foreach ($rows as $n => $x) {
            $md .= sprintf("| %s | %d | %.0f | %.2f× | %.1f µs | %.1f |\n", $kind, $n, $x['acq_per_s'],
                $x['acq_per_s'] / $r['ideal_per_s'], $x['redis_cpu_us_per_acq'], $x['commands_per_acq']);
        }
    }
    return $md;
}

$observer = phpredis_connect($uri);
$results = bench_about($observer) + ['samples' => $samples, 'seconds' => $seconds];
bench_pin(true);
$results['ping_us'] = ping_median($observer, 2000);
bench_pin(false); // two processes from here on: every CPU
$floor = $handovers = [];
for ($block = 0; $block < 5; $block++) { // interleaved: a load that comes and goes weighs on both alike
    $floor = array_merge($floor, wake_floor($uri, intdiv($samples, 5)));
    $handovers = array_merge($handovers, handover_times($uri, intdiv($samples, 5)));
}
$results['wake_floor_us'] = bench_median($floor);
$results['handover_us'] = bench_median($handovers);
$results['ideal_per_s'] = 1e6 / (HOLD_US + $results['wake_floor_us']);
printf("== hand-over (medians of %d): PING %.0f us, wake floor %.0f us, rlock hand-over %.0f us: %.2fx the floor"
    . " (goal <= 1.2x)\n", $samples, $results['ping_us'], $results['wake_floor_us'], $results['handover_us'],
    $results['handover_us'] / $results['wake_floor_us']);
printf("== contended, %d s each: 1 ms held, 2 ms other work; ideal 1 / (hold + wake floor) = %.0f/s\n", $seconds,
    $results['ideal_per_s']);
printf("%-10s %8s %10s %9s %18s %14s\n", 'lock', 'waiters', 'acq/s', '/ ideal', 'Redis CPU/acq', 'commands/acq');
foreach (['RLock', 'semaphore'] as $kind) {
    foreach ([8, 32, 96] as $n) {
        $x = $results['contended'][$kind][$n] = contended($observer, $uri, $kind, $n, $seconds);
        printf("%-10s %8d %10.0f %8.2fx %15.1f us %14.1f\n", $kind, $n, $x['acq_per_s'],
            $x['acq_per_s'] / $results['ideal_per_s'], $x['redis_cpu_us_per_acq'], $x['commands_per_acq']);
    }
}

bench_save('handover', $results, handover_markdown($results));
