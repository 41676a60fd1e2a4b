<?php
/*
 * The three ways the e2e shop guards its work. once(): run $work once per key
 * and give duplicates its result; exclusive(): run $work alone for a name,
 * passing a fencing token (0 where the lock has none).
 */
final class GuardBusy extends RuntimeException
{
}

interface Guard
{
    /** $lookup answers a duplicate when the guard keeps no result of its own. */
    public function once(string $key, callable $work, callable $lookup): mixed;

    public function exclusive(string $name, callable $work): mixed;
}

/** rlock: RLockIdempotency for once(), RLock with fencing and the watchdog for exclusive(). */
final class RLockGuard implements Guard
{
    private const TIMEOUTS = ['connect_timeout' => 300, 'read_timeout' => 500];

    public function __construct(private string $uri)
    {
    }

    public function once(string $key, callable $work, callable $lookup): mixed
    {
        $idem = new RLockIdempotency('shop', ['servers' => $this->uri, 'wait' => 5000, 'lease' => 3000] + self::TIMEOUTS);
        return $idem->run($key, $work);
    }

    public function exclusive(string $name, callable $work): mixed
    {
        $lock = new RLock($name, ['servers' => $this->uri, 'ttl' => 2000, 'fencing' => true, 'watchdog' => true] + self::TIMEOUTS);
        if (!$lock->acquire(5000)) {
            throw new GuardBusy();
        }
        try {
            return $work($lock->getFencingToken());
        } finally {
            $lock->release();
        }
    }
}

/** What a shop writes by hand over phpredis (persistent connection): SET NX PX, a 1 ms poll, Lua compare-and-delete. */
final class PhpredisGuard implements Guard
{
    private const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    private Redis $redis;

    public function __construct(string $uri)
    {
        $parts = parse_url($uri);
        $this->redis = new Redis();
        $this->redis->pconnect($parts['host'], $parts['port'], 0.3);
        $this->redis->setOption(Redis::OPT_READ_TIMEOUT, 0.5);
    }

    public function once(string $key, callable $work, callable $lookup): mixed
    {
        return $this->exclusive("once:$key", fn() => $lookup() ?? $work());
    }

    public function exclusive(string $name, callable $work): mixed
    {
        $token = bin2hex(random_bytes(16));
        $deadline = microtime(true) + 5;
        while (!$this->redis->set("lock:$name", $token, ['nx', 'px' => 10000])) {
            if (microtime(true) > $deadline) {
                throw new GuardBusy();
            }
            usleep(1000);
        }
        try {
            return $work(0);
        } finally {
            $this->redis->eval(self::RELEASE, ["lock:$name", $token], 1);
        }
    }
}

/** Symfony Lock: LockFactory over a RedisStore (phpredis, persistent connection), blocking acquire. */
final class SymfonyGuard implements Guard
{
    private Symfony\Component\Lock\LockFactory $factory;

    public function __construct(string $uri)
    {
        $parts = parse_url($uri);
        $redis = new Redis();
        $redis->pconnect($parts['host'], $parts['port'], 0.3);
        $this->factory = new Symfony\Component\Lock\LockFactory(new Symfony\Component\Lock\Store\RedisStore($redis));
    }

    public function once(string $key, callable $work, callable $lookup): mixed
    {
        return $this->exclusive("once:$key", fn() => $lookup() ?? $work());
    }

    public function exclusive(string $name, callable $work): mixed
    {
        $lock = $this->factory->createLock($name, 10);
        $lock->acquire(true);
        try {
            return $work(0);
        } finally {
            $lock->release();
        }
    }
}

function guard_for(string $kind, string $uri): ?Guard
{
    switch ($kind) {
        case 'rlock':
            return new RLockGuard($uri);
        case 'phpredis':
            return new PhpredisGuard($uri);
        case 'symfony':
            require_once '/usr/share/php/Symfony/Component/Lock/autoload.php';
            return new SymfonyGuard($uri);
    }
    return null;
}
