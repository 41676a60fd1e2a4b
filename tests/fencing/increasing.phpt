--TEST--
fencing: every acquisition gets a number greater than all earlier ones for the name, across processes, hand-overs and expiry
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$fenced = $redis->opts(['fencing' => true]);

echo "-- one process\n";
$lock = new RLock('account:7', $fenced);
var_dump($lock->getFencingToken());
$lock->acquire();
$first = $lock->getFencingToken();
var_dump(is_int($first) && $first > 0);
var_dump($lock->acquire(), $lock->getFencingToken() === $first); // a re-acquire keeps its number
$lock->release(); // the inner acquisition: still held, the same number
var_dump($lock->getFencingToken() === $first);
$lock->release();
var_dump($lock->getFencingToken());
$lock->acquire();
var_dump($lock->getFencingToken() > $first);
$lock->release();
echo "without the option: ";
$plain = new RLock('account:7', $redis->opts(['reentrant' => false]));
$plain->acquire();
var_dump($plain->getFencingToken());
$plain->release();

echo "-- across expiry: a holder whose lease ran out has a smaller number than the next\n";
$stale = new RLock('account:8', $redis->opts(['fencing' => true, 'ttl' => 100]));
$stale->acquire();
usleep(200000);
$next = new RLock('account:8', $fenced);
$next->acquire();
var_dump($next->getFencingToken() > $stale->getFencingToken() || $stale->getFencingToken() === null);
$next->release();

echo "-- 8 processes, each number recorded inside the critical section\n";
$rounds = scaled(40, 6);
$pids = [];
for ($w = 0; $w < 8; $w++) {
    $pids[] = fork_child(function () use ($redis, $fenced, $rounds, $w) {
        $lock = new RLock('account:9', $fenced + ($w % 2 ? ['fair' => true] : []));
        for ($i = 0; $i < $rounds; $i++) {
            $lock->acquire(60000);
            // What a fenced resource does: refuse a number not above the last one it saw.
            $last = (int) $redis->cmd('GET', 'last-fence');
            if ($lock->getFencingToken() <= $last) {
                $redis->cmd('INCR', 'refused');
            }
            $redis->cmd('SET', 'last-fence', (string) $lock->getFencingToken());
            $redis->cmd('INCR', 'accepted');
            $lock->release();
            if ($i % 3 === 0) {
                $lock->acquire(); // try-once acquisitions take numbers too
                $lock->release();
            }
        }
    });
}
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
echo "accepted: ", $redis->cmd('GET', 'accepted') == 8 * $rounds ? 'all' : $redis->cmd('GET', 'accepted'),
    ", refused (number not increasing): ", (int) $redis->cmd('GET', 'refused'), "\n";
echo "counter key has no TTL: ", $redis->cmd('PTTL', 'rlock:{account:9}:fence'), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- one process
NULL
bool(true)
bool(true)
bool(true)
bool(true)
NULL
bool(true)
without the option: NULL
-- across expiry: a holder whose lease ran out has a smaller number than the next
bool(true)
-- 8 processes, each number recorded inside the critical section
accepted: all, refused (number not increasing): 0
counter key has no TTL: -1
