--TEST--
Waiters that are killed (kill -9) or time out neither stall nor wrongly wake the others; what they wrote expires
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
// A wake-up takes milliseconds, under valgrind too; a waiter that was not woken would
// sit until the 30 s TTL of the holder or of the dead waiter the lock was handed to.
$prompt = time_limit(1.0, 3.0);

/** A forked waiter that records when it got the lock. */
function waiter(TestRedis $redis, string $name, array $opts, int $waitMs, string $tag): int
{
    return fork_child(function () use ($redis, $name, $opts, $waitMs, $tag) {
        $lock = new RLock($name, $redis->opts($opts));
        $got = $lock->acquire($waitMs);
        $redis->cmd('SET', "got:$tag", $got ? (string) microtime(true) : 'timeout');
        if ($got) {
            $lock->release();
        }
    });
}

foreach (['default' => [], 'fair' => ['fair' => true]] as $mode => $opts) {
    echo "-- $mode: the first waiter is killed; the second is served at the release, not at the holder's TTL\n";
    $name = "pay:$mode";
    $holder = new RLock($name, $redis->opts($opts + ['ttl' => 30000]));
    $holder->acquire();
    $doomed = waiter($redis, $name, $opts, 60000, "$mode-doomed");
    await(fn() => $redis->cmd('ZCARD', "rlock:{{$name}}:q") === 1);
    $next = waiter($redis, $name, $opts, 60000, "$mode-next");
    await(fn() => $redis->cmd('ZCARD', "rlock:{{$name}}:q") === 2);
    exec("kill -9 $doomed");
    pcntl_waitpid($doomed, $status);
    $released = microtime(true);
    $holder->release();
    pcntl_waitpid($next, $status);
    $got = $redis->cmd('GET', "got:$mode-next");
    echo "second waiter served: ", is_numeric($got) && $got - $released < $prompt ? 'promptly' : sprintf('late (%s s after the release)', is_numeric($got) ? round($got - $released, 3) : $got), "\n";
    echo "queue left: ", $redis->cmd('ZCARD', "rlock:{{$name}}:q"), "\n";
}

echo "-- a waiter that timed out is out of line: the next release goes to the live waiter\n";
$holder = new RLock('pay:3', $redis->opts());
$holder->acquire();
$quitter = waiter($redis, 'pay:3', [], 300, 'quitter');
pcntl_waitpid($quitter, $status);
echo "quitter: ", $redis->cmd('GET', 'got:quitter'), ", queue after it left: ", $redis->cmd('ZCARD', 'rlock:{pay:3}:q'), "\n";
$next = waiter($redis, 'pay:3', [], 60000, 'after-quitter');
await(fn() => $redis->cmd('ZCARD', 'rlock:{pay:3}:q') === 1);
$released = microtime(true);
$holder->release();
pcntl_waitpid($next, $status);
$got = $redis->cmd('GET', 'got:after-quitter');
echo "live waiter served: ", is_numeric($got) && $got - $released < $prompt ? 'promptly' : sprintf('late (%s s after the release)', is_numeric($got) ? round($got - $released, 3) : $got), "\n";

echo "-- a killed waiter's queue entry expires with its wait (+1 s grace)\n";
$holder = new RLock('pay:4', $redis->opts(['ttl' => 30000]));
$holder->acquire();
$doomed = waiter($redis, 'pay:4', [], 500, 'doomed-4');
await(fn() => $redis->cmd('ZCARD', 'rlock:{pay:4}:q') === 1);
exec("kill -9 $doomed");
pcntl_waitpid($doomed, $status);
$pttl = $redis->cmd('PTTL', 'rlock:{pay:4}:q');
// -2: it already expired, which a slow machine may well see by now; -1 would be "never".
echo "queue key expires within 1.5 s: ", $pttl <= 1500 && ($pttl > 0 || $pttl === -2) ? 'yes' : "no ($pttl)", "\n";
usleep(1600000);
echo "queue key after that: ", $redis->cmd('EXISTS', 'rlock:{pay:4}:q'), "\n";
$holder->release();
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- default: the first waiter is killed; the second is served at the release, not at the holder's TTL
second waiter served: promptly
queue left: 0
-- fair: the first waiter is killed; the second is served at the release, not at the holder's TTL
second waiter served: promptly
queue left: 0
-- a waiter that timed out is out of line: the next release goes to the live waiter
quitter: timeout, queue after it left: 0
live waiter served: promptly
-- a killed waiter's queue entry expires with its wait (+1 s grace)
queue key expires within 1.5 s: yes
queue key after that: 0
