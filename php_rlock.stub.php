<?php

/**
 * The public API of the rlock extension. This file is the single source of
 * truth: php_rlock_arginfo.h is generated from it by build/gen_stub.php.
 *
 * @generate-class-entries
 * @generate-legacy-arginfo 80100
 */

/**
 * A Redis lock owned by one acquisition: a fresh 128-bit token per acquire,
 * owner-checked release and extend, released at the latest when the request ends.
 *
 * Times are integer milliseconds.
 *
 * @strict-properties
 * @not-serializable
 */
final class RLock
{
    /**
     * @param string $name    what is being locked, e.g. "order:1001" (1..1024 bytes)
     * @param array  $options servers (one URI, or 3..9 Redlock masters), cluster (seed URIs),
     *                        sentinels + service, prefix, ttl, connect_timeout, read_timeout,
     *                        auto_release, fair, fencing, watchdog, on_lost, reentrant,
     *                        sync_replicas, sync_timeout (see docs/api.md)
     */
    public function __construct(string $name, #[\SensitiveParameter] array $options = []) {}

    /**
     * Takes the lock. $waitMs = 0 tries once; $waitMs > 0 waits in line until a
     * release hands it over or the deadline passes. False when someone else holds it.
     * Reentrant: a lock this process (and fiber) holds, through this object or another
     * for the same name, servers and prefix, is taken again at once and counts up.
     */
    public function acquire(int $waitMs = 0): bool {}

    /**
     * Takes the lock to read: many readers, or one writer. $waitMs as for acquire(); a
     * writer in line keeps new readers out. Each reader has its own lease; release() gives
     * it back. On an object holding the lock to write (and shared with no other), demotes
     * it; acquire() on the only reader promotes it, at once or not at all. Not with Redlock.
     */
    public function acquireRead(int $waitMs = 0): bool {}

    /**
     * Gives back one acquisition; the lock is freed at the last. False if it was lost
     * or not held through this object.
     */
    public function release(): bool {}

    /** Resets our lease to $ttlMs (default: the lock's ttl) if our token still holds it. */
    public function extend(?int $ttlMs = null): bool {}

    /** Asks Redis whether our token still holds the lock. */
    public function isAcquired(): bool {}

    /** Milliseconds left on our lease, -1 if we do not hold the lock. */
    public function getRemainingTtl(): int {}

    public function getName(): string {}

    /** Our owner token while we hold the lock, null otherwise. */
    public function getToken(): ?string {}

    /** Fencing token of the current acquisition; null unless the fencing option is on. */
    public function getFencingToken(): ?int {}

    /**
     * Acquires (waiting up to $waitMs), runs $fn, releases in a finally.
     * Throws RLockTimeoutException when the lock could not be taken. Inside a
     * section that already holds the lock (an outer synchronized(), or after
     * acquire()), runs $fn as one more level of it and leaves the release to that section.
     */
    public function synchronized(callable $fn, int $waitMs = 0): mixed {}

    /**
     * An RLock that owns the lock $token holds (a token from getToken(), handed over from
     * another process); one that owns nothing when the token is wrong or stale.
     */
    public static function restore(string $name, string $token, #[\SensitiveParameter] array $options = []): RLock {}

    /** Deletes the lock whoever holds it (administrative use). True if a lock was deleted. */
    public static function forceRelease(string $name, #[\SensitiveParameter] array $options = []): bool {}

    /** This worker's counters since it started. */
    public static function stats(): array {}
}

/**
 * Runs a piece of work once per key and replays its result to every duplicate:
 * a double-clicked order, a repeated payment, a retried payment callback, a
 * redelivered queue message. Times are integer milliseconds.
 *
 * @strict-properties
 * @not-serializable
 */
final class RLockIdempotency
{
    /**
     * @param string $scope   what the keys belong to, e.g. "orders" (1..256 bytes)
     * @param array  $options servers (one URI), cluster (seed URIs), sentinels + service, prefix, connect_timeout,
     *                        read_timeout, lease, retention, wait, on_error, max_result_bytes,
     *                        allowed_classes (as unserialize() takes it; default none), fencing
     *                        (see docs/api.md)
     */
    public function __construct(string $scope, #[\SensitiveParameter] array $options = []) {}

    /**
     * The first caller for $key runs $fn and its return value is stored; every later
     * caller gets that value without running $fn. A duplicate that arrives while $fn
     * runs waits up to the wait option, then gets RLockInProgressException. The same
     * key with another $fingerprint gets RLockConflictException. With the fencing option
     * $fn gets one argument, the claim's fencing token: an int greater than that of every
     * earlier claim of $key (an internal function that takes no argument is refused with a
     * ValueError before the key is claimed). Without it, $fn gets none.
     */
    public function run(string $key, callable $fn, ?string $fingerprint = null): mixed {}

    /**
     * Claims $key for work done outside a closure: ["claimed" => true] — do the work,
     * then complete() or abort() — or ["claimed" => false, "result" => the stored
     * result] for a duplicate. With the fencing option a claim also has "fence": the
     * claim's fencing token, as run() passes it to $fn. Throws like run().
     */
    public function begin(string $key, ?string $fingerprint = null): array {}

    /** Stores the result of a claim taken by begin(); throws RLockLostException if the claim was lost. */
    public function complete(string $key, mixed $result): void {}

    /** Gives a claim taken by begin() up, so that a retry runs again. False if it was no longer ours. */
    public function abort(string $key): bool {}

    /** "running", "done", "failed", or null when Redis has nothing for $key. */
    public function state(string $key): ?string {}
}

/**
 * Expirable permits: stock for a flash sale, a cap on concurrent work. A holder id (an order,
 * a cart, a job) takes permits under a lease; it gives them back (release), keeps them longer
 * (extend), or they leave the pool for good (consume: the unit is sold). Permits of a holder
 * whose lease ended come back by themselves. A holder id takes at most once: a retry or a
 * double click with the same id takes nothing more and answers true. Any process may release,
 * extend or consume a holder; those this process took and still holds go back at request end
 * (auto_release).
 *
 * Times are integer milliseconds.
 *
 * @strict-properties
 * @not-serializable
 */
final class RLockSemaphore
{
    /**
     * @param string $name    what the permits are of, e.g. "stock:sku-42" (1..1024 bytes)
     * @param array  $options servers (one URI), cluster (seed URIs), sentinels + service, prefix, connect_timeout,
     *                        read_timeout, ttl (a holder's lease), watchdog, auto_release,
     *                        retention (how long a holder that consumed is remembered)
     *                        (see docs/api.md)
     */
    public function __construct(string $name, #[\SensitiveParameter] array $options = []) {}

    /** Adds $n permits (restock); a negative $n withdraws free permits only, never held ones. Returns the permits free now. */
    public function addPermits(int $n): int {}

    /** The permits free now. */
    public function available(): int {}

    /**
     * Takes $permits for $holder (1..1024 bytes, no NUL) in one round trip; with $waitMs > 0 waits in
     * line until they are handed over. True when $holder holds them (taken now, or already).
     */
    public function acquire(string $holder, int $permits = 1, int $waitMs = 0): bool {}

    /** Gives $holder's permits back to the pool. False when it held none (any more). */
    public function release(string $holder): bool {}

    /** Resets $holder's lease to $ttlMs (default: the ttl option). False when it held none (any more). */
    public function extend(string $holder, ?int $ttlMs = null): bool {}

    /** $holder's permits leave the pool for good (sold); true again for a holder that consumed already. */
    public function consume(string $holder): bool {}
}

/** The base of them all; itself for no random bytes (CSPRNG), or a stored result that cannot be replayed. */
class RLockException extends RuntimeException
{
}

/** Redis is unreachable, timed out, or answered with an error. */
class RLockConnectionException extends RLockException
{
}

/** synchronized() could not take the lock before its deadline. */
class RLockTimeoutException extends RLockException
{
}

/** A lease we held was lost. */
class RLockLostException extends RLockException
{
}

/** Idempotency: a duplicate arrived while the first call is still running. */
class RLockInProgressException extends RLockException
{
    private int $retryAfter = 0;

    /** Milliseconds after which a retry may find the result. */
    public function getRetryAfter(): int {}
}

/** Idempotency: the same key was used with a different fingerprint. */
class RLockConflictException extends RLockException
{
}
