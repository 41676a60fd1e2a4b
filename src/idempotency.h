/* rlock: the RLockIdempotency class — run once per key, replay the result. */
#ifndef RLOCK_IDEMPOTENCY_H
#define RLOCK_IDEMPOTENCY_H

#include "php.h"

extern zend_class_entry *rlock_ce_idempotency;

/* Sets up the object handlers once the stub registered the class. */
void rlock_idempotency_init_class(zend_class_entry *ce);

#endif
