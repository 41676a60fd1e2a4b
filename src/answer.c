/* rlock: what an engine makes of a Redis reply (see answer.h). */
#include "php.h"
#include "answer.h"

redisReply *rlock_answered(rlock_config *cfg, redisReply *reply)
{
	if (!reply) {
		rlock_conn_report(cfg->conn, &cfg->failure);
	}
	return reply;
}

void rlock_answer_unexpected(rlock_config *cfg, const redisReply *reply, const char *what)
{
	rlock_fail(&cfg->failure, RLOCK_FAILURE_REDIS, "unexpected reply (type %d) to the %s from %s",
		reply->type, what, cfg->conn->server.display);
}

bool rlock_answer_int(rlock_config *cfg, redisReply *reply, const char *what, zend_long *out)
{
	long long number;
	bool ok = reply && rlock_reply_int(reply, &number);

	if (ok) {
		*out = (zend_long) number;
	} else if (reply) {
		rlock_answer_unexpected(cfg, reply, what);
	}
	if (reply) {
		freeReplyObject(reply);
	}
	return ok;
}

rlock_lease_outcome rlock_answer_pair(rlock_config *cfg, redisReply *reply, const char *what, zend_long *number)
{
	rlock_lease_outcome outcome = RLOCK_LEASE_FAILED;
	long long flag, n;

	if (!reply) {
		return RLOCK_LEASE_FAILED;
	}
	if (rlock_reply_pair(reply, &flag, &n)) {
		outcome = flag ? RLOCK_LEASE_TAKEN : RLOCK_LEASE_BUSY;
		*number = (zend_long) n;
	} else {
		rlock_answer_unexpected(cfg, reply, what);
	}
	freeReplyObject(reply);
	return outcome;
}
