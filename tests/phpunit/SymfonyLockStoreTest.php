<?php
/* RLockStore checked for what Symfony's own store suites check (AbstractStoreTestCase and the
 * expiring, blocking, shared-lock and unserializable test traits), written for rlock: each
 * step is also observed in Redis, and Redis trouble must reach Symfony as its own exceptions. */

use PHPUnit\Framework\TestCase;
use RLock\Bridge\Symfony\Lock\RLockStore;
use Symfony\Component\Lock\BlockingSharedLockStoreInterface;
use Symfony\Component\Lock\BlockingStoreInterface;
use Symfony\Component\Lock\Exception\LockAcquiringException;
use Symfony\Component\Lock\Exception\LockConflictedException;
use Symfony\Component\Lock\Exception\LockExpiredException;
use Symfony\Component\Lock\Exception\LockReleasingException;
use Symfony\Component\Lock\Exception\LockStorageException;
use Symfony\Component\Lock\Key;
use Symfony\Component\Lock\LockFactory;
use Symfony\Component\Lock\SharedLockStoreInterface;
use Symfony\Component\Lock\Store\CombinedStore;
use Symfony\Component\Lock\Strategy\UnanimousStrategy;

final class SymfonyLockStoreTest extends TestCase
{
    protected function setUp(): void
    {
        if (!interface_exists(BlockingStoreInterface::class)) {
            $this->markTestSkipped('symfony/lock is not installed');
        }
    }

    private function redis(): TestRedis
    {
        return bridge_redis(self::class);
    }

    private function store(array $more = [], float $initialTtl = 300.0): RLockStore
    {
        return new RLockStore($this->redis()->opts($more), $initialTtl);
    }

    /** The Redis key rlock keeps the lock $resource in. */
    private static function redisKey(string $resource): string
    {
        return "rlock:{{$resource}}";
    }

    private function requireFork(): void
    {
        if (!function_exists('pcntl_fork')) {
            $this->markTestSkipped('pcntl is not loaded');
        }
    }

    // ---- AbstractStoreTestCase

    public function testSaveExistsDelete(): void
    {
        $store = $this->store();
        $key = new Key('save');
        $this->assertFalse($store->exists($key));
        $store->save($key);
        $this->assertTrue($store->exists($key));
        $pttl = $this->redis()->cmd('PTTL', self::redisKey('save'));
        $this->assertGreaterThan(250000, $pttl, 'the initial TTL (300 s) is the lease');
        $this->assertLessThanOrEqual(300000, $pttl);
        $store->delete($key);
        $this->assertFalse($store->exists($key));
        $this->assertSame(0, $this->redis()->cmd('EXISTS', self::redisKey('save')));
    }

    public function testDifferentResourcesAreIndependent(): void
    {
        $store = $this->store();
        $one = new Key('resource-1');
        $two = new Key('resource-2');
        $store->save($one);
        $this->assertTrue($store->exists($one));
        $this->assertFalse($store->exists($two));
        $store->save($two);
        $this->assertTrue($store->exists($one));
        $this->assertTrue($store->exists($two));
        $store->delete($one);
        $this->assertFalse($store->exists($one));
        $this->assertTrue($store->exists($two));
        $store->delete($two);
        $this->assertFalse($store->exists($two));
    }

    public function testTwoKeysOfOneResourceExcludeEachOther(): void
    {
        $store = $this->store();
        $first = new Key('shared-resource');
        $second = new Key('shared-resource');
        $store->save($first);
        $token = $this->redis()->cmd('GET', self::redisKey('shared-resource'));
        try {
            $store->save($second);
            $this->fail('a second key saved a resource the first one holds');
        } catch (LockConflictedException $e) {
        }
        $this->assertTrue($store->exists($first), 'the refused save left the holder alone');
        $this->assertFalse($store->exists($second));
        $store->delete($second); // the refused key's delete must not free the holder's lock
        $this->assertTrue($store->exists($first));
        $this->assertSame($token, $this->redis()->cmd('GET', self::redisKey('shared-resource')));

        $store->delete($first);
        $store->save($second);
        $this->assertFalse($store->exists($first));
        $this->assertTrue($store->exists($second));
        $store->delete($second);
        $this->assertFalse($store->exists($second));
    }

    public function testSavingTwiceKeepsTheLock(): void
    {
        $store = $this->store();
        $key = new Key('twice');
        $store->save($key);
        $token = $this->redis()->cmd('GET', self::redisKey('twice'));
        $store->save($key);
        $this->assertTrue($store->exists($key));
        $this->assertSame($token, $this->redis()->cmd('GET', self::redisKey('twice')), 'same holder, same token');
        $store->delete($key);
        $this->assertFalse($store->exists($key));
    }

    public function testDeleteTouchesOnlyItsOwnKey(): void
    {
        $store = $this->store();
        $held = new Key('isolated-1');
        $other = new Key('isolated-2');
        $store->save($held);
        $token = $this->redis()->cmd('GET', self::redisKey('isolated-1'));
        $store->delete($other);
        $this->assertTrue($store->exists($held));
        $this->assertFalse($store->exists($other));
        $store->save($other);
        $store->delete($other);
        $this->assertFalse($store->exists($other));
        $this->assertTrue($store->exists($held));
        $this->assertSame($token, $this->redis()->cmd('GET', self::redisKey('isolated-1')));
        $store->delete($held);
    }

    // ---- ExpiringStoreTestTrait

    public function testLeaseRunsOut(): void
    {
        $store = $this->store();
        $key = new Key('expiration');
        $store->save($key);
        $store->putOffExpiration($key, 0.5);
        $this->assertTrue($store->exists($key));
        $this->assertLessThanOrEqual(500, $this->redis()->cmd('PTTL', self::redisKey('expiration')));
        usleep(1500000); // 3 × the lease
        $this->assertFalse($store->exists($key));
        $this->assertSame(0, $this->redis()->cmd('EXISTS', self::redisKey('expiration')));
    }

    public function testLeaseShorterThanTheCallIsAborted(): void
    {
        $store = $this->store();
        $key = new Key('abort');
        $store->save($key);
        try {
            $store->putOffExpiration($key, 1e-6);
            $this->fail('a lease of a microsecond was accepted');
        } catch (LockExpiredException $e) {
        }
        $this->assertFalse($store->exists($key));
        $this->assertSame(0, $this->redis()->cmd('EXISTS', self::redisKey('abort')), 'the expired lock was deleted');
    }

    public function testRefreshSetsTheLease(): void
    {
        $factory = new LockFactory($this->store());
        $lock = $factory->createLock('refresh', 10);
        $this->assertTrue($lock->acquire());
        $this->assertLessThanOrEqual(10000, $this->redis()->cmd('PTTL', self::redisKey('refresh')));
        $lock->refresh(40);
        $this->assertGreaterThan(30000, $this->redis()->cmd('PTTL', self::redisKey('refresh')));
        $this->assertGreaterThan(30, $lock->getRemainingLifetime());
        $lock->refresh(0.5);
        $this->assertLessThanOrEqual(500, $this->redis()->cmd('PTTL', self::redisKey('refresh')));
        usleep(1500000);
        $this->assertFalse($lock->isAcquired());
        $this->assertTrue($factory->createLock('refresh')->acquire(), 'free again once the shortened lease ran out');
    }

    public function testPutOffExpirationSetsTheKeysLifetime(): void
    {
        $store = $this->store();
        $key = new Key('set-expiration');
        $store->save($key);
        $store->putOffExpiration($key, 1);
        $this->assertGreaterThanOrEqual(0, $key->getRemainingLifetime());
        $this->assertLessThanOrEqual(1, $key->getRemainingLifetime());
        $this->assertLessThanOrEqual(1000, $this->redis()->cmd('PTTL', self::redisKey('set-expiration')));
        $store->delete($key);
    }

    public function testExpiredKeyIsNotSaved(): void
    {
        $store = $this->store();
        $expired = new Key('expired');
        $expired->reduceLifetime(0);
        $this->assertTrue($expired->isExpired());
        try {
            $store->save($expired);
            $this->fail('an expired key was saved');
        } catch (LockExpiredException $e) {
        }
        $this->assertFalse($store->exists($expired));
        $this->assertSame(0, $this->redis()->cmd('EXISTS', self::redisKey('expired')));
        $fresh = new Key('expired');
        $store->save($fresh);
        $this->assertTrue($store->exists($fresh));
        $store->delete($fresh);
    }

    public function testPutOffExpirationOfAKeyNotHeldIsAConflict(): void
    {
        $store = $this->store();
        try {
            $store->putOffExpiration(new Key('never-saved'), 10);
            $this->fail('a key never saved was refreshed');
        } catch (LockConflictedException $e) {
        }
        $this->assertSame(0, $this->redis()->cmd('EXISTS', self::redisKey('never-saved')), 'refresh created no lock');

        $lapsed = new Key('lapsed');
        $store->save($lapsed);
        $store->putOffExpiration($lapsed, 0.2);
        usleep(600000);
        try {
            $store->putOffExpiration($lapsed, 10);
            $this->fail('a lapsed lease was brought back');
        } catch (LockConflictedException $e) {
        }
        $this->assertSame(0, $this->redis()->cmd('EXISTS', self::redisKey('lapsed')));

        $holder = new Key('taken');
        $rival = new Key('taken');
        $store->save($holder);
        $store->putOffExpiration($holder, 20);
        try {
            $store->putOffExpiration($rival, 100);
            $this->fail("another key's lease was extended");
        } catch (LockConflictedException $e) {
        }
        $this->assertLessThanOrEqual(20000, $this->redis()->cmd('PTTL', self::redisKey('taken')));
        $this->assertTrue($store->exists($holder));
        $store->delete($holder);
    }

    // ---- BlockingStoreTestTrait

    public function testBlockingSaveWaitsForTheReleaseAndIsWoken(): void
    {
        $this->requireFork();
        $redis = $this->redis();
        $store = $this->store();
        $key = new Key('blocking');
        $store->save($key);
        $opts = $redis->opts();
        $child = phpunit_fork(function () use ($redis, $opts) {
            $lock = (new LockFactory(new RLockStore($opts)))->createLock('blocking', 30);
            $redis->cmd('HSET', 'blocking', 'asked', (string) microtime(true));
            $got = $lock->acquire(true);
            $redis->cmd('HSET', 'blocking', 'got', (string) microtime(true), 'result', var_export($got, true));
            $lock->release();
        });
        await_waiters($redis, self::redisKey('blocking'));
        try {
            $store->save(new Key('blocking'));
            $this->fail('saved while another key holds it and a third waits');
        } catch (LockConflictedException $e) {
        }
        $commands = $this->lockCommands();
        usleep(500000); // the waiter really waits
        $this->assertTrue($store->exists($key), 'the waiter did not take it from the holder');
        $this->assertLessThanOrEqual(2, $this->lockCommands() - $commands, 'the waiter sent nothing meanwhile: no polling');
        $released = microtime(true);
        $store->delete($key);
        pcntl_waitpid($child, $status);

        $this->assertSame(0, pcntl_wexitstatus($status));
        $this->assertSame('true', $redis->cmd('HGET', 'blocking', 'result'));
        $got = (float) $redis->cmd('HGET', 'blocking', 'got');
        $this->assertGreaterThanOrEqual($released, $got, 'the waiter got the lock after the release');
        $this->assertGreaterThanOrEqual(0.5, $got - (float) $redis->cmd('HGET', 'blocking', 'asked'));
        // woken by the release within milliseconds; unwoken it would sleep out the 300 s lease
        $this->assertLessThan(time_limit(1.0, 3.0), $got - $released);
    }

    public function testForkedChildLeavesTheParentsLockAlone(): void
    {
        $this->requireFork();
        $store = $this->store();
        $key = new Key('inherited');
        $store->save($key);
        $token = $this->redis()->cmd('GET', self::redisKey('inherited'));
        pcntl_waitpid(phpunit_fork(function () {
        }), $status);
        $this->assertTrue($store->exists($key));
        $this->assertSame($token, $this->redis()->cmd('GET', self::redisKey('inherited')));
        $store->delete($key);
    }

    // ---- SharedLockStoreTestTrait

    public function testReadLocksAreShared(): void
    {
        $store = $this->store();
        $this->assertInstanceOf(SharedLockStoreInterface::class, $store);
        $this->assertInstanceOf(BlockingSharedLockStoreInterface::class, $store);
        $factory = new LockFactory($store);
        $reader = $factory->createLock('read');
        $other = $factory->createLock('read');
        $writer = $factory->createLock('read');
        $this->assertTrue($reader->acquireRead());
        $this->assertTrue($other->acquireRead(), 'a second reader shares it');
        $this->assertSame(2, $this->redis()->cmd('ZCARD', self::redisKey('read')), "two readers' leases");
        $this->assertFalse($writer->acquire(), 'readers keep a writer out');
        $reader->release();
        $other->release();
        $this->assertTrue($writer->acquire());
        $this->assertFalse($reader->acquireRead(), 'a writer keeps readers out');
        $writer->release();
    }

    public function testReadLockPromotesAndDemotes(): void
    {
        $factory = new LockFactory($this->store());
        $lock = $factory->createLock('promote');
        $this->assertTrue($lock->acquireRead());
        $token = $this->redis()->cmd('ZRANGE', self::redisKey('promote'), '0', '0')[0];
        $this->assertTrue($lock->acquire(), 'promoted: the only reader');
        $this->assertSame($token, $this->redis()->cmd('GET', self::redisKey('promote')));
        $this->assertTrue($lock->acquireRead(), 'demoted');
        $other = $factory->createLock('promote');
        $this->assertTrue($other->acquireRead(), 'demoted: another reader comes in');
        $this->assertFalse($lock->acquire(), 'no promotion while another reads');
        try {
            $lock->acquire(true);
            $this->fail('a blocking promotion waited for another reader');
        } catch (LockConflictedException $e) {
        }
        $other->release();
        $lock->release();
        $this->assertSame(0, $this->redis()->cmd('EXISTS', self::redisKey('promote')));
    }

    // ---- a Key that travels: serialized, it is owned where it is unserialized

    public function testSavedKeySerializesAndIsOwnedWhereItIsUnserialized(): void
    {
        $this->requireFork();
        $store = $this->store(['auto_release' => false]);
        $key = new Key('serialize');
        $store->save($key);
        $token = $this->redis()->cmd('GET', self::redisKey('serialize'));
        $travelled = serialize($key);
        $this->assertStringNotContainsString('RLock"', $travelled, 'only the token travels');
        pcntl_waitpid(phpunit_fork(function () use ($travelled) {
            $store = $this->store(['auto_release' => false]);
            $key = unserialize($travelled);
            $ok = $store->exists($key);
            $store->putOffExpiration($key, 60);
            $store->delete($key);
            exit($ok && $this->redis()->cmd('EXISTS', self::redisKey('serialize')) === 0 ? 0 : 1);
        }), $status);
        $this->assertSame(0, pcntl_wexitstatus($status), 'the other process owned and released it');
        $this->assertFalse($store->exists($key), 'released elsewhere');
        $this->assertNotSame($token, null);
        $this->assertFalse($store->exists(unserialize($travelled)), 'a stale token owns nothing');
    }

    // ---- beyond Symfony's suites

    public function testCombinedStoreTakesTheLockOnEveryServer(): void
    {
        $second = bridge_redis(self::class . 'Second');
        $store = new CombinedStore([$this->store(), new RLockStore($second->opts())], new UnanimousStrategy());
        $key = new Key('combined');
        $store->save($key);
        $this->assertSame(1, $this->redis()->cmd('EXISTS', self::redisKey('combined')));
        $this->assertSame(1, $second->cmd('EXISTS', self::redisKey('combined')), 'each store has its own RLock in the key');
        $this->assertTrue($store->exists($key));
        $store->delete($key);
        $this->assertSame(0, $this->redis()->cmd('EXISTS', self::redisKey('combined')));
        $this->assertSame(0, $second->cmd('EXISTS', self::redisKey('combined')));
    }

    public function testRedisStoppedSurfacesAsSymfonyExceptions(): void
    {
        $redis = $this->redis();
        $store = $this->store(['connect_timeout' => 200, 'read_timeout' => 500]);
        $factory = new LockFactory($store);
        $held = new Key('trouble-held');
        $store->save($held);
        $lock = $factory->createLock('trouble-lock', 10, false); // no release from the destructor
        $this->assertTrue($lock->acquire());
        $fresh = $factory->createLock('trouble-fresh', 10, false);
        $redis->stop();
        try {
            $this->assertStorageFailure(fn() => $store->save(new Key('trouble-new')));
            $this->assertStorageFailure(fn() => $store->exists($held));
            $this->assertStorageFailure(fn() => $store->putOffExpiration($held, 10));
            $this->assertStorageFailure(fn() => $store->delete($held));
            $this->assertStorageFailure(fn() => $store->waitAndSave(new Key('trouble-wait')));
            $this->assertFailure(LockAcquiringException::class, fn() => $fresh->acquire());
            $this->assertFailure(LockAcquiringException::class, fn() => $fresh->acquire(true));
            $this->assertFailure(LockAcquiringException::class, fn() => $fresh->acquireRead());
            $this->assertFailure(LockAcquiringException::class, fn() => $lock->refresh());
            $this->assertFailure(LockReleasingException::class, fn() => $lock->release());
        } finally {
            $redis->restart();
        }
        $this->assertFalse($store->exists($held), 'the restarted Redis has no lock: the store says so');
        $this->assertFalse($lock->isAcquired());
        $this->assertTrue($fresh->acquire(), 'and works again');
        $fresh->release();
    }

    public function testRedisStallIsAStorageFailureWithinTheReadTimeout(): void
    {
        $redis = $this->redis();
        $store = $this->store(['read_timeout' => 300]);
        $key = new Key('stall');
        $this->assertFalse($store->exists($key));
        $store->save($key); // connected before the stall
        $redis->signal('STOP');
        try {
            $start = microtime(true);
            $this->assertStorageFailure(fn() => $store->exists($key));
            $this->assertLessThan(time_limit(3.0, 10.0), microtime(true) - $start, 'the read timeout (300 ms) ends the wait');
        } finally {
            $redis->signal('CONT');
        }
        $this->assertTrue($store->exists($key), 'the lock outlived the stall');
        $store->delete($key);
    }

    /** Lock commands Redis ran so far: an acquire is a SET NX or a script. */
    private function lockCommands(): int
    {
        return $this->redis()->calls('set') + $this->redis()->calls('evalsha') + $this->redis()->calls('eval');
    }

    private function assertStorageFailure(callable $operation): void
    {
        $e = $this->assertFailure(LockStorageException::class, $operation);
        $this->assertInstanceOf(RLockConnectionException::class, $e->getPrevious());
    }

    /** Runs $operation, which must throw $class (a Symfony exception, never rlock's own); returns it. */
    private function assertFailure(string $class, callable $operation): Throwable
    {
        try {
            $operation();
        } catch (Throwable $e) {
            $this->assertInstanceOf($class, $e, get_class($e) . ': ' . $e->getMessage());
            return $e;
        }
        $this->fail("no $class");
    }
}
