/* rlock: waits that stay responsive — to max_execution_time and to PHP signal
 * handlers — while rlock sleeps in poll() or between retries. */
#ifndef RLOCK_INTERRUPT_H
#define RLOCK_INTERRUPT_H

#include <stdint.h>
#include "php.h"

/* Called when a sleep or poll() was cut short by a signal (EINTR). Runs a PHP
 * signal handler that is due (pcntl_async_signals), as the engine would between
 * two opcodes. True when the wait must end: max_execution_time struck (the
 * engine then ends the request), or the handler threw or called exit(). */
bool rlock_wait_interrupted(void);

/* Sleeps us microseconds; false when rlock_wait_interrupted() ended it early. */
bool rlock_pause_us(int64_t us);

#endif
