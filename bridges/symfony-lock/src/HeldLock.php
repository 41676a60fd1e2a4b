<?php

namespace RLock\Bridge\Symfony\Lock;

/**
 * What a Key keeps of the lock RLockStore took for it: rlock's token and the mode, which travel
 * with a serialized Key (into a Messenger message, to another process), and this process's RLock,
 * which does not: another process gets its own with RLock::restore().
 *
 * @internal
 */
final class HeldLock
{
    public function __construct(public string $token, public bool $reading, public ?\RLock $lock = null)
    {
    }

    public function __serialize(): array
    {
        return ['token' => $this->token, 'reading' => $this->reading];
    }

    public function __unserialize(array $data): void
    {
        $this->token = (string) ($data['token'] ?? '');
        $this->reading = (bool) ($data['reading'] ?? false);
        $this->lock = null;
    }
}
