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
	bool taken_by_acquire;    /* held since an acquire() call, until release() */
	int sections;             /* synchronized() callbacks running on this object */
	pid_t owner_pid;          /* the process that acquired it; no other may free it */
	char token[RLOCK_TOKEN_BYTES * 2 + 1];
	rlock_lock *prev_held;    /* links in RLOCK_G(held_head) while held */
	rlock_lock *next_held;
	zend_object std;
};

#endif
