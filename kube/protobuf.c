/*
 * protobuf.c - Kubernetes' protobuf request bodies as JSON: the wire
 * format (varints, length-delimited fields), the envelope ("k8s\0" +
 * runtime.Unknown) and one table per message berth reads (apps/v1
 * Deployment, v1 Service, v1 Pod and what they hold), each field with its
 * number (Kubernetes' generated.proto), its JSON name and type. The JSON
 * is what the JSON path of the API checks and maps; nothing here decides
 * what berth supports. Pure: no berth object, no I/O.
 */
#include "protobuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum pbt {
	T_STR,	  /* string */
	T_I32,	  /* int32 (negative: ten bytes, sign-extended) */
	T_I64,	  /* int64 */
	T_BOOL,	  /* bool */
	T_STRS,	  /* repeated string */
	T_MSG,	  /* a message: an object */
	T_MSGS,	  /* repeated message: an array of objects */
	T_INLINE, /* a message whose fields Go's JSON inlines */
	T_MAP,	  /* map<string, string> */
	T_QMAP,	  /* map<string, resource.Quantity> */
	T_INTSTR, /* intstr.IntOrString: a number or a string */
	T_TIME,	  /* meta/v1 Time: an RFC 3339 string */
	T_OPAQUE, /* a message berth does not read: `true` when set */
	T_SKIP,	  /* written by the server (status): not read */
};

/* Go pointer: present even when it holds the zero value. */
#define PTR 1

struct pbm;

struct pbf {
	uint32_t num;
	const char *name;
	enum pbt type;
	unsigned flags;
	const struct pbm *msg; /* T_MSG, T_MSGS, T_INLINE */
};

struct pbm {
	const char *name; /* as generated.proto names it, for errors */
	const struct pbf *f;
};

#define M(var, nm, ...)                                                        \
	static const struct pbf var##_f[] = {__VA_ARGS__, {0}};                \
	static const struct pbm var = {nm, var##_f}

/* apimachinery: meta/v1, runtime */
M(m_typemeta, "runtime.TypeMeta", {1, "apiVersion", T_STR, 0, NULL},
  {2, "kind", T_STR, 0, NULL});
M(m_unknown, "runtime.Unknown", {1, "typeMeta", T_MSG, 0, &m_typemeta},
  {2, "raw", T_SKIP, 0, NULL}, {3, "contentEncoding", T_STR, 0, NULL},
  {4, "contentType", T_STR, 0, NULL});
M(m_ownerref, "meta.v1.OwnerReference", {1, "kind", T_STR, 0, NULL},
  {3, "name", T_STR, 0, NULL}, {4, "uid", T_STR, 0, NULL},
  {5, "apiVersion", T_STR, 0, NULL}, {6, "controller", T_BOOL, PTR, NULL},
  {7, "blockOwnerDeletion", T_BOOL, PTR, NULL});
M(m_objectmeta, "meta.v1.ObjectMeta", {1, "name", T_STR, 0, NULL},
  {2, "generateName", T_STR, 0, NULL}, {3, "namespace", T_STR, 0, NULL},
  {4, "selfLink", T_STR, 0, NULL}, {5, "uid", T_STR, 0, NULL},
  {6, "resourceVersion", T_STR, 0, NULL}, {7, "generation", T_I64, 0, NULL},
  {8, "creationTimestamp", T_TIME, 0, NULL},
  {9, "deletionTimestamp", T_TIME, 0, NULL},
  {10, "deletionGracePeriodSeconds", T_I64, PTR, NULL},
  {11, "labels", T_MAP, 0, NULL}, {12, "annotations", T_MAP, 0, NULL},
  {13, "ownerReferences", T_MSGS, 0, &m_ownerref},
  {14, "finalizers", T_STRS, 0, NULL},
  {17, "managedFields", T_OPAQUE, 0, NULL});
M(m_selreq, "meta.v1.LabelSelectorRequirement", {1, "key", T_STR, 0, NULL},
  {2, "operator", T_STR, 0, NULL}, {3, "values", T_STRS, 0, NULL});
M(m_selector, "meta.v1.LabelSelector", {1, "matchLabels", T_MAP, 0, NULL},
  {2, "matchExpressions", T_MSGS, 0, &m_selreq});

/* core/v1: the container */
M(m_exec, "core.v1.ExecAction", {1, "command", T_STRS, 0, NULL});
M(m_header, "core.v1.HTTPHeader", {1, "name", T_STR, 0, NULL},
  {2, "value", T_STR, 0, NULL});
M(m_httpget, "core.v1.HTTPGetAction", {1, "path", T_STR, 0, NULL},
  {2, "port", T_INTSTR, 0, NULL}, {3, "host", T_STR, 0, NULL},
  {4, "scheme", T_STR, 0, NULL}, {5, "httpHeaders", T_MSGS, 0, &m_header});
M(m_tcp, "core.v1.TCPSocketAction", {1, "port", T_INTSTR, 0, NULL},
  {2, "host", T_STR, 0, NULL});
M(m_sleep, "core.v1.SleepAction", {1, "seconds", T_I64, 0, NULL});
M(m_probehandler, "core.v1.ProbeHandler", {1, "exec", T_MSG, 0, &m_exec},
  {2, "httpGet", T_MSG, 0, &m_httpget}, {3, "tcpSocket", T_MSG, 0, &m_tcp},
  {4, "grpc", T_OPAQUE, 0, NULL});
M(m_probe, "core.v1.Probe", {1, "handler", T_INLINE, 0, &m_probehandler},
  {2, "initialDelaySeconds", T_I32, 0, NULL},
  {3, "timeoutSeconds", T_I32, 0, NULL}, {4, "periodSeconds", T_I32, 0, NULL},
  {5, "successThreshold", T_I32, 0, NULL},
  {6, "failureThreshold", T_I32, 0, NULL},
  {7, "terminationGracePeriodSeconds", T_I64, PTR, NULL});
M(m_lchandler, "core.v1.LifecycleHandler", {1, "exec", T_MSG, 0, &m_exec},
  {2, "httpGet", T_MSG, 0, &m_httpget}, {3, "tcpSocket", T_MSG, 0, &m_tcp},
  {4, "sleep", T_MSG, 0, &m_sleep});
M(m_lifecycle, "core.v1.Lifecycle", {1, "postStart", T_MSG, 0, &m_lchandler},
  {2, "preStop", T_MSG, 0, &m_lchandler}, {3, "stopSignal", T_STR, PTR, NULL});
M(m_port, "core.v1.ContainerPort", {1, "name", T_STR, 0, NULL},
  {2, "hostPort", T_I32, 0, NULL}, {3, "containerPort", T_I32, 0, NULL},
  {4, "protocol", T_STR, 0, NULL}, {5, "hostIP", T_STR, 0, NULL});
M(m_env, "core.v1.EnvVar", {1, "name", T_STR, 0, NULL},
  {2, "value", T_STR, 0, NULL}, {3, "valueFrom", T_OPAQUE, 0, NULL});
M(m_resources, "core.v1.ResourceRequirements", {1, "limits", T_QMAP, 0, NULL},
  {2, "requests", T_QMAP, 0, NULL}, {3, "claims", T_OPAQUE, 0, NULL});
M(m_mount, "core.v1.VolumeMount", {1, "name", T_STR, 0, NULL},
  {2, "readOnly", T_BOOL, 0, NULL}, {3, "mountPath", T_STR, 0, NULL},
  {4, "subPath", T_STR, 0, NULL}, {5, "mountPropagation", T_STR, PTR, NULL},
  {6, "subPathExpr", T_STR, 0, NULL},
  {7, "recursiveReadOnly", T_STR, PTR, NULL});
M(m_caps, "core.v1.Capabilities", {1, "add", T_STRS, 0, NULL},
  {2, "drop", T_STRS, 0, NULL});
M(m_seccomp, "core.v1.SeccompProfile", {1, "type", T_STR, 0, NULL},
  {2, "localhostProfile", T_STR, PTR, NULL});
M(m_secctx, "core.v1.SecurityContext", {1, "capabilities", T_MSG, 0, &m_caps},
  {2, "privileged", T_BOOL, PTR, NULL},
  {3, "seLinuxOptions", T_OPAQUE, 0, NULL}, {4, "runAsUser", T_I64, PTR, NULL},
  {5, "runAsNonRoot", T_BOOL, PTR, NULL},
  {6, "readOnlyRootFilesystem", T_BOOL, PTR, NULL},
  {7, "allowPrivilegeEscalation", T_BOOL, PTR, NULL},
  {8, "runAsGroup", T_I64, PTR, NULL}, {9, "procMount", T_STR, PTR, NULL},
  {10, "windowsOptions", T_OPAQUE, 0, NULL},
  {11, "seccompProfile", T_MSG, 0, &m_seccomp},
  {12, "appArmorProfile", T_OPAQUE, 0, NULL});
M(m_container, "core.v1.Container", {1, "name", T_STR, 0, NULL},
  {2, "image", T_STR, 0, NULL}, {3, "command", T_STRS, 0, NULL},
  {4, "args", T_STRS, 0, NULL}, {5, "workingDir", T_STR, 0, NULL},
  {6, "ports", T_MSGS, 0, &m_port}, {7, "env", T_MSGS, 0, &m_env},
  {8, "resources", T_MSG, 0, &m_resources},
  {9, "volumeMounts", T_MSGS, 0, &m_mount},
  {10, "livenessProbe", T_MSG, 0, &m_probe},
  {11, "readinessProbe", T_MSG, 0, &m_probe},
  {12, "lifecycle", T_MSG, 0, &m_lifecycle},
  {13, "terminationMessagePath", T_STR, 0, NULL},
  {14, "imagePullPolicy", T_STR, 0, NULL},
  {15, "securityContext", T_MSG, 0, &m_secctx}, {16, "stdin", T_BOOL, 0, NULL},
  {17, "stdinOnce", T_BOOL, 0, NULL}, {18, "tty", T_BOOL, 0, NULL},
  {19, "envFrom", T_OPAQUE, 0, NULL},
  {20, "terminationMessagePolicy", T_STR, 0, NULL},
  {21, "volumeDevices", T_OPAQUE, 0, NULL},
  {22, "startupProbe", T_MSG, 0, &m_probe},
  {23, "resizePolicy", T_OPAQUE, 0, NULL},
  {24, "restartPolicy", T_STR, PTR, NULL});

/* core/v1: the pod */
M(m_hostpath, "core.v1.HostPathVolumeSource", {1, "path", T_STR, 0, NULL},
  {2, "type", T_STR, PTR, NULL});
/* berth mounts host paths only; the other sources keep their names. */
M(m_volsource, "core.v1.VolumeSource", {1, "hostPath", T_MSG, 0, &m_hostpath},
  {2, "emptyDir", T_OPAQUE, 0, NULL},
  {3, "gcePersistentDisk", T_OPAQUE, 0, NULL},
  {4, "awsElasticBlockStore", T_OPAQUE, 0, NULL},
  {5, "gitRepo", T_OPAQUE, 0, NULL}, {6, "secret", T_OPAQUE, 0, NULL},
  {7, "nfs", T_OPAQUE, 0, NULL}, {8, "iscsi", T_OPAQUE, 0, NULL},
  {9, "glusterfs", T_OPAQUE, 0, NULL},
  {10, "persistentVolumeClaim", T_OPAQUE, 0, NULL},
  {11, "rbd", T_OPAQUE, 0, NULL}, {12, "flexVolume", T_OPAQUE, 0, NULL},
  {13, "cinder", T_OPAQUE, 0, NULL}, {14, "cephfs", T_OPAQUE, 0, NULL},
  {15, "flocker", T_OPAQUE, 0, NULL}, {16, "downwardAPI", T_OPAQUE, 0, NULL},
  {17, "fc", T_OPAQUE, 0, NULL}, {18, "azureFile", T_OPAQUE, 0, NULL},
  {19, "configMap", T_OPAQUE, 0, NULL},
  {20, "vsphereVolume", T_OPAQUE, 0, NULL}, {21, "quobyte", T_OPAQUE, 0, NULL},
  {22, "azureDisk", T_OPAQUE, 0, NULL},
  {23, "photonPersistentDisk", T_OPAQUE, 0, NULL},
  {24, "portworxVolume", T_OPAQUE, 0, NULL}, {25, "scaleIO", T_OPAQUE, 0, NULL},
  {26, "projected", T_OPAQUE, 0, NULL}, {27, "storageos", T_OPAQUE, 0, NULL},
  {28, "csi", T_OPAQUE, 0, NULL}, {29, "ephemeral", T_OPAQUE, 0, NULL},
  {30, "image", T_OPAQUE, 0, NULL});
M(m_volume, "core.v1.Volume", {1, "name", T_STR, 0, NULL},
  {2, "volumeSource", T_INLINE, 0, &m_volsource});
M(m_podspec, "core.v1.PodSpec", {1, "volumes", T_MSGS, 0, &m_volume},
  {2, "containers", T_MSGS, 0, &m_container},
  {3, "restartPolicy", T_STR, 0, NULL},
  {4, "terminationGracePeriodSeconds", T_I64, PTR, NULL},
  {5, "activeDeadlineSeconds", T_I64, PTR, NULL},
  {6, "dnsPolicy", T_STR, 0, NULL}, {7, "nodeSelector", T_MAP, 0, NULL},
  {8, "serviceAccountName", T_STR, 0, NULL},
  {9, "serviceAccount", T_STR, 0, NULL}, {10, "nodeName", T_STR, 0, NULL},
  {11, "hostNetwork", T_BOOL, 0, NULL}, {12, "hostPID", T_BOOL, 0, NULL},
  {13, "hostIPC", T_BOOL, 0, NULL}, {14, "securityContext", T_OPAQUE, 0, NULL},
  {15, "imagePullSecrets", T_OPAQUE, 0, NULL}, {16, "hostname", T_STR, 0, NULL},
  {17, "subdomain", T_STR, 0, NULL}, {18, "affinity", T_OPAQUE, 0, NULL},
  {19, "schedulerName", T_STR, 0, NULL},
  {20, "initContainers", T_OPAQUE, 0, NULL},
  {21, "automountServiceAccountToken", T_BOOL, PTR, NULL},
  {22, "tolerations", T_OPAQUE, 0, NULL},
  {23, "hostAliases", T_OPAQUE, 0, NULL},
  {24, "priorityClassName", T_STR, 0, NULL}, {25, "priority", T_I32, PTR, NULL},
  {26, "dnsConfig", T_OPAQUE, 0, NULL},
  {27, "shareProcessNamespace", T_BOOL, PTR, NULL},
  {28, "readinessGates", T_OPAQUE, 0, NULL},
  {29, "runtimeClassName", T_STR, PTR, NULL},
  {30, "enableServiceLinks", T_BOOL, PTR, NULL},
  {31, "preemptionPolicy", T_STR, PTR, NULL}, {32, "overhead", T_QMAP, 0, NULL},
  {33, "topologySpreadConstraints", T_OPAQUE, 0, NULL},
  {34, "ephemeralContainers", T_OPAQUE, 0, NULL},
  {35, "setHostnameAsFQDN", T_BOOL, PTR, NULL}, {36, "os", T_OPAQUE, 0, NULL},
  {37, "hostUsers", T_BOOL, PTR, NULL},
  {38, "schedulingGates", T_OPAQUE, 0, NULL},
  {39, "resourceClaims", T_OPAQUE, 0, NULL},
  {40, "resources", T_OPAQUE, 0, NULL});
M(m_template, "core.v1.PodTemplateSpec",
  {1, "metadata", T_MSG, 0, &m_objectmeta}, {2, "spec", T_MSG, 0, &m_podspec});
M(m_pod, "core.v1.Pod", {1, "metadata", T_MSG, 0, &m_objectmeta},
  {2, "spec", T_MSG, 0, &m_podspec}, {3, "status", T_SKIP, 0, NULL});

/* core/v1: the service */
M(m_svcport, "core.v1.ServicePort", {1, "name", T_STR, 0, NULL},
  {2, "protocol", T_STR, 0, NULL}, {3, "port", T_I32, 0, NULL},
  {4, "targetPort", T_INTSTR, 0, NULL}, {5, "nodePort", T_I32, 0, NULL},
  {6, "appProtocol", T_STR, PTR, NULL});
M(m_svcspec, "core.v1.ServiceSpec", {1, "ports", T_MSGS, 0, &m_svcport},
  {2, "selector", T_MAP, 0, NULL}, {3, "clusterIP", T_STR, 0, NULL},
  {4, "type", T_STR, 0, NULL}, {5, "externalIPs", T_STRS, 0, NULL},
  {7, "sessionAffinity", T_STR, 0, NULL}, {8, "loadBalancerIP", T_STR, 0, NULL},
  {9, "loadBalancerSourceRanges", T_STRS, 0, NULL},
  {10, "externalName", T_STR, 0, NULL},
  {11, "externalTrafficPolicy", T_STR, 0, NULL},
  {12, "healthCheckNodePort", T_I32, 0, NULL},
  {13, "publishNotReadyAddresses", T_BOOL, 0, NULL},
  {14, "sessionAffinityConfig", T_OPAQUE, 0, NULL},
  {17, "ipFamilyPolicy", T_STR, PTR, NULL}, {18, "clusterIPs", T_STRS, 0, NULL},
  {19, "ipFamilies", T_STRS, 0, NULL},
  {20, "allocateLoadBalancerNodePorts", T_BOOL, PTR, NULL},
  {21, "loadBalancerClass", T_STR, PTR, NULL},
  {22, "internalTrafficPolicy", T_STR, PTR, NULL},
  {23, "trafficDistribution", T_STR, PTR, NULL});
M(m_service, "core.v1.Service", {1, "metadata", T_MSG, 0, &m_objectmeta},
  {2, "spec", T_MSG, 0, &m_svcspec}, {3, "status", T_SKIP, 0, NULL});

/* apps/v1 */
M(m_rolling, "apps.v1.RollingUpdateDeployment",
  {1, "maxUnavailable", T_INTSTR, PTR, NULL},
  {2, "maxSurge", T_INTSTR, PTR, NULL});
M(m_strategy, "apps.v1.DeploymentStrategy", {1, "type", T_STR, 0, NULL},
  {2, "rollingUpdate", T_MSG, 0, &m_rolling});
M(m_depspec, "apps.v1.DeploymentSpec", {1, "replicas", T_I32, PTR, NULL},
  {2, "selector", T_MSG, 0, &m_selector},
  {3, "template", T_MSG, 0, &m_template},
  {4, "strategy", T_MSG, 0, &m_strategy},
  {5, "minReadySeconds", T_I32, 0, NULL},
  {6, "revisionHistoryLimit", T_I32, PTR, NULL}, {7, "paused", T_BOOL, 0, NULL},
  {9, "progressDeadlineSeconds", T_I32, PTR, NULL});
M(m_deployment, "apps.v1.Deployment", {1, "metadata", T_MSG, 0, &m_objectmeta},
  {2, "spec", T_MSG, 0, &m_depspec}, {3, "status", T_SKIP, 0, NULL});

static const struct {
	const char *api_version, *kind;
	const struct pbm *msg;
} kinds[] = {
    {"apps/v1", "Deployment", &m_deployment},
    {"v1", "Service", &m_service},
    {"v1", "Pod", &m_pod},
};

/* The bytes being read. */
struct rd {
	const uint8_t *p, *end;
};

struct dec {
	int code;
	char *why;
	size_t why_len;
	char path[256];
};

static int fail(struct dec *d, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct dec *d, int code, const char *fmt, ...)
{
	va_list ap;

	if (d->code)
		return -1;
	d->code = code;
	va_start(ap, fmt);
	vsnprintf(d->why, d->why_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* The path for errors: "spec.template" or "(the object)". */
static const char *where(const struct dec *d)
{
	return d->path[0] ? d->path : "(the object)";
}

static int varint(struct rd *r, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (r->p == r->end)
			return -1;
		b = *r->p++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1; /* more than ten bytes */
}

/* One field: its number, wire type and value (a varint, or bytes). */
struct fld {
	uint32_t num;
	unsigned wire;
	uint64_t v;
	const uint8_t *b;
	size_t n;
};

/* 1 with the next field in f, 0 at the end, -1 on bytes that are not
 * protobuf (answered through d). */
static int next(struct rd *r, struct fld *f, struct dec *d)
{
	uint64_t key, n;

	if (r->p == r->end)
		return 0;
	if (varint(r, &key) == -1 || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
		return fail(d, 400, "%s: malformed protobuf (a bad field key)",
			    where(d));
	f->num = (uint32_t)(key >> 3);
	f->wire = key & 7;
	f->v = 0;
	f->b = NULL;
	f->n = 0;
	switch (f->wire) {
	case 0:
		if (varint(r, &f->v) == -1)
			break;
		return 1;
	case 1:
	case 5:
		n = f->wire == 1 ? 8 : 4;
		if ((uint64_t)(r->end - r->p) < n)
			break;
		for (unsigned i = 0; i < n; i++)
			f->v |= (uint64_t)r->p[i] << (8 * i);
		r->p += n;
		return 1;
	case 2:
		if (varint(r, &n) == -1 || n > (uint64_t)(r->end - r->p))
			break;
		f->b = r->p;
		f->n = (size_t)n;
		r->p += n;
		return 1;
	default:
		return fail(d, 400,
			    "%s: malformed protobuf (field %u has wire type "
			    "%u)",
			    where(d), f->num, f->wire);
	}
	return fail(d, 400, "%s: malformed protobuf (field %u is cut short)",
		    where(d), f->num);
}

static bool is_zero(const struct fld *f)
{
	return f->wire == 2 ? f->n == 0 : f->v == 0;
}

static json_t *string_of(struct dec *d, const struct fld *f, const char *name)
{
	json_t *s = json_stringn((const char *)f->b, f->n);

	if (s == NULL)
		fail(d, 400, "%s%s%s: not UTF-8", d->path,
		     d->path[0] ? "." : "", name);
	return s;
}

static int decode(struct dec *d, const uint8_t *b, size_t n,
		  const struct pbm *m, json_t *out);

/* Decodes a message at path.name (or path[i]) into a new object. */
static json_t *child(struct dec *d, const struct fld *f, const struct pbm *m,
		     const char *name, long idx)
{
	size_t len = strlen(d->path);
	json_t *o = json_object();

	if (idx >= 0)
		snprintf(d->path + len, sizeof(d->path) - len, "%s%s[%ld]",
			 len ? "." : "", name, idx);
	else
		snprintf(d->path + len, sizeof(d->path) - len, "%s%s",
			 len ? "." : "", name);
	if (decode(d, f->b, f->n, m, o) == -1) {
		json_decref(o);
		o = NULL;
	}
	d->path[len] = '\0';
	return o;
}

/* A map entry {key = 1, value = 2}; a Quantity value is {string = 1}. */
static int map_entry(struct dec *d, const struct fld *f, bool quantity,
		     json_t *map, const char *name)
{
	struct rd r = {f->b, f->b + f->n};
	struct fld e;
	json_t *key = NULL, *val = NULL;
	int rc;

	while ((rc = next(&r, &e, d)) == 1) {
		if (e.wire != 2)
			continue;
		if (e.num == 1) {
			json_decref(key);
			key = string_of(d, &e, name);
		} else if (e.num == 2 && !quantity) {
			json_decref(val);
			val = string_of(d, &e, name);
		} else if (e.num == 2) {
			struct rd q = {e.b, e.b + e.n};
			struct fld s;

			json_decref(val);
			val = json_string("");
			while ((rc = next(&q, &s, d)) == 1)
				if (s.num == 1 && s.wire == 2) {
					json_decref(val);
					val = string_of(d, &s, name);
				}
			if (rc == -1)
				break;
		}
		if (d->code)
			break;
	}
	if (rc != -1 && !d->code)
		json_object_set_new(map, key ? json_string_value(key) : "",
				    val ? val : json_string(""));
	else
		json_decref(val);
	json_decref(key);
	return d->code ? -1 : 0;
}

/* IntOrString {type = 1 (0 int, 1 string), intVal = 2, strVal = 3}. */
static json_t *int_or_string(struct dec *d, const struct fld *f,
			     const char *name)
{
	struct rd r = {f->b, f->b + f->n};
	struct fld e;
	uint64_t type = 0;
	int32_t i = 0;
	json_t *s = NULL;
	int rc;

	while ((rc = next(&r, &e, d)) == 1) {
		if (e.num == 1 && e.wire == 0)
			type = e.v;
		else if (e.num == 2 && e.wire == 0)
			i = (int32_t)e.v;
		else if (e.num == 3 && e.wire == 2) {
			json_decref(s);
			if ((s = string_of(d, &e, name)) == NULL)
				return NULL;
		}
	}
	if (rc == -1) {
		json_decref(s);
		return NULL;
	}
	if (type == 1)
		return s ? s : json_string("");
	json_decref(s);
	return json_integer(i);
}

/* Time {seconds = 1, nanos = 2} as RFC 3339, UTC, to the second. */
static json_t *time_of(struct dec *d, const struct fld *f)
{
	struct rd r = {f->b, f->b + f->n};
	struct fld e;
	int64_t secs = 0;
	time_t t;
	struct tm tm;
	char buf[40];
	int rc;

	while ((rc = next(&r, &e, d)) == 1)
		if (e.num == 1 && e.wire == 0)
			secs = (int64_t)e.v;
	if (rc == -1)
		return NULL;
	t = (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		fail(d, 400, "%s: a time out of range", where(d));
		return NULL;
	}
	return json_string(buf);
}

static const struct pbf *field_of(const struct pbm *m, uint32_t num)
{
	for (const struct pbf *f = m->f; f->name; f++)
		if (f->num == num)
			return f;
	return NULL;
}

static bool wire_ok(enum pbt t, unsigned wire)
{
	switch (t) {
	case T_I32:
	case T_I64:
	case T_BOOL:
		return wire == 0;
	case T_SKIP:
		return true;
	default:
		return wire == 2;
	}
}

/* Sets one field's value into out; the list and map kinds add to what
 * earlier occurrences made. */
static int put(struct dec *d, const struct pbf *pf, const struct fld *f,
	       json_t *out)
{
	json_t *v = NULL, *list;
	bool keep = (pf->flags & PTR) != 0;

	switch (pf->type) {
	case T_STR:
		if (f->n == 0 && !keep)
			return 0;
		v = string_of(d, f, pf->name);
		break;
	case T_I32:
		if (f->v == 0 && !keep)
			return 0;
		v = json_integer((int32_t)f->v);
		break;
	case T_I64:
		if (f->v == 0 && !keep)
			return 0;
		v = json_integer((json_int_t)(int64_t)f->v);
		break;
	case T_BOOL:
		if (f->v == 0 && !keep)
			return 0;
		v = json_boolean(f->v != 0);
		break;
	case T_STRS:
	case T_MSGS:
		list = json_object_get(out, pf->name);
		if (list == NULL) {
			list = json_array();
			json_object_set_new(out, pf->name, list);
		}
		if (pf->type == T_STRS)
			v = string_of(d, f, pf->name);
		else
			v = child(d, f, pf->msg, pf->name,
				  (long)json_array_size(list));
		if (v == NULL)
			return -1;
		json_array_append_new(list, v);
		return 0;
	case T_MSG:
		v = child(d, f, pf->msg, pf->name, -1);
		if (v && json_object_size(v) == 0) {
			/* An empty message: Go's zero value. */
			json_decref(v);
			return 0;
		}
		break;
	case T_INLINE:
		return decode(d, f->b, f->n, pf->msg, out);
	case T_MAP:
	case T_QMAP:
		list = json_object_get(out, pf->name);
		if (list == NULL) {
			list = json_object();
			json_object_set_new(out, pf->name, list);
		}
		return map_entry(d, f, pf->type == T_QMAP, list, pf->name);
	case T_INTSTR:
		v = int_or_string(d, f, pf->name);
		if (v && !keep && json_is_integer(v) &&
		    json_integer_value(v) == 0) {
			json_decref(v);
			return 0;
		}
		break;
	case T_TIME:
		if (f->n == 0)
			return 0;
		v = time_of(d, f);
		break;
	case T_OPAQUE:
		if (f->n == 0)
			return 0;
		/* Set, and not read here: the JSON path names it. */
		v = json_true();
		break;
	case T_SKIP:
		return 0;
	}
	if (v == NULL)
		return fail(d, 400, "%s: cannot read field %s", where(d),
			    pf->name);
	json_object_set_new(out, pf->name, v);
	return 0;
}

static int decode(struct dec *d, const uint8_t *b, size_t n,
		  const struct pbm *m, json_t *out)
{
	struct rd r = {b, b + n};
	struct fld f;
	int rc;

	while ((rc = next(&r, &f, d)) == 1) {
		const struct pbf *pf = field_of(m, f.num);

		if (pf == NULL) {
			/* A field a newer client knows: harmless while it
			 * holds its zero value, refused otherwise. */
			if (is_zero(&f))
				continue;
			return fail(d, 415,
				    "%s: field %u of %s is not known to berth",
				    where(d), f.num, m->name);
		}
		if (!wire_ok(pf->type, f.wire))
			return fail(d, 400,
				    "%s: malformed protobuf (field %u, %s, has "
				    "wire type %u)",
				    where(d), f.num, pf->name, f.wire);
		if (put(d, pf, &f, out) == -1)
			return -1;
	}
	return rc == -1 ? -1 : 0;
}

bool kube_pb_content_type(const char *ct)
{
	static const char pb[] = "application/vnd.kubernetes.protobuf";

	return !strncasecmp(ct, pb, sizeof(pb) - 1) &&
	       (ct[sizeof(pb) - 1] == '\0' || ct[sizeof(pb) - 1] == ';' ||
		ct[sizeof(pb) - 1] == ' ');
}

json_t *kube_pb_decode(const void *body, size_t len, int *code, char *why,
		       size_t why_len)
{
	struct dec d = {.why = why, .why_len = why_len};
	const uint8_t *b = body;
	struct rd r;
	struct fld f;
	json_t *env = json_object(), *out = NULL;
	const uint8_t *raw = NULL;
	size_t raw_len = 0;
	const char *av, *kind, *enc;
	int rc;

	*code = 0;
	if (len < 4 || memcmp(b, "k8s\0", 4)) {
		fail(&d, 400,
		     "the body is not Kubernetes protobuf (it does not start "
		     "with \"k8s\\x00\")");
		goto out;
	}
	r = (struct rd){b + 4, b + len};
	/* The envelope: raw kept aside, the rest decoded. */
	while ((rc = next(&r, &f, &d)) == 1) {
		if (f.num == 2 && f.wire == 2) {
			raw = f.b;
			raw_len = f.n;
			continue;
		}
		const struct pbf *pf = field_of(&m_unknown, f.num);

		if (pf && wire_ok(pf->type, f.wire) &&
		    put(&d, pf, &f, env) == -1)
			goto out;
	}
	if (rc == -1)
		goto out;
	av = json_string_value(
	    json_object_get(json_object_get(env, "typeMeta"), "apiVersion"));
	kind = json_string_value(
	    json_object_get(json_object_get(env, "typeMeta"), "kind"));
	enc = json_string_value(json_object_get(env, "contentEncoding"));
	if (enc && enc[0]) {
		fail(&d, 415,
		     "berth reads protobuf bodies without a content "
		     "encoding, not %s",
		     enc);
		goto out;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (av == NULL || kind == NULL ||
		    strcmp(av, kinds[i].api_version) ||
		    strcmp(kind, kinds[i].kind))
			continue;
		out = json_pack("{s:s, s:s}", "apiVersion", av, "kind", kind);
		if (decode(&d, raw ? raw : (const uint8_t *)"", raw_len,
			   kinds[i].msg, out) == -1) {
			json_decref(out);
			out = NULL;
		}
		goto out;
	}
	fail(&d, 415,
	     "berth reads protobuf for apps/v1 Deployment, v1 Service and v1 "
	     "Pod only, not %s%s%s: send it as JSON (kubectl create -f FILE)",
	     av && av[0] ? av : "", av && av[0] ? " " : "",
	     kind && kind[0] ? kind : "an object without a kind");
out:
	json_decref(env);
	*code = d.code;
	return out;
}
