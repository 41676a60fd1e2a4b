# Sourced by the tools that need throwaway redis-servers on loopback (demo,
# web demo, bench): free_port, start_redis, stop_redises. The servers live
# under $redis_dir; the caller traps stop_redises. $REDIS_PIN, when set,
# prefixes redis-server (bench/run pins it to a CPU with taskset).
redis_dir=$(mktemp -d)

free_port() {
    php -n -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);'
}

# start_redis NAME [redis-server options...]: starts one, waits until it answers, prints its port.
start_redis() {
    name=$1
    shift
    port=$(free_port)
    mkdir -p "$redis_dir/$name"
    $REDIS_PIN redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$redis_dir/$name" \
        --daemonize yes --pidfile "$redis_dir/$name/redis.pid" --logfile "$redis_dir/$name/redis.log" "$@"
    until redis-cli -p "$port" ping > /dev/null 2>&1; do sleep 0.05; done
    echo "$port"
}

# Stops every server started here (waiting for each to exit) and removes their files.
stop_redises() {
    for file in "$redis_dir"/*/redis.pid; do
        [ -f "$file" ] || continue
        pid=$(cat "$file")
        kill "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    done
    rm -rf "$redis_dir"
}
