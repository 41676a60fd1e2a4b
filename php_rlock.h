/* rlock: the module entry and version (module globals: src/globals.h). */
#ifndef PHP_RLOCK_H
#define PHP_RLOCK_H

#include "php.h"

#if PHP_VERSION_ID < 80200
#error "rlock needs PHP 8.2 or later (config.m4 checks this too)"
#endif

extern zend_module_entry rlock_module_entry;
#define phpext_rlock_ptr &rlock_module_entry

#define PHP_RLOCK_VERSION "0.1.0"

#if defined(ZTS) && defined(COMPILE_DL_RLOCK)
ZEND_TSRMLS_CACHE_EXTERN()
#endif

#endif /* PHP_RLOCK_H */
