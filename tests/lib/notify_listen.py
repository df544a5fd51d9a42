#!/usr/bin/env python3
# notify_listen.py SOCKET OUT: a stand-in for systemd's notify socket, for
# tests. Binds the unix datagram socket SOCKET (a path, or "@name" for an
# abstract one) and appends one line per datagram to OUT: the sender's pid
# (SO_PASSCRED, as systemd reads it), a space, and the message with its
# newlines shown as '|'. Writes "listening" to OUT first. Runs until killed.
import os
import socket
import struct
import sys

path, out = sys.argv[1], sys.argv[2]
addr = "\0" + path[1:] if path.startswith("@") else path
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.bind(addr)
with open(out, "a", buffering=1) as f:
    f.write("listening\n")
    while True:
        data, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = 0
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", cdata[:12])[0]
        f.write("%d %s\n" % (pid, data.decode(errors="replace").replace("\n", "|")))
