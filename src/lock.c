/* rlock: the RLock class — an owner-checked Redis lock held by one process. */
#include <unistd.h>
#include "php.h"
#include "zend_exceptions.h"
#include "globals.h"
#include "pid.h"
#include "lock.h"
#include "lease.h"
#include "errors.h"
#include "object.h"
#include "watchdog.h"
#include "keys.h"

zend_class_entry *rlock_ce_lock;
static zend_object_handlers lock_handlers;

#define READY_LOCK(lock) RLOCK_THIS(rlock_lock, lock, name, rlock_check_ready, "RLock")
#define INITIALIZED_LOCK(lock) RLOCK_THIS(rlock_lock, lock, name, rlock_check_initialized, "RLock")

static void throw_failure(const rlock_lock *lock)
{
	rlock_throw_failure(&lock->cfg.failure);
}

/* 1: ours, 0: not within wait_ms, -1: thrown. */
static int lock_acquire(rlock_lock *lock, zend_long wait_ms)
{
	rlock_lease_outcome outcome = rlock_lease_acquire(lock, wait_ms);

	if (outcome == RLOCK_LEASE_FAILED) {
		throw_failure(lock);
		return -1;
	}
	return outcome == RLOCK_LEASE_TAKEN;
}

/* 1: released, 0: not ours (any more), -1: thrown. */
static int lock_release(rlock_lock *lock)
{
	rlock_lease_outcome outcome = rlock_lease_release(lock);

	if (outcome == RLOCK_LEASE_FAILED) {
		throw_failure(lock);
		return -1;
	}
	if (outcome == RLOCK_LEASE_TAKEN) {
		RLOCK_G(stats).released++;
	}
	return outcome == RLOCK_LEASE_TAKEN;
}

/* ---- object handlers ---- */

static zend_object *lock_create(zend_class_entry *ce)
{
	rlock_lock *lock = zend_object_alloc(sizeof(rlock_lock), ce);

	memset(lock, 0, XtOffsetOf(rlock_lock, std));
	zend_object_std_init(&lock->std, ce);
	object_properties_init(&lock->std, ce);
	lock->std.handlers = &lock_handlers;
	return &lock->std;
}

static void lock_free(zend_object *obj)
{
	rlock_lock *lock = RLOCK_OBJ(rlock_lock, obj);

	if (rlock_lease_is_ours(lock) && lock->cfg.auto_release
			&& rlock_lease_release(lock) == RLOCK_LEASE_TAKEN) {
		RLOCK_G(stats).auto_released++;
	}
	rlock_lease_forget(lock);
	if (lock->name) {
		zend_string_release(lock->name);
	}
	for (int i = 0; i < 3; i++) {
		if (lock->keys[i]) {
			zend_string_release(lock->keys[i]);
		}
	}
	rlock_config_dtor(&lock->cfg);
	zend_object_std_dtor(obj);
}

/* ---- methods ---- */

ZEND_METHOD(RLock, __construct)
{
	rlock_lock *lock = RLOCK_OBJ(rlock_lock, Z_OBJ_P(ZEND_THIS));
	zend_string *name;
	HashTable *options;

	if (rlock_constructor_args(execute_data, lock->name != NULL, &name, &options) == FAILURE
			|| rlock_check_name(name, 1) == FAILURE || rlock_config_init(&lock->cfg, options, RLOCK_FOR_LOCK, 2) == FAILURE) {
		RETURN_THROWS();
	}
	lock->name = zend_string_copy(name);
	lock->keys[0] = rlock_lock_key(lock->cfg.prefix, name, RLOCK_KEY_LOCK);
	lock->keys[1] = rlock_lock_key(lock->cfg.prefix, name, RLOCK_KEY_LOCK_QUEUE);
	lock->keys[2] = rlock_lock_key(lock->cfg.prefix, name, RLOCK_KEY_LOCK_FENCE);
}

ZEND_METHOD(RLock, acquire)
{
	zend_long wait_ms = 0;
	int got;

	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(wait_ms)
	ZEND_PARSE_PARAMETERS_END();

	READY_LOCK(lock);
	if (rlock_check_ms(wait_ms, 0, RLOCK_WAIT_MAX, 1) == FAILURE) {
		RETURN_THROWS();
	}
	got = lock_acquire(lock, wait_ms);
	if (got < 0) {
		RETURN_THROWS();
	}
	lock->taken_by_acquire = lock->taken_by_acquire || got;
	RETURN_BOOL(got);
}

ZEND_METHOD(RLock, release)
{
	int released;

	ZEND_PARSE_PARAMETERS_NONE();
	READY_LOCK(lock);

	released = lock_release(lock);
	if (released < 0) {
		RETURN_THROWS();
	}
	lock->taken_by_acquire = false;
	RETURN_BOOL(released);
}

ZEND_METHOD(RLock, extend)
{
	zend_long ttl = 0;
	bool ttl_is_null = true;
	rlock_lease_outcome outcome;

	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG_OR_NULL(ttl, ttl_is_null)
	ZEND_PARSE_PARAMETERS_END();
	READY_LOCK(lock);

	if (ttl_is_null) {
		ttl = lock->cfg.ttl;
	} else if (rlock_check_ms(ttl, 1, RLOCK_TTL_MAX, 1) == FAILURE) {
		RETURN_THROWS();
	}
	outcome = rlock_lease_extend(lock, ttl);
	if (outcome == RLOCK_LEASE_FAILED) {
		throw_failure(lock);
		RETURN_THROWS();
	}
	if (outcome == RLOCK_LEASE_TAKEN) {
		RLOCK_G(stats).extended++;
	}
	RETURN_BOOL(outcome == RLOCK_LEASE_TAKEN);
}

/* Our remaining lease in ms, -1 when not ours; false when it threw. */
static bool lock_remaining(rlock_lock *lock, zend_long *ms)
{
	rlock_lease_outcome outcome = rlock_lease_remaining(lock, ms);

	if (outcome == RLOCK_LEASE_FAILED) {
		throw_failure(lock);
		return false;
	}
	/* -1 from PTTL (something made our key persistent) reads as "not held": rare enough. */
	if (outcome == RLOCK_LEASE_BUSY || *ms < 0) {
		*ms = -1;
	}
	return true;
}

ZEND_METHOD(RLock, isAcquired)
{
	zend_long ms;

	ZEND_PARSE_PARAMETERS_NONE();
	READY_LOCK(lock);
	if (!lock_remaining(lock, &ms)) {
		RETURN_THROWS();
	}
	RETURN_BOOL(ms >= 0);
}

ZEND_METHOD(RLock, getRemainingTtl)
{
	zend_long ms;

	ZEND_PARSE_PARAMETERS_NONE();
	READY_LOCK(lock);
	if (!lock_remaining(lock, &ms)) {
		RETURN_THROWS();
	}
	RETURN_LONG(ms);
}

ZEND_METHOD(RLock, getName)
{
	ZEND_PARSE_PARAMETERS_NONE();
	INITIALIZED_LOCK(lock);
	RETURN_STR_COPY(lock->name);
}

ZEND_METHOD(RLock, getToken)
{
	ZEND_PARSE_PARAMETERS_NONE();
	INITIALIZED_LOCK(lock);
	if (!rlock_lease_is_ours(lock)) {
		RETURN_NULL();
	}
	RETURN_STRINGL(lock->token, sizeof(lock->token) - 1);
}

ZEND_METHOD(RLock, getFencingToken)
{
	ZEND_PARSE_PARAMETERS_NONE();
	INITIALIZED_LOCK(lock);
	if (!lock->cfg.fencing || !rlock_lease_is_ours(lock)) {
		RETURN_NULL();
	}
	RETURN_LONG(lock->fence);
}

/* After the callback ran: releases the lock when we took it, else asks Redis
 * whether our lease lasted (the callback's exception, if any, stays the one the
 * caller sees; a failure here is chained to it). False when the lock was lost
 * before the section ended. */
static bool end_section(rlock_lock *lock, bool release)
{
	zend_object *callback_exception;
	zend_long ms;
	bool kept;

	if (!rlock_lease_is_ours(lock)) {
		return !lock->lost; /* lost, or released by the callback itself */
	}
	if (!release && rlock_engine_unwinding()) {
		return true; /* exit(): nobody is left to tell */
	}
	callback_exception = rlock_exception_set_aside();
	if (release) {
		kept = lock_release(lock) != 0;
	} else {
		kept = !lock_remaining(lock, &ms) || ms >= 0; /* a failure to ask is thrown, not a loss */
	}
	rlock_exception_restore(callback_exception);
	return kept;
}

/* Before the callback runs: takes the lock within wait_ms, or — inside a section
 * that holds it (an outer synchronized(), or after acquire()) — joins that section,
 * whose owner frees it. False after throwing. */
static bool begin_section(rlock_lock *lock, zend_long wait_ms, bool *nested)
{
	zend_long ms;
	int got;

	*nested = (lock->sections > 0 || lock->taken_by_acquire) && rlock_lease_is_ours(lock);
	if (*nested) {
		if (!lock_remaining(lock, &ms)) {
			return false;
		}
		if (ms < 0) { /* the section we would be part of has lost the lock already */
			zend_throw_exception_ex(rlock_ce_lost_exception, 0,
				"lock \"%s\" was lost before the critical section began", ZSTR_VAL(lock->name));
			return false;
		}
		return true;
	}
	got = lock_acquire(lock, wait_ms);
	if (got == 0) {
		zend_throw_exception_ex(rlock_ce_timeout_exception, 0,
			"could not acquire lock \"%s\" within " ZEND_LONG_FMT " ms", ZSTR_VAL(lock->name), wait_ms);
	}
	return got > 0;
}

ZEND_METHOD(RLock, synchronized)
{
	zend_fcall_info fci;
	zend_fcall_info_cache fcc;
	zend_long wait_ms = 0;
	zval self;
	bool nested;

	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_FUNC(fci, fcc)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(wait_ms)
	ZEND_PARSE_PARAMETERS_END();
	READY_LOCK(lock);

	if (rlock_check_ms(wait_ms, 0, RLOCK_WAIT_MAX, 2) == FAILURE || !begin_section(lock, wait_ms, &nested)) {
		RETURN_THROWS();
	}
	ZVAL_OBJ(&self, &lock->std);
	fci.retval = return_value;
	fci.params = &self;
	fci.param_count = 1;
	lock->sections++;
	zend_call_function(&fci, &fcc);
	lock->sections--;

	if (!end_section(lock, !nested) && !EG(exception)) {
		zend_throw_exception_ex(rlock_ce_lost_exception, 0,
			"lock \"%s\" was lost before the critical section ended", ZSTR_VAL(lock->name));
	}
	if (EG(exception)) {
		zval_ptr_dtor(return_value);
		ZVAL_NULL(return_value);
	}
}

ZEND_METHOD(RLock, forceRelease)
{
	zend_string *name, *key;
	HashTable *options = NULL;
	rlock_config cfg;
	bool deleted, ok;

	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(name)
		Z_PARAM_OPTIONAL
		Z_PARAM_ARRAY_HT(options)
	ZEND_PARSE_PARAMETERS_END();

	if (!rlock_check_ready(true, "RLock")) {
		RETURN_THROWS();
	}
	if (rlock_check_name(name, 1) == FAILURE || rlock_config_init(&cfg, options, RLOCK_FOR_LOCK, 2) == FAILURE) {
		RETURN_THROWS();
	}
	key = rlock_lock_key(cfg.prefix, name, RLOCK_KEY_LOCK);
	ok = cfg.backend->delete(&cfg, key, &deleted);
	zend_string_release(key);
	if (!ok) {
		rlock_throw_failure(&cfg.failure);
	}
	rlock_config_dtor(&cfg);
	if (!ok) {
		RETURN_THROWS();
	}
	RETURN_BOOL(deleted);
}

ZEND_METHOD(RLock, stats)
{
	const rlock_stats *s = &RLOCK_G(stats);

	ZEND_PARSE_PARAMETERS_NONE();

	array_init_size(return_value, 13);
	add_assoc_long(return_value, "acquired", s->acquired);
	add_assoc_long(return_value, "busy", s->busy);
	add_assoc_long(return_value, "released", s->released);
	add_assoc_long(return_value, "auto_released", s->auto_released);
	add_assoc_long(return_value, "extended", s->extended);
	add_assoc_long(return_value, "lost", s->lost);
	add_assoc_long(return_value, "commands", s->commands);
	add_assoc_long(return_value, "renewals", (zend_long) rlock_watchdog_renewals());
	add_assoc_long(return_value, "connects", s->connects);
	add_assoc_long(return_value, "reconnects", s->reconnects);
	add_assoc_long(return_value, "connection_errors", s->connection_errors);
	add_assoc_long(return_value, "script_loads", s->script_loads);
	add_assoc_long(return_value, "pid", (zend_long) rlock_pid());
}

void rlock_lock_init_class(zend_class_entry *ce)
{
	rlock_ce_lock = ce;
	rlock_object_class_init(ce, lock_create, &lock_handlers, XtOffsetOf(rlock_lock, std), lock_free);
}
