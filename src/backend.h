/* rlock: the backend table — where a lock runs (one server, a Redis Cluster, Redlock masters)
 * as a struct of operations, chosen once when a config is built (src/options.c), as php-src's
 * ext/random picks an engine. The lock and idempotency engines call through cfg->backend and
 * never ask which one it is. Every operation leaves cfg->conn->error set when it fails. */
#ifndef RLOCK_BACKEND_H
#define RLOCK_BACKEND_H

#include "php.h"
#include "uri.h"

typedef struct rlock_config rlock_config;
typedef struct rlock_lock rlock_lock;

typedef enum {
	RLOCK_LEASE_TAKEN,  /* ours (taken, extended, released: the operation worked) */
	RLOCK_LEASE_BUSY,   /* someone else's, or no longer ours */
	RLOCK_LEASE_FAILED, /* Redis could not be asked; lock->cfg.conn->error says why */
} rlock_lease_outcome;

typedef struct rlock_backend {
	/* A waiter's first wake-up means a release handed it the lock (or permits) before it woke
	 * us: no second try. Not in a cluster, where a PUBLISH counts one node's subscribers. */
	bool wake_hands_over;

	/* Points cfg->conn at the server that keeps key. */
	zend_result (*route)(rlock_config *cfg, const zend_string *key);

	/* One try for lock->token, given up at once: TAKEN sets lock->fence. */
	rlock_lease_outcome (*take)(rlock_lock *lock);
	/* Queues for a wake-up and sleeps until the lock is ours or deadline (monotonic us) passes. */
	rlock_lease_outcome (*wait)(rlock_lock *lock, int64_t deadline);
	/* Our token again: refreshes the lease of a lock we hold, BUSY if it was lost. */
	rlock_lease_outcome (*refresh)(rlock_lock *lock);
	/* Gives back what a failed or unwanted hold may have taken, keeping the error message. */
	void (*abandon)(rlock_lock *lock);

	/* The owner-checked operations: false when Redis could not tell; *released and
	 * *extended 1 when it was done, *ms -2 when the lock is not ours. */
	bool (*release)(rlock_lock *lock, zend_long *released);
	bool (*extend)(rlock_lock *lock, zend_long ttl_ms, zend_long *extended);
	bool (*remaining)(rlock_lock *lock, zend_long *ms);
	/* DEL of key wherever the lock lives, owner or not: *deleted when one had it. */
	bool (*delete)(rlock_config *cfg, zend_string *key, bool *deleted);

	/* For the watchdog: the servers a lease lives on (renewed each on its own, lost when a
	 * majority is), and those to ask after a failover. Both return how many. */
	int (*lease_servers)(const rlock_config *cfg, const rlock_server **out);
	int (*fallbacks)(const rlock_config *cfg, const rlock_server **out, int max);
} rlock_backend;

extern const rlock_backend rlock_backend_single;  /* src/single.c */
extern const rlock_backend rlock_backend_cluster; /* src/single.c: one server's operations, routed */
extern const rlock_backend rlock_backend_redlock; /* src/redlock.c */

#endif
