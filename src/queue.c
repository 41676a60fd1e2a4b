/* rlock: waiting in line (see queue.h). One try and one wake-up per hand-over: the cost does
 * not grow with the wait. */
#include "php.h"
#include "queue.h"
#include "wait.h"
#include "clock.h"

rlock_queue_outcome rlock_queue_wait(rlock_waiting *w, zend_long *fence)
{
	for (int tries = 1; ; tries++) {
		zend_long holder_ms = -1;
		rlock_conn *c;
		rlock_wake wake;

		if (w->cfg->backend->route(w->cfg, w->key) == FAILURE) {
			return RLOCK_QUEUE_FAILED;
		}
		c = w->cfg->conn;
		/* Listening before queueing: a release right after our try still reaches us. */
		if (rlock_wait_ready(c, &w->cfg->timeouts) == FAILURE) {
			rlock_conn_report(c, &w->cfg->failure);
			return RLOCK_QUEUE_FAILED;
		}
		if (w->try_once(w->self, c->wake_channel, &holder_ms) == RLOCK_TRY_SETTLED) {
			return RLOCK_QUEUE_SETTLED;
		}
		if (rlock_now_us() >= w->deadline) {
			return RLOCK_QUEUE_DEADLINE;
		}
		wake = rlock_wait_turn(c, w->token, w->deadline, holder_ms, fence);
		if (wake == RLOCK_WAKE_WOKEN && tries == 1 && w->trust_first_wake) {
			return RLOCK_QUEUE_HANDED; /* a release hands the lock over before it wakes us */
		}
		/* Otherwise the next try checks, instead of trusting the wake-up: after a second
		 * try, the wake-up may be older than it (a hand-over published before that try found
		 * the lock busy again: the handed lease ran out while the wake-up was on its way). */
		if (wake == RLOCK_WAKE_INTERRUPTED) {
			return RLOCK_QUEUE_INTERRUPTED;
		}
	}
}
