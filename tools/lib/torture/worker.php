<?php
/* One torture worker process: a seeded random mix of every RLock and
 * RLockIdempotency operation, until the driver's stop file appears or the
 * driver is gone. Everything it does that the checker judges is written to the
 * ledger at the moment it happens (tools/lib/torture/ledger.php).
 *
 *   php worker.php LEDGER PORT SCOPE SEED WORKER-ID STOP-FILE [SABOTAGE,...]
 */
require __DIR__ . '/ledger.php';
require __DIR__ . '/lock-ops.php';
require __DIR__ . '/idem-ops.php';
require __DIR__ . '/sabotage.php';

/** What a worker's operations share: the ledger, the seeded dice, ids, where Redis is. */
final class Worker
{
    public Ledger $ledger;
    private int $serial = 0;

    public function __construct(string $ledgerPath, public int $port, public string $scope, public string $id,
        public array $sabotage)
    {
        $this->ledger = new Ledger($ledgerPath, $id);
    }

    public function servers(): string
    {
        return "redis://127.0.0.1:{$this->port}";
    }

    /** A fresh id for a critical section or an idempotent attempt, unique in the run. */
    public function newId(string $kind): string
    {
        return "$kind:{$this->id}:" . ++$this->serial;
    }

    public function pick(array $choices): mixed
    {
        return $choices[mt_rand(0, count($choices) - 1)];
    }

    public function chance(float $p): bool
    {
        return mt_rand() / mt_getrandmax() < $p;
    }

    public function sleepMs(int $min, int $max): void
    {
        usleep(mt_rand($min * 1000, $max * 1000));
    }

    /** The last event of every operation: what it was and how it ended (the counts come from these). */
    public function done(string $kind, string $outcome, array $fields = []): void
    {
        $this->ledger->append('op', ['kind' => $kind, 'out' => $outcome] + $fields);
    }

    /** An exception nobody expected: the checker reports it (rule 5). */
    public function unexpected(string $kind, Throwable $e, array $fields = []): void
    {
        $this->done($kind, 'error', $fields + ['error' => get_class($e) . ': ' . $e->getMessage()]);
    }
}

/** True when $e, or an exception it wraps, is of $class. */
function caused_by(Throwable $e, string $class): bool
{
    for (; $e; $e = $e->getPrevious()) {
        if ($e instanceof $class) {
            return true;
        }
    }
    return false;
}

/** The operation table: [weight, callable]. Sabotage swaps in the broken stand-ins. */
function operation_table(Worker $worker): array
{
    $locks = new LockOps($worker);
    $idem = new IdemOps($worker);
    $broken = new SabotagedOps($worker);
    $brokenLocks = array_values(array_filter([
        in_array('lock', $worker->sabotage, true) ? [$broken, 'lockSection'] : null,
        in_array('steal', $worker->sabotage, true) ? [$broken, 'stealingLockSection'] : null,
    ]));
    $brokenIdem = array_values(array_filter([
        in_array('idem', $worker->sabotage, true) ? [$broken, 'idempotentRun'] : null,
        in_array('steal', $worker->sabotage, true) ? [$broken, 'stealingIdempotentRun'] : null,
    ]));
    $lockOr = fn(callable $real) => $brokenLocks ? fn() => $worker->pick($brokenLocks)() : $real;
    $idemOr = fn(callable $real) => $brokenIdem ? fn() => $worker->pick($brokenIdem)() : $real;
    return [
        [90, $lockOr([$locks, 'acquireSection'])],
        [60, $lockOr([$locks, 'synchronizedSection'])],
        [1, $lockOr([$locks, 'forceRelease'])], // rare: every overlap it causes is excused
        [75, $idemOr([$idem, 'run'])],
        [45, $idemOr([$idem, 'beginComplete'])],
    ];
}

function pick_operation(array $table): callable
{
    $roll = mt_rand(1, array_sum(array_column($table, 0)));
    foreach ($table as [$weight, $operation]) {
        if (($roll -= $weight) <= 0) {
            return $operation;
        }
    }
    return $table[0][1];
}

[, $ledgerPath, $port, $scope, $seed, $id, $stopFile] = $argv;
$sabotage = array_filter(explode(',', $argv[7] ?? ''));
mt_srand((int) $seed);
$worker = new Worker($ledgerPath, (int) $port, $scope, $id, $sabotage);
$table = operation_table($worker);
$driver = posix_getppid();
while (!file_exists($stopFile) && posix_getppid() === $driver) { // an orphan stops by itself
    try {
        pick_operation($table)();
    } catch (Throwable $e) {
        $worker->unexpected('any', $e);
    }
    if (in_array('crash', $sabotage, true)) {
        sabotage_crash($worker);
    }
}
