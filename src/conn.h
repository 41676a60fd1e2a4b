/* rlock: the per-worker hiredis connections — lazy connect, fork check, reconnect. */
#ifndef RLOCK_CONN_H
#define RLOCK_CONN_H

#include <hiredis/hiredis.h>
#include "php.h"
#include "uri.h"
#include "connect.h"
#include "stats.h"
#include "failure.h"

#define RLOCK_CONN_ERROR_MAX 256
#define RLOCK_CONN_DEFERRED_MAX 4
#define RLOCK_WAKE_CHANNEL_MAX 48

typedef struct rlock_timeouts {
	zend_long connect_ms;
	zend_long read_ms;
} rlock_timeouts;

typedef struct rlock_cluster rlock_cluster;

/* The worker's connections — server identity => rlock_conn*, kept across requests — and the
 * counters their commands add to. */
typedef struct rlock_pool {
	HashTable conns;
	rlock_stats *stats;
} rlock_pool;

/* One per server identity per worker process; lives until GSHUTDOWN. */
typedef struct rlock_conn {
	rlock_server server;
	rlock_pool *pool;        /* the pool it belongs to */
	redisContext *ctx;       /* NULL until first use, and after a failure */
	pid_t pid;               /* the process that opened ctx */
	zend_long read_timeout;  /* what ctx has now, to skip needless setsockopt */
	bool connect_failed;     /* the last failure was at connect time */
	bool resent;             /* the last command went out twice (see rlock_conn_command) */
	bool timed_out;          /* the last command's reply did not come (read_timeout, or the time limit) */
	/* Clean-ups of commands that timed out, sent ahead of the next command
	 * (RESP-encoded, malloc'd; their replies are read and dropped). */
	char *deferred[RLOCK_CONN_DEFERRED_MAX];
	size_t deferred_len[RLOCK_CONN_DEFERRED_MAX];
	int deferred_count;
	pid_t deferred_pid;
	redisContext *sub;       /* subscriber for wake-ups (src/wait.c); NULL until a wait */
	pid_t sub_pid;
	char wake_channel[RLOCK_WAKE_CHANNEL_MAX]; /* this process's channel on sub */
	redisContext *sentinel_watch; /* through Sentinel: subscribed to its failover events (src/sentinel.c) */
	pid_t sentinel_watch_pid;
	int64_t sentinel_watch_retry_at; /* when a watch no sentinel took is tried again (monotonic us) */
	uint64_t opened;         /* connections made so far: a WAIT on a newer one says nothing of older writes */
	rlock_cluster *cluster;  /* the cluster this node belongs to, for MOVED and ASK (src/cluster.c) */
	int64_t skip_until;      /* a Redlock master that timed out is left alone until then */
	rlock_server_facts facts; /* learnt at connect: the run_id, whether it may evict lock keys */
	bool eviction_logged;    /* this worker has logged that the server may evict lock keys */
	char error[RLOCK_CONN_ERROR_MAX]; /* why this connection last failed */
	bool error_is_random;    /* ... and that was the CSPRNG (a wake channel's name) */
} rlock_conn;

/* A new authenticated context to c's server (SELECTed when select_db): for the
 * pool's own connection (which also learns c->facts) and for the wake-up
 * subscriber. NULL with c->error set. */
redisContext *rlock_conn_connect(rlock_conn *c, const rlock_timeouts *t, bool select_db);
void rlock_conn_close_subscriber(rlock_conn *c);

void rlock_pool_init(rlock_pool *pool, rlock_stats *stats);
void rlock_pool_destroy(rlock_pool *pool);

/* The pool's connection for uri, made (unconnected) on first sight.
 * NULL with *why set when uri is malformed. */
rlock_conn *rlock_pool_get(rlock_pool *pool, const char *uri, size_t len, const char **why);

/* The same over TLS with (a copy of) tls, the tls option, whatever uri's scheme; tls NULL:
 * as uri says. */
rlock_conn *rlock_pool_get_tls(rlock_pool *pool, const char *uri, size_t len, const struct rlock_tls *tls,
	const char **why);

/* The pool's connection for an already parsed server; takes server over. */
rlock_conn *rlock_pool_adopt(rlock_pool *pool, rlock_server *server);

/* Sends one command and returns its reply, error replies included.
 * NULL when Redis could not be reached; c->error says why. A connection found
 * dead (server restarted, idle timeout) is re-made and the command sent once
 * more, so commands sent here must be idempotent. */
redisReply *rlock_conn_command(rlock_conn *c, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen);

/* Queues an idempotent command to go out ahead of the next one on c, its reply
 * dropped: the clean-up after a command that timed out, which would otherwise
 * cost a second read_timeout now. Kept until a reply to it is read (a full
 * queue drops the oldest: what it undoes ends with its TTL anyway). */
void rlock_conn_defer(rlock_conn *c, int argc, const char **argv, const size_t *argvlen);

/* For a fan-out over several servers (src/fanout.c): queues one command and
 * writes it out without waiting for the reply. false with c->error set (and
 * the connection closed) when the server cannot be reached. */
bool rlock_conn_send(rlock_conn *c, const rlock_timeouts *t, int argc, const char **argv, const size_t *argvlen);
/* c has a live connection made by this process (a command on it may find it stale). */
bool rlock_conn_reusable(const rlock_conn *c);
/* The server closed or reset c's connection (worth one fresh try, unlike a timeout). */
bool rlock_conn_went_away(const rlock_conn *c, int saved_errno);
/* Records why the connection failed in c->error and closes it: a reply still
 * owed on it would otherwise answer the next command. */
void rlock_conn_fail(rlock_conn *c, int saved_errno);
/* The same for a reply that did not come within read_timeout. */
void rlock_conn_timed_out(rlock_conn *c);

/* Records c's last failure as the operation's, unless it has one already. */
void rlock_conn_report(rlock_conn *c, rlock_failure *f);

/* Passes a reply through, but turns an error reply into a failure: NULL,
 * with c->error saying what Redis answered. */
redisReply *rlock_conn_reject_errors(rlock_conn *c, redisReply *reply);

#endif
