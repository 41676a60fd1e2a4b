/* rlock: an idempotency key's record in Redis (see claim.h).
 *
 * The record is a hash: "running" with its owner token and a short, watchdog-renewed lease
 * while the work runs; "done" or "failed" with the stored outcome and the long retention
 * afterwards. Claiming, finishing and aborting are one script each (src/lua/); duplicates
 * that wait queue as lock waiters do and are woken by the finish. */
#include "php.h"
#include "claim.h"
#include "keys.h"
#include "lease.h"
#include "pid.h"
#include "clock.h"
#include "interrupt.h"
#include "queue.h"
#include "scripts.h"
#include "token.h"
#include "watchdog.h"
#include "cluster.h"
#include "answer.h"

/* How long a duplicate's place in line outlives its wait (ms). */
#define WAITER_GRACE_MS 1000
/* How long to wait between tries to settle a claim while Redis is unreachable (us). */
#define SETTLE_RETRY_US 100000

void rlock_claim_init(rlock_claim *claim, const rlock_config *cfg, const zend_string *scope, const zend_string *key)
{
	claim->keys[0] = rlock_record_key(cfg->prefix, scope, key, RLOCK_KEY_RECORD);
	claim->keys[1] = rlock_record_key(cfg->prefix, scope, key, RLOCK_KEY_RECORD_WAIT);
	/* asked for only with fencing: a claim without it costs no third key */
	claim->keys[2] = cfg->fencing ? rlock_record_key(cfg->prefix, scope, key, RLOCK_KEY_RECORD_FENCE) : NULL;
	claim->fence = 0;
	claim->watch_id = 0;
	claim->pid = rlock_pid();
	claim->token[0] = '\0';
}

void rlock_claim_dtor(rlock_claim *claim)
{
	if (claim->watch_id) {
		rlock_watchdog_unwatch(claim->watch_id);
		claim->watch_id = 0;
	}
	zend_string_release(claim->keys[0]);
	zend_string_release(claim->keys[1]);
	if (claim->keys[2]) {
		zend_string_release(claim->keys[2]);
	}
}

/* Finishing and aborting touch the record and its waiters, never the fence counter. */
#define SETTLE_KEYS 2

/* The script's reply on the claim's first numkeys keys, or NULL with the failure recorded. */
static redisReply *claim_run(rlock_config *cfg, rlock_claim *claim, rlock_script *script, int numkeys,
	int argc, const char **argv, const size_t *argvlen)
{
	if (cfg->backend->route(cfg, claim->keys[0]) == FAILURE) {
		return NULL;
	}
	return rlock_answered(cfg, rlock_script_run(&cfg->conn, &cfg->timeouts, script, numkeys, claim->keys,
		argc, argv, argvlen));
}

/* A 0/1 script reply: 1 done, 0 the claim was not ours (any more), -1 Redis failed. */
static int claim_flag(redisReply *reply)
{
	long long done = 0;

	if (!reply) {
		return -1;
	}
	rlock_reply_int(reply, &done);
	freeReplyObject(reply);
	return done == 1;
}

/* Runs the finish or abort script; while Redis cannot be reached, tries again
 * for as long as our claim may still hold (the watchdog renews it, and says
 * when it could not), so that a Redis restart in the middle does not let a
 * duplicate run the work a second time. */
static int claim_settle(rlock_config *cfg, rlock_claim *claim, rlock_script *script,
	int argc, const char **argv, const size_t *argvlen)
{
	int64_t give_up = rlock_now_us() + (int64_t) cfg->lease * 1000;

	for (;;) {
		int result = claim_flag(claim_run(cfg, claim, script, SETTLE_KEYS, argc, argv, argvlen));

		if (result >= 0 || !claim->watch_id || rlock_watchdog_is_lost(claim->watch_id)
				|| rlock_now_us() + SETTLE_RETRY_US >= give_up || !rlock_pause_us(SETTLE_RETRY_US)) {
			return result;
		}
	}
}

int rlock_claim_finish(rlock_config *cfg, rlock_claim *claim, const char *state, const zend_string *payload)
{
	char retention[MAX_LENGTH_OF_LONG];
	const char *argv[4] = {claim->token, state, ZSTR_VAL(payload), retention};
	size_t argvlen[4] = {strlen(claim->token), strlen(state), ZSTR_LEN(payload), 0};

	argvlen[3] = snprintf(retention, sizeof(retention), ZEND_LONG_FMT, cfg->retention);
	rlock_failure_clear(&cfg->failure);
	return claim_settle(cfg, claim, &rlock_script_finish, 4, argv, argvlen);
}

static int claim_abort(rlock_config *cfg, rlock_claim *claim)
{
	const char *argv[1] = {claim->token};
	size_t argvlen[1] = {strlen(claim->token)};

	return claim_settle(cfg, claim, &rlock_script_abort, 1, argv, argvlen);
}

int rlock_claim_abort(rlock_config *cfg, rlock_claim *claim)
{
	rlock_failure_clear(&cfg->failure);
	return claim_abort(cfg, claim);
}

/* {"claimed"}, with fencing {"claimed", fence}: false when the fence is missing, and then
 * recorded as an unexpected reply (no claim may run with a number that fences nothing). */
static bool claimed_fence(rlock_config *cfg, rlock_claim *claim, const redisReply *reply)
{
	long long fence = 0;

	if (claim->keys[2] && (!rlock_reply_int(rlock_reply_at(reply, 1), &fence) || fence <= 0)) {
		rlock_answer_unexpected(cfg, reply, "claim script (no fence)");
		return false;
	}
	claim->fence = (zend_long) fence;
	return true;
}

/* The claim script's answer: {"claimed"[, fence]} | {"conflict"} | {"running", ms left} |
 * {"done"|"failed", stored outcome}. BUSY only for "running". */
static rlock_try claim_answer(rlock_config *cfg, rlock_claim *claim, redisReply *reply, rlock_claim_answer *answer)
{
	const redisReply *detail = rlock_reply_at(reply, 1);
	const char *state, *stored = "";
	size_t state_len, stored_len = 0;
	long long ms = 1;

	if (!rlock_reply_text(rlock_reply_at(reply, 0), &state, &state_len)) {
		rlock_fail(&cfg->failure, RLOCK_FAILURE_REDIS, "unexpected reply to the claim script from %s",
			cfg->conn->server.display);
		answer->result = RLOCK_CLAIM_ERROR;
	} else if (strcmp(state, RLOCK_CLAIM_CLAIMED) == 0) {
		answer->result = claimed_fence(cfg, claim, reply) ? RLOCK_CLAIM_OURS : RLOCK_CLAIM_ERROR;
	} else if (strcmp(state, RLOCK_CLAIM_CONFLICT) == 0) {
		answer->result = RLOCK_CLAIM_MISMATCH;
	} else if (strcmp(state, RLOCK_CLAIM_RUNNING) == 0) {
		rlock_reply_int(detail, &ms);
		/* a record made persistent by hand (no TTL): never spin on it */
		answer->retry_after = ms < 0 ? cfg->lease : (zend_long) ms;
		answer->result = RLOCK_CLAIM_IN_PROGRESS;
	} else {
		rlock_reply_text(detail, &stored, &stored_len);
		answer->failed = strcmp(state, RLOCK_CLAIM_FAILED) == 0;
		answer->stored = zend_string_init(stored, stored_len, 0);
		answer->result = RLOCK_CLAIM_SETTLED;
	}
	freeReplyObject(reply);
	return answer->result == RLOCK_CLAIM_IN_PROGRESS ? RLOCK_TRY_BUSY : RLOCK_TRY_SETTLED;
}

/* One try of the claim script; a duplicate that will wait is queued on channel. */
typedef struct claim_try {
	rlock_config *cfg;
	rlock_claim *claim;
	const zend_string *fingerprint;
	rlock_claim_answer *answer;
} claim_try;

static rlock_try claim_try_once(void *self, const char *channel, zend_long *holder_ms)
{
	claim_try *t = self;
	int fenced = t->claim->keys[2] != NULL;
	char waiter[RLOCK_WAKE_CHANNEL_MAX + sizeof(t->claim->token) + 1] = "";
	char lease[MAX_LENGTH_OF_LONG], place[MAX_LENGTH_OF_LONG], counter[MAX_LENGTH_OF_LONG];
	const char *argv[6] = {t->claim->token, t->fingerprint ? ZSTR_VAL(t->fingerprint) : "", lease, waiter, place, counter};
	size_t argvlen[6] = {strlen(t->claim->token), t->fingerprint ? ZSTR_LEN(t->fingerprint) : 0, 0, 0, 0, 0};
	redisReply *reply;
	rlock_try outcome;

	argvlen[2] = snprintf(lease, sizeof(lease), ZEND_LONG_FMT, t->cfg->lease);
	argvlen[3] = channel ? snprintf(waiter, sizeof(waiter), "%s|%s", channel, t->claim->token) : 0;
	argvlen[4] = snprintf(place, sizeof(place), ZEND_LONG_FMT, t->cfg->wait + WAITER_GRACE_MS);
	/* the counter lasts as long as a result it numbered is kept; the numbers after it go on
	 * from Redis' clock (src/lua/claim.lua) */
	argvlen[5] = snprintf(counter, sizeof(counter), ZEND_LONG_FMT, t->cfg->retention + t->cfg->lease);
	/* fencing: the counter key, and its ms */
	reply = claim_run(t->cfg, t->claim, &rlock_script_claim, 2 + fenced, 5 + fenced, argv, argvlen);
	if (!reply) {
		if (t->cfg->conn->timed_out) {
			/* the claim may have landed: given up with the next command, not another wait now */
			rlock_script_defer(t->cfg->conn, &rlock_script_abort, SETTLE_KEYS, t->claim->keys, 1, argv, argvlen);
		}
		t->answer->result = RLOCK_CLAIM_ERROR;
		return RLOCK_TRY_SETTLED;
	}
	outcome = claim_answer(t->cfg, t->claim, reply, t->answer);
	*holder_ms = t->answer->retry_after;
	return outcome;
}

/* Duplicates wait in line as lock waiters do: woken when the first run finishes, or at
 * the end of its lease if it died. */
static void claim_wait(claim_try *t)
{
	rlock_waiting w = {t->cfg, t->claim->keys[0], t->claim->token,
		rlock_now_us() + (int64_t) t->cfg->wait * 1000, false, claim_try_once, t};
	zend_long ignored;

	switch (rlock_queue_wait(&w, &ignored)) {
	case RLOCK_QUEUE_FAILED:
		t->answer->result = RLOCK_CLAIM_ERROR;
		break;
	case RLOCK_QUEUE_INTERRUPTED:
	case RLOCK_QUEUE_DEADLINE:
		t->answer->result = RLOCK_CLAIM_IN_PROGRESS;
		break;
	default:
		break; /* the last try's answer stands */
	}
}

void rlock_claim_take(rlock_config *cfg, rlock_claim *claim, const zend_string *name,
	const zend_string *fingerprint, rlock_claim_answer *answer)
{
	claim_try t = {cfg, claim, fingerprint, answer};
	zend_long ignored;

	memset(answer, 0, sizeof(*answer));
	answer->retry_after = 1;
	rlock_failure_clear(&cfg->failure);
	if (rlock_random_hex(claim->token, RLOCK_CLAIM_TOKEN_BYTES) == FAILURE) {
		rlock_fail(&cfg->failure, RLOCK_FAILURE_RANDOM, "no random bytes for a claim token");
		answer->result = RLOCK_CLAIM_ERROR;
		return;
	}
	if (cfg->wait > 0) {
		claim_wait(&t);
	} else {
		claim_try_once(&t, NULL, &ignored);
	}
	if (answer->result == RLOCK_CLAIM_OURS) {
		claim->watch_id = rlock_lease_watch_key(cfg, claim->keys[0], claim->token, ZSTR_VAL(name), cfg->lease,
			false, &rlock_script_claim_renew);
		if (!claim->watch_id) {
			claim_abort(cfg, claim); /* the watchdog's failure stays the one reported */
			answer->result = RLOCK_CLAIM_ERROR;
		}
	}
}

bool rlock_claim_state(rlock_config *cfg, const zend_string *scope, const zend_string *key, zend_string **state)
{
	zend_string *record = rlock_record_key(cfg->prefix, scope, key, RLOCK_KEY_RECORD);
	const char *argv[3] = {"HGET", ZSTR_VAL(record), "state"};
	size_t argvlen[3] = {4, ZSTR_LEN(record), 5};
	redisReply *reply;
	const char *text;
	size_t len;

	rlock_failure_clear(&cfg->failure);
	reply = cfg->backend->route(cfg, record) == SUCCESS
		? rlock_cluster_call(&cfg->conn, &cfg->timeouts, 3, argv, argvlen) : NULL;
	zend_string_release(record);
	if (!reply) {
		rlock_conn_report(cfg->conn, &cfg->failure);
		return false;
	}
	*state = rlock_reply_text(reply, &text, &len) ? zend_string_init(text, len, 0) : NULL;
	freeReplyObject(reply);
	return true;
}
