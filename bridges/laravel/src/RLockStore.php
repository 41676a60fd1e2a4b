<?php

namespace RLock\Bridge\Laravel;

use Illuminate\Contracts\Cache\LockProvider;
use Illuminate\Contracts\Cache\Store;

/**
 * A cache store whose locks are rlock's: it keeps values in the store it wraps
 * (any Laravel store) and answers lock() and restoreLock() with RLockLock, so
 * Cache::lock() works unchanged. $options are RLock's (servers, prefix, fair, ttl: the
 * watchdog's lease of "until released" locks, ...); auto_release, when given, decides for
 * every lock whether the request end releases it (see RLockLock). The service provider,
 * config/cache.php entry and .env that set it up are in docs/integrations.md.
 */
class RLockStore implements Store, LockProvider
{
    public function __construct(private Store $values, private array $options = [])
    {
    }

    public function lock($name, $seconds = 0, $owner = null)
    {
        return new RLockLock($name, $seconds, $owner, $this->options);
    }

    public function restoreLock($name, $owner)
    {
        return $this->lock($name, 0, $owner);
    }

    public function get($key)
    {
        return $this->values->get($key);
    }

    public function many(array $keys)
    {
        return $this->values->many($keys);
    }

    public function put($key, $value, $seconds)
    {
        return $this->values->put($key, $value, $seconds);
    }

    public function putMany(array $values, $seconds)
    {
        return $this->values->putMany($values, $seconds);
    }

    public function increment($key, $value = 1)
    {
        return $this->values->increment($key, $value);
    }

    public function decrement($key, $value = 1)
    {
        return $this->values->decrement($key, $value);
    }

    public function forever($key, $value)
    {
        return $this->values->forever($key, $value);
    }

    /** Laravel 13's Store::touch(): the wrapped store's (older stores have none). */
    public function touch($key, $seconds)
    {
        return $this->values->touch($key, $seconds);
    }

    public function forget($key)
    {
        return $this->values->forget($key);
    }

    public function flush()
    {
        return $this->values->flush();
    }

    public function getPrefix()
    {
        return $this->values->getPrefix();
    }
}
