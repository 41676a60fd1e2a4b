/* rlock: parses server URIs with PHP's own URL parser into an rlock_server. */
#include "php.h"
#include "ext/standard/url.h"
#include "zend_smart_str.h"
#include "uri.h"
#include "tls.h"

#define RLOCK_DEFAULT_PORT 6379
#define RLOCK_MAX_DB 1000000

static const char redis_scheme[] = "redis://";
static const char rediss_scheme[] = "rediss://";
static const char unix_scheme[] = "unix://";

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);
	return len >= plen && strncasecmp(s, prefix, plen) == 0;
}

/* A percent-decoded, persistent copy of a URI component. */
static char *decoded_copy(const char *s, size_t len)
{
	char *copy = pemalloc(len + 1, 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	php_raw_url_decode(copy, len);
	return copy;
}

static bool parse_db(const char *s, size_t len, zend_long *db)
{
	zend_long value = 0;

	if (len == 0 || len > 7) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return false;
		}
		value = value * 10 + (s[i] - '0');
	}
	if (value > RLOCK_MAX_DB) {
		return false;
	}
	*db = value;
	return true;
}

/* unix:///path?db=N&user=U&password=P — the only place a query is accepted. */
static zend_result parse_unix_query(const char *q, size_t len, rlock_server *out, const char **why)
{
	const char *end = q + len;

	while (q < end) {
		const char *amp = memchr(q, '&', end - q);
		const char *item_end = amp ? amp : end;
		const char *eq = memchr(q, '=', item_end - q);
		size_t klen = eq ? (size_t) (eq - q) : 0;
		const char *v = eq ? eq + 1 : item_end;
		size_t vlen = item_end - v;

		if (!eq) {
			*why = "query items must be db=N, user=U or password=P";
			return FAILURE;
		}
		if (klen == 2 && memcmp(q, "db", 2) == 0) {
			if (!parse_db(v, vlen, &out->db)) {
				*why = "db must be a number from 0 to 1000000";
				return FAILURE;
			}
		} else if (klen == 4 && memcmp(q, "user", 4) == 0 && !out->user) {
			out->user = decoded_copy(v, vlen);
		} else if (klen == 8 && memcmp(q, "password", 8) == 0 && !out->pass) {
			out->pass = decoded_copy(v, vlen);
		} else {
			*why = "query items must be db=N, user=U or password=P";
			return FAILURE;
		}
		q = item_end + (amp ? 1 : 0);
	}
	return SUCCESS;
}

static zend_result parse_unix(const char *uri, size_t len, rlock_server *out, const char **why)
{
	/* php_url_parse_ex() refuses "unix:///p" but takes the equivalent "unix:/p". */
	size_t rest_len = len - (sizeof(unix_scheme) - 1);
	char *rewritten = emalloc(rest_len + sizeof("unix:"));
	php_url *url;
	zend_result result = FAILURE;

	memcpy(rewritten, "unix:", 5);
	memcpy(rewritten + 5, uri + sizeof(unix_scheme) - 1, rest_len);
	rewritten[rest_len + 5] = '\0';

	url = rest_len > 1 && rewritten[5] == '/' ? php_url_parse_ex(rewritten, rest_len + 5) : NULL;
	if (!url || !url->path || url->host || url->fragment) {
		*why = "a unix socket URI is unix:///absolute/path[?db=N]";
	} else {
		out->unix_path = decoded_copy(ZSTR_VAL(url->path), ZSTR_LEN(url->path));
		result = url->query ? parse_unix_query(ZSTR_VAL(url->query), ZSTR_LEN(url->query), out, why) : SUCCESS;
	}
	if (url) {
		php_url_free(url);
	}
	efree(rewritten);
	return result;
}

static zend_result parse_tcp_host(php_url *url, rlock_server *out, const char **why)
{
	const char *host = url->host ? ZSTR_VAL(url->host) : "";
	size_t host_len = url->host ? ZSTR_LEN(url->host) : 0;

	/* IPv6 literals come bracketed; hiredis wants them bare. */
	if (host_len > 2 && host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	}
	if (host_len == 0) {
		*why = "the host is missing";
		return FAILURE;
	}
	out->host = pestrndup(host, host_len, 1);
	out->port = url->port ? url->port : RLOCK_DEFAULT_PORT;
	return SUCCESS;
}

static zend_result parse_redis(const char *uri, size_t len, rlock_server *out, const char **why)
{
	php_url *url = php_url_parse_ex(uri, len);
	zend_result result = FAILURE;

	if (!url) {
		*why = "it is not a valid URI";
		return FAILURE;
	}
	if (url->query || url->fragment) {
		*why = "a redis:// URI takes no query or fragment";
	} else if (parse_tcp_host(url, out, why) == SUCCESS) {
		const char *path = url->path ? ZSTR_VAL(url->path) : "";
		size_t path_len = url->path ? ZSTR_LEN(url->path) : 0;

		if (path_len > 1 && !parse_db(path + 1, path_len - 1, &out->db)) {
			*why = "the database (/N) must be a number from 0 to 1000000";
		} else {
			if (url->user && ZSTR_LEN(url->user)) {
				out->user = decoded_copy(ZSTR_VAL(url->user), ZSTR_LEN(url->user));
			}
			if (url->pass) {
				out->pass = decoded_copy(ZSTR_VAL(url->pass), ZSTR_LEN(url->pass));
			}
			result = SUCCESS;
		}
	}
	php_url_free(url);
	return result;
}

static void describe(rlock_server *out)
{
	smart_str id = {0};

	if (out->unix_path) {
		out->display = pemalloc(strlen(out->unix_path) + 32, 1);
		sprintf(out->display, "unix://%s?db=" ZEND_LONG_FMT, out->unix_path, out->db);
	} else {
		const char *user = out->user ? out->user : "";

		out->display = pemalloc(strlen(out->host) + strlen(user) + 57, 1);
		sprintf(out->display, "%s://%s%s%s%s%s:%d/" ZEND_LONG_FMT, out->tls ? "rediss" : "redis",
			user, out->pass ? ":***@" : "",
			strchr(out->host, ':') ? "[" : "", out->host, strchr(out->host, ':') ? "]" : "",
			out->port, out->db);
	}
	/* NUL separates the fields so that no field's content can imitate another's. */
	smart_str_appends(&id, out->display);
	smart_str_appendc(&id, '\0');
	smart_str_appends(&id, out->user ? out->user : "");
	smart_str_appendc(&id, '\0');
	smart_str_appends(&id, out->pass ? out->pass : "");
	if (out->tls) {
		rlock_tls_identify(&id, out->tls);
	}
	smart_str_0(&id);
	out->identity = zend_string_init(ZSTR_VAL(id.s), ZSTR_LEN(id.s), 1);
	smart_str_free(&id);
}

zend_result rlock_server_parse(const char *uri, size_t len, rlock_server *out, const char **why)
{
	zend_result result;

	memset(out, 0, sizeof(*out));
	if (len == 0) {
		*why = "it is empty";
		return FAILURE;
	}
	if (memchr(uri, '\0', len)) {
		*why = "it contains a NUL byte";
		return FAILURE;
	}
	if (has_prefix(uri, len, unix_scheme)) {
		result = parse_unix(uri, len, out, why);
	} else if (has_prefix(uri, len, redis_scheme)) {
		result = parse_redis(uri, len, out, why);
	} else if (has_prefix(uri, len, rediss_scheme) && rlock_tls_unavailable()) {
		*why = "TLS (rediss://) is not available: " RLOCK_TLS_WHY_NOT;
		result = FAILURE;
	} else if (has_prefix(uri, len, rediss_scheme)) {
		out->tls = rlock_tls_new();
		result = parse_redis(uri, len, out, why);
	} else {
		*why = "it must start with redis://, rediss:// or unix://";
		result = FAILURE;
	}
	if (result == SUCCESS && out->user && !out->pass) {
		*why = "an ACL user needs a password";
		result = FAILURE;
	}
	if (result == FAILURE) {
		rlock_server_free(out);
		return FAILURE;
	}
	describe(out);
	return SUCCESS;
}

bool rlock_server_same_endpoint(const rlock_server *a, const rlock_server *b)
{
	if (a->unix_path || b->unix_path) {
		return a->unix_path && b->unix_path && strcmp(a->unix_path, b->unix_path) == 0;
	}
	return a->port == b->port && strcasecmp(a->host, b->host) == 0;
}

/* Appends [from, to) of s with each password=... value written ***. */
static void append_masking_query_passwords(smart_str *out, const char *from, const char *to)
{
	static const char item[] = "password=";

	while (from < to) {
		const char *hit = php_memnistr(from, item, sizeof(item) - 1, to);
		const char *value_end;

		if (!hit) {
			break;
		}
		hit += sizeof(item) - 1;
		value_end = memchr(hit, '&', to - hit);
		value_end = value_end ? value_end : to;
		smart_str_appendl(out, from, hit - from);
		smart_str_appends(out, "***");
		from = value_end;
	}
	smart_str_appendl(out, from, to - from);
}

zend_string *rlock_uri_redact(const char *uri, size_t len)
{
	const char *end = uri + len, *scheme = php_memnstr(uri, "://", 3, end);
	const char *info = scheme ? scheme + 3 : uri, *at = NULL;
	smart_str out = {0};

	/* The last '@' ends the user info, even when a malformed password holds one. */
	for (const char *p = info; p < end; p++) {
		at = *p == '@' ? p : at;
	}
	if (at) {
		const char *colon = memchr(info, ':', at - info);

		smart_str_appendl(&out, uri, (colon ? colon + 1 : info) - uri);
		smart_str_appends(&out, "***");
		info = at;
	} else {
		info = uri;
	}
	append_masking_query_passwords(&out, info, end);
	smart_str_0(&out);
	return out.s ? smart_str_extract(&out) : ZSTR_EMPTY_ALLOC();
}

void rlock_server_free(rlock_server *server)
{
	char **fields[] = {&server->host, &server->unix_path, &server->user, &server->pass,
		&server->display};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (*fields[i]) {
			pefree(*fields[i], 1);
			*fields[i] = NULL;
		}
	}
	if (server->identity) {
		zend_string_release(server->identity);
		server->identity = NULL;
	}
	rlock_tls_free(server->tls);
	server->tls = NULL;
	if (server->sentinels) {
		rlock_sentinels_free(server->sentinels);
		server->sentinels = NULL;
	}
}

zend_result rlock_server_use_tls(rlock_server *server, const rlock_tls *tls, const char **why)
{
	if (server->unix_path) {
		*why = "the tls option does not apply to a unix:// socket";
		return FAILURE;
	}
	rlock_tls_free(server->tls);
	server->tls = rlock_tls_copy(tls);
	pefree(server->display, 1);
	zend_string_release(server->identity);
	describe(server); /* rediss://, and an identity of its own */
	return SUCCESS;
}

void rlock_sentinels_free(rlock_sentinels *s)
{
	for (int i = 0; i < s->count; i++) {
		rlock_server_free(&s->nodes[i]);
	}
	if (s->service) {
		pefree(s->service, 1);
	}
	pefree(s, 1);
}

void rlock_server_for_node(const rlock_server *seed, const char *host, size_t host_len, int port, rlock_server *out)
{
	memset(out, 0, sizeof(*out));
	out->host = pestrndup(host, host_len, 1);
	out->port = port;
	out->user = seed->user ? pestrdup(seed->user, 1) : NULL;
	out->pass = seed->pass ? pestrdup(seed->pass, 1) : NULL;
	out->tls = seed->tls ? rlock_tls_copy(seed->tls) : NULL;
	describe(out);
}
