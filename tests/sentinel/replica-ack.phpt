--TEST--
Replica acknowledgement: the master killed with kill -9 right after an acquire and its replica promoted; with sync_replicas 1 a rival is refused there, without it the replica that had not received the lock hands it to a second holder; a replica that cannot acknowledge makes acquire give the lock back
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';

/* A master and its replica, in sync. $lagging: the replica is cut off (its link killed while
 * it is frozen), as a replica is when the network between them drops. */
function pair(int $n, bool $lagging): array
{
    $master = TestRedis::start(__FILE__ . '.node' . (2 * $n), ['repl-diskless-sync-delay' => '0']);
    $replica = TestRedis::start(__FILE__ . '.node' . (2 * $n + 1));
    $replica->cmd('REPLICAOF', '127.0.0.1', (string) $master->port);
    await_streaming($master, $replica);
    if ($lagging) {
        $replica->signal('STOP');
        $master->cmd('CLIENT', 'KILL', 'TYPE', 'replica');
        await(fn() => (int) $master->info('connected_slaves') === 0);
    }
    return [$master, $replica];
}

/* kill -9 of the master, the replica promoted (what Sentinel does), a rival on the new master. */
function fail_over(TestRedis $master, TestRedis $replica): bool
{
    $master->stop();
    $replica->signal('CONT');
    $replica->cmd('REPLICAOF', 'NO', 'ONE');
    $rival = new RLock('order:1', ['servers' => $replica->uri(), 'reentrant' => false]);
    return $rival->acquire();
}

echo "-- sync_replicas 1\n";
[$master, $replica] = pair(0, false);
$lock = new RLock('order:1', $master->opts(['sync_replicas' => 1, 'ttl' => 30000]));
var_dump($lock->acquire());
echo "rival on the promoted replica: ", var_export(fail_over($master, $replica), true), "\n";

echo "-- no acknowledgement, the replica behind\n";
[$master, $replica] = pair(1, true);
$lock = new RLock('order:1', $master->opts(['ttl' => 30000]));
var_dump($lock->acquire());
echo "rival on the promoted replica: ", var_export(fail_over($master, $replica), true), " (two holders)\n";

echo "-- sync_replicas 1, the replica behind\n";
[$master, $replica] = pair(2, true);
$lock = new RLock('order:1', $master->opts(['sync_replicas' => 1, 'sync_timeout' => 200, 'ttl' => 30000]));
$start = microtime(true);
try {
    $lock->acquire();
    echo "acquired?!\n";
} catch (RLockConnectionException $e) {
    echo get_class($e), ": ", preg_replace('/:\d{4,5}\//', ':PORT/', $e->getMessage()), "\n";
}
echo "after sync_timeout, not much later: ", var_export(microtime(true) - $start >= 0.19
    && microtime(true) - $start < time_limit(2.0, 6.0), true), "\n";
echo "given back: ", $master->cmd('EXISTS', 'rlock:{order:1}'), ", held: ", var_export($lock->isAcquired(), true), "\n";
$replica->signal('CONT');
await_streaming($master, $replica);
var_dump($lock->acquire(), $lock->extend(5000), $lock->release());

echo "-- extend() and a reentrant acquire wait too\n";
$replica->signal('STOP');
$master->cmd('CLIENT', 'KILL', 'TYPE', 'replica');
$other = new RLock('order:2', $master->opts(['sync_replicas' => 1, 'sync_timeout' => 100]));
$replica->signal('CONT');
await_streaming($master, $replica);
var_dump($other->acquire());
$replica->signal('STOP');
$master->cmd('CLIENT', 'KILL', 'TYPE', 'replica');
foreach (['extend' => fn() => $other->extend(9000), 'acquire' => fn() => $other->acquire()] as $what => $call) {
    try {
        $call();
        echo "$what: no error?!\n";
    } catch (RLockConnectionException $e) {
        echo "$what: ", preg_replace('/:\d{4,5}\//', ':PORT/', $e->getMessage()), "\n";
    }
}
echo "still held (the master has it): ", var_export($other->isAcquired(), true), "\n";
$replica->signal('CONT');
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- sync_replicas 1
bool(true)
rival on the promoted replica: false
-- no acknowledgement, the replica behind
bool(true)
rival on the promoted replica: true (two holders)
-- sync_replicas 1, the replica behind
RLockConnectionException: lock "order:1" was taken (and now given back), but only 0 of the 1 replicas (sync_replicas) of redis://127.0.0.1:PORT/0 had it within sync_timeout (200 ms)
after sync_timeout, not much later: true
given back: 0, held: false
bool(true)
bool(true)
bool(true)
-- extend() and a reentrant acquire wait too
bool(true)
extend: lock "order:2" was extended, but only 0 of the 1 replicas (sync_replicas) of redis://127.0.0.1:PORT/0 had it within sync_timeout (100 ms)
acquire: lock "order:2" was extended, but only 0 of the 1 replicas (sync_replicas) of redis://127.0.0.1:PORT/0 had it within sync_timeout (100 ms)
still held (the master has it): true
