--TEST--
Redlock over 3 and 5 independent masters: majority acquire, mutual exclusion with 8 processes, waits, watchdog, fencing, bad input
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';

/** 8 processes × $rounds read-modify-writes of a counter kept on the observer (not a master). */
function contend(array $opts, TestRedis $observer, string $name, int $rounds): string
{
    $observer->cmd('DEL', "counter:$name", "timeouts:$name");
    $pids = [];
    for ($w = 0; $w < 8; $w++) {
        $pids[] = fork_child(function () use ($opts, $observer, $name, $rounds) {
            $lock = new RLock($name, $opts);
            for ($i = 0; $i < $rounds; $i++) {
                if (!$lock->acquire(30000)) {
                    $observer->cmd('INCR', "timeouts:$name");
                    continue;
                }
                $n = (int) $observer->cmd('GET', "counter:$name");
                usleep(300);
                $observer->cmd('SET', "counter:$name", (string) ($n + 1));
                $lock->release();
            }
        });
    }
    foreach ($pids as $pid) {
        pcntl_waitpid($pid, $status);
    }
    $count = (int) $observer->cmd('GET', "counter:$name");
    return ($count === 8 * $rounds ? "all increments kept" : "LOST UPDATES: $count of " . (8 * $rounds))
        . ", timeouts: " . (int) $observer->cmd('GET', "timeouts:$name");
}

$observer = TestRedis::start(__FILE__ . '.node9');
$three = TestRedlock::start(__FILE__, 3);
$rounds = scaled(40, 5);

echo "-- one acquire: the token on every master, one script per master each way\n";
$lock = new RLock('order:1', $three->opts(['ttl' => 10000]));
var_dump($lock->acquire());
echo "masters holding our token: ", $three->holding('rlock:{order:1}', $lock->getToken()), "\n";
$ttl = $lock->getRemainingTtl();
echo "remaining ttl within (9000, 10000]: ", var_export($ttl > 9000 && $ttl <= 10000, true), "\n";
var_dump($lock->extend(20000), $lock->getRemainingTtl() > 19000);
$other = new RLock('order:1', $three->opts(['reentrant' => false]));
echo "second holder refused: ", var_export($other->acquire(), true), "\n";
var_dump($lock->release());
echo "masters holding it after release: ", $three->holding('rlock:{order:1}'), "\n";
// EVALSHA that found no script (NOSCRIPT, once per script per master) is followed by EVAL
$scripts = function (TestRedis $n) {
    preg_match('/failed_calls=(\d+)/', (string) $n->info('cmdstat_evalsha', 'commandstats'), $m);
    return $n->calls('evalsha') - (int) ($m[1] ?? 0) + $n->calls('eval');
};
echo "scripts run per master (acquire, ttl, extend, ttl, refused acquire, release): ",
    implode(',', array_map($scripts, $three->nodes)), "\n";

echo "-- mutual exclusion, 8 processes waiting, 3 masters\n";
echo contend($three->opts(['ttl' => 10000]), $observer, 'flash:3', $rounds), "\n";

echo "-- a waiter is woken by the release, not by the holder's expiry\n";
$pid = fork_child(function () use ($three, $observer) {
    $holder = new RLock('slow', $three->opts(['ttl' => 10000]));
    $holder->acquire();
    // hold on 500 ms once the waiter is in line on a majority, then note the release
    await(fn() => count(array_filter($three->nodes, fn($n) => $n->cmd('ZCARD', 'rlock:{slow}:q') > 0)) >= 2);
    usleep(500000);
    $observer->cmd('SET', 'released:slow', (string) microtime(true));
    $holder->release();
});
await(fn() => $three->holding('rlock:{slow}') === 3);
$start = microtime(true);
$waiter = new RLock('slow', $three->opts());
$got = $waiter->acquire(8000);
$gotAt = microtime(true);
pcntl_waitpid($pid, $status);
$released = (float) $observer->cmd('GET', 'released:slow');
// a wake-up takes milliseconds; missing it would mean waiting for the 10 s expiry
echo "woken: ", var_export($got, true), ", after the release and well before the 10 s expiry: ",
    var_export($gotAt - $start >= 0.5 && $gotAt >= $released && $gotAt - $released < time_limit(1.0, 3.0), true), "\n";
$waiter->release();
echo "waiter lists left behind: ", $three->holding('rlock:{slow}:q') === 0 ? 'none' : 'some', "\n";

echo "-- 5 masters\n";
$five = TestRedlock::start(__FILE__ . '.five', 5);
$lock = new RLock('order:5', $five->opts());
$lock->acquire();
echo "masters holding our token: ", $five->holding('rlock:{order:5}', $lock->getToken()), "\n";
$lock->release();
echo contend($five->opts(['ttl' => 10000]), $observer, 'flash:5', $rounds), "\n";
echo "two of five killed: ";
$five->nodes[1]->stop();
$five->nodes[3]->stop();
// the dead masters refuse at once; the live ones get a read_timeout a busy machine cannot miss
echo contend($five->opts(['ttl' => 10000, 'connect_timeout' => 200, 'read_timeout' => 2000]), $observer, 'flash:5b', $rounds), "\n";

echo "-- watchdog: renewed on every master; one master gone keeps the lease, a majority gone loses it\n";
$fragile = TestRedlock::start(__FILE__ . '.wd', 3);
// renewals every ttl/3: a lease of 1.5 s leaves a busy machine 1 s of slack per renewal
$lock = new RLock('long-job', $fragile->opts(['ttl' => 1500, 'watchdog' => true, 'connect_timeout' => 300, 'read_timeout' => 300]));
$lock->acquire();
usleep(4500000);
echo "after 3 ttl: ", var_export($lock->isAcquired(), true), ", masters holding it: ", $fragile->holding('rlock:{long-job}', $lock->getToken()), "\n";
$fragile->nodes[2]->stop();
usleep(4500000);
echo "one master killed, 3 ttl later: ", var_export($lock->isAcquired(), true), ", masters holding it: ", $fragile->holding('rlock:{long-job}', $lock->getToken()), "\n";
$fragile->nodes[1]->stop();
usleep((int) (1e6 * time_limit(4.5, 9.0))); // the watchdog gives the lease up by its own clock
echo "a majority killed, 3 ttl later: ", var_export($lock->isAcquired(), true), "\n";
var_dump($lock->release());

echo "-- fencing: tokens grow in the order the lock is held, across 8 processes and a master restarted empty\n";
$observer->cmd('DEL', 'last-fence', 'fence-errors');
$fenced = function () use ($three, $observer, $rounds) {
    $pids = [];
    for ($w = 0; $w < 8; $w++) {
        $pids[] = fork_child(function () use ($three, $observer, $rounds) {
            $lock = new RLock('ledger', $three->opts(['fencing' => true, 'ttl' => 10000]));
            for ($i = 0; $i < $rounds; $i++) {
                if ($lock->acquire(30000)) {
                    $fence = $lock->getFencingToken();
                    if ($fence <= (int) $observer->cmd('GET', 'last-fence')) {
                        $observer->cmd('INCR', 'fence-errors');
                    }
                    $observer->cmd('SET', 'last-fence', (string) $fence);
                    $lock->release();
                }
            }
        });
    }
    foreach ($pids as $pid) {
        pcntl_waitpid($pid, $status);
    }
};
$fenced();
$before = (int) $observer->cmd('GET', 'last-fence');
$three->nodes[0]->restart(); // its counter is gone; the other two were raised
$fenced();
echo "tokens handed out: ", (int) $observer->cmd('GET', 'last-fence') > $before ? 'more after the restart' : 'NOT GROWING',
    ", out of order: ", (int) $observer->cmd('GET', 'fence-errors'), "\n";
$lock = new RLock('ledger', $three->opts(['fencing' => true]));
$lock->acquire();
echo "counters raised on a majority: ", count(array_filter($three->nodes, fn($n) => (int) $n->cmd('GET', 'rlock:{ledger}:fence') === $lock->getFencingToken())) >= 2 ? 'yes' : 'no', "\n";
$lock->release();

echo "-- forceRelease on every master\n";
$lock = new RLock('stuck', $three->opts(['auto_release' => false]));
$lock->acquire();
var_dump(RLock::forceRelease('stuck', $three->opts()), $three->holding('rlock:{stuck}'), RLock::forceRelease('stuck', $three->opts()));

echo "-- bad input\n";
$uris = array_map(fn($n) => $n->uri(), $five->nodes);
foreach ([
    fn() => new RLock('x', ['servers' => array_slice($uris, 0, 2)]),
    fn() => new RLock('x', ['servers' => array_fill(0, 10, 'redis://127.0.0.1:1')]),
    fn() => new RLock('x', ['servers' => [$uris[0], $uris[1], $uris[0]]]),
    fn() => new RLockIdempotency('orders', $three->opts()),
] as $attempt) {
    try {
        $attempt();
        echo "accepted\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}
// fence counters stay, by design (no TTL); nothing else may
echo "keys left on the masters besides fence counters: ", array_sum(array_map(fn($n) => $n->running()
    ? count(array_filter($n->cmd('KEYS', '*'), fn($k) => !str_ends_with($k, ':fence'))) : 0, $three->nodes)), "\n";
?>
--CLEAN--
<?php
require __DIR__ . '/../inc/server.inc';
TestRedis::cleanup(__FILE__);
TestRedis::cleanup(__FILE__ . '.five');
TestRedis::cleanup(__FILE__ . '.wd');
?>
--EXPECTF--
-- one acquire: the token on every master, one script per master each way
bool(true)
masters holding our token: 3
remaining ttl within (9000, 10000]: true
bool(true)
bool(true)
second holder refused: false
bool(true)
masters holding it after release: 0
scripts run per master (acquire, ttl, extend, ttl, refused acquire, release): 6,6,6
-- mutual exclusion, 8 processes waiting, 3 masters
all increments kept, timeouts: 0
-- a waiter is woken by the release, not by the holder's expiry
woken: true, after the release and well before the 10 s expiry: true
waiter lists left behind: none
-- 5 masters
masters holding our token: 5
all increments kept, timeouts: 0
two of five killed: all increments kept, timeouts: 0
-- watchdog: renewed on every master; one master gone keeps the lease, a majority gone loses it
after 3 ttl: true, masters holding it: 3
one master killed, 3 ttl later: true, masters holding it: 2
a majority killed, 3 ttl later: false
bool(false)
-- fencing: tokens grow in the order the lock is held, across 8 processes and a master restarted empty
tokens handed out: more after the restart, out of order: 0
counters raised on a majority: yes
-- forceRelease on every master
bool(true)
int(0)
bool(false)
-- bad input
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" must list one server, or 3 to 9 independent masters for Redlock (a majority of them must agree), 2 given
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" must list one server, or 3 to 9 independent masters for Redlock (a majority of them must agree), 10 given
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" lists the server redis://127.0.0.1:%d/0 twice
ValueError: RLockIdempotency::__construct(): Argument #2 ($options) option "servers" must list one server for RLockIdempotency (its records cannot be kept on Redlock masters); use "cluster" to scale out
keys left on the masters besides fence counters: 0
