#!/usr/bin/env bash
# Durable ingest and replay. In one run, on the same disk:
#   1. the disk's rate of one fdatasync per ~600-byte append (what a server without group
#      commit could reach at best);
#   2. taskhookd ingesting unique Freepik-shaped callbacks over 64 connections with
#      `sync: always`, then the same with `sync: none`; the ratio always/none (target >= 0.7)
#      and always/one-fsync-per-request;
#   3. replay: the daemon restarted on a journal of >= 1,000,000 records; its own log says how
#      long the replay took (target <= 2 s for 1,000,000).
# Only 127.0.0.1 is used. Knobs: BENCH_DURATION (10s), BENCH_CONNECTIONS (64),
# BENCH_REPLAY_RECORDS (1000000), BENCH_SKIP_BUILD=1.
set -euo pipefail

duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-64}
replay_records=${BENCH_REPLAY_RECORDS:-1000000}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
scripts/deps.sh wrk libsystemd-dev libyaml-dev pkg-config python3

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --product taskhookd
  swift build -c release --product taskhook
fi
taskhookd="$(swift build -c release --show-bin-path)/taskhookd"

# On the project's disk (not a tmpfs), where the journal of a real install would be.
work=$(mktemp -d "$root/.bench-journal.XXXXXX")
pids=()
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_pin_cpus

# $1: sync mode, $2: journal directory. Sets $pid and $port.
start_daemon() {
  cat >"$work/config.yaml" <<YAML
journal:
  directory: $2
  sync: $1
routes:
  - path: /hooks/freepik
    provider: freepik
    allow-unsigned: true
YAML
  bench_start_taskhookd --config "$work/config.yaml"
  pid=$taskhookd_pid port=$taskhookd_port
}
stop_daemon() { bench_stop "$pid"; }

# Prints requests/sec and the number of requests of a wrk run; fails if any answer was not 2xx.
ingest() {
  local out
  out=$("${client_cpu[@]}" wrk -t1 -c"$connections" -d"$1" -s bench/callback.lua "http://127.0.0.1:$port/hooks/freepik")
  if ! grep -q '^non2xx 0$' <<<"$out"; then
    echo "$out" >&2
    echo "some callbacks were not answered 2xx" >&2
    return 1
  fi
  awk '/^Requests\/sec:/ {rate = $2} / requests in / {count = $1} END {printf "%d %d", rate, count}' <<<"$out"
}

echo "1. the disk: one fdatasync per 600-byte append, 5 s"
fsync_rate=$(python3 - "$work/fsync-probe" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
record = b"x" * 600
count, start = 0, time.monotonic()
while time.monotonic() - start < 5:
    os.write(fd, record)
    os.fdatasync(fd)
    count += 1
print(int(count / (time.monotonic() - start)))
PY
)
echo "   $fsync_rate appends+fdatasync/s"

echo "2. durable ingest over $connections connections, $duration each"
start_daemon always "$work/always"
read -r always _ <<<"$(ingest "$duration")"
stop_daemon
echo "   sync: always  $always req/s"
start_daemon none "$work/none"
read -r none _ <<<"$(ingest "$duration")"
stop_daemon
echo "   sync: none    $none req/s"

echo "3. replay of >= $replay_records records"
start_daemon none "$work/replay"
total=0
while [ "$total" -lt "$replay_records" ]; do
  read -r _ count <<<"$(ingest 10s)"
  total=$((total + count))
done
stop_daemon
# Without its checkpoint the restart replays every record, as after a crash.
rm -f "$work"/replay/checkpoint-*.thc
start_daemon none "$work/replay"
replay_line=$(grep 'journal replayed' "$work/taskhookd.log")
stop_daemon
replayed=$(grep -o 'replayed=[0-9]*' <<<"$replay_line" | cut -d= -f2)
took=$(grep -o 'took_ms=[0-9]*' <<<"$replay_line" | cut -d= -f2)

echo
echo "durable ingest (unique Freepik callbacks, $connections connections, $duration):"
awk -v a="$always" -v n="$none" -v f="$fsync_rate" 'BEGIN {
  printf "  sync: always        %8d req/s\n", a
  printf "  sync: none          %8d req/s\n", n
  printf "  one fdatasync/req   %8d req/s (the disk, measured above)\n", f
  printf "  ratio always/none          %.2f   (target >= 0.70)\n", a / n
  printf "  ratio always/fdatasync     %.1fx  (group commit)\n", a / f
}'
awk -v r="$replayed" -v t="$took" 'BEGIN {
  printf "replay: %d records in %d ms = %.0f records/s; 1,000,000 in %.2f s (target <= 2 s)\n", r, t, r / (t / 1000), 1000000 / (r / (t / 1000))
}'
