--TEST--
Sentinel and replica acknowledgement options: bad input names the argument; no sentinel, or one that knows no such master, is RLockConnectionException; a master password never shows; INI rlock.sentinels and rlock.service
--EXTENSIONS--
rlock
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; ?>
--INI--
rlock.sync_timeout=250
--FILE--
<?php
require __DIR__ . '/../inc/sentinel.inc';

function attempt(callable $fn): void
{
    try {
        $fn();
        echo "no error\n";
    } catch (Throwable $e) {
        // how many replicas had it by then varies (Valkey 8.1's one replica may not have acknowledged yet)
        echo get_class($e), ": ", preg_replace(['/:\d{4,5}\b/', '/only \d of the/'], [':PORT', 'only N of the'], $e->getMessage()), "\n";
    }
}

echo "-- bad input\n";
attempt(fn() => new RLock('a', ['sentinels' => ['redis://127.0.0.1:1'], 'servers' => 'redis://127.0.0.1:2']));
attempt(fn() => new RLock('a', ['service' => 'shop']));
attempt(fn() => new RLock('a', ['sentinels' => 'redis://127.0.0.1:1']));
attempt(fn() => new RLock('a', ['sentinels' => [42], 'service' => 'shop']));
attempt(fn() => new RLock('a', ['sentinels' => 'http://x', 'service' => 'shop']));
attempt(fn() => new RLock('a', ['sentinels' => [], 'service' => 'shop']));
attempt(fn() => new RLock('a', ['sentinels' => 'redis://127.0.0.1:1', 'service' => 'my master/0']));
attempt(fn() => new RLock('a', ['sentinels' => 'redis://127.0.0.1:1', 'service' => 'unix:///tmp/x']));
attempt(fn() => new RLock('a', ['sentinels' => array_fill(0, 17, 'redis://127.0.0.1:1'), 'service' => 'shop']));
attempt(fn() => new RLock('a', ['sync_replicas' => -1]));
attempt(fn() => new RLock('a', ['sync_replicas' => 65]));
attempt(fn() => new RLock('a', ['sync_replicas' => '1']));
attempt(fn() => new RLock('a', ['sync_timeout' => 0]));
attempt(fn() => new RLock('a', ['sync_replicas' => 1, 'servers' => ['redis://127.0.0.1:1', 'redis://127.0.0.1:2', 'redis://127.0.0.1:3']]));
attempt(fn() => new RLockSemaphore('a', ['sync_replicas' => 1]));

echo "-- unreachable or unknowing sentinels\n";
$port = free_loopback_port();
attempt(fn() => (new RLock('a', ['sentinels' => ["redis://127.0.0.1:$port"], 'service' => 'redis://:s3cret-pw@shop',
    'connect_timeout' => 200]))->acquire());
$set = TestSentinelSet::start(__FILE__, 1, 1);
attempt(fn() => (new RLock('a', ['service' => 'nosuch'] + $set->opts()))->acquire());
$withPassword = ['sentinels' => ['redis://:wrong-pw@127.0.0.1:' . $set->sentinels[0]->port]] + $set->opts();
attempt(fn() => (new RLock('a', $withPassword))->acquire());
attempt(fn() => (new RLock('a', $set->opts(['sync_replicas' => 2])))->acquire());

echo "-- INI defaults\n";
$sentinel = $set->sentinels[0]->uri();
[$code, $out] = run_php('<?php $l = new RLock("a"); var_dump($l->acquire(), $l->release());
    echo ini_get("rlock.service"), "\n";', ['rlock.sentinels' => " $sentinel", 'rlock.service' => 'shop', 'rlock.servers' => 'redis://127.0.0.1:1']);
echo $out;
[$code, $out] = run_php('<?php echo "started\n";', ['rlock.sentinels' => 'nope://x']);
echo preg_replace('/:\d{4,5}\b/', ':PORT', $out);
[$code, $out] = run_php('<?php $l = new RLock("a");
    try { $l->acquire(); } catch (RLockConnectionException $e) { echo preg_replace("/:\\d{4,5}\\b/", ":PORT", $e->getMessage()), "\n"; }',
    ['rlock.servers' => $set->nodes[0]->uri(), 'rlock.sync_replicas' => '2', 'rlock.sync_timeout' => '100']);
echo preg_replace('/only \d of the/', 'only N of the', $out);
echo "held on the master: ", $set->nodes[0]->cmd('EXISTS', 'rlock:{a}'), "\n";
[$code, $out] = run_php('<?php new RLock("a", ["servers" => ["redis://h:1", "redis://h:2", "redis://h:3"]]); echo "Redlock takes no INI sync_replicas\n";
    try { new RLock("a"); } catch (ValueError $e) { echo $e->getMessage(), "\n"; }', ['rlock.sync_replicas' => '1', 'rlock.service' => 'shop']);
echo $out;
[$code, $out] = run_php('<?php try { new RLock("a"); } catch (ValueError $e) { echo $e->getMessage(), "\n"; }
    ob_start(); phpinfo(INFO_MODULES); preg_match("/^rlock.sentinels => (.*) => /m", ob_get_clean(), $m); echo $m[1], "\n";',
    ['rlock.sentinels' => 'redis://:pw1@127.0.0.1:1, redis://user:pw2@127.0.0.1:2']);
echo preg_replace('/pw\d/', 'LEAKED', $out);

echo "-- a master user that may not ask ROLE\n";
foreach ($set->nodes as $node) {
    $node->cmd('ACL', 'SETUSER', 'app', 'on', '>app-pw', '~*', '&*', '+@all', '-@dangerous');
}
try {
    (new RLock('a', ['service' => 'redis://app:app-pw@shop'] + $set->opts()))->acquire();
} catch (RLockConnectionException $e) {
    // Redis 7 and 8 word NOPERM differently ("this user has", "User app has")
    echo preg_replace(['/:\d{4,5}\b/', '/NOPERM .*? has no permissions/'], [':PORT', 'NOPERM ... has no permissions'],
        $e->getMessage()), "\n";
}
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- bad input
ValueError: RLock::__construct(): Argument #2 ($options) option "sentinels" excludes "servers"
ValueError: RLock::__construct(): Argument #2 ($options) option "service" needs "sentinels" (or rlock.sentinels): the sentinels that know the service's master
ValueError: RLock::__construct(): Argument #2 ($options) option "sentinels" needs "service" (or rlock.service): the name of the master the sentinels watch
TypeError: RLock::__construct(): Argument #2 ($options) option "sentinels" must list URIs as strings, int given
ValueError: RLock::__construct(): Argument #2 ($options) options "sentinels" and "service" ("shop") are malformed: it must start with redis://, rediss:// or unix://
ValueError: RLock::__construct(): Argument #2 ($options) options "sentinels" and "service" ("shop") are malformed: no sentinel is listed
ValueError: RLock::__construct(): Argument #2 ($options) options "sentinels" and "service" ("my master/0") are malformed: the service must be the master's name (letters, digits, '.', '-', '_'), or redis://[user:password@]name[/db]
ValueError: RLock::__construct(): Argument #2 ($options) options "sentinels" and "service" ("unix:///tmp/x") are malformed: the service must be the master's name (letters, digits, '.', '-', '_'), or redis://[user:password@]name[/db]
ValueError: RLock::__construct(): Argument #2 ($options) options "sentinels" and "service" ("shop") are malformed: at most 16 sentinels may be listed
ValueError: RLock::__construct(): Argument #2 ($options) option "sync_replicas" must be between 0 and 64 (replicas), -1 given
ValueError: RLock::__construct(): Argument #2 ($options) option "sync_replicas" must be between 0 and 64 (replicas), 65 given
TypeError: RLock::__construct(): Argument #2 ($options) option "sync_replicas" must be of type int, string given
ValueError: RLock::__construct(): Argument #2 ($options) option "sync_timeout" must be between 1 and 60000 (milliseconds), 0 given
ValueError: RLock::__construct(): Argument #2 ($options) option "sync_replicas" cannot be used with Redlock (several "servers"): Redlock's masters are independent, not replicated
ValueError: RLockSemaphore::__construct(): Argument #2 ($options) has an unknown option "sync_replicas"; known options are servers, prefix, connect_timeout, read_timeout, ttl, auto_release, watchdog, retention, cluster, sentinels, service, tls
-- unreachable or unknowing sentinels
RLockConnectionException: no sentinel named a master of "shop": redis://127.0.0.1:PORT/0: Connection refused
RLockConnectionException: no sentinel named a master of "nosuch": redis://127.0.0.1:PORT/0: it knows no master of that name
RLockConnectionException: no sentinel named a master of "shop": redis://:***@127.0.0.1:PORT/0: authentication failed: ERR AUTH <password> called without any password configured for the default user. Are you sure your confi
RLockConnectionException: lock "a" was taken (and now given back), but only N of the 2 replicas (sync_replicas) of the master of "shop" (db 0, through Sentinel at redis://127.0.0.1:PORT/0) had it within sync_timeout (250 ms)
-- INI defaults
bool(true)
bool(true)
shop

Warning: PHP Startup: rlock.sentinels "nope://x" is malformed: it must start with redis://, rediss:// or unix:// in Unknown on line 0
started
lock "a" was taken (and now given back), but only N of the 2 replicas (sync_replicas) of redis://127.0.0.1:PORT/0 had it within sync_timeout (100 ms)
held on the master: 0
Redlock takes no INI sync_replicas
rlock.service is set but rlock.sentinels is not: set both, or neither
rlock.sentinels is set but rlock.service is not: set both, or neither
redis://:***@127.0.0.1:1/0, redis://user:***@127.0.0.1:2/0
-- a master user that may not ask ROLE
the master of "shop" (db 0, through Sentinel at redis://127.0.0.1:PORT/0) refused ROLE, which rlock asks a master found through Sentinel: NOPERM ... has no permissions to run the 'role' command (allow +role for its user)