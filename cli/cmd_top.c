/*
 * cmd_top.c - `berth top pods [NAME]`: CPU (millicores) and memory working
 * set per running pod, as `kubectl top pods` prints them. The daemon
 * samples the cgroups; this file only asks and prints.
 */
#include <stdio.h>
#include <string.h>

#include "../common/xalloc.h"
#include "cmd.h"
#include "output.h"

int cmd_top(struct cli_ctx *ctx, int argc, char **argv)
{
	static const char *const header[] = {"NAME", "CPU(cores)",
					     "MEMORY(bytes)"};
	const char *name = argc > 2 ? argv[2] : NULL;
	struct out_table *t;
	json_t *doc, *pod;
	size_t i, shown = 0;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "pods") && strcmp(argv[1], "pod") &&
			 strcmp(argv[1], "po")))
		return cli_usage_error("top", "the resource must be pods");
	if (argc > 3)
		return cli_usage_error("top", "unexpected argument \"%s\"",
				       argv[3]);
	rc = cli_api_json(ctx, "GET", "/v1/top/pods", NULL, &doc);
	if (rc != 0)
		return rc;
	t = out_table_new(3, header);
	json_array_foreach(json_object_get(doc, "pods"), i, pod)
	{
		const char *pname =
		    json_string_value(json_object_get(pod, "name"));
		json_int_t cpu =
		    json_integer_value(json_object_get(pod, "cpu_millicores"));
		json_int_t mem =
		    json_integer_value(json_object_get(pod, "memory_bytes"));
		char cpu_s[32], mem_s[32];
		const char *cells[3] = {pname, cpu_s, mem_s};

		if (pname == NULL || (name && strcmp(name, pname)))
			continue;
		/* kubectl shows a pod only once its metrics are there */
		if (cpu < 0 || mem < 0)
			continue;
		snprintf(cpu_s, sizeof(cpu_s), "%lldm", (long long)cpu);
		snprintf(mem_s, sizeof(mem_s), "%lldMi",
			 (long long)(mem >> 20));
		out_table_add(t, cells);
		shown++;
	}
	json_decref(doc);
	if (shown == 0) {
		out_table_free(t);
		if (name)
			return cli_fail("metrics for pod \"%s\" not available "
					"yet (or no such running pod)",
					name);
		return cli_fail("metrics not available yet");
	}
	out_table_print(t, stdout);
	out_table_free(t);
	return CLI_EXIT_OK;
}
