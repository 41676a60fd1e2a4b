--TEST--
TLS without hiredis_ssl (hiredis 0.14): rediss:// and the tls option are refused at construction saying why, phpinfo() says TLS is unavailable; no password shown
--EXTENSIONS--
rlock
--SKIPIF--
<?php
require __DIR__ . '/../inc/tls.inc';
if (!extension_loaded('rlock')) {
    die('skip rlock extension not loaded');
}
if (rlock_has_tls()) {
    die('skip this rlock has TLS');
}
?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/tls.inc';
$secret = 'Sup3r-S3cret';

function refused(callable $make): void
{
    global $secret;
    try {
        $make();
        echo "no error\n";
    } catch (ValueError $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
        echo "  password shown: ", str_contains((string) $e, $secret) ? 'yes' : 'no', "\n";
    }
}

echo "TLS => ", rlock_tls_row(), "\n";
refused(fn() => new RLock('x', ['servers' => "rediss://:$secret@127.0.0.1:6380"]));
refused(fn() => new RLock('x', ['servers' => ["rediss://a", "rediss://b", "rediss://c"]]));
refused(fn() => new RLock('x', ['servers' => 'redis://127.0.0.1', 'tls' => ['cafile' => '/etc/ssl/ca.pem']]));
refused(fn() => new RLockIdempotency('x', ['cluster' => ["rediss://shop:$secret@127.0.0.1:7000"]]));
refused(fn() => new RLockSemaphore('x', ['tls' => []]));

[$status, $out] = run_php('<?php echo ini_get("rlock.servers"), "\n";', ['rlock.servers' => "rediss://:$secret@h"]);
echo str_replace($secret, '<PASSWORD>', trim($out)), "\n";
?>
--EXPECTF--
TLS => unavailable (hiredis %d.%d.%d without hiredis_ssl)
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "rediss://:***@127.0.0.1:6380": TLS (rediss://) is not available: this rlock was built on hiredis %d.%d.%d without hiredis_ssl (TLS needs hiredis >= 1.0 with hiredis_ssl)
  password shown: no
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" has a malformed URI "rediss://a": TLS (rediss://) is not available: this rlock was built on hiredis %d.%d.%d without hiredis_ssl (TLS needs hiredis >= 1.0 with hiredis_ssl)
  password shown: no
ValueError: RLock::__construct(): Argument #2 ($options) option "tls" is not available: this rlock was built on hiredis %d.%d.%d without hiredis_ssl (TLS needs hiredis >= 1.0 with hiredis_ssl)
  password shown: no
ValueError: RLockIdempotency::__construct(): Argument #2 ($options) option "cluster" has a malformed seed: TLS (rediss://) is not available: this rlock was built on hiredis %d.%d.%d without hiredis_ssl (TLS needs hiredis >= 1.0 with hiredis_ssl)
  password shown: no
ValueError: RLockSemaphore::__construct(): Argument #2 ($options) option "tls" is not available: this rlock was built on hiredis %d.%d.%d without hiredis_ssl (TLS needs hiredis >= 1.0 with hiredis_ssl)
  password shown: no
%AWarning: PHP Startup: rlock.servers "rediss://:***@h" is malformed: TLS (rediss://) is not available: this rlock was built on hiredis %d.%d.%d without hiredis_ssl (TLS needs hiredis >= 1.0 with hiredis_ssl) in Unknown on line 0
%A
