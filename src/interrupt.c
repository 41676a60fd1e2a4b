/* rlock: waits that stay responsive (see interrupt.h). */
#include <errno.h>
#include <time.h>
#include "php.h"
#include "interrupt.h"
#include "clock.h"
#include "pid.h"

#if PHP_VERSION_ID >= 80200
# define FLAG_IS_SET(flag) zend_atomic_bool_load_ex(&EG(flag))
# define FLAG_CLEAR(flag) zend_atomic_bool_store_ex(&EG(flag), false)
#else
# define FLAG_IS_SET(flag) EG(flag)
# define FLAG_CLEAR(flag) (EG(flag) = false)
#endif

/* A PHP signal handler that rlock runs inside one of its waits is under way (per thread, as
 * the engine's own state is). */
ZEND_TLS int in_signal_handler; /* ZEND_TLS says static */

bool rlock_in_signal_handler(void)
{
	return in_signal_handler > 0;
}

void rlock_interrupt_request_start(void)
{
	in_signal_handler = 0; /* a handler that ended in a fatal error never counted back down */
}

bool rlock_time_limit_struck(void)
{
	return FLAG_IS_SET(timed_out);
}

bool rlock_wait_interrupted(void)
{
	pid_t waiting = rlock_pid();

	if (FLAG_IS_SET(timed_out)) {
		return true;
	}
	if (FLAG_IS_SET(vm_interrupt) && zend_interrupt_function) {
		FLAG_CLEAR(vm_interrupt);
		in_signal_handler++;
		zend_interrupt_function(EG(current_execute_data));
		in_signal_handler--;
	}
	return EG(exception) != NULL || FLAG_IS_SET(timed_out) || rlock_pid() != waiting;
}

bool rlock_pause_us(int64_t us)
{
	int64_t deadline = rlock_now_us() + us;

	for (;;) {
		int64_t left = deadline - rlock_now_us();
		struct timespec ts = {left / 1000000, (left % 1000000) * 1000};

		if (left <= 0 || nanosleep(&ts, NULL) == 0) {
			return true;
		}
		if (errno == EINTR && rlock_wait_interrupted()) {
			return false;
		}
	}
}
