# tests/lib/fake_daemon.py SOCKET [ROUTE=JSON]... - a stand-in for the berth
# daemon on a unix socket, for tests of what the CLI trusts: answers each
# request whose path ends with ROUTE with 200 and JSON, anything else with
# 404. Runs until killed (by PID).
import socket
import sys

path = sys.argv[1]
routes = [a.split("=", 1) for a in sys.argv[2:]]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(16)


def serve(conn):
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(65536)
        if not chunk:
            return  # a client that hung up (e.g. one that refused us)
        head += chunk
    line = head.split(b"\r\n", 1)[0].decode(errors="replace").split(" ")
    target = line[1] if len(line) > 1 else ""
    body, status = b'{"error": "not found"}', b"404 Not Found"
    for route, answer in routes:
        if target.split("?")[0].endswith(route):
            body, status = answer.encode(), b"200 OK"
    conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json"
                 b"\r\nConnection: close\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\n\r\n" + body)


while True:
    conn, _ = srv.accept()
    try:
        serve(conn)
    except OSError:
        pass
    conn.close()
