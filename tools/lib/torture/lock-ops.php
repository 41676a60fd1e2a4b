<?php
/* The RLock operations of a torture worker: critical sections entered with
 * acquire() (with and without waiting) or synchronized(), held a while with
 * extend() and isAcquired() calls in between, and a rare forceRelease().
 *
 * Ledger events of a section (one id each): "enter" just after the lock was
 * taken, "extend"/"held" with what extend(), isAcquired() and getRemainingTtl()
 * said, "exit" just before it is
 * given back, then the "op" event with the verdict: "released" (release() said
 * we still held it: so we held it throughout) or "lost" (Redis said our lease
 * had gone), or "conn" (Redis could not be asked). */

final class LockOps
{
    /** The names locked, each with its fair setting: users of one name must agree on fair. */
    public const NAMES = ['fair-a' => true, 'plain-b' => false, 'plain-c' => false];

    public function __construct(private Worker $worker)
    {
    }

    /** A random combination of options for one acquisition. */
    private function lockFor(string $name): array
    {
        $w = $this->worker;
        $options = [
            'servers' => $w->servers(),
            'fair' => self::NAMES[$name],
            'ttl' => $w->pick([300, 800, 2000]),
            'watchdog' => $w->chance(0.5),
            'fencing' => $w->chance(0.5),
            'read_timeout' => $w->pick([300, 1000]),
        ];
        return [new RLock($name, $options), $options];
    }

    private function enter(RLock $lock, array $options, int $t0, string $via): string
    {
        $section = $this->worker->newId('sec');
        $this->worker->ledger->append('enter', ['sec' => $section, 'name' => $lock->getName(),
            'fenced' => $options['fencing'], 'fence' => $lock->getFencingToken(), 'wd' => $options['watchdog'],
            'ttl' => $options['ttl'], 't0' => $t0, 'via' => $via]);
        return $section;
    }

    /**
     * The work inside the section: short sleeps, now and then extend(),
     * isAcquired() or getRemainingTtl(), rarely a sleep past the lease (kept
     * only by the watchdog).
     * True when a call said the lease was lost.
     */
    private function hold(RLock $lock, string $section, array $options): bool
    {
        $w = $this->worker;
        for ($step = mt_rand(1, 3); $step > 0; $step--) {
            $roll = mt_rand(1, 100);
            if ($roll <= 20) {
                $ttl = $w->pick([null, 300, 1000]);
                $ok = $lock->extend($ttl);
                $w->ledger->append('extend', ['sec' => $section, 'ok' => $ok, 'ttl' => $ttl ?? $options['ttl']]);
            } elseif ($roll <= 30) {
                $ok = $lock->isAcquired();
                $w->ledger->append('held', ['sec' => $section, 'ok' => $ok]);
            } elseif ($roll <= 37) {
                $remaining = $lock->getRemainingTtl();
                $ok = $remaining >= 0;
                $w->ledger->append('held', ['sec' => $section, 'ok' => $ok, 'ms' => $remaining]);
            } elseif ($roll <= 40) {
                $ok = true;
                usleep((int) ($options['ttl'] * 1300));
            } else {
                $ok = true;
                $w->sleepMs(0, 30);
            }
            if (!$ok) {
                return true;
            }
        }
        return false;
    }

    public function acquireSection(): void
    {
        $w = $this->worker;
        $name = $w->pick(array_keys(self::NAMES));
        [$lock, $options] = $this->lockFor($name);
        $wait = $w->pick([0, 0, 50, 300, 1500]);
        $t0 = hrtime(true);
        try {
            if (!$lock->acquire($wait)) {
                $w->done('lock.acquire', 'busy', ['wait' => $wait]);
                return;
            }
        } catch (RLockConnectionException $e) {
            $w->done('lock.acquire', 'conn');
            usleep(50000); // Redis is down or frozen: do not spin
            return;
        }
        $section = $this->enter($lock, $options, $t0, 'acquire');
        $lost = false;
        try {
            $lost = $this->hold($lock, $section, $options);
        } catch (RLockConnectionException $e) {
            // the verdict comes from release() below
        }
        $w->ledger->append('exit', ['sec' => $section]);
        try {
            $released = $lock->release();
        } catch (RLockConnectionException $e) {
            $w->done('lock.acquire', 'conn', ['sec' => $section]);
            usleep(50000);
            return;
        }
        $w->done('lock.acquire', $released ? ($lost ? 'released-after-lost' : 'released') : 'lost', ['sec' => $section]);
    }

    public function synchronizedSection(): void
    {
        $w = $this->worker;
        $name = $w->pick(array_keys(self::NAMES));
        [$lock, $options] = $this->lockFor($name);
        $wait = $w->pick([0, 50, 300, 1500]);
        $section = null;
        $lost = false;
        $t0 = hrtime(true);
        try {
            $lock->synchronized(function (RLock $held) use (&$section, &$lost, $options, $t0, $w) {
                $section = $this->enter($held, $options, $t0, 'synchronized');
                $lost = $this->hold($held, $section, $options);
                $w->ledger->append('exit', ['sec' => $section]);
                if ($w->chance(0.1)) {
                    // synchronized() must release on the way out of an exception too;
                    // isAcquired() after the exit tells whether we held it throughout
                    $stillHeld = $held->isAcquired();
                    $w->ledger->append('held', ['sec' => $section, 'ok' => $stillHeld]);
                    throw new SectionFailure($stillHeld);
                }
            }, $wait);
            $w->done('lock.sync', $lost ? 'released-after-lost' : 'released', ['sec' => $section]);
        } catch (SectionFailure $e) {
            $w->done('lock.sync', $e->stillHeld ? ($lost ? 'released-after-lost' : 'released') : 'lost',
                ['sec' => $section, 'threw' => true]);
        } catch (RLockTimeoutException $e) {
            $w->done('lock.sync', 'timeout', ['wait' => $wait]);
        } catch (RLockLostException $e) {
            $w->done('lock.sync', 'lost', ['sec' => $section]);
        } catch (RLockConnectionException $e) {
            $w->done('lock.sync', 'conn', ['sec' => $section]);
            usleep(50000);
        }
    }

    /** An operator's forced unlock: whoever holds the name loses it (the checker excuses that overlap). */
    public function forceRelease(): void
    {
        $w = $this->worker;
        $name = $w->pick(array_keys(self::NAMES));
        $t0 = hrtime(true);
        try {
            $deleted = RLock::forceRelease($name, ['servers' => $w->servers()]);
            $w->done('lock.force', $deleted ? 'deleted' : 'none', ['name' => $name, 't0' => $t0]);
        } catch (RLockConnectionException $e) {
            // it may have deleted the key before the reply was lost: still a forced unlock
            $w->done('lock.force', 'conn', ['name' => $name, 't0' => $t0]);
            usleep(50000);
        }
    }
}

/** Thrown out of a synchronized() body on purpose. */
final class SectionFailure extends Exception
{
    public function __construct(public bool $stillHeld)
    {
        parent::__construct('section failed on purpose');
    }
}
