/* rlock: the per-worker hiredis connections — lazy connect, fork check, reconnect. */
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include "php.h"
#include "pid.h"
#include "conn.h"
#include "connect.h"
#include "clock.h"
#include "interrupt.h"
#include "protocol.h"
#include "tls.h"
#include "sentinel.h"

static void conn_set_error(rlock_conn *c, const char *what, const char *detail)
{
	snprintf(c->error, sizeof(c->error), "%s %s: %s", what, c->server.display, detail);
}

static void drop_deferred(rlock_conn *c);

static void conn_close(rlock_conn *c)
{
	if (c->ctx) {
		/* redisFree() only closes our descriptor: after a fork the parent's
		 * copy of the socket, and its state in Redis, stay untouched. */
		redisFree(c->ctx);
		c->ctx = NULL;
	}
}

void rlock_conn_close_subscriber(rlock_conn *c)
{
	if (c->sub) {
		redisFree(c->sub); /* as above: safe on a socket inherited by fork */
		c->sub = NULL;
	}
}

static void close_sentinel_watch(rlock_conn *c)
{
	if (c->sentinel_watch) {
		redisFree(c->sentinel_watch); /* as above: safe on a socket inherited by fork */
		c->sentinel_watch = NULL;
	}
}

static void conn_dtor(zval *zv)
{
	rlock_conn *c = Z_PTR_P(zv);

	conn_close(c);
	close_sentinel_watch(c);
	rlock_conn_close_subscriber(c);
	drop_deferred(c);
	rlock_server_free(&c->server);
	pefree(c, 1);
}

void rlock_pool_init(rlock_pool *pool, rlock_stats *stats)
{
	zend_hash_init(&pool->conns, 4, NULL, conn_dtor, 1);
	pool->stats = stats;
}

void rlock_pool_destroy(rlock_pool *pool)
{
	zend_hash_destroy(&pool->conns);
}

rlock_conn *rlock_pool_get(rlock_pool *pool, const char *uri, size_t len, const char **why)
{
	rlock_server server;

	if (rlock_server_parse(uri, len, &server, why) == FAILURE) {
		return NULL;
	}
	return rlock_pool_adopt(pool, &server);
}

rlock_conn *rlock_pool_get_tls(rlock_pool *pool, const char *uri, size_t len, const struct rlock_tls *tls,
	const char **why)
{
	rlock_server server;

	if (rlock_server_parse(uri, len, &server, why) == FAILURE) {
		return NULL;
	}
	if (tls && rlock_server_use_tls(&server, tls, why) == FAILURE) {
		rlock_server_free(&server);
		return NULL;
	}
	return rlock_pool_adopt(pool, &server);
}

rlock_conn *rlock_pool_adopt(rlock_pool *pool, rlock_server *server_in)
{
	rlock_server server = *server_in;
	rlock_conn *c;

	c = zend_hash_find_ptr(&pool->conns, server.identity);
	if (c) {
		rlock_server_free(&server);
		return c;
	}
	c = pecalloc(1, sizeof(*c), 1);
	c->server = server;
	c->pool = pool;
	zend_hash_add_new_ptr(&pool->conns, server.identity, c);
	return c;
}

void rlock_conn_report(rlock_conn *c, rlock_failure *f)
{
	rlock_fail(f, c->error_is_random ? RLOCK_FAILURE_RANDOM : RLOCK_FAILURE_REDIS, "%s",
		c->error[0] ? c->error : RLOCK_FAILURE_UNKNOWN);
	c->error_is_random = false;
}

redisReply *rlock_conn_reject_errors(rlock_conn *c, redisReply *reply)
{
	if (rlock_reply_is_any_error(reply)) {
		conn_set_error(c, "Redis error from", reply->str ? reply->str : "unknown error");
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

redisContext *rlock_conn_connect(rlock_conn *c, const rlock_timeouts *t, bool select_db)
{
	char name[32];
	redisContext *ctx;

	snprintf(name, sizeof(name), "rlock-%ld", (long) rlock_pid());
	c->error[0] = '\0';
	ctx = rlock_server_connect(&c->server, t->connect_ms, t->read_ms, select_db, name,
		select_db ? &c->facts : NULL, c->error, sizeof(c->error));
	if (ctx) {
		c->pool->stats->connects++;
	}
	return ctx;
}

/* Once per worker and server, in the PHP error log (not as a PHP warning, which frameworks turn
 * into an exception in the middle of an acquire()): a server that may evict lock keys. */
static void conn_log_eviction(rlock_conn *c)
{
	char message[RLOCK_CONN_ERROR_MAX + 256];

	if (!c->facts.evicts[0] || c->eviction_logged) {
		return;
	}
	c->eviction_logged = true;
	snprintf(message, sizeof(message), "rlock: Redis at %s has maxmemory-policy %s: under memory pressure "
		"it evicts lock keys, and an evicted lock is a lock another process can take; set maxmemory-policy "
		"noeviction for the locks' Redis (see rlock's docs/guarantees.md)", c->server.display, c->facts.evicts);
	php_log_err_with_severity(message, LOG_WARNING);
}

static bool conn_open(rlock_conn *c, const rlock_timeouts *t)
{
	c->connect_failed = true;
	c->ctx = rlock_conn_connect(c, t, true);
	if (!c->ctx) {
		return false;
	}
	c->pid = rlock_pid();
	c->read_timeout = t->read_ms;
	c->connect_failed = false;
	c->opened++;
	conn_log_eviction(c);
	return true;
}

/* Through Sentinel: a failover announced since the last command closes the connection, so
 * that the master is found anew — a demoted master takes writes for seconds, until the
 * sentinels reconfigure it. The watch is opened before the master is looked up, so that no
 * failover falls between the two; a broken watch, or one opened late, may have missed one. */
static void conn_follow_sentinels(rlock_conn *c, const rlock_timeouts *t)
{
	bool broken = false;

	if (c->sentinel_watch && c->sentinel_watch_pid != rlock_pid()) {
		close_sentinel_watch(c);
	}
	if (c->sentinel_watch && rlock_sentinel_switched(c->sentinel_watch, c->server.sentinels, &broken)) {
		conn_close(c);
	}
	if (broken) {
		close_sentinel_watch(c);
	}
	if (!c->sentinel_watch && rlock_now_us() >= c->sentinel_watch_retry_at) {
		/* a retry beside a working connection costs a request little, even with the sentinels blackholed */
		int64_t ms = c->ctx ? MIN(t->connect_ms, RLOCK_SENTINEL_CHECK_TIMEOUT_MS) : t->connect_ms;

		c->sentinel_watch = rlock_sentinel_watch(c->server.sentinels, ms, c->ctx ? ms : t->read_ms);
		c->sentinel_watch_pid = rlock_pid();
		c->sentinel_watch_retry_at = rlock_now_us() + 5000000; /* no sentinel took it: again in 5 s */
		if (c->sentinel_watch) {
			conn_close(c); /* what happened without a watch is learnt from the sentinels */
		}
	}
}

/* A usable context for this process, (re)connecting when needed. */
static bool conn_ready(rlock_conn *c, const rlock_timeouts *t)
{
	c->error[0] = '\0';
	if (c->server.sentinels) {
		conn_follow_sentinels(c, t);
	}
	if (c->ctx && (c->pid != rlock_pid() || c->ctx->err)) {
		conn_close(c);
	}
	if (!c->ctx) {
		return conn_open(c, t);
	}
	if (c->read_timeout != t->read_ms) {
		if (redisSetTimeout(c->ctx, rlock_ms_to_timeval(t->read_ms)) != REDIS_OK) {
			conn_set_error(c, "cannot set read timeout on", c->ctx->errstr);
			conn_close(c);
			return false;
		}
		c->read_timeout = t->read_ms;
	}
	return true;
}

/* The server closed or reset a connection we had kept: worth one fresh try.
 * A timeout is not: it would only double the wait. */
static bool conn_went_away(const redisContext *ctx, int saved_errno)
{
	return ctx->err == REDIS_ERR_EOF
		|| (ctx->err == REDIS_ERR_IO && (saved_errno == ECONNRESET || saved_errno == EPIPE));
}

static char *put_decimal(char *p, size_t n)
{
	char digits[24];
	int len = 0;

	do {
		digits[len++] = (char) ('0' + n % 10);
		n /= 10;
	} while (n);
	while (len) {
		*p++ = digits[--len];
	}
	return p;
}

static size_t resp_size(int argc, const size_t *argvlen)
{
	size_t len = 16;

	for (int i = 0; i < argc; i++) {
		len += argvlen[i] + 26;
	}
	return len;
}

/* Writes one command in RESP into p (resp_size() bytes); returns its end. */
static char *resp_write(char *p, int argc, const char **argv, const size_t *argvlen)
{
	*p++ = '*';
	p = put_decimal(p, (size_t) argc);
	*p++ = '\r';
	*p++ = '\n';
	for (int i = 0; i < argc; i++) {
		*p++ = '$';
		p = put_decimal(p, argvlen[i]);
		*p++ = '\r';
		*p++ = '\n';
		memcpy(p, argv[i], argvlen[i]);
		p += argvlen[i];
		*p++ = '\r';
		*p++ = '\n';
	}
	return p;
}

/* Queues one command in ctx's output buffer. The command is RESP-encoded here:
 * hiredis' own formatter (sdscatfmt) costs more CPU than the rest of the client
 * side of a round trip together. */
static bool conn_append(redisContext *ctx, int argc, const char **argv, const size_t *argvlen)
{
	char stack[1024], *buf = stack, *end;
	size_t len = resp_size(argc, argvlen);
	bool ok;

	if (len > sizeof(stack) && !(buf = malloc(len))) {
		return false;
	}
	end = resp_write(buf, argc, argv, argvlen);
	ok = redisAppendFormattedCommand(ctx, buf, end - buf) == REDIS_OK;
	if (buf != stack) {
		free(buf);
	}
	return ok;
}

static void drop_deferred(rlock_conn *c)
{
	for (int i = 0; i < c->deferred_count; i++) {
		free(c->deferred[i]);
	}
	c->deferred_count = 0;
}

void rlock_conn_defer(rlock_conn *c, int argc, const char **argv, const size_t *argvlen)
{
	char *buf = malloc(resp_size(argc, argvlen));

	if (!buf) {
		return;
	}
	if (c->deferred_pid != rlock_pid()) {
		drop_deferred(c); /* a fork parent's clean-ups are the parent's to send */
		c->deferred_pid = rlock_pid();
	}
	if (c->deferred_count == RLOCK_CONN_DEFERRED_MAX) {
		free(c->deferred[0]);
		memmove(c->deferred, c->deferred + 1, (RLOCK_CONN_DEFERRED_MAX - 1) * sizeof(c->deferred[0]));
		memmove(c->deferred_len, c->deferred_len + 1, (RLOCK_CONN_DEFERRED_MAX - 1) * sizeof(c->deferred_len[0]));
		c->deferred_count--;
	}
	c->deferred_len[c->deferred_count] = resp_write(buf, argc, argv, argvlen) - buf;
	c->deferred[c->deferred_count++] = buf;
}

/* Sends the deferred clean-ups ahead of the next command: they share its round trip. */
static bool append_deferred(rlock_conn *c)
{
	if (c->deferred_pid != rlock_pid()) {
		drop_deferred(c);
	}
	for (int i = 0; i < c->deferred_count; i++) {
		if (redisAppendFormattedCommand(c->ctx, c->deferred[i], c->deferred_len[i]) != REDIS_OK) {
			return false;
		}
	}
	return true;
}

typedef enum { READ_OK, READ_IO, READ_TIMEOUT, READ_INTERRUPTED } read_result;

/* Writes out what was appended and reads one reply by the deadline — with
 * poll(), not hiredis' blocking read, whose timeout starts over after every
 * signal. No PHP code runs here: a reply is owed on this connection. */
static read_result conn_read(rlock_conn *c, int64_t deadline, void **reply)
{
	int written = 0;

	*reply = NULL;
	while (!written) {
		if (redisBufferWrite(c->ctx, &written) != REDIS_OK) {
			return READ_IO;
		}
	}
	for (;;) {
		struct pollfd pfd = {c->ctx->fd, POLLIN, 0};
		int64_t left;
		int ready;

		if (redisGetReplyFromReader(c->ctx, reply) != REDIS_OK) {
			return READ_IO;
		}
		if (*reply) {
			return READ_OK;
		}
		if ((left = deadline - rlock_now_us()) <= 0) {
			return READ_TIMEOUT;
		}
		/* bytes OpenSSL has decrypted already are not on the socket for poll() to see */
		ready = rlock_tls_pending(c->ctx) ? 1 : poll(&pfd, 1, (int) MIN((left + 999) / 1000, INT_MAX));
		if (ready < 0 && errno == EINTR) {
			if (rlock_time_limit_struck()) {
				return READ_INTERRUPTED;
			}
		} else if (ready < 0 || (ready > 0 && redisBufferRead(c->ctx) != REDIS_OK)) {
			return READ_IO;
		}
	}
}

/* One command, one reply, within read_timeout; the deferred clean-ups go out
 * ahead of it and their replies are dropped (kept queued if one does not come:
 * they are idempotent and go out again with the next command). */
static redisReply *conn_roundtrip(rlock_conn *c, int argc, const char **argv, const size_t *argvlen,
	read_result *result)
{
	int64_t deadline = rlock_now_us() + (int64_t) c->read_timeout * 1000;
	void *reply = NULL;

	if (!append_deferred(c) || !conn_append(c->ctx, argc, argv, argvlen)) {
		*result = READ_IO;
		return NULL;
	}
	for (int i = 0; i < c->deferred_count; i++) {
		if ((*result = conn_read(c, deadline, &reply)) != READ_OK) {
			return NULL;
		}
		freeReplyObject(reply);
	}
	drop_deferred(c);
	*result = conn_read(c, deadline, &reply);
	return reply;
}

/* After a failed round trip: says why in c->error and closes the connection
 * (a reply still owed on it would answer the next command). */
static void conn_failed(rlock_conn *c, read_result result, int saved_errno)
{
	if (result == READ_TIMEOUT) {
		rlock_conn_timed_out(c);
	} else if (result == READ_INTERRUPTED) {
		conn_set_error(c, "interrupted while waiting for", "max_execution_time struck");
		c->timed_out = true; /* as for a timeout: what was sent may have landed, undo it later */
		conn_close(c);
		c->pool->stats->connection_errors++;
	} else {
		rlock_conn_fail(c, saved_errno);
	}
}

/* A master found through Sentinel that a failover made a replica: it refused the command
 * (READONLY), so sending it again to the new master is safe. */
static bool demoted_master(const rlock_conn *c, const redisReply *reply)
{
	return c->server.sentinels && reply && rlock_reply_is_error(reply, "READONLY");
}

redisReply *rlock_conn_command(rlock_conn *c, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen)
{
	bool reused = rlock_conn_reusable(c), refused;
	read_result result;
	redisReply *reply;

	c->resent = false;
	c->timed_out = false;
	if (!conn_ready(c, t)) {
		c->pool->stats->connection_errors++;
		return NULL;
	}
	c->pool->stats->commands++;
	reply = conn_roundtrip(c, argc, argv, argvlen, &result);
	refused = demoted_master(c, reply);
	if (refused) {
		freeReplyObject(reply); /* the sentinels are asked again, and the command goes to the new master */
		reply = NULL;
	}
	if (refused || (!reply && result == READ_IO && reused && conn_went_away(c->ctx, errno))) {
		conn_close(c);
		if (!conn_ready(c, t)) {
			c->pool->stats->connection_errors++;
			return NULL;
		}
		c->pool->stats->reconnects++;
		c->resent = true;
		c->pool->stats->commands++;
		reply = conn_roundtrip(c, argc, argv, argvlen, &result);
	}
	if (!reply) {
		conn_failed(c, result, errno);
	}
	return reply;
}

bool rlock_conn_send(rlock_conn *c, const rlock_timeouts *t, int argc, const char **argv, const size_t *argvlen)
{
	int done = 0;

	if (!conn_ready(c, t)) {
		c->pool->stats->connection_errors++;
		return false;
	}
	c->pool->stats->commands++;
	if (!conn_append(c->ctx, argc, argv, argvlen)) {
		rlock_conn_fail(c, errno);
		return false;
	}
	/* Commands are small: the socket buffer takes them whole, so this does not block. */
	while (!done) {
		if (redisBufferWrite(c->ctx, &done) != REDIS_OK) {
			rlock_conn_fail(c, errno);
			return false;
		}
	}
	return true;
}

bool rlock_conn_reusable(const rlock_conn *c)
{
	return c->ctx && c->pid == rlock_pid() && !c->ctx->err;
}

bool rlock_conn_went_away(const rlock_conn *c, int saved_errno)
{
	return c->ctx && conn_went_away(c->ctx, saved_errno);
}

void rlock_conn_fail(rlock_conn *c, int saved_errno)
{
	if (c->ctx) {
		c->timed_out = c->ctx->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
		rlock_describe_io_error(c->error, sizeof(c->error), &c->server, c->ctx, saved_errno, c->read_timeout);
	}
	conn_close(c);
	c->pool->stats->connection_errors++;
}

void rlock_conn_timed_out(rlock_conn *c)
{
	rlock_describe_timeout(c->error, sizeof(c->error), &c->server, c->read_timeout);
	c->timed_out = true;
	conn_close(c);
	c->pool->stats->connection_errors++;
}
