#!/usr/bin/env python3
"""The three clients of bench/hostile.sh, one process each (so none waits on another's GIL):

  hostile.py events SOCKET          GET /v1/events?since=0&follow=false over the control socket,
                                    read as fast as it comes until the daemon ends the stream;
                                    prints `events N`, `bytes N` (the de-chunked stream), `seconds S`.
  hostile.py pages SOCKET LIMIT     GET /v1/tasks?limit=LIMIT, then `after=` the previous page's
                                    `next` until it is null, on one keep-alive connection; prints
                                    `pages N`, `tasks N`, `bytes N`, `seconds S`, `slowest_page_ms M`.
  hostile.py probe PORT INTERVAL    a new unsigned Freepik callback to 127.0.0.1:PORT every
                                    INTERVAL seconds on one keep-alive connection, each answer timed
                                    from the first byte sent to the last byte read, until SIGTERM;
                                    then prints `probes N`, `failed N`, `p50_ms`, `p99_ms`, `max_ms`.
  hostile.py watch SOCKET INTERVAL CPU
                                    GET /metrics every INTERVAL seconds on one keep-alive connection
                                    until SIGTERM: each read takes the daemon's longest loop
                                    iteration since the last one, so each line `window UNIX_TIME
                                    LONGEST_MS ON_CPU_MS STEAL_MS` says when (to within INTERVAL) an
                                    iteration was that long, and how long the hypervisor kept CPU
                                    number CPU (`all`: every CPU) from this VM meanwhile (/proc/stat,
                                    in clock ticks of 10 ms).

Each fails (exit 1, the reason on stderr) on an answer that is not 200. Standard library only.
"""
import json
import os
import signal
import socket
import sys
import time
import urllib.parse


def read_head(reader):
    """Status code and lower-cased header fields of one answer."""
    status_line = reader.readline()
    if not status_line:
        raise SystemExit("the daemon closed the connection before answering")
    status = int(status_line.split()[1])
    fields = {}
    while True:
        line = reader.readline()
        if line in (b"\r\n", b"\n", b""):
            return status, fields
        name, _, value = line.decode("latin-1").partition(":")
        fields[name.strip().lower()] = value.strip()


def read_body(reader, fields, each=None):
    """The body by Content-Length or chunked coding; with `each`, chunks go to it instead."""
    if fields.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int(reader.readline().split(b";")[0], 16)
            if size == 0:
                while reader.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                break
            chunk = reader.read(size)
            reader.readline()
            if each:
                each(chunk)
            else:
                parts.append(chunk)
        return b"".join(parts)
    if "content-length" in fields:
        body = reader.read(int(fields["content-length"]))
    elif not each:
        return reader.read()  # close-delimited
    else:
        while body := reader.read1(1 << 20):
            each(body)
        return b""
    if each:
        each(body)
    return body


def unix(path):
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    connection.connect(path)
    return connection, connection.makefile("rb", buffering=1 << 20)


def events(path):
    connection, reader = unix(path)
    started = time.monotonic()
    connection.sendall(b"GET /v1/events?since=0&follow=false HTTP/1.1\r\nHost: taskhook\r\n\r\n")
    status, fields = read_head(reader)
    if status != 200:
        raise SystemExit(f"GET /v1/events answered {status}: {read_body(reader, fields)[:200]!r}")
    # Events are counted by their `event: task` line; an event may straddle two chunks, so the
    # tail of each chunk is carried into the next search.
    marker = b"\nevent: task\n"
    count = [0, 0, b""]  # events, bytes, carried tail

    def each(chunk):
        text = count[2] + chunk
        count[0] += text.count(marker)
        count[1] += len(chunk)
        count[2] = text[-(len(marker) - 1):]

    read_body(reader, fields, each)
    print(f"events {count[0]}\nbytes {count[1]}\nseconds {time.monotonic() - started:.3f}")


def pages(path, limit):
    connection, reader = unix(path)
    started = time.monotonic()
    cursor, pages_read, tasks, total, slowest = None, 0, 0, 0, 0.0
    while True:
        target = f"/v1/tasks?limit={limit}"
        if cursor is not None:
            target += "&after=" + urllib.parse.quote(cursor, safe="")
        asked = time.monotonic()
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: taskhook\r\n\r\n".encode())
        status, fields = read_head(reader)
        body = read_body(reader, fields)
        slowest = max(slowest, time.monotonic() - asked)
        if status != 200:
            raise SystemExit(f"GET {target} answered {status}: {body[:200]!r}")
        page = json.loads(body)
        pages_read += 1
        tasks += len(page["tasks"])
        total += len(body)
        cursor = page["next"]
        if cursor is None:
            break
    print(f"pages {pages_read}\ntasks {tasks}\nbytes {total}\nseconds {time.monotonic() - started:.3f}")
    print(f"slowest_page_ms {slowest * 1000:.1f}")


def probe(port, interval):
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    connection = socket.create_connection(("127.0.0.1", port))
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = connection.makefile("rb")
    prefix = f"probe-{os.getpid()}-{int(time.time())}"
    latencies, failed, number = [], 0, 0
    next_at = time.monotonic()
    while not stopping:
        number += 1
        task = f"{prefix}-{number}"
        body = f'{{"task_id":"{task}","status":"COMPLETED","generated":["https://cdn.example/{task}.mp4"]}}'
        request = (
            f"POST /hooks/freepik HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"webhook-id: msg_{task}\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
        sent = time.monotonic()
        connection.sendall(request)
        status, fields = read_head(reader)
        read_body(reader, fields)
        latencies.append(time.monotonic() - sent)
        if status != 200:
            failed += 1
        next_at += interval
        pause = next_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            next_at = time.monotonic()  # late: no burst to catch up
    latencies.sort()
    at = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
    print(f"probes {len(latencies)}\nfailed {failed}")
    print(f"p50_ms {at(0.5):.2f}\np99_ms {at(0.99):.2f}\nmax_ms {at(1.0):.2f}")
    if failed:
        sys.exit(1)


def steal_ms(cpu):
    """The CPU's steal time since boot, in ms (/proc/stat counts it in clock ticks)."""
    name = "cpu" if cpu == "all" else f"cpu{cpu}"
    with open("/proc/stat") as stat:
        for line in stat:
            fields = line.split()
            if fields[0] == name:
                return int(fields[8]) * 1000 / os.sysconf("SC_CLK_TCK")
    raise SystemExit(f"/proc/stat has no line {name}")


def watch(path, interval, cpu):
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    connection, reader = unix(path)
    wanted = {
        "taskhook_loop_longest_iteration_seconds": 0,
        "taskhook_loop_longest_iteration_cpu_seconds": 1,
    }
    next_at = time.monotonic()
    stolen = steal_ms(cpu)
    while not stopping:
        connection.sendall(b"GET /metrics HTTP/1.1\r\nHost: taskhook\r\n\r\n")
        status, fields = read_head(reader)
        body = read_body(reader, fields)
        if status != 200:
            raise SystemExit(f"GET /metrics answered {status}: {body[:200]!r}")
        values = [0.0, 0.0]
        for line in body.decode().splitlines():
            name, _, value = line.partition(" ")
            if name in wanted:
                values[wanted[name]] = float(value)
        now_stolen = steal_ms(cpu)
        print(
            f"window {time.time():.3f} {values[0] * 1000:.2f} {values[1] * 1000:.2f} {now_stolen - stolen:.0f}",
            flush=True,
        )
        stolen = now_stolen
        next_at += interval
        pause = next_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        else:
            next_at = time.monotonic()


if __name__ == "__main__":
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command == "events" and len(args) == 1:
        events(args[0])
    elif command == "pages" and len(args) == 2:
        pages(args[0], int(args[1]))
    elif command == "probe" and len(args) == 2:
        probe(int(args[0]), float(args[1]))
    elif command == "watch" and len(args) == 3:
        watch(args[0], float(args[1]), args[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
