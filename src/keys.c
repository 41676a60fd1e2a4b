/* rlock: the Redis key layout (see keys.h). */
#include "php.h"
#include "zend_smart_str.h"
#include "keys.h"

/* Writes s with the bytes that could end a hash tag or fake a boundary escaped;
 * `also` is one more byte to escape, or '\0'. */
static void append_escaped(smart_str *out, const zend_string *s, char also)
{
	for (size_t i = 0; i < ZSTR_LEN(s); i++) {
		char c = ZSTR_VAL(s)[i];

		if (c == '%' || c == '{' || c == '}' || (also && c == also)) {
			smart_str_append_printf(out, "%%%02X", (unsigned char) c);
		} else {
			smart_str_appendc(out, c);
		}
	}
}

static zend_string *compose(const zend_string *prefix, const zend_string *scope, const zend_string *name,
	const char *suffix)
{
	smart_str key = {0};

	smart_str_append(&key, prefix);
	smart_str_appendc(&key, '{');
	if (scope) {
		append_escaped(&key, scope, ':');
		smart_str_appendc(&key, ':');
	}
	append_escaped(&key, name, '\0');
	smart_str_appendc(&key, '}');
	smart_str_appends(&key, suffix);
	return smart_str_extract(&key);
}

zend_string *rlock_lock_key(const zend_string *prefix, const zend_string *name, const char *suffix)
{
	return compose(prefix, NULL, name, suffix);
}

zend_string *rlock_record_key(const zend_string *prefix, const zend_string *scope, const zend_string *key,
	const char *suffix)
{
	return compose(prefix, scope, key, suffix);
}

bool rlock_prefix_scatters_slots(const zend_string *prefix)
{
	const char *open = memchr(ZSTR_VAL(prefix), '{', ZSTR_LEN(prefix));

	/* Redis hashes the whole key when the first '{' is followed at once by '}'. */
	return open && open + 1 < ZSTR_VAL(prefix) + ZSTR_LEN(prefix) && open[1] == '}';
}
