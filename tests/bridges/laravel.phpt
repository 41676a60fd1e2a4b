--TEST--
Laravel bridge: Cache::lock()-style locks on rlock (Debian's illuminate/cache) — get, block without polling, release, owner, restoreLock, forceRelease, 8 processes
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; if (!is_file('/usr/share/php/Illuminate/Cache/autoload.php')) die('skip php-illuminate-cache not installed'); ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/bridges.inc';
require '/usr/share/php/Illuminate/Cache/autoload.php';
bridge_autoload('laravel');

use Illuminate\Cache\ArrayStore;
use Illuminate\Cache\Repository;
use Illuminate\Contracts\Cache\LockTimeoutException;
use RLock\Bridge\Laravel\RLockStore;

$redis = TestRedis::start(__FILE__);

echo "-- the README snippet\n";
eval(readme_snippet('laravel', $redis->uri()));

$cache = new Repository(new RLockStore(new ArrayStore(), $redis->opts()));

echo "-- get, owner, release; values still go to the wrapped store\n";
$lock = $cache->lock('order:1', 10);
var_dump($lock->get(), strlen($lock->owner()) > 0, $redis->cmd('PTTL', 'rlock:{order:1}') > 9000);
var_dump($cache->lock('order:1', 10)->get(), $cache->forever('k', 'v'), $cache->get('k'));
var_dump($lock->release(), $redis->cmd('EXISTS', 'rlock:{order:1}'));

echo "-- restoreLock: in this worker, and in another process with the owner the lock was given\n";
$lock = $cache->lock('job:7', 30);
$lock->get();
var_dump($cache->restoreLock('job:7', $lock->owner())->release(), $redis->cmd('EXISTS', 'rlock:{job:7}'));
// Each step a process of its own, as a web request and the queue workers that finish its job.
$step = fn(string $code) => trim(run_php('<?php
require "/usr/share/php/Illuminate/Cache/autoload.php";
require ' . var_export(__DIR__ . '/../inc/bridges.inc', true) . ';
bridge_autoload("laravel");
$cache = new Illuminate\Cache\Repository(new RLock\Bridge\Laravel\RLockStore(new Illuminate\Cache\ArrayStore(), ["servers" => ' . var_export($redis->uri(), true) . ']));
' . $code)[1]);
$owner = $step('$lock = $cache->lock("job:8", 30); $lock->get(); echo $lock->owner();');
echo "the request's owner is rlock's token: ", var_export($redis->cmd('GET', 'rlock:{job:8}') === $owner, true), "\n";
echo "another process: ", $step('$r = $cache->restoreLock("job:8", ' . var_export($owner, true) . ');
echo json_encode(["isOwnedBy" => $r->isOwnedBy(' . var_export($owner, true) . '), "ofCurrentProcess" => $r->isOwnedByCurrentProcess(),
    "other owner" => $cache->restoreLock("job:8", str_repeat("0", 32))->release(), "refresh" => $r->refresh(60), "get" => $r->get()]);'),
    ", lease after refresh(60): ", var_export($redis->cmd('PTTL', 'rlock:{job:8}') > 50000, true), "\n";
echo "a third releases it: ", $step('var_dump($cache->restoreLock("job:8", ' . var_export($owner, true) . ')->release());'),
    ", held after: ", $redis->cmd('EXISTS', 'rlock:{job:8}'), "\n";

echo "-- ShouldBeUnique: the web request's lock (uniqueFor 0) lasts until the queue worker lets it go\n";
// what Illuminate\Bus\UniqueLock does: acquire lock($key, $uniqueFor)->get(), release lock($key)->forceRelease()
$unique = 'laravel_unique_job:App\\Jobs\\SendInvoice:42';
$dispatch = fn() => $step('var_dump($cache->lock(' . var_export($unique, true) . ', 0)->get());');
echo "first dispatch: ", $dispatch(), ", a duplicate after that request ended: ", $dispatch();
echo ", the worker runs the job: ", $step('$cache->lock(' . var_export($unique, true) . ')->forceRelease(); echo "released";'),
    ", dispatched again: ", $dispatch(), "\n";
$cache->lock($unique)->forceRelease();

echo "-- block() is woken by the release, without polling\n";
$pid = fork_child(function () use ($redis) {
    $cache = new Repository(new RLockStore(new ArrayStore(), $redis->opts()));
    $cache->lock('order:2', 10)->get(function () use ($redis) {
        await_waiters($redis, 'rlock:{order:2}'); // then 600 ms more: the waiter really waits
        usleep(600000);
        $redis->cmd('HSET', 'notes', 'released', (string) microtime(true)); // HSET: not counted below
    });
});
await(fn() => $redis->cmd('EXISTS', 'rlock:{order:2}') === 1);
$scripts = $redis->calls('evalsha') + $redis->calls('eval') + $redis->calls('set');
$start = microtime(true);
echo $cache->lock('order:2', 10)->block(5, fn() => 'blocked, then ran'), "\n";
$gotAt = microtime(true);
pcntl_waitpid($pid, $status);
$released = (float) $redis->cmd('HGET', 'notes', 'released');
// woken within milliseconds of the release; not woken, it would give up at its 5 s deadline
$woken = $gotAt - $start >= 0.6 && $gotAt >= $released && $gotAt - $released < time_limit(1.0, 3.0);
echo "waited for the release: ", var_export($woken, true), ", commands meanwhile (no poll): ",
    var_export($redis->calls('evalsha') + $redis->calls('eval') + $redis->calls('set') - $scripts <= 4, true), "\n";

echo "-- block() gives up at its deadline\n";
$held = $cache->lock('busy', 10);
$held->get();
$other = new Repository(new RLockStore(new ArrayStore(), $redis->opts()));
$pid = fork_child(function () use ($redis) {
    $cache = new Repository(new RLockStore(new ArrayStore(), $redis->opts()));
    $start = microtime(true);
    try {
        $cache->lock('busy', 10)->block(1);
    } catch (LockTimeoutException $e) {
        $redis->cmd('SET', 'timeout', (string) (microtime(true) - $start));
    }
});
pcntl_waitpid($pid, $status);
// not before its 1 s, and well before the holder's 10 s TTL would let it in
$took = $redis->cmd('GET', 'timeout');
echo "LockTimeoutException at the 1 s deadline: ",
    is_numeric($took) && $took >= 0.99 && $took < time_limit(3.0, 6.0) ? 'yes' : "no ($took)", "\n";
$held->release();

echo "-- seconds = 0: held until released (rlock's longest lease, 7 days, for a holder that crashed)\n";
$forever = $cache->lock('nightly', 0);
$forever->get();
var_dump($redis->cmd('PTTL', 'rlock:{nightly}') > 86400000, $forever->release());

echo "-- 8 processes, block(), one counter\n";
$rounds = scaled(30, 4);
$pids = [];
for ($w = 0; $w < 8; $w++) {
    $pids[] = fork_child(function () use ($redis, $rounds) {
        $cache = new Repository(new RLockStore(new ArrayStore(), $redis->opts()));
        for ($i = 0; $i < $rounds; $i++) {
            $cache->lock('stock', 10)->block(30, function () use ($redis) {
                $n = (int) $redis->cmd('GET', 'counter');
                usleep(300);
                $redis->cmd('SET', 'counter', (string) ($n + 1));
            });
        }
    });
}
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
echo "counter: ", (int) $redis->cmd('GET', 'counter') === 8 * $rounds ? 'all increments kept' : 'LOST UPDATES', "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- the README snippet
order 1001 created once
paid after waiting, without polling
-- get, owner, release; values still go to the wrapped store
bool(true)
bool(true)
bool(true)
bool(false)
bool(true)
string(1) "v"
bool(true)
int(0)
-- restoreLock: in this worker, and in another process with the owner the lock was given
bool(true)
int(0)
the request's owner is rlock's token: true
another process: {"isOwnedBy":true,"ofCurrentProcess":true,"other owner":false,"refresh":true,"get":false}, lease after refresh(60): true
a third releases it: bool(true), held after: 0
-- ShouldBeUnique: the web request's lock (uniqueFor 0) lasts until the queue worker lets it go
first dispatch: bool(true), a duplicate after that request ended: bool(false), the worker runs the job: released, dispatched again: bool(true)
-- block() is woken by the release, without polling
blocked, then ran
waited for the release: true, commands meanwhile (no poll): true
-- block() gives up at its deadline
LockTimeoutException at the 1 s deadline: yes
-- seconds = 0: held until released (rlock's longest lease, 7 days, for a holder that crashed)
bool(true)
bool(true)
-- 8 processes, block(), one counter
counter: all increments kept
