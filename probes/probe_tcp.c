/*
 * probe_tcp.c - tcpSocket probes: a non-blocking connect to the pod's
 * 127.0.0.1:port, success once the connection is established, bounded by
 * timeoutSeconds. Owns only its run; must not apply thresholds (probe_done
 * does) or keep anything after the run ends.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../common/xalloc.h"
#include "probe_impl.h"

struct tcp_run {
	struct probe *p; /* NULL once detached (done or cancelled) */
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_connect_t req;
	int open_handles;
	char addr[32];
};

static void on_close(uv_handle_t *h)
{
	struct tcp_run *r = h->data;

	if (--r->open_handles == 0)
		free(r);
}

static void run_close(struct tcp_run *r)
{
	r->p = NULL;
	uv_close((uv_handle_t *)&r->tcp, on_close);
	uv_close((uv_handle_t *)&r->timer, on_close);
}

static void run_cancel(void *run)
{
	run_close(run);
}

static void run_finish(struct tcp_run *r, enum probe_result res, int code)
{
	struct probe *p = r->p;
	struct probe_result_ctx ctx = {.addr = r->addr, .code = code};
	char detail[PROBE_MSG_MAX];

	if (p == NULL)
		return;
	p->run = NULL;
	run_close(r);
	probe_result_detail(detail, sizeof(detail), res, &ctx);
	probe_done(p, res, detail);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct tcp_run *r = req->data;

	if (status == UV_ECANCELED || r->p == NULL)
		return;
	if (status == 0)
		run_finish(r, PROBE_RESULT_OK, 0);
	else if (status == UV_ECONNREFUSED)
		run_finish(r, PROBE_RESULT_TCP_REFUSED, 0);
	else
		run_finish(r, PROBE_RESULT_TCP_ERROR, -status);
}

static void on_timeout(uv_timer_t *t)
{
	run_finish(t->data, PROBE_RESULT_TIMEOUT, 0);
}

void probe_tcp_run(struct probe *p)
{
	struct tcp_run *r = xcalloc(1, sizeof(*r));
	uv_loop_t *loop = p->set->loop;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct berr err = BERR_INIT;
	char detail[PROBE_MSG_MAX];
	int fd, rc;

	snprintf(r->addr, sizeof(r->addr), "127.0.0.1:%d", p->h.tcp_port);
	sin.sin_port = htons((uint16_t)p->h.tcp_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	fd = probe_target_socket(p->set, &err);
	if (fd == -1) {
		free(r);
		probe_done(p, PROBE_RESULT_NETNS_ERROR, err.msg);
		return;
	}
	r->p = p;
	uv_tcp_init(loop, &r->tcp);
	uv_timer_init(loop, &r->timer);
	r->tcp.data = r->timer.data = r->req.data = r;
	r->open_handles = 2;
	p->run = r;
	p->cancel = run_cancel;

	rc = uv_tcp_open(&r->tcp, fd);
	if (rc != 0) {
		close(fd);
		snprintf(detail, sizeof(detail), "uv_tcp_open: %s",
			 uv_strerror(rc));
		p->run = NULL;
		run_close(r);
		probe_done(p, PROBE_RESULT_INTERNAL, detail);
		return;
	}
	uv_timer_start(&r->timer, on_timeout, p->timeout_ms, 0);
	rc = uv_tcp_connect(&r->req, &r->tcp, (const struct sockaddr *)&sin,
			    on_connect);
	if (rc != 0) {
		if (rc == UV_ECONNREFUSED)
			run_finish(r, PROBE_RESULT_TCP_REFUSED, 0);
		else
			run_finish(r, PROBE_RESULT_TCP_ERROR, -rc);
	}
}
