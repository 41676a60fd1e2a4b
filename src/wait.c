/* rlock: waking blocked waiters — one pub/sub subscriber connection per worker.
 *
 * A waiter queues itself in Redis under its process's wake channel; a release
 * PUBLISHes the waiter's token there. The waiter sleeps in poll() on the
 * subscriber socket, so it costs Redis nothing while it waits, and its own
 * deadline — never read_timeout — bounds the sleep. */
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include "php.h"
#include "pid.h"
#include "clock.h"

#include "interrupt.h"
#include "token.h"
#include "wait.h"
#include "protocol.h"
#include "tls.h"

/* A channel name no other process shares: a fork gets a new one. */
static zend_result new_channel(rlock_conn *c)
{
	size_t prefix = (size_t) snprintf(c->wake_channel, sizeof(c->wake_channel), "rlock-wake:");

	if (rlock_random_hex(c->wake_channel + prefix, 12) == FAILURE) {
		snprintf(c->error, sizeof(c->error), "no random bytes for a wake channel");
		c->error_is_random = true;
		return FAILURE;
	}
	return SUCCESS;
}

zend_result rlock_wait_ready(rlock_conn *c, const rlock_timeouts *t)
{
	redisReply *reply;

	if (c->sub && (c->sub_pid != rlock_pid() || c->sub->err)) {
		rlock_conn_close_subscriber(c);
	}
	if (c->sub) {
		return SUCCESS;
	}
	if (new_channel(c) == FAILURE) {
		return FAILURE;
	}
	c->sub = rlock_conn_connect(c, t, false); /* channels ignore SELECT */
	if (!c->sub) {
		return FAILURE;
	}
	c->sub_pid = rlock_pid();
	reply = redisCommand(c->sub, "SUBSCRIBE %s", c->wake_channel);
	if (!rlock_reply_at(reply, 0)) {
		snprintf(c->error, sizeof(c->error), "cannot subscribe to wake-ups on %s: %s",
			c->server.display, reply && reply->str ? reply->str : c->sub->errstr);
		if (reply) {
			freeReplyObject(reply);
		}
		rlock_conn_close_subscriber(c);
		return FAILURE;
	}
	freeReplyObject(reply);
	return SUCCESS;
}

/* A ["message", channel, "token|fence"] for token? Sets *fence. */
static bool is_wake_for(const redisReply *reply, const char *token, zend_long *fence)
{
	size_t len = strlen(token), payload_len;
	const char *payload;

	if (!rlock_reply_message(reply, &payload, &payload_len) || payload_len <= len + 1
			|| memcmp(payload, token, len) != 0 || payload[len] != '|') {
		return false;
	}
	*fence = ZEND_STRTOL(payload + len + 1, NULL, 10);
	return true;
}

/* Takes every message already read; true if one was ours. */
static bool drain(rlock_conn *c, const char *token, bool *lost, zend_long *fence)
{
	bool woken = false;
	void *reply;

	for (;;) {
		if (redisGetReplyFromReader(c->sub, &reply) != REDIS_OK) {
			*lost = true;
			return woken;
		}
		if (!reply) {
			return woken;
		}
		woken = is_wake_for(reply, token, fence) || woken;
		freeReplyObject(reply);
	}
}

rlock_wake rlock_wait_for(rlock_conn *c, const char *token, int64_t timeout_us, zend_long *fence)
{
	int64_t deadline = rlock_now_us() + timeout_us;
	bool lost = false;

	for (;;) {
		struct pollfd pfd = {c->sub->fd, POLLIN, 0};
		int64_t left = deadline - rlock_now_us();
		int ready, polled_errno;

		if (drain(c, token, &lost, fence)) {
			return RLOCK_WAKE_WOKEN;
		}
		if (lost) {
			break;
		}
		if (left <= 0) {
			return RLOCK_WAKE_TIMEOUT;
		}
		/* poll() counts in ms: round up, so we never wake before the deadline. */
		ready = rlock_tls_pending(c->sub) ? 1 : poll(&pfd, 1, (int) MIN((left + 999) / 1000, INT_MAX));
		polled_errno = errno; /* a signal handler run below may change errno */
		if (ready < 0 && polled_errno == EINTR && rlock_wait_interrupted()) {
			return RLOCK_WAKE_INTERRUPTED; /* let the engine end the request, or the handler's exception fly */
		}
		if (ready < 0 && polled_errno != EINTR) {
			break;
		}
		if (ready > 0 && redisBufferRead(c->sub) != REDIS_OK) {
			break;
		}
	}
	snprintf(c->error, sizeof(c->error), "lost the wake-up subscription to %s", c->server.display);
	rlock_conn_close_subscriber(c);
	return RLOCK_WAKE_LOST;
}

rlock_wake rlock_wait_turn(rlock_conn *c, const char *token, int64_t deadline, zend_long holder_ms, zend_long *fence)
{
	int64_t left = deadline - rlock_now_us();

	return rlock_wait_for(c, token, holder_ms >= 0 ? MIN(left, (int64_t) holder_ms * 1000 + 1000) : left, fence);
}
