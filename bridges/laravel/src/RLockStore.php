<?php

namespace RLock\Bridge\Laravel;

use Illuminate\Contracts\Cache\LockProvider;
use Illuminate\Contracts\Cache\Store;

/**
 * A cache store whose locks are rlock's: it keeps values in the store it wraps
 * (any Laravel store) and answers lock() and restoreLock() with RLockLock, so
 * Cache::lock() works unchanged. Register it in a service provider:
 *
 *     Cache::extend('rlock', fn ($app) => Cache::repository(
 *         new RLockStore(Cache::store('redis')->getStore(), ['servers' => 'redis://127.0.0.1:6379'])));
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
