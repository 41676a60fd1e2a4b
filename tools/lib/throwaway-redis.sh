# Sourced by the tools that need throwaway redis-servers on loopback (demo, web demo,
# browser test, bench): free_port, start_redis, stop_redises, shell faces of the one
# launcher (tools/lib/redis-server.php, through tools/lib/redis-server-cli). The servers
# live under $redis_dir; the caller traps stop_redises. $REDIS_PIN, when set, prefixes
# redis-server (bench/run pins it to a CPU with taskset).
redis_dir=$(mktemp -d)
redis_lib=$PWD/tools/lib # the callers source this from the checkout's top

redis_cli() {
    REDIS_PIN="${REDIS_PIN:-}" php -n "$redis_lib/redis-server-cli" "$@" # callers set it unexported
}

free_port() {
    redis_cli port
}

# start_redis NAME [redis-server options...]: starts one, waits until it answers, prints its port.
start_redis() {
    name=$1
    shift
    redis_cli start "$redis_dir/$name" "$@"
}

# Stops every server started here (waiting for each to exit) and removes their files.
stop_redises() {
    for dir in "$redis_dir"/*/; do
        [ -f "$dir/redis.pid" ] && redis_cli stop "$dir"
    done
    rm -rf "$redis_dir"
}
