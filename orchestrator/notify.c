/*
 * notify.c - the daemon's side of systemd's Type=notify: which message is
 * sent when, the STATUS= text, the watchdog and status timers. The wire
 * protocol is common/sdnotify.c's. Reads the daemon's pods, deployments
 * and config; never changes them.
 *
 * Listening sockets outlive the daemon in systemd's fd store: each
 * service listener is sent with FDSTORE=1 (FDNAME=service-NAME) when
 * made, removed with FDSTOREREMOVE=1 when dropped, and handed back at the
 * next start through LISTEN_FDS, which the proxy matches by address.
 *
 * The state is file-static: NOTIFY_SOCKET belongs to the process, and
 * there is one daemon per process.
 */
#include "notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/sdnotify.h"
#include "../common/xalloc.h"
#include "../proxy/proxy.h"

/* STATUS= is recomputed this often and sent only when it changed. */
#define STATUS_PERIOD_MS 1000
/* Time for `runc delete` and the unmounts after the last grace period. */
#define STOP_SLACK_MS 15000
/* The one-off preStop extension of terminate.c. */
#define PRESTOP_EXTENSION_MS 2000

static struct {
	bool timers; /* started by the first notify_ready() */
	bool warned; /* a failed send was logged */
	uv_timer_t watchdog;
	uv_timer_t status;
	char last_status[160];
} st;

static void send_msg(const char *msg)
{
	if (sdnotify_send(msg) == -1 && !st.warned) {
		st.warned = true;
		log_warn("NOTIFY_SOCKET: cannot send to the service manager");
	}
}

static void status_text(struct daemon *d, char *buf, size_t len)
{
	int pods = 0, ready = 0, deps = 0;
	size_t svcs = d->cfg ? d->cfg->n_services : 0;

	for (struct pod *p = d->pods; p; p = p->next) {
		pods++;
		ready += p->ready;
	}
	for (struct deployment *dep = d->deployments; dep; dep = dep->next)
		deps += !dep->deleting;
	if (d->shutting_down)
		snprintf(buf, len, "stopping: %d pod%s left", pods,
			 pods == 1 ? "" : "s");
	else
		snprintf(buf, len,
			 "%d pod%s (%d ready), %d deployment%s, %zu service%s",
			 pods, pods == 1 ? "" : "s", ready, deps,
			 deps == 1 ? "" : "s", svcs, svcs == 1 ? "" : "s");
}

/* Sends STATUS= when it changed since the last one (or when forced, with
 * head, e.g. "READY=1\n", before it). */
static void send_status(struct daemon *d, const char *head, bool force)
{
	char text[sizeof(st.last_status)];
	char msg[sizeof(text) + 96];

	status_text(d, text, sizeof(text));
	if (!force && strcmp(text, st.last_status) == 0)
		return;
	snprintf(st.last_status, sizeof(st.last_status), "%s", text);
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", head ? head : "", text);
	send_msg(msg);
}

static void on_status(uv_timer_t *t)
{
	send_status(t->data, NULL, false);
}

/* Runs on the loop: a loop that stalls stops sending, and systemd
 * restarts the daemon after WatchdogSec. */
static void on_watchdog(uv_timer_t *t)
{
	send_msg("WATCHDOG=1");
}

void notify_init(void)
{
	sdnotify_init();
}

static void start_timers(struct daemon *d)
{
	uint64_t wd = sdnotify_watchdog_usec();

	st.timers = true;
	uv_timer_init(d->loop, &st.status);
	st.status.data = d;
	uv_timer_start(&st.status, on_status, STATUS_PERIOD_MS,
		       STATUS_PERIOD_MS);
	/* Neither keeps the loop alive: the daemon's exit path need not
	 * know about them, and daemon_free() closes them with the rest. */
	uv_unref((uv_handle_t *)&st.status);
	if (wd > 0) {
		/* Half the interval, as sd_watchdog_enabled(3) advises. */
		uint64_t ms = wd / 2000 ? wd / 2000 : 1;

		uv_timer_init(d->loop, &st.watchdog);
		uv_timer_start(&st.watchdog, on_watchdog, ms, ms);
		uv_unref((uv_handle_t *)&st.watchdog);
		send_msg("WATCHDOG=1");
	}
}

void notify_ready(struct daemon *d)
{
	if (!sdnotify_enabled())
		return;
	send_status(d, "READY=1\n", true);
	if (!st.timers)
		start_timers(d);
}

void notify_reloading(struct daemon *d)
{
	char msg[96];

	if (!sdnotify_enabled())
		return;
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		 sdnotify_monotonic_usec());
	send_msg(msg);
}

void notify_stopping(struct daemon *d)
{
	int64_t now = mono_ms(), end = now;
	char head[96];

	if (!sdnotify_enabled())
		return;
	/* Every pod's grace deadline is known once its termination began:
	 * ask for the longest plus the clean-up after it. */
	for (struct pod *p = d->pods; p; p = p->next) {
		int64_t e = p->term_started_mono +
			    (int64_t)p->grace_seconds * 1000 +
			    PRESTOP_EXTENSION_MS;

		if (pod_terminating(p) && e > end)
			end = e;
	}
	snprintf(head, sizeof(head),
		 "STOPPING=1\nEXTEND_TIMEOUT_USEC=%" PRId64 "\n",
		 (end - now + STOP_SLACK_MS) * 1000);
	send_status(d, head, true);
}

static void on_listener(void *arg, const char *service, int fd)
{
	char msg[160];

	/* one socket per name: a moved listener replaces the old one */
	snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=service-%s",
		 service);
	send_msg(msg);
	if (fd < 0)
		return;
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=service-%s", service);
	if (sdnotify_send_fds(msg, &fd, 1) == -1 && !st.warned) {
		st.warned = true;
		log_warn("NOTIFY_SOCKET: cannot store the listener of service "
			 "%s with the service manager",
			 service);
	}
}

void notify_listeners(struct daemon *d)
{
	const char *const *names = NULL;
	size_t all = sdnotify_listen_fds(&names), n = 0;
	int *fds = xcalloc(all + 1, sizeof(*fds));
	const char **svc = xcalloc(all + 1, sizeof(*svc));

	/* The daemon's own sockets (berth-control, berth-admin, ... from an
	 * upgrade) are taken by name by their owners, not by the proxy. */
	for (size_t i = 0; i < all; i++) {
		if (names && names[i] &&
		    (!strncmp(names[i], "berth-", 6) ||
		     !strcmp(names[i], "-taken-")))
			continue;
		fds[n] = SDNOTIFY_LISTEN_START + (int)i;
		svc[n++] = names ? names[i] : NULL;
	}
	if (all)
		log_info("%zu listening socket%s passed in", all,
			 all == 1 ? "" : "s");
	proxy_listeners_inherit(d->proxy, fds, svc, n,
				sdnotify_enabled() ? on_listener : NULL, d);
	free(svc);
	free(fds);
}
