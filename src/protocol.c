/* rlock: the Redis protocol as rlock speaks it — reading replies, redirects, script commands.
 * Plain C on hiredis: no engine calls, so the watchdog thread uses it as the request path does. */
#include <stdlib.h>
#include <string.h>
#include "protocol.h"

int rlock_script_command(const rlock_script *script, int numkeys, const char *const *keys, const size_t *keylens,
	int argc, const char *const *argv, const size_t *argvlen, const char **cmd, size_t *cmdlen)
{
	static const char *digits[RLOCK_SCRIPT_MAX_KEYS + 1] = {"0", "1", "2", "3", "4"};
	int n = 3;

	cmd[0] = "EVALSHA";
	cmdlen[0] = 7;
	cmd[1] = script->sha;
	cmdlen[1] = 40;
	cmd[2] = digits[numkeys];
	cmdlen[2] = 1;
	for (int i = 0; i < numkeys; i++, n++) {
		cmd[n] = keys[i];
		cmdlen[n] = keylens[i];
	}
	for (int i = 0; i < argc; i++, n++) {
		cmd[n] = argv[i];
		cmdlen[n] = argvlen[i];
	}
	return n;
}

void rlock_script_command_by_body(const rlock_script *script, const char **cmd, size_t *cmdlen)
{
	cmd[0] = "EVAL";
	cmdlen[0] = 4;
	cmd[1] = script->body;
	cmdlen[1] = strlen(script->body);
}

bool rlock_reply_is_error(const redisReply *reply, const char *prefix)
{
	return reply && reply->type == REDIS_REPLY_ERROR && reply->str && strncmp(reply->str, prefix, strlen(prefix)) == 0;
}

bool rlock_reply_is_nil(const redisReply *reply)
{
	return reply && reply->type == REDIS_REPLY_NIL;
}

bool rlock_reply_is_status(const redisReply *reply)
{
	return reply && reply->type == REDIS_REPLY_STATUS;
}

const redisReply *rlock_reply_at(const redisReply *reply, size_t i)
{
	if (!reply || reply->type != REDIS_REPLY_ARRAY || i >= reply->elements) {
		return NULL;
	}
	return reply->element[i];
}

bool rlock_reply_int(const redisReply *reply, long long *out)
{
	if (!reply || reply->type != REDIS_REPLY_INTEGER) {
		return false;
	}
	*out = reply->integer;
	return true;
}

bool rlock_reply_pair(const redisReply *reply, long long *flag, long long *number)
{
	return reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
		&& rlock_reply_int(reply->element[0], flag) && rlock_reply_int(reply->element[1], number);
}

bool rlock_reply_text(const redisReply *reply, const char **text, size_t *len)
{
	bool is_text = reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS
#ifdef REDIS_REPLY_VERB
		|| reply->type == REDIS_REPLY_VERB /* hiredis 1.x, RESP3 */
#endif
	);

	if (!is_text || !reply->str) {
		return false;
	}
	*text = reply->str;
	*len = reply->len;
	return true;
}

bool rlock_reply_redirect(const redisReply *reply, rlock_redirect *out)
{
	const char *slot_at, *addr, *colon;

	out->moved = rlock_reply_is_error(reply, "MOVED ");
	if (!out->moved && !rlock_reply_is_error(reply, "ASK ")) {
		return false;
	}
	slot_at = strchr(reply->str, ' ');
	if (!(addr = strchr(slot_at + 1, ' ')) || !(colon = strrchr(addr + 1, ':'))) {
		return false;
	}
	out->slot = strtol(slot_at + 1, NULL, 10); /* checked by whoever indexes with it */
	out->host = addr + 1;
	out->host_len = colon - addr - 1;
	out->port = atoi(colon + 1);
	return true;
}

static bool slot_number(const redisReply *r, long slots, long *out)
{
	long long n;

	if (!rlock_reply_int(r, &n) || n < 0 || n >= slots) {
		return false;
	}
	*out = (long) n;
	return true;
}

bool rlock_reply_slot_range(const redisReply *range, long slots, long *start, long *end)
{
	const char *host;
	size_t host_len;
	int port;

	if (!range || range->type != REDIS_REPLY_ARRAY || range->elements < 3
			|| !rlock_reply_slot_node(range, 2, &host, &host_len, &port)) {
		return false;
	}
	return slot_number(range->element[0], slots, start) && slot_number(range->element[1], slots, end);
}

bool rlock_reply_slot_node(const redisReply *range, size_t at, const char **host, size_t *host_len, int *port)
{
	const redisReply *node;
	long long number;

	if (at >= range->elements) {
		return false;
	}
	node = range->element[at];
	if (node->type != REDIS_REPLY_ARRAY || node->elements < 2 || node->element[0]->type != REDIS_REPLY_STRING
			|| !rlock_reply_int(node->element[1], &number) || number < 0 || number > 65535) {
		return false;
	}
	*host = node->element[0]->str;
	*host_len = node->element[0]->len;
	*port = (int) number;
	return true;
}

bool rlock_reply_message(const redisReply *reply, const char **payload, size_t *len)
{
	if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3
			|| reply->element[2]->type != REDIS_REPLY_STRING) {
		return false;
	}
	*payload = reply->element[2]->str;
	*len = reply->element[2]->len;
	return true;
}
