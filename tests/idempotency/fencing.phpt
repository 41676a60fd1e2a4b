--TEST--
RLockIdempotency fencing: each claim of a key gets a greater number; a runner frozen (SIGSTOP) past its lease has its write refused by the SQL guard once another took the key over
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif-sqlite.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$o = $redis->opts();
$fenced = $o + ['fencing' => true];
$idem = new RLockIdempotency('jobs', $fenced);

function attempt(callable $fn): void
{
    try {
        $returned = $fn();
        echo "returned ", var_export($returned, true), "\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}

/** Each number greater than the one before. */
function increasing(array $fences): string
{
    for ($i = 1; $i < count($fences); $i++) {
        if (!($fences[$i] > $fences[$i - 1])) {
            return 'no: ' . implode(', ', $fences);
        }
    }
    return 'yes';
}

echo "-- begin(): a claim carries its fence, a duplicate none\n";
$first = $idem->begin('job:1');
echo implode(', ', array_keys($first)), '; a positive int: ', var_export(is_int($first['fence']) && $first['fence'] > 0, true), "\n";
$idem->abort('job:1');
$second = $idem->begin('job:1');
echo "claimed again after abort(): greater ", var_export($second['fence'] > $first['fence'], true), "\n";
$idem->complete('job:1', 'sent');
echo "a duplicate: ", json_encode($idem->begin('job:1')), "\n";
$plain = new RLockIdempotency('jobs', $o);
echo "without the option: ", json_encode($plain->begin('job:2')), ", a counter key: ",
    $redis->cmd('EXISTS', 'rlock:{jobs:job:2}:idem:fence'), "\n";
$plain->abort('job:2');

echo "-- run(): \$fn gets the fence; each claim a greater one, a replay none\n";
$seen = [];
$note = function (int $fence) use (&$seen) { $seen[] = $fence; return $fence; };
echo "returns what \$fn got: ", var_export($idem->run('job:3', $note) === $seen[0], true), "\n";
$releasing = new RLockIdempotency('jobs', $fenced + ['on_error' => 'release']);
foreach (['declined', 'declined', 'ok', 'replayed'] as $outcome) {
    try {
        $releasing->run('job:4', function (int $fence) use ($note, $outcome) {
            $note($fence);
            if ($outcome === 'declined') {
                throw new DomainException('card declined');
            }
            return $outcome;
        });
    } catch (DomainException $e) {
    }
}
echo "claims: ", count($seen), " (3 runs of job:4: two failed and released; the replay ran nothing), increasing: ",
    increasing($seen), "\n";
$keep = new RLockIdempotency('jobs', $fenced + ['on_error' => 'keep', 'lease' => 300]);
try {
    $keep->run('job:5', function (int $fence) use ($note) { $note($fence); throw new DomainException('outcome unknown'); });
} catch (DomainException $e) {
}
await(fn() => $keep->state('job:5') === null);
$keep->run('job:5', $note);
echo "on_error keep, claimed again after the lease: claims ", count($seen), ", increasing ", increasing($seen), "\n";

echo "-- the callable\n";
$args = $idem->run('job:6', fn() => func_get_args());
echo "a closure that declares no parameter gets it as an extra argument: ", count($args),
    ", greater than the last: ", var_export($args[0] > end($seen), true), "\n";
echo "without the option, none: ", json_encode($plain->run('job:7', fn() => func_get_args())), "\n";
echo "an internal function gets it as its argument: ";
var_dump($idem->run('job:8', 'strlen') === strlen((string) $args[0]));
echo "one that takes none is refused before the key is claimed:\n";
attempt(fn() => $idem->run('job:9', 'time'));
attempt(fn() => $idem->run('job:9', [new Exception('x'), 'getMessage']));
attempt(fn() => $idem->run('job:9', Closure::fromCallable('getmypid')));
echo "state: ", var_export($idem->state('job:9'), true), "; without the option it runs: ",
    var_export(is_int($plain->run('job:9', 'time')), true), "\n";

echo "-- the counter: beside the record, kept for retention + lease, never shortened\n";
$record = 'rlock:{jobs:job:10}:idem';
$counter = "$record:fence";
$long = new RLockIdempotency('jobs', $fenced + ['retention' => 600000, 'lease' => 5000]);
$claim = $long->begin('job:10');
echo "holds the last fence: ", var_export((int) $redis->cmd('GET', $counter) === $claim['fence'], true),
    ", ttl within retention + lease: ", var_export($redis->cmd('PTTL', $counter) > 500000 && $redis->cmd('PTTL', $counter) <= 605000, true), "\n";
$long->abort('job:10');
$short = new RLockIdempotency('jobs', $fenced + ['retention' => 1000, 'lease' => 1000]);
$next = $short->begin('job:10')['fence'];
echo "a claim with a shorter retention: greater ", var_export($next > $claim['fence'], true), ", ttl kept: ",
    var_export($redis->cmd('PTTL', $counter) > 500000, true), "\n";

echo "-- a resend of our claim (its reply lost) keeps its number and counts nothing\n";
$script = str_replace('-- include: claim-states.lua', file_get_contents(__DIR__ . '/../../src/lua/claim-states.lua'),
    file_get_contents(__DIR__ . '/../../src/lua/claim.lua'));
$owner = $redis->cmd('HGET', $record, 'owner');
$again = $redis->cmd('EVAL', $script, '3', $record, "$record:w", $counter, $owner, '', '1000', '', '2000', '2000');
echo json_encode($again === ['claimed', $next]), ", counter unchanged: ", var_export((int) $redis->cmd('GET', $counter) === $next, true), "\n";
$short->abort('job:10');

echo "-- the counter deleted by hand, or overwritten: the next claim still gets a greater number\n";
$redis->cmd('DEL', $counter);
$afterDel = $short->begin('job:10')['fence'];
$short->abort('job:10');
$redis->cmd('SET', $counter, 'not a number');
$afterJunk = $short->begin('job:10')['fence'];
$short->abort('job:10');
echo "increasing: ", increasing([$next, $afterDel, $afterJunk]), "\n";

echo "-- runner A frozen (SIGSTOP) past its lease; runner B takes the key over, A's write is refused\n";
$db = TestRedis::dirFor(__FILE__) . '/invoices.sqlite';
sqlite_observe($db, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, status TEXT, fence INTEGER NOT NULL);
    INSERT INTO invoices VALUES (42, 'draft', 0)");

/** The example's runner as a process of its own; returns [process, stdin, stdout, its fence]. */
function runner(TestRedis $redis, string $db, string $name, int $lease): array
{
    $cmd = array_merge(php_with_rlock([], pdo_sqlite_extensions()),
        [__DIR__ . '/../../examples/idempotent-fencing.php', '--runner', $redis->uri(), $db, 'invoice:42', $name, (string) $lease]);
    $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes);
    $said = fgets($pipes[1]);
    if (!preg_match('/^claimed (\d+)$/', trim((string) $said), $m)) {
        throw new RuntimeException("runner $name: " . $said . stream_get_contents($pipes[1]));
    }
    return [$proc, $pipes[0], $pipes[1], (int) $m[1]];
}

/** Lets a runner write, and waits for it to end; returns what it printed, numbers as N. */
function finish(array $runner): string
{
    [$proc, $in, $out] = $runner;
    fwrite($in, "go\n");
    $said = stream_get_contents($out);
    proc_close($proc);
    return preg_replace('/\d{6,}/', 'N', $said);
}

// A's lease is short, to see it run out soon; B's leaves it time to finish under valgrind.
$a = runner($redis, $db, 'A', scaled(500, 2000));
proc_terminate($a[0], SIGSTOP); // its watchdog thread stops with it: the lease runs out
await(fn() => $redis->cmd('EXISTS', 'rlock:{invoices:invoice:42}:idem') === 0);
echo "A's claim ran out while A was frozen\n";
$b = runner($redis, $db, 'B', 10000);
echo "B's fence greater than A's: ", var_export($b[3] > $a[3], true), "\n";
echo finish($b);
proc_terminate($a[0], SIGCONT);
echo finish($a);
[$row] = sqlite_observe($db, 'SELECT status, fence FROM invoices WHERE id = 42');
echo "the row (PDO, no rlock): {$row['status']}, B's fence: ", var_export($row['fence'] === $b[3], true), "\n";

echo "-- bad input\n";
attempt(fn() => new RLockIdempotency('x', ['fencing' => 1] + $o));
attempt(fn() => new RLockIdempotency('x', ['fencing' => 'yes'] + $o));
attempt(fn() => new RLockIdempotency('x', ['fencing' => true, 'servers' => ['redis://127.0.0.1:1', 'redis://127.0.0.1:2', 'redis://127.0.0.1:3']]));
attempt(fn() => new RLockSemaphore('x', ['fencing' => true] + $o));
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- begin(): a claim carries its fence, a duplicate none
claimed, fence; a positive int: true
claimed again after abort(): greater true
a duplicate: {"claimed":false,"result":"sent"}
without the option: {"claimed":true}, a counter key: 0
-- run(): $fn gets the fence; each claim a greater one, a replay none
returns what $fn got: true
claims: 4 (3 runs of job:4: two failed and released; the replay ran nothing), increasing: yes
on_error keep, claimed again after the lease: claims 6, increasing yes
-- the callable
a closure that declares no parameter gets it as an extra argument: 1, greater than the last: true
without the option, none: []
an internal function gets it as its argument: bool(true)
one that takes none is refused before the key is claimed:
ValueError: RLockIdempotency::run(): Argument #2 ($fn) must accept the fencing token as its first argument with option "fencing", time() takes no argument
ValueError: RLockIdempotency::run(): Argument #2 ($fn) must accept the fencing token as its first argument with option "fencing", Exception::getMessage() takes no argument
ValueError: RLockIdempotency::run(): Argument #2 ($fn) must accept the fencing token as its first argument with option "fencing", getmypid() takes no argument
state: NULL; without the option it runs: true
-- the counter: beside the record, kept for retention + lease, never shortened
holds the last fence: true, ttl within retention + lease: true
a claim with a shorter retention: greater true, ttl kept: true
-- a resend of our claim (its reply lost) keeps its number and counts nothing
true, counter unchanged: true
-- the counter deleted by hand, or overwritten: the next claim still gets a greater number
increasing: yes
-- runner A frozen (SIGSTOP) past its lease; runner B takes the key over, A's write is refused
A's claim ran out while A was frozen
B's fence greater than A's: true
B: fence N, rows changed: 1
B: done, result stored (rows changed: 1)
A: fence N, rows changed: 0
A: the claim on key "invoice:42" was lost before its result was stored: a duplicate may have run
the row (PDO, no rlock): sent by B, B's fence: true
-- bad input
TypeError: RLockIdempotency::__construct(): Argument #2 ($options) option "fencing" must be of type bool, int given
TypeError: RLockIdempotency::__construct(): Argument #2 ($options) option "fencing" must be of type bool, string given
ValueError: RLockIdempotency::__construct(): Argument #2 ($options) option "servers" must list one server for RLockIdempotency (its records cannot be kept on Redlock masters); use "cluster" to scale out
ValueError: RLockSemaphore::__construct(): Argument #2 ($options) has an unknown option "fencing"; known options are servers, prefix, connect_timeout, read_timeout, ttl, auto_release, watchdog, retention, cluster, sentinels, service, tls
