#!/usr/bin/env bash
# Checks the units offline, as systemd 252 reads them: `systemd-analyze verify` must print
# nothing, the daemon's exposure must be at most 1.0 and the reconciler's 1.1
# (`systemd-analyze security --offline=true`). verify only checks that ExecStart= names an
# executable, so the copies it reads name stand-ins in a scratch directory instead of the
# installed binaries.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
for tool in taskhookd taskhook; do
  printf '#!/bin/sh\n' >"$work/bin/$tool"
  chmod +x "$work/bin/$tool"
done
units=(taskhookd.service taskhookd.socket taskhookd-control.socket taskhookd-admin.socket taskhook-jwks.service
  taskhook-jwks.timer taskhook-reconcile.service taskhook-actions.service)
for unit in "${units[@]}"; do
  sed "s|/usr/local/bin/|$work/bin/|" "systemd/$unit" >"$work/$unit"
done
out=$(cd "$work" && systemd-analyze verify --man=no "${units[@]/#/./}" 2>&1 || true)
if [ -n "$out" ]; then
  echo "systemd-analyze verify:"
  echo "$out"
  exit 1
fi
echo "systemd-analyze verify: nothing to say"
score=$(cd "$work" && systemd-analyze security --offline=true ./taskhookd.service 2>&1 \
  | awk '/Overall exposure level/ {print $(NF-2)}')
echo "taskhookd.service exposure: $score (target <= 1.0)"
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 1.0) }'
# The reconciler needs the network: 1.1 is the floor with AF_INET and no IP allow list.
score=$(cd "$work" && systemd-analyze security --offline=true ./taskhook-reconcile.service 2>&1 \
  | awk '/Overall exposure level/ {print $(NF-2)}')
echo "taskhook-reconcile.service exposure: $score (target <= 1.1)"
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 1.1) }'
# The actions runner runs the operator's commands, with network: looser than the others on purpose
# (its unit says where and why).
score=$(cd "$work" && systemd-analyze security --offline=true ./taskhook-actions.service 2>&1 \
  | awk '/Overall exposure level/ {print $(NF-2)}')
echo "taskhook-actions.service exposure: $score (target <= 1.6)"
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 1.6) }'
