#!/usr/bin/env bash
# CPU instructions per signed callback, counted by valgrind's callgrind: unlike seconds, the count
# is the same on a busy machine, so it compares two builds of taskhookd exactly (e.g. before and
# after a change) where wall-clock figures on a shared 2-core machine cannot.
#
# For each binary given (default: this tree's release build), in turn: taskhookd under callgrind
# (sync: none, so the disk does not set the pace; its instructions are counted all the same) takes
# BENCH_COUNT (2000) unique signed Freepik callbacks, one after another over one keep-alive
# connection, then stops on SIGTERM; the same run with BENCH_BASELINE (200) callbacks gives the
# fixed cost of starting and stopping, and the difference over the extra callbacks is the cost of
# one. Prints one line per binary: instructions per callback, and the ratio to the first binary.
#
# BENCH_KEEP=DIR keeps each run's callgrind.out in DIR (callgrind.<binary copy>.<callbacks>.out)
# to read with `callgrind_annotate --inclusive=yes`.
#
# Usage: bench/instructions.sh [TASKHOOKD ...]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/deps.sh valgrind python3 libsystemd-dev libyaml-dev pkg-config
count=${BENCH_COUNT:-2000}
baseline=${BENCH_BASELINE:-200}
if [ $# -eq 0 ]; then
  swift build -c release --product taskhookd
  set -- "$(swift build -c release --show-bin-path)/taskhookd"
fi
secret=whsec_dGFza2hvb2stYmVuY2gtb25seS1ub3QtYS1zZWNyZXQ=
work=$(mktemp -d "${TMPDIR:-/tmp}/taskhook-instructions.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# $1: binary, $2: callbacks. Prints the instructions callgrind counted for the whole run.
count_run() {
  local binary=$1 n=$2 run="$work/run-$RANDOM"
  mkdir -p "$run"
  printf 'journal:\n  directory: %s/journal\n  sync: none\nroutes:\n  - path: /hooks/freepik\n    provider: freepik\n    secret: {value: "%s"}\n    key-mode: standard\n' \
    "$run" "$secret" >"$run/config.yaml"
  valgrind --tool=callgrind --callgrind-out-file="$run/callgrind.out" "$binary" --config "$run/config.yaml" \
    --listen 127.0.0.1:0 --control-socket "$run/control.sock" 2>"$run/log" &
  server_pid=$!
  local port= tries=0
  while [ -z "$port" ]; do
    port=$(sed -n 's/.*listening address=127\.0\.0\.1:\([0-9]*\) listener=http.*/\1/p' "$run/log" | head -1)
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ] || ! kill -0 "$server_pid" 2>/dev/null; then
      cat "$run/log" >&2
      echo "taskhookd under callgrind did not start" >&2
      exit 1
    fi
    [ -n "$port" ] || sleep 0.1
  done
  python3 bench/signed-requests.py --out "$run/requests" --count "$n" --host "127.0.0.1:$port" \
    --path /hooks/freepik --secret "$secret" --prefix "r$RANDOM$n" >/dev/null
  python3 bench/send-requests.py "$run/requests" 127.0.0.1 "$port" >/dev/null
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
  if [ -n "${BENCH_KEEP:-}" ]; then
    mkdir -p "$BENCH_KEEP"
    cp "$run/callgrind.out" "$BENCH_KEEP/callgrind.$(basename "$binary").$n.out"
  fi
  grep -m1 '^summary:' "$run/callgrind.out" | awk '{print $2}'
}

first=
for given in "$@"; do
  # valgrind 3.19 cannot read the DWARF 5 the Swift toolchain writes: count a copy without it.
  binary="$work/taskhookd-$RANDOM"
  cp "$given" "$binary"
  strip --strip-debug "$binary"
  small=$(count_run "$binary" "$baseline")
  large=$(count_run "$binary" "$count")
  per=$(( (large - small) / (count - baseline) ))
  [ -n "$first" ] || first=$per
  awk -v b="$given" -v p="$per" -v f="$first" 'BEGIN { printf "%-60s %8d instructions per callback  (%.3f of the first)\n", b, p, p / f }'
done
