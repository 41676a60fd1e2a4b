/* rlock: the per-worker hiredis connections — lazy connect, fork check, reconnect. */
#include <errno.h>
#include <unistd.h>
#include "php.h"
#include "php_rlock.h"
#include "pid.h"
#include "conn.h"
#include "connect.h"
#include "cluster.h"
#include "clock.h"

static void conn_set_error(rlock_conn *c, const char *what, const char *detail)
{
	snprintf(c->error, sizeof(c->error), "%s %s: %s", what, c->server.display, detail);
}

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

static void conn_dtor(zval *zv)
{
	rlock_conn *c = Z_PTR_P(zv);

	conn_close(c);
	rlock_conn_close_subscriber(c);
	rlock_server_free(&c->server);
	pefree(c, 1);
}

void rlock_pool_init(HashTable *pool)
{
	zend_hash_init(pool, 4, NULL, conn_dtor, 1);
}

void rlock_pool_destroy(HashTable *pool)
{
	zend_hash_destroy(pool);
}

rlock_conn *rlock_pool_get(const char *uri, size_t len, const char **why)
{
	rlock_server server;

	if (rlock_server_parse(uri, len, &server, why) == FAILURE) {
		return NULL;
	}
	return rlock_pool_adopt(&server);
}

rlock_conn *rlock_pool_adopt(rlock_server *server_in)
{
	rlock_server server = *server_in;
	rlock_conn *c;

	c = zend_hash_find_ptr(&RLOCK_G(conns), server.identity);
	if (c) {
		rlock_server_free(&server);
		return c;
	}
	c = pecalloc(1, sizeof(*c), 1);
	c->server = server;
	zend_hash_add_new_ptr(&RLOCK_G(conns), server.identity, c);
	return c;
}

redisReply *rlock_conn_reject_errors(rlock_conn *c, redisReply *reply)
{
	if (reply && reply->type == REDIS_REPLY_ERROR) {
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
	ctx = rlock_server_connect(&c->server, t->connect_ms, t->read_ms, select_db, name, c->error, sizeof(c->error));
	if (ctx) {
		RLOCK_G(stats).connects++;
	}
	return ctx;
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
	return true;
}

/* A usable context for this process, (re)connecting when needed. */
static bool conn_ready(rlock_conn *c, const rlock_timeouts *t)
{
	c->error[0] = '\0';
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

/* Queues one command in ctx's output buffer. The command is RESP-encoded here:
 * hiredis' own formatter (sdscatfmt) costs more CPU than the rest of the client
 * side of a round trip together. */
static bool conn_append(redisContext *ctx, int argc, const char **argv, const size_t *argvlen)
{
	char stack[1024], *buf = stack, *p;
	size_t len = 16;
	bool ok;

	for (int i = 0; i < argc; i++) {
		len += argvlen[i] + 26;
	}
	if (len > sizeof(stack) && !(buf = malloc(len))) {
		return false;
	}
	p = buf;
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
	ok = redisAppendFormattedCommand(ctx, buf, p - buf) == REDIS_OK;
	if (buf != stack) {
		free(buf);
	}
	return ok;
}

/* One command, one reply. */
static redisReply *conn_roundtrip(redisContext *ctx, int argc, const char **argv, const size_t *argvlen)
{
	void *reply = NULL;

	if (conn_append(ctx, argc, argv, argvlen)) {
		redisGetReply(ctx, &reply);
	}
	return reply;
}

redisReply *rlock_conn_command(rlock_conn *c, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen)
{
	bool reused = rlock_conn_reusable(c);
	redisReply *reply;

	c->resent = false;
	if (!conn_ready(c, t)) {
		RLOCK_G(stats).connection_errors++;
		return NULL;
	}
	RLOCK_G(stats).commands++;
	reply = conn_roundtrip(c->ctx, argc, argv, argvlen);
	if (!reply && reused && conn_went_away(c->ctx, errno)) {
		conn_close(c);
		if (!conn_ready(c, t)) {
			RLOCK_G(stats).connection_errors++;
			return NULL;
		}
		RLOCK_G(stats).reconnects++;
		c->resent = true;
		RLOCK_G(stats).commands++;
		reply = conn_roundtrip(c->ctx, argc, argv, argvlen);
	}
	if (!reply) {
		rlock_conn_fail(c, errno);
	}
	return reply;
}

static bool error_is(const redisReply *reply, const char *prefix)
{
	return reply->type == REDIS_REPLY_ERROR && reply->str && strncmp(reply->str, prefix, strlen(prefix)) == 0;
}

/* "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381": the slot and the node. */
static rlock_conn *redirect_target(rlock_conn *c, const redisReply *reply, bool update_map)
{
	const char *slot_at = strchr(reply->str, ' '), *addr, *colon;
	long slot;

	if (!slot_at || !(addr = strchr(slot_at + 1, ' ')) || !(colon = strrchr(addr + 1, ':'))) {
		return NULL;
	}
	slot = strtol(slot_at + 1, NULL, 10);
	return update_map
		? rlock_cluster_moved(c->cluster, slot, addr + 1, colon - addr - 1, atoi(colon + 1))
		: rlock_cluster_node(c->cluster, addr + 1, colon - addr - 1, atoi(colon + 1));
}

#define RLOCK_REDIRECTS_MAX 5

redisReply *rlock_conn_routed(rlock_conn **cp, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen)
{
	/* A slot being resharded answers TRYAGAIN for a while: retried within read_timeout. */
	int64_t give_up = rlock_now_us() + (int64_t) t->read_ms * 1000;
	int hops = 0;

	for (int attempt = 0; ; attempt++) {
		rlock_conn *c = *cp, *target;
		redisReply *reply = rlock_conn_command(c, t, argc, argv, argvlen);
		bool moved = false;

		if (!reply && c->cluster) {
			rlock_cluster_forget(c->cluster, c); /* a failover, maybe: ask for the map next time */
		}
		if (!reply || !c->cluster || reply->type != REDIS_REPLY_ERROR || hops == RLOCK_REDIRECTS_MAX) {
			return reply;
		}
		if (error_is(reply, "MOVED ") && (target = redirect_target(c, reply, true))) {
			*cp = target; /* the slot lives there now */
			moved = true;
			hops++;
		} else if (error_is(reply, "ASK ") && (target = redirect_target(c, reply, false))) {
			/* the slot is migrating: this one command goes to the importing node */
			const char *asking[1] = {"ASKING"};
			size_t asking_len[1] = {6};
			redisReply *ok = rlock_conn_command(target, t, 1, asking, asking_len);

			freeReplyObject(reply);
			if (!ok) {
				*cp = target;
				return NULL;
			}
			freeReplyObject(ok);
			reply = rlock_conn_command(target, t, argc, argv, argvlen);
			if (!reply || !error_is(reply, "TRYAGAIN")) {
				*cp = target;
				return reply;
			}
			/* the importing node lacks some keys yet: TRYAGAIN below, from the top */
		}
		if (!moved) {
			if ((!error_is(reply, "TRYAGAIN") && !error_is(reply, "CLUSTERDOWN")) || rlock_now_us() >= give_up) {
				return reply;
			}
			rlock_sleep_us(MIN(5000 * (attempt + 1), 50000)); /* a resharding or failover in progress */
		}
		freeReplyObject(reply);
	}
}

redisReply *rlock_conn_call(rlock_conn **cp, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen)
{
	redisReply *reply = rlock_conn_routed(cp, t, argc, argv, argvlen);

	return rlock_conn_reject_errors(*cp, reply);
}

bool rlock_conn_send(rlock_conn *c, const rlock_timeouts *t, int argc, const char **argv, const size_t *argvlen)
{
	int done = 0;

	if (!conn_ready(c, t)) {
		RLOCK_G(stats).connection_errors++;
		return false;
	}
	RLOCK_G(stats).commands++;
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
		rlock_describe_io_error(c->error, sizeof(c->error), &c->server, c->ctx, saved_errno, c->read_timeout);
	}
	conn_close(c);
	RLOCK_G(stats).connection_errors++;
}

void rlock_conn_timed_out(rlock_conn *c)
{
	rlock_describe_timeout(c->error, sizeof(c->error), &c->server, c->read_timeout);
	conn_close(c);
	RLOCK_G(stats).connection_errors++;
}
