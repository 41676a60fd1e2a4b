/* rlock: the backend for one Redis server, and for a Redis Cluster — the same operations, on
 * the node that serves the lock's slot. Each operation is one script (src/lua/) or, for an
 * uncontended acquire, a plain SET NX PX; a waiter queues and sleeps until a release hands
 * it the lock (src/wait.c). */
#include "php.h"
#include "backend.h"
#include "lock_state.h"
#include "scripts.h"
#include "queue.h"
#include "clock.h"
#include "pid.h"
#include "cluster.h"
#include "answer.h"

/* The queue scripts' keys: the lock, its queue and its fencing counter, even
 * for a holder that did not ask for fencing: its release or its leaving may
 * hand the lock to a waiter that did, who must get a fresh number. */
#define LEASE_KEYS 3
#define LEASE_ARGS_MAX 7

/* How long a waiter's place in line outlives its own deadline (ms). */
#define RLOCK_WAITER_GRACE_MS 1000

/* ARGV for the lease scripts: token, then extra. Returns the count. */
static int lease_args(const rlock_lock *lock, int extra_argc, const char **extra, const size_t *extra_len,
	const char **argv, size_t *argvlen)
{
	ZEND_ASSERT(extra_argc < LEASE_ARGS_MAX);
	argv[0] = lock->token;
	argvlen[0] = sizeof(lock->token) - 1;
	for (int i = 0; i < extra_argc; i++) {
		argv[1 + i] = extra[i];
		argvlen[1 + i] = extra_len[i];
	}
	return 1 + extra_argc;
}

/* Runs script on the lock's first numkeys keys with ARGV = token, then extra. */
static redisReply *lease_run(rlock_lock *lock, rlock_script *script, int numkeys,
	int extra_argc, const char **extra, const size_t *extra_len)
{
	const char *argv[LEASE_ARGS_MAX];
	size_t argvlen[LEASE_ARGS_MAX];
	int argc = lease_args(lock, extra_argc, extra, extra_len, argv, argvlen);

	return rlock_answered(&lock->cfg,
		rlock_script_run(&lock->cfg.conn, &lock->cfg.timeouts, script, numkeys, lock->keys, argc, argv, argvlen));
}

/* The same script, sent ahead of the next command on the lock's connection. */
static void lease_defer(rlock_lock *lock, rlock_script *script, int extra_argc, const char **extra,
	const size_t *extra_len)
{
	const char *argv[LEASE_ARGS_MAX];
	size_t argvlen[LEASE_ARGS_MAX];
	int argc = lease_args(lock, extra_argc, extra, extra_len, argv, argvlen);

	rlock_script_defer(lock->cfg.conn, script, LEASE_KEYS, lock->keys, argc, argv, argvlen);
}

/* The script for what the lock holds: write (the lock itself) or read (a reader's lease). */
static rlock_script *for_mode(const rlock_lock *lock, rlock_script *write, rlock_script *read)
{
	return lock->reading ? read : write;
}

/* An integer reply, or false on failure or an unexpected reply. */
static bool lease_run_int(rlock_lock *lock, rlock_script *script, int numkeys,
	int extra_argc, const char **extra, const size_t *extra_len, zend_long *out)
{
	return rlock_answer_int(&lock->cfg, lease_run(lock, script, numkeys, extra_argc, extra, extra_len), "lock script",
		out);
}

/* A {taken, number} reply: the fencing token when taken, else the holder's ms. */
static rlock_lease_outcome lease_pair_reply(rlock_lock *lock, redisReply *reply, zend_long *number)
{
	return rlock_answer_pair(&lock->cfg, reply, "lock script", number);
}

/* The acquire script (to read, when lock->reading). Taken: lock->fence is set. Busy:
 * *holder_ttl is the ms until the holder's lease ends. waiter "" does not queue. */
static rlock_lease_outcome lease_attempt(rlock_lock *lock, const char *waiter, zend_long place_ms,
	zend_long *holder_ttl)
{
	char ttl[MAX_LENGTH_OF_LONG], place[MAX_LENGTH_OF_LONG];
	const char *argv[6] = {ttl, waiter, place, lock->cfg.fair ? "1" : "0", lock->cfg.fencing ? "1" : "0",
		lock->changing_mode ? "1" : "0"};
	size_t argvlen[6] = {0, strlen(waiter), 0, 1, 1, 1};
	rlock_lease_outcome outcome;
	zend_long number = 0;

	argvlen[0] = snprintf(ttl, sizeof(ttl), ZEND_LONG_FMT, lock->cfg.ttl);
	argvlen[2] = snprintf(place, sizeof(place), ZEND_LONG_FMT, place_ms);
	outcome = lease_pair_reply(lock,
		lease_run(lock, for_mode(lock, &rlock_script_acquire, &rlock_script_read_acquire), LEASE_KEYS, 6, argv, argvlen),
		&number);
	if (outcome == RLOCK_LEASE_TAKEN) {
		lock->fence = number;
	} else if (outcome == RLOCK_LEASE_BUSY) {
		*holder_ttl = number;
	}
	return outcome;
}

static rlock_lease_outcome single_refresh(rlock_lock *lock)
{
	zend_long ignored;

	return lease_attempt(lock, "", 0, &ignored);
}

/* The uncontended fast path: a plain SET NX PX, cheaper for Redis than a script.
 * Only a resend after a dropped connection needs the script, to recognise our
 * own token from the first send. */
static rlock_lease_outcome lease_set_nx(rlock_lock *lock)
{
	char ttl[MAX_LENGTH_OF_LONG];
	const char *argv[6] = {"SET", ZSTR_VAL(lock->keys[0]), lock->token, "NX", "PX", ttl};
	size_t argvlen[6] = {3, ZSTR_LEN(lock->keys[0]), sizeof(lock->token) - 1, 2, 2, 0};
	redisReply *reply;
	rlock_lease_outcome outcome = RLOCK_LEASE_FAILED;

	argvlen[5] = snprintf(ttl, sizeof(ttl), ZEND_LONG_FMT, lock->cfg.ttl);
	reply = rlock_answered(&lock->cfg, rlock_cluster_call(&lock->cfg.conn, &lock->cfg.timeouts, 6, argv, argvlen));
	if (!reply) {
		return RLOCK_LEASE_FAILED;
	}
	if (rlock_reply_is_status(reply)) {
		lock->fence = 0;
		outcome = RLOCK_LEASE_TAKEN;
	} else if (rlock_reply_is_nil(reply)) {
		outcome = lock->cfg.conn->resent ? single_refresh(lock) : RLOCK_LEASE_BUSY;
	} else {
		rlock_answer_unexpected(&lock->cfg, reply, "SET NX");
	}
	freeReplyObject(reply);
	return outcome;
}

static bool single_release(rlock_lock *lock, zend_long *released)
{
	return lease_run_int(lock, for_mode(lock, &rlock_script_release, &rlock_script_read_release), LEASE_KEYS, 0, NULL,
		NULL, released);
}

/* Leaves the wait queue at our deadline; the lock may have been handed to us meanwhile. */
static rlock_lease_outcome lease_give_up(rlock_lock *lock, const char *waiter)
{
	const char *argv[2] = {waiter, lock->cfg.fencing ? "1" : "0"};
	size_t argvlen[2] = {strlen(waiter), 1};
	zend_long fence = 0;
	rlock_lease_outcome outcome;

	outcome = lease_pair_reply(lock, lease_run(lock, &rlock_script_leave, LEASE_KEYS, 2, argv, argvlen), &fence);
	if (outcome == RLOCK_LEASE_TAKEN) {
		lock->fence = fence;
	}
	return outcome;
}

/* Undoes whatever a failed attempt may have done before its reply was lost, so
 * that nothing outlives the failure but what a TTL ends anyway. */
static void lease_abandon(rlock_lock *lock, const char *waiter)
{
	zend_long ignored;

	if (lock->cfg.conn->connect_failed) {
		return; /* nothing was sent */
	}
	if (lock->cfg.conn->timed_out) {
		/* a silent server: undoing it now would cost a second read_timeout */
		if (*waiter) {
			const char *argv[2] = {waiter, "0"};
			size_t argvlen[2] = {strlen(waiter), 1};

			lease_defer(lock, &rlock_script_leave, 2, argv, argvlen);
		}
		lease_defer(lock, for_mode(lock, &rlock_script_release, &rlock_script_read_release), 0, NULL, NULL);
		return;
	}
	if (*waiter) {
		lease_give_up(lock, waiter);
	}
	single_release(lock, &ignored);
}

static void single_abandon(rlock_lock *lock)
{
	lease_abandon(lock, "");
}

/* fair: never jump the queue; fencing: the number comes with the lock; reading: readers share
 * it (the script does all three) */
static rlock_lease_outcome single_take(rlock_lock *lock)
{
	rlock_lease_outcome outcome = lock->cfg.fair || lock->cfg.fencing || lock->reading
		? single_refresh(lock) : lease_set_nx(lock);

	if (outcome == RLOCK_LEASE_FAILED) {
		lease_abandon(lock, "");
	}
	return outcome;
}

/* A waiter's try: the acquire script with our place in line. */
typedef struct lease_try {
	rlock_lock *lock;
	zend_long place_ms;
	char waiter[RLOCK_WAKE_CHANNEL_MAX + RLOCK_TOKEN_BYTES * 2 + 2 * MAX_LENGTH_OF_LONG + 8];
	rlock_lease_outcome outcome;
} lease_try;

static rlock_try lease_try_queued(void *self, const char *channel, zend_long *holder_ms)
{
	lease_try *t = self;
	rlock_lock *lock = t->lock;

	snprintf(t->waiter, sizeof(t->waiter), "%s|%s|" ZEND_LONG_FMT "|" ZEND_LONG_FMT "|%c", channel,
		lock->token, lock->cfg.ttl, t->place_ms, lock->reading ? 'r' : lock->cfg.fencing ? '1' : '0');
	t->outcome = lease_attempt(lock, t->waiter, t->place_ms, holder_ms);
	if (t->outcome == RLOCK_LEASE_FAILED) {
		lease_abandon(lock, t->waiter);
	}
	return t->outcome == RLOCK_LEASE_BUSY ? RLOCK_TRY_BUSY : RLOCK_TRY_SETTLED;
}

/* Queues as a waiter and sleeps until a release hands us the lock, the holder's
 * lease runs out (then we try again), or the deadline passes. */
static rlock_lease_outcome single_wait(rlock_lock *lock, int64_t deadline)
{
	/* Our place in line lasts our whole wait and a grace after it: past that,
	 * Redis drops it even if we were killed before we could leave. */
	lease_try t = {lock, (deadline - rlock_now_us()) / 1000 + RLOCK_WAITER_GRACE_MS, "", RLOCK_LEASE_FAILED};
	rlock_waiting w = {&lock->cfg, lock->keys[0], lock->token, deadline, lock->cfg.backend->wake_hands_over,
		lease_try_queued, &t};
	pid_t waiting = rlock_pid();
	zend_long fence = 0;

	switch (rlock_queue_wait(&w, &fence)) {
	case RLOCK_QUEUE_SETTLED:
		return t.outcome;
	case RLOCK_QUEUE_HANDED:
		lock->fence = fence;
		return RLOCK_LEASE_TAKEN;
	case RLOCK_QUEUE_DEADLINE:
		return lease_give_up(lock, t.waiter);
	case RLOCK_QUEUE_INTERRUPTED:
		/* a fork child (made by a signal handler) leaves its parent's place in line alone */
		return rlock_pid() == waiting ? lease_give_up(lock, t.waiter) : RLOCK_LEASE_BUSY;
	default:
		return RLOCK_LEASE_FAILED;
	}
}

static bool single_extend(rlock_lock *lock, zend_long ttl_ms, zend_long *extended)
{
	char ttl[MAX_LENGTH_OF_LONG];
	const char *argv[1] = {ttl};
	size_t argvlen[1];

	argvlen[0] = snprintf(ttl, sizeof(ttl), ZEND_LONG_FMT, ttl_ms);
	return lease_run_int(lock, for_mode(lock, &rlock_script_extend, &rlock_script_read_extend), 1, 1, argv, argvlen,
		extended);
}

static bool single_remaining(rlock_lock *lock, zend_long *ms)
{
	return lease_run_int(lock, for_mode(lock, &rlock_script_remaining, &rlock_script_read_remaining), 1, 0, NULL, NULL,
		ms);
}

static bool single_delete(rlock_config *cfg, zend_string *key, bool *deleted)
{
	const char *argv[2] = {"DEL", ZSTR_VAL(key)};
	size_t argvlen[2] = {3, ZSTR_LEN(key)};
	redisReply *reply;
	long long n = 0;

	if (cfg->backend->route(cfg, key) == FAILURE
			|| !(reply = rlock_answered(cfg, rlock_cluster_call(&cfg->conn, &cfg->timeouts, 2, argv, argvlen)))) {
		return false;
	}
	*deleted = rlock_reply_int(reply, &n) && n > 0;
	freeReplyObject(reply);
	return true;
}

static zend_result single_route(rlock_config *cfg, const zend_string *key)
{
	return SUCCESS; /* one server keeps every key */
}

static zend_result cluster_route(rlock_config *cfg, const zend_string *key)
{
	rlock_conn *node = rlock_cluster_route(cfg->cluster, key, &cfg->timeouts);

	if (!node) {
		cfg->conn = cfg->cluster->seeds[0]; /* which carries the error */
		rlock_conn_report(cfg->conn, &cfg->failure);
		return FAILURE;
	}
	cfg->conn = node;
	return SUCCESS;
}

static int single_lease_servers(const rlock_config *cfg, const rlock_server **out)
{
	out[0] = &cfg->conn->server;
	return 1;
}

static int single_fallbacks(const rlock_config *cfg, const rlock_server **out, int max)
{
	return 0;
}

static int cluster_fallbacks(const rlock_config *cfg, const rlock_server **out, int max)
{
	return rlock_cluster_contacts(cfg->cluster, out, max);
}

const rlock_backend rlock_backend_single = {
	true, single_route, single_take, single_wait, single_refresh, single_abandon,
	single_release, single_extend, single_remaining, single_delete,
	single_lease_servers, single_fallbacks,
};

const rlock_backend rlock_backend_cluster = {
	false, cluster_route, single_take, single_wait, single_refresh, single_abandon,
	single_release, single_extend, single_remaining, single_delete,
	single_lease_servers, cluster_fallbacks,
};
