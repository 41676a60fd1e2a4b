/* Fuzz target: the options arrays of RLock and RLockIdempotency (src/options.c).
 * The input is decoded into a PHP array — each entry an option name (known or
 * not) and a value of any type — and handed to both constructors; nothing may
 * crash, and bad input must end in an exception. The constructors do not touch
 * Redis. */
#include "harness.h"

static const char *names[] = {"servers", "prefix", "connect_timeout", "read_timeout", "ttl", "auto_release",
	"watchdog", "on_lost", "fencing", "fair", "lease", "retention", "wait", "on_error", "max_result_bytes",
	"cluster", "TTL", "", "bogus"};

/* Takes n bytes (or what is left). */
static size_t take(const uint8_t **data, size_t *size, size_t n)
{
	n = n < *size ? n : *size;
	*data += n;
	*size -= n;
	return n;
}

static void decode_value(const uint8_t **data, size_t *size, zval *out, int depth)
{
	uint8_t kind = *size ? (*data)[0] : 0;
	const uint8_t *at;
	size_t len;

	take(data, size, 1);
	switch (kind % 7) {
		case 0: {
			int64_t v = 0;
			at = *data;
			len = take(data, size, 8);
			memcpy(&v, at, len);
			ZVAL_LONG(out, (zend_long) v);
			break;
		}
		case 1:
			len = *size ? (*data)[0] % 64 : 0;
			take(data, size, 1);
			at = *data;
			len = take(data, size, len);
			ZVAL_STRINGL(out, (const char *) at, len);
			break;
		case 2:
			ZVAL_BOOL(out, kind & 8);
			break;
		case 3:
			ZVAL_NULL(out);
			break;
		case 4: {
			double d = 0;
			at = *data;
			len = take(data, size, 8);
			memcpy(&d, at, len);
			ZVAL_DOUBLE(out, d);
			break;
		}
		default: /* a list, nested a little */
			array_init(out);
			for (int i = 0; i < (kind >> 4) % 12 && *size && depth < 3; i++) {
				zval item;
				decode_value(data, size, &item, depth + 1);
				add_next_index_zval(out, &item);
			}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	zval options;

	fuzz_php_start("rlock.connect_timeout=10\nrlock.read_timeout=10\n");
	array_init(&options);
	while (size) {
		uint8_t which = data[0];
		zval value;

		take(&data, &size, 1);
		decode_value(&data, &size, &value, 0);
		if (which & 0x80) {
			add_index_zval(&options, which & 0x7f, &value); /* an integer key: refused */
		} else {
			add_assoc_zval(&options, names[which % (sizeof(names) / sizeof(names[0]))], &value);
		}
	}
	zend_hash_str_update(&EG(symbol_table), "o", 1, &options);
	fuzz_php_run("try { new RLock('n', $o); } catch (Throwable $e) {}"
		"try { new RLockIdempotency('s', $o); } catch (Throwable $e) {}"
		"try { RLock::forceRelease('n', ['ttl' => 0] + $o); } catch (Throwable $e) {}");
	return 0;
}
