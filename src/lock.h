/* rlock: the RLock class — an owner-checked Redis lock held by one process. */
#ifndef RLOCK_LOCK_H
#define RLOCK_LOCK_H

#include "php.h"

extern zend_class_entry *rlock_ce_lock;

/* Sets up the object handlers once the stub registered the class. */
void rlock_lock_init_class(zend_class_entry *ce);


#endif
