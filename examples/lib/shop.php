<?php
/*
 * A deliberately naive shop back end for the examples: it checks, then writes,
 * the way shop code talks to its database without a lock. The logs count every
 * order created and every payment charged, so duplicates are visible.
 */
final class DemoShop
{
    public function __construct(private string $dir)
    {
        @mkdir("$dir/orders", 0777, true);
    }

    public function findOrder(string $cart): ?array
    {
        $file = "{$this->dir}/orders/$cart.json";
        return is_file($file) ? json_decode((string) file_get_contents($file), true) : null;
    }

    public function createOrder(string $cart, int $amountCents): array
    {
        usleep(2000); // stock checks, coupon rules, the INSERT: the window in which a duplicate slips in
        $order = ['id' => 'ord-' . bin2hex(random_bytes(4)), 'cart' => $cart, 'amount' => $amountCents, 'status' => 'unpaid'];
        file_put_contents("{$this->dir}/orders/$cart.json", json_encode($order));
        file_put_contents("{$this->dir}/created.log", $order['id'] . "\n", FILE_APPEND | LOCK_EX);
        return $order;
    }

    /** Charges the card if the order is still unpaid; returns whether it charged. */
    public function payIfUnpaid(string $cart): bool
    {
        $order = $this->findOrder($cart);
        if (!$order || $order['status'] !== 'unpaid') {
            return false;
        }
        usleep(3000); // the payment gateway's round trip
        file_put_contents("{$this->dir}/payments.log", "{$order['id']} {$order['amount']}\n", FILE_APPEND | LOCK_EX);
        $order['status'] = 'paid';
        file_put_contents("{$this->dir}/orders/$cart.json", json_encode($order));
        return true;
    }

    /** [orders created, payments charged] */
    public function counts(): array
    {
        $lines = fn(string $f) => is_file($f) ? count(file($f)) : 0;
        return [$lines("{$this->dir}/created.log"), $lines("{$this->dir}/payments.log")];
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
