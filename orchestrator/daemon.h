/*
 * daemon.h - `berth up`: the daemon's start-up, apply, and `down`.
 */
#ifndef BERTH_ORCHESTRATOR_DAEMON_H
#define BERTH_ORCHESTRATOR_DAEMON_H

#include <jansson.h>
#include <sys/types.h>

#include "model.h"

/*
 * Servers above the orchestrator (the Kubernetes API in kube/) plug in
 * here, so this layer never includes theirs: the binary's entry
 * (main.c) registers them before daemon_main(). start runs once the
 * control socket listens (an error stops start-up); stop runs at exit and
 * must be safe when start did not run. At most DAEMON_MAX_PLUGINS.
 */
struct daemon_plugin {
	const char *name;
	int (*start)(struct daemon *d, struct berr *err);
	void (*stop)(struct daemon *d);
	/* Optional: the plugin's listening socket, handed to a successor
	 * daemon (berth upgrade) under fd_name, which the plugin's start
	 * takes back with sdnotify_listen_take(fd_name); -1 when none. */
	int (*listen_fd)(struct daemon *d);
	const char *fd_name;
	/* Optional: work that reads no daemon state (credentials, say),
	 * done early in the start with the config as first loaded, so an
	 * upgrade's successor does it while the previous daemon serves. */
	void (*prepare)(const struct berth_config *cfg);
	/* Optional: adds the objects the plugin keeps (made through its
	 * API) to a config just loaded, before it is applied at start-up
	 * or by `apply`; an error fails that apply. */
	int (*extend_config)(struct daemon *d, struct berth_config *cfg,
			     struct berr *err);
};
/* Each registered plugin's listening socket and its name (upgrade.c);
 * returns how many were written (at most max). */
size_t daemon_plugin_fds(struct daemon *d, int *fds, const char **names,
			 size_t max);
#define DAEMON_MAX_PLUGINS 4
void daemon_register_plugin(const struct daemon_plugin *p);
/* Every plugin's extend_config on cfg (daemon_apply); -1 on the first
 * error. */
int daemon_plugins_extend(struct daemon *d, struct berth_config *cfg,
			  struct berr *err);

int daemon_main(int argc, char **argv);
/* Loads path and makes it the desired state. messages: kubectl-style
 * lines ("deployment.apps/echo configured"). */
int daemon_apply(struct daemon *d, const char *path, json_t *messages,
		 struct berr *err);
/* Stops every pod through the full termination sequence, then exits;
 * conn (may be NULL) is answered when the last pod is gone. */
void daemon_down(struct daemon *d, struct ctl_conn *conn);
/* Called whenever a pod is removed, to finish a pending down. */
void daemon_check_down(struct daemon *d);
/* containerLogMaxSize (or BERTH_LOG_MAX_BYTES from the environment). */
off_t daemon_log_max_bytes(const struct daemon *d);
struct deployment *daemon_find_deployment(struct daemon *d, const char *name);
/*
 * One deployment as `apply` makes it: created (or taken back from being
 * deleted) or updated to s, which ref keeps alive (a new revision when
 * the template changed, cause recorded with it). Adds a kubectl-style
 * line to messages (may be NULL).
 */
void daemon_put_deployment(struct daemon *d, const struct deployment_spec *s,
			   struct cfg_ref *ref, const char *cause,
			   json_t *messages);
/* Deletes a deployment as `apply` of a file without it does: its pods
 * stop the graceful way. */
void daemon_delete_deployment(struct daemon *d, struct deployment *dep);
/*
 * Adds svc to the applied config, or replaces the service of that name;
 * a new listen address is bound first, so an address in use fails with
 * err and changes nothing. svc's fields are moved (svc is zeroed).
 */
int daemon_put_service(struct daemon *d, struct service_spec *svc,
		       struct berr *err);
/* Removes a service from the applied config; -1 when there is none. */
int daemon_delete_service(struct daemon *d, const char *name, struct berr *err);
/* Adds t to the applied config's [analysis] sections, or replaces the
 * one of that name (runs in progress keep their copies); t's fields are
 * moved (t is zeroed). */
void daemon_put_analysis(struct daemon *d, struct analysis_template *t);
/* Removes an [analysis] section; -1 when there is none. */
int daemon_delete_analysis(struct daemon *d, const char *name,
			   struct berr *err);
/* Frees d and all it owns, after a normal exit or at any failed step of
 * start-up (or at the end of a unit test). Containers and state files are
 * left as they are. */
void daemon_free(struct daemon *d);

#endif
