#!/usr/bin/env bash
# The units under a real systemd 252 as PID 1, in systemd-nspawn (recipe: shared/reference/
# systemd.md §5.1). Checks: the service is started by its socket on the first callback;
# `systemctl status` shows the STATUS text; `systemctl reload` completes; a hung event loop
# (taskhookd --test-hang-signal, SIGUSR2) trips the watchdog and the service restarts with no
# acknowledged callback lost; `journalctl -u taskhookd TASK_ID=…` finds the delivery;
# `systemctl stop` ends cleanly; the optional admin socket (taskhookd-admin.socket) is passed
# to the service and serves the control API with its token from a credential. Needs root and Debian's registry (debootstrap, once: the root
# file system is cached in $TASKHOOK_E2E_ROOTFS). Exit 0: all passed; 1: a check failed;
# 77: it cannot run on this machine (it says why).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
rootfs=${TASKHOOK_E2E_ROOTFS:-/var/cache/taskhook-e2e/rootfs}
machine=taskhook-e2e-$$
port=18480
admin_port=18481

cannot_run() {
  echo "systemd-e2e: CANNOT RUN HERE: $*" >&2
  exit 77
}
fail() {
  echo "systemd-e2e: FAILED: $*" >&2
  if [ -n "${leader:-}" ]; then
    nsenter -t "$leader" -a systemctl status taskhookd.service --no-pager >&2 || true
    nsenter -t "$leader" -a journalctl -b -u taskhookd.service --no-pager -n 30 >&2 || true
  fi
  exit 1
}
[ "$(id -u)" -eq 0 ] || cannot_run "needs root (systemd-nspawn)"
scripts/deps.sh systemd-container debootstrap libsystemd-dev pkg-config
if [ ! -x "$rootfs/lib/systemd/systemd" ]; then
  echo "building the container's root file system in $rootfs (once; about a minute)"
  rm -rf "$rootfs"
  mkdir -p "$(dirname "$rootfs")"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps,curl,libcurl4 bookworm "$rootfs" \
    http://deb.debian.org/debian >/dev/null || cannot_run "debootstrap could not build $rootfs"
  : >"$rootfs/etc/machine-id"
fi
echo "$machine" >"$rootfs/etc/hostname"
# Every run starts from nothing: no journal, no state, no logs of an earlier run.
rm -rf "$rootfs/var/lib/taskhook" "$rootfs/var/lib/private/taskhook" "$rootfs"/var/log/journal/*

# The debug build by default: `make test` has just built it (TASKHOOK_E2E_BUILD=release for the other).
configuration=${TASKHOOK_E2E_BUILD:-debug}
swift build -c "$configuration" --product taskhookd >/dev/null
swift build -c "$configuration" --product taskhook >/dev/null
bin=$(swift build -c "$configuration" --show-bin-path)
install -D -m 0755 "$bin/taskhookd" "$rootfs/usr/local/bin/taskhookd"
install -D -m 0755 "$bin/taskhook" "$rootfs/usr/local/bin/taskhook"
install -d "$rootfs/etc/systemd/system" "$rootfs/etc/sysusers.d" "$rootfs/etc/taskhook"
cp systemd/taskhookd.service systemd/taskhookd.socket systemd/taskhookd-control.socket systemd/taskhookd-admin.socket \
  "$rootfs/etc/systemd/system/"
cp systemd/taskhook.sysusers "$rootfs/etc/sysusers.d/taskhook.conf"
secret=whsec_ZTJlLXRlc3Qtc2VjcmV0LW5vdC1yZWFs
printf '%s' "$secret" >"$rootfs/etc/taskhook/freepik-webhook-secret"
admin_token=e2e-admin-token-not-real
printf '%s' "$admin_token" >"$rootfs/etc/taskhook/admin-token"
cat >"$rootfs/etc/taskhook/taskhook.yaml" <<YAML
control:
  admin: {token: {credential: admin-token}}
routes:
  - path: /hooks/freepik
    provider: freepik
    secret: {credential: freepik-webhook-secret}
YAML
# The test's own settings, as drop-ins: a free port, the credential, a short watchdog, the hang flag.
install -d "$rootfs/etc/systemd/system/taskhookd.socket.d" "$rootfs/etc/systemd/system/taskhookd.service.d" \
  "$rootfs/etc/systemd/system/taskhookd-admin.socket.d"
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$port" \
  >"$rootfs/etc/systemd/system/taskhookd.socket.d/e2e.conf"
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$admin_port" \
  >"$rootfs/etc/systemd/system/taskhookd-admin.socket.d/e2e.conf"
cat >"$rootfs/etc/systemd/system/taskhookd.service.d/e2e.conf" <<UNIT
[Service]
LoadCredential=freepik-webhook-secret:/etc/taskhook/freepik-webhook-secret
LoadCredential=admin-token:/etc/taskhook/admin-token
WatchdogSec=3s
ExecStart=
ExecStart=/usr/local/bin/taskhookd --config /etc/taskhook/taskhook.yaml --test-hang-signal
UNIT

log=$(mktemp)
nspawn=""
cleanup() {
  if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
    [ -n "${leader:-}" ] && nsenter -t "$leader" -a systemctl poweroff >/dev/null 2>&1 || true
    for _ in $(seq 50); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
    kill "$nspawn" 2>/dev/null || true
  fi
  for d in /sys/fs/cgroup/systemd/payload /sys/fs/cgroup/systemd/supervisor /sys/fs/cgroup/unified/payload \
    /sys/fs/cgroup/unified/supervisor; do rmdir "$d" 2>/dev/null || true; done
  rm -f "$log"
}
trap cleanup EXIT

SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 setsid systemd-nspawn --register=no --keep-unit --private-network \
  -D "$rootfs" -M "$machine" --bind-ro=/opt/swift -b --console=pipe \
  --capability=CAP_BPF,CAP_NET_ADMIN,CAP_SYS_RESOURCE --system-call-filter=bpf >"$log" 2>&1 </dev/null &
nspawn=$!
leader=""
for _ in $(seq 100); do
  leader=$(pgrep -P "$nspawn" -x systemd || true)
  [ -n "$leader" ] && break
  sleep 0.1
done
[ -n "$leader" ] || { cat "$log" >&2; cannot_run "systemd-nspawn could not boot the container"; }
C=(nsenter -t "$leader" -a)
state=""
for _ in $(seq 150); do
  state=$("${C[@]}" systemctl is-system-running 2>/dev/null || true)
  [[ $state == running || $state == degraded ]] && break
  sleep 0.2
done
[[ $state == running || $state == degraded ]] || cannot_run "systemd in the container is '$state'"
echo "systemd 252 is PID 1 in the container ($state)"

"${C[@]}" systemd-sysusers
"${C[@]}" systemctl daemon-reload
"${C[@]}" systemctl start taskhookd.socket taskhookd-control.socket taskhookd-admin.socket
[ "$("${C[@]}" systemctl is-active taskhookd.service || true)" != active ] || fail "the service ran before any callback"

send() {
  "${C[@]}" /usr/local/bin/taskhook send-test "http://127.0.0.1:$port/hooks/freepik" --provider freepik \
    --secret "$secret" --task-id "$1"
}
send e2e-task-1 | grep -q "answer: 200" || fail "the first callback was not answered 200"
[ "$("${C[@]}" systemctl is-active taskhookd.service)" = active ] || fail "the socket did not start the service"
echo "ok: started by its socket on the first callback, answered 200"

for _ in $(seq 30); do
  "${C[@]}" systemctl status taskhookd.service --no-pager | grep -q 'Status: "tasks 1,' && break
  sleep 0.1
done
"${C[@]}" systemctl status taskhookd.service --no-pager | grep -q 'Status: "tasks 1,' \
  || fail "systemctl status does not show the STATUS text"
echo "ok: systemctl status shows the STATUS text"

# The admin listener: the socket systemd passed as "admin" (the service has no network of its
# own), the token from its credential.
admin() {
  "${C[@]}" /usr/local/bin/taskhook status "$1" --url "http://127.0.0.1:$admin_port" --token "$2"
}
admin e2e-task-1 "$admin_token" | grep -q completed || fail "the admin socket did not serve the control API"
if admin e2e-task-1 wrong-token >/dev/null 2>&1; then fail "the admin socket served a wrong token"; fi
echo "ok: the admin socket passed by systemd serves the control API behind its token"

timeout 20 "${C[@]}" systemctl reload taskhookd.service || fail "systemctl reload did not complete"
echo "ok: systemctl reload completed"

"${C[@]}" journalctl -b -u taskhookd.service TASK_ID=e2e-task-1 -o cat --no-pager | grep -q "delivery recorded" \
  || fail "journalctl TASK_ID=e2e-task-1 does not find the delivery"
echo "ok: journalctl -u taskhookd TASK_ID=e2e-task-1 finds the delivery"

send e2e-task-2 | grep -q "answer: 200" || fail "the second callback was not answered 200"
"${C[@]}" systemctl kill -s SIGUSR2 taskhookd.service
restarted=""
for _ in $(seq 100); do
  n=$("${C[@]}" systemctl show -p NRestarts --value taskhookd.service)
  if [ "${n:-0}" -ge 1 ] && [ "$("${C[@]}" systemctl is-active taskhookd.service)" = active ]; then
    restarted=yes
    break
  fi
  sleep 0.1
done
[ -n "$restarted" ] || fail "the hung loop did not trip the watchdog into a restart"
"${C[@]}" journalctl -b -u taskhookd.service --no-pager | grep -qi "watchdog timeout" || fail "no watchdog timeout in the journal"
echo "ok: a hung event loop tripped the watchdog and the service restarted"
for task in e2e-task-1 e2e-task-2; do
  "${C[@]}" /usr/local/bin/taskhook status "$task" --socket /run/taskhook/control.sock | grep -q completed \
    || fail "$task, acknowledged before the hang, is not in the restarted daemon's table"
done
echo "ok: both acknowledged callbacks survived the restart"

"${C[@]}" systemctl stop taskhookd.service
result=$("${C[@]}" systemctl show -p Result --value taskhookd.service)
[ "$result" = success ] || fail "systemctl stop ended with Result=$result"
"${C[@]}" journalctl -b -u taskhookd.service --no-pager | grep -q "stopped" || fail "the daemon did not log its clean stop"
echo "ok: systemctl stop ended cleanly"
echo "systemd-e2e: all checks passed"
