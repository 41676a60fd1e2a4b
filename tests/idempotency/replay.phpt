--TEST--
RLockIdempotency: replay exactly as returned, fingerprints, state(), begin/complete/abort, limits and bad input
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$o = $redis->opts();
$idem = new RLockIdempotency('orders', $o + ['allowed_classes' => ['ArrayObject']]);

function attempt(callable $fn): void
{
    try {
        $r = $fn();
        echo "returned ", var_export($r, true), "\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}

echo "-- replays exactly what the first run returned, without running again\n";
$runs = 0;
$values = ['array' => ['id' => 7, 'items' => [1, 2], 'total' => 49.99], 'object' => new ArrayObject(['a' => 1]),
    'null' => null, 'false' => false, 'zero' => 0, 'empty string' => ''];
foreach ($values as $label => $value) {
    $first = $idem->run("replay:$label", function () use ($value, &$runs) { $runs++; return $value; });
    $again = $idem->run("replay:$label", function () use (&$runs) { $runs++; return 'DIFFERENT'; });
    echo str_pad($label, 14), var_export($again == $first && gettype($again) === gettype($first), true),
        " (state ", $idem->state("replay:$label"), ")\n";
}
echo "runs: $runs\n";

echo "-- fingerprints\n";
$idem->run('pay:1', fn() => 'charged', 'amount=4999');
attempt(fn() => $idem->run('pay:1', fn() => 'x', 'amount=4999'));
attempt(fn() => $idem->run('pay:1', fn() => 'x', 'amount=1'));
attempt(fn() => $idem->run('pay:1', fn() => 'x'));
echo "-- scopes do not share keys\n";
attempt(fn() => (new RLockIdempotency('refunds', $o))->run('pay:1', fn() => 'a refund'));
var_dump($idem->state('never-used'));

echo "-- begin / complete / abort\n";
var_dump($idem->begin('mw:1', 'fp'));
attempt(fn() => $idem->begin('mw:1', 'fp'));
var_dump($idem->state('mw:1'));
$idem->complete('mw:1', ['status' => 201]);
var_dump($idem->begin('mw:1', 'fp'));
var_dump($idem->begin('mw:2')['claimed'], $idem->abort('mw:2'), $idem->state('mw:2'), $idem->begin('mw:2')['claimed']);
$idem->abort('mw:2');
attempt(fn() => $idem->complete('mw:3', 1));
attempt(fn() => $idem->abort('mw:3'));

echo "-- results that cannot be replayed still mark the key done\n";
$small = new RLockIdempotency('orders', $o + ['max_result_bytes' => 64]);
attempt(fn() => @$small->run('big', fn() => str_repeat('x', 100)));
attempt(fn() => $small->run('big', fn() => 'run again?'));
attempt(fn() => @$small->run('closure', fn() => fn() => 1) instanceof Closure);
attempt(fn() => $small->run('closure', fn() => 'run again?'));
attempt(fn() => is_resource(@$small->run('resource', fn() => STDIN)));
attempt(fn() => $small->run('resource', fn() => 'run again?'));

echo "-- bad input\n";
attempt(fn() => new RLockIdempotency('', $o));
attempt(fn() => new RLockIdempotency(str_repeat('s', 257), $o));
attempt(fn() => $idem->run('', fn() => 1));
attempt(fn() => $idem->run(str_repeat('k', 1025), fn() => 1));
attempt(fn() => $idem->run('k', fn() => 1, str_repeat('f', 1025)));
attempt(fn() => $idem->run('k', 'no_such_function'));
foreach ([['lease' => 0], ['retention' => 2592000001], ['wait' => -1], ['on_error' => 'retry'],
    ['max_result_bytes' => 0], ['ttl' => 1000], ['fair' => true], ['lease' => '10']] as $bad) {
    attempt(fn() => new RLockIdempotency('x', $bad + $o));
}
attempt(fn() => clone $idem);
attempt(fn() => serialize($idem));
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTF--
-- replays exactly what the first run returned, without running again
array         true (state done)
object        true (state done)
null          true (state done)
false         true (state done)
zero          true (state done)
empty string  true (state done)
runs: 6
-- fingerprints
returned 'charged'
RLockConflictException: key "pay:1" was first used with another fingerprint
RLockConflictException: key "pay:1" was first used with another fingerprint
-- scopes do not share keys
returned 'a refund'
NULL
-- begin / complete / abort
array(1) {
  ["claimed"]=>
  bool(true)
}
Error: RLockIdempotency::begin(): key "mw:1" is already begun by this object; complete() or abort() it first
string(7) "running"
array(2) {
  ["claimed"]=>
  bool(false)
  ["result"]=>
  array(1) {
    ["status"]=>
    int(201)
  }
}
bool(true)
bool(true)
NULL
bool(true)
Error: RLockIdempotency::complete(): key "mw:3" was not begun by this object
Error: RLockIdempotency::abort(): key "mw:3" was not begun by this object
-- results that cannot be replayed still mark the key done
returned '%s'
RLockException: key "big" was done, but its result (%d bytes) was over max_result_bytes and was not stored for replay
returned true
RLockException: key "closure" was done, but its result could not be stored for replay (Serialization of 'Closure' is not allowed)
returned true
RLockException: key "resource" was done, but its result could not be stored for replay (a resource)
-- bad input
ValueError: RLockIdempotency::__construct(): Argument #1 ($scope) must be 1 to 256 bytes long, 0 given
ValueError: RLockIdempotency::__construct(): Argument #1 ($scope) must be 1 to 256 bytes long, 257 given
ValueError: RLockIdempotency::run(): Argument #1 ($key) must be 1 to 1024 bytes long, 0 given
ValueError: RLockIdempotency::run(): Argument #1 ($key) must be 1 to 1024 bytes long, 1025 given
ValueError: RLockIdempotency::run(): Argument #3 ($fingerprint) must be at most 1024 bytes long, 1025 given
TypeError: RLockIdempotency::run(): Argument #2 ($fn) must be a valid callback, function "no_such_function" not found or invalid function name
ValueError: RLockIdempotency::__construct(): Argument #2 ($options) option "lease" must be between 1 and 604800000 (milliseconds), 0 given
ValueError: RLockIdempotency::__construct(): Argument #2 ($options) option "retention" must be between 1 and 2592000000 (milliseconds), 2592000001 given
ValueError: RLockIdempotency::__construct(): Argument #2 ($options) option "wait" must be between 0 and 86400000 (milliseconds), -1 given
ValueError: RLockIdempotency::__construct(): Argument #2 ($options) option "on_error" must be "release", "store" or "keep", "retry" given
ValueError: RLockIdempotency::__construct(): Argument #2 ($options) option "max_result_bytes" must be between 1 and 67108864 (bytes), 0 given
ValueError: RLockIdempotency::__construct(): Argument #2 ($options) has an unknown option "ttl"; known options are servers, prefix, connect_timeout, read_timeout, fencing, lease, retention, wait, on_error, max_result_bytes, allowed_classes, cluster, sentinels, service, tls
ValueError: RLockIdempotency::__construct(): Argument #2 ($options) has an unknown option "fair"; known options are servers, prefix, connect_timeout, read_timeout, fencing, lease, retention, wait, on_error, max_result_bytes, allowed_classes, cluster, sentinels, service, tls
TypeError: RLockIdempotency::__construct(): Argument #2 ($options) option "lease" must be of type int, string given
Error: Trying to clone an uncloneable object of class RLockIdempotency
Exception: Serialization of 'RLockIdempotency' is not allowed
