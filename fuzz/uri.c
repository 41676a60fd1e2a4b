/* Fuzz target: server URIs (src/uri.c) and the cluster's key slot (src/cluster.c). */
#include "harness.h"
#include "src/uri.h"
#include "src/cluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rlock_server server;
	const char *why = NULL;

	fuzz_php_start("");
	if (rlock_server_parse((const char *) data, size, &server, &why) == SUCCESS) {
		rlock_server_free(&server);
	} else if (!why) {
		__builtin_trap(); /* a refusal must say why */
	}
	rlock_key_slot((const char *) data, size);
	return 0;
}
