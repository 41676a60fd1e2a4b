<?php
/* Deliberately broken stand-ins, for `tools/torture --sabotage`: they prove
 * that the checker fails when the guarantees fail. They are the hand-written
 * code rlock replaces (phpredis, no rlock):
 *   lock  — GET the lock, "free" if absent or its stored expiry passed, then SET
 *           it without a TTL; fencing numbers by GET + 1 + SET; release by DEL
 *           without an owner check. Breaks rules 1, 2 and 4 (a killed holder's
 *           key never expires).
 *   idem  — GET the result; if absent, do the work, then SET it. Breaks rule 3.
 *   crash — one worker warns from rlock, another dies of SIGSEGV. Breaks rule 5. */

final class SabotagedOps
{
    private ?Redis $redis = null;

    public function __construct(private Worker $worker)
    {
    }

    private function redis(): Redis
    {
        if (!$this->redis) {
            $this->redis = new Redis();
            $this->redis->connect('127.0.0.1', $this->worker->port, 1.0);
        }
        return $this->redis;
    }

    public function lockSection(): void
    {
        $w = $this->worker;
        $name = $w->pick(array_keys(LockOps::NAMES));
        $ttl = $w->pick([300, 800, 2000]);
        $t0 = hrtime(true);
        try {
            $redis = $this->redis();
            $held = $redis->get("sab:{$name}");
            if ($held !== false && (int) explode('|', $held)[1] > intdiv(hrtime(true), 1000000)) {
                $w->done('sab.lock', 'busy');
                return;
            }
            $redis->set("sab:{$name}", uniqid() . '|' . (intdiv(hrtime(true), 1000000) + $ttl));
            $fence = (int) $redis->get("sab:{$name}:counter") + 1;
            $redis->set("sab:{$name}:counter", $fence);
            $section = $w->newId('sec');
            $w->ledger->append('enter', ['sec' => $section, 'name' => $name, 'fenced' => true, 'fence' => $fence,
                'wd' => false, 'ttl' => $ttl, 't0' => $t0, 'via' => 'sabotage']);
            $w->sleepMs(0, 30);
            $w->ledger->append('exit', ['sec' => $section]);
            $redis->del("sab:{$name}");
            $w->done('sab.lock', 'released', ['sec' => $section]);
        } catch (RedisException $e) {
            $this->redis = null;
            $w->done('sab.lock', 'conn');
            usleep(50000);
        }
    }

    public function idempotentRun(): void
    {
        $w = $this->worker;
        $key = IdemOps::currentKey();
        try {
            $redis = $this->redis();
            $stored = $redis->get("sab:idem:$key");
            if ($stored !== false) {
                $w->done('sab.idem', 'replayed', ['key' => $key, 'value' => $stored]);
                return;
            }
            $attempt = $w->newId('att');
            $w->ledger->append('effect', ['att' => $attempt, 'key' => $key, 'pol' => 'store', 'mode' => 'sabotage']);
            $w->sleepMs(0, 20);
            $redis->set("sab:idem:$key", "r:$attempt", ['PX' => 600000]);
            $w->done('sab.idem', 'completed', ['key' => $key, 'att' => $attempt, 'value' => "r:$attempt"]);
        } catch (RedisException $e) {
            $this->redis = null;
            $w->done('sab.idem', 'conn', ['key' => $key]);
            usleep(50000);
        }
    }
}

/** Worker 0 of the first generation makes rlock warn, worker 1 crashes (once each, a few ops in). */
function sabotage_crash(Worker $worker): void
{
    static $ops = 0;
    if (++$ops !== 20) {
        return;
    }
    if ($worker->id === 'w0.0') {
        $idem = new RLockIdempotency($worker->scope, ['servers' => $worker->servers()]);
        $idem->run('sabotage-' . uniqid(), fn() => STDERR); // a resource cannot be stored: rlock warns
    } elseif ($worker->id === 'w1.0') {
        posix_kill(getmypid(), SIGSEGV);
    }
}
