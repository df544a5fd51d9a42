/*
 * probe_result.c - reason codes of probe runs and kubelet's wording for
 * them. Pure formatting; must not do I/O or know about scheduling.
 */
#include "probe_result.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const result_names[PROBE_RESULT_N] = {
    [PROBE_RESULT_OK] = "OK",
    [PROBE_RESULT_TIMEOUT] = "Timeout",
    [PROBE_RESULT_TCP_REFUSED] = "TCPRefused",
    [PROBE_RESULT_TCP_ERROR] = "TCPError",
    [PROBE_RESULT_HTTP_STATUS] = "HTTPStatus",
    [PROBE_RESULT_HTTP_ERROR] = "HTTPError",
    [PROBE_RESULT_HTTP_REDIRECTS] = "HTTPRedirects",
    [PROBE_RESULT_EXEC_EXIT] = "ExecExit",
    [PROBE_RESULT_EXEC_ERROR] = "ExecError",
    [PROBE_RESULT_NETNS_ERROR] = "NetnsError",
    [PROBE_RESULT_INTERNAL] = "Internal",
};

const char *probe_result_name(enum probe_result r)
{
	if ((unsigned)r >= PROBE_RESULT_N)
		return "Unknown";
	return result_names[r];
}

const char *probe_type_name(enum probe_type t)
{
	switch (t) {
	case PROBE_STARTUP:
		return "Startup";
	case PROBE_LIVENESS:
		return "Liveness";
	case PROBE_READINESS:
		return "Readiness";
	}
	return "Unknown";
}

/* Go prints errno texts in lower case ("connection refused"). */
static void go_errno_text(char *buf, size_t len, int errnum)
{
	snprintf(buf, len, "%s", strerror(errnum));
	if (buf[0] != '\0')
		buf[0] = (char)tolower((unsigned char)buf[0]);
}

static const char *str_or(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

/* "Get \"URL\": " when the run was an HTTP one, else "". */
static void get_prefix(char *buf, size_t len, const struct probe_result_ctx *c)
{
	if (c->url != NULL)
		snprintf(buf, len, "Get \"%s\": ", c->url);
	else
		buf[0] = '\0';
}

void probe_result_detail(char *buf, size_t len, enum probe_result r,
			 const struct probe_result_ctx *ctx)
{
	static const struct probe_result_ctx none;
	const struct probe_result_ctx *c = ctx != NULL ? ctx : &none;
	const char *out = str_or(c->output, "");
	const char *addr = str_or(c->addr, "127.0.0.1");
	char get[600];
	char etext[128];

	if (len == 0)
		return;
	get_prefix(get, sizeof(get), c);
	switch (r) {
	case PROBE_RESULT_OK:
		snprintf(buf, len, "%s", out);
		break;
	case PROBE_RESULT_TIMEOUT:
		if (c->command != NULL)
			snprintf(buf, len, "command \"%s\" timed out",
				 c->command);
		else if (c->url != NULL)
			snprintf(buf, len,
				 "%scontext deadline exceeded (Client.Timeout "
				 "exceeded while awaiting headers)",
				 get);
		else
			snprintf(buf, len, "dial tcp %s: i/o timeout", addr);
		break;
	case PROBE_RESULT_TCP_REFUSED:
		snprintf(buf, len, "%sdial tcp %s: connect: connection refused",
			 get, addr);
		break;
	case PROBE_RESULT_TCP_ERROR:
		go_errno_text(etext, sizeof(etext), c->code);
		snprintf(buf, len, "%sdial tcp %s: connect: %s", get, addr,
			 etext);
		break;
	case PROBE_RESULT_HTTP_STATUS:
		snprintf(buf, len, "HTTP probe failed with statuscode: %d",
			 c->code);
		break;
	case PROBE_RESULT_HTTP_ERROR:
		snprintf(buf, len, "%s%s", get, out);
		break;
	case PROBE_RESULT_HTTP_REDIRECTS:
		snprintf(buf, len, "%sstopped after 10 redirects", get);
		break;
	case PROBE_RESULT_EXEC_EXIT:
		snprintf(buf, len, "command \"%s\" exited with %d%s%s",
			 str_or(c->command, ""), c->code, out[0] ? ": " : "",
			 out);
		break;
	case PROBE_RESULT_EXEC_ERROR:
		snprintf(buf, len, "command \"%s\" could not run: %s",
			 str_or(c->command, ""), out);
		break;
	case PROBE_RESULT_NETNS_ERROR:
		snprintf(buf, len, "%s%s", get, out);
		break;
	case PROBE_RESULT_INTERNAL:
	case PROBE_RESULT_N:
	default:
		snprintf(buf, len, "%s", out);
		break;
	}
}

void probe_result_message(char *buf, size_t len, enum probe_type t,
			  enum probe_result r, const char *detail)
{
	const char *d = str_or(detail, "");

	if (r != PROBE_RESULT_OK)
		snprintf(buf, len, "%s probe failed: %s", probe_type_name(t),
			 d);
	else if (d[0] != '\0')
		snprintf(buf, len, "%s probe warning: %s", probe_type_name(t),
			 d);
	else
		snprintf(buf, len, "%s probe succeeded", probe_type_name(t));
}
