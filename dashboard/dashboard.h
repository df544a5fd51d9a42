/*
 * dashboard.h - the live dashboard (`[berth] dashboard`): an HTTP page on
 * the daemon's own loop that shows rollouts as they happen and keeps a
 * timeline of each. Plugged into the daemon from main.c; the
 * orchestrator never includes this.
 */
#ifndef BERTH_DASHBOARD_DASHBOARD_H
#define BERTH_DASHBOARD_DASHBOARD_H

#include "../common/err.h"

struct daemon;

int dashboard_start(struct daemon *d, struct berr *err);
void dashboard_stop(struct daemon *d);
/* Its listening socket (for a successor daemon), or -1 when off. */
int dashboard_listen_fd(struct daemon *d);

#endif
