/*
 * provider_web.c - the web provider: one HTTP/1.0 request to a loopback
 * URL (method, headers, body; the whole exchange within
 * timeoutSeconds), the answer's JSON, and the value jsonPath picks
 * ($, $.a.b, $.a[0]) as `result`. The request runs as a job on libuv's
 * thread pool with its own copies, so the loop never waits; a job whose
 * run has ended is dropped when it returns. A status outside 2xx, a
 * timeout, a connection error or an answer that is not JSON is a
 * measurement error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/xalloc.h"
#include "internal.h"

#define WEB_ANSWER_MAX (1u << 20)

struct web_job {
	uv_work_t work;
	struct metric_run *mr; /* NULL once the run stopped waiting */
	char *request;
	size_t request_len;
	char host[64];
	int port;
	bool v6;
	int timeout_ms;
	/* results */
	int status;
	char *body;
	char error[160];
};

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for ev before the deadline; 0 or -1. */
static int wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int64_t left = deadline - ms_now();
	int r;

	if (left <= 0)
		return -1;
	do
		r = poll(&p, 1, (int)left);
	while (r == -1 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

static void web_work(uv_work_t *w)
{
	struct web_job *j = w->data;
	int64_t deadline = ms_now() + j->timeout_ms;
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	size_t off = 0, cap = 4096, len = 0;
	char *buf;
	int fd, err = 0;
	char *sep;

	j->status = -1;
	if (j->v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)j->port);
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)j->port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	}
	fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(j->error, sizeof(j->error), "socket: %s",
			 strerror(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1 &&
	    errno != EINPROGRESS) {
		snprintf(j->error, sizeof(j->error), "connect: %s",
			 strerror(errno));
		goto out;
	}
	if (wait_fd(fd, POLLOUT, deadline) == -1)
		goto timeout;
	sl = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == 0 && err) {
		snprintf(j->error, sizeof(j->error), "connect: %s",
			 strerror(err));
		goto out;
	}
	while (off < j->request_len) {
		ssize_t n = send(fd, j->request + off, j->request_len - off,
				 MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) == -1)
				goto timeout;
			continue;
		}
		snprintf(j->error, sizeof(j->error), "send: %s",
			 strerror(errno));
		goto out;
	}
	buf = xmalloc(cap);
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			if (cap >= WEB_ANSWER_MAX) {
				free(buf);
				snprintf(j->error, sizeof(j->error),
					 "answer larger than %u bytes",
					 WEB_ANSWER_MAX);
				goto out;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EAGAIN || errno == EINTR) {
			if (wait_fd(fd, POLLIN, deadline) == -1) {
				free(buf);
				goto timeout;
			}
			continue;
		}
		free(buf);
		snprintf(j->error, sizeof(j->error), "recv: %s",
			 strerror(errno));
		goto out;
	}
	buf[len] = '\0';
	if (sscanf(buf, "HTTP/%*d.%*d %d", &j->status) != 1 ||
	    (sep = strstr(buf, "\r\n\r\n")) == NULL) {
		free(buf);
		j->status = -1;
		snprintf(j->error, sizeof(j->error), "not an HTTP answer");
		goto out;
	}
	j->body = xstrdup(sep + 4);
	free(buf);
	goto out;
timeout:
	snprintf(j->error, sizeof(j->error), "no complete answer within %d s",
		 j->timeout_ms / 1000);
out:
	close(fd);
}

/* $, $.a.b, $.a[0]: the value, or NULL. */
static json_t *json_path(json_t *root, const char *path)
{
	const char *p = path;
	json_t *v = root;

	if (p == NULL || *p == '\0')
		return root;
	if (*p++ != '$')
		return NULL;
	while (*p && v) {
		if (*p == '.') {
			char key[128];
			size_t n = strcspn(p + 1, ".[");

			if (n == 0 || n >= sizeof(key))
				return NULL;
			snprintf(key, sizeof(key), "%.*s", (int)n, p + 1);
			v = json_object_get(v, key);
			p += 1 + n;
		} else if (*p == '[') {
			char *end;
			long i = strtol(p + 1, &end, 10);

			if (*end != ']' || i < 0)
				return NULL;
			v = json_array_get(v, (size_t)i);
			p = end + 1;
		} else {
			return NULL;
		}
	}
	return v;
}

static void web_after(uv_work_t *w, int status)
{
	struct web_job *j = w->data;
	struct metric_run *mr = j->mr;
	char msg[400], cond[300];
	json_t *root = NULL, *v;
	json_error_t je;
	enum analysis_phase ph;

	(void)status;
	if (mr == NULL)
		goto out;
	mr->web = NULL;
	if (j->status < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", mr->m->web_url, j->error);
		analysis_measured(mr, ANALYSIS_ERROR, msg);
		goto out;
	}
	if (j->status < 200 || j->status > 299) {
		snprintf(msg, sizeof(msg), "%s answered %d", mr->m->web_url,
			 j->status);
		analysis_measured(mr, ANALYSIS_ERROR, msg);
		goto out;
	}
	root = json_loads(j->body, JSON_DECODE_ANY, &je);
	v = root ? json_path(root, mr->m->web_json_path) : NULL;
	if (v == NULL) {
		snprintf(msg, sizeof(msg), "%s: %s", mr->m->web_url,
			 root ? "jsonPath selects nothing"
			      : "the answer is not JSON");
		analysis_measured(mr, ANALYSIS_ERROR, msg);
		goto out;
	}
	ph = analysis_conditions(mr->m, v, NULL, cond, sizeof(cond));
	snprintf(msg, sizeof(msg), "%s: %s", mr->m->web_url,
		 cond[0] == ';' ? cond + 2 : cond);
	if (mr->m->success_condition == NULL &&
	    mr->m->failure_condition == NULL)
		snprintf(msg, sizeof(msg), "%s answered %d", mr->m->web_url,
			 j->status);
	analysis_measured(mr, ph, msg);
out:
	json_decref(root);
	free(j->request);
	free(j->body);
	free(j);
}

void provider_web_measure(struct metric_run *mr)
{
	const struct analysis_metric *m = mr->m;
	struct web_job *j = xcalloc(1, sizeof(*j));
	const char *h = m->web_url + 7, *path;
	char hostport[80];
	size_t n;
	char *req;
	size_t body_len = m->web_body ? strlen(m->web_body) : 0;

	path = strchr(h, '/');
	n = path ? (size_t)(path - h) : strlen(h);
	snprintf(hostport, sizeof(hostport), "%.*s", (int)n, h);
	j->v6 = hostport[0] == '[';
	j->port = 80;
	{
		const char *colon = strrchr(hostport, ':');

		if (colon && (!j->v6 || colon > strchr(hostport, ']')))
			j->port = atoi(colon + 1);
	}
	req = xasprintf("%s %s HTTP/1.0\r\nHost: %s\r\nAccept: "
			"application/json\r\nContent-Length: %zu\r\n",
			m->web_method ? m->web_method : "GET",
			path ? path : "/", hostport, body_len);
	for (size_t i = 0; i < m->web_headers.n; i++) {
		char *r2 =
		    xasprintf("%s%s: %s\r\n", req, m->web_headers.v[i].key,
			      m->web_headers.v[i].value);

		free(req);
		req = r2;
	}
	{
		char *r2 =
		    xasprintf("%s\r\n%s", req, m->web_body ? m->web_body : "");

		free(req);
		req = r2;
	}
	j->request = req;
	j->request_len = strlen(req);
	j->timeout_ms = m->web_timeout_seconds * 1000;
	j->mr = mr;
	j->work.data = j;
	mr->web = j;
	if (uv_queue_work(mr->run->rs->env.loop, &j->work, web_work,
			  web_after) != 0) {
		mr->web = NULL;
		free(j->request);
		free(j);
		analysis_measured(mr, ANALYSIS_ERROR,
				  "could not queue the request");
	}
}

void provider_web_cancel(struct metric_run *mr)
{
	if (mr->web) {
		mr->web->mr = NULL;
		mr->web = NULL;
	}
}
