/* rlock: a master found through Redis Sentinel, as the sentinel client guidelines ask: each
 * sentinel in turn is asked for the master's address, and the master must say ROLE master
 * (checked in the connect handshake, src/connect.c) before it is used. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "zend_smart_str.h"
#include "sentinel.h"
#include "protocol.h"
#include "clock.h"

/* A short connection to one sentinel (AUTH when its URI has a password); NULL with why. */
static redisContext *sentinel_open(const rlock_server *node, int64_t connect_ms, int64_t read_ms,
	char *why, size_t why_size)
{
	struct timeval connect_tv = {connect_ms / 1000, (connect_ms % 1000) * 1000};
	struct timeval read_tv = {read_ms / 1000, (read_ms % 1000) * 1000};
	redisContext *ctx = node->unix_path ? redisConnectUnixWithTimeout(node->unix_path, connect_tv)
		: redisConnectWithTimeout(node->host, node->port, connect_tv);
	redisReply *reply = NULL;

	if (!ctx || ctx->err || redisSetTimeout(ctx, read_tv) != REDIS_OK) {
		snprintf(why, why_size, "%s: %s", node->display, ctx ? ctx->errstr : "out of memory");
	} else if (node->pass) {
		reply = node->user ? redisCommand(ctx, "AUTH %s %s", node->user, node->pass)
			: redisCommand(ctx, "AUTH %s", node->pass);
		if (!reply || rlock_reply_is_any_error(reply)) {
			snprintf(why, why_size, "%s: authentication failed: %s", node->display,
				reply ? reply->str : ctx->errstr);
		}
	}
	if (reply) {
		freeReplyObject(reply);
	}
	if (ctx && why[0]) {
		redisFree(ctx);
		ctx = NULL;
	}
	return ctx;
}

static bool parse_port(const char *text, int *port)
{
	char *end = NULL;
	long value = strtol(text, &end, 10);

	*port = (int) value;
	return end != text && *end == '\0' && value > 0 && value <= 65535;
}

/* One sentinel's answer: true with host and port; else why it gave none, into error. */
static bool ask_sentinel(const rlock_server *node, const char *service, int64_t connect_ms, int64_t read_ms,
	char *host, size_t host_size, int *port, char *error, size_t errlen)
{
	redisContext *ctx;
	redisReply *reply;
	const redisReply *name, *at;
	bool found = false;

	error[0] = '\0';
	if (!(ctx = sentinel_open(node, connect_ms, read_ms, error, errlen))) {
		return false;
	}
	reply = redisCommand(ctx, "SENTINEL get-master-addr-by-name %s", service);
	name = rlock_reply_at(reply, 0);
	at = rlock_reply_at(reply, 1);
	if (!reply) {
		snprintf(error, errlen, "%s: %s", node->display, ctx->errstr);
	} else if (rlock_reply_is_any_error(reply) || rlock_reply_is_nil(reply)) {
		snprintf(error, errlen, "%s: %s", node->display, reply->str ? reply->str : "it knows no master of that name");
	} else if (!name || !at || name->type != REDIS_REPLY_STRING || at->type != REDIS_REPLY_STRING
			|| name->len >= host_size || !parse_port(at->str, port)) {
		snprintf(error, errlen, "%s: an address that is not host and port", node->display);
	} else {
		memcpy(host, name->str, name->len + 1);
		found = true;
	}
	if (reply) {
		freeReplyObject(reply);
	}
	redisFree(ctx);
	return found;
}

bool rlock_sentinel_find_master(const rlock_sentinels *s, int64_t connect_ms, int64_t read_ms,
	char *host, size_t host_size, int *port, char *error, size_t errlen)
{
	size_t used = (size_t) snprintf(error, errlen, "no sentinel named a master of \"%s\":", s->service);

	for (int i = 0; i < s->count; i++) {
		char why[160];

		if (ask_sentinel(&s->nodes[i], s->service, connect_ms, read_ms, host, host_size, port, why, sizeof(why))) {
			return true;
		}
		if (used < errlen) {
			used += (size_t) snprintf(error + used, errlen - used, "%s %s", i ? ";" : "", why);
		}
	}
	return false;
}

bool rlock_sentinel_still_master(rlock_sentinels *s, const redisContext *ctx, int64_t timeout_ms)
{
	char host[RLOCK_SENTINEL_HOST_MAX], error[256];
	int64_t now = rlock_now_us(), ask_ms = MIN(timeout_ms, RLOCK_SENTINEL_CHECK_TIMEOUT_MS);
	int port;

	/* a renewal round is not held up by the sentinels more than once a second, or for long */
	if (now < s->checked_at_us + 1000000) {
		return true;
	}
	s->checked_at_us = now;
	if (!rlock_sentinel_find_master(s, ask_ms, ask_ms, host, sizeof(host), &port, error, sizeof(error))) {
		return true;
	}
	return ctx->tcp.host && strcmp(ctx->tcp.host, host) == 0 && ctx->tcp.port == port;
}

redisContext *rlock_sentinel_watch(const rlock_sentinels *s, int64_t connect_ms, int64_t read_ms)
{
	for (int i = 0; i < s->count; i++) {
		char why[160] = "";
		redisContext *ctx = sentinel_open(&s->nodes[i], connect_ms, read_ms, why, sizeof(why));
		redisReply *reply = ctx ? redisCommand(ctx, "SUBSCRIBE +promoted-slave +switch-master") : NULL;
		bool subscribed = reply && reply->type == REDIS_REPLY_ARRAY;

		if (reply) {
			freeReplyObject(reply);
		}
		if (subscribed) {
			redisEnableKeepAlive(ctx); /* a sentinel host gone silently is noticed, not waited for forever */
			return ctx;
		}
		if (ctx) {
			redisFree(ctx);
		}
	}
	return NULL;
}

/* "+promoted-slave slave <ip:port> <ip> <port> @ <service> <ip> <port>" (the moment a replica
 * becomes the master, before the old one is reconfigured) or "+switch-master <service> ..." */
static bool names_service(const redisReply *reply, const rlock_sentinels *s)
{
	const redisReply *channel = rlock_reply_at(reply, 1);
	const char *payload, *at;
	size_t len, name_len = strlen(s->service);

	if (!rlock_reply_message(reply, &payload, &len) || !channel || channel->type != REDIS_REPLY_STRING) {
		return false;
	}
	if (strcmp(channel->str, "+promoted-slave") == 0) {
		at = strstr(payload, " @ ");
		return at && strncmp(at + 3, s->service, name_len) == 0 && at[3 + name_len] == ' ';
	}
	return len > name_len && memcmp(payload, s->service, name_len) == 0 && payload[name_len] == ' ';
}

bool rlock_sentinel_switched(redisContext *watch, const rlock_sentinels *s, bool *broken)
{
	struct pollfd pfd = {watch->fd, POLLIN, 0};
	bool switched = false;
	void *reply = NULL;

	*broken = watch->err != 0;
	while (!*broken && poll(&pfd, 1, 0) == 1) {
		if (redisBufferRead(watch) != REDIS_OK) {
			*broken = true;
			break;
		}
		while (redisGetReplyFromReader(watch, &reply) == REDIS_OK && reply) {
			switched = switched || names_service(reply, s);
			freeReplyObject(reply);
			reply = NULL;
		}
		*broken = watch->err != 0;
	}
	return switched;
}

/* Parses each sentinel URI into s->nodes; FAILURE with *why set. */
static zend_result add_sentinel(rlock_sentinels *s, const char *uri, size_t len, const char **why)
{
	if (s->count == RLOCK_SENTINELS_MAX) {
		*why = "at most 16 sentinels may be listed";
		return FAILURE;
	}
	if (rlock_server_parse(uri, len, &s->nodes[s->count], why) == FAILURE) {
		return FAILURE;
	}
	if (s->nodes[s->count].tls) {
		/* sentinels are asked over plain connections (src/sentinel.c), not rlock_server_connect() */
		rlock_server_free(&s->nodes[s->count]);
		*why = "TLS to sentinels (rediss://) is not supported yet";
		return FAILURE;
	}
	s->count++;
	return SUCCESS;
}

static zend_result add_sentinels(rlock_sentinels *s, const zval *uris, const char **why)
{
	const zval *uri;

	if (Z_TYPE_P(uris) == IS_STRING) {
		const char *list = Z_STRVAL_P(uris), *end = list + Z_STRLEN_P(uris);

		while (list < end) {
			const char *comma = memchr(list, ',', end - list);
			const char *item_end = comma ? comma : end;

			const char *from = list, *to = item_end;

			while (from < to && *from == ' ') {
				from++;
			}
			while (to > from && to[-1] == ' ') {
				to--;
			}
			if (add_sentinel(s, from, to - from, why) == FAILURE) {
				return FAILURE;
			}
			list = item_end + (comma ? 1 : 0);
		}
	} else {
		ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(uris), uri) {
			ZVAL_DEREF(uri);
			if (add_sentinel(s, Z_STRVAL_P(uri), Z_STRLEN_P(uri), why) == FAILURE) {
				return FAILURE;
			}
		} ZEND_HASH_FOREACH_END();
	}
	if (s->count == 0) {
		*why = "no sentinel is listed";
		return FAILURE;
	}
	return SUCCESS;
}

/* The master's display says how it is found; its identity adds each sentinel's. */
static void describe_master(rlock_server *out, const rlock_sentinels *s)
{
	smart_str text = {0};

	smart_str_append_printf(&text, "the master of \"%s\" (db " ZEND_LONG_FMT ", through Sentinel at %s%s)",
		s->service, out->db, s->nodes[0].display, s->count > 1 ? " and others" : "");
	smart_str_0(&text);
	pefree(out->display, 1);
	out->display = pestrdup(ZSTR_VAL(text.s), 1);
	smart_str_free(&text);

	smart_str_appendl(&text, ZSTR_VAL(out->identity), ZSTR_LEN(out->identity));
	for (int i = 0; i < s->count; i++) {
		smart_str_appendc(&text, '\0');
		smart_str_appendl(&text, ZSTR_VAL(s->nodes[i].identity), ZSTR_LEN(s->nodes[i].identity));
	}
	smart_str_0(&text);
	zend_string_release(out->identity);
	out->identity = zend_string_init(ZSTR_VAL(text.s), ZSTR_LEN(text.s), 1);
	smart_str_free(&text);
}

/* Sentinel's master names as people write them: no URI punctuation to misread. */
static bool is_service_name(const char *name, size_t len)
{
	if (len == 0 || len > 128) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char) name[i]) && !strchr("._-", name[i])) {
			return false;
		}
	}
	return true;
}

/* service as a redis:// URI whose host is the master's name. */
static zend_result parse_service(const char *service, size_t len, rlock_server *out, const char **why)
{
	bool is_uri = len > 8 && strncasecmp(service, "redis://", 8) == 0;
	smart_str uri = {0};
	zend_result parsed;

	if (!is_uri && !is_service_name(service, len)) {
		*why = "the service must be the master's name (letters, digits, '.', '-', '_'), "
			"or redis://[user:password@]name[/db]";
		return FAILURE;
	}
	smart_str_appends(&uri, is_uri ? "" : "redis://");
	smart_str_appendl(&uri, service, len);
	smart_str_0(&uri);
	parsed = rlock_server_parse(ZSTR_VAL(uri.s), ZSTR_LEN(uri.s), out, why);
	smart_str_free(&uri);
	if (parsed == SUCCESS && !is_service_name(out->host, strlen(out->host))) {
		*why = "the service's host must be the master's name (letters, digits, '.', '-', '_')";
		rlock_server_free(out);
		return FAILURE;
	}
	return parsed;
}

zend_result rlock_sentinel_server(const char *service, size_t service_len, const zval *uris,
	rlock_server *out, const char **why)
{
	rlock_sentinels *s;

	if (parse_service(service, service_len, out, why) == FAILURE) {
		return FAILURE;
	}
	s = pecalloc(1, sizeof(*s), 1);
	s->service = pestrdup(out->host, 1);
	if (add_sentinels(s, uris, why) == FAILURE) {
		rlock_sentinels_free(s);
		rlock_server_free(out);
		return FAILURE;
	}
	describe_master(out, s);
	out->sentinels = s;
	return SUCCESS;
}
