/* rlock: the RLockSemaphore class — permits taken by holder ids under a lease, given back,
 * consumed for good; what this process took is given back at request end (auto_release). */
#ifndef RLOCK_SEMAPHORE_H
#define RLOCK_SEMAPHORE_H

#include "php.h"

extern zend_class_entry *rlock_ce_semaphore;

/* Sets up the object handlers once the stub registered the class. */
void rlock_semaphore_init_class(zend_class_entry *ce);

/* Request end: gives back the permits this process took and still holds (auto_release), and
 * stops renewing them. */
void rlock_semaphore_release_held(void);

#endif
