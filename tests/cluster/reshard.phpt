--TEST--
Redis Cluster: a lock's slot migrated back and forth while 8 processes lock and release it (ASK, MOVED, TRYAGAIN) — no errors, no double holders
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; if (!is_executable('/usr/bin/redis-cli')) die('skip redis-cli not installed'); ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$cluster = TestRedisCluster::start(__FILE__);
$book = TestRedis::start(__FILE__ . '.node9'); // bookkeeping outside the cluster

function node_id(TestRedis $node): string
{
    return $node->cmd('CLUSTER', 'MYID');
}

/** Moves one slot from $from to $to the way redis-cli --cluster reshard does, key by key. */
function migrate_slot(TestRedisCluster $cluster, int $slot, TestRedis $from, TestRedis $to): void
{
    $to->cmd('CLUSTER', 'SETSLOT', (string) $slot, 'IMPORTING', node_id($from));
    $from->cmd('CLUSTER', 'SETSLOT', (string) $slot, 'MIGRATING', node_id($to));
    while ($keys = $from->cmd('CLUSTER', 'GETKEYSINSLOT', (string) $slot, '10')) {
        foreach ($keys as $key) {
            try {
                $from->cmd('MIGRATE', '127.0.0.1', (string) $to->port, $key, '0', '5000', 'REPLACE');
            } catch (RuntimeException $e) {
                // the key went away meanwhile (released, expired)
            }
            usleep(5000); // let clients meet the half-migrated slot (ASK, TRYAGAIN)
        }
    }
    foreach ($cluster->nodes as $node) {
        $node->cmd('CLUSTER', 'SETSLOT', (string) $slot, 'NODE', node_id($to));
    }
}

$name = 'hot:sku';
$hot = "rlock:{{$name}}";
$slot = $cluster->nodes[0]->cmd('CLUSTER', 'KEYSLOT', $hot);
$rounds = scaled(150, 20);

$pids = [];
for ($w = 0; $w < 8; $w++) {
    $pids[] = fork_child(function () use ($cluster, $book, $name, $rounds) {
        $lock = new RLock($name, $cluster->opts(['ttl' => 5000, 'read_timeout' => scaled(1000, 10000)]));
        $errors = $overlaps = 0;
        for ($i = 0; $i < $rounds; $i++) {
            try {
                if (!$lock->acquire(30000)) {
                    $errors++;
                    continue;
                }
                $store = $book;
                if ((int) $store->cmd('INCR', 'holders') !== 1) {
                    $overlaps++;
                    $store->cmd('RPUSH', 'messages', 'overlap: me ' . substr($lock->getToken(), 0, 6)
                        . ' other ' . substr((string) $store->cmd('GET', 'holder'), 0, 6)
                        . ' redis says I hold it: ' . var_export($lock->isAcquired(), true));
                }
                $store->cmd('SET', 'holder', $lock->getToken());
                $store->cmd('INCR', 'acquisitions');
                usleep(1000);
                $store->cmd('DECR', 'holders');
                if (!$lock->release()) {
                    $errors++;
                }
            } catch (Throwable $e) {
                $errors++;
                $book->cmd('RPUSH', 'messages', $e->getMessage());
            }
        }
        $book->cmd('INCRBY', 'errors', (string) $errors);
        $book->cmd('INCRBY', 'overlaps', (string) $overlaps);
    });
}

// Move the hot slot away and back while they work.
$owner = $cluster->nodeOf($hot);
$other = $cluster->nodes[0] === $owner ? $cluster->nodes[1] : $cluster->nodes[0];
usleep(200000);
migrate_slot($cluster, $slot, $owner, $other);
usleep(300000);
migrate_slot($cluster, $slot, $other, $owner);

foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
$store = $book;
echo "acquisitions: ", (int) $store->cmd('GET', 'acquisitions') === 8 * $rounds ? 'all' : $store->cmd('GET', 'acquisitions'), "\n";
echo "errors surfaced to PHP: ", (int) $store->cmd('GET', 'errors'), "\n";
echo "double holders: ", (int) $store->cmd('GET', 'overlaps'), "\n";

echo "-- the watchdog follows MOVED: a 600 ms lease held 1.5 s while its slot moves stays ours\n";
$watched = new RLock('wd:sku', $cluster->opts(['ttl' => scaled(600, 3000), 'watchdog' => true]));
$watched->acquire();
$wdSlot = $cluster->nodes[0]->cmd('CLUSTER', 'KEYSLOT', 'rlock:{wd:sku}');
$from = $cluster->nodeOf('rlock:{wd:sku}');
$to = $cluster->nodes[0] === $from ? $cluster->nodes[1] : $cluster->nodes[0];
usleep(300000);
migrate_slot($cluster, $wdSlot, $from, $to);
usleep(scaled(1200000, 6000000)); // well past the lease: only renewals at the new node keep it
var_dump($watched->isAcquired(), $watched->release());

foreach ((array) $store->cmd('LRANGE', 'messages', '0', '-1') as $m) {
    echo "  $m\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
acquisitions: all
errors surfaced to PHP: 0
double holders: 0
-- the watchdog follows MOVED: a 600 ms lease held 1.5 s while its slot moves stays ours
bool(true)
bool(true)
