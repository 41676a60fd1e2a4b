<?php
/*
 * The chaos run: shoppers send every order, payment and payment notification
 * several times over (double clicks, retried callbacks) to nginx + php-fpm +
 * redis-server while faults are injected on a schedule:
 *   Redis paused (SIGSTOP/SIGCONT) — latency spikes;
 *   Redis killed (SIGKILL) and restarted, twice (AOF, fsync always);
 *   a php-fpm worker frozen (SIGSTOP) past its lease while it holds a payment's
 *     lock, then resumed — its late write must be refused by the fencing guard;
 *   a php-fpm worker killed (kill -9) in the middle of a payment;
 *   packet loss (iptables statistic DROP) and a partition (DROP) on the path to
 *     Redis, which runs in a network namespace of its own.
 * Then the SQLite ledger is audited: every order once, every payment at most
 * once, none without an order, every confirmation once; every HTTP answer a
 * clean application answer; no crash and no PHP warning in the logs. Prints the
 * counts, writes e2e/out/chaos.json (and with --readme the README's table), and
 * exits non-zero if any count is off.
 *
 *   php e2e/chaos.php [--short] [--readme]     (tools/chaos sets everything up)
 */
require __DIR__ . '/lib/stack.php';
require __DIR__ . '/app/ledger.php';

$short = in_array('--short', $argv, true);
$scale = $short ? 1.0 : 2.5;   // stretches the quiet time between faults
$shoppers = 6;
$stack = new E2EStack(4, true);
$stack->start();
$port = $stack->httpPort;
$state = $stack->dir;
$started = microtime(true);

/** A request retried while the answer says "try again" (409, 503, no answer); the last answer. */
function insist(int $port, string $path, array $form, array &$tally, int $tries = 60): array
{
    for ($i = 0; $i < $tries; $i++) {
        [$status, $body] = e2e_http($port, $path, $form);
        $clean = is_array($body) && in_array($status, [200, 404, 409, 503], true);
        $tally[$clean ? (string) $status : "unclean $status"] = ($tally[$clean ? (string) $status : "unclean $status"] ?? 0) + 1;
        if ($status === 200 || !$clean) {
            return [$status, $body];
        }
        usleep(150000);
    }
    return [$status, $body];
}

/** A shopper walks carts 0, 1, 2, … until told to stop; each cart: order, pay, confirm — each sent twice. */
function shopper(int $port, string $state, int $me): void
{
    $tally = [];
    $done = [];
    for ($k = 0; !file_exists("$state/stop-shopping"); $k++) {
        $cart = "c$k";
        foreach (['order' => ['cart' => $cart, 'amount' => 1000 + $k], 'pay' => ['cart' => $cart],
                'notify' => ['cart' => $cart, 'txn' => "txn-$cart"]] as $step => $form) {
            for ($copy = 0; $copy < 2; $copy++) {
                [$status] = insist($port, "/rlock/$step", $form, $tally);
                $done[$step][$cart] = ($done[$step][$cart] ?? false) || $status === 200;
            }
        }
        usleep(random_int(0, 20000));
    }
    file_put_contents("$state/shopper-$me.json", json_encode(['tally' => $tally, 'done' => $done]));
}

/** Runs $fn in a child and returns a function that waits for it and gives its JSON result. */
function in_background(callable $fn, string $file): callable
{
    $pid = pcntl_fork();
    if ($pid === 0) {
        file_put_contents($file, json_encode($fn()));
        exit(0);
    }
    return function () use ($pid, $file) {
        pcntl_waitpid($pid, $status);
        return json_decode((string) @file_get_contents($file), true);
    };
}

function await_file(string $file, float $seconds = 20): string
{
    $deadline = microtime(true) + $seconds;
    while (!file_exists($file) || trim((string) file_get_contents($file)) === '') {
        if (microtime(true) > $deadline) {
            throw new RuntimeException("$file did not appear");
        }
        usleep(5000);
    }
    return trim(file_get_contents($file));
}

$log = [];
/** A quiet spell (so traffic flows between faults), then the next fault, logged with its time. */
function fault(string $what): void
{
    global $log, $started, $scale;
    usleep((int) (1e6 * $scale));
    $log[] = sprintf('%5.1f s  %s', microtime(true) - $started, $what);
    echo end($log), "\n";
}

$pids = [];
for ($me = 0; $me < $shoppers; $me++) {
    $pid = pcntl_fork();
    if ($pid === 0) {
        shopper($port, $state, $me);
        exit(0);
    }
    $pids[] = $pid;
}
$checks = [];
$faultTally = [];

fault('Redis paused 3 × 300 ms (latency spikes)');
for ($i = 0; $i < 3; $i++) {
    posix_kill($stack->pid('redis'), SIGSTOP);
    usleep(300000);
    posix_kill($stack->pid('redis'), SIGCONT);
    usleep(200000);
}

fault('Redis killed (SIGKILL), restarted 1 s later');
$stack->restartRedis(1.0);

fault('a php-fpm worker frozen (SIGSTOP) for 3 s while it holds the lock of a payment (lease 2 s)');
insist($port, '/rlock/order', ['cart' => 'frozen', 'amount' => 999], $faultTally);
// The stall is the window in which the worker must be frozen mid-payment: 5 s, not a
// blink a busy machine could let pass before the SIGSTOP lands (time frozen counts in it).
$stalled = in_background(fn() => e2e_http($port, '/rlock/pay', ['cart' => 'frozen', 'stall' => 5000]), "$state/frozen.json");
$worker = (int) await_file("$state/stall-frozen");
posix_kill($worker, SIGSTOP);
usleep(2500000); // past the 2 s lease: the watchdog thread is frozen with its worker
[$status, $body] = insist($port, '/rlock/pay', ['cart' => 'frozen'], $faultTally);
$checks['frozen: a newer holder paid meanwhile'] = $status === 200 && ($body['now'] ?? false) === true;
posix_kill($worker, SIGCONT);
[$lateStatus, $late] = $stalled();
$checks['frozen: its late write refused by the fencing guard (409)'] = $lateStatus === 409 && str_starts_with($late['error'] ?? '', 'stale');

fault('a php-fpm worker killed (kill -9) in the middle of a payment');
insist($port, '/rlock/order', ['cart' => 'killed', 'amount' => 998], $faultTally);
$doomed = in_background(fn() => e2e_http($port, '/rlock/pay', ['cart' => 'killed', 'stall' => 5000]), "$state/killed.json");
posix_kill((int) await_file("$state/stall-killed"), SIGKILL);
[$killedStatus] = $doomed();
$checks['killed: nginx answered the cut request with 502'] = $killedStatus === 502;
[$status, $body] = insist($port, '/rlock/pay', ['cart' => 'killed'], $faultTally);
$checks['killed: a retry paid once the 2 s lease ended'] = $status === 200 && ($body['now'] ?? false) === true;

fault('20 % of packets to Redis dropped for 3 s');
$stack->dropRedisPackets(0.2);
usleep(3000000);
$stack->dropRedisPackets(0);

fault('Redis partitioned away (all packets dropped) for 2 s');
$stack->dropRedisPackets(1);
usleep(2000000);
$stack->dropRedisPackets(0);

fault('Redis killed (SIGKILL) again, restarted 1 s later');
$stack->restartRedis(1.0);

fault('shoppers stop');
touch("$state/stop-shopping");
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}

// ---- the audit ----
$ledger = new Ledger("$state/ledger.sqlite");
$audit = $ledger->audit();
$tally = $faultTally;
$wanted = ['order' => [], 'pay' => [], 'notify' => []];
for ($me = 0; $me < $shoppers; $me++) {
    $s = json_decode((string) @file_get_contents("$state/shopper-$me.json"), true) ?? ['tally' => ['unclean shopper died' => 1], 'done' => []];
    foreach ($s['tally'] as $k => $n) {
        $tally[$k] = ($tally[$k] ?? 0) + $n;
    }
    foreach ($s['done'] as $step => $carts) {
        foreach ($carts as $cart => $ok) {
            $wanted[$step][$cart] = ($wanted[$step][$cart] ?? false) || $ok;
        }
    }
}
$db = $ledger->db();
$count = fn(string $sql) => (int) $db->query($sql)->fetchColumn();
$carts = count($wanted['order']);
$ordered = count(array_filter($wanted['order']));
$paid = count(array_filter($wanted['pay']));
$confirmed = count(array_filter($wanted['notify']));
$unclean = array_sum(array_filter($tally, fn($k) => str_starts_with($k, 'unclean'), ARRAY_FILTER_USE_KEY));
$fpmLog = (string) @file_get_contents("$state/fpm.log");
$phpLog = (string) @file_get_contents("$state/php-errors.log");
$crashes = preg_match_all('/signal (11|6|7|4|8)|SIGSEGV|SIGABRT|core dumped/', $fpmLog);
$kills = preg_match_all('/exited on signal 9/', $fpmLog);
$warnings = preg_match_all('/PHP (Warning|Notice|Fatal error|Deprecated)/', $phpLog . $fpmLog);

$checks += [
    "every cart ordered by a shopper has one order ($ordered carts)" => $count("SELECT COUNT(DISTINCT cart) FROM orders WHERE cart LIKE 'c%'") === $ordered && $audit['duplicate_orders'] === 0,
    "every payment answered 200 is one payment ($paid carts)" => $count("SELECT COUNT(*) FROM payments WHERE cart LIKE 'c%'") === $paid && $audit['double_payments'] === 0,
    'no payment without an order' => $audit['payments_without_order'] === 0,
    "every confirmation once ($confirmed transactions)" => $count('SELECT COUNT(*) FROM confirmations') === $confirmed && $audit['duplicate_confirmations'] === 0,
    'the frozen and the killed payments: one payment each' => $count("SELECT COUNT(*) FROM payments WHERE cart IN ('frozen', 'killed')") === 2,
    'every shopper request ended in 200 (after retries)' => $ordered === $carts && $paid === $carts && $confirmed === $carts,
    'every HTTP answer a clean application answer' => $unclean === 0,
    'php-fpm: no crash, one kill (ours)' => $crashes === 0 && $kills === 1,
    'no PHP warning or error in the logs' => $warnings === 0,
];

$result = ['when' => date('Y-m-d H:i'), 'short' => $short, 'seconds' => round(microtime(true) - $started, 1),
    'shoppers' => $shoppers, 'carts' => $carts, 'faults' => $log, 'answers' => $tally, 'audit' => $audit, 'checks' => $checks];
echo "\n== answers (shoppers and the fault scenarios, retries included)\n";
ksort($tally);
foreach ($tally as $k => $n) {
    printf("%-16s %6d\n", $k, $n);
}
echo "== ledger\n";
foreach ($audit as $k => $n) {
    printf("%-24s %6d\n", $k, $n);
}
echo "== checks\n";
$failed = 0;
foreach ($checks as $what => $ok) {
    printf("%s %s\n", $ok ? 'PASS' : 'FAIL', $what);
    $failed += !$ok;
}
if ($failed) {
    echo "\nlogs kept in $state\n", substr($phpLog . $fpmLog, -3000), "\n";
}
@mkdir(__DIR__ . '/out', 0777, true);
file_put_contents(__DIR__ . '/out/chaos.json', json_encode($result, JSON_PRETTY_PRINT) . "\n");
if (in_array('--readme', $argv, true)) {
    require __DIR__ . '/report.php';
    e2e_report_chaos($result, dirname(__DIR__) . '/docs/proof.md');
}
printf("%d passed, %d failed\n", count($checks) - $failed, $failed);
exit($failed ? 1 : 0);
