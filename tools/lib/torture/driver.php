<?php
/* The torture run's driver: keeps N worker processes running, and on a seeded
 * random schedule kills one with SIGKILL (and respawns it), kills Redis with
 * SIGKILL and starts it again on the same port (AOF, fsync always), or freezes
 * Redis with SIGSTOP for a few hundred ms. Every fault, spawn and worker death
 * goes to the ledger; each fault's interval is logged around the fault itself
 * (begin before, end after), so that it covers the fault. */

final class Driver
{
    /** @var array<int, array{proc: resource, pid: int, id: string, gen: int}> */
    private array $workers = [];
    private string $stopFile;

    public function __construct(
        private Ledger $ledger,
        private TestRedis $redis,
        private array $redisConfig,
        private array $workerCommand,
        private array $workerArgs,
        private string $runDir,
        private int $seed,
    ) {
        $this->stopFile = "$runDir/stop";
        @mkdir("$runDir/workers", 0777, true);
    }

    public function run(int $workerCount, float $seconds): void
    {
        mt_srand($this->seed);
        for ($slot = 0; $slot < $workerCount; $slot++) {
            $this->spawn($slot, 0);
        }
        $faults = ['kill', 'pause', 'restart'];
        shuffle($faults); // every kind early on, then at random
        $deadline = microtime(true) + $seconds;
        $next = microtime(true) + mt_rand(500, 1500) / 1000;
        while (microtime(true) < $deadline) {
            $this->reapUnexpected();
            if (microtime(true) >= $next) {
                $fault = array_shift($faults) ?? $this->pickFault();
                $this->$fault();
                $next = microtime(true) + mt_rand(400, 1800) / 1000;
            }
            usleep(20000);
        }
        $this->stopWorkers();
    }

    private function pickFault(): string
    {
        $roll = mt_rand(1, 10);
        return $roll <= 6 ? 'kill' : ($roll <= 9 ? 'pause' : 'restart');
    }

    private function spawn(int $slot, int $gen): void
    {
        $id = "w$slot.$gen";
        $seed = crc32("{$this->seed}/$id");
        $cmd = array_merge($this->workerCommand, $this->workerArgs($id, $seed));
        $proc = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', "{$this->runDir}/workers/$id.log", 'w'],
            2 => ['redirect', 1]], $pipes, "{$this->runDir}/workers");
        $pid = proc_get_status($proc)['pid'];
        $this->workers[$slot] = ['proc' => $proc, 'pid' => $pid, 'id' => $id, 'gen' => $gen];
        $this->ledger->append('spawn', ['wid' => $id, 'pid' => $pid]);
        $this->writePids();
    }

    private function workerArgs(string $id, int $seed): array
    {
        [$ledger, $port, $scope, $sabotage] = $this->workerArgs;
        return [$ledger, (string) $port, $scope, (string) $seed, $id, $this->stopFile, $sabotage];
    }

    /** For tools/torture's exit trap, should this process die without cleaning up. */
    private function writePids(): void
    {
        file_put_contents("{$this->runDir}/pids", implode("\n", array_column($this->workers, 'pid')) . "\n");
    }

    /** A worker that ended without being killed by us: logged (the checker judges it), then replaced. */
    private function reapUnexpected(bool $respawn = true): void
    {
        foreach ($this->workers as $slot => $worker) {
            $status = proc_get_status($worker['proc']);
            if ($status['running']) {
                continue;
            }
            $this->ledger->append('died', ['wid' => $worker['id'], 'code' => $status['exitcode'],
                'signal' => $status['signaled'] ? $status['termsig'] : 0]);
            proc_close($worker['proc']);
            unset($this->workers[$slot]);
            if ($respawn) {
                $this->spawn($slot, $worker['gen'] + 1);
            }
        }
        $this->writePids();
    }

    private function kill(): void
    {
        $victim = mt_rand(0, count($this->workers) - 1); // from the seed, not array_rand()
        $slot = array_keys($this->workers)[$victim];
        $worker = $this->workers[$slot];
        posix_kill($worker['pid'], SIGKILL);
        $this->ledger->append('kill', ['wid' => $worker['id'], 'pid' => $worker['pid']]);
        while (proc_get_status($worker['proc'])['running']) {
            usleep(1000);
        }
        proc_close($worker['proc']);
        $this->spawn($slot, $worker['gen'] + 1);
    }

    private function restart(): void
    {
        $this->ledger->append('restart_begin');
        $this->redis->stop(); // SIGKILL
        usleep(mt_rand(0, 300) * 1000);
        $this->redis->restart($this->redisConfig);
        $this->ledger->append('restart_end');
    }

    private function pause(): void
    {
        $this->ledger->append('pause_begin');
        $this->redis->signal('STOP');
        usleep(mt_rand(150, 700) * 1000);
        $this->redis->signal('CONT');
        $this->ledger->append('pause_end');
    }

    /** Asks the workers to finish their operation and stop; SIGKILLs (and logs as hung) any still running after $grace s. */
    private function stopWorkers(float $grace = 30): void
    {
        touch($this->stopFile);
        $this->ledger->append('stopping');
        $deadline = microtime(true) + $grace;
        while ($this->workers && microtime(true) < $deadline) {
            foreach ($this->workers as $slot => $worker) {
                $status = proc_get_status($worker['proc']);
                if (!$status['running']) {
                    if ($status['exitcode'] !== 0 || $status['signaled']) {
                        $this->ledger->append('died', ['wid' => $worker['id'], 'code' => $status['exitcode'],
                            'signal' => $status['signaled'] ? $status['termsig'] : 0]);
                    }
                    proc_close($worker['proc']);
                    unset($this->workers[$slot]);
                }
            }
            usleep(20000);
        }
        foreach ($this->workers as $worker) {
            $this->ledger->append('hung', ['wid' => $worker['id']]);
        }
        $this->cleanup();
        $this->ledger->append('stopped');
    }

    /** Kills whatever workers are left (also on an interrupted run). */
    public function cleanup(): void
    {
        foreach ($this->workers as $worker) {
            posix_kill($worker['pid'], SIGKILL);
            proc_close($worker['proc']);
        }
        $this->workers = [];
        $this->writePids();
    }
}
