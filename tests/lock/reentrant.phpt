--TEST--
Reentrancy: a lock this process (and fiber) holds is taken again at once, by the same RLock or another for the same name, and freed at the last release; not by a fork child, another fiber, a non-reentrant object, another prefix or server; 8 processes nesting keep mutual exclusion; Redlock and Cluster alike
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$key = 'rlock:{acct:1}';
$held = fn() => $redis->cmd('GET', $key);
$b = fn($v) => var_export($v, true);

echo "-- one object: acquire three times, freed at the third release\n";
$lock = new RLock('acct:1', $redis->opts());
$lock->acquire();
$token = $lock->getToken();
echo "acquired: ", $b($lock->acquire() && $lock->acquire()), ", one token: ", $b($held() === $token), "\n";
echo "releases: ", $b($lock->release()), " held ", $b($held() === $token), ", ",
    $b($lock->release()), " held ", $b($held() === $token), ", ",
    $b($lock->release()), " held ", $b($held() !== null), ", a 4th: ", $b($lock->release()), "\n";

echo "-- another RLock for the same name: joins at once, while another process is refused\n";
$outer = new RLock('acct:1', $redis->opts());
$outer->acquire();
$helper = function () use ($redis, $held) {
    $inner = new RLock('acct:1', $redis->opts(['ttl' => 60000]));
    $start = microtime(true);
    $got = $inner->acquire(5000);
    $same = $inner->getToken() === $held();
    [, $rival] = run_php('<?php $l = new RLock("acct:1", ["servers" => getenv("URI")]); echo var_export($l->acquire(), true);',
        [], ['URI' => $redis->uri()]);
    $inner->release();
    return "inner got it: " . var_export($got, true) . ", shares the token: " . var_export($same, true)
        . ", no wait: " . var_export(microtime(true) - $start < time_limit(2.0, 20.0), true)
        . ", another process meanwhile: $rival";
};
echo $helper(), "\n";
echo "after the inner release, the outer still holds it: ", $b($held() === $outer->getToken()), "\n";
echo "outer release: ", $b($outer->release()), ", held: ", $b($held() !== null), "\n";

echo "-- the outer released first: the lock stays until the inner's release\n";
$outer->acquire();
$inner = new RLock('acct:1', $redis->opts());
$inner->acquire();
echo "outer release: ", $b($outer->release()), ", held: ", $b($held() === $inner->getToken()),
    ", outer isAcquired: ", $b($outer->isAcquired()), ", outer token: ", $b($outer->getToken()),
    ", outer 2nd release: ", $b($outer->release()), "\n";
echo "inner release: ", $b($inner->release()), ", held: ", $b($held() !== null), "\n";

echo "-- a guest destroyed with its levels gives them back\n";
$outer->acquire();
$guest = new RLock('acct:1', $redis->opts());
$guest->acquire();
$guest->acquire();
unset($guest);
echo "held after the guest went: ", $b($held() === $outer->getToken()), "; outer release frees: ",
    $b($outer->release() && $held() === null), "\n";
$outer->acquire();
$guest = new RLock('acct:1', $redis->opts());
$guest->acquire();
$outer->release();
unset($guest);
echo "the guest held the last level: freed when it went: ", $b($held() === null), "\n";
unset($outer);

echo "-- synchronized() nests through two objects\n";
$a = new RLock('acct:2', $redis->opts());
echo $a->synchronized(function () use ($redis) {
    $b = new RLock('acct:2', $redis->opts());
    return $b->synchronized(fn() => 'inner ran, held: ' . var_export($redis->cmd('EXISTS', 'rlock:{acct:2}') === 1, true))
        . '; after inner: ' . var_export($redis->cmd('EXISTS', 'rlock:{acct:2}') === 1, true);
}), "; after outer: ", $b($redis->cmd('EXISTS', 'rlock:{acct:2}') === 1), "\n";

echo "-- who joins the hold (a reentrant object of the same name, prefix and server) and who is a rival\n";
$outer = new RLock('acct:3', $redis->opts());
$outer->acquire();
$second = TestRedis::start(__FILE__ . '.second');
foreach ([
    'non-reentrant object' => new RLock('acct:3', $redis->opts(['reentrant' => false])),
    'reentrant object' => new RLock('acct:3', $redis->opts()),
    'another prefix' => new RLock('acct:3', $redis->opts(['prefix' => 'other:'])),
    'another server' => new RLock('acct:3', $second->opts()),
] as $what => $l) {
    echo "$what: ", $b($l->acquire()), "\n";
    $l->release();
}
$nonReentrant = new RLock('acct:4', $redis->opts(['reentrant' => false]));
$nonReentrant->acquire();
echo "a hold taken without reentrancy is not joined: ", $b((new RLock('acct:4', $redis->opts()))->acquire()),
    "; its own 2nd acquire refreshes and one release frees: ", $b($nonReentrant->acquire() && $nonReentrant->release()
    && $redis->cmd('EXISTS', 'rlock:{acct:4}') === 0), "\n";

echo "-- a fork child is never the same owner\n";
$pid = fork_child(function () use ($redis) {
    $l = new RLock('acct:3', $redis->opts());
    $redis->cmd('SET', 'child-got', var_export($l->acquire(), true));
});
pcntl_waitpid($pid, $status);
echo "child: ", $redis->cmd('GET', 'child-got'), ", parent still holds: ", $b($redis->cmd('GET', 'rlock:{acct:3}') === $outer->getToken()), "\n";

echo "-- another fiber is never the same owner\n";
$fiber = new Fiber(function () use ($redis) {
    $l = new RLock('acct:3', $redis->opts());
    $got = $l->acquire();
    Fiber::suspend($got);
    $mine = new RLock('acct:5', $redis->opts());
    $mine->acquire();
    Fiber::suspend(null);
    return (new RLock('acct:5', $redis->opts()))->acquire(); // in the fiber that holds it
});
echo "fiber: ", $b($fiber->start()), "; ";
$fiber->resume();
echo "main program on the fiber's lock: ", $b((new RLock('acct:5', $redis->opts()))->acquire()), "; ";
$fiber->resume();
echo "the fiber again: ", $b($fiber->getReturn()), "\n";
$outer->release();

echo "-- fencing: a nested acquisition shares the hold's number; it cannot get one the hold has not\n";
$fenced = new RLock('acct:6', $redis->opts(['fencing' => true]));
$fenced->acquire();
$n = new RLock('acct:6', $redis->opts(['fencing' => true]));
$n->acquire();
echo "same number: ", $b($n->getFencingToken() === $fenced->getFencingToken() && $n->getFencingToken() > 0), "\n";
$n->release();
$fenced->release();
$plain = new RLock('acct:6', $redis->opts());
$plain->acquire();
try {
    $n->acquire();
} catch (RLockException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
$plain->release();

echo "-- a lost hold ends every level: the next acquire is a new hold\n";
$short = new RLock('acct:7', $redis->opts(['ttl' => 100]));
$short->acquire();
$short->acquire();
$first = $short->getToken();
await(fn() => $redis->cmd('EXISTS', 'rlock:{acct:7}') === 0);
echo "acquire: ", $b($short->acquire()), ", new token: ", $b($short->getToken() !== $first),
    ", one release frees: ", $b($short->release() && $redis->cmd('EXISTS', 'rlock:{acct:7}') === 0), "\n";

echo "-- request end frees every level of every object\n";
[$exit, $out] = run_php('<?php
$o = ["servers" => getenv("URI")];
$a = new RLock("acct:8", $o); $a->acquire(); $a->acquire();
$GLOBALS["b"] = new RLock("acct:8", $o); $GLOBALS["b"]->acquire();
echo "levels taken; ";', [], ['URI' => $redis->uri()]);
echo $out, "exit $exit, held after: ", $redis->cmd('EXISTS', 'rlock:{acct:8}'), "\n";

echo "-- 8 processes, each nesting two objects, never overlap\n";
$workers = 8;
$rounds = scaled(100, 8);
$children = [];
for ($w = 0; $w < $workers; $w++) {
    $children[] = fork_child(function () use ($redis, $rounds) {
        $outer = new RLock('stock', $redis->opts(['ttl' => 10000]));
        for ($i = 0; $i < $rounds; $i++) {
            if (!$outer->acquire(20000)) {
                $redis->cmd('INCR', 'timeouts');
                continue;
            }
            $inner = new RLock('stock', $redis->opts());
            if (!$inner->acquire() || !$outer->acquire()) { // nested: at once, never a wait
                $redis->cmd('INCR', 'nested-refused');
            }
            if ($redis->cmd('INCR', 'holders') !== 1) {
                $redis->cmd('INCR', 'overlaps');
            }
            $inner->release(); // inner levels first: the lock must stay ours
            $outer->release();
            $stock = (int) $redis->cmd('GET', 'counter');
            $redis->cmd('SET', 'counter', (string) ($stock + 1));
            $redis->cmd('DECR', 'holders');
            $outer->release();
        }
    });
}
foreach ($children as $pid) {
    pcntl_waitpid($pid, $status);
}
echo "counter matches: ", $b((int) $redis->cmd('GET', 'counter') === $workers * $rounds), ", overlaps: ",
    (int) $redis->cmd('GET', 'overlaps'), ", nested refused: ", (int) $redis->cmd('GET', 'nested-refused'),
    ", timeouts: ", (int) $redis->cmd('GET', 'timeouts'), ", left held: ", $redis->cmd('EXISTS', 'rlock:{stock}'), "\n";

echo "-- Redlock (3 masters) and Cluster alike\n";
$redlock = TestRedlock::start(__FILE__, 3);
$cluster = TestRedisCluster::start(__FILE__);
foreach (['redlock' => $redlock->opts(), 'cluster' => $cluster->opts()] as $where => $opts) {
    $x = new RLock('acct:9', $opts);
    $y = new RLock('acct:9', $opts);
    $rival = new RLock('acct:9', $opts + ['reentrant' => false]);
    $ok = $x->acquire() && $y->acquire() && $y->getToken() === $x->getToken() && !$rival->acquire();
    $ok = $ok && $x->release() && $y->isAcquired() && !$rival->acquire() && $y->release() && $rival->acquire();
    echo "$where: ", $b($ok), "\n";
    $rival->release();
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- one object: acquire three times, freed at the third release
acquired: true, one token: true
releases: true held true, true held true, true held false, a 4th: false
-- another RLock for the same name: joins at once, while another process is refused
inner got it: true, shares the token: true, no wait: true, another process meanwhile: false
after the inner release, the outer still holds it: true
outer release: true, held: false
-- the outer released first: the lock stays until the inner's release
outer release: true, held: true, outer isAcquired: false, outer token: NULL, outer 2nd release: false
inner release: true, held: false
-- a guest destroyed with its levels gives them back
held after the guest went: true; outer release frees: true
the guest held the last level: freed when it went: true
-- synchronized() nests through two objects
inner ran, held: true; after inner: true; after outer: false
-- who joins the hold (a reentrant object of the same name, prefix and server) and who is a rival
non-reentrant object: false
reentrant object: true
another prefix: true
another server: true
a hold taken without reentrancy is not joined: false; its own 2nd acquire refreshes and one release frees: true
-- a fork child is never the same owner
child: false, parent still holds: true
-- another fiber is never the same owner
fiber: false; main program on the fiber's lock: false; the fiber again: true
-- fencing: a nested acquisition shares the hold's number; it cannot get one the hold has not
same number: true
RLockException: lock "acct:6" is held by this process without fencing: a nested acquisition cannot have a fencing token
-- a lost hold ends every level: the next acquire is a new hold
acquire: true, new token: true, one release frees: true
-- request end frees every level of every object
levels taken; exit 0, held after: 0
-- 8 processes, each nesting two objects, never overlap
counter matches: true, overlaps: 0, nested refused: 0, timeouts: 0, left held: 0
-- Redlock (3 masters) and Cluster alike
redlock: true
cluster: true
