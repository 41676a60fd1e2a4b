/* rlock: a lock's lease in Redis — take it (once, or waiting for a wake-up),
 * give it back, extend it, ask about it — and the list of leases this process
 * holds, which request end frees. Where the lock lives is the backend's business
 * (src/backend.h). Never throws: failures are recorded in lock->cfg.failure. */
#include <unistd.h>
#include "php.h"
#include "globals.h"
#include "pid.h"
#include "lease.h"
#include "clock.h"
#include "watchdog.h"
#include "token.h"
#include "scripts.h"
#include "replicas.h"

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
		lock->lost_hold_id = lock->hold_id;
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
	lock->lost_hold_id = lock->hold_id;
	RLOCK_G(stats).lost++;
}

uint64_t rlock_lease_watch_key(rlock_config *cfg, const zend_string *key, const char *token, const char *name,
	zend_long ttl_ms, bool throw_on_loss, const rlock_script *renew)
{
	const rlock_server *servers[RLOCK_FANOUT_MAX];
	const rlock_server *fallbacks[RLOCK_WATCH_FALLBACKS_MAX];
	rlock_watch_request request = {
		servers, cfg->backend->lease_servers(cfg, servers), ZSTR_VAL(key), ZSTR_LEN(key), token, name,
		ttl_ms, cfg->timeouts.read_ms, throw_on_loss, renew,
		fallbacks, cfg->backend->fallbacks(cfg, fallbacks, RLOCK_WATCH_FALLBACKS_MAX)
	};
	char why[RLOCK_FAILURE_MAX] = "the watchdog could not take the lease";
	uint64_t id = rlock_watchdog_watch(&request, why, sizeof(why));

	if (!id) {
		rlock_fail(&cfg->failure, RLOCK_FAILURE_REDIS, "%s", why);
	}
	return id;
}

/* Hands the new lease to the watchdog, when the lock asked for one. */
static zend_result lease_watch(rlock_lock *lock)
{
	if (!lock->cfg.watchdog) {
		return SUCCESS;
	}
	if (lock->watch_id) {
		rlock_watchdog_extended(lock->watch_id, lock->cfg.ttl); /* a refresh of a watched lease */
		return SUCCESS;
	}
	lock->watch_id = rlock_lease_watch_key(&lock->cfg, lock->keys[0], lock->token, ZSTR_VAL(lock->name),
		lock->cfg.ttl, lock->cfg.throw_on_loss, lock->reading ? &rlock_script_read_extend : &rlock_script_extend);
	return lock->watch_id ? SUCCESS : FAILURE;
}

static zend_result lease_new_token(rlock_lock *lock)
{
	if (rlock_random_hex(lock->token, RLOCK_TOKEN_BYTES) == FAILURE) {
		rlock_fail(&lock->cfg.failure, RLOCK_FAILURE_RANDOM, "no random bytes for a lock token");
		return FAILURE;
	}
	return SUCCESS;
}

/* Every operation starts afresh, at the server that keeps the lock. */
static zend_result lease_start(rlock_lock *lock)
{
	rlock_failure_clear(&lock->cfg.failure);
	return lock->cfg.backend->route(&lock->cfg, lock->keys[0]);
}

/* TAKEN once the replicas the config asks for have what was just done to the lease. */
static rlock_lease_outcome lease_replicated(rlock_lock *lock, const char *done)
{
	return rlock_replicas_ack(&lock->cfg, ZSTR_VAL(lock->name), done) == SUCCESS
		? RLOCK_LEASE_TAKEN : RLOCK_LEASE_FAILED;
}

rlock_lease_outcome rlock_lease_restore(rlock_lock *lock)
{
	zend_long ms;

	if (lease_start(lock) == FAILURE || !lock->cfg.backend->remaining(lock, &ms)) {
		return RLOCK_LEASE_FAILED;
	}
	if (ms == -2 && lock->cfg.master_count == 0) {
		lock->reading = true; /* a reader's token? (Redlock has no readers) */
		if (!lock->cfg.backend->remaining(lock, &ms)) {
			return RLOCK_LEASE_FAILED;
		}
		lock->reading = ms != -2;
	}
	if (ms == -2) {
		return RLOCK_LEASE_BUSY; /* a stale or wrong token: owns nothing */
	}
	lease_mark_held(lock);
	if (lease_watch(lock) == FAILURE) {
		lease_unlink(lock); /* still held in Redis: the token's other owners keep it */
		return RLOCK_LEASE_FAILED;
	}
	return RLOCK_LEASE_TAKEN;
}

rlock_lease_outcome rlock_lease_acquire(rlock_lock *lock, zend_long wait_ms)
{
	const rlock_backend *backend = lock->cfg.backend;
	int64_t deadline = rlock_now_us() + (int64_t) wait_ms * 1000;
	rlock_lease_outcome outcome;

	if (lease_start(lock) == FAILURE) {
		return RLOCK_LEASE_FAILED;
	}
	if (rlock_lease_is_ours(lock)) {
		/* Same token: refreshes our lease, or tells us it was lost meanwhile. */
		outcome = backend->refresh(lock);
		if (outcome == RLOCK_LEASE_TAKEN) {
			lease_watch(lock);
			outcome = lease_replicated(lock, "refreshed");
		}
		if (outcome != RLOCK_LEASE_BUSY) {
			return outcome;
		}
		lease_mark_lost(lock);
	}
	if (lease_new_token(lock) == FAILURE) {
		return RLOCK_LEASE_FAILED;
	}
	outcome = wait_ms > 0 ? backend->wait(lock, deadline) : backend->take(lock);
	if (outcome == RLOCK_LEASE_TAKEN && lease_replicated(lock, "taken (and now given back)") == RLOCK_LEASE_FAILED) {
		backend->abandon(lock); /* a lease a failover could hand to another: given back */
		return RLOCK_LEASE_FAILED;
	}
	if (outcome == RLOCK_LEASE_TAKEN) {
		lease_mark_held(lock);
		if (lease_watch(lock) == FAILURE) {
			/* a lease we promised to keep alive but cannot: give it back */
			backend->abandon(lock);
			lease_unlink(lock);
			return RLOCK_LEASE_FAILED;
		}
	} else if (outcome == RLOCK_LEASE_BUSY) {
		RLOCK_G(stats).busy++;
	}
	return outcome;
}

/* Routes to the lock's server and checks it is still ours: TAKEN when the operation may go on. */
static rlock_lease_outcome lease_held_here(rlock_lock *lock)
{
	if (lease_start(lock) == FAILURE) {
		return RLOCK_LEASE_FAILED;
	}
	return rlock_lease_is_ours(lock) ? RLOCK_LEASE_TAKEN : RLOCK_LEASE_BUSY;
}

/* After an owner-checked operation: not done means the lease was not ours any more. */
static rlock_lease_outcome lease_checked(rlock_lock *lock, bool done)
{
	if (!done) {
		lease_mark_lost(lock);
		return RLOCK_LEASE_BUSY;
	}
	return RLOCK_LEASE_TAKEN;
}

rlock_lease_outcome rlock_lease_change_mode(rlock_lock *lock, bool reading)
{
	rlock_lease_outcome outcome = lease_held_here(lock);

	if (outcome != RLOCK_LEASE_TAKEN) {
		return outcome;
	}
	lock->reading = reading;
	lock->changing_mode = true; /* only while our lease lasts: a lapsed one is not changed, it is gone */
	outcome = lock->cfg.backend->refresh(lock);
	lock->changing_mode = false;
	if (outcome != RLOCK_LEASE_TAKEN) {
		zend_long ms;

		lock->reading = !reading; /* refused: still what we were, if our lease lasted */
		/* a demotion is refused only when ours is gone; a promotion also while others read */
		if (outcome == RLOCK_LEASE_BUSY
				&& (reading || (lock->cfg.backend->remaining(lock, &ms) && ms == -2))) {
			lease_mark_lost(lock);
		}
		return outcome;
	}
	if (lock->watch_id) {
		/* renewed by the other mode's script from now on */
		rlock_watchdog_unwatch(lock->watch_id);
		lock->watch_id = 0;
		if (lease_watch(lock) == FAILURE) {
			return RLOCK_LEASE_FAILED;
		}
	}
	return lease_replicated(lock, reading ? "turned into a reader's" : "turned into the writer's");
}

rlock_lease_outcome rlock_lease_release(rlock_lock *lock)
{
	rlock_lease_outcome outcome = lease_held_here(lock);
	zend_long released;

	if (outcome != RLOCK_LEASE_TAKEN) {
		return outcome;
	}
	if (!lock->cfg.backend->release(lock, &released)) {
		return RLOCK_LEASE_FAILED; /* still ours: a retry, or request end, frees it */
	}
	outcome = lease_checked(lock, released);
	if (outcome == RLOCK_LEASE_TAKEN) {
		rlock_lease_forget(lock);
	}
	return outcome;
}

rlock_lease_outcome rlock_lease_extend(rlock_lock *lock, zend_long ttl_ms)
{
	rlock_lease_outcome outcome = lease_held_here(lock);
	zend_long extended;

	if (outcome != RLOCK_LEASE_TAKEN) {
		return outcome;
	}
	if (!lock->cfg.backend->extend(lock, ttl_ms, &extended)) {
		return RLOCK_LEASE_FAILED;
	}
	outcome = lease_checked(lock, extended);
	if (outcome == RLOCK_LEASE_TAKEN && lock->watch_id) {
		rlock_watchdog_extended(lock->watch_id, ttl_ms);
	}
	return outcome == RLOCK_LEASE_TAKEN ? lease_replicated(lock, "extended") : outcome;
}

rlock_lease_outcome rlock_lease_remaining(rlock_lock *lock, zend_long *ms)
{
	rlock_lease_outcome outcome;

	*ms = -2;
	outcome = lease_held_here(lock);
	if (outcome != RLOCK_LEASE_TAKEN) {
		return outcome;
	}
	if (!lock->cfg.backend->remaining(lock, ms)) {
		return RLOCK_LEASE_FAILED;
	}
	return lease_checked(lock, *ms != -2);
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
