/*
 * test_doc.c - the generated documentation covers its sources: every
 * config key has a doc string and appears in berth.ini(5), every verb of
 * `berth --help` in berth(1) (`berth __manpage`, cli/manpage.c), and
 * `berth __complete` offers verbs and subcommands from the verb table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../cli/doc.h"
#include "../../config/config_doc.h"
#include "../lib/tap.h"

/* Runs a CLI verb with stdout captured into a malloc'd string. */
static char *capture(int (*fn)(struct cli_ctx *, int, char **), int argc,
		     char **argv)
{
	struct cli_ctx ctx = {.sock = "/nonexistent/berth.sock"};
	char path[] = "/tmp/berth-test-doc.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	char *buf;
	long len;
	FILE *f;

	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	fn(&ctx, argc, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	if (fread(buf, 1, (size_t)len, f) != (size_t)len)
		buf[0] = '\0';
	fclose(f);
	unlink(path);
	return buf;
}

/* name as roff writes it ('-' escaped). */
static void roffed(const char *name, char *out, size_t len)
{
	size_t o = 0;

	for (; *name && o + 3 < len; name++) {
		if (*name == '-')
			out[o++] = '\\';
		out[o++] = *name;
	}
	out[o] = '\0';
}

struct key_check {
	const char *page;
	int keys, undocumented, missing;
};

static void check_key(const struct cfg_key_doc *k, void *arg)
{
	struct key_check *c = arg;
	char want[160], name[128];

	c->keys++;
	if (k->doc == NULL || k->doc[0] == '\0') {
		c->undocumented++;
		printf("# key %s (%s) has no doc string\n", k->name,
		       k->section);
	}
	roffed(k->name, name, sizeof(name));
	snprintf(want, sizeof(want), ".TP\n.B %s\n", name);
	if (strstr(c->page, want) == NULL &&
	    !(strchr(name, '.') && name[strlen(name) - 1] == '.' &&
	      snprintf(want, sizeof(want), ".TP\n.B %s\\fIKEY\\fR\n", name) &&
	      strstr(c->page, want))) {
		c->missing++;
		printf("# key %s not in berth.ini(5)\n", k->name);
	}
}

struct verb_check {
	const char *page, *completions;
	int verbs, missing, not_completed;
};

static void check_verb(const char *name, const char *usage, const char *help,
		       void *arg)
{
	struct verb_check *c = arg;
	char want[160], line[80];

	c->verbs++;
	snprintf(want, sizeof(want), ".TP\n\\fB%s\\fR", name);
	if (strstr(c->page, want) == NULL) {
		c->missing++;
		printf("# verb %s not in berth(1)\n", name);
	}
	snprintf(line, sizeof(line), "\n%s\n", name);
	if (strstr(c->completions, line) == NULL) {
		c->not_completed++;
		printf("# verb %s not completed\n", name);
	}
}

int main(void)
{
	char *argv5[] = {"__manpage", "5", NULL};
	char *argv1[] = {"__manpage", "1", NULL};
	char *verbs[] = {"__complete", "", NULL};
	char *get[] = {"__complete", "get", "", NULL};
	char *rollout[] = {"__complete", "rollout", "", NULL};
	char *output[] = {"__complete", "get", "pods", "-o", "", NULL};
	char *flags[] = {"__complete", "rollout", "undo", "-", NULL};
	char *file[] = {"__complete", "apply", "-f", "", NULL};
	char *page5 = capture(cmd_manpage, 2, argv5);
	char *page1 = capture(cmd_manpage, 2, argv1);
	char *completions = capture(cmd_complete, 2, verbs);
	char *s;
	struct key_check kc = {.page = page5};
	struct verb_check vc = {.page = page1};

	/* a leading newline, so that each verb is matched as a line */
	s = malloc(strlen(completions) + 2);
	sprintf(s, "\n%s", completions);
	vc.completions = s;

	cfg_keys_walk(check_key, &kc);
	ok(kc.keys > 60, "the key table has its keys (%d)", kc.keys);
	is_int(kc.undocumented, 0, "every key has a doc string");
	is_int(kc.missing, 0, "every key is in berth.ini(5)");
	ok(strstr(page5, "One of: RollingUpdate, Recreate") != NULL,
	   "an enum key lists its values");
	ok(strstr(page5, ".B env\n") &&
	       strstr(strstr(page5, ".B env\n"), "more than once"),
	   "a repeatable key says so");

	cli_verbs_walk(check_verb, &vc);
	ok(vc.verbs >= 12, "the verb table has its verbs (%d)", vc.verbs);
	is_int(vc.missing, 0, "every verb is in berth(1)");
	ok(strstr(page1, "\\fBup\\fR [\\-c \\fIFILE\\fR]") != NULL,
	   "berth(1) has `up`");
	ok(strstr(page1, "__") == NULL, "hidden verbs are not in berth(1)");
	is_int(vc.not_completed, 0, "every verb is completed");
	ok(strstr(completions, "__") == NULL, "hidden verbs are not completed");
	free(completions);

	completions = capture(cmd_complete, 3, get);
	is_str(completions, "pods\ndeployments\nservices\nanalysisruns\n",
	       "get: the kinds from its usage line");
	free(completions);
	completions = capture(cmd_complete, 3, rollout);
	is_str(completions,
	       "status\nhistory\nundo\npause\nresume\nrestart\npromote\n"
	       "abort\nretry\n",
	       "rollout: its subcommands");
	free(completions);
	completions = capture(cmd_complete, 5, output);
	is_str(completions, "wide\njson\n", "-o: its values");
	free(completions);
	completions = capture(cmd_complete, 4, flags);
	ok(strstr(completions, "--to-revision\n") != NULL,
	   "rollout flags: --to-revision");
	free(completions);
	completions = capture(cmd_complete, 4, file);
	is_str(completions, ":file\n", "-f FILE: file names");
	free(completions);

	free(s);
	free(page1);
	free(page5);
	return tap_done();
}
