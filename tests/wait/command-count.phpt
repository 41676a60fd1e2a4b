--TEST--
A contended acquisition costs a fixed number of Redis commands, however long it waits (INFO commandstats)
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);

// The observer only uses commands rlock never sends, so commandstats shows rlock alone.
function rlock_commands(TestRedis $redis): array
{
    preg_match_all('/^cmdstat_([^:]+):calls=(\d+)/m', $redis->cmd('INFO', 'commandstats'), $m);
    $stats = array_combine($m[1], array_map('intval', $m[2]));
    return array_diff_key($stats, array_flip(['info', 'config|resetstat', 'hset', 'hget', 'zcard', 'client|setname']));
}

function contended_once(TestRedis $redis, string $mode, int $holdMs): array
{
    $opts = $redis->opts($mode === 'fair' ? ['fair' => true] : []);
    $redis->cmd('CONFIG', 'RESETSTAT');
    $pid = fork_child(function () use ($redis, $opts, $holdMs) {
        $lock = new RLock('sku:1', $opts);
        $lock->acquire();
        $redis->cmd('HSET', 'signal', 'holding', '1');
        // hold on $holdMs once the waiter is in line: a waiter the machine ran late must
        // still wait, or its commands would be those of an uncontended acquire
        await_waiters($redis, 'rlock:{sku:1}');
        usleep($holdMs * 1000);
        $lock->release();
    });
    await(fn() => $redis->cmd('HGET', 'signal', 'holding'));
    $waiter = new RLock('sku:1', $opts);
    $got = $waiter->acquire(20000);
    $waiter->release();
    pcntl_waitpid($pid, $status);
    $redis->cmd('HSET', 'signal', 'holding', '');
    return [$got, rlock_commands($redis)];
}

// The holder takes the lock with SET NX (default) or the acquire script (fair: it must not jump
// a queue); the waiter makes one attempt, is handed the lock by the holder's release, releases.
// Warm up: connections made and scripts loaded.
contended_once($redis, 'default', 10);
contended_once($redis, 'fair', 10);

foreach (['default', 'fair'] as $mode) {
    [$gotShort, $short] = contended_once($redis, $mode, 200);
    [$gotLong, $long] = contended_once($redis, $mode, scaled(2000, 1000));
    echo "$mode: acquired ", var_export($gotShort && $gotLong, true),
        "; same commands for a short and a long wait: ", var_export($short === $long, true),
        "; EVALSHA calls: ", $long['evalsha'] ?? 0,
        "; all commands incl. inside scripts: ", array_sum($long), "\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTF--
default: acquired true; same commands for a short and a long wait: true; EVALSHA calls: 3; all commands incl. inside scripts: %d
fair: acquired true; same commands for a short and a long wait: true; EVALSHA calls: 4; all commands incl. inside scripts: %d
