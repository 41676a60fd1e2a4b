--TEST--
RLockIdempotency with 8+ processes: one run per key, the same answer for all; crash of the first runner; each on_error mode
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$procs = 10;

/** $procs processes call run() on one key at once; each reports what it got. */
function duplicates(TestRedis $redis, int $procs, string $key, array $opts, callable $work): array
{
    $redis->cmd('DEL', 'answers', 'runs');
    $pids = [];
    for ($i = 0; $i < $procs; $i++) {
        $pids[] = fork_child(function () use ($redis, $key, $opts, $work, $i) {
            $idem = new RLockIdempotency('payments', $redis->opts($opts));
            try {
                $answer = 'value ' . json_encode($idem->run($key, fn() => $work($redis, $i)));
            } catch (Throwable $e) {
                $answer = get_class($e) . ' ' . $e->getMessage();
            }
            $redis->cmd('RPUSH', 'answers', $answer);
        });
    }
    foreach ($pids as $pid) {
        pcntl_waitpid($pid, $status);
    }
    $answers = array_count_values($redis->cmd('LRANGE', 'answers', '0', '-1'));
    ksort($answers);
    return [(int) $redis->cmd('GET', 'runs'), $answers];
}

function show(array $result): void
{
    [$runs, $answers] = $result;
    echo "runs: $runs\n";
    foreach ($answers as $answer => $count) {
        echo "  $count x $answer\n";
    }
}

$charge = function (TestRedis $redis, int $i) {
    $redis->cmd('INCR', 'runs');
    usleep(200000); // the payment gateway
    return ['paid' => true, 'order' => 1001];
};

echo "-- $procs concurrent duplicates that wait: one charge, the same answer for all\n";
show(duplicates($redis, $procs, 'order:1001', ['wait' => 10000], $charge));
echo "-- duplicates that do not wait are told to retry\n";
// The first runner works until every duplicate has been told to retry: a duplicate that a
// busy machine started late would otherwise find the result stored and replay it.
$chargeUntilAllAsked = function (TestRedis $redis, int $i) use ($procs) {
    $redis->cmd('INCR', 'runs');
    await(fn() => $redis->cmd('LLEN', 'answers') >= $procs - 1);
    return ['paid' => true, 'order' => 1001];
};
[$runs, $answers] = duplicates($redis, $procs, 'order:1002', ['wait' => 0], $chargeUntilAllAsked);
echo "runs: $runs, answers: ", implode(' | ', array_unique(array_map(fn($a) => preg_replace('/\d+ ms/', 'N ms', $a), array_keys($answers)))), "\n";

echo "-- the first runner is killed mid-run: after its lease, exactly one duplicate runs\n";
$pid = fork_child(function () use ($redis) {
    $idem = new RLockIdempotency('payments', $redis->opts(['lease' => 600]));
    $idem->run('order:1003', function () use ($redis) {
        $redis->cmd('SET', 'crasher-running', '1');
        sleep(60);
    });
});
await(fn() => $redis->cmd('GET', 'crasher-running'));
exec("kill -9 $pid");
pcntl_waitpid($pid, $status);
show(duplicates($redis, $procs, 'order:1003', ['wait' => 10000, 'lease' => 600], $charge));

$fail = function (TestRedis $redis, int $i) {
    $redis->cmd('INCR', 'runs');
    usleep(100000);
    throw new DomainException('card declined', 402);
};
foreach (['release', 'store'] as $policy) {
    echo "-- on_error $policy\n";
    // with release the duplicates run one after another: the last waits for nine runs
    show(duplicates($redis, $procs, "order:fail-$policy", ['wait' => 30000, 'on_error' => $policy, 'lease' => 800], $fail));
    echo "state: ", var_export((new RLockIdempotency('payments', $redis->opts()))->state("order:fail-$policy"), true), "\n";
}

echo "-- on_error keep: outcome unknown, so the claim holds until its lease ends; then a retry runs\n";
$redis->cmd('DEL', 'runs');
$lease = scaled(500, 2000); // "at once" must come while the kept claim lasts
$keep = new RLockIdempotency('payments', $redis->opts(['on_error' => 'keep', 'lease' => $lease]));
foreach (['first run', 'at once', 'after the lease'] as $when) {
    if ($when === 'after the lease') {
        usleep(($lease + 200) * 1000);
    }
    try {
        $keep->run('order:fail-keep', fn() => $fail($redis, 0));
    } catch (Exception $e) {
        echo str_pad($when, 16), get_class($e), ", state ", $keep->state('order:fail-keep'), "\n";
    }
}
echo "runs: ", $redis->cmd('GET', 'runs'), "\n";

echo "-- exit() or a fatal error inside the work: outcome unknown, the claim ends with its lease (not renewed forever)\n";
// The kept claim must outlast the child's exit, which valgrind makes slow (its leak check).
$lease = scaled(2000, 6000);
foreach (['release' => 'exit(3);', 'keep' => 'undefined_function();'] as $policy => $end) {
    [$code, $out] = run_php('<?php
$idem = new RLockIdempotency("payments", ["servers" => getenv("URI"), "on_error" => "' . $policy . '", "lease" => ' . $lease . ']);
$idem->run("order:ended-' . $policy . '", function () { ' . $end . ' });', [], ['URI' => $redis->uri()]);
    $state = fn() => (new RLockIdempotency('payments', $redis->opts()))->state("order:ended-$policy");
    $atOnce = $state();
    await(fn() => $state() === null, 3 * $lease / 1000 + 5); // not renewed by anyone: it ends
    echo "$policy: at once ", var_export($atOnce, true), ", after the lease ", var_export($state(), true), "\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- 10 concurrent duplicates that wait: one charge, the same answer for all
runs: 1
  10 x value {"paid":true,"order":1001}
-- duplicates that do not wait are told to retry
runs: 1, answers: RLockInProgressException key "order:1002" is being processed by another request; retry in N ms | value {"paid":true,"order":1001}
-- the first runner is killed mid-run: after its lease, exactly one duplicate runs
runs: 1
  10 x value {"paid":true,"order":1001}
-- on_error release
runs: 10
  10 x DomainException card declined
state: NULL
-- on_error store
runs: 1
  10 x DomainException card declined
state: 'failed'
-- on_error keep: outcome unknown, so the claim holds until its lease ends; then a retry runs
first run       DomainException, state running
at once         RLockInProgressException, state running
after the lease DomainException, state running
runs: 2
-- exit() or a fatal error inside the work: outcome unknown, the claim ends with its lease (not renewed forever)
release: at once 'running', after the lease NULL
keep: at once 'running', after the lease NULL
