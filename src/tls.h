/* rlock: TLS for rediss:// servers — the settings, the OpenSSL context, starting TLS on a
 * connection. Touches no PHP state, so the watchdog thread connects with it as well
 * (src/connect.c). The tls option is read in src/tls_option.c. */
#ifndef RLOCK_TLS_H
#define RLOCK_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <hiredis/hiredis.h>
#include "php.h"
#include "zend_smart_str.h"

/* How to talk TLS to a server, with PHP's ssl stream-context names. Persistent (malloc)
 * memory, owned by one rlock_server; strings are NULL when not given. */
typedef struct rlock_tls {
	char *cafile;          /* NULL: the system's CAs */
	char *local_cert;      /* client certificate (PEM), for servers that ask for one */
	char *local_pk;        /* its key; NULL: in local_cert */
	char *peer_name;       /* the name the certificate must carry; NULL: the URI's host */
	bool verify_peer;      /* check the chain against the CAs */
	bool verify_peer_name; /* ... and that it names peer_name */
	void *ssl_ctx;         /* SSL_CTX*, made at the first connect, shared by the watchdog */
	pthread_mutex_t lock;  /* guards making ssl_ctx */
} rlock_tls;

#define RLOCK_TLS_STR_(x) #x
#define RLOCK_TLS_STR(x) RLOCK_TLS_STR_(x)
/* What a build without TLS was built on, for messages and phpinfo(). */
#define RLOCK_TLS_MISSING "hiredis " RLOCK_TLS_STR(HIREDIS_MAJOR) "." RLOCK_TLS_STR(HIREDIS_MINOR) "." \
	RLOCK_TLS_STR(HIREDIS_PATCH) " without hiredis_ssl"
/* Why a build has no TLS, for messages. */
#define RLOCK_TLS_WHY_NOT "this rlock was built on " RLOCK_TLS_MISSING " (TLS needs hiredis >= 1.0 with hiredis_ssl)"

/* NULL when this build has TLS; else RLOCK_TLS_MISSING. */
const char *rlock_tls_unavailable(void);

/* New settings with the defaults of a bare rediss:// (verify everything, system CAs). */
rlock_tls *rlock_tls_new(void);
rlock_tls *rlock_tls_copy(const rlock_tls *tls);
void rlock_tls_free(rlock_tls *tls);

/* Appends what tells two TLS settings apart to a server identity. */
void rlock_tls_identify(smart_str *id, const rlock_tls *tls);

/* Starts TLS on ctx, just connected to host, within timeout_ms. false with error
 * ("TLS handshake failed: certificate verify failed: ...") on failure. */
bool rlock_tls_start(redisContext *ctx, rlock_tls *tls, const char *host, int64_t timeout_ms,
	char *error, size_t errlen);

/* Decrypted bytes wait in OpenSSL's buffer, where poll() on ctx->fd does not see them.
 * false for a plain connection. */
bool rlock_tls_pending(const redisContext *ctx);

/* Why ctx, just connected over TLS, failed on its first read, when TLS knows: the server
 * asked for a client certificate and none was given, or an alert ("tlsv13 alert certificate
 * required"). false when TLS has nothing to say. */
bool rlock_tls_explain(const redisContext *ctx, char *why, size_t len);

#endif
