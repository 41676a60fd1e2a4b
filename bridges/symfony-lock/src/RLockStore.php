<?php

namespace RLock\Bridge\Symfony\Lock;

use Symfony\Component\Lock\BlockingSharedLockStoreInterface;
use Symfony\Component\Lock\BlockingStoreInterface;
use Symfony\Component\Lock\Exception\InvalidTtlException;
use Symfony\Component\Lock\Exception\LockConflictedException;
use Symfony\Component\Lock\Exception\LockStorageException;
use Symfony\Component\Lock\Key;
use Symfony\Component\Lock\Store\ExpiringStoreTrait;

/**
 * A Symfony Lock store on rlock: `new LockFactory(new RLockStore(['servers' => 'redis://…']))`.
 *
 * Blocking acquire() and acquireRead() wait in rlock's queue and are woken by the release — no
 * polling; with ['watchdog' => true] the lease is renewed while held; a lock still held at the
 * end of the request is released then, unless the store has ['auto_release' => false]. Shared
 * locks are rlock's: many readers or one writer, a waiting writer keeps new readers out;
 * acquire() after acquireRead() promotes the lock while it has no other reader (at once, or a
 * LockConflictedException even when blocking: two readers waiting for each other would wait
 * forever), acquireRead() after acquire() demotes it. A saved Key serializes (into a Messenger
 * message): it carries rlock's token, and the process that unserializes it owns the lock.
 * $options are RLock's (servers, cluster, prefix, fair, …). The return types are Symfony 7's;
 * Symfony 5.4 and 6.4 declare fewer, and an implementation may add them.
 */
final class RLockStore implements BlockingStoreInterface, BlockingSharedLockStoreInterface
{
    use ExpiringStoreTrait;

    /** How long one blocking wait lasts before it is renewed (rlock's limit: a day). */
    private const WAIT_SLICE_MS = 86400000;

    /** Where a Key keeps this store's HeldLock: one per backend, so a CombinedStore of two RLockStores uses both. */
    private string $stateKey;

    public function __construct(private array $options = [], private float $initialTtl = 300.0)
    {
        if ($initialTtl <= 0) {
            throw new InvalidTtlException(sprintf('"%s()" expects a strictly positive TTL, %s given.', __METHOD__, $initialTtl));
        }
        $this->stateKey = self::class . '#' . hash('sha256', serialize($options));
        // Symfony's locks are not reentrant: two Keys of one resource are rivals in one process too
        $this->options = ['reentrant' => false] + $options;
    }

    public function save(Key $key): void
    {
        $key->reduceLifetime($this->initialTtl);
        $this->take($key, 0, false);
    }

    public function waitAndSave(Key $key): void
    {
        $key->reduceLifetime($this->initialTtl);
        $this->take($key, self::WAIT_SLICE_MS, false);
    }

    public function saveRead(Key $key): void
    {
        $key->reduceLifetime($this->initialTtl);
        $this->take($key, 0, true);
    }

    public function waitAndSaveRead(Key $key): void
    {
        $key->reduceLifetime($this->initialTtl);
        $this->take($key, self::WAIT_SLICE_MS, true);
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
            $this->call(fn() => $this->lockFor($key)->release());
            $key->removeState($this->stateKey);
        }
    }

    public function exists(Key $key): bool
    {
        return $key->hasState($this->stateKey) && $this->call(fn() => $this->lockFor($key)->isAcquired());
    }

    private function take(Key $key, int $waitMs, bool $reading): void
    {
        $lock = $this->lockFor($key);
        $promoting = !$reading && $key->hasState($this->stateKey) && $key->getState($this->stateKey)->reading;
        while (!$this->call(fn() => $reading ? $lock->acquireRead($waitMs) : $lock->acquire($waitMs))) {
            if ($waitMs === 0 || $promoting) {
                throw new LockConflictedException();
            }
        }
        $key->setState($this->stateKey, new HeldLock($lock->getToken(), $reading, $lock));
        $this->checkNotExpired($key);
    }

    /**
     * The Key's RLock: this process's, one restored from the token of a Key that was serialized
     * elsewhere, or a new one with the lease Symfony asked for.
     */
    private function lockFor(Key $key): \RLock
    {
        $options = ['ttl' => $this->ms($key->getRemainingLifetime() ?? $this->initialTtl)] + $this->options;
        if (!$key->hasState($this->stateKey)) {
            return new \RLock((string) $key, $options);
        }
        $held = $key->getState($this->stateKey);
        return $held->lock ??= $this->restore($key, $held, $options);
    }

    private function restore(Key $key, HeldLock $held, array $options): \RLock
    {
        if (!preg_match('/^[0-9a-f]{32}$/', $held->token)) {
            return new \RLock((string) $key, $options); // not a token rlock made: owns nothing
        }
        return $this->call(fn() => \RLock::restore((string) $key, $held->token, $options));
    }

    private function ms(float $seconds): int
    {
        return max(1, (int) ceil($seconds * 1000));
    }

    /** Redis trouble is a LockStorageException to Symfony, which turns it into LockAcquiringException & co. */
    private function call(callable $operation): mixed
    {
        try {
            return $operation();
        } catch (\RLockException $e) {
            throw new LockStorageException($e->getMessage(), 0, $e);
        }
    }
}
