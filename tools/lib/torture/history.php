<?php
/* The checker's model of a torture run, read from the ledger in its total
 * order: critical sections (when each was entered and left, what its holder
 * was told), the overlaps between sections of one name, idempotent attempts
 * and what duplicates were given, and the faults with their intervals. A
 * section of a worker that was killed (or died) ends at that event; so does
 * an attempt, whose outcome becomes "killed". */

final class History
{
    /** sec id => the section (see enter()) */
    public array $sections = [];
    /** name => section ids in order of entry */
    public array $entries = [];
    /** [earlier section, later section, when the later one entered]: both live at once */
    public array $overlaps = [];
    /** att id => [key, wid, t0 (before the claim), t (the effect), pol, lease, mode, out, value, outT] */
    public array $attempts = [];
    /** key => attempt ids in order of their effects */
    public array $effects = [];
    /** what duplicates were handed: [key, out, value or origin, t, wid] */
    public array $duplicates = [];
    /** Redis faults: [kind, start, end] */
    public array $faults = [];
    /** name => [[t0, t]]: forced unlocks that may have deleted a holder's key */
    public array $forced = [];
    /** kind => outcome => count */
    public array $ops = [];
    public array $deaths = [];
    public array $hung = [];
    public array $errors = [];
    public array $counts = ['kill' => 0, 'restart' => 0, 'pause' => 0, 'spawn' => 0, 'events' => 0];
    public ?array $start = null;

    private array $live = [];
    private array $openSections = [];
    private array $openAttempts = [];
    private array $openFaults = [];

    public static function read(string $path): self
    {
        $history = new self();
        foreach (Ledger::read($path) as $event) {
            $history->counts['events']++;
            $handler = 'on' . str_replace('_', '', ucwords($event['ev'], '_'));
            if (method_exists($history, $handler)) {
                $history->$handler($event);
            }
        }
        foreach ($history->openFaults as $kind => $start) {
            $history->faults[] = [$kind, $start, PHP_INT_MAX]; // the driver never logged its end
        }
        return $history;
    }

    private function onStart(array $e): void
    {
        $this->start = $e;
    }

    private function onEnter(array $e): void
    {
        $name = $e['name'];
        foreach (array_keys($this->live[$name] ?? []) as $earlier) {
            $this->overlaps[] = [$earlier, $e['sec'], $e['t']];
        }
        $this->sections[$e['sec']] = ['name' => $name, 'wid' => $e['w'], 't0' => $e['t0'], 't' => $e['t'],
            'fenced' => $e['fenced'], 'fence' => $e['fence'], 'wd' => $e['wd'], 'ttl' => $e['ttl'], 'via' => $e['via'],
            'extends' => [], 'held' => [], 'end' => null, 'endBy' => null, 'out' => null];
        $this->live[$name][$e['sec']] = true;
        $this->openSections[$e['w']][$e['sec']] = true;
        $this->entries[$name][] = $e['sec'];
    }

    private function onExtend(array $e): void
    {
        $this->sections[$e['sec']]['extends'][] = [$e['t'], $e['ok'], $e['ttl']];
    }

    private function onHeld(array $e): void
    {
        $this->sections[$e['sec']]['held'][] = [$e['t'], $e['ok'], $e['ms'] ?? null];
    }

    private function onExit(array $e): void
    {
        $this->closeSection($e['sec'], $e['t'], 'exit');
    }

    private function closeSection(string $sec, int $t, string $by): void
    {
        $section = &$this->sections[$sec];
        if ($section['end'] === null) {
            $section['end'] = $t;
            $section['endBy'] = $by;
            unset($this->live[$section['name']][$sec], $this->openSections[$section['wid']][$sec]);
        }
    }

    private function onOp(array $e): void
    {
        $this->ops[$e['kind']][$e['out']] = ($this->ops[$e['kind']][$e['out']] ?? 0) + 1;
        if ($e['out'] === 'error') {
            $this->errors[] = [$e['w'], $e['kind'], $e['error']];
        }
        if (isset($e['sec'])) {
            $this->sections[$e['sec']]['out'] = $e['out'];
            $this->closeSection($e['sec'], $e['t'], 'op'); // left by an exception before its exit event
        }
        if ($e['kind'] === 'lock.force' && $e['out'] !== 'none') {
            $this->forced[$e['name']][] = [$e['t0'], $e['t']];
        }
        if (isset($e['key'])) {
            $this->onIdempotencyOutcome($e);
        }
    }

    private function onIdempotencyOutcome(array $e): void
    {
        if (isset($e['att'])) {
            $this->attempts[$e['att']]['out'] = $e['out'];
            $this->attempts[$e['att']]['value'] = $e['value'] ?? null;
            $this->attempts[$e['att']]['outT'] = $e['t'];
            unset($this->openAttempts[$e['w']][$e['att']]);
        } else {
            $this->duplicates[] = [$e['key'], $e['out'], $e['value'] ?? $e['from'] ?? null, $e['t'], $e['w']];
        }
    }

    private function onEffect(array $e): void
    {
        $this->attempts[$e['att']] = ['key' => $e['key'], 'wid' => $e['w'], 't0' => $e['t0'], 't' => $e['t'],
            'pol' => $e['pol'], 'lease' => $e['lease'], 'mode' => $e['mode'], 'out' => null, 'value' => null, 'outT' => null];
        $this->effects[$e['key']][] = $e['att'];
        $this->openAttempts[$e['w']][$e['att']] = true;
    }

    private function onSpawn(array $e): void
    {
        $this->counts['spawn']++;
    }

    private function onKill(array $e): void
    {
        $this->counts['kill']++;
        $this->endWorker($e['wid'], $e['t'], 'killed');
    }

    private function onDied(array $e): void
    {
        $this->deaths[] = $e;
        $this->endWorker($e['wid'], $e['t'], 'died');
    }

    private function onHung(array $e): void
    {
        $this->hung[] = $e;
        $this->endWorker($e['wid'], $e['t'], 'hung');
    }

    /** Whatever the worker had open ends here, with no verdict from it. */
    private function endWorker(string $wid, int $t, string $how): void
    {
        foreach (array_keys($this->openSections[$wid] ?? []) as $sec) {
            $this->closeSection($sec, $t, $how);
        }
        foreach (array_keys($this->openAttempts[$wid] ?? []) as $att) {
            $this->attempts[$att]['out'] = $how;
            $this->attempts[$att]['outT'] = $t;
        }
        unset($this->openSections[$wid], $this->openAttempts[$wid]);
    }

    private function onRestartBegin(array $e): void
    {
        $this->openFaults['restart'] = $e['t'];
    }

    private function onRestartEnd(array $e): void
    {
        $this->counts['restart']++;
        $this->faults[] = ['restart', $this->openFaults['restart'], $e['t']];
        unset($this->openFaults['restart']);
    }

    private function onPauseBegin(array $e): void
    {
        $this->openFaults['pause'] = $e['t'];
    }

    private function onPauseEnd(array $e): void
    {
        $this->counts['pause']++;
        $this->faults[] = ['pause', $this->openFaults['pause'], $e['t']];
        unset($this->openFaults['pause']);
    }

    /** The first Redis fault ("Redis pause", "Redis restart") that overlaps [$from, $until]; null if none. */
    public function fault(int $from, int $until): ?string
    {
        foreach ($this->faults as [$kind, $start, $end]) {
            if ($start <= $until && $end >= $from) {
                return "Redis $kind";
            }
        }
        return null;
    }

    /** Whether a forced unlock of $name may have deleted its key within [$from, $until]. */
    public function forcedUnlock(string $name, int $from, int $until): bool
    {
        foreach ($this->forced[$name] ?? [] as [$start, $end]) {
            if ($start <= $until && $end >= $from) {
                return true;
            }
        }
        return false;
    }
}
