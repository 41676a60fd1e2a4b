/* rlock: one command to several servers at once (the masters of a Redlock).
 *
 * Every command is written out before any reply is read; the replies are then
 * taken in whatever order they arrive, with poll() over all the sockets and
 * one deadline, so latency is that of the slowest master and a frozen master
 * costs read_timeout once, not once per master. */
#include <errno.h>
#include <poll.h>
#include "php.h"
#include "clock.h"
#include "interrupt.h"
#include "fanout.h"
#include "tls.h"

/* How long a master that timed out is left alone. */
#define SKIP_US 1000000

/* Sends to every server that is not being skipped; sent[i] says which took it. */
static int send_all(rlock_conn *const *conns, int n, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen, bool *sent, bool *reused)
{
	int pending = 0;

	for (int i = 0; i < n; i++) {
		rlock_conn *c = conns[i];
		int64_t before = rlock_now_us();

		sent[i] = false;
		if (c->skip_until > before) {
			snprintf(c->error, sizeof(c->error), "%s timed out less than %d s ago: skipped for now",
				c->server.display, SKIP_US / 1000000);
			continue;
		}
		reused[i] = rlock_conn_reusable(c);
		if (!rlock_conn_send(c, t, argc, argv, argvlen)) {
			if (rlock_now_us() - before >= (int64_t) t->connect_ms * 500) {
				c->skip_until = rlock_now_us() + SKIP_US; /* a connect that timed out, not a refusal */
			}
			continue;
		}
		sent[i] = true;
		pending++;
	}
	return pending;
}

/* Reads what server i has for us; true once its reply is complete or it failed. */
static bool read_one(rlock_conn *c, bool reused, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen, redisReply **reply)
{
	void *got = NULL;

	if (redisBufferRead(c->ctx) == REDIS_OK && redisGetReplyFromReader(c->ctx, &got) == REDIS_OK) {
		*reply = got;
		return got != NULL;
	}
	if (reused && rlock_conn_went_away(c, errno)) {
		/* a kept connection to a master that restarted: one fresh try, on its own */
		c->pool->stats->reconnects++;
		*reply = rlock_conn_command(c, t, argc, argv, argvlen);
	} else {
		rlock_conn_fail(c, errno);
	}
	return true;
}

int rlock_fanout(rlock_conn *const *conns, int n, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen, redisReply **replies)
{
	int64_t deadline = rlock_now_us() + (int64_t) t->read_ms * 1000;
	bool sent[RLOCK_FANOUT_MAX], reused[RLOCK_FANOUT_MAX], done[RLOCK_FANOUT_MAX];
	int pending, answered = 0;

	ZEND_ASSERT(n <= RLOCK_FANOUT_MAX);
	memset(replies, 0, n * sizeof(*replies));
	pending = send_all(conns, n, t, argc, argv, argvlen, sent, reused);
	memset(done, 0, sizeof(done));
	while (pending > 0) {
		struct pollfd pfd[RLOCK_FANOUT_MAX];
		int at[RLOCK_FANOUT_MAX], k = 0, ready, buffered = 0;
		int64_t left = deadline - rlock_now_us();

		if (left <= 0) {
			break;
		}
		for (int i = 0; i < n; i++) {
			if (sent[i] && !done[i]) {
				pfd[k].fd = conns[i]->ctx->fd;
				pfd[k].events = POLLIN;
				pfd[k].revents = 0;
				buffered += rlock_tls_pending(conns[i]->ctx); /* decrypted already: poll() cannot see it */
				at[k++] = i;
			}
		}
		ready = poll(pfd, k, buffered ? 0 : (int) MIN((left + 999) / 1000, INT_MAX));
		if (ready < 0 && (errno != EINTR || rlock_time_limit_struck())) {
			break; /* no PHP code runs here: replies are owed on these connections */
		}
		for (int j = 0; j < k && (ready > 0 || buffered); j++) {
			int i = at[j];

			if ((pfd[j].revents || rlock_tls_pending(conns[i]->ctx)) && read_one(conns[i], reused[i], t, argc, argv, argvlen, &replies[i])) {
				done[i] = true;
				pending--;
				answered += replies[i] != NULL;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		if (sent[i] && !done[i]) {
			rlock_conn_timed_out(conns[i]);
			conns[i]->skip_until = rlock_now_us() + SKIP_US;
		}
	}
	return answered;
}

void rlock_fanout_free(redisReply **replies, int n)
{
	for (int i = 0; i < n; i++) {
		if (replies[i]) {
			freeReplyObject(replies[i]);
			replies[i] = NULL;
		}
	}
}
