/* This is a generated file, edit the .stub.php file instead.
 * Stub hash: 3bbd5364171e4570c5e61dba63c6ad0eb6c825de */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_RLock___construct, 0, 0, 1)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLock_acquire, 0, 0, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, waitMs, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

#define arginfo_class_RLock_acquireRead arginfo_class_RLock_acquire

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLock_release, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLock_extend, 0, 0, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, ttlMs, IS_LONG, 1, "null")
ZEND_END_ARG_INFO()

#define arginfo_class_RLock_isAcquired arginfo_class_RLock_release

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLock_getRemainingTtl, 0, 0, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLock_getName, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLock_getToken, 0, 0, IS_STRING, 1)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLock_getFencingToken, 0, 0, IS_LONG, 1)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLock_synchronized, 0, 1, IS_MIXED, 0)
	ZEND_ARG_TYPE_INFO(0, fn, IS_CALLABLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, waitMs, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_RLock_restore, 0, 2, RLock, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, token, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLock_forceRelease, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLock_stats, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_RLockIdempotency___construct, 0, 0, 1)
	ZEND_ARG_TYPE_INFO(0, scope, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLockIdempotency_run, 0, 2, IS_MIXED, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, fn, IS_CALLABLE, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, fingerprint, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLockIdempotency_begin, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, fingerprint, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLockIdempotency_complete, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, result, IS_MIXED, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLockIdempotency_abort, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLockIdempotency_state, 0, 1, IS_STRING, 1)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_RLockSemaphore___construct arginfo_class_RLock___construct

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLockSemaphore_addPermits, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, n, IS_LONG, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_RLockSemaphore_available arginfo_class_RLock_getRemainingTtl

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLockSemaphore_acquire, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, holder, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, permits, IS_LONG, 0, "1")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, waitMs, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLockSemaphore_release, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, holder, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_RLockSemaphore_extend, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, holder, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, ttlMs, IS_LONG, 1, "null")
ZEND_END_ARG_INFO()

#define arginfo_class_RLockSemaphore_consume arginfo_class_RLockSemaphore_release

#define arginfo_class_RLockInProgressException_getRetryAfter arginfo_class_RLock_getRemainingTtl


ZEND_METHOD(RLock, __construct);
ZEND_METHOD(RLock, acquire);
ZEND_METHOD(RLock, acquireRead);
ZEND_METHOD(RLock, release);
ZEND_METHOD(RLock, extend);
ZEND_METHOD(RLock, isAcquired);
ZEND_METHOD(RLock, getRemainingTtl);
ZEND_METHOD(RLock, getName);
ZEND_METHOD(RLock, getToken);
ZEND_METHOD(RLock, getFencingToken);
ZEND_METHOD(RLock, synchronized);
ZEND_METHOD(RLock, restore);
ZEND_METHOD(RLock, forceRelease);
ZEND_METHOD(RLock, stats);
ZEND_METHOD(RLockIdempotency, __construct);
ZEND_METHOD(RLockIdempotency, run);
ZEND_METHOD(RLockIdempotency, begin);
ZEND_METHOD(RLockIdempotency, complete);
ZEND_METHOD(RLockIdempotency, abort);
ZEND_METHOD(RLockIdempotency, state);
ZEND_METHOD(RLockSemaphore, __construct);
ZEND_METHOD(RLockSemaphore, addPermits);
ZEND_METHOD(RLockSemaphore, available);
ZEND_METHOD(RLockSemaphore, acquire);
ZEND_METHOD(RLockSemaphore, release);
ZEND_METHOD(RLockSemaphore, extend);
ZEND_METHOD(RLockSemaphore, consume);
ZEND_METHOD(RLockInProgressException, getRetryAfter);


static const zend_function_entry class_RLock_methods[] = {
	ZEND_ME(RLock, __construct, arginfo_class_RLock___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(RLock, acquire, arginfo_class_RLock_acquire, ZEND_ACC_PUBLIC)
	ZEND_ME(RLock, acquireRead, arginfo_class_RLock_acquireRead, ZEND_ACC_PUBLIC)
	ZEND_ME(RLock, release, arginfo_class_RLock_release, ZEND_ACC_PUBLIC)
	ZEND_ME(RLock, extend, arginfo_class_RLock_extend, ZEND_ACC_PUBLIC)
	ZEND_ME(RLock, isAcquired, arginfo_class_RLock_isAcquired, ZEND_ACC_PUBLIC)
	ZEND_ME(RLock, getRemainingTtl, arginfo_class_RLock_getRemainingTtl, ZEND_ACC_PUBLIC)
	ZEND_ME(RLock, getName, arginfo_class_RLock_getName, ZEND_ACC_PUBLIC)
	ZEND_ME(RLock, getToken, arginfo_class_RLock_getToken, ZEND_ACC_PUBLIC)
	ZEND_ME(RLock, getFencingToken, arginfo_class_RLock_getFencingToken, ZEND_ACC_PUBLIC)
	ZEND_ME(RLock, synchronized, arginfo_class_RLock_synchronized, ZEND_ACC_PUBLIC)
	ZEND_ME(RLock, restore, arginfo_class_RLock_restore, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(RLock, forceRelease, arginfo_class_RLock_forceRelease, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_ME(RLock, stats, arginfo_class_RLock_stats, ZEND_ACC_PUBLIC|ZEND_ACC_STATIC)
	ZEND_FE_END
};


static const zend_function_entry class_RLockIdempotency_methods[] = {
	ZEND_ME(RLockIdempotency, __construct, arginfo_class_RLockIdempotency___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(RLockIdempotency, run, arginfo_class_RLockIdempotency_run, ZEND_ACC_PUBLIC)
	ZEND_ME(RLockIdempotency, begin, arginfo_class_RLockIdempotency_begin, ZEND_ACC_PUBLIC)
	ZEND_ME(RLockIdempotency, complete, arginfo_class_RLockIdempotency_complete, ZEND_ACC_PUBLIC)
	ZEND_ME(RLockIdempotency, abort, arginfo_class_RLockIdempotency_abort, ZEND_ACC_PUBLIC)
	ZEND_ME(RLockIdempotency, state, arginfo_class_RLockIdempotency_state, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_RLockSemaphore_methods[] = {
	ZEND_ME(RLockSemaphore, __construct, arginfo_class_RLockSemaphore___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(RLockSemaphore, addPermits, arginfo_class_RLockSemaphore_addPermits, ZEND_ACC_PUBLIC)
	ZEND_ME(RLockSemaphore, available, arginfo_class_RLockSemaphore_available, ZEND_ACC_PUBLIC)
	ZEND_ME(RLockSemaphore, acquire, arginfo_class_RLockSemaphore_acquire, ZEND_ACC_PUBLIC)
	ZEND_ME(RLockSemaphore, release, arginfo_class_RLockSemaphore_release, ZEND_ACC_PUBLIC)
	ZEND_ME(RLockSemaphore, extend, arginfo_class_RLockSemaphore_extend, ZEND_ACC_PUBLIC)
	ZEND_ME(RLockSemaphore, consume, arginfo_class_RLockSemaphore_consume, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_RLockException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_RLockConnectionException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_RLockTimeoutException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_RLockLostException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_RLockInProgressException_methods[] = {
	ZEND_ME(RLockInProgressException, getRetryAfter, arginfo_class_RLockInProgressException_getRetryAfter, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_RLockConflictException_methods[] = {
	ZEND_FE_END
};

static zend_class_entry *register_class_RLock(void)
{
	zend_class_entry ce, *class_entry;

	INIT_CLASS_ENTRY(ce, "RLock", class_RLock_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;
#if (PHP_VERSION_ID >= 80200)


	zend_add_parameter_attribute(zend_hash_str_find_ptr(&class_entry->function_table, "__construct", sizeof("__construct") - 1), 1, ZSTR_KNOWN(ZEND_STR_SENSITIVEPARAMETER), 0);

	zend_add_parameter_attribute(zend_hash_str_find_ptr(&class_entry->function_table, "restore", sizeof("restore") - 1), 2, ZSTR_KNOWN(ZEND_STR_SENSITIVEPARAMETER), 0);

	zend_add_parameter_attribute(zend_hash_str_find_ptr(&class_entry->function_table, "forcerelease", sizeof("forcerelease") - 1), 1, ZSTR_KNOWN(ZEND_STR_SENSITIVEPARAMETER), 0);
#endif

	return class_entry;
}

static zend_class_entry *register_class_RLockIdempotency(void)
{
	zend_class_entry ce, *class_entry;

	INIT_CLASS_ENTRY(ce, "RLockIdempotency", class_RLockIdempotency_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;
#if (PHP_VERSION_ID >= 80200)


	zend_add_parameter_attribute(zend_hash_str_find_ptr(&class_entry->function_table, "__construct", sizeof("__construct") - 1), 1, ZSTR_KNOWN(ZEND_STR_SENSITIVEPARAMETER), 0);
#endif

	return class_entry;
}

static zend_class_entry *register_class_RLockSemaphore(void)
{
	zend_class_entry ce, *class_entry;

	INIT_CLASS_ENTRY(ce, "RLockSemaphore", class_RLockSemaphore_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;
#if (PHP_VERSION_ID >= 80200)


	zend_add_parameter_attribute(zend_hash_str_find_ptr(&class_entry->function_table, "__construct", sizeof("__construct") - 1), 1, ZSTR_KNOWN(ZEND_STR_SENSITIVEPARAMETER), 0);
#endif

	return class_entry;
}

static zend_class_entry *register_class_RLockException(zend_class_entry *class_entry_RuntimeException)
{
	zend_class_entry ce, *class_entry;

	INIT_CLASS_ENTRY(ce, "RLockException", class_RLockException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RuntimeException);

	return class_entry;
}

static zend_class_entry *register_class_RLockConnectionException(zend_class_entry *class_entry_RLockException)
{
	zend_class_entry ce, *class_entry;

	INIT_CLASS_ENTRY(ce, "RLockConnectionException", class_RLockConnectionException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RLockException);

	return class_entry;
}

static zend_class_entry *register_class_RLockTimeoutException(zend_class_entry *class_entry_RLockException)
{
	zend_class_entry ce, *class_entry;

	INIT_CLASS_ENTRY(ce, "RLockTimeoutException", class_RLockTimeoutException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RLockException);

	return class_entry;
}

static zend_class_entry *register_class_RLockLostException(zend_class_entry *class_entry_RLockException)
{
	zend_class_entry ce, *class_entry;

	INIT_CLASS_ENTRY(ce, "RLockLostException", class_RLockLostException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RLockException);

	return class_entry;
}

static zend_class_entry *register_class_RLockInProgressException(zend_class_entry *class_entry_RLockException)
{
	zend_class_entry ce, *class_entry;

	INIT_CLASS_ENTRY(ce, "RLockInProgressException", class_RLockInProgressException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RLockException);

	zval property_retryAfter_default_value;
	ZVAL_LONG(&property_retryAfter_default_value, 0);
	zend_string *property_retryAfter_name = zend_string_init("retryAfter", sizeof("retryAfter") - 1, 1);
	zend_declare_typed_property(class_entry, property_retryAfter_name, &property_retryAfter_default_value, ZEND_ACC_PRIVATE, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG));
	zend_string_release(property_retryAfter_name);

	return class_entry;
}

static zend_class_entry *register_class_RLockConflictException(zend_class_entry *class_entry_RLockException)
{
	zend_class_entry ce, *class_entry;

	INIT_CLASS_ENTRY(ce, "RLockConflictException", class_RLockConflictException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RLockException);

	return class_entry;
}
