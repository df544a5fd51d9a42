/*
 * test_exits.c - unit tests for signals/exits.c: a child's exit status is
 * recorded before it is reaped, only for the children listed, read back
 * once, and a status that was never recorded is not found; a prune
 * removes the records of pids not kept, and nothing else.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../signals/exits.h"
#include "../lib/tap.h"

static char tmpdir[] = "/tmp/berth-exits.XXXXXX";

static pid_t child_exiting(int code)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(code);
	return pid;
}

/* Waits (without reaping) until pid has exited. */
static void wait_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
}

int main(void)
{
	struct berr err = BERR_INIT;
	pid_t listed, other, killed, pids[3];
	int status = -1;
	size_t n;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	ok(exits_take(tmpdir, 12345, &status) == 0, "no record, not found");

	listed = child_exiting(7);
	other = child_exiting(3);
	killed = fork();
	if (killed == 0) {
		pause();
		_exit(0);
	}
	kill(killed, SIGKILL);
	wait_exited(listed);
	wait_exited(other);
	wait_exited(killed);
	pids[0] = listed;
	pids[1] = killed;
	n = exits_collect(tmpdir, pids, 2);
	is_int((int)n, 0, "both listed children reaped");
	ok(waitpid(other, NULL, WNOHANG) == -1,
	   "the unlisted child reaped too");
	ok(exits_take(tmpdir, other, &status) == 0,
	   "an unlisted child's status is not recorded");
	ok(exits_take(tmpdir, listed, &status) == 1 && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 7,
	   "exit code 7 read back");
	ok(exits_take(tmpdir, listed, &status) == 0, "read back once only");
	ok(exits_take(tmpdir, killed, &status) == 1 && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGKILL,
	   "a SIGKILL read back as such");

	/* a listed child still running stays listed */
	pids[0] = fork();
	if (pids[0] == 0) {
		pause();
		_exit(0);
	}
	is_int((int)exits_collect(tmpdir, pids, 1), 1, "a running child stays");
	kill(pids[0], SIGTERM);
	waitpid(pids[0], NULL, 0);

	/* prune: the records of pids not kept go, nothing else does */
	{
		pid_t keep[] = {101, 303};
		char path[256];
		int fd;

		ok(exits_prune(tmpdir, keep, 2) == 0,
		   "no record: none removed");
		for (int i = 1; i <= 4; i++)
			exits_write(tmpdir, (pid_t)(101 * i), 0);
		snprintf(path, sizeof(path), "%s/exits/.101.tmp", tmpdir);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		is_int((int)exits_prune(tmpdir, keep, 2), 2,
		       "the two records of pids not kept removed");
		ok(exits_take(tmpdir, 101, &status) == 1,
		   "a kept pid's record stays");
		ok(exits_take(tmpdir, 303, &status) == 1, "so does the other");
		ok(exits_take(tmpdir, 202, &status) == 0 &&
		       exits_take(tmpdir, 404, &status) == 0,
		   "the others are gone");
		ok(access(path, F_OK) == 0,
		   "a name that is no pid is left alone");
		exits_write(tmpdir, 505, 0);
		is_int((int)exits_prune(tmpdir, NULL, 0), 1,
		       "nothing kept: every record goes");
	}
	rm_rf(tmpdir, &err);
	return tap_done();
}
