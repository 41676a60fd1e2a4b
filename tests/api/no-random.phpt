--TEST--
No random bytes (the CSPRNG fails): acquire() and run() throw RLockException saying so, not RLockConnectionException; nothing is written to Redis; the next call after the CSPRNG is back works
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
<?php if (!is_executable('/usr/bin/cc')) die('skip no C compiler for the CSPRNG shim'); ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$dir = TestRedis::dirFor(__FILE__);
$shim = "$dir/no-random.so";
$out = [];
exec('cc -shared -fPIC -o ' . escapeshellarg($shim) . ' ' . escapeshellarg(__DIR__ . '/../inc/no-random.c') . ' -ldl 2>&1', $out, $rc);
if ($rc !== 0) {
    die("cannot build the shim: " . implode("\n", $out) . "\n");
}
$flag = "$dir/no-random.flag";
@unlink($flag);

$child = <<<'PHP'
<?php
[, $uri, $flag] = $argv;
$o = ['servers' => $uri];
function attempt(string $what, callable $fn): void
{
    try {
        $result = var_export($fn(), true);
    } catch (Throwable $e) {
        $result = get_class($e) . ': ' . $e->getMessage();
    }
    echo $what, ': ', $result, "\n";
}
$lock = new RLock('no-random', $o);
$fair = new RLock('no-random-fair', $o + ['fair' => true, 'fencing' => true]);
$idem = new RLockIdempotency('no-random', $o + ['wait' => 500]);
touch($flag); // the CSPRNG fails from here on
attempt('acquire()', fn() => $lock->acquire());
attempt('acquire(200)', fn() => $lock->acquire(200));
attempt('fair, fenced acquire()', fn() => $fair->acquire());
attempt('run()', fn() => $idem->run('order-1', fn() => 'ran'));
attempt('begin()', fn() => $idem->begin('order-2'));
unlink($flag); // and is back
attempt('acquire() again', fn() => $lock->acquire());
attempt('release()', fn() => $lock->release());
attempt('run() again', fn() => $idem->run('order-1', fn() => 'ran'));
PHP;
$file = "$dir/child.php";
file_put_contents($file, $child);
$preload = trim((getenv('LD_PRELOAD') ?: '') . ':' . $shim, ':');
[$code, $output] = run_php_file($file, [$redis->uri(), $flag], [], ['LD_PRELOAD' => $preload, 'RLOCK_NO_RANDOM_FLAG' => $flag]);
echo $output;
echo "exit $code\n";

echo "-- nothing was written while the CSPRNG failed\n";
var_dump($redis->cmd('EXISTS', 'rlock:{no-random-fair}', 'rlock:{no-random-fair}:fence', 'rlock:{no-random}:q'));
var_dump($redis->cmd('HGET', 'rlock:{no-random:order-2}:idem', 'state'));
var_dump($redis->cmd('HGET', 'rlock:{no-random:order-1}:idem', 'state'));
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
acquire(): RLockException: no random bytes for a lock token
acquire(200): RLockException: no random bytes for a lock token
fair, fenced acquire(): RLockException: no random bytes for a lock token
run(): RLockException: no random bytes for a claim token
begin(): RLockException: no random bytes for a claim token
acquire() again: true
release(): true
run() again: 'ran'
exit 0
-- nothing was written while the CSPRNG failed
int(0)
NULL
string(4) "done"
