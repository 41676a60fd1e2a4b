/* rlock: the Lua scripts and EVALSHA with a NOSCRIPT fallback. */
#include "php.h"
#include "ext/standard/sha1.h"
#include "php_rlock.h"
#include "scripts.h"

#define RLOCK_SCRIPT_MAX_ARGS 4

rlock_script rlock_script_acquire = {
	"local v = redis.call('GET', KEYS[1])\n"
	"if v == false then\n"
	"  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
	"  return redis.status_reply('OK')\n"
	"end\n"
	"if v == ARGV[1] then\n"
	"  redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	"  return redis.status_reply('OK')\n"
	"end\n"
	"return redis.call('PTTL', KEYS[1])\n",
	""
};

rlock_script rlock_script_release = {
	"if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	"  return redis.call('DEL', KEYS[1])\n"
	"end\n"
	"return 0\n",
	""
};

rlock_script rlock_script_extend = {
	"if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	"  return redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	"end\n"
	"return 0\n",
	""
};

rlock_script rlock_script_remaining = {
	"if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	"  return redis.call('PTTL', KEYS[1])\n"
	"end\n"
	"return -2\n",
	""
};

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
	script_hash(&rlock_script_acquire);
	script_hash(&rlock_script_release);
	script_hash(&rlock_script_extend);
	script_hash(&rlock_script_remaining);
}

static bool is_noscript(const redisReply *reply)
{
	return reply->type == REDIS_REPLY_ERROR && reply->str && strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

redisReply *rlock_script_run(rlock_conn *c, const rlock_timeouts *t, rlock_script *script,
	const zend_string *key, int argc, const char **argv, const size_t *argvlen)
{
	const char *cmd[4 + RLOCK_SCRIPT_MAX_ARGS];
	size_t cmdlen[4 + RLOCK_SCRIPT_MAX_ARGS];
	redisReply *reply;

	ZEND_ASSERT(argc <= RLOCK_SCRIPT_MAX_ARGS);
	cmd[0] = "EVALSHA"; cmdlen[0] = 7;
	cmd[1] = script->sha; cmdlen[1] = 40;
	cmd[2] = "1"; cmdlen[2] = 1;
	cmd[3] = ZSTR_VAL(key); cmdlen[3] = ZSTR_LEN(key);
	memcpy(cmd + 4, argv, argc * sizeof(*argv));
	memcpy(cmdlen + 4, argvlen, argc * sizeof(*argvlen));

	reply = rlock_conn_command(c, t, 4 + argc, cmd, cmdlen);
	if (reply && is_noscript(reply)) {
		/* EVAL both runs and caches the script: still one round trip. */
		freeReplyObject(reply);
		RLOCK_G(stats).script_loads++;
		cmd[0] = "EVAL"; cmdlen[0] = 4;
		cmd[1] = script->body; cmdlen[1] = strlen(script->body);
		reply = rlock_conn_command(c, t, 4 + argc, cmd, cmdlen);
	}
	return rlock_conn_reject_errors(c, reply);
}
