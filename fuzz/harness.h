/* rlock fuzzing: PHP embedded in the fuzzer, with rlock built in (not dlopen()ed),
 * so that libFuzzer sees the extension's coverage. */
#ifndef RLOCK_FUZZ_HARNESS_H
#define RLOCK_FUZZ_HARNESS_H

#include <stddef.h>
#include "php.h"

/* Starts PHP once (with rlock registered) and one request that lasts the whole run. */
void fuzz_php_start(const char *ini);

/* Runs PHP code; an exception or a fatal error ends the snippet, not the fuzzer. */
void fuzz_php_run(const char *code);

#endif
