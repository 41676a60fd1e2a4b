--TEST--
RLock::restore(): a lock taken in a php -S request (auto_release false) is owned, extended, watched and released by separate worker processes; a wrong or stale token owns nothing; 8 workers share the hand-overs, each lock released exactly once
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

// The web request takes the job's lock for longer than itself and hands the token on.
$docroot = $redis->dir . '/www';
@mkdir($docroot);
file_put_contents("$docroot/index.php", '<?php
$lock = new RLock($_GET["job"], ["servers" => getenv("URI"), "ttl" => 60000, "auto_release" => false]);
echo json_encode(["token" => $lock->acquire() ? $lock->getToken() : null]);');
$probe = stream_socket_server('tcp://127.0.0.1:0');
$port = (int) substr(strrchr(stream_socket_get_name($probe, false), ':'), 1);
fclose($probe);
$web = proc_open(array_merge(php_with_rlock(), ['-S', "127.0.0.1:$port", '-t', $docroot]),
    [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']],
    $pipes, null, ['URI' => $redis->uri()] + getenv());
await(fn() => (bool) @fsockopen('127.0.0.1', $port), 60);
$request = fn(string $job) => json_decode((string) file_get_contents("http://127.0.0.1:$port/index.php?job=" . urlencode($job)), true)['token'];

echo "-- taken in a request, outlives it, released by a worker process\n";
$token = $request('job:1');
echo "token: ", $b(is_string($token) && strlen($token) === 32), ", held after the request: ",
    $b($redis->cmd('GET', 'rlock:{job:1}') === $token), "\n";
$worker = '<?php
$lock = RLock::restore($argv[1], $argv[2], ["servers" => getenv("URI"), "ttl" => 300, "watchdog" => true]);
$owned = $lock->isAcquired();
$ms = $lock->getRemainingTtl();
$extended = $lock->extend(60000) && $lock->getRemainingTtl() > 30000;
$lock->extend(300);
usleep(1500000); // five leases of 300 ms: only the watchdog keeps it
$watched = $lock->isAcquired();
echo json_encode(["owned" => $owned, "ttl" => $ms > 0, "token" => $lock->getToken() === $argv[2],
    "extended" => $extended, "watched" => $watched, "released" => $lock->release(), "again" => $lock->release()]);';
file_put_contents($redis->dir . '/worker.php', $worker);
[$exit, $out] = run_php_file($redis->dir . '/worker.php', ['job:1', $token], [], ['URI' => $redis->uri()]);
echo "worker: $out (exit $exit); held after: ", $redis->cmd('EXISTS', 'rlock:{job:1}'), "\n";

echo "-- a wrong or stale token owns nothing\n";
$stale = RLock::restore('job:1', $token, $redis->opts());
$wrong = RLock::restore('job:1', str_repeat('ab', 16), $redis->opts());
$redis->cmd('SET', 'rlock:{job:2}', 'someone-else');
$rival = RLock::restore('job:2', str_repeat('cd', 16), $redis->opts());
foreach (['stale' => $stale, 'wrong' => $wrong, 'of a lock held by another' => $rival] as $what => $l) {
    echo "$what: isAcquired ", $b($l->isAcquired()), ", token ", $b($l->getToken()), ", ttl ", $l->getRemainingTtl(),
        ", extend ", $b($l->extend()), ", release ", $b($l->release()), "\n";
}
echo "the other's lock untouched: ", $b($redis->cmd('GET', 'rlock:{job:2}') === 'someone-else'), "\n";
echo "a restored object acquires like any other: ", $b($stale->acquire() && $stale->getToken() !== $token && $stale->release()), "\n";

echo "-- restored with auto_release (the default): the worker's request end releases it\n";
$token = $request('job:3');
[$exit, $out] = run_php('<?php $l = RLock::restore("job:3", getenv("T"), ["servers" => getenv("URI")]); echo var_export($l->isAcquired(), true);',
    [], ['URI' => $redis->uri(), 'T' => $token]);
echo "worker owned it: $out, held after it ended: ", $redis->cmd('EXISTS', 'rlock:{job:3}'), "\n";

echo "-- bad input\n";
foreach (['', 'abc', str_repeat('A', 32), str_repeat('g', 32), str_repeat('a', 33), str_repeat('a', 31) . "\0"] as $t) {
    try {
        RLock::restore('job:1', $t, $redis->opts());
    } catch (ValueError $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
}
try {
    RLock::restore('', $token, $redis->opts());
} catch (ValueError $e) {
    echo $e->getMessage(), "\n";
}
try {
    RLock::restore('job:1', $token, ['servers' => 'redis://127.0.0.1:1', 'connect_timeout' => 200]);
} catch (RLockConnectionException $e) {
    echo get_class($e), "\n";
}

echo "-- 8 workers, 40 jobs locked in requests: each released once, by one worker\n";
$jobs = scaled(40, 10);
for ($j = 0; $j < $jobs; $j++) {
    $t = $request("batch:$j");
    $redis->cmd('RPUSH', 'handover', "batch:$j|$t", "batch:$j|$t"); // each token twice: two workers race for it
}
$children = [];
for ($w = 0; $w < 8; $w++) {
    $children[] = fork_child(function () use ($redis) {
        while (($item = $redis->cmd('LPOP', 'handover')) !== null) {
            [$job, $token] = explode('|', $item);
            $lock = RLock::restore($job, $token, $redis->opts(['auto_release' => false]));
            if ($lock->release()) {
                $redis->cmd('INCR', "released:$job");
            }
        }
    });
}
foreach ($children as $pid) {
    pcntl_waitpid($pid, $status);
}
$once = 0;
for ($j = 0; $j < $jobs; $j++) {
    $once += (int) $redis->cmd('GET', "released:batch:$j") === 1;
}
echo "released exactly once: ", $once === $jobs ? 'all' : $once, ", locks left: ", count($redis->cmd('KEYS', 'rlock:{batch:*}')), "\n";
proc_terminate($web, 2);
proc_close($web);
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- taken in a request, outlives it, released by a worker process
token: true, held after the request: true
worker: {"owned":true,"ttl":true,"token":true,"extended":true,"watched":true,"released":true,"again":false} (exit 0); held after: 0
-- a wrong or stale token owns nothing
stale: isAcquired false, token NULL, ttl -1, extend false, release false
wrong: isAcquired false, token NULL, ttl -1, extend false, release false
of a lock held by another: isAcquired false, token NULL, ttl -1, extend false, release false
the other's lock untouched: true
a restored object acquires like any other: true
-- restored with auto_release (the default): the worker's request end releases it
worker owned it: true, held after it ended: 0
-- bad input
ValueError: RLock::restore(): Argument #2 ($token) must be a token from RLock::getToken() (32 hex digits)
ValueError: RLock::restore(): Argument #2 ($token) must be a token from RLock::getToken() (32 hex digits)
ValueError: RLock::restore(): Argument #2 ($token) must be a token from RLock::getToken() (32 hex digits)
ValueError: RLock::restore(): Argument #2 ($token) must be a token from RLock::getToken() (32 hex digits)
ValueError: RLock::restore(): Argument #2 ($token) must be a token from RLock::getToken() (32 hex digits)
ValueError: RLock::restore(): Argument #2 ($token) must be a token from RLock::getToken() (32 hex digits)
RLock::restore(): Argument #1 ($name) must not be empty
RLockConnectionException
-- 8 workers, 40 jobs locked in requests: each released once, by one worker
released exactly once: all, locks left: 0
