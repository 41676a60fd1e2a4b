/* rlock: waiting in line — the loop every single-server waiter runs, a lock's (src/single.c)
 * and an idempotency claim's (src/claim.c) alike: listen, try with a place in the queue, sleep
 * until woken or the holder's lease ends, and stop at the deadline. */
#ifndef RLOCK_QUEUE_H
#define RLOCK_QUEUE_H

#include "php.h"
#include "options.h"

typedef enum {
	RLOCK_TRY_SETTLED, /* the try decided (taken, done, failed): the wait is over */
	RLOCK_TRY_BUSY,    /* someone else has it: sleep and try again */
} rlock_try;

typedef struct rlock_waiting {
	rlock_config *cfg;
	const zend_string *key;     /* routed to before each try (a cluster may have moved it) */
	const char *token;          /* the wake-ups meant for us carry it */
	int64_t deadline;           /* monotonic us */
	/* A wake-up after the first try means the lock was handed to us: no second try (not in
	 * a cluster, where PUBLISH counts only one node's subscribers). */
	bool trust_first_wake;
	/* One try, queued as a waiter on channel (the string the try makes of it is the
	 * place to give up later). BUSY: *holder_ms is what the holder has left, -1 unknown. */
	rlock_try (*try_once)(void *self, const char *channel, zend_long *holder_ms);
	void *self;
} rlock_waiting;

typedef enum {
	RLOCK_QUEUE_SETTLED,     /* the last try decided: its own result says how */
	RLOCK_QUEUE_HANDED,      /* a trusted wake-up handed it over (*fence set) */
	RLOCK_QUEUE_DEADLINE,    /* still busy at the deadline */
	RLOCK_QUEUE_INTERRUPTED, /* max_execution_time, or a signal handler that threw or forked */
	RLOCK_QUEUE_FAILED,      /* no route, or no wake-up connection: cfg->failure says why */
} rlock_queue_outcome;

rlock_queue_outcome rlock_queue_wait(rlock_waiting *w, zend_long *fence);

#endif
