/*
 * api.h - the control API's routes (HTTP/1.1 + JSON on the unix socket).
 * Parses requests, calls into the orchestrator, renders replies. The
 * transport is ctl_server.c.
 */
#ifndef BERTH_ORCHESTRATOR_API_H
#define BERTH_ORCHESTRATOR_API_H

#include "ctl_server.h"

struct daemon;

void api_handle(void *daemon, struct ctl_conn *c,
		const struct ctl_request *req);
/* Closes every `logs -f` timer (the daemon is exiting; call after
 * ctl_server_stop, which ends their streams). */
void api_follows_stop(struct daemon *d);

#endif
