/*
 * kube.c - brings the Kubernetes API up and down: credentials, TLS
 * context (made ahead by kube_prepare() when the daemon can), listener.
 * Owns struct kube_server; routes are route.c's.
 */
#include "kube.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/log.h"
#include "../common/xalloc.h"
#include "../orchestrator/model.h"
#include "kube_internal.h"
#include "objects.h"

/* The TLS context kube_prepare() made, and for which "LISTEN STATE_DIR". */
static SSL_CTX *early_ctx;
static char *early_for;

static void early_drop(void)
{
	SSL_CTX_free(early_ctx);
	early_ctx = NULL;
	free(early_for);
	early_for = NULL;
}

void kube_prepare(const char *listen, const char *state_dir)
{
	struct kube_pki_paths pki;
	struct berr err = BERR_INIT;

	early_drop();
	if (listen == NULL)
		return;
	kube_pki_paths_init(&pki, state_dir);
	/* an error is kube_start()'s to report: it tries again */
	if (kube_pki_ensure(&pki, listen, &err) == 0)
		early_ctx = kube_tls_ctx(pki.server_crt, pki.server_key,
					 pki.ca_crt, &err);
	if (early_ctx)
		early_for = xasprintf("%s %s", listen, state_dir);
	kube_pki_paths_free(&pki);
}

void kube_start(struct daemon *d)
{
	const char *listen = d->cfg ? d->cfg->kubernetes_api : NULL;
	struct berr err = BERR_INIT;
	struct kube_server *ks;
	SSL_CTX *ctx;
	struct stat st;
	int rc;

	if (listen == NULL || d->kube)
		return;
	ks = xcalloc(1, sizeof(*ks));
	ks->d = d;
	ks->listen = xstrdup(listen);
	kube_pki_paths_init(&ks->pki, d->state_dir);
	{
		char *want = xasprintf("%s %s", listen, d->state_dir);
		bool early = early_for && !strcmp(early_for, want);

		free(want);
		ctx = early ? early_ctx : NULL;
		early_ctx = NULL;
		early_drop();
	}
	if (ctx == NULL && kube_pki_ensure(&ks->pki, listen, &err) == -1) {
		berr_wrap(&err, "kubernetesAPI: credentials under `%s`",
			  ks->pki.dir);
		goto fail;
	}
	ks->ns_created_ms = stat(ks->pki.ca_crt, &st) == 0
				? (int64_t)st.st_mtime * 1000
				: now_ms();
	if (ctx == NULL)
		ctx = kube_tls_ctx(ks->pki.server_crt, ks->pki.server_key,
				   ks->pki.ca_crt, &err);
	if (ctx == NULL)
		goto fail;
	rc = kube_listen(d->loop, listen, ctx, kube_route, ks, &ks->listener,
			 &err);
	SSL_CTX_free(ctx); /* the listener holds its own reference */
	if (rc == -1)
		goto fail;
	log_info("kubernetes API on https://%s, kubeconfig %s", listen,
		 ks->pki.kubeconfig);
	kube_history_init(ks);
	kube_objects_load(ks);
	uv_timer_init(d->loop, &ks->tick);
	ks->tick.data = ks;
	ks->tick_open = true;
	d->kube = ks;
	return;
fail:
	log_warnx("%s; the Kubernetes API is not served (set kubernetesAPI = "
		  "ADDR:PORT or off)",
		  err.msg);
	kube_pki_paths_free(&ks->pki);
	free(ks->listen);
	free(ks);
}

int kube_listen_fd(struct daemon *d)
{
	struct kube_server *ks = d->kube;

	return ks ? kube_listener_fd(ks->listener) : -1;
}

static void server_free(struct kube_server *ks)
{
	kube_history_free(ks);
	kube_objects_free(ks);
	kube_pki_paths_free(&ks->pki);
	free(ks->listen);
	free(ks);
}

static void on_tick_closed(uv_handle_t *h)
{
	server_free(h->data);
}

void kube_stop(struct daemon *d)
{
	struct kube_server *ks = d->kube;

	early_drop();
	if (ks == NULL)
		return;
	d->kube = NULL;
	kube_watch_stop_all(ks);
	kube_follow_stop_all(ks);
	kube_listener_stop(ks->listener);
	if (ks->tick_open)
		uv_close((uv_handle_t *)&ks->tick, on_tick_closed);
	else
		server_free(ks);
}
