/* rlock fuzzing: PHP embedded in the fuzzer, with rlock built in. */
#include "sapi/embed/php_embed.h"
#include "zend_exceptions.h"
#include "php_rlock.h"
#include "harness.h"

static int startup_with_rlock(sapi_module_struct *sapi)
{
	return php_module_startup(sapi, &rlock_module_entry);
}

void fuzz_php_start(const char *ini)
{
	static bool started;

	if (started) {
		return;
	}
	started = true;
	php_embed_module.startup = startup_with_rlock;
	php_embed_module.php_ini_ignore = 1; /* no php.ini: no other extension is dlopen()ed */
	php_embed_module.ini_entries = (char *) ini;
	php_embed_init(0, NULL);
}

void fuzz_php_run(const char *code)
{
	zend_try {
		zend_eval_string((char *) code, NULL, "fuzz");
	} zend_end_try();
	if (EG(exception)) {
		zend_clear_exception();
	}
}
