--TEST--
Redis restarted: the next call reconnects and works; Redis down, unreachable or silent: RLockConnectionException within the timeout
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);

/** Runs $fn, expecting RLockConnectionException after $min to $max seconds. */
function timed(string $what, callable $fn, float $min, float $max): void
{
    $start = microtime(true);
    try {
        $fn();
        echo "$what: no error\n";
    } catch (RLockConnectionException $e) {
        $took = microtime(true) - $start;
        echo "$what: ", preg_replace('/:\d+/', ':PORT', $e->getMessage()), $took >= $min && $took < $max ? '' : " (took {$took}s)", "\n";
    }
}
// A refused connection fails in milliseconds: 1.5 s allows for a busy machine. A 300 ms
// timeout takes at least 300 ms and at most 3x that, short of the 1000 ms defaults it must
// not fall back to (under valgrind, whose slow start of each call adds to it, 2 s).
$refused = time_limit(1.5, 3.0);
$timeout = [0.29, time_limit(0.9, 2.0)];

$lock = new RLock('order:9', $redis->opts(['ttl' => 60000]));
var_dump($lock->acquire(), $lock->release());
$lock->acquire();
$before = RLock::stats();

echo "-- restart (the data set, our lock and the cached scripts are gone)\n";
$redis->restart();
var_dump($lock->release()); // our key vanished with the restart: not ours any more
$again = new RLock('order:9', $redis->opts());
var_dump($again->acquire(), $again->release());
$after = RLock::stats();
echo "reconnects: ", $after['reconnects'] - $before['reconnects'], ", script reloads (NOSCRIPT -> EVAL): ",
    $after['script_loads'] - $before['script_loads'], "\n";

echo "-- Redis down\n";
$lock->acquire();
$redis->stop();
timed('release while down', fn() => $lock->release(), 0, $refused);
timed('acquire while down', fn() => (new RLock('order:9', $redis->opts(['connect_timeout' => 500])))->acquire(), 0, $refused);
echo "-- back up: the lock that could not be released is retried and found gone\n";
$redis->restart();
var_dump($lock->release());

echo "-- Redis goes away inside synchronized()\n";
$s = new RLock('order:10', $redis->opts());
try {
    $s->synchronized(function () use ($redis) {
        $redis->stop();
        throw new DomainException('card declined');
    });
} catch (Exception $e) {
    echo "the callback's exception wins: ", get_class($e), ', release failure chained: ', get_class($e->getPrevious()), "\n";
}
$redis->restart();
try {
    $s->synchronized(function () use ($redis) {
        $redis->stop();
        return str_repeat('result', 10);
    });
} catch (Exception $e) {
    echo "a callback that returned, then a failed release: ", get_class($e), "\n";
}

echo "-- connect timeout (listener with a full backlog drops our SYN)\n";
$full = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr, STREAM_SERVER_BIND | STREAM_SERVER_LISTEN,
    stream_context_create(['socket' => ['backlog' => 0]]));
$port = (int) substr(strrchr(stream_socket_get_name($full, false), ':'), 1);
$fill = [];
for ($i = 0; $i < 4; $i++) {
    $fill[] = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 0.2, STREAM_CLIENT_CONNECT | STREAM_CLIENT_ASYNC_CONNECT);
}
timed('connect_timeout=300', fn() => (new RLock('x', ['servers' => "redis://127.0.0.1:$port", 'connect_timeout' => 300]))->acquire(), ...$timeout);

echo "-- read timeout (a server that accepts and never answers)\n";
$silent = stream_socket_server('tcp://127.0.0.1:0');
$port = (int) substr(strrchr(stream_socket_get_name($silent, false), ':'), 1);
timed('read_timeout=300', fn() => (new RLock('x', ['servers' => "redis://127.0.0.1:$port", 'read_timeout' => 300]))->acquire(), ...$timeout);
timed('forceRelease', fn() => RLock::forceRelease('x', ['servers' => "redis://127.0.0.1:$port", 'read_timeout' => 300]), ...$timeout);
echo "connection errors counted: ", RLock::stats()['connection_errors'] >= 5 ? 'yes' : 'no', "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
bool(true)
bool(true)
-- restart (the data set, our lock and the cached scripts are gone)
bool(false)
bool(true)
bool(true)
reconnects: 1, script reloads (NOSCRIPT -> EVAL): 1
-- Redis down
release while down: cannot connect to redis://127.0.0.1:PORT/0: Connection refused
acquire while down: cannot connect to redis://127.0.0.1:PORT/0: Connection refused
-- back up: the lock that could not be released is retried and found gone
bool(false)
-- Redis goes away inside synchronized()
the callback's exception wins: DomainException, release failure chained: RLockConnectionException
a callback that returned, then a failed release: RLockConnectionException
-- connect timeout (listener with a full backlog drops our SYN)
connect_timeout=300: cannot connect to redis://127.0.0.1:PORT/0: Connection timed out
-- read timeout (a server that accepts and never answers)
read_timeout=300: timed out talking to redis://127.0.0.1:PORT/0: no reply within read_timeout (300 ms)
forceRelease: timed out talking to redis://127.0.0.1:PORT/0: no reply within read_timeout (300 ms)
connection errors counted: yes
