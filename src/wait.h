/* rlock: waking blocked waiters — one pub/sub subscriber connection per worker. */
#ifndef RLOCK_WAIT_H
#define RLOCK_WAIT_H

#include "conn.h"

typedef enum {
	RLOCK_WAKE_TIMEOUT,
	RLOCK_WAKE_WOKEN,
	RLOCK_WAKE_LOST,        /* the subscriber connection broke */
	RLOCK_WAKE_INTERRUPTED, /* max_execution_time, or a signal handler that threw: stop waiting */
} rlock_wake;

/* Makes sure this process listens on its wake channel (c->wake_channel) before
 * it queues as a waiter: a release that follows can then never be missed. */
zend_result rlock_wait_ready(rlock_conn *c, const rlock_timeouts *t);

/* Sleeps until a wake-up "token|fence" arrives (*fence is set) or timeout_us passes. Other
 * messages (left over from earlier waits) are dropped. After RLOCK_WAKE_LOST
 * the next rlock_wait_ready() makes a new subscriber. */
rlock_wake rlock_wait_for(rlock_conn *c, const char *token, int64_t timeout_us, zend_long *fence);

/* A waiter's sleep between two attempts: until a wake-up for token, the deadline (monotonic
 * us), or — when holder_ms >= 0 — a second past the holder's lease end: a holder that never
 * releases is waited out, not waited for. */
rlock_wake rlock_wait_turn(rlock_conn *c, const char *token, int64_t deadline, zend_long holder_ms, zend_long *fence);

#endif
