/* rlock: the RLockIdempotency class — run once per key, replay the result.
 *
 * A key's record is a Redis hash: "running" with its owner token and a short,
 * watchdog-renewed lease while the work runs; "done" or "failed" with the
 * stored outcome and the long retention afterwards. Claiming, finishing and
 * aborting are one script each (src/scripts.c); duplicates that wait are woken
 * by the finish, as lock waiters are (src/wait.c). */
#include "php.h"
#include "zend_exceptions.h"
#include "zend_interfaces.h"
#include "zend_smart_str.h"
#include "ext/standard/php_var.h"
#include "php_rlock.h"
#include "pid.h"
#include "clock.h"
#include "errors.h"
#include "options.h"
#include "scripts.h"
#include "token.h"
#include "wait.h"
#include "watchdog.h"
#include "cluster.h"
#include "idempotency.h"
#include "keys.h"

#define RLOCK_SCOPE_MAX 256
#define WAITER_GRACE_MS 1000

/* Stored outcomes start with one byte saying what follows. */
#define STORED_VALUE        'v' /* serialize()d return value */
#define STORED_TOO_LARGE    't' /* the run completed; its result was over max_result_bytes */
#define STORED_UNSERIALIZABLE 'u'
#define STORED_EXCEPTION    'e' /* serialize()d [class, message, code] */

typedef struct idem_claim {
	zend_string *keys[2];   /* the record, its waiters */
	char token[33];
	uint64_t watch_id;
	pid_t pid;
} idem_claim;

typedef struct rlock_idem {
	rlock_config cfg;
	zend_string *scope;
	HashTable claims;       /* key => idem_claim*: open begin() claims */
	HashTable running;      /* the claims of run() calls under way: an exit() or fatal
	                         * error inside $fn leaves them to request end */
	zend_object std;
} rlock_idem;

typedef enum { CLAIM_OURS, CLAIM_REPLAYED, CLAIM_THREW } claim_outcome;

zend_class_entry *rlock_ce_idempotency;
static zend_object_handlers idem_handlers;

static inline rlock_idem *idem_from_obj(zend_object *obj)
{
	return (rlock_idem *) ((char *) obj - XtOffsetOf(rlock_idem, std));
}

#define THIS_IDEM() idem_from_obj(Z_OBJ_P(ZEND_THIS))
/* Declares idem as $this, or returns after throwing when the constructor did not finish. */
#define READY_IDEM(idem) \
	rlock_idem *idem = THIS_IDEM(); \
	if (!rlock_check_ready(idem->scope != NULL, "RLockIdempotency")) RETURN_THROWS()

static void throw_connection_error(rlock_idem *idem)
{
	zend_throw_exception(rlock_ce_connection_exception, idem->cfg.conn->error, 0);
}

/* ---- claims ---- */

static void claim_init(rlock_idem *idem, idem_claim *claim, const zend_string *key)
{
	claim->keys[0] = rlock_record_key(idem->cfg.prefix, idem->scope, key, RLOCK_KEY_RECORD);
	claim->keys[1] = rlock_record_key(idem->cfg.prefix, idem->scope, key, RLOCK_KEY_RECORD_WAIT);
	claim->watch_id = 0;
	claim->pid = rlock_pid();
	claim->token[0] = '\0';
}

static void claim_dtor(idem_claim *claim)
{
	if (claim->watch_id) {
		rlock_watchdog_unwatch(claim->watch_id);
		claim->watch_id = 0;
	}
	zend_string_release(claim->keys[0]);
	zend_string_release(claim->keys[1]);
}

static redisReply *claim_run(rlock_idem *idem, idem_claim *claim, rlock_script *script,
	int argc, const char **argv, const size_t *argvlen)
{
	if (rlock_config_route(&idem->cfg, claim->keys[0]) == FAILURE) {
		return NULL;
	}
	return rlock_script_run(&idem->cfg.conn, &idem->cfg.timeouts, script, 2, claim->keys, argc, argv, argvlen);
}

/* The watchdog keeps a running claim's lease alive until we finish. */
static zend_result claim_watch(rlock_idem *idem, idem_claim *claim, const zend_string *key)
{
	const rlock_server *servers[1] = {&idem->cfg.conn->server};
	const rlock_server *seeds[RLOCK_WATCH_FALLBACKS_MAX];
	rlock_watch_request request = {
		servers, 1, ZSTR_VAL(claim->keys[0]), ZSTR_LEN(claim->keys[0]), claim->token,
		ZSTR_VAL(key), idem->cfg.lease, idem->cfg.timeouts.read_ms, false, &rlock_script_claim_renew, seeds, 0
	};

	if (idem->cfg.cluster) {
		request.fallback_count = rlock_cluster_contacts(idem->cfg.cluster, seeds, RLOCK_WATCH_FALLBACKS_MAX);
	}
	claim->watch_id = rlock_watchdog_watch(&request, idem->cfg.conn->error, sizeof(idem->cfg.conn->error));
	return claim->watch_id ? SUCCESS : FAILURE;
}

/* A 0/1 script reply: 1 done, 0 the claim was not ours (any more), -1 Redis failed (c->error). */
static int claim_flag(redisReply *reply)
{
	int result;

	if (!reply) {
		return -1;
	}
	result = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
	freeReplyObject(reply);
	return result;
}

/* How long to wait between tries to settle a claim while Redis is unreachable (us). */
#define SETTLE_RETRY_US 100000

/* Runs the finish or abort script; while Redis cannot be reached, tries again
 * for as long as our claim may still hold (the watchdog renews it, and says
 * when it could not), so that a Redis restart in the middle does not let a
 * duplicate run the work a second time. See claim_flag() for the result. */
static int claim_settle(rlock_idem *idem, idem_claim *claim, rlock_script *script,
	int argc, const char **argv, const size_t *argvlen)
{
	int64_t give_up = rlock_now_us() + (int64_t) idem->cfg.lease * 1000;

	for (;;) {
		int result = claim_flag(claim_run(idem, claim, script, argc, argv, argvlen));

		if (result >= 0 || !claim->watch_id || rlock_watchdog_is_lost(claim->watch_id)
				|| rlock_now_us() + SETTLE_RETRY_US >= give_up) {
			return result;
		}
		rlock_sleep_us(SETTLE_RETRY_US);
	}
}

/* Stores our run's outcome; see claim_flag() for the result. */
static int claim_finish(rlock_idem *idem, idem_claim *claim, const char *state, const zend_string *payload)
{
	char retention[MAX_LENGTH_OF_LONG];
	const char *argv[4] = {claim->token, state, ZSTR_VAL(payload), retention};
	size_t argvlen[4] = {strlen(claim->token), strlen(state), ZSTR_LEN(payload), 0};

	argvlen[3] = snprintf(retention, sizeof(retention), ZEND_LONG_FMT, idem->cfg.retention);
	return claim_settle(idem, claim, &rlock_script_finish, 4, argv, argvlen);
}

/* Drops our running claim; same results as claim_finish(). */
static int claim_abort(rlock_idem *idem, idem_claim *claim)
{
	const char *argv[1] = {claim->token};
	size_t argvlen[1] = {strlen(claim->token)};

	return claim_settle(idem, claim, &rlock_script_abort, 1, argv, argvlen);
}

/* ---- stored outcomes ---- */

/* serialize() turns a resource into 0 without a word: refuse it instead. */
static bool holds_resource(zval *value, int depth)
{
	zval *item;

	ZVAL_DEREF(value);
	if (Z_TYPE_P(value) == IS_RESOURCE) {
		return true;
	}
	if (Z_TYPE_P(value) != IS_ARRAY || depth > 64) {
		return false;
	}
	ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(value), item) {
		if (holds_resource(item, depth + 1)) {
			return true;
		}
	} ZEND_HASH_FOREACH_END();
	return false;
}

static zend_string *encode_value(rlock_idem *idem, zval *value, const zend_string *key)
{
	php_serialize_data_t state;
	smart_str buf = {0};
	zend_string *payload;

	if (holds_resource(value, 0)) {
		php_error_docref(NULL, E_WARNING, "the result for key \"%s\" cannot be stored for replay: "
			"it holds a resource", ZSTR_VAL(key));
		return zend_string_init("ua resource", sizeof("ua resource") - 1, 0);
	}
	smart_str_appendc(&buf, STORED_VALUE);
	PHP_VAR_SERIALIZE_INIT(state);
	php_var_serialize(&buf, value, &state);
	PHP_VAR_SERIALIZE_DESTROY(state);
	smart_str_0(&buf);
	if (rlock_engine_unwinding()) {
		smart_str_free(&buf); /* exit() in __serialize() or __sleep(): nothing to store */
		return NULL;
	}
	if (EG(exception)) {
		/* e.g. a Closure: the work is done, so the key is done; duplicates get an error */
		zend_object *why = rlock_exception_set_aside();
		zval message;

		smart_str_free(&buf);
		zend_call_method_with_0_params(why, why->ce, NULL, "getmessage", &message);
		php_error_docref(NULL, E_WARNING, "the result for key \"%s\" cannot be stored for replay: %s",
			ZSTR_VAL(key), Z_TYPE(message) == IS_STRING ? Z_STRVAL(message) : "not serializable");
		payload = zend_string_concat2("u", 1, Z_TYPE(message) == IS_STRING ? Z_STRVAL(message) : "",
			Z_TYPE(message) == IS_STRING ? Z_STRLEN(message) : 0);
		zval_ptr_dtor(&message);
		OBJ_RELEASE(why);
		return payload;
	}
	if ((zend_long) ZSTR_LEN(buf.s) - 1 > idem->cfg.max_result_bytes) {
		char detail[80];
		int len = snprintf(detail, sizeof(detail), "t%zu", ZSTR_LEN(buf.s) - 1);

		php_error_docref(NULL, E_WARNING, "the result for key \"%s\" is %zu bytes, over max_result_bytes ("
			ZEND_LONG_FMT "): duplicates will get an error instead of a replay",
			ZSTR_VAL(key), ZSTR_LEN(buf.s) - 1, idem->cfg.max_result_bytes);
		smart_str_free(&buf);
		return zend_string_init(detail, len, 0);
	}
	return buf.s;
}

/* What a failed run leaves for its duplicates: the exception's class, message, code. */
static zend_string *encode_exception(zend_object *exception)
{
	zend_class_entry *base = zend_get_exception_base(exception);
	php_serialize_data_t state;
	smart_str buf = {0};
	zval parts, rv, *message, *code;

	message = zend_read_property_ex(base, exception, ZSTR_KNOWN(ZEND_STR_MESSAGE), 1, &rv);
	array_init(&parts);
	add_next_index_str(&parts, zend_string_copy(exception->ce->name));
	add_next_index_str(&parts, zval_get_string(message));
	code = zend_read_property_ex(base, exception, ZSTR_KNOWN(ZEND_STR_CODE), 1, &rv);
	add_next_index_long(&parts, zval_get_long(code));
	smart_str_appendc(&buf, STORED_EXCEPTION);
	PHP_VAR_SERIALIZE_INIT(state);
	php_var_serialize(&buf, &parts, &state);
	PHP_VAR_SERIALIZE_DESTROY(state);
	zval_ptr_dtor(&parts);
	smart_str_0(&buf);
	return buf.s;
}

/* unserialize() with allowed_classes: every class, the names cfg lists, or none
 * (cfg NULL): a stored record is data anyone who can write to Redis can shape. */
static bool decode_serialized(const char *data, size_t len, const rlock_config *cfg, zval *out)
{
	const unsigned char *p = (const unsigned char *) data;
	php_unserialize_data_t state;
	HashTable no_class;
	bool ok;

	zend_hash_init(&no_class, 0, NULL, NULL, 0);
	PHP_VAR_UNSERIALIZE_INIT(state);
	if (!cfg || !cfg->every_class) {
		php_var_unserialize_set_allowed_classes(state, cfg && cfg->allowed_classes ? cfg->allowed_classes : &no_class);
	}
	ok = php_var_unserialize(out, &p, p + len, &state);
	PHP_VAR_UNSERIALIZE_DESTROY(state);
	zend_hash_destroy(&no_class);
	if (!ok) {
		zval_ptr_dtor(out);
		ZVAL_UNDEF(out);
	}
	return ok;
}

/* A stored failure names its class: re-created only when allowed_classes allows
 * it or PHP itself defines it (no user code runs then); looked up without
 * autoloading otherwise, since an autoloader turns a name into a file to include. */
static zend_class_entry *replayable_exception_class(const rlock_config *cfg, zend_string *name)
{
	zend_class_entry *ce;
	bool allowed = cfg->every_class;

	if (!allowed && cfg->allowed_classes) {
		zend_string *lowercased = zend_string_tolower(name);

		allowed = zend_hash_exists(cfg->allowed_classes, lowercased);
		zend_string_release(lowercased);
	}
	ce = zend_lookup_class_ex(name, NULL, allowed ? 0 : ZEND_FETCH_CLASS_NO_AUTOLOAD);
	if (!ce || (!allowed && ce->type != ZEND_INTERNAL_CLASS) || !instanceof_function(ce, zend_ce_throwable)
			|| (ce->ce_flags & (ZEND_ACC_INTERFACE | ZEND_ACC_ABSTRACT | ZEND_ACC_TRAIT | ZEND_ACC_ENUM))) {
		return NULL;
	}
	return ce;
}

/* Throws again what the first run threw: the same class, message and code. */
static void replay_exception(const rlock_config *cfg, const char *data, size_t len, const zend_string *key)
{
	zval parts, exception, *class_name, *message, *code;
	zend_class_entry *ce = NULL;

	if (!decode_serialized(data, len, NULL, &parts) || Z_TYPE(parts) != IS_ARRAY
			|| !(class_name = zend_hash_index_find(Z_ARRVAL(parts), 0)) || Z_TYPE_P(class_name) != IS_STRING
			|| !(message = zend_hash_index_find(Z_ARRVAL(parts), 1)) || Z_TYPE_P(message) != IS_STRING
			|| !(code = zend_hash_index_find(Z_ARRVAL(parts), 2)) || Z_TYPE_P(code) != IS_LONG) {
		zend_throw_exception_ex(rlock_ce_exception, 0, "the stored failure of key \"%s\" is unreadable", ZSTR_VAL(key));
		zval_ptr_dtor(&parts);
		return;
	}
	ce = replayable_exception_class(cfg, Z_STR_P(class_name));
	if (ce && object_init_ex(&exception, ce) == SUCCESS) {
		zend_class_entry *base = zend_get_exception_base(Z_OBJ(exception));

		zend_update_property_ex(base, Z_OBJ(exception), ZSTR_KNOWN(ZEND_STR_MESSAGE), message);
		zend_update_property_ex(base, Z_OBJ(exception), ZSTR_KNOWN(ZEND_STR_CODE), code);
		zend_throw_exception_object(&exception);
	} else {
		zend_throw_exception_ex(rlock_ce_exception, Z_LVAL_P(code), "the first run of key \"%s\" failed with %s: %s",
			ZSTR_VAL(key), Z_STRVAL_P(class_name), Z_STRVAL_P(message));
	}
	zval_ptr_dtor(&parts);
}

/* A duplicate's answer: the stored value in *result, or a thrown exception. */
static claim_outcome replay(const rlock_config *cfg, const char *state, const char *data, size_t len,
	const zend_string *key, zval *result)
{
	if (strcmp(state, "failed") == 0 && len > 0 && data[0] == STORED_EXCEPTION) {
		replay_exception(cfg, data + 1, len - 1, key);
		return CLAIM_THREW;
	}
	if (len > 0 && data[0] == STORED_VALUE && decode_serialized(data + 1, len - 1, cfg, result)) {
		return CLAIM_REPLAYED;
	}
	if (len > 0 && data[0] == STORED_TOO_LARGE) {
		zend_throw_exception_ex(rlock_ce_exception, 0, "key \"%s\" was done, but its result (%s bytes) was over "
			"max_result_bytes and was not stored for replay", ZSTR_VAL(key), data + 1);
	} else if (len > 0 && data[0] == STORED_UNSERIALIZABLE) {
		zend_throw_exception_ex(rlock_ce_exception, 0, "key \"%s\" was done, but its result could not be stored "
			"for replay (%s)", ZSTR_VAL(key), data + 1);
	} else {
		zend_throw_exception_ex(rlock_ce_exception, 0, "the stored result of key \"%s\" is unreadable", ZSTR_VAL(key));
	}
	return CLAIM_THREW;
}

static void throw_in_progress(const zend_string *key, zend_long retry_after)
{
	zend_object *e = zend_throw_exception_ex(rlock_ce_in_progress_exception, 0,
		"key \"%s\" is being processed by another request; retry in " ZEND_LONG_FMT " ms",
		ZSTR_VAL(key), retry_after);

	zend_update_property_long(rlock_ce_in_progress_exception, e, "retryAfter", sizeof("retryAfter") - 1, retry_after);
}

/* ---- claiming: the first caller gets the key, duplicates the outcome ---- */

static claim_outcome claim_key(rlock_idem *idem, idem_claim *claim, const zend_string *key,
	const zend_string *fingerprint, zval *result)
{
	rlock_conn *c = idem->cfg.conn;
	int64_t deadline = rlock_now_us() + (int64_t) idem->cfg.wait * 1000;
	char waiter[sizeof(c->wake_channel) + sizeof(claim->token) + 1] = "";
	char lease[MAX_LENGTH_OF_LONG], place[MAX_LENGTH_OF_LONG];
	const char *argv[5] = {claim->token, fingerprint ? ZSTR_VAL(fingerprint) : "", lease, waiter, place};
	size_t argvlen[5] = {0, fingerprint ? ZSTR_LEN(fingerprint) : 0, 0, 0, 0};

	if (rlock_random_hex(claim->token, 16) == FAILURE) {
		zend_throw_exception(rlock_ce_exception, "no random bytes for a claim token", 0);
		return CLAIM_THREW;
	}
	argvlen[0] = strlen(claim->token);
	argvlen[2] = snprintf(lease, sizeof(lease), ZEND_LONG_FMT, idem->cfg.lease);
	argvlen[4] = snprintf(place, sizeof(place), ZEND_LONG_FMT, idem->cfg.wait + WAITER_GRACE_MS);
	for (;;) {
		redisReply *reply;
		const char *state;
		int64_t left;
		zend_long running_ms;

		if (idem->cfg.wait > 0) {
			/* listening before queueing, as lock waiters do */
			if (rlock_config_route(&idem->cfg, claim->keys[0]) == FAILURE) {
				throw_connection_error(idem);
				return CLAIM_THREW;
			}
			c = idem->cfg.conn;
			if (rlock_wait_ready(c, &idem->cfg.timeouts) == FAILURE) {
				throw_connection_error(idem);
				return CLAIM_THREW;
			}
			argvlen[3] = snprintf(waiter, sizeof(waiter), "%s|%s", c->wake_channel, claim->token);
		}
		reply = claim_run(idem, claim, &rlock_script_claim, 5, argv, argvlen);
		if (!reply) {
			throw_connection_error(idem);
			return CLAIM_THREW;
		}
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 || reply->element[0]->type != REDIS_REPLY_STRING) {
			freeReplyObject(reply);
			zend_throw_exception(rlock_ce_connection_exception, "unexpected reply to the claim script", 0);
			return CLAIM_THREW;
		}
		state = reply->element[0]->str;
		if (strcmp(state, "claimed") == 0) {
			freeReplyObject(reply);
			if (claim_watch(idem, claim, key) == FAILURE) {
				claim_abort(idem, claim);
				throw_connection_error(idem);
				return CLAIM_THREW;
			}
			return CLAIM_OURS;
		}
		if (strcmp(state, "conflict") == 0) {
			freeReplyObject(reply);
			zend_throw_exception_ex(rlock_ce_conflict_exception, 0,
				"key \"%s\" was first used with another fingerprint", ZSTR_VAL(key));
			return CLAIM_THREW;
		}
		if (strcmp(state, "running") != 0) {
			claim_outcome outcome = reply->elements == 2 && reply->element[1]->type == REDIS_REPLY_STRING
				? replay(&idem->cfg, state, reply->element[1]->str, reply->element[1]->len, key, result)
				: replay(&idem->cfg, state, "", 0, key, result);
			freeReplyObject(reply);
			return outcome;
		}
		running_ms = reply->elements == 2 && reply->element[1]->type == REDIS_REPLY_INTEGER
			? (zend_long) reply->element[1]->integer : 1;
		freeReplyObject(reply);
		left = deadline - rlock_now_us();
		if (left <= 0) {
			throw_in_progress(key, MAX(running_ms, 1));
			return CLAIM_THREW;
		}
		/* Woken when the first run finishes; or at the end of its lease, if it died. */
		zend_long ignored;
		if (rlock_wait_for(c, claim->token, MIN(left, (int64_t) running_ms * 1000 + 1000), &ignored)
				== RLOCK_WAKE_INTERRUPTED) {
			throw_in_progress(key, MAX(running_ms, 1));
			return CLAIM_THREW;
		}
	}
}

static bool check_key_args(const zend_string *key, const zend_string *fingerprint, uint32_t key_arg, uint32_t fp_arg)
{
	if (ZSTR_LEN(key) == 0 || ZSTR_LEN(key) > RLOCK_KEY_MAX) {
		zend_argument_value_error(key_arg, "must be 1 to %d bytes long, %zu given", RLOCK_KEY_MAX, ZSTR_LEN(key));
		return false;
	}
	if (fingerprint && ZSTR_LEN(fingerprint) > RLOCK_FINGERPRINT_MAX) {
		zend_argument_value_error(fp_arg, "must be at most %d bytes long, %zu given",
			RLOCK_FINGERPRINT_MAX, ZSTR_LEN(fingerprint));
		return false;
	}
	return true;
}

/* finish_with_value(): nothing was stored, the engine unwinds (exit() while serializing). */
#define FINISH_UNWOUND (-2)

/* Stores the outcome of our run: 1 stored, 0 claim lost, -1 Redis failed, or FINISH_UNWOUND. */
static int finish_with_value(rlock_idem *idem, idem_claim *claim, zval *value, const zend_string *key)
{
	zend_string *payload = encode_value(idem, value, key);
	int finished;

	if (!payload) {
		return FINISH_UNWOUND;
	}
	finished = claim_finish(idem, claim, "done", payload);
	zend_string_release(payload);
	return finished;
}

static void throw_claim_lost(const zend_string *key)
{
	zend_throw_exception_ex(rlock_ce_lost_exception, 0,
		"the claim on key \"%s\" was lost before its result was stored: a duplicate may have run",
		ZSTR_VAL(key));
}

/* $fn threw: the on_error policy decides what duplicates see. */
static void apply_on_error(rlock_idem *idem, idem_claim *claim)
{
	zend_object *failure = rlock_exception_set_aside();

	if (idem->cfg.on_error == RLOCK_ON_ERROR_RELEASE) {
		if (claim_abort(idem, claim) < 0) {
			throw_connection_error(idem);
		}
	} else if (idem->cfg.on_error == RLOCK_ON_ERROR_STORE) {
		zend_string *payload = encode_exception(failure);

		if (claim_finish(idem, claim, "failed", payload) < 0) {
			throw_connection_error(idem);
		}
		zend_string_release(payload);
	}
	/* keep: the claim stays until its lease runs out */
	rlock_exception_restore(failure);
}

/* ---- object handlers ---- */

static void claim_ptr_dtor(zval *zv)
{
	idem_claim *claim = Z_PTR_P(zv);

	claim_dtor(claim);
	efree(claim);
}

static zend_object *idem_create(zend_class_entry *ce)
{
	rlock_idem *idem = zend_object_alloc(sizeof(rlock_idem), ce);

	memset(idem, 0, XtOffsetOf(rlock_idem, std));
	zend_hash_init(&idem->claims, 0, NULL, claim_ptr_dtor, 0);
	zend_hash_init(&idem->running, 0, NULL, claim_ptr_dtor, 0);
	zend_object_std_init(&idem->std, ce);
	object_properties_init(&idem->std, ce);
	idem->std.handlers = &idem_handlers;
	return &idem->std;
}

/* Claims never completed: stop renewing them. A begin() claim whose object is
 * destroyed while the request goes on follows on_error ("release" gives it up,
 * in the process that took it). At request end — exit(), a fatal error, an
 * uncaught exception, a forgotten complete() — and for a run() cut short, the
 * work may have been done: the claim ends with its lease, never sooner. */
static void abandon_claims(rlock_idem *idem, HashTable *claims, bool may_release)
{
	idem_claim *claim;

	ZEND_HASH_FOREACH_PTR(claims, claim) {
		if (may_release && claim->pid == rlock_pid() && idem->cfg.on_error == RLOCK_ON_ERROR_RELEASE
				&& !rlock_request_ending()) {
			claim_abort(idem, claim);
		}
	} ZEND_HASH_FOREACH_END();
	zend_hash_destroy(claims); /* stops the renewals */
}

static void idem_free(zend_object *obj)
{
	rlock_idem *idem = idem_from_obj(obj);

	abandon_claims(idem, &idem->claims, true);
	abandon_claims(idem, &idem->running, false);
	if (idem->scope) {
		zend_string_release(idem->scope);
	}
	rlock_config_dtor(&idem->cfg);
	zend_object_std_dtor(obj);
}

void rlock_idempotency_init_class(zend_class_entry *ce)
{
	rlock_ce_idempotency = ce;
	ce->create_object = idem_create;
	memcpy(&idem_handlers, zend_get_std_object_handlers(), sizeof(idem_handlers));
	idem_handlers.offset = XtOffsetOf(rlock_idem, std);
	idem_handlers.free_obj = idem_free;
	idem_handlers.clone_obj = NULL; /* open claims have one owner */
}

/* ---- methods ---- */

ZEND_METHOD(RLockIdempotency, __construct)
{
	rlock_idem *idem = THIS_IDEM();
	zend_string *scope;
	HashTable *options = NULL;

	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(scope)
		Z_PARAM_OPTIONAL
		Z_PARAM_ARRAY_HT(options)
	ZEND_PARSE_PARAMETERS_END();

	if (idem->scope) {
		zend_throw_error(NULL, "RLockIdempotency::__construct() cannot be called twice");
		RETURN_THROWS();
	}
	if (ZSTR_LEN(scope) == 0 || ZSTR_LEN(scope) > RLOCK_SCOPE_MAX) {
		zend_argument_value_error(1, "must be 1 to %d bytes long, %zu given", RLOCK_SCOPE_MAX, ZSTR_LEN(scope));
		RETURN_THROWS();
	}
	if (rlock_config_init(&idem->cfg, options, RLOCK_FOR_IDEMPOTENCY, 2) == FAILURE) {
		RETURN_THROWS();
	}
	idem->scope = zend_string_copy(scope);
}

/* After run()'s $fn: stores its value, or applies on_error to its exception.
 * Left to its lease: the claim of a parent process (a fork child of the
 * claimer returned or threw here), and an exit() — outcome unknown. */
static void settle_run(rlock_idem *idem, idem_claim *claim, const zend_string *key, zval *return_value)
{
	int finished;

	if (claim->pid != rlock_pid() || rlock_engine_unwinding()) {
		return;
	}
	if (EG(exception)) {
		apply_on_error(idem, claim);
		return;
	}
	finished = finish_with_value(idem, claim, return_value, key);
	if (finished <= 0) {
		zval_ptr_dtor(return_value);
		ZVAL_NULL(return_value);
		if (finished == -1) {
			throw_connection_error(idem);
		} else if (finished == 0) {
			throw_claim_lost(key);
		}
	}
}

ZEND_METHOD(RLockIdempotency, run)
{
	zend_string *key, *fingerprint = NULL;
	zend_fcall_info fci;
	zend_fcall_info_cache fcc;
	idem_claim *claim;
	claim_outcome outcome;
	zend_ulong slot;

	ZEND_PARSE_PARAMETERS_START(2, 3)
		Z_PARAM_STR(key)
		Z_PARAM_FUNC(fci, fcc)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR_OR_NULL(fingerprint)
	ZEND_PARSE_PARAMETERS_END();
	READY_IDEM(idem);

	if (!check_key_args(key, fingerprint, 1, 3)) {
		RETURN_THROWS();
	}
	claim = emalloc(sizeof(*claim));
	claim_init(idem, claim, key);
	slot = zend_hash_next_free_element(&idem->running);
	zend_hash_index_add_new_ptr(&idem->running, slot, claim);
	outcome = claim_key(idem, claim, key, fingerprint, return_value);
	if (outcome == CLAIM_OURS) {
		fci.retval = return_value;
		fci.param_count = 0;
		zend_call_function(&fci, &fcc);
		settle_run(idem, claim, key, return_value);
	}
	zend_hash_index_del(&idem->running, slot); /* unwatches and frees the claim */
}

ZEND_METHOD(RLockIdempotency, begin)
{
	zend_string *key, *fingerprint = NULL;
	idem_claim *claim;
	claim_outcome outcome;
	zval result;

	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(key)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR_OR_NULL(fingerprint)
	ZEND_PARSE_PARAMETERS_END();
	READY_IDEM(idem);

	if (!check_key_args(key, fingerprint, 1, 2)) {
		RETURN_THROWS();
	}
	if (zend_hash_exists(&idem->claims, key)) {
		zend_throw_error(NULL, "RLockIdempotency::begin(): key \"%s\" is already begun by this object; "
			"complete() or abort() it first", ZSTR_VAL(key));
		RETURN_THROWS();
	}
	claim = emalloc(sizeof(*claim));
	claim_init(idem, claim, key);
	ZVAL_UNDEF(&result);
	outcome = claim_key(idem, claim, key, fingerprint, &result);
	if (outcome != CLAIM_OURS) {
		claim_dtor(claim);
		efree(claim);
		if (outcome == CLAIM_THREW) {
			RETURN_THROWS();
		}
		array_init(return_value);
		add_assoc_bool(return_value, "claimed", 0);
		add_assoc_zval(return_value, "result", &result);
		return;
	}
	zend_hash_add_new_ptr(&idem->claims, key, claim);
	array_init(return_value);
	add_assoc_bool(return_value, "claimed", 1);
}

/* The open claim begun on key, or NULL after throwing an Error naming the method. */
static idem_claim *begun_claim(rlock_idem *idem, zend_string *key, const char *method)
{
	idem_claim *claim = zend_hash_find_ptr(&idem->claims, key);

	if (!claim) {
		zend_throw_error(NULL, "RLockIdempotency::%s(): key \"%s\" was not begun by this object", method, ZSTR_VAL(key));
	}
	return claim;
}

ZEND_METHOD(RLockIdempotency, complete)
{
	zend_string *key;
	zval *result;
	idem_claim *claim;
	int finished;

	ZEND_PARSE_PARAMETERS_START(2, 2)
		Z_PARAM_STR(key)
		Z_PARAM_ZVAL(result)
	ZEND_PARSE_PARAMETERS_END();
	READY_IDEM(idem);

	if (!(claim = begun_claim(idem, key, "complete"))) {
		RETURN_THROWS();
	}
	if (claim->pid != rlock_pid()) {
		zend_throw_exception_ex(rlock_ce_exception, 0, "key \"%s\" was begun by process %ld: "
			"only that process can complete it, not a fork child", ZSTR_VAL(key), (long) claim->pid);
		RETURN_THROWS();
	}
	finished = finish_with_value(idem, claim, result, key);
	if (finished == FINISH_UNWOUND) {
		RETURN_THROWS(); /* the claim stays open, and ends with its lease */
	}
	if (finished < 0) {
		throw_connection_error(idem); /* the claim stays open: complete() may be retried */
		RETURN_THROWS();
	}
	zend_hash_del(&idem->claims, key);
	if (finished == 0) {
		throw_claim_lost(key);
		RETURN_THROWS();
	}
}

ZEND_METHOD(RLockIdempotency, abort)
{
	zend_string *key;
	idem_claim *claim;
	int aborted;

	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(key)
	ZEND_PARSE_PARAMETERS_END();
	READY_IDEM(idem);

	if (!(claim = begun_claim(idem, key, "abort"))) {
		RETURN_THROWS();
	}
	if (claim->pid != rlock_pid()) {
		RETURN_FALSE; /* a fork child's copy: the claim is its parent's */
	}
	aborted = claim_abort(idem, claim);
	if (aborted < 0) {
		throw_connection_error(idem);
		RETURN_THROWS();
	}
	zend_hash_del(&idem->claims, key);
	RETURN_BOOL(aborted);
}

ZEND_METHOD(RLockIdempotency, state)
{
	zend_string *key;
	idem_claim claim;
	redisReply *reply;
	const char *argv[3] = {"HGET", NULL, "state"};
	size_t argvlen[3] = {4, 0, 5};

	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(key)
	ZEND_PARSE_PARAMETERS_END();
	READY_IDEM(idem);

	if (!check_key_args(key, NULL, 1, 0)) {
		RETURN_THROWS();
	}
	claim_init(idem, &claim, key);
	argv[1] = ZSTR_VAL(claim.keys[0]);
	argvlen[1] = ZSTR_LEN(claim.keys[0]);
	reply = rlock_config_route(&idem->cfg, claim.keys[0]) == SUCCESS
		? rlock_conn_call(&idem->cfg.conn, &idem->cfg.timeouts, 3, argv, argvlen) : NULL;
	claim_dtor(&claim);
	if (!reply) {
		throw_connection_error(idem);
		RETURN_THROWS();
	}
	if (reply->type == REDIS_REPLY_STRING) {
		RETVAL_STRINGL(reply->str, reply->len);
	} else {
		RETVAL_NULL();
	}
	freeReplyObject(reply);
}
