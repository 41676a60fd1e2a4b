/* rlock: the options array and INI defaults, checked and turned into a config. */
#ifndef RLOCK_OPTIONS_H
#define RLOCK_OPTIONS_H

#include "php.h"
#include "conn.h"
#include "fanout.h"
#include "backend.h"

/* Documented limits; anything outside them is a caller's mistake. */
#define RLOCK_NAME_MAX            1024
#define RLOCK_PREFIX_MAX          256
#define RLOCK_TTL_MAX             604800000 /* 7 days */
#define RLOCK_WAIT_MAX            86400000  /* 1 day */
#define RLOCK_CONNECT_TIMEOUT_MAX 60000
#define RLOCK_READ_TIMEOUT_MAX    3600000
#define RLOCK_RETENTION_MAX       2592000000 /* 30 days */
#define RLOCK_RESULT_MAX          67108864   /* 64 MiB */
#define RLOCK_KEY_MAX             1024       /* idempotency keys */
#define RLOCK_FINGERPRINT_MAX     1024
#define RLOCK_DEFAULT_LEASE       10000
#define RLOCK_DEFAULT_RETENTION   86400000   /* 1 day */
#define RLOCK_DEFAULT_RESULT_MAX  1048576    /* 1 MiB */
#define RLOCK_REDLOCK_MIN         3          /* masters; up to RLOCK_FANOUT_MAX */
#define RLOCK_REDLOCK_TIMEOUT     250        /* per-master default timeouts (ms) */
#define RLOCK_SYNC_REPLICAS_MAX   64         /* replicas a write may wait for */
#define RLOCK_SYNC_TIMEOUT_MAX    60000

/* Which class an options array is for. */
#define RLOCK_FOR_LOCK        1u
#define RLOCK_FOR_IDEMPOTENCY 2u
#define RLOCK_FOR_SEMAPHORE   4u

typedef enum { RLOCK_ON_ERROR_RELEASE, RLOCK_ON_ERROR_STORE, RLOCK_ON_ERROR_KEEP } rlock_on_error;

struct rlock_config {
	rlock_failure failure;        /* why the object's last operation failed */
	const rlock_backend *backend; /* where the lock runs: chosen with the servers or cluster option */
	rlock_conn *conn;          /* the server; with a cluster, the node last routed to */
	rlock_cluster *cluster;    /* NULL unless the cluster option is set */
	rlock_conn *masters[RLOCK_FANOUT_MAX]; /* Redlock's independent masters; conn is the first */
	int master_count;          /* 0 unless servers lists several */
	zend_string *prefix;
	zend_long ttl;
	rlock_timeouts timeouts;
	bool auto_release;
	bool fair;
	bool fencing;
	bool reentrant;       /* another acquire() by this process and fiber counts up */
	bool watchdog;
	bool throw_on_loss;   /* on_lost "throw" */
	zend_long sync_replicas; /* WAIT for this many replicas after a lease is taken or extended */
	zend_long sync_timeout;  /* ... for at most this long (ms) */
	/* While the options are read only (they point into the options array): Sentinel's */
	const zval *sentinel_uris;
	const zend_string *service;
	/* RLockIdempotency (retention: RLockSemaphore too, for the holders that consumed) */
	zend_long lease;
	zend_long retention;
	zend_long wait;
	rlock_on_error on_error;
	zend_long max_result_bytes;
	bool every_class;            /* allowed_classes true: replay may create any class */
	HashTable *allowed_classes;  /* else the lowercased names it may create; NULL: none */
	struct rlock_tls *tls;       /* the tls option while the servers are resolved; NULL: none */
};

/* The INI defaults overridden by options (argument arg_num of the caller).
 * Bad input throws a TypeError or ValueError naming the argument. */
zend_result rlock_config_init(rlock_config *cfg, HashTable *options, unsigned kind, uint32_t arg_num);
void rlock_config_dtor(rlock_config *cfg);

/* rlock.allowed_classes: "" (none), "*" (every class) or class names separated
 * by commas. FAILURE with *why set when a name is not a class name. */
zend_result rlock_allowed_classes_parse(const char *list, bool *every_class, HashTable **names, const char **why);
void rlock_allowed_classes_free(HashTable **names);

/* Both configs reach the same servers the same way (one server, one Cluster, the same
 * Redlock masters): a key names the same lock through either. */
bool rlock_config_same_servers(const rlock_config *a, const rlock_config *b);

/* A lock name of 1..RLOCK_NAME_MAX bytes, or a ValueError naming argument arg_num. */
zend_result rlock_check_name(const zend_string *name, uint32_t arg_num);

/* A millisecond count within [min, max], or a ValueError naming argument arg_num. */
zend_result rlock_check_ms(zend_long ms, zend_long min, zend_long max, uint32_t arg_num);

#endif
