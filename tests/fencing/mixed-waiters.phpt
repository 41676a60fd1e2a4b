--TEST--
Fencing whatever the other users of a name ask for: a fenced waiter handed the lock by an unfenced holder (release, fair hand-over after expiry, leaving) gets a fresh, greater number
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);

/* A fenced waiter in a child process; its number lands in Redis key $out. */
function fenced_waiter(TestRedis $redis, string $name, string $out): int
{
    return fork_child(function () use ($redis, $name, $out) {
        $lock = new RLock($name, $redis->opts(['fencing' => true]));
        $redis->cmd('SET', $out, $lock->acquire(20000) ? (string) $lock->getFencingToken() : 'not acquired');
        $lock->release();
    });
}
function queued(TestRedis $redis, string $name, int $n): void
{
    await(fn() => $redis->cmd('ZCARD', "rlock:{{$name}}:q") === $n);
}

$first = new RLock('acct', $redis->opts(['fencing' => true]));
$first->acquire();
$before = $first->getFencingToken();
$first->release();

echo "-- released by an unfenced holder\n";
$plain = new RLock('acct', $redis->opts(['reentrant' => false]));
$plain->acquire();
$pid = fenced_waiter($redis, 'acct', 'after-release');
queued($redis, 'acct', 1);
$plain->release();
pcntl_waitpid($pid, $status);
$got = $redis->cmd('GET', 'after-release');
echo "number > 0 and > the earlier one: ", var_export((int) $got > $before, true), "\n";
$before = (int) $got;

echo "-- a fair, unfenced newcomer finds the lease run out and hands it to the fenced waiter\n";
$short = new RLock('acct', $redis->opts(['ttl' => 2000, 'reentrant' => false])); // the waiter is stopped well before this ends
$short->acquire();
$pid = fenced_waiter($redis, 'acct', 'after-expiry');
queued($redis, 'acct', 1);
exec("kill -STOP $pid"); // so that it cannot take the lock itself when the lease ends
await(fn() => $redis->cmd('EXISTS', 'rlock:{acct}') === 0);
$fair = new RLock('acct', $redis->opts(['fair' => true, 'reentrant' => false]));
echo "newcomer took it: ", var_export($fair->acquire(), true), "\n";
exec("kill -CONT $pid");
pcntl_waitpid($pid, $status);
$got = $redis->cmd('GET', 'after-expiry');
echo "number > the earlier one: ", var_export((int) $got > $before, true), "\n";

echo "-- 8 processes mixing fenced and unfenced, fair and not, waits that time out and waits that succeed\n";
$rounds = scaled(40, 6);
$pids = [];
for ($w = 0; $w < 8; $w++) {
    $pids[] = fork_child(function () use ($redis, $rounds, $w) {
        mt_srand($w);
        for ($i = 0; $i < $rounds; $i++) {
            $fenced = mt_rand(0, 1) === 1;
            $lock = new RLock('acct:mix', $redis->opts(['fencing' => $fenced, 'fair' => mt_rand(0, 1) === 1]));
            if (!$lock->acquire(mt_rand(0, 3) === 0 ? 1 : 20000)) {
                continue; // gave up: its leaving may hand the lock on
            }
            if ($fenced) {
                // the fenced resource: refuse a number that is not above every earlier one
                $token = $lock->getFencingToken();
                $redis->cmd('INCR', $token > (int) $redis->cmd('GET', 'last') ? 'accepted' : 'refused');
                $redis->cmd('SET', 'last', (string) $token);
            }
            usleep(mt_rand(0, 2000));
            $lock->release();
        }
    });
}
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
echo "fenced entries refused: ", (int) $redis->cmd('GET', 'refused'), ", accepted: ",
    (int) $redis->cmd('GET', 'accepted') > 0 ? 'some' : 'none', "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- released by an unfenced holder
number > 0 and > the earlier one: true
-- a fair, unfenced newcomer finds the lease run out and hands it to the fenced waiter
newcomer took it: false
number > the earlier one: true
-- 8 processes mixing fenced and unfenced, fair and not, waits that time out and waits that succeed
fenced entries refused: 0, accepted: some
