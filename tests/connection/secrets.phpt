--TEST--
Secrets: no password of a URI in any exception, warning, phpinfo() or stats() — rlock shows user:***@
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$secret = 'Sup3r-S3cret';
$redis = TestRedis::start(__FILE__, ['requirepass' => $secret]);
$said = [];
function say(string $text): void
{
    global $said, $secret;
    $said[] = $text;
    echo str_replace($secret, '<PASSWORD>', $text), "\n";
}

echo "-- malformed URIs\n";
foreach (["redis://shop:$secret@h:port", "redis://:$secret@h/x", "redis://$secret@", "redis://shop:$secret@with@at@h/x",
          "unix:///tmp/s?password=$secret&db=x", "tcp://shop:$secret@h", "redis://shop:$secret@h/1?x=1"] as $uri) {
    try {
        new RLock('x', ['servers' => $uri]);
    } catch (ValueError $e) {
        say($e->getMessage());
    }
    try {
        new RLockIdempotency('x', ['cluster' => [$uri]]);
    } catch (ValueError $e) {
        $said[] = $e->getMessage();
    }
}

echo "-- Redis refuses, or is not there\n";
foreach (["redis://:wrong-$secret@127.0.0.1:{$redis->port}", "redis://shop:$secret@127.0.0.1:1"] as $uri) {
    try {
        (new RLock('x', ['servers' => $uri]))->acquire();
    } catch (RLockConnectionException $e) {
        say(preg_replace('/:\d+\//', ':PORT/', $e->getMessage()));
    }
}
try {
    new RLock('x', ['servers' => ["redis://:$secret@127.0.0.1:1", "redis://:$secret@127.0.0.1:1", 'redis://127.0.0.1:2']]);
} catch (ValueError $e) {
    say($e->getMessage());
}
$lock = new RLock('x', ['servers' => "redis://:$secret@127.0.0.1:{$redis->port}"]);
$lock->acquire();
$said[] = json_encode(RLock::stats());
$lock->release();

ini_set('zend.exception_ignore_args', '0');
foreach ([fn() => RLock::forceRelease('x', ['servers' => "redis://shop:$secret@127.0.0.1:1"]),
          fn() => new RLock('x', ['servers' => "redis://shop:$secret@h:port"]),
          fn() => new RLockIdempotency('x', ['servers' => "redis://shop:$secret@h:port"])] as $call) {
    try {
        $call();
    } catch (Throwable $e) {
        $said[] = (string) $e . print_r($e->getTrace(), true); // what an error tracker records
    }
}

echo "-- rlock.servers: the startup warning and phpinfo()\n";
[$code, $out] = run_php('<?php phpinfo(INFO_MODULES);', ['rlock.servers' => "redis://shop:$secret@h:nan"]);
say(trim(preg_replace('/^(?!.*rlock\.servers).*\n?/m', '', $out)));
[$code, $out] = run_php('<?php phpinfo(INFO_MODULES);', ['rlock.servers' => "redis://shop:$secret@h:1"]);
$said[] = $out;
say(trim(preg_replace('/^(?!rlock\.servers).*\n?/m', '', $out)));
[$code, $out] = run_php('<?php ob_start(); phpinfo(INFO_MODULES); echo ob_get_clean();', ['rlock.servers' => "redis://shop:$secret@h:1", 'html_errors' => '1'], ['SERVER_SOFTWARE' => 'x']);
$said[] = $out;

echo "password shown anywhere: ", var_export(str_contains(implode("\n", $said), $secret), true), " (", count($said), " texts)\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- malformed URIs
RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://shop:***@h:port": it is not a valid URI
RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://:***@h/x": the database (/N) must be a number from 0 to 1000000
RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://***@": it is not a valid URI
RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://shop:***@h/x": the database (/N) must be a number from 0 to 1000000
RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "unix:///tmp/s?password=***&db=x": db must be a number from 0 to 1000000
RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "tcp://shop:***@h": it must start with redis://, rediss:// or unix://
RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://shop:***@h/1?x=1": a redis:// URI takes no query or fragment
-- Redis refuses, or is not there
authentication failed at redis://:***@127.0.0.1:PORT/0: WRONGPASS invalid username-password pair or user is disabled.
cannot connect to redis://shop:***@127.0.0.1:PORT/0: Connection refused
RLock::__construct(): Argument #2 ($options) option "servers" lists the server redis://:***@127.0.0.1:1/0 twice
-- rlock.servers: the startup warning and phpinfo()
Warning: PHP Startup: rlock.servers "redis://shop:***@h:nan" is malformed: it is not a valid URI in Unknown on line 0
rlock.servers => redis://127.0.0.1:6379 => redis://127.0.0.1:6379
rlock.servers => redis://shop:***@h:1 => redis://shop:***@h:1
password shown anywhere: false (25 texts)
