#!/usr/bin/env bash
# What users compare, in one run, on 127.0.0.1 only (issue 13). Every figure is a ratio against a
# reference measured in the same run, because the machine is shared:
#   1. BENCH_ROUNDS (3) alternating rounds of BENCH_DURATION (6s) each, after a warm-up:
#      nginx `return 200` (bench/post.lua's 400-byte POST), adnanh/webhook (Debian `webhook`,
#      a hook running /bin/true), taskhookd `sync: always` and taskhookd `sync: none`, both on
#      unique Standard-Webhooks-signed Freepik callbacks (a fresh daemon and journal each run);
#      medians, and p50/p99 of each server's median round.
#   2. BENCH_LONG (60s) of the same signed load crossing checkpoints (checkpoint-every set to a
#      quarter of what the run should journal) against the same load with checkpoints out of reach:
#      p99 ratio, checkpoints written, and the loop's longest iteration (from /metrics).
#   3. BENCH_SHORT (20s) crossing checkpoints: p99/p50.
#   4. bench/table.sh: READY time and idle RSS on an empty journal; table memory per task at
#      BENCH_TABLE_TASKS (1,000,000) tasks; READY on that journal with and without checkpoints.
#
# wrk's Lua cannot compute an HMAC per request at these rates, so bench/signed-requests.py
# pre-generates the requests into a file on /dev/shm right before each run, sized from the rate
# measured before times BENCH_REQUEST_FACTOR; should wrk still run out, the script fails and says so.
#
# Knobs: BENCH_ROUNDS (3), BENCH_DURATION (6s), BENCH_WARMUP (2s), BENCH_CONNECTIONS (64),
# BENCH_LONG (60s), BENCH_SHORT (20s), BENCH_TABLE_TASKS (1000000), BENCH_REQUEST_FACTOR (1.5),
# BENCH_PIN (1: servers on CPU 1, wrk on CPU 0), BENCH_SKIP_BUILD=1, BENCH_PROFILE=1 (perf record
# of taskhookd during the last `sync: always` round; hotspots printed after the figures).
set -euo pipefail

rounds=${BENCH_ROUNDS:-3}
duration=${BENCH_DURATION:-6s}
warmup=${BENCH_WARMUP:-2s}
connections=${BENCH_CONNECTIONS:-64}
long=${BENCH_LONG:-60s}
short=${BENCH_SHORT:-20s}
table_tasks=${BENCH_TABLE_TASKS:-1000000}
factor=${BENCH_REQUEST_FACTOR:-1.5}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
scripts/deps.sh wrk nginx-light webhook libsystemd-dev libyaml-dev pkg-config python3

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --product taskhookd
fi
taskhookd="$(swift build -c release --show-bin-path)/taskhookd"

# A bench-only key: whsec_ + base64("taskhook-bench-only-not-a-secret"). Never used elsewhere.
secret=whsec_dGFza2hvb2stYmVuY2gtb25seS1ub3QtYS1zZWNyZXQ=

# Journals, logs and nginx on the project's disk (not a tmpfs); request files on /dev/shm, so
# writing them does not compete with the journal's fdatasync during a run.
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
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
rate_of() { awk '/^Requests\/sec:/ { printf "%d", $2 }' "$1"; }
p50_of() { to_ms "$(awk '$1 == "50%" { print $2 }' "$1")"; }
p99_of() { to_ms "$(awk '$1 == "99%" { print $2 }' "$1")"; }

hz=$(getconf CLK_TCK)
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
process_ticks() {
  local pid total=0
  for pid in "$@"; do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0))); done
  echo "$total"
}
# Sets $children: the CPU time of this shell's finished children (wrk, Python), in clock ticks.
# `times` must run in this shell, not in $(...), where it would see the subshell's children only.
read_children_ticks() {
  times >"$work/times"
  children=$(awk -v hz="$hz" 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); sum += t[1] * 60 + t[2] } }
    END { printf "%d", sum * hz }' "$work/times")
}
# Around a wrk run: $server_busy (the server's CPU use, % of one CPU) and $others_busy (all other
# processes but wrk and this script, same unit: over 25, the machine was shared during the run).
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

# $1: wrk output file, $2: what, $3: "timeouts-ok" to let wrk's 2 s timeouts pass (adnanh/webhook
# on a busy machine: they are in its p99 anyway). Fails unless every answer was 2xx, no other
# socket error happened and wrk did not run out of pre-generated requests.
check() {
  local errors='^ *(Non-2xx|Socket errors)'
  [ "${3:-}" = timeouts-ok ] && errors='^ *(Non-2xx|Socket errors: connect [1-9]|Socket errors: connect 0, read [1-9]|Socket errors: connect 0, read 0, write [1-9])'
  if grep -qE "$errors" "$1" || grep -qE '^(non2xx|wrapped) [1-9]' "$1"; then
    cat "$1" >&2
    echo "$2: failed or wrapped requests (raise BENCH_REQUEST_FACTOR if wrapped); daemon log tail:" >&2
    tail -5 "$work/taskhookd.log" >&2 || true
    exit 1
  fi
}

# $1: sync (always|none), $2: journal directory (new), $3: checkpoint-every, $4: "unsigned" for
# a /hooks/freepik that takes bench/callback.lua's unsigned callbacks.
start_taskhookd() {
  local verify="secret: {value: \"$secret\"}, key-mode: standard"
  [ "${4:-}" = unsigned ] && verify="allow-unsigned: true"
  cat >"$work/config.yaml" <<YAML
journal: {directory: $2, sync: $1, checkpoint-every: $3}
routes:
  - {path: /hooks/freepik, provider: freepik, $verify}
YAML
  bench_start_taskhookd --config "$work/config.yaml"
}
metrics() { curl -s --unix-socket "$work/control.sock" http://taskhook/metrics; }
metric() { awk -v n="$1" '$1 == n { print $2 }' <<<"$2"; }

# $1: file, $2: count, $3: id prefix. Signed callbacks for the running daemon.
generate() {
  python3 bench/signed-requests.py --out "$1" --count "$2" --host "127.0.0.1:$taskhookd_port" \
    --path /hooks/freepik --prefix "$3" --secret "$secret"
}
records_for() { awk -v r="$1" -v s="$2" -v f="$factor" -v c="$connections" 'BEGIN { printf "%d", r * s * f + 10 * c + 1000 }'; }
signed_wrk() { "${client_cpu[@]}" wrk -t1 -c"$connections" -d"$1" --latency -s bench/requests-file.lua "http://127.0.0.1:$taskhookd_port/hooks/freepik" -- "$2" >"$3"; }

run_id="$(date +%s)-$$"
expected=30000  # signed req/s assumed before the first run; then the best measured so far
# $1: sync, $2: duration, $3: checkpoint-every, $4: name. Fresh daemon and journal, a probe, a
# warm-up, the run; leaves the daemon running (taskhookd_pid) and its wrk output in $work/$4.out.
signed_run() {
  local sync=$1 length=$2 every=$3 name=$4
  rm -rf "$work/journal"
  start_taskhookd "$sync" "$work/journal" "$every"
  generate "$requests/probe" 1 "p-$name-$run_id"
  if [[ $(bench_status "$taskhookd_port" "$requests/probe") != "HTTP/1.1 2"* ]]; then
    echo "taskhookd refused the signed probe; its log:" >&2
    tail -5 "$work/taskhookd.log" >&2
    exit 1
  fi
  generate "$requests/warmup" "$(records_for "$expected" "$(seconds "$warmup")")" "w-$name-$run_id"
  signed_wrk "$warmup" "$requests/warmup" "$work/$name.warmup"
  check "$work/$name.warmup" "$name warm-up"
  rm -f "$requests/warmup"
  generate "$requests/run" "$(records_for "$expected" "$(seconds "$length")")" "$name-$run_id"
  metrics >/dev/null  # starts the longest-iteration figure afresh
  window_open "$taskhookd_pid"
  signed_wrk "$length" "$requests/run" "$work/$name.out"
  window_close "$taskhookd_pid"
  check "$work/$name.out" "$name"
  rm -f "$requests/run"
  local rate
  rate=$(rate_of "$work/$name.out")
  [ "$rate" -le "$expected" ] || expected=$rate
}

echo "load before: $(uptime)"
echo "wrk -t1 -c$connections --latency; pinned: ${server_cpu[*]:-no}; rounds of $duration after a $warmup warm-up" >&2

# --- 1. alternating rounds --------------------------------------------------------------------
bench_start_nginx
cat >"$work/hooks.json" <<'JSON'
[{"id": "bench", "execute-command": "/bin/true", "response-message": ""}]
JSON
webhook_port=$((20000 + RANDOM % 40000))
"${server_cpu[@]}" webhook -hooks "$work/hooks.json" -ip 127.0.0.1 -port "$webhook_port" >"$work/webhook.log" 2>&1 &
webhook_pid=$!
pids+=("$webhook_pid")
for _ in $(seq 50); do
  [[ $(bench_status "$webhook_port" 2>/dev/null) == "HTTP/1.1 "* ]] && break
  sleep 0.1
done
# $1: name, $2: port, $3: path, $4: duration, $5...: server pids.
plain_run() {
  local name=$1 port=$2 path=$3 length=$4
  shift 4
  window_open "$@"
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d"$length" --latency -s bench/post.lua "http://127.0.0.1:$port$path" >"$work/$name.out"
  window_close "$@"
  check "$work/$name.out" "$name" timeouts-ok
  if grep -q 'timeout [1-9]' "$work/$name.out"; then
    echo "   $name: $(grep -o 'timeout [0-9]*' "$work/$name.out") requests over wrk's 2 s timeout" >&2
  fi
}
nginx_workers() { pgrep -P "$nginx_pid" | tr '\n' ' '; }
plain_run nginx-warmup "$nginx_port" /bench "$warmup" "$nginx_pid" $(nginx_workers)
plain_run webhook-warmup "$webhook_port" /hooks/bench "$warmup" "$webhook_pid"
: >"$work/rows"
row() { echo "$1 $2 $(rate_of "$work/$1-$2.out") $(p50_of "$work/$1-$2.out") $(p99_of "$work/$1-$2.out") $server_busy $others_busy" | tee -a "$work/rows" >&2; }
for round in $(seq "$rounds"); do
  echo "round $round: name round req/s p50_ms p99_ms server_cpu% others_cpu%" >&2
  plain_run "nginx-$round" "$nginx_port" /bench "$duration" "$nginx_pid" $(nginx_workers)
  row nginx "$round"
  plain_run "webhook-$round" "$webhook_port" /hooks/bench "$duration" "$webhook_pid"
  row webhook "$round"
  for sync in always none; do
    perf_pid=""
    if [ "${BENCH_PROFILE:-0}" = 1 ] && [ "$sync" = always ] && [ "$round" = "$rounds" ]; then
      (sleep 1 && exec perf record -q -e cpu-clock -F 1999 -g -p "$taskhookd_pid" -o "$work/perf.data" -- sleep 3) \
        >/dev/null 2>"$work/perf.log" &
      perf_pid=$!
    fi
    signed_run "$sync" "$duration" 100000 "$sync-$round"
    [ -z "$perf_pid" ] || wait "$perf_pid" || true
    bench_stop "$taskhookd_pid"
    row "$sync" "$round"
  done
done
bench_stop "$webhook_pid"
bench_stop "$nginx_pid"

# --- 2. and 3. checkpoints under load -----------------------------------------------------------
long_s=$(seconds "$long") short_s=$(seconds "$short")
# A quarter of what the run should journal at the median `sync: always` rate of the rounds:
# about four checkpoints, at least two should the rate drop by half.
always_rate=$(awk '$1 == "always" { printf "%s ", $3 }' "$work/rows" | median)
every_long=$(awk -v r="$always_rate" -v s="$long_s" 'BEGIN { printf "%d", r * s / 4 }')
every_short=$(awk -v r="$always_rate" -v s="$short_s" 'BEGIN { printf "%d", r * s / 4 }')
: >"$work/long"
long_row() {
  local m
  m=$(metrics)
  echo "$1 $(rate_of "$work/$1.out") $(p50_of "$work/$1.out") $(p99_of "$work/$1.out") \
$(grep -c 'checkpoint written' "$work/taskhookd.log" || true) \
$(metric taskhook_loop_longest_iteration_seconds "$m") $(metric taskhook_loop_slow_iterations_total "$m") \
$(metric 'taskhook_tasks{status="completed"}' "$m") $others_busy \
$(metric taskhook_loop_longest_iteration_cpu_seconds "$m")" | tee -a "$work/long" >&2
  bench_stop "$taskhookd_pid"
}
echo "name req/s p50_ms p99_ms checkpoints longest_iteration_s slow_iterations tasks others_cpu% longest_on_cpu_s" >&2
signed_run always "$long" "$every_long" checkpoints
long_row checkpoints
signed_run always "$long" 1000000000 no-checkpoints
long_row no-checkpoints
signed_run always "$short" "$every_short" short
long_row short

echo "load after: $(uptime)"

# --- summary ------------------------------------------------------------------------------------
echo
echo "1. $rounds alternating rounds, wrk -t1 -c$connections -d$duration --latency (median req/s; p50/p99 of the median round):"
for name in nginx webhook always none; do
  med=$(awk -v n="$name" '$1 == n { printf "%s ", $3 }' "$work/rows" | median)
  awk -v n="$name" -v m="$med" '$1 == n && $3 == m && !done { printf "  %-8s %8d req/s  p50 %7.2f ms  p99 %8.2f ms  (rounds:", n, m, $4, $5; done = 1 }' "$work/rows"
  awk -v n="$name" '$1 == n { printf " %d", $3 }' "$work/rows"
  echo ")"
  eval "median_$name=$med"
done
awk -v a="$median_always" -v n="$median_nginx" -v w="$median_webhook" -v z="$median_none" 'BEGIN {
  printf "  taskhookd sync always / nginx   %.2f  (target >= 0.50)\n", a / n
  printf "  taskhookd sync always / webhook %.1fx (target >= 5)\n", a / w
  printf "  taskhookd sync none / nginx     %.2f\n", z / n
}'
echo "  others' CPU during the rounds (% of one CPU, max): $(awk '{ if ($7 > m) m = $7 } END { print m + 0 }' "$work/rows")"
echo
echo "2./3. signed, sync always (checkpoint-every $every_long for $long, $every_short for $short):"
awk '{ printf "  %-15s %7d req/s  p50 %6.2f ms  p99 %8.2f ms  checkpoints %s  longest loop iteration %.1f ms (on its CPU %.1f)  iterations >= 5 ms: %s  tasks %s\n", $1, $2, $3, $4, $5, $6 * 1000, $10 * 1000, $7, $8 }' "$work/long"
awk '$1 == "checkpoints" { c = $4 } $1 == "no-checkpoints" { n = $4 } $1 == "short" { s = $4 / $3 }
  END { printf "  p99 with / without checkpoints %.2f (target <= 2); %s p99/p50 %.1f (target <= 5)\n", c / n, "'"$short"'", s }' "$work/long"
if [ "${BENCH_PROFILE:-0}" = 1 ] && [ -f "$work/perf.data" ]; then
  set +o pipefail  # `head` closes its pipe early
  echo
  echo "taskhookd, sync always, last round (perf record -e cpu-clock -F 1999 -g): by DSO, then self time"
  perf report -i "$work/perf.data" --stdio -g none --no-children --sort dso 2>/dev/null | grep -E '^ +[0-9]' | head -6
  perf report -i "$work/perf.data" --stdio -g none --no-children --sort sym 2>/dev/null | swift demangle --simplified | grep -E '^ +[0-9]' | head -30
fi

# --- 4. READY, idle RSS, table memory (bench/table.sh) --------------------------------------------
echo
echo "4. bench/table.sh: READY and memory"
BENCH_SKIP_BUILD=1 BENCH_TABLE_TASKS=$table_tasks BENCH_CONNECTIONS=$connections bash bench/table.sh
