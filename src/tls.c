/* rlock: TLS for rediss:// servers — the settings, one OpenSSL context per server, and
 * starting TLS on a hiredis connection (hiredis >= 1.0 with hiredis_ssl). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "php.h"
#include "tls.h"
#ifdef RLOCK_HAVE_TLS
# include <openssl/err.h>
# include <openssl/ssl.h>
# include <openssl/x509v3.h>
# include <hiredis/hiredis_ssl.h>
#endif

const char *rlock_tls_unavailable(void)
{
#ifdef RLOCK_HAVE_TLS
	return NULL;
#else
	return RLOCK_TLS_MISSING;
#endif
}

rlock_tls *rlock_tls_new(void)
{
	rlock_tls *tls = pecalloc(1, sizeof(*tls), 1);

	tls->verify_peer = true;
	tls->verify_peer_name = true;
	pthread_mutex_init(&tls->lock, NULL);
	return tls;
}

static char *copy_or_null(const char *s)
{
	return s ? pestrdup(s, 1) : NULL;
}

/* The settings, not the context: each server makes its own when it first connects. */
rlock_tls *rlock_tls_copy(const rlock_tls *tls)
{
	rlock_tls *copy = rlock_tls_new();

	copy->cafile = copy_or_null(tls->cafile);
	copy->local_cert = copy_or_null(tls->local_cert);
	copy->local_pk = copy_or_null(tls->local_pk);
	copy->peer_name = copy_or_null(tls->peer_name);
	copy->verify_peer = tls->verify_peer;
	copy->verify_peer_name = tls->verify_peer_name;
	return copy;
}

void rlock_tls_free(rlock_tls *tls)
{
	if (!tls) {
		return;
	}
	char *strings[] = {tls->cafile, tls->local_cert, tls->local_pk, tls->peer_name};

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if (strings[i]) {
			pefree(strings[i], 1);
		}
	}
#ifdef RLOCK_HAVE_TLS
	SSL_CTX_free(tls->ssl_ctx); /* connections still open hold their own reference */
#endif
	pthread_mutex_destroy(&tls->lock);
	pefree(tls, 1);
}

void rlock_tls_identify(smart_str *id, const rlock_tls *tls)
{
	const char *strings[] = {tls->cafile, tls->local_cert, tls->local_pk, tls->peer_name};

	/* NUL-separated like the rest of the identity; no setting may be "", so "" is unset. */
	smart_str_appendl(id, "\0tls", 4);
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		smart_str_appendc(id, '\0');
		smart_str_appends(id, strings[i] ? strings[i] : "");
	}
	smart_str_appendc(id, '\0');
	smart_str_appendc(id, tls->verify_peer ? 'v' : '-');
	smart_str_appendc(id, tls->verify_peer_name ? 'n' : '-');
}

#ifdef RLOCK_HAVE_TLS

/* OpenSSL's reason for the first error on this thread (the cause: "No such file or
 * directory" before "BIO lib"), the queue then cleared; NULL if none. */
static const char *tls_failure(void)
{
	unsigned long e = ERR_peek_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return reason;
}

static bool ctx_failed(SSL_CTX *ctx, const char *what, const char *path, char *error, size_t errlen)
{
	const char *reason = tls_failure();

	snprintf(error, errlen, "cannot load the TLS %s \"%s\": %s", what, path,
		reason ? reason : (errno ? strerror(errno) : "unknown error"));
	SSL_CTX_free(ctx);
	return false;
}

/* A server asks for a client certificate and we have none: marked, so that a refusal
 * (which TLS 1.3 shows only at the first read) can be explained. */
static int no_client_cert(SSL *ssl, X509 **cert, EVP_PKEY **key)
{
	SSL_set_app_data(ssl, (char *) "asked");
	return 0;
}

/* Loads the CAs and the client certificate: once per server, not per connection. */
static bool make_ctx(rlock_tls *tls, char *error, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		snprintf(error, errlen, "cannot set up TLS: %s", tls_failure() ?: "out of memory");
		return false;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, tls->verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	errno = 0;
	if (tls->verify_peer && tls->cafile && !SSL_CTX_load_verify_locations(ctx, tls->cafile, NULL)) {
		return ctx_failed(ctx, "cafile", tls->cafile, error, errlen);
	}
	if (tls->verify_peer && !tls->cafile && !SSL_CTX_set_default_verify_paths(ctx)) {
		return ctx_failed(ctx, "system CAs", X509_get_default_cert_file(), error, errlen);
	}
	if (tls->local_cert && !SSL_CTX_use_certificate_chain_file(ctx, tls->local_cert)) {
		return ctx_failed(ctx, "local_cert", tls->local_cert, error, errlen);
	}
	if (tls->local_cert && (!SSL_CTX_use_PrivateKey_file(ctx, tls->local_pk ? tls->local_pk : tls->local_cert,
			SSL_FILETYPE_PEM) || !SSL_CTX_check_private_key(ctx))) {
		return ctx_failed(ctx, "local_pk", tls->local_pk ? tls->local_pk : tls->local_cert, error, errlen);
	}
	if (!tls->local_cert) {
		SSL_CTX_set_client_cert_cb(ctx, no_client_cert);
	}
	tls->ssl_ctx = ctx;
	return true;
}

/* The context, made by whichever thread connects first (the request's or the watchdog's). */
static SSL_CTX *shared_ctx(rlock_tls *tls, char *error, size_t errlen)
{
	SSL_CTX *ctx;

	pthread_mutex_lock(&tls->lock);
	if (!tls->ssl_ctx) {
		make_ctx(tls, error, errlen); /* not kept on failure: the files may appear */
	}
	ctx = tls->ssl_ctx;
	pthread_mutex_unlock(&tls->lock);
	return ctx;
}

static bool is_ip_literal(const char *name)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
}

/* SNI and the name the certificate must carry: a DNS name, or an IP address in its SAN. */
static bool name_peer(SSL *ssl, const rlock_tls *tls, const char *host)
{
	const char *name = tls->peer_name ? tls->peer_name : host;
	bool ip = is_ip_literal(name);

	if (!ip && !SSL_set_tlsext_host_name(ssl, name)) {
		return false;
	}
	if (!tls->verify_peer || !tls->verify_peer_name) {
		return true;
	}
	return ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1 : SSL_set1_host(ssl, name) == 1;
}

/* Why the handshake failed: the certificate check, what OpenSSL said, or the clock. */
static void describe_handshake(const SSL *ssl, const redisContext *ctx, int saved_errno, int64_t timeout_ms,
	char *error, size_t errlen)
{
	long verified = SSL_get_verify_result(ssl);
	const char *reason = tls_failure();

	if (verified != X509_V_OK) {
		snprintf(error, errlen, "TLS handshake failed: certificate verify failed: %s",
			X509_verify_cert_error_string(verified));
	} else if (reason) {
		snprintf(error, errlen, "TLS handshake failed: %s", reason);
	} else if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) {
		snprintf(error, errlen, "TLS handshake failed: no answer within connect_timeout (%lld ms)",
			(long long) timeout_ms);
	} else {
		snprintf(error, errlen, "TLS handshake failed: %s", ctx->errstr);
	}
}

bool rlock_tls_start(redisContext *ctx, rlock_tls *tls, const char *host, int64_t timeout_ms,
	char *error, size_t errlen)
{
	SSL_CTX *ssl_ctx = shared_ctx(tls, error, errlen);
	SSL *ssl = ssl_ctx ? SSL_new(ssl_ctx) : NULL;

	if (!ssl) {
		if (ssl_ctx) {
			snprintf(error, errlen, "cannot set up TLS: out of memory");
		}
		return false;
	}
	if (!name_peer(ssl, tls, host)) {
		snprintf(error, errlen, "cannot set up TLS: bad peer_name \"%s\"", tls->peer_name ? tls->peer_name : host);
		SSL_free(ssl);
		return false;
	}
	/* the handshake is part of connecting: bounded by connect_timeout, not read_timeout */
	redisSetTimeout(ctx, (struct timeval) {timeout_ms / 1000, (timeout_ms % 1000) * 1000});
	ERR_clear_error();
	if (redisInitiateSSL(ctx, ssl) != REDIS_OK) {
		describe_handshake(ssl, ctx, errno, timeout_ms, error, errlen);
		SSL_free(ssl); /* hiredis takes the SSL over only when the handshake succeeds */
		return false;
	}
	ctx->privdata = ssl; /* for rlock_tls_pending(); hiredis frees it with ctx */
	ERR_clear_error(); /* loading the system CAs may leave a warning a later failure would show */
	return true;
}

bool rlock_tls_pending(const redisContext *ctx)
{
	return ctx->privdata && SSL_pending((SSL *) ctx->privdata) > 0;
}

bool rlock_tls_explain(const redisContext *ctx, char *why, size_t len)
{
	const char *reason = tls_failure();

	if (ctx->privdata && SSL_get_app_data((SSL *) ctx->privdata)) {
		snprintf(why, len, "the server asked for a client certificate and closed the connection without one "
			"(see the tls option's local_cert)%s%s", reason ? ": " : "", reason ? reason : "");
	} else if (reason) {
		snprintf(why, len, "TLS: %s", reason);
	}
	return reason || (ctx->privdata && SSL_get_app_data((SSL *) ctx->privdata));
}

#else

bool rlock_tls_explain(const redisContext *ctx, char *why, size_t len)
{
	return false;
}

bool rlock_tls_start(redisContext *ctx, rlock_tls *tls, const char *host, int64_t timeout_ms,
	char *error, size_t errlen)
{
	snprintf(error, errlen, "cannot set up TLS: %s", RLOCK_TLS_WHY_NOT);
	return false;
}

bool rlock_tls_pending(const redisContext *ctx)
{
	return false;
}

#endif
