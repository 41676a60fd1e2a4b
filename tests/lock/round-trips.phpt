--TEST--
One round trip each: an acquire+release pair is one SET NX PX and one EVALSHA, nothing else (INFO commandstats)
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);

function commandstats(TestRedis $redis): array
{
    preg_match_all('/^cmdstat_([^:]+):calls=(\d+)/m', $redis->cmd('INFO', 'commandstats'), $m);
    return array_combine($m[1], array_map('intval', $m[2]));
}

function delta(array $before, array $after): string
{
    $out = [];
    foreach ($after as $cmd => $calls) {
        if ($cmd !== 'info' && $calls !== ($before[$cmd] ?? 0)) {
            $out[] = "$cmd+" . ($calls - ($before[$cmd] ?? 0));
        }
    }
    sort($out);
    return implode(' ', $out);
}

$lock = new RLock('order:1', $redis->opts());
$lock->acquire(); // connects, loads the scripts
$lock->release();
$connections = $redis->info('total_connections_received');

$before = commandstats($redis);
$lock->acquire();
$lock->release();
echo "acquire + release: ", delta($before, commandstats($redis)), "\n";

$n = 100;
$before = commandstats($redis);
for ($i = 0; $i < $n; $i++) {
    $lock->acquire();
    $lock->release();
}
echo "$n pairs: ", delta($before, commandstats($redis)), "\n";

$other = new RLock('order:1', $redis->opts(['reentrant' => false]));
$lock->acquire();
$before = commandstats($redis);
$other->acquire();
echo "refused acquire: ", delta($before, commandstats($redis)), "\n";
$before = commandstats($redis);
$lock->extend();
echo "first extend (script unknown: NOSCRIPT, then EVAL): ", delta($before, commandstats($redis)), "\n";
$before = commandstats($redis);
$lock->extend();
echo "extend: ", delta($before, commandstats($redis)), "\n";
$lock->release();
echo "new connections: ", $redis->info('total_connections_received') - $connections, "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
acquire + release: del+1 evalsha+1 get+1 set+1 zrange+1
100 pairs: del+100 evalsha+100 get+100 set+100 zrange+100
refused acquire: set+1
first extend (script unknown: NOSCRIPT, then EVAL): eval+1 evalsha+1 get+1 pexpire+1
extend: evalsha+1 get+1 pexpire+1
new connections: 0
