/* rlock: the RLock class — an owner-checked Redis lock held by one process. */
#include <time.h>
#include <unistd.h>
#include "php.h"
#include "zend_exceptions.h"
#if PHP_VERSION_ID >= 80200
# include "ext/random/php_random.h"
#else
# include "ext/standard/php_random.h"
#endif
#include "php_rlock.h"
#include "lock.h"
#include "scripts.h"
#include "errors.h"

/* How long a polling waiter sleeps between attempts, at most (ms). */
#define RLOCK_POLL_MAX_MS 32

zend_class_entry *rlock_ce_lock;
static zend_object_handlers lock_handlers;

typedef enum { ACQUIRE_TAKEN, ACQUIRE_BUSY, ACQUIRE_FAILED } acquire_outcome;

static inline rlock_lock *lock_from_obj(zend_object *obj)
{
	return (rlock_lock *) ((char *) obj - XtOffsetOf(rlock_lock, std));
}

#define THIS_LOCK() lock_from_obj(Z_OBJ_P(ZEND_THIS))

/* Microseconds, so that a wait is never cut short by rounding. */
static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_us(int64_t us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
	}
}

/* ---- held-lock bookkeeping: what request end must free ---- */

static bool lock_is_ours(const rlock_lock *lock)
{
	return lock->held && lock->owner_pid == getpid();
}

static void lock_mark_held(rlock_lock *lock)
{
	if (lock->held) {
		return;
	}
	lock->held = true;
	lock->lost = false;
	lock->owner_pid = getpid();
	lock->prev_held = NULL;
	lock->next_held = RLOCK_G(held_head);
	if (lock->next_held) {
		lock->next_held->prev_held = lock;
	}
	RLOCK_G(held_head) = lock;
}

static void lock_mark_free(rlock_lock *lock)
{
	if (!lock->held) {
		return;
	}
	if (lock->prev_held) {
		lock->prev_held->next_held = lock->next_held;
	} else {
		RLOCK_G(held_head) = lock->next_held;
	}
	if (lock->next_held) {
		lock->next_held->prev_held = lock->prev_held;
	}
	lock->prev_held = lock->next_held = NULL;
	lock->held = false;
}

/* Our lease is gone: someone else's token holds the key, or nobody's. */
static void lock_mark_lost(rlock_lock *lock)
{
	lock_mark_free(lock);
	lock->lost = true;
	RLOCK_G(stats).lost++;
}

/* ---- the round trips ---- */

static zend_result lock_new_token(rlock_lock *lock)
{
	unsigned char raw[RLOCK_TOKEN_BYTES];
	static const char hex[] = "0123456789abcdef";

	if (php_random_bytes_throw(raw, sizeof(raw)) == FAILURE) {
		return FAILURE;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		lock->token[2 * i] = hex[raw[i] >> 4];
		lock->token[2 * i + 1] = hex[raw[i] & 15];
	}
	lock->token[sizeof(lock->token) - 1] = '\0';
	return SUCCESS;
}

/* Runs script with ARGV = token[, ttl]; ttl < 0 leaves it out. */
static redisReply *lock_run(rlock_lock *lock, rlock_script *script, zend_long ttl)
{
	char ttl_buf[MAX_LENGTH_OF_LONG];
	const char *argv[2] = {lock->token, ttl_buf};
	size_t argvlen[2] = {sizeof(lock->token) - 1, 0};

	if (ttl >= 0) {
		argvlen[1] = snprintf(ttl_buf, sizeof(ttl_buf), ZEND_LONG_FMT, ttl);
	}
	return rlock_script_run(lock->cfg.conn, &lock->cfg.timeouts, script, lock->key,
		ttl >= 0 ? 2 : 1, argv, argvlen);
}

/* An integer reply, or false (c->error set) on failure or an unexpected reply. */
static bool lock_run_int(rlock_lock *lock, rlock_script *script, zend_long ttl, zend_long *out)
{
	redisReply *reply = lock_run(lock, script, ttl);
	bool ok = reply && reply->type == REDIS_REPLY_INTEGER;

	if (ok) {
		*out = (zend_long) reply->integer;
	} else if (reply) {
		snprintf(lock->cfg.conn->error, sizeof(lock->cfg.conn->error),
			"unexpected reply type %d from %s", reply->type, lock->cfg.conn->server.display);
	}
	if (reply) {
		freeReplyObject(reply);
	}
	return ok;
}

static acquire_outcome lock_try(rlock_lock *lock, zend_long *holder_ttl)
{
	redisReply *reply = lock_run(lock, &rlock_script_acquire, lock->cfg.ttl);
	acquire_outcome outcome = ACQUIRE_FAILED;

	if (!reply) {
		return ACQUIRE_FAILED;
	}
	if (reply->type == REDIS_REPLY_STATUS) {
		outcome = ACQUIRE_TAKEN;
	} else if (reply->type == REDIS_REPLY_INTEGER) {
		*holder_ttl = (zend_long) reply->integer;
		outcome = ACQUIRE_BUSY;
	} else {
		snprintf(lock->cfg.conn->error, sizeof(lock->cfg.conn->error),
			"unexpected reply type %d from %s", reply->type, lock->cfg.conn->server.display);
	}
	freeReplyObject(reply);
	return outcome;
}

/* Frees our lock without throwing: for destructors and request end.
 * False only when Redis could not be reached. */
static bool lock_release_quietly(rlock_lock *lock)
{
	zend_long deleted;

	if (!lock_run_int(lock, &rlock_script_release, -1, &deleted)) {
		return false;
	}
	if (deleted) {
		RLOCK_G(stats).auto_released++;
		lock_mark_free(lock);
	} else {
		lock_mark_lost(lock);
	}
	return true;
}

static void throw_connection_error(const rlock_lock *lock)
{
	zend_throw_exception(rlock_ce_connection_exception, lock->cfg.conn->error, 0);
}

/* ---- the operations behind the methods ---- */

/* 1: ours, 0: not within wait_ms, -1: thrown. Polls for now; wake-ups replace it. */
static int lock_acquire(rlock_lock *lock, zend_long wait_ms)
{
	int64_t deadline = now_us() + (int64_t) wait_ms * 1000, pause = 1000;
	zend_long holder_ttl = 0;

	if (lock_is_ours(lock)) {
		/* Same token: refreshes our lease, or tells us it was lost meanwhile. */
		acquire_outcome again = lock_try(lock, &holder_ttl);
		if (again == ACQUIRE_TAKEN) {
			return 1;
		}
		if (again == ACQUIRE_FAILED) {
			throw_connection_error(lock);
			return -1;
		}
		lock_mark_lost(lock);
	}
	if (lock_new_token(lock) == FAILURE) {
		return -1;
	}
	for (;;) {
		acquire_outcome outcome = lock_try(lock, &holder_ttl);
		int64_t left;

		if (outcome == ACQUIRE_TAKEN) {
			lock_mark_held(lock);
			RLOCK_G(stats).acquired++;
			return 1;
		}
		if (outcome == ACQUIRE_FAILED) {
			char error[RLOCK_CONN_ERROR_MAX];

			/* The script may have run before the reply was lost: undo it, so
			 * nothing outlives this failure but what its TTL would end anyway. */
			memcpy(error, lock->cfg.conn->error, sizeof(error));
			if (!lock->cfg.conn->connect_failed) {
				zend_long ignored;
				lock_run_int(lock, &rlock_script_release, -1, &ignored);
			}
			zend_throw_exception(rlock_ce_connection_exception, error, 0);
			return -1;
		}
		left = deadline - now_us();
		if (left <= 0) {
			RLOCK_G(stats).busy++;
			return 0;
		}
		if (holder_ttl > 0 && holder_ttl * 1000 < pause) {
			pause = holder_ttl * 1000;
		}
		sleep_us(MIN(pause, left));
		pause = MIN(pause * 2, RLOCK_POLL_MAX_MS * 1000);
	}
}

/* 1: released, 0: not ours (any more), -1: thrown; the lock then stays
 * ours so that a retry, or request end, can free it. */
static int lock_release(rlock_lock *lock)
{
	zend_long deleted;

	if (!lock_is_ours(lock)) {
		return 0;
	}
	if (!lock_run_int(lock, &rlock_script_release, -1, &deleted)) {
		throw_connection_error(lock);
		return -1;
	}
	if (!deleted) {
		lock_mark_lost(lock);
		return 0;
	}
	lock_mark_free(lock);
	RLOCK_G(stats).released++;
	return 1;
}

/* Our lease's remaining ms (-1: no expiry), -2 when not ours, -3 thrown. */
static zend_long lock_remaining(rlock_lock *lock)
{
	zend_long ms;

	if (!lock_is_ours(lock)) {
		return -2;
	}
	if (!lock_run_int(lock, &rlock_script_remaining, -1, &ms)) {
		throw_connection_error(lock);
		return -3;
	}
	if (ms == -2) {
		lock_mark_lost(lock);
	}
	return ms;
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
	rlock_lock *lock = lock_from_obj(obj);

	if (lock_is_ours(lock) && lock->cfg.auto_release) {
		lock_release_quietly(lock);
	}
	lock_mark_free(lock);
	if (lock->name) {
		zend_string_release(lock->name);
	}
	if (lock->key) {
		zend_string_release(lock->key);
	}
	rlock_config_dtor(&lock->cfg);
	zend_object_std_dtor(obj);
}

void rlock_lock_init_class(zend_class_entry *ce)
{
	rlock_ce_lock = ce;
	ce->create_object = lock_create;
	memcpy(&lock_handlers, zend_get_std_object_handlers(), sizeof(lock_handlers));
	lock_handlers.offset = XtOffsetOf(rlock_lock, std);
	lock_handlers.free_obj = lock_free;
	lock_handlers.clone_obj = NULL; /* a held lock has one owner */
}

void rlock_lock_release_held(void)
{
	rlock_conn *unreachable[8];
	int n_unreachable = 0;
	rlock_lock *lock;

	while ((lock = RLOCK_G(held_head)) != NULL) {
		bool skip = !lock_is_ours(lock) || !lock->cfg.auto_release;

		/* One dead server costs one timeout at request end, not one per lock. */
		for (int i = 0; i < n_unreachable && !skip; i++) {
			skip = unreachable[i] == lock->cfg.conn;
		}
		if (!skip && !lock_release_quietly(lock) && n_unreachable < 8) {
			unreachable[n_unreachable++] = lock->cfg.conn;
		}
		lock_mark_free(lock);
	}
}

/* ---- methods ---- */

ZEND_METHOD(RLock, __construct)
{
	rlock_lock *lock = THIS_LOCK();
	zend_string *name;
	HashTable *options = NULL;

	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(name)
		Z_PARAM_OPTIONAL
		Z_PARAM_ARRAY_HT(options)
	ZEND_PARSE_PARAMETERS_END();

	if (lock->name) {
		zend_throw_error(NULL, "RLock::__construct() cannot be called twice");
		RETURN_THROWS();
	}
	if (rlock_check_name(name, 1) == FAILURE || rlock_config_init(&lock->cfg, options, 2) == FAILURE) {
		RETURN_THROWS();
	}
	lock->name = zend_string_copy(name);
	lock->key = rlock_lock_key(lock->cfg.prefix, name);
}

ZEND_METHOD(RLock, acquire)
{
	zend_long wait_ms = 0;
	int got;

	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(wait_ms)
	ZEND_PARSE_PARAMETERS_END();

	if (rlock_check_ms(wait_ms, 0, RLOCK_WAIT_MAX, 1) == FAILURE) {
		RETURN_THROWS();
	}
	got = lock_acquire(THIS_LOCK(), wait_ms);
	if (got < 0) {
		RETURN_THROWS();
	}
	RETURN_BOOL(got);
}

ZEND_METHOD(RLock, release)
{
	int released;

	ZEND_PARSE_PARAMETERS_NONE();

	released = lock_release(THIS_LOCK());
	if (released < 0) {
		RETURN_THROWS();
	}
	RETURN_BOOL(released);
}

ZEND_METHOD(RLock, extend)
{
	rlock_lock *lock = THIS_LOCK();
	zend_long ttl = 0, extended;
	bool ttl_is_null = true;

	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG_OR_NULL(ttl, ttl_is_null)
	ZEND_PARSE_PARAMETERS_END();

	if (ttl_is_null) {
		ttl = lock->cfg.ttl;
	} else if (rlock_check_ms(ttl, 1, RLOCK_TTL_MAX, 1) == FAILURE) {
		RETURN_THROWS();
	}
	if (!lock_is_ours(lock)) {
		RETURN_FALSE;
	}
	if (!lock_run_int(lock, &rlock_script_extend, ttl, &extended)) {
		throw_connection_error(lock);
		RETURN_THROWS();
	}
	if (!extended) {
		lock_mark_lost(lock);
		RETURN_FALSE;
	}
	RLOCK_G(stats).extended++;
	RETURN_TRUE;
}

ZEND_METHOD(RLock, isAcquired)
{
	zend_long ms;

	ZEND_PARSE_PARAMETERS_NONE();

	ms = lock_remaining(THIS_LOCK());
	if (ms == -3) {
		RETURN_THROWS();
	}
	RETURN_BOOL(ms >= -1);
}

ZEND_METHOD(RLock, getRemainingTtl)
{
	zend_long ms;

	ZEND_PARSE_PARAMETERS_NONE();

	ms = lock_remaining(THIS_LOCK());
	if (ms == -3) {
		RETURN_THROWS();
	}
	/* -1 from PTTL (someone made our key persistent) cannot be told from "not held" here. */
	RETURN_LONG(ms < 0 ? -1 : ms);
}

ZEND_METHOD(RLock, getName)
{
	ZEND_PARSE_PARAMETERS_NONE();
	RETURN_STR_COPY(THIS_LOCK()->name);
}

ZEND_METHOD(RLock, getToken)
{
	rlock_lock *lock = THIS_LOCK();

	ZEND_PARSE_PARAMETERS_NONE();
	if (!lock_is_ours(lock)) {
		RETURN_NULL();
	}
	RETURN_STRINGL(lock->token, sizeof(lock->token) - 1);
}

ZEND_METHOD(RLock, getFencingToken)
{
	ZEND_PARSE_PARAMETERS_NONE();
	RETURN_NULL();
}

/* Releases after the callback ran; the callback's exception, if any, stays the
 * one the caller sees (a release failure is chained to it). */
static bool release_after_callback(rlock_lock *lock)
{
	zend_object *callback_exception = EG(exception);
	int released;

	if (!lock_is_ours(lock)) {
		return !lock->lost;
	}
	if (callback_exception) {
		GC_ADDREF(callback_exception);
		zend_clear_exception();
	}
	released = lock_release(lock);
	if (callback_exception) {
		if (EG(exception)) {
			zend_object *release_exception = EG(exception);

			GC_ADDREF(release_exception);
			zend_clear_exception();
			zend_exception_set_previous(callback_exception, release_exception);
		}
		zend_throw_exception_internal(callback_exception);
	}
	return released != 0;
}

ZEND_METHOD(RLock, synchronized)
{
	rlock_lock *lock = THIS_LOCK();
	zend_fcall_info fci;
	zend_fcall_info_cache fcc;
	zend_long wait_ms = 0;
	zval self;
	int got;

	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_FUNC(fci, fcc)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(wait_ms)
	ZEND_PARSE_PARAMETERS_END();

	if (rlock_check_ms(wait_ms, 0, RLOCK_WAIT_MAX, 2) == FAILURE) {
		RETURN_THROWS();
	}
	got = lock_acquire(lock, wait_ms);
	if (got < 0) {
		RETURN_THROWS();
	}
	if (!got) {
		zend_throw_exception_ex(rlock_ce_timeout_exception, 0,
			"could not acquire lock \"%s\" within " ZEND_LONG_FMT " ms", ZSTR_VAL(lock->name), wait_ms);
		RETURN_THROWS();
	}

	ZVAL_OBJ(&self, &lock->std);
	fci.retval = return_value;
	fci.params = &self;
	fci.param_count = 1;
	zend_call_function(&fci, &fcc);

	if (!release_after_callback(lock) && !EG(exception)) {
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
	redisReply *reply;
	const char *argv[2] = {"DEL"};
	size_t argvlen[2] = {3};
	bool deleted;

	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(name)
		Z_PARAM_OPTIONAL
		Z_PARAM_ARRAY_HT(options)
	ZEND_PARSE_PARAMETERS_END();

	if (rlock_check_name(name, 1) == FAILURE || rlock_config_init(&cfg, options, 2) == FAILURE) {
		RETURN_THROWS();
	}
	key = rlock_lock_key(cfg.prefix, name);
	argv[1] = ZSTR_VAL(key);
	argvlen[1] = ZSTR_LEN(key);
	reply = rlock_conn_call(cfg.conn, &cfg.timeouts, 2, argv, argvlen);
	zend_string_release(key);
	if (!reply) {
		zend_throw_exception(rlock_ce_connection_exception, cfg.conn->error, 0);
		rlock_config_dtor(&cfg);
		RETURN_THROWS();
	}
	deleted = reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;
	freeReplyObject(reply);
	rlock_config_dtor(&cfg);
	RETURN_BOOL(deleted);
}

ZEND_METHOD(RLock, stats)
{
	const rlock_stats *s = &RLOCK_G(stats);

	ZEND_PARSE_PARAMETERS_NONE();

	array_init_size(return_value, 11);
	add_assoc_long(return_value, "acquired", s->acquired);
	add_assoc_long(return_value, "busy", s->busy);
	add_assoc_long(return_value, "released", s->released);
	add_assoc_long(return_value, "auto_released", s->auto_released);
	add_assoc_long(return_value, "extended", s->extended);
	add_assoc_long(return_value, "lost", s->lost);
	add_assoc_long(return_value, "connects", s->connects);
	add_assoc_long(return_value, "reconnects", s->reconnects);
	add_assoc_long(return_value, "connection_errors", s->connection_errors);
	add_assoc_long(return_value, "script_loads", s->script_loads);
	add_assoc_long(return_value, "pid", (zend_long) getpid());
}
