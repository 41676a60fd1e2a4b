/* rlock: a semaphore's permits in Redis — restocked, taken by holder ids under a lease (at
 * once, or waiting in line to be handed them), given back, extended, or consumed for good;
 * permits whose lease ended come back by themselves. The engine under RLockSemaphore
 * (src/semaphore.c), on the lock engine's queue and watch (src/queue.c, src/lease.c). Each
 * operation is one script (src/lua/permits-*.lua). Never throws: failures are recorded in
 * cfg->failure. */
#ifndef RLOCK_PERMITS_H
#define RLOCK_PERMITS_H

#include "php.h"
#include "options.h"

/* The semaphore's keys, all in one Cluster slot: its counts and holders, their leases, its
 * waiters, the holders that consumed. */
#define RLOCK_PERMITS_KEYS 4
#define RLOCK_PERMITS_LEASES 1

/* The most permits one call adds, withdraws or takes. */
#define RLOCK_PERMITS_MAX 1000000000

void rlock_permits_keys(zend_string **keys, const zend_string *prefix, const zend_string *name);

/* Adds n permits (a negative n withdraws free ones only); *free: the permits free after it. */
bool rlock_permits_add(rlock_config *cfg, zend_string *const *keys, zend_long n, zend_long *free);
/* *free: the permits free now (those of ended leases come back first). */
bool rlock_permits_free(rlock_config *cfg, zend_string *const *keys, zend_long *free);

/* Takes permits for holder, with a lease of cfg->ttl; wait_ms > 0 queues and sleeps until
 * they are handed over. TAKEN when the holder holds: *held is what this call took, 0 when it
 * held already (through another call) or consumed its permits before; BUSY when not within
 * wait_ms. */
rlock_lease_outcome rlock_permits_take(rlock_config *cfg, zend_string *const *keys, const zend_string *holder,
	zend_long permits, zend_long wait_ms, zend_long *held);

/* 1 done, 0 the holder holds nothing (its lease ended, or it never held), -1 Redis failed. */
int rlock_permits_release(rlock_config *cfg, zend_string *const *keys, const zend_string *holder);
int rlock_permits_consume(rlock_config *cfg, zend_string *const *keys, const zend_string *holder);
int rlock_permits_extend(rlock_config *cfg, zend_string *const *keys, const zend_string *holder, zend_long ttl_ms);

/* Has the watchdog renew the holder's lease every ttl/3; 0 (cfg->failure set) when it cannot.
 * name is the semaphore's, for the watchdog's messages. */
uint64_t rlock_permits_watch(rlock_config *cfg, zend_string *const *keys, const zend_string *holder,
	const zend_string *name);

#endif
