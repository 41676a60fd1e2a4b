--TEST--
RLockSemaphore on a Redis Cluster (3 masters): each semaphore's keys in its slot's node, 8 processes waiting for permits on one semaphore, never oversold
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; if (!is_executable('/usr/bin/redis-cli')) die('skip redis-cli not installed'); ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/semaphore.inc';
$cluster = TestRedisCluster::start(__FILE__);
$dir = TestRedis::dirFor(__FILE__);

$nodes = [];
$right = 0;
for ($i = 0; $i < 30; $i++) {
    $sem = new RLockSemaphore("sku:$i", $cluster->opts());
    $sem->addPermits(2);
    $right += $sem->acquire("cart-$i") && $sem->available() === 1
        && $cluster->nodeOf("rlock:{sku:$i}")->cmd('HGET', "rlock:{sku:$i}:sem", "cart-$i") === '1';
    $nodes[$cluster->nodeOf("rlock:{sku:$i}")->port] = true;
}
echo "30 semaphores, kept on their slot's node: $right; nodes used: ", count($nodes), "\n";

// 8 buyers for 6 units: most give theirs back, two buy; waiters are woken by the releases.
$node = $cluster->nodeOf('rlock:{flash}');
(new RLockSemaphore('flash', $cluster->opts()))->addPermits(6);
$rounds = scaled(12, 3);
$pids = [];
for ($w = 0; $w < 8; $w++) {
    $pids[] = fork_child(function () use ($cluster, $rounds, $w, $dir, $node) {
        $stock = new RLockSemaphore('flash', $cluster->opts(['ttl' => 30000]));
        $sold = 0;
        for ($i = 0; $i < $rounds; $i++) {
            $holder = "buyer-$w-$i";
            if (!$stock->acquire($holder, 1, 30000)) {
                continue;
            }
            if ($node->cmd('INCR', 'holding{flash}') > 6) {
                $node->cmd('INCR', 'oversold{flash}');
            }
            usleep(2000);
            $node->cmd('DECR', 'holding{flash}');
            if ($i === 0 && $w < 2) {
                $sold += $stock->consume($holder);
            } else {
                $stock->release($holder);
            }
        }
        file_put_contents("$dir-sold-$w", (string) $sold);
    });
}
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
$sold = 0;
for ($w = 0; $w < 8; $w++) {
    $sold += (int) @file_get_contents("$dir-sold-$w");
    @unlink("$dir-sold-$w");
}
$ledger = semaphore_ledger($node, 'flash');
echo "sold: $sold\n";
echo "more holders at once than units: ", (int) $node->cmd('GET', 'oversold{flash}'), "\n";
echo "invariant: ", semaphore_invariant_broken($ledger, 6) ?: 'holds', "; consumed == sold: ", $ledger['consumed'] === $sold ? 'yes' : 'no', "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
30 semaphores, kept on their slot's node: 30; nodes used: 3
sold: 2
more holders at once than units: 0
invariant: holds; consumed == sold: yes
