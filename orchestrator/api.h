/*
 * api.h - the control API's routes (HTTP/1.1 + JSON on the unix socket).
 * Parses requests, calls into the orchestrator, renders replies. The
 * transport is ctl_server.c.
 */
#ifndef BERTH_ORCHESTRATOR_API_H
#define BERTH_ORCHESTRATOR_API_H

#include "ctl_server.h"

void api_handle(void *daemon, struct ctl_conn *c,
		const struct ctl_request *req);

#endif
