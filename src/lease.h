/* rlock: a lock's lease in Redis, and the leases this process holds. */
#ifndef RLOCK_LEASE_H
#define RLOCK_LEASE_H

#include "lock.h"

typedef enum {
	RLOCK_LEASE_TAKEN,  /* ours (taken, extended, released: the operation worked) */
	RLOCK_LEASE_BUSY,   /* someone else's, or no longer ours */
	RLOCK_LEASE_FAILED, /* Redis could not be asked; lock->cfg.conn->error says why */
} rlock_lease_outcome;

/* Held by this process, and not found lost by the watchdog. */
bool rlock_lease_is_ours(rlock_lock *lock);

/* wait_ms 0: one attempt; more: queue and sleep until woken or the deadline. */
rlock_lease_outcome rlock_lease_acquire(rlock_lock *lock, zend_long wait_ms);
/* BUSY when the lease was not ours any more (counted as lost). */
rlock_lease_outcome rlock_lease_release(rlock_lock *lock);
rlock_lease_outcome rlock_lease_extend(rlock_lock *lock, zend_long ttl_ms);
/* *ms: our remaining lease (PTTL), when TAKEN. */
rlock_lease_outcome rlock_lease_remaining(rlock_lock *lock, zend_long *ms);

/* Stops tracking the lock as held, without a word to Redis. */
void rlock_lease_forget(rlock_lock *lock);

/* Request end: frees the auto_release leases this process holds, forgets the rest. */
void rlock_lease_release_held(void);

#endif
