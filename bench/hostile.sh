#!/usr/bin/env bash
# A hostile reader of the control API against a large journal (issue 14): does the event loop
# stay responsive while one client streams the whole history and another pages through every task?
#   1. Fill: taskhookd (`sync: none`, an unsigned /hooks/freepik) takes unique callbacks from wrk
#      (bench/callback.lua, each a new task, result URLs padded by BENCH_RESULT_PADDING bytes) until
#      it holds BENCH_TASKS (1,000,000) tasks and its journal's segments BENCH_HISTORY_BYTES (1 GiB).
#   2. BENCH_ROUNDS (3) rounds, each on a daemon restarted on that journal (its start time and the
#      log's replay figures are printed): /metrics is scraped (which starts the loop's
#      longest-iteration figure afresh), then at once
#        a. one SSE subscriber reads `GET /v1/events?since=0&follow=false` (every report the table
#           keeps, then the end) over the control socket as fast as it can;
#        b. a pager walks `GET /v1/tasks?limit=BENCH_PAGE_LIMIT (1000)` through every task with
#           the `after=` cursor, on one keep-alive connection;
#        c. a probe sends a new valid callback to the public listener every BENCH_PROBE_INTERVAL
#           (0.01 s) and times each answer.
#      Meanwhile /metrics is read every 0.2 s (each read takes the longest iteration since the
#      last), and bench/canary.c (random reads over 512 MiB timed on its own CPU clock, which no
#      code of ours can slow) runs twice: on the daemon's CPU at SCHED_IDLE, and on the clients'
#      CPU a chunk every millisecond. When a and b are done: the
#      loop's longest iteration (target < 10 ms), its iterations of 5 ms or more, the probe's
#      p50/p99/max, events and bytes streamed, pages and tasks read, how long each took; and the
#      canary's median and worst chunk, and the longest iteration away (0.5 s) from its stalls.
# Only 127.0.0.1 and Unix sockets; the daemon on CPU 1 and the clients on CPU 0 (BENCH_PIN); every
# process started is stopped by PID on exit; each round's clients are killed after
# BENCH_ROUND_TIMEOUT (300 s). About 6 minutes at the defaults (2 of them the fill).
#
# Knobs: BENCH_TASKS (1000000), BENCH_HISTORY_BYTES (1073741824), BENCH_RESULT_PADDING (200),
# BENCH_ROUNDS (3), BENCH_PAGE_LIMIT (1000, the API's maximum), BENCH_PROBE_INTERVAL (0.01),
# BENCH_CONNECTIONS (64, the fill's), BENCH_ROUND_TIMEOUT (300), BENCH_PIN (1), BENCH_NICE (0),
# BENCH_SKIP_BUILD=1, BENCH_PROFILE=1 (perf record -g of taskhookd during the first round; its
# hottest symbols printed after the figures), BENCH_CANARY (1; 0: none), BENCH_CANARY_MIB (512),
# BENCH_LONG_ITERATION (20ms: the daemon's limits.long-iteration, whose warnings are printed).
set -euo pipefail

tasks_wanted=${BENCH_TASKS:-1000000}
history_wanted=${BENCH_HISTORY_BYTES:-1073741824}
padding=${BENCH_RESULT_PADDING:-200}
rounds=${BENCH_ROUNDS:-3}
limit=${BENCH_PAGE_LIMIT:-1000}
interval=${BENCH_PROBE_INTERVAL:-0.01}
connections=${BENCH_CONNECTIONS:-64}
round_timeout=${BENCH_ROUND_TIMEOUT:-300}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
scripts/deps.sh wrk curl libsystemd-dev libyaml-dev pkg-config python3

bench_release_taskhookd

# The journal on the project's disk (not a tmpfs), where a real install's would be; the daemon's
# log and control socket on /dev/shm, as under systemd (journald's socket, /run). A log file on
# the journal's disk blocks the loop's log writes for seconds while ext4 writes back the fill's
# gigabyte: the loop writes its log lines itself (LineLogOutput), which this bench is not about.
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
work=$(mktemp -d "$shm/taskhook-hostile.XXXXXX")
disk=$(mktemp -d "$root/.bench-journal.XXXXXX")
pids=()
trap 'bench_cleanup "$disk"' EXIT
trap 'exit 130' INT TERM
bench_pin_cpus
# BENCH_NICE=-10 (root): the daemon ahead of other processes on its CPU, so that the figure is the
# code's, not the neighbours' (the longest iteration is wall time, and a preempted loop is late).
if [ "${BENCH_NICE:-0}" != 0 ]; then server_cpu+=(nice -n "$BENCH_NICE"); fi
# BENCH_CANARY=0: no canary beside the daemon (see the rounds below and bench/canary.c).
canary="" canary_mib=${BENCH_CANARY_MIB:-512} canary_cpu=() daemon_cpu=all
[ ${#server_cpu[@]} -eq 0 ] || daemon_cpu=1
limit_log=${BENCH_LONG_ITERATION:-20ms}
if [ "${BENCH_CANARY:-1}" = 1 ]; then
  compiler=$(command -v cc || command -v clang) || { echo "bench/canary.c needs cc or clang (BENCH_CANARY=0 skips it)" >&2; exit 1; }
  canary="$work/canary"
  "$compiler" -O2 -o "$canary" bench/canary.c
  [ ${#server_cpu[@]} -eq 0 ] || canary_cpu=(taskset -c 1)
  canary_paced_cpu=("${client_cpu[@]}")
fi

cat >"$work/config.yaml" <<YAML
journal: {directory: $disk/journal, sync: none}
limits: {long-iteration: $limit_log}
routes:
  - {path: /hooks/freepik, provider: freepik, allow-unsigned: true}
YAML
metrics() { curl -s --unix-socket "$work/control.sock" http://taskhook/metrics; }
metric() { awk -v n="$1" '$1 == n { print $2 }' <<<"$2"; }
segment_bytes() { find "$disk/journal" -name '*.journal' -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }'; }
tasks_held() { metric 'taskhook_tasks{status="completed"}' "$(metrics)" | awk '{ printf "%d", $1 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Times the main thread (the event loop's) was preempted: each can lengthen an iteration.
preempted() { awk '/^nonvoluntary_ctxt_switches:/ { print $2 }' "/proc/$1/status"; }
rss_mib() { awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
# $1: a key of one of bench/hostile.py's `key value` lines, $2: its output file.
value() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }

echo "load before: $(uptime)"

# --- 1. fill ------------------------------------------------------------------------------------
bench_start_taskhookd --config "$work/config.yaml"
fill_started=$(date +%s.%N)
callbacks=0 tasks=0 history=0 fill_round=0
while [ "$tasks" -lt "$tasks_wanted" ] || [ "$history" -lt "$history_wanted" ]; do
  fill_round=$((fill_round + 1))
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d10s -s bench/callback.lua \
    "http://127.0.0.1:$taskhookd_port/hooks/freepik" -- "$padding" "fill-$$-$fill_round" >"$work/fill.out"
  # wrk's 2 s timeouts pass: the fill only has to fill (the tasks are counted from /metrics), and
  # on a shared machine the daemon's checkpoint thread can be starved; errors and non-2xx do not.
  grep -q '^non2xx 0$' "$work/fill.out" && ! grep -qE 'Socket errors: connect [1-9]|read [1-9]|write [1-9]' "$work/fill.out" \
    || { cat "$work/fill.out" >&2; echo "the fill failed; daemon log tail:" >&2; tail -5 "$work/taskhookd.log" >&2; exit 1; }
  callbacks=$((callbacks + $(awk '/ requests in / { print $1 }' "$work/fill.out")))
  tasks=$(tasks_held) history=$(segment_bytes)
  echo "  fill: $callbacks callbacks, $tasks tasks, $(mib "$history") of segments" >&2
done
fill_seconds=$(awk -v a="$fill_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
echo "filled: $callbacks callbacks (result URLs padded by $padding bytes) = $tasks tasks, $history bytes of segments ($(mib "$history")) in ${fill_seconds}s"

# --- 2. rounds ----------------------------------------------------------------------------------
hz=$(getconf CLK_TCK)
: >"$work/rows"
for round in $(seq "$rounds"); do
  bench_stop "$taskhookd_pid"
  # Measured on a journal at rest, not while the kernel still writes back the fill and the
  # checkpoint the stop wrote (a `sync: always` daemon would have written them through).
  sync -f "$disk/journal"
  started=$(date +%s%N)
  bench_start_taskhookd --config "$work/config.yaml"
  start_ms=$((($(date +%s%N) - started) / 1000000))
  replay=$(grep 'journal replayed' "$work/taskhookd.log" | tail -1)
  took=$(grep -o 'took_ms=[0-9]*' <<<"$replay" | cut -d= -f2)
  replayed=$(grep -o 'replayed=[0-9]*' <<<"$replay" | cut -d= -f2)
  held=$(tasks_held)
  echo "round $round: started in ${start_ms} ms (log: replay took ${took:-?} ms, ${replayed:-?} records after the checkpoint), $held tasks, RSS $(rss_mib "$taskhookd_pid") MiB; load: $(uptime | sed 's/.*load average: //')" >&2

  "${client_cpu[@]}" python3 bench/hostile.py probe "$taskhookd_port" "$interval" >"$work/probe.out" &
  probe_pid=$!
  pids+=("$probe_pid")
  sleep 0.5
  before=$(metrics)  # the longest iteration counts from here
  slow_before=$(metric taskhook_loop_slow_iterations_total "$before")
  ticks_before=$(cpu_ticks "$taskhookd_pid") preempted_before=$(preempted "$taskhookd_pid")
  perf_pid=""
  if [ "${BENCH_PROFILE:-0}" = 1 ] && [ "$round" = 1 ]; then
    perf record -q -e cpu-clock -F 999 -g -p "$taskhookd_pid" -o "$work/perf.data" >/dev/null 2>"$work/perf.log" &
    perf_pid=$!
    pids+=("$perf_pid")
  fi
  # The machine's own stalls beside the daemon: bench/canary.c on the daemon's CPU, SCHED_IDLE
  # (it runs only while the loop waits, and the CPU clock it times itself by does not count being
  # preempted), which sees nothing while the loop is busy without a pause; and on the clients'
  # CPU, a chunk every millisecond, which sees what slows the whole VM at any time. The watcher reads the longest iteration every 0.2 s, so that each long one has a
  # time to be matched against the canary's.
  canary_pid=""
  if [ -n "$canary" ]; then
    "${canary_cpu[@]}" chrt --idle 0 "$canary" "$round_timeout" "$canary_mib" >"$work/canary.out" &
    canary_pid=$!
    "${canary_paced_cpu[@]}" "$canary" "$round_timeout" "$canary_mib" 1000 >"$work/canary-paced.out" &
    canary_paced_pid=$!
    pids+=("$canary_pid" "$canary_paced_pid")
  fi
  "${client_cpu[@]}" python3 bench/hostile.py watch "$work/control.sock" 0.2 "$daemon_cpu" >"$work/watch.out" &
  watch_pid=$!
  pids+=("$watch_pid")
  clients_started=$(date +%s.%N)
  "${client_cpu[@]}" timeout "$round_timeout" python3 bench/hostile.py events "$work/control.sock" >"$work/events.out" &
  events_pid=$!
  "${client_cpu[@]}" timeout "$round_timeout" python3 bench/hostile.py pages "$work/control.sock" "$limit" >"$work/pages.out" &
  pages_pid=$!
  pids+=("$events_pid" "$pages_pid")
  # $1: what failed, $2: its exit status (124: killed by `timeout`).
  client_failed() {
    echo "the $1 failed (status $2; 124: over ${round_timeout}s); taskhookd $(kill -0 "$taskhookd_pid" 2>/dev/null && echo "still runs" || echo "is gone"); its log's tail:" >&2
    tail -20 "$work/taskhookd.log" >&2
    exit 1
  }
  wait "$events_pid" || client_failed "SSE subscriber" $?
  wait "$pages_pid" || client_failed pager $?
  both_seconds=$(awk -v a="$clients_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  bench_stop "$watch_pid"
  after=$(metrics)
  echo "window $(date +%s.%N) $(metric taskhook_loop_longest_iteration_seconds "$after" | awk '{ print $1 * 1000 }') \
$(metric taskhook_loop_longest_iteration_cpu_seconds "$after" | awk '{ print $1 * 1000 }') 0" >>"$work/watch.out"
  [ -z "$canary_pid" ] || { bench_stop "$canary_pid"; bench_stop "$canary_paced_pid"; }
  [ -n "$canary_pid" ] || : >"$work/canary.out" >"$work/canary-paced.out"
  ticks=$(($(cpu_ticks "$taskhookd_pid") - ticks_before)) preemptions=$(($(preempted "$taskhookd_pid") - preempted_before))
  [ -z "$perf_pid" ] || bench_stop "$perf_pid"  # SIGTERM: perf writes its data and ends
  bench_stop "$probe_pid"
  bench_stop "$events_pid"
  bench_stop "$pages_pid"
  # The round's longest iteration (seconds) and its longest on the CPU clock; then the same over
  # the windows with no stall of the canary from 0.5 s before them to 0.5 s after.
  read -r longest on_cpu away away_on_cpu steal longest_steal < <(awk '
    FNR == NR { if ($1 == "stall") stalls[++n] = $2; next }
    $1 == "window" {
      if ($3 > l) { l = $3; ls = $5 }
      if ($4 > c) c = $4
      s += $5
      near = 0
      for (i = 1; i <= n; i++) if (stalls[i] >= prev - 0.5 && stalls[i] <= $2 + 0.5) near = 1
      if (!near) { if ($3 > al) al = $3; if ($4 > ac) ac = $4 }
      prev = $2
    }
    END { printf "%f %f %f %f %d %d\n", l / 1000, c / 1000, al / 1000, ac / 1000, s, ls }' \
    <(cat "$work/canary.out" "$work/canary-paced.out") "$work/watch.out")
  canary_median=$(value median_ms "$work/canary.out") canary_worst=$(value worst_ms "$work/canary.out")
  canary_stalls=$(grep -c '^stall ' "$work/canary.out" || true)
  paced_median=$(value median_ms "$work/canary-paced.out") paced_worst=$(value worst_ms "$work/canary-paced.out")
  paced_stalls=$(grep -c '^stall ' "$work/canary-paced.out" || true)
  slow=$(($(metric taskhook_loop_slow_iterations_total "$after" | awk '{ printf "%d", $1 }') - $(awk '{ printf "%d", $1 }' <<<"$slow_before")))
  echo "$round $longest $slow $(value p50_ms "$work/probe.out") $(value p99_ms "$work/probe.out") \
$(value max_ms "$work/probe.out") $(value probes "$work/probe.out") \
$(value events "$work/events.out") $(value bytes "$work/events.out") $(value seconds "$work/events.out") \
$(value pages "$work/pages.out") $(value tasks "$work/pages.out") $(value bytes "$work/pages.out") \
$(value seconds "$work/pages.out") $(value slowest_page_ms "$work/pages.out") $both_seconds \
$(awk -v t="$ticks" -v hz="$hz" -v s="$both_seconds" 'BEGIN { printf "%d", 100 * t / hz / s }') \
$start_ms ${took:-0} $held $preemptions $on_cpu ${canary_median:--} ${canary_worst:--} $canary_stalls $away $away_on_cpu $steal $longest_steal ${paced_median:--} ${paced_worst:--} $paced_stalls" >>"$work/rows"
  awk -v r="$round" '$1 == r { printf "  longest loop iteration %.2f ms (target < 10; on its CPU %.2f ms), iterations >= 5 ms: %d; probe p50 %s ms, p99 %s ms, max %s ms (%d probes)\n  SSE: %d events, %.0f MiB in %s s; pager: %d pages, %d tasks, %.0f MiB in %s s (slowest page %s ms); taskhookd CPU %d%%, its loop preempted %d times\n", $2 * 1000, $22 * 1000, $3, $4, $5, $6, $7, $8, $9 / 1048576, $10, $11, $12, $13 / 1048576, $14, $15, $17, $21 }' "$work/rows" >&2
  awk -v r="$round" '$1 == r { printf "  the hypervisor took CPU %s from this VM for %d ms of the round (steal, /proc/stat), %d ms of them in the 0.2 s around the longest iteration\n", "'"$daemon_cpu"'", $28, $29 }' "$work/rows" >&2
  # Stopped before its log is read: it logs the long iteration it still held back (the longest
  # of its last 10 s) as it stops.
  bench_stop "$taskhookd_pid"
  long_logged=$(grep -c 'an event loop iteration held everything up' "$work/taskhookd.log" || true)
  if [ "$long_logged" != 0 ]; then
    echo "  the daemon logged $long_logged lines for iterations of $limit_log or more (limits.long-iteration; at most the longest of each 10 s; the three longest):"
    grep 'an event loop iteration held everything up' "$work/taskhookd.log" |
      awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^busy_ms=/) { split($i, b, "="); print b[2] "\t" $0 } }' |
      sort -rn | head -3 | cut -f2- | sed 's/^/    /'
  fi >&2
  [ -z "$canary" ] || awk -v r="$round" '$1 == r { printf "  the machine (bench/canary.c, a chunk of 1,024 reads): on CPU 1 while the loop waits %s ms (median), at worst %s ms, %d chunks >= 2 ms; on CPU 0 every ms %s ms, at worst %s ms, %d chunks >= 2 ms; longest iteration away from those: %.2f ms (on its CPU %.2f ms)\n", $23, $24, $25, $30, $31, $32, $26 * 1000, $27 * 1000 }' "$work/rows" >&2
done
echo "load after: $(uptime)"

# --- summary ------------------------------------------------------------------------------------
echo
echo "journal: $tasks tasks from $callbacks callbacks, $history bytes of segments ($(mib "$history"))"
echo "per round, on a restarted daemon: SSE since=0&follow=false + /v1/tasks pager (limit $limit) + a callback every ${interval}s"
echo "round start_ms replay_ms longest_ms on_cpu_ms slow>=5ms probe_p50/p99/max_ms events stream_MiB stream_s pages tasks pages_MiB pages_s both_s daemon_cpu% preempted"
awk '{ printf "%5d %8d %9d %10.2f %9.2f %9d %8s/%s/%s %7d %10.0f %8s %5d %7d %9.0f %7s %6s %11d %9d\n",
  $1, $18, $19, $2 * 1000, $22 * 1000, $3, $4, $5, $6, $8, $9 / 1048576, $10, $11, $12, $13 / 1048576, $14, $16, $17, $21 }' "$work/rows"
awk '{ if ($2 > m) m = $2; if ($22 > c) c = $22 } END { printf "longest iteration over all rounds: %.2f ms (target < 10 ms): %s; on the loop'"'"'s CPU clock %.2f ms\n", m * 1000, m < 0.010 ? "met" : "NOT met", c * 1000 }' "$work/rows"
[ -z "$canary" ] || awk '{ if ($26 > m) m = $26; if ($27 > c) c = $27; if ($24 > w) w = $24; if ($31 > w) w = $31; s += $25 + $32 } END { printf "away from the machine'"'"'s own stalls (%d chunks of the canary >= 2 ms, the worst %.2f ms, within 0.5 s): %.2f ms: %s; on the loop'"'"'s CPU clock %.2f ms\n", s, w, m * 1000, m < 0.010 ? "met" : "NOT met", c * 1000 }' "$work/rows"
awk -v t="$tasks" '$8 < t || $12 < t { bad = 1 } END { if (bad) print "WARNING: a client saw fewer events or tasks than the table held" }' "$work/rows"

if [ "${BENCH_PROFILE:-0}" = 1 ] && [ -f "$work/perf.data" ]; then
  set +o pipefail  # `head` closes its pipe early
  echo
  echo "taskhookd during round 1 (perf record -e cpu-clock -F 999 -g), self time:"
  perf report -i "$work/perf.data" --stdio -g none --no-children --sort sym 2>/dev/null | swift demangle --simplified | grep -E '^ +[0-9]' | head -30
  echo "the same, with callees' time (what the loop was doing):"
  perf report -i "$work/perf.data" --stdio -g none --children --sort sym 2>/dev/null | swift demangle --simplified | grep -E '^ +[0-9]' | head -40
fi
