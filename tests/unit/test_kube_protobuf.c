/*
 * test_kube_protobuf.c - Kubernetes' protobuf request bodies as JSON: the
 * wire format (varints up to ten bytes, negative int32, length-delimited
 * fields, repeated fields, map entries), the envelope, Go's omitempty
 * (zero values left out, pointer fields kept), IntOrString, Time,
 * inlined messages, a stand-in for fields berth does not read, and every
 * refusal (not protobuf, cut short, wrong wire type, invalid UTF-8, an
 * unknown kind, an encoded body, an unknown field). The bodies kubectl
 * 1.32 sent for `create deployment` and `create service clusterip` are
 * decoded as they came.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kube/protobuf.h"
#include "../lib/tap.h"

/* A message being written. */
struct buf {
	uint8_t b[4096];
	size_t n;
};

static void raw(struct buf *w, const void *p, size_t n)
{
	if (w->n + n > sizeof(w->b))
		abort();
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void uvar(struct buf *w, uint64_t v)
{
	uint8_t c;

	do {
		c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		raw(w, &c, 1);
	} while (v);
}

static void vint(struct buf *w, unsigned num, int64_t v)
{
	uvar(w, (uint64_t)num << 3);
	uvar(w, (uint64_t)v);
}

static void bytes(struct buf *w, unsigned num, const void *p, size_t n)
{
	uvar(w, (uint64_t)num << 3 | 2);
	uvar(w, n);
	raw(w, p, n);
}

static void str(struct buf *w, unsigned num, const char *s)
{
	bytes(w, num, s, strlen(s));
}

static void msg(struct buf *w, unsigned num, const struct buf *m)
{
	bytes(w, num, m->b, m->n);
}

static void entry(struct buf *w, unsigned num, const char *k, const char *v)
{
	struct buf e = {0};

	str(&e, 1, k);
	str(&e, 2, v);
	msg(w, num, &e);
}

/* "k8s\0" + Unknown{typeMeta{apiVersion, kind}, raw}. */
static void envelope(struct buf *w, const char *av, const char *kind,
		     const struct buf *body)
{
	struct buf u = {0}, tm = {0};

	raw(w, "k8s\0", 4);
	str(&tm, 1, av);
	str(&tm, 2, kind);
	msg(&u, 1, &tm);
	msg(&u, 2, body);
	str(&u, 3, "");
	str(&u, 4, "");
	raw(w, u.b, u.n);
}

static json_t *decode(const struct buf *w, int *code, char *why)
{
	return kube_pb_decode(w->b, w->n, code, why, 512);
}

/* got equals the JSON text want. */
static void same(json_t *got, const char *want, const char *what)
{
	json_t *w = json_loads(want, 0, NULL);
	char *g = got ? json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	int eq = got && w && json_equal(got, w);

	ok(eq, "%s", what);
	if (!eq)
		printf("#   got  %s\n#   want %s\n", g ? g : "NULL", want);
	free(g);
	json_decref(w);
}

static void refused(const struct buf *w, int want_code, const char *want_why,
		    const char *what)
{
	int code = 0;
	char why[512] = "";
	json_t *j = decode(w, &code, why);

	ok(j == NULL && code == want_code && strstr(why, want_why), "%s", what);
	if (j || code != want_code || !strstr(why, want_why))
		printf("#   code %d, why \"%s\"; want %d, \"%s\"\n", code, why,
		       want_code, want_why);
	json_decref(j);
}

/* What `kubectl create deployment web --image=nginx:1.27 --replicas=2
 * --port=8080 -- /bin/srv -p 8080` (1.32) puts in the body, written out
 * field by field, with every Go zero value gogo-protobuf writes. */
static void create_deployment(struct buf *w)
{
	struct buf meta = {0}, spec = {0}, sel = {0}, tmpl = {0}, tmeta = {0},
		   pod = {0}, ctr = {0}, port = {0}, res = {0}, strat = {0},
		   dep = {0}, empty = {0};

	str(&meta, 1, "web");
	str(&meta, 2, "");
	str(&meta, 3, "");
	str(&meta, 4, "");
	str(&meta, 5, "");
	str(&meta, 6, "");
	vint(&meta, 7, 0);
	msg(&meta, 8, &empty); /* creationTimestamp: zero */
	entry(&meta, 11, "app", "web");
	str(&tmeta, 1, "");
	vint(&tmeta, 7, 0);
	msg(&tmeta, 8, &empty);
	entry(&tmeta, 11, "app", "web");
	str(&ctr, 1, "nginx");
	str(&ctr, 2, "nginx:1.27");
	str(&ctr, 3, "/bin/srv");
	str(&ctr, 3, "-p");
	str(&ctr, 3, "8080");
	str(&ctr, 5, "");
	str(&port, 1, "");
	vint(&port, 2, 0);
	vint(&port, 3, 8080);
	str(&port, 4, "");
	str(&port, 5, "");
	msg(&ctr, 6, &port);
	msg(&ctr, 8, &res);
	str(&ctr, 13, "");
	str(&ctr, 14, "");
	vint(&ctr, 16, 0);
	vint(&ctr, 17, 0);
	vint(&ctr, 18, 0);
	str(&ctr, 20, "");
	msg(&pod, 2, &ctr);
	str(&pod, 3, "");
	str(&pod, 6, "");
	str(&pod, 8, "");
	str(&pod, 9, "");
	str(&pod, 10, "");
	vint(&pod, 11, 0);
	vint(&pod, 12, 0);
	vint(&pod, 13, 0);
	str(&pod, 16, "");
	str(&pod, 17, "");
	str(&pod, 19, "");
	str(&pod, 24, "");
	msg(&tmpl, 1, &tmeta);
	msg(&tmpl, 2, &pod);
	entry(&sel, 1, "app", "web");
	vint(&spec, 1, 2);
	msg(&spec, 2, &sel);
	msg(&spec, 3, &tmpl);
	str(&strat, 1, "");
	msg(&spec, 4, &strat);
	vint(&spec, 5, 0);
	vint(&spec, 7, 0);
	msg(&dep, 1, &meta);
	msg(&dep, 2, &spec);
	msg(&dep, 3, &empty);
	envelope(w, "apps/v1", "Deployment", &dep);
}

static void test_deployment(void)
{
	struct buf w = {0};
	int code = -1;
	char why[512] = "";
	json_t *j;

	create_deployment(&w);
	j = decode(&w, &code, why);
	same(j,
	     "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
	     "\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"}},"
	     "\"spec\":{\"replicas\":2,"
	     "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
	     "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
	     "\"spec\":{\"containers\":[{\"name\":\"nginx\","
	     "\"image\":\"nginx:1.27\",\"command\":[\"/bin/srv\",\"-p\","
	     "\"8080\"],\"ports\":[{\"containerPort\":8080}]}]}}}}",
	     "kubectl create deployment: the JSON it would have sent, "
	     "zero values left out");
	is_int(code, 0, "no error code");
	ok(j &&
	       !strcmp(json_object_iter_key(json_object_iter(j)), "apiVersion"),
	   "apiVersion comes first");
	json_decref(j);
}

/* The bodies kubectl 1.32.5 sent to berth (from `kubectl -v=9`) for
 * `kubectl create deployment web --image=nginx:1.27 --replicas=2
 * --port=8080 --dry-run=server -- /bin/srv -p 8080` and `kubectl create
 * service clusterip web --tcp=80:8080 --dry-run=server`. */
static const unsigned char kubectl_create_deployment[] = {
    0x6b, 0x38, 0x73, 0x00, 0x0a, 0x15, 0x0a, 0x07, 0x61, 0x70, 0x70, 0x73,
    0x2f, 0x76, 0x31, 0x12, 0x0a, 0x44, 0x65, 0x70, 0x6c, 0x6f, 0x79, 0x6d,
    0x65, 0x6e, 0x74, 0x12, 0xd3, 0x01, 0x0a, 0x1f, 0x0a, 0x03, 0x77, 0x65,
    0x62, 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a, 0x00, 0x32, 0x00, 0x38,
    0x00, 0x42, 0x00, 0x5a, 0x0a, 0x0a, 0x03, 0x61, 0x70, 0x70, 0x12, 0x03,
    0x77, 0x65, 0x62, 0x12, 0xa1, 0x01, 0x08, 0x02, 0x12, 0x0c, 0x0a, 0x0a,
    0x0a, 0x03, 0x61, 0x70, 0x70, 0x12, 0x03, 0x77, 0x65, 0x62, 0x1a, 0x86,
    0x01, 0x0a, 0x1c, 0x0a, 0x00, 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a,
    0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00, 0x5a, 0x0a, 0x0a, 0x03, 0x61,
    0x70, 0x70, 0x12, 0x03, 0x77, 0x65, 0x62, 0x12, 0x66, 0x12, 0x48, 0x0a,
    0x05, 0x6e, 0x67, 0x69, 0x6e, 0x78, 0x12, 0x0a, 0x6e, 0x67, 0x69, 0x6e,
    0x78, 0x3a, 0x31, 0x2e, 0x32, 0x37, 0x1a, 0x08, 0x2f, 0x62, 0x69, 0x6e,
    0x2f, 0x73, 0x72, 0x76, 0x1a, 0x02, 0x2d, 0x70, 0x1a, 0x04, 0x38, 0x30,
    0x38, 0x30, 0x2a, 0x00, 0x32, 0x0b, 0x0a, 0x00, 0x10, 0x00, 0x18, 0x90,
    0x3f, 0x22, 0x00, 0x2a, 0x00, 0x42, 0x00, 0x6a, 0x00, 0x72, 0x00, 0x80,
    0x01, 0x00, 0x88, 0x01, 0x00, 0x90, 0x01, 0x00, 0xa2, 0x01, 0x00, 0x1a,
    0x00, 0x32, 0x00, 0x42, 0x00, 0x4a, 0x00, 0x52, 0x00, 0x58, 0x00, 0x60,
    0x00, 0x68, 0x00, 0x82, 0x01, 0x00, 0x8a, 0x01, 0x00, 0x9a, 0x01, 0x00,
    0xc2, 0x01, 0x00, 0x22, 0x02, 0x0a, 0x00, 0x28, 0x00, 0x38, 0x00, 0x1a,
    0x0c, 0x08, 0x00, 0x10, 0x00, 0x18, 0x00, 0x20, 0x00, 0x28, 0x00, 0x38,
    0x00, 0x1a, 0x00, 0x22, 0x00,
};

static const unsigned char kubectl_create_service[] = {
    0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0d, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x07,
    0x53, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x12, 0x69, 0x0a, 0x1f, 0x0a,
    0x03, 0x77, 0x65, 0x62, 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a, 0x00,
    0x32, 0x00, 0x38, 0x00, 0x42, 0x00, 0x5a, 0x0a, 0x0a, 0x03, 0x61, 0x70,
    0x70, 0x12, 0x03, 0x77, 0x65, 0x62, 0x12, 0x42, 0x0a, 0x1b, 0x0a, 0x07,
    0x38, 0x30, 0x2d, 0x38, 0x30, 0x38, 0x30, 0x12, 0x03, 0x54, 0x43, 0x50,
    0x18, 0x50, 0x22, 0x07, 0x08, 0x00, 0x10, 0x90, 0x3f, 0x1a, 0x00, 0x28,
    0x00, 0x12, 0x0a, 0x0a, 0x03, 0x61, 0x70, 0x70, 0x12, 0x03, 0x77, 0x65,
    0x62, 0x1a, 0x00, 0x22, 0x09, 0x43, 0x6c, 0x75, 0x73, 0x74, 0x65, 0x72,
    0x49, 0x50, 0x3a, 0x00, 0x42, 0x00, 0x52, 0x00, 0x5a, 0x00, 0x60, 0x00,
    0x68, 0x00, 0x1a, 0x02, 0x0a, 0x00, 0x1a, 0x00, 0x22, 0x00,
};

static void test_kubectl_bodies(void)
{
	int code = -1;
	char why[512] = "";
	json_t *j;

	j = kube_pb_decode(kubectl_create_deployment,
			   sizeof(kubectl_create_deployment), &code, why,
			   sizeof(why));
	same(j,
	     "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
	     "\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"}},"
	     "\"spec\":{\"replicas\":2,"
	     "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
	     "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
	     "\"spec\":{\"containers\":[{\"name\":\"nginx\","
	     "\"image\":\"nginx:1.27\",\"command\":[\"/bin/srv\",\"-p\","
	     "\"8080\"],\"ports\":[{\"containerPort\":8080}]}]}}}}",
	     "kubectl's create deployment body, byte for byte");
	json_decref(j);
	j = kube_pb_decode(kubectl_create_service,
			   sizeof(kubectl_create_service), &code, why,
			   sizeof(why));
	same(j,
	     "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{"
	     "\"name\":\"web\",\"labels\":{\"app\":\"web\"}},\"spec\":{"
	     "\"ports\":[{\"name\":\"80-8080\",\"protocol\":\"TCP\","
	     "\"port\":80,\"targetPort\":8080}],\"selector\":{\"app\":"
	     "\"web\"},\"type\":\"ClusterIP\"}}",
	     "kubectl's create service clusterip body, byte for byte");
	json_decref(j);
}

static void test_scalars(void)
{
	struct buf w = {0}, dep = {0}, spec = {0}, meta = {0}, strat = {0},
		   ru = {0}, pct = {0}, num = {0}, ts = {0};
	json_t *j;
	int code;
	char why[512];

	str(&meta, 1, "x");
	vint(&meta, 10, -1); /* int64 pointer: -1, ten bytes */
	vint(&ts, 1, 1764927000);
	vint(&ts, 2, 5);
	msg(&meta, 9, &ts);
	entry(&meta, 12, "a", "1");
	entry(&meta, 12, "b", "");
	vint(&spec, 1, 0);  /* replicas: a pointer, 0 kept */
	vint(&spec, 5, -3); /* int32 -3: sign-extended to ten bytes */
	vint(&spec, 6, 0);  /* revisionHistoryLimit: pointer, kept */
	vint(&spec, 7, 1);  /* paused */
	vint(&spec, 99, 0); /* a newer field at its zero value */
	vint(&pct, 1, 1);
	str(&pct, 3, "25%");
	vint(&num, 1, 0);
	vint(&num, 2, 0); /* maxSurge 0: a pointer, kept */
	msg(&ru, 1, &pct);
	msg(&ru, 2, &num);
	str(&strat, 1, "RollingUpdate");
	msg(&strat, 2, &ru);
	msg(&spec, 4, &strat);
	msg(&dep, 1, &meta);
	msg(&dep, 2, &spec);
	envelope(&w, "apps/v1", "Deployment", &dep);
	j = decode(&w, &code, why);
	same(j,
	     "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
	     "\"metadata\":{\"name\":\"x\",\"deletionGracePeriodSeconds\":-1,"
	     "\"deletionTimestamp\":\"2025-12-05T09:30:00Z\","
	     "\"annotations\":{\"a\":\"1\",\"b\":\"\"}},"
	     "\"spec\":{\"replicas\":0,\"minReadySeconds\":-3,"
	     "\"revisionHistoryLimit\":0,\"paused\":true,"
	     "\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
	     "{\"maxUnavailable\":\"25%\",\"maxSurge\":0}}}}",
	     "pointers keep 0, negative varints, maps, IntOrString, Time");
	json_decref(j);
}

static void test_pod_parts(void)
{
	struct buf w = {0}, pod = {0}, spec = {0}, vol = {0}, src = {0},
		   hp = {0}, ctr = {0}, probe = {0}, ex = {0}, res = {0},
		   q = {0}, lim = {0}, aff = {0}, mnt = {0}, lc = {0}, ps = {0},
		   sl = {0}, meta = {0};
	json_t *j;
	int code;
	char why[512];

	str(&meta, 1, "p");
	str(&hp, 1, "/srv");
	msg(&src, 1, &hp);
	str(&vol, 1, "data");
	msg(&vol, 2, &src); /* VolumeSource: inlined in JSON */
	msg(&spec, 1, &vol);
	str(&ex, 1, "true");
	msg(&probe, 1, &(struct buf){0}); /* empty handler */
	{
		struct buf h = {0};

		msg(&h, 1, &ex);
		msg(&probe, 1, &h);
	}
	vint(&probe, 4, 2);
	str(&ctr, 1, "c");
	str(&ctr, 2, "img");
	msg(&ctr, 11, &probe);
	str(&q, 1, "64Mi");
	str(&lim, 1, "memory");
	msg(&lim, 2, &q);
	msg(&res, 1, &lim);
	msg(&ctr, 8, &res);
	str(&mnt, 1, "data");
	vint(&mnt, 2, 1);
	str(&mnt, 3, "/data");
	msg(&ctr, 9, &mnt);
	vint(&sl, 1, 3);
	msg(&ps, 4, &sl);
	msg(&lc, 2, &ps);
	msg(&ctr, 12, &lc);
	msg(&spec, 2, &ctr);
	str(&aff, 1, "x"); /* any content */
	msg(&spec, 18, &aff);
	vint(&spec, 4, 30);
	msg(&pod, 1, &meta);
	msg(&pod, 2, &spec);
	envelope(&w, "v1", "Pod", &pod);
	j = decode(&w, &code, why);
	same(j,
	     "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
	     "\"p\"},\"spec\":{\"volumes\":[{\"name\":\"data\",\"hostPath\":"
	     "{\"path\":\"/srv\"}}],\"containers\":[{\"name\":\"c\","
	     "\"image\":\"img\",\"readinessProbe\":{\"exec\":{\"command\":"
	     "[\"true\"]},\"periodSeconds\":2},\"resources\":{\"limits\":"
	     "{\"memory\":\"64Mi\"}},\"volumeMounts\":[{\"name\":\"data\","
	     "\"readOnly\":true,\"mountPath\":\"/data\"}],\"lifecycle\":"
	     "{\"preStop\":{\"sleep\":{\"seconds\":3}}}}],"
	     "\"affinity\":true,\"terminationGracePeriodSeconds\":30}}",
	     "a pod: inlined volume source and probe handler, quantities, "
	     "a field berth does not read stands as true");
	json_decref(j);
}

static void test_service(void)
{
	struct buf w = {0}, svc = {0}, meta = {0}, spec = {0}, p1 = {0},
		   tp = {0};
	json_t *j;
	int code;
	char why[512];

	str(&meta, 1, "web");
	vint(&tp, 2, 8080);
	str(&p1, 1, "");
	str(&p1, 2, "TCP");
	vint(&p1, 3, 26781);
	msg(&p1, 4, &tp);
	vint(&p1, 5, 0);
	msg(&spec, 1, &p1);
	entry(&spec, 2, "app", "web");
	str(&spec, 3, "");
	str(&spec, 4, "ClusterIP");
	str(&spec, 7, "");
	msg(&svc, 1, &meta);
	msg(&svc, 2, &spec);
	msg(&svc, 3, &(struct buf){0});
	envelope(&w, "v1", "Service", &svc);
	j = decode(&w, &code, why);
	same(j,
	     "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{"
	     "\"name\":\"web\"},\"spec\":{\"ports\":[{\"protocol\":\"TCP\","
	     "\"port\":26781,\"targetPort\":8080}],\"selector\":{\"app\":"
	     "\"web\"},\"type\":\"ClusterIP\"}}",
	     "a Service (targetPort a number, empty fields left out)");
	json_decref(j);
}

static void test_refusals(void)
{
	struct buf w, body, meta, bad;
	static const uint8_t utf8[] = {0xc3, 0x28};

	w = (struct buf){0};
	raw(&w, "{\"kind\":\"Deployment\"}", 21);
	refused(&w, 400, "not Kubernetes protobuf", "JSON is not protobuf");

	w = (struct buf){0};
	body = (struct buf){0};
	str(&body, 1, "x");
	envelope(&w, "v1", "ConfigMap", &body);
	refused(&w, 415, "not v1 ConfigMap",
		"an unsupported kind: 415 naming it");

	w = (struct buf){0};
	envelope(&w, "", "", &body);
	refused(&w, 415, "an object without a kind", "no kind: 415");

	w = (struct buf){0};
	{
		struct buf u = {0}, tm = {0};

		raw(&w, "k8s\0", 4);
		str(&tm, 1, "apps/v1");
		str(&tm, 2, "Deployment");
		msg(&u, 1, &tm);
		msg(&u, 2, &body);
		str(&u, 3, "gzip");
		raw(&w, u.b, u.n);
	}
	refused(&w, 415, "not gzip", "an encoded body: 415");

	/* A field number no message has, set. */
	w = (struct buf){0};
	body = (struct buf){0};
	meta = (struct buf){0};
	str(&meta, 1, "x");
	str(&meta, 40, "new");
	msg(&body, 1, &meta);
	envelope(&w, "apps/v1", "Deployment", &body);
	refused(&w, 415, "metadata: field 40 of meta.v1.ObjectMeta",
		"an unknown field that is set: 415 naming it");

	/* Cut short: the last byte of the envelope missing. */
	w = (struct buf){0};
	create_deployment(&w);
	w.n--;
	refused(&w, 400, "cut short", "a truncated body: 400");

	/* A string field sent as a varint. */
	w = (struct buf){0};
	body = (struct buf){0};
	meta = (struct buf){0};
	vint(&meta, 1, 7);
	msg(&body, 1, &meta);
	envelope(&w, "apps/v1", "Deployment", &body);
	refused(&w, 400, "metadata: malformed protobuf (field 1, name",
		"a wrong wire type: 400 naming the field");

	/* Invalid UTF-8 in a label, named by its path. */
	w = (struct buf){0};
	body = (struct buf){0};
	meta = (struct buf){0};
	bad = (struct buf){0};
	str(&bad, 1, "k");
	bytes(&bad, 2, utf8, sizeof(utf8));
	msg(&meta, 11, &bad);
	msg(&body, 1, &meta);
	envelope(&w, "apps/v1", "Deployment", &body);
	refused(&w, 400, "metadata.labels: not UTF-8", "invalid UTF-8: 400");

	/* A varint longer than ten bytes. */
	w = (struct buf){0};
	raw(&w, "k8s\0", 4);
	raw(&w, "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12);
	refused(&w, 400, "malformed protobuf", "an endless varint: 400");

	/* Groups (wire types 3 and 4) are not read. */
	w = (struct buf){0};
	raw(&w, "k8s\0\x0b", 5);
	refused(&w, 400, "wire type 3", "a group: 400");
}

int main(void)
{
	ok(kube_pb_content_type("application/vnd.kubernetes.protobuf"),
	   "the protobuf Content-Type");
	ok(kube_pb_content_type("application/vnd.kubernetes.protobuf; x=y"),
	   "... with a parameter");
	ok(!kube_pb_content_type("application/json"), "JSON is not protobuf");
	ok(!kube_pb_content_type(""), "no Content-Type is not protobuf");
	test_deployment();
	test_kubectl_bodies();
	test_scalars();
	test_pod_parts();
	test_service();
	test_refusals();
	return tap_done();
}
