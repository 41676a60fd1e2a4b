--TEST--
RLockIdempotency: a Redis restart or stall between the work and storing its result does not let the work run twice (the store is retried while the claim lasts)
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$aof = ['appendonly' => 'yes', 'appendfsync' => 'always'];
$redis = TestRedis::start(__FILE__, $aof);
// The claim must outlast each outage below (0.8 s, plus a restart that a busy machine, or
// valgrind starting the helper processes, can stretch to seconds).
$idem = new RLockIdempotency('orders', $redis->opts(['lease' => scaled(3000, 10000), 'connect_timeout' => 200, 'read_timeout' => 200]));
$runs = 0;

echo "-- Redis killed during the work, back 0.8 s later (AOF)\n";
$start = microtime(true);
$result = $idem->run('order:1', function () use ($redis, $aof, &$runs) {
    $runs++;
    $redis->restartAfter(0.8, $aof);
    return ['order' => 1];
});
echo "result: ", json_encode($result), ", stored after the restart: ", var_export(microtime(true) - $start >= 0.7, true), "\n";
$again = $idem->run('order:1', function () use (&$runs) { $runs++; return 'ran twice'; });
echo "duplicate: ", json_encode($again), ", runs: $runs, state: ", $idem->state('order:1'), "\n";

echo "-- Redis frozen during the work for 0.8 s (read_timeout 200 ms)\n";
$result = $idem->run('order:2', function () use ($redis, &$runs) {
    $runs++;
    $redis->signal('STOP');
    $GLOBALS['thaw'] = $redis->signalAfter(0.8, 'CONT');
    return ['order' => 2];
});
pcntl_waitpid($thaw, $status);
$again = $idem->run('order:2', function () use (&$runs) { $runs++; return 'ran twice'; });
echo "result: ", json_encode($result), ", duplicate: ", json_encode($again), ", runs: $runs\n";

echo "-- Redis gone for longer than the claim's lease: a clean RLockConnectionException after about the lease\n";
$short = new RLockIdempotency('orders', $redis->opts(['lease' => 1000, 'connect_timeout' => 200, 'read_timeout' => 200]));
$start = microtime(true);
try {
    $short->run('order:3', function () use ($redis) {
        $redis->stop();
        return ['order' => 3];
    });
    echo "stored?!\n";
} catch (RLockConnectionException $e) {
    $took = microtime(true) - $start;
    echo get_class($e), ", after the lease and within 3 s: ", var_export($took >= 0.8 && $took < time_limit(3.0, 6.0), true), "\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- Redis killed during the work, back 0.8 s later (AOF)
result: {"order":1}, stored after the restart: true
duplicate: {"order":1}, runs: 1, state: done
-- Redis frozen during the work for 0.8 s (read_timeout 200 ms)
result: {"order":2}, duplicate: {"order":2}, runs: 2
-- Redis gone for longer than the claim's lease: a clean RLockConnectionException after about the lease
RLockConnectionException, after the lease and within 3 s: true
