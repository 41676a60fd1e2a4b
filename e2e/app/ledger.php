<?php
/*
 * The e2e shop's books, in SQLite: orders, payments, payment confirmations.
 * Nothing here prevents a duplicate — no UNIQUE constraint, read-then-write
 * like real shop code — so every duplicate the locks let through is a row to
 * count. A payment's write carries the lock's fencing token and is refused
 * when a newer holder already wrote (the SQL guard).
 */
final class Ledger
{
    private ?PDO $pdo = null;

    public function __construct(private string $file)
    {
    }

    public function db(): PDO
    {
        if (!$this->pdo) {
            $this->pdo = new PDO("sqlite:{$this->file}", null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
            $this->pdo->exec('PRAGMA busy_timeout = 30000');
        }
        return $this->pdo;
    }

    public function create(): void
    {
        $this->db()->exec('PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, cart TEXT, amount INTEGER, status TEXT,
                fence INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS payments (id INTEGER PRIMARY KEY, cart TEXT, amount INTEGER, fence INTEGER);
            CREATE TABLE IF NOT EXISTS confirmations (id INTEGER PRIMARY KEY, txn TEXT, cart TEXT);');
    }

    public function order(string $cart): ?array
    {
        $stmt = $this->db()->prepare('SELECT * FROM orders WHERE cart = ? ORDER BY id LIMIT 1');
        $stmt->execute([$cart]);
        return $stmt->fetch(PDO::FETCH_ASSOC) ?: null;
    }

    public function createOrder(string $cart, int $amount): array
    {
        usleep(2000); // stock and coupon checks: the window a duplicate slips through without a lock
        $this->db()->prepare("INSERT INTO orders (cart, amount, status) VALUES (?, ?, 'unpaid')")->execute([$cart, $amount]);
        return ['id' => (int) $this->db()->lastInsertId(), 'cart' => $cart, 'status' => 'unpaid'];
    }

    /**
     * Marks the order paid and books the payment, if $fence is newer than the
     * last write's (0 = no fencing: always). Returns the payment id, or null
     * when the guard refused a stale holder.
     */
    public function recordPayment(array $order, int $fence): ?int
    {
        $db = $this->db();
        $db->exec('BEGIN IMMEDIATE');
        try {
            $guard = $db->prepare("UPDATE orders SET status = 'paid', fence = :f WHERE id = :id AND (:f = 0 OR fence < :f)");
            $guard->bindValue('f', $fence, PDO::PARAM_INT);
            $guard->bindValue('id', (int) $order['id'], PDO::PARAM_INT);
            $guard->execute();
            if ($guard->rowCount() === 0) {
                $db->exec('ROLLBACK');
                return null;
            }
            $db->prepare('INSERT INTO payments (cart, amount, fence) VALUES (?, ?, ?)')
                ->execute([$order['cart'], $order['amount'], $fence]);
            $id = (int) $db->lastInsertId();
            $db->exec('COMMIT');
            return $id;
        } catch (Throwable $e) {
            $db->exec('ROLLBACK');
            throw $e;
        }
    }

    public function confirm(string $txn, string $cart): int
    {
        usleep(1000);
        $this->db()->prepare('INSERT INTO confirmations (txn, cart) VALUES (?, ?)')->execute([$txn, $cart]);
        return (int) $this->db()->lastInsertId();
    }

    /** The counts the chaos run checks. */
    public function audit(): array
    {
        $q = fn(string $sql) => (int) $this->db()->query($sql)->fetchColumn();
        return [
            'orders' => $q('SELECT COUNT(*) FROM orders'),
            'carts_with_orders' => $q('SELECT COUNT(DISTINCT cart) FROM orders'),
            'duplicate_orders' => $q('SELECT COUNT(*) - COUNT(DISTINCT cart) FROM orders'),
            'payments' => $q('SELECT COUNT(*) FROM payments'),
            'double_payments' => $q('SELECT COUNT(*) - COUNT(DISTINCT cart) FROM payments'),
            'payments_without_order' => $q('SELECT COUNT(*) FROM payments WHERE cart NOT IN (SELECT cart FROM orders)'),
            'confirmations' => $q('SELECT COUNT(*) FROM confirmations'),
            'duplicate_confirmations' => $q('SELECT COUNT(*) - COUNT(DISTINCT txn) FROM confirmations'),
        ];
    }
}
