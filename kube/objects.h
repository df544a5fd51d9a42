/*
 * objects.h - the Kubernetes API's records of Deployments and Services
 * (objects.c): metadata berth's model has no place for, server-side
 * apply's last configurations, and the objects created through the API,
 * which the daemon makes again at start-up and at each `apply`.
 */
#ifndef BERTH_KUBE_OBJECTS_H
#define BERTH_KUBE_OBJECTS_H

#include <jansson.h>
#include <stdbool.h>

#include "../common/err.h"
#include "../config/config.h"

struct kube_server;
struct daemon;
struct deployment;

void kube_objects_load(struct kube_server *ks);
void kube_objects_free(struct kube_server *ks);

/* The record of kind/name (borrowed), made empty when make; NULL
 * otherwise, or when the API is not served (ks NULL). */
json_t *kube_record(struct kube_server *ks, const char *kind, const char *name,
		    bool make);
int kube_record_save(struct kube_server *ks, json_t *rec, struct berr *err);
void kube_record_delete(struct kube_server *ks, const char *kind,
			const char *name);
/* Created through the API (so `berth apply` of a file keeps it). */
bool kube_record_api(struct kube_server *ks, const char *kind,
		     const char *name);
/* The container's name of dep's pods: as the client named it, else the
 * deployment's name. */
const char *kube_container_name(const struct deployment *dep);
/* Adds the record's labels and annotations to obj's metadata. */
void kube_record_overlay(struct kube_server *ks, const char *kind, json_t *obj);

/* Moves one's first deployment (one loaded object) to the end of cfg's. */
void kube_config_take_deployment(struct berth_config *cfg,
				 struct berth_config *one);

/* The daemon's extend_config hook: the objects created through the API
 * added to cfg; a name both have is an error naming both. */
int kube_extend_config(struct daemon *d, struct berth_config *cfg,
		       struct berr *err);

#endif
