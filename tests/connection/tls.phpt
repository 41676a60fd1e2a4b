--TEST--
TLS: rediss:// and the tls option — server-only and mutual TLS for commands, wake-ups and the watchdog; a wrong CA, a missing client certificate or a wrong name is an RLockConnectionException naming the cause
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php
require __DIR__ . '/../inc/skipif.inc';
require __DIR__ . '/../inc/tls.inc';
if (!rlock_has_tls()) {
    die('skip this rlock has no TLS: ' . rlock_tls_row());
}
exec('command -v openssl', $out, $status);
if ($status !== 0) {
    die('skip the openssl command is not installed');
}
?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/tls.inc';
$pki = TestRedis::dirFor(__FILE__) . '/pki';
make_test_pki($pki);
$one_way = tls_server_config($pki, false);
$redis = TestRedis::start(__FILE__, $one_way);
$mutual = tls_server_config($pki, true);
$mtls = TestRedis::start(__FILE__ . '.node1', $mutual);
$at = "rediss://127.0.0.1:{$one_way['tls-port']}";
$trusted = ['cafile' => "$pki/ca.crt"];

function fails(string $name, array $options): void
{
    try {
        (new RLock($name, $options))->acquire();
        echo "no error\n";
    } catch (RLockConnectionException $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}

echo "-- server-only TLS: acquire and release\n";
$lock = new RLock('tls:1', ['servers' => $at, 'tls' => $trusted]);
var_dump($lock->acquire());
echo "held in Redis: ", $redis->cmd('GET', 'rlock:{tls:1}') === $lock->getToken() ? 'yes' : 'no', "\n";
var_dump($lock->release());

echo "-- redis:// with the tls option, peer_name checked against the certificate's DNS name\n";
$lock = new RLock('tls:2', ['servers' => "redis://127.0.0.1:{$one_way['tls-port']}",
    'tls' => $trusted + ['peer_name' => 'localhost']]);
var_dump($lock->acquire(), $lock->release());

echo "-- a blocked acquire() is woken over TLS (the wake-up subscriber)\n";
$options = ['servers' => $at, 'tls' => $trusted, 'ttl' => 20000];
$child = fork_child(function () use ($options) {
    $holder = new RLock('tls:wait', $options);
    $holder->acquire();
    usleep(300000);
    $holder->release();
});
await(fn() => $redis->cmd('EXISTS', 'rlock:{tls:wait}') === 1);
$started = microtime(true);
$waiter = new RLock('tls:wait', $options);
var_dump($waiter->acquire(10000));
// Without the wake-up the waiter would look again only when the 20 s lease ends.
echo "woken before the lease ended: ", microtime(true) - $started < 10 ? 'yes' : 'no', "\n";
$waiter->release();
pcntl_waitpid($child, $status);

echo "-- the watchdog renews over TLS\n";
$renewals = RLock::stats()['renewals'];
$lock = new RLock('tls:watchdog', ['servers' => $at, 'tls' => $trusted, 'ttl' => 600, 'watchdog' => true]);
$lock->acquire();
await(fn() => RLock::stats()['renewals'] >= $renewals + 2);
usleep(700000);
echo "still held past its ttl: ", $redis->cmd('GET', 'rlock:{tls:watchdog}') === $lock->getToken() ? 'yes' : 'no', "\n";
var_dump($lock->release());

echo "-- a plain and a TLS connection to one host:port are not shared\n";
fails('tls:3', ['servers' => $redis->uri(), 'tls' => $trusted]) ;
$plain = new RLock('tls:3', ['servers' => $redis->uri()]);
var_dump($plain->acquire(), $plain->release());

echo "-- failures\n";
fails('tls:4', ['servers' => $at, 'tls' => ['cafile' => "$pki/other-ca.crt"]]);
fails('tls:4', ['servers' => $at]); // the system's CAs do not know ours
fails('tls:4', ['servers' => $at, 'tls' => $trusted + ['peer_name' => 'redis.example.com']]);
fails('tls:4', ['servers' => "rediss://localhost:{$one_way['tls-port']}", 'tls' => ['cafile' => "$pki/missing.crt"]]);
echo "verify_peer false: ";
$lock = new RLock('tls:5', ['servers' => $at, 'tls' => ['cafile' => "$pki/other-ca.crt", 'verify_peer' => false]]);
var_dump($lock->acquire() && $lock->release());

echo "-- mutual TLS\n";
$mutual_at = "rediss://localhost:{$mutual['tls-port']}";
fails('tls:6', ['servers' => $mutual_at, 'tls' => $trusted]);
$lock = new RLock('tls:6', ['servers' => $mutual_at,
    'tls' => $trusted + ['local_cert' => "$pki/client.crt", 'local_pk' => "$pki/client.key"]]);
var_dump($lock->acquire(), $lock->release());

echo "-- Redlock over TLS: one command to every master at once\n";
$third = tls_server_config($pki, false);
TestRedis::start(__FILE__ . '.node2', $third);
$lock = new RLock('tls:8', ['servers' => [$at, "rediss://127.0.0.1:{$third['tls-port']}", $mutual_at],
    'tls' => $trusted + ['local_cert' => "$pki/client.crt", 'local_pk' => "$pki/client.key"]]);
var_dump($lock->acquire(), $lock->release());

echo "-- no password in a TLS failure\n";
$secret = 'Sup3r-S3cret';
foreach ([["rediss://:$secret@127.0.0.1:{$one_way['tls-port']}", ['cafile' => "$pki/other-ca.crt"]],
          ["rediss://shop:$secret@localhost:{$mutual['tls-port']}", $trusted]] as [$uri, $tls]) {
    try {
        (new RLock('tls:7', ['servers' => $uri, 'tls' => $tls]))->acquire();
    } catch (RLockConnectionException $e) {
        echo str_contains((string) $e, $secret) ? 'password shown' : 'not shown', ': ', $e->getMessage(), "\n";
    }
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTF--
-- server-only TLS: acquire and release
bool(true)
held in Redis: yes
bool(true)
-- redis:// with the tls option, peer_name checked against the certificate's DNS name
bool(true)
bool(true)
-- a blocked acquire() is woken over TLS (the wake-up subscriber)
bool(true)
woken before the lease ended: yes
-- the watchdog renews over TLS
still held past its ttl: yes
bool(true)
-- a plain and a TLS connection to one host:port are not shared
RLockConnectionException: cannot connect to rediss://127.0.0.1:%d/0: TLS handshake failed: %s
bool(true)
bool(true)
-- failures
RLockConnectionException: cannot connect to rediss://127.0.0.1:%d/0: TLS handshake failed: certificate verify failed: self-signed certificate in certificate chain
RLockConnectionException: cannot connect to rediss://127.0.0.1:%d/0: TLS handshake failed: certificate verify failed: self-signed certificate in certificate chain
RLockConnectionException: cannot connect to rediss://127.0.0.1:%d/0: TLS handshake failed: certificate verify failed: hostname mismatch
RLockConnectionException: cannot connect to rediss://localhost:%d/0: cannot load the TLS cafile "%s/missing.crt": %s
verify_peer false: bool(true)
-- mutual TLS
RLockConnectionException: lost connection to rediss://localhost:%d/0: the server asked for a client certificate and closed the connection without one (see the tls option's local_cert)%A
bool(true)
bool(true)
-- Redlock over TLS: one command to every master at once
bool(true)
bool(true)
-- no password in a TLS failure
not shown: cannot connect to rediss://:***@127.0.0.1:%d/0: TLS handshake failed: certificate verify failed: self-signed certificate in certificate chain
not shown: lost connection to rediss://shop:***@localhost:%d/0: the server asked for a client certificate and closed the connection without one (see the tls option's local_cert)%A
