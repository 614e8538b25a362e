#!/usr/bin/env python3
"""Sends the requests of a bench/signed-requests.py file to HOST:PORT over CONNECTIONS keep-alive
connections, each request after the previous answer on its connection, and fails unless every
answer is 2xx. Slow but exact: for counting a server's work per request (bench/instructions.sh),
not for load. Standard library only.
Usage: send-requests.py FILE HOST PORT [CONNECTIONS]
"""
import socket
import sys


def read_answer(sock, buffer):
    """Reads one whole answer (Content-Length framed); returns (status, rest of the buffer)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("the server closed the connection before answering")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("the server closed the connection inside an answer")
        rest += chunk
    return status, rest[length:]


def main() -> int:
    path, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    connections = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    with open(path, "rb") as f:
        count, length = (int(x) for x in f.readline().split()[1:3])
        records = [f.read(length) for _ in range(count)]
    socks = [socket.create_connection((host, port)) for _ in range(connections)]
    buffers = [b""] * connections
    for index, record in enumerate(records):
        which = index % connections
        socks[which].sendall(record)
        status, buffers[which] = read_answer(socks[which], buffers[which])
        if not 200 <= status < 300:
            raise SystemExit(f"request {index} answered {status}")
    for s in socks:
        s.close()
    print(f"sent {len(records)} requests, all answered 2xx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
