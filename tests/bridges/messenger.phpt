--TEST--
Symfony Messenger bridge: IdempotentMiddleware (Debian's symfony/messenger) handles a message delivered many times, by 8 consumers, once
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc'; if (!is_file('/usr/share/php/Symfony/Component/Messenger/autoload.php')) die('skip php-symfony-messenger not installed'); ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/bridges.inc';
require '/usr/share/php/Symfony/Component/Messenger/autoload.php';
bridge_autoload('symfony-messenger');

use RLock\Bridge\Symfony\Messenger\HandledOnceStamp;
use RLock\Bridge\Symfony\Messenger\IdempotentMiddleware;
use RLock\Bridge\Symfony\Messenger\MessageIdStamp;
use Symfony\Component\Messenger\Envelope;
use Symfony\Component\Messenger\Handler\HandlersLocator;
use Symfony\Component\Messenger\MessageBus;
use Symfony\Component\Messenger\Middleware\HandleMessageMiddleware;
use Symfony\Component\Messenger\Stamp\HandledStamp;
use Symfony\Component\Messenger\Stamp\ReceivedStamp;
use Symfony\Component\Messenger\Stamp\TransportMessageIdStamp;

$redis = TestRedis::start(__FILE__);

echo "-- the README snippet\n";
eval(readme_snippet('messenger', $redis->uri()));

/** A consumer's bus whose handler counts its runs in Redis (and fails when told to). */
function consumer_bus(TestRedis $redis): MessageBus
{
    return new MessageBus([
        new IdempotentMiddleware(new RLockIdempotency('messages', $redis->opts(['wait' => 10000]))),
        new HandleMessageMiddleware(new HandlersLocator([
            stdClass::class => [function (stdClass $m) use ($redis) {
                $redis->cmd('INCR', "handled:{$m->id}");
                usleep(20000);
                if (!empty($m->fail) && $redis->cmd('INCR', "failures:{$m->id}") === 1) {
                    throw new RuntimeException('gateway down');
                }
                return "done {$m->id}";
            }],
        ])),
    ]);
}
$received = fn(object $m, array $stamps) => new Envelope($m, array_merge($stamps, [new ReceivedStamp('async')]));

echo "-- 8 consumers, the same message delivered 3 times to each\n";
$pids = [];
for ($w = 0; $w < 8; $w++) {
    $pids[] = fork_child(function () use ($redis, $received) {
        $bus = consumer_bus($redis);
        for ($i = 0; $i < 3; $i++) {
            $bus->dispatch($received((object) ['id' => 'order-9'], [new MessageIdStamp('order-9')]));
        }
    });
}
foreach ($pids as $pid) {
    pcntl_waitpid($pid, $status);
}
echo "deliveries: 24, handled: ", $redis->cmd('GET', 'handled:order-9'), "\n";

$bus = consumer_bus($redis);
echo "-- what the consumer sees\n";
$first = $bus->dispatch($received((object) ['id' => 'p-1'], [new MessageIdStamp('p-1')]));
$again = $bus->dispatch($received((object) ['id' => 'p-1'], [new MessageIdStamp('p-1')]));
echo "first: ", $first->last(HandledStamp::class)?->getResult(), "; duplicate: ",
    $again->last(HandledOnceStamp::class)?->getId(), ", handled ", $redis->cmd('GET', 'handled:p-1'), " time\n";

echo "-- the transport's message id when there is no MessageIdStamp\n";
foreach ([1, 2] as $delivery) {
    $bus->dispatch($received((object) ['id' => 't-1'], [new TransportMessageIdStamp('42')]));
}
echo "handled: ", $redis->cmd('GET', 'handled:t-1'), "\n";

echo "-- a failing handler: the retry handles it again, then it is done\n";
try {
    $bus->dispatch($received((object) ['id' => 'f-1', 'fail' => true], [new MessageIdStamp('f-1')]));
} catch (Throwable $e) {
    echo get_class($e), "\n";
}
$bus->dispatch($received((object) ['id' => 'f-1', 'fail' => true], [new MessageIdStamp('f-1')]));
$bus->dispatch($received((object) ['id' => 'f-1', 'fail' => true], [new MessageIdStamp('f-1')]));
echo "handled: ", $redis->cmd('GET', 'handled:f-1'), "\n";

echo "-- dispatching (not received) and messages without an id pass through\n";
$bus->dispatch(new Envelope((object) ['id' => 'd-1'], [new MessageIdStamp('d-1')]));
$bus->dispatch(new Envelope((object) ['id' => 'd-1'], [new MessageIdStamp('d-1')]));
$bus->dispatch($received((object) ['id' => 'n-1'], []));
$bus->dispatch($received((object) ['id' => 'n-1'], []));
echo "handled: ", $redis->cmd('GET', 'handled:d-1'), " and ", $redis->cmd('GET', 'handled:n-1'), "\n";
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- the README snippet
charged order 1001
-- 8 consumers, the same message delivered 3 times to each
deliveries: 24, handled: 1
-- what the consumer sees
first: done p-1; duplicate: p-1, handled 1 time
-- the transport's message id when there is no MessageIdStamp
handled: 1
-- a failing handler: the retry handles it again, then it is done
Symfony\Component\Messenger\Exception\HandlerFailedException
handled: 2
-- dispatching (not received) and messages without an id pass through
handled: 2 and 2
