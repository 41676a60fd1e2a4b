<?php
/* The Laravel bridge against the installed illuminate/cache (8, 10 or 13): what Laravel's own
 * lock tests check of its Redis and array locks, and where rlock deliberately differs, the
 * behaviour docs/integrations.md documents. */

use Illuminate\Cache\ArrayStore;
use Illuminate\Cache\CacheManager;
use Illuminate\Cache\Repository;
use Illuminate\Contracts\Cache\LockTimeoutException;
use Illuminate\Support\Facades\Facade;
use PHPUnit\Framework\TestCase;
use RLock\Bridge\Laravel\RLockLock;
use RLock\Bridge\Laravel\RLockStore;

final class LaravelLockTest extends TestCase
{
    private TestRedis $redis;

    protected function setUp(): void
    {
        if (!class_exists(Repository::class)) {
            $this->markTestSkipped('illuminate/cache is not installed');
        }
        $this->redis = bridge_redis(self::class);
        $this->redis->cmd('FLUSHALL');
    }

    public function testLocksCanBeAcquiredAndReleased(): void
    {
        $cache = $this->cache();
        $lock = $cache->lock('foo', 10);
        $this->assertTrue($lock->get());
        $this->assertGreaterThan(9000, $this->redis->cmd('PTTL', 'rlock:{foo}'));
        $this->assertFalse($cache->lock('foo', 10)->get());
        $this->assertFalse($this->cache()->lock('foo', 10)->get(), 'another store object, same Redis');
        $this->assertTrue($lock->release());
        $this->assertSame(0, $this->redis->cmd('EXISTS', 'rlock:{foo}'));
        $this->assertFalse($lock->release(), 'released already');

        $lock = $cache->lock('foo', 10);
        $this->assertTrue($lock->get());
        $this->assertFalse($cache->lock('foo', 10)->get());
        $this->assertFalse($cache->lock('foo')->release(), 'another owner cannot release it');
        $this->assertSame(1, $this->redis->cmd('EXISTS', 'rlock:{foo}'));
        $this->assertTrue($lock->release());
    }

    public function testValuesGoToTheWrappedStore(): void
    {
        $values = new ArrayStore();
        $cache = new Repository(new RLockStore($values, $this->redis->opts()));
        $this->assertTrue($cache->put('k', 'v', 10));
        $this->assertSame('v', $values->get('k'));
        $this->assertSame('v', $cache->get('k'));
        $this->assertSame(2, $cache->increment('n', 2));
        $this->assertSame(['k' => 'v', 'n' => 2], $cache->many(['k', 'n']));
        $this->assertTrue($cache->forget('k'));
        $this->assertNull($values->get('k'));
        $this->assertSame([], $this->redis->cmd('KEYS', '*'), 'nothing of the values in rlock\'s Redis');
    }

    public function testGetWithACallbackReleases(): void
    {
        $cache = $this->cache();
        $this->assertSame('ran', $cache->lock('foo', 10)->get(function () {
            $this->assertSame(1, $this->redis->cmd('EXISTS', 'rlock:{foo}'));
            return 'ran';
        }));
        $this->assertSame(0, $this->redis->cmd('EXISTS', 'rlock:{foo}'));

        try {
            $cache->lock('foo', 10)->block(1, function () {
                throw new RuntimeException('failed');
            });
            $this->fail('the callback threw');
        } catch (RuntimeException $e) {
            $this->assertSame('failed', $e->getMessage());
        }
        $this->assertTrue($cache->lock('foo', 1)->get(), 'released although its callback threw');
    }

    public function testGetOnAHeldLockObjectFails(): void
    {
        $lock = $this->cache()->lock('foo', 10);
        $this->assertTrue($lock->get());
        $token = $this->redis->cmd('GET', 'rlock:{foo}');
        $this->assertFalse($lock->get(), 'as every Laravel driver: the lock is taken');
        $this->assertFalse($lock->acquire());
        $this->assertFalse($this->cache()->restoreLock('foo', $lock->owner())->get(), 'nor by its owner');
        $this->assertSame($token, $this->redis->cmd('GET', 'rlock:{foo}'));
        $this->assertTrue($lock->release());
        $this->assertTrue($lock->get(), 'free again');
        $this->assertTrue($lock->release());
    }

    public function testALockWhoseSecondsRanOutCanBeTakenAgain(): void
    {
        $cache = $this->cache();
        $first = $cache->lock('foo', 1);
        $this->assertTrue($first->get());
        $this->redis->cmd('PEXPIRE', 'rlock:{foo}', '1'); // its second has passed
        usleep(20000);
        $second = $cache->lock('foo', 10);
        $this->assertTrue($second->get());
        $this->assertFalse($first->release(), 'the first owner\'s lease is gone');
        $this->assertSame(1, $this->redis->cmd('EXISTS', 'rlock:{foo}'), 'and the second holder keeps it');
        $this->assertFalse($cache->lock('foo')->get());
        $this->assertFalse($first->get());
        $this->assertTrue($second->release());
        $this->assertTrue($first->get(), 'its own lease that ran out does not stand in its way');
        $this->assertTrue($first->release());
    }

    public function testBlockIsWokenByAReleaseInAnotherProcess(): void
    {
        $redis = $this->redis;
        $pid = $this->fork(function () use ($redis) {
            $this->cache()->lock('order', 10)->get(function () use ($redis) {
                await_waiters($redis, 'rlock:{order}');
                usleep(1500000); // the waiter really waits; a poll every 250 ms would show
                $redis->cmd('SET', 'released', (string) microtime(true));
            });
        });
        try {
            await(fn () => $redis->cmd('EXISTS', 'rlock:{order}') === 1);
            $commands = fn () => $redis->calls('set') + $redis->calls('evalsha') + $redis->calls('eval');
            $before = $commands();
            $start = microtime(true);
            $this->assertSame('ran', $this->cache()->lock('order', 10)->block(20, fn () => 'ran'));
            $gotAt = microtime(true);
        } finally {
            pcntl_waitpid($pid, $status);
        }
        $this->assertSame(0, pcntl_wexitstatus($status));
        $released = (float) $redis->cmd('GET', 'released');
        $this->assertGreaterThanOrEqual(1.5, $gotAt - $start, 'it waited for the holder');
        $this->assertGreaterThanOrEqual($released, $gotAt);
        // woken by the release: unwoken, it would wait for the holder's 10 s lease to run out
        $this->assertLessThan(3.0, $gotAt - $released);
        // the waiter's try and its release, the holder's release and the observer's SET: no polling
        $this->assertLessThanOrEqual(4, $commands() - $before - 1);
        $this->assertSame(0, $redis->cmd('EXISTS', 'rlock:{order}'), 'block()\'s callback released it');
    }

    public function testBlockTimesOut(): void
    {
        $held = $this->cache()->lock('busy', 10);
        $this->assertTrue($held->get());
        $start = microtime(true);
        try {
            $this->cache()->lock('busy', 10)->block(1);
            $this->fail('the lock is held for 10 s');
        } catch (LockTimeoutException $e) {
            $took = microtime(true) - $start;
        }
        $this->assertGreaterThanOrEqual(0.99, $took);
        $this->assertLessThan(3.0, $took, 'gave up at its 1 s deadline, well before the holder\'s 10 s');
        $this->assertTrue($held->release());
        $this->assertTrue($this->cache()->lock('busy', 10)->block(1));
    }

    public function testReleaseByOwnerThroughRestoreLock(): void
    {
        $cache = $this->cache();
        $first = $cache->lock('foo', 10);
        $this->assertTrue($first->get());
        $this->assertFalse($cache->restoreLock('foo', 'other_owner')->release());
        $this->assertSame(1, $this->redis->cmd('EXISTS', 'rlock:{foo}'));
        $this->assertTrue($this->cache()->restoreLock('foo', $first->owner())->release());
        $this->assertSame(0, $this->redis->cmd('EXISTS', 'rlock:{foo}'));
        $this->assertTrue($cache->lock('foo')->get());
    }

    public function testOwnerStatusAfterRestoreLock(): void
    {
        $cache = $this->cache();
        $first = $cache->lock('foo', 10);
        $this->assertTrue($first->isOwnedBy(null), 'free: owned by nobody');
        $this->assertFalse($first->isOwnedByCurrentProcess());
        $this->assertTrue($first->get());
        $this->assertTrue($first->isOwnedBy($first->owner()));
        $this->assertTrue($first->isOwnedByCurrentProcess());
        $this->assertFalse($first->isOwnedBy(null));

        $restored = $cache->restoreLock('foo', $first->owner());
        $this->assertTrue($restored->isOwnedByCurrentProcess());
        $this->assertTrue($restored->isOwnedBy($first->owner()));

        $other = $cache->restoreLock('foo', 'other_owner');
        $this->assertTrue($other->isOwnedBy($first->owner()));
        $this->assertFalse($other->isOwnedByCurrentProcess());
        $this->assertFalse($other->isOwnedBy('other_owner'));

        $this->assertFalse($cache->restoreLock('bar', 'owner')->isOwnedByCurrentProcess(), 'nothing to own');
        $this->assertTrue($first->release());
        $this->assertFalse($restored->isOwnedByCurrentProcess(), 'released');
        $this->assertTrue($restored->isOwnedBy(null));
    }

    public function testLocksUnderAnotherPrefixAreOtherLocks(): void
    {
        $lock = $this->cache()->lock('foo', 10);
        $this->assertTrue($lock->get());
        $other = $this->cache(['prefix' => 'other:']);
        $this->assertFalse($other->restoreLock('foo', $lock->owner())->isOwnedByCurrentProcess());
        $this->assertFalse($other->restoreLock('foo', $lock->owner())->release());
        $elsewhere = $other->lock('foo', 10);
        $this->assertTrue($elsewhere->get());
        $this->assertSame(1, $this->redis->cmd('EXISTS', 'other:{foo}'));
        $this->assertTrue($lock->isOwnedByCurrentProcess());
        $this->assertTrue($lock->release());
        $this->assertTrue($elsewhere->isOwnedByCurrentProcess());
        $this->assertTrue($elsewhere->release());
    }

    public function testAnotherProcessHoldsItWithAnOwnerRLockCannotName(): void
    {
        $holder = new RLock('foo', $this->redis->opts(['ttl' => 10000])); // as another process would
        $this->assertTrue($holder->acquire());
        $token = $holder->getToken();
        $lock = $this->cache()->lock('foo', 10);
        $this->assertTrue($lock->isLocked());
        $this->assertFalse($lock->isOwnedBy(null));
        $this->assertTrue($lock->isOwnedBy(RLockLock::HELD_ELSEWHERE));
        $this->assertFalse($lock->isOwnedByCurrentProcess());
        $this->assertFalse($lock->get());
        $this->assertFalse($lock->release());
        $this->assertSame($token, $this->redis->cmd('GET', 'rlock:{foo}'), 'looking did not disturb the holder');
        $this->assertTrue($holder->release());
    }

    public function testIsLocked(): void
    {
        $lock = $this->cache()->lock('foo', 10);
        $this->assertFalse($lock->isLocked());
        $this->assertSame(0, $this->redis->cmd('EXISTS', 'rlock:{foo}'), 'looking left it free');
        $this->assertTrue($lock->get());
        $this->assertTrue($lock->isLocked());
        $this->assertTrue($this->cache()->lock('foo')->isLocked());
        $this->assertTrue($lock->release());
        $this->assertFalse($lock->isLocked());
        $this->assertFalse($this->cache()->lock('foo')->isLocked());
    }

    public function testForceRelease(): void
    {
        $cache = $this->cache();
        $owner = $cache->lock('foo', 10);
        $wannabe = $cache->lock('foo', 10);
        $this->assertTrue($owner->get());
        $wannabe->forceRelease();
        $this->assertSame(0, $this->redis->cmd('EXISTS', 'rlock:{foo}'));
        $this->assertFalse($wannabe->release(), 'force-released: nothing of its own to release');
        $this->assertFalse($owner->release(), 'its lease was taken away');
        $this->assertTrue($wannabe->get());
        $this->assertFalse($owner->get());
        $this->assertTrue($wannabe->release());
    }

    public function testRefreshExtendsTheLeaseOfItsOwner(): void
    {
        $cache = $this->cache();
        $lock = $cache->lock('foo', 2);
        $this->assertFalse($lock->refresh(), 'not held');
        $this->assertTrue($lock->get());
        $this->assertTrue($lock->refresh(30));
        $this->assertGreaterThan(29000, $this->redis->cmd('PTTL', 'rlock:{foo}'));
        $this->assertTrue($lock->refresh());
        $ttl = $this->redis->cmd('PTTL', 'rlock:{foo}');
        $this->assertTrue($ttl > 1000 && $ttl <= 2000, "back to its 2 s: $ttl ms");
        $this->assertTrue($cache->restoreLock('foo', $lock->owner())->refresh(5), 'by its owner through restoreLock');
        $this->assertGreaterThan(4000, $this->redis->cmd('PTTL', 'rlock:{foo}'));
        $this->assertFalse($cache->restoreLock('foo', 'other_owner')->refresh(60), 'not by another owner');
        $this->assertLessThanOrEqual(5000, $this->redis->cmd('PTTL', 'rlock:{foo}'));
        // "until released": Laravel's Redis lock drops the expiry; rlock's longest lease is 7 days
        $this->assertTrue($lock->refresh(0));
        $this->assertGreaterThan(604790000, $this->redis->cmd('PTTL', 'rlock:{foo}'));
        $this->assertTrue($lock->release());
    }

    public function testRefreshOfALostLockFails(): void
    {
        $cache = $this->cache();
        $lock = $cache->lock('foo', 10);
        $this->assertTrue($lock->get());
        $this->redis->cmd('DEL', 'rlock:{foo}'); // its lease ran out
        $this->assertFalse($lock->refresh());
        $this->assertSame(0, $this->redis->cmd('EXISTS', 'rlock:{foo}'), 'and did not take it again');

        $this->assertTrue($lock->get());
        $lock->forceRelease();
        $other = $cache->lock('foo', 10);
        $this->assertTrue($other->get());
        $this->assertFalse($lock->refresh(60), 'taken over');
        $this->assertLessThanOrEqual(10000, $this->redis->cmd('PTTL', 'rlock:{foo}'), 'the new holder\'s lease is untouched');
        $this->assertTrue($other->release());
    }

    public function testUntilReleasedLocksAreRenewedByTheWatchdog(): void
    {
        $cache = $this->cache(['ttl' => 1000, 'auto_release' => true]);
        $lock = $cache->lock('nightly'); // seconds = 0, released at request end: the watchdog keeps it meanwhile
        $this->assertTrue($lock->get());
        usleep(2500000); // 2.5 leases
        $this->assertGreaterThan(0, $this->redis->cmd('PTTL', 'rlock:{nightly}'), 'kept alive');
        $this->assertTrue($lock->isOwnedByCurrentProcess());
        $this->assertTrue($lock->refresh());
        $this->assertTrue($lock->release());
        $this->assertSame(0, $this->redis->cmd('EXISTS', 'rlock:{nightly}'));
    }

    public function testACooldownLockOutlivesTheRequestAndExpiresAfterItsSeconds(): void
    {
        // a request that takes Cache::lock('report:42', 4)->get() and never releases it
        $this->assertSame("taken\n", $this->inChild('echo $cache->lock("report:42", 4)->get() ? "taken\n" : "busy\n";', true));
        $ttl = $this->redis->cmd('PTTL', 'rlock:{report:42}');
        $this->assertTrue($ttl > 0 && $ttl <= 4000, "still held after that request ended: $ttl ms");
        $this->assertFalse($this->cache()->lock('report:42', 4)->get(), 'the next request is throttled');
        await(fn () => $this->redis->cmd('EXISTS', 'rlock:{report:42}') === 0, 15.0);
        $this->assertTrue($this->cache()->lock('report:42', 4)->get(), 'free after its seconds');
    }

    public function testALongRunningWorkerForgetsCooldownLocksThatRanOut(): void
    {
        $held = new ReflectionProperty(RLockLock::class, 'held');
        $held->setValue(null, []);
        $cache = $this->cache();
        foreach (['tick:1', 'tick:2', 'tick:3'] as $name) {
            $this->assertTrue($cache->lock($name, 1)->get()); // a queue worker's jobs, never released
        }
        $this->assertTrue($cache->lock('forever')->get());
        $this->assertCount(4, current($held->getValue()));
        usleep(2100000); // their second, and the second of slack for the clocks
        $this->assertTrue($cache->lock('tick:4', 10)->get());
        $this->assertSame(['forever', 'tick:4'], array_keys(current($held->getValue())));
        $this->assertTrue($cache->lock('forever')->isLocked(), 'a renewed lock stays');
        $this->assertTrue($cache->lock('tick:4')->isLocked());
    }

    public function testUntilReleasedOutlivesTheRequestAndAutoReleaseSaysOtherwise(): void
    {
        $this->inChild('$cache->lock("forever")->get();');
        $this->assertGreaterThan(86400000, $this->redis->cmd('PTTL', 'rlock:{forever}'),
            'seconds = 0: held past the request, until released (7 days at most)');
        $this->inChild('$cache->lock("forever")->forceRelease();');

        $this->inChild('$cache->lock("cooldown", 30)->get();', false, ['auto_release' => true]);
        $this->assertSame(0, $this->redis->cmd('EXISTS', 'rlock:{cooldown}'), 'auto_release on: released at request end');

        $this->inChild('$cache->lock("forever", 0)->get();', false, ['auto_release' => true]);
        $this->assertSame(0, $this->redis->cmd('EXISTS', 'rlock:{forever}'), 'auto_release on: seconds = 0 too');
    }

    public function testTheOwnerIsTheTokenAndOwnsTheLockInAnotherProcess(): void
    {
        $owner = $this->inChild('$lock = $cache->lock("invoice:9", 30); $lock->get(); echo $lock->owner();', true);
        $this->assertSame($owner, $this->redis->cmd('GET', 'rlock:{invoice:9}'));
        $restored = $this->cache()->restoreLock('invoice:9', $owner);
        $this->assertTrue($restored->isOwnedByCurrentProcess());
        $this->assertTrue($restored->isOwnedBy($owner));
        $this->assertFalse($this->cache()->restoreLock('invoice:9', str_repeat('0', 32))->isOwnedByCurrentProcess());
        $this->assertTrue($restored->refresh(50));
        $this->assertGreaterThan(40000, $this->redis->cmd('PTTL', 'rlock:{invoice:9}'));
        $this->assertFalse($restored->get(), 'held: get() is false, as on the original');
        $this->assertTrue($restored->release());
        $this->assertFalse($restored->release());
        $this->assertSame(0, $this->redis->cmd('EXISTS', 'rlock:{invoice:9}'));
        $named = $this->cache()->lock('invoice:10', 30, 'my-owner');
        $this->assertTrue($named->get());
        $this->assertSame('my-owner', $named->owner(), 'an owner the caller chose stays theirs');
        $this->assertTrue($named->release());
    }

    public function testTouchGoesToTheWrappedStore(): void
    {
        $values = new class extends ArrayStore {
            public array $touched = [];

            public function touch($key, $seconds)
            {
                $this->touched[] = [$key, $seconds];
                return true;
            }
        };
        $store = new RLockStore($values, $this->redis->opts());
        $this->assertTrue($store->touch('k', 60));
        $this->assertSame([['k', 60]], $values->touched);
        if (method_exists(Repository::class, 'touch')) { // Laravel 13
            $cache = new Repository(new RLockStore(new ArrayStore(), $this->redis->opts()));
            $cache->put('k', 'v', 1);
            $this->assertTrue($cache->touch('k', 60));
            $this->assertFalse($cache->touch('missing', 60));
        }
    }

    public function testRedisTroubleThrows(): void
    {
        $cache = $this->cache(['servers' => 'redis://127.0.0.1:1', 'connect_timeout' => 200]);
        foreach ([
            'get' => fn () => $cache->lock('foo', 10)->get(),
            'block' => fn () => $cache->lock('foo', 10)->block(1),
            'isLocked' => fn () => $cache->lock('foo', 10)->isLocked(),
            'forceRelease' => fn () => $cache->lock('foo', 10)->forceRelease(),
        ] as $what => $call) {
            try {
                $call();
                $this->fail("$what without a Redis");
            } catch (RLockConnectionException $e) {
                $this->assertStringContainsString('127.0.0.1:1', $e->getMessage(), $what);
            }
        }

        $frozen = bridge_redis(self::class . '\\Frozen');
        $lock = $this->cacheOn($frozen, ['read_timeout' => 300])->lock('foo', 10);
        $this->assertTrue($lock->get());
        $frozen->signal('STOP');
        try {
            $lock->release();
            $this->fail('release while Redis is frozen');
        } catch (RLockConnectionException $e) {
            $this->assertStringContainsString('timed out', $e->getMessage());
        } finally {
            $frozen->signal('CONT');
        }
        $this->assertTrue($lock->release(), 'still its to release once Redis answers');
        $this->assertSame(0, $frozen->cmd('EXISTS', 'rlock:{foo}'));
    }

    public function testServiceProviderOfTheDocs(): void
    {
        // the app of a Laravel project, as far as the cache needs it
        $app = new class implements ArrayAccess {
            public array $bindings = [];

            public function booting(callable $callback): void
            {
                $callback();
            }

            public function bound($abstract): bool
            {
                return isset($this->bindings[$abstract]);
            }

            public function offsetExists(mixed $key): bool
            {
                return isset($this->bindings[$key]);
            }

            public function offsetGet(mixed $key): mixed
            {
                return $this->bindings[$key];
            }

            public function offsetSet(mixed $key, mixed $value): void
            {
                $this->bindings[$key] = $value;
            }

            public function offsetUnset(mixed $key): void
            {
                unset($this->bindings[$key]);
            }
        };
        // config/cache.php as docs/integrations.md has it, with an array store for the values
        $app['config'] = [
            'cache.default' => 'rlock',
            'cache.stores.array' => ['driver' => 'array'],
            'cache.stores.rlock' => ['driver' => 'rlock', 'values' => 'array', 'rlock' => $this->redis->opts()],
        ];
        $app['cache'] = $manager = new CacheManager($app);
        Facade::clearResolvedInstances();
        Facade::setFacadeApplication($app);
        try {
            eval(readme_snippet('laravel-provider', $this->redis->uri()));
            (new App\Providers\RLockServiceProvider($app))->register();
            $cache = $manager->store('rlock');
            $this->assertInstanceOf(RLockStore::class, $cache->getStore());
            $lock = $cache->lock('foo', 10);
            $this->assertTrue($lock->get());
            $this->assertSame(1, $this->redis->cmd('EXISTS', 'rlock:{foo}'));
            $this->assertFalse($manager->lock('foo', 10)->get(), 'the default store');
            $this->assertTrue($lock->release());
            $cache->put('k', 'v', 10);
            $this->assertSame('v', $manager->store('array')->get('k'), 'values in the store named by "values"');
        } finally {
            Facade::clearResolvedInstances();
            Facade::setFacadeApplication(null);
        }
    }

    private function cache(array $options = []): Repository
    {
        return $this->cacheOn($this->redis, $options);
    }

    private function cacheOn(TestRedis $redis, array $options = []): Repository
    {
        return new Repository(new RLockStore(new ArrayStore(), $options + $redis->opts()));
    }

    /** Runs $fn in a forked child that exits however $fn ends (never back into PHPUnit). */
    private function fork(callable $fn): int
    {
        return fork_child(function () use ($fn) {
            try {
                $fn();
            } catch (Throwable $e) {
                fwrite(STDERR, "forked child: $e\n");
                exit(1);
            }
        });
    }

    /**
     * Runs $code as a request of its own (a php process with rlock) that has $cache, a
     * Repository on RLockStore with $options; returns what it printed.
     */
    private function inChild(string $code, bool $output = false, array $options = []): string
    {
        $autoload = [];
        foreach (get_included_files() as $file) {
            if (str_ends_with($file, '/Illuminate/Cache/autoload.php')) {
                $autoload[] = $file;
            }
        }
        [$status, $out] = run_php('<?php
foreach (' . var_export($autoload, true) . ' as $file) { require $file; }
require ' . var_export(dirname(__DIR__) . '/inc/bridges.inc', true) . ';
bridge_autoload("laravel");
$cache = new Illuminate\Cache\Repository(new RLock\Bridge\Laravel\RLockStore(new Illuminate\Cache\ArrayStore(), '
            . var_export($options + $this->redis->opts(), true) . '));
' . $code, ['extension_dir' => dirname(__DIR__, 2) . '/modules']);
        $this->assertSame(0, $status, $out);
        if (!$output) {
            $this->assertSame('', $out);
        }
        return $out;
    }
}
