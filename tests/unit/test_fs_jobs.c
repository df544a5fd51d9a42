/*
 * test_fs_jobs.c - unit tests for runtime/fs_jobs.c and the removals of
 * runtime/rootfs.c on a real libuv loop: a tree renamed away at once and
 * deleted on the thread pool, a log capped there, a second cap of the same
 * log skipped while the first is in flight. Touches only a temporary
 * folder of its own (no mounts).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "../../common/fdio.h"
#include "../../common/xalloc.h"
#include "../../runtime/fs_jobs.h"
#include "../../runtime/logs.h"
#include "../../runtime/rootfs.h"
#include "../lib/tap.h"

static char tmpdir[] = "/tmp/berth-fs-jobs.XXXXXX";

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static off_t size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void write_file(const char *path, size_t bytes)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	while (bytes > 0) {
		size_t n = bytes < sizeof(buf) ? bytes : sizeof(buf);

		if (fd_write_all(fd, buf, n) == -1)
			break;
		bytes -= n;
	}
	close(fd);
}

/* A small pod-like tree: files, nested folders, a symlink. */
static void make_tree(const char *root)
{
	struct berr err = BERR_INIT;
	char *p;

	p = xasprintf("%s/upper/etc/deep/er", root);
	mkdir_p(p, 0755, &err);
	free(p);
	p = xasprintf("%s/work/work", root);
	mkdir_p(p, 0, &err);
	free(p);
	for (int i = 0; i < 50; i++) {
		p = xasprintf("%s/upper/etc/deep/er/f%d", root, i);
		write_file(p, 1000);
		free(p);
	}
	p = xasprintf("%s/container.log", root);
	write_file(p, 4096);
	free(p);
	p = xasprintf("%s/link", root);
	if (symlink("/etc/passwd", p) == -1)
		perror("symlink");
	free(p);
}

/* Entries of dir whose names are trash names. */
static int count_trash(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL)
		n += fs_jobs_is_trash(de->d_name);
	if (d)
		closedir(d);
	return n;
}

static void test_trash(uv_loop_t *loop)
{
	struct berr err = BERR_INIT;
	char *pods = xasprintf("%s/pods", tmpdir);
	char *pod = xasprintf("%s/pods/web-1", tmpdir);

	mkdir_p(pods, 0700, &err);
	make_tree(pod);
	is_int(fs_jobs_trash(loop, pod, pods, &err), 0, "trash: returns 0");
	ok(!exists(pod), "trash: the name is free at once");
	is_int(mkdir(pod, 0700), 0, "trash: the name can be made again");
	is_int(fs_jobs_pending(), 1, "trash: one removal queued");
	uv_run(loop, UV_RUN_DEFAULT);
	is_int(fs_jobs_pending(), 0, "trash: the removal finished");
	is_int(count_trash(pods), 0, "trash: the renamed tree is gone");
	ok(exists(pod), "trash: the new folder of that name is untouched");

	/* A missing path is nothing to do. */
	rmdir(pod);
	is_int(fs_jobs_trash(loop, pod, pods, &err), 0, "missing: returns 0");
	is_int(fs_jobs_pending(), 0, "missing: nothing queued");

	/* Without a loop: removed here. */
	make_tree(pod);
	is_int(fs_jobs_trash(NULL, pod, pods, &err), 0, "no loop: returns 0");
	ok(!exists(pod), "no loop: removed synchronously");
	is_int(fs_jobs_pending(), 0, "no loop: nothing queued");
	is_int(count_trash(pods), 0, "no loop: no trash folder");
	free(pods);
	free(pod);
}

static void test_rootfs_remove(uv_loop_t *loop)
{
	struct berr err = BERR_INIT;
	char *pods = xasprintf("%s/pods", tmpdir);
	char *pod = xasprintf("%s/pods/echo-abc12", tmpdir);
	char *other = xasprintf("%s/pods/echo-def34", tmpdir);
	char *keep = xasprintf("%s/pods/echo-def34/container.log", tmpdir);

	make_tree(pod);
	make_tree(other);
	rootfs_set_loop(loop);
	is_int(rootfs_remove(pod, &err), 0, "rootfs_remove: returns 0");
	ok(!exists(pod), "rootfs_remove: the pod folder is gone at once");
	is_int(count_trash(pods), 1, "rootfs_remove: one trash folder");
	uv_run(loop, UV_RUN_DEFAULT);
	is_int(count_trash(pods), 0, "rootfs_remove: deleted off-thread");
	ok(exists(keep), "rootfs_remove: another pod's folder is untouched");

	/* Many at once, each under its own trash name. */
	for (int i = 0; i < 8; i++) {
		char *p = xasprintf("%s/pods/many-%d", tmpdir, i);

		make_tree(p);
		rootfs_remove(p, &err);
		ok(!exists(p), "rootfs_remove many-%d: gone at once", i);
		free(p);
	}
	is_int(fs_jobs_pending(), 8, "rootfs_remove: eight removals queued");
	ok(count_trash(pods) <= 8, "rootfs_remove: only their trash folders");
	uv_run(loop, UV_RUN_DEFAULT);
	is_int(count_trash(pods), 0, "rootfs_remove: every trash folder gone");
	rootfs_set_loop(NULL);
	rm_rf(other, &err);
	free(pods);
	free(pod);
	free(other);
	free(keep);
}

/* A trash name already taken (even by an empty folder, as a removal
 * about to finish leaves) is never replaced: the next name is tried. */
static void test_trash_taken(uv_loop_t *loop)
{
	struct berr err = BERR_INIT;
	char *pods = xasprintf("%s/pods", tmpdir);
	char *pod = xasprintf("%s/pods/coll", tmpdir);
	int kept = 0;

	for (int i = 1; i <= 12; i++) {
		char *t = xasprintf("%s/" FS_JOBS_TRASH_PREFIX "coll-%ld-%d",
				    pods, (long)getpid(), i);

		mkdir(t, 0700);
		free(t);
	}
	make_tree(pod);
	is_int(fs_jobs_trash(loop, pod, pods, &err), 0, "taken: returns 0");
	ok(!exists(pod), "taken: the name is free at once");
	uv_run(loop, UV_RUN_DEFAULT);
	for (int i = 1; i <= 12; i++) {
		char *t = xasprintf("%s/" FS_JOBS_TRASH_PREFIX "coll-%ld-%d",
				    pods, (long)getpid(), i);

		kept += exists(t) && rmdir(t) == 0;
		free(t);
	}
	is_int(kept, 12, "taken: every existing trash folder kept");
	is_int(count_trash(pods), 0, "taken: the new trash folder removed");
	free(pods);
	free(pod);
}

static void test_cap(uv_loop_t *loop)
{
	struct berr err = BERR_INIT;
	char *log = xasprintf("%s/container.log", tmpdir);
	char *old = xasprintf("%s/container.log.1", tmpdir);
	char *copy;

	write_file(log, 256 * 1024);
	/* The job owns its copy of the path. */
	copy = xstrdup(log);
	ok(fs_jobs_cap_log(loop, copy, 64 * 1024), "cap: queued");
	free(copy);
	ok(!fs_jobs_cap_log(loop, log, 64 * 1024),
	   "cap: a second request while one runs is skipped");
	is_int(fs_jobs_pending(), 1, "cap: one job in flight");
	uv_run(loop, UV_RUN_DEFAULT);
	is_int(fs_jobs_pending(), 0, "cap: the job finished");
	is_int(size_of(log), 0, "cap: the log starts over");
	is_int(size_of(old), 256 * 1024, "cap: its content moved to LOG.1");

	ok(fs_jobs_cap_log(loop, log, 64 * 1024),
	   "cap: queued again once the first finished");
	uv_run(loop, UV_RUN_DEFAULT);
	is_int(size_of(old), 256 * 1024, "cap: a small log is left alone");

	/* Two logs cap at the same time; a missing one is not an error. */
	char *log2 = xasprintf("%s/other.log", tmpdir);
	char *missing = xasprintf("%s/missing.log", tmpdir);

	write_file(log, 100 * 1024);
	write_file(log2, 100 * 1024);
	ok(fs_jobs_cap_log(loop, log, 64 * 1024), "cap two: first queued");
	ok(fs_jobs_cap_log(loop, log2, 64 * 1024), "cap two: second queued");
	ok(fs_jobs_cap_log(loop, missing, 64 * 1024), "cap missing: queued");
	uv_run(loop, UV_RUN_DEFAULT);
	is_int(size_of(log), 0, "cap two: first capped");
	is_int(size_of(log2), 0, "cap two: second capped");
	ok(!exists(missing), "cap missing: nothing made");
	is_int(logs_cap(missing, 64 * 1024, &err), 0,
	       "logs_cap: a missing log is not an error");

	/* Errors carry the path. */
	char *tmp = xasprintf("%s/container.log.1.tmp", tmpdir);

	write_file(log, 100 * 1024);
	mkdir(tmp, 0700);
	is_int(logs_cap(log, 64 * 1024, &err), -1, "logs_cap: error returned");
	ok(strstr(err.msg, "container.log.1.tmp") != NULL,
	   "logs_cap: the error names the path (%s)", err.msg);
	is_int(size_of(log), 100 * 1024, "logs_cap: log untouched on error");
	rmdir(tmp);
	free(tmp);
	free(log2);
	free(missing);
	free(log);
	free(old);
}

int main(void)
{
	uv_loop_t loop;
	struct berr err = BERR_INIT;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	uv_loop_init(&loop);
	ok(fs_jobs_is_trash(".trash-web-1-42-7"), "is_trash: trash name");
	ok(!fs_jobs_is_trash("web-1"), "is_trash: pod name");
	ok(!fs_jobs_is_trash(".hidden"), "is_trash: other dot name");
	test_trash(&loop);
	test_rootfs_remove(&loop);
	test_trash_taken(&loop);
	test_cap(&loop);
	is_int(uv_loop_close(&loop), 0, "loop closes: nothing left in flight");
	rm_rf(tmpdir, &err);
	return tap_done();
}
