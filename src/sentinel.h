/* rlock: a master found through Redis Sentinel. The lookup touches no PHP state, so the
 * watchdog thread and the wake-up subscriber follow a failover as the pool does. */
#ifndef RLOCK_SENTINEL_H
#define RLOCK_SENTINEL_H

#include <stdbool.h>
#include <stdint.h>
#include "php.h"
#include <hiredis/hiredis.h>
#include "uri.h"

#define RLOCK_SENTINEL_HOST_MAX 256
#define RLOCK_SENTINEL_CHECK_TIMEOUT_MS 200

/* The address the first sentinel that knows it gives for the service's master (SENTINEL
 * get-master-addr-by-name); false with error saying what each sentinel answered. */
bool rlock_sentinel_find_master(const rlock_sentinels *s, int64_t connect_ms, int64_t read_ms,
	char *host, size_t host_size, int *port, char *error, size_t errlen);

/* ctx is connected to the address the sentinels give for the master now, or none of them
 * could be asked within a short timeout (then it is kept: the sentinels down are no failover),
 * or they were asked less than a second ago. For the connections that have no watch (the
 * watchdog thread's, the only caller: it alone touches s->checked_at_us). */
bool rlock_sentinel_still_master(rlock_sentinels *s, const redisContext *ctx, int64_t timeout_ms);

/* A connection to the first sentinel that answers, subscribed to what it publishes when a
 * failover names a new master (+promoted-slave, +switch-master). NULL when none answers. */
redisContext *rlock_sentinel_watch(const rlock_sentinels *s, int64_t connect_ms, int64_t read_ms);

/* Reads, without waiting, what the watch has received: true when a failover of s's service
 * happened. *broken when the watch connection is gone (it is then to be made anew). */
bool rlock_sentinel_switched(redisContext *watch, const rlock_sentinels *s, bool *broken);

/* The master of service (a name, or redis://[user:pass@]name[/db] for the master's credentials
 * and database) behind the sentinels at uris (a list, or one string of URIs separated by
 * commas); FAILURE with *why set. */
zend_result rlock_sentinel_server(const char *service, size_t service_len, const zval *uris,
	rlock_server *out, const char **why);

#endif
