/* rlock: the Lua scripts (src/lua/, embedded by tools/gen-scripts) and EVALSHA with a NOSCRIPT fallback. */
#include "php.h"
#include "ext/standard/sha1.h"
#include "scripts.h"
#include "scripts_lua.h"
#include "fanout.h"
#include "cluster.h"

#define SCRIPT_COMMAND_MAX RLOCK_SCRIPT_COMMAND_MAX

/* The scripts are the .lua files of src/lua (what each takes and answers is written atop each file and in
 * scripts.h); tools/gen-scripts turns them into the string macros of scripts_lua.h, and lists them in
 * RLOCK_SCRIPTS: rlock_script_<name> each, and all of them for MINIT to hash. */
#define SCRIPT_DEFINE(name, body) rlock_script rlock_script_##name = {body, ""};
#define SCRIPT_ADDRESS(name, body) &rlock_script_##name,
RLOCK_SCRIPTS(SCRIPT_DEFINE)
static rlock_script *const all_scripts[] = {RLOCK_SCRIPTS(SCRIPT_ADDRESS)};

static void script_hash(rlock_script *script)
{
	PHP_SHA1_CTX ctx;
	unsigned char digest[20];

	PHP_SHA1Init(&ctx);
	PHP_SHA1Update(&ctx, (const unsigned char *) script->body, strlen(script->body));
	PHP_SHA1Final(digest, &ctx);
	make_sha1_digest(script->sha, digest);
}

void rlock_scripts_init(void)
{
	for (size_t i = 0; i < sizeof(all_scripts) / sizeof(all_scripts[0]); i++) {
		script_hash(all_scripts[i]);
	}
}

/* EVALSHA sha numkeys keys... argv... into cmd; returns the count. */
static int script_command(const rlock_script *script, int numkeys, zend_string *const *keys,
	int argc, const char **argv, const size_t *argvlen, const char **cmd, size_t *cmdlen)
{
	const char *key[RLOCK_SCRIPT_MAX_KEYS];
	size_t keylen[RLOCK_SCRIPT_MAX_KEYS];

	ZEND_ASSERT(numkeys >= 1 && numkeys <= RLOCK_SCRIPT_MAX_KEYS && argc <= RLOCK_SCRIPT_MAX_ARGS);
	for (int i = 0; i < numkeys; i++) {
		key[i] = ZSTR_VAL(keys[i]);
		keylen[i] = ZSTR_LEN(keys[i]);
	}
	return rlock_script_command(script, numkeys, key, keylen, argc, argv, argvlen, cmd, cmdlen);
}

/* EVAL both runs and caches the script: still one round trip. */
static void script_by_body(rlock_conn *c, const rlock_script *script, const char **cmd, size_t *cmdlen)
{
	c->pool->stats->script_loads++;
	rlock_script_command_by_body(script, cmd, cmdlen);
}

void rlock_script_defer(rlock_conn *c, rlock_script *script, int numkeys, zend_string *const *keys,
	int argc, const char **argv, const size_t *argvlen)
{
	const char *cmd[SCRIPT_COMMAND_MAX];
	size_t cmdlen[SCRIPT_COMMAND_MAX];
	int n = script_command(script, numkeys, keys, argc, argv, argvlen, cmd, cmdlen);

	script_by_body(c, script, cmd, cmdlen);
	rlock_conn_defer(c, n, cmd, cmdlen);
}

redisReply *rlock_script_run(rlock_conn **cp, const rlock_timeouts *t, rlock_script *script,
	int numkeys, zend_string *const *keys, int argc, const char **argv, const size_t *argvlen)
{
	const char *cmd[SCRIPT_COMMAND_MAX];
	size_t cmdlen[SCRIPT_COMMAND_MAX];
	int n = script_command(script, numkeys, keys, argc, argv, argvlen, cmd, cmdlen);
	redisReply *reply = rlock_cluster_command(cp, t, n, cmd, cmdlen);

	if (rlock_reply_is_error(reply, "NOSCRIPT")) {
		freeReplyObject(reply);
		script_by_body(*cp, script, cmd, cmdlen);
		reply = rlock_cluster_command(cp, t, n, cmd, cmdlen);
	}
	return rlock_conn_reject_errors(*cp, reply);
}

int rlock_script_fanout(rlock_conn *const *conns, int count, const rlock_timeouts *t, rlock_script *script,
	int numkeys, zend_string *const *keys, int argc, const char **argv, const size_t *argvlen,
	redisReply **replies)
{
	const char *cmd[SCRIPT_COMMAND_MAX];
	size_t cmdlen[SCRIPT_COMMAND_MAX];
	int n = script_command(script, numkeys, keys, argc, argv, argvlen, cmd, cmdlen), answered = 0;

	rlock_fanout(conns, count, t, n, cmd, cmdlen, replies);
	for (int i = 0; i < count; i++) {
		if (rlock_reply_is_error(replies[i], "NOSCRIPT")) {
			/* this master restarted or was flushed: it alone gets the body, once */
			const char *eval[SCRIPT_COMMAND_MAX];
			size_t evallen[SCRIPT_COMMAND_MAX];

			memcpy(eval, cmd, sizeof(eval));
			memcpy(evallen, cmdlen, sizeof(evallen));
			script_by_body(conns[i], script, eval, evallen);
			freeReplyObject(replies[i]);
			replies[i] = rlock_conn_command(conns[i], t, n, eval, evallen);
		}
		replies[i] = rlock_conn_reject_errors(conns[i], replies[i]);
		answered += replies[i] != NULL;
	}
	return answered;
}
