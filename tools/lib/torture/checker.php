<?php
/*
 * The torture run's checker: judges a History against the five rules and
 * returns each rule's violations. How each rule decides:
 *
 * A section's verdict comes from its holder: "held" when release() returned
 * true (or isAcquired() was true after the exit): its token was in the key
 * from acquire to then, since a lost token never comes back; "lost" when
 * release()/extend()/isAcquired() said false or synchronized() threw
 * RLockLostException; "unknown" when it could not learn (killed, died, hung,
 * Redis unreachable at the end).
 *
 * Being told "lost" is not enough to excuse anything: a lock that let anyone
 * take a held name would tell its victims exactly that (--sabotage=steal).
 * What can end a lease early is bounded: Redis starts it after its holder
 * began to acquire (t0) and for at least the shortest ttl the holder set, and
 * no fault of this run can cut it shorter — a pause does not stop Redis'
 * clock, a restart with AOF and fsync always keeps every acknowledged key with
 * its absolute expiry. Only a forced unlock deletes it sooner. So a lease
 * "could have ended" by a moment only if that moment is past t0 + the shortest
 * ttl (less a 50 ms margin for clocks), or a forced unlock of the name lies in
 * between. A watched lease is renewed past its ttl, so its lapse needs a late
 * watchdog — a Redis pause or restart in between, or else it is counted as
 * "watched lease past its ttl, no fault". Everything let through is counted and
 * shown ("allowed ..."), not passed silently. The same bound, with the lease,
 * holds for idempotency claims.
 *
 * 1. Mutual exclusion. Two sections of one name overlap when the later one is
 *    entered (logged after acquire() returned) before the earlier one is left
 *    (logged before release(); at a kill or death if it never was), so every
 *    logged overlap is a real one. Allowed only when the earlier holder's
 *    verdict is not "held" and its lease could have ended by the later entry.
 *    Also a violation: release() true after extend()/isAcquired() said lost,
 *    and getRemainingTtl() above the longest lease the holder set.
 * 2. Fencing. Among fenced sections of one name in entry order, each token
 *    must exceed every earlier one. A token equal to an earlier one is always
 *    a violation (the counter is persistent: AOF with fsync always). A smaller
 *    one means this holder acquired first but logged its entry after a newer
 *    holder: allowed only when its verdict is not "held" and its lease could
 *    have ended by the newer holder's entry.
 * 3. Idempotency. A key's effect may run again after an earlier attempt only
 *    if that attempt gave its claim up (threw with on_error release, abort(),
 *    abandoned with on_error release), or its claim could have lapsed by the
 *    new effect (lost, conn, killed/died, threw with keep — or with store:
 *    storing the failure may have found the claim lapsed, and run() does not
 *    say so —, abandoned with keep/store; by the bound above with the lease,
 *    t0 taken before run() or begin()). Never after an attempt that completed
 *    (state "done" never lapses within the run). A replayed result must
 *    be the value of a completed (or unknown) attempt of that key, a replayed
 *    failure that of a "store" one. Every key with a completed attempt must be
 *    "done" in Redis at the end.
 * 4. Leftovers: after every worker stopped, no key without a TTL except those
 *    the docs name as persistent (docs/api.md, "Keys") (see documented_persistent()).
 * 5. No crash: no worker ended except by the driver's SIGKILL or the final
 *    stop; none hung at the stop; no core file; no unexpected exception; and
 *    nothing at all in any worker's stdout/stderr (workers print nothing
 *    themselves, so any line there is a PHP warning, notice, fatal error or
 *    crash message).
 */

final class Checker
{
    /** ns of slack on time comparisons between our clock and Redis' */
    private const MARGIN_NS = 50_000_000;

    /** how overlaps and stale tokens were let through, for the summary */
    public array $excused = [];

    public function __construct(private History $history)
    {
    }

    private function verdict(array $section): string
    {
        return match ($section['out']) {
            'released' => 'held',
            'released-after-lost' => 'held',
            'lost' => 'lost',
            default => 'unknown',
        };
    }

    private function describe(string $sec): string
    {
        $s = $this->history->sections[$sec];
        $options = array_keys(array_filter(['fenced' => $s['fenced'], 'watchdog' => $s['wd']]));
        return sprintf('%s (%s, ttl %d%s, %s, ended by %s)', $sec, $s['via'], $s['ttl'],
            $options ? ', ' . implode('+', $options) : '', $s['out'] ?? 'no verdict', $s['endBy'] ?? 'nothing');
    }

    /**
     * What could have ended a lease (of $name, asked for at $t0, at least
     * $shortestMs long) by $until; null when nothing could.
     */
    private function lapse(?string $name, int $t0, int $shortestMs, int $until): ?string
    {
        if ($name !== null && $this->history->forcedUnlock($name, $t0, $until)) {
            return 'forced unlock';
        }
        if ($until + self::MARGIN_NS >= $t0 + $shortestMs * 1_000_000) {
            return 'past its ttl' . (($fault = $this->history->fault($t0, $until)) ? ", $fault" : '');
        }
        return null;
    }

    private function sectionLapse(array $section, int $until): ?string
    {
        $shortest = min(array_merge([$section['ttl']], array_column($section['extends'], 2)));
        $why = $this->lapse($section['name'], $section['t0'], $shortest, $until);
        if ($why === 'past its ttl' && $section['wd']) {
            return 'watched lease past its ttl, no fault'; // the watchdog was late: shown, to be watched
        }
        return $why;
    }

    /** Why an overlap or stale token with $section as the stale holder is allowed, or null. */
    private function staleAllowed(array $section, int $until): ?string
    {
        $verdict = $this->verdict($section);
        if ($verdict === 'held' || !($why = $this->sectionLapse($section, $until))) {
            return null;
        }
        return ($verdict === 'lost' ? 'told of its loss' : 'holder never learned') . ", $why";
    }

    private function ms(int $ns): string
    {
        return sprintf('%.0f ms', $ns / 1e6);
    }

    private function excuse(string $rule, string $why): void
    {
        $this->excused[$rule][$why] = ($this->excused[$rule][$why] ?? 0) + 1;
    }

    /** Rule 1. */
    public function mutualExclusion(): array
    {
        $violations = [];
        foreach ($this->history->overlaps as [$earlier, $later, $t]) {
            $a = $this->history->sections[$earlier];
            if ($why = $this->staleAllowed($a, $t)) {
                $this->excuse('overlaps', $why);
                continue;
            }
            $violations[] = sprintf('%s: %s entered while %s still held it, %s after it began to acquire', $a['name'],
                $this->describe($later), $this->describe($earlier), $this->ms($t - $a['t0']));
        }
        foreach ($this->history->sections as $sec => $s) {
            if ($s['out'] === 'released-after-lost') {
                $violations[] = "release() returned true after extend()/isAcquired() said the lease was lost: "
                    . $this->describe($sec);
            }
            $longest = max(array_merge([$s['ttl']], array_column($s['extends'], 2)));
            foreach ($s['held'] as [, , $ms]) {
                if ($ms !== null && $ms > $longest) {
                    $violations[] = "getRemainingTtl() said $ms ms, more than any lease it set ($longest ms): " . $this->describe($sec);
                }
            }
        }
        return $violations;
    }

    /** Rule 2. */
    public function fencing(): array
    {
        $violations = [];
        foreach ($this->history->entries as $name => $sections) {
            $newest = null;
            foreach ($sections as $sec) {
                $s = $this->history->sections[$sec];
                if (!$s['fenced']) {
                    continue;
                }
                if ($s['fence'] === null) {
                    $violations[] = "$name: a fenced acquisition without a fencing token: " . $this->describe($sec);
                    continue;
                }
                if ($newest === null || $s['fence'] > $this->history->sections[$newest]['fence']) {
                    $newest = $sec;
                    continue;
                }
                $n = $this->history->sections[$newest];
                $what = sprintf('%s: token %d of %s entered after token %d of %s', $name, $s['fence'],
                    $this->describe($sec), $n['fence'], $this->describe($newest));
                if ($s['fence'] === $n['fence']) {
                    $violations[] = "$what (the same token twice)";
                } elseif ($why = $this->staleAllowed($s, $n['t'])) {
                    $this->excuse('stale tokens', $why);
                } else {
                    $violations[] = $what;
                }
            }
        }
        return $violations;
    }

    /** Rule 3; $stateOf(key) reads a key's state from Redis. */
    public function idempotency(callable $stateOf): array
    {
        $violations = [];
        foreach ($this->history->effects as $key => $attempts) {
            foreach ($attempts as $j => $later) {
                for ($i = 0; $i < $j; $i++) {
                    if ($violation = $this->repeatedEffect($attempts[$i], $later)) {
                        $violations[] = "key $key: $violation";
                        break;
                    }
                }
            }
        }
        foreach ($this->history->attempts as $att => $a) {
            if ($a['out'] === 'completed' && $a['value'] !== "r:$att") {
                $violations[] = "key {$a['key']}: $att completed with the value " . json_encode($a['value']);
            }
        }
        array_push($violations, ...$this->replays(), ...$this->finalStates($stateOf));
        return $violations;
    }

    /** Why the effect of attempt $later may not follow that of $earlier on their key; null if it may. */
    private function repeatedEffect(string $earlier, string $later): ?string
    {
        $e = $this->history->attempts[$earlier];
        $l = $this->history->attempts[$later];
        $ended = sprintf('%s (%s, on_error %s, lease %d)', $earlier, $e['out'] ?? 'no outcome', $e['pol'], $e['lease']);
        if ($e['out'] === 'completed') {
            return "effect of $later ran again after $ended";
        }
        $givenUp = in_array($e['out'], ['aborted'], true)
            || (in_array($e['out'], ['threw', 'abandoned'], true) && $e['pol'] === 'release');
        if ($givenUp) {
            return null;
        }
        // a stored failure too: storing it may have found the claim lapsed, which run() does not say
        if ($why = $this->lapse(null, $e['t0'], $e['lease'], $l['t'])) {
            $this->excuse('repeated effects', "claim {$e['out']}, $why");
            return null;
        }
        return sprintf('effect of %s ran %s after %s began to claim, before its claim could lapse: %s',
            $later, $this->ms($l['t'] - $e['t0']), $earlier, $ended);
    }

    private function replays(): array
    {
        $violations = [];
        foreach ($this->history->duplicates as [$key, $out, $given, $t, $wid]) {
            if ($out !== 'replayed' && $out !== 'replayed-failure') {
                continue;
            }
            $origin = $out === 'replayed' ? (is_string($given) && str_starts_with($given, 'r:') ? substr($given, 2) : null) : $given;
            $o = $origin !== null ? ($this->history->attempts[$origin] ?? null) : null;
            $stored = $out === 'replayed' ? ['completed'] : ['threw'];
            if (!$o || $o['key'] !== $key) {
                $violations[] = "key $key: $wid was given " . json_encode($given) . " ($out), which no attempt of the key produced";
            } elseif (!in_array($o['out'], $stored, true) && !in_array($o['out'], [null, 'killed', 'died', 'hung', 'conn'], true)) {
                $violations[] = "key $key: $wid was given the outcome of $origin ($out), which ended $o[out] and stored nothing";
            } elseif ($out === 'replayed-failure' && $o['out'] === 'threw' && $o['pol'] !== 'store') {
                $violations[] = "key $key: $wid was given the failure of $origin, whose on_error was $o[pol]";
            }
        }
        return $violations;
    }

    private function finalStates(callable $stateOf): array
    {
        $violations = [];
        foreach ($this->history->attempts as $att => $a) {
            if ($a['out'] === 'completed' && ($state = $stateOf($a['key'])) !== 'done') {
                $violations[] = "key {$a['key']}: $att completed, but its state at the end is " . json_encode($state);
            }
        }
        return $violations;
    }

    /** Rule 4; $ttls: every key left => its PTTL. */
    public static function leftovers(array $ttls): array
    {
        $violations = [];
        foreach ($ttls as $key => $ttl) {
            if ($ttl === -1 && !documented_persistent($key)) {
                $violations[] = "$key has no TTL";
            }
        }
        return $violations;
    }

    /** Rule 5; $logs: each worker's output file; $cores: core files found. */
    public function crashes(array $logs, array $cores): array
    {
        $violations = [];
        foreach ($this->history->deaths as $d) {
            $violations[] = "{$d['wid']} ended by itself: " . ($d['signal'] ? "signal {$d['signal']}" : "exit code {$d['code']}");
        }
        foreach ($this->history->hung as $h) {
            $violations[] = "{$h['wid']} did not stop within the grace time (hung)";
        }
        foreach ($cores as $core) {
            $violations[] = "core file $core";
        }
        foreach ($this->history->errors as [$wid, $kind, $error]) {
            $violations[] = "$wid: unexpected exception in $kind: $error";
        }
        foreach ($logs as $log) {
            foreach (file($log, FILE_IGNORE_NEW_LINES) as $n => $line) {
                if (trim($line) !== '') { // workers print nothing themselves: any line is PHP's or rlock's
                    $violations[] = basename($log) . ':' . ($n + 1) . ": $line";
                }
            }
        }
        return $violations;
    }
}

/** The keys the docs (docs/api.md, "Keys") name as kept without a TTL: fencing counters ("rlock:{name}:fence, no TTL"). */
function documented_persistent(string $key): bool
{
    return (bool) preg_match('/:fence$/', $key);
}
