/*
 * test_cli_output.c - the CLI's pure printing: HumanDuration ages, table
 * layout (widths from content, 3 spaces, last column unpadded), the rows of
 * each kind, `-w` row diffing and name filtering.
 */
#include <stdlib.h>
#include <string.h>

#include "../../cli/output.h"
#include "../lib/tap.h"

static char *render_doc(enum out_kind kind, const char *json, int wide)
{
	json_t *doc = json_loads(json, 0, NULL);
	struct out_table *t = out_table_from_doc(kind, doc, wide);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (t)
		out_table_print(t, f);
	fclose(f);
	out_table_free(t);
	json_decref(doc);
	return buf;
}

static char *feed(struct out_watch *w, const char *json)
{
	json_t *doc = json_loads(json, 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	out_watch_feed(w, doc, f);
	fclose(f);
	json_decref(doc);
	return buf;
}

static void test_age(void)
{
	static const struct {
		long long secs;
		const char *want;
	} cases[] = {
	    {-5, "<invalid>"},	{-1, "0s"},	   {0, "0s"},
	    {45, "45s"},	{119, "119s"},	   {120, "2m"},
	    {125, "2m5s"},	{599, "9m59s"},	   {600, "10m"},
	    {720, "12m"},	{10799, "179m"},   {10800, "3h"},
	    {11040, "3h4m"},	{18000, "5h"},	   {28799, "7h59m"},
	    {28800, "8h"},	{172799, "47h"},   {183600, "2d3h"},
	    {777600, "9d"},	{691200, "8d"},	   {63072000, "2y"},
	    {63158400, "2y1d"}, {252460800, "8y"},
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out_age(cases[i].secs, buf, sizeof(buf));
		is_str(buf, cases[i].want, "age %lld", cases[i].secs);
	}
}

static void test_layout(void)
{
	static const char *const hdr[] = {"NAME", "X", "LAST"};
	static const char *const r1[] = {"a-long-name", "1", "tail"};
	static const char *const r2[] = {"b", "22222", "t"};
	struct out_table *t = out_table_new(3, hdr);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	out_table_add(t, r1);
	out_table_add(t, r2);
	out_table_print(t, f);
	fclose(f);
	is_str(buf,
	       "NAME          X       LAST\n"
	       "a-long-name   1       tail\n"
	       "b             22222   t\n",
	       "widths from content, 3 spaces, last column unpadded");
	free(buf);
	out_table_free(t);
}

static const char *pods1 =
    "{\"pods\":[{\"name\":\"echo-6f9c2d-x7k2p\",\"deployment\":\"echo\","
    "\"revision\":1,\"status\":\"Running\",\"ready\":true,\"restarts\":0,"
    "\"labels\":{},\"image\":\"/img/echo\",\"pid\":4242,\"age_seconds\":"
    "125},{\"name\":\"echo-6f9c2d-abcde\",\"status\":\"ContainerCreating\","
    "\"ready\":false,\"restarts\":2,\"pid\":0,\"revision\":1,\"image\":"
    "\"/img/echo\",\"age_seconds\":3}]}";

static void test_kinds(void)
{
	char *s;

	s = render_doc(OUT_PODS, pods1, 0);
	is_str(
	    s,
	    "NAME                READY   STATUS              RESTARTS   AGE\n"
	    "echo-6f9c2d-x7k2p   1/1     Running             0          2m5s\n"
	    "echo-6f9c2d-abcde   0/1     ContainerCreating   2          3s\n",
	    "get pods table");
	free(s);
	s = render_doc(OUT_PODS, pods1, 1);
	ok(s && strstr(s, "AGE    PID      REVISION   IMAGE\n") != NULL,
	   "wide pods header");
	ok(s && strstr(s, "2m5s   4242     1          /img/echo\n") != NULL,
	   "wide pods row");
	ok(s && strstr(s, "3s     <none>   1          /img/echo\n") != NULL,
	   "no pid shows <none>");
	free(s);

	s = render_doc(OUT_DEPLOYMENTS,
		       "{\"deployments\":[{\"name\":\"echo\",\"replicas\":4,"
		       "\"updated\":2,\"ready\":3,\"available\":3,\"revision\":"
		       "2,\"strategy\":\"RollingUpdate\",\"rollout\":"
		       "\"progressing\",\"age_seconds\":720}]}",
		       1);
	is_str(s,
	       "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   STRATEGY        "
	       "REVISION   ROLLOUT\n"
	       "echo   3/4     2            3           12m   RollingUpdate   "
	       "2          progressing\n",
	       "get deployments -o wide");
	free(s);

	s = render_doc(OUT_SERVICES,
		       "{\"services\":[{\"name\":\"echo\",\"listen\":"
		       "\"0.0.0.0:8080\",\"selector\":{\"app\":\"echo\","
		       "\"color\":\"blue\"},\"endpoints\":[\"p1\",\"p2\"],"
		       "\"mode\":\"http\",\"age_seconds\":18000},{\"name\":"
		       "\"db\",\"listen\":\"127.0.0.1:5432\",\"selector\":{},"
		       "\"endpoints\":[],\"mode\":\"tcp\",\"age_seconds\":9}]}",
		       0);
	is_str(
	    s,
	    "NAME   MODE   LISTEN           SELECTOR              ENDPOINTS   "
	    "AGE\n"
	    "echo   http   0.0.0.0:8080     app=echo,color=blue   p1,p2       "
	    "5h\n"
	    "db     tcp    127.0.0.1:5432   <none>                <none>      "
	    "9s\n",
	    "get services");
	free(s);

	s = render_doc(OUT_EVENTS,
		       "{\"events\":[{\"time\":\"2026-01-01T00:00:00Z\","
		       "\"age_seconds\":3,\"type\":\"Normal\",\"reason\":"
		       "\"Started\",\"object\":\"pod/echo-1\",\"message\":"
		       "\"Started container\"}]}",
		       0);
	is_str(
	    s,
	    "LAST SEEN   TYPE     REASON    OBJECT       MESSAGE\n"
	    "3s          Normal   Started   pod/echo-1   Started container\n",
	    "events");
	free(s);
	s = render_doc(OUT_PODS, "{\"x\":1}", 0);
	is_str(s, "", "document without the array renders nothing");
	free(s);
}

static void test_watch(void)
{
	struct out_watch w;
	char *s;

	out_watch_init(&w, OUT_PODS, 0);
	s = feed(&w, "{\"pods\":[{\"name\":\"a\",\"status\":\"Running\","
		     "\"ready\":true,\"restarts\":0,\"age_seconds\":5}]}");
	is_str(s,
	       "NAME   READY   STATUS    RESTARTS   AGE\n"
	       "a      1/1     Running   0          5s\n",
	       "first document: header and rows");
	free(s);
	s = feed(&w, "{\"pods\":[{\"name\":\"a\",\"status\":\"Running\","
		     "\"ready\":true,\"restarts\":0,\"age_seconds\":9}]}");
	is_str(s, "", "only AGE changed: nothing printed");
	free(s);
	s = feed(&w, "{\"pods\":[{\"name\":\"a\",\"status\":\"Terminating\","
		     "\"ready\":false,\"restarts\":0,\"age_seconds\":9},"
		     "{\"name\":\"b\",\"status\":\"Pending\",\"ready\":false,"
		     "\"restarts\":0,\"age_seconds\":0}]}");
	is_str(s,
	       "a      0/1     Terminating   0          9s\n"
	       "b      0/1     Pending       0          0s\n",
	       "changed and new rows, no header");
	free(s);
	s = feed(&w, "{\"pods\":[{\"name\":\"b\",\"status\":\"Pending\","
		     "\"ready\":false,\"restarts\":0,\"age_seconds\":1}]}");
	is_str(s, "", "a removed pod prints nothing");
	free(s);
	s = feed(&w, "{\"pods\":[{\"name\":\"a\",\"status\":\"Running\","
		     "\"ready\":true,\"restarts\":0,\"age_seconds\":1},"
		     "{\"name\":\"b\",\"status\":\"Pending\",\"ready\":false,"
		     "\"restarts\":0,\"age_seconds\":1}]}");
	is_str(s, "a      1/1     Running       0          1s\n",
	       "a pod that comes back prints again");
	free(s);
	out_watch_free(&w);

	out_watch_init(&w, OUT_PODS, 0);
	s = feed(&w, "{\"pods\":[]}");
	is_str(s, "", "empty first document prints nothing");
	free(s);
	s = feed(&w, "{\"pods\":[{\"name\":\"a\",\"status\":\"Pending\","
		     "\"ready\":false,\"restarts\":0,\"age_seconds\":0}]}");
	is_str(s,
	       "NAME   READY   STATUS    RESTARTS   AGE\n"
	       "a      0/1     Pending   0          0s\n",
	       "header comes with the first row");
	free(s);
	out_watch_free(&w);

	out_watch_init(&w, OUT_EVENTS, 0);
	s = feed(&w, "{\"events\":[{\"age_seconds\":1,\"type\":\"Normal\","
		     "\"reason\":\"Started\",\"object\":\"pod/a\",\"message\":"
		     "\"m\"}]}");
	ok(strstr(s, "LAST SEEN") == s, "events watch starts with a header");
	free(s);
	s = feed(&w, "{\"events\":[{\"age_seconds\":1,\"type\":\"Normal\","
		     "\"reason\":\"Started\",\"object\":\"pod/a\",\"message\":"
		     "\"m\"}]}");
	is_str(s, "1s          Normal   Started   pod/a    m\n",
	       "identical event batches still print");
	free(s);
	out_watch_free(&w);
}

static void test_filter(void)
{
	json_t *doc = json_loads(pods1, 0, NULL);

	is_int(out_filter_name(doc, OUT_PODS, "echo-6f9c2d-abcde"), 1,
	       "filter keeps the named pod");
	is_str(json_string_value(json_object_get(
		   json_array_get(json_object_get(doc, "pods"), 0), "name")),
	       "echo-6f9c2d-abcde", "the right one");
	is_int(out_filter_name(doc, OUT_PODS, "nope"), 0, "no match");
	json_decref(doc);
}

int main(void)
{
	test_age();
	test_layout();
	test_kinds();
	test_watch();
	test_filter();
	return tap_done();
}
