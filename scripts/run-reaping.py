#!/usr/bin/env python3
"""Runs a command (`make test` runs the test suite through it) as a child subreaper, then fails
if any process it started is still there.

Every process the command starts that outlives its parent is re-parented to this one instead of
to PID 1 (prctl PR_SET_CHILD_SUBREAPER), so whatever a test leaves behind, in a process group or
session of its own or not, ends up here. After the command exits, each one left is named with
its command line, killed and reaped, and the exit status is 1 (or the command's own, if it
failed): a test that leaks a helper process fails CI instead of leaving it running.
"""
import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def children():
    """The live processes whose parent is this one (zombies are reaped first)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        # The fields after the command name, which may itself hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == me and fields[0] != "Z":
            found.append((int(entry), command))
    return found


def main():
    if len(sys.argv) < 2:
        print("usage: run-reaping.py COMMAND [ARGUMENT...]", file=sys.stderr)
        return 64
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(f"run-reaping: prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        return 70
    status = subprocess.call(sys.argv[1:])
    # A process sent SIGKILL a moment before its parent exited may still be on its way out.
    deadline = time.monotonic() + 2
    left = children()
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = children()
    if not left:
        return status
    print(f"run-reaping: {len(left)} process(es) started by `{' '.join(sys.argv[1:])}` outlived it:", file=sys.stderr)
    for pid, command in left:
        print(f"  pid {pid}: {command}", file=sys.stderr)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    time.sleep(0.2)
    children()
    return status if status != 0 else 1


if __name__ == "__main__":
    sys.exit(main())
