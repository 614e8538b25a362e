#!/usr/bin/env bash
# 10,000 long-poll waiters on one daemon (its RSS), and the wake-up latency of 1,000 waiters
# (from a callback's 2xx to the waiter's answer). Only the control socket and 127.0.0.1.
# Knobs: BENCH_WAITERS (10000), BENCH_LATENCY_WAITERS (1000), BENCH_SKIP_BUILD=1.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
scripts/deps.sh libsystemd-dev libyaml-dev pkg-config python3
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then swift build -c release --product taskhookd; fi
taskhookd="$(swift build -c release --show-bin-path)/taskhookd"

work=$(mktemp -d "$root/.bench-journal.XXXXXX")
pids=()
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

cat >"$work/config.yaml" <<YAML
journal: {directory: $work/journal}
control: {socket: $work/control.sock}
limits: {max-waiters: 65536, max-connections: 16384}
routes:
  - path: /hooks/freepik
    provider: freepik
    allow-unsigned: true
YAML
server_cpu=()  # not pinned: the client needs both CPUs for its 10,000 connections
bench_start_taskhookd --config "$work/config.yaml"
pid=$taskhookd_pid port=$taskhookd_port
# The client needs a descriptor per waiter too.
ulimit -n "$(ulimit -Hn)"
python3 bench/waiters.py "$work/control.sock" "$port" "$pid" "${BENCH_WAITERS:-10000}" "${BENCH_LATENCY_WAITERS:-1000}"
