# Shared by the bench scripts (sourced, not run). The caller sets `work` (a scratch directory)
# and a `pids` array of the servers it started, which its EXIT trap stops.

# The EXIT trap's work: stops every server in $pids (by PID: only those this script started),
# waits for them, then removes $work and any further paths given.
bench_cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work" "$@"
}

# Stops one server this script started and takes it out of $pids.
bench_stop() {
  local stopped=$1 pid kept=()
  kill -TERM "$stopped" 2>/dev/null || true
  wait "$stopped" 2>/dev/null || true
  for pid in "${pids[@]}"; do [ "$pid" = "$stopped" ] || kept+=("$pid"); done
  pids=("${kept[@]}")
}

# wrk on CPU 0, the server on CPU 1, so neither steals the other's CPU and every server runs
# under the same conditions (BENCH_PIN=0, or fewer than two CPUs: no pinning).
bench_pin_cpus() {
  server_cpu=() client_cpu=()
  if [ "${BENCH_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    server_cpu=(taskset -c 1) client_cpu=(taskset -c 0)
  fi
}

# Sends one request to 127.0.0.1:$1 (the request file $2's first record, or a small
# POST /bench) and prints the answer's status line.
bench_status() {
  local port=$1 file=${2:-} status
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  if [ -n "$file" ]; then
    tail -n +2 "$file" >&3
  else
    printf 'POST /bench HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}' >&3
  fi
  IFS= read -r -t 5 status <&3 || status=""
  exec 3<&-
  printf '%s\n' "${status%$'\r'}"
}

# Builds taskhookd in release, unless BENCH_SKIP_BUILD=1, and sets $taskhookd to its path.
bench_release_taskhookd() {
  if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release --product taskhookd
  fi
  taskhookd="$(swift build -c release --show-bin-path)/taskhookd"
}

# Waits for taskhookd (pid $2, stderr in $1) to log its webhook listener; prints the port.
bench_taskhookd_port() {
  local log=$1 pid=$2 port=""
  for _ in $(seq 600); do
    port=$(sed -n 's/.*listening address=127\.0\.0\.1:\([0-9]*\) listener=http.*/\1/p' "$log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "taskhookd did not start:" >&2; cat "$log" >&2; return 1; }
  printf '%s\n' "$port"
}

# Starts taskhookd ($taskhookd) on a free port with its own control socket in $work, plus the
# arguments given; stderr goes to $work/taskhookd.log. Sets taskhookd_pid and taskhookd_port.
bench_start_taskhookd() {
  "${server_cpu[@]}" "$taskhookd" --listen 127.0.0.1:0 --control-socket "$work/control.sock" "$@" \
    2>"$work/taskhookd.log" &
  taskhookd_pid=$!
  pids+=("$taskhookd_pid")
  taskhookd_port=$(bench_taskhookd_port "$work/taskhookd.log" "$taskhookd_pid") || exit 1
}

# Starts nginx with a configuration of its own in $work/nginx: one worker like taskhookd's one
# event loop, every path inside $work so nothing of the system's nginx is touched,
# keepalive_requests raised so wrk does not measure reconnects, and `return 200` on /bench
# (it reads and drops the body, as taskhookd's --discard does). Sets nginx_pid and nginx_port.
bench_start_nginx() {
  local nginx
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  mkdir -p "$work/nginx"
  # nginx cannot pick a port and report it, so try random high ports until one binds.
  for _ in $(seq 20); do
    local port=$((20000 + RANDOM % 40000))
    cat >"$work/nginx/nginx.conf" <<NGINX
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
        location = /bench { return 200; }
    }
}
NGINX
    : >"$work/nginx/error.log"
    "${server_cpu[@]}" "$nginx" -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" &
    local pid=$!
    for _ in $(seq 50); do
      if [[ $(bench_status "$port" 2>/dev/null) == "HTTP/1.1 200 "* ]]; then
        pids+=("$pid")
        nginx_pid=$pid nginx_port=$port
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
