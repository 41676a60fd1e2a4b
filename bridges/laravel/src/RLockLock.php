<?php

namespace RLock\Bridge\Laravel;

use Illuminate\Cache\Lock;
use Illuminate\Contracts\Cache\LockTimeoutException;

/**
 * A Laravel lock (get, block, release, owner, forceRelease) on an RLock.
 *
 * block() waits in rlock's queue and is woken by the release instead of
 * polling every 250 ms. $seconds = 0 ("until released") becomes a lease the
 * watchdog keeps alive while this worker holds it. Only the process that took
 * a lock can release it — rlock's ownership rule; restoreLock() finds locks
 * this worker holds, and forceRelease() frees one whoever holds it.
 */
class RLockLock extends Lock
{
    /** Locks this worker holds, by name and owner, for restoreLock(). */
    private static array $held = [];

    private \RLock $lock;
    private array $options;

    public function __construct($name, $seconds, $owner = null, array $options = [])
    {
        parent::__construct($name, $seconds, $owner);
        $lease = $seconds > 0 ? ['ttl' => (int) ($seconds * 1000)] : ['watchdog' => true];
        $this->lock = self::$held[$this->heldKey()] ?? new \RLock($name, $lease + $options);
        $this->options = $options;
    }

    public function acquire()
    {
        return $this->taken($this->lock->acquire());
    }

    /** Waits up to $seconds without polling: the release wakes us. */
    public function block($seconds, $callback = null)
    {
        if (!$this->taken($this->lock->acquire((int) ($seconds * 1000)))) {
            throw new LockTimeoutException();
        }
        if (is_callable($callback)) {
            try {
                return $callback();
            } finally {
                $this->release();
            }
        }
        return true;
    }

    public function release()
    {
        unset(self::$held[$this->heldKey()]);
        return $this->lock->release();
    }

    public function forceRelease()
    {
        unset(self::$held[$this->heldKey()]);
        \RLock::forceRelease($this->name, $this->options);
    }

    protected function getCurrentOwner()
    {
        return $this->lock->isAcquired() ? $this->owner : null;
    }

    private function taken(bool $acquired): bool
    {
        if ($acquired) {
            self::$held[$this->heldKey()] = $this->lock;
        }
        return $acquired;
    }

    private function heldKey(): string
    {
        return $this->name . "\0" . $this->owner;
    }
}
