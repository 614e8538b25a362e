#!/usr/bin/env bash
# The task table's memory and the start-up it costs (issue 13), on 127.0.0.1 only:
#   1. READY time (sd_notify, bench/ready.py) and idle RSS, with the largest mappings, on an
#      empty journal;
#   2. BENCH_TABLE_TASKS (1,000,000) unique tasks ingested with `sync: none` (bench/callback.lua,
#      one callback a task, each with one result URL): table memory = RSS delta / tasks, and the
#      same less the result URLs' own bytes (the target counts them apart);
#      then rounds of 5 s at a steady load (4 connections) until a checkpoint of the whole table
#      was written in one and not in another: the loop's longest iteration in each;
#   3. READY on that journal, three times each way, alternating, the median reported: as it was
#      left (the shutdown checkpoint read, then the records after it), and with its checkpoints
#      removed (every record replayed, as after a crash of a daemon that never wrote one); with
#      the CPU time each start took, which a busy or stolen CPU does not inflate.
# Run by bench/ingest.sh (its part 4) and on its own: `BENCH_SKIP_BUILD=1 bash bench/table.sh`.
# Knobs: BENCH_TABLE_TASKS (1000000), BENCH_CONNECTIONS (64), BENCH_STEADY_CONNECTIONS (4),
# BENCH_PIN (1), BENCH_SKIP_BUILD=1,
# BENCH_TASKHOOKD (a taskhookd binary to measure instead of this tree's release build).
set -euo pipefail

table_tasks=${BENCH_TABLE_TASKS:-1000000}
connections=${BENCH_CONNECTIONS:-64}
steady=${BENCH_STEADY_CONNECTIONS:-4}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
scripts/deps.sh wrk libsystemd-dev libyaml-dev pkg-config python3

# BENCH_TASKHOOKD: another build to measure (an earlier commit's, for a comparison in one run).
if [ -n "${BENCH_TASKHOOKD:-}" ]; then taskhookd=$BENCH_TASKHOOKD; else bench_release_taskhookd; fi

work=$(mktemp -d "$root/.bench-table.XXXXXX")
pids=()
trap 'bench_cleanup' EXIT
trap 'exit 130' INT TERM
bench_pin_cpus

# Iterations of 5 ms or more are logged, taken apart (CPU, user and system time, faults, phases).
cat >"$work/config.yaml" <<YAML
journal: {directory: $work/journal, sync: none, checkpoint-every: 100000}
limits: {long-iteration: 5ms}
routes:
  - {path: /hooks/freepik, provider: freepik, allow-unsigned: true}
YAML
metrics() { curl -s --unix-socket "$work/control.sock" http://taskhook/metrics; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# The anonymous part of the RSS (the heap): a checkpoint's read-back maps the file it wrote, and
# those clean file pages count in VmRSS while mapped.
anon_kib() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }
ready() { python3 bench/ready.py -- "${server_cpu[@]}" "$taskhookd" --listen 127.0.0.1:0 --control-socket "$work/control.sock" --config "$work/config.yaml"; }
declare -A all_ready
read_ready() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

echo "load before: $(uptime)"
ready >"$work/ready-empty"
bench_start_taskhookd --config "$work/config.yaml"
sleep 1
rss_before=$(rss_kib "$taskhookd_pid")
ingested=0
checkpoints() { grep -c 'checkpoint written' "$work/taskhookd.log" || true; }
while [ "$ingested" -lt "$table_tasks" ]; do
  # The longest iteration from here on, and the slow ones so far.
  slow_before=$(metrics | awk '$1 == "taskhook_loop_slow_iterations_total" { printf "%d", $2 }')
  before=$(checkpoints)
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d5s -s bench/callback.lua "http://127.0.0.1:$taskhookd_port/hooks/freepik" >"$work/fill.out"
  grep -q '^non2xx 0$' "$work/fill.out" || { cat "$work/fill.out" >&2; exit 1; }
  ingested=$((ingested + $(awk '/ requests in / { print $1 }' "$work/fill.out")))
  sleep 1  # a checkpoint started near the end of the round is written meanwhile
  m=$(metrics)
  last_round="$(awk '$1 == "taskhook_loop_longest_iteration_seconds" { l = $2 } $1 == "taskhook_loop_slow_iterations_total" { s = $2 }
    $1 == "taskhook_loop_longest_iteration_cpu_seconds" { c = $2 } END { printf "%.1f %d %.1f", l * 1000, s, c * 1000 }' <<<"$m") $(($(checkpoints) - before)) $slow_before $(awk '$1 ~ /^taskhook_tasks\{/ { t += $2 } END { printf "%d", t }' <<<"$m")"
done
# A checkpoint of the whole table under a steady load: BENCH_STEADY_CONNECTIONS (4) connections,
# rounds of 5 s until one wrote a checkpoint and another wrote none (at most 8); each round's
# longest loop iteration, so that one written meanwhile is seen against the same load without.
# Under the fill's full speed, every iteration carries 64 requests, checkpoint or not.
steady_rounds=()
with=0 without=0
for round in $(seq 8); do
  before=$(checkpoints)
  metrics >/dev/null  # starts the longest-iteration figures afresh
  "${client_cpu[@]}" wrk -t1 -c"$steady" -d5s -s bench/callback.lua "http://127.0.0.1:$taskhookd_port/hooks/freepik" >"$work/steady.out"
  grep -q '^non2xx 0$' "$work/steady.out" || { cat "$work/steady.out" >&2; exit 1; }
  ingested=$((ingested + $(awk '/ requests in / { print $1 }' "$work/steady.out")))
  written=$(($(checkpoints) - before))
  if [ "$written" -gt 0 ]; then with=$((with + 1)); else without=$((without + 1)); fi
  steady_rounds+=("$(metrics | awk -v w="$written" -v r="$(awk '/^Requests\/sec:/ { printf "%d", $2 }' "$work/steady.out")" '
    $1 == "taskhook_loop_longest_iteration_seconds" { l = $2 } $1 == "taskhook_loop_longest_iteration_cpu_seconds" { c = $2 }
    END { printf "%d req/s, %d checkpoint(s) written: longest iteration %.1f ms (%.1f on the CPU clock)", r, w, l * 1000, c * 1000 }')")
  [ "$with" -eq 0 ] || [ "$without" -eq 0 ] || break
done
sleep 1
# The table's memory once the last checkpoint is written (while one is, the shards the loop changed
# meanwhile are held twice). Sampled once no checkpoint was written for 3 s.
peak=$(rss_kib "$taskhookd_pid") peak_anon=$(anon_kib "$taskhookd_pid") quiet=0 seen=$(checkpoints)
for _ in $(seq 60); do
  sleep 0.5
  rss=$(rss_kib "$taskhookd_pid")
  [ "$rss" -le "$peak" ] || peak=$rss
  anon=$(anon_kib "$taskhookd_pid")
  [ "$anon" -le "$peak_anon" ] || peak_anon=$anon
  if [ "$(checkpoints)" = "$seen" ]; then quiet=$((quiet + 1)); else quiet=0 seen=$(checkpoints); fi
  [ "$quiet" -lt 6 ] || break
done
rss_after=$(rss_kib "$taskhookd_pid")
tasks=$(metrics | awk '$1 == "taskhook_tasks{status=\"completed\"}" { printf "%d", $2 }')
bench_stop "$taskhookd_pid"
# Three starts of each kind, alternating (each start's shutdown writes the checkpoint the next
# one reads): the median is reported, with every figure (identical starts vary by half here).
for round in 1 2 3; do
  ready >"$work/ready-checkpoint.$round"
  rm -f "$work"/journal/checkpoint-*.thc
  ready >"$work/ready-full.$round"
done
for kind in checkpoint full; do
  # The round whose READY time is the median, as read_ready reads it (memory figures and all).
  median=$(for round in 1 2 3; do echo "$(read_ready ready_ms "$work/ready-$kind.$round") $round"; done | sort -n | sed -n 2p | cut -d' ' -f2)
  cp "$work/ready-$kind.$median" "$work/ready-$kind"
  all_ready[$kind]=$(for round in 1 2 3; do printf '%s/%s ' "$(read_ready ready_ms "$work/ready-$kind.$round")" "$(read_ready ready_cpu_ms "$work/ready-$kind.$round")"; done)
done
echo "load after: $(uptime)"

# bench/callback.lua's result URL: https://cdn.example/videos/ID.mp4, ID = TIME-RANDOM-COUNTER.
url_bytes=$(awk 'BEGIN { printf "%d", length("https://cdn.example/videos/") + length("1700000000-123456789-500000") + 4 }')
echo
echo "READY (sd_notify READY=1 after exec) and memory:"
echo "  empty journal: READY $(read_ready ready_ms "$work/ready-empty") ms, idle RSS $(($(read_ready rss_kib "$work/ready-empty") / 1024)) MiB; largest mappings (KiB):"
awk '$1 == "mapping" { printf "    %8d %s\n", $2, $3 }' "$work/ready-empty"
awk -v b="$rss_before" -v a="$rss_after" -v t="$tasks" -v u="$url_bytes" 'BEGIN {
  per = (a - b) * 1024 / t
  printf "  table: %d tasks ingested (sync none); RSS %d -> %d MiB: %.0f bytes per task, %.0f without its result URL (%d bytes; target <= 300)\n", t, b / 1024, a / 1024, per, per - u, u }'
echo "  (the highest RSS seen after the load stopped, while a checkpoint may have been written: $((peak / 1024)) MiB; of it anonymous, at most: $((peak_anon / 1024)) MiB, the rest the checkpoint file's pages, mapped as it is read back)"
read -r longest slow on_cpu written slow_before at <<<"$last_round"
echo "  its last 5 s round (wrk -c$connections, full speed) wrote $written checkpoint(s), the table at $at tasks: longest loop iteration $longest ms (target <= 5 while a checkpoint of 1,000,000 tasks is written; on the loop's CPU clock $on_cpu ms), $((slow - slow_before)) iterations of 5 ms or more"
echo "  then rounds of 5 s at a steady load (wrk -c$steady), a checkpoint of the whole table written in some:"
for line in "${steady_rounds[@]}"; do echo "    $line"; done
echo "  the daemon's own lines for its longest iterations of the fill (logged: the first at once, then the longest of each 10 s):"
grep -F 'an event loop iteration held everything up' "$work/taskhookd.log" | sed 's/^.*held everything up//' |
  awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^busy_ms=/) { split($i, b, "="); print b[2], $0 } }' | sort -rn | head -5 | cut -d' ' -f2- | sed 's/^/    /'
empty=$(read_ready rss_kib "$work/ready-empty")
for kind in checkpoint full; do
  label="after the shutdown checkpoint"
  [ "$kind" = full ] && label="every record replayed (checkpoints removed)"
  awk -v r="$(read_ready ready_ms "$work/ready-$kind")" -v c="$(read_ready ready_cpu_ms "$work/ready-$kind")" -v n="$ingested" -v f="$(read_ready rss_kib "$work/ready-$kind")" -v e="$empty" -v l="$label" 'BEGIN {
    printf "  %d records, %s: READY %.0f ms, %.0f ms of CPU (target <= 2000 per million: %.0f per million); RSS %d MiB, %.0f bytes per task over the empty start\n", n, l, r, c, r * 1000000 / n, f / 1024, (f - e) * 1024 / n }'
  echo "    (the median of 3 starts; READY/CPU ms of each: ${all_ready[$kind]})"
  awk '$1 == "mapping" { printf "    %8d KiB %s\n", $2, $3 }' "$work/ready-$kind"
done
