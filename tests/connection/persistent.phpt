--TEST--
Persistent connection: 120 requests served by php -S share one Redis connection
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$requests = scaled(120, 40);

$docroot = $redis->dir . '/www';
@mkdir($docroot);
file_put_contents("$docroot/index.php", '<?php
$lock = new RLock("order:" . ($_GET["n"] ?? 0), ["servers" => getenv("URI")]);
$ok = $lock->acquire() && $lock->release();
echo json_encode(["ok" => $ok, "pid" => getmypid(), "connects" => RLock::stats()["connects"]]);');

$probe = stream_socket_server('tcp://127.0.0.1:0');
$port = (int) substr(strrchr(stream_socket_get_name($probe, false), ':'), 1);
fclose($probe);
$cmd = array_merge(php_with_rlock(), ['-S', "127.0.0.1:$port", '-t', $docroot]);
$web = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']],
    $pipes, null, ['URI' => $redis->uri()] + getenv());
await(fn() => (bool) @fsockopen('127.0.0.1', $port), 60); // php -S under valgrind on a busy machine starts slowly

$clientsBefore = (int) $redis->info('connected_clients');
$ids = $pids = $connects = [];
$failures = 0;
for ($n = 1; $n <= $requests; $n++) {
    $reply = json_decode((string) @file_get_contents("http://127.0.0.1:$port/index.php?n=$n"), true);
    if (!$reply || !$reply['ok']) {
        $failures++;
        continue;
    }
    $pids[$reply['pid']] = true;
    $connects[$reply['connects']] = true;
    foreach (explode("\n", trim($redis->cmd('CLIENT', 'LIST'))) as $client) {
        if (preg_match('/^id=(\d+) .* name=rlock-' . $reply['pid'] . ' /', $client, $m)) {
            $ids[$m[1]] = true;
        }
    }
    $clients[] = (int) $redis->info('connected_clients');
}
proc_terminate($web, 2); // SIGINT: php -S shuts down cleanly (and valgrind sees a normal exit)
proc_close($web);

echo "requests failed: $failures of ", count($clients ?? []) + $failures === $requests ? "all" : "?", "\n";
echo "worker processes: ", count($pids), "\n";
echo "distinct CLIENT IDs of the worker: ", count($ids), "\n";
echo "connects reported by the worker: ", implode(',', array_keys($connects)), "\n";
echo "connected_clients grew by: ", implode(',', array_unique(array_map(fn($c) => $c - $clientsBefore, $clients))), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
requests failed: 0 of all
worker processes: 1
distinct CLIENT IDs of the worker: 1
connects reported by the worker: 1
connected_clients grew by: 1
