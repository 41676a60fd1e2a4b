/* rlock: the RLockSemaphore class (see semaphore.h). The permits themselves are the engine's
 * (src/permits.c); this file checks arguments, throws, and keeps what this object took: the
 * holders it renews (watchdog) and gives back at request end (auto_release). */
#include "php.h"
#include "zend_exceptions.h"
#include "globals.h"
#include "semaphore.h"
#include "permits.h"
#include "errors.h"
#include "object.h"
#include "watchdog.h"
#include "pid.h"

zend_class_entry *rlock_ce_semaphore;
static zend_object_handlers semaphore_handlers;

struct rlock_semaphore {
	rlock_config cfg;
	zend_string *name;
	zend_string *keys[RLOCK_PERMITS_KEYS];
	HashTable *holds;            /* holder => rlock_hold: taken through this object, not given back */
	rlock_semaphore *prev_holding; /* links in RLOCK_G(holding_head) while holds is not empty */
	rlock_semaphore *next_holding;
	zend_object std;
};

/* A holder this object took permits for. */
typedef struct rlock_hold {
	uint64_t watch_id; /* the watchdog's renewal, 0 without the watchdog */
	pid_t pid;         /* the process that took them; a fork child leaves them alone */
} rlock_hold;

#define READY_SEMAPHORE(sem) RLOCK_THIS(rlock_semaphore, sem, name, rlock_check_ready, "RLockSemaphore")
#define INITIALIZED_SEMAPHORE(sem) RLOCK_THIS(rlock_semaphore, sem, name, rlock_check_initialized, "RLockSemaphore")

/* ---- what this object holds ---- */

static void hold_dtor(zval *zv)
{
	rlock_hold *hold = Z_PTR_P(zv);

	if (hold->watch_id) {
		rlock_watchdog_unwatch(hold->watch_id);
	}
	efree(hold);
}

static void holding_unlink(rlock_semaphore *sem)
{
	if (sem->prev_holding) {
		sem->prev_holding->next_holding = sem->next_holding;
	} else if (RLOCK_G(holding_head) == sem) {
		RLOCK_G(holding_head) = sem->next_holding;
	}
	if (sem->next_holding) {
		sem->next_holding->prev_holding = sem->prev_holding;
	}
	sem->prev_holding = sem->next_holding = NULL;
}

/* Remembers that this process took permits for holder (once): SUCCESS, or FAILURE when the
 * watchdog it asked for cannot keep them (they are given back). */
static zend_result hold_add(rlock_semaphore *sem, zend_string *holder)
{
	rlock_hold *hold;

	if (sem->holds && (hold = zend_hash_find_ptr(sem->holds, holder)) && hold->pid == rlock_pid()
			&& !(hold->watch_id && rlock_watchdog_is_lost(hold->watch_id))) {
		return SUCCESS; /* taken again while ours: still renewed */
	}
	if (!sem->holds) {
		ALLOC_HASHTABLE(sem->holds);
		zend_hash_init(sem->holds, 4, NULL, hold_dtor, 0);
	}
	if (zend_hash_num_elements(sem->holds) == 0) {
		sem->prev_holding = NULL;
		sem->next_holding = RLOCK_G(holding_head);
		if (sem->next_holding) {
			sem->next_holding->prev_holding = sem;
		}
		RLOCK_G(holding_head) = sem;
	}
	hold = emalloc(sizeof(*hold));
	hold->watch_id = 0;
	hold->pid = rlock_pid();
	zend_hash_update_ptr(sem->holds, holder, hold);
	if (sem->cfg.watchdog) {
		hold->watch_id = rlock_permits_watch(&sem->cfg, sem->keys, holder, sem->name);
		if (!hold->watch_id) {
			rlock_permits_release(&sem->cfg, sem->keys, holder); /* the watchdog's failure stays the one reported */
			return FAILURE;
		}
	}
	return SUCCESS;
}

static void hold_forget(rlock_semaphore *sem, zend_string *holder)
{
	if (sem->holds && zend_hash_del(sem->holds, holder) == SUCCESS && zend_hash_num_elements(sem->holds) == 0) {
		holding_unlink(sem);
	}
}

/* Gives back what this process took through sem (when auto_release is on) and forgets it all:
 * at request end, or when the object goes. One unreachable server costs one timeout. */
static void holds_end(rlock_semaphore *sem)
{
	zend_string *holder;
	rlock_hold *hold;
	bool reachable = true;

	if (!sem->holds) {
		return;
	}
	ZEND_HASH_FOREACH_STR_KEY_PTR(sem->holds, holder, hold) {
		if (reachable && sem->cfg.auto_release && hold->pid == rlock_pid()
				&& (!hold->watch_id || !rlock_watchdog_is_lost(hold->watch_id))) {
			reachable = rlock_permits_release(&sem->cfg, sem->keys, holder) >= 0;
		}
	} ZEND_HASH_FOREACH_END();
	zend_hash_destroy(sem->holds);
	FREE_HASHTABLE(sem->holds);
	sem->holds = NULL;
	holding_unlink(sem);
}

void rlock_semaphore_release_held(void)
{
	while (RLOCK_G(holding_head)) {
		holds_end(RLOCK_G(holding_head));
	}
}

/* ---- object handlers ---- */

static zend_object *semaphore_create(zend_class_entry *ce)
{
	rlock_semaphore *sem = zend_object_alloc(sizeof(rlock_semaphore), ce);

	memset(sem, 0, XtOffsetOf(rlock_semaphore, std));
	zend_object_std_init(&sem->std, ce);
	object_properties_init(&sem->std, ce);
	sem->std.handlers = &semaphore_handlers;
	return &sem->std;
}

static void semaphore_free(zend_object *obj)
{
	rlock_semaphore *sem = RLOCK_OBJ(rlock_semaphore, obj);

	holds_end(sem);
	if (sem->name) {
		zend_string_release(sem->name);
		for (int i = 0; i < RLOCK_PERMITS_KEYS; i++) {
			zend_string_release(sem->keys[i]);
		}
		rlock_config_dtor(&sem->cfg);
	}
	zend_object_std_dtor(obj);
}

/* ---- arguments ---- */

/* A holder id: 1..RLOCK_NAME_MAX bytes, no NUL (it is the semaphore's name for a reservation). */
static zend_result check_holder(const zend_string *holder, uint32_t arg_num)
{
	if (rlock_check_name(holder, arg_num) == FAILURE) {
		return FAILURE;
	}
	if (memchr(ZSTR_VAL(holder), '\0', ZSTR_LEN(holder))) {
		zend_argument_value_error(arg_num, "must not contain NUL bytes");
		return FAILURE;
	}
	return SUCCESS;
}

static zend_result check_count(zend_long n, zend_long min, uint32_t arg_num)
{
	if (n < min || n > RLOCK_PERMITS_MAX) {
		zend_argument_value_error(arg_num, "must be between " ZEND_LONG_FMT " and %d, " ZEND_LONG_FMT " given",
			min, RLOCK_PERMITS_MAX, n);
		return FAILURE;
	}
	return SUCCESS;
}

/* ---- methods ---- */

ZEND_METHOD(RLockSemaphore, __construct)
{
	rlock_semaphore *sem = RLOCK_OBJ(rlock_semaphore, Z_OBJ_P(ZEND_THIS));
	zend_string *name;
	HashTable *options;

	if (rlock_constructor_args(execute_data, sem->name != NULL, &name, &options) == FAILURE
			|| rlock_check_name(name, 1) == FAILURE
			|| rlock_config_init(&sem->cfg, options, RLOCK_FOR_SEMAPHORE, 2) == FAILURE) {
		RETURN_THROWS();
	}
	sem->name = zend_string_copy(name);
	rlock_permits_keys(sem->keys, sem->cfg.prefix, name);
}

ZEND_METHOD(RLockSemaphore, addPermits)
{
	zend_long n, free;

	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_LONG(n)
	ZEND_PARSE_PARAMETERS_END();
	READY_SEMAPHORE(sem);

	if (check_count(n, -RLOCK_PERMITS_MAX, 1) == FAILURE) {
		RETURN_THROWS();
	}
	if (!rlock_permits_add(&sem->cfg, sem->keys, n, &free)) {
		rlock_throw_failure(&sem->cfg.failure);
		RETURN_THROWS();
	}
	RETURN_LONG(free);
}

ZEND_METHOD(RLockSemaphore, available)
{
	zend_long free;

	ZEND_PARSE_PARAMETERS_NONE();
	READY_SEMAPHORE(sem);

	if (!rlock_permits_free(&sem->cfg, sem->keys, &free)) {
		rlock_throw_failure(&sem->cfg.failure);
		RETURN_THROWS();
	}
	RETURN_LONG(free);
}

ZEND_METHOD(RLockSemaphore, acquire)
{
	zend_string *holder;
	zend_long permits = 1, wait_ms = 0, held = 0;
	rlock_lease_outcome outcome;

	ZEND_PARSE_PARAMETERS_START(1, 3)
		Z_PARAM_STR(holder)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(permits)
		Z_PARAM_LONG(wait_ms)
	ZEND_PARSE_PARAMETERS_END();
	READY_SEMAPHORE(sem);

	if (check_holder(holder, 1) == FAILURE || check_count(permits, 1, 2) == FAILURE
			|| rlock_check_ms(wait_ms, 0, RLOCK_WAIT_MAX, 3) == FAILURE) {
		RETURN_THROWS();
	}
	outcome = rlock_permits_take(&sem->cfg, sem->keys, holder, permits, wait_ms, &held);
	if (outcome == RLOCK_LEASE_TAKEN && held > 0 && hold_add(sem, holder) == FAILURE) {
		hold_forget(sem, holder);
		outcome = RLOCK_LEASE_FAILED;
	}
	if (outcome == RLOCK_LEASE_FAILED) {
		rlock_throw_failure(&sem->cfg.failure);
		RETURN_THROWS();
	}
	RETURN_BOOL(outcome == RLOCK_LEASE_TAKEN);
}

/* release() and consume(): the holder's permits go back, or leave for good; either way this
 * object holds them no more (unless Redis could not be asked: request end tries again). */
static void holder_settle(INTERNAL_FUNCTION_PARAMETERS,
	int (*settle)(rlock_config *cfg, zend_string *const *keys, const zend_string *holder))
{
	zend_string *holder;
	int done;

	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(holder)
	ZEND_PARSE_PARAMETERS_END();
	READY_SEMAPHORE(sem);

	if (check_holder(holder, 1) == FAILURE) {
		RETURN_THROWS();
	}
	done = settle(&sem->cfg, sem->keys, holder);
	if (done < 0) {
		rlock_throw_failure(&sem->cfg.failure);
		RETURN_THROWS();
	}
	hold_forget(sem, holder);
	RETURN_BOOL(done);
}

ZEND_METHOD(RLockSemaphore, release)
{
	holder_settle(INTERNAL_FUNCTION_PARAM_PASSTHRU, rlock_permits_release);
}

ZEND_METHOD(RLockSemaphore, consume)
{
	holder_settle(INTERNAL_FUNCTION_PARAM_PASSTHRU, rlock_permits_consume);
}

ZEND_METHOD(RLockSemaphore, extend)
{
	zend_string *holder;
	zend_long ttl_ms = 0;
	bool ttl_is_null = true;
	rlock_hold *hold;
	int done;

	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(holder)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG_OR_NULL(ttl_ms, ttl_is_null)
	ZEND_PARSE_PARAMETERS_END();
	READY_SEMAPHORE(sem);

	if (ttl_is_null) {
		ttl_ms = sem->cfg.ttl;
	}
	if (check_holder(holder, 1) == FAILURE || rlock_check_ms(ttl_ms, 1, RLOCK_TTL_MAX, 2) == FAILURE) {
		RETURN_THROWS();
	}
	done = rlock_permits_extend(&sem->cfg, sem->keys, holder, ttl_ms);
	if (done < 0) {
		rlock_throw_failure(&sem->cfg.failure);
		RETURN_THROWS();
	}
	hold = sem->holds ? zend_hash_find_ptr(sem->holds, holder) : NULL;
	if (done && hold && hold->watch_id) {
		rlock_watchdog_extended(hold->watch_id, ttl_ms);
	} else if (!done) {
		hold_forget(sem, holder); /* its lease ended: nothing of it is ours to give back */
	}
	RETURN_BOOL(done);
}

void rlock_semaphore_init_class(zend_class_entry *ce)
{
	rlock_ce_semaphore = ce;
	rlock_object_class_init(ce, semaphore_create, &semaphore_handlers, XtOffsetOf(rlock_semaphore, std),
		semaphore_free);
}
