/* rlock: random hex strings from the CSPRNG — owner tokens, channel names. */
#ifndef RLOCK_TOKEN_H
#define RLOCK_TOKEN_H

#include "php.h"

/* Writes 2 * bytes hex digits and a NUL to out. Never throws. */
zend_result rlock_random_hex(char *out, size_t bytes);
/* A random number in [0, n), for jitter. */
uint32_t rlock_random_below(uint32_t n);

#endif
