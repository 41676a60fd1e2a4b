/* rlock: an idempotency key's record in Redis — claimed by the first run (waiting in line
 * while another run holds it), kept alive by the watchdog, settled with the outcome or given
 * back. The engine under RLockIdempotency (src/idempotency.c), on the lock engine's queue and
 * watch (src/queue.c, src/lease.c). Never throws: failures are recorded in cfg->failure. */
#ifndef RLOCK_CLAIM_H
#define RLOCK_CLAIM_H

#include "php.h"
#include "options.h"

#define RLOCK_CLAIM_TOKEN_BYTES 16

/* The record's states and the claim script's answers: the names src/lua/claim-states.lua gives them. */
#define RLOCK_CLAIM_CLAIMED  "claimed"
#define RLOCK_CLAIM_CONFLICT "conflict"
#define RLOCK_CLAIM_RUNNING  "running"
#define RLOCK_CLAIM_DONE     "done"
#define RLOCK_CLAIM_FAILED   "failed"

typedef struct rlock_claim {
	zend_string *keys[3];   /* the record, its waiters, with fencing the key's fence counter (else NULL) */
	char token[RLOCK_CLAIM_TOKEN_BYTES * 2 + 1];
	zend_long fence;        /* with fencing, the number our claim got; else 0 */
	uint64_t watch_id;      /* the watchdog's renewal of our running claim */
	pid_t pid;              /* the process that claimed it */
} rlock_claim;

typedef enum {
	RLOCK_CLAIM_OURS,        /* claimed, and watched: run the work (claim->fence is set) */
	RLOCK_CLAIM_SETTLED,     /* a run before ours finished: the stored outcome follows */
	RLOCK_CLAIM_MISMATCH,    /* the key was first used with another fingerprint */
	RLOCK_CLAIM_IN_PROGRESS, /* another run still holds it at the end of our wait */
	RLOCK_CLAIM_ERROR,       /* cfg->failure says why */
} rlock_claim_result;

typedef struct rlock_claim_answer {
	rlock_claim_result result;
	bool failed;             /* SETTLED: the stored outcome is a failure's */
	zend_string *stored;     /* SETTLED: the stored outcome (the caller releases it) */
	zend_long retry_after;   /* IN_PROGRESS: ms until the running claim's lease ends */
} rlock_claim_answer;

void rlock_claim_init(rlock_claim *claim, const rlock_config *cfg, const zend_string *scope, const zend_string *key);
/* Stops renewing, and frees the keys: the record is left as it is in Redis. */
void rlock_claim_dtor(rlock_claim *claim);

/* Claims the key for a run, waiting up to cfg->wait ms while another run holds it. name is
 * the key as the caller gave it (for the watchdog's messages). */
void rlock_claim_take(rlock_config *cfg, rlock_claim *claim, const zend_string *name,
	const zend_string *fingerprint, rlock_claim_answer *answer);

/* Stores our run's outcome (state RLOCK_CLAIM_DONE or _FAILED) / gives our running claim
 * back. 1 done, 0 the claim was not ours (any more), -1 Redis failed. While Redis cannot be
 * reached, tried again for as long as our claim may hold. */
int rlock_claim_finish(rlock_config *cfg, rlock_claim *claim, const char *state, const zend_string *payload);
int rlock_claim_abort(rlock_config *cfg, rlock_claim *claim);

/* The record's state, NULL when there is none; false when Redis could not be asked. */
bool rlock_claim_state(rlock_config *cfg, const zend_string *scope, const zend_string *key, zend_string **state);

#endif
