/* rlock: Redis Cluster — the slot map and which node serves a key. */
#ifndef RLOCK_CLUSTER_H
#define RLOCK_CLUSTER_H

#include "conn.h"

#define RLOCK_CLUSTER_SLOTS 16384
#define RLOCK_CLUSTER_SEEDS_MAX 16
#define RLOCK_CLUSTER_NODES_MAX 64

struct rlock_cluster {
	rlock_pool *pool;      /* where its node connections live */
	rlock_conn *seeds[RLOCK_CLUSTER_SEEDS_MAX];
	int seed_count;
	rlock_conn *slots[RLOCK_CLUSTER_SLOTS]; /* NULL: ask the cluster again */
	rlock_conn *nodes[RLOCK_CLUSTER_NODES_MAX]; /* every node met, replicas too: who to ask for a map */
	int node_count;
};

/* The hash slot of a key: CRC16 of its {hash tag}, or of the whole key. */
uint16_t rlock_key_slot(const char *key, size_t len);

/* The worker's cluster for these seed URIs (a string or a list), made on first
 * sight and kept in clusters; its nodes join pool, over TLS with tls unless it is NULL
 * (then as the seeds' scheme says). NULL with *why set when a URI is malformed. */
rlock_cluster *rlock_cluster_get(HashTable *clusters, rlock_pool *pool, zval *seeds, const struct rlock_tls *tls,
	const char **why);

/* The connection serving key's slot, asking the cluster for its slot map when
 * needed. NULL with the first seed's c->error set when no node answers. */
rlock_conn *rlock_cluster_route(rlock_cluster *cluster, const zend_string *key, const rlock_timeouts *t);

/* Up to max servers to ask about the cluster — the seeds, then the nodes met
 * (replicas too) — for the watchdog; returns how many. */
int rlock_cluster_contacts(const rlock_cluster *cluster, const rlock_server **out, int max);

void rlock_cluster_pool_init(HashTable *pool);

/* Sends one command (see rlock_conn_command()); on a cluster's node it follows MOVED and
 * ASK (updating *cp to the node that answered) and retries TRYAGAIN and CLUSTERDOWN a few
 * times within read_timeout. A connection of no cluster just sends it. */
redisReply *rlock_cluster_command(rlock_conn **cp, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen);

/* The same, but an error reply is also a failure (NULL, with (*cp)->error set). */
redisReply *rlock_cluster_call(rlock_conn **cp, const rlock_timeouts *t,
	int argc, const char **argv, const size_t *argvlen);

#endif
