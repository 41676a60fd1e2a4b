<?php
/* What the checker asks Redis at the end of a torture run, each in one small
 * function so that a change of rlock's key layout touches nothing else. */

/** Every key with its PTTL (-1: no TTL), listed with redis-cli --scan, PTTL on an observer connection. */
function redis_ttls(TestRedis $redis): array
{
    exec('redis-cli -p ' . (int) $redis->port . ' --scan', $keys, $status);
    if ($status !== 0) {
        throw new RuntimeException('redis-cli --scan failed');
    }
    $ttls = [];
    foreach ($keys as $key) {
        $ttls[$key] = $redis->cmd('PTTL', $key);
    }
    return $ttls;
}

/** An idempotency key's state, read through rlock itself: the record's layout is rlock's business. */
function idempotency_state(TestRedis $redis, string $scope, string $key): ?string
{
    static $helpers = [];
    $helpers[$scope] ??= new RLockIdempotency($scope, ['servers' => $redis->uri()]);
    return $helpers[$scope]->state($key);
}
