--TEST--
Server URIs: password and ACL user AUTH, SELECT db, unix socket; failures are RLockConnectionException
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
$redis = TestRedis::start(__FILE__, ['requirepass' => 's3cr@t pw']);
$redis->cmd('AUTH', 's3cr@t pw');
$redis->cmd('ACL', 'SETUSER', 'shop', 'on', '>shop-pw', '~*', '+@all');
$port = $redis->port;

function held_in(TestRedis $redis, string $uri, int $db, string $name): void
{
    $lock = new RLock($name, ['servers' => $uri]);
    $lock->acquire();
    $redis->cmd('SELECT', (string) $db);
    echo "$name in db $db: ", $redis->cmd('GET', "rlock:{{$name}}") === $lock->getToken() ? 'yes' : 'no', "\n";
    $lock->release();
}

function fails(string $uri): void
{
    try {
        (new RLock('x', ['servers' => $uri]))->acquire();
        echo "no error\n";
    } catch (RLockConnectionException $e) {
        echo get_class($e), ': ', $e->getMessage(), "\n";
    }
}

held_in($redis, "redis://:s3cr%40t%20pw@127.0.0.1:$port/3", 3, 'pw-db3');
held_in($redis, "redis://shop:shop-pw@127.0.0.1:$port/2", 2, 'acl-db2');
held_in($redis, "redis://:s3cr%40t%20pw@localhost:$port", 0, 'localhost-db0');
held_in($redis, 'unix://' . $redis->socketPath() . '?db=5&password=s3cr%40t%20pw', 5, 'unix-db5');
held_in($redis, 'unix://' . $redis->socketPath() . '?user=shop&password=shop-pw', 0, 'unix-acl');

echo "-- failures\n";
fails("redis://:wrong@127.0.0.1:$port");
fails("redis://shop:wrong@127.0.0.1:$port");
fails("redis://127.0.0.1:$port");
fails("redis://:s3cr%40t%20pw@127.0.0.1:$port/99");
fails('unix://' . $redis->dir . '/missing.sock');

echo "-- one connection per server identity, however the URI is spelled\n";
$before = RLock::stats()['connects'];
foreach (["redis://:s3cr%40t%20pw@127.0.0.1:$port/3", "REDIS://:s3cr%40t%20pw@127.0.0.1:$port/3"] as $uri) {
    $l = new RLock('same', ['servers' => $uri]);
    $l->acquire();
    $l->release();
}
echo "new connections: ", RLock::stats()['connects'] - $before, "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECTF--
pw-db3 in db 3: yes
acl-db2 in db 2: yes
localhost-db0 in db 0: yes
unix-db5 in db 5: yes
unix-acl in db 0: yes
-- failures
RLockConnectionException: authentication failed at redis://:***@127.0.0.1:%d/0: WRONGPASS invalid username-password pair or user is disabled.
RLockConnectionException: authentication failed at redis://shop:***@127.0.0.1:%d/0: WRONGPASS invalid username-password pair or user is disabled.
RLockConnectionException: Redis error from redis://127.0.0.1:%d/0: NOAUTH Authentication required.
RLockConnectionException: SELECT failed at redis://:***@127.0.0.1:%d/99: ERR DB index is out of range
RLockConnectionException: cannot connect to unix://%s/missing.sock?db=0: No such file or directory
-- one connection per server identity, however the URI is spelled
new connections: 0
