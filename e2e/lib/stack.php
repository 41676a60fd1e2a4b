<?php
/*
 * The e2e stack, from Debian packages, on loopback: redis-server (optionally
 * inside a network namespace of its own, reached over a veth pair, so that
 * iptables can drop its packets), php-fpm with this build of rlock loaded,
 * nginx in front. Everything lives in one temporary directory and is stopped
 * by stop() (or at exit). Redis is started by tools/lib/redis-server.php, the
 * launcher the tests and tools share.
 */
require_once dirname(__DIR__, 2) . '/tools/lib/redis-server.php';

final class E2EStack
{
    public const NETNS = 'rlock-e2e';
    private const HOST_SIDE = '10.77.0.1';
    private const NS_SIDE = '10.77.0.2';

    public string $dir;
    public int $httpPort;
    public string $redisHost = '127.0.0.1';
    public int $redisPort;
    private RedisServer $redisServer;
    private array $procs = [];
    private ?Redis $observer = null;
    private int $owner;

    public function __construct(private int $workers = 4, private bool $netns = false)
    {
        $this->owner = getmypid();
        $this->dir = sys_get_temp_dir() . '/rlock-e2e-' . getmypid();
        @mkdir($this->dir, 0777, true);
        register_shutdown_function([$this, 'stop']);
    }

    private static function run(string $command): void
    {
        exec($command . ' 2>&1', $out, $status);
        if ($status !== 0) {
            throw new RuntimeException("$command failed: " . implode("\n", $out));
        }
    }

    public function start(): void
    {
        if ($this->netns) {
            $this->makeNamespace();
        }
        $this->startRedis();
        $this->startFpm();
        $this->startNginx();
        $this->await(fn() => @file_get_contents("http://127.0.0.1:{$this->httpPort}/rlock/order",
            false, stream_context_create(['http' => ['ignore_errors' => true, 'timeout' => 1]])) !== false);
    }

    /** A veth pair into a namespace of our own; Redis listens on its side only. */
    private function makeNamespace(): void
    {
        $this->removeNamespace();
        $ns = self::NETNS;
        foreach (["ip netns add $ns", "ip link add rle2e0 type veth peer name rle2e1", "ip link set rle2e1 netns $ns",
                "ip addr add " . self::HOST_SIDE . "/30 dev rle2e0", "ip link set rle2e0 up",
                "ip netns exec $ns ip addr add " . self::NS_SIDE . "/30 dev rle2e1",
                "ip netns exec $ns ip link set rle2e1 up", "ip netns exec $ns ip link set lo up"] as $command) {
            self::run($command);
        }
        $this->redisHost = self::NS_SIDE;
    }

    private function removeNamespace(): void
    {
        exec('ip link del rle2e0 2>/dev/null; ip netns del ' . self::NETNS . ' 2>/dev/null');
    }

    /** AOF with fsync always: a SIGKILLed Redis comes back with every lock and record it acknowledged. */
    private function startRedis(): void
    {
        $this->redisServer = new RedisServer($this->dir, ['appendonly' => 'yes', 'appendfsync' => 'always',
            'protected-mode' => 'no'], $this->redisHost, $this->netns ? ['ip', 'netns', 'exec', self::NETNS] : []);
        $this->redisServer->startOnFreePort();
        $this->redisPort = $this->redisServer->port;
    }

    private function startFpm(): void
    {
        $redis = "redis://{$this->redisHost}:{$this->redisPort}";
        $conf = <<<INI
[global]
error_log = {$this->dir}/fpm.log
log_level = notice
daemonize = no

[shop]
listen = {$this->dir}/fpm.sock
listen.mode = 0666
pm = static
pm.max_children = {$this->workers}
catch_workers_output = yes
decorate_workers_output = no
clear_env = yes
env[E2E_REDIS] = $redis
env[E2E_LEDGER] = {$this->dir}/ledger.sqlite
env[E2E_STATE] = {$this->dir}
php_admin_flag[log_errors] = on
php_admin_value[error_log] = {$this->dir}/php-errors.log
php_admin_value[error_reporting] = E_ALL
php_admin_flag[display_errors] = off
INI;
        file_put_contents("{$this->dir}/php-fpm.conf", $conf);
        require_once dirname(__DIR__) . '/app/ledger.php';
        (new Ledger("{$this->dir}/ledger.sqlite"))->create();
        $this->spawn('fpm', ['php-fpm8.2', '-R', '-F', '-y', "{$this->dir}/php-fpm.conf",
            '-d', 'extension=' . self::extension()]);
        $this->await(fn() => file_exists("{$this->dir}/fpm.sock") && count($this->fpmWorkers()) === $this->workers);
    }

    private function startNginx(): void
    {
        $this->httpPort = free_loopback_port();
        $app = dirname(__DIR__) . '/app/index.php';
        $d = $this->dir;
        $conf = <<<NGINX
daemon off;
user root;
worker_processes 2;
pid $d/nginx.pid;
error_log $d/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $d/nginx-body;
    fastcgi_temp_path $d/nginx-fastcgi;
    proxy_temp_path $d/nginx-proxy;
    uwsgi_temp_path $d/nginx-uwsgi;
    scgi_temp_path $d/nginx-scgi;
    server {
        listen 127.0.0.1:{$this->httpPort};
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $app;
            fastcgi_pass unix:$d/fpm.sock;
        }
    }
}
NGINX;
        file_put_contents("$d/nginx.conf", $conf);
        $this->spawn('nginx', ['nginx', '-c', "$d/nginx.conf", '-p', $d, '-e', "$d/nginx-error.log"]);
    }

    /** The rlock.so next to this checkout (tools/build made it). */
    public static function extension(): string
    {
        return dirname(__DIR__, 2) . '/modules/rlock.so';
    }

    private function spawn(string $name, array $args): void
    {
        $this->procs[$name] = proc_open($args, [0 => ['file', '/dev/null', 'r'],
            1 => ['file', "{$this->dir}/$name.out", 'a'], 2 => ['file', "{$this->dir}/$name.out", 'a']], $pipes);
    }

    public function pid(string $name): int
    {
        return $name === 'redis' ? $this->redisServer->pid() : proc_get_status($this->procs[$name])['pid'];
    }

    /** The php-fpm worker processes (children of the master). */
    public function fpmWorkers(): array
    {
        $out = [];
        exec('pgrep -P ' . $this->pid('fpm'), $out);
        return array_map('intval', $out);
    }

    /** SIGKILL, $downSeconds without Redis, then the same server back from its AOF. */
    public function restartRedis(float $downSeconds): void
    {
        $this->redisServer->stop();
        $this->observer = null;
        usleep((int) ($downSeconds * 1e6));
        $this->redisServer->restart();
    }

    /** iptables inside the namespace: drop a share of Redis' incoming packets, or all (0 or 1: clear). */
    public function dropRedisPackets(float $share): void
    {
        $ns = 'ip netns exec ' . self::NETNS . ' iptables';
        self::run("$ns -F INPUT");
        if ($share >= 1) {
            self::run("$ns -A INPUT -p tcp --dport {$this->redisPort} -j DROP");
        } elseif ($share > 0) {
            self::run("$ns -A INPUT -p tcp --dport {$this->redisPort} -m statistic --mode random --probability $share -j DROP");
        }
    }

    public function redis(): Redis
    {
        if (!$this->observer) {
            $this->observer = new Redis();
            $this->observer->connect($this->redisHost, $this->redisPort, 1.0);
        }
        return $this->observer;
    }

    public function await(callable $condition, float $seconds = 20): void
    {
        $deadline = microtime(true) + $seconds;
        while (!$condition()) {
            if (microtime(true) > $deadline) {
                throw new RuntimeException("e2e stack: not up in time; see {$this->dir}");
            }
            usleep(20000);
        }
    }

    public function stop(): void
    {
        if (getmypid() !== $this->owner) {
            return; // a forked client: the stack is its parent's to stop
        }
        foreach (array_reverse($this->procs) as $proc) {
            proc_terminate($proc, 15);
            proc_close($proc);
        }
        $this->procs = [];
        if (isset($this->redisServer)) {
            $this->redisServer->stop(); // SIGKILL, last: nginx and the workers may still talk to it
        }
        if ($this->netns) {
            $this->removeNamespace();
        }
    }
}

/** One HTTP request to the stack: [status, decoded JSON body or raw text]. Status 0: no answer. */
function e2e_http(int $port, string $path, array $form = [], float $timeout = 30): array
{
    $body = http_build_query($form);
    $sock = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, 2);
    if (!$sock) {
        return [0, $errstr];
    }
    stream_set_timeout($sock, (int) ceil($timeout));
    fwrite($sock, "POST $path HTTP/1.0\r\nHost: shop\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        . 'Content-Length: ' . strlen($body) . "\r\n\r\n$body");
    $response = stream_get_contents($sock);
    fclose($sock);
    if (!preg_match('#^HTTP/1\.\d (\d{3})#', (string) $response, $m)) {
        return [0, (string) $response];
    }
    $payload = substr($response, strpos($response, "\r\n\r\n") + 4);
    return [(int) $m[1], json_decode($payload, true) ?? $payload];
}
