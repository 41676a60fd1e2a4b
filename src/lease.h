/* rlock: a lock's lease in Redis, and the leases this process holds. */
#ifndef RLOCK_LEASE_H
#define RLOCK_LEASE_H

#include "lock_state.h"
#include "backend.h"
#include "protocol.h"

/* Held by this process, and not found lost by the watchdog. */
bool rlock_lease_is_ours(rlock_lock *lock);

/* wait_ms 0: one attempt; more: queue and sleep until woken or the deadline. */
rlock_lease_outcome rlock_lease_acquire(rlock_lock *lock, zend_long wait_ms);
/* Owns the lease lock->token holds, if it does (another process took it): TAKEN, watched if
 * lock's config asks; BUSY when the token holds nothing. */
rlock_lease_outcome rlock_lease_restore(rlock_lock *lock);
/* Our lease turned into the other mode (lock->reading), one script: a writer demoted to a
 * reader, or the only reader promoted to the writer. BUSY: a promotion refused while other
 * readers hold it (still a reader), or a demotion of a lease that was lost (counted). */
rlock_lease_outcome rlock_lease_change_mode(rlock_lock *lock, bool reading);
/* BUSY when the lease was not ours any more (counted as lost). */
rlock_lease_outcome rlock_lease_release(rlock_lock *lock);
rlock_lease_outcome rlock_lease_extend(rlock_lock *lock, zend_long ttl_ms);
/* *ms: our remaining lease (PTTL), when TAKEN. */
rlock_lease_outcome rlock_lease_remaining(rlock_lock *lock, zend_long *ms);

/* Has the watchdog renew key (held by token) every ttl/3 with the renew script, on the
 * servers cfg's backend keeps it on; name is for its messages. Returns the watch's id, or
 * 0 with cfg->conn->error set. For locks and idempotency claims alike. */
uint64_t rlock_lease_watch_key(rlock_config *cfg, const zend_string *key, const char *token, const char *name,
	zend_long ttl_ms, bool throw_on_loss, const rlock_script *renew);

/* Stops tracking the lock as held, without a word to Redis. */
void rlock_lease_forget(rlock_lock *lock);

/* Request end: frees the auto_release leases this process holds, forgets the rest. */
void rlock_lease_release_held(void);

#endif
