--TEST--
RLockIdempotency fencing with 8+ processes racing for one key (failed runs released, runners that exit() inside the work taken over after their lease): every claim a distinct number, increasing in claim order, each accepted by the SQL guard
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif-sqlite.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$db = TestRedis::dirFor(__FILE__) . '/race.sqlite';
$procs = scaled(10, 8);
$rounds = scaled(5, 2);
sqlite_observe($db, "CREATE TABLE job (id INTEGER PRIMARY KEY, fence INTEGER NOT NULL, log TEXT NOT NULL);
    INSERT INTO job VALUES (1, 0, '');
    CREATE TABLE claims (seq INTEGER PRIMARY KEY AUTOINCREMENT, fence INTEGER, runner INTEGER, accepted INTEGER)");

// One php process (with rlock and PDO) forks the racers. Each round claims the key and does the
// work: notes the claim, then writes the row guarded by the fence. Then the claim ends: a thrown
// exception released by on_error (run()) or an abort() (begin()), so that the next claimer goes
// at once; every fourth racer's last round exits inside the work instead, and the next claim is a
// takeover at the end of the lease.
$race = <<<'PHP'
<?php
[, $uri, $db, $procs, $rounds, $lease] = $argv;

function work(string $db, int $runner, int $fence): void
{
    $pdo = new PDO("sqlite:$db", null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    $pdo->exec('PRAGMA busy_timeout = 30000');
    $pdo->prepare('INSERT INTO claims (fence, runner) VALUES (?, ?)')->execute([$fence, $runner]);
    $seq = $pdo->lastInsertId();
    $guarded = $pdo->prepare("UPDATE job SET fence = :fence, log = log || :fence || ',' WHERE id = 1 AND fence < :fence");
    $guarded->execute(['fence' => $fence]);
    $pdo->prepare('UPDATE claims SET accepted = ? WHERE seq = ?')->execute([$guarded->rowCount(), $seq]);
}

$pids = [];
for ($i = 0; $i < $procs; $i++) {
    if (($pid = pcntl_fork()) > 0) {
        $pids[] = $pid;
        continue;
    }
    $idem = new RLockIdempotency('race', ['servers' => $uri, 'fencing' => true, 'wait' => 120000,
        'lease' => (int) $lease, 'on_error' => 'release']);
    for ($r = 0; $r < $rounds; $r++) {
        $exits = $i % 4 === 0 && $r === $rounds - 1;
        if ($i % 2) {
            work($db, $i, $idem->begin('job:1')['fence']);
            if ($exits) {
                exit(0);
            }
            $idem->abort('job:1');
            continue;
        }
        try {
            $idem->run('job:1', function (int $fence) use ($db, $i, $exits) {
                work($db, $i, $fence);
                if ($exits) {
                    exit(0);
                }
                throw new DomainException('released for the next');
            });
        } catch (DomainException $e) {
        }
    }
    exit(0);
}
$failed = 0;
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
    $failed += !pcntl_wifexited($status) || pcntl_wexitstatus($status) !== 0;
}
echo "racers failed: $failed\n";
PHP;
$file = TestRedis::dirFor(__FILE__) . '/race.php';
file_put_contents($file, $race);
[$exit, $out] = run_php_file($file, [$redis->uri(), $db, (string) $procs, (string) $rounds, (string) scaled(1500, 4000)],
    [], [], pdo_sqlite_extensions());
echo $out, "exit $exit\n";

// The observer: PDO in a process without rlock.
$claims = sqlite_observe($db, 'SELECT fence, accepted FROM claims ORDER BY seq');
$fences = array_column($claims, 'fence');
[$row] = sqlite_observe($db, 'SELECT fence, log FROM job WHERE id = 1');
$increasing = true;
for ($i = 1; $i < count($fences); $i++) {
    $increasing = $increasing && $fences[$i] > $fences[$i - 1];
}
echo "claims: ", count($claims) === $procs * $rounds ? 'one per round' : count($claims), "\n";
echo "distinct: ", var_export(count(array_unique($fences)) === count($fences), true), "\n";
echo "increasing in claim order: ", var_export($increasing, true), "\n";
echo "accepted by the guard: ", count(array_filter($claims, fn($c) => $c['accepted'] === 1)) === count($claims) ? 'all' : json_encode($claims), "\n";
echo "the row's log is the claims in order: ", var_export($row['log'] === implode(',', $fences) . ',', true), "\n";
echo "the row has the greatest fence: ", var_export($row['fence'] === max($fences), true), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
racers failed: 0
exit 0
claims: one per round
distinct: true
increasing in claim order: true
accepted by the guard: all
the row's log is the claims in order: true
the row has the greatest fence: true
