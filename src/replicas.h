/* rlock: replica acknowledgement — WAIT after a write a lease depends on. */
#ifndef RLOCK_REPLICAS_H
#define RLOCK_REPLICAS_H

#include "options.h"

/* With cfg->sync_replicas, waits (WAIT) up to cfg->sync_timeout until that many replicas of
 * cfg->conn have what this connection wrote: a failover to one of them then keeps the lease.
 * FAILURE, with cfg->failure saying how many did and that what was done (e.g. "taken") is at
 * risk, when fewer did or Redis could not be asked. */
zend_result rlock_replicas_ack(rlock_config *cfg, const char *name, const char *done);

#endif
