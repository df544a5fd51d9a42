/*
 * bundle.h - the OCI bundle of one pod: config.json (runtime-spec 1.0.2)
 * built from a deployment's pod template, and its atomic write. Knows
 * nothing about rootfs mounting, cgroup removal or running the runtime.
 */
#ifndef BERTH_RUNTIME_BUNDLE_H
#define BERTH_RUNTIME_BUNDLE_H

#include <jansson.h>

#include "../common/err.h"
#include "../config/config.h"

struct bundle_params {
	const char *pod_name;	   /* container id and hostname */
	const char *rootfs;	   /* absolute path of the mounted rootfs */
	const char *cgroup_path;   /* e.g. "/berth/echo-6f9c2d-x7k2p" */
	const char *pod_env_extra; /* may be NULL; unused for now */
};

/*
 * Builds config.json for one pod. Fails when the template has no command,
 * names an unknown capability, or its seccomp file is unreadable/invalid.
 */
int bundle_build(const struct deployment_spec *d, const struct bundle_params *p,
		 json_t **out, struct berr *err);

/* Writes BUNDLE_DIR/config.json atomically, mode 0600 (env may be secret). */
int bundle_write(const char *bundle_dir, json_t *config, struct berr *err);

#endif
