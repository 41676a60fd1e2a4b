/* rlock: module glue — INI settings, lifecycle hooks, class registration, phpinfo(). */
#ifdef HAVE_CONFIG_H
# include "config.h"
#endif

#include "php.h"
#include "php_ini.h"
#include "zend_smart_str.h"
#include "ext/standard/info.h"
#include "SAPI.h"
#include "php_main.h"
#include "ext/spl/spl_exceptions.h"
#include <hiredis/hiredis.h>
#include "php_rlock.h"
#include "src/globals.h"
#include "zend_attributes.h"
#include "php_rlock_arginfo.h"
#include "src/errors.h"
#include "src/conn.h"
#include "src/scripts.h"
#include "src/options.h"
#include "src/lock.h"
#include "src/lease.h"
#include "src/pid.h"
#include "src/interrupt.h"
#include "src/watchdog.h"
#include "src/idempotency.h"
#include "src/semaphore.h"
#include "src/cluster.h"
#include "src/tls.h"
#include "src/sentinel.h"

ZEND_DECLARE_MODULE_GLOBALS(rlock)

/* An INI number of unit (milliseconds) must parse fully and sit within [min, max]. */
static zend_result update_number(zend_ini_entry *entry, zend_string *new_value, void *mh_arg1,
	void *mh_arg2, void *mh_arg3, int stage, zend_long min, zend_long max, const char *unit)
{
	char *end = NULL;
	zend_long value = ZEND_STRTOL(ZSTR_VAL(new_value), &end, 10);

	if (ZSTR_LEN(new_value) == 0 || *end != '\0' || value < min || value > max) {
		php_error_docref(NULL, E_WARNING, "%s must be between " ZEND_LONG_FMT " and "
			ZEND_LONG_FMT " (%s), \"%s\" given",
			ZSTR_VAL(entry->name), min, max, unit, ZSTR_VAL(new_value));
		return FAILURE;
	}
	return OnUpdateLong(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

#define update_ms(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage, min, max) \
	update_number(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage, min, max, "milliseconds")

static ZEND_INI_MH(OnUpdateTtl)
{
	return update_ms(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage, 1, RLOCK_TTL_MAX);
}

static ZEND_INI_MH(OnUpdateConnectTimeout)
{
	return update_ms(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage, 1, RLOCK_CONNECT_TIMEOUT_MAX);
}

static ZEND_INI_MH(OnUpdateReadTimeout)
{
	return update_ms(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage, 1, RLOCK_READ_TIMEOUT_MAX);
}

/* OnUpdateBool takes any text ("yes please" is false): only the words PHP
 * itself writes for a boolean are taken, anything else is refused. */
static ZEND_INI_MH(OnUpdateStrictBool)
{
	static const char *const words[] = {"", "0", "1", "on", "off", "yes", "no", "true", "false", "none"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (ZSTR_LEN(new_value) == strlen(words[i]) && strcasecmp(ZSTR_VAL(new_value), words[i]) == 0) {
			return OnUpdateBool(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
		}
	}
	php_error_docref(NULL, E_WARNING, "%s must be a boolean (1/0, on/off, yes/no, true/false), \"%s\" given",
		ZSTR_VAL(entry->name), ZSTR_VAL(new_value));
	return FAILURE;
}

static ZEND_INI_MH(OnUpdateServers)
{
	rlock_server server;
	const char *why = NULL;

	if (rlock_server_parse(ZSTR_VAL(new_value), ZSTR_LEN(new_value), &server, &why) == FAILURE) {
		zend_string *shown = rlock_uri_redact(ZSTR_VAL(new_value), ZSTR_LEN(new_value));

		php_error_docref(NULL, E_WARNING, "rlock.servers \"%s\" is malformed: %s", ZSTR_VAL(shown), why);
		zend_string_release(shown);
		return FAILURE;
	}
	rlock_server_free(&server);
	return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

static ZEND_INI_MH(OnUpdateSyncReplicas)
{
	return update_number(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage, 0, RLOCK_SYNC_REPLICAS_MAX, "replicas");
}

static ZEND_INI_MH(OnUpdateSyncTimeout)
{
	return update_ms(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage, 1, RLOCK_SYNC_TIMEOUT_MAX);
}

/* rlock.sentinels and rlock.service are checked together, as the options are; the name
 * stands in for whichever is not set yet. */
static ZEND_INI_MH(OnUpdateSentinel)
{
	bool is_service = zend_string_equals_literal(entry->name, "rlock.service");
	const char *service = is_service ? ZSTR_VAL(new_value) : "master";
	zval uris;
	rlock_server server;
	const char *why = NULL;

	ZVAL_STRING(&uris, is_service ? "redis://127.0.0.1:26379" : ZSTR_VAL(new_value));
	if (ZSTR_LEN(new_value) && rlock_sentinel_server(service, strlen(service), &uris, &server, &why) == FAILURE) {
		zend_string *shown = rlock_uri_redact(ZSTR_VAL(new_value), ZSTR_LEN(new_value));

		php_error_docref(NULL, E_WARNING, "%s \"%s\" is malformed: %s", ZSTR_VAL(entry->name), ZSTR_VAL(shown), why);
		zend_string_release(shown);
		zval_ptr_dtor(&uris);
		return FAILURE;
	}
	if (ZSTR_LEN(new_value)) {
		rlock_server_free(&server);
	}
	zval_ptr_dtor(&uris);
	return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

static ZEND_INI_MH(OnUpdatePrefix)
{
	if (ZSTR_LEN(new_value) > RLOCK_PREFIX_MAX) {
		php_error_docref(NULL, E_WARNING, "rlock.prefix must be at most %d bytes", RLOCK_PREFIX_MAX);
		return FAILURE;
	}
	return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

static ZEND_INI_MH(OnUpdateAllowedClasses)
{
	bool every_class;
	HashTable *names;
	const char *why = NULL;

	if (rlock_allowed_classes_parse(ZSTR_VAL(new_value), &every_class, &names, &why) == FAILURE) {
		php_error_docref(NULL, E_WARNING, "rlock.allowed_classes is malformed: %s", why);
		return FAILURE;
	}
	rlock_allowed_classes_free(&names);
	return OnUpdateString(entry, new_value, mh_arg1, mh_arg2, mh_arg3, stage);
}

/* phpinfo() shows rlock.servers with its password written ***. */
static void display_shown(zend_string *shown)
{
	if (sapi_module.phpinfo_as_text) {
		PHPWRITE(ZSTR_VAL(shown), ZSTR_LEN(shown));
	} else {
		php_html_puts(ZSTR_VAL(shown), ZSTR_LEN(shown));
	}
	zend_string_release(shown);
}

static zend_string *displayed_value(zend_ini_entry *ini_entry, int type)
{
	zend_string *value = type == ZEND_INI_DISPLAY_ORIG && ini_entry->modified ? ini_entry->orig_value : ini_entry->value;

	if (!value || !ZSTR_LEN(value)) {
		PUTS(sapi_module.phpinfo_as_text ? "no value" : "<i>no value</i>");
		return NULL;
	}
	return value;
}

static ZEND_INI_DISP(display_servers)
{
	zend_string *value = displayed_value(ini_entry, type);

	if (value) {
		display_shown(rlock_uri_redact(ZSTR_VAL(value), ZSTR_LEN(value)));
	}
}

/* rlock.sentinels: each sentinel as rlock shows it (a password in a list cannot be found by
 * its '@' alone); one that does not parse is not shown at all. */
static ZEND_INI_DISP(display_sentinels)
{
	zend_string *value = displayed_value(ini_entry, type);
	smart_str shown = {0};
	rlock_server server;
	const char *why = NULL;
	zval uris;

	if (!value) {
		return;
	}
	ZVAL_STR_COPY(&uris, value);
	if (rlock_sentinel_server("master", 6, &uris, &server, &why) == SUCCESS) {
		for (int i = 0; i < server.sentinels->count; i++) {
			smart_str_appends(&shown, i ? ", " : "");
			smart_str_appends(&shown, server.sentinels->nodes[i].display);
		}
		rlock_server_free(&server);
	} else {
		smart_str_appends(&shown, "(malformed)");
	}
	zval_ptr_dtor(&uris);
	display_shown(smart_str_extract(&shown));
}

PHP_INI_BEGIN()
	STD_PHP_INI_ENTRY_EX("rlock.servers", "redis://127.0.0.1:6379", PHP_INI_SYSTEM | PHP_INI_PERDIR,
		OnUpdateServers, servers, zend_rlock_globals, rlock_globals, display_servers)
	STD_PHP_INI_ENTRY_EX("rlock.sentinels", "", PHP_INI_SYSTEM | PHP_INI_PERDIR,
		OnUpdateSentinel, sentinels, zend_rlock_globals, rlock_globals, display_sentinels)
	STD_PHP_INI_ENTRY_EX("rlock.service", "", PHP_INI_SYSTEM | PHP_INI_PERDIR,
		OnUpdateSentinel, service, zend_rlock_globals, rlock_globals, display_servers)
	STD_PHP_INI_ENTRY("rlock.sync_replicas", "0", PHP_INI_ALL,
		OnUpdateSyncReplicas, sync_replicas, zend_rlock_globals, rlock_globals)
	STD_PHP_INI_ENTRY("rlock.sync_timeout", "500", PHP_INI_ALL,
		OnUpdateSyncTimeout, sync_timeout, zend_rlock_globals, rlock_globals)
	STD_PHP_INI_ENTRY("rlock.allowed_classes", "", PHP_INI_ALL,
		OnUpdateAllowedClasses, allowed_classes, zend_rlock_globals, rlock_globals)
	STD_PHP_INI_ENTRY("rlock.prefix", "rlock:", PHP_INI_ALL,
		OnUpdatePrefix, prefix, zend_rlock_globals, rlock_globals)
	STD_PHP_INI_ENTRY("rlock.default_ttl", "30000", PHP_INI_ALL,
		OnUpdateTtl, default_ttl, zend_rlock_globals, rlock_globals)
	STD_PHP_INI_ENTRY("rlock.connect_timeout", "1000", PHP_INI_ALL,
		OnUpdateConnectTimeout, connect_timeout, zend_rlock_globals, rlock_globals)
	STD_PHP_INI_ENTRY("rlock.read_timeout", "1000", PHP_INI_ALL,
		OnUpdateReadTimeout, read_timeout, zend_rlock_globals, rlock_globals)
	STD_PHP_INI_BOOLEAN("rlock.auto_release", "1", PHP_INI_ALL,
		OnUpdateStrictBool, auto_release, zend_rlock_globals, rlock_globals)
	STD_PHP_INI_BOOLEAN("rlock.watchdog", "0", PHP_INI_ALL,
		OnUpdateStrictBool, watchdog, zend_rlock_globals, rlock_globals)
PHP_INI_END()

static PHP_GINIT_FUNCTION(rlock)
{
#if defined(COMPILE_DL_RLOCK) && defined(ZTS)
	ZEND_TSRMLS_CACHE_UPDATE();
#endif
	memset(rlock_globals, 0, sizeof(*rlock_globals));
	/* Only the table: connections are made lazily, in the worker that uses them. */
	rlock_pool_init(&rlock_globals->pool, &rlock_globals->stats);
	rlock_cluster_pool_init(&rlock_globals->clusters);
}

static PHP_GSHUTDOWN_FUNCTION(rlock)
{
	zend_hash_destroy(&rlock_globals->clusters);
	rlock_pool_destroy(&rlock_globals->pool);
}

PHP_MINIT_FUNCTION(rlock)
{
	REGISTER_INI_ENTRIES();
	rlock_pid_init();
	rlock_scripts_init();
	rlock_watchdog_init(); /* the thread itself starts with the first watched lease */

	rlock_lock_init_class(register_class_RLock());
	rlock_idempotency_init_class(register_class_RLockIdempotency());
	rlock_semaphore_init_class(register_class_RLockSemaphore());
	rlock_ce_exception = register_class_RLockException(spl_ce_RuntimeException);
	rlock_ce_connection_exception = register_class_RLockConnectionException(rlock_ce_exception);
	rlock_ce_timeout_exception = register_class_RLockTimeoutException(rlock_ce_exception);
	rlock_ce_lost_exception = register_class_RLockLostException(rlock_ce_exception);
	rlock_ce_in_progress_exception = register_class_RLockInProgressException(rlock_ce_exception);
	rlock_ce_conflict_exception = register_class_RLockConflictException(rlock_ce_exception);
	return SUCCESS;
}

PHP_MSHUTDOWN_FUNCTION(rlock)
{
	rlock_watchdog_shutdown();
	UNREGISTER_INI_ENTRIES();
	return SUCCESS;
}

PHP_RINIT_FUNCTION(rlock)
{
#if defined(COMPILE_DL_RLOCK) && defined(ZTS)
	ZEND_TSRMLS_CACHE_UPDATE();
#endif
	RLOCK_G(held_head) = NULL;
	RLOCK_G(holding_head) = NULL;
	rlock_interrupt_request_start();
	return SUCCESS;
}

/* Runs after destructors and before objects are freed: the last moment at
 * which a request's locks can be released, whatever ended the request. */
PHP_RSHUTDOWN_FUNCTION(rlock)
{
	rlock_lease_release_held();
	rlock_semaphore_release_held();
	return SUCCESS;
}

PHP_MINFO_FUNCTION(rlock)
{
	char hiredis_version[32];

	snprintf(hiredis_version, sizeof(hiredis_version), "%d.%d.%d",
		HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
	php_info_print_table_start();
	php_info_print_table_row(2, "rlock support", "enabled");
	php_info_print_table_row(2, "Version", PHP_RLOCK_VERSION);
	php_info_print_table_row(2, "hiredis version", hiredis_version);
	php_info_print_table_row(2, "TLS", rlock_tls_unavailable() ? "unavailable (" RLOCK_TLS_MISSING ")" : "available");
	php_info_print_table_end();
	DISPLAY_INI_ENTRIES();
}

zend_module_entry rlock_module_entry = {
	STANDARD_MODULE_HEADER,
	"rlock",
	NULL,
	PHP_MINIT(rlock),
	PHP_MSHUTDOWN(rlock),
	PHP_RINIT(rlock),
	PHP_RSHUTDOWN(rlock),
	PHP_MINFO(rlock),
	PHP_RLOCK_VERSION,
	PHP_MODULE_GLOBALS(rlock),
	PHP_GINIT(rlock),
	PHP_GSHUTDOWN(rlock),
	NULL,
	STANDARD_MODULE_PROPERTIES_EX
};

#ifdef COMPILE_DL_RLOCK
# ifdef ZTS
ZEND_TSRMLS_CACHE_DEFINE()
# endif
ZEND_GET_MODULE(rlock)
#endif
