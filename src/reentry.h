/* rlock: reentrancy — a lock this process holds, taken again by the same owner, counts up
 * instead of waiting for itself. */
#ifndef RLOCK_REENTRY_H
#define RLOCK_REENTRY_H

#include "lock_state.h"

/* The object whose lease lock's own levels count on (itself, or the host it joined), or NULL
 * when this object holds no level of a live hold. */
rlock_lock *rlock_reentry_current(rlock_lock *lock);

/* The hold a new acquisition through lock (to read, or to write) joins: its current one, of
 * either mode, or — lock being reentrant — a hold of this process and fiber for the same key on
 * the same servers, taken by a reentrant object: to read, of either mode; to write, a writer's.
 * NULL: a new lease is needed. Asks nothing of Redis. */
rlock_lock *rlock_reentry_find(rlock_lock *lock, bool reading);

/* lock holds a level of a hold another fiber took: an acquisition through it would be the
 * other fiber's (the owner is a process and fiber). */
bool rlock_reentry_held_by_other_fiber(rlock_lock *lock);

/* This process's hold of the same key on the same servers by lock->token (restored twice). */
rlock_lock *rlock_reentry_find_token(rlock_lock *lock);

/* lock just took a lease of its own: level 1 of a new hold. */
void rlock_reentry_begin(rlock_lock *lock);
/* One more level of hold (lock's own, or another object's) through lock. */
void rlock_reentry_join(rlock_lock *lock, rlock_lock *hold);
/* One level less; true when it was the hold's last (its lease is to be given back). */
bool rlock_reentry_leave(rlock_lock *lock, rlock_lock *hold);
/* All of lock's levels less (its object is going); true when they were the hold's last. */
bool rlock_reentry_leave_all(rlock_lock *lock, rlock_lock *hold);
/* Gives the level back after a release that failed (a retry, or request end, frees it). */
void rlock_reentry_undo_leave(rlock_lock *lock, rlock_lock *hold);
/* Drops whatever levels lock has, and its reference to a host. */
void rlock_reentry_detach(rlock_lock *lock);

#endif
