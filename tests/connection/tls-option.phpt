--TEST--
TLS option: PHP's ssl stream-context names, types checked; an unknown key names the known ones; a unix socket takes no TLS; no password shown
--EXTENSIONS--
rlock
--SKIPIF--
<?php
require __DIR__ . '/../inc/tls.inc';
if (!extension_loaded('rlock')) {
    die('skip rlock extension not loaded');
}
if (!rlock_has_tls()) {
    die('skip this rlock has no TLS: ' . rlock_tls_row());
}
?>
--FILE--
<?php
require __DIR__ . '/../inc/tls.inc';
$secret = 'Sup3r-S3cret';
$at = ['servers' => "rediss://:$secret@127.0.0.1:6380"];

function attempt(callable $make): void
{
    global $secret;
    try {
        $make();
        echo "accepted\n";
    } catch (TypeError|ValueError $e) {
        echo get_class($e), ': ', str_replace($secret, '<PASSWORD>', $e->getMessage()), "\n";
    }
}

echo "TLS => ", rlock_tls_row(), "\n";
attempt(fn() => new RLock('x', $at));
attempt(fn() => new RLock('x', $at + ['tls' => ['cafile' => '/ca.pem', 'local_cert' => '/c.pem', 'local_pk' => '/k.pem',
    'peer_name' => 'redis.example.com', 'verify_peer' => false, 'verify_peer_name' => false]]));
attempt(fn() => new RLock('x', ['servers' => 'redis://127.0.0.1', 'tls' => []]));
attempt(fn() => new RLockIdempotency('x', ['cluster' => ["rediss://127.0.0.1:7000"], 'tls' => ['cafile' => '/ca.pem']]));
attempt(fn() => new RLock('x', $at + ['tls' => true]));
attempt(fn() => new RLock('x', $at + ['tls' => ['capath' => '/etc/ssl/certs']]));
attempt(fn() => new RLock('x', $at + ['tls' => ['/ca.pem']]));
attempt(fn() => new RLock('x', $at + ['tls' => ['cafile' => 1]]));
attempt(fn() => new RLock('x', $at + ['tls' => ['cafile' => '']]));
attempt(fn() => new RLock('x', $at + ['tls' => ['cafile' => "/ca\0.pem"]]));
attempt(fn() => new RLock('x', $at + ['tls' => ['verify_peer' => 'no']]));
attempt(fn() => new RLock('x', $at + ['tls' => ['local_pk' => '/k.pem']]));
attempt(fn() => new RLock('x', ['servers' => 'unix:///tmp/redis.sock', 'tls' => []]));
attempt(fn() => new RLock('x', ['servers' => 'rediss://h/1?x=1']));
attempt(fn() => new RLock('x', ['sentinels' => 'redis://127.0.0.1:26379', 'service' => 'shop', 'tls' => []]));
attempt(fn() => new RLock('x', ['sentinels' => 'rediss://127.0.0.1:26379', 'service' => 'shop']));
?>
--EXPECT--
TLS => available
accepted
accepted
accepted
accepted
TypeError: RLock::__construct(): Argument #2 ($options) option "tls" must be of type array, bool given
ValueError: RLock::__construct(): Argument #2 ($options) option "tls" has an unknown key "capath"; known keys are cafile, local_cert, local_pk, peer_name, verify_peer, verify_peer_name
ValueError: RLock::__construct(): Argument #2 ($options) option "tls" must be an array with string keys
TypeError: RLock::__construct(): Argument #2 ($options) option "tls" key "cafile" must be of type string, int given
ValueError: RLock::__construct(): Argument #2 ($options) option "tls" key "cafile" must be a non-empty string without NUL bytes
ValueError: RLock::__construct(): Argument #2 ($options) option "tls" key "cafile" must be a non-empty string without NUL bytes
TypeError: RLock::__construct(): Argument #2 ($options) option "tls" key "verify_peer" must be of type bool, string given
ValueError: RLock::__construct(): Argument #2 ($options) option "tls" key "local_pk" needs "local_cert" (the certificate it is the key of)
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "unix:///tmp/redis.sock": the tls option does not apply to a unix:// socket
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "rediss://h/1?x=1": a redis:// URI takes no query or fragment
ValueError: RLock::__construct(): Argument #2 ($options) option "tls" is not supported with Sentinel yet
ValueError: RLock::__construct(): Argument #2 ($options) options "sentinels" and "service" ("shop") are malformed: TLS to sentinels (rediss://) is not supported yet
