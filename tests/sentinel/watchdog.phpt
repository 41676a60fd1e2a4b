--TEST--
Sentinel: the watchdog renews a held lease at the new master after SENTINEL FAILOVER (not at the demoted master, which takes renewals until the sentinels reconfigure it); a waiter across the failover gets the lock on the new master
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/sentinel.inc';

$set = TestSentinelSet::start(__FILE__, 1, 3);
$opts = $set->opts(['ttl' => 4000, 'watchdog' => true, 'sync_replicas' => 1, 'reentrant' => false]);
$lock = new RLock('order:7', $opts);
var_dump($lock->acquire());
$old = $set->master();
$set->sentinels[0]->cmd('SENTINEL', 'FAILOVER', TestSentinelSet::SERVICE);
$new = $set->awaitNewMaster($old);
// longer than a lease: the copy the new master got at promotion would have ended by then (the
// lease must outlast the sentinels' switch, about a second after the promotion here)
$until = microtime(true) + 5.0;
while (microtime(true) < $until) {
    usleep(100000);
}
echo "still held: ", var_export($lock->isAcquired(), true), "\n";
echo "our token on the new master: ", var_export($new->cmd('GET', 'rlock:{order:7}') === $lock->getToken(), true), "\n";
$rival = new RLock('order:7', ['servers' => $new->uri(), 'reentrant' => false]);
echo "a rival on the new master: ", var_export($rival->acquire(), true), "\n";

echo "-- a waiter gets it once we let go\n";
$pid = fork_child(function () use ($opts, $new) {
    $waiter = new RLock('order:7', ['sync_replicas' => 0] + $opts); // no replica until the old master rejoins
    $new->cmd('SET', 'waiter', $waiter->acquire(20000) ? 'got it' : 'timed out');
});
await_waiters($new, 'rlock:{order:7}');
var_dump($lock->release());
pcntl_waitpid($pid, $status);
echo "waiter: ", $new->cmd('GET', 'waiter'), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
bool(true)
still held: true
our token on the new master: true
a rival on the new master: false
-- a waiter gets it once we let go
bool(true)
waiter: got it
