/* rlock: what every rlock object shares (see object.h). */
#include "php.h"
#include "object.h"

void rlock_object_class_init(zend_class_entry *ce, zend_object *(*create)(zend_class_entry *ce),
	zend_object_handlers *handlers, int offset, zend_object_free_obj_t free_obj)
{
	ce->create_object = create;
	memcpy(handlers, zend_get_std_object_handlers(), sizeof(*handlers));
	handlers->offset = offset;
	handlers->free_obj = free_obj;
	handlers->clone_obj = NULL; /* a held lock or an open claim has one owner */
}

zend_result rlock_constructor_args(zend_execute_data *execute_data, bool built, zend_string **first,
	HashTable **options)
{
	*options = NULL;
	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_STR(*first)
		Z_PARAM_OPTIONAL
		Z_PARAM_ARRAY_HT(*options)
	ZEND_PARSE_PARAMETERS_END_EX(return FAILURE);

	if (built) {
		zend_throw_error(NULL, "%s::__construct() cannot be called twice", ZSTR_VAL(Z_OBJCE_P(ZEND_THIS)->name));
		return FAILURE;
	}
	return SUCCESS;
}
