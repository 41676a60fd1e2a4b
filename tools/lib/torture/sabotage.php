<?php
/* Deliberately broken stand-ins, for `tools/torture --sabotage`: they prove
 * that the checker fails when the guarantees fail. They are the hand-written
 * code rlock replaces (phpredis, no rlock):
 *   lock  — GET the lock, "free" if absent or its stored expiry passed, then SET
 *           it without a TTL; fencing numbers by GET + 1 + SET; release by DEL
 *           without an owner check. Breaks rules 1, 2 and 4 (a killed holder's
 *           key, and the counters, never expire).
 *   steal — a lock taken with SET PX but no NX, and a claim taken whatever its
 *           state; both given back owner-checked, so the victim *is* told that
 *           it lost: the checker must still see that nothing could have ended
 *           the victim's lease that soon (rules 1 and 3).
 *   idem  — GET the result; if absent, do the work, then SET it. Breaks rule 3.
 *   crash — one worker warns from rlock, another dies of SIGSEGV. Breaks rule 5. */

final class SabotagedOps
{
    private const COMPARE_AND_DELETE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
    private const FINISH_IF_OURS = "if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end "
        . "redis.call('HSET', KEYS[1], 'state', 'done', 'result', ARGV[2]) redis.call('PEXPIRE', KEYS[1], 600000) return 1";

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

    /** Runs $op; a Redis error is a "conn" outcome, as for the real operations. */
    private function guarded(string $kind, callable $op): void
    {
        try {
            $op($this->redis());
        } catch (RedisException $e) {
            $this->redis = null;
            $this->worker->done($kind, 'conn');
            usleep(50000);
        }
    }

    private function enter(string $name, int $ttl, int $t0, ?int $fence): string
    {
        $section = $this->worker->newId('sec');
        $this->worker->ledger->append('enter', ['sec' => $section, 'name' => $name, 'fenced' => $fence !== null,
            'fence' => $fence, 'wd' => false, 'ttl' => $ttl, 't0' => $t0, 'via' => 'sabotage']);
        return $section;
    }

    /** "lock": GET, then SET without a TTL; counter by GET + SET; DEL whoever holds it. */
    public function lockSection(): void
    {
        $w = $this->worker;
        $this->guarded('sab.lock', function (Redis $redis) use ($w) {
            $name = $w->pick(array_keys(LockOps::NAMES));
            $ttl = $w->pick([300, 800, 2000]);
            $t0 = hrtime(true);
            $held = $redis->get("sab:{$name}");
            if ($held !== false && (int) explode('|', $held)[1] > intdiv(hrtime(true), 1000000)) {
                $w->done('sab.lock', 'busy');
                return;
            }
            $redis->set("sab:{$name}", uniqid() . '|' . (intdiv(hrtime(true), 1000000) + $ttl));
            $fence = (int) $redis->get("sab:{$name}:counter") + 1;
            $redis->set("sab:{$name}:counter", $fence);
            $section = $this->enter($name, $ttl, $t0, $fence);
            $w->sleepMs(0, 30);
            $w->ledger->append('exit', ['sec' => $section]);
            $redis->del("sab:{$name}");
            $w->done('sab.lock', 'released', ['sec' => $section]);
        });
    }

    /** "steal": SET PX without NX; owner-checked release, which tells the victim. */
    public function stealingLockSection(): void
    {
        $w = $this->worker;
        $this->guarded('sab.steal', function (Redis $redis) use ($w) {
            $name = $w->pick(array_keys(LockOps::NAMES));
            $ttl = $w->pick([800, 2000]);
            $token = bin2hex(random_bytes(8));
            $t0 = hrtime(true);
            $redis->set("sab:steal:{$name}", $token, ['PX' => $ttl]);
            $section = $this->enter($name, $ttl, $t0, null);
            $w->sleepMs(0, 30);
            $w->ledger->append('exit', ['sec' => $section]);
            $freed = $redis->eval(self::COMPARE_AND_DELETE, ["sab:steal:{$name}", $token], 1);
            $w->done('sab.steal', $freed ? 'released' : 'lost', ['sec' => $section]);
        });
    }

    /** "idem": GET the result; if absent, work, then SET it. */
    public function idempotentRun(): void
    {
        $w = $this->worker;
        $this->guarded('sab.idem', function (Redis $redis) use ($w) {
            $key = IdemOps::currentKey();
            $t0 = hrtime(true);
            $stored = $redis->get("sab:idem:$key");
            if ($stored !== false) {
                $w->done('sab.idem', 'replayed', ['key' => $key, 'value' => $stored]);
                return;
            }
            $attempt = $w->newId('att');
            $w->ledger->append('effect', ['att' => $attempt, 't0' => $t0, 'mode' => 'sabotage', 'key' => $key,
                'pol' => 'store', 'lease' => 0]);
            $w->sleepMs(0, 20);
            $redis->set("sab:idem:$key", "r:$attempt", ['PX' => 600000]);
            $w->done('sab.idem', 'completed', ['key' => $key, 'att' => $attempt, 'value' => "r:$attempt"]);
        });
    }

    /** "steal": a claim taken even while another runs; finished owner-checked, which tells the victim. */
    public function stealingIdempotentRun(): void
    {
        $w = $this->worker;
        $this->guarded('sab.steal-idem', function (Redis $redis) use ($w) {
            $key = IdemOps::currentKey();
            $record = "sab:claim:$key";
            $lease = $w->pick([1000, 3000]);
            $t0 = hrtime(true);
            if ($redis->hGet($record, 'state') === 'done') {
                $w->done('sab.steal-idem', 'replayed', ['key' => $key, 'value' => $redis->hGet($record, 'result')]);
                return;
            }
            $token = bin2hex(random_bytes(8));
            $redis->hMSet($record, ['state' => 'running', 'owner' => $token]);
            $redis->pExpire($record, $lease);
            $attempt = $w->newId('att');
            $w->ledger->append('effect', ['att' => $attempt, 't0' => $t0, 'mode' => 'sabotage', 'key' => $key,
                'pol' => 'release', 'lease' => $lease]);
            $w->sleepMs(0, 20);
            $finished = $redis->eval(self::FINISH_IF_OURS, [$record, $token, "r:$attempt"], 1);
            $w->done('sab.steal-idem', $finished ? 'completed' : 'lost', ['key' => $key, 'att' => $attempt,
                'value' => "r:$attempt"]);
        });
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
