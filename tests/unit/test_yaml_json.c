/*
 * test_yaml_json.c - config/yaml_json.c: YAML documents to compact JSON
 * (scalar typing as kubectl reads it, anchors, merge keys, multi-document
 * streams, errors with line and column, bounded alias expansion), the
 * INI-or-YAML guess, and JSON written back as YAML read back unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "../../config/yaml_json.h"
#include "../lib/tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The documents as compact JSON with sorted keys, or "ERR:message". */
static char *convert(const char *yaml)
{
	struct berr err = BERR_INIT;
	json_t *docs = yaml_to_json_docs(yaml, strlen(yaml), "t.yaml", &err);
	if (!docs) {
		char *s = malloc(strlen(err.msg) + 5);
		sprintf(s, "ERR:%s", err.msg);
		return s;
	}
	char *s =
	    json_dumps(docs, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(docs);
	return s;
}

static const char *const cases[][2] = {
    /* scalars */
    {"a: 1", "[{\"a\":1}]"},
    {"a: -17", "[{\"a\":-17}]"},
    {"a: 0x1F", "[{\"a\":31}]"},
    {"a: 0o17", "[{\"a\":15}]"},
    {"a: 0644", "[{\"a\":420}]"},
    {"a: 089", "[{\"a\":89.0}]"}, /* not octal: a float, as go-yaml */
    {"a: 1.5", "[{\"a\":1.5}]"},
    {"a: 1e3", "[{\"a\":1000.0}]"},
    {"a: true", "[{\"a\":true}]"},
    {"a: yes", "[{\"a\":true}]"},
    {"a: Off", "[{\"a\":false}]"},
    {"a: ~", "[{\"a\":null}]"},
    {"a:", "[{\"a\":null}]"},
    {"a: null", "[{\"a\":null}]"},
    {"a: \"1\"", "[{\"a\":\"1\"}]"},
    {"a: 'true'", "[{\"a\":\"true\"}]"},
    {"a: !!str 80", "[{\"a\":\"80\"}]"},
    {"a: !!int \"80\"", "[{\"a\":80}]"},
    {"a: !!float 2", "[{\"a\":2.0}]"},
    {"a: 10Mi", "[{\"a\":\"10Mi\"}]"},
    {"a: 1.2.3", "[{\"a\":\"1.2.3\"}]"},
    {"a: nginx:1.27", "[{\"a\":\"nginx:1.27\"}]"},
    {"a: 9223372036854775807", "[{\"a\":9223372036854775807}]"},
    {"a: |\n  line1\n  line2\n", "[{\"a\":\"line1\\nline2\\n\"}]"},
    {"a: >-\n  folded\n  text\n", "[{\"a\":\"folded text\"}]"},
    /* keys become strings */
    {"1: a\ntrue: b\n", "[{\"1\":\"a\",\"true\":\"b\"}]"},
    /* collections */
    {"l: [1, two, {x: y}]", "[{\"l\":[1,\"two\",{\"x\":\"y\"}]}]"},
    {"l:\n- a\n- b\n", "[{\"l\":[\"a\",\"b\"]}]"},
    {"{\"json\": [1, 2]}", "[{\"json\":[1,2]}]"},
    /* documents */
    {"a: 1\n---\nb: 2\n", "[{\"a\":1},{\"b\":2}]"},
    {"---\n---\na: 1\n---\n", "[{\"a\":1}]"},
    {"# only a comment\n", "[]"},
    {"", "[]"},
    /* anchors, aliases, merge keys */
    {"a: &x {p: 1}\nb: *x\n", "[{\"a\":{\"p\":1},\"b\":{\"p\":1}}]"},
    {"a: &v 5\nb: *v\n", "[{\"a\":5,\"b\":5}]"},
    {"base: &b {p: 1, q: 2}\nd:\n  <<: *b\n  q: 3\n",
     "[{\"base\":{\"p\":1,\"q\":2},\"d\":{\"p\":1,\"q\":3}}]"},
    {"a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n",
     "[{\"a\":{\"x\":1},\"b\":{\"y\":2},\"c\":{\"x\":1,\"y\":2}}]"},
    /* errors */
    {"a: 1\na: 2\n", "ERR:t.yaml:2:1: duplicate key `a`"},
    {"a: *nope\n", "ERR:t.yaml:1:4: alias `*nope` names no anchor before it"},
    {"a: [1, 2\n", "ERR:t.yaml:2:1: did not find expected ',' or ']' while "
		   "parsing a flow sequence"},
    {"a: .inf\n", "ERR:t.yaml:1:4: `.inf` (infinity or NaN) has no JSON form"},
    {"a: 99999999999999999999\n",
     "ERR:t.yaml:1:4: integer `99999999999999999999` is out of range"},
    {"a: !!int abc\n", "ERR:t.yaml:1:4: value does not match its tag `int`"},
    {"a: !custom x\n", "ERR:t.yaml:1:4: unsupported tag `!custom`"},
    {"? [1, 2]\n: x\n", "ERR:t.yaml:1:8: a mapping key must be a scalar"},
};

static void test_cases(void)
{
	for (size_t i = 0; i < N(cases); i++) {
		char *got = convert(cases[i][0]);
		is_str(got, cases[i][1], "yaml case %zu", i);
		free(got);
	}
}

/* A "billion laughs" stays bounded: refused, not expanded. */
static void test_alias_bomb(void)
{
	char yaml[2048];
	size_t n = 0;
	n += (size_t)snprintf(yaml + n, sizeof(yaml) - n,
			      "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 10; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n,
				      "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, "
				      "*a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
				      i, i, i - 1, i - 1, i - 1, i - 1, i - 1,
				      i - 1, i - 1, i - 1, i - 1, i - 1);
	char *got = convert(yaml);
	ok(strstr(got, "ERR:") == got && strstr(got, "alias expansion"),
	   "alias bomb refused: %.80s", got);
	free(got);
}

static void test_deep_nesting(void)
{
	char yaml[1200];
	memset(yaml, '[', 1000);
	yaml[1000] = '\0';
	char *got = convert(yaml);
	ok(strstr(got, "ERR:") == got, "1000 nested lists refused: %.60s", got);
	free(got);
}

static void test_guess(void)
{
	static const struct {
		const char *path, *text;
		int yaml;
	} g[] = {
	    {"app.yaml", "[x]\n", 1},
	    {"app.yml", "", 1},
	    {"app.ini", "a: b\n", 0},
	    {"app", "# c\n\n[deployment web]\nimage = x\n", 0},
	    {"app", "; c\nkey = a:b\n", 0},
	    {"app", "apiVersion: apps/v1\n", 1},
	    {"app", "# c\n---\nkind: Service\n", 1},
	    {"app", "{\"kind\": \"List\"}", 1},
	    {"app", "", 0},
	};
	for (size_t i = 0; i < N(g); i++)
		is_int(yaml_looks_like(g[i].path, g[i].text, strlen(g[i].text)),
		       g[i].yaml, "guess case %zu (%s)", i, g[i].path);
}

/* JSON -> YAML -> JSON gives the same documents, including strings that
 * would read back as numbers, booleans or null if written plain. */
static void test_round_trip(void)
{
	const char *in =
	    "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
	    "\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"web\"}},"
	    "\"spec\":{\"replicas\":3,\"template\":{\"spec\":{\"containers\":"
	    "[{\"name\":\"web\",\"image\":\"nginx:1.27\",\"args\":[\"-p\","
	    "\"8080\",\"true\",\"\",\"~\",\"yes\",\"0x10\",\"line\\nbreak\","
	    "\"- dash\",\"a: b\",\"#hash\"],\"env\":[{\"name\":\"X\","
	    "\"value\":\"1.0\"}]}]}}}},{\"kind\":\"Service\",\"spec\":{\"a\":"
	    "1.5,\"b\":false,\"c\":null,\"d\":[],\"e\":{}}}]";
	json_error_t jerr;
	json_t *docs = json_loads(in, 0, &jerr);
	struct berr err = BERR_INIT;
	char *yaml = json_to_yaml_docs(docs, &err);
	ok(yaml != NULL, "json to yaml: %s", err.msg);
	json_t *back =
	    yaml ? yaml_to_json_docs(yaml, strlen(yaml), "rt", &err) : NULL;
	ok(back && json_equal(docs, back), "round trip equal (%s)",
	   back ? "" : err.msg);
	if (back && !json_equal(docs, back))
		printf("# yaml:\n%s\n", yaml);
	ok(yaml && strstr(yaml, "\n---\n") != NULL,
	   "documents separated by ---");
	json_decref(back);
	json_decref(docs);
	free(yaml);
}

static void test_lines(void)
{
	const char *y = "# c\n"
			"a: 1\n"
			"b:\n"
			"  c: [x,\n"
			"      y]\n"
			"  d/e: z\n"
			"---\n"
			"f: {g: 1}\n";
	struct berr err = BERR_INIT;
	json_t *lines = NULL;
	json_t *docs = yaml_to_json_docs_lines(y, strlen(y), "l", &lines, &err);
	ok(docs && lines && json_array_size(lines) == 2, "lines per document");
	json_t *l0 = json_array_get(lines, 0), *l1 = json_array_get(lines, 1);
	is_int(json_integer_value(json_object_get(l0, "/a")), 2, "/a line");
	is_int(json_integer_value(json_object_get(l0, "/b")), 4, "/b line");
	is_int(json_integer_value(json_object_get(l0, "/b/c/1")), 5,
	       "/b/c/1 line");
	is_int(json_integer_value(json_object_get(l0, "/b/d~1e")), 6,
	       "escaped key line");
	is_int(json_integer_value(json_object_get(l1, "/f/g")), 8,
	       "second document line");
	json_decref(docs);
	json_decref(lines);
}

int main(void)
{
	test_lines();
	test_cases();
	test_alias_bomb();
	test_deep_nesting();
	test_guess();
	test_round_trip();
	return tap_done();
}
