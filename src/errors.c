/* rlock: registers the exception hierarchy and implements its few methods. */
#include "php.h"
#include "zend_exceptions.h"
#include "ext/spl/spl_exceptions.h"
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
