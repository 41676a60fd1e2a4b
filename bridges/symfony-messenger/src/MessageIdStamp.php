<?php

namespace RLock\Bridge\Symfony\Messenger;

use Symfony\Component\Messenger\Stamp\StampInterface;

/**
 * The business identity of a message — an order id, a payment provider's event
 * id — given when it is dispatched, so that the same message published twice is
 * handled once on each transport it is routed to:
 * $bus->dispatch($message, [new MessageIdStamp("payment:$eventId")]).
 * It travels with the message through the transport.
 */
final class MessageIdStamp implements StampInterface
{
    /** @throws \InvalidArgumentException for an empty id: every such message would be one message */
    public function __construct(private string $id)
    {
        if ($id === '') {
            throw new \InvalidArgumentException('MessageIdStamp: $id must not be empty');
        }
    }

    public function getId(): string
    {
        return $this->id;
    }
}
