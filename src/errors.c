/* rlock: registers the exception hierarchy and implements its few methods. */
#include "php.h"
#include "zend_exceptions.h"
#include "ext/spl/spl_exceptions.h"
#include "interrupt.h"
#include "errors.h"

zend_class_entry *rlock_ce_exception;
zend_class_entry *rlock_ce_connection_exception;
zend_class_entry *rlock_ce_timeout_exception;
zend_class_entry *rlock_ce_lost_exception;
zend_class_entry *rlock_ce_in_progress_exception;
zend_class_entry *rlock_ce_conflict_exception;

ZEND_METHOD(RLockInProgressException, getRetryAfter)
{
	zval rv;

	ZEND_PARSE_PARAMETERS_NONE();
	RETURN_COPY(zend_read_property(rlock_ce_in_progress_exception, Z_OBJ_P(ZEND_THIS),
		"retryAfter", sizeof("retryAfter") - 1, 1, &rv));
}

void rlock_throw_failure(const rlock_failure *failure)
{
	zend_throw_exception(failure->kind == RLOCK_FAILURE_RANDOM ? rlock_ce_exception : rlock_ce_connection_exception,
		failure->message[0] ? failure->message : RLOCK_FAILURE_UNKNOWN, 0);
}

bool rlock_check_initialized(bool ready, const char *class_name)
{
	if (!ready) {
		zend_throw_error(NULL, "%s object is not initialized", class_name);
	}
	return ready;
}

bool rlock_check_ready(bool ready, const char *class_name)
{
	if (!rlock_check_initialized(ready, class_name)) {
		return false;
	}
	if (rlock_in_signal_handler()) {
		/* rlock is mid-operation below this handler: its state is not ours to touch */
		zend_throw_error(NULL, "%s cannot be used in a signal handler that runs while rlock waits; "
			"throw from the handler to end the wait", class_name);
		return false;
	}
	return true;
}

bool rlock_engine_unwinding(void)
{
	return EG(exception) && (zend_is_unwind_exit(EG(exception)) || zend_is_graceful_exit(EG(exception)));
}

bool rlock_request_ending(void)
{
	return rlock_engine_unwinding() || !EG(current_execute_data) || (EG(flags) & EG_FLAGS_IN_SHUTDOWN);
}

zend_object *rlock_exception_set_aside(void)
{
	zend_object *exception = EG(exception);

	if (exception) {
		GC_ADDREF(exception);
		zend_clear_exception();
	}
	return exception;
}

void rlock_exception_restore(zend_object *set_aside)
{
	if (!set_aside) {
		return;
	}
	if (rlock_engine_unwinding()) {
		OBJ_RELEASE(set_aside); /* the clean-up ran into exit(): the request ends, nothing is caught */
		return;
	}
	if (EG(exception)) {
		zend_object *cleanup_failure = EG(exception);

		GC_ADDREF(cleanup_failure);
		zend_clear_exception();
		if (zend_is_unwind_exit(set_aside) || zend_is_graceful_exit(set_aside)) {
			OBJ_RELEASE(cleanup_failure); /* an unwind carries nothing */
		} else {
			zend_exception_set_previous(set_aside, cleanup_failure);
		}
	}
	zend_throw_exception_internal(set_aside);
}
