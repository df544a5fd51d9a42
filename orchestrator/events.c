/*
 * events.c - records events, folds repeats, renders them. Never acts on
 * them.
 */
#include "events.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "watch.h"

const char *event_object_name(const char *kind, const char *name)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "%s/%s", kind, name);
	return buf;
}

static struct event *ring_at(struct daemon *d, uint64_t seq)
{
	return &d->events[(seq - 1) % EVENT_RING];
}

void event_record(struct daemon *d, const char *type, const char *reason,
		  const char *object, const char *fmt, ...)
{
	char message[512];
	struct event *ev;
	va_list ap;
	int64_t now = now_ms();

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	log_info("event %s %s %s: %s", type, object, reason, message);

	/* Fold a repeat of a recent event (same object, reason and message)
	 * into it, as kubectl's "(x5 over 10s)". */
	for (uint64_t s = d->event_seq; s > 0 && s + 32 > d->event_seq; s--) {
		ev = ring_at(d, s);
		if (!strcmp(ev->object, object) &&
		    !strcmp(ev->reason, reason) &&
		    !strcmp(ev->message, message)) {
			ev->count++;
			ev->time_ms = now;
			watch_mark(d, WATCH_EVENTS);
			return;
		}
	}
	d->event_seq++;
	ev = ring_at(d, d->event_seq);
	memset(ev, 0, sizeof(*ev));
	ev->seq = d->event_seq;
	ev->time_ms = ev->first_ms = now;
	ev->count = 1;
	snprintf(ev->type, sizeof(ev->type), "%s", type);
	snprintf(ev->reason, sizeof(ev->reason), "%s", reason);
	snprintf(ev->object, sizeof(ev->object), "%s", object);
	snprintf(ev->message, sizeof(ev->message), "%s", message);
	watch_mark(d, WATCH_EVENTS);
}

json_t *event_to_json(const struct event *ev)
{
	char stamp[32];
	time_t t = (time_t)(ev->time_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:i}", "time", stamp,
			 "age_seconds",
			 (json_int_t)((now_ms() - ev->time_ms) / 1000), "type",
			 ev->type, "reason", ev->reason, "object", ev->object,
			 "message", ev->message, "count", ev->count);
}

json_t *events_json(struct daemon *d, uint64_t after_seq)
{
	json_t *arr = json_array();
	uint64_t first =
	    d->event_seq > EVENT_RING ? d->event_seq - EVENT_RING + 1 : 1;

	if (after_seq + 1 > first)
		first = after_seq + 1;
	for (uint64_t s = first; s <= d->event_seq; s++)
		json_array_append_new(arr, event_to_json(ring_at(d, s)));
	return arr;
}

/* An int64 in decimal, a unit and the NUL fit in AGE_MAX bytes. */
#define AGE_MAX 24

static void age_str(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (s < 120)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
}

void events_describe(struct daemon *d, const char *object, char *buf,
		     size_t len)
{
	size_t used = strlen(buf);
	uint64_t first =
	    d->event_seq > EVENT_RING ? d->event_seq - EVENT_RING + 1 : 1;
	int n = 0;
	int64_t now = now_ms();

	for (uint64_t s = first; s <= d->event_seq; s++) {
		struct event *ev = ring_at(d, s);
		char age[AGE_MAX], count[2 * AGE_MAX + 32];

		if (strcmp(ev->object, object))
			continue;
		if (n++ == 0)
			used += (size_t)snprintf(
			    buf + used, used < len ? len - used : 0,
			    "Events:\n  %-8s %-20s %-18s %s\n  %-8s %-20s "
			    "%-18s %s\n",
			    "Type", "Reason", "Age", "Message", "----",
			    "------", "----", "-------");
		age_str(now - ev->time_ms, age, sizeof(age));
		if (ev->count > 1) {
			char first_age[AGE_MAX];

			age_str(now - ev->first_ms, first_age,
				sizeof(first_age));
			snprintf(count, sizeof(count), "%s (x%d over %s)", age,
				 ev->count, first_age);
		} else {
			snprintf(count, sizeof(count), "%s", age);
		}
		if (used < len)
			used += (size_t)snprintf(
			    buf + used, len - used, "  %-8s %-20s %-18s %s\n",
			    ev->type, ev->reason, count, ev->message);
	}
	if (n == 0 && used < len)
		snprintf(buf + used, len - used, "Events:  <none>\n");
}
