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
#include "reentry.h"

zend_class_entry *rlock_ce_lock;
static zend_object_handlers lock_handlers;

#define READY_LOCK(lock) RLOCK_THIS(rlock_lock, lock, name, rlock_check_ready, "RLock")
#define INITIALIZED_LOCK(lock) RLOCK_THIS(rlock_lock, lock, name, rlock_check_initialized, "RLock")

static void throw_failure(const rlock_lock *lock)
{
	rlock_throw_failure(&lock->cfg.failure);
}

/* The hold lock would join asks for fencing as lock does, or lock does not ask: a fencing
 * number cannot be given to a hold after it was taken. */
static bool fencing_matches(const rlock_lock *lock, const rlock_lock *hold)
{
	if (lock->cfg.fencing && !hold->cfg.fencing) {
		zend_throw_exception_ex(rlock_ce_exception, 0, "lock \"%s\" is held by this process without "
			"fencing: a nested acquisition cannot have a fencing token", ZSTR_VAL(lock->name));
		return false;
	}
	return true;
}

/* A hold this process has already (src/reentry.c): its lease reset and counted up. 1: joined,
 * 0: the hold was lost meanwhile, -1: thrown. */
static int lock_join(rlock_lock *lock, rlock_lock *hold)
{
	rlock_lease_outcome outcome;

	if (!fencing_matches(lock, hold)) {
		return -1;
	}
	outcome = rlock_lease_extend(hold, hold->cfg.ttl); /* only while the hold lasts: never takes it anew */
	if (outcome == RLOCK_LEASE_FAILED) {
		throw_failure(hold);
		return -1;
	}
	if (outcome == RLOCK_LEASE_BUSY) {
		return 0;
	}
	if (lock->cfg.reentrant) {
		rlock_reentry_join(lock, hold); /* else a second acquire() only refreshes, as Symfony's and Laravel's do */
	}
	return 1;
}

/* The hold turned into the other mode: 1 done, 0 refused (a promotion while other readers
 * hold it) or lost, -1 thrown. Not a new level: Symfony's promotion and demotion keep one lock. */
static int lock_change_mode(rlock_lock *hold, bool reading)
{
	rlock_lease_outcome outcome = rlock_lease_change_mode(hold, reading);

	if (outcome == RLOCK_LEASE_FAILED) {
		throw_failure(hold);
		return -1;
	}
	return outcome == RLOCK_LEASE_TAKEN;
}

/* This object's hold alone, no other object sharing it: its mode may change. */
static bool hold_is_own(const rlock_lock *lock, const rlock_lock *hold)
{
	return hold == lock && hold->hold_levels == lock->levels;
}

/* A new lease, to read or to write: 1 ours, 0 not within wait_ms, -1 thrown. */
static int lock_take(rlock_lock *lock, zend_long wait_ms, bool reading)
{
	rlock_lease_outcome outcome;

	if (!rlock_lease_is_ours(lock)) {
		lock->reading = reading;
	}
	outcome = rlock_lease_acquire(lock, wait_ms);
	if (outcome == RLOCK_LEASE_FAILED) {
		throw_failure(lock);
		return -1;
	}
	if (outcome == RLOCK_LEASE_TAKEN) {
		rlock_reentry_begin(lock);
	}
	return outcome == RLOCK_LEASE_TAKEN;
}

/* An object is one fiber's at a time: its levels are that fiber's hold. False after throwing. */
static bool check_fiber(rlock_lock *lock)
{
	if (rlock_reentry_held_by_other_fiber(lock)) {
		zend_throw_exception_ex(rlock_ce_exception, 0, "lock \"%s\" is held through this object by another "
			"fiber: each fiber needs an RLock of its own", ZSTR_VAL(lock->name));
		return false;
	}
	return true;
}

/* To write. A reader promotes itself, at once or never: only while it is the only reader (two
 * readers waiting for each other to leave would wait forever); for the same reason a write
 * while this process reads the lock through another object is refused at once. */
static int lock_acquire(rlock_lock *lock, zend_long wait_ms)
{
	rlock_lock *hold = rlock_reentry_find(lock, false);
	rlock_lock *reading;
	int joined;

	if (hold && hold->reading) {
		return hold_is_own(lock, hold) ? lock_change_mode(hold, false) : 0;
	}
	if (!hold && (reading = rlock_reentry_find(lock, true)) && reading->reading) {
		return 0;
	}
	if (hold && (joined = lock_join(lock, hold)) != 0) {
		return joined;
	}
	return lock_take(lock, wait_ms, false);
}

/* To read. A writer demotes itself when no other object shares its hold; else the read is one
 * more level of this process's hold, whichever its mode. */
static int lock_acquire_read(rlock_lock *lock, zend_long wait_ms)
{
	rlock_lock *hold = rlock_reentry_find(lock, true);
	int joined;

	if (hold && !hold->reading && hold_is_own(lock, hold) && (joined = lock_change_mode(hold, true)) != 0) {
		return joined;
	}
	if (hold && (joined = lock_join(lock, hold)) != 0) {
		return joined;
	}
	return lock_take(lock, wait_ms, true);
}

/* Gives the whole hold's lease back, at its last level: TAKEN when it was still ours. */
static rlock_lease_outcome hold_release(rlock_lock *hold)
{
	rlock_lease_outcome outcome = rlock_lease_release(hold);

	if (outcome == RLOCK_LEASE_TAKEN) {
		RLOCK_G(stats).released++;
	}
	return outcome;
}

/* 1: released (a level, or the lock at its last), 0: not ours (any more), -1: thrown. An inner
 * level is given back without asking Redis: the outermost release tells whether the lease lasted.
 * When Redis cannot be told, the lease stays ours (request end frees it) and, if keep_level,
 * so does the level: release() again retries. */
static int lock_release(rlock_lock *lock, bool keep_level)
{
	rlock_lock *hold = rlock_reentry_current(lock);
	rlock_lease_outcome outcome;

	if (!hold) {
		rlock_reentry_detach(lock);
		return 0;
	}
	if (!rlock_reentry_leave(lock, hold)) {
		return 1;
	}
	outcome = hold_release(hold);
	if (outcome == RLOCK_LEASE_FAILED) {
		if (keep_level) {
			rlock_reentry_undo_leave(lock, hold);
		}
		throw_failure(hold);
		return -1;
	}
	rlock_reentry_detach(lock);
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
	rlock_lock *hold = rlock_reentry_current(lock);
	bool last = hold && rlock_reentry_leave_all(lock, hold);

	if (!hold && rlock_lease_is_ours(lock)) {
		hold = lock; /* a lease whose release failed: no level left, no guest (they would keep it alive) */
		last = true;
	}
	/* a guest's levels end with it; the hold's lease is given back at its last, if its host asks */
	if (last && hold->cfg.auto_release && rlock_lease_release(hold) == RLOCK_LEASE_TAKEN) {
		RLOCK_G(stats).auto_released++;
	}
	rlock_reentry_detach(lock);
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

/* A token as getToken() makes them: RLOCK_TOKEN_BYTES in lowercase hex. */
static zend_result check_token(const zend_string *token, uint32_t arg_num)
{
	bool hex = ZSTR_LEN(token) == RLOCK_TOKEN_BYTES * 2;

	for (size_t i = 0; hex && i < ZSTR_LEN(token); i++) {
		char c = ZSTR_VAL(token)[i];

		hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
	}
	if (!hex) {
		zend_argument_value_error(arg_num, "must be a token from RLock::getToken() (%d hex digits)",
			RLOCK_TOKEN_BYTES * 2);
		return FAILURE;
	}
	return SUCCESS;
}

/* Sets up a constructed lock's name and keys (the config is set). */
static void lock_name(rlock_lock *lock, zend_string *name)
{
	lock->name = zend_string_copy(name);
	lock->keys[0] = rlock_lock_key(lock->cfg.prefix, name, RLOCK_KEY_LOCK);
	lock->keys[1] = rlock_lock_key(lock->cfg.prefix, name, RLOCK_KEY_LOCK_QUEUE);
	lock->keys[2] = rlock_lock_key(lock->cfg.prefix, name, RLOCK_KEY_LOCK_FENCE);
}

ZEND_METHOD(RLock, __construct)
{
	rlock_lock *lock = RLOCK_OBJ(rlock_lock, Z_OBJ_P(ZEND_THIS));
	zend_string *name;
	HashTable *options;

	if (rlock_constructor_args(execute_data, lock->name != NULL, &name, &options) == FAILURE
			|| rlock_check_name(name, 1) == FAILURE || rlock_config_init(&lock->cfg, options, RLOCK_FOR_LOCK, 2) == FAILURE) {
		RETURN_THROWS();
	}
	lock_name(lock, name);
}

/* acquire() and acquireRead(): the same argument, the same answers. */
static void acquire_method(INTERNAL_FUNCTION_PARAMETERS, bool reading)
{
	zend_long wait_ms = 0;
	int got;

	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(wait_ms)
	ZEND_PARSE_PARAMETERS_END();

	READY_LOCK(lock);
	if (rlock_check_ms(wait_ms, 0, RLOCK_WAIT_MAX, 1) == FAILURE || !check_fiber(lock)) {
		RETURN_THROWS();
	}
	if (reading && lock->cfg.master_count > 0) {
		zend_throw_exception_ex(rlock_ce_exception, 0, "acquireRead() of lock \"%s\" is not available with "
			"Redlock: independent masters cannot count one set of readers; use one server or \"cluster\"",
			ZSTR_VAL(lock->name));
		RETURN_THROWS();
	}
	got = reading ? lock_acquire_read(lock, wait_ms) : lock_acquire(lock, wait_ms);
	if (got < 0) {
		RETURN_THROWS();
	}
	RETURN_BOOL(got);
}

ZEND_METHOD(RLock, acquire)
{
	acquire_method(INTERNAL_FUNCTION_PARAM_PASSTHRU, false);
}

ZEND_METHOD(RLock, acquireRead)
{
	acquire_method(INTERNAL_FUNCTION_PARAM_PASSTHRU, true);
}

ZEND_METHOD(RLock, release)
{
	int released;

	ZEND_PARSE_PARAMETERS_NONE();
	READY_LOCK(lock);

	released = lock_release(lock, true);
	if (released < 0) {
		RETURN_THROWS();
	}
	RETURN_BOOL(released);
}

ZEND_METHOD(RLock, extend)
{
	zend_long ttl = 0;
	bool ttl_is_null = true;
	rlock_lease_outcome outcome;
	rlock_lock *hold;

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
	hold = rlock_reentry_current(lock);
	if (!hold) {
		RETURN_FALSE;
	}
	outcome = rlock_lease_extend(hold, ttl);
	if (outcome == RLOCK_LEASE_FAILED) {
		throw_failure(hold);
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
	rlock_lock *hold = rlock_reentry_current(lock);
	rlock_lease_outcome outcome;

	if (!hold) {
		*ms = -1;
		return true;
	}
	outcome = rlock_lease_remaining(hold, ms);
	if (outcome == RLOCK_LEASE_FAILED) {
		throw_failure(hold);
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
	rlock_lock *hold;

	ZEND_PARSE_PARAMETERS_NONE();
	INITIALIZED_LOCK(lock);
	hold = rlock_reentry_current(lock);
	if (!hold) {
		RETURN_NULL();
	}
	RETURN_STRINGL(hold->token, sizeof(hold->token) - 1);
}

ZEND_METHOD(RLock, getFencingToken)
{
	rlock_lock *hold;

	ZEND_PARSE_PARAMETERS_NONE();
	INITIALIZED_LOCK(lock);
	hold = rlock_reentry_current(lock);
	if (!lock->cfg.fencing || !hold || hold->reading) {
		RETURN_NULL(); /* readers get no number: they do not write */
	}
	RETURN_LONG(hold->fence);
}

/* After the callback ran: gives the section's level back — the lock itself at its hold's
 * last level; at an inner one, after asking Redis whether the lease lasted (the callback's
 * exception, if any, stays the one the caller sees; a failure here is chained to it). False
 * when the lock was lost before the section ended. */
static bool end_section(rlock_lock *lock, rlock_lock *section_hold, uint32_t section_id)
{
	rlock_lock *hold = rlock_reentry_current(lock);
	zend_object *callback_exception;
	zend_long ms;
	bool kept, last;

	if (!hold || hold != section_hold || hold->hold_id != section_id) {
		/* the section's hold ended: lost, or released by the callback itself (a hold the callback
		 * took since is the callback's to release) */
		return section_hold->lost_hold_id != section_id;
	}
	last = hold->hold_levels == 1;
	if (!last && rlock_engine_unwinding()) {
		rlock_reentry_leave(lock, hold);
		return true; /* exit(): nobody is left to tell */
	}
	callback_exception = rlock_exception_set_aside();
	if (last) {
		kept = lock_release(lock, false) != 0; /* the section is over, whatever Redis says */
	} else {
		kept = !lock_remaining(lock, &ms) || ms >= 0; /* a failure to ask is thrown, not a loss */
		rlock_reentry_leave(lock, hold);
	}
	rlock_exception_restore(callback_exception);
	return kept;
}

/* Before the callback runs: a level of the hold this object has (after asking Redis that it
 * lasted), or of one this process has, or the lock taken within wait_ms. False after throwing. */
static bool begin_section(rlock_lock *lock, zend_long wait_ms)
{
	rlock_lock *hold = rlock_reentry_current(lock);
	zend_long ms;
	int got;

	if (hold && hold->reading) {
		zend_throw_exception_ex(rlock_ce_exception, 0, "synchronized() needs to write, and lock \"%s\" is held "
			"for reading by this process: acquire() it first, or release it", ZSTR_VAL(lock->name));
		return false;
	}
	if (hold) {
		if (!lock_remaining(lock, &ms)) {
			return false;
		}
		if (ms < 0) { /* the section we would be part of has lost the lock already */
			zend_throw_exception_ex(rlock_ce_lost_exception, 0,
				"lock \"%s\" was lost before the critical section began", ZSTR_VAL(lock->name));
			return false;
		}
		rlock_reentry_join(lock, hold);
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
	rlock_lock *section_hold;
	uint32_t section_id;
	bool lost;

	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_FUNC(fci, fcc)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(wait_ms)
	ZEND_PARSE_PARAMETERS_END();
	READY_LOCK(lock);

	if (rlock_check_ms(wait_ms, 0, RLOCK_WAIT_MAX, 2) == FAILURE || !check_fiber(lock) || !begin_section(lock, wait_ms)) {
		RETURN_THROWS();
	}
	section_hold = rlock_reentry_current(lock);
	section_id = section_hold->hold_id;
	GC_ADDREF(&section_hold->std); /* the callback may drop the last reference to a guest's host */
	ZVAL_OBJ(&self, &lock->std);
	fci.retval = return_value;
	fci.params = &self;
	fci.param_count = 1;
	zend_call_function(&fci, &fcc);

	lost = !end_section(lock, section_hold, section_id);
	OBJ_RELEASE(&section_hold->std);
	if (lost && !EG(exception)) {
		zend_throw_exception_ex(rlock_ce_lost_exception, 0,
			"lock \"%s\" was lost before the critical section ended", ZSTR_VAL(lock->name));
	}
	if (EG(exception)) {
		zval_ptr_dtor(return_value);
		ZVAL_NULL(return_value);
	}
}

/* Drops the object a static constructor made before it threw: the engine frees what a throwing
 * call left in its return value, so that must not be the freed object. */
static void discard(zval *return_value)
{
	zval_ptr_dtor(return_value);
	ZVAL_NULL(return_value);
}

ZEND_METHOD(RLock, restore)
{
	zend_string *name, *token;
	HashTable *options = NULL;
	rlock_lock *lock, *hold;
	rlock_lease_outcome outcome;

	ZEND_PARSE_PARAMETERS_START(2, 3)
		Z_PARAM_STR(name)
		Z_PARAM_STR(token)
		Z_PARAM_OPTIONAL
		Z_PARAM_ARRAY_HT(options)
	ZEND_PARSE_PARAMETERS_END();

	if (!rlock_check_ready(true, "RLock") || rlock_check_name(name, 1) == FAILURE
			|| check_token(token, 2) == FAILURE) {
		RETURN_THROWS();
	}
	object_init_ex(return_value, rlock_ce_lock);
	lock = RLOCK_OBJ(rlock_lock, Z_OBJ_P(return_value));
	if (rlock_config_init(&lock->cfg, options, RLOCK_FOR_LOCK, 3) == FAILURE) {
		discard(return_value);
		RETURN_THROWS();
	}
	lock->cfg.fencing = false; /* the number is the first holder's to pass along: see docs/api.md */
	lock_name(lock, name);
	memcpy(lock->token, ZSTR_VAL(token), sizeof(lock->token) - 1);
	if ((hold = rlock_reentry_find_token(lock)) != NULL) {
		rlock_reentry_join(lock, hold); /* this process holds that token already: one hold */
		return;
	}
	outcome = rlock_lease_restore(lock);
	if (outcome == RLOCK_LEASE_FAILED) {
		throw_failure(lock);
		discard(return_value);
		RETURN_THROWS();
	}
	if (outcome == RLOCK_LEASE_TAKEN) {
		rlock_reentry_begin(lock);
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
