/* rlock: this process's pid without a system call per check. */
#ifndef RLOCK_PID_H
#define RLOCK_PID_H

#include <sys/types.h>

/* Registers the fork handler that keeps the cached pid right; once, at MINIT. */
void rlock_pid_init(void);

/* The calling process's pid: what every "was this made by us, or inherited
 * through fork?" check compares against. */
pid_t rlock_pid(void);

#endif
