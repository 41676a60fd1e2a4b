/* rlock: the watchdog — a thread of the worker that renews held leases. */
#ifndef RLOCK_WATCHDOG_H
#define RLOCK_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>
#include "uri.h"
#include "protocol.h"

#define RLOCK_WATCH_FALLBACKS_MAX 8

/* MINIT: fork handlers and the engine interrupt hook. No thread yet. */
void rlock_watchdog_init(void);
/* MSHUTDOWN: stops and joins the thread, if this process started one. */
void rlock_watchdog_shutdown(void);

typedef struct rlock_watch_request {
	const rlock_server *const *servers; /* each lives until MSHUTDOWN, read-only */
	int server_count;           /* several: Redlock masters, each renewed on its own */
	const char *key;
	size_t key_len;
	const char *token;
	const char *name;           /* for the exception's message */
	int64_t ttl_ms;
	int64_t timeout_ms;         /* for the watchdog's own connects and replies */
	bool throw_on_loss;         /* interrupt the request when the lease is lost */
	const rlock_script *renew;  /* KEYS key; ARGV token, ttl ms: 1 renewed, 0 lost */
	/* A cluster's nodes: where to ask when the server stops answering (a
	 * failover); their MOVED leads to the new master. */
	const rlock_server *const *fallbacks;
	int fallback_count;
} rlock_watch_request;

/* Starts renewing a lease every ttl/3 (starting the thread on first use).
 * With several servers the lease is lost only when a majority of them is:
 * renewals that found another token, or could not get through in time.
 * Returns its id, or 0 with error filled in. */
uint64_t rlock_watchdog_watch(const rlock_watch_request *request, char *error, size_t errlen);

/* Stops renewing; true if the watchdog had found the lease lost. */
bool rlock_watchdog_unwatch(uint64_t id);

/* True if a renewal found another token (or none), or could not reach Redis
 * before the lease ended. */
bool rlock_watchdog_is_lost(uint64_t id);

/* After an explicit extend(): the lease now lasts ttl_ms from now. */
void rlock_watchdog_extended(uint64_t id, int64_t ttl_ms);

/* Renewals made since the worker started. */
int64_t rlock_watchdog_renewals(void);

#endif
