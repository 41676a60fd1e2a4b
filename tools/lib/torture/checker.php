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
 * 1. Mutual exclusion. Two sections of one name overlap when the later one is
 *    entered (logged after acquire() returned) before the earlier one is left
 *    (logged before release()), so logged overlaps are real overlaps. The
 *    overlap is allowed when the earlier holder's verdict is "lost". It is a
 *    violation when that verdict is "held". When it is "unknown", it is allowed
 *    only if something can explain a lost lease: a Redis pause or restart, or a
 *    forced unlock of the name, between the earlier acquire's start (t0) and
 *    the later entry; or, for a holder without watchdog, the later entry
 *    coming after the shortest lease the holder could have had (t0 + the
 *    smallest ttl it set). Those are counted as "unverifiable", not passed
 *    silently. Also a violation: release() true after extend()/isAcquired()
 *    had said the lease was lost.
 * 2. Fencing. Among fenced sections of one name in entry order, each token
 *    must exceed every earlier one. A token equal to an earlier one is always
 *    a violation (the counter is persistent: AOF with fsync always). A smaller
 *    one means this holder acquired first but logged its entry after a newer
 *    holder: allowed only when its own lease was lost — verdict "lost", or
 *    "unknown" with an explanation as in rule 1 up to the newer entry.
 * 3. Idempotency. A key's effect may run again only when every earlier
 *    attempt ended without a stored outcome: killed/died, lost, conn, threw
 *    with on_error release or keep, aborted, abandoned. After an attempt that
 *    completed, or threw with on_error store, a later effect is a violation
 *    (for store: unless a Redis fault lies between that effect and its end —
 *    storing the failure may then have found the claim gone, and run() does
 *    not say so). A replayed result must be the value of a completed (or
 *    unknown) attempt of that key, a replayed failure that of a "store" one.
 *    Every key with a completed attempt must be "done" in Redis at the end.
 * 4. Leftovers: after every worker stopped, no key without a TTL except those
 *    the README names as persistent (see documented_persistent()).
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

    /** Why the lease of a section with no verdict may have ended by $until, or null if nothing explains it. */
    private function lapseExplained(array $section, int $until): ?string
    {
        $disturbance = $this->history->disturbance($section['name'], $section['t0'], $until);
        if ($disturbance) {
            return $disturbance;
        }
        $shortestTtl = min(array_merge([$section['ttl']], array_column($section['extends'], 2)));
        if (!$section['wd'] && $until + self::MARGIN_NS >= $section['t0'] + $shortestTtl * 1_000_000) {
            return 'lease could have run out';
        }
        return null;
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
            $verdict = $this->verdict($a);
            if ($verdict === 'lost') {
                $this->excuse('overlaps', 'holder told of its loss');
            } elseif ($verdict === 'unknown' && ($why = $this->lapseExplained($a, $t))) {
                $this->excuse('overlaps', "unverifiable: $why");
            } else {
                $violations[] = sprintf('%s: %s entered while %s still held it', $a['name'],
                    $this->describe($later), $this->describe($earlier));
            }
        }
        foreach ($this->history->sections as $sec => $s) {
            if ($s['out'] === 'released-after-lost') {
                $violations[] = "release() returned true after extend()/isAcquired() said the lease was lost: "
                    . $this->describe($sec);
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
                } elseif ($this->verdict($s) === 'lost') {
                    $this->excuse('stale tokens', 'holder told of its loss');
                } elseif ($this->verdict($s) === 'unknown' && ($why = $this->lapseExplained($s, $n['t']))) {
                    $this->excuse('stale tokens', "unverifiable: $why");
                } else {
                    $violations[] = $what;
                }
            }
        }
        return $violations;
    }

    /** Outcomes after which the work may run again for the key. */
    private const NOT_STORED = ['killed', 'died', 'hung', 'lost', 'conn', 'aborted', 'abort-lost', 'abandoned', 'error'];

    /** Rule 3; $stateOf(key) reads a key's state from Redis. */
    public function idempotency(callable $stateOf): array
    {
        $violations = [];
        foreach ($this->history->effects as $key => $attempts) {
            $blocking = null;
            foreach ($attempts as $att) {
                if ($blocking !== null) {
                    $b = $this->history->attempts[$blocking];
                    $violations[] = sprintf('key %s: effect of %s ran again after %s (%s, on_error %s)',
                        $key, $att, $blocking, $b['out'], $b['pol']);
                }
                $blocking ??= $this->blocks($att) ? $att : null;
            }
        }
        foreach ($this->history->attempts as $att => $a) {
            if (in_array($a['out'], ['completed'], true) && $a['value'] !== "r:$att") {
                $violations[] = "key {$a['key']}: $att completed with the value " . json_encode($a['value']);
            }
        }
        array_push($violations, ...$this->replays(), ...$this->finalStates($stateOf));
        return $violations;
    }

    /** Whether attempt $att's end forbids any later effect on its key. */
    private function blocks(string $att): bool
    {
        $a = $this->history->attempts[$att];
        if ($a['out'] === 'completed') {
            return true;
        }
        if ($a['out'] === 'threw' && $a['pol'] === 'store') {
            if ($why = $this->history->disturbance('', $a['t'], $a['outT'])) {
                $this->excuse('repeated effects', "unverifiable: stored failure, $why");
                return false;
            }
            return true;
        }
        return false;
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

    /** Rule 4; $persistentKeys: every key without a TTL. */
    public static function leftovers(array $persistentKeys): array
    {
        return array_map(fn($key) => "$key has no TTL",
            array_values(array_filter($persistentKeys, fn($key) => !documented_persistent($key))));
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

/** The keys the README names as kept without a TTL: fencing counters ("rlock:{name}:fence, no TTL"). */
function documented_persistent(string $key): bool
{
    return (bool) preg_match('/:fence$/', $key);
}
