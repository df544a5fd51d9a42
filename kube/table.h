/*
 * table.h - meta.k8s.io/v1 Table for `kubectl get`: the apiserver's
 * columns (name, type, priority) for each kind served, cells computed
 * from the Kubernetes objects as the apiserver's printers compute them,
 * and its human durations. Pure: jansson in, jansson out.
 */
#ifndef BERTH_KUBE_TABLE_H
#define BERTH_KUBE_TABLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kubernetes' duration.HumanDuration: "5s", "119s", "2m5s", "3h20m",
 * "2d3h", "400d", "2y30d"; "<invalid>" below -1 s. */
void kube_human_duration(int64_t seconds, char *buf, size_t len);
/* The age of an RFC 3339 timestamp at now_ms; "<unknown>" if unreadable. */
void kube_age(const char *timestamp, int64_t now_ms, char *buf, size_t len);

/*
 * A Table of items (Kubernetes objects of resource "pods", "deployments",
 * "replicasets", "services", "events" or "namespaces"). Each row's object
 * is the whole object with include_object, else its
 * PartialObjectMetadata. NULL for an unknown resource.
 */
json_t *kube_table(const char *resource, json_t *items, bool include_object,
		   int64_t now_ms, const char *resource_version);

/* The cells of one object's row (a new array), for tests. */
json_t *kube_table_cells(const char *resource, json_t *obj, int64_t now_ms);

#endif
