/*
 * manpage.c - `berth __manpage 1|5`: berth(1) from the verb table and
 * berth.ini(5) from the config key table, as roff on stdout. The Makefile
 * runs it to build build/man/; nothing here is written by hand twice.
 * Owns roff escaping and the pages' fixed prose; must not list a verb or
 * a key itself.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../config/config_doc.h"
#include "doc.h"

/* Text for a roff line: backslashes and '-' escaped, and a '.' or '\''
 * at the start of a line made literal. */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

/* A usage line: the verb in bold, placeholders (upper case words) in
 * italics, the rest as is. */
static void roff_usage(FILE *f, const char *usage)
{
	const char *s = usage;
	size_t n = strcspn(s, " ");
	char word[128];

	fputs("\\fB", f);
	snprintf(word, sizeof(word), "%.*s", (int)n, s);
	roff(f, word);
	fputs("\\fR", f);
	s += n;
	while (*s) {
		size_t up = 0;

		while (isupper((unsigned char)s[up]) || s[up] == '_')
			up++;
		if (up > 1) {
			snprintf(word, sizeof(word), "%.*s", (int)up, s);
			fputs("\\fI", f);
			roff(f, word);
			fputs("\\fR", f);
			s += up;
			continue;
		}
		snprintf(word, sizeof(word), "%c", *s);
		roff(f, word);
		s++;
	}
}

static void verb_item(const char *name, const char *usage, const char *help,
		      void *arg)
{
	FILE *f = arg;

	fputs(".TP\n", f);
	roff_usage(f, usage);
	fputs("\n", f);
	roff(f, help);
	fputs(".\n", f);
}

static void page1(FILE *f)
{
	fputs(".TH BERTH 1 \"\" \"berth\" \"User Commands\"\n"
	      ".nh\n"
	      ".SH NAME\n"
	      "berth \\- a single\\-node container orchestrator\n"
	      ".SH SYNOPSIS\n"
	      ".B berth up\n"
	      ".RB [ \\-c\n"
	      ".IR FILE ]\n"
	      ".RB [ \\-\\-debug ]\n"
	      ".br\n"
	      ".B berth\n"
	      ".RB [ \\-\\-socket\n"
	      ".IR PATH ]\n"
	      ".I VERB\n"
	      ".RI [ ARGS ]\n"
	      ".SH DESCRIPTION\n"
	      "One daemon supervises containers on one Linux host: it starts "
	      "them with an OCI runtime (runc or crun), probes their health, "
	      "stops them gracefully and rolls new versions out behind its own "
	      "local proxy. Its vocabulary is Kubernetes': deployments, pods, "
	      "services, revisions, probes.\n"
	      ".PP\n"
	      ".B berth up\n"
	      "runs the daemon in the foreground; every other verb talks to it "
	      "over its control socket.\n"
	      "The configuration file is described in\n"
	      ".BR berth.ini (5).\n"
	      ".SH COMMANDS\n",
	      f);
	verb_item("up", CLI_UP_USAGE, CLI_UP_HELP, f);
	verb_item("image", CLI_IMAGE_USAGE, CLI_IMAGE_HELP, f);
	cli_verbs_walk(verb_item, f);
	fputs(
	    ".SH OPTIONS\n"
	    ".TP\n"
	    ".BI \\-\\-socket \" PATH\"\n"
	    "The daemon's control socket (any verb; default "
	    "/run/berth/berth.sock).\n"
	    ".TP\n"
	    ".BR \\-h \", \" \\-\\-help\n"
	    "Print the verbs and their usage.\n"
	    ".TP\n"
	    ".BI \\-o \" json\"\n"
	    "One JSON document (with\n"
	    ".BR \\-w ,\n"
	    "one per line).\n"
	    ".SH SIGNALS\n"
	    "The daemon stops every pod through its full termination sequence "
	    "and then exits on\n"
	    ".B SIGTERM\n"
	    "or\n"
	    ".BR SIGINT ,\n"
	    "as\n"
	    ".B berth down\n"
	    "does;\n"
	    ".B SIGHUP\n"
	    "applies its configuration file again, as\n"
	    ".B berth apply\n"
	    "does.\n"
	    ".SH ENVIRONMENT\n"
	    ".TP\n"
	    ".B BERTH_SOCKET\n"
	    "The control socket, when\n"
	    ".B \\-\\-socket\n"
	    "is not given.\n"
	    ".TP\n"
	    ".BR NOTIFY_SOCKET \", \" WATCHDOG_USEC \", \" WATCHDOG_PID\n"
	    "Set by systemd for a Type=notify service: the daemon sends "
	    "READY=1, STATUS=, WATCHDOG=1, RELOADING=1 and STOPPING=1 (see "
	    "berth.service). Never passed on to the runtime or the "
	    "containers.\n"
	    ".TP\n"
	    ".B JOURNAL_STREAM\n"
	    "When it names the daemon's standard error, each log line starts "
	    "with its syslog priority for journald.\n"
	    ".SH EXIT STATUS\n"
	    "0: success; 1: the operation failed; 2: usage or configuration "
	    "error.\n"
	    ".SH FILES\n"
	    ".TP\n"
	    ".I /run/berth/berth.sock\n"
	    "The control socket (run_dir), mode 0600; callers other than "
	    "root may only read.\n"
	    ".TP\n"
	    ".I /var/lib/berth\n"
	    "The desired state, revisions and pod records (state_dir); its "
	    "file\n"
	    ".I applied\n"
	    "names the configuration that\n"
	    ".B berth up\n"
	    "without\n"
	    ".B \\-c\n"
	    "uses.\n"
	    ".SH SEE ALSO\n"
	    ".BR berth.ini (5),\n"
	    ".BR runc (8),\n"
	    ".BR systemd.service (5)\n",
	    f);
}

struct page5 {
	FILE *f;
	const char *section; /* the section whose keys are being listed */
};

static void key_item(const struct cfg_key_doc *k, void *arg)
{
	struct page5 *pg = arg;
	FILE *f = pg->f;
	size_t n = strlen(k->name);

	if (pg->section == NULL || strcmp(pg->section, k->section) != 0) {
		pg->section = k->section;
		if (!strcmp(k->section, "probe"))
			fputs(".SH PROBE KEYS\n"
			      "Each follows one of the prefixes "
			      "startupProbe., livenessProbe. and "
			      "readinessProbe., e.g. "
			      "readinessProbe.periodSeconds. A probe has "
			      "exactly one handler: exec, httpGet or "
			      "tcpSocket.\n",
			      f);
		else
			fprintf(f, ".SH [%s%s]\n", k->section,
				strcmp(k->section, "berth") ? " NAME" : "");
	}
	fputs(".TP\n.B ", f);
	roff(f, k->name);
	if (n > 0 && k->name[n - 1] == '.')
		fputs("\\fIKEY\\fR", f);
	fputs("\n", f);
	roff(f, k->doc);
	if (k->values) {
		fputs(" One of: ", f);
		for (size_t i = 0; k->values[i]; i++) {
			fputs(i ? ", " : "", f);
			roff(f, k->values[i]);
		}
		fputs(".", f);
	}
	if (k->repeatable)
		fputs(" May be given more than once.", f);
	fputs("\n", f);
}

static void page5(FILE *f)
{
	struct page5 pg = {f, NULL};

	fputs(".TH BERTH.INI 5 \"\" \"berth\" \"File Formats\"\n"
	      ".nh\n"
	      ".SH NAME\n"
	      "berth.ini \\- berth's configuration file\n"
	      ".SH DESCRIPTION\n"
	      "One INI file describes the host ([berth]) and every workload "
	      "([deployment NAME], [service NAME]). It is read by\n"
	      ".BR \"berth up \\-c\" ,\n"
	      ".B berth apply \\-f\n"
	      "and\n"
	      ".BR \"berth validate \\-f\" .\n"
	      "Keys are Kubernetes' field paths written with dots, with "
	      "Kubernetes' defaults. An unknown section or key, a bad value or "
	      "a cross\\-field error rejects the whole file with\n"
	      ".I FILE:LINE: message\n"
	      "and nothing is applied. Durations are integers in seconds; "
	      "quantities accept Mi, Gi and m (millicores); relative paths are "
	      "resolved against the file's folder; ';' starts a comment; a "
	      "line is at most 200 characters.\n",
	      f);
	cfg_keys_walk(key_item, &pg);
	fputs(".SH EXAMPLE\n"
	      ".nf\n"
	      "[berth]\n"
	      "state_dir = /var/lib/berth\n"
	      "\n"
	      "[deployment echo]\n"
	      "image = /srv/images/echo\n"
	      "command = /bin/echo\\-version\n"
	      "args = \\-\\-listen :8080\n"
	      "replicas = 2\n"
	      "labels = app=echo\n"
	      "readinessProbe.httpGet.path = /healthz\n"
	      "readinessProbe.httpGet.port = 8080\n"
	      "\n"
	      "[service echo]\n"
	      "listen = 127.0.0.1:8080\n"
	      "selector = app=echo\n"
	      "targetPort = 8080\n"
	      ".fi\n"
	      ".SH SEE ALSO\n"
	      ".BR berth (1)\n",
	      f);
}

int cmd_manpage(struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "1") && strcmp(argv[1], "5")))
		return cli_usage_error("__manpage", "give the section, 1 or 5");
	if (!strcmp(argv[1], "1"))
		page1(stdout);
	else
		page5(stdout);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
