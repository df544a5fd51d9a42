/*
 * sigtab.c - the signal name table (sigtab.h). Pure; owns no state beyond
 * constant tables.
 */
#include "sigtab.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name; /* without "SIG" */
	int sig;
} sigs[] = {
    {"HUP", SIGHUP},
    {"INT", SIGINT},
    {"QUIT", SIGQUIT},
    {"ILL", SIGILL},
    {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT},
    {"BUS", SIGBUS},
    {"FPE", SIGFPE},
    {"KILL", SIGKILL},
    {"USR1", SIGUSR1},
    {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},
    {"ALRM", SIGALRM},
    {"TERM", SIGTERM},
#ifdef SIGSTKFLT
    {"STKFLT", SIGSTKFLT},
#endif
    {"CHLD", SIGCHLD},
    {"CONT", SIGCONT},
    {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},
    {"URG", SIGURG},
    {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},
    {"IO", SIGIO},
#ifdef SIGPWR
    {"PWR", SIGPWR},
#endif
    {"SYS", SIGSYS},
    /* aliases, after the canonical names so sigtab_name() prefers those */
    {"IOT", SIGIOT},
    {"POLL", SIGPOLL},
    {"CLD", SIGCHLD},
};

#define NSIGS (sizeof(sigs) / sizeof(sigs[0]))

/* Names for SIGRTMIN+0 .. SIGRTMIN+32; sigtab_name() returns them. */
static const char *const rt_names[] = {
    "SIGRTMIN",	   "SIGRTMIN+1",  "SIGRTMIN+2",	 "SIGRTMIN+3",	"SIGRTMIN+4",
    "SIGRTMIN+5",  "SIGRTMIN+6",  "SIGRTMIN+7",	 "SIGRTMIN+8",	"SIGRTMIN+9",
    "SIGRTMIN+10", "SIGRTMIN+11", "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14",
    "SIGRTMIN+15", "SIGRTMIN+16", "SIGRTMIN+17", "SIGRTMIN+18", "SIGRTMIN+19",
    "SIGRTMIN+20", "SIGRTMIN+21", "SIGRTMIN+22", "SIGRTMIN+23", "SIGRTMIN+24",
    "SIGRTMIN+25", "SIGRTMIN+26", "SIGRTMIN+27", "SIGRTMIN+28", "SIGRTMIN+29",
    "SIGRTMIN+30", "SIGRTMIN+31", "SIGRTMIN+32",
};

/* Strict small decimal: digits only, at most 3 of them. */
static int small_number(const char *s)
{
	int v = 0;

	if (*s == '\0' || strlen(s) > 3)
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (without "SIG"). */
static int rt_from_name(const char *s)
{
	int base, off = 0, sig;

	if (strncasecmp(s, "RTMIN", 5) == 0) {
		base = SIGRTMIN;
		s += 5;
		if (*s == '+' && (off = small_number(s + 1)) < 0)
			return -1;
		if (*s != '\0' && *s != '+')
			return -1;
		sig = base + off;
	} else if (strncasecmp(s, "RTMAX", 5) == 0) {
		base = SIGRTMAX;
		s += 5;
		if (*s == '-' && (off = small_number(s + 1)) < 0)
			return -1;
		if (*s != '\0' && *s != '-')
			return -1;
		sig = base - off;
	} else {
		return -1;
	}
	if (sig < SIGRTMIN || sig > SIGRTMAX)
		return -1;
	return sig;
}

int sigtab_from_name(const char *name)
{
	int n;

	if (isdigit((unsigned char)name[0])) {
		n = small_number(name);
		if (n < 1 || n > SIGRTMAX)
			return -1;
		return n;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < NSIGS; i++) {
		if (strcasecmp(name, sigs[i].name) == 0)
			return sigs[i].sig;
	}
	return rt_from_name(name);
}

const char *sigtab_name(int sig)
{
	static const char *const full[] = {
	    "SIGHUP",	 "SIGINT",  "SIGQUIT",	"SIGILL",  "SIGTRAP",
	    "SIGABRT",	 "SIGBUS",  "SIGFPE",	"SIGKILL", "SIGUSR1",
	    "SIGSEGV",	 "SIGUSR2", "SIGPIPE",	"SIGALRM", "SIGTERM",
	    "SIGSTKFLT", "SIGCHLD", "SIGCONT",	"SIGSTOP", "SIGTSTP",
	    "SIGTTIN",	 "SIGTTOU", "SIGURG",	"SIGXCPU", "SIGXFSZ",
	    "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",
	    "SIGSYS",
	};

	/* full[] is indexed by Linux numbering; check it against sigs[]. */
	for (size_t i = 0; i < NSIGS; i++) {
		if (sigs[i].sig != sig)
			continue;
		for (size_t j = 0; j < sizeof(full) / sizeof(full[0]); j++) {
			if (strcmp(full[j] + 3, sigs[i].name) == 0)
				return full[j];
		}
	}
	if (sig >= SIGRTMIN && sig <= SIGRTMAX &&
	    (size_t)(sig - SIGRTMIN) < sizeof(rt_names) / sizeof(rt_names[0]))
		return rt_names[sig - SIGRTMIN];
	return NULL;
}
