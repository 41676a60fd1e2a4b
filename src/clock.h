/* rlock: monotonic time for local deadlines (Redis' own clock rules anything shared). */
#ifndef RLOCK_CLOCK_H
#define RLOCK_CLOCK_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

/* Microseconds, so that a wait is never cut short by rounding. */
static inline int64_t rlock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
