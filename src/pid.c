/* rlock: this process's pid without a system call per check.
 *
 * Ownership checks (of connections, of held locks) run on every operation;
 * glibc no longer caches getpid(), so the pid is cached here and refreshed in
 * the child by a pthread_atfork() handler, which fork() — php-fpm's and
 * pcntl_fork()'s alike — always runs. */
#include <pthread.h>
#include <unistd.h>
#include "pid.h"

static pid_t cached_pid;

static void refresh_pid(void)
{
	cached_pid = getpid();
}

void rlock_pid_init(void)
{
	refresh_pid();
	pthread_atfork(NULL, NULL, refresh_pid);
}

pid_t rlock_pid(void)
{
	return cached_pid;
}
