--TEST--
Symfony Lock bridge: RLockStore behind LockFactory (Debian's symfony/lock) — blocking waits without polling, mutual exclusion, refresh, watchdog, request-end release, Redis trouble
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; if (!is_file('/usr/share/php/Symfony/Component/Lock/autoload.php')) die('skip php-symfony-lock not installed'); ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/bridges.inc';
require '/usr/share/php/Symfony/Component/Lock/autoload.php';
bridge_autoload('symfony-lock');

use RLock\Bridge\Symfony\Lock\RLockStore;
use Symfony\Component\Lock\LockFactory;

$redis = TestRedis::start(__FILE__);

echo "-- the README snippet\n";
eval(readme_snippet('symfony-lock', $redis->uri()));

echo "-- one holder at a time; the key is rlock's\n";
$factory = new LockFactory(new RLockStore($redis->opts()));
$lock = $factory->createLock('order:1', 10);
var_dump($lock->acquire(), $redis->cmd('PTTL', 'rlock:{order:1}') > 9000);
$rival = (new LockFactory(new RLockStore($redis->opts())))->createLock('order:1');
var_dump($rival->acquire());
$lock->refresh(20);
var_dump($redis->cmd('PTTL', 'rlock:{order:1}') > 19000, $lock->isAcquired(), $lock->getRemainingLifetime() > 19);
$lock->release();
var_dump($lock->isAcquired(), $redis->cmd('EXISTS', 'rlock:{order:1}'));

echo "-- a blocking acquire is woken by the release, without polling\n";
$pid = fork_child(function () use ($redis) {
    $lock = (new LockFactory(new RLockStore($redis->opts())))->createLock('order:2', 10);
    $lock->acquire();
    await_waiters($redis, 'rlock:{order:2}'); // then 600 ms more: the waiter really waits
    usleep(600000);
    $redis->cmd('HSET', 'notes', 'released', (string) microtime(true));
    $lock->release();
});
await(fn() => $redis->cmd('EXISTS', 'rlock:{order:2}') === 1);
$scripts = $redis->calls('evalsha') + $redis->calls('eval');
$start = microtime(true);
$waiter = $factory->createLock('order:2', 10);
var_dump($waiter->acquire(true));
$gotAt = microtime(true);
pcntl_waitpid($pid, $status);
$released = (float) $redis->cmd('HGET', 'notes', 'released');
// woken within milliseconds of the release; not woken, it would wait for the 10 s TTL
$woken = $gotAt - $start >= 0.6 && $gotAt >= $released && $gotAt - $released < time_limit(1.0, 3.0);
echo "waited for the release: ", var_export($woken, true), ", scripts run meanwhile (no poll): ",
    var_export($redis->calls('evalsha') + $redis->calls('eval') - $scripts <= 4, true), "\n";
$waiter->release();

echo "-- 8 processes, blocking acquire, one counter\n";
$rounds = scaled(30, 4);
$pids = [];
for ($w = 0; $w < 8; $w++) {
    $pids[] = fork_child(function () use ($redis, $rounds) {
        $factory = new LockFactory(new RLockStore($redis->opts()));
        for ($i = 0; $i < $rounds; $i++) {
            $lock = $factory->createLock('stock', 10);
            $lock->acquire(true);
            $n = (int) $redis->cmd('GET', 'counter');
            usleep(300);
            $redis->cmd('SET', 'counter', (string) ($n + 1));
            $lock->release();
        }
    });
}
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
echo "counter: ", (int) $redis->cmd('GET', 'counter') === 8 * $rounds ? 'all increments kept' : 'LOST UPDATES', "\n";

echo "-- rlock's watchdog through the store: a 300 ms lease held for 1 s\n";
$watched = (new LockFactory(new RLockStore($redis->opts(['watchdog' => true]))))->createLock('report', 0.3);
$watched->acquire();
usleep(1000000);
var_dump($watched->isAcquired(), $redis->cmd('EXISTS', 'rlock:{report}'));
$watched->release();

echo "-- request-end release: a script that never releases (autoRelease off)\n";
[$code] = run_php('<?php
require "/usr/share/php/Symfony/Component/Lock/autoload.php";
require ' . var_export(__DIR__ . '/../inc/bridges.inc', true) . ';
bridge_autoload("symfony-lock");
$lock = (new Symfony\Component\Lock\LockFactory(new RLock\Bridge\Symfony\Lock\RLockStore(["servers" => ' . var_export($redis->uri(), true) . '])))->createLock("left", 60, false);
$lock->acquire();
$GLOBALS["keep"] = $lock;
exit(0);');
echo "exit $code, lock left behind: ", $redis->cmd('EXISTS', 'rlock:{left}'), "\n";

echo "-- Redis unreachable\n";
$dead = (new LockFactory(new RLockStore(['servers' => 'redis://127.0.0.1:1', 'connect_timeout' => 200])))->createLock('x');
try {
    $dead->acquire();
} catch (Throwable $e) {
    echo get_class($e), ' <- ', get_class($e->getPrevious()), ' <- ', get_class($e->getPrevious()->getPrevious()), "\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- the README snippet
order 1001 paid once
-- one holder at a time; the key is rlock's
bool(true)
bool(true)
bool(false)
bool(true)
bool(true)
bool(true)
bool(false)
int(0)
-- a blocking acquire is woken by the release, without polling
bool(true)
waited for the release: true, scripts run meanwhile (no poll): true
-- 8 processes, blocking acquire, one counter
counter: all increments kept
-- rlock's watchdog through the store: a 300 ms lease held for 1 s
bool(true)
int(1)
-- request-end release: a script that never releases (autoRelease off)
exit 0, lock left behind: 0
-- Redis unreachable
Symfony\Component\Lock\Exception\LockAcquiringException <- Symfony\Component\Lock\Exception\LockStorageException <- RLockConnectionException
