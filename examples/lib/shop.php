<?php
/*
 * A deliberately naive shop back end for the examples, on SQLite through PDO:
 * it reads, checks, then writes, the way shop code talks to its database
 * without a lock. Every order, payment, sale and consumed message is a row, so
 * duplicates are counted, not guessed. Each call opens its own connection:
 * the examples fork, and an SQLite handle must not cross a fork.
 */
final class DemoShop
{
    public function __construct(private string $file)
    {
        $this->db()->exec('
            CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, cart TEXT, amount INTEGER, status TEXT);
            CREATE TABLE IF NOT EXISTS payments (id INTEGER PRIMARY KEY, order_id INTEGER, amount INTEGER);
            CREATE TABLE IF NOT EXISTS transitions (order_id INTEGER, from_status TEXT, to_status TEXT);
            CREATE TABLE IF NOT EXISTS stock (sku TEXT PRIMARY KEY, qty INTEGER);
            CREATE TABLE IF NOT EXISTS sales (sku TEXT);
            CREATE TABLE IF NOT EXISTS consumed (message TEXT);');
    }

    private function db(): PDO
    {
        $pdo = new PDO("sqlite:{$this->file}", null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
        $pdo->exec('PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL');
        return $pdo;
    }

    private function one(string $sql, array $args = []): mixed
    {
        $stmt = $this->db()->prepare($sql);
        $stmt->execute($args);
        return $stmt->fetchColumn();
    }

    private function write(string $sql, array $args = []): int
    {
        $db = $this->db();
        $db->prepare($sql)->execute($args);
        return (int) $db->lastInsertId();
    }

    public function findOrder(string $cart): ?array
    {
        $stmt = $this->db()->prepare('SELECT * FROM orders WHERE cart = ? ORDER BY id LIMIT 1');
        $stmt->execute([$cart]);
        return $stmt->fetch(PDO::FETCH_ASSOC) ?: null;
    }

    public function createOrder(string $cart, int $amountCents): array
    {
        usleep(2000); // stock checks, coupon rules: the window in which a duplicate slips in
        $id = $this->write("INSERT INTO orders (cart, amount, status) VALUES (?, ?, 'unpaid')", [$cart, $amountCents]);
        return ['id' => $id, 'cart' => $cart, 'amount' => $amountCents, 'status' => 'unpaid'];
    }

    /** Charges the order if it is still unpaid (read, then write); returns the payment id or null. */
    public function payIfUnpaid(string $cart): ?int
    {
        $order = $this->findOrder($cart);
        if (!$order || $order['status'] !== 'unpaid') {
            return null;
        }
        usleep(3000); // the payment gateway's round trip
        $payment = $this->write('INSERT INTO payments (order_id, amount) VALUES (?, ?)', [$order['id'], $order['amount']]);
        $this->write("INSERT INTO transitions VALUES (?, 'unpaid', 'paid')", [$order['id']]);
        $this->write("UPDATE orders SET status = 'paid' WHERE id = ?", [$order['id']]);
        return $payment;
    }

    public function setStock(string $sku, int $qty): void
    {
        $this->write('INSERT OR REPLACE INTO stock VALUES (?, ?)', [$sku, $qty]);
        $this->write('DELETE FROM sales WHERE sku = ?', [$sku]);
    }

    /** Sells one unit if any is left (read, check, then write). */
    public function buyOne(string $sku): bool
    {
        $left = (int) $this->one('SELECT qty FROM stock WHERE sku = ?', [$sku]);
        if ($left <= 0) {
            return false;
        }
        usleep(300); // price rules, the order row
        $this->write('UPDATE stock SET qty = ? WHERE sku = ?', [$left - 1, $sku]);
        $this->write('INSERT INTO sales VALUES (?)', [$sku]);
        return true;
    }

    /**
     * Records the order for a unit reserved elsewhere (an RLockSemaphore permit): the stock is
     * not read here. False when the payment is declined: the reservation must go back.
     */
    public function orderReserved(string $sku, string $buyer, bool $declined): bool
    {
        usleep(300); // price rules, the order row
        if ($declined) {
            return false;
        }
        $this->write('INSERT INTO sales VALUES (?)', [$sku]);
        return true;
    }

    public function consume(string $message): void
    {
        usleep(5000); // the work a queue message triggers
        $this->write('INSERT INTO consumed VALUES (?)', [$message]);
    }

    public function ordersFor(string $cart): int
    {
        return (int) $this->one('SELECT COUNT(*) FROM orders WHERE cart = ?', [$cart]);
    }

    public function paymentsFor(int $orderId): int
    {
        return (int) $this->one('SELECT COUNT(*) FROM payments WHERE order_id = ?', [$orderId]);
    }

    /** Counts rows: 'orders', 'payments', 'transitions', 'sales', 'consumed', or 'stock' for the units left. */
    public function count(string $what, string $sku = ''): int
    {
        return (int) ($what === 'stock'
            ? $this->one('SELECT qty FROM stock WHERE sku = ?', [$sku])
            : $this->one("SELECT COUNT(*) FROM $what"));
    }
}

/** Runs $fn in $n forked processes at once and waits for all of them. */
function in_parallel(int $n, callable $fn): void
{
    $pids = [];
    for ($i = 0; $i < $n; $i++) {
        $pid = pcntl_fork();
        if ($pid === 0) {
            $fn($i);
            exit(0);
        }
        $pids[] = $pid;
    }
    foreach ($pids as $pid) {
        pcntl_waitpid($pid, $status);
    }
}

/** A fresh SQLite file for one example run; removed when the script ends. */
function demo_db_file(string $name): string
{
    $dir = sys_get_temp_dir() . "/rlock-$name-" . getmypid();
    @mkdir($dir);
    $owner = getmypid();
    register_shutdown_function(function () use ($dir, $owner) {
        if (getmypid() === $owner) {
            exec('rm -rf ' . escapeshellarg($dir));
        }
    });
    return "$dir/shop.sqlite";
}
