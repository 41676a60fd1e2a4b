/* rlock: one command to several servers at once (the masters of a Redlock). */
#ifndef RLOCK_FANOUT_H
#define RLOCK_FANOUT_H

#include "conn.h"

#define RLOCK_FANOUT_MAX 9

/* Sends the command to every server before reading any reply, then reads the
 * replies as they come, all within one read_timeout: the call takes as long as
 * the slowest server, not the sum. replies[i] is server i's reply (error
 * replies included), or NULL with conns[i]->error set when it could not be
 * reached or timed out. A server that timed out is skipped for a while, so a
 * dead or frozen master costs one timeout now and then, not one per call. Returns how many answered. */
int rlock_fanout(rlock_conn *const *conns, int n, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen, redisReply **replies);

void rlock_fanout_free(redisReply **replies, int n);

#endif
