/* rlock: the Lua scripts that make each lock operation one atomic round trip. */
#ifndef RLOCK_SCRIPTS_H
#define RLOCK_SCRIPTS_H

#include "conn.h"

typedef struct rlock_script {
	const char *body;
	char sha[41]; /* filled in at MINIT */
} rlock_script;

/* KEYS[1] lock, ARGV token, ttl: status OK when the lock is ours (taken, or
 * already ours: a retry is safe), else the holder's remaining ms. */
extern rlock_script rlock_script_acquire;
/* KEYS[1] lock, ARGV token: 1 when our token held it and it was deleted, else 0. */
extern rlock_script rlock_script_release;
/* KEYS[1] lock, ARGV token, ttl: 1 when our token holds it and the lease was reset, else 0. */
extern rlock_script rlock_script_extend;
/* KEYS[1] lock, ARGV token: our remaining ms (PTTL), or -2 when our token does not hold it. */
extern rlock_script rlock_script_remaining;

void rlock_scripts_init(void);

/* EVALSHA, and EVAL when the server does not know the script yet (NOSCRIPT:
 * a restart or SCRIPT FLUSH). Error replies come back as NULL with c->error set. */
redisReply *rlock_script_run(rlock_conn *c, const rlock_timeouts *t, rlock_script *script,
	const zend_string *key, int argc, const char **argv, const size_t *argvlen);

#endif
