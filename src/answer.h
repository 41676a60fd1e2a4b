/* rlock: what an engine makes of a Redis reply — the failure recorded in cfg->failure when
 * there is none (the connection's error) or it is not the shape the command answers with. For
 * the lock, idempotency and semaphore engines alike; each function takes the reply and frees it. */
#ifndef RLOCK_ANSWER_H
#define RLOCK_ANSWER_H

#include "options.h"
#include "protocol.h"

/* The reply, or NULL with the connection's failure recorded (the reply is not freed: it is the
 * caller's to read). */
redisReply *rlock_answered(rlock_config *cfg, redisReply *reply);

/* Records that what answered with something else than its script answers. */
void rlock_answer_unexpected(rlock_config *cfg, const redisReply *reply, const char *what);

/* An integer reply: *out; false when there was none or it was something else. */
bool rlock_answer_int(rlock_config *cfg, redisReply *reply, const char *what, zend_long *out);

/* A {flag, number} reply, as the queue scripts answer: TAKEN (flag 1) or BUSY, with *number;
 * FAILED when there was none or it was something else. */
rlock_lease_outcome rlock_answer_pair(rlock_config *cfg, redisReply *reply, const char *what, zend_long *number);

#endif
