<?php
/*
 * The locks compared by the benchmark, behind one small interface. Each counts
 * the round trips it makes to Redis, so "commands per acquisition" can be read
 * from the client side as well as from INFO stats.
 */

interface BenchLock
{
    /** Blocks until the lock is ours (or throws after 60 s). */
    public function acquire(): void;

    /** One attempt. */
    public function tryAcquire(): bool;

    public function release(): void;

    public function roundTrips(): int;
}

/** rlock's RLock with the given options. */
final class RLockBench implements BenchLock
{
    private RLock $lock;
    private int $start;

    /** $options may name other servers (Redlock) or a cluster instead of $uri. */
    public function __construct(string $uri, string $name, array $options = [])
    {
        $where = isset($options['servers']) || isset($options['cluster']) ? [] : ['servers' => $uri];
        $this->lock = new RLock($name, $options + $where + ['ttl' => 30000]);
        $this->start = RLock::stats()['commands'];
    }

    public function acquire(): void
    {
        if (!$this->lock->acquire(60000)) {
            throw new RuntimeException('rlock: no lock in 60 s');
        }
    }

    public function tryAcquire(): bool
    {
        return $this->lock->acquire();
    }

    public function release(): void
    {
        $this->lock->release();
    }

    public function roundTrips(): int
    {
        return RLock::stats()['commands'] - $this->start;
    }
}

/** What careful PHP code writes by hand: SET NX PX, a sleep between tries, Lua compare-and-delete. */
final class PhpredisPollBench implements BenchLock
{
    private const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    private string $sha;
    private string $token = '';
    private int $trips = 0;

    /** $redis: a Redis, or a RedisCluster (which routes each command by its key's slot). */
    public function __construct(private Redis|RedisCluster $redis, private string $name, private int $sleepUs)
    {
        $this->sha = $redis instanceof RedisCluster
            ? $redis->script($name, 'load', self::RELEASE) : $redis->script('load', self::RELEASE);
    }

    public function tryAcquire(): bool
    {
        $this->token = bin2hex(random_bytes(16));
        $this->trips++;
        return (bool) $this->redis->set($this->name, $this->token, ['nx', 'px' => 30000]);
    }

    public function acquire(): void
    {
        $deadline = microtime(true) + 60;
        while (!$this->tryAcquire()) {
            if (microtime(true) > $deadline) {
                throw new RuntimeException('poll: no lock in 60 s');
            }
            usleep($this->sleepUs);
        }
    }

    public function release(): void
    {
        $this->trips++;
        $this->redis->evalSha($this->sha, [$this->name, $this->token], 1);
    }

    public function roundTrips(): int
    {
        return $this->trips;
    }
}

/** phpredis that counts what Symfony's RedisStore sends (EVAL each time). */
final class CountingRedis extends Redis
{
    public int $trips = 0;

    public function eval($script, $args = [], $numKeys = 0): mixed
    {
        $this->trips++;
        return parent::eval($script, $args, $numKeys);
    }
}

/** Symfony Lock (Debian's php-symfony-lock) with its RedisStore over phpredis. */
final class SymfonyBench implements BenchLock
{
    private CountingRedis $redis;
    private Symfony\Component\Lock\LockFactory $factory;
    private ?Symfony\Component\Lock\LockInterface $lock = null;

    /** Several URIs: Symfony's CombinedStore with its ConsensusStrategy over one RedisStore each. */
    public function __construct(string|array $uris, private string $name)
    {
        $stores = [];
        foreach ((array) $uris as $uri) {
            $parts = parse_url($uri);
            $this->redis = new CountingRedis();
            $this->redis->connect($parts['host'], $parts['port']);
            $stores[] = new Symfony\Component\Lock\Store\RedisStore($this->redis);
        }
        $store = count($stores) === 1 ? $stores[0]
            : new Symfony\Component\Lock\Store\CombinedStore($stores, new Symfony\Component\Lock\Strategy\ConsensusStrategy());
        $this->factory = new Symfony\Component\Lock\LockFactory($store);
    }

    public function acquire(): void
    {
        $this->lock = $this->factory->createLock($this->name, 30);
        $this->lock->acquire(true);
    }

    public function tryAcquire(): bool
    {
        $this->lock = $this->factory->createLock($this->name, 30);
        return $this->lock->acquire(false);
    }

    public function release(): void
    {
        $this->lock->release();
    }

    public function roundTrips(): int
    {
        return $this->redis->trips;
    }
}

function phpredis_connect(string $uri): Redis
{
    $parts = parse_url($uri);
    $redis = new Redis();
    $redis->connect($parts['host'], $parts['port']);
    return $redis;
}

/** Variants measured only uncontended: what an option costs. */
function bench_variants(): array
{
    return [
        'rlock + watchdog' => fn($uri, $name) => new RLockBench($uri, $name, ['watchdog' => true]),
        'rlock + fencing' => fn($uri, $name) => new RLockBench($uri, $name, ['fencing' => true]),
    ];
}

/** The contenders by name: name => fn(uri, lock name) => BenchLock. */
function bench_contenders(): array
{
    return [
        'rlock' => fn($uri, $name) => new RLockBench($uri, $name),
        'rlock fair' => fn($uri, $name) => new RLockBench($uri, $name, ['fair' => true]),
        'phpredis poll 1ms' => fn($uri, $name) => new PhpredisPollBench(phpredis_connect($uri), $name, 1000),
        'phpredis poll 5ms' => fn($uri, $name) => new PhpredisPollBench(phpredis_connect($uri), $name, 5000),
        'Symfony Lock' => fn($uri, $name) => new SymfonyBench($uri, $name),
    ];
}
