#!/usr/bin/env bash
# Durable ingest of signed Freepik callbacks against nginx, in one run, on 127.0.0.1 only:
#   1. nginx (own temp config, 1 worker, `return 200`, as bench/run.sh): wrk POSTs
#      bench/post.lua's 400-byte body; measured before and again after taskhookd;
#   2. taskhookd, `sync: always`, journal on the project's disk, route /hooks/unsigned
#      (allow-unsigned): unique Freepik callbacks without a signature;
#   3. route /hooks/freepik (key-mode standard, a bench-only whsec_ secret): unique callbacks,
#      each with a valid Standard Webhooks v1 signature.
# Each route gets a fresh daemon on an empty journal (same config with both routes), a warm-up,
# then the measured run, so neither is measured on a task table the other has grown.
# Prints the rates, the ratios signed/nginx (target >= 0.5; nginx = mean of before and after) and
# signed/unsigned, and per run the server's CPU use and what other processes used meanwhile.
#
# wrk's Lua cannot compute an HMAC per request at these rates, so bench/signed-requests.py
# pre-generates the requests (each with its own webhook-id and task_id; timestamp = now) into a
# file on /dev/shm shortly before each run, and bench/requests-file.lua sends them in order. Each
# file is sized from the rate measured before it (nginx's for the first warm-up, then the warm-up's
# or the previous route's) times BENCH_REQUEST_FACTOR; should wrk still run out, the script fails
# and says so. Both routes are driven the same way, so they cost wrk the same.
#
# Knobs: BENCH_DURATION (10s), BENCH_CONNECTIONS (64), BENCH_WARMUP (2s), BENCH_PIN (1: servers
# on CPU 1, wrk on CPU 0), BENCH_REQUEST_FACTOR (2), BENCH_SKIP_BUILD=1, BENCH_PROFILE=1 (perf
# record of taskhookd during the signed run, hotspots printed after the figures).
set -euo pipefail

duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-64}
warmup=${BENCH_WARMUP:-2s}
factor=${BENCH_REQUEST_FACTOR:-2}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
scripts/deps.sh wrk nginx-light libsystemd-dev pkg-config python3

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --product taskhookd
fi
taskhookd="$(swift build -c release --show-bin-path)/taskhookd"

# A bench-only key: whsec_ + base64("taskhook-bench-only-not-a-secret"). Never used elsewhere.
secret=whsec_dGFza2hvb2stYmVuY2gtb25seS1ub3QtYS1zZWNyZXQ=

# Journal, logs and nginx on the project's disk (not a tmpfs), as bench/journal.sh does; the
# request files on /dev/shm, so writing them back to disk does not compete with the journal's
# fdatasync during a run.
work=$(mktemp -d "$root/.bench-journal.XXXXXX")
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
requests=$(mktemp -d "$shm/taskhook-ingest.XXXXXX")
pids=()
trap 'bench_cleanup "$requests"' EXIT
trap 'exit 130' INT TERM

bench_pin_cpus

# wrk's durations ("10s", "2m", "1h", "10") in seconds.
seconds() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /h$/) { sub(/h$/, "", v); print v * 3600 }
    else if (v ~ /m$/) { sub(/m$/, "", v); print v * 60 }
    else { sub(/s$/, "", v); print v + 0 }
  }'
}

# $1: journal directory (new). Sets $taskhookd_pid and $taskhookd_port.
start_taskhookd() {
  cat >"$work/config.yaml" <<YAML
journal:
  directory: $1
  sync: always
routes:
  - path: /hooks/freepik
    provider: freepik
    secret: {value: "$secret"}
    key-mode: standard
  - path: /hooks/unsigned
    provider: freepik
    allow-unsigned: true
YAML
  bench_start_taskhookd --config "$work/config.yaml"
}

# $1: file, $2: count, $3: path, $4: id prefix, $5: "signed" to sign.
generate() {
  local sign=()
  [ "${5:-}" = signed ] && sign=(--secret "$secret")
  python3 bench/signed-requests.py --out "$1" --count "$2" --host "127.0.0.1:$taskhookd_port" \
    --path "$3" --prefix "$4" "${sign[@]}"
}

# $1: wrk output. Fails (with the output) unless every answer was 2xx, no socket error happened
# and wrk did not run out of pre-generated requests.
check() {
  local out=$1 what=$2
  if ! grep -q '^non2xx 0$' <<<"$out"; then
    echo "$out" >&2
    echo "$what: some answers were not 2xx (daemon log: the last lines below)" >&2
    tail -5 "$work/taskhookd.log" >&2
    exit 1
  fi
  if grep -q 'Socket errors' <<<"$out"; then
    echo "$out" >&2
    echo "$what: socket errors (connect/read/write/timeout); the figure is not comparable" >&2
    exit 1
  fi
  if ! grep -q '^wrapped 0$' <<<"$out"; then
    echo "$out" >&2
    echo "$what: wrk ran out of pre-generated requests and sent some twice; raise BENCH_REQUEST_FACTOR ($factor)" >&2
    exit 1
  fi
}

hz=$(getconf CLK_TCK)
# Busy time of all CPUs (user, nice, system, irq, softirq, steal), in clock ticks.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# utime + stime of the given processes (all their threads), in clock ticks.
process_ticks() {
  local pid total=0
  for pid in "$@"; do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
# Sets $children: the CPU time of this shell's finished children (wrk, Python), in clock ticks.
# `times` must run in this shell, not in $(...), where it would see the subshell's children only.
read_children_ticks() {
  times >"$work/times"
  children=$(awk -v hz="$hz" 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); sum += t[1] * 60 + t[2] } }
    END { printf "%d", sum * hz }' "$work/times")
}
# `window_open PID...` and `window_close PID...` around a wrk run set $server_busy (the servers'
# CPU use in % of one CPU: near 100 means CPU-bound) and $others_busy (all other processes but
# wrk and this script, same unit: a busy machine makes the figures noisy).
window_open() {
  w_time=$(date +%s.%N) w_machine=$(machine_ticks) w_server=$(process_ticks "$@")
  read_children_ticks
  w_children=$children
}
window_close() {
  local seconds machine server
  seconds=$(awk -v a="$w_time" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  machine=$(machine_ticks) server=$(process_ticks "$@")
  read_children_ticks
  read -r server_busy others_busy < <(awk -v t="$seconds" -v hz="$hz" -v m=$((machine - w_machine)) \
    -v s=$((server - w_server)) -v c=$((children - w_children)) \
    'BEGIN { o = m - s - c; if (o < 0) o = 0; printf "%d %d\n", 100 * s / hz / t, 100 * o / hz / t }')
}
rate_of() { awk '/^Requests\/sec:/ { printf "%d", $2 }' <<<"$1"; }

# $1: route, $2: request file, $3: duration (the warm-up's by default). Prints wrk's output.
replay() {
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d"${3:-$warmup}" -s bench/requests-file.lua \
    "http://127.0.0.1:$taskhookd_port$1" -- "$2"
}

warmup_s=$(seconds "$warmup")
duration_s=$(seconds "$duration")
# Enough records for rate * seconds * factor, plus what the connections have in flight.
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
records_for() { awk -v r="$1" -v s="$2" -v f="$factor" -v c="$connections" 'BEGIN { printf "%d", r * s * f + 10 * c + 1000 }'; }

echo "wrk -t1 -c$connections -d$duration, warm-up $warmup; pinned: ${server_cpu[*]:-no}; request files in $requests" >&2

# $1: duration. Sets $rate, $server_busy and $others_busy; fails if any request failed.
nginx_run() {
  local workers
  workers=$(pgrep -P "$nginx_pid" | tr '\n' ' ')
  window_open "$nginx_pid" $workers
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d"$1" -s bench/post.lua "http://127.0.0.1:$nginx_port/bench" \
    >"$work/wrk.out"
  window_close "$nginx_pid" $workers
  if grep -qE '^ *(Non-2xx|Socket errors)' "$work/wrk.out"; then
    cat "$work/wrk.out" >&2
    echo "nginx: some requests failed" >&2
    exit 1
  fi
  rate=$(rate_of "$(cat "$work/wrk.out")")
}

# Rows of the summary: name rate server_busy others_busy.
row() { echo "$1 $rate $server_busy $others_busy" >>"$work/rows"; echo "   $rate req/s; server busy $server_busy% of a CPU, others $others_busy%" >&2; }

echo "1. nginx: return 200, POST 400-byte body" >&2
bench_start_nginx
nginx_run "$warmup"
nginx_run "$duration"
nginx_before=$rate
row nginx-before

# $1: route, $2: "signed" or "unsigned", $3: the rate (req/s) that sizes the warm-up's file,
# $4: the least rate that sizes the measured run's file (besides the warm-up's own rate).
# Starts taskhookd on a fresh journal, checks one request, warms up, measures; sets $rate,
# $warmup_rate, $server_busy and $others_busy. Each route gets its own daemon and empty journal, so neither is measured on a
# task table and journal the other has grown.
measure() {
  local route=$1 kind=$2 prior=$3 floor=$4 sign="" out
  [ "$kind" = signed ] && sign=signed
  start_taskhookd "$work/journal-$kind"
  # One request first: a rejected signature is reported here, not after a whole run.
  generate "$requests/probe" 1 "$route" "p${kind:0:1}-$run_id" $sign
  status=$(bench_status "$taskhookd_port" "$requests/probe")
  if [[ $status != "HTTP/1.1 2"* ]]; then
    echo "taskhookd answered the $kind probe with \"$status\"; its log:" >&2
    tail -5 "$work/taskhookd.log" >&2
    exit 1
  fi
  generate "$requests/warmup" "$(records_for "$prior" "$warmup_s")" "$route" "w${kind:0:1}-$run_id" $sign
  out=$(replay "$route" "$requests/warmup")
  check "$out" "$kind warm-up"
  warmup_rate=$(rate_of "$out")
  rm -f "$requests/warmup"
  # Sized from the warm-up's rate, or the floor when that is higher.
  generate "$requests/run" "$(records_for "$(max "$warmup_rate" "$floor")" "$duration_s")" "$route" \
    "${kind:0:1}-$run_id" $sign
  local perf_pid=""
  if [ "${BENCH_PROFILE:-0}" = 1 ] && [ "$kind" = signed ]; then
    # Skips the run's first and last second; the report is printed after the figures.
    (sleep 1 && exec perf record -q -e cpu-clock -F 1999 -g -p "$taskhookd_pid" -o "$work/perf.data" \
      -- sleep "$(awk -v s="$duration_s" 'BEGIN { print (s > 3 ? s - 2 : 1) }')") >/dev/null 2>"$work/perf.log" &
    perf_pid=$!
  fi
  window_open "$taskhookd_pid"
  replay "$route" "$requests/run" "$duration" >"$work/wrk.out"
  window_close "$taskhookd_pid"
  out=$(cat "$work/wrk.out")
  [ -z "$perf_pid" ] || wait "$perf_pid" || { cat "$work/perf.log" >&2; exit 1; }
  check "$out" "$kind"
  rate=$(rate_of "$out")
  rm -f "$requests/run"
  bench_stop "$taskhookd_pid"
}

run_id="$(date +%s)-$$"
echo "2. taskhookd, sync: always, /hooks/unsigned (allow-unsigned)" >&2
# The first warm-up's file is sized from nginx's rate, an upper bound.
measure /hooks/unsigned unsigned "$nginx_before" 0
unsigned_rps=$rate
row unsigned

echo "3. taskhookd, sync: always, /hooks/freepik (Standard Webhooks v1 signatures)" >&2
measure /hooks/freepik signed "$unsigned_rps" "$unsigned_rps"
row signed

echo "4. nginx again" >&2
nginx_run "$duration"
row nginx-after
bench_stop "$nginx_pid"

echo >&2
echo "durable ingest (sync: always) of unique Freepik callbacks; wrk -t1 -c$connections -d$duration, one run each:"
awk '
  { rate[$1] = $2; busy[$1] = $3; others[$1] = $4; if ($4 > 25) busy_machine = 1 }
  END {
    printf "  %-34s %9s %12s %12s\n", "", "req/s", "server CPU", "others CPU"
    split("nginx-before unsigned signed nginx-after", order, " ")
    label["nginx-before"] = "nginx return 200 (before)"
    label["unsigned"] = "taskhookd /hooks/unsigned"
    label["signed"] = "taskhookd /hooks/freepik (signed)"
    label["nginx-after"] = "nginx return 200 (after)"
    for (i = 1; i <= 4; i++) { k = order[i]; printf "  %-34s %9d %11d%% %11d%%\n", label[k], rate[k], busy[k], others[k] }
    n = (rate["nginx-before"] + rate["nginx-after"]) / 2
    s = rate["signed"]; u = rate["unsigned"]
    printf "  ratio signed/nginx     %5.2f  (target >= 0.50; nginx: mean of before and after, %d req/s)\n", s / n, n
    printf "  ratio signed/unsigned  %5.2f  (what verifying the signature costs)\n", s / u
    # CPU time per request (the server process, user + system) barely moves when other processes
    # steal CPU, unlike req/s; nginx: the mean of its two runs.
    cn = (10000 * busy["nginx-before"] / rate["nginx-before"] + 10000 * busy["nginx-after"] / rate["nginx-after"]) / 2
    cu = 10000 * busy["unsigned"] / u; cs = 10000 * busy["signed"] / s
    printf "  server CPU per request: nginx %.1f us, unsigned %.1f us, signed %.1f us;", cn, cu, cs
    printf " nginx/signed %.2f, unsigned/signed %.2f\n", cn / cs, cu / cs
    d = rate["nginx-before"] - rate["nginx-after"]; if (d < 0) d = -d
    if (d > 0.25 * n)
      print "note: nginx before and after differ by more than 25%: the machine was busy; rerun for a steadier figure"
    if (busy_machine)
      print "note: other processes used more than 25% of a CPU during a run: the figures are noisy; rerun when the machine is idle"
  }' "$work/rows"

if [ "${BENCH_PROFILE:-0}" = 1 ]; then
  # `head` closes its pipe early; that is no failure here.
  set +o pipefail
  report() { perf report -i "$work/perf.data" --stdio -g none "$@" 2>/dev/null >"$work/report"; }
  demangled() { if command -v swift >/dev/null; then swift demangle --simplified <"$work/report"; else cat "$work/report"; fi; }
  echo
  echo "taskhookd during the signed run (perf record -e cpu-clock -F 1999 -g; % of all its samples):"
  report --no-children --sort dso
  grep -E '^ +[0-9]' "$work/report" | head -6
  echo "self time, top 25:"
  report --no-children --sort sym
  demangled | grep -E '^ +[0-9]' | head -25
  echo "inclusive (children), user space, top 40:"
  report --children --sort sym
  demangled | grep -E '^ +[0-9].*\[\.\]' |
    grep -vE ' (Taskhookd|Daemon)\.run\(\)|taskhookd_main|__libc_start|ParsableCommand|start_thread|OSThread.start' |
    head -40
fi
