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

scripts/deps.sh wrk nginx-light libsystemd-dev pkg-config

# The default .build in release, so `make release` and `make bench` share one build.
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --product taskhookd
fi
taskhookd="$(swift build -c release --show-bin-path)/taskhookd"
nginx=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d "${TMPDIR:-/tmp}/taskhook-bench.XXXXXX")
pids=()
cleanup() {
  # Only the servers this script started, by PID.
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two cores: wrk on one, the server on the other, so neither steals the other's CPU and both
# servers run under the same conditions. Without two CPUs, no pinning.
server_cpu=() client_cpu=()
if [ "${BENCH_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_cpu=(taskset -c 1) client_cpu=(taskset -c 0)
fi

# Sends one request like the benchmark's and succeeds if the answer is 200: a server that
# answered 4xx/5xx would make its requests/sec meaningless.
answers_200() {
  local port=$1 status
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'POST /bench HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}' >&3
  IFS= read -r -t 5 status <&3 || status=""
  exec 3<&-
  [[ $status == "HTTP/1.1 200 "* ]]
}

start_taskhookd() {
  local log="$work/taskhookd.log" port=""
  "${server_cpu[@]}" "$taskhookd" --listen 127.0.0.1:0 --discard /bench --max-connections 1024 2>"$log" &
  pids+=($!)
  # Port 0: the kernel picks a free port and taskhookd logs which.
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening address=127\.0\.0\.1:\([0-9]*\) listener=http.*/\1/p' "$log" | head -1)
    [ -n "$port" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "taskhookd did not start:" >&2; cat "$log" >&2; exit 1; }
  taskhookd_port=$port
}

start_nginx() {
  mkdir -p "$work/nginx"
  # nginx cannot be told to pick a port and report it, so try random high ports until one binds.
  for _ in $(seq 20); do
    local port=$((20000 + RANDOM % 40000))
    # One worker like taskhookd's one event loop; every path inside the temp dir so nothing
    # of the system's nginx is touched; keepalive_requests raised because nginx otherwise
    # closes a connection every 1000 requests and wrk measures reconnects too.
    cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    server {
        listen 127.0.0.1:$port;
        # return reads and discards the request body, as taskhookd's --discard does.
        location = /bench { return 200; }
    }
}
EOF
    : >"$work/nginx/error.log"
    "${server_cpu[@]}" "$nginx" -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" &
    local pid=$!
    for _ in $(seq 50); do
      if answers_200 "$port" 2>/dev/null; then
        pids+=("$pid")
        nginx_port=$port
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    grep -q 'Address already in use' "$work/nginx/error.log" || { cat "$work/nginx/error.log" >&2; exit 1; }
  done
  echo "nginx found no free port" >&2
  exit 1
}

# Converts wrk's latency ("812.00us", "1.23ms", "1.01s") to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else { sub(/s$/, "", v); printf "%.3f", v * 1000 }
  }'
}

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

start_nginx
start_taskhookd
answers_200 "$taskhookd_port" || { echo "taskhookd does not answer 200 to POST /bench" >&2; exit 1; }
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
