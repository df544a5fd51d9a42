/*
 * proxy.h - the data plane: one listener per service, balancing requests
 * (http) or connections (tcp) over the endpoint set the orchestrator
 * publishes. Runs its own event loop on its own thread; the orchestrator
 * only calls the functions below. Must not include orchestrator headers.
 */
#ifndef BERTH_PROXY_PROXY_H
#define BERTH_PROXY_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/err.h"
#include "../config/config.h"

/* One backend of a service: a ready, non-terminating pod. */
struct proxy_endpoint {
	char pod[64];
	pid_t pid;	   /* pod process: its netns is entered to connect */
	int port;	   /* the service's targetPort */
	bool host_network; /* reached on the host's 127.0.0.1 */
	char revision[16]; /* the pod's pod-template-hash; "" unknown */
};

struct proxy;

/*
 * Told, on the thread that sets services, of every service listener made
 * (fd: the listening socket, still the proxy's) and every one dropped
 * (fd -1), so that the sockets can be kept elsewhere across a restart
 * (systemd's fd store).
 */
typedef void (*proxy_listener_hook)(void *arg, const char *service, int fd);

/*
 * Per-revision counters of a service, kept by the proxy from the first
 * request a revision's pod gets until the proxy stops (never reset;
 * readers take differences). Each attempt on one of the revision's pods
 * is counted once, in one of two places. requests: attempts the pod
 * answered (http, every status; an invalid response counts as a 502) or
 * connections made (tcp); errors_5xx: those with a 5xx status;
 * conn_errors: failed connects, resets, EOFs before any response byte
 * and response timeouts, whether the request was then retried elsewhere
 * or answered by berth's own 502/504 (which is then no answer of the
 * revision). lat[i]: answered requests whose time from head to response
 * end was at most proxy_rev_lat_bound_ms[i] (the last bucket: longer);
 * http only.
 */
#define PROXY_REV_LAT_BUCKETS 24
extern const double proxy_rev_lat_bound_ms[PROXY_REV_LAT_BUCKETS - 1];

struct proxy_rev_counts {
	char revision[16];
	uint64_t requests;
	uint64_t errors_5xx;
	uint64_t conn_errors;
	uint64_t lat[PROXY_REV_LAT_BUCKETS];
};

/* Copies the counters of revision in service into *out; any thread.
 * false (and *out zeroed, revision copied) when no pod of that revision
 * has been an endpoint of the service yet. */
bool proxy_revision_counts(struct proxy *px, const char *service,
			   const char *revision, struct proxy_rev_counts *out);

/* Latency quantile q (0 < q <= 1) in ms of the requests counted between
 * two readings (to - from), from the histogram: the upper bound of the
 * bucket holding the q-th request, linearly interpolated inside it. -1
 * when no request was counted. */
double proxy_rev_quantile_ms(const struct proxy_rev_counts *from,
			     const struct proxy_rev_counts *to, double q);

/*
 * A service's routing policy between its stable pods and its canary
 * revision's pods (every pod whose revision is canary). With canary ""
 * there is none: every endpoint is balanced alike. Otherwise a request
 * (http) or connection (tcp) goes to the canary group when every header
 * route matches (http only; n_headers > 0), else with probability
 * weight % — independent of how many pods each group has. A group
 * without pods sends its share to the other.
 *
 * mirror_percent (http only): of the requests sent to the stable group,
 * that share is also copied to a canary pod; the copy's answer is
 * discarded (counted in the canary revision's counters) and never delays
 * the client's. A copy is made only of a request whose whole message is
 * at hand when it is dispatched (at most 64 KiB, no upgrade); at most 64
 * copies per service are in flight, and any beyond are dropped (counted).
 *
 * cookie (http only; NULL or "" none): while 0 < weight < 100, a client
 * whose request carries the cookie cookie=canary.HASH (or stable.HASH),
 * HASH the canary revision, stays on that side; any other request is
 * drawn and its answer sets the cookie (session, Path=/). Header routes
 * come first; a side without pods sends its share to the other.
 */
enum proxy_match { PROXY_MATCH_EXACT, PROXY_MATCH_PREFIX, PROXY_MATCH_REGEX };

struct proxy_header_route {
	const char *name; /* header name, matched case-insensitively */
	enum proxy_match match;
	const char *value; /* exact text, prefix or POSIX extended regex */
};

struct proxy_route {
	const char *canary; /* revision hash; NULL or "" for none */
	int weight;	    /* 0..100 */
	const struct proxy_header_route *headers;
	size_t n_headers;
	int mirror_percent; /* 0..100 */
	const char *cookie; /* stickiness cookie's name; NULL or "" none */
};

/* Starts the proxy thread. NULL with err set on failure. */
struct proxy *proxy_start(struct berr *err);
/* Starts n proxy threads (n < 1: one), each with its own loop: the
 * first accepts every service's connections and hands each to the
 * thread with the fewest; endpoints, routes, revision counters and
 * maxConnections are shared, metrics summed. */
struct proxy *proxy_start_threads(int n, struct berr *err);

/*
 * Creates or updates the listener of svc (copied). The listening socket is
 * bound on the caller's thread so an address in use is reported here; the
 * proxy thread then serves it. An unchanged listen address keeps the
 * listener and its established connections.
 */
int proxy_service_set(struct proxy *px, const struct service_spec *svc,
		      struct berr *err);

/* As proxy_service_set for n services at once, all or nothing: every new
 * address is bound before any service changes, so one that cannot be
 * bound leaves every service as it was. */
int proxy_services_set(struct proxy *px, const struct service_spec *svcs,
		       size_t n, struct berr *err);

/*
 * While held, no service listener accepts: connections wait in the
 * kernel's backlog (the daemon holds them at start-up until the adopted
 * pods' endpoints are published). Callable from the orchestrator thread.
 */
void proxy_accept_hold(struct proxy *px, bool hold);

/*
 * Listening sockets passed in (systemd socket activation or its fd store)
 * with their names: the first proxy_services_set() takes the one bound to
 * a service's address instead of binding, so connections waiting in its
 * backlog across a restart are served; the rest it closes. hook may be
 * NULL. Before the first proxy_services_set().
 */
void proxy_listeners_inherit(struct proxy *px, const int *fds,
			     const char *const *names, size_t n,
			     proxy_listener_hook hook, void *arg);

/* Closes the listener of service name; established connections finish. */
void proxy_service_remove(struct proxy *px, const char *name);

/*
 * Replaces the endpoint set of service (copied). Callable from any one
 * thread; the next connection or request balanced uses the new set. A pod
 * absent from the new set gets no new request; its in-flight ones finish
 * and its idle pooled connections are closed.
 */
void proxy_endpoints_publish(struct proxy *px, const char *service,
			     const struct proxy_endpoint *eps, size_t n);

/*
 * Replaces the routing policy of service (copied; regular expressions are
 * compiled here, on the caller's thread). route NULL removes it. -1 with
 * err naming the header and the regcomp message when a regex does not
 * compile, or a weight or percentage outside 0..100; the policy in force
 * is then kept.
 */
int proxy_route_publish(struct proxy *px, const char *service,
			const struct proxy_route *route, struct berr *err);

/*
 * Serves GET /healthz and GET /metrics on addr ("ADDR:PORT" or
 * "[V6]:PORT"), bound on the caller's thread. addr NULL closes it.
 */
int proxy_admin_listen(struct proxy *px, const char *addr, struct berr *err);

/* As proxy_admin_listen, serving fd (a listening socket bound to addr,
 * passed in by a previous daemon; taken) instead of binding. */
int proxy_admin_listen_fd(struct proxy *px, const char *addr, int fd,
			  struct berr *err);

/*
 * A successor daemon takes over (berth upgrade). proxy_listeners_dup:
 * close-on-exec copies of every listening socket, named service-NAME
 * or berth-admin; *fds and *names (each name malloc'd) are malloc'd, the
 * count returned. proxy_drain: every listener closes here (the copies
 * serve on), no service or admin listener is made any more, and each
 * http connection ends after its current response, which says
 * `Connection: close` (an idle one after PROXY_DRAIN_IDLE_MS); tcp
 * connections run to their end. proxy_open_connections: client
 * connections still open (any thread).
 */
#define PROXY_DRAIN_IDLE_MS 1000
size_t proxy_listeners_dup(struct proxy *px, int **fds, char ***names);
void proxy_drain(struct proxy *px);
int64_t proxy_open_connections(struct proxy *px);

/* Prometheus text of every counter; *text is malloc'd. */
void proxy_metrics(struct proxy *px, char **text, size_t *len);

/* Closes every listener and connection and joins the thread. */
void proxy_stop(struct proxy *px);

#endif
