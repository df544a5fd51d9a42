/*
 * test_template_fields.c - the pod template's single field table
 * (config/template.c) against everything that can change a template:
 *  - every key a [deployment] section accepts, changed in the full example
 *    config, changes the revision hash exactly when it is a template key
 *    (so a key whose field the table misses fails here, by name);
 *  - every field of the table, changed in a loaded template, changes the
 *    hash, makes the templates unequal, and survives a deep copy and the
 *    JSON round trip (encode -> decode gives an equal template);
 *  - the hash of an unchanged template is the one earlier releases gave
 *    (a changed hash would roll out every deployment after an upgrade), and
 *    a template stored by them still loads to that hash.
 * Run from the repository root.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../common/xalloc.h"
#include "../../config/template.h"
#include "../../orchestrator/revision.h"
#include "../lib/tap.h"

#define FULL "tests/config/valid-full.ini"

static char *full_text;

/* A copy of the full example with, in section [deployment SEC], every line
 * of key `drop` (or every key under `drop` when it ends in '.') removed
 * and `add` (lines without the section's key prefix) put first. */
static char *edit(const char *sec, const char *drop, const char *add)
{
	char header[64];
	size_t cap = strlen(full_text) + strlen(add) + 8, n = 0;
	char *out = xmalloc(cap);
	bool in = false;

	snprintf(header, sizeof(header), "[deployment %s]", sec);
	for (const char *l = full_text; *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l + 1) : strlen(l);
		bool skip = false;

		if (l[0] == '[')
			in = strncmp(l, header, strlen(header)) == 0;
		else if (in && drop && strncmp(l, drop, strlen(drop)) == 0) {
			const char *r = l + strlen(drop);

			while (*r == ' ' || *r == '\t')
				r++;
			skip = drop[strlen(drop) - 1] == '.' || *r == '=';
		}
		if (!skip) {
			memcpy(out + n, l, len);
			n += len;
		}
		if (l[0] == '[' && in) {
			memcpy(out + n, add, strlen(add));
			n += strlen(add);
		}
		l += len;
	}
	out[n] = '\0';
	return out;
}

/* Loads text as a file of tests/config (relative paths resolve there) and
 * returns the hash of deployment sec, or "" with the error printed. */
static void hash_of(const char *text, const char *sec, char out[16])
{
	char path[] = "tests/config/.template-fields-XXXXXX";
	int fd = mkstemp(path);
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;
	const struct deployment_spec *d;

	out[0] = '\0';
	if (fd == -1 || write(fd, text, strlen(text)) < 0) {
		printf("# cannot write %s\n", path);
		return;
	}
	close(fd);
	if (cfg_load(path, &cfg, &err) == -1)
		printf("#   %s\n", err.msg);
	else if ((d = cfg_find_deployment(cfg, sec)) != NULL)
		template_hash(d, out);
	unlink(path);
	cfg_free(cfg);
}

/*
 * One change of one key: the section with `drop` removed and `a` added,
 * then with `b` instead. same: the hash must not change (keys outside the
 * template, and values that are the only ones accepted).
 */
struct change {
	const char *key, *sec, *drop, *a, *b;
	bool same;
};

static const struct change changes[] = {
    {"image", "echo", "image", "image = rootfs\n", "image = .\n", false},
    {"imagePullPolicy", "echo", "imagePullPolicy", "imagePullPolicy = Always\n",
     "imagePullPolicy = IfNotPresent\n", false},
    {"command", "echo", "command", "command = /bin/echo-version\n",
     "command = /bin/echo-version2\n", false},
    {"args", "echo", "args", "args = --listen :8080\n",
     "args = --listen :8081\n", false},
    {"env", "echo", "env", "env = VERSION=0.1.0\nenv = TAG=v$(VERSION)\n",
     "env = VERSION=0.1.0\nenv = TAG=v2\n", false},
    {"workingDir", "echo", "workingDir", "workingDir = /srv\n",
     "workingDir = /srv2\n", false},
    {"mount", "echo", "mount", "mount = data:/data:ro\nmount = /tmp:/scratch\n",
     "mount = data:/data:ro\nmount = /tmp:/scratch:ro\n", false},
    {"port", "echo", "port", "port = 8080\n", "port = 8081\n", false},
    {"portName", "echo", "portName", "portName = http\n", "portName = web\n",
     false},
    {"network", "echo", "network", "network = host\n", "network = private\n",
     false},
    {"restartPolicy", "echo", "restartPolicy", "restartPolicy = OnFailure\n",
     "restartPolicy = Never\n", false},
    {"terminationGracePeriodSeconds", "echo", "terminationGracePeriodSeconds",
     "terminationGracePeriodSeconds = 20\n",
     "terminationGracePeriodSeconds = 21\n", false},
    {"lifecycle.stopSignal", "echo", "lifecycle.stopSignal",
     "lifecycle.stopSignal = SIGQUIT\n", "lifecycle.stopSignal = SIGINT\n",
     false},
    {"lifecycle.preStop.exec.command", "worker", "lifecycle.preStop.",
     "lifecycle.preStop.exec.command = /bin/a\n",
     "lifecycle.preStop.exec.command = /bin/b\n", false},
    {"lifecycle.preStop.httpGet.path", "echo", "lifecycle.preStop.httpGet.path",
     "lifecycle.preStop.httpGet.path = /drain\n",
     "lifecycle.preStop.httpGet.path = /drain2\n", false},
    {"lifecycle.preStop.httpGet.port", "echo", "lifecycle.preStop.httpGet.port",
     "lifecycle.preStop.httpGet.port = 8080\n",
     "lifecycle.preStop.httpGet.port = 8081\n", false},
    {"lifecycle.preStop.httpGet.host", "echo", "lifecycle.preStop.httpGet.host",
     "lifecycle.preStop.httpGet.host = localhost\n",
     "lifecycle.preStop.httpGet.host = example\n", false},
    /* HTTP is the only scheme accepted */
    {"lifecycle.preStop.httpGet.scheme", "echo", NULL, "",
     "lifecycle.preStop.httpGet.scheme = HTTP\n", true},
    {"lifecycle.preStop.httpGet.httpHeaders", "echo", NULL, "",
     "lifecycle.preStop.httpGet.httpHeaders = X-A: b\n", false},
    {"lifecycle.preStop.sleep.seconds", "worker",
     "lifecycle.preStop.sleep.seconds", "lifecycle.preStop.sleep.seconds = 5\n",
     "lifecycle.preStop.sleep.seconds = 6\n", false},
    {"resources.limits.memory", "echo", "resources.limits.memory",
     "resources.limits.memory = 1.5Gi\n", "resources.limits.memory = 2Gi\n",
     false},
    {"resources.limits.cpu", "echo", "resources.limits.cpu",
     "resources.limits.cpu = 500m\n", "resources.limits.cpu = 1\n", false},
    {"resources.limits.pids", "echo", "resources.limits.pids",
     "resources.limits.pids = 256\n", "resources.limits.pids = 257\n", false},
    {"securityContext.runAsUser", "echo", "securityContext.runAsUser",
     "securityContext.runAsUser = 1000\n", "securityContext.runAsUser = 1002\n",
     false},
    {"securityContext.runAsGroup", "echo", "securityContext.runAsGroup",
     "securityContext.runAsGroup = 1001\n",
     "securityContext.runAsGroup = 1002\n", false},
    {"securityContext.readOnlyRootFilesystem", "echo",
     "securityContext.readOnlyRootFilesystem",
     "securityContext.readOnlyRootFilesystem = true\n",
     "securityContext.readOnlyRootFilesystem = false\n", false},
    {"securityContext.capabilities.drop", "echo",
     "securityContext.capabilities.drop",
     "securityContext.capabilities.drop = ALL\n",
     "securityContext.capabilities.drop = NET_RAW\n", false},
    {"securityContext.capabilities.add", "echo",
     "securityContext.capabilities.add",
     "securityContext.capabilities.add = CHOWN\n",
     "securityContext.capabilities.add = KILL\n", false},
    {"securityContext.seccompProfile", "echo", "securityContext.seccompProfile",
     "securityContext.seccompProfile = seccomp-ok.json\n",
     "securityContext.seccompProfile = Unconfined\n", false},
    /* outside the template */
    {"replicas", "echo", "replicas", "replicas = 4\n", "replicas = 5\n", true},
    {"labels", "echo", "labels", "labels = app=echo, track=stable\n",
     "labels = app=echo, track=canary\n", true},
    {"strategy.type", "worker", "strategy.type", "strategy.type = Recreate\n",
     "strategy.type = RollingUpdate\n", true},
    {"strategy.rollingUpdate.maxSurge", "echo",
     "strategy.rollingUpdate.maxSurge", "strategy.rollingUpdate.maxSurge = 1\n",
     "strategy.rollingUpdate.maxSurge = 2\n", true},
    {"strategy.rollingUpdate.maxUnavailable", "echo",
     "strategy.rollingUpdate.maxUnavailable",
     "strategy.rollingUpdate.maxUnavailable = 0\n",
     "strategy.rollingUpdate.maxUnavailable = 1\n", true},
    {"minReadySeconds", "echo", "minReadySeconds", "minReadySeconds = 5\n",
     "minReadySeconds = 6\n", true},
    {"progressDeadlineSeconds", "echo", "progressDeadlineSeconds",
     "progressDeadlineSeconds = 120\n", "progressDeadlineSeconds = 121\n",
     true},
    {"progressDeadlineAbort", "echo", "progressDeadlineAbort",
     "progressDeadlineAbort = true\n", "progressDeadlineAbort = false\n", true},
    {"strategy.canary.steps", "worker", "strategy.type",
     "strategy.type = Canary\nstrategy.canary.steps = setWeight 20, pause\n",
     "strategy.type = Canary\nstrategy.canary.steps = setWeight 50\n", true},
    {"strategy.canary.analysis.templates", "worker", "strategy.type",
     "strategy.type = Canary\nstrategy.canary.analysis.templates = check\n",
     "strategy.type = Canary\n", true},
    {"strategy.canary.analysis.startingStep", "worker", "strategy.type",
     "strategy.type = Canary\nstrategy.canary.steps = setWeight 20, "
     "pause\nstrategy.canary.analysis.startingStep = 1\n",
     "strategy.type = Canary\nstrategy.canary.steps = setWeight 20, "
     "pause\nstrategy.canary.analysis.startingStep = 0\n",
     true},
    {"strategy.canary.dynamicStableScale", "worker", "strategy.type",
     "strategy.type = Canary\nstrategy.canary.dynamicStableScale = true\n",
     "strategy.type = Canary\nstrategy.canary.dynamicStableScale = false\n",
     true},
    {"strategy.canary.abortScaleDownDelaySeconds", "worker", "strategy.type",
     "strategy.type = Canary\nstrategy.canary.abortScaleDownDelaySeconds = "
     "0\n",
     "strategy.type = Canary\nstrategy.canary.abortScaleDownDelaySeconds = "
     "60\n",
     true},
    {"strategy.blueGreen.activeService", "echo", "strategy.",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = "
     "echo-v6\n",
     true},
    {"strategy.blueGreen.previewService", "echo", "strategy.",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.previewService = echo-v6\n",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.previewService = "
     "echo-v6\nstrategy.blueGreen.autoPromotionEnabled = false\n",
     true},
    {"strategy.blueGreen.autoPromotionEnabled", "echo", "strategy.",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.autoPromotionEnabled = true\n",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.autoPromotionEnabled = false\n",
     true},
    {"strategy.blueGreen.autoPromotionSeconds", "echo", "strategy.",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.autoPromotionSeconds = 5\n",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.autoPromotionSeconds = 6\n",
     true},
    {"strategy.blueGreen.previewReplicaCount", "echo", "strategy.",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.previewReplicaCount = 1\n",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.previewReplicaCount = 2\n",
     true},
    {"strategy.blueGreen.scaleDownDelaySeconds", "echo", "strategy.",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.scaleDownDelaySeconds = 0\n",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.scaleDownDelaySeconds = 60\n",
     true},
    {"strategy.blueGreen.abortScaleDownDelaySeconds", "echo", "strategy.",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.abortScaleDownDelaySeconds = 0\n",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.abortScaleDownDelaySeconds = 60\n",
     true},
    {"strategy.blueGreen.prePromotionAnalysis", "echo", "strategy.",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.prePromotionAnalysis = smoke\n",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.prePromotionAnalysis = smoke-2\n",
     true},
    {"strategy.blueGreen.postPromotionAnalysis", "echo", "strategy.",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.postPromotionAnalysis = smoke\n",
     "strategy.type = BlueGreen\nstrategy.blueGreen.activeService = echo\n"
     "strategy.blueGreen.postPromotionAnalysis = smoke-2\n",
     true},
    {"strategy.canary.stickiness.cookie", "worker", "strategy.type",
     "strategy.type = Canary\nstrategy.canary.stickiness.cookie = a\n",
     "strategy.type = Canary\nstrategy.canary.stickiness.cookie = b\n", true},
    {"revisionHistoryLimit", "echo", "revisionHistoryLimit",
     "revisionHistoryLimit = 3\n", "revisionHistoryLimit = 4\n", true},
};

/* Probe keys, tried on the worker (which has no probe): a and b are the
 * lines under the probe's prefix; b_readiness, when set, is b for a
 * readiness probe, and b (then the only value accepted elsewhere, the
 * default) leaves the hash as it is. */
struct probe_change {
	const char *sub, *a, *b, *b_readiness;
	bool same, not_readiness;
};

static const struct probe_change probe_changes[] = {
    {"exec.command", "exec.command = /bin/a\n", "exec.command = /bin/b\n",
     false, false, false},
    {"httpGet.path", "httpGet.port = 80\nhttpGet.path = /a\n",
     "httpGet.port = 80\nhttpGet.path = /b\n", NULL, false, false},
    {"httpGet.port", "httpGet.port = 80\n", "httpGet.port = 81\n", NULL, false,
     false},
    {"httpGet.host", "httpGet.port = 80\nhttpGet.host = a\n",
     "httpGet.port = 80\nhttpGet.host = b\n", NULL, false, false},
    {"httpGet.scheme", "httpGet.port = 80\n",
     "httpGet.port = 80\nhttpGet.scheme = HTTP\n", NULL, true, false},
    {"httpGet.httpHeaders", "httpGet.port = 80\n",
     "httpGet.port = 80\nhttpGet.httpHeaders = X-A: b\n", NULL, false, false},
    {"tcpSocket.port", "tcpSocket.port = 80\n", "tcpSocket.port = 81\n", NULL,
     false, false},
    {"initialDelaySeconds", "tcpSocket.port = 80\n",
     "tcpSocket.port = 80\ninitialDelaySeconds = 7\n", NULL, false, false},
    {"periodSeconds", "tcpSocket.port = 80\n",
     "tcpSocket.port = 80\nperiodSeconds = 7\n", NULL, false, false},
    {"timeoutSeconds", "tcpSocket.port = 80\n",
     "tcpSocket.port = 80\ntimeoutSeconds = 7\n", NULL, false, false},
    {"successThreshold", "tcpSocket.port = 80\n",
     "tcpSocket.port = 80\nsuccessThreshold = 1\n",
     "tcpSocket.port = 80\nsuccessThreshold = 2\n", false, false},
    {"failureThreshold", "tcpSocket.port = 80\n",
     "tcpSocket.port = 80\nfailureThreshold = 7\n", NULL, false, false},
    {"terminationGracePeriodSeconds", "tcpSocket.port = 80\n",
     "tcpSocket.port = 80\nterminationGracePeriodSeconds = 7\n", NULL, false,
     true},
};

static const char *const probes[] = {"startupProbe.", "livenessProbe.",
				     "readinessProbe."};

/* "P.a = 1\nP.b = 2\n" from "a = 1\nb = 2\n". */
static char *prefixed(const char *prefix, const char *lines)
{
	size_t n = 0, cap = strlen(lines) * 2 + 256;
	char *out = xmalloc(cap);

	for (const char *l = lines; *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l + 1) : strlen(l);

		n += (size_t)snprintf(out + n, cap - n, "%s%.*s", prefix,
				      (int)len, l);
		l += len;
	}
	out[n] = '\0';
	return out;
}

static void try_change(const char *key, const char *sec, const char *drop,
		       const char *a, const char *b, bool same)
{
	char *ta = edit(sec, drop, a), *tb = edit(sec, drop, b);
	char ha[16], hb[16];

	hash_of(ta, sec, ha);
	hash_of(tb, sec, hb);
	if (ha[0] == '\0' || hb[0] == '\0')
		ok(0, "%s: both versions load", key);
	else if (same)
		is_str(hb, ha,
		       "%s: same hash (outside the template, or the only value "
		       "accepted)",
		       key);
	else
		ok(strcmp(ha, hb) != 0,
		   "%s: a changed value changes the hash "
		   "(%s -> %s)",
		   key, ha, hb);
	free(ta);
	free(tb);
}

/* Every deployment key must have a change above: a new key fails here
 * until it is listed, and then fails if its field is not in the table. */
struct keys_seen {
	size_t n_probe_keys, n_plain_keys;
};

static void check_key(const char *key, void *arg)
{
	struct keys_seen *seen = arg;

	for (size_t p = 0; p < sizeof(probes) / sizeof(*probes); p++) {
		size_t pl = strlen(probes[p]);

		if (strncmp(key, probes[p], pl) != 0)
			continue;
		for (size_t i = 0;
		     i < sizeof(probe_changes) / sizeof(*probe_changes); i++) {
			const struct probe_change *c = &probe_changes[i];
			bool readiness = p == 2;
			char *a, *b;

			if (strcmp(key + pl, c->sub) != 0)
				continue;
			seen->n_probe_keys++;
			a = prefixed(probes[p], c->a);
			b = prefixed(probes[p], readiness && c->b_readiness
						    ? c->b_readiness
						    : c->b);
			if (readiness && c->not_readiness) {
				char *t = edit("worker", NULL, b), h[16];

				hash_of(t, "worker", h);
				is_str(h, "",
				       "%s: refused on a readiness probe", key);
				free(t);
			} else {
				try_change(key, "worker", NULL, a, b,
					   c->same ||
					       (c->b_readiness && !readiness));
			}
			free(a);
			free(b);
			return;
		}
		ok(0, "%s: no change of this key is tried here; add one", key);
		return;
	}
	for (size_t i = 0; i < sizeof(changes) / sizeof(*changes); i++) {
		const struct change *c = &changes[i];

		if (strcmp(key, c->key) != 0)
			continue;
		seen->n_plain_keys++;
		try_change(key, c->sec, c->drop, c->a, c->b, c->same);
		return;
	}
	ok(0, "%s: no change of this key is tried here; add one", key);
}

static void check_every_key(void)
{
	struct keys_seen seen = {0};

	cfg_deployment_keys(check_key, &seen);
	is_int(seen.n_plain_keys, sizeof(changes) / sizeof(*changes),
	       "every change above is of a key the config accepts");
	ok(seen.n_probe_keys ==
	       3 * (sizeof(probe_changes) / sizeof(*probe_changes)),
	   "every probe change above is of keys the config accepts");
}

/* A field of the table, reached from the deployment_spec at `off`. */
struct leaf {
	char path[64];
	const struct tmpl_field *f;
	size_t off; /* of the struct the field's table is of */
};

static size_t collect(const struct tmpl_field *t, const char *prefix,
		      size_t off, struct leaf *out, size_t n)
{
	for (const struct tmpl_field *f = t; f->key != NULL; f++) {
		struct leaf *l = &out[n++];

		snprintf(l->path, sizeof(l->path), "%s%s", prefix, f->key);
		l->f = f;
		l->off = off;
		if (f->sub != NULL) {
			char p[64];

			snprintf(p, sizeof(p), "%s%s.", prefix, f->key);
			n = collect(f->sub, p, off + f->off, out, n);
		}
	}
	return n;
}

/* Changes the field at l in s to another valid value. */
static void mutate(struct deployment_spec *s, const struct leaf *l)
{
	char *p = (char *)s + l->off + l->f->off;
	const struct tmpl_field *f = l->f;

	switch (f->type) {
	case TMPL_STR: {
		char **sp = (char **)p;
		char *n = xasprintf("%sx", *sp ? *sp : "");

		free(*sp);
		*sp = n;
		break;
	}
	case TMPL_INT:
		*(int *)p += 1;
		break;
	case TMPL_ENUM:
		*(int *)p = (int)((*(int *)p + 1) % (f->max + 1));
		break;
	case TMPL_I64:
		*(int64_t *)p += 1;
		break;
	case TMPL_BOOL:
		*(bool *)p = !*(bool *)p;
		break;
	case TMPL_STRV: {
		struct strv *v = (struct strv *)p;

		v->v = xrealloc(v->v, (v->n + 2) * sizeof(char *));
		v->v[v->n++] = xstrdup("x");
		v->v[v->n] = NULL;
		break;
	}
	case TMPL_KVLIST: {
		struct kvlist *kl = (struct kvlist *)p;

		kl->v = xrealloc(kl->v, (kl->n + 1) * sizeof(*kl->v));
		kl->v[kl->n].key = xstrdup("X-Test");
		kl->v[kl->n++].value = xstrdup("x");
		break;
	}
	case TMPL_MOUNTS: {
		struct mount_spec **m = (struct mount_spec **)p;
		size_t *n = (size_t *)((char *)s + l->off + f->aux);

		*m = xrealloc(*m, (*n + 1) * sizeof(**m));
		(*m)[*n] =
		    (struct mount_spec){xstrdup("/a"), xstrdup("/b"), true};
		(*n)++;
		break;
	}
	case TMPL_HANDLER:
		/* its fields are changed one by one */
		break;
	case TMPL_PROBE:
		((struct probe_spec *)p)->set = !((struct probe_spec *)p)->set;
		break;
	case TMPL_STAMP:
		snprintf(p, f->aux, "2026-01-02T03:04:05Z");
		break;
	}
}

static void check_field(const struct deployment_spec *base,
			const struct leaf *l)
{
	struct deployment_spec *c = cfg_deployment_dup(base), *copy, *back;
	struct berr err = BERR_INIT;
	char h0[16], h1[16], h2[16];
	json_t *j;

	mutate(c, l);
	template_hash(base, h0);
	template_hash(c, h1);
	ok(strcmp(h0, h1) != 0, "field %s: a change changes the hash", l->path);
	ok(!cfg_template_equal(base, c), "field %s: a change is unequal",
	   l->path);
	copy = cfg_deployment_dup(c);
	ok(cfg_template_equal(copy, c), "field %s: a deep copy is equal",
	   l->path);
	j = template_json(c);
	back = template_from_json(j, base, &err);
	ok(back != NULL && cfg_template_equal(back, c),
	   "field %s: encode -> decode is equal (%s)", l->path, err.msg);
	if (back != NULL) {
		template_hash(back, h2);
		is_str(h2, h1, "field %s: and hashes the same", l->path);
	}
	json_decref(j);
	cfg_deployment_free(back);
	cfg_deployment_free(copy);
	cfg_deployment_free(c);
}

static void check_every_field(void)
{
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;
	struct leaf leaves[128];
	size_t n = collect(cfg_template_fields, "", 0, leaves, 0);
	const struct deployment_spec *echo;

	if (cfg_load(FULL, &cfg, &err) == -1) {
		ok(0, "load %s: %s", FULL, err.msg);
		return;
	}
	echo = cfg_find_deployment(cfg, "echo");
	ok(echo->startup_probe.set && echo->liveness_probe.set &&
	       echo->readiness_probe.set,
	   "the example sets every probe");
	for (size_t i = 0; i < n; i++)
		if (leaves[i].f->type != TMPL_HANDLER)
			check_field(echo, &leaves[i]);
	cfg_free(cfg);
}

/* Written with absolute paths so that its hash does not depend on where
 * the repository is. */
static const char golden_ini[] =
    "[berth]\n"
    "state_dir = /tmp\n"
    "run_dir = /tmp\n"
    "[deployment echo]\n"
    "image    = /\n"
    "command  = /bin/echo-version --name \"echo $(VERSION)\"\n"
    "args     = --listen :8080 --tag=$(TAG) $$(VERSION)\n"
    "env      = VERSION=0.1.0\n"
    "env      = TAG=v$(VERSION)\n"
    "workingDir = /srv\n"
    "mount    = /tmp:/data:ro\n"
    "mount    = /tmp:/scratch\n"
    "replicas = 4\n"
    "labels   = app=echo, track=stable\n"
    "port     = 8080\n"
    "network  = host\n"
    "restartPolicy = OnFailure\n"
    "terminationGracePeriodSeconds = 20\n"
    "lifecycle.stopSignal = SIGQUIT\n"
    "lifecycle.preStop.httpGet.path = /drain\n"
    "lifecycle.preStop.httpGet.port = 8080\n"
    "lifecycle.preStop.httpGet.host = localhost\n"
    "startupProbe.exec.command = test -f /tmp/warm\n"
    "startupProbe.failureThreshold = 30\n"
    "startupProbe.periodSeconds = 2\n"
    "livenessProbe.tcpSocket.port = 8080\n"
    "livenessProbe.initialDelaySeconds = 3\n"
    "livenessProbe.terminationGracePeriodSeconds = 5\n"
    "readinessProbe.httpGet.path = /healthz\n"
    "readinessProbe.httpGet.port = 8080\n"
    "readinessProbe.httpGet.httpHeaders = X-Probe: berth\n"
    "readinessProbe.httpGet.httpHeaders = Accept: text/plain\n"
    "readinessProbe.periodSeconds = 1\n"
    "readinessProbe.timeoutSeconds = 2\n"
    "readinessProbe.successThreshold = 2\n"
    "readinessProbe.failureThreshold = 4\n"
    "resources.limits.memory = 1.5Gi\n"
    "resources.limits.cpu = 500m\n"
    "resources.limits.pids = 256\n"
    "securityContext.runAsUser = 1000\n"
    "securityContext.runAsGroup = 1001\n"
    "securityContext.readOnlyRootFilesystem = true\n"
    "securityContext.capabilities.drop = ALL\n"
    "securityContext.capabilities.add = cap_net_bind_service,CHOWN\n"
    "securityContext.seccompProfile = Unconfined\n"
    "[deployment worker]\n"
    "image = /\n"
    "command = /bin/sh -c 'sleep 1000'\n"
    "lifecycle.preStop.sleep.seconds = 5\n";

/* The echo template above as the previous release stored it. */
static const char golden_json[] =
    "{\"args\":[\"--listen\",\":8080\",\"--tag=v0.1.0\",\"$(VERSION)\"],"
    "\"capAdd\":[\"NET_BIND_SERVICE\",\"CHOWN\"],\"capDrop\":[\"ALL\"],"
    "\"command\":[\"/bin/echo-version\",\"--name\",\"echo 0.1.0\"],"
    "\"cpu\":500,\"env\":[\"VERSION=0.1.0\",\"TAG=v0.1.0\"],\"gid\":1001,"
    "\"grace\":20,\"image\":\"/\",\"liveness\":{\"delay\":3,\"failure\":3,"
    "\"grace\":5,\"handler\":{\"exec\":[],\"headers\":[],\"host\":null,"
    "\"kind\":3,\"path\":null,\"port\":0,\"sleep\":0,\"tcp\":8080},"
    "\"period\":10,\"success\":1,\"timeout\":1},\"memory\":1610612736,"
    "\"mounts\":[[\"/tmp\",\"/data\",true],[\"/tmp\",\"/scratch\",false]],"
    "\"network\":1,\"pids\":256,\"port\":8080,\"preStop\":{\"exec\":[],"
    "\"headers\":[],\"host\":\"localhost\",\"kind\":2,\"path\":\"/drain\","
    "\"port\":8080,\"sleep\":0,\"tcp\":0},\"readiness\":{\"delay\":0,"
    "\"failure\":4,\"grace\":-1,\"handler\":{\"exec\":[],\"headers\":"
    "[[\"X-Probe\",\"berth\"],[\"Accept\",\"text/plain\"]],\"host\":null,"
    "\"kind\":2,\"path\":\"/healthz\",\"port\":8080,\"sleep\":0,\"tcp\":0},"
    "\"period\":1,\"success\":2,\"timeout\":2},\"restartPolicy\":1,"
    "\"roRoot\":true,\"seccomp\":1,\"seccompFile\":null,\"startup\":{"
    "\"delay\":0,\"failure\":30,\"grace\":-1,\"handler\":{\"exec\":[\"test\","
    "\"-f\",\"/tmp/warm\"],\"headers\":[],\"host\":null,\"kind\":1,\"path\":"
    "null,\"port\":0,\"sleep\":0,\"tcp\":0},\"period\":2,\"success\":1,"
    "\"timeout\":1},\"stopSignal\":3,\"uid\":1000,\"workingDir\":\"/srv\"}";

static void check_stable(void)
{
	char path[] = "/tmp/berth-test-template-XXXXXX";
	int fd = mkstemp(path);
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;
	struct deployment_spec *echo, *back;
	char h[16];
	json_t *j;
	char *text;

	if (fd == -1 || write(fd, golden_ini, sizeof(golden_ini) - 1) < 0) {
		ok(0, "write %s", path);
		return;
	}
	close(fd);
	if (cfg_load(path, &cfg, &err) == -1) {
		unlink(path);
		ok(0, "golden config loads: %s", err.msg);
		return;
	}
	unlink(path);
	echo = &cfg->deployments[0];
	template_hash(echo, h);
	is_str(h, "ba7f05", "the full template hashes as in earlier releases");
	template_hash(&cfg->deployments[1], h);
	is_str(h, "99b255", "a minimal template hashes as in earlier releases");
	j = template_json(echo);
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(text, golden_json, "the canonical JSON is unchanged");
	free(text);
	json_decref(j);

	j = json_loads(golden_json, 0, NULL);
	back = template_from_json(j, &cfg->deployments[1], &err);
	ok(back != NULL, "a template stored by earlier releases loads (%s)",
	   err.msg);
	if (back != NULL) {
		template_hash(back, h);
		is_str(h, "ba7f05", "and hashes to the hash recorded with it");
		ok(cfg_template_equal(back, echo), "and is the same template");
	}
	cfg_deployment_free(back);
	json_decref(j);

	snprintf(echo->restarted_at, sizeof(echo->restarted_at),
		 "2026-01-02T03:04:05Z");
	template_hash(echo, h);
	is_str(h, "c3365d",
	       "the restart stamp is hashed as in earlier releases");
	cfg_free(cfg);
}

int main(void)
{
	size_t len;
	struct berr err = BERR_INIT;

	if (file_read_all(FULL, &full_text, &len, &err) == -1) {
		ok(0, "read %s: %s", FULL, err.msg);
		return tap_done();
	}
	check_stable();
	check_every_key();
	check_every_field();
	free(full_text);
	return tap_done();
}
