--TEST--
RLockSemaphore waiters: asleep until permits come back (no polling), served in arrival order by a restock or release, woken at the end of a killed holder's lease, gone from the line at their deadline
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/semaphore.inc';
$redis = TestRedis::start(__FILE__);
$dir = TestRedis::dirFor(__FILE__);
$opts = $redis->opts(['ttl' => 60000, 'auto_release' => false]); // the buyers keep what they took
$stock = new RLockSemaphore('stock:sku-7', $opts);
$stock->addPermits(0);
$queue = 'rlock:{stock:sku-7}:sem:q';
$inLine = fn() => $redis->cmd('ZCARD', $queue) - 1; // the line keeps one placeholder

// Eight buyers queue one after another: their arrival order is known.
$waiters = 8;
$pids = [];
for ($i = 0; $i < $waiters; $i++) {
    $pids[] = fork_child(function () use ($opts, $i, $dir) {
        $mine = new RLockSemaphore('stock:sku-7', $opts);
        $got = $mine->acquire("buyer-$i", 1, 60000);
        file_put_contents("$dir/got-$i", $got ? 'true' : 'false');
    });
    await(fn() => $inLine() === $i + 1);
}
$before = $redis->calls('evalsha') + $redis->calls('eval');
usleep(500000);
echo "scripts run by $waiters waiters in 500 ms of waiting: ", $redis->calls('evalsha') + $redis->calls('eval') - $before, "\n";

echo "restock of 3: ", $stock->addPermits(3), " left free\n";
await(fn() => $inLine() === 5);
$served = [];
for ($i = 0; $i < $waiters; $i++) {
    $served[] = $redis->cmd('HEXISTS', 'rlock:{stock:sku-7}:sem', "buyer-$i");
}
echo "served (arrival order): ", implode('', $served), "\n";
$holder = new RLockSemaphore('stock:sku-7', $opts);
echo "buyer-1 gives its permit back: ", $holder->release('buyer-1') ? 'true' : 'false', "; the next in line gets it: ";
await(fn() => $inLine() === 4);
echo $redis->cmd('HEXISTS', 'rlock:{stock:sku-7}:sem', 'buyer-3'), "\n";
$stock->addPermits(4);
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
$answers = [];
for ($i = 0; $i < $waiters; $i++) {
    $answers[] = file_get_contents("$dir/got-$i");
}
echo "answers: ", implode(' ', array_count_values($answers) === ['true' => $waiters] ? ["all $waiters true"] : $answers), "\n";

// A holder killed with kill -9: the waiter behind it is woken when its lease ends, not at its deadline.
$short = $redis->opts(['ttl' => (int) (time_limit(0.5, 3) * 1000)]);
$taken = $stock->available();
$stock->addPermits(-$taken);
$stock->addPermits(1);
$victim = fork_child(function () use ($short) {
    $mine = new RLockSemaphore('stock:sku-7', $short); // kept: a semaphore that goes gives back what it took
    $mine->acquire('doomed');
    sleep(600);
});
await(fn() => $redis->cmd('HEXISTS', 'rlock:{stock:sku-7}:sem', 'doomed') === 1);
exec("kill -9 $victim");
pcntl_waitpid($victim, $status);
$t = microtime(true);
$got = $stock->acquire('patient', 1, 60000);
$waited = microtime(true) - $t;
echo "woken after the killed holder's lease: ", $got ? 'true' : 'false', ", well before its 60 s deadline: ",
    $waited < time_limit(10, 40) ? 'yes' : "no ($waited s)", "\n";

// A waiter whose deadline passes leaves the line.
$t = microtime(true);
echo "nothing free, 200 ms: ", $stock->acquire('late', 1, 200) ? 'true' : 'false';
echo ", gave up no sooner: ", microtime(true) - $t >= 0.2 ? 'yes' : 'no', ", left the line: ", $inLine() === 0 ? 'yes' : 'no', "\n";
$ledger = semaphore_ledger($redis, 'stock:sku-7');
echo "ledger: ", json_encode($ledger), "\n";

// Free permits never sit idle while someone in line could use them: a big request first in
// line waits for enough, one behind it that fits is served at once.
$caps = new RLockSemaphore('cap:jobs', $opts);
$caps->addPermits(3);
$caps->acquire('x', 1);
$caps->acquire('y', 2);
$big = fork_child(function () use ($opts, $dir) {
    file_put_contents("$dir/big", (new RLockSemaphore('cap:jobs', $opts))->acquire('w', 3, 60000) ? 'true' : 'false');
});
await(fn() => $redis->cmd('ZCARD', 'rlock:{cap:jobs}:sem:q') === 2);
$small = fork_child(function () use ($opts, $dir) {
    file_put_contents("$dir/small", (new RLockSemaphore('cap:jobs', $opts))->acquire('v', 1, 60000) ? 'true' : 'false');
});
await(fn() => $redis->cmd('ZCARD', 'rlock:{cap:jobs}:sem:q') === 3);
$caps->release('y');
pcntl_waitpid($small, $status);
echo "y gives back 2: v (wants 1) is served at once: ", file_get_contents("$dir/small"),
    "; w (wants 3) still waits: ", $redis->cmd('HEXISTS', 'rlock:{cap:jobs}:sem', 'w') ? 'no' : 'yes', "\n";
$caps->release('x');
$caps->release('v');
pcntl_waitpid($big, $status);
echo "x and v give back theirs: w is served: ", file_get_contents("$dir/big"), "\n";

// A waiter that takes back the permits of a lease that ended takes them once.
$ended = new RLockSemaphore('stock:ended', $redis->opts(['ttl' => (int) (time_limit(0.3, 2) * 1000), 'auto_release' => false]));
$ended->addPermits(2);
$ended->acquire('dead', 2);
echo "a waiter wakes when the dead holder's lease ends: ",
    (new RLockSemaphore('stock:ended', $opts))->acquire('heir', 1, 60000) ? 'true' : 'false';
echo "; ledger: ", json_encode(semaphore_ledger($redis, 'stock:ended')), "\n";

// A buyer who waits before the first restock is served by it.
$early = fork_child(function () use ($opts, $dir) {
    file_put_contents("$dir/early", (new RLockSemaphore('stock:new', $opts))->acquire('first', 1, 60000) ? 'true' : 'false');
});
await(fn() => $redis->cmd('ZCARD', 'rlock:{stock:new}:sem:q') === 2);
(new RLockSemaphore('stock:new', $opts))->addPermits(1);
pcntl_waitpid($early, $status);
echo "waiting before the first restock, served by it: ", file_get_contents("$dir/early"), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
scripts run by 8 waiters in 500 ms of waiting: 0
restock of 3: 0 left free
served (arrival order): 11100000
buyer-1 gives its permit back: true; the next in line gets it: 1
answers: all 8 true
woken after the killed holder's lease: true, well before its 60 s deadline: yes
nothing free, 200 ms: false, gave up no sooner: yes, left the line: yes
ledger: {"free":0,"added":8,"consumed":0,"held":8,"holders":8}
y gives back 2: v (wants 1) is served at once: true; w (wants 3) still waits: yes
x and v give back theirs: w is served: true
a waiter wakes when the dead holder's lease ends: true; ledger: {"free":1,"added":2,"consumed":0,"held":1,"holders":1}
waiting before the first restock, served by it: true
