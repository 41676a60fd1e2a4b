/* LD_PRELOAD shim for tests/api/no-random.phpt: once the file named by RLOCK_NO_RANDOM_FLAG
 * exists, the CSPRNG fails — the getrandom system call (PHP calls it through syscall()) and
 * the /dev/urandom PHP falls back to. Before that, everything passes through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failing(void)
{
	const char *flag = getenv("RLOCK_NO_RANDOM_FLAG");

	return flag && access(flag, F_OK) == 0;
}

long syscall(long number, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list args;

	va_start(args, number);
	for (int i = 0; i < 6; i++) {
		a[i] = va_arg(args, long);
	}
	va_end(args);
	if (number == SYS_getrandom && failing()) {
		errno = EIO;
		return -1;
	}
	if (!real) {
		real = (long (*)(long, ...)) dlsym(RTLD_NEXT, "syscall");
	}
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int open_with(const char *name, const char *path, int flags, va_list args)
{
	int (*real)(const char *, int, ...) = (int (*)(const char *, int, ...)) dlsym(RTLD_NEXT, name);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(args, mode_t) : 0;

	if (strcmp(path, "/dev/urandom") == 0 && failing()) {
		errno = EACCES;
		return -1;
	}
	return real(path, flags, mode);
}

/* open() and open64() alike (PHP may call either): the name says which to pass on to. */
#define OPEN_SHIM(name) \
	int name(const char *path, int flags, ...) \
	{ \
		va_list args; \
		int fd; \
		va_start(args, flags); \
		fd = open_with(#name, path, flags, args); \
		va_end(args); \
		return fd; \
	}

OPEN_SHIM(open)
OPEN_SHIM(open64)
