/* rlock: opening one hiredis connection to a server. Touches no PHP state, so
 * the watchdog thread uses it as well as the per-worker pool (src/conn.c). */
#ifndef RLOCK_CONNECT_H
#define RLOCK_CONNECT_H

#include <stdbool.h>
#include <stdint.h>
#include <hiredis/hiredis.h>
#include "uri.h"

#define RLOCK_RUN_ID_SIZE 41 /* Redis' run_id: 40 hex digits */

/* Connects, sets the read timeout, then AUTH (if the URI has a password), SELECT
 * (if select_db and db > 0), CLIENT SETNAME name and, when run_id is not NULL,
 * INFO server (run_id gets the server's run_id, or "") in one round trip.
 * NULL with error filled in on failure. */
redisContext *rlock_server_connect(const rlock_server *server, int64_t connect_ms, int64_t read_ms,
	bool select_db, const char *name, char *run_id, char *error, size_t errlen);

/* Says why a command on ctx failed: a read timeout (hiredis reports EAGAIN), or
 * whatever else hiredis saw. */
void rlock_describe_io_error(char *error, size_t errlen, const rlock_server *server,
	const redisContext *ctx, int saved_errno, int64_t timeout_ms);

void rlock_describe_timeout(char *error, size_t errlen, const rlock_server *server, int64_t timeout_ms);

struct timeval rlock_ms_to_timeval(int64_t ms);

#endif
