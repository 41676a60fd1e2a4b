/* rlock: reentrancy. A lock held by one owner — a process, and the fiber in it that took the
 * lock — is taken again at once by that owner, through the same RLock or another one for the
 * same key on the same servers, and given back at the last release: code that locks an
 * account may call a helper that locks it too. The lease is its host's (the object that took
 * it); the others are guests and hold a reference on it, so the host outlives them. A fork
 * child is never the same owner (src/lease.c: a lease is ours only in the process that took it). */
#include "php.h"
#include "zend_fibers.h"
#include "globals.h"
#include "reentry.h"
#include "lease.h"

static const void *current_fiber(void)
{
	return EG(active_fiber);
}

/* The host's hold is still the one the guest joined, and still ours. */
static bool hold_alive(rlock_lock *host, uint32_t hold_id)
{
	/* at shutdown the host may be freed before its guests */
	return !(OBJ_FLAGS(&host->std) & IS_OBJ_FREE_CALLED) && host->hold_id == hold_id
		&& host->hold_levels > 0 && rlock_lease_is_ours(host);
}

rlock_lock *rlock_reentry_current(rlock_lock *lock)
{
	if (lock->levels <= 0) {
		return NULL;
	}
	if (lock->host) {
		return hold_alive(lock->host, lock->host_hold_id) ? lock->host : NULL;
	}
	return rlock_lease_is_ours(lock) ? lock : NULL;
}

bool rlock_reentry_held_by_other_fiber(rlock_lock *lock)
{
	rlock_lock *hold = rlock_reentry_current(lock);

	return hold && hold->fiber != current_fiber();
}

/* A hold other took itself, that lock may share: to read, any; to write, a writer's. */
static bool shares(rlock_lock *lock, rlock_lock *other, bool reading)
{
	return (reading || !other->reading) && other->cfg.reentrant && other->fiber == current_fiber() && hold_alive(other, other->hold_id)
		&& zend_string_equals(other->keys[0], lock->keys[0]) && rlock_config_same_servers(&other->cfg, &lock->cfg);
}

rlock_lock *rlock_reentry_find_token(rlock_lock *lock)
{
	for (rlock_lock *hold = RLOCK_G(held_head); hold; hold = hold->next_held) {
		if (hold_alive(hold, hold->hold_id) && strcmp(hold->token, lock->token) == 0
				&& zend_string_equals(hold->keys[0], lock->keys[0]) && rlock_config_same_servers(&hold->cfg, &lock->cfg)) {
			return hold;
		}
	}
	return NULL;
}

rlock_lock *rlock_reentry_find(rlock_lock *lock, bool reading)
{
	rlock_lock *hold = rlock_reentry_current(lock);

	if (hold || !lock->cfg.reentrant) {
		return hold;
	}
	/* its own hold first: a host whose levels its guests still count */
	if (shares(lock, lock, reading)) {
		return lock;
	}
	for (hold = RLOCK_G(held_head); hold; hold = hold->next_held) {
		if (shares(lock, hold, reading)) {
			return hold;
		}
	}
	return NULL;
}

void rlock_reentry_begin(rlock_lock *lock)
{
	rlock_reentry_detach(lock);
	lock->hold_id++;
	lock->levels = lock->hold_levels = 1;
	lock->fiber = current_fiber();
}

void rlock_reentry_join(rlock_lock *lock, rlock_lock *hold)
{
	if (hold != lock && (lock->host != hold || lock->host_hold_id != hold->hold_id)) {
		rlock_reentry_detach(lock);
		GC_ADDREF(&hold->std);
		lock->host = hold;
		lock->host_hold_id = hold->hold_id;
	}
	lock->levels++;
	hold->hold_levels++;
}

bool rlock_reentry_leave(rlock_lock *lock, rlock_lock *hold)
{
	lock->levels--;
	return --hold->hold_levels == 0;
}

bool rlock_reentry_leave_all(rlock_lock *lock, rlock_lock *hold)
{
	hold->hold_levels -= lock->levels;
	lock->levels = 0;
	return hold->hold_levels == 0;
}

void rlock_reentry_undo_leave(rlock_lock *lock, rlock_lock *hold)
{
	lock->levels++;
	hold->hold_levels++;
}

void rlock_reentry_detach(rlock_lock *lock)
{
	rlock_lock *host = lock->host;

	lock->levels = 0;
	if (host) {
		lock->host = NULL;
		OBJ_RELEASE(&host->std);
	}
}
