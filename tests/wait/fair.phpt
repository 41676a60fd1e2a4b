--TEST--
fair: waiters are served first come, first served; mutual exclusion holds with 8 processes
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$fair = $redis->opts(['fair' => true]);

echo "-- 8 waiters queue one after another behind a holder\n";
$holder = new RLock('flash:sku-9', $fair);
$holder->acquire();
$pids = [];
for ($i = 0; $i < 8; $i++) {
    $pids[] = fork_child(function () use ($redis, $fair, $i) {
        $lock = new RLock('flash:sku-9', $fair);
        if ($lock->acquire(60000)) {
            $redis->cmd('RPUSH', 'served', (string) $i);
            if ($i === 0) {
                // the first served holds on until the latecomer has tried: were the line
                // served out before a busy machine ran that try, the lock would be free
                await(fn() => $redis->cmd('GET', 'late-tried'));
            }
            usleep(5000);
            $lock->release();
        }
    });
    await(fn() => $redis->cmd('ZCARD', 'rlock:{flash:sku-9}:q') === $i + 1);
}
// A latecomer that only tries once must not jump the queue of a fair lock.
$holder->release();
$late = new RLock('flash:sku-9', $fair);
var_dump($jumped = $late->acquire());
$redis->cmd('SET', 'late-tried', '1');
if ($jumped) {
    $late->release();
}
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
echo "served in order of arrival: ", implode(' ', $redis->cmd('LRANGE', 'served', '0', '-1')), "\n";

echo "-- mutual exclusion, fair, 8 processes\n";
$rounds = scaled(100, 10);
$pids = [];
for ($w = 0; $w < 8; $w++) {
    $pids[] = fork_child(function () use ($redis, $fair, $rounds) {
        $lock = new RLock('flash:sku-10', $fair);
        for ($i = 0; $i < $rounds; $i++) {
            if (!$lock->acquire(60000)) {
                $redis->cmd('INCR', 'timeouts');
                continue;
            }
            if ($redis->cmd('INCR', 'holders') !== 1) {
                $redis->cmd('INCR', 'overlaps');
            }
            $n = (int) $redis->cmd('GET', 'counter');
            $redis->cmd('SET', 'counter', (string) ($n + 1));
            $redis->cmd('DECR', 'holders');
            $lock->release();
        }
    });
}
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
echo "counter matches acquisitions: ", (int) $redis->cmd('GET', 'counter') === 8 * $rounds ? 'yes' : $redis->cmd('GET', 'counter'), "\n";
echo "overlaps: ", (int) $redis->cmd('GET', 'overlaps'), ", timeouts: ", (int) $redis->cmd('GET', 'timeouts'), "\n";
echo "left behind: ", implode(' ', $redis->cmd('KEYS', 'rlock:*')), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- 8 waiters queue one after another behind a holder
bool(false)
served in order of arrival: 0 1 2 3 4 5 6 7
-- mutual exclusion, fair, 8 processes
counter matches acquisitions: yes
overlaps: 0, timeouts: 0
left behind: 
