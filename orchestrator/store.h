/*
 * store.h - what survives a daemon restart: pod records, deployment
 * records (revision history, scale) and the path of the applied config,
 * under STATE_DIR, each written atomically. A daemon killed at any instant
 * leaves files the next start can read.
 */
#ifndef BERTH_ORCHESTRATOR_STORE_H
#define BERTH_ORCHESTRATOR_STORE_H

#include <jansson.h>

#include "model.h"

int store_init(struct daemon *d, struct berr *err);
/* A pod's record, written before store_save_pod returns, unless a write
 * of it is in progress on the thread pool: then after that one. The
 * _async form always writes on the thread pool (a start's saves: the
 * record may lag the pod by that write if the daemon is killed).
 * store_delete_pod removes it after any write in progress. */
void store_save_pod(struct pod *p);
void store_save_pod_async(struct pod *p);
void store_delete_pod(struct pod *p);
void store_save_deployment(struct deployment *dep);
void store_delete_deployment(struct deployment *dep);
void store_save_applied(struct daemon *d, const char *config_path);
/* A failed state write: said once (a log line and a Warning event on
 * object) until writes succeed again; the caller marks what is unsaved
 * and store_retry_unsaved() writes it again. The previous file is intact
 * (writes are atomic). */
void store_write_failed(struct daemon *d, const char *object,
			const struct berr *err);
/* While state writes fail, writes what is unsaved again (housekeeping
 * calls it every second); says so once everything is written. */
void store_retry_unsaved(struct daemon *d);
/* The config path last applied, or NULL. */
char *store_load_applied(const char *state_dir);
/* Reads every deployment record (before apply rewrites them). */
json_t *store_load_deployments(struct daemon *d);
/* Puts recorded history, scale and pause back into the deployments. */
void store_restore_deployments(struct daemon *d, json_t *records);
/* Calls fn with each NAME.json record in dirpath, parsed (NULL when it
 * cannot be read), and its path; fn takes the reference. */
void store_for_each_record(const char *dirpath,
			   void (*fn)(json_t *j, const char *path, void *arg),
			   void *arg);
/* Re-attaches to the pods of a previous daemon (adopt.c) (same names, same
 * PIDs, restart counts kept); cleans up containers nobody owns. */
void store_restore_pods(struct daemon *d);

#endif
