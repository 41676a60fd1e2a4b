/* rlock: the RLockIdempotency class — run once per key, replay the result. The class's
 * arguments, objects and exceptions; the record in Redis is the claim engine's (src/claim.c),
 * what it stores of a run is src/outcome.c's. */
#include "php.h"
#include "zend_exceptions.h"
#include "globals.h"
#include "pid.h"
#include "errors.h"
#include "object.h"
#include "options.h"
#include "claim.h"
#include "outcome.h"
#include "idempotency.h"

#define RLOCK_SCOPE_MAX 256

typedef struct rlock_idem {
	rlock_config cfg;
	zend_string *scope;
	HashTable claims;       /* key => rlock_claim*: open begin() claims */
	HashTable running;      /* the claims of run() calls under way: an exit() or fatal
	                         * error inside $fn leaves them to request end */
	zend_object std;
} rlock_idem;

typedef enum { CLAIM_OURS, CLAIM_REPLAYED, CLAIM_THREW } claim_outcome;

zend_class_entry *rlock_ce_idempotency;
static zend_object_handlers idem_handlers;

#define READY_IDEM(idem) RLOCK_THIS(rlock_idem, idem, scope, rlock_check_ready, "RLockIdempotency")

static void throw_failure(rlock_idem *idem)
{
	rlock_throw_failure(&idem->cfg.failure);
}

static void throw_in_progress(const zend_string *key, zend_long retry_after)
{
	zend_object *e = zend_throw_exception_ex(rlock_ce_in_progress_exception, 0,
		"key \"%s\" is being processed by another request; retry in " ZEND_LONG_FMT " ms",
		ZSTR_VAL(key), retry_after);

	zend_update_property_long(rlock_ce_in_progress_exception, e, "retryAfter", sizeof("retryAfter") - 1, retry_after);
}

/* ---- claiming: the first caller gets the key, duplicates the outcome ---- */

static claim_outcome claim_key(rlock_idem *idem, rlock_claim *claim, const zend_string *key,
	const zend_string *fingerprint, zval *result)
{
	rlock_claim_answer answer;
	bool replayed;

	rlock_claim_take(&idem->cfg, claim, key, fingerprint, &answer);
	switch (answer.result) {
	case RLOCK_CLAIM_OURS:
		return CLAIM_OURS;
	case RLOCK_CLAIM_SETTLED:
		replayed = rlock_outcome_replay(&idem->cfg, answer.failed, answer.stored, key, result);
		zend_string_release(answer.stored);
		return replayed ? CLAIM_REPLAYED : CLAIM_THREW;
	case RLOCK_CLAIM_MISMATCH:
		zend_throw_exception_ex(rlock_ce_conflict_exception, 0,
			"key \"%s\" was first used with another fingerprint", ZSTR_VAL(key));
		return CLAIM_THREW;
	case RLOCK_CLAIM_IN_PROGRESS:
		throw_in_progress(key, MAX(answer.retry_after, 1));
		return CLAIM_THREW;
	default:
		throw_failure(idem);
		return CLAIM_THREW;
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
static int finish_with_value(rlock_idem *idem, rlock_claim *claim, zval *value, const zend_string *key)
{
	zend_string *payload = rlock_outcome_of_value(&idem->cfg, value, key);
	int finished;

	if (!payload) {
		return FINISH_UNWOUND;
	}
	finished = rlock_claim_finish(&idem->cfg, claim, RLOCK_CLAIM_DONE, payload);
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
static void apply_on_error(rlock_idem *idem, rlock_claim *claim)
{
	zend_object *failure = rlock_exception_set_aside();

	if (idem->cfg.on_error == RLOCK_ON_ERROR_RELEASE) {
		if (rlock_claim_abort(&idem->cfg, claim) < 0) {
			throw_failure(idem);
		}
	} else if (idem->cfg.on_error == RLOCK_ON_ERROR_STORE) {
		zend_string *payload = rlock_outcome_of_exception(failure);

		/* the message's __toString() may call exit(): then nothing is stored */
		if (!rlock_engine_unwinding() && rlock_claim_finish(&idem->cfg, claim, RLOCK_CLAIM_FAILED, payload) < 0) {
			throw_failure(idem);
		}
		zend_string_release(payload);
	}
	/* keep: the claim stays until its lease runs out */
	rlock_exception_restore(failure);
}

/* ---- object handlers ---- */

static void claim_ptr_free(zval *zv)
{
	rlock_claim *claim = Z_PTR_P(zv);

	rlock_claim_dtor(claim);
	efree(claim);
}

static zend_object *idem_create(zend_class_entry *ce)
{
	rlock_idem *idem = zend_object_alloc(sizeof(rlock_idem), ce);

	memset(idem, 0, XtOffsetOf(rlock_idem, std));
	zend_hash_init(&idem->claims, 0, NULL, claim_ptr_free, 0);
	zend_hash_init(&idem->running, 0, NULL, claim_ptr_free, 0);
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
	rlock_claim *claim;

	ZEND_HASH_FOREACH_PTR(claims, claim) {
		if (may_release && claim->pid == rlock_pid() && idem->cfg.on_error == RLOCK_ON_ERROR_RELEASE
				&& !rlock_request_ending()) {
			rlock_claim_abort(&idem->cfg, claim);
		}
	} ZEND_HASH_FOREACH_END();
	zend_hash_destroy(claims); /* stops the renewals */
}

static void idem_free(zend_object *obj)
{
	rlock_idem *idem = RLOCK_OBJ(rlock_idem, obj);

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
	rlock_object_class_init(ce, idem_create, &idem_handlers, XtOffsetOf(rlock_idem, std), idem_free);
}

/* ---- methods ---- */

ZEND_METHOD(RLockIdempotency, __construct)
{
	rlock_idem *idem = RLOCK_OBJ(rlock_idem, Z_OBJ_P(ZEND_THIS));
	zend_string *scope;
	HashTable *options;

	if (rlock_constructor_args(execute_data, idem->scope != NULL, &scope, &options) == FAILURE) {
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
static void settle_run(rlock_idem *idem, rlock_claim *claim, const zend_string *key, zval *return_value)
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
			throw_failure(idem);
		} else if (finished == 0) {
			throw_claim_lost(key);
		}
	}
}

/* With fencing $fn gets the fence as its first argument. A userland function that declares no
 * parameter ignores it (PHP allows extra arguments); an internal function that takes none would
 * throw ArgumentCountError only after the key is claimed, so it is refused before. */
static bool check_fn_takes_fence(const rlock_idem *idem, const zend_fcall_info_cache *fcc)
{
	const zend_function *fn = fcc->function_handler;

	if (idem->cfg.fencing && fn->type == ZEND_INTERNAL_FUNCTION && fn->common.num_args == 0
			&& !(fn->common.fn_flags & ZEND_ACC_VARIADIC)) {
		zend_argument_value_error(2, "must accept the fencing token as its first argument with option "
			"\"fencing\", %s%s%s() takes no argument", fn->common.scope ? ZSTR_VAL(fn->common.scope->name) : "",
			fn->common.scope ? "::" : "", ZSTR_VAL(fn->common.function_name));
		return false;
	}
	return true;
}

/* Calls $fn into return_value: with fencing as $fn($fence), else as $fn(). */
static void call_fn(rlock_idem *idem, rlock_claim *claim, zend_fcall_info *fci, zend_fcall_info_cache *fcc,
	zval *return_value)
{
	zval fence;

	ZVAL_LONG(&fence, claim->fence);
	fci->retval = return_value;
	fci->params = &fence;
	fci->param_count = idem->cfg.fencing ? 1 : 0;
	zend_call_function(fci, fcc);
}

ZEND_METHOD(RLockIdempotency, run)
{
	zend_string *key, *fingerprint = NULL;
	zend_fcall_info fci;
	zend_fcall_info_cache fcc;
	rlock_claim *claim;
	claim_outcome outcome;
	zend_ulong slot;

	ZEND_PARSE_PARAMETERS_START(2, 3)
		Z_PARAM_STR(key)
		Z_PARAM_FUNC(fci, fcc)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR_OR_NULL(fingerprint)
	ZEND_PARSE_PARAMETERS_END();
	READY_IDEM(idem);

	if (!check_key_args(key, fingerprint, 1, 3) || !check_fn_takes_fence(idem, &fcc)) {
		RETURN_THROWS();
	}
	claim = emalloc(sizeof(*claim));
	rlock_claim_init(claim, &idem->cfg, idem->scope, key);
	slot = zend_hash_next_free_element(&idem->running);
	zend_hash_index_add_new_ptr(&idem->running, slot, claim);
	outcome = claim_key(idem, claim, key, fingerprint, return_value);
	if (outcome == CLAIM_OURS) {
		call_fn(idem, claim, &fci, &fcc, return_value);
		settle_run(idem, claim, key, return_value);
	}
	zend_hash_index_del(&idem->running, slot); /* unwatches and frees the claim */
}

ZEND_METHOD(RLockIdempotency, begin)
{
	zend_string *key, *fingerprint = NULL;
	rlock_claim *claim;
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
	rlock_claim_init(claim, &idem->cfg, idem->scope, key);
	ZVAL_UNDEF(&result);
	outcome = claim_key(idem, claim, key, fingerprint, &result);
	if (outcome != CLAIM_OURS) {
		rlock_claim_dtor(claim);
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
	if (idem->cfg.fencing) {
		add_assoc_long(return_value, "fence", claim->fence);
	}
}

/* The open claim begun on key, or NULL after throwing an Error naming the method — and NULL
 * without throwing in a fork child of the process that began it (the claim is its parent's). */
static rlock_claim *begun_claim(rlock_idem *idem, zend_string *key, const char *method)
{
	rlock_claim *claim = zend_hash_find_ptr(&idem->claims, key);

	if (!claim) {
		zend_throw_error(NULL, "RLockIdempotency::%s(): key \"%s\" was not begun by this object", method, ZSTR_VAL(key));
	}
	return claim && claim->pid == rlock_pid() ? claim : NULL;
}

ZEND_METHOD(RLockIdempotency, complete)
{
	zend_string *key;
	zval *result;
	rlock_claim *claim;
	int finished;

	ZEND_PARSE_PARAMETERS_START(2, 2)
		Z_PARAM_STR(key)
		Z_PARAM_ZVAL(result)
	ZEND_PARSE_PARAMETERS_END();
	READY_IDEM(idem);

	if (!(claim = begun_claim(idem, key, "complete"))) {
		if (!EG(exception)) {
			zend_throw_exception_ex(rlock_ce_exception, 0, "key \"%s\" was begun by another process: "
				"only that process can complete it, not a fork child", ZSTR_VAL(key));
		}
		RETURN_THROWS();
	}
	finished = finish_with_value(idem, claim, result, key);
	if (finished == FINISH_UNWOUND) {
		RETURN_THROWS(); /* the claim stays open, and ends with its lease */
	}
	if (finished < 0) {
		throw_failure(idem); /* the claim stays open: complete() may be retried */
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
	rlock_claim *claim;
	int aborted;

	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(key)
	ZEND_PARSE_PARAMETERS_END();
	READY_IDEM(idem);

	if (!(claim = begun_claim(idem, key, "abort"))) {
		if (EG(exception)) {
			RETURN_THROWS();
		}
		RETURN_FALSE; /* a fork child's copy: the claim is its parent's */
	}
	aborted = rlock_claim_abort(&idem->cfg, claim);
	if (aborted < 0) {
		throw_failure(idem);
		RETURN_THROWS();
	}
	zend_hash_del(&idem->claims, key);
	RETURN_BOOL(aborted);
}

ZEND_METHOD(RLockIdempotency, state)
{
	zend_string *key, *state;

	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(key)
	ZEND_PARSE_PARAMETERS_END();
	READY_IDEM(idem);

	if (!check_key_args(key, NULL, 1, 0)) {
		RETURN_THROWS();
	}
	if (!rlock_claim_state(&idem->cfg, idem->scope, key, &state)) {
		throw_failure(idem);
		RETURN_THROWS();
	}
	if (state) {
		RETURN_STR(state);
	}
	RETURN_NULL();
}
