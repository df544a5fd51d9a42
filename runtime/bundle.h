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

/* An OCI image's own process settings (its config's Entrypoint, Cmd, Env,
 * WorkingDir, User): lists NULL-terminated, any field NULL when unset. */
struct bundle_image {
	char **entrypoint;
	char **cmd;
	char **env; /* "K=V" */
	char *working_dir;
	char *user; /* "uid", "uid:gid", "name", "name:group" */
};

struct bundle_params {
	const char *pod_name;	   /* container id and hostname */
	const char *rootfs;	   /* absolute path of the mounted rootfs */
	const char *cgroup_path;   /* e.g. "/berth/echo-6f9c2d-x7k2p" */
	const char *pod_env_extra; /* may be NULL; unused for now */
	const struct bundle_image *image; /* NULL: a folder image */
};

/*
 * The process's argv as the kubelet builds it: `command` replaces the
 * image's Entrypoint (and drops its Cmd), `args` replaces Cmd. Fails when
 * the result is empty. img may be NULL.
 */
int bundle_process_args(const struct deployment_spec *d,
			const struct bundle_image *img, json_t **out,
			struct berr *err);
/* The environment: PATH, HOSTNAME, the image's Env, then the pod's env
 * (a later name replaces an earlier one). img may be NULL. */
json_t *bundle_process_env(const struct deployment_spec *d,
			   const struct bundle_image *img, const char *pod);
/*
 * The image's User in numbers: "uid[:gid]" as is; names are looked up
 * in ROOTFS/etc/passwd and ROOTFS/etc/group. A user with no group gets
 * its passwd group (0 if numeric and absent). NULL or "": 0:0.
 */
int bundle_image_user(const char *rootfs, const char *user, int64_t *uid,
		      int64_t *gid, struct berr *err);

struct bundle_image *bundle_image_dup(const struct bundle_image *img);
void bundle_image_free(struct bundle_image *img);

/*
 * Builds config.json for one pod. Fails when the template has no command,
 * names an unknown capability, or its seccomp file is unreadable/invalid.
 */
int bundle_build(const struct deployment_spec *d, const struct bundle_params *p,
		 json_t **out, struct berr *err);

/* Writes BUNDLE_DIR/config.json atomically, mode 0600 (env may be secret). */
int bundle_write(const char *bundle_dir, json_t *config, struct berr *err);

#endif
