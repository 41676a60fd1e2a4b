--TEST--
Bounds: a silent Redis costs one read_timeout (the clean-up waits for the next command), signals neither stretch a read nor go unheard in a wait, strict INI booleans, one server twice is no quorum
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);
$timeout = 400;
$o = $redis->opts(['read_timeout' => $timeout, 'connect_timeout' => $timeout]);
$ms = fn(int $since) => (hrtime(true) - $since) / 1e6;

/* Counts what one failing call cost: commands sent, connections made, and its time. */
function one_call(callable $fn): array
{
    $before = RLock::stats();
    $t = hrtime(true);
    try {
        $fn();
        $what = 'no error';
    } catch (RLockConnectionException $e) {
        $what = 'RLockConnectionException';
    }
    $after = RLock::stats();
    return [$what, $after['commands'] - $before['commands'], $after['connects'] - $before['connects'], (hrtime(true) - $t) / 1e6,
        $after['connection_errors'] - $before['connection_errors']];
}

echo "-- Redis frozen: each call is one command and one read_timeout; its clean-up goes out with the next command\n";
/* One connection (one db) per call, each warmed up first, so that each call finds a live connection. */
$in = fn(int $db) => ['servers' => $redis->uri("/$db"), 'read_timeout' => $timeout, 'connect_timeout' => $timeout];
$calls = [
    0 => ['acquire()', fn() => (new RLock('order:1', $in(0)))->acquire(), 'rlock:{order:1}'],
    1 => ['acquire(fair)', fn() => (new RLock('order:2', $in(1) + ['fair' => true]))->acquire(), 'rlock:{order:2}'],
    2 => ['run()', fn() => (new RLockIdempotency('pay', $in(2)))->run('order:3', fn() => 'paid'), 'rlock:{pay:order:3}:idem'],
];
$exists = function (int $db, string $key) use ($redis) {
    $redis->cmd('SELECT', (string) $db);
    $n = $redis->cmd('EXISTS', $key);
    $redis->cmd('SELECT', '0');
    return $n;
};
foreach ($calls as $db => $call) { // each connection open, and the scripts cached
    (new RLock('warm', $in($db) + ['fair' => true]))->acquire();
    (new RLockIdempotency('warm', $in($db)))->run('warm', fn() => 1);
}
$redis->signal('STOP');
foreach ($calls as [$label, $call]) {
    [$what, $commands, $connects, $took, $errors] = one_call($call);
    echo "$label: $what, commands $commands, connection attempts ", $connects + $errors, ", within 3 x read_timeout: ",
        var_export($took < 3 * $timeout, true), "\n";
}
$redis->signal('CONT');
// The frozen server now runs what it had read: the three attempts landed.
await(fn() => $exists(0, 'rlock:{order:1}') + $exists(1, 'rlock:{order:2}') + $exists(2, 'rlock:{pay:order:3}:idem') === 3);
echo "landed after the freeze: 3\n";
foreach ($calls as $db => $call) {
    (new RLockIdempotency('any', $in($db)))->state('x'); // the next command on each connection
}
echo "after the next command: left ", $exists(0, 'rlock:{order:1}') + $exists(1, 'rlock:{order:2}') + $exists(2, 'rlock:{pay:order:3}:idem'), "\n";

echo "-- signals every 20 ms while Redis is frozen: the read still ends at read_timeout\n";
pcntl_async_signals(true);
$handled = [];
pcntl_signal(SIGUSR1, function () use (&$handled) { $handled[] = hrtime(true); });
$me = getmypid();
$stop = TestRedis::dirFor(__FILE__) . '/stop-signals'; // not a Redis key: Redis is frozen meanwhile
@unlink($stop);
@unlink("$stop.sent");
$sender = fork_child(function () use ($me, $stop) {
    $until = microtime(true) + 6; // 6 s of signals, or until told to stop
    while (microtime(true) < $until && !file_exists($stop)) {
        exec("kill -USR1 $me");
        file_put_contents("$stop.sent", hrtime(true) . "\n", FILE_APPEND);
        usleep(20000);
    }
});
await(function () use (&$handled) { return count($handled) > 0; }); // signals are coming
$redis->signal('STOP');
$started = hrtime(true);
[$what, $commands, $connects, $took] = one_call(fn() => (new RLock('order:4', $o))->acquire());
$returned = hrtime(true);
$redis->signal('CONT');
touch($stop);
pcntl_waitpid($sender, $status);
$during = count(array_filter(file("$stop.sent"), fn($t) => $t > $started && $t < $returned)); // sent meanwhile
echo "acquire(): $what; ended before the signals stopped: ", var_export($took < 5000, true),
    "; signals kept coming: ", var_export($during > 0, true), "\n";

echo "-- a signal handler that throws ends a wait for a lock at once; the waiter leaves the queue\n";
$holder = fork_child(function () use ($redis) {
    $lock = new RLock('order:5', $redis->opts(['ttl' => 20000]));
    $lock->acquire();
    $redis->cmd('SET', 'holding', '1');
    sleep(30);
});
await(fn() => $redis->cmd('GET', 'holding') === '1');
pcntl_signal(SIGUSR1, function () { throw new RuntimeException('shutting down'); });
$sender = fork_child(function () use ($me, $redis) {
    await(fn() => $redis->cmd('ZCARD', 'rlock:{order:5}:q') === 1);
    exec("kill -USR1 $me");
});
$t = hrtime(true);
try {
    (new RLock('order:5', $redis->opts()))->acquire(20000);
    echo "acquired?\n";
} catch (RuntimeException $e) {
    echo "acquire(20000): ", $e->getMessage(), ", well before its wait: ", var_export($ms($t) < 10000, true),
        "; queue: ", $redis->cmd('ZCARD', 'rlock:{order:5}:q'), "\n";
}
pcntl_waitpid($sender, $status);

echo "-- inside a wait, the handler runs at once; it cannot use rlock; a fork it makes does not go on waiting\n";
$calls = [];
pcntl_signal(SIGUSR1, function () use ($redis, &$calls) {
    $calls[] = 'handler ran';
    try {
        (new RLock('order:6', $redis->opts()))->acquire();
    } catch (Error $e) {
        $calls[] = $e->getMessage();
    }
    $calls[] = 'a getter works: ' . (new RLock('order:6', $redis->opts()))->getName();
    $pid = pcntl_fork();
    if ($pid === 0) {
        return; // the child returns into rlock's wait...
    }
    $calls[] = 'forked';
});
$sender = fork_child(function () use ($me, $redis) {
    await(fn() => $redis->cmd('ZCARD', 'rlock:{order:5}:q') === 1);
    exec("kill -USR1 $me");
});
$waiter = new RLock('order:5', $redis->opts());
$got = $waiter->acquire(scaled(3000, 6000));
if (getmypid() !== $me) {
    // ...and its acquire() ends at once, without taking the lock or the parent's place in line
    $redis->cmd('SET', 'child-got', var_export($got, true) . ' ' . $redis->cmd('ZCARD', 'rlock:{order:5}:q'));
    exit(0);
}
pcntl_waitpid($sender, $status);
while (pcntl_wait($status, WNOHANG) > 0) {
}
await(fn() => $redis->cmd('GET', 'child-got') !== null);
echo implode("; ", $calls), "\nthe fork child's acquire(): ", $redis->cmd('GET', 'child-got'),
    "; the parent went on waiting and timed out: ", var_export($got, true), "\n";
exec("kill -9 $holder");
pcntl_waitpid($holder, $status);
pcntl_signal(SIGUSR1, SIG_DFL);

echo "-- a waiter's handler that leaves errno set does not cost it its subscription or its place\n";
pcntl_signal(SIGUSR1, function () { @stat('/no/such/file'); });
$sender = fork_child(function () use ($me, $redis) {
    await(fn() => $redis->cmd('ZCARD', 'rlock:{order:7}:q') === 1);
    for ($i = 0; $i < 10; $i++) {
        exec("kill -USR1 $me");
        usleep(20000);
    }
    $redis->cmd('SET', 'signals-sent', '1');
});
$holder2 = fork_child(function () use ($redis) {
    $lock = new RLock('order:7', $redis->opts());
    $lock->acquire();
    $redis->cmd('SET', 'holding-7', '1');
    await(fn() => $redis->cmd('GET', 'signals-sent') === '1', 60);
});
await(fn() => $redis->cmd('GET', 'holding-7') === '1');
$before = RLock::stats();
$got = (new RLock('order:7', $redis->opts()))->acquire(scaled(20000, 60000));
$after = RLock::stats();
echo "acquired: ", var_export($got, true), "; new connections while waiting: ", $after['connects'] - $before['connects'],
    "; attempts: ", $after['commands'] - $before['commands'] <= 3 ? 'at most 3' : 'more', "\n";
pcntl_waitpid($sender, $status);
pcntl_waitpid($holder2, $status);
pcntl_signal(SIGUSR1, SIG_DFL);

echo "-- a duplicate facing a running claim that has no TTL (made persistent by hand) waits, it does not spin\n";
$redis->cmd('HSET', 'rlock:{pay:stuck}:idem', 'state', 'running', 'owner', 'someone', 'fp', '');
$before = RLock::stats();
try {
    (new RLockIdempotency('pay', $redis->opts(['wait' => 1000])))->run('stuck', fn() => 'ran');
} catch (RLockInProgressException $e) {
    echo get_class($e), ", retry after > 1 ms: ", var_export($e->getRetryAfter() > 1, true);
}
echo "; round trips: ", RLock::stats()['commands'] - $before['commands'] <= 5 ? 'a few' : 'many', "\n";

echo "-- INI booleans\n";
foreach (['rlock.watchdog' => 'maybe', 'rlock.auto_release' => 'yesplease', 'rlock.watchdog ' => 'TRUE'] as $name => $value) {
    [$code, $out] = run_php('<?php echo ini_get("' . trim($name) . '"), "\n";', [trim($name) => $value]);
    echo trim($name), "=$value: ", trim(str_replace("\n", ' ', $out)), "\n";
}

echo "-- the same server under two spellings is not two Redlock masters\n";
$other = TestRedlock::start(__FILE__, 2);
[$p, $q] = [$other->nodes[0]->port, $other->nodes[1]->port];
foreach ([["redis://127.0.0.1:$p", "redis://LOCALHOST:$q", "redis://localhost:$p"],
          ["redis://127.0.0.1:$p/1", "redis://127.0.0.1:$q", "redis://localhost:$p/2"],
          ["redis://127.0.0.1:$p", "redis://127.0.0.1:$p/3", "redis://127.0.0.1:$q"]] as $servers) {
    try {
        $acquired = (new RLock('x', ['servers' => $servers]))->acquire();
        echo "acquired: ", var_export($acquired, true), "\n";
    } catch (RLockException | ValueError $e) {
        echo get_class($e), ': ', preg_replace('/:\d+\//', ':PORT/', $e->getMessage()), "\n";
    }
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- Redis frozen: each call is one command and one read_timeout; its clean-up goes out with the next command
acquire(): RLockConnectionException, commands 1, connection attempts 1, within 3 x read_timeout: true
acquire(fair): RLockConnectionException, commands 1, connection attempts 1, within 3 x read_timeout: true
run(): RLockConnectionException, commands 1, connection attempts 1, within 3 x read_timeout: true
landed after the freeze: 3
after the next command: left 0
-- signals every 20 ms while Redis is frozen: the read still ends at read_timeout
acquire(): RLockConnectionException; ended before the signals stopped: true; signals kept coming: true
-- a signal handler that throws ends a wait for a lock at once; the waiter leaves the queue
acquire(20000): shutting down, well before its wait: true; queue: 0
-- inside a wait, the handler runs at once; it cannot use rlock; a fork it makes does not go on waiting
handler ran; RLock cannot be used in a signal handler that runs while rlock waits; throw from the handler to end the wait; a getter works: order:6; forked
the fork child's acquire(): false 1; the parent went on waiting and timed out: false
-- a waiter's handler that leaves errno set does not cost it its subscription or its place
acquired: true; new connections while waiting: 0; attempts: at most 3
-- a duplicate facing a running claim that has no TTL (made persistent by hand) waits, it does not spin
RLockInProgressException, retry after > 1 ms: true; round trips: a few
-- INI booleans
rlock.watchdog=maybe: Warning: PHP Startup: rlock.watchdog must be a boolean (1/0, on/off, yes/no, true/false), "maybe" given in Unknown on line 0 0
rlock.auto_release=yesplease: Warning: PHP Startup: rlock.auto_release must be a boolean (1/0, on/off, yes/no, true/false), "yesplease" given in Unknown on line 0 1
rlock.watchdog=TRUE: 1
-- the same server under two spellings is not two Redlock masters
RLockConnectionException: option "servers" must list independent masters for Redlock, but redis://127.0.0.1:PORT/0 and redis://localhost:PORT/0 are one Redis server
RLockConnectionException: option "servers" must list independent masters for Redlock, but redis://127.0.0.1:PORT/1 and redis://localhost:PORT/2 are one Redis server
ValueError: RLock::__construct(): Argument #2 ($options) option "servers" lists the server redis://127.0.0.1:PORT/3 twice
