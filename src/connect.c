/* rlock: opening one hiredis connection to a server. Touches no PHP state, so
 * the watchdog thread uses it as well as the per-worker pool (src/conn.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "connect.h"
#include "protocol.h"
#include "tls.h"
#include "sentinel.h"

struct timeval rlock_ms_to_timeval(int64_t ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	return tv;
}

void rlock_describe_timeout(char *error, size_t errlen, const rlock_server *server, int64_t timeout_ms)
{
	snprintf(error, errlen, "timed out talking to %s: no reply within read_timeout (%lld ms)",
		server->display, (long long) timeout_ms);
}

void rlock_describe_io_error(char *error, size_t errlen, const rlock_server *server,
	const redisContext *ctx, int saved_errno, int64_t timeout_ms)
{
	if (ctx->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
		rlock_describe_timeout(error, errlen, server, timeout_ms);
	} else {
		snprintf(error, errlen, "lost connection to %s: %s", server->display, ctx->errstr);
	}
}

/* The value of "field:" in an INFO reply into out (size bytes), or "" when it is missing or
 * longer. */
static void read_info_field(const redisReply *reply, const char *field, char *out, size_t size)
{
	const char *info;
	size_t info_len, field_len = strlen(field);
	const char *at = rlock_reply_text(reply, &info, &info_len) ? strstr(info, field) : NULL;
	size_t len = at ? strcspn(at + field_len, "\r\n") : 0;

	out[0] = '\0';
	if (at && len < size) {
		memcpy(out, at + field_len, len);
		out[len] = '\0';
	}
}

static void read_run_id(const redisReply *reply, rlock_server_facts *facts)
{
	read_info_field(reply, "\nrun_id:", facts->run_id, sizeof(facts->run_id));
	if (strlen(facts->run_id) != RLOCK_RUN_ID_SIZE - 1) {
		facts->run_id[0] = '\0';
	}
}

/* Under memory pressure, allkeys-* and volatile-* policies evict lock keys (they all have a TTL). */
static void read_eviction(const redisReply *reply, rlock_server_facts *facts)
{
	char maxmemory[24];

	read_info_field(reply, "\nmaxmemory:", maxmemory, sizeof(maxmemory));
	read_info_field(reply, "\nmaxmemory_policy:", facts->evicts, sizeof(facts->evicts));
	if (strcmp(maxmemory, "0") == 0 || maxmemory[0] == '\0'
			|| (strncmp(facts->evicts, "allkeys-", 8) != 0 && strncmp(facts->evicts, "volatile-", 9) != 0)) {
		facts->evicts[0] = '\0';
	}
}

/* With TLS 1.3 a server refuses our certificate (or its absence) only after the TLS
 * handshake, on the first read: hiredis would say only "Connection reset by peer". */
static void describe_handshake_error(char *error, size_t errlen, const rlock_server *server,
	const redisContext *ctx, int saved_errno, int64_t timeout_ms)
{
	char why[160];

	if (server->tls && saved_errno != EAGAIN && saved_errno != EWOULDBLOCK && rlock_tls_explain(ctx, why, sizeof(why))) {
		snprintf(error, errlen, "lost connection to %s: %s", server->display, why);
	} else {
		rlock_describe_io_error(error, errlen, server, ctx, saved_errno, timeout_ms);
	}
}

/* ROLE's first element: a master found through Sentinel must say so, or it is an old one. */
static bool is_master(const redisReply *reply)
{
	const redisReply *role = rlock_reply_at(reply, 0);

	return role && role->type == REDIS_REPLY_STRING && strcmp(role->str, "master") == 0;
}

/* Why a server the sentinels named will not do: a replica, or a user that may not ask ROLE. */
static void describe_role(const redisReply *reply, const rlock_server *server, char *error, size_t errlen)
{
	if (rlock_reply_is_any_error(reply)) {
		snprintf(error, errlen, "%s refused ROLE, which rlock asks a master found through Sentinel: %s "
			"(allow +role for its user)", server->display, reply->str);
	} else {
		snprintf(error, errlen, "%s: the server the sentinels named is not a master (yet): "
			"a failover is under way", server->display);
	}
}

/* AUTH and SELECT go out in one round trip; the name lets operators tell
 * rlock's connections apart in CLIENT LIST. */
static bool handshake(redisContext *ctx, const rlock_server *server, bool select_db, const char *name,
	rlock_server_facts *facts, int64_t timeout_ms, char *error, size_t errlen)
{
	int sent = 0, auth_at = -1, select_at = -1, info_at = -1, memory_at = -1, role_at = -1;
	bool ok = true;

	if (server->pass) {
		if (server->user) {
			redisAppendCommand(ctx, "AUTH %s %s", server->user, server->pass);
		} else {
			redisAppendCommand(ctx, "AUTH %s", server->pass);
		}
		auth_at = sent++;
	}
	if (select_db && server->db) {
		redisAppendCommand(ctx, "SELECT %lld", (long long) server->db);
		select_at = sent++;
	}
	redisAppendCommand(ctx, "CLIENT SETNAME %s", name);
	sent++;
	if (server->sentinels) {
		redisAppendCommand(ctx, "ROLE");
		role_at = sent++;
	}
	if (facts) {
		memset(facts, 0, sizeof(*facts));
		redisAppendCommand(ctx, "INFO server");
		info_at = sent++;
		redisAppendCommand(ctx, "INFO memory");
		memory_at = sent++;
	}

	for (int i = 0; i < sent; i++) {
		redisReply *reply = NULL;

		if (redisGetReply(ctx, (void **) &reply) != REDIS_OK) {
			describe_handshake_error(error, errlen, server, ctx, errno, timeout_ms);
			return false;
		}
		if (ok && rlock_reply_is_error(reply, "") && (i == auth_at || i == select_at)) {
			snprintf(error, errlen, "%s %s: %s", i == auth_at ? "authentication failed at" : "SELECT failed at",
				server->display, reply->str);
			ok = false;
		}
		if (ok && i == role_at && !is_master(reply)) {
			describe_role(reply, server, error, errlen);
			ok = false;
		}
		if (i == info_at) {
			read_run_id(reply, facts);
		} else if (i == memory_at) {
			read_eviction(reply, facts);
		}
		freeReplyObject(reply);
	}
	return ok;
}

/* For a rediss:// server, TLS before any command: the handshake is part of connecting. */
static bool start_tls(redisContext *ctx, const rlock_server *server, const char *host, int64_t connect_ms,
	char *error, size_t errlen)
{
	char why[256];

	if (!server->tls || rlock_tls_start(ctx, server->tls, host, connect_ms, why, sizeof(why))) {
		return true;
	}
	snprintf(error, errlen, "cannot connect to %s: %s", server->display, why);
	return false;
}

redisContext *rlock_server_connect(const rlock_server *server, int64_t connect_ms, int64_t read_ms,
	bool select_db, const char *name, rlock_server_facts *facts, char *error, size_t errlen)
{
	struct timeval tv = rlock_ms_to_timeval(connect_ms);
	char host[RLOCK_SENTINEL_HOST_MAX];
	int port = server->port;
	redisContext *ctx;

	if (server->sentinels && !rlock_sentinel_find_master(server->sentinels, connect_ms, read_ms,
			host, sizeof(host), &port, error, errlen)) {
		return NULL;
	}
	ctx = server->unix_path ? redisConnectUnixWithTimeout(server->unix_path, tv)
		: redisConnectWithTimeout(server->sentinels ? host : server->host, port, tv);
	if (!ctx || ctx->err) {
		char where[RLOCK_SENTINEL_HOST_MAX + 16] = "";

		if (server->sentinels) {
			snprintf(where, sizeof(where), " at %s:%d", host, port);
		}
		snprintf(error, errlen, "cannot connect to %s%s: %s", server->display, where, ctx ? ctx->errstr : "out of memory");
	} else if (!start_tls(ctx, server, server->sentinels ? host : server->host, connect_ms, error, errlen)) {
		/* error says why */
	} else if (redisSetTimeout(ctx, rlock_ms_to_timeval(read_ms)) != REDIS_OK) {
		snprintf(error, errlen, "cannot set up connection to %s: %s", server->display, ctx->errstr);
	} else if (handshake(ctx, server, select_db, name, facts, read_ms, error, errlen)) {
		return ctx;
	}
	if (ctx) {
		redisFree(ctx);
	}
	return NULL;
}
