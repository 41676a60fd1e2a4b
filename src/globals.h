/* rlock: the module globals — INI settings, and the worker's connections, held locks and
 * counters. Read by the PHP classes, the engines and the options; the transport below them gets
 * what it needs (the pool, the counters) passed down instead. */
#ifndef RLOCK_GLOBALS_H
#define RLOCK_GLOBALS_H

#include "php.h"
#include "stats.h"
#include "conn.h"

typedef struct rlock_lock rlock_lock;
typedef struct rlock_semaphore rlock_semaphore;

ZEND_BEGIN_MODULE_GLOBALS(rlock)
	/* INI */
	char *servers;
	char *sentinels;  /* Sentinel: URIs separated by commas, and the master's name */
	char *service;
	char *prefix;
	char *allowed_classes;
	zend_long default_ttl;
	zend_long connect_timeout;
	zend_long read_timeout;
	zend_long sync_replicas;
	zend_long sync_timeout;
	bool auto_release;
	bool watchdog;
	/* per worker: server identity => rlock_conn*, kept across requests */
	rlock_pool pool;
	/* per worker: cluster seed list => rlock_cluster* (slot maps) */
	HashTable clusters;
	/* per request: locks this process holds, released at request end */
	rlock_lock *held_head;
	/* per request: semaphores through which this process holds permits */
	rlock_semaphore *holding_head;
	rlock_stats stats;
ZEND_END_MODULE_GLOBALS(rlock)

ZEND_EXTERN_MODULE_GLOBALS(rlock)
#define RLOCK_G(v) ZEND_MODULE_GLOBALS_ACCESSOR(rlock, v)

#endif
