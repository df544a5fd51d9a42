/*
 * test_strutil.c - table-driven tests of common/strutil.c and
 * common/sigtab.c: trimming, strict integers, name syntaxes, word
 * splitting, $(VAR) expansion, label lists, ADDR:PORT and signal names.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/sigtab.h"
#include "../../common/strutil.h"
#include "../lib/tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Words joined with '|' for comparison; "ERR:why" on failure. */
static void split_join(const char *in, char *out, size_t len)
{
	char **v;
	size_t n;
	const char *why;

	if (str_split_words(in, &v, &n, &why) == -1) {
		snprintf(out, len, "ERR:%s", why);
		return;
	}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strncat(out, i ? "|" : "", len - strlen(out) - 1);
		strncat(out, v[i], len - strlen(out) - 1);
	}
	if (v[n] != NULL)
		strncat(out, "|NOT-NULL-TERMINATED", len - strlen(out) - 1);
	str_free_words(v);
}

static const char *const split_cases[][2] = {
    {"", ""},
    {"   ", ""},
    {"/bin/echo", "/bin/echo"},
    {"  a   b\tc  ", "a|b|c"},
    {"/usr/sbin/nginx -s quit", "/usr/sbin/nginx|-s|quit"},
    {"'a b' c", "a b|c"},
    {"\"a b\" c", "a b|c"},
    {"a\\ b", "a b"},
    {"\"say \\\"hi\\\"\"", "say \"hi\""},
    {"'it''s'", "its"},
    {"\"\\n\"", "\\n"},
    {"x'y'\"z\"", "xyz"},
    {"''", ""}, /* one empty word, joined as "" */
    {"a '' b", "a||b"},
    {"sh -c 'echo $(HOME)'", "sh|-c|echo $(HOME)"},
    {"'unterminated", "ERR:unterminated single quote"},
    {"\"unterminated", "ERR:unterminated double quote"},
    {"trailing\\", "ERR:trailing backslash"},
};

static const char *lookup(void *arg, const char *name, size_t len)
{
	static const char *const vars[][2] = {
	    {"HOME", "/root"}, {"V", "1.0"}, {"EMPTY", ""}};

	for (size_t i = 0; i < N(vars); i++) {
		if (strlen(vars[i][0]) == len &&
		    strncmp(vars[i][0], name, len) == 0)
			return vars[i][1];
	}
	return NULL;
}

static const char *const expand_cases[][2] = {
    {"plain", "plain"},	     {"$(HOME)", "/root"},
    {"v$(V)-x", "v1.0-x"},   {"$(UNKNOWN)", "$(UNKNOWN)"},
    {"$$(HOME)", "$(HOME)"}, {"$$", "$"},
    {"$$$(V)", "$1.0"},	     {"$HOME", "$HOME"},
    {"$(HOME", "$(HOME"},    {"a$", "a$"},
    {"$(EMPTY)x", "x"},	     {"$(V)$(V)", "1.01.0"},
    {"$()", "$()"},
};

static const char *const label_cases[][2] = {
    {"app=echo", "app=echo"},
    {"app=echo,track=stable", "app=echo;track=stable"},
    {" app = echo , track=stable ", "app=echo;track=stable"},
    {"", ""},
    {"example.com/tier=web", "example.com/tier=web"},
    {"a=", "a="},
    {"A_b.c-D=X_y", "A_b.c-D=X_y"},
    {"app", "ERR"},
    {"app=echo,", "ERR"},
    {",app=echo", "ERR"},
    {"app=a,app=b", "ERR"},
    {"-app=x", "ERR"},
    {"app=-x", "ERR"},
    {"app=x y", "ERR"},
    {"Bad_Prefix/app=x", "ERR"},
    {"/app=x", "ERR"},
    {"=x", "ERR"},
    {"a=0123456789012345678901234567890123456789012345678901234567890123",
     "ERR"},
};

static void labels_join(const char *in, char *out, size_t len)
{
	char **v, why[200];
	size_t n;

	if (str_parse_labels(in, &v, &n, why, sizeof(why)) == -1) {
		snprintf(out, len, "ERR");
		return;
	}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(out);

		snprintf(out + l, len - l, "%s%s=%s", i ? ";" : "", v[2 * i],
			 v[2 * i + 1]);
	}
	str_free_words(v);
}

struct hp {
	const char *in;
	int rc;
	const char *host;
	int port;
};

static const struct hp hp_cases[] = {
    {"127.0.0.1:9180", 0, "127.0.0.1", 9180},
    {"0.0.0.0:80", 0, "0.0.0.0", 80},
    {"[::1]:8080", 0, "::1", 8080},
    {"[::]:65535", 0, "::", 65535},
    {":8080", -1, NULL, 0},
    {"localhost:80", -1, NULL, 0},
    {"::1:80", -1, NULL, 0},
    {"[::1]80", -1, NULL, 0},
    {"1.2.3.4", -1, NULL, 0},
    {"1.2.3.4:0", -1, NULL, 0},
    {"1.2.3.4:65536", -1, NULL, 0},
    {"1.2.3.4:http", -1, NULL, 0},
    {"1.2.3.400:80", -1, NULL, 0},
    {"[1.2.3.4]:80", -1, NULL, 0},
};

int main(void)
{
	char buf[512];

	/* trim */
	{
		char s1[] = "  a b \t\n", s2[] = "", s3[] = "   ";

		is_str(str_trim(s1), "a b", "trim both ends");
		is_str(str_trim(s2), "", "trim empty");
		is_str(str_trim(s3), "", "trim blanks only");
	}
	/* strict integers */
	{
		static const struct {
			const char *in;
			int rc;
			long long v;
		} c[] = {{"0", 0, 0},	 {"42", 0, 42},
			 {"-3", 0, -3},	 {"007", 0, 7},
			 {"", -1, 0},	 {"-", -1, 0},
			 {"4x", -1, 0},	 {" 4", -1, 0},
			 {"+4", -1, 0},	 {"four", -1, 0},
			 {"1.5", -1, 0}, {"99999999999999999999", -1, 0}};

		for (size_t i = 0; i < N(c); i++) {
			long long v = -99;

			is_int(str_parse_ll(c[i].in, &v), c[i].rc,
			       "parse_ll \"%s\"", c[i].in);
			if (c[i].rc == 0)
				is_int(v, c[i].v, "parse_ll \"%s\" value",
				       c[i].in);
		}
	}
	/* names */
	ok(str_is_dns_label("echo", 40), "dns label echo");
	ok(str_is_dns_label("echo-blue2", 40), "dns label echo-blue2");
	ok(!str_is_dns_label("Echo", 40), "dns label rejects upper case");
	ok(!str_is_dns_label("-echo", 40), "dns label rejects leading -");
	ok(!str_is_dns_label("echo-", 40), "dns label rejects trailing -");
	ok(!str_is_dns_label("e_cho", 40), "dns label rejects _");
	ok(!str_is_dns_label("", 40), "dns label rejects empty");
	ok(!str_is_dns_label("abcdefghijabcdefghijabcdefghijabcdefghijx", 40),
	   "dns label rejects 41 characters");
	ok(str_is_dns_subdomain("example.com"), "subdomain example.com");
	ok(!str_is_dns_subdomain("example..com"), "subdomain rejects ..");
	ok(str_is_env_name("VERSION"), "env name VERSION");
	ok(str_is_env_name("my.var-1"), "env name my.var-1");
	ok(!str_is_env_name("1X"), "env name rejects leading digit");
	ok(!str_is_env_name("A B"), "env name rejects blank");
	ok(!str_is_env_name(""), "env name rejects empty");
	ok(str_is_label_key("app.kubernetes.io/name"), "label key with prefix");
	ok(!str_is_label_key("a/b/c"), "label key rejects two slashes");
	ok(str_is_label_value(""), "label value may be empty");

	for (size_t i = 0; i < N(split_cases); i++) {
		split_join(split_cases[i][0], buf, sizeof(buf));
		is_str(buf, split_cases[i][1], "split [%s]", split_cases[i][0]);
	}
	{
		char **v;
		size_t n;
		const char *why;

		str_split_words("''", &v, &n, &why);
		is_int(n, 1, "'' is one empty word");
		str_free_words(v);
	}
	for (size_t i = 0; i < N(expand_cases); i++) {
		char *e = str_expand_vars(expand_cases[i][0], lookup, NULL);

		is_str(e, expand_cases[i][1], "expand [%s]",
		       expand_cases[i][0]);
		free(e);
	}
	for (size_t i = 0; i < N(label_cases); i++) {
		labels_join(label_cases[i][0], buf, sizeof(buf));
		is_str(buf, label_cases[i][1], "labels [%s]",
		       label_cases[i][0]);
	}
	for (size_t i = 0; i < N(hp_cases); i++) {
		char host[64] = "";
		int port = 0;
		const char *why = NULL;
		int rc = str_split_hostport(hp_cases[i].in, host, sizeof(host),
					    &port, &why);

		is_int(rc, hp_cases[i].rc, "hostport [%s]", hp_cases[i].in);
		if (rc == 0) {
			is_str(host, hp_cases[i].host, "hostport [%s] host",
			       hp_cases[i].in);
			is_int(port, hp_cases[i].port, "hostport [%s] port",
			       hp_cases[i].in);
		} else {
			ok(why != NULL && *why != '\0',
			   "hostport [%s] says why", hp_cases[i].in);
		}
	}

	/* sigtab */
	{
		static const struct {
			const char *in;
			int sig;
		} c[] = {{"SIGTERM", SIGTERM},
			 {"TERM", SIGTERM},
			 {"15", SIGTERM},
			 {"sigquit", SIGQUIT},
			 {"QUIT", SIGQUIT},
			 {"SIGKILL", SIGKILL},
			 {"SIGWINCH", SIGWINCH},
			 {"SIGUSR1", SIGUSR1},
			 {"SIGIOT", SIGABRT},
			 {"SIGCLD", SIGCHLD},
			 {"1", 1},
			 {"0", -1},
			 {"65", -1},
			 {"SIGFOO", -1},
			 {"", -1},
			 {"SIG", -1},
			 {"15x", -1},
			 {"-15", -1},
			 {"SIGTERM ", -1}};

		for (size_t i = 0; i < N(c); i++)
			is_int(sigtab_from_name(c[i].in), c[i].sig,
			       "sigtab_from_name(\"%s\")", c[i].in);
		is_int(sigtab_from_name("SIGRTMIN"), SIGRTMIN, "SIGRTMIN");
		is_int(sigtab_from_name("SIGRTMIN+3"), SIGRTMIN + 3,
		       "SIGRTMIN+3");
		is_int(sigtab_from_name("RTMAX-1"), SIGRTMAX - 1, "RTMAX-1");
		is_int(sigtab_from_name("SIGRTMAX+1"), -1, "SIGRTMAX+1");
		is_str(sigtab_name(SIGTERM), "SIGTERM", "sigtab_name(15)");
		is_str(sigtab_name(SIGQUIT), "SIGQUIT", "sigtab_name(SIGQUIT)");
		is_str(sigtab_name(SIGABRT), "SIGABRT",
		       "sigtab_name prefers SIGABRT over SIGIOT");
		is_str(sigtab_name(SIGCHLD), "SIGCHLD", "sigtab_name(SIGCHLD)");
		is_str(sigtab_name(SIGRTMIN + 2), "SIGRTMIN+2",
		       "sigtab_name(SIGRTMIN+2)");
		is_str(sigtab_name(0), NULL, "sigtab_name(0) is NULL");
		for (int s = 1; s < 32; s++) {
			const char *nm = sigtab_name(s);

			if (nm == NULL)
				continue;
			is_int(sigtab_from_name(nm), s, "round trip %s", nm);
		}
	}
	return tap_done();
}
