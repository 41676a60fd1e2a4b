/* rlock: one lock on several independent Redis masters — the Redlock algorithm
 * from Redis' documentation. Every operation goes to all masters at once
 * (src/fanout.c) and counts only when a majority agrees; a lock is ours only if
 * a majority took it within its validity time, so a minority of masters may be
 * down, slow or restarted without two holders. The operations of the Redlock
 * backend (src/backend.h). Never throws: failures are recorded in lock->cfg.failure. */
#include "php.h"
#include "backend.h"
#include "lock_state.h"
#include "scripts.h"
#include "fanout.h"
#include "wait.h"
#include "clock.h"
#include "interrupt.h"
#include "token.h"

/* Redlock keys: the lock, its waiters, and with fencing its counter. */
#define REDLOCK_KEYS(lock) ((lock)->cfg.fencing ? 3 : 2)

/* A split vote (two contenders took some masters each) is retried after a
 * random pause up to this long (us), so that the contenders fall out of step. */
#define SPLIT_RETRY_MAX_US 5000

static int quorum(const rlock_config *cfg)
{
	return cfg->master_count / 2 + 1;
}

/* The clocks of the masters may run apart: 1% of the lease plus 2 ms, as in
 * Redis' description of the algorithm. */
static int64_t drift_us(zend_long ttl_ms)
{
	return (int64_t) ttl_ms * 10 + 2000;
}

/* Says why no majority answered, quoting the first master that failed (each
 * master's error was cleared when the command went out to it). */
static void no_majority(rlock_config *cfg, int answered)
{
	char why[RLOCK_CONN_ERROR_MAX] = "no reply";

	for (int i = 0; i < cfg->master_count; i++) {
		if (cfg->masters[i]->error[0]) {
			memcpy(why, cfg->masters[i]->error, sizeof(why));
			break;
		}
	}
	rlock_fail(&cfg->failure, RLOCK_FAILURE_REDIS, "only %d of %d Redis masters answered, %d needed: %s",
		answered, cfg->master_count, quorum(cfg), why);
}

/* Two URIs that reach one server (another spelling of its host, another db)
 * would make one vote count twice: refused once the connections tell, each
 * having learnt its server's run_id when it connected. */
static bool one_server_twice(rlock_config *cfg)
{
	for (int i = 0; i < cfg->master_count; i++) {
		for (int j = i + 1; j < cfg->master_count; j++) {
			if (cfg->masters[i]->facts.run_id[0]
					&& strcmp(cfg->masters[i]->facts.run_id, cfg->masters[j]->facts.run_id) == 0) {
				rlock_fail(&cfg->failure, RLOCK_FAILURE_REDIS, "option \"servers\" must list independent "
					"masters for Redlock, but %s and %s are one Redis server", cfg->masters[i]->server.display,
					cfg->masters[j]->server.display);
				return true;
			}
		}
	}
	return false;
}

/* How many masters answered 1 (did it for our token). */
static int count_ones(const rlock_config *cfg, redisReply *const *replies)
{
	int n = 0;

	for (int i = 0; i < cfg->master_count; i++) {
		long long yes;

		n += rlock_reply_int(replies[i], &yes) && yes == 1;
	}
	return n;
}

/* A majority said yes: true with *yes 1; no majority can say yes any more even
 * counting the silent ones: true with *yes 0; else (cannot tell) false. */
static bool majority_verdict(rlock_lock *lock, int ours, int answered, zend_long *yes)
{
	int q = quorum(&lock->cfg);

	if (ours >= q) {
		*yes = 1;
		return true;
	}
	if (answered >= q && ours + (lock->cfg.master_count - answered) < q) {
		*yes = 0;
		return true;
	}
	no_majority(&lock->cfg, answered);
	return false;
}

/* script on every master, on numkeys of the lock's keys from the first'th. */
static int run_on_all(rlock_lock *lock, rlock_script *script, int first, int numkeys,
	int argc, const char **argv, const size_t *argvlen, redisReply **replies)
{
	return rlock_script_fanout(lock->cfg.masters, lock->cfg.master_count, &lock->cfg.timeouts, script,
		numkeys, lock->keys + first, argc, argv, argvlen, replies);
}

/* The owner-checked release on every master; returns how many freed our token. */
static int release_everywhere(rlock_lock *lock, int *answered)
{
	const char *argv[1] = {lock->token};
	size_t argvlen[1] = {strlen(lock->token)};
	redisReply *replies[RLOCK_FANOUT_MAX];
	int released;

	*answered = run_on_all(lock, &rlock_script_redlock_release, 0, 2, 1, argv, argvlen, replies);
	released = count_ones(&lock->cfg, replies);
	rlock_fanout_free(replies, lock->cfg.master_count);
	return released;
}

/* Gives back a failed attempt on every master (a master whose reply was lost
 * may have taken it too). */
static void give_back(rlock_lock *lock)
{
	int ignored;

	release_everywhere(lock, &ignored);
}

/* Fencing over independent masters: the token is the highest of the counters
 * of the masters we took, and a majority's counters are raised to it before it
 * is used — within the lock's validity. Any later holder's majority shares a
 * master with that one, and counts up from there: its token is greater. */
static bool fence_settled(rlock_lock *lock, zend_long fence, int64_t started)
{
	char number[MAX_LENGTH_OF_LONG];
	const char *argv[1] = {number};
	size_t argvlen[1];
	redisReply *replies[RLOCK_FANOUT_MAX];
	int raised;

	argvlen[0] = snprintf(number, sizeof(number), ZEND_LONG_FMT, fence);
	run_on_all(lock, &rlock_script_redlock_raise, 2, 1, 1, argv, argvlen, replies);
	raised = count_ones(&lock->cfg, replies);
	rlock_fanout_free(replies, lock->cfg.master_count);
	return raised >= quorum(&lock->cfg)
		&& (int64_t) lock->cfg.ttl * 1000 - (rlock_now_us() - started) - drift_us(lock->cfg.ttl) > 0;
}

/* Tallies the masters' {taken, fence or holder's ms} replies: how many took it, the highest
 * fence among them, and the shortest remaining ms of a holder elsewhere (-1 if none). */
static int count_taken(const rlock_config *cfg, redisReply *const *replies, zend_long *fence, zend_long *holder_ttl)
{
	int taken = 0;

	*fence = 0;
	*holder_ttl = -1;
	for (int i = 0; i < cfg->master_count; i++) {
		long long yes, number;

		if (!rlock_reply_pair(replies[i], &yes, &number)) {
			continue;
		}
		if (yes) {
			taken++;
			*fence = MAX(*fence, (zend_long) number);
		} else if (number >= 0 && (*holder_ttl < 0 || number < *holder_ttl)) {
			*holder_ttl = (zend_long) number;
		}
	}
	return taken;
}

/* One attempt on every master at once: TAKEN with a majority within the
 * validity time (ttl − elapsed − clock drift); otherwise whatever was taken is
 * given back on every master. BUSY: *holder_ttl is the shortest remaining ms
 * reported by a master held by someone else (-1 if none), and *split says that
 * we took some masters but not a majority (a race: worth a quick retry).
 * FAILED: fewer than a majority answered. waiter "" does not queue for a wake-up. */
static rlock_lease_outcome redlock_attempt(rlock_lock *lock, const char *waiter, zend_long waiter_ms,
	zend_long *holder_ttl, bool *split)
{
	rlock_config *cfg = &lock->cfg;
	char ttl[MAX_LENGTH_OF_LONG], place[MAX_LENGTH_OF_LONG];
	const char *argv[4] = {lock->token, ttl, waiter, place};
	size_t argvlen[4] = {strlen(lock->token), 0, strlen(waiter), 0};
	redisReply *replies[RLOCK_FANOUT_MAX];
	int64_t started = rlock_now_us(), validity;
	int answered, taken;
	zend_long fence;

	argvlen[1] = snprintf(ttl, sizeof(ttl), ZEND_LONG_FMT, cfg->ttl);
	argvlen[3] = snprintf(place, sizeof(place), ZEND_LONG_FMT, waiter_ms);
	answered = run_on_all(lock, &rlock_script_redlock_acquire, 0, REDLOCK_KEYS(lock), 4, argv, argvlen, replies);
	validity = (int64_t) cfg->ttl * 1000 - (rlock_now_us() - started) - drift_us(cfg->ttl);
	taken = count_taken(cfg, replies, &fence, holder_ttl);
	if (answered < quorum(cfg)) {
		no_majority(&lock->cfg, answered);
	}
	rlock_fanout_free(replies, cfg->master_count);
	if (one_server_twice(cfg)) {
		give_back(lock);
		return RLOCK_LEASE_FAILED;
	}
	if (taken >= quorum(cfg) && validity > 0 && (!cfg->fencing || fence_settled(lock, fence, started))) {
		lock->fence = fence;
		return RLOCK_LEASE_TAKEN;
	}
	*split = taken > 0;
	if (taken > 0 || answered < cfg->master_count) {
		give_back(lock);
	}
	return answered < quorum(cfg) ? RLOCK_LEASE_FAILED : RLOCK_LEASE_BUSY;
}

/* The master whose wake-ups we listen to: the first that lets us subscribe. */
static rlock_conn *pick_listener(rlock_lock *lock)
{
	for (int i = 0; i < lock->cfg.master_count; i++) {
		rlock_conn *c = lock->cfg.masters[i];

		if (c->skip_until <= rlock_now_us() && rlock_wait_ready(c, &lock->cfg.timeouts) == SUCCESS) {
			return c;
		}
	}
	return NULL;
}

/* Wake-and-compete until the deadline (monotonic us): each master keeps a list
 * of waiters that its release wakes; a woken waiter tries the majority again. */
static rlock_lease_outcome redlock_wait(rlock_lock *lock, int64_t deadline)
{
	char waiter[sizeof(lock->cfg.conn->wake_channel) + sizeof(lock->token) + 2];
	/* Our place on each master's list lasts our whole wait and a second after it. */
	zend_long place_ms = (deadline - rlock_now_us()) / 1000 + 1000;

	for (;;) {
		rlock_conn *listener = pick_listener(lock);
		zend_long holder_ttl, ignored;
		bool split = false;
		rlock_lease_outcome outcome;
		int64_t left, slice;

		/* Listening before queueing: a release right after our attempt still wakes us.
		 * With no master to listen to, we look again at the holder's expiry. */
		snprintf(waiter, sizeof(waiter), "%s|%s", listener ? listener->wake_channel : "", lock->token);
		outcome = redlock_attempt(lock, listener ? waiter : "", place_ms, &holder_ttl, &split);
		left = deadline - rlock_now_us();
		if (outcome != RLOCK_LEASE_BUSY || left <= 0) {
			return outcome;
		}
		if (split) {
			if (!rlock_pause_us(MIN(left, 1000 + rlock_random_below(SPLIT_RETRY_MAX_US)))) {
				return RLOCK_LEASE_BUSY;
			}
			continue;
		}
		/* A holder that never releases is waited out: wake at its expiry. */
		slice = holder_ttl >= 0 ? MIN(left, (int64_t) holder_ttl * 1000 + 1000) : MIN(left, 100000);
		if (!listener) {
			if (!rlock_pause_us(slice)) {
				return RLOCK_LEASE_BUSY;
			}
		} else if (rlock_wait_for(listener, lock->token, slice, &ignored) == RLOCK_WAKE_INTERRUPTED) {
			return RLOCK_LEASE_BUSY;
		}
	}
}

static bool redlock_release(rlock_lock *lock, zend_long *released)
{
	int answered, freed = release_everywhere(lock, &answered);

	return majority_verdict(lock, freed, answered, released);
}

static bool redlock_extend(rlock_lock *lock, zend_long ttl_ms, zend_long *extended)
{
	char ttl[MAX_LENGTH_OF_LONG];
	const char *argv[2] = {lock->token, ttl};
	size_t argvlen[2] = {strlen(lock->token), 0};
	redisReply *replies[RLOCK_FANOUT_MAX];
	int64_t started = rlock_now_us();
	int answered, ours;
	bool known;

	argvlen[1] = snprintf(ttl, sizeof(ttl), ZEND_LONG_FMT, ttl_ms);
	answered = run_on_all(lock, &rlock_script_extend, 0, 1, 2, argv, argvlen, replies);
	ours = count_ones(&lock->cfg, replies);
	known = majority_verdict(lock, ours, answered, extended);
	rlock_fanout_free(replies, lock->cfg.master_count);
	if (known && *extended && (int64_t) ttl_ms * 1000 - (rlock_now_us() - started) - drift_us(ttl_ms) <= 0) {
		*extended = 0; /* a majority took it, but too late to count on */
	}
	return known;
}

/* The remaining ms a majority still guarantees. */
static bool redlock_remaining(rlock_lock *lock, zend_long *ms)
{
	const char *argv[1] = {lock->token};
	size_t argvlen[1] = {strlen(lock->token)};
	redisReply *replies[RLOCK_FANOUT_MAX];
	long long left[RLOCK_FANOUT_MAX];
	int answered, ours = 0, q = quorum(&lock->cfg);
	zend_long majority;

	answered = run_on_all(lock, &rlock_script_remaining, 0, 1, 1, argv, argvlen, replies);
	for (int i = 0; i < lock->cfg.master_count; i++) {
		long long ms_left;

		if (rlock_reply_int(replies[i], &ms_left) && ms_left >= 0) {
			/* kept in ascending order as they come (a handful at most) */
			int at = ours++;

			for (; at > 0 && left[at - 1] > ms_left; at--) {
				left[at] = left[at - 1];
			}
			left[at] = ms_left;
		}
	}
	rlock_fanout_free(replies, lock->cfg.master_count);
	if (!majority_verdict(lock, ours, answered, &majority)) {
		return false;
	}
	/* the q-th longest: what a majority still guarantees, less the drift */
	*ms = majority ? (zend_long) MAX(0, left[ours - q] - drift_us(lock->cfg.ttl) / 1000) : -2;
	return true;
}

static bool redlock_delete(rlock_config *cfg, zend_string *key, bool *deleted)
{
	const char *argv[2] = {"DEL", ZSTR_VAL(key)};
	size_t argvlen[2] = {3, ZSTR_LEN(key)};
	redisReply *replies[RLOCK_FANOUT_MAX];
	int answered = rlock_fanout(cfg->masters, cfg->master_count, &cfg->timeouts, 2, argv, argvlen, replies);

	*deleted = false;
	for (int i = 0; i < cfg->master_count; i++) {
		long long n;

		*deleted = *deleted || (rlock_reply_int(replies[i], &n) && n > 0);
	}
	rlock_fanout_free(replies, cfg->master_count);
	if (answered < quorum(cfg)) {
		no_majority(cfg, answered);
		return false;
	}
	return true;
}

static zend_result redlock_route(rlock_config *cfg, const zend_string *key)
{
	return SUCCESS; /* every key lives on every master */
}

static rlock_lease_outcome redlock_take(rlock_lock *lock)
{
	zend_long ignored;
	bool split;

	return redlock_attempt(lock, "", 0, &ignored, &split); /* gives back by itself when it fails */
}

static int redlock_lease_servers(const rlock_config *cfg, const rlock_server **out)
{
	for (int i = 0; i < cfg->master_count; i++) {
		out[i] = &cfg->masters[i]->server;
	}
	return cfg->master_count;
}

static int redlock_fallbacks(const rlock_config *cfg, const rlock_server **out, int max)
{
	return 0; /* the masters are fixed: no failover to follow */
}

const rlock_backend rlock_backend_redlock = {
	false,
	redlock_route, redlock_take, redlock_wait, redlock_take, give_back,
	redlock_release, redlock_extend, redlock_remaining, redlock_delete,
	redlock_lease_servers, redlock_fallbacks,
};
