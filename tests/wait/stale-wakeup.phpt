--TEST--
A wake-up is trusted only on a waiter's first attempt: one that may be older than a later attempt (a hand-over whose lease ran out on the way) is checked, never a second holder
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);

/* Found by tools/torture: a release hands the lock to W1 and Redis stalls
 * before the wake-up goes out; W1's wait ends and it tries again, finds the
 * handed lease run out and the lock given to W2; then the old wake-up arrives
 * and W1 took it for its own. Here W1 is made to try again by dropping its
 * wake-up connection, and the late wake-up is published by hand. */
foreach (['fair' => true, 'not fair' => false] as $label => $fair) {
    $name = "order:" . ($fair ? 'f' : 'n');
    $queue = "rlock:{{$name}}:q";
    $holder = new RLock($name, $redis->opts(['ttl' => 20000]));
    $holder->acquire();
    $w1 = fork_child(function () use ($redis, $name, $fair) {
        $lock = new RLock($name, $redis->opts(['fair' => $fair]));
        $got = $lock->acquire(scaled(15000, 40000));
        $redis->cmd('SET', "got:$name", $got ? 'acquired' : 'not acquired');
        $redis->cmd('SET', "got-while-held:$name", $redis->cmd('GET', "holding:$name") ?? 'none');
        $lock->release();
    });
    $redis->cmd('SET', "holding:$name", 'the first holder');
    await(fn() => $redis->cmd('ZCARD', $queue) === 1);
    $redis->cmd('CLIENT', 'KILL', 'TYPE', 'pubsub'); // W1 listens again on a new channel and tries again
    await(fn() => $redis->cmd('ZCARD', $queue) === 2);
    foreach ($redis->cmd('ZRANGE', $queue, '1', '1') as $entry) {
        [$channel, $token] = explode('|', $entry);
        $redis->cmd('PUBLISH', $channel, "$token|0"); // a wake-up older than that attempt
    }
    usleep(300000);
    echo "$label: after the late wake-up: ", $redis->cmd('GET', "got:$name") ?? 'still waiting', "\n";
    $redis->cmd('SET', "holding:$name", 'none');
    $holder->release();
    pcntl_waitpid($w1, $status);
    echo "$label: after the release: ", $redis->cmd('GET', "got:$name"), ", holder meanwhile: ",
        $redis->cmd('GET', "got-while-held:$name"), "\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
fair: after the late wake-up: still waiting
fair: after the release: acquired, holder meanwhile: none
not fair: after the late wake-up: still waiting
not fair: after the release: acquired, holder meanwhile: none
