--TEST--
Mutual exclusion: 8 forked processes x 200 acquisitions of one name never overlap
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$workers = 8;
$rounds = scaled(200, 15);

// The parent connects first, so every child must notice the inherited connection.
$warm = new RLock('stock:sku-1', $redis->opts());
$warm->acquire();
$warm->release();

$children = [];
for ($w = 0; $w < $workers; $w++) {
    $pid = pcntl_fork();
    if ($pid === 0) {
        $lock = new RLock('stock:sku-1', $redis->opts(['ttl' => 10000]));
        for ($i = 0; $i < $rounds; $i++) {
            if (!$lock->acquire(20000)) {
                $redis->cmd('INCR', 'acquire-timeouts');
                continue;
            }
            // A read-modify-write that loses updates if two holders ever overlap.
            if ($redis->cmd('INCR', 'holders') !== 1) {
                $redis->cmd('INCR', 'overlaps');
            }
            $stock = (int) $redis->cmd('GET', 'counter');
            $redis->cmd('SET', 'counter', (string) ($stock + 1));
            $redis->cmd('DECR', 'holders');
            if (!$lock->release()) {
                $redis->cmd('INCR', 'failed-releases');
            }
        }
        exit(0);
    }
    $children[] = $pid;
}
$clean = 0;
foreach ($children as $pid) {
    pcntl_waitpid($pid, $status);
    $clean += pcntl_wifexited($status) && pcntl_wexitstatus($status) === 0;
}
echo "children exited cleanly: ", $clean === $workers ? 'all' : $clean, "\n";
echo "counter matches acquisitions: ", (int) $redis->cmd('GET', 'counter') === $workers * $rounds ? 'yes' : $redis->cmd('GET', 'counter'), "\n";
echo "overlaps: ", (int) $redis->cmd('GET', 'overlaps'), "\n";
echo "acquire timeouts: ", (int) $redis->cmd('GET', 'acquire-timeouts'), "\n";
echo "failed releases: ", (int) $redis->cmd('GET', 'failed-releases'), "\n";
echo "lock left behind: ", $redis->cmd('EXISTS', 'rlock:{stock:sku-1}'), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
children exited cleanly: all
counter matches acquisitions: yes
overlaps: 0
acquire timeouts: 0
failed releases: 0
lock left behind: 0
