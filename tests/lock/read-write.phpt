--TEST--
Shared (read) locks: many readers or one writer across 8 processes (an observer counts overlaps), a waiting writer keeps new readers out, each reader its own lease (one killed frees only itself), waiters woken not polled, promotion and demotion, watchdog and request end, Cluster; not Redlock
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$b = fn($v) => var_export($v, true);
$o = $redis->opts(['reentrant' => false]); // rivals in one process stand for other processes

echo "-- two readers share it; a writer is refused; what Redis holds\n";
$r1 = new RLock('doc', $o);
$r2 = new RLock('doc', $o);
$w = new RLock('doc', $o + ['fencing' => true]);
echo "readers: ", $b($r1->acquireRead() && $r2->acquireRead()), ", writer: ", $b($w->acquire()),
    ", a sorted set of ", $redis->cmd('ZCARD', 'rlock:{doc}'), " leases: ",
    $b($redis->cmd('TYPE', 'rlock:{doc}') === 'zset' && $redis->cmd('ZSCORE', 'rlock:{doc}', $r1->getToken()) !== null),
    ", isAcquired ", $b($r1->isAcquired()), ", ttl > 0 ", $b($r1->getRemainingTtl() > 0),
    ", a reader's fencing token: ", $b((new RLock('doc', $o + ['fencing' => true]))->getFencingToken()), "\n";

echo "-- promotion: refused while another reads, at once when alone; demotion lets readers in\n";
echo "with two readers: ", $b($r1->acquire()), "; ";
$r2->release();
echo "alone: ", $b($r1->acquire()), ", now the writer's token: ", $b($redis->cmd('GET', 'rlock:{doc}') === $r1->getToken()),
    ", a reader refused: ", $b($r2->acquireRead()), "; demoted: ", $b($r1->acquireRead()), ", a reader joins: ",
    $b($r2->acquireRead()), ", one release each frees it: ", $b($r1->release() && $r2->release() && $redis->cmd('EXISTS', 'rlock:{doc}') === 0), "\n";
try {
    $r1->acquireRead();
    $r1->synchronized(fn() => null);
} catch (RLockException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
$r1->release();

echo "-- 8 processes, 6 reading and 2 writing, never a writer with anyone else\n";
$rounds = scaled(40, 6);
$children = [];
for ($p = 0; $p < 8; $p++) {
    $writer = $p < 2;
    $children[] = fork_child(function () use ($redis, $o, $rounds, $writer) {
        $lock = new RLock('stock', $o + ['ttl' => 10000]);
        for ($i = 0; $i < $rounds; $i++) {
            if (!($writer ? $lock->acquire(20000) : $lock->acquireRead(20000))) {
                $redis->cmd('INCR', 'timeouts');
                continue;
            }
            if ($writer) {
                $alone = $redis->cmd('INCR', 'writers') === 1 && (int) $redis->cmd('GET', 'readers') === 0;
                usleep(2000);
                $redis->cmd('DECR', 'writers');
            } else {
                $n = $redis->cmd('INCR', 'readers');
                if ($n > 1) {
                    $redis->cmd('INCR', 'shared');
                }
                $alone = (int) $redis->cmd('GET', 'writers') === 0;
                usleep(2000);
                $redis->cmd('DECR', 'readers');
            }
            if (!$alone) {
                $redis->cmd('INCR', 'violations');
            }
            $redis->cmd('INCR', $writer ? 'writes' : 'reads');
            $lock->release();
        }
    });
}
foreach ($children as $pid) {
    pcntl_waitpid($pid, $status);
}
echo "writes: ", $b((int) $redis->cmd('GET', 'writes') === 2 * $rounds), ", reads: ", $b((int) $redis->cmd('GET', 'reads') === 6 * $rounds),
    ", violations: ", (int) $redis->cmd('GET', 'violations'), ", timeouts: ", (int) $redis->cmd('GET', 'timeouts'),
    ", readers overlapped: ", $b((int) $redis->cmd('GET', 'shared') > 0), ", left held: ", $redis->cmd('EXISTS', 'rlock:{stock}'), "\n";

echo "-- a writer is not starved by a stream of overlapping readers\n";
$redis->cmd('SET', 'stream', '1');
$readers = [];
for ($p = 0; $p < 6; $p++) {
    $readers[] = fork_child(function () use ($redis, $o) {
        $lock = new RLock('feed', $o + ['ttl' => 10000]);
        while ($redis->cmd('GET', 'stream') === '1') {
            if ($lock->acquireRead(20000)) {
                usleep(30000);
                $lock->release();
            }
        }
    });
}
await(fn() => $redis->cmd('EXISTS', 'rlock:{feed}') === 1);
usleep(300000);
$writer = new RLock('feed', $o);
$start = microtime(true);
$got = $writer->acquire(20000);
$waited = microtime(true) - $start;
echo "the writer got in: ", $b($got), ", within a generous bound (readers hold 30 ms each): ", $b($waited < time_limit(3.0, 30.0)),
    ", it holds the key alone: ", $b($redis->cmd('GET', 'rlock:{feed}') === $writer->getToken()), "\n";
$writer->release();
$redis->cmd('SET', 'stream', '0');
foreach ($readers as $pid) {
    pcntl_waitpid($pid, $status);
}

echo "-- a waiting writer is woken, not polling; a killed reader frees only itself\n";
$live = new RLock('report', $o + ['ttl' => 60000]);
$live->acquireRead();
$dead = fork_child(function () use ($redis, $o) {
    $lock = new RLock('report', $o + ['ttl' => 1500]);
    $lock->acquireRead();
    $redis->cmd('SET', 'dead-reading', '1');
    sleep(60);
});
await(fn() => $redis->cmd('GET', 'dead-reading') === '1');
exec("kill -9 $dead");
pcntl_waitpid($dead, $status);
$waiter = fork_child(function () use ($redis, $o) {
    $lock = new RLock('report', $o);
    $start = microtime(true);
    $got = $lock->acquire(30000);
    $redis->cmd('SET', 'writer', json_encode(['got' => $got, 'ms' => (microtime(true) - $start) * 1000]));
    $lock->release();
});
await_waiters($redis, 'rlock:{report}');
$scripts = $redis->calls('evalsha') + $redis->calls('eval');
usleep(500000);
$polled = $redis->calls('evalsha') + $redis->calls('eval') - $scripts;
echo "scripts run by the waiting writer in 500 ms: $polled; ";
echo "the live reader still reads: ", $b($live->isAcquired()), "; ";
$live->release(); // the killed reader's lease still holds: the writer waits for its end, not its own deadline
pcntl_waitpid($waiter, $status);
$writer = json_decode($redis->cmd('GET', 'writer'), true);
echo "the writer got in: ", $b($writer['got']), ", at the killed reader's lease end, long before its 30 s: ",
    $b($writer['ms'] < time_limit(6000, 25000)), "\n";

echo "-- a reader waits for the writer and is handed the lock with the other readers in line\n";
$w->acquire();
$queued = [];
for ($p = 0; $p < 3; $p++) {
    $queued[] = fork_child(function () use ($redis, $o, $p) {
        $lock = new RLock('doc', $o);
        $got = $lock->acquireRead(20000);
        $redis->cmd('INCR', 'let-in');
        await(fn() => (int) $redis->cmd('GET', 'let-in') === 3); // all three read at once
        $redis->cmd('SET', "reader:$p", var_export($got && $lock->isAcquired(), true));
        $lock->release();
    });
}
await_waiters($redis, 'rlock:{doc}', 3);
$w->release();
foreach ($queued as $pid) {
    pcntl_waitpid($pid, $status);
}
echo "readers in together: ", $redis->cmd('GET', 'reader:0'), $redis->cmd('GET', 'reader:1'), $redis->cmd('GET', 'reader:2'), "\n";

echo "-- the watchdog renews a reader; request end releases one\n";
$watched = new RLock('long-read', $redis->opts(['ttl' => 300, 'watchdog' => true]));
$watched->acquireRead();
usleep(1500000);
echo "after five leases: ", $b($watched->isAcquired()), "; ";
$watched->release();
foreach (['normal end' => '', 'fatal error' => 'undefined_function();'] as $ending => $code) {
    run_php('<?php $l = new RLock("r", ["servers" => getenv("URI"), "ttl" => 60000]); $l->acquireRead(); ' . $code,
        [], ['URI' => $redis->uri(), 'VALGRIND_OPTS' => getenv('VALGRIND_OPTS') . ' --suppressions=' . __DIR__ . '/../inc/php-bailout.supp']);
    echo "$ending: held after ", $redis->cmd('EXISTS', 'rlock:{r}'), "; ";
}
echo "\n";

echo "-- Cluster: readers share, a writer waits; Redlock: refused\n";
$cluster = TestRedisCluster::start(__FILE__);
$c = $cluster->opts(['reentrant' => false]);
$cr1 = new RLock('doc', $c);
$cr2 = new RLock('doc', $c);
$cw = new RLock('doc', $c);
echo "cluster: ", $b($cr1->acquireRead() && $cr2->acquireRead() && !$cw->acquire() && $cr1->release() && $cr2->release()
    && $cw->acquire() && !$cr1->acquireRead() && $cw->release()), "\n";
$redlock = TestRedlock::start(__FILE__, 3);
try {
    (new RLock('doc', $redlock->opts()))->acquireRead();
} catch (RLockException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- two readers share it; a writer is refused; what Redis holds
readers: true, writer: false, a sorted set of 2 leases: true, isAcquired true, ttl > 0 true, a reader's fencing token: NULL
-- promotion: refused while another reads, at once when alone; demotion lets readers in
with two readers: false; alone: true, now the writer's token: true, a reader refused: false; demoted: true, a reader joins: true, one release each frees it: true
RLockException: synchronized() needs to write, and lock "doc" is held for reading by this process: acquire() it first, or release it
-- 8 processes, 6 reading and 2 writing, never a writer with anyone else
writes: true, reads: true, violations: 0, timeouts: 0, readers overlapped: true, left held: 0
-- a writer is not starved by a stream of overlapping readers
the writer got in: true, within a generous bound (readers hold 30 ms each): true, it holds the key alone: true
-- a waiting writer is woken, not polling; a killed reader frees only itself
scripts run by the waiting writer in 500 ms: 0; the live reader still reads: true; the writer got in: true, at the killed reader's lease end, long before its 30 s: true
-- a reader waits for the writer and is handed the lock with the other readers in line
readers in together: truetruetrue
-- the watchdog renews a reader; request end releases one
after five leases: true; normal end: held after 0; fatal error: held after 0; 
-- Cluster: readers share, a writer waits; Redlock: refused
cluster: true
RLockException: acquireRead() of lock "doc" is not available with Redlock: independent masters cannot count one set of readers; use one server or "cluster"
