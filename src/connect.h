/* rlock: opening one hiredis connection to a server. Touches no PHP state, so
 * the watchdog thread uses it as well as the per-worker pool (src/conn.c). */
#ifndef RLOCK_CONNECT_H
#define RLOCK_CONNECT_H

#include <stdbool.h>
#include <stdint.h>
#include <hiredis/hiredis.h>
#include "uri.h"

#define RLOCK_RUN_ID_SIZE 41 /* Redis' run_id: 40 hex digits */
#define RLOCK_POLICY_SIZE 24 /* the longest maxmemory-policy name, "volatile-random", and more */

/* What a connection learns of its server as it connects. */
typedef struct rlock_server_facts {
	char run_id[RLOCK_RUN_ID_SIZE];    /* tells two URIs of one server apart; "" if unknown */
	char evicts[RLOCK_POLICY_SIZE];    /* the maxmemory-policy, when it may evict keys with a TTL
	                                    * (all of rlock's) and maxmemory is set; else "" */
} rlock_server_facts;

/* Connects, sets the read timeout, then AUTH (if the URI has a password), SELECT
 * (if select_db and db > 0), CLIENT SETNAME name and, when facts is not NULL,
 * INFO server and INFO memory (INFO, not CONFIG GET: managed Redis refuses CONFIG) in one
 * round trip. NULL with error filled in on failure. */
redisContext *rlock_server_connect(const rlock_server *server, int64_t connect_ms, int64_t read_ms,
	bool select_db, const char *name, rlock_server_facts *facts, char *error, size_t errlen);

/* Says why a command on ctx failed: a read timeout (hiredis reports EAGAIN), or
 * whatever else hiredis saw. */
void rlock_describe_io_error(char *error, size_t errlen, const rlock_server *server,
	const redisContext *ctx, int saved_errno, int64_t timeout_ms);

void rlock_describe_timeout(char *error, size_t errlen, const rlock_server *server, int64_t timeout_ms);

struct timeval rlock_ms_to_timeval(int64_t ms);

#endif
