--TEST--
Request-end release: fatal error, uncaught exception, exit(), max_execution_time free the lock at once
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);

$prologue = '<?php
$lock = new RLock("order:1", ["servers" => getenv("URI"), "ttl" => 60000]);
$other = new RLock("order:2", ["servers" => getenv("URI"), "ttl" => 60000, "auto_release" => false]);
$lock->acquire(); $other->acquire();
function work() { $local = new RLock("order:3", ["servers" => getenv("URI"), "ttl" => 60000]); $local->acquire(); ';

$endings = [
    'normal end' => '} work(); echo "done\n";',
    'uncaught exception' => 'throw new RuntimeException("gateway down"); } work();',
    'fatal error' => 'undefined_function(); } work();',
    'exit()' => 'exit(3); } work();',
    'max_execution_time' => 'while (true) {} } work();',
    'destructor throws at shutdown' => '$GLOBALS["keep"] = new class { function __destruct() { throw new Exception("late"); } }; } work();',
];
// Under valgrind, PHP's own bailout leaks are suppressed for the children that end by bailout.
$bailout = ['VALGRIND_OPTS' => getenv('VALGRIND_OPTS') . ' --suppressions=' . __DIR__ . '/../inc/php-bailout.supp'];
foreach ($endings as $ending => $code) {
    $redis->cmd('FLUSHALL');
    $env = ['URI' => $redis->uri()] + (in_array($ending, ['normal end', 'exit()']) ? [] : $bailout);
    [$exit, $out] = run_php($prologue . $code, ['max_execution_time' => '1'], $env);
    printf("%-30s exit=%d  order:1 held=%d  order:3 held=%d  auto_release=false kept=%d\n", $ending, $exit,
        $redis->cmd('EXISTS', 'rlock:{order:1}'), $redis->cmd('EXISTS', 'rlock:{order:3}'),
        $redis->cmd('EXISTS', 'rlock:{order:2}'));
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
normal end                     exit=0  order:1 held=0  order:3 held=0  auto_release=false kept=1
uncaught exception             exit=255  order:1 held=0  order:3 held=0  auto_release=false kept=1
fatal error                    exit=255  order:1 held=0  order:3 held=0  auto_release=false kept=1
exit()                         exit=3  order:1 held=0  order:3 held=0  auto_release=false kept=1
max_execution_time             exit=255  order:1 held=0  order:3 held=0  auto_release=false kept=1
destructor throws at shutdown  exit=255  order:1 held=0  order:3 held=0  auto_release=false kept=1
