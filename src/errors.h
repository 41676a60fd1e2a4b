/* rlock: the exception classes and the helpers that throw them. */
#ifndef RLOCK_ERRORS_H
#define RLOCK_ERRORS_H

#include "php.h"

extern zend_class_entry *rlock_ce_exception;
extern zend_class_entry *rlock_ce_connection_exception;
extern zend_class_entry *rlock_ce_timeout_exception;
extern zend_class_entry *rlock_ce_lost_exception;
extern zend_class_entry *rlock_ce_in_progress_exception;
extern zend_class_entry *rlock_ce_conflict_exception;


#endif
