/* rlock: the options array and INI defaults, checked and turned into a config. */
#include "php.h"
#include "zend_exceptions.h"
#include "zend_smart_str.h"
#include "globals.h"
#include "options.h"
#include "cluster.h"
#include "keys.h"
#include "tls_option.h"
#include "sentinel.h"

typedef zend_result (*option_handler)(rlock_config *cfg, const char *key, zval *value, uint32_t arg);

typedef struct option_entry {
	const char *key;
	option_handler handler;
	unsigned kinds;        /* RLOCK_FOR_LOCK, _IDEMPOTENCY, _SEMAPHORE */
} option_entry;

#define FOR_ALL (RLOCK_FOR_LOCK | RLOCK_FOR_IDEMPOTENCY | RLOCK_FOR_SEMAPHORE)
#define FOR_LEASES (RLOCK_FOR_LOCK | RLOCK_FOR_SEMAPHORE)

static zend_result expect_type(const char *key, zval *value, uint8_t type, const char *type_name, uint32_t arg)
{
	bool ok = type == _IS_BOOL ? (Z_TYPE_P(value) == IS_TRUE || Z_TYPE_P(value) == IS_FALSE)
		: Z_TYPE_P(value) == type;

	if (!ok) {
		zend_argument_type_error(arg, "option \"%s\" must be of type %s, %s given",
			key, type_name, zend_zval_type_name(value));
		return FAILURE;
	}
	return SUCCESS;
}

/* An int within [min, max], counted in unit ("milliseconds", "bytes"). */
static zend_result ranged_option(const char *key, zval *value, zend_long min, zend_long max, const char *unit,
	zend_long *out, uint32_t arg)
{
	if (expect_type(key, value, IS_LONG, "int", arg) == FAILURE) {
		return FAILURE;
	}
	if (Z_LVAL_P(value) < min || Z_LVAL_P(value) > max) {
		zend_argument_value_error(arg, "option \"%s\" must be between " ZEND_LONG_FMT
			" and " ZEND_LONG_FMT " (%s), " ZEND_LONG_FMT " given",
			key, min, max, unit, Z_LVAL_P(value));
		return FAILURE;
	}
	*out = Z_LVAL_P(value);
	return SUCCESS;
}

static zend_result ms_option(const char *key, zval *value, zend_long min, zend_long max,
	zend_long *out, uint32_t arg)
{
	return ranged_option(key, value, min, max, "milliseconds", out, arg);
}

/* An element of an option's list, which must be a string; NULL after a TypeError naming the option. */
static zval *listed_string(zval *item, const char *key, const char *what, uint32_t arg)
{
	ZVAL_DEREF(item);
	if (Z_TYPE_P(item) != IS_STRING) {
		zend_argument_type_error(arg, "option \"%s\" must list %s as strings, %s given",
			key, what, zend_zval_type_name(item));
		return NULL;
	}
	return item;
}

static zend_result resolve_server(rlock_config *cfg, const char *uri, size_t len, uint32_t arg)
{
	const char *why = NULL;

	cfg->conn = rlock_pool_get_tls(&RLOCK_G(pool), uri, len, cfg->tls, &why);
	if (!cfg->conn) {
		zend_string *shown = rlock_uri_redact(uri, len);

		zend_argument_value_error(arg, "option \"servers\" has a malformed URI \"%s\": %s", ZSTR_VAL(shown), why);
		zend_string_release(shown);
		return FAILURE;
	}
	return SUCCESS;
}

static zend_result opt_servers(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	uint32_t count;
	zval *uri;

	if (Z_TYPE_P(value) == IS_STRING) {
		return resolve_server(cfg, Z_STRVAL_P(value), Z_STRLEN_P(value), arg);
	}
	if (Z_TYPE_P(value) != IS_ARRAY) {
		zend_argument_type_error(arg, "option \"%s\" must be of type string|array, %s given",
			key, zend_zval_type_name(value));
		return FAILURE;
	}
	count = zend_hash_num_elements(Z_ARRVAL_P(value));
	if (count != 1 && (count < RLOCK_REDLOCK_MIN || count > RLOCK_FANOUT_MAX)) {
		zend_argument_value_error(arg, "option \"%s\" must list one server, or %d to %d independent "
			"masters for Redlock (a majority of them must agree), %u given",
			key, RLOCK_REDLOCK_MIN, RLOCK_FANOUT_MAX, count);
		return FAILURE;
	}
	cfg->master_count = 0;
	ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(value), uri) {
		if (!(uri = listed_string(uri, key, "URIs", arg))
				|| resolve_server(cfg, Z_STRVAL_P(uri), Z_STRLEN_P(uri), arg) == FAILURE) {
			return FAILURE;
		}
		for (int i = 0; i < cfg->master_count; i++) {
			if (rlock_server_same_endpoint(&cfg->masters[i]->server, &cfg->conn->server)) {
				zend_argument_value_error(arg, "option \"%s\" lists the server %s twice",
					key, cfg->conn->server.display);
				return FAILURE;
			}
		}
		cfg->masters[cfg->master_count++] = cfg->conn;
	} ZEND_HASH_FOREACH_END();
	if (count == 1) {
		cfg->master_count = 0; /* one server: no Redlock */
	}
	cfg->conn = cfg->masters[0];
	return SUCCESS;
}

static zend_result opt_prefix(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	if (expect_type(key, value, IS_STRING, "string", arg) == FAILURE) {
		return FAILURE;
	}
	if (Z_STRLEN_P(value) > RLOCK_PREFIX_MAX) {
		zend_argument_value_error(arg, "option \"%s\" must be at most %d bytes, %zu given",
			key, RLOCK_PREFIX_MAX, Z_STRLEN_P(value));
		return FAILURE;
	}
	zend_string_release(cfg->prefix);
	cfg->prefix = zend_string_copy(Z_STR_P(value));
	return SUCCESS;
}

static zend_result opt_ttl(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return ms_option(key, value, 1, RLOCK_TTL_MAX, &cfg->ttl, arg);
}

static zend_result opt_connect_timeout(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return ms_option(key, value, 1, RLOCK_CONNECT_TIMEOUT_MAX, &cfg->timeouts.connect_ms, arg);
}

static zend_result opt_read_timeout(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return ms_option(key, value, 1, RLOCK_READ_TIMEOUT_MAX, &cfg->timeouts.read_ms, arg);
}

static zend_result bool_option(const char *key, zval *value, bool *out, uint32_t arg)
{
	if (expect_type(key, value, _IS_BOOL, "bool", arg) == FAILURE) {
		return FAILURE;
	}
	*out = Z_TYPE_P(value) == IS_TRUE;
	return SUCCESS;
}

static zend_result opt_auto_release(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return bool_option(key, value, &cfg->auto_release, arg);
}

static zend_result opt_fair(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return bool_option(key, value, &cfg->fair, arg);
}

static zend_result opt_watchdog(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return bool_option(key, value, &cfg->watchdog, arg);
}

static zend_result opt_on_lost(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	if (expect_type(key, value, IS_STRING, "string", arg) == FAILURE) {
		return FAILURE;
	}
	if (!zend_string_equals_literal(Z_STR_P(value), "flag") && !zend_string_equals_literal(Z_STR_P(value), "throw")) {
		zend_argument_value_error(arg, "option \"%s\" must be \"flag\" or \"throw\", \"%s\" given",
			key, Z_STRVAL_P(value));
		return FAILURE;
	}
	cfg->throw_on_loss = zend_string_equals_literal(Z_STR_P(value), "throw");
	return SUCCESS;
}

static zend_result opt_lease(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return ms_option(key, value, 1, RLOCK_TTL_MAX, &cfg->lease, arg);
}

static zend_result opt_retention(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return ms_option(key, value, 1, RLOCK_RETENTION_MAX, &cfg->retention, arg);
}

static zend_result opt_wait(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return ms_option(key, value, 0, RLOCK_WAIT_MAX, &cfg->wait, arg);
}

static zend_result opt_max_result_bytes(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return ranged_option(key, value, 1, RLOCK_RESULT_MAX, "bytes", &cfg->max_result_bytes, arg);
}

static zend_result opt_on_error(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	static const char *policies[] = {"release", "store", "keep"};

	if (expect_type(key, value, IS_STRING, "string", arg) == FAILURE) {
		return FAILURE;
	}
	for (int i = 0; i < 3; i++) {
		if (zend_string_equals_cstr(Z_STR_P(value), policies[i], strlen(policies[i]))) {
			cfg->on_error = (rlock_on_error) i;
			return SUCCESS;
		}
	}
	zend_argument_value_error(arg, "option \"%s\" must be \"release\", \"store\" or \"keep\", \"%s\" given",
		key, Z_STRVAL_P(value));
	return FAILURE;
}

static zend_result opt_fencing(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return bool_option(key, value, &cfg->fencing, arg);
}

static zend_result opt_reentrant(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return bool_option(key, value, &cfg->reentrant, arg);
}

static void add_class_name(HashTable **names, const char *name, size_t len)
{
	if (!*names) {
		ALLOC_HASHTABLE(*names);
		zend_hash_init(*names, 4, NULL, NULL, 0);
	}
	zend_string *given = zend_string_init(name, len, 0), *lowercased = zend_string_tolower(given);

	zend_hash_add_empty_element(*names, lowercased);
	zend_string_release(lowercased);
	zend_string_release(given);
}

void rlock_allowed_classes_free(HashTable **names)
{
	if (*names) {
		zend_hash_destroy(*names);
		FREE_HASHTABLE(*names);
		*names = NULL;
	}
}

static bool is_class_name(const char *name, size_t len)
{
	if (len == 0) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) name[i];

		if (!(isalnum(c) || c == '_' || c == '\\' || c >= 0x80) || (i == 0 && isdigit(c))) {
			return false;
		}
	}
	return true;
}

zend_result rlock_allowed_classes_parse(const char *list, bool *every_class, HashTable **names, const char **why)
{
	*every_class = strcmp(list, "*") == 0;
	*names = NULL;
	while (!*every_class && *list) {
		const char *comma = strchr(list, ',');
		const char *end = comma ? comma : list + strlen(list);
		const char *from = list;

		while (from < end && isspace((unsigned char) *from)) {
			from++;
		}
		while (end > from && isspace((unsigned char) end[-1])) {
			end--;
		}
		if (!is_class_name(from, end - from)) {
			rlock_allowed_classes_free(names);
			*why = "it must be \"\" (no class), \"*\" (every class) or class names separated by commas";
			return FAILURE;
		}
		add_class_name(names, from, end - from);
		list = comma ? comma + 1 : "";
	}
	return SUCCESS;
}

/* As unserialize() takes it: true, false, or a list of class names. */
static zend_result opt_allowed_classes(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	zval *name;

	if (Z_TYPE_P(value) != IS_TRUE && Z_TYPE_P(value) != IS_FALSE && Z_TYPE_P(value) != IS_ARRAY) {
		zend_argument_type_error(arg, "option \"%s\" must be of type array|bool, %s given",
			key, zend_zval_type_name(value));
		return FAILURE;
	}
	rlock_allowed_classes_free(&cfg->allowed_classes);
	cfg->every_class = Z_TYPE_P(value) == IS_TRUE;
	if (Z_TYPE_P(value) != IS_ARRAY) {
		return SUCCESS;
	}
	ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(value), name) {
		if (!(name = listed_string(name, key, "class names", arg))) {
			return FAILURE;
		}
		add_class_name(&cfg->allowed_classes, Z_STRVAL_P(name), Z_STRLEN_P(name));
	} ZEND_HASH_FOREACH_END();
	return SUCCESS;
}

static zend_result opt_cluster(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	const char *why = NULL;

	if (Z_TYPE_P(value) != IS_STRING && Z_TYPE_P(value) != IS_ARRAY) {
		zend_argument_type_error(arg, "option \"%s\" must be of type string|array, %s given",
			key, zend_zval_type_name(value));
		return FAILURE;
	}
	cfg->cluster = rlock_cluster_get(&RLOCK_G(clusters), &RLOCK_G(pool), value, cfg->tls, &why);
	if (!cfg->cluster) {
		zend_argument_value_error(arg, "option \"%s\" has a malformed seed: %s", key, why);
		return FAILURE;
	}
	cfg->conn = cfg->cluster->seeds[0]; /* until a key is routed */
	return SUCCESS;
}

static zend_result opt_tls(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return SUCCESS; /* read ahead of the others by apply_options(): the servers need it */
}

static zend_result opt_sentinels(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	zval *uri;

	if (Z_TYPE_P(value) != IS_STRING && Z_TYPE_P(value) != IS_ARRAY) {
		zend_argument_type_error(arg, "option \"%s\" must be of type string|array, %s given",
			key, zend_zval_type_name(value));
		return FAILURE;
	}
	if (Z_TYPE_P(value) == IS_ARRAY) {
		ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(value), uri) {
			if (!listed_string(uri, key, "URIs", arg)) {
				return FAILURE;
			}
		} ZEND_HASH_FOREACH_END();
	}
	cfg->sentinel_uris = value;
	return SUCCESS;
}

static zend_result opt_service(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	if (expect_type(key, value, IS_STRING, "string", arg) == FAILURE) {
		return FAILURE;
	}
	cfg->service = Z_STR_P(value);
	return SUCCESS;
}

static zend_result opt_sync_replicas(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return ranged_option(key, value, 0, RLOCK_SYNC_REPLICAS_MAX, "replicas", &cfg->sync_replicas, arg);
}

static zend_result opt_sync_timeout(rlock_config *cfg, const char *key, zval *value, uint32_t arg)
{
	return ms_option(key, value, 1, RLOCK_SYNC_TIMEOUT_MAX, &cfg->sync_timeout, arg);
}

static const option_entry all_options[] = {
	{"servers", opt_servers, FOR_ALL},
	{"prefix", opt_prefix, FOR_ALL},
	{"connect_timeout", opt_connect_timeout, FOR_ALL},
	{"read_timeout", opt_read_timeout, FOR_ALL},
	{"ttl", opt_ttl, FOR_LEASES},
	{"auto_release", opt_auto_release, FOR_LEASES},
	{"watchdog", opt_watchdog, FOR_LEASES},
	{"on_lost", opt_on_lost, RLOCK_FOR_LOCK},
	{"fencing", opt_fencing, RLOCK_FOR_LOCK | RLOCK_FOR_IDEMPOTENCY},
	{"fair", opt_fair, RLOCK_FOR_LOCK},
	{"reentrant", opt_reentrant, RLOCK_FOR_LOCK},
	{"lease", opt_lease, RLOCK_FOR_IDEMPOTENCY},
	{"retention", opt_retention, RLOCK_FOR_IDEMPOTENCY | RLOCK_FOR_SEMAPHORE},
	{"wait", opt_wait, RLOCK_FOR_IDEMPOTENCY},
	{"on_error", opt_on_error, RLOCK_FOR_IDEMPOTENCY},
	{"max_result_bytes", opt_max_result_bytes, RLOCK_FOR_IDEMPOTENCY},
	{"allowed_classes", opt_allowed_classes, RLOCK_FOR_IDEMPOTENCY},
	{"cluster", opt_cluster, FOR_ALL},
	{"sentinels", opt_sentinels, FOR_ALL},
	{"service", opt_service, FOR_ALL},
	{"sync_replicas", opt_sync_replicas, RLOCK_FOR_LOCK},
	{"sync_timeout", opt_sync_timeout, RLOCK_FOR_LOCK},
	{"tls", opt_tls, FOR_ALL},
};

static const option_entry *find_option(const zend_string *key, unsigned kind)
{
	for (size_t i = 0; i < sizeof(all_options) / sizeof(all_options[0]); i++) {
		if ((all_options[i].kinds & kind)
				&& zend_string_equals_cstr(key, all_options[i].key, strlen(all_options[i].key))) {
			return &all_options[i];
		}
	}
	return NULL;
}

static void unknown_option(const zend_string *key, unsigned kind, uint32_t arg)
{
	smart_str known = {0};

	for (size_t i = 0; i < sizeof(all_options) / sizeof(all_options[0]); i++) {
		if (all_options[i].kinds & kind) {
			smart_str_appends(&known, known.s ? ", " : "");
			smart_str_appends(&known, all_options[i].key);
		}
	}
	smart_str_0(&known);
	zend_argument_value_error(arg, "has an unknown option \"%s\"; known options are %s",
		ZSTR_VAL(key), ZSTR_VAL(known.s));
	smart_str_free(&known);
}

static zend_result apply_options(rlock_config *cfg, HashTable *options, unsigned kind, uint32_t arg)
{
	zend_string *key;
	zend_ulong index;
	zval *value;

	if (rlock_tls_option(options, &cfg->tls, arg) == FAILURE) {
		return FAILURE;
	}
	ZEND_HASH_FOREACH_KEY_VAL(options, index, key, value) {
		const option_entry *entry;

		if (!key) {
			zend_argument_value_error(arg, "must be an array with string keys, key " ZEND_ULONG_FMT " given", index);
			return FAILURE;
		}
		entry = find_option(key, kind);
		if (!entry) {
			unknown_option(key, kind, arg);
			return FAILURE;
		}
		ZVAL_DEREF(value);
		if (entry->handler(cfg, entry->key, value, arg) == FAILURE) {
			return FAILURE;
		}
	} ZEND_HASH_FOREACH_END();
	return SUCCESS;
}

/* The INI settings and the documented defaults, before any option is applied. */
static void config_defaults(rlock_config *cfg, unsigned kind)
{
	const char *why = NULL;

	rlock_failure_clear(&cfg->failure);
	cfg->backend = NULL;
	cfg->conn = NULL;
	cfg->cluster = NULL;
	cfg->master_count = 0;
	cfg->prefix = zend_string_init(RLOCK_G(prefix), strlen(RLOCK_G(prefix)), 0);
	cfg->ttl = RLOCK_G(default_ttl);
	cfg->timeouts.connect_ms = RLOCK_G(connect_timeout);
	cfg->timeouts.read_ms = RLOCK_G(read_timeout);
	cfg->auto_release = RLOCK_G(auto_release);
	cfg->fair = false;
	cfg->fencing = false;
	cfg->reentrant = true;
	cfg->watchdog = RLOCK_G(watchdog);
	cfg->throw_on_loss = false;
	cfg->sync_replicas = kind == RLOCK_FOR_LOCK ? RLOCK_G(sync_replicas) : 0;
	cfg->sync_timeout = RLOCK_G(sync_timeout);
	cfg->sentinel_uris = NULL;
	cfg->service = NULL;
	cfg->lease = RLOCK_DEFAULT_LEASE;
	cfg->retention = RLOCK_DEFAULT_RETENTION;
	cfg->wait = 0;
	cfg->on_error = RLOCK_ON_ERROR_RELEASE;
	cfg->max_result_bytes = RLOCK_DEFAULT_RESULT_MAX;
	cfg->every_class = false;
	cfg->allowed_classes = NULL;
	cfg->tls = NULL;
	if (kind == RLOCK_FOR_IDEMPOTENCY) {
		/* checked when it was set: cannot fail here */
		rlock_allowed_classes_parse(RLOCK_G(allowed_classes), &cfg->every_class, &cfg->allowed_classes, &why);
	}
}

static bool given(HashTable *options, const char *name)
{
	return options && zend_hash_str_exists(options, name, strlen(name));
}

/* Sentinel's options and INI settings: both or neither, and not with another deployment. */
static zend_result sentinel_check(rlock_config *cfg, HashTable *options, uint32_t arg_num)
{
	if ((cfg->sentinel_uris || cfg->service) && (cfg->cluster || given(options, "servers"))) {
		zend_argument_value_error(arg_num, "option \"%s\" excludes \"%s\"", cfg->sentinel_uris ? "sentinels" : "service",
			cfg->cluster ? "cluster" : "servers");
		return FAILURE;
	}
	if (RLOCK_G(service)[0] && !RLOCK_G(sentinels)[0] && !cfg->sentinel_uris && !cfg->cluster
			&& !given(options, "servers")) {
		/* not rlock.servers instead: a local Redis there would lock this host only */
		zend_value_error("rlock.service is set but rlock.sentinels is not: set both, or neither");
		return FAILURE;
	}
	if (cfg->service && !cfg->sentinel_uris && !RLOCK_G(sentinels)[0]) {
		zend_argument_value_error(arg_num, "option \"service\" needs \"sentinels\" (or rlock.sentinels): "
			"the sentinels that know the service's master");
		return FAILURE;
	}
	return SUCCESS;
}

/* What the options cannot be together, each a ValueError naming the argument. */
static zend_result config_check(rlock_config *cfg, HashTable *options, unsigned kind, uint32_t arg_num)
{
	if (cfg->cluster && given(options, "servers")) {
		zend_argument_value_error(arg_num, "options \"servers\" and \"cluster\" exclude each other");
		return FAILURE;
	}
	if (cfg->cluster && rlock_prefix_scatters_slots(cfg->prefix)) {
		if (given(options, "prefix")) {
			zend_argument_value_error(arg_num, "option \"prefix\" must not hold an empty hash tag \"{}\" "
				"with \"cluster\": the keys of one lock would land in different slots");
		} else {
			zend_value_error("rlock.prefix must not hold an empty hash tag \"{}\" with a Redis Cluster: "
				"the keys of one lock would land in different slots");
		}
		return FAILURE;
	}
	if (cfg->master_count && kind == RLOCK_FOR_IDEMPOTENCY) {
		/* records are data, and Redlock masters do not replicate data */
		zend_argument_value_error(arg_num, "option \"servers\" must list one server for RLockIdempotency "
			"(its records cannot be kept on Redlock masters); use \"cluster\" to scale out");
		return FAILURE;
	}
	if (cfg->master_count && kind == RLOCK_FOR_SEMAPHORE) {
		/* one count that many processes change: Redlock masters would each keep their own */
		zend_argument_value_error(arg_num, "option \"servers\" must list one server for RLockSemaphore "
			"(its permits are one count, which independent Redlock masters cannot share); "
			"use \"cluster\" to scale out");
		return FAILURE;
	}
	if (sentinel_check(cfg, options, arg_num) == FAILURE) {
		return FAILURE;
	}
	if (cfg->master_count && !given(options, "sync_replicas")) {
		cfg->sync_replicas = 0; /* rlock.sync_replicas is for the replicated deployments */
	}
	if (cfg->sync_replicas && cfg->master_count) {
		/* independent masters: each would need its own replicas waited for */
		zend_argument_value_error(arg_num, "option \"sync_replicas\" cannot be used with Redlock (several "
			"\"servers\"): Redlock's masters are independent, not replicated");
		return FAILURE;
	}
	if (cfg->throw_on_loss && !cfg->watchdog) {
		/* only the watchdog notices a loss while the request is busy elsewhere */
		zend_argument_value_error(arg_num, "option \"on_lost\" \"throw\" needs the watchdog option");
		return FAILURE;
	}
	return SUCCESS;
}

/* The master behind the sentinels, from the options or else the INI settings. */
static zend_result config_sentinel(rlock_config *cfg, uint32_t arg_num)
{
	const char *service = cfg->service ? ZSTR_VAL(cfg->service) : RLOCK_G(service);
	size_t service_len = cfg->service ? ZSTR_LEN(cfg->service) : strlen(RLOCK_G(service));
	const char *why = NULL;
	rlock_server server;
	zval ini_uris;

	if (service_len == 0 && !cfg->sentinel_uris) {
		zend_value_error("rlock.sentinels is set but rlock.service is not: set both, or neither");
		return FAILURE;
	}
	if (service_len == 0) {
		zend_argument_value_error(arg_num, "option \"sentinels\" needs \"service\" (or rlock.service): "
			"the name of the master the sentinels watch");
		return FAILURE;
	}
	if (cfg->tls) {
		zend_argument_value_error(arg_num, "option \"tls\" is not supported with Sentinel yet");
		return FAILURE;
	}
	ZVAL_STRING(&ini_uris, RLOCK_G(sentinels));
	if (rlock_sentinel_server(service, service_len, cfg->sentinel_uris ? cfg->sentinel_uris : &ini_uris,
			&server, &why) == FAILURE) {
		zend_string *shown = rlock_uri_redact(service, service_len);

		zend_argument_value_error(arg_num, "options \"sentinels\" and \"service\" (\"%s\") are malformed: %s",
			ZSTR_VAL(shown), why);
		zend_string_release(shown);
		zval_ptr_dtor(&ini_uris);
		return FAILURE;
	}
	zval_ptr_dtor(&ini_uris);
	cfg->conn = rlock_pool_adopt(&RLOCK_G(pool), &server);
	return SUCCESS;
}

/* Where the lock runs: the backend, and the default server when no option named one. */
static zend_result config_backend(rlock_config *cfg, HashTable *options, uint32_t arg_num)
{
	const char *why = NULL;

	if (cfg->master_count) {
		/* Redlock: a master that does not answer at once sits this round out and the
		 * majority decides, so its timeouts are short unless asked otherwise. */
		if (!given(options, "connect_timeout")) {
			cfg->timeouts.connect_ms = MIN(cfg->timeouts.connect_ms, RLOCK_REDLOCK_TIMEOUT);
		}
		if (!given(options, "read_timeout")) {
			cfg->timeouts.read_ms = MIN(cfg->timeouts.read_ms, RLOCK_REDLOCK_TIMEOUT);
		}
	}
	cfg->backend = cfg->cluster ? &rlock_backend_cluster
		: cfg->master_count ? &rlock_backend_redlock : &rlock_backend_single;
	if (!cfg->conn && (cfg->sentinel_uris || (RLOCK_G(sentinels)[0] && !cfg->cluster))) {
		return config_sentinel(cfg, arg_num);
	}
	if (!cfg->conn) {
		/* rlock.servers was checked when it was set; this cannot fail but for memory. */
		cfg->conn = rlock_pool_get_tls(&RLOCK_G(pool), RLOCK_G(servers), strlen(RLOCK_G(servers)), cfg->tls, &why);
		if (!cfg->conn) {
			zend_value_error("rlock.servers is malformed: %s", why);
			return FAILURE;
		}
	}
	return SUCCESS;
}

zend_result rlock_config_init(rlock_config *cfg, HashTable *options, unsigned kind, uint32_t arg_num)
{
	config_defaults(cfg, kind);
	if ((options && apply_options(cfg, options, kind, arg_num) == FAILURE)
			|| config_check(cfg, options, kind, arg_num) == FAILURE || config_backend(cfg, options, arg_num) == FAILURE) {
		rlock_config_dtor(cfg);
		return FAILURE;
	}
	rlock_tls_free(cfg->tls); /* each server has its own copy */
	cfg->tls = NULL;
	cfg->sentinel_uris = NULL; /* they pointed into the options array */
	cfg->service = NULL;
	return SUCCESS;
}

void rlock_config_dtor(rlock_config *cfg)
{
	rlock_allowed_classes_free(&cfg->allowed_classes);
	rlock_tls_free(cfg->tls);
	cfg->tls = NULL;
	if (cfg->prefix) {
		zend_string_release(cfg->prefix);
		cfg->prefix = NULL;
	}
}

bool rlock_config_same_servers(const rlock_config *a, const rlock_config *b)
{
	if (a->backend != b->backend || a->cluster != b->cluster || a->master_count != b->master_count) {
		return false;
	}
	if (a->cluster) {
		return true; /* one slot map per seed list, shared by every config that names it */
	}
	for (int i = 0; i < a->master_count; i++) {
		if (a->masters[i] != b->masters[i]) {
			return false;
		}
	}
	return a->conn == b->conn; /* the pool keeps one connection per server */
}

zend_result rlock_check_name(const zend_string *name, uint32_t arg_num)
{
	if (ZSTR_LEN(name) == 0) {
		zend_argument_value_error(arg_num, "must not be empty");
		return FAILURE;
	}
	if (ZSTR_LEN(name) > RLOCK_NAME_MAX) {
		zend_argument_value_error(arg_num, "must be at most %d bytes, %zu given",
			RLOCK_NAME_MAX, ZSTR_LEN(name));
		return FAILURE;
	}
	return SUCCESS;
}

zend_result rlock_check_ms(zend_long ms, zend_long min, zend_long max, uint32_t arg_num)
{
	if (ms < min || ms > max) {
		zend_argument_value_error(arg_num, "must be between " ZEND_LONG_FMT " and " ZEND_LONG_FMT
			" (milliseconds), " ZEND_LONG_FMT " given", min, max, ms);
		return FAILURE;
	}
	return SUCCESS;
}
