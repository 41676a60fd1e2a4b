--TEST--
Sentinel: 8 processes lock and release through SENTINEL FAILOVER and a kill -9 of the master; callers see only RLockConnectionException during each switch, then lock on the new master; with replica acknowledgement no two holders at once
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/sentinel.inc';

$set = TestSentinelSet::start(__FILE__);
$observer = TestRedis::start(__FILE__ . '.node9'); // not in the deployment: it sees every holder
$workers = scaled(8, 4);
// phase 1 (manual failover: the old master takes writes until the sentinels reconfigure it)
// waits for both replicas; phase 2 (kill -9) for one: the sentinels promote the most up to date
$observer->cmd('SET', 'sync', '2');

$pids = [];
for ($w = 0; $w < $workers; $w++) {
    $pids[] = fork_child(function () use ($set, $observer) {
        $locks = [];
        while (!$observer->cmd('EXISTS', 'stop')) {
            $sync = (int) $observer->cmd('GET', 'sync');
            $lock = $locks[$sync] ??= new RLock('stock:sku-1', $set->opts(['ttl' => 3000, 'connect_timeout' => 300,
                'read_timeout' => 500, 'sync_replicas' => $sync, 'sync_timeout' => 300, 'reentrant' => false]));
            try {
                if (!$lock->acquire(10000)) {
                    $observer->cmd('INCR', 'timeouts');
                    continue;
                }
            } catch (Throwable $e) {
                $observer->cmd('RPUSH', 'errors', get_class($e) . ' ' . microtime(true));
                usleep(20000);
                continue;
            }
            if ($observer->cmd('INCR', 'inside') > 1) {
                $observer->cmd('INCR', 'overlaps');
            }
            $n = (int) $observer->cmd('GET', 'counter');
            usleep(500);
            $observer->cmd('SET', 'counter', (string) ($n + 1));
            $observer->cmd('DECR', 'inside');
            $observer->cmd('INCR', 'holds');
            $observer->cmd('SET', 'last_hold', (string) microtime(true));
            try {
                $lock->release();
            } catch (RLockConnectionException $e) {
                $observer->cmd('RPUSH', 'errors', get_class($e) . ' ' . microtime(true));
            }
        }
    });
}

/* Waits until the workers lock again after a fault at $since; returns the error window. */
function recovered(TestRedis $observer, float $since): array
{
    await(fn() => (float) $observer->cmd('GET', 'last_hold') > $since + 0.05
        && (float) $observer->cmd('GET', 'last_hold') > last_error($observer) + 0.05, 60.0);
    $first = null;
    foreach ($observer->cmd('LRANGE', 'errors', '0', '-1') as $e) {
        $t = (float) explode(' ', $e)[1];
        $first = $t > $since && $first === null ? $t : $first;
    }
    return [$first === null ? 0.0 : last_error($observer) - $first, (float) $observer->cmd('GET', 'last_hold') - $since];
}

function last_error(TestRedis $observer): float
{
    $last = $observer->cmd('LINDEX', 'errors', '-1');
    return $last === null ? 0.0 : (float) explode(' ', $last)[1];
}

await(fn() => (int) $observer->cmd('GET', 'holds') >= 20, 60.0);
echo "-- SENTINEL FAILOVER\n";
$old = $set->master();
$since = microtime(true);
$set->sentinels[0]->cmd('SENTINEL', 'FAILOVER', TestSentinelSet::SERVICE);
$new = $set->awaitNewMaster($old);
[$window1, $back1] = recovered($observer, $since);
echo "a new master, and the workers lock on it: ", var_export($new !== $old, true), "\n";

// the old master rejoins as a replica (until then sync_replicas 2 refuses every acquire); then the next fault
await(function () use ($set, $new) {
    try {
        return (int) $new->info('connected_slaves') === 2 && !str_contains($new->info('slave0') . $new->info('slave1'), 'state=wait');
    } catch (RuntimeException $e) {
        return false;
    }
}, 60.0);
echo "-- kill -9 of the master\n";
$observer->cmd('SET', 'sync', '1');
$since = microtime(true);
$new->stop();
$newer = $set->awaitNewMaster($new);
[$window2, $back2] = recovered($observer, $since);
echo "a new master, and the workers lock on it: ", var_export($newer !== $new, true), "\n";

$observer->cmd('SET', 'stop', '1');
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
$classes = array_count_values(array_map(fn($e) => explode(' ', $e)[0], $observer->cmd('LRANGE', 'errors', '0', '-1')));
echo "errors callers saw: ", implode(', ', array_keys($classes)) ?: 'none', "\n";
echo "two holders at once: ", (int) $observer->cmd('GET', 'overlaps'), "\n";
echo "counter: ", (int) $observer->cmd('GET', 'counter') === (int) $observer->cmd('GET', 'holds') ? 'all increments kept' : 'LOST UPDATES', "\n";
// the figures for docs/guarantees.md: how long callers saw errors, and until they locked again
fprintf(STDOUT, "failover: errors for %.2f s, locking again %.2f s after it began\n", $window1, $back1);
fprintf(STDOUT, "kill -9: errors for %.2f s, locking again %.2f s after it\n", $window2, $back2);
echo "holds: ", (int) $observer->cmd('GET', 'holds') > 40 ? 'many' : 'few', "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTF--
-- SENTINEL FAILOVER
a new master, and the workers lock on it: true
-- kill -9 of the master
a new master, and the workers lock on it: true
errors callers saw: RLockConnectionException
two holders at once: 0
counter: all increments kept
failover: errors for %f s, locking again %f s after it began
kill -9: errors for %f s, locking again %f s after it
holds: many
