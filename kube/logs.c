/*
 * logs.c - GET .../pods/NAME/log (`kubectl logs [-f] [--tail N]`): the
 * container's output as text, from the log file the runtime writes; with
 * follow=true a chunked stream that ends when the container is no longer
 * running. Reads files and the model; changes nothing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/xalloc.h"
#include "../orchestrator/pod.h"
#include "../runtime/logs.h"
#include "kobj.h"
#include "kube_internal.h"

#define LOG_MAX_REPLY (16 * 1024 * 1024)
#define FOLLOW_MS 200

struct kube_follow {
	struct kube_follow *next;
	struct kube_server *ks;
	struct kube_conn *conn; /* NULL once the client is gone */
	char pod[64];
	char *path;
	off_t offset;
	uv_timer_t timer;
};

static void unlink_follow(struct kube_follow *f)
{
	struct kube_follow **pp;

	for (pp = &f->ks->follows; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
}

static void on_follow_closed(uv_handle_t *h)
{
	struct kube_follow *f = h->data;

	free(f->path);
	free(f);
}

static void follow_end(struct kube_follow *f)
{
	if (f->conn)
		kube_stream_end(f->conn);
	f->conn = NULL;
	unlink_follow(f);
	uv_timer_stop(&f->timer);
	uv_close((uv_handle_t *)&f->timer, on_follow_closed);
}

static void follow_client_gone(void *arg)
{
	struct kube_follow *f = arg;

	f->conn = NULL; /* the next tick ends the follow */
}

static void follow_tick(uv_timer_t *t)
{
	struct kube_follow *f = t->data;
	struct pod *p = pod_find(f->ks->d, f->pod);
	bool running = p && p->phase == POD_RUNNING;
	struct stat st;
	char buf[65536];

	if (f->conn && stat(f->path, &st) == 0) {
		cleanup_close int fd = open(f->path, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (st.st_size < f->offset)
			f->offset = 0; /* rotated by the size cap */
		if (fd >= 0 && lseek(fd, f->offset, SEEK_SET) != -1) {
			while (f->conn &&
			       (n = read(fd, buf, sizeof(buf))) > 0) {
				f->offset += n;
				if (kube_stream_write(f->conn, buf,
						      (size_t)n) == -1)
					f->conn = NULL;
			}
		}
	}
	if (f->conn == NULL || !running)
		follow_end(f);
}

/* The last n lines of text[0..*len) (n < 0: all). */
static const char *tail_lines(const char *text, size_t *len, long n)
{
	size_t i = *len;
	long seen = 0;

	if (n < 0)
		return text;
	if (i > 0 && text[i - 1] == '\n')
		i--;
	while (i > 0) {
		if (text[i - 1] == '\n' && ++seen == n)
			break;
		i--;
	}
	if (n == 0)
		i = *len;
	*len -= i;
	return text + i;
}

void kube_pod_log(struct kube_server *ks, struct kube_conn *c,
		  const struct kube_request *req, const char *name)
{
	struct pod *p = pod_find(ks->d, name);
	const char *container = p && p->deployment ? p->deployment->name : name;
	cleanup_free char *want = kube_query_get(req, "container");
	cleanup_free char *follow = kube_query_get(req, "follow");
	cleanup_free char *tail = kube_query_get(req, "tailLines");
	cleanup_free char *limit = kube_query_get(req, "limitBytes");
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	const char *out;
	size_t len;
	char msg[256];
	struct stat st;

	if (p == NULL || p->phase == POD_GONE) {
		snprintf(msg, sizeof(msg), "pods \"%s\" not found", name);
		kube_reply_json(
		    c, 404, kube_status(404, "NotFound", msg, "pods", name));
		return;
	}
	if (want && want[0] && strcmp(want, container)) {
		snprintf(msg, sizeof(msg),
			 "container %s is not valid for pod %s", want, name);
		kube_reply_json(
		    c, 400, kube_status(400, "BadRequest", msg, NULL, NULL));
		return;
	}
	path = pod_log_path(p);
	text = logs_read(path, LOG_MAX_REPLY, &len);
	out = tail_lines(text, &len, tail ? strtol(tail, NULL, 10) : -1);
	if (limit && strtol(limit, NULL, 10) > 0 &&
	    (size_t)strtol(limit, NULL, 10) < len)
		len = (size_t)strtol(limit, NULL, 10);
	if (follow && (!strcmp(follow, "true") || !strcmp(follow, "1") ||
		       !strcmp(follow, "True"))) {
		struct kube_follow *f = xcalloc(1, sizeof(*f));

		f->ks = ks;
		f->conn = c;
		snprintf(f->pod, sizeof(f->pod), "%s", name);
		f->path = xstrdup(path);
		f->offset = stat(path, &st) == 0 ? st.st_size : 0;
		kube_stream_begin(c, "text/plain", follow_client_gone, f);
		if (len)
			kube_stream_write(c, out, len);
		uv_timer_init(ks->d->loop, &f->timer);
		f->timer.data = f;
		uv_timer_start(&f->timer, follow_tick, FOLLOW_MS, FOLLOW_MS);
		f->next = ks->follows;
		ks->follows = f;
		return;
	}
	kube_reply(c, 200, "text/plain", out, len);
}

void kube_follow_stop_all(struct kube_server *ks)
{
	while (ks->follows)
		follow_end(ks->follows);
}
