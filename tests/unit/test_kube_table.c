/*
 * test_kube_table.c - the apiserver's human durations, Table columns and
 * cells computed from Kubernetes objects, and label/field selectors.
 */
#include <stdlib.h>
#include <string.h>

#include "../../kube/selector.h"
#include "../../kube/table.h"
#include "../lib/tap.h"

/* 2026-12-05T10:00:00Z */
#define T0_MS 1796464800000LL

static const char *dur(int64_t s)
{
	static char buf[32];

	kube_human_duration(s, buf, sizeof(buf));
	return buf;
}

static void test_durations(void)
{
	/* Kubernetes' duration.HumanDuration, case by case. */
	is_str(dur(-5), "<invalid>", "below -1 s is invalid");
	is_str(dur(-1), "0s", "-1 s is taken as now");
	is_str(dur(0), "0s", "0s");
	is_str(dur(59), "59s", "59s");
	is_str(dur(119), "119s", "seconds up to 2 minutes");
	is_str(dur(120), "2m", "2m");
	is_str(dur(125), "2m5s", "minutes and seconds below 10 minutes");
	is_str(dur(599), "9m59s", "9m59s");
	is_str(dur(600), "10m", "10m: seconds dropped");
	is_str(dur(3 * 3600 - 1), "179m", "minutes up to 3 hours");
	is_str(dur(3 * 3600), "3h", "3h");
	is_str(dur(3 * 3600 + 20 * 60 + 5), "3h20m", "3h20m");
	is_str(dur(8 * 3600 + 60), "8h", "hours only from 8 hours");
	is_str(dur(47 * 3600 + 59 * 60), "47h", "47h");
	is_str(dur(48 * 3600), "2d", "2d");
	is_str(dur(51 * 3600), "2d3h", "2d3h");
	is_str(dur(8 * 24 * 3600 + 3600), "8d", "days only from 8 days");
	is_str(dur(2LL * 365 * 24 * 3600 + 30 * 24 * 3600), "2y30d", "2y30d");
	is_str(dur(9LL * 365 * 24 * 3600), "9y", "years only from 8 years");
}

static void test_age(void)
{
	char buf[32];

	kube_age("2026-12-05T10:00:00Z", T0_MS + 65999, buf, sizeof(buf));
	is_str(buf, "65s", "age truncates to whole seconds");
	kube_age("garbage", T0_MS, buf, sizeof(buf));
	is_str(buf, "<unknown>", "an unreadable timestamp");
}

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL)
		printf("# bad test JSON: %s\n", e.text);
	return j;
}

static const char *cell(json_t *cells, size_t i)
{
	static char buf[128];
	json_t *c = json_array_get(cells, i);

	if (json_is_integer(c))
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)json_integer_value(c));
	else
		snprintf(buf, sizeof(buf), "%s",
			 json_string_value(c) ? json_string_value(c) : "?");
	return buf;
}

static void test_pod_cells(void)
{
	json_t *pod = load(
	    "{\"metadata\":{\"name\":\"web-1\",\"creationTimestamp\":"
	    "\"2026-12-05T10:00:00Z\"},\"spec\":{\"containers\":[{\"name\":"
	    "\"web\"}],\"nodeName\":\"host\"},\"status\":{\"phase\":"
	    "\"Running\",\"containerStatuses\":[{\"ready\":true,"
	    "\"restartCount\":2,\"state\":{\"running\":{}},\"lastState\":{"
	    "\"terminated\":{\"finishedAt\":\"2026-12-05T10:04:00Z\"}}}]}}");
	json_t *c = kube_table_cells("pods", pod, T0_MS + 300 * 1000);

	is_int(json_array_size(c), 9, "a pod row has 9 cells");
	is_str(cell(c, 0), "web-1", "NAME");
	is_str(cell(c, 1), "1/1", "READY counts ready running containers");
	is_str(cell(c, 2), "Running", "STATUS is the phase");
	is_str(cell(c, 3), "2 (60s ago)",
	       "RESTARTS says when the last restart was");
	is_str(cell(c, 4), "5m", "AGE");
	is_str(cell(c, 5), "<none>", "IP without an address");
	is_str(cell(c, 6), "host", "NODE");
	json_decref(c);

	json_object_set_new(json_object_get(pod, "metadata"),
			    "deletionTimestamp",
			    json_string("2026-12-05T10:05:00Z"));
	c = kube_table_cells("pods", pod, T0_MS);
	is_str(cell(c, 2), "Terminating", "a deleted pod is Terminating");
	json_decref(c);
	json_decref(pod);

	pod = load("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{"
		   "}]},\"status\":{\"phase\":\"Running\","
		   "\"containerStatuses\":[{\"ready\":false,\"restartCount\":"
		   "4,\"state\":{\"waiting\":{\"reason\":"
		   "\"CrashLoopBackOff\"}}}]}}");
	c = kube_table_cells("pods", pod, T0_MS);
	is_str(cell(c, 1), "0/1", "a waiting container is not ready");
	is_str(cell(c, 2), "CrashLoopBackOff", "the waiting reason wins");
	is_str(cell(c, 3), "4", "restarts without a last termination");
	is_str(cell(c, 4), "<unknown>", "no creationTimestamp");
	is_str(cell(c, 6), "<none>", "NODE without a node");
	is_str(cell(c, 7), "<none>", "NOMINATED NODE");
	json_decref(c);
	json_decref(pod);

	pod = load("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{"
		   "}]},\"status\":{\"phase\":\"Succeeded\","
		   "\"containerStatuses\":[{\"state\":{\"terminated\":{"
		   "\"reason\":\"Completed\",\"exitCode\":0}}}]}}");
	c = kube_table_cells("pods", pod, T0_MS);
	is_str(cell(c, 2), "Completed", "the terminated reason wins");
	json_decref(c);
	json_decref(pod);
}

static void test_other_cells(void)
{
	json_t *dep = load(
	    "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":"
	    "\"2026-12-05T10:00:00Z\"},\"spec\":{\"replicas\":3,\"selector\":"
	    "{\"matchLabels\":{\"tier\":\"fe\",\"app\":\"web\"}},\"template\":"
	    "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"i1\"},{"
	    "\"name\":\"b\",\"image\":\"i2\"}]}}},\"status\":{"
	    "\"readyReplicas\":2,\"updatedReplicas\":1,"
	    "\"availableReplicas\":2}}");
	json_t *c = kube_table_cells("deployments", dep, T0_MS + 7200 * 1000);
	json_t *t;

	is_str(cell(c, 1), "2/3", "deploy READY is ready/desired");
	is_str(cell(c, 2), "1", "UP-TO-DATE");
	ok(json_is_integer(json_array_get(c, 2)), "UP-TO-DATE is an integer");
	is_str(cell(c, 3), "2", "AVAILABLE");
	is_str(cell(c, 4), "120m", "AGE of 2 hours");
	is_str(cell(c, 5), "a,b", "CONTAINERS");
	is_str(cell(c, 6), "i1,i2", "IMAGES");
	is_str(cell(c, 7), "app=web,tier=fe", "SELECTOR sorted by key");
	json_decref(c);

	t = json_pack("[O]", dep);
	c = kube_table("deployments", t, false, T0_MS, "7");
	is_int(json_array_size(json_object_get(c, "columnDefinitions")), 8,
	       "8 deployment columns");
	is_str(json_string_value(json_object_get(
		   json_array_get(json_object_get(c, "columnDefinitions"), 2),
		   "name")),
	       "Up-to-date", "the apiserver's column name");
	is_int(json_integer_value(json_object_get(
		   json_array_get(json_object_get(c, "columnDefinitions"), 5),
		   "priority")),
	       1, "CONTAINERS only with -o wide");
	is_str(json_string_value(json_object_get(
		   json_object_get(
		       json_array_get(json_object_get(c, "rows"), 0), "object"),
		   "kind")),
	       "PartialObjectMetadata", "rows carry metadata only");
	is_str(json_string_value(json_object_get(json_object_get(c, "metadata"),
						 "resourceVersion")),
	       "7", "the list's resourceVersion");
	json_decref(c);
	json_decref(t);
	json_decref(dep);

	t = load("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"type\":"
		 "\"ClusterIP\",\"clusterIP\":\"127.0.0.1\",\"ports\":[{"
		 "\"port\":80,\"protocol\":\"TCP\"},{\"port\":443,"
		 "\"protocol\":\"TCP\"}]}}");
	c = kube_table_cells("services", t, T0_MS);
	is_str(cell(c, 3), "<none>", "EXTERNAL-IP");
	is_str(cell(c, 4), "80/TCP,443/TCP", "PORT(S)");
	is_str(cell(c, 6), "<none>", "a service without a selector");
	is_str(cell(c, 2), "127.0.0.1", "CLUSTER-IP");
	json_decref(c);
	json_decref(t);
	t = load("{\"metadata\":{\"name\":\"s\"},\"spec\":{}}");
	c = kube_table_cells("services", t, T0_MS);
	is_str(cell(c, 2), "<none>", "CLUSTER-IP without an address");
	is_str(cell(c, 4), "<none>", "PORT(S) without a port");
	json_decref(c);
	c = kube_table_cells("replicasets", t, T0_MS);
	is_str(cell(c, 5), "<none>", "CONTAINERS without a template");
	is_str(cell(c, 6), "<none>", "IMAGES without a template");
	json_decref(c);
	json_decref(t);

	t = load("{\"metadata\":{\"name\":\"web.1f\"},\"involvedObject\":{"
		 "\"kind\":\"Deployment\",\"name\":\"web\"},\"type\":"
		 "\"Normal\",\"reason\":\"ScalingReplicaSet\",\"message\":"
		 "\"up\",\"count\":3,\"source\":{\"component\":\"berth\"},"
		 "\"firstTimestamp\":\"2026-12-05T09:59:00Z\","
		 "\"lastTimestamp\":\"2026-12-05T10:00:00Z\"}");
	c = kube_table_cells("events", t, T0_MS + 5000);
	is_str(cell(c, 0), "5s", "LAST SEEN");
	is_str(cell(c, 3), "deployment/web", "OBJECT is kind/name, lower");
	is_str(cell(c, 7), "65s", "FIRST SEEN");
	is_str(cell(c, 8), "3", "COUNT");
	json_decref(c);
	json_decref(t);
	ok(kube_table("widgets", NULL, false, 0, "1") == NULL,
	   "no Table for an unknown resource");
}

static bool sel_match(const char *sel, const char *obj)
{
	struct kube_selector s;
	char why[256];
	json_t *o = load(obj);
	bool m;

	if (kube_label_selector_parse(sel, &s, why, sizeof(why)) == -1) {
		printf("# %s\n", why);
		json_decref(o);
		return false;
	}
	m = kube_selector_matches(&s, o);
	kube_selector_free(&s);
	json_decref(o);
	return m;
}

static void test_selectors(void)
{
	const char *o = "{\"metadata\":{\"name\":\"x\",\"labels\":{\"app\":"
			"\"web\",\"tier\":\"fe\"}}}";
	const char *const fields[] = {"metadata.name", NULL};
	struct kube_selector s;
	char why[256];
	json_t *j;

	ok(sel_match("", o), "the empty selector matches everything");
	ok(sel_match("app=web", o), "k=v");
	ok(sel_match("app==web,tier=fe", o), "k==v and a second term");
	ok(!sel_match("app=db", o), "k=v that differs");
	ok(sel_match("app!=db", o), "k!=v");
	ok(sel_match("canary!=yes", o), "k!=v matches a missing label");
	ok(sel_match("app in (db, web)", o), "in (...)");
	ok(!sel_match("app notin (web)", o), "notin (...)");
	ok(sel_match("tier", o), "exists");
	ok(sel_match("!canary", o), "does not exist");
	ok(!sel_match("!app", o), "!k on a present label");
	ok(kube_label_selector_parse("app=web,", &s, why, sizeof(why)) == -1,
	   "a trailing comma is refused");
	ok(kube_label_selector_parse("app in (a", &s, why, sizeof(why)) == -1,
	   "an unclosed set is refused");
	ok(kube_label_selector_parse("a b", &s, why, sizeof(why)) == -1,
	   "two keys without a comma are refused");

	ok(kube_field_selector_parse("spec.x=1", fields, &s, why,
				     sizeof(why)) == -1,
	   "an unsupported field is refused");
	is_str(why, "field label not supported: spec.x",
	       "the apiserver's message");
	j = load(o);
	ok(kube_field_selector_parse("metadata.name=x", fields, &s, why,
				     sizeof(why)) == 0 &&
	       kube_selector_matches(&s, j),
	   "metadata.name=x");
	kube_selector_free(&s);
	ok(kube_field_selector_parse("metadata.name!=x", fields, &s, why,
				     sizeof(why)) == 0 &&
	       !kube_selector_matches(&s, j),
	   "metadata.name!=x");
	kube_selector_free(&s);
	json_decref(j);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	test_durations();
	test_age();
	test_pod_cells();
	test_other_cells();
	test_selectors();
	return tap_done();
}
