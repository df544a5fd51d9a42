/*
 * pod.h - one pod's life: create, start, exit, restart with back-off,
 * removal. Termination lives in terminate.c; the decision of how many pods
 * exist lives in reconcile.c. Each transition is logged as an event.
 */
#ifndef BERTH_ORCHESTRATOR_POD_H
#define BERTH_ORCHESTRATOR_POD_H

#include "model.h"

/* A new pod of dep's current revision; starts it at once. */
struct pod *pod_create(struct daemon *d, struct deployment *dep);
/* Creates the container (PENDING/WAITING → CREATING). */
void pod_start(struct pod *p);
/* Something about p changed: endpoints, watchers, reconcile. */
void pod_changed(struct pod *p);
/* The container's init process is gone. status_known false: adopted pod,
 * exit code unavailable. */
void pod_on_exit(struct pod *p, int wait_status, bool status_known);
/* Adoption of a pod whose container had exited: waiting as recorded
 * (restart_at_mono 0: kept as Completed/Error), or with its restart
 * decision still to take. */
void pod_resume_waiting(struct pod *p, int64_t restart_at_mono);
void pod_resume_after_exit(struct pod *p);
/* Forgets the pod: directories, record, list entry. */
void pod_remove(struct pod *p);
/* Frees p without touching its container or record (daemon exit); the
 * caller has taken it off the pod list. */
void pod_forget(struct pod *p);

struct pod *pod_find(struct daemon *d, const char *name);
struct pod *pod_find_pid(struct daemon *d, pid_t pid);
char *pod_dir(const struct pod *p);
char *pod_log_path(const struct pod *p);

void pod_ref(struct pod *p);
void pod_unref(struct pod *p);

/* Starts watching an adopted pod's pid (not our child) through a pidfd. */
int pod_watch_pidfd(struct pod *p);
/* Probes: (re)starts them for a running container. */
void pod_start_probes(struct pod *p);
void pod_stop_probes(struct pod *p);
/* Reaper callback: routes an exit to its pod or parks it. */
void pod_reaped(void *daemon, pid_t pid, int status);
/* Makes a pod struct (no container); used by create and by adoption. */
struct pod *pod_alloc(struct daemon *d, struct deployment *dep,
		      const char *name);
void pod_set_ready(struct pod *p, bool ready);

#endif
