--TEST--
RLockSemaphore under load: 8+ processes take, consume, release and abandon permits while holders are killed (kill -9) and Redis restarts from its AOF; free + held + consumed == added at every sampled instant, and nothing is lost once the leases end
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/semaphore.inc';
$aof = ['appendonly' => 'yes', 'appendfsync' => 'always'];
$redis = TestRedis::start(__FILE__, $aof);
$dir = TestRedis::dirFor(__FILE__);
$workers = scaled(10, 8);
$rounds = scaled(60, 4);
$ttl = (int) (time_limit(1.5, 6) * 1000);
$opts = $redis->opts(['ttl' => $ttl, 'auto_release' => false, 'read_timeout' => 2000]);

/** Redis restarts under the workers: each call is asked again (a holder id makes it safe to). */
function again(callable $call, string $log): mixed
{
    for ($try = 0; ; $try++) {
        try {
            return $call();
        } catch (RLockConnectionException $e) {
            file_put_contents($log, "1\n", FILE_APPEND);
            if ($try > 1000) {
                throw $e;
            }
            usleep(10000);
        }
    }
}

$stock = new RLockSemaphore('stock:flash', $opts);
$added = $stock->addPermits(20);

// Two buyers that take permits and are killed holding them.
$victims = [];
for ($v = 0; $v < 2; $v++) {
    $victims[] = fork_child(function () use ($opts, $v) {
        $mine = new RLockSemaphore('stock:flash', $opts);
        for ($h = 0; $h < 3; $h++) {
            $mine->acquire("victim-$v-$h", 2, 10000);
        }
        sleep(600);
    });
}
await(fn() => semaphore_ledger($redis, 'stock:flash')['holders'] === 6);
foreach ($victims as $pid) {
    exec("kill -9 $pid");
    pcntl_waitpid($pid, $status);
}
echo "victims killed holding: ", semaphore_ledger($redis, 'stock:flash')['held'], " permits\n";

$pids = [];
for ($w = 0; $w < $workers; $w++) {
    $pids[] = fork_child(function () use ($opts, $w, $rounds, $dir) {
        $stock = new RLockSemaphore('stock:flash', $opts);
        $log = "$dir/errors-$w";
        $sold = $busy = 0;
        for ($i = 0; $i < $rounds; $i++) {
            if ($i === intdiv($rounds, 2)) {
                // half way: the first here has Redis restarted under the others, and all wait for it
                touch("$dir/half-way-$w");
                await(fn() => file_exists("$dir/restarted"), time_limit(60, 600));
            }
            $holder = "buyer-$w-$i";
            $n = 1 + $i % 2;
            if (!again(fn() => $stock->acquire($holder, $n, 3000), $log)) {
                $busy++;
                continue;
            }
            usleep(random_int(0, 2000)); // the order
            $choice = ($w + $i) % 10;
            if ($choice < 6) {
                $sold += again(fn() => $stock->consume($holder), $log) ? $n : 0;
            } elseif ($choice < 9) {
                again(fn() => $stock->release($holder), $log);
            } // else: abandoned, its lease ends
        }
        file_put_contents("$dir/sold-$w", "$sold $busy");
    });
}

// The observer samples the ledger while the parent restocks, and restarts Redis once.
$samples = $broken = 0;
$restarted = false;
$running = count($pids);
$deadline = microtime(true) + time_limit(60, 600);
while ($running > 0 && microtime(true) < $deadline) {
    $ledger = semaphore_ledger($redis, 'stock:flash');
    $samples++;
    if ($why = semaphore_invariant_broken($ledger, $added)) {
        $broken++;
        echo "broken: $why\n";
    }
    if ($samples % 25 === 0) {
        $added += 6;
        $stock->addPermits(6);
    }
    if (!$restarted && glob("$dir/half-way-*")) {
        $redis->restart($aof);
        $restarted = true;
        touch("$dir/restarted");
    }
    while (($pid = pcntl_waitpid(-1, $status, WNOHANG)) > 0) {
        $running--;
    }
    usleep(3000);
}
echo "workers finished: ", $running === 0 ? 'yes' : "no, $running left", "\n";
echo "Redis restarted from its AOF under the workers: ", $restarted ? 'yes' : 'no', "\n";
echo "instants sampled: ", $samples >= 100 ? '100 or more' : $samples, "; broken: $broken\n";

// Once every lease has ended, each abandoned or killed holder's permits are back, once.
usleep($ttl * 1000);
await(fn() => $stock->available() >= 0 && semaphore_ledger($redis, 'stock:flash')['holders'] === 0);
$ledger = semaphore_ledger($redis, 'stock:flash');
$sold = $busy = 0;
for ($w = 0; $w < $workers; $w++) {
    [$s, $b] = explode(' ', (string) @file_get_contents("$dir/sold-$w")) + [0, 0];
    $sold += (int) $s;
    $busy += (int) $b;
}
echo "after the leases: ", semaphore_invariant_broken($ledger, $added) ?: 'free + consumed == added', "\n";
echo "units lost: ", $added - $ledger['free'] - $ledger['consumed'], "\n";
echo "consumed in Redis == sold as the buyers counted: ", $ledger['consumed'] === $sold ? 'yes' : "no: {$ledger['consumed']} vs $sold", "\n";
echo "sold some, and some buyers found no stock: ", $sold > 0 && $busy >= 0 ? 'yes' : 'no', "\n";
echo "waiters or holders left: ", $redis->cmd('ZCARD', 'rlock:{stock:flash}:sem:q') - 1, " ", $ledger['holders'], "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
victims killed holding: 12 permits
workers finished: yes
Redis restarted from its AOF under the workers: yes
instants sampled: 100 or more; broken: 0
after the leases: free + consumed == added
units lost: 0
consumed in Redis == sold as the buyers counted: yes
sold some, and some buyers found no stock: yes
waiters or holders left: 0 0
