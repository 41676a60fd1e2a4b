<?php
/* The bridges' PHPUnit tests (tools/phpunit runs them): the frameworks are the installed
 * copies (Debian's /usr/share/php), the bridges are autoloaded from their composer.json,
 * and each test class gets its own redis-server. */
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/bridges.inc';

foreach (['Symfony/Component/Lock', 'Symfony/Component/Messenger', 'Illuminate/Cache'] as $package) {
    if (is_file("/usr/share/php/$package/autoload.php")) {
        require_once "/usr/share/php/$package/autoload.php";
    }
}
foreach (['symfony-lock', 'symfony-messenger', 'laravel'] as $bridge) {
    bridge_autoload($bridge);
}

/** The redis-server of one test class, started on first use and stopped when PHPUnit exits. */
function bridge_redis(string $testClass): TestRedis
{
    static $servers = [];
    if (!isset($servers[$testClass])) {
        $script = sys_get_temp_dir() . '/rlock-phpunit-' . getmypid() . '-' . str_replace('\\', '-', $testClass);
        $servers[$testClass] = TestRedis::start($script);
        $pid = getmypid();
        register_shutdown_function(function () use ($script, $pid) {
            if (getmypid() === $pid) { // not in a forked child
                TestRedis::cleanup($script);
            }
        });
    }
    return $servers[$testClass];
}

/**
 * fork_child() for PHPUnit tests: a child whose $fn throws exits 1 (after printing the
 * exception) instead of returning into PHPUnit, which would go on to run the rest of the
 * suite in the child as well.
 */
function phpunit_fork(callable $fn): int
{
    return fork_child(function () use ($fn) {
        try {
            $fn();
        } catch (Throwable $e) {
            fwrite(STDERR, "in child " . getmypid() . ": $e\n");
            exit(1);
        }
    });
}
