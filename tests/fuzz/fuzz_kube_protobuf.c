/*
 * fuzz_kube_protobuf.c - libFuzzer target for kube/protobuf.c: any body
 * either decodes into a JSON object that starts with apiVersion and kind,
 * or is refused with 400 or 415 and a message; never a crash, a leak, an
 * out-of-bounds read or a hang. The seeds are the bodies kubectl 1.32
 * sent for `create deployment` and `create service clusterip`.
 *
 * Built by `make fuzz` (build/fuzz/fuzz_kube_protobuf); tests/run.sh runs
 * it for a bounded time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kube/protobuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[512] = "";
	int code = -1;
	json_t *j = kube_pb_decode(data, size, &code, why, sizeof(why));

	if (j) {
		void *it = json_object_iter(j);

		if (code != 0 || !json_is_object(j) || it == NULL ||
		    strcmp(json_object_iter_key(it), "apiVersion") ||
		    !json_is_string(json_object_get(j, "kind")))
			abort();
		free(json_dumps(j, JSON_COMPACT));
		json_decref(j);
	} else if ((code != 400 && code != 415) || why[0] == '\0') {
		abort();
	}
	return 0;
}
