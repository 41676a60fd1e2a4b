<?php
/* IdempotentMiddleware on Messenger's own buses and stamps: which deliveries count as one
 * message (transport + transport id, transport + MessageIdStamp), what a failing handler, a
 * retry from the failure transport and DispatchAfterCurrentBusStamp do, and keys that
 * hostile transport names and ids cannot make collide. */

use PHPUnit\Framework\TestCase;
use RLock\Bridge\Symfony\Messenger\HandledOnceStamp;
use RLock\Bridge\Symfony\Messenger\IdempotentMiddleware;
use RLock\Bridge\Symfony\Messenger\MessageIdStamp;
use Symfony\Component\Messenger\Envelope;
use Symfony\Component\Messenger\Exception\DelayedMessageHandlingException;
use Symfony\Component\Messenger\Exception\HandlerFailedException;
use Symfony\Component\Messenger\Handler\HandlerDescriptor;
use Symfony\Component\Messenger\Handler\HandlersLocator;
use Symfony\Component\Messenger\MessageBus;
use Symfony\Component\Messenger\Middleware\DispatchAfterCurrentBusMiddleware;
use Symfony\Component\Messenger\Middleware\FailedMessageProcessingMiddleware;
use Symfony\Component\Messenger\Middleware\HandleMessageMiddleware;
use Symfony\Component\Messenger\Stamp\DispatchAfterCurrentBusStamp;
use Symfony\Component\Messenger\Stamp\HandledStamp;
use Symfony\Component\Messenger\Stamp\ReceivedStamp;
use Symfony\Component\Messenger\Stamp\SentToFailureTransportStamp;
use Symfony\Component\Messenger\Stamp\TransportMessageIdStamp;

final class SymfonyMessengerMiddlewareTest extends TestCase
{
    /** @var array<string, int> handler runs per message id, in this process */
    private array $runs = [];

    protected function setUp(): void
    {
        if (!interface_exists(\Symfony\Component\Messenger\Middleware\MiddlewareInterface::class)) {
            $this->markTestSkipped('symfony/messenger is not installed');
        }
        $this->runs = [];
    }

    private function redis(): TestRedis
    {
        return bridge_redis(self::class);
    }

    /** A scope of its own per test: no test sees another's records. */
    private function idempotency(string $scope, array $more = []): RLockIdempotency
    {
        return new RLockIdempotency($scope, $this->redis()->opts($more));
    }

    /** A consumer's bus: the middleware, then a handler counting its runs of each message ($m->id). */
    private function bus(string $scope, ?array $handlers = null): MessageBus
    {
        $handlers ??= [stdClass::class => [function (stdClass $m) {
            $this->runs[$m->id] = ($this->runs[$m->id] ?? 0) + 1;
            return "handled {$m->id}";
        }]];
        return new MessageBus([
            new IdempotentMiddleware($this->idempotency($scope)),
            new HandleMessageMiddleware(new HandlersLocator($handlers)),
        ]);
    }

    private static function delivery(string $id, string $transport, array $stamps): Envelope
    {
        return new Envelope((object) ['id' => $id], array_merge([new ReceivedStamp($transport)], $stamps));
    }

    public function testRedeliveriesOfOneTransportMessageAreHandledOnce(): void
    {
        $bus = $this->bus('redelivery');
        $first = $bus->dispatch(self::delivery('m', 'async', [new TransportMessageIdStamp('17')]));
        $again = $bus->dispatch(self::delivery('m', 'async', [new TransportMessageIdStamp('17')]));
        $bus->dispatch(self::delivery('m', 'async', [new TransportMessageIdStamp(17)])); // an int id is the same id

        $this->assertSame(1, $this->runs['m']);
        $this->assertSame('handled m', $first->last(HandledStamp::class)->getResult());
        $this->assertNull($first->last(HandledOnceStamp::class));
        $this->assertNull($again->last(HandledStamp::class));
        $this->assertSame('17', $again->last(HandledOnceStamp::class)->getId());
        $this->assertSame('async', $again->last(HandledOnceStamp::class)->getTransportName());
        // the documented key layout: kind, length of the transport name, name, id
        $this->assertSame('done', $this->idempotency('redelivery')->state('t5:async:17'));
    }

    public function testSameTransportIdOnTwoTransportsIsTwoMessages(): void
    {
        $bus = $this->bus('two-transports');
        $bus->dispatch(self::delivery('order', 'orders', [new TransportMessageIdStamp('1')]));
        $bus->dispatch(self::delivery('payment', 'payments', [new TransportMessageIdStamp('1')]));
        $bus->dispatch(self::delivery('order', 'orders', [new TransportMessageIdStamp('1')]));
        $bus->dispatch(self::delivery('payment', 'payments', [new TransportMessageIdStamp('1')]));
        $this->assertSame(['order' => 1, 'payment' => 1], $this->runs);
    }

    public function testBusinessIdIsHandledOncePerTransport(): void
    {
        $bus = $this->bus('business', [stdClass::class => [
            new HandlerDescriptor(function (stdClass $m) {
                $this->runs["charge {$m->id}"] = ($this->runs["charge {$m->id}"] ?? 0) + 1;
            }, ['from_transport' => 'payments']),
            new HandlerDescriptor(function (stdClass $m) {
                $this->runs["audit {$m->id}"] = ($this->runs["audit {$m->id}"] ?? 0) + 1;
            }, ['from_transport' => 'audit']),
        ]]);
        // published twice (two transport messages), routed to both transports on purpose
        foreach (['1', '2'] as $transportId) {
            foreach (['payments', 'audit'] as $transport) {
                $bus->dispatch(self::delivery('order-7', $transport,
                    [new MessageIdStamp('order-7'), new TransportMessageIdStamp($transportId)]));
            }
        }
        $this->assertSame(['charge order-7' => 1, 'audit order-7' => 1], $this->runs);
        $this->assertSame('done', $this->idempotency('business')->state('m8:payments:order-7'));
        $this->assertSame('done', $this->idempotency('business')->state('m5:audit:order-7'));
    }

    public function testRetryFromTheFailureTransportIsItsOwnMessage(): void
    {
        $handle = new HandleMessageMiddleware(new HandlersLocator([stdClass::class => [function (stdClass $m) {
            $this->runs[$m->id] = ($this->runs[$m->id] ?? 0) + 1;
        }]]));
        // as FrameworkBundle orders them: failed_message_processing_middleware, then ours
        $bus = new MessageBus([new FailedMessageProcessingMiddleware(), new IdempotentMiddleware($this->idempotency('failure')), $handle]);
        $bus->dispatch(self::delivery('m1', 'async', [new TransportMessageIdStamp('1')]));
        // message 7 failed on "async" and sits in "failed" as that transport's message 1
        $retried = $bus->dispatch(self::delivery('m7', 'failed', [new TransportMessageIdStamp('1'), new SentToFailureTransportStamp('async')]));
        $this->assertSame(['m1' => 1, 'm7' => 1], $this->runs, "not mistaken for async's message 1");
        $this->assertNotNull($retried->last(HandledStamp::class));

        // a business id counts on the transport the handlers see: the original one
        $bus->dispatch(self::delivery('m8', 'async', [new MessageIdStamp('m8'), new TransportMessageIdStamp('8')]));
        $bus->dispatch(self::delivery('m8', 'failed', [new MessageIdStamp('m8'), new TransportMessageIdStamp('2'), new SentToFailureTransportStamp('async')]));
        $this->assertSame(1, $this->runs['m8'], 'already handled on async');
    }

    public function testThrowingHandlerLetsTheRetryHandleIt(): void
    {
        $attempts = 0;
        $bus = $this->bus('failing', [stdClass::class => [function (stdClass $m) use (&$attempts) {
            if (++$attempts === 1) {
                throw new RuntimeException('gateway down');
            }
        }]]);
        try {
            $bus->dispatch(self::delivery('f', 'async', [new TransportMessageIdStamp('5')]));
            $this->fail('the failure did not reach the worker');
        } catch (HandlerFailedException $e) {
        }
        $this->assertNull($this->idempotency('failing')->state('t5:async:5'), 'the claim was dropped');
        $bus->dispatch(self::delivery('f', 'async', [new TransportMessageIdStamp('5')]));
        $bus->dispatch(self::delivery('f', 'async', [new TransportMessageIdStamp('5')]));
        $this->assertSame(2, $attempts, 'the retry ran it, the redelivery after it did not');
    }

    public function testMessagesBeingDispatchedPassThrough(): void
    {
        $bus = $this->bus('dispatch');
        $keys = count($this->redis()->cmd('KEYS', '*dispatch*'));
        foreach ([1, 2] as $time) {
            $bus->dispatch(new Envelope((object) ['id' => 'sent'], [new MessageIdStamp('sent'), new TransportMessageIdStamp('3')]));
            $bus->dispatch(self::delivery('no-id', 'async', []));
            $bus->dispatch(self::delivery('empty-id', 'async', [new TransportMessageIdStamp('')]));
        }
        $this->assertSame(['sent' => 2, 'no-id' => 2, 'empty-id' => 2], $this->runs);
        $this->assertSame($keys, count($this->redis()->cmd('KEYS', '*dispatch*')), 'no record in Redis');
    }

    public function testEmptyBusinessIdIsRefused(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        new MessageIdStamp('');
    }

    public function testHostileTransportNamesAndIdsDoNotCollide(): void
    {
        $long = str_repeat('n', 1024);
        $identities = [
            ['a:b', 'c'], ['a', 'b:c'], ['a', ':b:c'], ['a:', 'b:c'],
            ['{x}', '1'], ['{x', '}1'], ['x}', '{1'], ['%7Bx%7D', '1'],
            ["a\0", 'b'], ['a', "\0b"], ["a\0b", ''],
            ['', 'a:b'], ['1:a', 'b'],
            [$long, 'x'], [$long, 'y'], [$long . 'x', ''], ['n', str_repeat('n', 1023) . 'x'],
            ['async', str_repeat('i', 1024)], ['async', str_repeat('i', 1023) . 'j'],
        ];
        $bus = $this->bus('hostile');
        foreach ([1, 2] as $round) {
            foreach ($identities as $n => [$transport, $id]) {
                // a transport id, and the same strings as a business id: four identities each
                $stamps = $id === '' ? [] : [new TransportMessageIdStamp($id)];
                $bus->dispatch(self::delivery("t$n", $transport, $stamps));
                if ($id !== '') { // an empty business id is refused (testEmptyBusinessIdIsRefused)
                    $bus->dispatch(self::delivery("m$n", $transport, [new MessageIdStamp($id)]));
                }
            }
        }
        $expected = [];
        foreach ($identities as $n => [$transport, $id]) {
            $expected["t$n"] = $id === '' ? 2 : 1; // no transport id: not deduplicated
            if ($id !== '') {
                $expected["m$n"] = 1;
            }
        }
        $this->assertSame($expected, $this->runs);
    }

    public function testConcurrentConsumersHandleOneMessageOnce(): void
    {
        if (!function_exists('pcntl_fork')) {
            $this->markTestSkipped('pcntl is not loaded');
        }
        $redis = $this->redis();
        $opts = $redis->opts(['wait' => 10000]);
        $children = [];
        for ($c = 0; $c < 4; $c++) {
            $children[] = phpunit_fork(function () use ($redis, $opts) {
                $bus = new MessageBus([
                    new IdempotentMiddleware(new RLockIdempotency('concurrent', $opts)),
                    new HandleMessageMiddleware(new HandlersLocator([stdClass::class => [function () use ($redis) {
                        $redis->cmd('INCR', 'concurrent-runs');
                        usleep(50000); // long enough for the others to arrive meanwhile
                    }]])),
                ]);
                for ($i = 0; $i < 3; $i++) {
                    $envelope = $bus->dispatch(self::delivery('c', 'async', [new TransportMessageIdStamp('99')]));
                    $redis->cmd('INCR', $envelope->last(HandledOnceStamp::class) ? 'concurrent-duplicates' : 'concurrent-handled');
                }
            });
        }
        foreach ($children as $child) {
            pcntl_waitpid($child, $status);
            $this->assertSame(0, pcntl_wexitstatus($status));
        }
        $this->assertSame('1', $redis->cmd('GET', 'concurrent-runs'));
        $this->assertSame('1', $redis->cmd('GET', 'concurrent-handled'));
        $this->assertSame('11', $redis->cmd('GET', 'concurrent-duplicates'));
    }

    public function testDispatchAfterCurrentBusSendsAfterTheClaimIsStored(): void
    {
        $idempotency = $this->idempotency('after-bus');
        $seen = [];
        $bus = null;
        $handlers = new HandlersLocator([
            stdClass::class => [function (stdClass $m) use (&$bus) {
                $this->runs[$m->id] = ($this->runs[$m->id] ?? 0) + 1;
                $bus->dispatch(new Envelope(new ArrayObject(['for' => $m->id]), [new DispatchAfterCurrentBusStamp()]));
            }],
            ArrayObject::class => [function (ArrayObject $follow) use ($idempotency, &$seen) {
                // the outer message's record as the follow-up sees it
                $seen[] = $idempotency->state("t5:async:{$follow['for']}");
                if ($follow['for'] === 'fails') {
                    throw new RuntimeException('follow-up failed');
                }
            }],
        ]);
        // as FrameworkBundle orders them: dispatch_after_current_bus before the bus' own middleware
        $bus = new MessageBus([new DispatchAfterCurrentBusMiddleware(), new IdempotentMiddleware($idempotency),
            new HandleMessageMiddleware($handlers)]);

        $bus->dispatch(self::delivery('ok', 'async', [new TransportMessageIdStamp('ok')]));
        $this->assertSame(['done'], $seen, 'the follow-up left after the claim was stored, outside it');
        $bus->dispatch(self::delivery('ok', 'async', [new TransportMessageIdStamp('ok')]));
        $this->assertSame(['done'], $seen, 'a duplicate dispatches no follow-up');

        try {
            $bus->dispatch(self::delivery('fails', 'async', [new TransportMessageIdStamp('fails')]));
            $this->fail('the follow-up failure did not reach the worker');
        } catch (DelayedMessageHandlingException $e) {
        }
        $this->assertSame('done', $idempotency->state('t5:async:fails'), 'the outer message stays handled');
        $bus->dispatch(self::delivery('fails', 'async', [new TransportMessageIdStamp('fails')]));
        $this->assertSame(['done', 'done'], $seen, "Messenger's retry is a duplicate: the failed follow-up is not sent again");
        $this->assertSame(['ok' => 1, 'fails' => 1], $this->runs);
    }
}
