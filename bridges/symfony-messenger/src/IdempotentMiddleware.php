<?php

namespace RLock\Bridge\Symfony\Messenger;

use Symfony\Component\Messenger\Envelope;
use Symfony\Component\Messenger\Middleware\MiddlewareInterface;
use Symfony\Component\Messenger\Middleware\StackInterface;
use Symfony\Component\Messenger\Stamp\ReceivedStamp;
use Symfony\Component\Messenger\Stamp\TransportMessageIdStamp;

/**
 * Handles each received message once per transport, however often it is
 * delivered: the rest of the stack runs inside RLockIdempotency::run(), keyed by
 * the transport and the message's MessageIdStamp, or else the transport and the
 * transport's message id. A duplicate is acknowledged without running the
 * handlers and carries a HandledOnceStamp. A duplicate that arrives while the
 * first delivery is being handled waits (the idempotency's wait option) or gets
 * RLockInProgressException, which Messenger retries. If a handler throws, the
 * claim is dropped (on_error "release") and the retry handles the message again.
 *
 * Put it before the handlers: ['middleware' => [IdempotentMiddleware::class]].
 * Messages being dispatched (not received) pass through untouched. Messages a
 * handler dispatches with DispatchAfterCurrentBusStamp leave after the claim is
 * stored, so at most once (docs/integrations.md).
 */
final class IdempotentMiddleware implements MiddlewareInterface
{
    /** RLockIdempotency's longest key; longer ones are hashed. */
    private const KEY_MAX = 1024;

    public function __construct(private \RLockIdempotency $idempotency)
    {
    }

    public function handle(Envelope $envelope, StackInterface $stack): Envelope
    {
        $identity = self::identify($envelope);
        if ($identity === null) {
            return $stack->next()->handle($envelope, $stack);
        }
        [$key, $transport, $id] = $identity;
        $handled = null;
        $this->idempotency->run($key, function () use ($envelope, $stack, &$handled) {
            $handled = $stack->next()->handle($envelope, $stack);
            return true; // what duplicates learn: it was handled
        });
        return $handled ?? $envelope->with(new HandledOnceStamp($id, $transport));
    }

    /**
     * [key, transport, id] of a received message, null for one being dispatched or without an id.
     *
     * A business id counts per transport as the handlers see it (the last ReceivedStamp, which
     * `from_transport` matches): one message routed to two transports on purpose is two jobs.
     * A transport's id is unique only in the transport that delivered it (the first
     * ReceivedStamp, the worker's): a message retried from the failure transport carries that
     * transport's id under a second ReceivedStamp naming the original transport.
     */
    private static function identify(Envelope $envelope): ?array
    {
        $received = $envelope->all(ReceivedStamp::class);
        if (!$received) {
            return null;
        }
        $business = $envelope->last(MessageIdStamp::class);
        if ($business !== null) {
            $transport = end($received)->getTransportName();
            return [self::key('m', $transport, $business->getId()), $transport, $business->getId()];
        }
        $id = $envelope->last(TransportMessageIdStamp::class)?->getId();
        if (!is_string($id) && !is_int($id) && !$id instanceof \Stringable) {
            return null;
        }
        $id = (string) $id;
        $transport = reset($received)->getTransportName();
        return $id === '' ? null : [self::key('t', $transport, $id), $transport, $id];
    }

    /** Kind, length-prefixed transport name, id: no two (kind, transport, id) share a key. */
    private static function key(string $kind, string $transport, string $id): string
    {
        $key = $kind . strlen($transport) . ':' . $transport . ':' . $id;
        return strlen($key) <= self::KEY_MAX ? $key : 'h:' . hash('sha256', $key);
    }
}
