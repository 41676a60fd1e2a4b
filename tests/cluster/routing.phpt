--TEST--
Redis Cluster (3 masters): locks on many names across all nodes, mutual exclusion, waits, idempotency (with fencing)
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; if (!is_executable('/usr/bin/redis-cli')) die('skip redis-cli not installed'); ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$cluster = TestRedisCluster::start(__FILE__);

echo "-- 300 names, each lock's keys on the node that serves its slot\n";
$held = [];
$perNode = [];
$ok = 0;
for ($i = 0; $i < 300; $i++) {
    $lock = new RLock("sku:$i", $cluster->opts(['ttl' => 10000]));
    if ($lock->acquire() && $cluster->nodeOf("rlock:{sku:$i}")->cmd('GET', "rlock:{sku:$i}") === $lock->getToken()) {
        $ok++;
    }
    $perNode[$cluster->nodeOf("rlock:{sku:$i}")->port] = true;
    $held[] = $lock;
}
echo "held on the right node: $ok of 300; nodes used: ", count($perNode), "\n";
$released = 0;
foreach ($held as $lock) {
    $released += $lock->release();
}
echo "released: $released\n";

echo "-- mutual exclusion, 8 processes, waiting (wake-ups travel through the cluster's pub/sub)\n";
$rounds = scaled(50, 8);
$observer = $cluster->nodes[0];
$pids = [];
for ($w = 0; $w < 8; $w++) {
    $pids[] = fork_child(function () use ($cluster, $rounds) {
        $lock = new RLock('flash:1', $cluster->opts());
        $counter = $cluster->nodeOf('counter{flash:1}');
        for ($i = 0; $i < $rounds; $i++) {
            if (!$lock->acquire(30000)) {
                $counter->cmd('INCR', 'timeouts{flash:1}');
                continue;
            }
            $n = (int) $counter->cmd('GET', 'counter{flash:1}');
            usleep(200);
            $counter->cmd('SET', 'counter{flash:1}', (string) ($n + 1));
            $lock->release();
        }
    });
}
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
$node = $cluster->nodeOf('counter{flash:1}');
echo "counter: ", (int) $node->cmd('GET', 'counter{flash:1}') === 8 * $rounds ? 'all increments kept' : $node->cmd('GET', 'counter{flash:1}'),
    ", timeouts: ", (int) $node->cmd('GET', 'timeouts{flash:1}'), "\n";

echo "-- RLockIdempotency on the cluster\n";
$idem = new RLockIdempotency('orders', $cluster->opts(['wait' => 5000]));
$runs = 0;
foreach (range(1, 3) as $try) {
    $r = $idem->run('order:77', function () use (&$runs) { $runs++; return ['order' => 77]; });
}
echo "runs: $runs, replay: ", json_encode($r), ", state: ", $idem->state('order:77'), "\n";

echo "-- RLockIdempotency with fencing: each key's counter beside its record, in its slot\n";
$fenced = $cluster->opts(['fencing' => true, 'wait' => 5000]);
$ok = 0;
$nodes = [];
for ($i = 0; $i < 30; $i++) {
    $idem = new RLockIdempotency('orders', $fenced);
    $first = $idem->begin("order:f$i")['fence'];
    $idem->abort("order:f$i");
    $again = $idem->begin("order:f$i")['fence'];
    $idem->complete("order:f$i", 'ok');
    $node = $cluster->nodeOf("rlock:{orders:order:f$i}:idem");
    $ok += $again > $first && (int) $node->cmd('GET', "rlock:{orders:order:f$i}:idem:fence") === $again;
    $nodes[$node->port] = true;
}
echo "greater when claimed again, the counter on the record's node: $ok of 30; nodes used: ", count($nodes), "\n";
$stale = new RLockIdempotency('orders', $cluster->opts(['fencing' => true, 'lease' => 300, 'on_error' => 'keep']));
$staleFence = $stale->begin('order:f-takeover')['fence'];
unset($stale); // no longer renewed: the claim ends with its lease
$takeover = (new RLockIdempotency('orders', $fenced))->begin('order:f-takeover');
echo "a takeover after the lease: greater ", var_export($takeover['fence'] > $staleFence, true), "\n";
echo "forceRelease: ", var_export(RLock::forceRelease('sku:1', $cluster->opts()), true), "\n";

echo "-- bad seeds\n";
foreach ([[], ['http://x'], 42] as $bad) {
    try {
        new RLock('x', ['cluster' => $bad]);
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
try {
    new RLock('x', ['cluster' => $cluster->nodes[0]->uri(), 'servers' => $cluster->nodes[0]->uri()]);
} catch (Throwable $e) {
    echo get_class($e), ': ', $e->getMessage(), "\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- 300 names, each lock's keys on the node that serves its slot
held on the right node: 300 of 300; nodes used: 3
released: 300
-- mutual exclusion, 8 processes, waiting (wake-ups travel through the cluster's pub/sub)
counter: all increments kept, timeouts: 0
-- RLockIdempotency on the cluster
runs: 1, replay: {"order":77}, state: done
-- RLockIdempotency with fencing: each key's counter beside its record, in its slot
greater when claimed again, the counter on the record's node: 30 of 30; nodes used: 3
a takeover after the lease: greater true
forceRelease: false
-- bad seeds
ValueError: RLock::__construct(): Argument #2 ($options) option "cluster" has a malformed seed: no seed URI given
ValueError: RLock::__construct(): Argument #2 ($options) option "cluster" has a malformed seed: it must start with redis://, rediss:// or unix://
TypeError: RLock::__construct(): Argument #2 ($options) option "cluster" must be of type string|array, int given
ValueError: RLock::__construct(): Argument #2 ($options) options "servers" and "cluster" exclude each other
