/* rlock: the options array and INI defaults, checked and turned into a config. */
#ifndef RLOCK_OPTIONS_H
#define RLOCK_OPTIONS_H

#include "php.h"
#include "conn.h"

/* Documented limits; anything outside them is a caller's mistake. */
#define RLOCK_NAME_MAX            1024
#define RLOCK_PREFIX_MAX          256
#define RLOCK_TTL_MAX             604800000 /* 7 days */
#define RLOCK_WAIT_MAX            86400000  /* 1 day */
#define RLOCK_CONNECT_TIMEOUT_MAX 60000
#define RLOCK_READ_TIMEOUT_MAX    3600000

typedef struct rlock_config {
	rlock_conn *conn;
	zend_string *prefix;
	zend_long ttl;
	rlock_timeouts timeouts;
	bool auto_release;
	bool fair;
	bool fencing;
	bool watchdog;
	bool throw_on_loss;   /* on_lost "throw" */
} rlock_config;

/* The INI defaults overridden by options (argument arg_num of the caller).
 * Bad input throws a TypeError or ValueError naming the argument. */
zend_result rlock_config_init(rlock_config *cfg, HashTable *options, uint32_t arg_num);
void rlock_config_dtor(rlock_config *cfg);

/* A lock name of 1..RLOCK_NAME_MAX bytes, or a ValueError naming argument arg_num. */
zend_result rlock_check_name(const zend_string *name, uint32_t arg_num);

/* A millisecond count within [min, max], or a ValueError naming argument arg_num. */
zend_result rlock_check_ms(zend_long ms, zend_long min, zend_long max, uint32_t arg_num);

/* A Redis key of a lock: prefix{name}suffix, the braces keeping every key of
 * one lock (the lock itself, its wait queue) in one Redis Cluster slot. */
zend_string *rlock_lock_key(const zend_string *prefix, const zend_string *name, const char *suffix);

#endif
