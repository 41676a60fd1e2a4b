/* Fuzz target: everything rlock does with what Redis answers. A fake server on
 * a unix socket answers every connection with the fuzz input (then closes its
 * side), and PHP code runs the lock and idempotency operations against it: the
 * input is parsed by hiredis and then read by rlock's reply handling — script
 * replies of every shape, NOSCRIPT fallbacks, error replies, dropped
 * connections and resends, and the same over three Redlock "masters" (the
 * fan-out and the majority counting), and as a Redis Cluster seed: CLUSTER SLOTS maps of
 * any shape, MOVED/ASK/TRYAGAIN redirects to wherever they point. Nothing may crash; bad
 * replies must end in an exception or a false. */
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <poll.h>
#include <unistd.h>
#include "harness.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *answer;
static size_t answer_len;
static char path[108];

/* One connection: the whole input, then our side closed, then whatever the client still sends. */
static void *answer_one(void *connection_fd)
{
	int fd = (int) (intptr_t) connection_fd;
	char sink[4096];
	struct pollfd pfd = {fd, POLLIN, 0};

	pthread_mutex_lock(&mu);
	for (size_t sent = 0; sent < answer_len;) {
		ssize_t n = write(fd, answer + sent, answer_len - sent);
		if (n <= 0) {
			break;
		}
		sent += (size_t) n;
	}
	pthread_mutex_unlock(&mu);
	shutdown(fd, SHUT_WR);
	while (poll(&pfd, 1, 1000) > 0 && read(fd, sink, sizeof(sink)) > 0) {
	}
	close(fd);
	return NULL;
}

/* Connections are answered at once, each on its own thread: a Redlock client connects to three. */
static void *serve(void *listener_fd)
{
	int listener = (int) (intptr_t) listener_fd;

	for (;;) {
		int fd = accept(listener, NULL, NULL);
		pthread_t thread;

		if (fd >= 0 && pthread_create(&thread, NULL, answer_one, (void *) (intptr_t) fd) == 0) {
			pthread_detach(thread);
		} else if (fd >= 0) {
			close(fd);
		}
	}
	return NULL;
}

static void start_server(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int listener = socket(AF_UNIX, SOCK_STREAM, 0);
	pthread_t thread;

	snprintf(path, sizeof(path), "/tmp/rlock-fuzz-%d.sock", (int) getpid());
	unlink(path);
	memcpy(addr.sun_path, path, strlen(path) + 1);
	if (listener < 0 || bind(listener, (struct sockaddr *) &addr, sizeof(addr)) != 0 || listen(listener, 16) != 0) {
		abort();
	}
	pthread_create(&thread, NULL, serve, (void *) (intptr_t) listener);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char code[4096];

	if (!path[0]) {
		start_server();
		fuzz_php_start("");
		snprintf(code, sizeof(code),
			"$o = ['servers' => 'unix://%s', 'connect_timeout' => 100, 'read_timeout' => 100, 'ttl' => 5000];"
			"$l = new RLock('a', $o);"
			"foreach (['acquire', 'isAcquired', 'getRemainingTtl', 'extend', 'getToken', 'release'] as $m) {"
			"  try { $l->$m(); } catch (Throwable $e) {}"
			"}"
			"try { $f = new RLock('b', $o + ['fencing' => true, 'fair' => true]); $f->acquire(); $f->getFencingToken(); $f->release(); }"
			" catch (Throwable $e) {}"
			"try { $i = new RLockIdempotency('s', $o + ['lease' => 60000]); $i->state('k'); $i->run('k', fn() => [1, 'x']); }"
			" catch (Throwable $e) {}"
			"try { $i->begin('k2'); $i->complete('k2', 'r'); } catch (Throwable $e) {}"
			"try { RLock::forceRelease('a', $o); } catch (Throwable $e) {}"
			/* Redlock: three masters (three databases of the fake server), every reply fanned in */
			"$r = ['servers' => ['unix://%s?db=1', 'unix://%s?db=2', 'unix://%s?db=3'], 'fencing' => true] + $o;"
			"try { $m = new RLock('c', $r); $m->acquire(); $m->getRemainingTtl(); $m->extend(); $m->release(); }"
			" catch (Throwable $e) {}"
			/* Cluster: the input is the seed's CLUSTER SLOTS reply, then its answers and redirects */
			"$c = ['cluster' => 'unix://%s'] + $o;"
			"try { $k = new RLock('d', $c + ['fencing' => true]); $k->acquire(); $k->extend(); $k->release(); }"
			" catch (Throwable $e) {}"
			"try { $j = new RLockIdempotency('t', $c); $j->run('k', fn() => 1); } catch (Throwable $e) {}"
			"unset($l, $f, $i, $m, $k, $j);", path, path, path, path, path);
	}
	pthread_mutex_lock(&mu);
	free(answer);
	answer = malloc(size ? size : 1);
	memcpy(answer, data, size);
	answer_len = size;
	pthread_mutex_unlock(&mu);
	fuzz_php_run(code);
	return 0;
}
