/* rlock: the Redis key layout — one key per (kind, prefix, scope, name) and
 * never the same key for two of them; every key of one lock or record in
 * one Redis Cluster slot. */
#ifndef RLOCK_KEYS_H
#define RLOCK_KEYS_H

#include "php.h"

/* The suffixes name the kind; no two kinds share one. */
#define RLOCK_KEY_LOCK        ""        /* a lock: its holder's token */
#define RLOCK_KEY_LOCK_QUEUE  ":q"      /* its waiters */
#define RLOCK_KEY_LOCK_FENCE  ":fence"  /* its fencing counter (kept for good) */
#define RLOCK_KEY_RECORD      ":idem"   /* an idempotency record */
#define RLOCK_KEY_RECORD_WAIT ":idem:w" /* the duplicates waiting for it */
#define RLOCK_KEY_RECORD_FENCE ":idem:fence" /* its fencing counter (for retention + lease) */
#define RLOCK_KEY_PERMITS     ":sem"       /* a semaphore: its counts, and each holder's permits */
#define RLOCK_KEY_PERMITS_LEASES ":sem:lease" /* when each holder's lease ends */
#define RLOCK_KEY_PERMITS_QUEUE  ":sem:q"  /* its waiters */
#define RLOCK_KEY_PERMITS_SOLD   ":sem:sold" /* the holders that consumed, until forgotten */

/* prefix{name}suffix, with '%', '{' and '}' of the name written %25, %7B and
 * %7D: the hash tag is the whole name for any name, and the key says where
 * the name ends. */
zend_string *rlock_lock_key(const zend_string *prefix, const zend_string *name, const char *suffix);

/* prefix{scope:key}suffix, escaped as above and the scope's ':' as %3A, so
 * that the first ':' in the braces is where the scope ends. */
zend_string *rlock_record_key(const zend_string *prefix, const zend_string *scope, const zend_string *key,
	const char *suffix);

/* In a Redis Cluster, the prefix decides the slot when it has a hash tag of
 * its own; an empty one ("{}") would scatter a lock's keys over slots. */
bool rlock_prefix_scatters_slots(const zend_string *prefix);

#endif
