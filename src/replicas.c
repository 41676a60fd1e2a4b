/* rlock: replica acknowledgement. Redis replicates asynchronously: a master that dies right
 * after a lock was taken may fail over to a replica that never saw it, and a second process
 * takes the "free" lock there. WAIT makes the holder know better before it goes on. */
#include "replicas.h"
#include "protocol.h"

zend_result rlock_replicas_ack(rlock_config *cfg, const char *name, const char *done)
{
	char count[24], timeout[24];
	const char *argv[3] = {"WAIT", count, timeout};
	size_t argvlen[3] = {4, (size_t) snprintf(count, sizeof(count), ZEND_LONG_FMT, cfg->sync_replicas),
		(size_t) snprintf(timeout, sizeof(timeout), ZEND_LONG_FMT, cfg->sync_timeout)};
	/* the reply comes once the replicas answer or sync_timeout ends: read that much longer */
	rlock_timeouts t = {cfg->timeouts.connect_ms, cfg->timeouts.read_ms + cfg->sync_timeout};
	uint64_t opened = cfg->conn->opened;
	redisReply *reply;
	bool same_connection;
	long long acked = 0;

	if (cfg->sync_replicas == 0) {
		return SUCCESS;
	}
	reply = rlock_conn_command(cfg->conn, &t, 3, argv, argvlen);
	if (!reply) {
		rlock_conn_report(cfg->conn, &cfg->failure);
		return FAILURE;
	}
	/* WAIT on a new connection (a failover noticed, a dead one re-made) counts what that one wrote: nothing */
	same_connection = !cfg->conn->resent && cfg->conn->opened == opened;
	if (!same_connection) {
		rlock_fail(&cfg->failure, RLOCK_FAILURE_REDIS, "lock \"%s\" was %s, but the connection to %s was lost "
			"before its replicas could be asked", name, done, cfg->conn->server.display);
	} else if (!rlock_reply_int(reply, &acked)) {
		rlock_fail(&cfg->failure, RLOCK_FAILURE_REDIS, "lock \"%s\" was %s, but %s refused WAIT: %s", name, done,
			cfg->conn->server.display, reply->type == REDIS_REPLY_ERROR ? reply->str : "an unexpected reply");
	} else if (acked < cfg->sync_replicas) {
		rlock_fail(&cfg->failure, RLOCK_FAILURE_REDIS, "lock \"%s\" was %s, but only %lld of the " ZEND_LONG_FMT
			" replicas (sync_replicas) of %s had it within sync_timeout (" ZEND_LONG_FMT " ms)", name, done,
			acked, cfg->sync_replicas, cfg->conn->server.display, cfg->sync_timeout);
	}
	freeReplyObject(reply);
	return same_connection && acked >= cfg->sync_replicas ? SUCCESS : FAILURE;
}
