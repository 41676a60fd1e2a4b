/* rlock: why an operation failed (see failure.h). */
#include <stdarg.h>
#include <stdio.h>
#include "failure.h"

void rlock_failure_clear(rlock_failure *f)
{
	f->kind = RLOCK_FAILURE_NONE;
	f->message[0] = '\0';
}

void rlock_fail(rlock_failure *f, rlock_failure_kind kind, const char *format, ...)
{
	va_list args;

	if (f->kind != RLOCK_FAILURE_NONE) {
		return; /* the first cause is the one to report: what followed it came of it */
	}
	f->kind = kind;
	va_start(args, format);
	vsnprintf(f->message, sizeof(f->message), format, args);
	va_end(args);
}
