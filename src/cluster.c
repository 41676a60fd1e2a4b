/* rlock: Redis Cluster — the slot map and which node serves a key.
 *
 * Every key of one lock or idempotency record shares a {hash tag}, so each
 * script touches one slot. The map comes from CLUSTER SLOTS, asked lazily of
 * any known node; MOVED updates it slot by slot, and a command sent here follows
 * MOVED and ASK. Node connections are ordinary pool connections: one per node per worker. */
#include "php.h"
#include "zend_smart_str.h"
#include "cluster.h"
#include "protocol.h"
#include "clock.h"
#include "interrupt.h"

/* CRC16-CCITT (XMODEM), the function Redis Cluster hashes keys with. */
static uint16_t crc16(const char *buf, size_t len)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t) ((unsigned char) buf[i]) << 8;
		for (int bit = 0; bit < 8; bit++) {
			crc = crc & 0x8000 ? (uint16_t) ((crc << 1) ^ 0x1021) : (uint16_t) (crc << 1);
		}
	}
	return crc;
}

uint16_t rlock_key_slot(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len);

	if (open) {
		const char *close = memchr(open + 1, '}', len - (open + 1 - key));

		if (close && close > open + 1) {
			return crc16(open + 1, close - open - 1) & (RLOCK_CLUSTER_SLOTS - 1);
		}
	}
	return crc16(key, len) & (RLOCK_CLUSTER_SLOTS - 1);
}

static void cluster_dtor(zval *zv)
{
	pefree(Z_PTR_P(zv), 1);
}

void rlock_cluster_pool_init(HashTable *pool)
{
	zend_hash_init(pool, 2, NULL, cluster_dtor, 1);
}

rlock_cluster *rlock_cluster_get(HashTable *clusters, rlock_pool *pool, zval *seeds, const struct rlock_tls *tls,
	const char **why)
{
	rlock_conn *found[RLOCK_CLUSTER_SEEDS_MAX];
	int count = 0;
	smart_str id = {0};
	rlock_cluster *cluster;
	zend_string *identity;
	zval *uri;

	if (Z_TYPE_P(seeds) == IS_STRING) {
		if (!(found[count++] = rlock_pool_get_tls(pool, Z_STRVAL_P(seeds), Z_STRLEN_P(seeds), tls, why))) {
			return NULL;
		}
	} else {
		ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(seeds), uri) {
			if (Z_TYPE_P(uri) != IS_STRING || count == RLOCK_CLUSTER_SEEDS_MAX) {
				*why = "seeds must be 1 to 16 URI strings";
				return NULL;
			}
			if (!(found[count++] = rlock_pool_get_tls(pool, Z_STRVAL_P(uri), Z_STRLEN_P(uri), tls, why))) {
				return NULL;
			}
		} ZEND_HASH_FOREACH_END();
	}
	if (count == 0) {
		*why = "no seed URI given";
		return NULL;
	}
	for (int i = 0; i < count; i++) {
		smart_str_append(&id, found[i]->server.identity);
		smart_str_appendc(&id, '\n');
	}
	smart_str_0(&id);
	identity = zend_string_init(ZSTR_VAL(id.s), ZSTR_LEN(id.s), 1);
	smart_str_free(&id);
	cluster = zend_hash_find_ptr(clusters, identity);
	if (!cluster) {
		cluster = pecalloc(1, sizeof(*cluster), 1);
		memcpy(cluster->seeds, found, count * sizeof(*found));
		cluster->seed_count = count;
		cluster->pool = pool;
		zend_hash_add_new_ptr(clusters, identity, cluster);
	}
	zend_string_release(identity);
	return cluster;
}

/* The node at host:port (a map entry, an ASK), joined to the worker's pool. */
static rlock_conn *cluster_node(rlock_cluster *cluster, const char *host, size_t host_len, int port)
{
	rlock_server server;
	rlock_conn *c;

	rlock_server_for_node(&cluster->seeds[0]->server, host, host_len, port, &server);
	c = rlock_pool_adopt(cluster->pool, &server);
	if (c->cluster != cluster && cluster->node_count < RLOCK_CLUSTER_NODES_MAX) {
		cluster->nodes[cluster->node_count++] = c;
	}
	c->cluster = cluster;
	return c;
}

/* node could not be reached (a failover, say): its slots are looked up again
 * next time, from any node that answers. */
static void cluster_forget(rlock_cluster *cluster, const rlock_conn *node)
{
	for (int s = 0; s < RLOCK_CLUSTER_SLOTS; s++) {
		if (cluster->slots[s] == node) {
			cluster->slots[s] = NULL;
		}
	}
}

/* After MOVED: slot now lives at host:port. Returns that node's connection. */
static rlock_conn *cluster_moved(rlock_cluster *cluster, long slot, const char *host, size_t host_len, int port)
{
	rlock_conn *c = cluster_node(cluster, host, host_len, port);

	if (slot >= 0 && slot < RLOCK_CLUSTER_SLOTS) {
		cluster->slots[slot] = c;
	}
	return c;
}

/* Fills the map from one node's CLUSTER SLOTS: [[start, end, [host, port, id], replicas…], …]. */
static bool map_from(rlock_cluster *cluster, rlock_conn *asked, const rlock_timeouts *t)
{
	const char *argv[2] = {"CLUSTER", "SLOTS"};
	size_t argvlen[2] = {7, 5};
	redisReply *reply = rlock_cluster_call(&asked, t, 2, argv, argvlen);

	if (!reply) {
		return false;
	}
	for (size_t i = 0; rlock_reply_at(reply, i); i++) {
		const redisReply *range = rlock_reply_at(reply, i);
		const char *host;
		size_t host_len;
		long start, end;
		int port;
		rlock_conn *node;

		if (!rlock_reply_slot_range(range, RLOCK_CLUSTER_SLOTS, &start, &end)) {
			continue; /* a reply we cannot trust is no map: never an index outside slots[] */
		}
		for (size_t r = 3; rlock_reply_at(range, r); r++) {
			/* replicas, remembered to ask for the map when the master is gone */
			if (rlock_reply_slot_node(range, r, &host, &host_len, &port) && host_len) {
				cluster_node(cluster, host, host_len, port);
			}
		}
		rlock_reply_slot_node(range, 2, &host, &host_len, &port);
		/* an empty host means "the address you reached me at" */
		node = host_len ? cluster_node(cluster, host, host_len, port) : asked;
		for (long s = start; s <= end; s++) {
			cluster->slots[s] = node;
		}
	}
	freeReplyObject(reply);
	return true;
}

rlock_conn *rlock_cluster_route(rlock_cluster *cluster, const zend_string *key, const rlock_timeouts *t)
{
	uint16_t slot = rlock_key_slot(ZSTR_VAL(key), ZSTR_LEN(key));

	if (cluster->slots[slot]) {
		return cluster->slots[slot];
	}
	/* the seeds first, then every node met so far: a seed may be the node that failed */
	for (int i = 0; i < cluster->seed_count + cluster->node_count; i++) {
		rlock_conn *asked = i < cluster->seed_count ? cluster->seeds[i] : cluster->nodes[i - cluster->seed_count];

		if (map_from(cluster, asked, t) && cluster->slots[slot]) {
			return cluster->slots[slot];
		}
	}
	if (!cluster->seeds[0]->error[0]) {
		snprintf(cluster->seeds[0]->error, sizeof(cluster->seeds[0]->error),
			"no node of the cluster at %s serves slot %u", cluster->seeds[0]->server.display, slot);
	}
	return NULL;
}

int rlock_cluster_contacts(const rlock_cluster *cluster, const rlock_server **out, int max)
{
	int n = 0;

	for (int i = 0; i < cluster->seed_count + cluster->node_count && n < max; i++) {
		const rlock_conn *c = i < cluster->seed_count ? cluster->seeds[i] : cluster->nodes[i - cluster->seed_count];
		bool seen = false;

		for (int j = 0; j < n && !seen; j++) {
			seen = out[j] == &c->server;
		}
		if (!seen) {
			out[n++] = &c->server;
		}
	}
	return n;
}

/* "MOVED 3999 host:port" / "ASK 3999 host:port": the node to go to. */
static rlock_conn *redirect_target(rlock_conn *c, const redisReply *reply, bool *moved)
{
	rlock_redirect to;

	if (!rlock_reply_redirect(reply, &to)) {
		return NULL;
	}
	*moved = to.moved;
	return to.moved
		? cluster_moved(c->cluster, to.slot, to.host, to.host_len, to.port)
		: cluster_node(c->cluster, to.host, to.host_len, to.port);
}

#define RLOCK_REDIRECTS_MAX 5

/* ASK: this one command goes to the importing node, after ASKING. */
static redisReply *ask_at(rlock_conn *target, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen)
{
	const char *asking[1] = {"ASKING"};
	size_t asking_len[1] = {6};
	redisReply *ok = rlock_conn_command(target, t, 1, asking, asking_len);

	if (!ok) {
		return NULL;
	}
	freeReplyObject(ok);
	return rlock_conn_command(target, t, argc, argv, argvlen);
}

/* A slot being resharded answers TRYAGAIN (a failover: CLUSTERDOWN) for a while: true
 * after a pause that grows with each attempt, while give_up (monotonic us) has not passed. */
static bool worth_retrying(const redisReply *reply, int attempt, int64_t give_up)
{
	if ((!rlock_reply_is_error(reply, "TRYAGAIN") && !rlock_reply_is_error(reply, "CLUSTERDOWN"))
			|| rlock_now_us() >= give_up) {
		return false;
	}
	return rlock_pause_us(MIN(5000 * (attempt + 1), 50000));
}

redisReply *rlock_cluster_command(rlock_conn **cp, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen)
{
	int64_t give_up = rlock_now_us() + (int64_t) t->read_ms * 1000;
	int hops = 0;

	for (int attempt = 0; ; attempt++) {
		rlock_conn *c = *cp, *target, *next;
		redisReply *reply = rlock_conn_command(c, t, argc, argv, argvlen);
		bool moved = false;

		if (!reply && c->cluster) {
			cluster_forget(c->cluster, c); /* a failover, maybe: ask for the map next time */
		}
		if (!c->cluster || !rlock_reply_is_any_error(reply) || hops == RLOCK_REDIRECTS_MAX) {
			return reply;
		}
		if ((target = redirect_target(c, reply, &moved)) && moved) {
			*cp = target; /* the slot lives there now */
			hops++;
		} else if (target) {
			freeReplyObject(reply);
			reply = ask_at(target, t, argc, argv, argvlen);
			if (reply && (next = redirect_target(target, reply, &moved))) {
				/* the migration ended, or turned back, meanwhile: MOVED says where the slot is
				 * now; another ASK starts over where we were */
				*cp = moved ? next : c;
				hops++;
				moved = true;
			} else if (!reply || !rlock_reply_is_error(reply, "TRYAGAIN")) {
				*cp = target;
				return reply;
			}
			/* the importing node lacks some keys yet: TRYAGAIN below, from the top */
		}
		if (!moved && !worth_retrying(reply, attempt, give_up)) {
			return reply;
		}
		freeReplyObject(reply);
	}
}

redisReply *rlock_cluster_call(rlock_conn **cp, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen)
{
	return rlock_conn_reject_errors(*cp, rlock_cluster_command(cp, t, argc, argv, argvlen));
}
