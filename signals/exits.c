/*
 * exits.c - containers' exit statuses across a daemon upgrade. A process's
 * parent cannot change, so the daemon that hands over stays the parent of
 * the containers it started: while it drains, and then as `berth __reaper`
 * exec'd in its place (same pid, so still their parent), it reaps them
 * and writes each status to RUN_DIR/exits/PID *before* the zombie goes
 * (waitid WNOWAIT, write, then reap). The daemon in charge, which watches
 * those containers through pidfds, reads the status there
 * (exits_take()): once the zombie is gone the file is there, or no reaper
 * of ours was the parent. A record nobody will read (its pod ended while
 * no daemon ran) is removed by the next daemon's start (exits_prune()),
 * given the pids its pods still own. Owns that folder's format; knows
 * nothing of pods.
 */
#include "exits.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/fdio.h"
#include "../common/log.h"
#include "../common/strutil.h"

static void exit_path(char *buf, size_t len, const char *run_dir, pid_t pid)
{
	snprintf(buf, len, "%s/exits/%d", run_dir, (int)pid);
}

int exits_write(const char *run_dir, pid_t pid, int status)
{
	char path[4096], dir[4096], text[32];
	struct berr err = BERR_INIT;
	int n;

	snprintf(dir, sizeof(dir), "%s/exits", run_dir);
	if (mkdir_p(dir, 0700, &err) == -1)
		return -1;
	exit_path(path, sizeof(path), run_dir, pid);
	n = snprintf(text, sizeof(text), "%d\n", status);
	return file_write_replace(path, text, (size_t)n, 0600, &err);
}

int exits_take(const char *run_dir, pid_t pid, int *status)
{
	char path[4096], *text = NULL;
	struct berr err = BERR_INIT;
	long long v;
	int found = 0;

	exit_path(path, sizeof(path), run_dir, pid);
	if (file_read_bounded(path, 64, 0, &text, NULL, &err) == -1)
		return 0;
	text[strcspn(text, "\n")] = '\0';
	if (str_parse_ll(text, &v) == 0) {
		*status = (int)v;
		found = 1;
	}
	free(text);
	unlink(path);
	return found;
}

size_t exits_prune(const char *run_dir, const pid_t *keep, size_t n)
{
	char dir[4096], path[4096 + 256];
	struct dirent *de;
	size_t removed = 0;
	DIR *dh;

	snprintf(dir, sizeof(dir), "%s/exits", run_dir);
	dh = opendir(dir);
	if (dh == NULL)
		return 0;
	while ((de = readdir(dh)) != NULL) {
		long long v;
		bool kept = false;

		/* only PID records: anything else is not ours to judge */
		if (de->d_name[strspn(de->d_name, "0123456789")] != '\0' ||
		    str_parse_ll(de->d_name, &v) != 0 || v <= 0)
			continue;
		for (size_t i = 0; i < n && !kept; i++)
			kept = keep[i] == (pid_t)v;
		if (kept)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == 0)
			removed++;
		else if (errno != ENOENT)
			log_warn("remove `%s`", path);
	}
	closedir(dh);
	return removed;
}

/* Whether pid is one of pids[0..n). */
static ssize_t index_of(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return (ssize_t)i;
	return -1;
}

/* One exited child: its status written when it is listed, then reaped.
 * Returns the number still listed. */
static size_t reap_one(const char *run_dir, pid_t *pids, size_t n, pid_t pid)
{
	ssize_t i = index_of(pids, n, pid);
	int status = 0;

	if (i >= 0) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == 0)
			status = si.si_code == CLD_EXITED
				     ? (si.si_status & 0xff) << 8
				     : si.si_status & 0x7f;
		if (exits_write(run_dir, pid, status) == -1)
			log_warn("exit status of pid %d not recorded",
				 (int)pid);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (i >= 0)
		pids[i] = pids[--n];
	return n;
}

size_t exits_collect(const char *run_dir, pid_t *pids, size_t n)
{
	for (;;) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
		    si.si_pid == 0)
			return n;
		n = reap_one(run_dir, pids, n, si.si_pid);
	}
}

int exits_reaper_main(int argc, char **argv)
{
	const char *run_dir;
	pid_t *pids;
	size_t n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: berth __reaper RUN_DIR PID...\n");
		return 2;
	}
	run_dir = argv[2];
	pids = calloc((size_t)argc, sizeof(*pids));
	if (pids == NULL)
		return 1;
	for (int i = 3; i < argc; i++) {
		long long v;

		if (str_parse_ll(argv[i], &v) == 0 && v > 0)
			pids[n++] = (pid_t)v;
	}
	log_info("reaper: parent of %zu container%s of the previous daemon "
		 "until they exit",
		 n, n == 1 ? "" : "s");
	while (n > 0) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == -1) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: none left */
		}
		n = reap_one(run_dir, pids, n, si.si_pid);
	}
	free(pids);
	return 0;
}
