#!/usr/bin/env python3
# fd_keeper.py SOCKET OUT CMD...: a stand-in for systemd's notify socket
# and fd store, for tests. Binds the unix datagram socket SOCKET (a path),
# starts CMD with NOTIFY_SOCKET=SOCKET and keeps every descriptor a
# message FDSTORE=1 carries (SCM_RIGHTS) under its FDNAME, one copy per
# socket as systemd keeps them; FDSTOREREMOVE=1 closes those of its
# FDNAME. SIGUSR1 starts CMD again (the test killed the previous one by
# its PID), handing the kept descriptors over as systemd does at a
# restart: from fd 3 on, with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID.
# OUT gets "listening" first, "started PID" at each start, one line
# "PID MESSAGE" per datagram (newlines shown as '|'), and "kept NAMES"
# after each change of the store. Never signals CMD; runs until killed.
import array
import fcntl
import os
import signal
import socket
import struct
import sys

path, out, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.bind(path)
sock.settimeout(0.05)
kept = []  # [name, fd]
again = False


def on_usr1(signum, frame):
    global again
    again = True


def start(f):
    pid = os.fork()
    if pid == 0:
        # Out of the way first, then to 3, 4, ... (inheritable).
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 200) for _, fd in kept]
        for i, fd in enumerate(high):
            os.dup2(fd, 3 + i, inheritable=True)
        env = dict(os.environ)
        env["NOTIFY_SOCKET"] = path
        if kept:
            env["LISTEN_FDS"] = str(len(kept))
            env["LISTEN_FDNAMES"] = ":".join(n for n, _ in kept)
            env["LISTEN_PID"] = str(os.getpid())
        os.execvpe(cmd[0], cmd, env)
    f.write("started %d\n" % pid)


def same(a, b):
    sa, sb = os.fstat(a), os.fstat(b)
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def handle(f, data, fds):
    lines = data.decode(errors="replace").split("\n")
    name = "stored"
    for ln in lines:
        if ln.startswith("FDNAME="):
            name = ln[len("FDNAME="):]
    changed = False
    if "FDSTOREREMOVE=1" in lines:
        for k in [k for k in kept if k[0] == name]:
            os.close(k[1])
            kept.remove(k)
        changed = True
    if "FDSTORE=1" in lines:
        for fd in fds:
            if any(same(fd, k[1]) for k in kept):
                os.close(fd)
            else:
                kept.append([name, fd])
        fds = []
        changed = True
    for fd in fds:
        os.close(fd)
    if changed:
        f.write("kept %s\n" % ",".join(n for n, _ in kept))


signal.signal(signal.SIGUSR1, on_usr1)
with open(out, "a", buffering=1) as f:
    f.write("listening\n")
    start(f)
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        if again:
            again = False
            start(f)
        try:
            data, anc, _, _ = sock.recvmsg(
                4096, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(256 * 4))
        except socket.timeout:
            continue
        pid, fds = 0, []
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", cdata[:12])[0]
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(cdata[:len(cdata) - len(cdata) % a.itemsize])
                fds += list(a)
        for fd in fds:
            os.set_inheritable(fd, False)
        f.write("%d %s\n" % (pid, data.decode(errors="replace").replace("\n", "|")))
        handle(f, data, fds)
