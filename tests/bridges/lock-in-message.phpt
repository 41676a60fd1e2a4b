--TEST--
Symfony Lock keys travel in Messenger messages: 4 web processes lock invoices and dispatch a message carrying each Key (PhpSerializer, a Redis list for the transport); 8 worker processes unserialize it, own the lock, and release it — each once; a rival is refused meanwhile
--EXTENSIONS--
rlock
pcntl
--SKIPIF--
<?php require __DIR__ . '/../inc/skipif.inc';
if (!is_file('/usr/share/php/Symfony/Component/Lock/autoload.php')) die('skip php-symfony-lock not installed');
if (!is_file('/usr/share/php/Symfony/Component/Messenger/autoload.php')) die('skip php-symfony-messenger not installed'); ?>
--FILE--
<?php
require __DIR__ . '/../inc/server.inc';
require __DIR__ . '/../inc/bridges.inc';
require '/usr/share/php/Symfony/Component/Lock/autoload.php';
require '/usr/share/php/Symfony/Component/Messenger/autoload.php';
bridge_autoload('symfony-lock');

use RLock\Bridge\Symfony\Lock\RLockStore;
use Symfony\Component\Lock\Key;
use Symfony\Component\Lock\LockFactory;
use Symfony\Component\Messenger\Envelope;
use Symfony\Component\Messenger\Transport\Serialization\PhpSerializer;

final class ProcessInvoice
{
    public function __construct(public int $invoice, public Key $key)
    {
    }
}

$redis = TestRedis::start(__FILE__);
// auto_release false: a lock handed on must outlive the request that took it (Symfony's own
// Lock releases at its destruction unless created with autoRelease: false)
$store = fn() => new RLockStore($redis->opts(['auto_release' => false]));
$invoices = scaled(40, 8);

echo "-- web processes: lock, dispatch the Key in a message, end\n";
$web = [];
for ($p = 0; $p < 4; $p++) {
    $web[] = fork_child(function () use ($redis, $store, $p, $invoices) {
        $factory = new LockFactory($store());
        for ($n = $p; $n < $invoices; $n += 4) {
            $key = new Key("invoice:$n");
            $lock = $factory->createLockFromKey($key, 60, false);
            if (!$lock->acquire()) {
                $redis->cmd('INCR', 'not-locked');
                continue;
            }
            $encoded = (new PhpSerializer())->encode(new Envelope(new ProcessInvoice($n, $key)));
            $redis->cmd('RPUSH', 'transport', $encoded['body']);
        }
    });
}
foreach ($web as $pid) {
    pcntl_waitpid($pid, $status);
}
echo "messages queued: ", $b = (int) $redis->cmd('LLEN', 'transport') === $invoices ? 'all' : $redis->cmd('LLEN', 'transport'),
    ", locks held after the web processes ended: ", count($redis->cmd('KEYS', 'rlock:{invoice:*}')) === $invoices ? 'all' : 'not all', "\n";
$rival = (new LockFactory($store()))->createLock('invoice:0');
echo "a rival meanwhile: ", var_export($rival->acquire(), true), "\n";

echo "-- 8 workers: unserialize, own the lock, finish the job, release\n";
$workers = [];
for ($w = 0; $w < 8; $w++) {
    $workers[] = fork_child(function () use ($redis, $store) {
        $factory = new LockFactory($store());
        while (($body = $redis->cmd('LPOP', 'transport')) !== null) {
            $message = (new PhpSerializer())->decode(['body' => $body])->getMessage();
            $lock = $factory->createLockFromKey($message->key, 60, false);
            if ($lock->isAcquired()) {
                $redis->cmd('INCR', "owned:{$message->invoice}");
            }
            $lock->release();
            if ($redis->cmd('EXISTS', "rlock:{invoice:{$message->invoice}}") === 0) {
                $redis->cmd('INCR', "released:{$message->invoice}");
            }
        }
    });
}
foreach ($workers as $pid) {
    pcntl_waitpid($pid, $status);
}
$once = 0;
for ($n = 0; $n < $invoices; $n++) {
    $once += $redis->cmd('GET', "owned:$n") === '1' && $redis->cmd('GET', "released:$n") === '1';
}
echo "owned and released exactly once: ", $once === $invoices ? 'all' : $once, ", locks left: ",
    count($redis->cmd('KEYS', 'rlock:{invoice:*}')), ", not locked: ", (int) $redis->cmd('GET', 'not-locked'), "\n";
echo "the rival now: ", var_export($rival->acquire(), true), "\n";
$rival->release();
?>
--CLEAN--
<?php require __DIR__ . '/../inc/server.inc'; TestRedis::cleanup(__FILE__); ?>
--EXPECT--
-- web processes: lock, dispatch the Key in a message, end
messages queued: all, locks held after the web processes ended: all
a rival meanwhile: false
-- 8 workers: unserialize, own the lock, finish the job, release
owned and released exactly once: all, locks left: 0, not locked: 0
the rival now: true
