#!/usr/bin/env python3
"""Starts taskhookd as systemd would see it and reports how long it took to be ready and what
it holds in memory once idle.

The daemon gets NOTIFY_SOCKET (a datagram socket of ours), so its READY=1 (sd_notify, sent once
the journal is replayed and every listener is open) marks the moment; the time is measured from
just before exec. One second after READY the script reads VmRSS and the five largest mappings by
resident size from /proc/PID/smaps (what dominates the idle RSS), then stops the daemon with
SIGTERM and waits for it.

Standard library only. Usage: ready.py [--idle SECONDS] -- COMMAND [ARG...]
Prints lines `ready_ms N`, `ready_cpu_ms N` (the CPU time the daemon's threads had used when READY
came, ended ones included: what a busy or stolen CPU does not inflate), `rss_kib N`, and `mapping KIB NAME` for
the largest mappings.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def cpu_ms(pid: int) -> float:
    """The user and system time of `pid` so far, threads that have ended included (/proc/PID/stat,
    in clock ticks)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def largest_mappings(pid: int, count: int) -> list[tuple[int, str]]:
    sizes: dict[str, int] = {}
    name = "?"
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if not fields:
                continue
            if not fields[0].endswith(":") or "-" in fields[0]:
                # A mapping's first line: range, perms, offset, dev, inode, [path].
                name = fields[5] if len(fields) > 5 else "[anonymous]"
            elif fields[0] == "Rss:":
                sizes[name] = sizes.get(name, 0) + int(fields[1])
    return sorted(((kib, name) for name, kib in sizes.items()), reverse=True)[:count]


def main() -> int:
    args = sys.argv[1:]
    idle = 1.0
    if args[:1] == ["--idle"]:
        idle, args = float(args[1]), args[2:]
    if args[:1] != ["--"] or len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    command = args[1:]
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "notify")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(path)
        listener.settimeout(300)
        environment = dict(os.environ, NOTIFY_SOCKET=path)
        started = time.monotonic()
        daemon = subprocess.Popen(command, env=environment, stderr=subprocess.DEVNULL)
        try:
            while True:
                message = listener.recv(4096).decode(errors="replace")
                if "READY=1" in message.split("\n"):
                    break
            ready_ms = (time.monotonic() - started) * 1000
            ready_cpu_ms = cpu_ms(daemon.pid)
            time.sleep(idle)
            with open(f"/proc/{daemon.pid}/status") as status:
                rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            print(f"ready_ms {ready_ms:.1f}")
            print(f"ready_cpu_ms {ready_cpu_ms:.1f}")
            print(f"rss_kib {rss}")
            for kib, name in largest_mappings(daemon.pid, 5):
                print(f"mapping {kib} {name}")
        except socket.timeout:
            print("the daemon sent no READY=1 within 300 s", file=sys.stderr)
            return 1
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
