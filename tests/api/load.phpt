--TEST--
rlock loads: classes, exception hierarchy, INI defaults in phpinfo()
--EXTENSIONS--
rlock
--FILE--
<?php
$r = new ReflectionClass('RLock');
var_dump($r->isFinal());
foreach (['RLockException', 'RLockConnectionException', 'RLockTimeoutException', 'RLockLostException',
    'RLockInProgressException', 'RLockConflictException'] as $class) {
    echo $class, ' < ', get_parent_class($class), "\n";
}
var_dump((new RLockInProgressException('x'))->getRetryAfter());
foreach (['servers', 'prefix', 'default_ttl', 'connect_timeout', 'read_timeout', 'auto_release', 'watchdog'] as $ini) {
    echo "rlock.$ini=", ini_get("rlock.$ini"), "\n";
}
ob_start();
phpinfo(INFO_MODULES);
$info = ob_get_clean();
var_dump(str_contains($info, 'rlock support => enabled'), (bool) preg_match('/hiredis version => \d+\.\d+\.\d+/', $info),
    str_contains($info, 'rlock.servers => redis://127.0.0.1:6379'));
?>
--EXPECT--
bool(true)
RLockException < RuntimeException
RLockConnectionException < RLockException
RLockTimeoutException < RLockException
RLockLostException < RLockException
RLockInProgressException < RLockException
RLockConflictException < RLockException
int(0)
rlock.servers=redis://127.0.0.1:6379
rlock.prefix=rlock:
rlock.default_ttl=30000
rlock.connect_timeout=1000
rlock.read_timeout=1000
rlock.auto_release=1
rlock.watchdog=0
bool(true)
bool(true)
bool(true)
