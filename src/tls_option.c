/* rlock: the tls option — PHP's ssl stream-context names, checked, into TLS settings. */
#include "php.h"
#include "zend_exceptions.h"
#include "zend_smart_str.h"
#include "tls_option.h"

/* One key of the option: a path or name (a string) or a switch (a bool). */
typedef struct tls_key {
	const char *name;
	bool is_bool;     /* else a string */
	size_t at;        /* offset of the char * or the bool in rlock_tls */
} tls_key;

static const tls_key tls_keys[] = {
	{"cafile", false, XtOffsetOf(rlock_tls, cafile)},
	{"local_cert", false, XtOffsetOf(rlock_tls, local_cert)},
	{"local_pk", false, XtOffsetOf(rlock_tls, local_pk)},
	{"peer_name", false, XtOffsetOf(rlock_tls, peer_name)},
	{"verify_peer", true, XtOffsetOf(rlock_tls, verify_peer)},
	{"verify_peer_name", true, XtOffsetOf(rlock_tls, verify_peer_name)},
};

#define TLS_KEY_COUNT (sizeof(tls_keys) / sizeof(tls_keys[0]))

static void unknown_key(const zend_string *key, uint32_t arg)
{
	smart_str known = {0};

	for (size_t i = 0; i < TLS_KEY_COUNT; i++) {
		smart_str_appends(&known, i ? ", " : "");
		smart_str_appends(&known, tls_keys[i].name);
	}
	smart_str_0(&known);
	zend_argument_value_error(arg, "option \"tls\" has an unknown key \"%s\"; known keys are %s",
		ZSTR_VAL(key), ZSTR_VAL(known.s));
	smart_str_free(&known);
}

static zend_result set_string(rlock_tls *tls, const tls_key *k, zval *value, uint32_t arg)
{
	char **field = (char **) ((char *) tls + k->at);

	if (Z_TYPE_P(value) != IS_STRING) {
		zend_argument_type_error(arg, "option \"tls\" key \"%s\" must be of type string, %s given",
			k->name, zend_zval_type_name(value));
		return FAILURE;
	}
	if (Z_STRLEN_P(value) == 0 || memchr(Z_STRVAL_P(value), '\0', Z_STRLEN_P(value))) {
		zend_argument_value_error(arg, "option \"tls\" key \"%s\" must be a non-empty string without NUL bytes",
			k->name);
		return FAILURE;
	}
	if (*field) {
		pefree(*field, 1);
	}
	*field = pestrndup(Z_STRVAL_P(value), Z_STRLEN_P(value), 1);
	return SUCCESS;
}

static zend_result set_key(rlock_tls *tls, const zend_string *key, zval *value, uint32_t arg)
{
	for (size_t i = 0; i < TLS_KEY_COUNT; i++) {
		const tls_key *k = &tls_keys[i];

		if (!zend_string_equals_cstr(key, k->name, strlen(k->name))) {
			continue;
		}
		if (!k->is_bool) {
			return set_string(tls, k, value, arg);
		}
		if (Z_TYPE_P(value) != IS_TRUE && Z_TYPE_P(value) != IS_FALSE) {
			zend_argument_type_error(arg, "option \"tls\" key \"%s\" must be of type bool, %s given",
				k->name, zend_zval_type_name(value));
			return FAILURE;
		}
		*(bool *) ((char *) tls + k->at) = Z_TYPE_P(value) == IS_TRUE;
		return SUCCESS;
	}
	unknown_key(key, arg);
	return FAILURE;
}

static zend_result read_keys(rlock_tls *tls, HashTable *keys, uint32_t arg)
{
	zend_string *key;
	zval *value;

	ZEND_HASH_FOREACH_STR_KEY_VAL(keys, key, value) {
		if (!key) {
			zend_argument_value_error(arg, "option \"tls\" must be an array with string keys");
			return FAILURE;
		}
		ZVAL_DEREF(value);
		if (set_key(tls, key, value, arg) == FAILURE) {
			return FAILURE;
		}
	} ZEND_HASH_FOREACH_END();
	if (tls->local_pk && !tls->local_cert) {
		zend_argument_value_error(arg, "option \"tls\" key \"local_pk\" needs \"local_cert\" (the certificate it is the key of)");
		return FAILURE;
	}
	return SUCCESS;
}

zend_result rlock_tls_option(HashTable *options, rlock_tls **out, uint32_t arg)
{
	zval *value = options ? zend_hash_str_find_deref(options, "tls", sizeof("tls") - 1) : NULL;

	*out = NULL;
	if (!value) {
		return SUCCESS;
	}
	if (rlock_tls_unavailable()) {
		zend_argument_value_error(arg, "option \"tls\" is not available: %s", RLOCK_TLS_WHY_NOT);
		return FAILURE;
	}
	if (Z_TYPE_P(value) != IS_ARRAY) {
		zend_argument_type_error(arg, "option \"tls\" must be of type array, %s given", zend_zval_type_name(value));
		return FAILURE;
	}
	*out = rlock_tls_new();
	if (read_keys(*out, Z_ARRVAL_P(value), arg) == FAILURE) {
		rlock_tls_free(*out);
		*out = NULL;
		return FAILURE;
	}
	return SUCCESS;
}
