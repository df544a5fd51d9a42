#!/usr/bin/env python3
# tests/lib/http_client.py - a small HTTP/1.1 client over loopback for the
# proxy's hostile-input tests: raw requests, 100-continue, heads and
# bodies trickled a byte at a time, and many connections held open at
# once. Prints one line of results; test code only.
#
#   http_client.py raw PORT REQUEST        REQUEST with \r\n escapes:
#                                          prints the response status code
#   http_client.py headers PORT N          a GET with N small headers
#   http_client.py expect PORT             POST with Expect: 100-continue:
#                                          prints "interim=CODE|none final=CODE"
#   http_client.py slowhead PORT EVERY MAX one head byte every EVERY s:
#                                          prints "status=CODE|closed|open after=S"
#   http_client.py slowbody PORT EVERY MAX the head at once, then one body
#                                          byte every EVERY s (same output)
#   http_client.py hold PORT N SECONDS     N keep-alive connections, one GET
#                                          each, held SECONDS: prints "ok=N"
import socket
import sys
import time


def dial(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def status_of(data):
    try:
        return int(data.split(b"\r\n", 1)[0].split(b" ")[1])
    except (IndexError, ValueError):
        return 0


def raw(port, req):
    s = dial(port)
    s.sendall(req.encode().decode("unicode_escape").encode("latin-1"))
    try:
        print(status_of(read_head(s)))
    except OSError as e:
        print("error", e)


def headers(port, n):
    head = "GET / HTTP/1.1\r\nHost: t\r\n"
    head += "".join("X-%d: v\r\n" % i for i in range(n)) + "\r\n"
    s = dial(port)
    try:
        s.sendall(head.encode())
    except OSError:
        pass  # refused before everything was sent: read the answer
    try:
        print(status_of(read_head(s)))
    except OSError as e:
        print("error", e)


def expect(port):
    s = dial(port)
    body = b"x" * 10
    s.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n"
              b"Expect: 100-continue\r\n\r\n")
    s.settimeout(0.5)
    interim = "none"
    first = b""
    try:
        first = read_head(s)
        interim = str(status_of(first))
    except socket.timeout:
        pass
    s.settimeout(10)
    s.sendall(body)
    rest = first.split(b"\r\n\r\n", 1)[1] if interim == "100" else first
    if interim == "100" or interim == "none":
        data = rest if b"\r\n\r\n" in rest else rest + read_head(s)
    else:
        data = first
    print("interim=%s final=%d" % (interim, status_of(data)))


def trickle(port, every, limit, body):
    s = dial(port)
    start = time.monotonic()
    if body:
        s.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100000"
                  b"\r\n\r\n")
        drip = b"x" * 100000
    else:
        drip = b"GET / HTTP/1.1\r\nHost: t\r\n" + b"X-Slow: " + b"a" * 10000
    s.settimeout(every)
    for i in range(len(drip)):
        if time.monotonic() - start > limit:
            print("open after=%d" % (time.monotonic() - start))
            return
        try:
            s.send(drip[i:i + 1])
        except OSError:
            print("closed after=%d" % (time.monotonic() - start))
            return
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        except OSError:
            data = b""
        took = time.monotonic() - start
        if data:
            print("status=%d after=%d" % (status_of(data), took))
        else:
            print("closed after=%d" % took)
        return


def hold(port, n, seconds):
    socks = []
    for _ in range(n):
        socks.append(dial(port, timeout=30))
    for s in socks:
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    ok = 0
    for s in socks:
        try:
            if status_of(read_head(s)) == 200:
                ok += 1
        except OSError:
            pass
    print("ok=%d" % ok, flush=True)
    time.sleep(seconds)
    for s in socks:
        s.close()


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "raw":
        raw(port, sys.argv[3])
    elif cmd == "headers":
        headers(port, int(sys.argv[3]))
    elif cmd == "expect":
        expect(port)
    elif cmd == "slowhead":
        trickle(port, float(sys.argv[3]), float(sys.argv[4]), False)
    elif cmd == "slowbody":
        trickle(port, float(sys.argv[3]), float(sys.argv[4]), True)
    elif cmd == "hold":
        hold(port, int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
