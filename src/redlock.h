/* rlock: one lock on several independent Redis masters (Redlock). */
#ifndef RLOCK_REDLOCK_H
#define RLOCK_REDLOCK_H

#include "lease.h"

/* One attempt on every master at once: TAKEN with a majority within the
 * validity time (ttl − elapsed − clock drift); otherwise whatever was taken is
 * given back on every master. BUSY: *holder_ttl is the shortest remaining ms
 * reported by a master held by someone else (-1 if none), and *split says that
 * we took some masters but not a majority (a race: worth a quick retry).
 * FAILED: fewer than a majority answered. waiter "" does not queue for a wake-up. */
rlock_lease_outcome rlock_redlock_attempt(rlock_lock *lock, const char *waiter, zend_long waiter_ms,
	zend_long *holder_ttl, bool *split);

/* Wake-and-compete until the deadline (monotonic us): each master keeps a list
 * of waiters that its release wakes; a woken waiter tries the majority again. */
rlock_lease_outcome rlock_redlock_wait(rlock_lock *lock, int64_t deadline);

/* As the single-server scripts, decided by majority: false when no majority
 * answered (lock->cfg.conn->error says why). *released / *extended 1 when a
 * majority did it; *ms the remaining ms a majority still guarantees, -2 when
 * the lock is not ours on a majority. */
bool rlock_redlock_release(rlock_lock *lock, zend_long *released);
bool rlock_redlock_extend(rlock_lock *lock, zend_long ttl_ms, zend_long *extended);
bool rlock_redlock_remaining(rlock_lock *lock, zend_long *ms);

/* DEL of a lock on every master: *deleted when any had it. */
bool rlock_redlock_delete(rlock_config *cfg, zend_string *key, bool *deleted);

#endif
