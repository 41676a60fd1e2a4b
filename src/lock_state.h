/* rlock: one lock's state — its config, keys, token and fence, and its place in the list of
 * leases this process holds. The RLock object (src/lock.c), the lease engine (src/lease.c) and
 * the backends (src/single.c, src/redlock.c) all work on it. */
#ifndef RLOCK_LOCK_STATE_H
#define RLOCK_LOCK_STATE_H

#include "php.h"
#include "options.h"

typedef struct rlock_lock rlock_lock;

#define RLOCK_TOKEN_BYTES 16

struct rlock_lock {
	rlock_config cfg;
	zend_string *name;
	zend_string *keys[3];     /* the lock, its wait queue, its fencing counter */
	zend_long fence;          /* fencing token of the current hold, 0 without fencing */
	uint64_t watch_id;        /* the watchdog's handle on this lease, 0 when not watched */
	bool held;                /* our token held the key when we last looked */
	bool lost;                /* the last hold ended by expiry or takeover */
	bool reading;             /* the hold is a reader's lease, shared with other readers */
	bool changing_mode;       /* a promotion or demotion is under way: the scripts take nothing anew */
	pid_t owner_pid;          /* the process that acquired it; no other may free it */
	/* Reentrancy (src/reentry.c): one hold, counted over the objects that share it. */
	int levels;               /* acquisitions through this object not yet released */
	int hold_levels;          /* on the object that took the lease: the levels of all that share it */
	uint32_t hold_id;         /* counts the holds this object took: a guest's tells its own from a later one */
	uint32_t lost_hold_id;    /* the hold_id of the last hold found lost */
	rlock_lock *host;         /* on a guest: the object whose hold it shares (a counted reference) */
	uint32_t host_hold_id;    /* the host's hold_id when the guest joined */
	const void *fiber;        /* the fiber that took the hold; NULL: the main program */
	char token[RLOCK_TOKEN_BYTES * 2 + 1];
	rlock_lock *prev_held;    /* links in RLOCK_G(held_head) while held */
	rlock_lock *next_held;
	zend_object std;
};

#endif
