/* rlock: what every rlock object shares — the C struct around its zend_object, $this in a
 * method, and the handlers: no clone (a held lock, an open claim has one owner). */
#ifndef RLOCK_OBJECT_H
#define RLOCK_OBJECT_H

#include "php.h"
#include "errors.h"

/* The C struct of an rlock object (its zend_object std last). */
#define RLOCK_OBJ(type, obj) ((type *) ((char *) (obj) - XtOffsetOf(type, std)))
/* Declares var as $this (a type whose member set says the constructor finished), or
 * returns after throwing; check is rlock_check_ready or, for a getter, rlock_check_initialized. */
#define RLOCK_THIS(type, var, set, check, class_name) \
	type *var = RLOCK_OBJ(type, Z_OBJ_P(ZEND_THIS)); \
	if (!check(var->set != NULL, class_name)) RETURN_THROWS()

/* Sets up a class the stub registered: its create_object, and handlers (the standard ones
 * with the object's offset and free_obj, and no clone_obj). */
void rlock_object_class_init(zend_class_entry *ce, zend_object *(*create)(zend_class_entry *ce),
	zend_object_handlers *handlers, int offset, zend_object_free_obj_t free_obj);

/* A constructor's (string $first, array $options = []): SUCCESS with both set, or FAILURE
 * after throwing — the arguments' TypeError, or an Error when the object was built already. */
zend_result rlock_constructor_args(zend_execute_data *execute_data, bool built, zend_string **first,
	HashTable **options);

#endif
