<?php
/*
 * A job runner that stalls past its lease (a GC pause, a swapped-out VM) while another takes
 * its key over. With the fencing option each claim of a key gets a greater number, and the
 * database keeps the number of the last write and refuses an older one:
 *
 *   UPDATE invoices SET status = :status, fence = :fence WHERE id = :id AND fence < :fence
 *
 * Runner A claims "invoice:42" and is frozen (SIGSTOP) past its lease; runner B claims the key
 * again (a takeover: a greater number) and writes; A wakes up (SIGCONT), and its write changes
 * no row.
 *
 *   php -d extension=rlock -d extension=pdo_sqlite examples/idempotent-fencing.php [redis://127.0.0.1:6379]
 *
 * One runner alone (tests/idempotency/fencing.phpt starts them as processes of their own): it
 * prints "claimed <fence>" once it holds the key, and writes once it reads a line on stdin.
 *
 *   php ... examples/idempotent-fencing.php --runner URI SQLITE-FILE KEY NAME LEASE-MS
 */
require __DIR__ . '/lib/shop.php'; // demo_db_file()

const INVOICE = 42;

function invoice_db(string $file): PDO
{
    $pdo = new PDO("sqlite:$file", null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    $pdo->exec('PRAGMA busy_timeout = 30000');
    return $pdo;
}

function create_invoice(string $file): void
{
    invoice_db($file)->exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, status TEXT, fence INTEGER NOT NULL);
        INSERT INTO invoices VALUES (' . INVOICE . ", 'draft', 0)");
}

/** The work: the invoice is sent by $name, unless a newer claim wrote first. Returns the rows changed. */
function send_invoice(string $file, string $name, int $fence): int
{
    $stmt = invoice_db($file)->prepare('UPDATE invoices SET status = :status, fence = :fence WHERE id = :id AND fence < :fence');
    $stmt->execute(['status' => "sent by $name", 'fence' => $fence, 'id' => INVOICE]);
    return $stmt->rowCount();
}

/**
 * Runs the job for $key as $name: once the key is claimed, says "claimed <fence>" on $said and
 * waits for a line on $go before writing (the moment a real runner might stall). Prints what
 * became of it.
 */
function run_job(string $servers, string $file, string $key, string $name, int $lease, $said, $go): void
{
    $idempotency = new RLockIdempotency('invoices', ['servers' => $servers, 'fencing' => true, 'lease' => $lease]);
    try {
        $changed = $idempotency->run($key, function (int $fence) use ($file, $name, $said, $go) {
            fwrite($said, "claimed $fence\n");
            fflush($said);
            fgets($go);
            $changed = send_invoice($file, $name, $fence);
            echo "$name: fence $fence, rows changed: $changed\n";
            return $changed;
        });
        echo "$name: done, result stored (rows changed: $changed)\n";
    } catch (RLockLostException $e) {
        echo "$name: ", $e->getMessage(), "\n";
    }
}

if (($argv[1] ?? '') === '--runner') {
    [, , $servers, $file, $key, $name, $lease] = $argv;
    run_job($servers, $file, $key, $name, (int) $lease, STDOUT, STDIN);
    exit(0);
}

/** Forks a runner; returns [pid, what it says, where to tell it to write]. */
function start_runner(string $servers, string $file, string $key, string $name, int $lease): array
{
    [$said, $heard] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
    [$go, $told] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
    $pid = pcntl_fork();
    if ($pid === 0) {
        run_job($servers, $file, $key, $name, $lease, $said, $told);
        exit(0);
    }
    return [$pid, $heard, $go];
}

$servers = $argv[1] ?? 'redis://127.0.0.1:6379';
$file = demo_db_file('fencing');
$key = 'invoice:' . bin2hex(random_bytes(4));
create_invoice($file);

// A's lease is short, to see it run out soon; B's leaves it time to finish on a busy machine.
[$a, $aSaid, $aGo] = start_runner($servers, $file, $key, 'A', 500);
echo 'A: ', fgets($aSaid);
exec("kill -STOP $a"); // A stalls: its watchdog thread too, so its lease runs out
$watch = new RLockIdempotency('invoices', ['servers' => $servers]);
while ($watch->state($key) === 'running') {
    usleep(50000);
}
echo "A is frozen and its lease ran out\n";

[$b, $bSaid, $bGo] = start_runner($servers, $file, $key, 'B', 10000);
echo 'B: ', fgets($bSaid);
fwrite($bGo, "go\n");
pcntl_waitpid($b, $status);

exec("kill -CONT $a");
fwrite($aGo, "go\n");
pcntl_waitpid($a, $status);

$row = invoice_db($file)->query('SELECT status, fence FROM invoices WHERE id = ' . INVOICE)->fetch(PDO::FETCH_ASSOC);
echo "invoice: {$row['status']}, fence {$row['fence']}\n";
