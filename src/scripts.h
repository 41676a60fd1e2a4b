/* rlock: the Lua scripts that make each lock operation one atomic round trip. */
#ifndef RLOCK_SCRIPTS_H
#define RLOCK_SCRIPTS_H

#include "conn.h"
#include "protocol.h"

/* The queue scripts take KEYS lock, queue, fence (see src/lua/). */

/* ARGV token, ttl, waiter, the waiter's ms, fair, fencing: {1, fencing token or 0}
 * when the lock is ours (taken, or already ours: a retry is safe), else {0, the
 * holder's remaining ms}; a non-empty waiter is queued (or kept in line). */
extern rlock_script rlock_script_acquire;
/* ARGV token: 1 when our token held the lock and it was freed — and handed to
 * the first live waiter, if any — else 0. */
extern rlock_script rlock_script_release;
/* ARGV token, waiter, fencing: leaves the queue; {1, fence} when the lock was
 * handed to us meanwhile, else {0, 0}. */
extern rlock_script rlock_script_leave;

/* These take KEYS lock only. */
/* ARGV token, ttl: 1 when our token holds it and the lease was reset, else 0. */
extern rlock_script rlock_script_extend;
/* ARGV token: our remaining ms (PTTL), or -2 when our token does not hold it. */
extern rlock_script rlock_script_remaining;
/* The same four for a reader's lease (src/lua/read-*.lua): readers share the lock, a writer waits
 * for them, and a waiting writer keeps new readers out. */
extern rlock_script rlock_script_read_acquire;
extern rlock_script rlock_script_read_release;
extern rlock_script rlock_script_read_extend;
extern rlock_script rlock_script_read_remaining;

/* Redlock, on each master: KEYS lock, waiters (see src/lua/). */
extern rlock_script rlock_script_redlock_acquire;
extern rlock_script rlock_script_redlock_release;
/* KEYS fence; ARGV token number: raises the counter to it. */
extern rlock_script rlock_script_redlock_raise;

/* RLockIdempotency: KEYS record, waiters (see src/lua/). */
extern rlock_script rlock_script_claim;
extern rlock_script rlock_script_finish;
extern rlock_script rlock_script_abort;
/* KEYS record; ARGV token, lease ms: the watchdog's renewal of a running claim. */
extern rlock_script rlock_script_claim_renew;

/* RLockSemaphore: KEYS sem, leases, queue, sold (see src/lua/permits*.lua). */
/* ARGV n: the permits free after the restock. */
extern rlock_script rlock_script_permits_add;
extern rlock_script rlock_script_permits_available;
/* ARGV holder, permits, ttl, waiter, the waiter's ms: {1, permits held} or {0, ms until the
 * next lease ends, -1 none}. */
extern rlock_script rlock_script_permits_acquire;
/* ARGV holder, waiter: {1, permits} when handed over as it left, else {0, 0}. */
extern rlock_script rlock_script_permits_leave;
/* ARGV holder (consume: and the retention ms): 1 done, 0 it held none. */
extern rlock_script rlock_script_permits_release;
extern rlock_script rlock_script_permits_consume;
/* KEYS leases only; ARGV holder, ttl: extend() and the watchdog's renewal. */
extern rlock_script rlock_script_permits_extend;

void rlock_scripts_init(void);

/* EVALSHA, and EVAL when the server does not know the script yet (NOSCRIPT:
 * a restart or SCRIPT FLUSH). Error replies come back as NULL with c->error set. */
/* Queues script (sent by its body: a restarted Redis has no cached scripts) to
 * go out ahead of the next command on c; see rlock_conn_defer(). */
void rlock_script_defer(rlock_conn *c, rlock_script *script, int numkeys, zend_string *const *keys,
	int argc, const char **argv, const size_t *argvlen);

redisReply *rlock_script_run(rlock_conn **cp, const rlock_timeouts *t, rlock_script *script,
	int numkeys, zend_string *const *keys, int argc, const char **argv, const size_t *argvlen);

/* The script on every server at once (src/fanout.c), EVAL for a server that
 * answers NOSCRIPT. replies[i] NULL, with conns[i]->error set, for a server
 * that failed or answered an error. Returns how many answered. */
int rlock_script_fanout(rlock_conn *const *conns, int count, const rlock_timeouts *t, rlock_script *script,
	int numkeys, zend_string *const *keys, int argc, const char **argv, const size_t *argvlen,
	redisReply **replies);

#endif
