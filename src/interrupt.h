/* rlock: waits that stay responsive — to max_execution_time and to PHP signal
 * handlers — while rlock sleeps in poll() or between retries. */
#ifndef RLOCK_INTERRUPT_H
#define RLOCK_INTERRUPT_H

#include <stdint.h>
#include "php.h"

/* Called when a wait's sleep or poll() was cut short by a signal (EINTR). Runs
 * a PHP signal handler that is due (pcntl_async_signals), as the engine would
 * between two opcodes. True when the wait must end: max_execution_time struck
 * (the engine then ends the request), the handler threw or called exit(), or it
 * forked and this is the child (which must not go on with its parent's wait:
 * it would hold, or leave, what its parent is queued for). While the handler
 * runs, rlock itself refuses to be called (rlock_check_ready()). */
bool rlock_wait_interrupted(void);

/* The same for a wait that must not run PHP code (a command's reply is owed on
 * a connection): true only when max_execution_time struck. The handler runs
 * once rlock returns, within read_timeout. */
bool rlock_time_limit_struck(void);

/* A signal handler run by rlock_wait_interrupted() is under way: rlock refuses to be called. */
bool rlock_in_signal_handler(void);
/* RINIT: no handler is under way. */
void rlock_interrupt_request_start(void);

/* Sleeps us microseconds; false when rlock_wait_interrupted() ended it early. */
bool rlock_pause_us(int64_t us);

#endif
