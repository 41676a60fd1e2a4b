<?php
/*
 * The one throwaway redis-server launcher, for the tests (tests/inc/server.inc), the shell
 * tools (tools/lib/throwaway-redis.sh, through tools/lib/redis-server-cli) and the e2e
 * stack (e2e/lib/stack.php): a free loopback port, the configuration as command-line
 * flags, the server run in the foreground of a proc_open() handle (so that it can be
 * frozen, killed and started again on the same port), and the wait until it answers.
 * RLOCK_TEST_SERVER names another binary (the matrix runs valkey-server that way).
 */

/** A port the kernel has free on loopback now; another program may still take it first. */
function free_loopback_port(): int
{
    $probe = stream_socket_server('tcp://127.0.0.1:0');
    $name = stream_socket_get_name($probe, false);
    fclose($probe);
    return (int) substr($name, strrpos($name, ':') + 1);
}

/** Sends one command on a RESP connection and reads its reply. Error replies throw. */
function resp_call($sock, array $args): mixed
{
    $out = '*' . count($args) . "\r\n";
    foreach ($args as $arg) {
        $out .= '$' . strlen($arg) . "\r\n$arg\r\n";
    }
    fwrite($sock, $out);
    return resp_read($sock);
}

function resp_read($sock): mixed
{
    $line = fgets($sock);
    if ($line === false) {
        throw new RuntimeException('observer: connection closed');
    }
    $line = rtrim($line, "\r\n");
    $rest = substr($line, 1);
    switch ($line[0]) {
        case '+': return $rest;
        case '-': throw new RuntimeException("redis: $rest");
        case ':': return (int) $rest;
        case '$':
            if ((int) $rest < 0) {
                return null;
            }
            $data = '';
            while (strlen($data) < (int) $rest + 2) {
                $data .= fread($sock, (int) $rest + 2 - strlen($data));
            }
            return substr($data, 0, -2);
        case '*':
            $items = [];
            for ($i = 0; $i < (int) $rest; $i++) {
                $items[] = resp_read($sock);
            }
            return (int) $rest < 0 ? null : $items;
    }
    throw new RuntimeException("observer: bad reply line $line");
}

class RedisServer
{
    public int $port = 0;
    protected int $owner;
    private $proc = null;

    /**
     * $dir holds the server's files (log, pid file, AOF); $always: redis-server options
     * (name => value) for every start, over the defaults of flags(); $host: the address it
     * listens on and is asked at; $prefix: words run before the binary (taskset, ip netns
     * exec), each of which must exec the next, so that the pid we hold is the server's.
     */
    public function __construct(public string $dir, private array $always = [], public string $host = '127.0.0.1',
        private array $prefix = [])
    {
        $this->owner = getmypid();
        @mkdir($dir, 0700, true);
    }

    /** The server to run: RLOCK_TEST_SERVER (e.g. /usr/bin/valkey-server), else redis-server. */
    public static function binary(): ?string
    {
        $chosen = getenv('RLOCK_TEST_SERVER');
        if ($chosen !== false && $chosen !== '') {
            return is_executable($chosen) ? $chosen : null;
        }
        foreach (['/usr/bin/redis-server', '/usr/local/bin/redis-server'] as $bin) {
            if (is_executable($bin)) {
                return $bin;
            }
        }
        return null;
    }

    /** Starts the server on a free port with $config (options for this start only); waits until it answers. */
    public function startOnFreePort(array $config = []): void
    {
        for ($attempt = 0; $attempt < 5; $attempt++) {
            $this->port = free_loopback_port();
            if ($this->launch($config)) {
                return;
            }
        }
        throw new RuntimeException('could not start ' . self::binary() . ': ' . @file_get_contents("{$this->dir}/redis.out")
            . @file_get_contents("{$this->dir}/redis.log"));
    }

    /** Same port, data only from the AOF if there is one: what a Redis restart looks like to clients. */
    public function restart(array $config = []): void
    {
        $this->stop();
        if (!$this->launch($config)) {
            throw new RuntimeException("could not restart " . self::binary() . " on port {$this->port}");
        }
    }

    /** Kills the server now and starts it again after $seconds, without waiting for it. */
    public function restartAfter(float $seconds, array $config = []): void
    {
        $this->stop();
        $this->spawn(array_merge(['sh', '-c', sprintf('sleep %.3f; exec "$0" "$@"', $seconds)], $this->args($config)));
    }

    /** SIGKILL (nothing is saved): only by the process that started it, not by a forked child. */
    public function stop(): void
    {
        if (getmypid() !== $this->owner || !$this->proc) {
            return;
        }
        proc_terminate($this->proc, 9);
        proc_close($this->proc);
        $this->proc = null;
    }

    /** Sends a signal to the server process: STOP freezes it (a stall), CONT resumes it. */
    public function signal(string $name): void
    {
        if (defined("SIG$name")) {
            proc_terminate($this->proc, constant("SIG$name")); // at once: no shell to start
        } else {
            exec('kill -' . escapeshellarg($name) . ' ' . $this->pid());
        }
    }

    public function pid(): int
    {
        return (int) proc_get_status($this->proc)['pid'];
    }

    public function running(): bool
    {
        return $this->proc !== null;
    }

    public function socketPath(): string
    {
        return $this->dir . '/redis.sock';
    }

    /**
     * Signals the server whose pid file is in $dir, one that no handle of ours holds (a
     * crashed test's, or one a shell tool started); returns its pid, 0 if there was none.
     */
    public static function signalByPidFile(string $dir, string $signal): int
    {
        $pid = (int) @file_get_contents("$dir/redis.pid");
        if ($pid > 1) { // never 0 or 1: kill(0) would hit our own group
            @exec('kill -' . escapeshellarg($signal) . " $pid 2>/dev/null");
        }
        return max($pid, 0);
    }

    /** The command line: the defaults, then $always, then $config, each option once (null: left out). */
    private function args(array $config): array
    {
        $flags = array_merge(['port' => $this->port, 'bind' => $this->host, 'save' => '', 'appendonly' => 'no',
            'dir' => $this->dir, 'logfile' => "{$this->dir}/redis.log", 'pidfile' => "{$this->dir}/redis.pid"],
            $this->always, $config);
        $args = array_merge($this->prefix, [self::binary()]);
        foreach ($flags as $key => $value) {
            if ($value === null) {
                continue; // a default this server does not take (a sentinel's save)
            }
            array_push($args, "--$key", (string) $value);
        }
        return $args;
    }

    /** stdout and stderr go to redis.out: a configuration error is written there before the log is open. */
    private function spawn(array $args): void
    {
        $out = ['file', "{$this->dir}/redis.out", 'a'];
        $this->proc = proc_open($args, [0 => ['file', '/dev/null', 'r'], 1 => $out, 2 => $out], $pipes);
    }

    /**
     * Starts the server and waits until it answers. A busy machine may take seconds, hence
     * the long deadline; the pid file names our process only once it has bound the port,
     * so another program that took the port meanwhile is never mistaken for our server.
     */
    private function launch(array $config): bool
    {
        @unlink("{$this->dir}/redis.pid");
        $this->spawn($this->args($config));
        $pid = $this->pid();
        $deadline = microtime(true) + 30;
        while (microtime(true) < $deadline) {
            if (!proc_get_status($this->proc)['running']) {
                proc_close($this->proc);
                $this->proc = null;
                return false; // the port was taken: startOnFreePort() tries another
            }
            if ((int) @file_get_contents("{$this->dir}/redis.pid") === $pid && $this->answers()) {
                return true;
            }
            usleep(5000);
        }
        $this->stop();
        return false;
    }

    /** PING is answered (or refused for want of AUTH): the server is up and its data loaded. */
    private function answers(): bool
    {
        $sock = @stream_socket_client("tcp://{$this->host}:{$this->port}", $errno, $errstr, 1);
        if (!$sock) {
            return false;
        }
        stream_set_timeout($sock, 2);
        try {
            return resp_call($sock, ['PING']) === 'PONG';
        } catch (RuntimeException $e) {
            return str_contains($e->getMessage(), 'NOAUTH'); // not LOADING, not a closed socket
        } finally {
            fclose($sock);
        }
    }
}
