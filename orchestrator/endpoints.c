/*
 * endpoints.c - endpoint membership changes. Service endpoint sets are
 * computed from pod readiness (view.c); this republishes them at once.
 */
#include "endpoints.h"

#include "watch.h"

void endpoints_pod_leaving(struct pod *p)
{
	watch_mark(p->daemon, WATCH_SERVICES);
}
