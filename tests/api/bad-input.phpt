--TEST--
Bad input: TypeError/ValueError naming the argument, nothing written to Redis
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$o = $redis->opts();

function attempt(callable $fn): void
{
    try {
        $fn();
        echo "no error\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}

echo "-- names\n";
attempt(fn() => new RLock('', $o));
attempt(fn() => new RLock(str_repeat('n', 1025), $o));
attempt(fn() => new RLock(str_repeat('n', 1024), $o));
attempt(fn() => new RLock([], $o));
attempt(fn() => RLock::forceRelease('', $o));

echo "-- options\n";
foreach ([
    ['ttl' => -1], ['ttl' => 0], ['ttl' => 604800001], ['ttl' => '100'], ['ttl' => 1.5], ['ttl' => null],
    ['connect_timeout' => 0], ['connect_timeout' => 60001], ['read_timeout' => -5], ['read_timeout' => 3600001],
    ['auto_release' => 1], ['prefix' => 7], ['prefix' => str_repeat('p', 257)],
    ['bogus' => 1], ['TTL' => 100], [0 => 'redis://127.0.0.1'],
    ['fair' => 1], ['watchdog' => 'yes'], ['fencing' => 1], ['on_lost' => 'die'], ['on_lost' => 'throw'],
    ['cluster' => ['redis://127.0.0.1:7000']],
] as $options) {
    attempt(fn() => new RLock('x', $options + $o));
}
attempt(fn() => new RLock('x', ['fair' => true, 'watchdog' => true, 'fencing' => true, 'on_lost' => 'throw', 'cluster' => false] + $o));

echo "-- server URIs\n";
foreach ([
    '', 'localhost:6379', 'http://127.0.0.1', 'redis://', 'redis://:6379', 'redis://h:1/abc', 'redis://h:1/-1',
    'redis://h/1?x=1', 'redis://user@h', 'unix://', 'unix://relative/path', 'unix:///tmp/s?db=x',
    'unix:///tmp/s?timeout=1', "redis://h\0x", 42, [], ['redis://a', 'redis://b'], [1],
] as $servers) {
    attempt(fn() => new RLock('x', ['servers' => $servers]));
}

echo "-- method arguments\n";
$lock = new RLock('x', $o);
attempt(fn() => $lock->acquire(-1));
attempt(fn() => $lock->acquire(86400001));
attempt(fn() => $lock->acquire('soon'));
attempt(fn() => $lock->extend(0));
attempt(fn() => $lock->extend(604800001));
attempt(fn() => $lock->synchronized('no_such_function'));
attempt(fn() => $lock->synchronized(fn() => 1, -1));
attempt(fn() => RLock::forceRelease('x', ['ttl' => 0]));

echo "-- objects\n";
attempt(fn() => clone $lock);
attempt(fn() => serialize($lock));
attempt(fn() => unserialize('O:5:"RLock":0:{}'));
attempt(fn() => $lock->__construct('again'));

echo "-- unreachable\n";
$closed = stream_socket_server('tcp://127.0.0.1:0');
$port = (int) substr(strrchr(stream_socket_get_name($closed, false), ':'), 1);
fclose($closed);
$start = microtime(true);
attempt(fn() => (new RLock('x', ['servers' => "redis://127.0.0.1:$port"]))->acquire());
var_dump(microtime(true) - $start < time_limit(1.5, 3.0)); // refused: milliseconds, not the 1 s connect timeout and more
attempt(fn() => RLock::forceRelease('x', ['servers' => "redis://127.0.0.1:$port"]));

echo "-- nothing was written\n";
var_dump($redis->cmd('DBSIZE'));
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTF--
-- names
ValueError: RLock::__construct(): Argument #1 ($name) must not be empty
ValueError: RLock::__construct(): Argument #1 ($name) must be at most 1024 bytes, 1025 given
no error
TypeError: RLock::__construct(): Argument #1 ($name) must be of type string, array given
ValueError: RLock::forceRelease(): Argument #1 ($name) must not be empty
-- options
ValueError: RLock::__construct(): Argument #2 ($options) option "ttl" must be between 1 and 604800000 (milliseconds), -1 given
ValueError: RLock::__construct(): Argument #2 ($options) option "ttl" must be between 1 and 604800000 (milliseconds), 0 given
ValueError: RLock::__construct(): Argument #2 ($options) option "ttl" must be between 1 and 604800000 (milliseconds), 604800001 given
TypeError: RLock::__construct(): Argument #2 ($options) option "ttl" must be of type int, string given
TypeError: RLock::__construct(): Argument #2 ($options) option "ttl" must be of type int, float given
TypeError: RLock::__construct(): Argument #2 ($options) option "ttl" must be of type int, null given
ValueError: RLock::__construct(): Argument #2 ($options) option "connect_timeout" must be between 1 and 60000 (milliseconds), 0 given
ValueError: RLock::__construct(): Argument #2 ($options) option "connect_timeout" must be between 1 and 60000 (milliseconds), 60001 given
ValueError: RLock::__construct(): Argument #2 ($options) option "read_timeout" must be between 1 and 3600000 (milliseconds), -5 given
ValueError: RLock::__construct(): Argument #2 ($options) option "read_timeout" must be between 1 and 3600000 (milliseconds), 3600001 given
TypeError: RLock::__construct(): Argument #2 ($options) option "auto_release" must be of type bool, int given
TypeError: RLock::__construct(): Argument #2 ($options) option "prefix" must be of type string, int given
ValueError: RLock::__construct(): Argument #2 ($options) option "prefix" must be at most 256 bytes, 257 given
ValueError: RLock::__construct(): Argument #2 ($options) has an unknown option "bogus"; known options are servers, prefix, connect_timeout, read_timeout, ttl, auto_release, watchdog, on_lost, fencing, fair, reentrant, cluster, sentinels, service, sync_replicas, sync_timeout, tls
ValueError: RLock::__construct(): Argument #2 ($options) has an unknown option "TTL"; known options are servers, prefix, connect_timeout, read_timeout, ttl, auto_release, watchdog, on_lost, fencing, fair, reentrant, cluster, sentinels, service, sync_replicas, sync_timeout, tls
ValueError: RLock::__construct(): Argument #2 ($options) must be an array with string keys, key 0 given
TypeError: RLock::__construct(): Argument #2 ($options) option "fair" must be of type bool, int given
TypeError: RLock::__construct(): Argument #2 ($options) option "watchdog" must be of type bool, string given
TypeError: RLock::__construct(): Argument #2 ($options) option "fencing" must be of type bool, int given
ValueError: RLock::__construct(): Argument #2 ($options) option "on_lost" must be "flag" or "throw", "die" given
ValueError: RLock::__construct(): Argument #2 ($options) option "on_lost" "throw" needs the watchdog option
ValueError: RLock::__construct(): Argument #2 ($options) options "servers" and "cluster" exclude each other
TypeError: RLock::__construct(): Argument #2 ($options) option "cluster" must be of type string|array, bool given
-- server URIs
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "": it is empty
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "localhost:6379": it must start with redis://, rediss:// or unix://
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "http://127.0.0.1": it must start with redis://, rediss:// or unix://
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://": %s
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://:6379": %s
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://h:1/abc": the database (/N) must be a number from 0 to 1000000
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://h:1/-1": the database (/N) must be a number from 0 to 1000000
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://h/1?x=1": a redis:// URI takes no query or fragment
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://***@h": an ACL user needs a password
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "unix://": a unix socket URI is unix:///absolute/path[?db=N]
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "unix://relative/path": a unix socket URI is unix:///absolute/path[?db=N]
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "unix:///tmp/s?db=x": db must be a number from 0 to 1000000
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "unix:///tmp/s?timeout=1": query items must be db=N, user=U or password=P
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "redis://h": it contains a NUL byte
TypeError: RLock::__construct(): Argument #2 ($options) option "servers" must be of type string|array, int given
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" must list one server, or 3 to 9 independent masters for Redlock (a majority of them must agree), 0 given
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" must list one server, or 3 to 9 independent masters for Redlock (a majority of them must agree), 2 given
TypeError: RLock::__construct(): Argument #2 ($options) option "servers" must list URIs as strings, int given
-- method arguments
ValueError: RLock::acquire(): Argument #1 ($waitMs) must be between 0 and 86400000 (milliseconds), -1 given
ValueError: RLock::acquire(): Argument #1 ($waitMs) must be between 0 and 86400000 (milliseconds), 86400001 given
TypeError: RLock::acquire(): Argument #1 ($waitMs) must be of type int, string given
ValueError: RLock::extend(): Argument #1 ($ttlMs) must be between 1 and 604800000 (milliseconds), 0 given
ValueError: RLock::extend(): Argument #1 ($ttlMs) must be between 1 and 604800000 (milliseconds), 604800001 given
TypeError: RLock::synchronized(): Argument #1 ($fn) must be a valid callback, function "no_such_function" not found or invalid function name
ValueError: RLock::synchronized(): Argument #2 ($waitMs) must be between 0 and 86400000 (milliseconds), -1 given
ValueError: RLock::forceRelease(): Argument #2 ($options) option "ttl" must be between 1 and 604800000 (milliseconds), 0 given
-- objects
Error: Trying to clone an uncloneable object of class RLock
Exception: Serialization of 'RLock' is not allowed
Exception: Unserialization of 'RLock' is not allowed
Error: RLock::__construct() cannot be called twice
-- unreachable
RLockConnectionException: cannot connect to redis://127.0.0.1:%d/0: Connection refused
bool(true)
RLockConnectionException: cannot connect to redis://127.0.0.1:%d/0: Connection refused
-- nothing was written
int(0)
