/* rlock: what an idempotency record stores of a run — its return value (serialize()d),
 * or the exception it threw (class, message, code) — and the replay of it for a duplicate:
 * the value unserialized under allowed_classes, the exception thrown again. Stored
 * outcomes start with one byte saying what follows. */
#include "php.h"
#include "zend_exceptions.h"
#include "zend_interfaces.h"
#include "zend_smart_str.h"
#include "ext/standard/php_var.h"
#include "errors.h"
#include "outcome.h"

#define STORED_VALUE          'v' /* serialize()d return value */
#define STORED_TOO_LARGE      't' /* the run completed; its result was over max_result_bytes */
#define STORED_UNSERIALIZABLE 'u' /* the run completed; its result could not be serialized (why follows) */
#define STORED_EXCEPTION      'e' /* serialize()d [class, message, code] */

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

zend_string *rlock_outcome_of_value(const rlock_config *cfg, zval *value, const zend_string *key)
{
	php_serialize_data_t state;
	smart_str buf = {0};
	zend_string *payload;

	if (holds_resource(value, 0)) {
		php_error_docref(NULL, E_WARNING, "the result for key \"%s\" cannot be stored for replay: "
			"it holds a resource", ZSTR_VAL(key));
		return zend_string_concat2((char[]) {STORED_UNSERIALIZABLE}, 1, "a resource", sizeof("a resource") - 1);
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
		payload = zend_string_concat2((char[]) {STORED_UNSERIALIZABLE}, 1, Z_TYPE(message) == IS_STRING ? Z_STRVAL(message) : "",
			Z_TYPE(message) == IS_STRING ? Z_STRLEN(message) : 0);
		zval_ptr_dtor(&message);
		OBJ_RELEASE(why);
		return payload;
	}
	if ((zend_long) ZSTR_LEN(buf.s) - 1 > cfg->max_result_bytes) {
		char detail[80];
		int len = snprintf(detail, sizeof(detail), "%c%zu", STORED_TOO_LARGE, ZSTR_LEN(buf.s) - 1);

		php_error_docref(NULL, E_WARNING, "the result for key \"%s\" is %zu bytes, over max_result_bytes ("
			ZEND_LONG_FMT "): duplicates will get an error instead of a replay",
			ZSTR_VAL(key), ZSTR_LEN(buf.s) - 1, cfg->max_result_bytes);
		smart_str_free(&buf);
		return zend_string_init(detail, len, 0);
	}
	return buf.s;
}

zend_string *rlock_outcome_of_exception(zend_object *exception)
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

bool rlock_outcome_replay(const rlock_config *cfg, bool failed, const zend_string *stored,
	const zend_string *key, zval *result)
{
	const char *data = ZSTR_VAL(stored);
	size_t len = ZSTR_LEN(stored);

	if (failed && len > 0 && data[0] == STORED_EXCEPTION) {
		replay_exception(cfg, data + 1, len - 1, key);
		return false;
	}
	if (len > 0 && data[0] == STORED_VALUE && decode_serialized(data + 1, len - 1, cfg, result)) {
		return true;
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
	return false;
}

