/*
 * probe_result.h - the outcome of one probe run as a fine-grained reason
 * code, and kubelet's wording for it. Pure text formatting: no I/O, no
 * libuv, no knowledge of thresholds or scheduling.
 */
#ifndef BERTH_PROBES_PROBE_RESULT_H
#define BERTH_PROBES_PROBE_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "probe.h"

enum probe_result {
	PROBE_RESULT_OK,	  /* success (maybe with a warning) */
	PROBE_RESULT_TIMEOUT,	  /* timeoutSeconds elapsed */
	PROBE_RESULT_TCP_REFUSED, /* connect: connection refused */
	PROBE_RESULT_TCP_ERROR,	  /* any other connect error (code = errno) */
	PROBE_RESULT_HTTP_STATUS, /* status outside 200-399 (code = status) */
	PROBE_RESULT_HTTP_ERROR,  /* I/O or protocol error after connect */
	PROBE_RESULT_HTTP_REDIRECTS, /* more than 10 same-host redirects */
	PROBE_RESULT_EXEC_EXIT,	     /* command exited non-zero (code = exit) */
	PROBE_RESULT_EXEC_ERROR,     /* runtime could not be spawned/killed */
	PROBE_RESULT_NETNS_ERROR,    /* could not enter the pod's netns */
	PROBE_RESULT_INTERNAL,	     /* berth-side failure (socket(), ...) */
	PROBE_RESULT_N
};

/* What a run knows when it formats its detail. Unused fields 0/NULL. */
struct probe_result_ctx {
	const char *url;     /* HTTP: "http://127.0.0.1:8080/healthz" */
	const char *addr;    /* TCP/HTTP: "127.0.0.1:8080" */
	const char *command; /* exec: the command joined with spaces */
	const char *output;  /* exec: captured output; HTTP: error text */
	int code;	     /* HTTP status, exit code or errno */
};

/* Short CamelCase token for metrics and JSON, e.g. "TCPRefused". */
const char *probe_result_name(enum probe_result r);
/* "Startup", "Liveness" or "Readiness". */
const char *probe_type_name(enum probe_type t);

/*
 * Kubelet's failure text for r (without the "X probe failed: " prefix),
 * e.g. "HTTP probe failed with statuscode: 503" or "dial tcp
 * 127.0.0.1:8080: connect: connection refused". Empty for plain success.
 */
void probe_result_detail(char *buf, size_t len, enum probe_result r,
			 const struct probe_result_ctx *ctx);

/*
 * The event text: "Readiness probe failed: DETAIL", "Liveness probe
 * warning: DETAIL" (success with detail) or "Startup probe succeeded".
 */
void probe_result_message(char *buf, size_t len, enum probe_type t,
			  enum probe_result r, const char *detail);

#endif
