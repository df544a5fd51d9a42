/*
 * internal.h - the proxy's shared types: services, backends, endpoint
 * snapshots, backend connections, metrics. Everything here except struct
 * proxy_slot is touched only by the proxy thread. Not for use outside
 * proxy/.
 */
#ifndef BERTH_PROXY_INTERNAL_H
#define BERTH_PROXY_INTERNAL_H

#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#include "proxy.h"

#define PROXY_NAME_MAX 64
#define PROXY_LAT_BUCKETS 12
#define PROXY_POOL_MAX                                                         \
	256 /* idle pooled connections per backend, all                        \
		     threads together */

#define proxy_container_of(ptr, type, member)                                  \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* A growable byte buffer. */
struct proxy_buf {
	char *p;
	size_t len, cap;
};
void proxy_buf_append(struct proxy_buf *b, const void *p, size_t n);
void proxy_buf_printf(struct proxy_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void proxy_buf_consume(struct proxy_buf *b, size_t n);
void proxy_buf_free(struct proxy_buf *b);

/* An immutable endpoint snapshot, published by the orchestrator. */
struct proxy_epset {
	struct proxy_epset *retired_next;
	uint64_t gen; /* retired at this generation (proxy.c) */
	size_t n;
	struct proxy_endpoint eps[];
};

/* A cache line: what one proxy thread writes per request is laid out so
 * that no other thread's per-request writes share its lines. */
#define PROXY_CACHE_LINE 64

/* revstats.c: one proxy thread's counters of one revision in one service
 * (see struct proxy_rev_counts), on cache lines of their own. Only that
 * thread writes them (relaxed atomic loads and stores, no locked
 * instruction); any thread reads, summing every thread's copy. */
struct proxy_rev_stats {
	_Alignas(PROXY_CACHE_LINE) _Atomic uint64_t requests, errors_5xx,
	    conn_errors;
	_Atomic uint64_t lat[PROXY_REV_LAT_BUCKETS];
};

/* A revision's counters: one copy per proxy thread. Appended under
 * proxy.lock, never freed before stop. */
struct proxy_rev {
	struct proxy_rev *next;
	char revision[16];
	size_t n; /* copies: the proxy's thread count */
	struct proxy_rev_stats per[];
};

/* route.c: an immutable routing policy snapshot (struct proxy_route
 * compiled), published like endpoint snapshots. */
struct proxy_hroute {
	char *name;
	size_t name_len;
	enum proxy_match match;
	char *value;
	size_t value_len;
	regex_t re; /* PROXY_MATCH_REGEX only */
};

struct proxy_routeset {
	struct proxy_routeset *retired_next;
	uint64_t gen;
	char canary[16];
	int weight;
	int mirror;
	char cookie[64]; /* stickiness cookie's name; "" none */
	size_t n_headers;
	struct proxy_hroute headers[];
};
void proxy_routeset_free(struct proxy_routeset *r);
/* true when every header route of r matches the request head (the
 * request line, then "Name: value" lines up to the empty line). */
bool proxy_route_headers_match(const struct proxy_routeset *r, const char *head,
			       size_t len);
/* The side the stickiness cookie of r in the request head names for the
 * current canary: 0 stable, 1 canary, -1 none (no cookie, or one of an
 * earlier canary). */
int proxy_route_cookie_side(const struct proxy_routeset *r, const char *head,
			    size_t len);

/* The part of a service both threads see; never freed before stop. */
struct proxy_slot {
	struct proxy_slot *next;
	char name[PROXY_NAME_MAX];
	_Atomic(struct proxy_epset *) eps;
	_Atomic(struct proxy_routeset *) route;
	struct proxy_rev *revs; /* under proxy.lock */
	char listen[128];	/* bound address; under proxy.lock */
	/* client connections of the service on every thread: raised by the
	 * leader as it accepts, lowered by the thread that closes one, so
	 * maxConnections holds across threads */
	atomic_int_fast64_t active;
	/* the leader stopped accepting at the cap: the thread that lowers
	 * active wakes it */
	atomic_bool capped;
	/* requests or connections in flight per pod, for least-conn: each
	 * thread counts its own on a cache line of its own, least-conn sums
	 * them; under proxy.lock, never freed before stop */
	struct proxy_pod_busy {
		struct proxy_pod_busy *next;
		char pod[64];
		size_t n; /* copies: the proxy's thread count */
		struct proxy_busy_count {
			_Alignas(PROXY_CACHE_LINE) atomic_int n;
		} per[];
	} * busy;
};

struct proxy_svc_conf {
	char name[PROXY_NAME_MAX];
	char listen[128];
	enum service_mode mode;
	enum service_balance balance;
	int target_port;
	int timeout_connect_ms;
	int timeout_client_ms;
	int timeout_server_ms;
	int timeout_response_ms;
	int timeout_http_request_ms;
	int max_connections; /* 0: no cap of its own */
};

struct proxy_upstream;

/* A pod as the proxy thread knows it; outlives its snapshot while used. */
struct proxy_backend {
	struct proxy_backend *next;
	struct proxy_endpoint ep;
	bool in_set;
	int active; /* connections (tcp) or requests (http) in flight */
	/* the same per thread, every thread's (least-conn), and this
	 * thread's copy in it (written by this thread alone) */
	struct proxy_pod_busy *busy;
	atomic_int *busy_mine;
	int refs; /* objects pointing here */
	uint64_t requests;
	uint64_t failures;
	struct proxy_rev_stats *rev; /* its revision's counters, or NULL */
	struct proxy_upstream *idle; /* pooled keep-alive connections */
	int n_idle;
};

struct proxy_svc_metrics {
	uint64_t codes[6]; /* [0] other, [1..5] 1xx..5xx */
	uint64_t connections;
	int64_t active;
	uint64_t retries;
	uint64_t shed; /* connections refused for want of descriptors */
	uint64_t mirror_sent, mirror_dropped, mirror_failed; /* mirror.c */
	uint64_t lat_buckets[PROXY_LAT_BUCKETS];
	uint64_t lat_count;
	double lat_sum;
};

/* The weighted draw of a service: decisions come in blocks of 100 of
 * which exactly weight go to the canary, in random order (drawn without
 * replacement), so any run of requests is within a point or so of the
 * weight instead of within a few standard deviations. */
struct proxy_draw {
	uint64_t rng;
	int weight;	 /* of the current block */
	int left;	 /* decisions left in the block */
	int left_canary; /* of which canary */
};

struct proxy_service {
	struct proxy_service *next;
	struct proxy *px;
	struct proxy_slot *slot;
	struct proxy_svc_conf conf;
	struct proxy_acceptor *listener; /* NULL when not listening */
	bool removed;
	int refs; /* list membership + connections + open listener */
	struct proxy_epset *cur;
	struct proxy_backend **cur_be;
	size_t n_cur, cap_cur;
	struct proxy_backend *backends;
	unsigned rr;
	struct proxy_svc_metrics m;
	/* The routing policy as last synced, and the endpoints split by it:
	 * grp[0] stable, grp[1] canary (empty without a policy). */
	struct proxy_routeset *route;
	struct proxy_backend **grp[2];
	size_t n_grp[2], cap_grp[2];
	unsigned grp_rr[2];
	struct proxy_draw draw;	 /* proxy thread only */
	struct proxy_draw mdraw; /* the mirror's draw */
	int mirror_inflight;	 /* copies not yet answered */
};

/* Something to close when the proxy stops. */
struct proxy_conn_link {
	struct proxy_conn_link *prev, *next;
	void (*abort)(struct proxy_conn_link *l);
	/* The proxy is draining (an upgrade): end after the current
	 * request. NULL: the connection runs to its end (tcp mode). */
	void (*drain)(struct proxy_conn_link *l);
};

/*
 * One proxy thread (a worker). The first is the leader: proxy_start()
 * returns it, the API's commands go to it, and it alone owns the
 * listeners and the admin endpoint, the slots, the retired snapshots
 * and the passed-in sockets (the fields marked "leader"). It hands each
 * accepted client connection to the least loaded worker (itself
 * included) through that worker's command queue. Every worker has its
 * own loop, services (with backends, pools and metrics), connections
 * and read buffer; they share only the slots (endpoint and route
 * snapshots, revision counters, connection counts).
 */
struct proxy_wbatch;

struct proxy {
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t wake;
	uv_timer_t sweep;
	pthread_mutex_t lock;
	struct proxy_cmd *cmds, **cmds_tail;   /* under lock */
	struct proxy_epset *retired;	       /* leader; under lock */
	struct proxy_routeset *retired_routes; /* leader; under lock */
	uint64_t gen;		  /* leader, under lock: retirements */
	uint64_t synced;	  /* under the leader's lock: this worker
				     syncs no snapshot retired at or
				     before this generation */
	struct proxy_slot *slots; /* leader; under lock */
	char admin_addr[128];	  /* leader; under lock */
	struct proxy *leader;	  /* worker 0; itself for the leader */
	struct proxy **workers;	  /* leader: every worker, itself first */
	size_t n_workers;	  /* leader */
	size_t index;		  /* 0 for the leader */
	size_t rr_worker;	  /* leader: the hand-over cursor */
	atomic_int_fast64_t load; /* client connections handed to it */
	/* the orchestrator thread's only (listener.c): listening sockets
	 * passed in, taken by the first services set, and the hook told of
	 * each listener made or dropped */
	struct proxy_inherited {
		int fd; /* -1 once taken or closed */
		char name[128];
	} * inherited;
	size_t n_inherited;
	bool inherited_done;
	proxy_listener_hook lhook;
	void *lhook_arg;
	/* proxy thread only */
	struct proxy_service *services;
	struct proxy_conn_link conns; /* list head */
	struct proxy_acceptor *admin; /* NULL when closed */
	struct proxy_acceptor *acceptors;
	uv_timer_t accept_pause;
	bool accept_paused;	 /* the fd table was full a moment ago */
	atomic_bool accept_held; /* leader: proxy_accept_hold() */
	int64_t n_conns;	 /* client connections open, every service */
	bool draining;		 /* proxy_drain(): listeners closed */
	int64_t conns_peak;	 /* since memory was last given back */
	char *rbuf;		 /* the one read buffer (PROXY_READ_SIZE) */
	struct proxy_wbatch *wb; /* this turn's writes; NULL: one by one */
	bool stopping;
	int64_t started_ms;
};

/* listener.c: a polled listening socket (see there). */
struct proxy_acceptor {
	struct proxy_acceptor *next; /* px->acceptors */
	struct proxy *px;
	uv_poll_t poll;
	int fd; /* closed with the acceptor */
	bool on;
	bool closing;
	void *data;
	void (*on_fd)(struct proxy_acceptor *a, int fd); /* takes fd */
	bool (*may_accept)(struct proxy_acceptor *a);	 /* NULL: always */
	void (*shed)(struct proxy_acceptor *a, int fd);	 /* before close */
	void (*on_closed)(struct proxy_acceptor *a);
};
/* A listening socket for svc at ss: a passed-in one whose address is
 * ss (proxy_listeners_inherit), else -1 (bind one). */
int proxy_inherited_take(struct proxy *px, const struct sockaddr_storage *ss);
/* After the first services set: the passed-in sockets no service took
 * are closed, and the hook is told of those no service of that name
 * replaced. */
void proxy_inherited_finish(struct proxy *px, const char *const *names,
			    size_t n);
/* NULL when fd cannot be polled; set the callbacks, then update. */
struct proxy_acceptor *proxy_acceptor_open(struct proxy *px, int fd,
					   void *data);
/* Starts or stops polling as the limits now say. */
void proxy_acceptor_update(struct proxy_acceptor *a);
void proxy_acceptor_close(struct proxy_acceptor *a);
void proxy_shed_http(struct proxy_acceptor *a, int fd);

/* Every read on the proxy thread lands in px->rbuf: readers consume or
 * copy what they read before returning, so one buffer serves every
 * connection and an idle connection holds no read buffer at all. */
#define PROXY_READ_SIZE (64 * 1024)

/* proxy.c */
/* Wakes every worker (a snapshot was published); px is the leader. */
void proxy_wake_all(struct proxy *px);
/* The slot of service name, made on first use; under proxy.lock. */
struct proxy_slot *proxy_slot_get(struct proxy *px, const char *name);
/* A client connection of s opened / closed (the caps count them). */
void proxy_conn_opened(struct proxy_service *s);
void proxy_conn_closed(struct proxy_service *s);
void proxy_link(struct proxy *px, struct proxy_conn_link *l,
		void (*abort)(struct proxy_conn_link *l));
void proxy_unlink(struct proxy_conn_link *l);
void proxy_service_hold(struct proxy_service *s);
void proxy_service_release(struct proxy_service *s);
/* b's in-flight count moves by d (this thread's and every thread's). */
void proxy_backend_busy(struct proxy_backend *b, int d);
/* Refreshes s->cur_be from the latest published snapshot. */
void proxy_service_sync(struct proxy_service *s);
void proxy_backend_release(struct proxy_service *s, struct proxy_backend *b);
int64_t proxy_now_ms(void);
int proxy_parse_addr(const char *listen, struct sockaddr_storage *ss,
		     struct berr *err);

/* balance.c: picks among n backends; avoid (may be NULL) is skipped
 * while another choice exists. Returns an index or -1 when n is 0. */
int proxy_balance_pick(enum service_balance mode,
		       struct proxy_backend *const *be, size_t n, unsigned *rr,
		       const struct proxy_backend *avoid);
/* The next number of a splitmix64 sequence (state *x). */
uint64_t proxy_rng_next(uint64_t *x);
/* Which group serves a new request or connection under r: 0 stable, 1
 * canary, -1 no policy (r NULL). headers_matched: every header route of
 * r matched (no draw then). A group without endpoints gives its share to
 * the other. */
int proxy_route_group(const struct proxy_routeset *r, size_t n_stable,
		      size_t n_canary, bool headers_matched,
		      struct proxy_draw *d);
/* The next decision of a draw of pct % (0..100) in blocks of 100. */
bool proxy_draw_take(struct proxy_draw *d, int pct);
/* A backend of s for group g (as proxy_route_group returned), avoiding
 * avoid while another exists; NULL when s has no endpoint. */
struct proxy_backend *proxy_service_pick(struct proxy_service *s, int g,
					 const struct proxy_backend *avoid);
/* Rebuilds s->grp from s->cur_be and s->route. */
void proxy_service_regroup(struct proxy_service *s);

/* upstream.c: one connection to a backend. */
struct proxy_upstream {
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_timer_t timer;
	struct proxy_service *svc;
	struct proxy_backend *be;
	void (*on_connect)(struct proxy_upstream *u, int status);
	void (*on_closed)(struct proxy_upstream *u);
	/* The owner's reader and buffer; NULL while pooled, when anything
	 * the backend sends or an EOF retires the connection. */
	void (*on_read)(struct proxy_upstream *u, ssize_t n,
			const uv_buf_t *buf);
	char *rbuf;
	size_t rbuf_len;
	void *owner;
	struct proxy_upstream *pool_next;
	int64_t idle_since;
	int handles;
	bool connected;
	bool closing;
	bool reading;
	bool reused; /* came out of the pool */
};
/* Starts connecting to b; on_connect runs once (status 0 or a uv error).
 * Returns NULL when no socket could be made (err set). */
struct proxy_upstream *
proxy_upstream_connect(struct proxy_service *s, struct proxy_backend *b,
		       void (*on_connect)(struct proxy_upstream *u, int status),
		       void *owner, struct berr *err);
void proxy_upstream_close(struct proxy_upstream *u);
/* Reading stays on from connect to close, pooled or not, so handing a
 * connection between the pool and a request costs no epoll change; it is
 * switched off only for back-pressure or a tunnel. Returns a uv error. */
int proxy_upstream_read(struct proxy_upstream *u, bool on);
/* Pool: put an idle keep-alive connection back / take one. */
void proxy_upstream_park(struct proxy_upstream *u);
struct proxy_upstream *proxy_upstream_take(struct proxy_backend *b);
void proxy_pool_close_idle(struct proxy_backend *b);
void proxy_pool_sweep(struct proxy_service *s, int64_t now);

/* pipe.c: bidirectional byte copy with half-close. */
struct proxy_pipe_side {
	struct proxy_pipe *pipe;
	uv_stream_t *s;
	struct proxy_pipe_side *peer;
	size_t pending; /* bytes queued for writing to s */
	bool eof;	/* s sent EOF */
	bool shut;	/* write side of s shut down */
	bool reading;
	uv_shutdown_t sreq;
};
struct proxy_pipe {
	struct proxy_pipe_side a, b;
	void (*done)(struct proxy_pipe *p, int status);
	int inflight; /* writes + shutdowns outstanding */
	bool finished;
	bool failed;
	bool handing; /* reading stopped for a hand-over (see below) */
	uint64_t hand_over_after;
	uint64_t bytes[2];
};
/* a and b are connected streams; initial bytes (may be 0) are written to
 * b first. done runs once, when both directions ended or one failed;
 * the owner then closes both streams. */
void proxy_pipe_start(struct proxy_pipe *p, uv_stream_t *a, uv_stream_t *b,
		      const char *initial, size_t n,
		      void (*done)(struct proxy_pipe *p, int status));
/* A bulk transfer is handed over: once a direction has moved at least
 * bytes and a read fills the whole read buffer, reading stops on both
 * sides and, when every write (batched or queued) is out and neither
 * side had sent EOF, done runs with UV_EAGAIN: the streams are then idle
 * with nothing queued, for splice (splice.h). 0 (the default): never. */
void proxy_pipe_hand_over_after(struct proxy_pipe *p, uint64_t bytes);
/* Hand-overs so far, every thread (for tests). */
uint64_t proxy_pipe_hand_overs(void);
/* Writes n bytes to a stream outside any pipe. Returns 1 when every byte
 * was written at once (cb does not run), 0 when the rest was copied and
 * queued (cb, if not NULL, then runs with a request whose data is arg),
 * or a negative uv error. */
int proxy_write_copy(uv_stream_t *s, const void *data, size_t n,
		     void (*cb)(uv_write_t *req, int status), void *arg);

/* proxy_tcp.c / proxy_http.c: a new client connection. */
void proxy_tcp_accept(struct proxy_service *s, int fd);
void proxy_http_accept(struct proxy_service *s, int fd);

/* metrics.c */
void proxy_metrics_request(struct proxy_service *s, int code, int64_t ms);
/* On the leader: every worker's counters, summed. */
void proxy_metrics_render(struct proxy *px, struct proxy_buf *out);
/* A copy of one worker's per-service counters, on its thread. */
struct proxy_msnap {
	struct proxy_msnap *next;
	char name[PROXY_NAME_MAX];
	struct proxy_svc_metrics m;
	size_t n_be;
	struct proxy_mbe {
		char pod[64];
		uint64_t requests, failures;
		int active;
	} * be;
};
struct proxy_msnap *proxy_metrics_collect(struct proxy *w);
void proxy_msnap_free(struct proxy_msnap *s);
/* proxy.c: the other workers' copies, collected on the leader (blocks
 * for each worker's turn; none when there is one thread). */
struct proxy_msnap *proxy_collect_workers(struct proxy *leader);

/* mirror.c: sends a copy of a whole request (len bytes, head included)
 * to a canary pod of s, when s's mirror draw says so and the bound
 * allows; never touches the client's request. */
void proxy_mirror_maybe(struct proxy_service *s, const char *req, size_t len,
			bool is_head);

/* revstats.c */
/* The calling proxy thread's (px's) counters of revision in slot, made
 * on first use; takes the leader's proxy.lock. NULL for revision "". */
struct proxy_rev_stats *proxy_rev_stats_get(struct proxy *px,
					    struct proxy_slot *slot,
					    const char *revision);
/* An answered request (code, ms from head to end; ms < 0: not timed). */
void proxy_rev_request(struct proxy_rev_stats *r, int code, int64_t ms);
/* A failed connect, reset or timeout of a pod of the revision. */
void proxy_rev_conn_error(struct proxy_rev_stats *r);
void proxy_rev_render(struct proxy *px, struct proxy_buf *out);
void proxy_rev_free_all(struct proxy_slot *slot);

/* admin.c */
int proxy_admin_open(struct proxy *px, int fd);
void proxy_admin_close(struct proxy *px);

#endif
