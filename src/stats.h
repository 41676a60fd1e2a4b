/* rlock: the counters RLock::stats() reports, kept per worker and added to where things happen. */
#ifndef RLOCK_STATS_H
#define RLOCK_STATS_H

#include "php.h"

typedef struct rlock_stats {
	zend_long acquired;
	zend_long busy;          /* acquire() gave up: someone else held it */
	zend_long released;
	zend_long auto_released; /* freed by object destruction or request end */
	zend_long extended;
	zend_long lost;          /* a lease found expired or taken over */
	zend_long commands;      /* sent on the command connection (round trips) */
	zend_long connects;
	zend_long reconnects;
	zend_long connection_errors;
	zend_long script_loads;
} rlock_stats;

#endif
