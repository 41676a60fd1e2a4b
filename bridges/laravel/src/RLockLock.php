<?php

namespace RLock\Bridge\Laravel;

use Illuminate\Cache\Lock;
use Illuminate\Contracts\Cache\LockTimeoutException;

/**
 * A Laravel lock on rlock, for Laravel 8 to 13: get, block, release, owner, forceRelease,
 * refresh, isLocked, isOwnedBy, isOwnedByCurrentProcess, restoreLock.
 *
 * Redis holds rlock's 128-bit token. A lock made without an owner takes that token as its
 * owner once it is acquired, so restoreLock($name, $lock->owner()) owns it in any process
 * (RLock::restore): a ShouldBeUnique job locked by the web request is released by the queue
 * worker. An owner string the caller chose is known only to the worker that took the lock
 * (self::$held), where a lock answers by owner exactly as Laravel's drivers do; another
 * process's holder has no owner that can be named there (HELD_ELSEWHERE). block() waits in
 * rlock's queue and is woken by the release instead of polling every 250 ms.
 *
 * Leases, as Laravel's drivers keep them: $seconds > 0 is a lease of that length that outlives
 * the request (a "cooldown" lock taken and never released lasts its seconds); $seconds = 0 is
 * held until released, with rlock's longest lease (7 days) as the bound on a holder that
 * crashed. The store's auto_release => true releases both when the request ends, a seconds = 0
 * lock then renewed by the watchdog while its worker runs.
 */
class RLockLock extends Lock
{
    /** What getCurrentOwner() answers for a lock held by another process or an earlier request. */
    public const HELD_ELSEWHERE = 'rlock: held by another process';

    /** rlock's longest lease (ms): a lock held "until released", and refresh(0). */
    private const LONGEST_LEASE = 604800000;

    /**
     * The locks this worker holds: [where][name] => ['owner' => Laravel's owner, 'lock' => the
     * RLock, 'until' => hrtime (s) by which its lease has surely run out, null while renewed].
     */
    private static array $held = [];

    private array $options;
    private string $where;
    /** The owner is to be rlock's token, set when the lock is taken (no owner was given). */
    private bool $ownerIsToken;

    public function __construct($name, $seconds, $owner = null, array $options = [])
    {
        parent::__construct($name, $seconds, $owner);
        $this->ownerIsToken = $owner === null;
        // Laravel's locks are not reentrant: a second lock object of the name is a rival
        $this->options = ['reentrant' => false] + $options;
        // locks of one name on other servers, or under another prefix, are other locks
        $this->where = serialize([$options['servers'] ?? ini_get('rlock.servers'),
            $options['cluster'] ?? null, $options['prefix'] ?? ini_get('rlock.prefix')]);
    }

    /**
     * False while the lock is held, by this owner too, as Laravel's drivers answer: each
     * acquisition is a new RLock, whose token is not the holder's.
     */
    public function acquire()
    {
        return $this->take(0);
    }

    /**
     * Waits up to $seconds without polling: the release wakes us.
     *
     * @throws LockTimeoutException
     */
    public function block($seconds, $callback = null)
    {
        if (!$this->take(max(0, (int) ($seconds * 1000)))) {
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
        $held = $this->entry();
        if ($held === null || $held['owner'] !== $this->owner) {
            return $this->restored()?->release() ?? false;
        }
        $released = $held['lock']->release(); // Redis trouble throws and keeps the entry: a retry can release
        unset(self::$held[$this->where][$this->name]);
        return $released;
    }

    public function forceRelease()
    {
        \RLock::forceRelease($this->name, $this->options);
        // after the delete: an entry dropped first could release, and so hand the lock to a
        // waiter, whose lock the delete would then take away
        unset(self::$held[$this->where][$this->name]);
    }

    /**
     * Resets the lease to $seconds (default: the lock's) if this owner still holds it, as
     * Laravel's Redis lock does; false when it is not held by this owner (expired, released,
     * taken over). 0 means "until released": a lock taken for some seconds then gets rlock's
     * longest lease, 7 days; one taken with 0 stays with the watchdog, which keeps renewing it.
     */
    public function refresh($seconds = null): bool
    {
        $held = $this->entry();
        $seconds ??= $this->seconds;
        if ($held === null || $held['owner'] !== $this->owner) {
            $ms = $seconds > 0 ? max(1, (int) ($seconds * 1000)) : self::LONGEST_LEASE;
            return $this->restored()?->extend($ms) ?? false;
        }
        $renewed = $held['until'] === null;
        $ms = $seconds > 0 ? max(1, (int) ($seconds * 1000)) : ($renewed ? null : self::LONGEST_LEASE);
        if (!$held['lock']->extend($ms)) {
            unset(self::$held[$this->where][$this->name]);
            return false;
        }
        if (!$renewed) {
            self::$held[$this->where][$this->name]['until'] = hrtime(true) / 1e9 + $ms / 1000 + 1;
        }
        return true;
    }

    public function isLocked(): bool
    {
        return $this->getCurrentOwner() !== null;
    }

    /** The owner of Laravel's other drivers' isOwnedBy(), as far as this worker can know it. */
    public function isOwnedBy($owner): bool
    {
        if (is_string($owner) && $owner !== self::HELD_ELSEWHERE) {
            // a token owns the lock it holds in any process; another owner string, only in this worker
            $held = $this->holding();
            if ($held !== null) {
                return $held['owner'] === $owner;
            }
            return $this->restored($owner)?->isAcquired() ?? false;
        }
        return $this->getCurrentOwner() === $owner;
    }

    public function isOwnedByCurrentProcess(): bool
    {
        return $this->isOwnedBy($this->owner);
    }

    /**
     * The owner of the lock this worker holds under the name; HELD_ELSEWHERE when another
     * process (or an earlier request) holds it; null when nobody does. Finding that out for a
     * lock not held here takes it for a moment (one try, let go at once): rlock has no way
     * to look at another holder's key without trying it.
     */
    protected function getCurrentOwner()
    {
        $held = $this->holding();
        if ($held !== null) {
            return $held['owner'];
        }
        $probe = new \RLock($this->name,
            ['ttl' => 1000, 'watchdog' => false, 'on_lost' => 'flag', 'fencing' => false, 'auto_release' => true] + $this->options);
        if (!$probe->acquire()) {
            return self::HELD_ELSEWHERE;
        }
        $probe->release();
        return null;
    }

    /** One try ($waitMs = 0) or a wait in line; the lock taken is this owner's in this worker. */
    private function take(int $waitMs): bool
    {
        $lock = new \RLock($this->name, $options = $this->leaseOptions());
        if (!$lock->acquire($waitMs)) {
            return false;
        }
        if ($this->ownerIsToken) {
            $this->owner = $lock->getToken();
        }
        self::forgetExpired();
        self::$held[$this->where][$this->name] = [
            'owner' => $this->owner,
            'lock' => $lock,
            // taken before now: its lease ends before now + its length (+1 s for the clocks)
            'until' => $options['watchdog'] ? null : hrtime(true) / 1e9 + $options['ttl'] / 1000 + 1,
        ];
        return true;
    }

    /** The RLock options of a lease of $this->seconds (see the class comment). */
    private function leaseOptions(): array
    {
        if ($this->seconds > 0) {
            return ['ttl' => max(1, (int) ($this->seconds * 1000))] + $this->options + ['watchdog' => false, 'auto_release' => false];
        }
        if (($this->options['auto_release'] ?? false) === true) {
            return ['watchdog' => true] + $this->options; // until released, or the request's end
        }
        return ['ttl' => self::LONGEST_LEASE, 'watchdog' => false, 'auto_release' => false] + $this->options;
    }

    /**
     * The lock the token $owner holds, taken over from another process (or an earlier request),
     * or null when $owner is not a token. Never released at this request's end: it is the
     * original holder's lease.
     */
    private function restored(?string $owner = null): ?\RLock
    {
        $owner ??= $this->owner;
        if (!is_string($owner) || !preg_match('/^[0-9a-f]{32}$/', $owner)) {
            return null;
        }
        return \RLock::restore($this->name, $owner, ['watchdog' => false, 'auto_release' => false] + $this->options);
    }

    /** This worker's entry for the lock, whether or not its lease still holds. */
    private function entry(): ?array
    {
        return self::$held[$this->where][$this->name] ?? null;
    }

    /** This worker's entry for the lock if Redis says its lease still holds (else it is dropped). */
    private function holding(): ?array
    {
        $held = $this->entry();
        if ($held !== null && !$held['lock']->isAcquired()) {
            unset(self::$held[$this->where][$this->name]);
            return null;
        }
        return $held;
    }

    /**
     * Drops the entries of leases that have run out, so that a long-running worker (queue,
     * Octane) taking cooldown locks it never releases does not keep one RLock per name forever.
     */
    private static function forgetExpired(): void
    {
        $now = hrtime(true) / 1e9;
        foreach (self::$held as $where => $locks) {
            foreach ($locks as $name => $held) {
                if ($held['until'] !== null && $held['until'] < $now) {
                    unset(self::$held[$where][$name]);
                }
            }
        }
    }
}
