/* rlock: server URIs — redis://[user:pass@]host[:port][/db], rediss://... (TLS) and unix:///path[?db=N]. */
#ifndef RLOCK_URI_H
#define RLOCK_URI_H

#include "php.h"

typedef struct rlock_sentinels rlock_sentinels;

/* Where and how to connect. Strings are persistent (malloc) memory: a server
 * outlives the request that named it. */
typedef struct rlock_server {
	char *host;      /* TCP host; NULL for a unix socket */
	int port;
	char *unix_path; /* NULL for TCP */
	zend_long db;
	char *user;      /* ACL user; NULL for none */
	char *pass;      /* NULL: no AUTH */
	char *display;   /* the URI with its password written ***, for messages */
	zend_string *identity; /* canonical key: one connection per identity */
	struct rlock_tls *tls; /* NULL: plain TCP; else how to talk TLS (src/tls.h), owned */
	rlock_sentinels *sentinels; /* non-NULL: host names a master that these find (src/sentinel.c) */
} rlock_server;

#define RLOCK_SENTINELS_MAX 16

/* Where to ask for a service's master: persistent memory, owned by the master's rlock_server. */
struct rlock_sentinels {
	char *service;                           /* the master's name in the sentinels' configuration */
	int count;
	rlock_server nodes[RLOCK_SENTINELS_MAX]; /* the sentinels, asked in this order */
	int64_t checked_at_us;                   /* the watchdog thread's last look (monotonic) */
};

/* Parses uri into *out. On failure returns FAILURE and points *why at a
 * static explanation; *out is then left empty. */
zend_result rlock_server_parse(const char *uri, size_t len, rlock_server *out, const char **why);
void rlock_server_free(rlock_server *server);
void rlock_sentinels_free(rlock_sentinels *s);

/* server talks TLS with (a copy of) tls, the tls option, whatever its URI's scheme.
 * FAILURE with *why set for a unix socket. */
zend_result rlock_server_use_tls(rlock_server *server, const struct rlock_tls *tls, const char **why);

/* The same socket, whatever the db, the credentials or the case of the host. */
bool rlock_server_same_endpoint(const rlock_server *a, const rlock_server *b);

/* uri as it may be shown — in a message, a warning, phpinfo() — even when it
 * is malformed: the password of its user info, and a password= query item,
 * written ***. */
zend_string *rlock_uri_redact(const char *uri, size_t len);

/* A cluster node at host:port, authenticating like seed (db 0: a cluster has no other). */
void rlock_server_for_node(const rlock_server *seed, const char *host, size_t host_len, int port, rlock_server *out);

#endif
