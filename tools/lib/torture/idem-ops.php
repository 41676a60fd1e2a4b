<?php
/* The RLockIdempotency operations of a torture worker: run() and
 * begin()/complete()/abort() on keys "k<N>" of a window that moves with the
 * clock (N = quarter seconds since boot, minus 0..7), so that every key is new
 * for two seconds and the workers' duplicates collide on it; each on_error policy.
 *
 * Ledger events: "effect" at the moment the work runs (one attempt id each),
 * then the "op" event: for an attempt that ran, how it ended — completed,
 * threw (with the policy), lost, aborted, abort-lost, abandoned, conn; for a
 * duplicate, what it was given — replayed (with the value), replayed-failure,
 * inprogress, conflict, conn. */

final class IdemOps
{
    public function __construct(private Worker $worker)
    {
    }

    public static function currentKey(): string
    {
        return 'k' . (intdiv(hrtime(true), 250000000) - mt_rand(0, 7));
    }

    /** The helper with random options, and the on_error policy and lease it was given. */
    private function helper(): array
    {
        $w = $this->worker;
        $policy = $w->pick(['release', 'store', 'keep']);
        $lease = $w->pick([300, 1000, 3000]);
        return [new RLockIdempotency($w->scope, ['servers' => $w->servers(), 'on_error' => $policy,
            'lease' => $lease, 'wait' => $w->pick([0, 0, 200, 1500]),
            'read_timeout' => $w->pick([300, 1000])]), ['pol' => $policy, 'lease' => $lease]];
    }

    /** Rarely another fingerprint for the same key: RLockConflictException. */
    private function fingerprint(): ?string
    {
        return $this->worker->chance(0.02) ? 'other' : null;
    }

    /**
     * The work itself: recorded as an effect (with t0, taken before the claim was
     * asked for: the claim cannot end before t0 + lease unless it is given up),
     * sometimes slow (past a short lease: the watchdog keeps it).
     */
    private function effect(string $attempt, array $fields, int $t0, string $mode): void
    {
        $w = $this->worker;
        $w->ledger->append('effect', ['att' => $attempt, 't0' => $t0, 'mode' => $mode] + $fields);
        $w->chance(0.05) ? $w->sleepMs(400, 1200) : $w->sleepMs(0, 20);
    }

    /** What a duplicate (no work ran here) was told, for the op event. */
    private function duplicateOutcome(Throwable $e): ?array
    {
        if ($e instanceof WorkFailure) {
            return ['replayed-failure', ['from' => $e->getMessage()]];
        }
        // a stored failure whose class rlock would not re-create (allowed_classes)
        if (get_class($e) === RLockException::class && preg_match('/failed with WorkFailure: (att:\S+)$/', $e->getMessage(), $m)) {
            return ['replayed-failure', ['from' => $m[1]]];
        }
        foreach ([RLockInProgressException::class => 'inprogress', RLockConflictException::class => 'conflict',
                RLockConnectionException::class => 'conn'] as $class => $outcome) {
            if ($e instanceof $class) {
                return [$outcome, []];
            }
        }
        return null;
    }

    public function run(): void
    {
        $w = $this->worker;
        [$idem, $fields] = $this->helper();
        $key = self::currentKey();
        $fields['key'] = $key;
        $attempt = null;
        $t0 = hrtime(true);
        try {
            $value = $idem->run($key, function () use (&$attempt, $fields, $t0, $w) {
                $attempt = $w->newId('att');
                $this->effect($attempt, $fields, $t0, 'run');
                if ($w->chance(0.2)) {
                    throw new WorkFailure($attempt);
                }
                return "r:$attempt";
            }, $this->fingerprint());
            $w->done('idem.run', $attempt ? 'completed' : 'replayed', $fields + ['att' => $attempt, 'value' => $value]);
        } catch (Throwable $e) {
            if ($attempt === null) {
                [$outcome, $more] = $this->duplicateOutcome($e) ?? [null, []];
                $outcome ? $w->done('idem.run', $outcome, $fields + $more) : $w->unexpected('idem.run', $e, $fields);
            } elseif (caused_by($e, RLockConnectionException::class)) {
                $w->done('idem.run', 'conn', $fields + ['att' => $attempt]);
            } elseif ($e instanceof RLockLostException) {
                $w->done('idem.run', 'lost', $fields + ['att' => $attempt]);
            } elseif ($e instanceof WorkFailure && $e->getMessage() === $attempt) {
                $w->done('idem.run', 'threw', $fields + ['att' => $attempt]);
            } else {
                $w->unexpected('idem.run', $e, $fields + ['att' => $attempt]);
            }
            if (caused_by($e, RLockConnectionException::class)) {
                usleep(50000);
            }
        }
    }

    public function beginComplete(): void
    {
        $w = $this->worker;
        [$idem, $fields] = $this->helper();
        $key = self::currentKey();
        $fields['key'] = $key;
        $t0 = hrtime(true);
        try {
            $claim = $idem->begin($key, $this->fingerprint());
        } catch (Throwable $e) {
            [$outcome, $more] = $this->duplicateOutcome($e) ?? [null, []];
            $outcome ? $w->done('idem.begin', $outcome, $fields + $more) : $w->unexpected('idem.begin', $e, $fields);
            return;
        }
        if (!$claim['claimed']) {
            $w->done('idem.begin', 'replayed', $fields + ['value' => $claim['result']]);
            return;
        }
        $attempt = $w->newId('att');
        $this->effect($attempt, $fields, $t0, 'begin');
        $fields['att'] = $attempt;
        $ending = mt_rand(1, 100);
        try {
            if ($ending <= 70) {
                $idem->complete($key, "r:$attempt");
                $w->done('idem.begin', 'completed', $fields + ['value' => "r:$attempt"]);
            } elseif ($ending <= 85) {
                $w->done('idem.begin', $idem->abort($key) ? 'aborted' : 'abort-lost', $fields);
            } else {
                unset($idem); // an open claim dropped: given up at once with "release", else left to its lease
                $w->done('idem.begin', 'abandoned', $fields);
            }
        } catch (RLockLostException $e) {
            $w->done('idem.begin', 'lost', $fields);
        } catch (RLockConnectionException $e) {
            $w->done('idem.begin', 'conn', $fields);
            usleep(50000);
        }
    }
}

/** The work failing on purpose; its message is the attempt id, so a replayed failure names its origin. */
final class WorkFailure extends RuntimeException
{
}
