/* rlock: what an idempotency record stores of a run, and its replay for a duplicate. */
#ifndef RLOCK_OUTCOME_H
#define RLOCK_OUTCOME_H

#include "php.h"
#include "options.h"

/* The stored form of a run's return value. A value that cannot be replayed (a resource,
 * a Closure, over max_result_bytes) is stored as such, with a warning, so that duplicates
 * get an error naming why. NULL when the engine unwinds (exit() inside __serialize()). */
zend_string *rlock_outcome_of_value(const rlock_config *cfg, zval *value, const zend_string *key);

/* What a failed run leaves for its duplicates: the exception's class, message, code. */
zend_string *rlock_outcome_of_exception(zend_object *exception);

/* A duplicate's answer from the stored outcome (failed: the record's state is "failed"):
 * true with the value in *result, or false with the exception thrown. */
bool rlock_outcome_replay(const rlock_config *cfg, bool failed, const zend_string *stored,
	const zend_string *key, zval *result);

#endif
