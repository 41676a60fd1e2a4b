<?php

namespace RLock\Bridge\Symfony\Messenger;

use Symfony\Component\Messenger\Envelope;
use Symfony\Component\Messenger\Middleware\MiddlewareInterface;
use Symfony\Component\Messenger\Middleware\StackInterface;
use Symfony\Component\Messenger\Stamp\ReceivedStamp;
use Symfony\Component\Messenger\Stamp\TransportMessageIdStamp;

/**
 * Handles each received message once, however often it is delivered: the rest
 * of the stack runs inside RLockIdempotency::run(), keyed by the message's
 * MessageIdStamp or else the transport's message id. A duplicate is
 * acknowledged without running the handlers and carries a HandledOnceStamp.
 * A duplicate that arrives while the first delivery is being handled waits
 * (the idempotency's wait option) or gets RLockInProgressException, which
 * Messenger retries. If a handler throws, the claim is dropped (on_error
 * "release") and the retry handles the message again.
 *
 * Put it before the handlers: ['middleware' => [IdempotentMiddleware::class]].
 * Messages being dispatched (not received) pass through untouched.
 */
final class IdempotentMiddleware implements MiddlewareInterface
{
    public function __construct(private \RLockIdempotency $idempotency)
    {
    }

    public function handle(Envelope $envelope, StackInterface $stack): Envelope
    {
        $id = $envelope->last(MessageIdStamp::class)?->getId() ?? $envelope->last(TransportMessageIdStamp::class)?->getId();
        if ($envelope->last(ReceivedStamp::class) === null || $id === null) {
            return $stack->next()->handle($envelope, $stack);
        }
        $handled = null;
        $this->idempotency->run((string) $id, function () use ($envelope, $stack, &$handled) {
            $handled = $stack->next()->handle($envelope, $stack);
            return true; // what duplicates learn: it was handled
        });
        return $handled ?? $envelope->with(new HandledOnceStamp((string) $id));
    }
}
