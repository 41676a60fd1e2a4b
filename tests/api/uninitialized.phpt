--TEST--
Half-constructed objects: $this grabbed while a constructor ran, then every method throws an Error
--EXTENSIONS--
rlock
--FILE--
<?php
/* User code can run inside a constructor: the name's __toString() or an error
 * handler for the deprecation of a null argument. Either can keep $this. */
$half = [];
function grab(): void
{
    foreach (debug_backtrace(DEBUG_BACKTRACE_PROVIDE_OBJECT) as $frame) {
        if (($frame['object'] ?? null) instanceof RLock || ($frame['object'] ?? null) instanceof RLockIdempotency) {
            $GLOBALS['half'][] = $frame['object'];
        }
    }
}
class HostileName
{
    public function __toString(): string
    {
        grab();
        throw new Exception('refused');
    }
}
$options = ['servers' => 'redis://127.0.0.1:1']; // nothing listens: no method may get that far
foreach (['RLock', 'RLockIdempotency'] as $class) {
    try {
        new $class(new HostileName(), $options);
    } catch (Exception $e) {
        echo "$class: ", $e->getMessage(), "\n";
    }
}
set_error_handler(function (int $no, string $message) {
    grab();
    throw new ErrorException($message, 0, $no);
});
foreach (['RLock', 'RLockIdempotency'] as $class) {
    try {
        new $class(null, $options);
    } catch (ErrorException $e) {
        echo "$class: ", $e->getMessage(), "\n";
    }
}
restore_error_handler();

$calls = [
    'RLock' => [
        'acquire' => [], 'acquire(100)' => [100], 'release' => [], 'extend' => [], 'isAcquired' => [],
        'getRemainingTtl' => [], 'getName' => [], 'getToken' => [], 'getFencingToken' => [],
        'synchronized' => [fn() => print("callback ran\n")],
    ],
    'RLockIdempotency' => [
        'run' => ['k', fn() => print("callback ran\n")], 'begin' => ['k'], 'complete' => ['k', 1],
        'abort' => ['k'], 'state' => ['k'],
    ],
];
echo count($half), " objects grabbed\n";
foreach ($half as $i => $object) {
    foreach ($calls[get_class($object)] as $label => $args) {
        $method = preg_replace('/\(.*/', '', $label);
        try {
            $object->$method(...$args);
            echo "$i ", get_class($object), "::$label: no error\n";
        } catch (Error $e) {
            $seen[get_class($object) . "::$label " . get_class($e) . ': ' . $e->getMessage()] = true;
        }
    }
}
echo implode("\n", array_keys($seen)), "\n";
unset($half); // freeing them must not crash either
echo "done\n";
?>
--EXPECTF--
RLock: refused
RLockIdempotency: refused
RLock: RLock::__construct(): Passing null to parameter #1 ($name) of type string is deprecated
RLockIdempotency: RLockIdempotency::__construct(): Passing null to parameter #1 ($scope) of type string is deprecated
4 objects grabbed
RLock::acquire Error: RLock object is not initialized
RLock::acquire(100) Error: RLock object is not initialized
RLock::release Error: RLock object is not initialized
RLock::extend Error: RLock object is not initialized
RLock::isAcquired Error: RLock object is not initialized
RLock::getRemainingTtl Error: RLock object is not initialized
RLock::getName Error: RLock object is not initialized
RLock::getToken Error: RLock object is not initialized
RLock::getFencingToken Error: RLock object is not initialized
RLock::synchronized Error: RLock object is not initialized
RLockIdempotency::run Error: RLockIdempotency object is not initialized
RLockIdempotency::begin Error: RLockIdempotency object is not initialized
RLockIdempotency::complete Error: RLockIdempotency object is not initialized
RLockIdempotency::abort Error: RLockIdempotency object is not initialized
RLockIdempotency::state Error: RLockIdempotency object is not initialized
done
