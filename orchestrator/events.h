/*
 * events.h - the event log as `kubectl describe` and `kubectl get events`
 * show it: a bounded ring, repeated events folded into a count.
 */
#ifndef BERTH_ORCHESTRATOR_EVENTS_H
#define BERTH_ORCHESTRATOR_EVENTS_H

#include <jansson.h>

#include "model.h"

void event_record(struct daemon *d, const char *type, const char *reason,
		  const char *object, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#define pod_event(pod, type, reason, ...)                                      \
	event_record((pod)->daemon, type, reason,                              \
		     event_object_name("pod", (pod)->name), __VA_ARGS__)
const char *event_object_name(const char *kind, const char *name);

/* Events with seq > after_seq (all when 0), oldest first, as JSON array. */
json_t *events_json(struct daemon *d, uint64_t after_seq);
/* Appends describe-style "Events:" table lines for object to buf. */
void events_describe(struct daemon *d, const char *object, char *buf,
		     size_t len);
json_t *event_to_json(const struct event *ev);

#endif
