<?php
/*
 * Reproduces the first bug tools/torture found on main (seed 1618251521,
 * --workers 16 --seconds 90): two waiters both hold a lock and both release()
 * true. A release hands the lock to waiter W1 (SET PX ttl + PUBLISH), and
 * Redis freezes (here: SIGSTOP during the release's fsync) before the wake-up
 * is written out. W1's own wait slice ends meanwhile and it tries again: the
 * handed lease has run out, so that attempt gives the lock to W2 and queues W1
 * again (busy). W1 then reads the old wake-up for its token and returns from
 * acquire() as the holder; when W2 releases, the lock is handed to W1 for
 * real, so W1's release() says it held the lock all along.
 *
 *   php -n -d extension=modules/rlock.so -d extension=posix tools/lib/torture/repro-stale-wakeup.php [rounds] [fair 1|0]
 *
 * Prints each round where both held at once; exits 1 if both also released true.
 */
require __DIR__ . '/../../../tests/inc/server.inc';

$rounds = (int) ($argv[1] ?? 30);
$redis = TestRedis::start(__FILE__ . '.' . getmypid(), ['appendonly' => 'yes', 'appendfsync' => 'always']);
await(fn() => (int) @file_get_contents("{$redis->dir}/redis.pid") > 1); // written just after it listens
$redisPid = (int) file_get_contents("{$redis->dir}/redis.pid"); // never 0: kill(0) would hit our own group
$options = ['servers' => $redis->uri(), 'fair' => (bool) ($argv[2] ?? 1), 'ttl' => 300, 'read_timeout' => 5000];

/** A waiter: acquire (waiting), hold 50 ms, release; logs "who in|out t [released|lost]" in Redis. */
function waiter(TestRedis $redis, string $name, array $options, string $who): void
{
    $lock = new RLock($name, $options);
    if ($lock->acquire(3000)) {
        $redis->cmd('RPUSH', "log:$name", "$who in " . hrtime(true));
        usleep(50000);
        $redis->cmd('RPUSH', "log:$name", "$who out " . hrtime(true) . ' ' . ($lock->release() ? 'released' : 'lost'));
    }
}

$bad = 0;
for ($round = 0; $round < $rounds; $round++) {
    $name = "x$round";
    $holder = new RLock($name, $options);
    $holder->acquire();
    $waiters = [];
    foreach (['w1', 'w2'] as $who) {
        usleep(20000); // w1 first in line
        $waiters[] = fork_child(fn() => waiter($redis, $name, $options, $who));
    }
    usleep(200000);
    // Freezes Redis while it fsyncs the release, past the waiters' next attempt (ttl + 1 s after theirs).
    $freezer = fork_child(function () use ($redisPid) {
        usleep(mt_rand(0, 1500));
        posix_kill($redisPid, SIGSTOP);
        usleep(1300000);
        posix_kill($redisPid, SIGCONT);
    });
    $holder->release();
    foreach ([...$waiters, $freezer] as $pid) {
        pcntl_waitpid($pid, $status);
    }
    $log = array_map(fn($line) => explode(' ', $line), $redis->cmd('LRANGE', "log:$name", '0', '-1'));
    $ins = array_column(array_filter($log, fn($e) => $e[1] === 'in'), 2);
    $outs = array_filter($log, fn($e) => $e[1] === 'out');
    if (count($ins) === 2 && count($outs) === 2 && max($ins) < min(array_column($outs, 2))) {
        $bothReleased = array_column($outs, 3) === ['released', 'released'];
        $bad += $bothReleased;
        echo "round $round: both held at once, " . ($bothReleased ? 'BOTH release() true' : 'one told lost') . "\n";
    }
}
echo "$bad of $rounds rounds: two holders at once, both released true\n";
$redis->stop();
exec('rm -rf ' . escapeshellarg($redis->dir));
exit($bad ? 1 : 0);
