/* rlock: why an operation failed — its own value, kept in the config of the object that
 * runs it, so that clean-up after a failure (which may fail too, and writes its connection's
 * error) never changes what the caller is told. The first cause recorded is the one reported. */
#ifndef RLOCK_FAILURE_H
#define RLOCK_FAILURE_H

#define RLOCK_FAILURE_MAX 256
/* What is said when a failure came without a reason (a bug: every failure path sets one). */
#define RLOCK_FAILURE_UNKNOWN "Redis failed without saying why"

typedef enum {
	RLOCK_FAILURE_NONE,
	RLOCK_FAILURE_REDIS,  /* Redis could not be asked, or answered nonsense: RLockConnectionException */
	RLOCK_FAILURE_RANDOM, /* the CSPRNG gave no bytes for a token: RLockException */
} rlock_failure_kind;

typedef struct rlock_failure {
	rlock_failure_kind kind;
	char message[RLOCK_FAILURE_MAX];
} rlock_failure;

/* At the start of each operation. */
void rlock_failure_clear(rlock_failure *f);

/* Records why the operation failed, unless a cause is recorded already. */
void rlock_fail(rlock_failure *f, rlock_failure_kind kind, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

#endif
