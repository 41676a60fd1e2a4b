/* rlock: the watchdog — a thread of the worker that renews held leases.
 *
 * PHP registers each watched lease here; the thread renews due leases every
 * ttl/3 with the owner-checked extend script, pipelined per server, on its own
 * connections. The thread never calls into the engine or its allocator: it uses
 * malloc, hiredis and pthreads only. When it finds a lease lost it marks it, and
 * for leases that asked for it raises the engine's interrupt flag (as the
 * execution timer does), so the request gets RLockLostException at its next
 * opcode boundary. The table is process-wide; a fork child starts with an empty
 * one and no thread. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "php.h"
#include "zend_exceptions.h"
#include "clock.h"
#include "connect.h"
#include "errors.h"
#include "protocol.h"
#include "sentinel.h"
#include "watchdog.h"

/* Retry pause after a failed renewal (us), while the lease still lasts. */
#define RETRY_US 100000
/* What a renewal names the holder by: a lock or claim token, or a semaphore's holder id
 * (at most 1024 bytes, no NUL). */
#define TOKEN_MAX 1025

#if PHP_VERSION_ID >= 80200
typedef zend_atomic_bool interrupt_flag;
# define RAISE_INTERRUPT(flag) zend_atomic_bool_store_ex((flag), true)
#else
typedef volatile zend_bool interrupt_flag;
# define RAISE_INTERRUPT(flag) (*(flag) = 1)
#endif

/* One per server of a lease: a Redlock lease has one per master, all with one id. */
typedef struct watch {
	uint64_t id;
	int member;            /* which of the lease's servers */
	int slack;             /* how many of them may fail before the lease is lost */
	bool down;             /* this server's renewal failed for good */
	const rlock_server *server;
	const rlock_server *fallbacks[RLOCK_WATCH_FALLBACKS_MAX];
	int fallback_count;
	int fallback_next;
	char *key;
	size_t key_len;
	char *name;
	char token[TOKEN_MAX];
	int64_t ttl_us;
	int64_t timeout_ms;
	const rlock_script *renew;
	int64_t renew_at;      /* monotonic us */
	int64_t expires_at;    /* when the lease ends if no renewal gets through */
	bool lost;
	bool throw_on_loss;
	bool reported;         /* the exception was thrown */
	interrupt_flag *interrupt;
} watch;

/* One renewal in flight: copies, so PHP may unwatch meanwhile. */
typedef struct renewal {
	uint64_t id;
	int member;
	const rlock_server *server;
	char *key;
	size_t key_len;
	char token[TOKEN_MAX];
	char ttl_ms[24];
	int64_t timeout_ms;
	const rlock_script *renew;
	int64_t sent_at;
	int result;            /* 1 renewed, 0 token gone, -1 no answer */
	char moved[80];        /* "host:port" from a cluster's MOVED, else "" */
} renewal;

typedef struct server_link {
	const rlock_server *server;
	redisContext *ctx;
} server_link;

static struct {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	pthread_t thread;
	bool running;          /* a thread exists in this process */
	int64_t sleeping_until; /* when the sleeping thread wakes by itself; 0 while it works */
	bool stop;
	watch *watches;
	size_t count, cap;
	uint64_t next_id;
	int64_t renewals;
	bool interrupt_pending;
	server_link *links;    /* the thread's connections; changed under mu, used outside it */
	size_t link_count;
	renewal *batch;        /* the thread's work list */
	rlock_server **nodes;  /* cluster nodes met through MOVED, made by the thread with malloc */
	size_t node_count;
	/* After a fork: the parent thread's connections and work list, left alone
	 * (the thread may have been using them) but kept reachable. */
	server_link *inherited_links;
	renewal *inherited_batch;
} wd = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void (*previous_interrupt)(zend_execute_data *execute_data);

/* ---- the table (callers hold wd.mu) ---- */

/* The first watch of lease id (any member: they share lost and reported). */
static watch *find(uint64_t id)
{
	for (size_t i = 0; i < wd.count; i++) {
		if (wd.watches[i].id == id) {
			return &wd.watches[i];
		}
	}
	return NULL;
}

static watch *find_member(uint64_t id, int member)
{
	for (size_t i = 0; i < wd.count; i++) {
		if (wd.watches[i].id == id && wd.watches[i].member == member) {
			return &wd.watches[i];
		}
	}
	return NULL;
}

/* Forgets every watch of lease id; true if the lease had been found lost. */
static bool drop(uint64_t id)
{
	bool lost = false;

	/* downwards: the last entry, moved into a freed slot, was already looked at */
	for (size_t i = wd.count; i-- > 0;) {
		watch *w = &wd.watches[i];

		if (w->id == id) {
			lost = lost || w->lost;
			free(w->key);
			free(w->name);
			*w = wd.watches[--wd.count];
		}
	}
	return lost;
}

/* One server of a lease failed; past the slack the lease is lost. */
static void member_failed(watch *failed)
{
	int down = 0;

	failed->down = true;
	for (size_t i = 0; i < wd.count; i++) {
		down += wd.watches[i].id == failed->id && wd.watches[i].down;
	}
	if (down <= failed->slack || failed->lost) {
		return;
	}
	for (size_t i = 0; i < wd.count; i++) {
		if (wd.watches[i].id == failed->id) {
			wd.watches[i].lost = true;
		}
	}
	if (failed->throw_on_loss && failed->interrupt) {
		__atomic_store_n(&wd.interrupt_pending, true, __ATOMIC_RELEASE);
		RAISE_INTERRUPT(failed->interrupt);
	}
}

/* ---- the thread's side: no engine calls from here to the hook below ---- */

static redisContext *link_for(const rlock_server *server, int64_t timeout_ms)
{
	char name[48], error[256];
	redisContext *ctx;

	for (size_t i = 0; i < wd.link_count; i++) {
		if (wd.links[i].server == server && wd.links[i].ctx && !wd.links[i].ctx->err
				/* a demoted master takes renewals until the sentinels reconfigure it */
				&& (!server->sentinels || rlock_sentinel_still_master(server->sentinels, wd.links[i].ctx, timeout_ms))) {
			redisSetTimeout(wd.links[i].ctx, rlock_ms_to_timeval(timeout_ms));
			return wd.links[i].ctx;
		}
	}
	snprintf(name, sizeof(name), "rlock-watchdog-%ld", (long) getpid());
	ctx = rlock_server_connect(server, timeout_ms, timeout_ms, true, name, NULL, error, sizeof(error));
	if (!ctx) {
		return NULL;
	}
	pthread_mutex_lock(&wd.mu);
	for (size_t i = 0; i < wd.link_count; i++) {
		if (wd.links[i].server == server) {
			if (wd.links[i].ctx) {
				redisFree(wd.links[i].ctx);
			}
			wd.links[i].ctx = ctx;
			pthread_mutex_unlock(&wd.mu);
			return ctx;
		}
	}
	server_link *grown = realloc(wd.links, (wd.link_count + 1) * sizeof(*grown));
	if (grown) {
		wd.links = grown;
		wd.links[wd.link_count].server = server;
		wd.links[wd.link_count++].ctx = ctx;
	}
	pthread_mutex_unlock(&wd.mu);
	if (!grown) {
		redisFree(ctx);
		return NULL;
	}
	return ctx;
}

static void append_extend(redisContext *ctx, const renewal *r, bool by_body)
{
	const char *keys[1] = {r->key};
	const char *args[2] = {r->token, r->ttl_ms};
	size_t keylens[1] = {r->key_len}, arglens[2] = {strlen(r->token), strlen(r->ttl_ms)};
	const char *cmd[RLOCK_SCRIPT_COMMAND_MAX];
	size_t cmdlen[RLOCK_SCRIPT_COMMAND_MAX];
	int n = rlock_script_command(r->renew, 1, keys, keylens, 2, args, arglens, cmd, cmdlen);

	if (by_body) {
		rlock_script_command_by_body(r->renew, cmd, cmdlen);
	}
	redisAppendCommandArgv(ctx, n, cmd, cmdlen);
}

/* Queues the renewals due at server and writes them out, without waiting for
 * the replies; the connection, or NULL when the server cannot be reached. */
static redisContext *send_to(const rlock_server *server, renewal *batch, size_t n, bool by_body)
{
	int64_t timeout_ms = INT64_MAX;
	redisContext *ctx;
	int done = 0;

	for (size_t i = 0; i < n; i++) {
		if (batch[i].server == server && batch[i].timeout_ms < timeout_ms) {
			timeout_ms = batch[i].timeout_ms;
		}
	}
	if (!(ctx = link_for(server, timeout_ms))) {
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (batch[i].server == server && batch[i].result == -1) {
			append_extend(ctx, &batch[i], by_body);
		}
	}
	while (!done) {
		if (redisBufferWrite(ctx, &done) != REDIS_OK) {
			return NULL; /* the items stay -1: retried while the leases last */
		}
	}
	return ctx;
}

/* Reads server's replies into the batch; true if it did not know the script. */
static bool collect_from(redisContext *ctx, const rlock_server *server, renewal *batch, size_t n)
{
	bool noscript = false;

	for (size_t i = 0; i < n; i++) {
		redisReply *reply = NULL;
		rlock_redirect to;
		long long renewed;

		if (batch[i].server != server || batch[i].result != -1) {
			continue;
		}
		if (redisGetReply(ctx, (void **) &reply) != REDIS_OK) {
			return false; /* the rest stay -1: retried while the leases last */
		}
		if (rlock_reply_int(reply, &renewed)) {
			batch[i].result = renewed ? 1 : 0;
		} else if (rlock_reply_redirect(reply, &to) && to.moved) {
			/* the slot was resharded: renew at the node that has it now */
			snprintf(batch[i].moved, sizeof(batch[i].moved), "%.*s:%d", (int) to.host_len, to.host, to.port);
		} else if (rlock_reply_is_error(reply, "NOSCRIPT")) {
			noscript = true; /* a restart or SCRIPT FLUSH: sent again with the body */
		}
		freeReplyObject(reply);
	}
	return noscript;
}

/* Renews the batch, pipelined per server, every server's renewals written out
 * before any reply is read: a slow server (a frozen Redlock master) delays
 * nobody else's renewal. */
static void renew(renewal *batch, size_t n)
{
	const rlock_server **servers = malloc(n * sizeof(*servers));
	redisContext **links = malloc(n * sizeof(*links));
	size_t count = 0;

	if (!servers || !links) {
		free(servers);
		free(links);
		return; /* retried while the leases last */
	}
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < count && !seen; j++) {
			seen = servers[j] == batch[i].server;
		}
		if (!seen) {
			servers[count] = batch[i].server;
			links[count++] = send_to(batch[i].server, batch, n, false);
		}
	}
	for (size_t j = 0; j < count; j++) {
		if (links[j] && collect_from(links[j], servers[j], batch, n)
				&& (links[j] = send_to(servers[j], batch, n, true)) != NULL) {
			collect_from(links[j], servers[j], batch, n);
		}
	}
	free(servers);
	free(links);
}

/* Collects the due leases into wd.batch (wd.mu held). Sets *next to when to look again. */
static size_t collect_due(int64_t now, int64_t *next)
{
	renewal **batch = &wd.batch;
	size_t n = 0;

	*next = now + 60 * 1000000;
	for (size_t i = 0; i < wd.count; i++) {
		watch *w = &wd.watches[i];

		if (w->lost || w->down) {
			continue;
		}
		if (w->expires_at <= now) {
			member_failed(w); /* no renewal got through before the lease ended */
			continue;
		}
		if (w->renew_at > now) {
			*next = MIN(*next, w->renew_at);
			continue;
		}
		renewal *grown = realloc(*batch, (n + 1) * sizeof(**batch));
		if (!grown || !(grown[n].key = malloc(w->key_len + 1))) {
			*batch = grown ? grown : *batch;
			break;
		}
		*batch = grown;
		renewal *r = &grown[n++];
		r->id = w->id;
		r->member = w->member;
		r->server = w->server;
		memcpy(r->key, w->key, w->key_len + 1);
		r->key_len = w->key_len;
		memcpy(r->token, w->token, sizeof(r->token));
		snprintf(r->ttl_ms, sizeof(r->ttl_ms), "%lld", (long long) (w->ttl_us / 1000));
		r->timeout_ms = w->timeout_ms;
		r->renew = w->renew;
		r->sent_at = now;
		r->result = -1;
		r->moved[0] = '\0';
		w->renew_at = now + RETRY_US; /* provisional, until the reply says otherwise */
	}
	return n;
}

/* The node at "host:port", authenticating like like (wd.mu held). No engine
 * allocator here: plain malloc, kept until shutdown. */
static const rlock_server *node_at(const char *address, const rlock_server *like)
{
	const char *colon = strrchr(address, ':');
	rlock_server *node;

	if (!colon) {
		return NULL;
	}
	for (size_t i = 0; i < wd.node_count; i++) {
		node = wd.nodes[i];
		if (strncmp(node->host, address, colon - address) == 0 && node->host[colon - address] == '\0'
				&& node->port == atoi(colon + 1)) {
			return node;
		}
	}
	rlock_server **grown = realloc(wd.nodes, (wd.node_count + 1) * sizeof(*grown));
	if (!grown || !(node = calloc(1, sizeof(*node)))) {
		if (grown) {
			wd.nodes = grown;
		}
		return NULL;
	}
	wd.nodes = grown;
	node->host = strndup(address, colon - address);
	node->port = atoi(colon + 1);
	node->user = like->user ? strdup(like->user) : NULL;
	node->pass = like->pass ? strdup(like->pass) : NULL;
	node->tls = like->tls; /* shared, not owned: the pool's servers outlive this thread (MSHUTDOWN stops it) */
	node->display = malloc(strlen(address) + 16);
	if (node->display) {
		sprintf(node->display, "%s://%s/0", node->tls ? "rediss" : "redis", address);
	}
	wd.nodes[wd.node_count++] = node;
	return node;
}

static void free_nodes(void)
{
	for (size_t i = 0; i < wd.node_count; i++) {
		free(wd.nodes[i]->host);
		free(wd.nodes[i]->user);
		free(wd.nodes[i]->pass);
		free(wd.nodes[i]->display);
		free(wd.nodes[i]);
	}
	free(wd.nodes);
	wd.nodes = NULL;
	wd.node_count = 0;
}

static void apply(renewal *batch, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		watch *w = find_member(batch[i].id, batch[i].member);

		free(batch[i].key);
		if (!w || w->lost || w->down) {
			continue; /* released meanwhile */
		}
		if (batch[i].result == 1) {
			w->expires_at = batch[i].sent_at + w->ttl_us;
			w->renew_at = batch[i].sent_at + w->ttl_us / 3;
			wd.renewals++;
		} else if (batch[i].result == 0) {
			member_failed(w);
		} else if (batch[i].moved[0] && node_at(batch[i].moved, w->server)) {
			w->server = node_at(batch[i].moved, w->server);
			w->renew_at = rlock_now_us(); /* at once, at the new node */
		} else {
			if (w->fallback_count) {
				/* no answer: a cluster node may be failing over; a seed knows where the slot went */
				w->server = w->fallbacks[w->fallback_next++ % w->fallback_count];
			}
			w->renew_at = rlock_now_us() + MIN(RETRY_US, w->ttl_us / 10);
		}
	}
}

/* Sleeps on the condition (wd.mu held) until at_us, or until PHP signals. */
static void wait_until(int64_t at_us)
{
	struct timespec ts = {at_us / 1000000, (at_us % 1000000) * 1000};

	wd.sleeping_until = at_us;
	pthread_cond_timedwait(&wd.wake, &wd.mu, &ts); /* the condition runs on CLOCK_MONOTONIC, like rlock_now_us() */
	wd.sleeping_until = 0;
}

static void *watchdog_main(void *unused)
{
	pthread_mutex_lock(&wd.mu);
	while (!wd.stop) {
		int64_t next;
		size_t n = collect_due(rlock_now_us(), &next);
		renewal *batch = wd.batch;

		if (n == 0) {
			wait_until(next);
			continue;
		}
		pthread_mutex_unlock(&wd.mu);
		renew(batch, n);
		pthread_mutex_lock(&wd.mu);
		apply(batch, n);
	}
	pthread_mutex_unlock(&wd.mu);
	return NULL;
}

/* ---- the PHP side ---- */

/* The engine calls this at an opcode boundary after an interrupt was raised. */
static void watchdog_interrupt(zend_execute_data *execute_data)
{
	char name[256] = "";

	if (__atomic_load_n(&wd.interrupt_pending, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&wd.mu);
		wd.interrupt_pending = false;
		for (size_t i = 0; i < wd.count; i++) {
			watch *w = &wd.watches[i];

			if (w->lost && w->throw_on_loss && !w->reported && (void *) w->interrupt == (void *) &EG(vm_interrupt)) {
				for (size_t j = 0; j < wd.count; j++) {
					wd.watches[j].reported = wd.watches[j].reported || wd.watches[j].id == w->id;
				}
				snprintf(name, sizeof(name), "%s", w->name);
				break;
			}
		}
		pthread_mutex_unlock(&wd.mu);
		if (name[0] && !EG(exception)) {
			zend_throw_exception_ex(rlock_ce_lost_exception, 0,
				"lock \"%s\" was lost: the watchdog could not renew its lease", name);
		}
	}
	if (previous_interrupt) {
		previous_interrupt(execute_data);
	}
}

/* The thread's timed waits count on CLOCK_MONOTONIC, like rlock_now_us(). */
static void init_wake_condition(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&wd.wake, &attr);
	pthread_condattr_destroy(&attr);
}

/* Wakes the thread only if it would otherwise sleep past at_us (wd.mu held):
 * a lease registered for ttl/3 from now rarely needs it, so acquire stays cheap. */
static void wake_thread_for(int64_t at_us)
{
	if (wd.sleeping_until && at_us < wd.sleeping_until) {
		pthread_cond_signal(&wd.wake);
	}
}

static void before_fork(void)
{
	pthread_mutex_lock(&wd.mu);
}

static void after_fork_in_parent(void)
{
	pthread_mutex_unlock(&wd.mu);
}

/* The child has no thread and must not renew its parent's leases. Its copies
 * of the thread's sockets are closed; their memory is left alone, as the
 * thread may have been using it when the fork happened. */
static void after_fork_in_child(void)
{
	for (size_t i = 0; i < wd.count; i++) {
		free(wd.watches[i].key);
		free(wd.watches[i].name);
	}
	wd.count = 0;
	for (size_t i = 0; i < wd.link_count; i++) {
		if (wd.links[i].ctx && wd.links[i].ctx->fd >= 0) {
			close(wd.links[i].ctx->fd);
		}
	}
	if (wd.links) {
		wd.inherited_links = wd.links;
		wd.links = NULL;
	}
	if (wd.batch) {
		wd.inherited_batch = wd.batch;
		wd.batch = NULL;
	}
	wd.link_count = 0;
	wd.renewals = 0;
	wd.running = false;
	wd.stop = false;
	wd.sleeping_until = 0;
	wd.interrupt_pending = false;
	pthread_mutex_init(&wd.mu, NULL);
	/* Not pthread_cond_destroy(): it would wait for the parent's thread, which is not here. */
	memset(&wd.wake, 0, sizeof(wd.wake));
	init_wake_condition();
}

void rlock_watchdog_init(void)
{
	init_wake_condition();
	pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child);
	previous_interrupt = zend_interrupt_function;
	zend_interrupt_function = watchdog_interrupt;
}

void rlock_watchdog_shutdown(void)
{
	pthread_mutex_lock(&wd.mu);
	bool running = wd.running;
	wd.stop = true;
	pthread_cond_signal(&wd.wake);
	pthread_mutex_unlock(&wd.mu);
	if (running) {
		pthread_join(wd.thread, NULL);
	}
	for (size_t i = 0; i < wd.count; i++) {
		free(wd.watches[i].key);
		free(wd.watches[i].name);
	}
	free(wd.watches);
	for (size_t i = 0; i < wd.link_count; i++) {
		if (wd.links[i].ctx) {
			redisFree(wd.links[i].ctx);
		}
	}
	free(wd.links);
	free(wd.batch);
	free_nodes();
	wd.batch = NULL;
	wd.watches = NULL;
	wd.count = wd.cap = wd.link_count = 0;
	wd.links = NULL;
	wd.running = false;
	zend_interrupt_function = previous_interrupt;
}

static bool start_thread(char *error, size_t errlen)
{
	sigset_t all, old;
	int rc;

	if (wd.running) {
		return true;
	}
	/* Signals stay with PHP's thread (timeouts, pcntl handlers). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&wd.thread, NULL, watchdog_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(error, errlen, "cannot start the watchdog thread: %s", strerror(rc));
		return false;
	}
	wd.running = true;
	wd.stop = false;
	return true;
}

/* Room in the table for n more watches (wd.mu held). */
static bool make_room(size_t n)
{
	while (wd.count + n > wd.cap) {
		size_t cap = wd.cap ? wd.cap * 2 : 8;
		watch *grown = realloc(wd.watches, cap * sizeof(*grown));

		if (!grown) {
			return false;
		}
		wd.watches = grown;
		wd.cap = cap;
	}
	return true;
}

/* Fills w as the watch of one server (member) of the request's lease; false when out of memory. */
static bool fill_watch(watch *w, const rlock_watch_request *request, int member, int64_t now)
{
	memset(w, 0, sizeof(*w));
	w->key = malloc(request->key_len + 1);
	w->name = strdup(request->name);
	if (!w->key || !w->name) {
		free(w->key);
		free(w->name);
		return false;
	}
	memcpy(w->key, request->key, request->key_len);
	w->key[request->key_len] = '\0';
	w->key_len = request->key_len;
	snprintf(w->token, sizeof(w->token), "%s", request->token);
	w->id = wd.next_id + 1;
	w->member = member;
	w->slack = request->server_count - (request->server_count / 2 + 1);
	w->server = request->servers[member];
	w->fallback_count = MIN(request->fallback_count, RLOCK_WATCH_FALLBACKS_MAX);
	memcpy(w->fallbacks, request->fallbacks, w->fallback_count * sizeof(w->fallbacks[0]));
	w->ttl_us = request->ttl_ms * 1000;
	w->timeout_ms = MAX(1, MIN(request->timeout_ms, request->ttl_ms / 3));
	w->renew_at = now + w->ttl_us / 3;
	w->expires_at = now + w->ttl_us;
	w->throw_on_loss = request->throw_on_loss;
	w->renew = request->renew;
	w->interrupt = (interrupt_flag *) &EG(vm_interrupt);
	return true;
}

uint64_t rlock_watchdog_watch(const rlock_watch_request *request, char *error, size_t errlen)
{
	int64_t now = rlock_now_us();
	uint64_t id = 0;
	size_t first;

	pthread_mutex_lock(&wd.mu);
	if (!make_room(request->server_count)) {
		snprintf(error, errlen, "out of memory for the watchdog");
		goto out;
	}
	if (!start_thread(error, errlen)) {
		goto out;
	}
	first = wd.count;
	for (int member = 0; member < request->server_count; member++) {
		if (!fill_watch(&wd.watches[wd.count], request, member, now)) {
			while (wd.count > first) {
				wd.count--;
				free(wd.watches[wd.count].key);
				free(wd.watches[wd.count].name);
			}
			snprintf(error, errlen, "out of memory for the watchdog");
			goto out;
		}
		wd.count++;
	}
	id = ++wd.next_id;
	wake_thread_for(now + (int64_t) request->ttl_ms * 1000 / 3);
out:
	pthread_mutex_unlock(&wd.mu);
	return id;
}

bool rlock_watchdog_unwatch(uint64_t id)
{
	bool lost;

	pthread_mutex_lock(&wd.mu);
	lost = drop(id);
	pthread_mutex_unlock(&wd.mu);
	return lost;
}

bool rlock_watchdog_is_lost(uint64_t id)
{
	bool lost;
	watch *w;

	pthread_mutex_lock(&wd.mu);
	w = find(id);
	lost = w && w->lost;
	pthread_mutex_unlock(&wd.mu);
	return lost;
}

void rlock_watchdog_extended(uint64_t id, int64_t ttl_ms)
{
	int64_t now = rlock_now_us();

	pthread_mutex_lock(&wd.mu);
	for (size_t i = 0; i < wd.count; i++) {
		watch *w = &wd.watches[i];

		if (w->id == id && !w->lost && !w->down) {
			w->ttl_us = ttl_ms * 1000;
			w->timeout_ms = MAX(1, MIN(w->timeout_ms, ttl_ms / 3));
			w->renew_at = now + w->ttl_us / 3;
			w->expires_at = now + w->ttl_us;
			wake_thread_for(w->renew_at);
		}
	}
	pthread_mutex_unlock(&wd.mu);
}

int64_t rlock_watchdog_renewals(void)
{
	int64_t renewals;

	pthread_mutex_lock(&wd.mu);
	renewals = wd.renewals;
	pthread_mutex_unlock(&wd.mu);
	return renewals;
}
