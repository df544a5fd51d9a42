/*
 * main.c - `berth up` runs the daemon (with the servers that plug into
 * it); `berth image(s)` works on the image
 * store; every other verb is the CLI.
 */
#include <stdlib.h>
#include <string.h>

#include "../cli/cli.h"
#include "../common/fdlimit.h"
#include "../dashboard/dashboard.h"
#include "../images/cli_image.h"
#include "../kube/kube.h"
#include "../kube/objects.h"
#include "../runtime/logd.h"
#include "../signals/exits.h"
#include "daemon.h"
#include "pod_image.h"

/* The Kubernetes API sits above the orchestrator: plugged in from here.
 * It never stops start-up (kube_start logs what it could not do). */
static int kube_plugin_start(struct daemon *d, struct berr *err)
{
	(void)err;
	kube_start(d);
	return 0;
}

static void kube_plugin_prepare(const struct berth_config *cfg)
{
	kube_prepare(cfg->kubernetes_api, cfg->state_dir);
}

static const struct daemon_plugin kube_plugin = {.name = "Kubernetes API",
						 .prepare = kube_plugin_prepare,
						 .start = kube_plugin_start,
						 .stop = kube_stop,
						 .listen_fd = kube_listen_fd,
						 .fd_name = "berth-kube",
						 .extend_config =
						     kube_extend_config};
/* So is the dashboard. */
static const struct daemon_plugin dashboard_plugin = {
    .name = "dashboard",
    .start = dashboard_start,
    .stop = dashboard_stop,
    .listen_fd = dashboard_listen_fd,
    .fd_name = "berth-dashboard"};

/* Pod starts (image pulls, mounts, `runc run`) wait on libuv's thread
 * pool: its default 4 threads would start 4 pods at a time. */
#define POOL_THREADS "16"

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "up"))
		return fdlimit_raise(),
		       setenv("UV_THREADPOOL_SIZE", POOL_THREADS, 0),
		       daemon_register_plugin(&kube_plugin),
		       daemon_register_plugin(&dashboard_plugin),
		       daemon_register_plugin(&pod_image_plugin),
		       daemon_main(argc, argv);
	/* what an upgraded daemon execs in place (upgrade.c) */
	if (argc > 1 && !strcmp(argv[1], "__reaper"))
		return exits_reaper_main(argc, argv);
	/* the log collector a daemon starts (runtime/logd.h) */
	if (argc > 1 && !strcmp(argv[1], "__logd"))
		return logd_main(argc, argv);
	if (argc > 1 &&
	    (!strcmp(argv[1], "image") || !strcmp(argv[1], "images")))
		return images_cli_main(argc, argv);
	return cli_main(argc, argv);
}
