/*
 * protobuf.h - request bodies in Kubernetes' protobuf encoding
 * (application/vnd.kubernetes.protobuf, which kubectl's typed clients
 * send: `kubectl create deployment`, `kubectl create service`) read as the
 * JSON object the same request would have carried as JSON. Pure: bytes
 * in, jansson out; no berth object, no I/O.
 */
#ifndef BERTH_KUBE_PROTOBUF_H
#define BERTH_KUBE_PROTOBUF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Whether a Content-Type names Kubernetes' protobuf encoding. */
bool kube_pb_content_type(const char *content_type);

/*
 * The envelope (the magic "k8s\0", then a runtime.Unknown: typeMeta
 * {apiVersion, kind}, raw, contentEncoding, contentType) and raw decoded
 * as an apps/v1 Deployment, a v1 Service or a v1 Pod: a new JSON object
 * with apiVersion and kind first, every field as Go's JSON encoding
 * writes it, a field holding its zero value left out as `omitempty`
 * leaves it (a pointer field kept: an explicit 0 stays 0). A field
 * berth's mapping has no place for keeps its name and a stand-in value
 * (true), so the JSON path refuses it by name, as it does in JSON.
 *
 * NULL on failure, with *code 415 (a kind not listed above, an encoded
 * body, a field number none of these messages has) or 400 (bytes that
 * are not protobuf: truncated, a wrong wire type, invalid UTF-8), and
 * why naming the kind or the field (path and number).
 */
json_t *kube_pb_decode(const void *body, size_t len, int *code, char *why,
		       size_t why_len);

#endif
