/* rlock: the tls option (PHP's ssl stream-context names) read into TLS settings. */
#ifndef RLOCK_TLS_OPTION_H
#define RLOCK_TLS_OPTION_H

#include "php.h"
#include "tls.h"

/* The tls option of options into *out (NULL when it is not given); a TypeError or
 * ValueError naming argument arg when it is malformed, or when this build has no TLS. */
zend_result rlock_tls_option(HashTable *options, rlock_tls **out, uint32_t arg);

#endif
