<?php

namespace RLock\Bridge\Symfony\Messenger;

use Symfony\Component\Messenger\Stamp\NonSendableStampInterface;

/** Added to a received message that was not handled because it already had been. */
final class HandledOnceStamp implements NonSendableStampInterface
{
    public function __construct(private string $id, private string $transportName)
    {
    }

    /** The MessageIdStamp's id, or else the transport's message id. */
    public function getId(): string
    {
        return $this->id;
    }

    /** The transport whose earlier delivery was handled. */
    public function getTransportName(): string
    {
        return $this->transportName;
    }
}
