/* rlock: a lock's lease in Redis — take it (once, or waiting for a wake-up),
 * give it back, extend it, ask about it — and the list of leases this process
 * holds, which request end frees. Never throws: failures leave c->error set. */
#include <unistd.h>
#include "php.h"
#include "php_rlock.h"
#include "pid.h"
#include "lease.h"
#include "scripts.h"
#include "wait.h"
#include "clock.h"
#include "watchdog.h"
#include "token.h"
#include "redlock.h"
#include "cluster.h"

/* The queue scripts' keys: the lock, its queue and its fencing counter, even
 * for a holder that did not ask for fencing: its release or its leaving may
 * hand the lock to a waiter that did, who must get a fresh number. */
#define LEASE_KEYS 3

/* How long a waiter's place in line outlives its own deadline (ms). */
#define RLOCK_WAITER_GRACE_MS 1000

/* ---- which leases this process holds ---- */

static void lease_mark_lost(rlock_lock *lock);

bool rlock_lease_is_ours(rlock_lock *lock)
{
	if (!lock->held || lock->owner_pid != rlock_pid()) {
		return false;
	}
	if (lock->watch_id && rlock_watchdog_is_lost(lock->watch_id)) {
		lease_mark_lost(lock); /* the watchdog saw it go: no need to ask Redis */
		return false;
	}
	return true;
}

static bool lease_unlink(rlock_lock *lock);

static void lease_mark_held(rlock_lock *lock)
{
	RLOCK_G(stats).acquired++;
	if (lock->held && lock->owner_pid == rlock_pid()) {
		return;
	}
	if (lock->held) {
		lease_unlink(lock); /* a fork child taking the lock its parent held: now it is ours */
	}
	lock->held = true;
	lock->lost = false;
	lock->owner_pid = rlock_pid();
	lock->prev_held = NULL;
	lock->next_held = RLOCK_G(held_head);
	if (lock->next_held) {
		lock->next_held->prev_held = lock;
	}
	RLOCK_G(held_head) = lock;
}

/* Stops tracking (and renewing) the lease; true if the watchdog had found it lost. */
static bool lease_unlink(rlock_lock *lock)
{
	bool lost = false;

	if (lock->watch_id) {
		lost = rlock_watchdog_unwatch(lock->watch_id);
		lock->watch_id = 0;
	}
	if (lock->prev_held) {
		lock->prev_held->next_held = lock->next_held;
	} else if (RLOCK_G(held_head) == lock) {
		RLOCK_G(held_head) = lock->next_held;
	}
	if (lock->next_held) {
		lock->next_held->prev_held = lock->prev_held;
	}
	lock->prev_held = lock->next_held = NULL;
	lock->held = false;
	return lost;
}

void rlock_lease_forget(rlock_lock *lock)
{
	if (lock->held && lease_unlink(lock)) {
		lock->lost = true; /* found by the watchdog, never asked about: still counted */
		RLOCK_G(stats).lost++;
	}
}

/* Our lease is gone: someone else's token holds the key, or nobody's. */
static void lease_mark_lost(rlock_lock *lock)
{
	if (lock->held) {
		lease_unlink(lock);
	}
	lock->lost = true;
	RLOCK_G(stats).lost++;
}

/* Hands the new lease to the watchdog, when the lock asked for one. */
static zend_result lease_watch(rlock_lock *lock)
{
	const rlock_server *servers[RLOCK_FANOUT_MAX] = {&lock->cfg.conn->server};
	const rlock_server *seeds[RLOCK_WATCH_FALLBACKS_MAX];
	rlock_watch_request request = {
		servers, 1, ZSTR_VAL(lock->keys[0]), ZSTR_LEN(lock->keys[0]), lock->token,
		ZSTR_VAL(lock->name), lock->cfg.ttl, lock->cfg.timeouts.read_ms, lock->cfg.throw_on_loss,
		&rlock_script_extend, seeds, 0
	};

	if (!lock->cfg.watchdog) {
		return SUCCESS;
	}
	if (lock->cfg.cluster) {
		request.fallback_count = rlock_cluster_contacts(lock->cfg.cluster, seeds, RLOCK_WATCH_FALLBACKS_MAX);
	}
	if (lock->cfg.master_count) {
		/* each master renewed on its own; the lease is lost when a majority is */
		for (int i = 0; i < lock->cfg.master_count; i++) {
			servers[i] = &lock->cfg.masters[i]->server;
		}
		request.server_count = lock->cfg.master_count;
	}
	if (lock->watch_id) {
		rlock_watchdog_extended(lock->watch_id, lock->cfg.ttl); /* a refresh of a watched lease */
		return SUCCESS;
	}
	lock->watch_id = rlock_watchdog_watch(&request, lock->cfg.conn->error, sizeof(lock->cfg.conn->error));
	return lock->watch_id ? SUCCESS : FAILURE;
}

/* ---- round trips ---- */

static zend_result lease_new_token(rlock_lock *lock)
{
	if (rlock_random_hex(lock->token, RLOCK_TOKEN_BYTES) == FAILURE) {
		snprintf(lock->cfg.conn->error, sizeof(lock->cfg.conn->error), "no random bytes for a token");
		return FAILURE;
	}
	return SUCCESS;
}

static void unexpected_reply(rlock_lock *lock, const redisReply *reply)
{
	snprintf(lock->cfg.conn->error, sizeof(lock->cfg.conn->error),
		"unexpected reply type %d from %s", reply->type, lock->cfg.conn->server.display);
}

/* Runs script on the lock's first numkeys keys with ARGV = token, then extra. */
static redisReply *lease_run(rlock_lock *lock, rlock_script *script, int numkeys,
	int extra_argc, const char **extra, const size_t *extra_len)
{
	const char *argv[6] = {lock->token};
	size_t argvlen[6] = {sizeof(lock->token) - 1};

	ZEND_ASSERT(extra_argc < 6);
	for (int i = 0; i < extra_argc; i++) {
		argv[1 + i] = extra[i];
		argvlen[1 + i] = extra_len[i];
	}
	return rlock_script_run(&lock->cfg.conn, &lock->cfg.timeouts, script, numkeys, lock->keys,
		1 + extra_argc, argv, argvlen);
}

/* An integer reply, or false on failure or an unexpected reply. */
static bool lease_run_int(rlock_lock *lock, rlock_script *script, int numkeys,
	int extra_argc, const char **extra, const size_t *extra_len, zend_long *out)
{
	redisReply *reply = lease_run(lock, script, numkeys, extra_argc, extra, extra_len);
	bool ok = reply && reply->type == REDIS_REPLY_INTEGER;

	if (ok) {
		*out = (zend_long) reply->integer;
	} else if (reply) {
		unexpected_reply(lock, reply);
	}
	if (reply) {
		freeReplyObject(reply);
	}
	return ok;
}

/* A {taken, number} reply: the fencing token when taken, else the holder's ms. */
static rlock_lease_outcome lease_pair_reply(rlock_lock *lock, redisReply *reply, zend_long *number)
{
	rlock_lease_outcome outcome = RLOCK_LEASE_FAILED;

	if (!reply) {
		return RLOCK_LEASE_FAILED;
	}
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
			&& reply->element[0]->type == REDIS_REPLY_INTEGER
			&& reply->element[1]->type == REDIS_REPLY_INTEGER) {
		outcome = reply->element[0]->integer ? RLOCK_LEASE_TAKEN : RLOCK_LEASE_BUSY;
		*number = (zend_long) reply->element[1]->integer;
	} else {
		unexpected_reply(lock, reply);
	}
	freeReplyObject(reply);
	return outcome;
}

static void lease_taken(rlock_lock *lock, zend_long fence)
{
	lock->fence = fence;
}

/* The acquire script. Taken: lock->fence is set. Busy: *holder_ttl is the
 * holder's remaining ms. waiter "" does not queue. */
static rlock_lease_outcome lease_attempt(rlock_lock *lock, const char *waiter, zend_long place_ms,
	zend_long *holder_ttl)
{
	char ttl[MAX_LENGTH_OF_LONG], place[MAX_LENGTH_OF_LONG];
	const char *argv[5] = {ttl, waiter, place, lock->cfg.fair ? "1" : "0", lock->cfg.fencing ? "1" : "0"};
	size_t argvlen[5] = {0, strlen(waiter), 0, 1, 1};
	rlock_lease_outcome outcome;
	zend_long number = 0;

	if (lock->cfg.master_count) {
		bool split;

		return rlock_redlock_attempt(lock, waiter, place_ms, holder_ttl, &split);
	}
	argvlen[0] = snprintf(ttl, sizeof(ttl), ZEND_LONG_FMT, lock->cfg.ttl);
	argvlen[2] = snprintf(place, sizeof(place), ZEND_LONG_FMT, place_ms);
	outcome = lease_pair_reply(lock, lease_run(lock, &rlock_script_acquire, LEASE_KEYS, 5, argv, argvlen), &number);
	if (outcome == RLOCK_LEASE_TAKEN) {
		lease_taken(lock, number);
	} else if (outcome == RLOCK_LEASE_BUSY) {
		*holder_ttl = number;
	}
	return outcome;
}

/* The uncontended fast path: a plain SET NX PX, cheaper for Redis than a script.
 * Only a resend after a dropped connection needs the script, to recognise our
 * own token from the first send. */
static rlock_lease_outcome lease_set_nx(rlock_lock *lock)
{
	rlock_conn *c = lock->cfg.conn;
	char ttl[MAX_LENGTH_OF_LONG];
	const char *argv[6] = {"SET", ZSTR_VAL(lock->keys[0]), lock->token, "NX", "PX", ttl};
	size_t argvlen[6] = {3, ZSTR_LEN(lock->keys[0]), sizeof(lock->token) - 1, 2, 2, 0};
	redisReply *reply;
	rlock_lease_outcome outcome = RLOCK_LEASE_FAILED;
	zend_long ignored;

	argvlen[5] = snprintf(ttl, sizeof(ttl), ZEND_LONG_FMT, lock->cfg.ttl);
	reply = rlock_conn_call(&lock->cfg.conn, &lock->cfg.timeouts, 6, argv, argvlen);
	c = lock->cfg.conn; /* the node that answered */
	if (!reply) {
		return RLOCK_LEASE_FAILED;
	}
	if (reply->type == REDIS_REPLY_STATUS) {
		lease_taken(lock, 0);
		outcome = RLOCK_LEASE_TAKEN;
	} else if (reply->type == REDIS_REPLY_NIL) {
		outcome = c->resent ? lease_attempt(lock, "", 0, &ignored) : RLOCK_LEASE_BUSY;
	} else {
		unexpected_reply(lock, reply);
	}
	freeReplyObject(reply);
	return outcome;
}

/* Frees our token's lease (on a majority, with Redlock); *released 0 when it was not ours. */
static bool lease_free(rlock_lock *lock, zend_long *released)
{
	if (lock->cfg.master_count) {
		return rlock_redlock_release(lock, released);
	}
	return lease_run_int(lock, &rlock_script_release, LEASE_KEYS, 0, NULL, NULL, released);
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
		lease_taken(lock, fence);
	}
	return outcome;
}

/* Undoes whatever a failed attempt may have done before its reply was lost, so
 * that nothing outlives the failure but what a TTL ends anyway. */
static void lease_abandon(rlock_lock *lock, const char *waiter)
{
	char error[RLOCK_CONN_ERROR_MAX];
	zend_long ignored;

	if (lock->cfg.conn->connect_failed && !lock->cfg.master_count) {
		return; /* nothing was sent */
	}
	memcpy(error, lock->cfg.conn->error, sizeof(error));
	if (*waiter) {
		lease_give_up(lock, waiter);
	}
	lease_free(lock, &ignored);
	memcpy(lock->cfg.conn->error, error, sizeof(error));
}

/* Queues as a waiter and sleeps until a release hands us the lock, the holder's
 * lease runs out (then we try again), or the deadline passes. One attempt, one
 * wake-up: the cost does not grow with the wait. */
static rlock_lease_outcome lease_wait(rlock_lock *lock, int64_t deadline)
{
	rlock_conn *c = lock->cfg.conn;
	char waiter[sizeof(c->wake_channel) + sizeof(lock->token) + 2 * MAX_LENGTH_OF_LONG + 5];
	/* Our place in line lasts our whole wait and a grace after it: past that,
	 * Redis drops it even if we were killed before we could leave. */
	zend_long place_ms = (deadline - rlock_now_us()) / 1000 + RLOCK_WAITER_GRACE_MS;

	for (;;) {
		int64_t left = deadline - rlock_now_us();
		zend_long holder_ttl = -1, fence = 0;
		rlock_lease_outcome outcome;
		rlock_wake wake;
		int64_t slice;

		/* Listening before queueing: a release right after our attempt still reaches us. */
		if (rlock_wait_ready(c, &lock->cfg.timeouts) == FAILURE) {
			return RLOCK_LEASE_FAILED;
		}
		snprintf(waiter, sizeof(waiter), "%s|%s|" ZEND_LONG_FMT "|" ZEND_LONG_FMT "|%d", c->wake_channel,
			lock->token, lock->cfg.ttl, place_ms, lock->cfg.fencing ? 1 : 0);
		outcome = lease_attempt(lock, waiter, place_ms, &holder_ttl);
		if (outcome == RLOCK_LEASE_FAILED) {
			lease_abandon(lock, waiter);
			return RLOCK_LEASE_FAILED;
		}
		if (outcome == RLOCK_LEASE_TAKEN) {
			return RLOCK_LEASE_TAKEN;
		}
		left = deadline - rlock_now_us();
		if (left <= 0) {
			return lease_give_up(lock, waiter);
		}
		/* A holder that never releases is waited out, not waited for: wake at its expiry. */
		slice = holder_ttl >= 0 ? MIN(left, (int64_t) holder_ttl * 1000 + 1000) : left;
		wake = rlock_wait_for(c, lock->token, slice, &fence);
		if (wake == RLOCK_WAKE_WOKEN && !lock->cfg.cluster) {
			lease_taken(lock, fence);
			return RLOCK_LEASE_TAKEN; /* a release hands the lock over before it wakes us */
		}
		/* In a cluster, PUBLISH reaches every node but counts only the subscribers of
		 * its own, so a hand-over may have been taken back: the next attempt checks. */
		if (wake == RLOCK_WAKE_INTERRUPTED) {
			return lease_give_up(lock, waiter);
		}
	}
}

rlock_lease_outcome rlock_lease_acquire(rlock_lock *lock, zend_long wait_ms)
{
	int64_t deadline = rlock_now_us() + (int64_t) wait_ms * 1000;
	rlock_lease_outcome outcome;
	zend_long ignored;

	if (rlock_config_route(&lock->cfg, lock->keys[0]) == FAILURE) {
		return RLOCK_LEASE_FAILED;
	}
	if (rlock_lease_is_ours(lock)) {
		/* Same token: refreshes our lease, or tells us it was lost meanwhile. */
		outcome = lease_attempt(lock, "", 0, &ignored);
		if (outcome == RLOCK_LEASE_TAKEN) {
			lease_watch(lock);
		}
		if (outcome != RLOCK_LEASE_BUSY) {
			return outcome;
		}
		lease_mark_lost(lock);
	}
	if (lease_new_token(lock) == FAILURE) {
		return RLOCK_LEASE_FAILED;
	}
	if (wait_ms > 0) {
		outcome = lock->cfg.master_count ? rlock_redlock_wait(lock, deadline) : lease_wait(lock, deadline);
	} else if (lock->cfg.fair || lock->cfg.fencing || lock->cfg.master_count) {
		/* fair: never jump the queue; fencing: the number comes with the lock;
		 * Redlock: one attempt on every master */
		outcome = lease_attempt(lock, "", 0, &ignored);
	} else {
		outcome = lease_set_nx(lock);
	}
	if (outcome == RLOCK_LEASE_TAKEN) {
		lease_mark_held(lock);
		if (lease_watch(lock) == FAILURE) {
			/* a lease we promised to keep alive but cannot: give it back */
			lease_abandon(lock, "");
			lease_unlink(lock);
			return RLOCK_LEASE_FAILED;
		}
	} else if (outcome == RLOCK_LEASE_BUSY) {
		RLOCK_G(stats).busy++;
	} else if (wait_ms == 0 && !lock->cfg.master_count) {
		lease_abandon(lock, ""); /* (a Redlock attempt gives back on failure by itself) */
	}
	return outcome;
}

rlock_lease_outcome rlock_lease_release(rlock_lock *lock)
{
	zend_long released;
	if (rlock_config_route(&lock->cfg, lock->keys[0]) == FAILURE) {
		return RLOCK_LEASE_FAILED;
	}

	if (!rlock_lease_is_ours(lock)) {
		return RLOCK_LEASE_BUSY;
	}
	if (!lease_free(lock, &released)) {
		return RLOCK_LEASE_FAILED; /* still ours: a retry, or request end, frees it */
	}
	if (!released) {
		lease_mark_lost(lock);
		return RLOCK_LEASE_BUSY;
	}
	rlock_lease_forget(lock);
	return RLOCK_LEASE_TAKEN;
}

rlock_lease_outcome rlock_lease_extend(rlock_lock *lock, zend_long ttl_ms)
{
	char ttl[MAX_LENGTH_OF_LONG];
	const char *argv[1] = {ttl};
	size_t argvlen[1];
	zend_long extended;
	if (rlock_config_route(&lock->cfg, lock->keys[0]) == FAILURE) {
		return RLOCK_LEASE_FAILED;
	}

	if (!rlock_lease_is_ours(lock)) {
		return RLOCK_LEASE_BUSY;
	}
	argvlen[0] = snprintf(ttl, sizeof(ttl), ZEND_LONG_FMT, ttl_ms);
	if (lock->cfg.master_count ? !rlock_redlock_extend(lock, ttl_ms, &extended)
			: !lease_run_int(lock, &rlock_script_extend, 1, 1, argv, argvlen, &extended)) {
		return RLOCK_LEASE_FAILED;
	}
	if (!extended) {
		lease_mark_lost(lock);
		return RLOCK_LEASE_BUSY;
	}
	if (lock->watch_id) {
		rlock_watchdog_extended(lock->watch_id, ttl_ms);
	}
	return RLOCK_LEASE_TAKEN;
}

rlock_lease_outcome rlock_lease_remaining(rlock_lock *lock, zend_long *ms)
{
	*ms = -2;
	if (rlock_config_route(&lock->cfg, lock->keys[0]) == FAILURE) {
		return RLOCK_LEASE_FAILED;
	}
	if (!rlock_lease_is_ours(lock)) {
		return RLOCK_LEASE_BUSY;
	}
	if (lock->cfg.master_count ? !rlock_redlock_remaining(lock, ms)
			: !lease_run_int(lock, &rlock_script_remaining, 1, 0, NULL, NULL, ms)) {
		return RLOCK_LEASE_FAILED;
	}
	if (*ms == -2) {
		lease_mark_lost(lock);
		return RLOCK_LEASE_BUSY;
	}
	return RLOCK_LEASE_TAKEN;
}

void rlock_lease_release_held(void)
{
	rlock_conn *unreachable[8];
	int n_unreachable = 0;
	rlock_lock *lock;

	while ((lock = RLOCK_G(held_head)) != NULL) {
		bool skip = !rlock_lease_is_ours(lock) || !lock->cfg.auto_release;

		/* One dead server costs one timeout at request end, not one per lock. */
		for (int i = 0; i < n_unreachable && !skip; i++) {
			skip = unreachable[i] == lock->cfg.conn;
		}
		if (!skip) {
			rlock_lease_outcome outcome = rlock_lease_release(lock);

			if (outcome == RLOCK_LEASE_TAKEN) {
				RLOCK_G(stats).auto_released++;
			} else if (outcome == RLOCK_LEASE_FAILED && n_unreachable < 8) {
				unreachable[n_unreachable++] = lock->cfg.conn;
			}
		}
		rlock_lease_forget(lock);
	}
}
