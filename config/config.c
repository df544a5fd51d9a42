/*
 * config.c - cfg_load()/cfg_free() and the small helpers of config.h. Owns
 * the load sequence (read file, parse every line, validate across fields,
 * hand over or free everything), defaults and error formatting. Parsing
 * lines is config_ini.c's, keys config_keys.c's, rules config_validate.c's.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/fdio.h"
#include "../common/xalloc.h"
#include "config_internal.h"
#include "manifest.h"
#include "template.h"
#include "yaml_json.h"

void strv_free(struct strv *sv)
{
	if (sv == NULL)
		return;
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

void kvlist_free(struct kvlist *kl)
{
	if (kl == NULL)
		return;
	for (size_t i = 0; i < kl->n; i++) {
		free(kl->v[i].key);
		free(kl->v[i].value);
	}
	free(kl->v);
	kl->v = NULL;
	kl->n = 0;
}

const char *kvlist_get(const struct kvlist *kl, const char *key)
{
	for (size_t i = 0; i < kl->n; i++) {
		if (strcmp(kl->v[i].key, key) == 0)
			return kl->v[i].value;
	}
	return NULL;
}

bool kvlist_equal(const struct kvlist *a, const struct kvlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, b->v[i].key) ||
		    strcmp(a->v[i].value, b->v[i].value))
			return false;
	return true;
}

bool kvlist_matches(const struct kvlist *selector, const struct kvlist *labels)
{
	for (size_t i = 0; i < selector->n; i++) {
		const char *v = kvlist_get(labels, selector->v[i].key);

		if (v == NULL || strcmp(v, selector->v[i].value) != 0)
			return false;
	}
	return true;
}

static void deployment_free(struct deployment_spec *d)
{
	free(d->name);
	cfg_template_release(d);
	kvlist_free(&d->labels);
	canary_steps_free(&d->canary_steps);
	strv_free(&d->canary_analysis.templates);
	bluegreen_spec_free(&d->bluegreen);
}

void cfg_free(struct berth_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->state_dir);
	strv_free(&cfg->insecure_registries);
	free(cfg->image_import_dir);
	free(cfg->run_dir);
	free(cfg->runtime);
	free(cfg->admin);
	free(cfg->kubernetes_api);
	free(cfg->dashboard);
	for (size_t i = 0; i < cfg->n_analyses; i++)
		analysis_template_free(&cfg->analyses[i]);
	free(cfg->analyses);
	for (size_t i = 0; i < cfg->n_deployments; i++)
		deployment_free(&cfg->deployments[i]);
	free(cfg->deployments);
	for (size_t i = 0; i < cfg->n_services; i++) {
		struct service_spec *s = &cfg->services[i];

		free(s->name);
		free(s->listen);
		free(s->port_name);
		free(s->target_port_name);
		kvlist_free(&s->selector);
	}
	free(cfg->services);
	free(cfg);
}

const struct deployment_spec *cfg_find_deployment(const struct berth_config *c,
						  const char *name)
{
	for (size_t i = 0; i < c->n_deployments; i++) {
		if (strcmp(c->deployments[i].name, name) == 0)
			return &c->deployments[i];
	}
	return NULL;
}

bool cfg_service_port_named(const struct berth_config *c,
			    const struct service_spec *s)
{
	if (s->target_port_name == NULL)
		return true;
	for (size_t i = 0; i < c->n_deployments; i++) {
		const struct deployment_spec *d = &c->deployments[i];

		if (s->selector.n > 0 &&
		    kvlist_matches(&s->selector, &d->labels) && d->port_name &&
		    strcmp(d->port_name, s->target_port_name) == 0)
			return true;
	}
	return false;
}

static void probe_defaults(struct probe_spec *p)
{
	memset(p, 0, sizeof(*p));
	p->period_seconds = 10;
	p->timeout_seconds = 1;
	p->success_threshold = 1;
	p->failure_threshold = 3;
	p->termination_grace_period_seconds = -1;
}

void cfg_deployment_defaults(struct deployment_spec *d)
{
	memset(d, 0, sizeof(*d));
	d->network = NET_PRIVATE;
	d->restart_policy = RESTART_ALWAYS;
	d->termination_grace_period_seconds = 30;
	d->stop_signal = SIGTERM;
	probe_defaults(&d->startup_probe);
	probe_defaults(&d->liveness_probe);
	probe_defaults(&d->readiness_probe);
	d->run_as_user = -1;
	d->run_as_group = -1;
	d->seccomp = SECCOMP_RUNTIME_DEFAULT;
	d->replicas = 1;
	d->strategy = STRATEGY_ROLLING_UPDATE;
	d->max_surge = (struct int_or_percent){25, true};
	d->max_unavailable = (struct int_or_percent){25, true};
	d->progress_deadline_seconds = 600;
	d->revision_history_limit = 10;
	d->bluegreen.auto_promotion_enabled = true;
	d->bluegreen.auto_promotion_seconds = -1;
	d->bluegreen.preview_replica_count = -1;
	d->bluegreen.scale_down_delay_seconds = 30;
	d->bluegreen.abort_scale_down_delay_seconds = 30;
	d->canary_abort_scale_down_delay_seconds = -1;
}

void cfg_service_defaults(struct service_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->mode = SERVICE_HTTP;
	s->balance = BALANCE_ROUND_ROBIN;
	s->timeout_connect_ms = 5000;
	s->timeout_client_ms = 60000;
	s->timeout_server_ms = 60000;
	s->timeout_response_ms = 60000;
	s->timeout_http_request_ms = 10000;
}

static struct berth_config *config_new(void)
{
	struct berth_config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->state_dir = xstrdup("/var/lib/berth");
	cfg->run_dir = xstrdup("/run/berth");
	cfg->runtime = xstrdup("runc");
	cfg->admin = xstrdup("127.0.0.1:9180");
	cfg->kubernetes_api = xstrdup("127.0.0.1:6443");
	cfg->dashboard = xstrdup("127.0.0.1:9181");
	cfg->backoff_initial_seconds = 10;
	cfg->backoff_max_seconds = 300;
	cfg->container_log_max_size = 10 * 1024 * 1024;
	cfg->container_log_max_files = 5;
	cfg->backoff_reset_seconds = 600;
	cfg->image_gc_high_percent = 85;
	cfg->image_gc_low_percent = 80;
	return cfg;
}

static int vformat(struct cfg_parse *pc, int line, const char *fmt, va_list ap)
{
	char msg[BERR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		berr_set(pc->err, "%s:%d: %s", pc->file, line, msg);
	else
		berr_set(pc->err, "%s: %s", pc->file, msg);
	pc->failed = true;
	pc->err_line = line;
	return -1;
}

int cfg_perr(struct cfg_parse *pc, const char *fmt, ...)
{
	va_list ap;

	if (pc->failed)
		return -1;
	va_start(ap, fmt);
	vformat(pc, pc->line, fmt, ap);
	va_end(ap);
	return -1;
}

int cfg_verr(struct cfg_parse *pc, int line, const char *fmt, ...)
{
	va_list ap;

	if (pc->failed &&
	    (pc->err_line == 0 || pc->err_line <= line || line == 0))
		return -1;
	va_start(ap, fmt);
	vformat(pc, line, fmt, ap);
	va_end(ap);
	return -1;
}

const char *cfg_section_label(struct cfg_parse *pc, enum cfg_section sec,
			      size_t idx, char *buf, size_t len)
{
	switch (sec) {
	case CFG_SEC_BERTH:
		snprintf(buf, len, "[berth]");
		break;
	case CFG_SEC_DEPLOYMENT:
		snprintf(buf, len, "[deployment %s]",
			 pc->cfg->deployments[idx].name);
		break;
	case CFG_SEC_SERVICE:
		snprintf(buf, len, "[service %s]", pc->cfg->services[idx].name);
		break;
	case CFG_SEC_ANALYSIS:
		snprintf(buf, len, "[analysis %s]",
			 pc->cfg->analyses[idx].name);
		break;
	default:
		snprintf(buf, len, "(no section)");
		break;
	}
	return buf;
}

char *cfg_path_resolve(const char *dir, const char *p)
{
	char *joined = p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", dir, p);
	char *out = xmalloc(strlen(joined) + 2);
	size_t ol = 0;
	char *save = NULL;

	/* Fold "." and ".." lexically: the path need not exist yet. */
	for (char *c = strtok_r(joined, "/", &save); c != NULL;
	     c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			while (ol > 0 && out[ol - 1] != '/')
				ol--;
			if (ol > 0)
				ol--;
			continue;
		}
		out[ol++] = '/';
		memcpy(out + ol, c, strlen(c));
		ol += strlen(c);
	}
	if (ol == 0)
		out[ol++] = '/';
	out[ol] = '\0';
	free(joined);
	return out;
}

/* Absolute path of the file and its folder, without resolving symlinks. */
static void file_paths(const char *path, char **abs_out, char **dir_out,
		       char **shown_dir_out)
{
	char *cwd = getcwd(NULL, 0);
	char *abs = cfg_path_resolve(cwd ? cwd : "/", path);
	char *slash = strrchr(abs, '/');
	const char *given_slash = strrchr(path, '/');

	free(cwd);
	*dir_out =
	    slash == abs ? xstrdup("/") : xstrndup(abs, (size_t)(slash - abs));
	*abs_out = abs;
	if (given_slash == NULL)
		*shown_dir_out = xstrdup(".");
	else if (given_slash == path)
		*shown_dir_out = xstrdup("/");
	else
		*shown_dir_out = xstrndup(path, (size_t)(given_slash - path));
}

/* INI or Kubernetes manifests, by the name and the first lines. */
static int parse_text(struct cfg_parse *pc)
{
	return yaml_looks_like(pc->file, pc->buf, pc->len)
		   ? cfg_manifest_parse(pc)
		   : cfg_ini_parse(pc);
}

static int parse_docs(struct cfg_parse *pc)
{
	return cfg_manifest_read_docs(pc, pc->docs, pc->doc_lines);
}

/* Parses pc's input with parse and validates (dir: the file's folder,
 * shown_dir: that folder as the user wrote it; both owned by pc
 * afterwards). */
static int load_with(struct cfg_parse *pc, int (*parse)(struct cfg_parse *),
		     struct berth_config **out)
{
	int rc = parse(pc);

	if (rc == 0)
		rc = cfg_validate(pc);
	free(pc->dir);
	free(pc->shown_dir);
	cfg_seen_free(pc);
	if (rc == -1) {
		cfg_free(pc->cfg);
		return -1;
	}
	*out = pc->cfg;
	return 0;
}

int cfg_load(const char *path, struct berth_config **out, struct berr *err)
{
	struct cfg_parse pc = {0};
	char *buf = NULL;
	size_t len = 0;
	int rc;

	/* Regular files only, bounded: apply runs on the daemon's loop. */
	if (file_read_bounded(path, CFG_FILE_MAX, 0, &buf, &len, err) == -1)
		return berr_wrap(err, "%s: cannot read", path);
	pc.cfg = config_new();
	pc.file = path;
	pc.err = err;
	file_paths(path, &pc.cfg->path, &pc.dir, &pc.shown_dir);
	pc.buf = buf;
	pc.len = len;
	rc = load_with(&pc, parse_text, out);
	free(buf);
	return rc;
}

int cfg_load_buffer(const char *name, const char *dir, const char *buf,
		    size_t len, struct berth_config **out, struct berr *err)
{
	struct cfg_parse pc = {0};

	pc.cfg = config_new();
	pc.file = name;
	pc.err = err;
	pc.cfg->path = xstrdup(name);
	pc.dir = xstrdup(dir);
	pc.shown_dir = xstrdup(dir);
	pc.buf = buf;
	pc.len = len;
	return load_with(&pc, parse_text, out);
}

int cfg_load_object(const char *name, const char *dir, json_t *docs,
		    json_t *lines, const struct cfg_object_opts *o,
		    struct berth_config **out, struct berr *err)
{
	struct cfg_parse pc = {0};

	pc.cfg = config_new();
	pc.file = name;
	pc.err = err;
	pc.cfg->path = xstrdup(name);
	pc.dir = xstrdup(dir);
	pc.shown_dir = xstrdup(dir);
	pc.docs = docs;
	pc.doc_lines = lines;
	pc.object = o;
	return load_with(&pc, parse_docs, out);
}

int cfg_load_manifests(const char *name, const char *dir, json_t *docs,
		       struct berth_config **out, struct berr *err)
{
	return cfg_load_object(name, dir, docs, NULL, NULL, out, err);
}
