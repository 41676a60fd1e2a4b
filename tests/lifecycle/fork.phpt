--TEST--
Fork: a pcntl_fork child gets its own connection and never frees its parent's locks
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__);

function client_id(TestRedis $redis, int $pid): ?string
{
    preg_match('/^id=(\d+) .* name=rlock-' . $pid . ' /m', $redis->cmd('CLIENT', 'LIST'), $m);
    return $m[1] ?? null;
}

$parentLock = new RLock('order:500', $redis->opts(['ttl' => 60000]));
var_dump($parentLock->acquire());
$token = $parentLock->getToken();
$parentId = client_id($redis, getmypid());

$pid = pcntl_fork();
if ($pid === 0) {
    $report = [];
    $report[] = 'child sees the parent lock as its own: ' . var_export($parentLock->getToken() !== null, true);
    $report[] = 'child release() of the parent lock: ' . var_export($parentLock->release(), true);
    $report[] = 'child extend()/isAcquired(): ' . var_export($parentLock->extend(), true) . '/' . var_export($parentLock->isAcquired(), true);
    $mine = new RLock('order:501', $redis->opts());
    $report[] = 'child acquires its own lock: ' . var_export($mine->acquire(), true);
    $childId = client_id($redis, getmypid());
    $report[] = 'child has its own connection: ' . var_export($childId !== null && $childId !== $parentId, true);
    $redis->cmd('SET', 'report', implode("\n", $report));
    exit(0); // request end in the child: frees order:501, must not free order:500
}
pcntl_waitpid($pid, $status);
echo $redis->cmd('GET', 'report'), "\n";
echo "child's own lock freed at its exit: ", $redis->cmd('EXISTS', 'rlock:{order:501}') ? 'no' : 'yes', "\n";
echo "parent lock still held with its token: ", var_export($redis->cmd('GET', 'rlock:{order:500}') === $token, true), "\n";
echo "parent still owns it: ", var_export($parentLock->isAcquired(), true), "\n";
echo "parent connection unchanged: ", var_export(client_id($redis, getmypid()) === $parentId, true), "\n";
var_dump($parentLock->release());

echo "-- a child may take, through the object it inherited, a lock whose parent lease ran out\n";
$short = new RLock('order:510', $redis->opts(['ttl' => 200]));
$short->acquire();
$pid = pcntl_fork();
if ($pid === 0) {
    usleep(300000);
    $redis->cmd('SET', 'report2', json_encode([$short->acquire(), $short->isAcquired(), $short->release()]));
    exit(0);
}
pcntl_waitpid($pid, $status);
echo "child acquire, isAcquired, release: ", $redis->cmd('GET', 'report2'), "\n";
echo "left behind: ", $redis->cmd('EXISTS', 'rlock:{order:510}'), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
bool(true)
child sees the parent lock as its own: false
child release() of the parent lock: false
child extend()/isAcquired(): false/false
child acquires its own lock: true
child has its own connection: true
child's own lock freed at its exit: yes
parent lock still held with its token: true
parent still owns it: true
parent connection unchanged: true
bool(true)
-- a child may take, through the object it inherited, a lock whose parent lease ran out
child acquire, isAcquired, release: [true,true,true]
left behind: 0
