--TEST--
exit() and fork inside work: an unwind is "outcome unknown" (never stored, never a second run before the lease ends); a fork child never settles, releases or renews what its parent holds
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$o = $redis->opts();
$lease = 3000; // long enough to look at the claim, short enough to see it end

/* A child php process that claims $key and ends in $body; returns [exit code, what it printed]. */
function ends_inside(TestRedis $redis, string $policy, string $key, string $body, int $lease): array
{
    return run_php('<?php
class Result {
    public function __serialize(): array { if (getenv("WHERE") === "serialize") exit(7); return []; }
    public function __unserialize(array $data): void {}
}
class OldResult {
    public function __sleep(): array { exit(8); }
}
$idem = new RLockIdempotency("pay", ["servers" => getenv("URI"), "on_error" => getenv("POLICY"), "lease" => (int) getenv("LEASE")]);
' . $body, [], ['URI' => $redis->uri(), 'POLICY' => $policy, 'KEY' => $key, 'LEASE' => (string) $lease,
        'WHERE' => str_contains($body, 'new Result') ? 'serialize' : '']);
}
function duplicate(TestRedis $redis, string $key): string
{
    try {
        return 'replayed ' . json_encode((new RLockIdempotency('pay', $redis->opts()))->run($key, fn() => 'ran again'));
    } catch (RLockException $e) {
        return get_class($e);
    }
}

echo "-- exit() inside the work, for each on_error\n";
foreach (['release', 'store', 'keep'] as $policy) {
    [$code] = ends_inside($redis, $policy, "exit-$policy", '$idem->run(getenv("KEY"), function () { exit(3); });', $lease);
    $idem = new RLockIdempotency('pay', $o);
    echo "$policy: exit code $code, state ", var_export($idem->state("exit-$policy"), true),
        ", a duplicate meanwhile: ", duplicate($redis, "exit-$policy"), "\n";
}

[$code] = ends_inside($redis, 'store', 'exit-message', 'class Msg { function __toString(): string { exit(4); } }
class PayFailed extends Exception { function __construct() { parent::__construct("x"); $this->message = new Msg(); } }
$idem->run(getenv("KEY"), function () { throw new PayFailed(); });', $lease);
echo "store, exit() in the failure's message: exit code $code, state ",
    var_export((new RLockIdempotency('pay', $o))->state('exit-message'), true), "\n";

echo "-- exit() inside the result's __serialize() / __sleep()\n";
foreach (['new Result()' => 'serialize', 'new OldResult()' => 'sleep'] as $result => $label) {
    [$code] = ends_inside($redis, 'release', "exit-$label", "\$idem->run(getenv('KEY'), fn() => $result);", $lease);
    echo "$label: exit code $code, state ", var_export((new RLockIdempotency('pay', $o))->state("exit-$label"), true),
        ", a duplicate meanwhile: ", duplicate($redis, "exit-$label"), "\n";
}
[$code] = ends_inside($redis, 'release', 'exit-complete',
    '$idem->begin(getenv("KEY")); $idem->complete(getenv("KEY"), new OldResult());', $lease);
echo "complete(): exit code $code, state ", var_export((new RLockIdempotency('pay', $o))->state('exit-complete'), true), "\n";

echo "-- request end with a begin() never completed, and an object dropped mid-request\n";
[$code] = ends_inside($redis, 'release', 'forgotten', '$idem->begin(getenv("KEY")); exit(0);', $lease);
echo "exit after begin(): state ", var_export((new RLockIdempotency('pay', $o))->state('forgotten'), true), "\n";
(function () use ($o) {
    $idem = new RLockIdempotency('pay', $o + ['on_error' => 'release']);
    $idem->begin('dropped');
})();
echo "dropped mid-request with on_error release: state ", var_export((new RLockIdempotency('pay', $o))->state('dropped'), true), "\n";

echo "-- after the lease, each claim left by an unwind ends and a retry runs\n";
$ended = 0;
foreach (['exit-release', 'exit-store', 'exit-keep', 'exit-message', 'exit-serialize', 'exit-sleep', 'exit-complete', 'forgotten'] as $key) {
    await(fn() => (new RLockIdempotency('pay', $o))->state($key) === null, 3 * $lease / 1000 + 10);
    $ended++;
}
echo "ended: $ended\n";

echo "-- a fork child inside run(): exits, or returns\n";
$idem = new RLockIdempotency('pay', $o + ['lease' => 1000]);
foreach (['exits' => true, 'returns' => false] as $label => $exits) {
    $me = getmypid();
    $result = $idem->run("fork-$label", function () use ($redis, $exits, $label, $me) {
        $pid = pcntl_fork();
        if ($pid === 0 && $exits) {
            exit(0);
        }
        if ($pid === 0) {
            return "child's result";
        }
        pcntl_waitpid($pid, $status);
        // the child is gone; the claim is still ours, renewed by our watchdog past its lease
        usleep(1500000);
        echo "$label: meanwhile ", duplicate($redis, "fork-$label"), "\n";
        return "parent's result";
    });
    if (getmypid() !== $me) {
        $redis->cmd('SET', 'child-saw', json_encode($result));
        exit(0); // the child that returned from run()
    }
    echo "$label: stored ", duplicate($redis, "fork-$label"), "\n";
}
echo "the returning child's run() gave it: ", $redis->cmd('GET', 'child-saw'), "\n";

echo "-- a fork child and a begin() claim\n";
$idem->begin('fork-begin');
$pid = fork_child(function () use ($idem, $redis) {
    try {
        $idem->complete('fork-begin', "child's result");
    } catch (RLockException $e) {
        $redis->cmd('SET', 'child-complete', get_class($e));
    }
    $redis->cmd('SET', 'child-abort', var_export($idem->abort('fork-begin'), true));
});
pcntl_waitpid($pid, $status);
echo "child: complete() ", $redis->cmd('GET', 'child-complete'), ", abort() ", $redis->cmd('GET', 'child-abort'),
    "; state ", $idem->state('fork-begin'), "\n";
$idem->complete('fork-begin', "parent's result");
echo "stored: ", duplicate($redis, 'fork-begin'), "\n";

echo "-- a fork child inside synchronized() exits\n";
$lock = new RLock('order:fork', $o);
$lock->synchronized(function (RLock $l) use ($redis) {
    $pid = pcntl_fork();
    if ($pid === 0) {
        $redis->cmd('SET', 'child-release', var_export($l->release(), true));
        exit(0);
    }
    pcntl_waitpid($pid, $status);
    echo "child's release(): ", $redis->cmd('GET', 'child-release'), ", still ours: ",
        var_export($redis->cmd('GET', 'rlock:{order:fork}') === $l->getToken(), true), "\n";
});
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- exit() inside the work, for each on_error
release: exit code 3, state 'running', a duplicate meanwhile: RLockInProgressException
store: exit code 3, state 'running', a duplicate meanwhile: RLockInProgressException
keep: exit code 3, state 'running', a duplicate meanwhile: RLockInProgressException
store, exit() in the failure's message: exit code 4, state 'running'
-- exit() inside the result's __serialize() / __sleep()
serialize: exit code 7, state 'running', a duplicate meanwhile: RLockInProgressException
sleep: exit code 8, state 'running', a duplicate meanwhile: RLockInProgressException
complete(): exit code 8, state 'running'
-- request end with a begin() never completed, and an object dropped mid-request
exit after begin(): state 'running'
dropped mid-request with on_error release: state NULL
-- after the lease, each claim left by an unwind ends and a retry runs
ended: 8
-- a fork child inside run(): exits, or returns
exits: meanwhile RLockInProgressException
exits: stored replayed "parent's result"
returns: meanwhile RLockInProgressException
returns: stored replayed "parent's result"
the returning child's run() gave it: "child's result"
-- a fork child and a begin() claim
child: complete() RLockException, abort() false; state running
stored: replayed "parent's result"
-- a fork child inside synchronized() exits
child's release(): false, still ours: true
