/* rlock: module-wide declarations — version, module globals, RLOCK_G(). */
#ifndef PHP_RLOCK_H
#define PHP_RLOCK_H

#include "php.h"

#if PHP_VERSION_ID < 80200
#error "rlock needs PHP 8.2 or later (config.m4 checks this too)"
#endif

extern zend_module_entry rlock_module_entry;
#define phpext_rlock_ptr &rlock_module_entry

#define PHP_RLOCK_VERSION "0.1.0"

#if defined(ZTS) && defined(COMPILE_DL_RLOCK)
ZEND_TSRMLS_CACHE_EXTERN()
#endif

/* Counters reported by RLock::stats(); they live as long as the worker. */
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

typedef struct rlock_lock rlock_lock;

ZEND_BEGIN_MODULE_GLOBALS(rlock)
	/* INI */
	char *servers;
	char *prefix;
	char *allowed_classes;
	zend_long default_ttl;
	zend_long connect_timeout;
	zend_long read_timeout;
	bool auto_release;
	bool watchdog;
	/* per worker: server identity => rlock_conn*, kept across requests */
	HashTable conns;
	/* per worker: cluster seed list => rlock_cluster* (slot maps) */
	HashTable clusters;
	/* per request: locks this process holds, released at request end */
	rlock_lock *held_head;
	/* a PHP signal handler run by rlock inside one of its waits (src/interrupt.c) */
	int in_signal_handler;
	rlock_stats stats;
ZEND_END_MODULE_GLOBALS(rlock)

ZEND_EXTERN_MODULE_GLOBALS(rlock)
#define RLOCK_G(v) ZEND_MODULE_GLOBALS_ACCESSOR(rlock, v)

#endif /* PHP_RLOCK_H */
