/* rlock: the exception classes and the helpers that throw them. */
#ifndef RLOCK_ERRORS_H
#define RLOCK_ERRORS_H

#include "php.h"
#include "failure.h"

extern zend_class_entry *rlock_ce_exception;
extern zend_class_entry *rlock_ce_connection_exception;
extern zend_class_entry *rlock_ce_timeout_exception;
extern zend_class_entry *rlock_ce_lost_exception;
extern zend_class_entry *rlock_ce_in_progress_exception;
extern zend_class_entry *rlock_ce_conflict_exception;


/* The exception for a failed operation: RLockConnectionException for Redis trouble,
 * RLockException for anything else (the CSPRNG). */
void rlock_throw_failure(const rlock_failure *failure);

/* User code can run while a constructor still works (a __toString() of an
 * argument, an error handler for a deprecation) and keep $this after the
 * constructor threw: every method of such an object throws an Error. So does
 * every method called from a signal handler that rlock runs inside a wait. */
bool rlock_check_ready(bool ready, const char *class_name);
/* The same for getters, which touch no state and may run in such a handler. */
bool rlock_check_initialized(bool ready, const char *class_name);


/* The engine is unwinding the stack for exit() (or a fiber's destruction): the
 * outcome of what was running is unknown, and the unwind must not be touched. */
bool rlock_engine_unwinding(void);

/* The request is ending — unwinding, or past the script (shutdown functions,
 * destructors, freeing what is left): nothing can be told to the caller any more. */
bool rlock_request_ending(void);

/* Clean-up after user code: takes the pending exception (if any) aside so that
 * clean-up can talk to Redis; rlock_exception_restore() puts it back as the one
 * the caller sees, with any clean-up failure chained to it. */
zend_object *rlock_exception_set_aside(void);
void rlock_exception_restore(zend_object *set_aside);

#endif
