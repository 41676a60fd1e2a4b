--TEST--
RLockSemaphore: bad arguments get a ValueError or TypeError naming the argument, Redlock a clear refusal, Redis trouble an RLockConnectionException without the password; objects in odd states throw
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$sem = new RLockSemaphore('stock:1', $redis->opts());
$try = function (callable $fn) {
    try {
        $fn();
        echo "no exception\n";
    } catch (Throwable $e) {
        echo get_class($e), ": ", $e->getMessage(), "\n";
    }
};
$try(fn() => new RLockSemaphore(''));
$try(fn() => new RLockSemaphore('x', ['fair' => true]));
$try(fn() => new RLockSemaphore('x', ['ttl' => 0]));
$try(fn() => new RLockSemaphore('x', ['servers' => ['redis://127.0.0.1:1', 'redis://127.0.0.1:2', 'redis://127.0.0.1:3']]));
$try(fn() => $sem->acquire(''));
$try(fn() => $sem->acquire(str_repeat('h', 1025)));
$try(fn() => $sem->acquire("cart\0evil"));
$try(fn() => $sem->acquire('cart', 0));
$try(fn() => $sem->acquire('cart', 1000000001));
$try(fn() => $sem->acquire('cart', 1, -1));
$try(fn() => $sem->extend('cart', 0));
$try(fn() => $sem->addPermits(PHP_INT_MIN));
$try(fn() => $sem->addPermits(1000000001));
$try(fn() => $sem->release("\0"));
$try(fn() => clone $sem);
$try(fn() => serialize($sem));
$try(fn() => $sem->__construct('again'));
// A constructor that threw, whose $this was kept by a hostile __toString()
class HostileName
{
    public static ?RLockSemaphore $kept = null;
    public function __toString(): string
    {
        foreach (debug_backtrace(DEBUG_BACKTRACE_PROVIDE_OBJECT) as $frame) {
            if (($frame['object'] ?? null) instanceof RLockSemaphore) {
                self::$kept = $frame['object'];
            }
        }
        throw new Exception('refused');
    }
}
$try(fn() => new RLockSemaphore(new HostileName()));
$odd = HostileName::$kept;
$try(fn() => $odd->acquire('cart'));
$try(fn() => $odd->available());
$down = new RLockSemaphore('stock:1', ['servers' => 'redis://shop:s3cret-pw@127.0.0.1:1', 'connect_timeout' => 200]);
$try(fn() => $down->addPermits(1));
$try(fn() => $down->acquire('cart', 1, 100));
$try(fn() => $down->release('cart'));
ob_start();
foreach ([fn() => $down->addPermits(1), fn() => $down->consume('cart')] as $call) {
    $try($call);
}
$said = ob_get_clean();
echo "the password in a message: ", str_contains($said, 's3cret') ? 'yes' : 'no', "\n";
echo "the last answer still works on a live server: ", $sem->addPermits(2), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTF--
ValueError: RLockSemaphore::__construct(): Argument #1 ($name) must not be empty
ValueError: RLockSemaphore::__construct(): Argument #2 ($options) has an unknown option "fair"; known options are servers, prefix, connect_timeout, read_timeout, ttl, auto_release, watchdog, retention, cluster, sentinels, service, tls
ValueError: RLockSemaphore::__construct(): Argument #2 ($options) option "ttl" must be between 1 and 604800000 (milliseconds), 0 given
ValueError: RLockSemaphore::__construct(): Argument #2 ($options) option "servers" must list one server for RLockSemaphore (its permits are one count, which independent Redlock masters cannot share); use "cluster" to scale out
ValueError: RLockSemaphore::acquire(): Argument #1 ($holder) must not be empty
ValueError: RLockSemaphore::acquire(): Argument #1 ($holder) must be at most 1024 bytes, 1025 given
ValueError: RLockSemaphore::acquire(): Argument #1 ($holder) must not contain NUL bytes
ValueError: RLockSemaphore::acquire(): Argument #2 ($permits) must be between 1 and 1000000000, 0 given
ValueError: RLockSemaphore::acquire(): Argument #2 ($permits) must be between 1 and 1000000000, 1000000001 given
ValueError: RLockSemaphore::acquire(): Argument #3 ($waitMs) must be between 0 and 86400000 (milliseconds), -1 given
ValueError: RLockSemaphore::extend(): Argument #2 ($ttlMs) must be between 1 and 604800000 (milliseconds), 0 given
ValueError: RLockSemaphore::addPermits(): Argument #1 ($n) must be between -1000000000 and 1000000000, %i given
ValueError: RLockSemaphore::addPermits(): Argument #1 ($n) must be between -1000000000 and 1000000000, 1000000001 given
ValueError: RLockSemaphore::release(): Argument #1 ($holder) must not contain NUL bytes
Error: Trying to clone an uncloneable object of class RLockSemaphore
Exception: Serialization of 'RLockSemaphore' is not allowed
Error: RLockSemaphore::__construct() cannot be called twice
Exception: refused
Error: %s
Error: %s
RLockConnectionException: %s
RLockConnectionException: %s
RLockConnectionException: %s
the password in a message: no
the last answer still works on a live server: 2
