--TEST--
allowed_classes: replay unserializes stored results and re-creates stored failures only for the classes allowed (none by default; PHP's own exception classes always)
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$o = $redis->opts();

class Order { public function __construct(public int $id = 0) {} }
class Gadget { public function __wakeup(): void { echo "  !! Gadget::__wakeup ran\n"; } public function __destruct() { echo "  !! Gadget::__destruct ran\n"; } }
class PaymentDeclined extends RuntimeException {}
spl_autoload_register(function (string $class) { echo "  !! autoload $class\n"; });

function answer(RLockIdempotency $idem, string $key): string
{
    try {
        $value = $idem->run($key, fn() => 'ran again');
        return is_object($value) ? get_class($value) : json_encode($value);
    } catch (Throwable $e) {
        return get_class($e) . ': ' . $e->getMessage();
    }
}
/* What someone who can write to the shared Redis could leave there. */
function forge(TestRedis $redis, string $key, string $result, string $state = 'done'): void
{
    $redis->cmd('HSET', "rlock:{pay:$key}:idem", 'state', $state, 'owner', 'x', 'fp', '', 'result', $result);
}

echo "-- a stored object\n";
(new RLockIdempotency('pay', $o))->run('order', fn() => new Order(7));
foreach (['default' => [], 'listed' => ['allowed_classes' => ['order']], 'true' => ['allowed_classes' => true],
          'false' => ['allowed_classes' => false], 'others' => ['allowed_classes' => ['Gadget']]] as $label => $more) {
    echo "$label: ", answer(new RLockIdempotency('pay', $o + $more), 'order'), "\n";
}

echo "-- a forged object with magic methods\n";
forge($redis, 'forged', 'va:1:{i:0;O:6:"Gadget":0:{}}');
echo "default: ", answer(new RLockIdempotency('pay', $o), 'forged'), "\n";
echo "true: ", answer(new RLockIdempotency('pay', $o + ['allowed_classes' => true]), 'forged'), "\n";
forge($redis, 'unknown', 'vO:11:"Evil\\Loader":0:{}');
echo "default, a class nobody loaded: ", answer(new RLockIdempotency('pay', $o), 'unknown'), "\n";

echo "-- a stored failure\n";
foreach (['declined' => new PaymentDeclined('card declined', 51), 'domain' => new DomainException('no stock', 3)] as $key => $e) {
    try {
        (new RLockIdempotency('pay', $o + ['on_error' => 'store']))->run($key, fn() => throw $e);
    } catch (Exception $first) {
    }
    echo "$key, default: ", answer(new RLockIdempotency('pay', $o), $key), "\n";
    echo "$key, listed: ", answer(new RLockIdempotency('pay', $o + ['allowed_classes' => ['PaymentDeclined']]), $key), "\n";
}
forge($redis, 'forged-failure', 'e' . serialize(['Evil\\Loader', 'x', 0]), 'failed');
echo "forged failure: ", answer(new RLockIdempotency('pay', $o), 'forged-failure'), "\n";
forge($redis, 'forged-gadget', 'e' . serialize(['Gadget', 'x', 0]), 'failed');
echo "forged failure naming a non-exception: ", answer(new RLockIdempotency('pay', $o + ['allowed_classes' => true]), 'forged-gadget'), "\n";

echo "-- bad values\n";
foreach (['Order', 1, [1], [new Order()]] as $bad) {
    try {
        new RLockIdempotency('pay', $o + ['allowed_classes' => $bad]);
    } catch (TypeError $e) {
        echo $e->getMessage(), "\n";
    }
}

echo "-- rlock.allowed_classes\n";
$child = '<?php class Order { public $id; } $idem = new RLockIdempotency("pay", ["servers" => getenv("URI")]);
$v = $idem->run("order", fn() => 0); echo is_object($v) ? get_class($v) : gettype($v), "\n";';
foreach (['*', 'Order, Other\Name', 'Other', '', 'not-a-class'] as $ini) {
    [$code, $out] = run_php($child, ['rlock.allowed_classes' => $ini], ['URI' => $redis->uri()]);
    echo json_encode($ini), ": ", trim($out), "\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- a stored object
default: __PHP_Incomplete_Class
listed: Order
true: Order
false: __PHP_Incomplete_Class
others: __PHP_Incomplete_Class
-- a forged object with magic methods
default: [{"__PHP_Incomplete_Class_Name":"Gadget"}]
true:   !! Gadget::__wakeup ran
  !! Gadget::__destruct ran
[{}]
default, a class nobody loaded: __PHP_Incomplete_Class
-- a stored failure
declined, default: RLockException: the first run of key "declined" failed with PaymentDeclined: card declined
declined, listed: PaymentDeclined: card declined
domain, default: DomainException: no stock
domain, listed: DomainException: no stock
forged failure: RLockException: the first run of key "forged-failure" failed with Evil\Loader: x
forged failure naming a non-exception: RLockException: the first run of key "forged-gadget" failed with Gadget: x
-- bad values
RLockIdempotency::__construct(): Argument #2 ($options) option "allowed_classes" must be of type array|bool, string given
RLockIdempotency::__construct(): Argument #2 ($options) option "allowed_classes" must be of type array|bool, int given
RLockIdempotency::__construct(): Argument #2 ($options) option "allowed_classes" must list class names as strings, int given
RLockIdempotency::__construct(): Argument #2 ($options) option "allowed_classes" must list class names as strings, Order given
-- rlock.allowed_classes
"*": Order
"Order, Other\\Name": Order
"Other": __PHP_Incomplete_Class
"": __PHP_Incomplete_Class
"not-a-class": Warning: PHP Startup: rlock.allowed_classes is malformed: it must be "" (no class), "*" (every class) or class names separated by commas in Unknown on line 0
__PHP_Incomplete_Class
