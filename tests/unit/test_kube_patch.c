/*
 * test_kube_patch.c - the patch types against golden cases: JSON merge
 * patch (RFC 7386's own shape of cases), JSON patch (every operation, a
 * failed test, a missing path, escaped pointers), strategic merge (null
 * deletes, lists merged by their key, $patch replace/delete/merge,
 * $setElementOrder, $retainKeys, $deleteFromPrimitiveList, what kubectl
 * sends for set image, pause/resume, restart and apply) and the
 * server-side apply approximation.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../kube/patch.h"
#include "../lib/tap.h"

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_DECODE_ANY, &e);

	if (j == NULL)
		printf("# bad test JSON: %s: %s\n", s, e.text);
	return j;
}

/* want NULL: the patch must fail. */
struct gcase {
	const char *name;
	const char *kind;
	const char *orig, *patch, *want;
};

static void check(const char *type, const struct gcase *c, json_t *got,
		  const char *why)
{
	json_t *want = c->want ? parse(c->want) : NULL;

	if (want == NULL) {
		ok(got == NULL, "%s: %s fails (%s)", type, c->name, why);
	} else {
		bool eq = got && json_equal(got, want);

		ok(eq, "%s: %s", type, c->name);
		if (!eq) {
			char *g = got ? json_dumps(got, JSON_SORT_KEYS |
							    JSON_COMPACT |
							    JSON_ENCODE_ANY)
				      : NULL;

			printf("#   got  %s (%s)\n#   want %s\n",
			       g ? g : "(fail)", why, c->want);
			free(g);
		}
	}
	json_decref(want);
	json_decref(got);
}

static const struct gcase merge_cases[] = {
    {"replace a scalar", NULL, "{\"a\":\"b\"}", "{\"a\":\"c\"}",
     "{\"a\":\"c\"}"},
    {"add a key", NULL, "{\"a\":\"b\"}", "{\"b\":\"c\"}",
     "{\"a\":\"b\",\"b\":\"c\"}"},
    {"null removes", NULL, "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}",
     "{\"b\":\"c\"}"},
    {"lists are replaced", NULL, "{\"a\":[\"b\"]}", "{\"a\":\"c\"}",
     "{\"a\":\"c\"}"},
    {"nested null removes", NULL, "{\"a\":{\"b\":\"c\"}}",
     "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"},
    {"list of objects replaced whole", NULL, "{\"a\":[{\"b\":\"c\"}]}",
     "{\"a\":[1]}", "{\"a\":[1]}"},
    {"a non-object patch replaces", NULL, "{\"a\":\"foo\"}", "[\"c\"]",
     "[\"c\"]"},
    {"null inside a new object is dropped", NULL, "{}",
     "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
    {"kubectl scale", NULL, "{\"spec\":{\"replicas\":2,\"x\":1}}",
     "{\"spec\":{\"replicas\":5}}", "{\"spec\":{\"replicas\":5,\"x\":1}}"},
};

static const struct gcase json_cases[] = {
    {"add to an object", NULL, "{\"a\":1}",
     "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2}]", "{\"a\":1,\"b\":2}"},
    {"add inserts in a list", NULL, "{\"a\":[1,3]}",
     "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":2}]", "{\"a\":[1,2,3]}"},
    {"add with - appends", NULL, "{\"a\":[1]}",
     "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":2}]", "{\"a\":[1,2]}"},
    {"add past the end fails", NULL, "{\"a\":[1]}",
     "[{\"op\":\"add\",\"path\":\"/a/5\",\"value\":2}]", NULL},
    {"remove", NULL, "{\"a\":1,\"b\":2}",
     "[{\"op\":\"remove\",\"path\":\"/a\"}]", "{\"b\":2}"},
    {"remove a missing key fails", NULL, "{\"a\":1}",
     "[{\"op\":\"remove\",\"path\":\"/x\"}]", NULL},
    {"replace", NULL, "{\"a\":{\"b\":1}}",
     "[{\"op\":\"replace\",\"path\":\"/a/b\",\"value\":[2]}]",
     "{\"a\":{\"b\":[2]}}"},
    {"replace a missing key fails", NULL, "{}",
     "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":1}]", NULL},
    {"move", NULL, "{\"a\":{\"b\":1},\"c\":{}}",
     "[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/c/d\"}]",
     "{\"a\":{},\"c\":{\"d\":1}}"},
    {"move into itself fails", NULL, "{\"a\":{\"b\":1}}",
     "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", NULL},
    {"copy", NULL, "{\"a\":[1]}",
     "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b\"}]",
     "{\"a\":[1],\"b\":[1]}"},
    {"test passes", NULL, "{\"a\":\"x\"}",
     "[{\"op\":\"test\",\"path\":\"/a\",\"value\":\"x\"},"
     "{\"op\":\"add\",\"path\":\"/b\",\"value\":1}]",
     "{\"a\":\"x\",\"b\":1}"},
    {"a failed test undoes everything", NULL, "{\"a\":\"x\"}",
     "[{\"op\":\"add\",\"path\":\"/b\",\"value\":1},"
     "{\"op\":\"test\",\"path\":\"/a\",\"value\":\"y\"}]",
     NULL},
    {"escaped pointer", NULL, "{\"metadata\":{\"annotations\":{}}}",
     "[{\"op\":\"add\",\"path\":\"/metadata/annotations/"
     "kubernetes.io~1change-cause\",\"value\":\"v~0\"}]",
     "{\"metadata\":{\"annotations\":{\"kubernetes.io/change-cause\":"
     "\"v~0\"}}}"},
    {"unknown op fails", NULL, "{}", "[{\"op\":\"frob\",\"path\":\"/a\"}]",
     NULL},
    {"not a list fails", NULL, "{}", "{\"op\":\"add\"}", NULL},
    {"rollout undo's replace", NULL,
     "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\","
     "\"image\":\"b\"}]}}},\"metadata\":{\"annotations\":{\"x\":\"1\"}}}",
     "[{\"op\":\"replace\",\"path\":\"/spec/template\",\"value\":{\"spec\":"
     "{\"containers\":[{\"name\":\"c\",\"image\":\"a\",\"resources\":{}}]},"
     "\"metadata\":{\"creationTimestamp\":null}}},{\"op\":\"replace\","
     "\"path\":\"/metadata/annotations\",\"value\":{}}]",
     "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\","
     "\"image\":\"a\",\"resources\":{}}]},\"metadata\":{"
     "\"creationTimestamp\":null}}},\"metadata\":{\"annotations\":{}}}"},
};

#define POD(containers)                                                        \
	"{\"spec\":{\"template\":{\"spec\":{\"containers\":" containers "}}}}"

static const struct gcase smp_cases[] = {
    {"maps merge, null deletes", "Deployment",
     "{\"spec\":{\"replicas\":1,\"paused\":true}}",
     "{\"spec\":{\"paused\":null,\"minReadySeconds\":3}}",
     "{\"spec\":{\"replicas\":1,\"minReadySeconds\":3}}"},
    {"containers merge by name", "Deployment",
     POD("[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":\"y\"}"
	 "]"),
     POD("[{\"name\":\"b\",\"image\":\"z\"}]"),
     POD("[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":\"z\"}"
	 "]")},
    {"a new container is appended", "Deployment",
     POD("[{\"name\":\"a\",\"image\":\"x\"}]"),
     POD("[{\"name\":\"b\",\"image\":\"y\"}]"),
     POD("[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":\"y\"}"
	 "]")},
    {"kubectl set image", "Deployment",
     POD("[{\"name\":\"c\",\"image\":\"old\",\"args\":[\"a\"]}]"),
     "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{"
     "\"name\":\"c\"}],\"containers\":[{\"image\":\"new\",\"name\":\"c\"}]}}"
     "}}",
     POD("[{\"name\":\"c\",\"image\":\"new\",\"args\":[\"a\"]}]")},
    {"$patch delete in a keyed list", "Deployment",
     POD("[{\"name\":\"a\"},{\"name\":\"side\"}]"),
     POD("[{\"$patch\":\"delete\",\"name\":\"side\"}]"),
     POD("[{\"name\":\"a\"}]")},
    {"$patch replace in a keyed list", "Deployment",
     POD("[{\"name\":\"a\"},{\"name\":\"b\"}]"),
     POD("[{\"name\":\"c\"},{\"$patch\":\"replace\"}]"),
     POD("[{\"name\":\"c\"}]")},
    {"$patch replace of a map", "Deployment",
     "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\","
     "\"rollingUpdate\":{\"maxSurge\":1}}}}",
     "{\"spec\":{\"strategy\":{\"$patch\":\"replace\",\"type\":"
     "\"Recreate\"}}}",
     "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}"},
    {"$patch delete of a map", "Deployment",
     "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"},\"replicas\":1}}",
     "{\"spec\":{\"strategy\":{\"$patch\":\"delete\"}}}",
     "{\"spec\":{\"replicas\":1}}"},
    {"$patch merge is the default", "Deployment", "{\"a\":{\"b\":1}}",
     "{\"a\":{\"$patch\":\"merge\",\"c\":2}}", "{\"a\":{\"b\":1,\"c\":2}}"},
    {"an unknown directive fails", "Deployment", "{\"a\":{}}",
     "{\"a\":{\"$patch\":\"frob\"}}", NULL},
    {"ports merge by containerPort", "Deployment",
     POD("[{\"name\":\"c\",\"ports\":[{\"containerPort\":80},"
	 "{\"containerPort\":443}]}]"),
     POD("[{\"name\":\"c\",\"ports\":[{\"containerPort\":443,\"$patch\":"
	 "\"delete\"},{\"containerPort\":8080,\"name\":\"alt\"}]}]"),
     POD("[{\"name\":\"c\",\"ports\":[{\"containerPort\":80},"
	 "{\"containerPort\":8080,\"name\":\"alt\"}]}]")},
    {"env merges by name", "Deployment",
     POD("[{\"name\":\"c\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
	 "{\"name\":\"B\",\"value\":\"2\"}]}]"),
     POD("[{\"name\":\"c\",\"env\":[{\"name\":\"B\",\"value\":\"3\"}]}]"),
     POD("[{\"name\":\"c\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
	 "{\"name\":\"B\",\"value\":\"3\"}]}]")},
    {"args (no merge key) are replaced", "Deployment",
     POD("[{\"name\":\"c\",\"args\":[\"a\",\"b\"]}]"),
     POD("[{\"name\":\"c\",\"args\":[\"z\"]}]"),
     POD("[{\"name\":\"c\",\"args\":[\"z\"]}]")},
    {"$setElementOrder reorders", "Deployment",
     POD("[{\"name\":\"a\"},{\"name\":\"b\"}]"),
     "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{"
     "\"name\":\"b\"},{\"name\":\"a\"}],\"containers\":[{\"name\":\"a\","
     "\"image\":\"i\"}]}}}}",
     POD("[{\"name\":\"b\"},{\"name\":\"a\",\"image\":\"i\"}]")},
    {"$retainKeys clears the other keys", "Deployment",
     "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\","
     "\"rollingUpdate\":{\"maxSurge\":1}}}}",
     "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],"
     "\"rollingUpdate\":null,\"type\":\"Recreate\"}}}",
     "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}"},
    {"$deleteFromPrimitiveList", "Deployment",
     "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}",
     "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\"]}}",
     "{\"metadata\":{\"finalizers\":[\"a\",\"c\"]}}"},
    {"finalizers merge as a set", "Deployment",
     "{\"metadata\":{\"finalizers\":[\"a\"]}}",
     "{\"metadata\":{\"finalizers\":[\"b\",\"a\"]}}",
     "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}"},
    {"a Service's ports merge by port", "Service",
     "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080},{\"port\":"
     "443}]}}",
     "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":9090}]}}",
     "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":9090},{\"port\":"
     "443}]}}"},
    {"a Service selector from blue to green", "Service",
     "{\"spec\":{\"selector\":{\"app\":\"echo\",\"color\":\"blue\"}}}",
     "{\"spec\":{\"selector\":{\"color\":\"green\"}}}",
     "{\"spec\":{\"selector\":{\"app\":\"echo\",\"color\":\"green\"}}}"},
    {"rollout pause and resume", "Deployment", "{\"spec\":{\"paused\":true}}",
     "{\"spec\":{\"paused\":null}}", "{\"spec\":{}}"},
    {"rollout restart", "Deployment",
     "{\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"a\"}}}}}",
     "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{"
     "\"kubectl.kubernetes.io/restartedAt\":\"2026-12-05T10:00:00Z\"}}}}}",
     "{\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"a\"},"
     "\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":"
     "\"2026-12-05T10:00:00Z\"}}}}}"},
    {"directives are stripped from added values", "Deployment", "{}",
     POD("[{\"name\":\"c\",\"$setElementOrder/env\":[{\"name\":\"A\"}],"
	 "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"$patch\":\"delete\","
	 "\"name\":\"Z\"}]}]"),
     POD("[{\"name\":\"c\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}]")},
    {"an element without its merge key fails", "Deployment",
     POD("[{\"name\":\"a\"}]"), POD("[{\"image\":\"x\"}]"), NULL},
    {"kubectl apply's whole patch", "Deployment",
     "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
     "{\"maxSurge\":\"25%\"}},\"template\":{\"spec\":{\"containers\":[{"
     "\"name\":\"c\",\"image\":\"nginx:1.25\",\"args\":[\"x\"],\"env\":[{"
     "\"name\":\"A\"},{\"name\":\"B\"}],\"ports\":[{\"containerPort\":80},{"
     "\"containerPort\":443}]},{\"name\":\"side\"}]}}}}",
     "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"rollingUpdate\":"
     "null,\"type\":\"Recreate\"},\"template\":{\"spec\":{"
     "\"$setElementOrder/containers\":[{\"name\":\"c\"}],\"containers\":[{"
     "\"$setElementOrder/env\":[{\"name\":\"B\"}],\"$setElementOrder/"
     "ports\":[{\"containerPort\":80}],\"args\":[\"a\"],\"env\":[{\"$patch\":"
     "\"delete\",\"name\":\"A\"}],\"image\":\"nginx:1.26\",\"name\":\"c\","
     "\"ports\":[{\"$patch\":\"delete\",\"containerPort\":443}]},{\"$patch\":"
     "\"delete\",\"name\":\"side\"}]}}}}",
     "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"},\"template\":{\"spec\":"
     "{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.26\",\"args\":["
     "\"a\"],\"env\":[{\"name\":\"B\"}],\"ports\":[{\"containerPort\":80}]}]"
     "}}}}"},
};

/* orig = live, patch = {"last":..., "applied":...}. */
static const struct gcase apply_cases[] = {
    {"first apply merges", "Deployment",
     "{\"spec\":{\"replicas\":3,\"paused\":true}}",
     "{\"last\":null,\"applied\":{\"spec\":{\"replicas\":2}}}",
     "{\"spec\":{\"replicas\":2,\"paused\":true}}"},
    {"a field no longer applied is removed", "Deployment",
     "{\"spec\":{\"replicas\":2,\"minReadySeconds\":5,\"paused\":true}}",
     "{\"last\":{\"spec\":{\"replicas\":2,\"minReadySeconds\":5}},"
     "\"applied\":{\"spec\":{\"replicas\":2}}}",
     "{\"spec\":{\"replicas\":2,\"paused\":true}}"},
    {"a container no longer applied is removed", "Deployment",
     POD("[{\"name\":\"a\",\"image\":\"1\"},{\"name\":\"b\"}]"),
     "{\"last\":" POD("[{\"name\":\"a\"},{\"name\":\"b\"}]") ",\"applied\""
							     ":" POD(
								 "[{\"name\":"
								 "\"a\","
								 "\"image\":"
								 "\"2\"}]") "}",
     POD("[{\"name\":\"a\",\"image\":\"2\"}]")},
};

int main(void)
{
	char why[256];

	for (size_t i = 0; i < sizeof(merge_cases) / sizeof(merge_cases[0]);
	     i++) {
		json_t *o = parse(merge_cases[i].orig);
		json_t *p = parse(merge_cases[i].patch);

		check("merge", &merge_cases[i], kube_patch_merge(o, p), "");
		json_decref(o);
		json_decref(p);
	}
	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]);
	     i++) {
		json_t *o = parse(json_cases[i].orig);
		json_t *p = parse(json_cases[i].patch);

		why[0] = '\0';
		check("json", &json_cases[i],
		      kube_patch_json(o, p, why, sizeof(why)), why);
		json_decref(o);
		json_decref(p);
	}
	for (size_t i = 0; i < sizeof(smp_cases) / sizeof(smp_cases[0]); i++) {
		json_t *o = parse(smp_cases[i].orig);
		json_t *p = parse(smp_cases[i].patch);

		why[0] = '\0';
		check("strategic", &smp_cases[i],
		      kube_patch_strategic(o, p, smp_cases[i].kind, why,
					   sizeof(why)),
		      why);
		json_decref(o);
		json_decref(p);
	}
	for (size_t i = 0; i < sizeof(apply_cases) / sizeof(apply_cases[0]);
	     i++) {
		json_t *o = parse(apply_cases[i].orig);
		json_t *p = parse(apply_cases[i].patch);

		why[0] = '\0';
		check("apply", &apply_cases[i],
		      kube_patch_apply(o, json_object_get(p, "last"),
				       json_object_get(p, "applied"),
				       apply_cases[i].kind, why, sizeof(why)),
		      why);
		json_decref(o);
		json_decref(p);
	}
	is_str(kube_patch_merge_key("Deployment",
				    "spec/template/spec/containers/ports"),
	       "containerPort", "container ports are keyed by containerPort");
	is_str(kube_patch_merge_key("Service", "spec/ports"), "port",
	       "a Service's ports are keyed by port");
	ok(kube_patch_merge_key("Deployment",
				"spec/template/spec/containers/args") == NULL,
	   "args have no merge key");
	return tap_done();
}
