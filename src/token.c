/* rlock: random hex strings from the CSPRNG — owner tokens, channel names — and retry jitter. */
#include "php.h"
#if PHP_VERSION_ID >= 80200
# include "ext/random/php_random.h"
#else
# include "ext/standard/php_random.h"
#endif
#include "token.h"

zend_result rlock_random_hex(char *out, size_t bytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];

	ZEND_ASSERT(bytes <= sizeof(raw));
	if (php_random_bytes_silent(raw, bytes) == FAILURE) {
		return FAILURE;
	}
	for (size_t i = 0; i < bytes; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * bytes] = '\0';
	return SUCCESS;
}

uint32_t rlock_random_below(uint32_t n)
{
	uint32_t raw = 0;

	php_random_bytes_silent(&raw, sizeof(raw)); /* on failure 0: still a valid answer */
	return n ? raw % n : 0;
}
