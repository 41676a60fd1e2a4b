/* rlock: the Redis protocol as rlock speaks it — what a reply says, where a cluster redirects
 * to, and the EVALSHA command of a script (EVAL as its fallback). Engine-free and allocation-free:
 * the request path and the watchdog thread read replies with the same functions. */
#ifndef RLOCK_PROTOCOL_H
#define RLOCK_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <hiredis/hiredis.h>

/* A Lua script and its SHA1 (filled in at MINIT, from the body). */
typedef struct rlock_script {
	const char *body;
	char sha[41];
} rlock_script;

#define RLOCK_SCRIPT_MAX_KEYS 4
#define RLOCK_SCRIPT_MAX_ARGS 7
#define RLOCK_SCRIPT_COMMAND_MAX (3 + RLOCK_SCRIPT_MAX_KEYS + RLOCK_SCRIPT_MAX_ARGS)

/* EVALSHA sha numkeys keys... args... into cmd; returns the count. */
int rlock_script_command(const rlock_script *script, int numkeys, const char *const *keys, const size_t *keylens,
	int argc, const char *const *argv, const size_t *argvlen, const char **cmd, size_t *cmdlen);
/* Turns such a command into EVAL body ..., which runs and caches the script in one round trip. */
void rlock_script_command_by_body(const rlock_script *script, const char **cmd, size_t *cmdlen);

/* An error reply whose text starts with prefix ("NOSCRIPT", "MOVED ", "TRYAGAIN"). */
bool rlock_reply_is_error(const redisReply *reply, const char *prefix);

/* An error reply of any kind (hiredis always gives it a text). */
#define rlock_reply_is_any_error(reply) rlock_reply_is_error((reply), "")

/* A nil reply (SET NX that did not set, HGET of nothing). */
bool rlock_reply_is_nil(const redisReply *reply);

/* A status reply (+OK). */
bool rlock_reply_is_status(const redisReply *reply);

/* Element i of an array reply; NULL when it is no array or has no element i. */
const redisReply *rlock_reply_at(const redisReply *reply, size_t i);

/* An integer reply: *out. */
bool rlock_reply_int(const redisReply *reply, long long *out);

/* A {flag, number} reply, as the queue scripts answer: *flag and *number. */
bool rlock_reply_pair(const redisReply *reply, long long *flag, long long *number);

/* A bulk or status string (a verbatim one too, from hiredis 1.x), NUL-terminated by hiredis. */
bool rlock_reply_text(const redisReply *reply, const char **text, size_t *len);

/* "MOVED 3999 host:port" or "ASK 3999 host:port". host points into the reply. */
typedef struct rlock_redirect {
	bool moved;            /* MOVED: the slot lives there now; ASK: this one command goes there */
	long slot;
	const char *host;
	size_t host_len;
	int port;
} rlock_redirect;
bool rlock_reply_redirect(const redisReply *reply, rlock_redirect *out);

/* One entry of CLUSTER SLOTS: [start, end, [host, port, id], replicas...], both ends within
 * [0, slots): a reply it cannot trust is never an index outside the caller's map. */
bool rlock_reply_slot_range(const redisReply *range, long slots, long *start, long *end);
/* The node at index at of such an entry (2: the master; 3 and on: replicas). An empty
 * host means "the address you reached me at". */
bool rlock_reply_slot_node(const redisReply *range, size_t at, const char **host, size_t *host_len, int *port);

/* A pub/sub ["message", channel, payload]: the payload. */
bool rlock_reply_message(const redisReply *reply, const char **payload, size_t *len);

#endif
