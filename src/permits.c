/* rlock: a semaphore's permits in Redis (see permits.h).
 *
 * The counts, the holders and their leases live in Redis only, so that every worker and every
 * restart sees one truth: free + held + consumed is what was added, always. A holder id names
 * one reservation: taking for it again takes nothing more, and any process may release, extend
 * or consume it. Waiters queue as lock waiters do; a release, a restock or a lease found ended
 * hands the permits to the first in line and wakes it. */
#include "php.h"
#include "permits.h"
#include "keys.h"
#include "lease.h"
#include "queue.h"
#include "scripts.h"
#include "token.h"
#include "clock.h"
#include "pid.h"
#include "answer.h"

/* How long a waiter's place in line outlives its wait (ms). */
#define WAITER_GRACE_MS 1000
#define WAIT_TOKEN_BYTES 16

void rlock_permits_keys(zend_string **keys, const zend_string *prefix, const zend_string *name)
{
	keys[0] = rlock_lock_key(prefix, name, RLOCK_KEY_PERMITS);
	keys[RLOCK_PERMITS_LEASES] = rlock_lock_key(prefix, name, RLOCK_KEY_PERMITS_LEASES);
	keys[2] = rlock_lock_key(prefix, name, RLOCK_KEY_PERMITS_QUEUE);
	keys[3] = rlock_lock_key(prefix, name, RLOCK_KEY_PERMITS_SOLD);
}

/* The script's reply at the semaphore's node, or NULL with the failure recorded. */
static redisReply *permits_run(rlock_config *cfg, zend_string *const *keys, rlock_script *script, int numkeys,
	int argc, const char **argv, const size_t *argvlen)
{
	if (cfg->backend->route(cfg, keys[0]) == FAILURE) {
		return NULL;
	}
	return rlock_answered(cfg, rlock_script_run(&cfg->conn, &cfg->timeouts, script, numkeys, keys, argc, argv, argvlen));
}

/* A 0/1 reply: 1, 0, or -1 when Redis failed. */
static int permits_flag(rlock_config *cfg, redisReply *reply, const char *script)
{
	zend_long done;

	return rlock_answer_int(cfg, reply, script, &done) ? done == 1 : -1;
}

/* One operation: script on the first numkeys of keys with ARGV [holder] [number] (each only when
 * given), its failure recorded as the operation's. */
static redisReply *permits_call(rlock_config *cfg, zend_string *const *keys, int numkeys, rlock_script *script,
	const zend_string *holder, const zend_long *number)
{
	char text[MAX_LENGTH_OF_LONG];
	const char *argv[2];
	size_t argvlen[2];
	int argc = 0;

	if (holder) {
		argv[argc] = ZSTR_VAL(holder);
		argvlen[argc++] = ZSTR_LEN(holder);
	}
	if (number) {
		argv[argc] = text;
		argvlen[argc++] = snprintf(text, sizeof(text), ZEND_LONG_FMT, *number);
	}
	rlock_failure_clear(&cfg->failure);
	return permits_run(cfg, keys, script, numkeys, argc, argv, argvlen);
}

bool rlock_permits_add(rlock_config *cfg, zend_string *const *keys, zend_long n, zend_long *free)
{
	return rlock_answer_int(cfg, permits_call(cfg, keys, RLOCK_PERMITS_KEYS, &rlock_script_permits_add, NULL, &n),
		"semaphore's restock script", free);
}

bool rlock_permits_free(rlock_config *cfg, zend_string *const *keys, zend_long *free)
{
	return rlock_answer_int(cfg,
		permits_call(cfg, keys, RLOCK_PERMITS_KEYS, &rlock_script_permits_available, NULL, NULL),
		"semaphore's available script", free);
}

/* The holder's permits: given back, or consumed for good (sold holders are remembered for
 * cfg->retention ms). */
int rlock_permits_release(rlock_config *cfg, zend_string *const *keys, const zend_string *holder)
{
	return permits_flag(cfg, permits_call(cfg, keys, RLOCK_PERMITS_KEYS, &rlock_script_permits_release, holder, NULL),
		"semaphore's release script");
}

int rlock_permits_consume(rlock_config *cfg, zend_string *const *keys, const zend_string *holder)
{
	return permits_flag(cfg,
		permits_call(cfg, keys, RLOCK_PERMITS_KEYS, &rlock_script_permits_consume, holder, &cfg->retention),
		"semaphore's consume script");
}

int rlock_permits_extend(rlock_config *cfg, zend_string *const *keys, const zend_string *holder, zend_long ttl_ms)
{
	/* the extend script takes the leases only (as the watchdog's renewal does): same slot */
	return permits_flag(cfg,
		permits_call(cfg, keys + RLOCK_PERMITS_LEASES, 1, &rlock_script_permits_extend, holder, &ttl_ms),
		"semaphore's extend script");
}

uint64_t rlock_permits_watch(rlock_config *cfg, zend_string *const *keys, const zend_string *holder,
	const zend_string *name)
{
	return rlock_lease_watch_key(cfg, keys[RLOCK_PERMITS_LEASES], ZSTR_VAL(holder), ZSTR_VAL(name), cfg->ttl,
		false, &rlock_script_permits_extend);
}

/* ---- taking permits ---- */

/* One take: the acquire script, queued as a waiter on channel when channel is not NULL. */
typedef struct permits_try {
	rlock_config *cfg;
	zend_string *const *keys;
	const zend_string *holder;
	zend_long permits;
	zend_long place_ms;
	char token[WAIT_TOKEN_BYTES * 2 + 1];
	zend_string *waiter;
	zend_long held;
	rlock_lease_outcome outcome;
} permits_try;

/* "channel|token|permits|ttl|ms|holder": the holder last, as it may hold any byte but NUL. */
static zend_string *waiter_entry(const permits_try *t, const char *channel)
{
	return zend_strpprintf(0, "%s|%s|" ZEND_LONG_FMT "|" ZEND_LONG_FMT "|" ZEND_LONG_FMT "|%s", channel, t->token,
		t->permits, t->cfg->ttl, t->place_ms, ZSTR_VAL(t->holder));
}

/* Leaves the line, after a failed try (sent ahead of the next command when Redis went silent)
 * or at the deadline: TAKEN when the permits were handed to the holder as it gave up. */
static rlock_lease_outcome permits_leave(permits_try *t, bool failed)
{
	const char *argv[2] = {ZSTR_VAL(t->holder), ZSTR_VAL(t->waiter)};
	size_t argvlen[2] = {ZSTR_LEN(t->holder), ZSTR_LEN(t->waiter)};

	if (failed) {
		if (t->cfg->conn->timed_out) {
			rlock_script_defer(t->cfg->conn, &rlock_script_permits_leave, RLOCK_PERMITS_KEYS, t->keys, 2, argv, argvlen);
		} else if (!t->cfg->conn->connect_failed) {
			/* the try's failure stays the one reported: the first cause recorded wins */
			redisReply *reply = permits_run(t->cfg, t->keys, &rlock_script_permits_leave, RLOCK_PERMITS_KEYS, 2,
				argv, argvlen);

			if (reply) {
				freeReplyObject(reply);
			}
		}
		return RLOCK_LEASE_FAILED;
	}
	return rlock_answer_pair(t->cfg, permits_run(t->cfg, t->keys, &rlock_script_permits_leave, RLOCK_PERMITS_KEYS, 2, argv,
		argvlen), "semaphore's leave script", &t->held);
}

static rlock_try permits_try_once(void *self, const char *channel, zend_long *holder_ms)
{
	permits_try *t = self;
	char permits[MAX_LENGTH_OF_LONG], ttl[MAX_LENGTH_OF_LONG], place[MAX_LENGTH_OF_LONG];
	const char *argv[5] = {ZSTR_VAL(t->holder), permits, ttl, "", place};
	size_t argvlen[5] = {ZSTR_LEN(t->holder), 0, 0, 0, 0};
	zend_long number = -1;

	argvlen[1] = snprintf(permits, sizeof(permits), ZEND_LONG_FMT, t->permits);
	argvlen[2] = snprintf(ttl, sizeof(ttl), ZEND_LONG_FMT, t->cfg->ttl);
	argvlen[4] = snprintf(place, sizeof(place), ZEND_LONG_FMT, t->place_ms);
	if (channel && !t->waiter) {
		t->waiter = waiter_entry(t, channel);
	}
	if (t->waiter) {
		argv[3] = ZSTR_VAL(t->waiter);
		argvlen[3] = ZSTR_LEN(t->waiter);
	}
	t->outcome = rlock_answer_pair(t->cfg, permits_run(t->cfg, t->keys, &rlock_script_permits_acquire, RLOCK_PERMITS_KEYS,
		5, argv, argvlen), "semaphore's acquire script", &number);
	if (t->outcome == RLOCK_LEASE_TAKEN) {
		t->held = number;
	} else if (t->outcome == RLOCK_LEASE_BUSY) {
		*holder_ms = number;
	} else if (t->waiter) {
		permits_leave(t, true);
	}
	return t->outcome == RLOCK_LEASE_BUSY ? RLOCK_TRY_BUSY : RLOCK_TRY_SETTLED;
}

/* Queues and sleeps until a release (restock, ended lease) hands the permits over, or the
 * deadline passes; woken, never polling. */
static rlock_lease_outcome permits_wait(permits_try *t, int64_t deadline)
{
	rlock_waiting w = {t->cfg, t->keys[0], t->token, deadline, t->cfg->backend->wake_hands_over, permits_try_once, t};
	pid_t waiting = rlock_pid();
	zend_long handed = 0;

	switch (rlock_queue_wait(&w, &handed)) {
	case RLOCK_QUEUE_SETTLED:
		return t->outcome;
	case RLOCK_QUEUE_HANDED:
		t->held = handed; /* what the wake-up says was taken for us: 0 when the holder held already */
		return RLOCK_LEASE_TAKEN;
	case RLOCK_QUEUE_DEADLINE:
		return permits_leave(t, false);
	case RLOCK_QUEUE_INTERRUPTED:
		/* a fork child (made by a signal handler) leaves its parent's place in line alone */
		return rlock_pid() == waiting ? permits_leave(t, false) : RLOCK_LEASE_BUSY;
	default:
		return RLOCK_LEASE_FAILED;
	}
}

rlock_lease_outcome rlock_permits_take(rlock_config *cfg, zend_string *const *keys, const zend_string *holder,
	zend_long permits, zend_long wait_ms, zend_long *held)
{
	permits_try t = {cfg, keys, holder, permits, wait_ms + WAITER_GRACE_MS, "", NULL, 0, RLOCK_LEASE_FAILED};
	rlock_lease_outcome outcome;
	zend_long ignored;

	rlock_failure_clear(&cfg->failure);
	if (wait_ms == 0) {
		permits_try_once(&t, NULL, &ignored);
		outcome = t.outcome;
	} else if (rlock_random_hex(t.token, WAIT_TOKEN_BYTES) == FAILURE) {
		rlock_fail(&cfg->failure, RLOCK_FAILURE_RANDOM, "no random bytes for a waiter's token");
		outcome = RLOCK_LEASE_FAILED;
	} else {
		outcome = permits_wait(&t, rlock_now_us() + (int64_t) wait_ms * 1000);
	}
	if (t.waiter) {
		zend_string_release(t.waiter);
	}
	*held = t.held;
	return outcome;
}
