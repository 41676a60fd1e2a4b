/* rlock: the RLock class — an owner-checked Redis lock held by one process. */
#ifndef RLOCK_LOCK_H
#define RLOCK_LOCK_H

#include "php.h"
#include "options.h"

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

extern zend_class_entry *rlock_ce_lock;

/* Sets up the object handlers once the stub registered the class. */
void rlock_lock_init_class(zend_class_entry *ce);


#endif
