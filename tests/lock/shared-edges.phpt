--TEST--
Shared and reentrant locks at their edges (a hostile review's findings): a waiting writer killed does not keep readers out; a reader's token restores; promotion and demotion after a lapsed lease fail; a writer's plain SET NX finds a lock whose readers all ended free; a write while this process reads refuses at once; fibers and one object; a lease lost inside synchronized() is reported though a nested acquire() took the lock anew; one token restored twice is one hold
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
$o = $redis->opts(['reentrant' => false]);

echo "-- a writer killed while it waits does not keep new readers out\n";
$r1 = new RLock('d', $o + ['ttl' => 30000]);
$r1->acquireRead();
$writer = fork_child(function () use ($o) {
    (new RLock('d', $o))->acquire(60000);
});
await_waiters($redis, 'rlock:{d}');
exec("kill -9 $writer");
pcntl_waitpid($writer, $status);
$start = microtime(true);
[, $out] = run_php('<?php $r = new RLock("d", ["servers" => getenv("URI"), "reentrant" => false]); echo var_export($r->acquireRead(20000), true);',
    [], ['URI' => $redis->uri()]);
echo "another process reads: $out, long before the dead writer's 60 s: ", $b(microtime(true) - $start < time_limit(5.0, 30.0)), "\n";
$r1->release();

echo "-- a reader queued behind a waiting writer that is killed is let in, not left to its deadline\n";
$r1->acquireRead();
$writer = fork_child(function () use ($o) {
    (new RLock('d', $o))->acquire(60000);
});
await_waiters($redis, 'rlock:{d}');
$reader = fork_child(function () use ($redis, $o) {
    $start = microtime(true);
    $got = (new RLock('d', $o))->acquireRead(30000);
    $redis->cmd('SET', 'queued-reader', json_encode([$got, microtime(true) - $start]));
});
await_waiters($redis, 'rlock:{d}', 2);
exec("kill -9 $writer");
pcntl_waitpid($writer, $status);
pcntl_waitpid($reader, $status);
[$got, $took] = json_decode($redis->cmd('GET', 'queued-reader'), true);
echo "the queued reader: ", $b($got), ", long before its 30 s: ", $b($took < time_limit(6.0, 25.0)), "\n";
$r1->release();

echo "-- a reader's token restores in another process\n";
$r = new RLock('rd', $o + ['auto_release' => false]);
$r->acquireRead();
[, $out] = run_php('<?php $l = RLock::restore("rd", getenv("T"), ["servers" => getenv("URI")]);
echo json_encode([$l->isAcquired(), $l->getRemainingTtl() > 0, $l->release()]);', [], ['URI' => $redis->uri(), 'T' => $r->getToken()]);
echo "restored reader: $out, readers left: ", $redis->cmd('EXISTS', 'rlock:{rd}'), "\n";

echo "-- promotion needs our lease: after it lapsed and another wrote, it fails; acquireRead() after a lapsed write lock is a new read hold, the old one counted lost\n";
$short = new RLock('p', $o + ['ttl' => 200]);
$short->acquireRead();
await(fn() => $redis->cmd('EXISTS', 'rlock:{p}') === 0);
$other = new RLock('p', $o);
$other->acquire();
$other->release();
echo "promotion: ", $b($short->acquire()), ", isAcquired: ", $b($short->isAcquired()), "; ";
$short->acquire();
$written = $short->getToken();
await(fn() => $redis->cmd('EXISTS', 'rlock:{p}') === 0);
$other->acquire();
$other->release();
$lost = RLock::stats()['lost'];
echo "acquireRead: ", $b($short->acquireRead()), ", a new token: ", $b($short->getToken() !== $written && $redis->cmd('ZSCORE', 'rlock:{p}', $short->getToken()) !== null),
    ", lost counted: ", RLock::stats()['lost'] - $lost, ", released: ", $b($short->release()), "\n";

echo "-- readers whose leases all ended leave the key to a writer's plain SET NX\n";
$long = new RLock('x', $o + ['ttl' => 60000]);
$long->acquireRead();
$long->extend(200);
await(fn() => $redis->cmd('EXISTS', 'rlock:{x}') === 0);
echo "the key went with the last lease; a writer's acquire(0): ", $b((new RLock('x', $o))->acquire()), "\n";

echo "-- a write while this process reads through another object is refused at once\n";
$reader = new RLock('self', $redis->opts());
$reader->acquireRead();
$start = microtime(true);
$writer = new RLock('self', $redis->opts());
echo "acquire(5000): ", $b($writer->acquire(5000)), ", at once: ", $b(microtime(true) - $start < time_limit(1.0, 5.0)), "\n";
$reader->release();

echo "-- one object, two fibers: the second is refused\n";
$shared = new RLock('f', $redis->opts());
$f1 = new Fiber(function () use ($shared) {
    $shared->synchronized(fn() => Fiber::suspend('in'));
});
echo "first fiber: ", $f1->start(), "; ";
$f2 = new Fiber(function () use ($shared) {
    try {
        $shared->synchronized(fn() => null);
        return 'entered too';
    } catch (RLockException $e) {
        return get_class($e) . ': ' . $e->getMessage();
    }
});
$f2->start();
echo "second: ", $f2->getReturn(), "\n";
$f1->resume();
echo "released after the first: ", $b($redis->cmd('EXISTS', 'rlock:{f}') === 0), "\n";

echo "-- a lease lost inside synchronized(), then taken anew by a nested acquire(): still reported\n";
$h = new RLock('n', $redis->opts(['ttl' => 300]));
try {
    $h->synchronized(function (RLock $l) use ($redis) {
        await(fn() => $redis->cmd('EXISTS', 'rlock:{n}') === 0);
        $pid = fork_child(fn() => (new RLock('n', $redis->opts()))->acquire() || exit(1));
        pcntl_waitpid($pid, $status);
        $l->acquire(); // a new hold, the callback's own
        $l->release();
    });
    echo "no exception\n";
} catch (RLockLostException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}

echo "-- one token restored twice in one process is one hold\n";
$taken = new RLock('t', $redis->opts(['auto_release' => false]));
$taken->acquire();
$token = $taken->getToken();
unset($taken);
$first = RLock::restore('t', $token, $redis->opts());
$second = RLock::restore('t', $token, $redis->opts());
echo "releases: ", $b($first->release()), " (held: ", $redis->cmd('EXISTS', 'rlock:{t}'), "), ", $b($second->release()),
    " (held: ", $redis->cmd('EXISTS', 'rlock:{t}'), "), again: ", $b($second->release()), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- a writer killed while it waits does not keep new readers out
another process reads: true, long before the dead writer's 60 s: true
-- a reader queued behind a waiting writer that is killed is let in, not left to its deadline
the queued reader: true, long before its 30 s: true
-- a reader's token restores in another process
restored reader: [true,true,true], readers left: 0
-- promotion needs our lease: after it lapsed and another wrote, it fails; acquireRead() after a lapsed write lock is a new read hold, the old one counted lost
promotion: false, isAcquired: false; acquireRead: true, a new token: true, lost counted: 1, released: true
-- readers whose leases all ended leave the key to a writer's plain SET NX
the key went with the last lease; a writer's acquire(0): true
-- a write while this process reads through another object is refused at once
acquire(5000): false, at once: true
-- one object, two fibers: the second is refused
first fiber: in; second: RLockException: lock "f" is held through this object by another fiber: each fiber needs an RLock of its own
released after the first: true
-- a lease lost inside synchronized(), then taken anew by a nested acquire(): still reported
RLockLostException: lock "n" was lost before the critical section ended
-- one token restored twice in one process is one hold
releases: true (held: 1), true (held: 0), again: false
