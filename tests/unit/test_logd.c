/*
 * test_logd.c - the log collector (runtime/logd.c) and its protocol as a
 * daemon sees it (runtime/logd_client.c), with real processes in a
 * temporary run folder: "D keep" gets the collector's pid and each
 * container's pipes ("S" with copies of the read ends), "X" when they
 * end; with the copies held, a kill -9 of the collector costs the
 * writer nothing (no EPIPE), and a new collector handed the pipes ("A")
 * reads what they held and goes on with the same file, cut back to its
 * last whole record; "ok held" for a path it reads already; malformed
 * hand-overs refused. This binary is its own collector: started as
 * `test_logd __logd DIR` it runs logd_main(), as `berth __logd` does.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/fdio.h"
#include "../../common/xalloc.h"
#include "../../runtime/logd.h"
#include "../../runtime/logd_proto.h"
#include "../lib/tap.h"

static char dir[] = "/tmp/berth-logd.XXXXXX";
static char path[256];

/* One message from fd within ms: its length (0 at the end), -1 when
 * none came; up to two descriptors in fds. */
static int recv_msg(int fd, char *buf, size_t size, int *fds, int *nfds, int ms)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 2)];
	struct iovec iov = {.iov_base = buf, .iov_len = size - 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;

	*nfds = 0;
	if (poll(&pfd, 1, ms) != 1)
		return -1;
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		memcpy(fds, CMSG_DATA(cm), k * sizeof(int));
		*nfds = (int)k;
	}
	return (int)n;
}

/* The collector's pid from the "H" a new "D keep" connection gets. */
static pid_t hello_pid(int fd)
{
	char buf[128];
	int fds[2], nfds;
	pid_t pid = 0;

	if (recv_msg(fd, buf, sizeof(buf), fds, &nfds, 5000) <= 0 ||
	    logd_hello_parse(buf, &pid) == -1)
		return 0;
	return pid;
}

static bool same_pipe(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

static char *file_text(void)
{
	char *text = NULL;

	if (file_read_all(path, &text, NULL, NULL) == -1)
		return xstrdup("");
	return text;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Waits (5 s) for the log file to hold n lines. */
static bool wait_lines(int n)
{
	for (int i = 0; i < 500; i++) {
		char *t = file_text();
		int have = count_lines(t);

		free(t);
		if (have >= n)
			return true;
		usleep(10000);
	}
	return false;
}

/* A raw request with its descriptors; the answer. */
static char *raw_request(const char *msg, const int *fds, int nfds)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char cbuf[CMSG_SPACE(sizeof(int) * 2)] = {0};
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = strlen(msg)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	char answer[256];
	int got[2], ngot;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, LOGD_SOCKET);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return xstrdup("(no connection)");
	}
	if (nfds > 0) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	sendmsg(fd, &mh, MSG_NOSIGNAL);
	if (recv_msg(fd, answer, sizeof(answer), got, &ngot, 5000) <= 0)
		snprintf(answer, sizeof(answer), "(no answer)");
	close(fd);
	return xstrdup(answer);
}

static bool exited_within(pid_t pid, int ms, int *status)
{
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
		usleep(10000);
	}
	return false;
}

int main(int argc, char **argv)
{
	int out[2], err[2], copies[2], fds[2], nfds, d1, d2, d3, status = 0;
	struct logd_pipes p;
	struct berr e = BERR_INIT;
	char buf[LOGD_MSG_MAX + 1], *text, *ans;
	pid_t pid1, pid2;
	bool held = true;

	if (argc == 3 && !strcmp(argv[1], "__logd"))
		return logd_main(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/container.log", dir);

	/* a daemon says "D keep": the collector (started) says its pid */
	d1 = logd_hello(dir, &e);
	ok(d1 >= 0, "hello: a collector started and answered (%s)", e.msg);
	pid1 = hello_pid(d1);
	ok(pid1 > 0, "H: the collector's pid");

	/* a new run: the daemon is sent copies of its pipes */
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1)
		abort();
	ok(logd_register(dir, path, 1 << 20, 3, out[0], err[0], &e) == 0,
	   "R: registered (%s)", e.msg);
	close(out[0]);
	close(err[0]);
	ok(recv_msg(d1, buf, sizeof(buf), fds, &nfds, 5000) > 0 &&
	       logd_pipes_parse(buf, 'S', &p) == 0,
	   "S: the new pipes announced (`%s`)", buf);
	ok(p.max_bytes == 1 << 20 && p.max_files == 3 && p.mask == 3 &&
	       !strcmp(p.path, path),
	   "S: the file and its cap");
	is_int(nfds, 2, "S: with both read ends");
	copies[0] = fds[0];
	copies[1] = fds[1];
	ok(nfds == 2 && same_pipe(copies[0], out[1]) &&
	       same_pipe(copies[1], err[1]),
	   "S: copies of the container's own pipes, stdout first");

	ok(write(out[1], "one\n", 4) == 4 && write(err[1], "two\n", 4) == 4,
	   "the container writes");
	ok(wait_lines(2), "both lines written as records");

	/* kill -9 of the collector: the daemon's copies keep the pipes
	 * read-able, the container's writes succeed */
	kill(pid1, SIGKILL);
	waitpid(pid1, &status, 0);
	ok(recv_msg(d1, buf, sizeof(buf), fds, &nfds, 5000) == 0,
	   "the daemon's connection ends with the collector");
	close(d1);
	errno = 0;
	ok(write(out[1], "three\n", 6) == 6, "no EPIPE after the kill (%s)",
	   strerror(errno));
	/* a record the dead collector had half written */
	{
		int fd = open(path, O_WRONLY | O_APPEND);

		fd_write_all(fd, "2026-01-01T00:00:00.000000000Z stdout F cu",
			     42);
		close(fd);
	}

	/* a new collector, handed the pipes with their file (the dead
	 * one's listening socket may take a first connection, and close
	 * it, while the kernel releases it: as logd_keep.c, try again) */
	for (int i = 0; i < 20; i++) {
		d2 = logd_hello(dir, &e);
		pid2 = d2 >= 0 ? hello_pid(d2) : 0;
		if (pid2 > 0)
			break;
		if (d2 >= 0)
			close(d2);
		usleep(50000);
	}
	ok(pid2 > 0 && pid2 != pid1, "a new collector started (pid %d)",
	   (int)pid2);
	p.path = path;
	p.mask = LOGD_PIPE_OUT | LOGD_PIPE_ERR;
	ok(logd_adopt(dir, &p, copies, &held, &e) == 0 && !held,
	   "A: handed over (%s)", e.msg);
	ok(recv_msg(d2, buf, sizeof(buf), fds, &nfds, 5000) > 0 &&
	       buf[0] == 'S' && nfds == 2 && same_pipe(fds[0], out[1]),
	   "S: the new collector announces the pipes it took");
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	ok(wait_lines(3), "what the pipe held is read by the new collector");
	text = file_text();
	ok(strstr(text, "stdout F one\n") && strstr(text, "stderr F two\n") &&
	       strstr(text, "stdout F three\n") && !strstr(text, " cu"),
	   "the same file goes on, the cut record dropped:\n%s", text);
	is_int(count_lines(text), 3, "three records");
	free(text);
	{
		struct stat st;
		char prev[300];

		snprintf(prev, sizeof(prev), "%s.previous", path);
		ok(stat(prev, &st) == -1 && errno == ENOENT,
		   "a hand-over is not a new run: no .previous");
	}
	ok(write(out[1], "four\n", 5) == 5 && wait_lines(4),
	   "the container writes on");
	held = false;
	ok(logd_adopt(dir, &p, copies, &held, &e) == 0 && held,
	   "A again for a path it reads: ok held");

	/* a daemon started again gets the pipes back */
	d3 = logd_hello(dir, &e);
	ok(hello_pid(d3) == pid2, "another daemon: H with the same pid");
	ok(recv_msg(d3, buf, sizeof(buf), fds, &nfds, 5000) > 0 &&
	       logd_pipes_parse(buf, 'S', &p) == 0 && nfds == 2 &&
	       same_pipe(fds[0], out[1]) && same_pipe(fds[1], err[1]),
	   "S: every pipe it reads, to a daemon that connects");
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	close(d3);

	/* malformed hand-overs */
	ans = raw_request("A 100 3 3 /tmp/x", copies, 1);
	is_str(ans, "error: malformed request", "A: fewer pipes than MASK");
	free(ans);
	ans = raw_request("A 100 3 1 relative", copies, 1);
	is_str(ans, "error: malformed request", "A: a relative path");
	free(ans);
	ans = raw_request("A 100 1 1 /tmp/x", copies, 1);
	is_str(ans, "error: malformed request", "A: one file");
	free(ans);
	ans =
	    raw_request("A 100 3 1 /nonexistent/dir/container.log", copies, 1);
	ok(!strncmp(ans, "error: open `/nonexistent/dir/container.log`", 44),
	   "A: a file that cannot be opened: `%s`", ans);
	free(ans);

	/* the cap holds for a file handed over: a record that would take
	 * it past max goes to a new file */
	{
		static const char rec[] = "2026-01-01T00:00:00.000000000Z "
					  "stdout F 0123456789012345678901234"
					  "567890123456789\n";
		char small[300], small1[310];
		struct logd_pipes sp = {.max_bytes = 120,
					.max_files = 2,
					.mask = LOGD_PIPE_OUT,
					.path = small};
		struct stat st;
		int q[2], fd;

		snprintf(small, sizeof(small), "%s/small.log", dir);
		snprintf(small1, sizeof(small1), "%s.1", small);
		fd = open(small, O_WRONLY | O_CREAT | O_TRUNC, 0640);
		fd_write_all(fd, rec, sizeof(rec) - 1);
		close(fd);
		if (pipe2(q, O_CLOEXEC) == -1)
			abort();
		held = true;
		ok(logd_adopt(dir, &sp, &q[0], &held, &e) == 0 && !held,
		   "A: stdout only, a file near its cap (%s)", e.msg);
		close(q[0]);
		ok(write(q[1], "next\n", 5) == 5, "its container writes");
		for (int i = 0; i < 500 && stat(small1, &st) == -1; i++)
			usleep(10000);
		ok(stat(small1, &st) == 0 && st.st_size == sizeof(rec) - 1,
		   "the file before moved to .1, whole");
		ok(stat(small, &st) == 0 && st.st_size == 45,
		   "the new record alone in the live file (%lld bytes)",
		   (long long)st.st_size);
		close(q[1]);
	}

	/* the container ends: "X" */
	close(copies[0]);
	close(copies[1]);
	close(out[1]);
	close(err[1]);
	buf[0] = '\0';
	while (recv_msg(d2, buf, sizeof(buf), fds, &nfds, 5000) > 0) {
		const char *xp = NULL;

		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		if (logd_closed_parse(buf, &xp) == 0 && !strcmp(xp, path))
			break;
	}
	{
		const char *xp = NULL;

		ok(logd_closed_parse(buf, &xp) == 0 && !strcmp(xp, path),
		   "X: the pipes ended (`%s`)", buf);
	}

	/* no pipe and no daemon: the collector exits */
	close(d2);
	ok(exited_within(pid2, 5000, &status) && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0,
	   "the collector exits once nothing is left");
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
