#!/usr/bin/env bash
# Load test: wrk POSTs a 400-byte JSON body over keep-alive connections to taskhookd
# (`--discard /bench`: read fully, answered 200, not journaled) and to nginx
# (`return 200`) in the same run, alternating, and prints both and the ratio.
# Only 127.0.0.1 is used. Knobs (environment): BENCH_DURATION (10s), BENCH_ROUNDS (3),
# BENCH_CONNECTIONS (64), BENCH_WARMUP (2s), BENCH_PIN (1: server and wrk on CPUs 1 and 0),
# BENCH_SKIP_BUILD=1.
set -euo pipefail

duration=${BENCH_DURATION:-10s}
rounds=${BENCH_ROUNDS:-3}
connections=${BENCH_CONNECTIONS:-64}
warmup=${BENCH_WARMUP:-2s}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh

scripts/deps.sh wrk nginx-light libsystemd-dev libyaml-dev pkg-config

# The default .build in release, so `make release` and `make bench` share one build.
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --product taskhookd
fi
taskhookd="$(swift build -c release --show-bin-path)/taskhookd"

work=$(mktemp -d "${TMPDIR:-/tmp}/taskhook-bench.XXXXXX")
pids=()
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_pin_cpus

# Runs wrk against one server; appends "name round rps p50 p99 errors" to the results file.
bench() {
  local name=$1 port=$2 seconds=$3 record=$4
  local out="$work/wrk-$name.txt"
  "${client_cpu[@]}" wrk -t1 -c"$connections" -d"$seconds" --latency -s bench/post.lua \
    "http://127.0.0.1:$port/bench" >"$out"
  [ "$record" = yes ] || return 0
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  # Non-2xx answers and socket errors invalidate a figure; they are shown, not hidden.
  errors=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$out")
  printf '%-10s round %d: %10.0f req/s  p50 %7.3f ms  p99 %8.3f ms  errors %s\n' \
    "$name" "$round" "$rps" "$p50" "$p99" "$errors" >&2
  echo "$name $round $rps $p50 $p99 $errors" >>"$work/results"
}

# One summary line per server: "name median_rps best_rps spread% p50 p99 errors", the latencies
# of the median round. The median, not the mean: on a shared 2-core VM one round now and then
# runs at half speed, and one such round should not decide the ratio.
summarize() {
  local name=$1
  grep "^$name " "$work/results" | sort -k3,3n | awk -v name="$name" '
    { rps[NR] = $3; p50[NR] = $4; p99[NR] = $5; err += $6 }
    END {
      m = int((NR + 1) / 2)
      median = (NR % 2) ? rps[m] : (rps[m] + rps[m + 1]) / 2
      printf "%s %.0f %.0f %.0f %.3f %.3f %d\n", name, median, rps[NR], 100 * (rps[NR] - rps[1]) / median, p50[m], p99[m], err
    }'
}

bench_start_nginx
bench_start_taskhookd --discard /bench --max-connections 1024 --journal-dir "$work/journal"
[[ $(bench_status "$taskhookd_port") == "HTTP/1.1 200 "* ]] || { echo "taskhookd does not answer 200 to POST /bench" >&2; exit 1; }
echo "nginx on 127.0.0.1:$nginx_port, taskhookd on 127.0.0.1:$taskhookd_port;" \
  "wrk -t1 -c$connections -d$duration, $rounds round(s), pinned: ${server_cpu[*]:-no}" >&2

# Warm both up (connections, page faults, allocator) before anything counts.
round=0
bench nginx "$nginx_port" "$warmup" no
bench taskhookd "$taskhookd_port" "$warmup" no
# Alternating, so a drift of the machine (another build, thermal) hits both alike.
for round in $(seq "$rounds"); do
  bench nginx "$nginx_port" "$duration" yes
  bench taskhookd "$taskhookd_port" "$duration" yes
done

{
  summarize nginx
  summarize taskhookd
} >"$work/summary"

echo >&2
echo "wrk -t1 -c$connections -d$duration --latency, POST 400-byte JSON, keep-alive, $rounds round(s) each:"
awk '
  BEGIN { printf "%-10s %12s %12s %8s %9s %9s %7s\n", "server", "median req/s", "best req/s", "spread", "p50 ms", "p99 ms", "errors" }
  { printf "%-10s %12d %12d %7d%% %9.3f %9.3f %7d\n", $1, $2, $3, $4, $5, $6, $7; median[$1] = $2; best[$1] = $3; spread[$1] = $4 }
  END {
    printf "ratio taskhookd/nginx: %.2f (median), %.2f (best); target >= 0.80\n",
      median["taskhookd"] / median["nginx"], best["taskhookd"] / best["nginx"]
    if (spread["nginx"] > 25 || spread["taskhookd"] > 25)
      print "note: rounds differ by more than 25%: the machine was busy; rerun for a steadier figure"
  }' "$work/summary"

if awk '$7 > 0 { bad = 1 } END { exit !bad }' "$work/summary"; then
  echo "warning: some requests failed; the figures above are not comparable" >&2
  exit 1
fi
