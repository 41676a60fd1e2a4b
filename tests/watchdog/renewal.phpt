--TEST--
watchdog: a 300 ms lease held for 2 s (in sleep() and in a busy loop) stays ours; without it, it is lost; renewal stops at release and request end
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$busy = under_valgrind() ? 1.5 : 2.0; // seconds the holder works

/** Another process tries to take the lock every 50 ms for $seconds; says when (microtime) it got it. */
function contender(TestRedis $redis, string $name, float $seconds): int
{
    $redis->cmd('DEL', "contender:$name");
    return fork_child(function () use ($redis, $name, $seconds) {
        $lock = new RLock($name, $redis->opts());
        $start = microtime(true);
        while (microtime(true) - $start < $seconds) {
            if ($lock->acquire()) {
                $redis->cmd('SET', "contender:$name", (string) microtime(true));
                return; // auto-released at exit
            }
            usleep(50000);
        }
        $redis->cmd('SET', "contender:$name", 'never');
    });
}

foreach (['sleep()' => fn($s) => usleep((int) ($s * 1e6)),
          'a busy loop' => function ($s) { $end = microtime(true) + $s; while (microtime(true) < $end) {} }] as $how => $work) {
    echo "-- watchdog, holder busy in $how\n";
    $name = 'order:' . md5($how);
    $lock = new RLock($name, $redis->opts(['ttl' => 300, 'watchdog' => true]));
    $lock->acquire();
    $renewals = RLock::stats()['renewals'];
    $since = microtime(true);
    $pid = contender($redis, $name, $busy);
    $work($busy);
    pcntl_waitpid($pid, $status);
    echo "other process got it: ", $redis->cmd('GET', "contender:$name"), "\n";
    $made = RLock::stats()['renewals'] - $renewals;
    // Compared with the time that really passed. A renewal is due ttl/3 after the last one was
    // sent: more than that many is a bug however busy the machine; fewer is a late thread (3x
    // slack; one late enough to lose the lease shows above, as the other process getting it).
    $due = (microtime(true) - $since) / 0.1;
    echo "renewals about every ttl/3: ", $made >= $due / 3 && $made <= $due * 1.2 + 1 ? 'yes' : "no ($made, $due due)", "\n";
    var_dump($lock->isAcquired(), $lock->release());
}

echo "-- no watchdog: the lease runs out after 300 ms\n";
$lock = new RLock('order:plain', $redis->opts(['ttl' => 300]));
$before = microtime(true);
$lock->acquire();
$lost = RLock::stats()['lost'];
$pid = contender($redis, 'order:plain', 5.0); // it stops at its first success
usleep((int) ($busy * 1e6));
pcntl_waitpid($pid, $status);
$got = $redis->cmd('GET', 'contender:order:plain');
// Not before the lease ends (it began after $before; 10 ms for Redis' ms clock), and about then.
$after = is_numeric($got) ? $got - $before : null;
echo "other process got it after ~300 ms: ", $after !== null && $after >= 0.29 && $after < time_limit(1.0, 3.0) ? 'yes' : "no ($got)", "\n";
var_dump($lock->isAcquired(), $lock->release());
echo "lost leases counted: ", RLock::stats()['lost'] - $lost, "\n";

echo "-- renewal stops at release\n";
$lock = new RLock('order:released', $redis->opts(['ttl' => 300, 'watchdog' => true]));
$lock->acquire();
usleep(250000);
$lock->release();
$renewals = RLock::stats()['renewals'];
usleep(500000);
echo "renewals after release: ", RLock::stats()['renewals'] - $renewals, ", key: ", $redis->cmd('EXISTS', 'rlock:{order:released}'), "\n";

echo "-- renewal stops at request end (auto_release off: the lease then simply expires)\n";
[$exit, $out] = run_php('<?php
$lock = new RLock("order:kept", ["servers" => getenv("URI"), "ttl" => 300, "watchdog" => true, "auto_release" => false]);
$lock->acquire();
usleep(400000); // renewed while the request runs
echo "held at the end of the request: ", var_export($lock->isAcquired(), true), "\n";', [], ['URI' => $redis->uri()]);
echo $out;
$ended = microtime(true);
await(fn() => !$redis->cmd('EXISTS', 'rlock:{order:kept}'), 5);
echo "expired within its ttl after the request ended: ", microtime(true) - $ended < 3 * 0.3 ? 'yes' : 'no', "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- watchdog, holder busy in sleep()
other process got it: never
renewals about every ttl/3: yes
bool(true)
bool(true)
-- watchdog, holder busy in a busy loop
other process got it: never
renewals about every ttl/3: yes
bool(true)
bool(true)
-- no watchdog: the lease runs out after 300 ms
other process got it after ~300 ms: yes
bool(false)
bool(false)
lost leases counted: 1
-- renewal stops at release
renewals after release: 0, key: 0
-- renewal stops at request end (auto_release off: the lease then simply expires)
held at the end of the request: true
expired within its ttl after the request ended: yes
