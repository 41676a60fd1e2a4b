--TEST--
A CLUSTER SLOTS reply with slot numbers out of range, reversed or of the wrong type is ignored, never written outside the slot map
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';

/* A fake cluster node on loopback: answers the connect handshake, then each
 * CLUSTER SLOTS with $ranges (RESP text) and anything else with an error. */
function fake_node(string $ranges): array
{
    $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
    $port = (int) substr(strrchr(stream_socket_get_name($server, false), ':'), 1);
    $pid = fork_child(function () use ($server, $ranges) {
        while ($client = @stream_socket_accept($server, 30)) {
            while (($line = fgets($client)) !== false) {
                if ($line[0] !== '*') {
                    continue;
                }
                $args = [];
                for ($i = 0, $n = (int) substr($line, 1); $i < $n; $i++) {
                    $len = (int) substr(fgets($client), 1);
                    $args[] = strtoupper(substr(fread($client, $len + 2), 0, $len));
                }
                fwrite($client, match ($args[0]) {
                    'CLIENT' => "+OK\r\n",
                    'INFO' => "\$6\r\nfake\r\n\r\n",
                    'CLUSTER' => $ranges,
                    default => "-ERR not a real node\r\n",
                });
            }
            fclose($client);
        }
    });
    fclose($server);
    return [$port, $pid];
}

foreach (['a negative start' => [-100, 5], 'a start past the last slot' => [20000, 30000],
          'an end before its start' => [9000, 10], 'a huge end' => [0, PHP_INT_MAX]] as $label => [$from, $to]) {
    [$port, $pid] = fake_node("*1\r\n*3\r\n:$from\r\n:$to\r\n" . "*2\r\n\$9\r\n127.0.0.1\r\n:1\r\n");
    try {
        (new RLock("x-$label", ['cluster' => ["redis://127.0.0.1:$port"], 'read_timeout' => 2000]))->acquire();
        echo "$label: acquired?\n";
    } catch (RLockConnectionException $e) {
        echo "$label: ", preg_replace('/\d{4,5}/', 'N', $e->getMessage()), "\n";
    }
    exec("kill -9 $pid");
    pcntl_waitpid($pid, $status);
}
[$port, $pid] = fake_node("*1\r\n*3\r\n\$1\r\n0\r\n\$5\r\n16383\r\n*2\r\n\$9\r\n127.0.0.1\r\n:1\r\n");
try {
    (new RLock('x', ['cluster' => ["redis://127.0.0.1:$port"], 'read_timeout' => 2000]))->acquire();
} catch (RLockConnectionException $e) {
    echo "slots as strings: ", preg_replace('/\d{4,5}/', 'N', $e->getMessage()), "\n";
}
exec("kill -9 $pid");
pcntl_waitpid($pid, $status);
echo "no crash\n";
?>
--EXPECT--
a negative start: no node of the cluster at redis://127.0.0.1:N/0 serves slot N
a start past the last slot: no node of the cluster at redis://127.0.0.1:N/0 serves slot N
an end before its start: no node of the cluster at redis://127.0.0.1:N/0 serves slot N
a huge end: no node of the cluster at redis://127.0.0.1:N/0 serves slot N
slots as strings: no node of the cluster at redis://127.0.0.1:N/0 serves slot N
no crash
