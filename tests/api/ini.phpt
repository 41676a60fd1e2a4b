--TEST--
INI defaults drive new locks; bad INI values are refused with a warning
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--INI--
rlock.prefix=app:
rlock.default_ttl=1500
rlock.auto_release=0
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);

$lock = new RLock('cart:9', $redis->opts());
$lock->acquire();
$pttl = $redis->cmd('PTTL', 'app:{cart:9}');
var_dump($pttl > 1000 && $pttl <= 1500);
unset($lock);
echo "auto_release=0 leaves the key to its TTL: ", $redis->cmd('EXISTS', 'app:{cart:9}'), "\n";

echo "-- ini_set at runtime\n";
ini_set('rlock.default_ttl', '2500');
ini_set('rlock.auto_release', '1');
$lock = new RLock('cart:10', $redis->opts());
$lock->acquire();
var_dump($redis->cmd('PTTL', 'app:{cart:10}') > 2000);
unset($lock);
echo "auto_release=1 frees it when the object goes: ", $redis->cmd('EXISTS', 'app:{cart:10}'), "\n";
var_dump(ini_set('rlock.servers', 'redis://10.0.0.1'));

echo "-- rlock.servers names the default server\n";
[$code, $out] = run_php('<?php $l = new RLock("a"); var_dump($l->acquire(), $l->release());',
    ['rlock.servers' => $redis->uri()]);
echo $out;

echo "-- bad values keep the default and warn\n";
foreach (['rlock.default_ttl' => '0', 'rlock.connect_timeout' => 'abc', 'rlock.read_timeout' => '99999999',
    'rlock.servers' => 'http://x', 'rlock.prefix' => str_repeat('p', 300)] as $ini => $value) {
    [$code, $out] = run_php('<?php echo ini_get("' . $ini . '") === "' . ($ini === 'rlock.prefix' ? 'rlock:' : '') . '" ? "" : ini_get("' . $ini . '"), "\n";',
        [$ini => $value, 'display_startup_errors' => '1', 'error_reporting' => 'E_ALL']);
    echo trim(preg_replace('/\s+/', ' ', $out)), "\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTF--
bool(true)
auto_release=0 leaves the key to its TTL: 1
-- ini_set at runtime
bool(true)
auto_release=1 frees it when the object goes: 0
bool(false)
-- rlock.servers names the default server
bool(true)
bool(true)
-- bad values keep the default and warn
Warning: PHP Startup: rlock.default_ttl must be between 1 and 604800000 (milliseconds), "0" given in Unknown on line 0 30000
Warning: PHP Startup: rlock.connect_timeout must be between 1 and 60000 (milliseconds), "abc" given in Unknown on line 0 1000
Warning: PHP Startup: rlock.read_timeout must be between 1 and 3600000 (milliseconds), "99999999" given in Unknown on line 0 1000
Warning: PHP Startup: rlock.servers "http://x" is malformed: it must start with redis://, rediss:// or unix:// in Unknown on line 0 redis://127.0.0.1:6379
Warning: PHP Startup: rlock.prefix must be at most 256 bytes in Unknown on line 0
