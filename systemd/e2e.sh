#!/usr/bin/env bash
# The Debian package under a real systemd 252 as PID 1, in systemd-nspawn (recipe: shared/reference/
# systemd.md §5.1), on a throwaway overlay of a cached Debian root file system.
#
# 1. README "Under systemd", as written there (its marked blocks are taken from README.md, not
#    retyped): the package installed, /healthz answered with no configuration yet, the first route
#    with its secret as an encrypted credential, a signed callback answered 200, and `taskhook wait`
#    run by a user in taskhook-clients (and refused to one who is not); README "Actions": the
#    runner enabled, a command run for a completed task, its outcome in the journal's fields and
#    in `taskhook actions list` for taskhook-clients; the reconciler's unit with its key as a
#    credential, and a task submitted to `taskhook simulate` with every callback dropped, ended by
#    the reconciler polling it, `taskhook submit --wait` printing its video.
# 2. A configuration the daemon would reject: `systemctl reload` fails, the reason is in the
#    journal, and the same daemon keeps answering.
# 3. The service's own behaviour: started by its socket, STATUS text, the optional admin socket
#    serving the control API behind its token, reload, a hung event loop
#    (taskhookd --test-hang-signal, SIGUSR2) tripping the watchdog into a restart with no
#    acknowledged callback lost, journald fields.
# 4. An in-place upgrade to a rebuilt package while callbacks keep arriving: every callback
#    answered 200 is in the upgraded daemon's table, and the restarted actions runner acted on
#    each exactly once. Then remove (journal kept) and purge (gone).
#
# Needs root and Debian's registry (debootstrap, once: cached in $TASKHOOK_E2E_ROOTFS). The
# package is built from the debug build `make test` made (TASKHOOK_E2E_BUILD=release for the
# static release build); a debug build links the toolchain's Swift runtime, so /opt/swift is
# bind-mounted. Exit 0: all passed; 1: a check failed; 77: it cannot run on this machine (it says why).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# Only ever booted read-only under a throwaway overlay, so every run starts from the same clean
# system. (A separate path from the rootfs earlier versions of this script wrote into.)
rootfs=${TASKHOOK_E2E_ROOTFS:-/var/cache/taskhook-e2e/base}
machine=taskhook-e2e-$$
started=$(date +%s)

cannot_run() {
  echo "systemd-e2e: CANNOT RUN HERE: $*" >&2
  exit 77
}
fail() {
  echo "systemd-e2e: FAILED: $*" >&2
  if [ -n "${leader:-}" ]; then
    nsenter -t "$leader" -a systemctl status taskhookd.service --no-pager >&2 || true
    nsenter -t "$leader" -a journalctl -b -u taskhookd.service --no-pager -n 40 >&2 || true
  fi
  exit 1
}
# grep -q would stop reading at the first match, and the writer's SIGPIPE fail the pipeline
# under pipefail: this reads to the end.
contains() { grep "$@" >/dev/null; }
[ "$(id -u)" -eq 0 ] || cannot_run "needs root (systemd-nspawn)"
scripts/deps.sh systemd-container debootstrap libsystemd-dev libyaml-dev pkg-config dpkg-dev binutils
if [ ! -x "$rootfs/lib/systemd/systemd" ]; then
  echo "building the container's root file system in $rootfs (once; about a minute)"
  rm -rf "$rootfs"
  mkdir -p "$(dirname "$rootfs")"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps,curl,libcurl4,libyaml-0-2 bookworm \
    "$rootfs" http://deb.debian.org/debian >/dev/null || cannot_run "debootstrap could not build $rootfs"
  : >"$rootfs/etc/machine-id"
fi
# The package depends on libyaml-0-2 (taskhookd reads its configuration with libyaml). With it
# missing, the README's `apt install ./taskhook_*.deb` stops to ask before adding it, which no one
# answers here; a root file system cached before that dependency gets it now.
if ! chroot "$rootfs" dpkg -s libyaml-0-2 >/dev/null 2>&1; then
  chroot "$rootfs" apt-get install -y -q libyaml-0-2 >/dev/null \
    || cannot_run "could not add libyaml-0-2 to the cached $rootfs"
fi

# What the container sees in /e2e: two packages of the same build (the second a higher version,
# for the upgrade) and the README's blocks.
work=$(mktemp -d)
log=$work/nspawn.log
nspawn=""
cleanup() {
  if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
    [ -n "${leader:-}" ] && nsenter -t "$leader" -a systemctl poweroff >/dev/null 2>&1 || true
    for _ in $(seq 50); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
    kill "$nspawn" 2>/dev/null || true
  fi
  for d in /sys/fs/cgroup/systemd/payload /sys/fs/cgroup/systemd/supervisor /sys/fs/cgroup/unified/payload \
    /sys/fs/cgroup/unified/supervisor; do rmdir "$d" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/e2e/v1" "$work/e2e/v2"
build=${TASKHOOK_E2E_BUILD:-debug}
for v in 1 2; do
  deb=$(BUILD=$build VERSION="0.1.0~e2e$v-1" bash packaging/deb/build.sh 2>"$work/deb.log") \
    || { cat "$work/deb.log" >&2; fail "make deb failed"; }
  mv "$deb" "$work/e2e/v$v/"
done
echo "built taskhook_0.1.0~e2e1-1 and ~e2e2-1 ($build) in $(($(date +%s) - started)) s"
booted=$(date +%s)

# A README block: the ```sh fence after the line `<!-- e2e:NAME -->`, exactly as written.
readme_block() {
  awk -v marker="<!-- e2e:$1 -->" '
    $0 == marker { found = 1; next }
    found && /^```sh$/ { inside = 1; next }
    inside && /^```$/ { exit }
    inside { print }' README.md
}
for block in install first-route wait actions reconcile; do
  readme_block "$block" >"$work/e2e/$block.sh"
  [ -s "$work/e2e/$block.sh" ] || fail "README.md has no block marked e2e:$block"
done

SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 setsid systemd-nspawn --register=no --keep-unit --private-network \
  -D "$rootfs" --volatile=overlay -M "$machine" --bind-ro=/opt/swift --bind-ro="$work/e2e:/e2e" -b \
  --console=pipe --capability=CAP_BPF,CAP_NET_ADMIN,CAP_SYS_RESOURCE --system-call-filter=bpf \
  >"$log" 2>&1 </dev/null &
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
in_container() { "${C[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root bash -euo pipefail -c "$1"; }

# 1. README: install. The service must not run before the first connection.
in_container "cd /e2e/v1 && . /e2e/install.sh" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log" >&2; fail "README's install commands failed"; }
healthz=$(tail -n 1 "$work/install.log")
[ "$healthz" = ok ] || fail "/healthz right after installing answered '$healthz', not ok"
for unit in taskhookd.socket taskhookd-control.socket; do
  [ "$("${C[@]}" systemctl is-enabled "$unit")" = enabled ] || fail "$unit is not enabled by the package"
done
"${C[@]}" journalctl -b -u taskhookd.service -o cat --no-pager | contains "no webhook routes" \
  || fail "the log does not say the installed configuration has no routes"
echo "ok: README install: sockets enabled, /healthz ok with no configuration, 'no webhook routes' logged"

# README: the first route (the secret comes in at its `read`), ending with a callback answered 200.
secret=whsec_ZTJlLXRlc3Qtc2VjcmV0LW5vdC1yZWFs
route_output=$(printf '%s\n' "$secret" | in_container ". /e2e/first-route.sh" 2>&1) \
  || { echo "$route_output" >&2; fail "README's first-route commands failed"; }
grep -q "answer: 200" <<<"$route_output" || { echo "$route_output" >&2; fail "the first callback was not answered 200"; }
echo "ok: README first route: credential, drop-in, route, reload; the signed callback answered 200"

"${C[@]}" useradd --create-home --groups taskhook-clients e2e-job
"${C[@]}" useradd --create-home e2e-outsider
wait_output=$("${C[@]}" runuser -u e2e-job -- bash -euo pipefail -c ". /e2e/wait.sh" 2>&1) \
  || { echo "$wait_output" >&2; fail "README's taskhook wait, run by a user in taskhook-clients, failed"; }
grep -q "first-task.mp4" <<<"$wait_output" || fail "taskhook wait printed '$wait_output', not the result URL"
if "${C[@]}" runuser -u e2e-outsider -- taskhook wait first-task --timeout 2s >/dev/null 2>&1; then
  fail "a user outside taskhook-clients could use the control socket"
fi
echo "ok: README taskhook wait by a user in taskhook-clients printed the result; an outsider is refused"

# README "Actions": the runner enabled with an action that logs each completed task's JSON. It
# runs as taskhook-actions, reads the event stream on the control socket, and a user in
# taskhook-clients sees its outcomes.
actions_output=$(in_container ". /e2e/actions.sh" 2>&1) || { echo "$actions_output" >&2; fail "README's actions commands failed"; }
actions_log() { "${C[@]}" journalctl -b -u taskhook-actions.service -o cat --no-pager "$@"; }
for _ in $(seq 100); do actions_log | contains "reading taskhookd's events" && break; sleep 0.1; done
actions_log | contains "reading taskhookd's events" || fail "taskhook-actions.service does not read the event stream"
runner=$("${C[@]}" systemctl show -p MainPID --value taskhook-actions.service)
[ "$("${C[@]}" ps -o user= -p "$runner")" = taskhook-actions ] || fail "the actions runner does not run as taskhook-actions"
"${C[@]}" taskhook send-test http://127.0.0.1:8080/hooks/freepik --provider freepik --secret "$secret" \
  --task-id actions-task-1 | contains "answer: 200" || fail "the callback for the action was not answered 200"
for _ in $(seq 100); do "${C[@]}" journalctl -b -t video-ready -o cat --no-pager | contains actions-task-1 && break; sleep 0.1; done
"${C[@]}" journalctl -b -t video-ready -o cat --no-pager | contains '"id":"actions-task-1"' \
  || fail "the action's command did not log the task's JSON"
for _ in $(seq 50); do actions_log ACTION=log-video TASK_ID=actions-task-1 OUTCOME=succeeded | contains "attempt succeeded" && break; sleep 0.1; done
"${C[@]}" journalctl -b -u taskhook-actions.service ACTION=log-video TASK_ID=actions-task-1 OUTCOME=succeeded \
  -o verbose --no-pager | contains "EXIT_STATUS=0" || fail "journalctl ACTION= TASK_ID= OUTCOME= does not find the outcome"
"${C[@]}" runuser -u e2e-job -- taskhook actions list | grep "log-video" | contains "actions-task-1.*succeeded" \
  || fail "taskhook actions list, run by a user in taskhook-clients, does not show the outcome"
# Out of the way of section 3, which stops taskhookd and checks that only a callback starts it
# again (the runner's reconnects would, through the control socket); started again before the upgrade.
"${C[@]}" systemctl stop taskhook-actions.service
echo "ok: README actions: the runner (as taskhook-actions) ran the command once for a completed task; outcome in journalctl ACTION= TASK_ID= EXIT_STATUS= and in taskhook actions list for taskhook-clients"

# README: the reconciler, its key as an encrypted credential. Then a task submitted by a job to
# `taskhook simulate` (a transient unit on 127.0.0.1:8090) whose callbacks are all dropped: only
# taskhook-reconcile.service, polling the simulator, can end it, and `taskhook wait` must print it.
in_container "mkdir -p /root/sim-keys && printf '%s' '$secret' >/root/sim-keys/freepik-webhook-secret
  systemd-run --unit=e2e-simulator --quiet /usr/bin/taskhook simulate --listen 127.0.0.1:8090 \
    --key-dir /root/sim-keys --drop-callbacks --finish-after 1"
reconcile_output=$(printf 'simulator\n' | in_container ". /e2e/reconcile.sh" 2>&1) \
  || { echo "$reconcile_output" >&2; fail "README's reconcile commands failed"; }
in_container "mkdir -p /etc/systemd/system/taskhook-reconcile.service.d
  printf '[Service]\nExecStart=\nExecStart=/usr/bin/taskhook reconcile --socket /run/taskhook/control.sock --base-url http://127.0.0.1:8090 --quiet-period 1s --relist-interval 1s\n' \
    >/etc/systemd/system/taskhook-reconcile.service.d/zz-e2e.conf
  systemctl daemon-reload && systemctl restart taskhook-reconcile.service"
[ "$("${C[@]}" systemctl is-active taskhook-reconcile.service)" = active ] \
  || { "${C[@]}" journalctl -b -u taskhook-reconcile.service --no-pager -n 20 >&2; fail "taskhook-reconcile.service is not running"; }
submit_output=$("${C[@]}" runuser -u e2e-job -- env FREEPIK_API_KEY=simulator taskhook submit freepik/kling-v2 \
  --set image=https://example.com/cat.jpg --set duration=5 --base-url http://127.0.0.1:8090 \
  --public-url http://127.0.0.1:8080 --wait --timeout 60s 2>&1) \
  || { echo "$submit_output" >&2; "${C[@]}" journalctl -b -u taskhook-reconcile.service --no-pager -n 20 >&2
    fail "submit --wait under systemd did not complete"; }
polled=$(head -n 1 <<<"$submit_output")
grep -q "videos/$polled.mp4" <<<"$submit_output" || fail "submit --wait printed '$submit_output', not the video URL"
"${C[@]}" journalctl -b -u taskhook-reconcile.service -o cat --no-pager \
  | contains "read task=freepik:$polled endpoint=freepik/kling-v2 outcome=changed status=completed" \
  || fail "the reconciler's journal has no read that completed freepik:$polled"
"${C[@]}" taskhook status "freepik:$polled" | contains "completed (observation)" \
  || fail "the task did not end by an observation"
in_container "systemctl stop e2e-simulator.service taskhook-reconcile.service"
echo "ok: README reconcile: submit -> simulator (callbacks dropped) -> taskhook-reconcile.service polled -> wait printed the video"

# 2. A configuration the daemon would reject: the reload fails, says why, and nothing changes.
pid=$("${C[@]}" systemctl show -p MainPID --value taskhookd.service)
in_container "cp /etc/taskhook/taskhook.yaml /root/taskhook.yaml.good
  sed -i '/^routes:/a\\  - path: /hooks/fal\n    provider: fal\n    jwks: {file: /nonexistent/jwks.json}' /etc/taskhook/taskhook.yaml"
if reload_output=$(timeout 20 "${C[@]}" systemctl reload taskhookd.service 2>&1); then
  fail "systemctl reload succeeded on a configuration the daemon rejects"
fi
echo "  systemctl reload said: $reload_output"
# journald reads the check's standard error from a stream of its own: give it a moment.
for _ in $(seq 30); do
  "${C[@]}" systemctl status taskhookd.service --no-pager -n 20 | contains "/nonexistent/jwks.json" && break
  sleep 0.1
done
"${C[@]}" systemctl status taskhookd.service --no-pager -n 20 | contains "/nonexistent/jwks.json" \
  || fail "systemctl status does not show why the reload failed"
[ "$("${C[@]}" systemctl is-active taskhookd.service)" = active ] || fail "the service stopped after a rejected reload"
[ "$("${C[@]}" systemctl show -p MainPID --value taskhookd.service)" = "$pid" ] || fail "the daemon was replaced"
in_container "cp /root/taskhook.yaml.good /etc/taskhook/taskhook.yaml"
echo "ok: a rejected configuration fails systemctl reload (non-zero, the reason in systemctl status); the daemon runs on"

# 3. The service itself, with the test's drop-in: a short watchdog, the hang flag, and the
# optional admin socket with its token from a credential.
send() {
  "${C[@]}" taskhook send-test http://127.0.0.1:8080/hooks/freepik --provider freepik --secret "$secret" --task-id "$1"
}
admin_token=e2e-admin-token-not-real
in_container "printf '%s' $admin_token >/etc/taskhook/admin-token
  printf 'control:\n  admin: {token: {credential: admin-token}}\n' >>/etc/taskhook/taskhook.yaml
  printf '[Service]\nLoadCredential=admin-token:/etc/taskhook/admin-token\nWatchdogSec=3s\nExecStart=\nExecStart=/usr/bin/taskhookd --config /etc/taskhook/taskhook.yaml --test-hang-signal\n' \
  >/etc/systemd/system/taskhookd.service.d/zz-e2e.conf
  systemctl daemon-reload && systemctl stop taskhookd.service && systemctl start taskhookd-admin.socket"
[ "$("${C[@]}" systemctl is-active taskhookd.service || true)" != active ] || fail "the service did not stop"
send e2e-task-1 | contains "answer: 200" || fail "the callback after the stop was not answered 200"
[ "$("${C[@]}" systemctl is-active taskhookd.service)" = active ] || fail "the socket did not start the service"
echo "ok: started by its socket on a callback, answered 200"
# As many tasks as the daemon lists (how many earlier sections added is theirs to say).
known=$("${C[@]}" taskhook tasks --json | grep -c . || true)
for _ in $(seq 30); do
  "${C[@]}" systemctl status taskhookd.service --no-pager | contains "Status: \"tasks $known," && break
  sleep 0.1
done
"${C[@]}" systemctl status taskhookd.service --no-pager | contains "Status: \"tasks $known," \
  || fail "systemctl status does not show the STATUS text (tasks $known)"
echo "ok: systemctl status shows the STATUS text"
# The admin listener: the socket systemd passed as "admin" (the service has no network of its
# own), the token from its credential.
admin() { "${C[@]}" taskhook status "$1" --url "http://127.0.0.1:8081" --token "$2"; }
admin e2e-task-1 "$admin_token" | contains completed || fail "the admin socket did not serve the control API"
if admin e2e-task-1 wrong-token >/dev/null 2>&1; then fail "the admin socket served a wrong token"; fi
echo "ok: the admin socket passed by systemd serves the control API behind its token"
timeout 20 "${C[@]}" systemctl reload taskhookd.service || fail "systemctl reload of a good configuration failed"
echo "ok: systemctl reload completed"
"${C[@]}" journalctl -b -u taskhookd.service TASK_ID=e2e-task-1 -o cat --no-pager | contains "delivery recorded" \
  || fail "journalctl TASK_ID=e2e-task-1 does not find the delivery"
echo "ok: journalctl -u taskhookd TASK_ID=e2e-task-1 finds the delivery"

send e2e-task-2 | contains "answer: 200" || fail "the second callback was not answered 200"
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
"${C[@]}" journalctl -b -u taskhookd.service --no-pager | contains -i "watchdog timeout" || fail "no watchdog timeout in the journal"
echo "ok: a hung event loop tripped the watchdog and the service restarted"
for task in first-task e2e-task-1 e2e-task-2; do
  "${C[@]}" taskhook status "$task" | contains completed || fail "$task, acknowledged before the hang, is lost"
done
echo "ok: every acknowledged callback survived the restart"

# 4. Upgrade in place while a sender keeps posting; every callback answered 200 must survive it.
in_container "rm /etc/systemd/system/taskhookd.service.d/zz-e2e.conf /etc/taskhook/admin-token && cp /root/taskhook.yaml.good /etc/taskhook/taskhook.yaml
  systemctl stop taskhookd-admin.socket && systemctl daemon-reload && systemctl restart taskhookd.service
  systemctl start taskhook-actions.service"
old_pid=$("${C[@]}" systemctl show -p MainPID --value taskhookd.service)
actions_before=$("${C[@]}" systemctl show -p MainPID --value taskhook-actions.service)
in_container "for i in \$(seq 1 400); do
    if taskhook send-test http://127.0.0.1:8080/hooks/freepik --provider freepik --secret $secret \
      --task-id upgrade-\$i 2>/dev/null | grep 'answer: 200' >/dev/null; then echo upgrade-\$i; fi
    [ -e /root/stop-sending ] && break
  done >/root/acknowledged" &
sender=$!
sleep 1
in_container "cd /e2e/v2 && apt-get install -y -q ./taskhook_*.deb" >"$work/upgrade.log" 2>&1 \
  || { cat "$work/upgrade.log" >&2; fail "the upgrade failed"; }
sleep 1
in_container "touch /root/stop-sending"
wait "$sender" || true
[ "$("${C[@]}" dpkg-query -W -f '${Version}' taskhook)" = "0.1.0~e2e2-1" ] || fail "the upgrade did not install ~e2e2-1"
new_pid=$("${C[@]}" systemctl show -p MainPID --value taskhookd.service)
[ "$new_pid" != "$old_pid" ] || fail "the upgrade did not restart the daemon into the new binary"
acknowledged=$(in_container "cat /root/acknowledged")
count=$(grep -c . <<<"$acknowledged" || true)
[ "$count" -ge 10 ] || fail "only $count callbacks were acknowledged during the upgrade"
lost=0
for task in $acknowledged; do
  "${C[@]}" taskhook status "$task" 2>/dev/null | contains completed || { echo "lost: $task" >&2; lost=$((lost + 1)); }
done
[ "$lost" -eq 0 ] || fail "$lost of $count callbacks acknowledged around the upgrade are lost"
echo "ok: upgraded in place to ~e2e2-1 (daemon restarted, pid $old_pid -> $new_pid); all $count callbacks acknowledged meanwhile are kept"
# The runner was restarted into the new binary too, and acts from its cursor: every callback
# acknowledged around the upgrade was logged by the action exactly once.
actions_pid=$("${C[@]}" systemctl show -p MainPID --value taskhook-actions.service)
[ "$actions_pid" != "$actions_before" ] && [ "$actions_pid" != 0 ] || fail "the upgrade did not restart taskhook-actions.service"
last=$(tail -n 1 <<<"$acknowledged")
for _ in $(seq 200); do "${C[@]}" journalctl -b -t video-ready -o cat --no-pager | contains "\"id\":\"$last\"" && break; sleep 0.1; done
logged=$("${C[@]}" journalctl -b -t video-ready -o cat --no-pager)
missed=0
for task in $acknowledged; do
  n=$(grep -c "\"id\":\"$task\"" <<<"$logged" || true)
  [ "$n" -eq 1 ] || { echo "$task logged $n times" >&2; missed=$((missed + 1)); }
done
[ "$missed" -eq 0 ] || fail "$missed of $count tasks were not acted on exactly once around the upgrade"
echo "ok: taskhook-actions.service restarted by the upgrade; each of the $count tasks acted on exactly once"

# Remove keeps the journal and the configuration; purge deletes both.
in_container "apt-get remove -y -q taskhook" >"$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; fail "apt-get remove failed"; }
for unit in taskhookd.service taskhookd.socket taskhookd-control.socket taskhook-actions.service; do
  [ "$("${C[@]}" systemctl is-active "$unit" || true)" != active ] || fail "$unit still runs after remove"
done
in_container "test -d /var/lib/taskhook/journal && test -f /etc/taskhook/taskhook.yaml" \
  || fail "remove deleted the journal or the configuration"
in_container "curl -s --max-time 2 http://127.0.0.1:8080/healthz" && fail "something still listens on 8080 after remove"
echo "ok: apt-get remove stopped the units and kept /var/lib/taskhook and /etc/taskhook/taskhook.yaml"
in_container "apt-get purge -y -q taskhook" >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "apt-get purge failed"; }
in_container "test ! -e /var/lib/taskhook && test ! -e /var/lib/private/taskhook && test ! -e /etc/taskhook \
  && test ! -e /var/lib/taskhook-actions" || fail "purge left /var/lib/taskhook, /var/lib/taskhook-actions or /etc/taskhook behind"
echo "ok: apt-get purge deleted the journal and the configuration"
echo "systemd-e2e: all checks passed in $(($(date +%s) - started)) s ($(($(date +%s) - booted)) s in the container)"
