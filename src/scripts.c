/* rlock: the Lua scripts and EVALSHA with a NOSCRIPT fallback. */
#include "php.h"
#include "ext/standard/sha1.h"
#include "php_rlock.h"
#include "scripts.h"
#include "fanout.h"

#define RLOCK_SCRIPT_MAX_KEYS 3
#define RLOCK_SCRIPT_MAX_ARGS 6
#define SCRIPT_COMMAND_MAX (3 + RLOCK_SCRIPT_MAX_KEYS + RLOCK_SCRIPT_MAX_ARGS)

/* Shared by the scripts that touch the wait queue. KEYS: lock, queue (the
 * waiters in order of arrival, scored by Redis time in us), fence (the lock's
 * counter, counted up only for a holder that asks for fencing). A waiter is "channel|token|ttl|ms|f": where to wake it, the
 * lease it asked for, how long after its arrival it gives up, and whether it
 * wants a fencing token. Taking the lock answers {1, fencing token or 0}. */
#define QUEUE_KEYS_LUA "local lock, queue, fence = KEYS[1], KEYS[2], KEYS[3]\n"
#define QUEUE_LUA \
	"local function now_us()\n" \
	"  local t = redis.call('TIME')\n" \
	"  return t[1] * 1000000 + t[2]\n" \
	"end\n" \
	"local function new_fence(wanted)\n" \
	"  if wanted == '1' and fence then return redis.call('INCR', fence) end\n" \
	"  return 0\n" \
	"end\n" \
	/* Hands the lock to the first live waiter in line, then wakes it with \
	 * "token|fence"; false when nobody in line is alive (the lock then holds a \
	 * stale token: the caller deletes it). A waiter past its own deadline, or \
	 * whose PUBLISH nobody hears (it died), is dropped; a fencing number given \
	 * to it is skipped, never reused. The queue is read once and the lock key \
	 * overwritten, never deleted and re-made: in a Cluster slot that is being \
	 * migrated, a script may touch only keys that exist. */ \
	"local function pass_on()\n" \
	"  local now = now_us()\n" \
	"  local line = redis.call('ZRANGE', queue, 0, -1, 'WITHSCORES')\n" \
	"  for i = 1, #line, 2 do\n" \
	"    local waiter = line[i]\n" \
	"    redis.call('ZREM', queue, waiter)\n" \
	"    local channel, token, ttl, ms, f = string.match(waiter, '^(.-)|(.-)|(%d+)|(%d+)|([01])$')\n" \
	"    if channel and line[i + 1] + ms * 1000 > now then\n" \
	"      redis.call('SET', lock, token, 'PX', ttl)\n" \
	"      if redis.call('PUBLISH', channel, token .. '|' .. new_fence(f)) > 0 then return true end\n" \
	"    end\n" \
	"  end\n" \
	"  return false\n" \
	"end\n"

/* ARGV: token, ttl, waiter ("" = do not queue), the waiter's ms, fair, fencing
 * ("1"/"0"). {1, fence} when the lock is ours (taken, or already ours: a retry
 * is safe and keeps its fencing token), else {0, the holder's remaining ms}. */
rlock_script rlock_script_acquire = {
	QUEUE_KEYS_LUA QUEUE_LUA
	"local token, waiter = ARGV[1], ARGV[3]\n"
	"local holder = redis.call('GET', lock)\n"
	/* fair: a lock left free (a lease ran out) still goes to the longest waiter */
	"if holder == false and ARGV[5] == '1' and redis.call('EXISTS', queue) == 1 then\n"
	"  if not pass_on() then redis.call('DEL', lock) end\n" /* the first in line may be us */
	"  holder = redis.call('GET', lock)\n"
	"end\n"
	"if holder == token then\n"
	"  redis.call('PEXPIRE', lock, ARGV[2])\n"
	"  if waiter ~= '' then redis.call('ZREM', queue, waiter) end\n"
	"  return {1, ARGV[6] == '1' and tonumber(redis.call('GET', fence) or 0) or 0}\n"
	"end\n"
	"if holder == false then\n"
	"  redis.call('SET', lock, token, 'PX', ARGV[2])\n"
	"  if waiter ~= '' then redis.call('ZREM', queue, waiter) end\n"
	"  return {1, new_fence(ARGV[6])}\n"
	"end\n"
	"if waiter ~= '' then\n"
	"  redis.call('ZADD', queue, 'NX', now_us(), waiter)\n" /* NX: a retry keeps its place */
	"  if redis.call('PTTL', queue) < tonumber(ARGV[4]) then\n"
	"    redis.call('PEXPIRE', queue, ARGV[4])\n"
	"  end\n"
	"end\n"
	"return {0, redis.call('PTTL', lock)}\n",
	""
};

/* ARGV: token. */
rlock_script rlock_script_release = {
	QUEUE_KEYS_LUA
	"if redis.call('GET', lock) ~= ARGV[1] then return 0 end\n"
	"if redis.call('EXISTS', queue) == 0 then\n" /* nobody waits: the hot path ends here */
	"  redis.call('DEL', lock)\n"
	"  return 1\n"
	"end\n"
	QUEUE_LUA
	"if not pass_on() then redis.call('DEL', lock) end\n"
	"return 1\n",
	""
};

/* ARGV: token, waiter, fencing. {1, fence} when the lock was handed to us as we
 * gave up, else {0, 0}. */
rlock_script rlock_script_leave = {
	QUEUE_KEYS_LUA QUEUE_LUA
	"if redis.call('GET', lock) == ARGV[1] then\n"
	"  redis.call('ZREM', queue, ARGV[2])\n"
	"  return {1, ARGV[3] == '1' and tonumber(redis.call('GET', fence) or 0) or 0}\n"
	"end\n"
	"local first = redis.call('ZRANGE', queue, 0, 0)[1] == ARGV[2]\n"
	"redis.call('ZREM', queue, ARGV[2])\n"
	/* we may have been woken just now: pass the wake-up on */
	"if first and redis.call('EXISTS', lock) == 0 and redis.call('EXISTS', queue) == 1 then\n"
	"  if not pass_on() then redis.call('DEL', lock) end\n"
	"end\n"
	"return {0, 0}\n",
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

/* Wakes every waiter in KEYS[2] ("channel|token") at once and forgets them:
 * used where the woken all look again for themselves. */
#define WAKE_ALL_LUA \
	"for _, waiter in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do\n" \
	"  local channel, token = string.match(waiter, '^(.-)|(.*)$')\n" \
	"  if channel then redis.call('PUBLISH', channel, token .. '|0') end\n" \
	"end\n" \
	"redis.call('DEL', KEYS[2])\n"

/* ---- Redlock: the same lock on several independent masters. KEYS: the lock,
 * its waiters (a sorted set of "channel|token": woken all at once by a release,
 * they compete again, since each master alone cannot pick one winner). ---- */

/* ARGV: token, ttl, waiter ("" = do not wait), the waiter's ms; with a third
 * key (fencing), this master's fence counter: counted up for a new holder, as
 * it is for a retry. {1, counter or 0} when the lock is ours here (taken, or
 * already ours: a retry is safe), else {0, the holder's remaining ms}. */
rlock_script rlock_script_redlock_acquire = {
	"local holder = redis.call('GET', KEYS[1])\n"
	"if holder == false or holder == ARGV[1] then\n"
	"  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
	"  if not KEYS[3] then return {1, 0} end\n"
	"  if holder == ARGV[1] then return {1, tonumber(redis.call('GET', KEYS[3]) or 0)} end\n"
	"  return {1, redis.call('INCR', KEYS[3])}\n"
	"end\n"
	"if ARGV[3] ~= '' then\n"
	"  redis.call('ZADD', KEYS[2], 0, ARGV[3])\n"
	"  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end\n"
	"end\n"
	"return {0, redis.call('PTTL', KEYS[1])}\n",
	""
};

/* KEYS: a fence counter; ARGV: a fencing token. Raises the counter to the
 * token (never lowers it): once a majority holds it, every later majority
 * counts up from at least there. Returns 1. */
rlock_script rlock_script_redlock_raise = {
	"if tonumber(redis.call('GET', KEYS[1]) or 0) < tonumber(ARGV[1]) then\n"
	"  redis.call('SET', KEYS[1], ARGV[1])\n"
	"end\n"
	"return 1\n",
	""
};

/* ARGV: token. 1 when our token held the lock here and it was freed, else 0. */
rlock_script rlock_script_redlock_release = {
	"if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end\n"
	"redis.call('DEL', KEYS[1])\n"
	WAKE_ALL_LUA
	"return 1\n",
	""
};

/* ---- RLockIdempotency. KEYS: the record (a hash: state running|done|failed,
 * owner token, fingerprint, result), the waiters (a sorted set of
 * "channel|token", woken all at once when the outcome is known). ---- */


/* ARGV: token, fingerprint, lease ms, waiter ("" = do not wait), waiter ms.
 * {"claimed"} | {"conflict"} | {"running", ms left} | {"done"|"failed", result}. */
rlock_script rlock_script_claim = {
	"local state = redis.call('HGET', KEYS[1], 'state')\n"
	"if not state then\n"
	"  redis.call('HSET', KEYS[1], 'state', 'running', 'owner', ARGV[1], 'fp', ARGV[2])\n"
	"  redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
	"  return {'claimed'}\n"
	"end\n"
	"if redis.call('HGET', KEYS[1], 'fp') ~= ARGV[2] then return {'conflict'} end\n"
	"if state == 'running' then\n"
	"  if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then\n" /* a retry of our own claim */
	"    redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
	"    return {'claimed'}\n"
	"  end\n"
	"  if ARGV[4] ~= '' then\n"
	"    local t = redis.call('TIME')\n"
	"    redis.call('ZADD', KEYS[2], 'NX', t[1] * 1000000 + t[2], ARGV[4])\n"
	"    if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end\n"
	"  end\n"
	"  return {'running', redis.call('PTTL', KEYS[1])}\n"
	"end\n"
	"return {state, redis.call('HGET', KEYS[1], 'result') or ''}\n",
	""
};

/* ARGV: token, state (done|failed), result, retention ms. 1 stored; 0 the claim was lost. */
rlock_script rlock_script_finish = {
	"local owner, state = unpack(redis.call('HMGET', KEYS[1], 'owner', 'state'))\n"
	"if owner ~= ARGV[1] then return 0 end\n"
	"if state == ARGV[2] then return 1 end\n" /* a resend after a lost reply: stored already */
	"if state ~= 'running' then return 0 end\n"
	"redis.call('HSET', KEYS[1], 'state', ARGV[2], 'result', ARGV[3])\n"
	"redis.call('PEXPIRE', KEYS[1], ARGV[4])\n"
	WAKE_ALL_LUA
	"return 1\n",
	""
};

/* ARGV: token. Drops our claim so that a retry runs again; 1 if it was ours. */
rlock_script rlock_script_abort = {
	"if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'state') ~= 'running' then\n"
	"  return 0\n"
	"end\n"
	"redis.call('DEL', KEYS[1])\n"
	WAKE_ALL_LUA
	"return 1\n",
	""
};

/* ARGV: token, lease ms. The watchdog's renewal of a running claim: 1, or 0 when lost. */
rlock_script rlock_script_claim_renew = {
	"if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'state') == 'running' then\n"
	"  return redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	"end\n"
	"return 0\n",
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
	script_hash(&rlock_script_leave);
	script_hash(&rlock_script_extend);
	script_hash(&rlock_script_remaining);
	script_hash(&rlock_script_redlock_acquire);
	script_hash(&rlock_script_redlock_release);
	script_hash(&rlock_script_redlock_raise);
	script_hash(&rlock_script_claim);
	script_hash(&rlock_script_finish);
	script_hash(&rlock_script_abort);
	script_hash(&rlock_script_claim_renew);
}

static bool is_noscript(const redisReply *reply)
{
	return reply->type == REDIS_REPLY_ERROR && reply->str && strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

/* EVALSHA sha numkeys keys... argv... into cmd; returns the count. */
static int script_command(const rlock_script *script, int numkeys, zend_string *const *keys,
	int argc, const char **argv, const size_t *argvlen, const char **cmd, size_t *cmdlen)
{
	static const char *digits[] = {"0", "1", "2", "3"};
	int n = 3;

	ZEND_ASSERT(numkeys >= 1 && numkeys <= RLOCK_SCRIPT_MAX_KEYS && argc <= RLOCK_SCRIPT_MAX_ARGS);
	cmd[0] = "EVALSHA"; cmdlen[0] = 7;
	cmd[1] = script->sha; cmdlen[1] = 40;
	cmd[2] = digits[numkeys]; cmdlen[2] = 1;
	for (int i = 0; i < numkeys; i++, n++) {
		cmd[n] = ZSTR_VAL(keys[i]);
		cmdlen[n] = ZSTR_LEN(keys[i]);
	}
	memcpy(cmd + n, argv, argc * sizeof(*argv));
	memcpy(cmdlen + n, argvlen, argc * sizeof(*argvlen));
	return n + argc;
}

/* EVAL both runs and caches the script: still one round trip. */
static void script_by_body(const rlock_script *script, const char **cmd, size_t *cmdlen)
{
	RLOCK_G(stats).script_loads++;
	cmd[0] = "EVAL"; cmdlen[0] = 4;
	cmd[1] = script->body; cmdlen[1] = strlen(script->body);
}

redisReply *rlock_script_run(rlock_conn **cp, const rlock_timeouts *t, rlock_script *script,
	int numkeys, zend_string *const *keys, int argc, const char **argv, const size_t *argvlen)
{
	const char *cmd[SCRIPT_COMMAND_MAX];
	size_t cmdlen[SCRIPT_COMMAND_MAX];
	int n = script_command(script, numkeys, keys, argc, argv, argvlen, cmd, cmdlen);
	redisReply *reply = rlock_conn_routed(cp, t, n, cmd, cmdlen);

	if (reply && is_noscript(reply)) {
		freeReplyObject(reply);
		script_by_body(script, cmd, cmdlen);
		reply = rlock_conn_routed(cp, t, n, cmd, cmdlen);
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
		if (replies[i] && is_noscript(replies[i])) {
			/* this master restarted or was flushed: it alone gets the body, once */
			const char *eval[SCRIPT_COMMAND_MAX];
			size_t evallen[SCRIPT_COMMAND_MAX];

			memcpy(eval, cmd, sizeof(eval));
			memcpy(evallen, cmdlen, sizeof(evallen));
			script_by_body(script, eval, evallen);
			freeReplyObject(replies[i]);
			replies[i] = rlock_conn_command(conns[i], t, n, eval, evallen);
		}
		replies[i] = rlock_conn_reject_errors(conns[i], replies[i]);
		answered += replies[i] != NULL;
	}
	return answered;
}
