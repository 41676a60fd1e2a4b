<?php

namespace RLock\Bridge\Symfony\Lock;

use Symfony\Component\Lock\BlockingStoreInterface;
use Symfony\Component\Lock\Exception\InvalidTtlException;
use Symfony\Component\Lock\Exception\LockConflictedException;
use Symfony\Component\Lock\Exception\LockStorageException;
use Symfony\Component\Lock\Key;
use Symfony\Component\Lock\Store\ExpiringStoreTrait;

/**
 * A Symfony Lock store on rlock: `new LockFactory(new RLockStore(['servers' => 'redis://…']))`.
 *
 * Each Key carries its own RLock (so a Key can only be used by the process that
 * created it, as with RLock itself). Blocking acquire() waits in rlock's queue
 * and is woken by the release — no polling; with ['watchdog' => true] the lease
 * is renewed while held; a lock still held at the end of the request is
 * released then. $options are RLock's (servers, cluster, prefix, fair, …).
 *
 * Not a SharedLockStoreInterface: Symfony's Lock::acquireRead() then takes the
 * ordinary exclusive lock. The return types are Symfony 7's; Symfony 5.4 and 6.4
 * declare fewer, and an implementation may add them.
 */
final class RLockStore implements BlockingStoreInterface
{
    use ExpiringStoreTrait;

    /** How long one blocking wait lasts before it is renewed (rlock's limit: a day). */
    private const WAIT_SLICE_MS = 86400000;

    /** Where a Key keeps this store's RLock: one per backend, so a CombinedStore of two RLockStores uses both. */
    private string $stateKey;

    public function __construct(private array $options = [], private float $initialTtl = 300.0)
    {
        if ($initialTtl <= 0) {
            throw new InvalidTtlException(sprintf('"%s()" expects a strictly positive TTL, %s given.', __METHOD__, $initialTtl));
        }
        $this->stateKey = self::class . '#' . hash('sha256', serialize($options));
    }

    public function save(Key $key): void
    {
        $key->reduceLifetime($this->initialTtl);
        $this->take($key, 0);
    }

    public function waitAndSave(Key $key): void
    {
        $key->reduceLifetime($this->initialTtl);
        $this->take($key, self::WAIT_SLICE_MS);
    }

    public function putOffExpiration(Key $key, float $ttl): void
    {
        $key->reduceLifetime($ttl);
        if (!$this->call(fn() => $this->lockFor($key)->extend($this->ms($ttl)))) {
            throw new LockConflictedException();
        }
        $this->checkNotExpired($key);
    }

    public function delete(Key $key): void
    {
        if ($key->hasState($this->stateKey)) {
            $this->call(fn() => $key->getState($this->stateKey)->release());
            $key->removeState($this->stateKey);
        }
    }

    public function exists(Key $key): bool
    {
        return $key->hasState($this->stateKey) && $this->call(fn() => $key->getState($this->stateKey)->isAcquired());
    }

    private function take(Key $key, int $waitMs): void
    {
        $lock = $this->lockFor($key);
        while (!$this->call(fn() => $lock->acquire($waitMs))) {
            if ($waitMs === 0) {
                throw new LockConflictedException();
            }
        }
        $this->checkNotExpired($key);
    }

    /** The Key's RLock, made with the lease Symfony asked for. */
    private function lockFor(Key $key): \RLock
    {
        if (!$key->hasState($this->stateKey)) {
            $ttl = $key->getRemainingLifetime() ?? $this->initialTtl;
            $key->setState($this->stateKey, new \RLock((string) $key, ['ttl' => $this->ms($ttl), 'reentrant' => false] + $this->options));
            $key->markUnserializable(); // an RLock belongs to this process
        }
        return $key->getState($this->stateKey);
    }

    private function ms(float $seconds): int
    {
        return max(1, (int) ceil($seconds * 1000));
    }

    /** Redis trouble is a LockStorageException to Symfony, which turns it into LockAcquiringException & co. */
    private function call(callable $operation): bool
    {
        try {
            return $operation();
        } catch (\RLockException $e) {
            throw new LockStorageException($e->getMessage(), 0, $e);
        }
    }
}
