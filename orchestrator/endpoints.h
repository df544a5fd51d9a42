/*
 * endpoints.h - the hook through which the orchestrator tells the data
 * plane that a pod's endpoint membership changed. A terminating pod leaves
 * every service here, synchronously, before its preStop hook runs.
 */
#ifndef BERTH_ORCHESTRATOR_ENDPOINTS_H
#define BERTH_ORCHESTRATOR_ENDPOINTS_H

#include "model.h"

void endpoints_pod_leaving(struct pod *p);

#endif
