--TEST--
RLockSemaphore lifecycle: request end gives back what this process took and did not consume (however the request ends), auto_release false keeps it, a fork child's exit leaves its parent's permits alone, the watchdog keeps a long holder's lease
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/semaphore.inc';
$redis = TestRedis::start(__FILE__);
$held = fn(string $holder) => $redis->cmd('HEXISTS', 'rlock:{stock:sku-9}:sem', $holder);

$prologue = '<?php
$o = ["servers" => getenv("URI"), "ttl" => 60000];
$stock = new RLockSemaphore("stock:sku-9", $o);
$kept = new RLockSemaphore("stock:sku-9", $o + ["auto_release" => false]);
$stock->acquire("cart-1", 2); $stock->acquire("cart-sold"); $stock->consume("cart-sold"); $kept->acquire("cart-kept");
function work() { $local = new RLockSemaphore("stock:sku-9", ["servers" => getenv("URI")]); $local->acquire("cart-3"); ';
$endings = [
    'normal end' => '} work(); echo "done\n";',
    'uncaught exception' => 'throw new RuntimeException("gateway down"); } work();',
    'fatal error' => 'undefined_function(); } work();',
    'exit()' => 'exit(3); } work();',
    'max_execution_time' => 'while (true) {} } work();',
];
$bailout = ['VALGRIND_OPTS' => getenv('VALGRIND_OPTS') . ' --suppressions=' . __DIR__ . '/../inc/php-bailout.supp'];
foreach ($endings as $ending => $code) {
    $redis->cmd('FLUSHALL');
    (new RLockSemaphore('stock:sku-9', $redis->opts()))->addPermits(10);
    $env = ['URI' => $redis->uri()] + (in_array($ending, ['normal end', 'exit()']) ? [] : $bailout);
    [$exit, $out] = run_php($prologue . $code, ['max_execution_time' => '1'], $env);
    $ledger = semaphore_ledger($redis, 'stock:sku-9');
    printf("%-20s exit=%-3d cart-1 held=%d cart-3 held=%d kept=%d  free=%d consumed=%d\n", $ending, $exit,
        $held('cart-1'), $held('cart-3'), $held('cart-kept'), $ledger['free'], $ledger['consumed']);
}

// A fork child that exits gives back what it took, never what its parent took.
$redis->cmd('FLUSHALL');
$stock = new RLockSemaphore('stock:sku-9', $redis->opts(['ttl' => 60000]));
$stock->addPermits(10);
$stock->acquire('parent-cart');
$child = fork_child(function () use ($stock) {
    $stock->acquire('child-cart');
});
pcntl_waitpid($child, $status);
echo "after the child's exit: parent-cart held=", $held('parent-cart'), " child-cart held=", $held('child-cart'), "\n";
unset($stock);
echo "after the parent's semaphore went: parent-cart held=", $held('parent-cart'), "\n";

// A double click served by another process takes nothing, so its request end gives nothing back.
$kept = new RLockSemaphore('stock:sku-9', $redis->opts(['auto_release' => false]));
$kept->acquire('cart-clicked');
[$exit, $out] = run_php('<?php $s = new RLockSemaphore("stock:sku-9", ["servers" => getenv("URI")]);
    echo $s->acquire("cart-clicked") ? "true" : "false"; echo $s->acquire("cart-clicked", 1, 1000) ? " true" : " false";',
    [], ['URI' => $redis->uri()]);
echo "the second click's answers: $out; after its request: cart-clicked held=", $held('cart-clicked'), "\n";
$kept->release('cart-clicked');

// The watchdog renews a holder's lease for as long as it holds.
$ttl = (int) (time_limit(0.3, 1.5) * 1000);
$watched = new RLockSemaphore('stock:sku-9', $redis->opts(['ttl' => $ttl, 'watchdog' => true]));
$plain = new RLockSemaphore('stock:sku-9', $redis->opts(['ttl' => $ttl]));
$watched->acquire('slow-order');
$plain->acquire('fast-order');
usleep($ttl * 4000);
$plain->available(); // ended leases come back on the next call
echo "after 4 ttl: watched held=", $held('slow-order'), " unwatched held=", $held('fast-order'), "\n";
echo "consume the watched one: ", $watched->consume('slow-order') ? 'true' : 'false', "\n";
echo "ledger: ", json_encode(semaphore_ledger($redis, 'stock:sku-9')), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
normal end           exit=0   cart-1 held=0 cart-3 held=0 kept=1  free=8 consumed=1
uncaught exception   exit=255 cart-1 held=0 cart-3 held=0 kept=1  free=8 consumed=1
fatal error          exit=255 cart-1 held=0 cart-3 held=0 kept=1  free=8 consumed=1
exit()               exit=3   cart-1 held=0 cart-3 held=0 kept=1  free=8 consumed=1
max_execution_time   exit=255 cart-1 held=0 cart-3 held=0 kept=1  free=8 consumed=1
after the child's exit: parent-cart held=1 child-cart held=0
after the parent's semaphore went: parent-cart held=0
the second click's answers: true true; after its request: cart-clicked held=1
after 4 ttl: watched held=1 unwatched held=0
consume the watched one: true
ledger: {"free":9,"added":10,"consumed":1,"held":0,"holders":0}
