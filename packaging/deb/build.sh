#!/usr/bin/env bash
# `make deb`: taskhook_VERSION_ARCH.deb in the repository's root, assembled with dpkg-deb.
#
# Why dpkg-deb and not debhelper: the binaries come from SwiftPM with a toolchain Debian does not
# package, so dpkg-buildpackage's build-dependency checks and dh's build steps would have nothing
# to drive; what debhelper would add to a binary package is its maintainer-script snippets, and
# those are written out in postinst/prerm/postrm here (the same deb-systemd-helper and
# deb-systemd-invoke calls dh_installsystemd generates). dpkg-deb needs only dpkg-dev.
#
# Environment: VERSION (default 0.1.0-1), BUILD=release (the default: --static-swift-stdlib, so the
# package needs no Swift runtime) or debug (the tests' build, linked to the toolchain in /opt/swift;
# for the real-systemd test only, which bind-mounts the toolchain), SWIFT (default swift),
# SCRATCH (SwiftPM's build directory, default .build), MAINTAINER ("Name <address>").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
version=${VERSION:-0.1.0-1}
# The project has no mail address of its own yet; lintian says so (bogus-mail-host) until one is given.
maintainer=${MAINTAINER:-taskhook maintainers <taskhook@localhost>}
build=${BUILD:-release}
swift=${SWIFT:-swift}
arch=$(dpkg --print-architecture)
scratch=(--scratch-path "${SCRATCH:-.build}")
case $build in
  release) flags=("${scratch[@]}" -c release --static-swift-stdlib) ;;
  debug) flags=("${scratch[@]}" -c debug) ;;
  *) echo "BUILD must be release or debug, not '$build'" >&2; exit 64 ;;
esac
for product in taskhookd taskhook; do "$swift" build "${flags[@]}" --product "$product" >&2; done
bin=$("$swift" build "${flags[@]}" --show-bin-path)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg=$stage/taskhook
doc=$pkg/usr/share/doc/taskhook

install -D -m 0755 "$bin/taskhookd" "$pkg/usr/bin/taskhookd"
install -D -m 0755 "$bin/taskhook" "$pkg/usr/bin/taskhook"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$pkg/usr/bin/taskhookd" "$pkg/usr/bin/taskhook"

install -d "$pkg/lib/systemd/system"
for unit in taskhookd.service taskhookd.socket taskhookd-control.socket taskhookd-admin.socket taskhook-jwks.service \
  taskhook-jwks.timer taskhook-reconcile.service taskhook-actions.service; do
  sed 's|/usr/local/bin/|/usr/bin/|' "systemd/$unit" >"$pkg/lib/systemd/system/$unit"
  chmod 0644 "$pkg/lib/systemd/system/$unit"
done
install -D -m 0644 systemd/taskhook.sysusers "$pkg/usr/lib/sysusers.d/taskhook.conf"
install -D -m 0644 config/installed.yaml "$pkg/etc/taskhook/taskhook.yaml"

# Man pages and completions, generated from the argument parsers of the binaries just packaged.
# The plugin builds the products in release mode unless told otherwise; the pages are the same
# for any build, so it uses the debug build (the one `make test` has made).
"$swift" package generate-manual --configuration debug >&2
for tool in taskhook taskhookd; do
  install -d "$pkg/usr/share/man/man1"
  gzip -9n <".build/plugins/GenerateManual/outputs/$tool/$tool.1" >"$pkg/usr/share/man/man1/$tool.1.gz"
  install -d "$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/zsh/vendor-completions" \
    "$pkg/usr/share/fish/vendor_completions.d"
  # bash-completion sources the file: no #! line.
  "$pkg/usr/bin/$tool" --generate-completion-script bash | sed '1{/^#!/d}' \
    >"$pkg/usr/share/bash-completion/completions/$tool"
  "$pkg/usr/bin/$tool" --generate-completion-script zsh >"$pkg/usr/share/zsh/vendor-completions/_$tool"
  "$pkg/usr/bin/$tool" --generate-completion-script fish >"$pkg/usr/share/fish/vendor_completions.d/$tool.fish"
done

install -d "$doc/examples"
install -m 0644 config/taskhook.yaml "$doc/examples/taskhook.yaml"
install -m 0644 config/nginx/taskhook.conf "$doc/examples/nginx-taskhook.conf"
install -m 0644 config/caddy/Caddyfile "$doc/examples/Caddyfile"
gzip -9n <README.md >"$doc/README.md.gz"
install -m 0644 packaging/deb/copyright "$doc/copyright"
install -D -m 0644 packaging/deb/lintian-overrides "$pkg/usr/share/lintian/overrides/taskhook"
{
  printf 'taskhook (%s) unstable; urgency=medium\n\n' "$version"
  printf '  * Built from git %s.\n\n' "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  printf ' -- %s  %s\n' "$maintainer" "$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")"
} | gzip -9n >"$doc/changelog.Debian.gz"
find "$pkg" -type d -exec chmod 0755 {} +

install -d "$pkg/DEBIAN"
for script in postinst prerm postrm; do install -m 0755 "packaging/deb/$script" "$pkg/DEBIAN/$script"; done
echo /etc/taskhook/taskhook.yaml >"$pkg/DEBIAN/conffiles"
chmod 0644 "$pkg/DEBIAN/conffiles"

# Depends: the shared libraries the binaries link, as dpkg-shlibdeps finds their packages. A debug
# build's Swift runtime (from /opt/swift, in no package) is left out on purpose.
mkdir -p "$stage/debian"
printf 'Source: taskhook\n\nPackage: taskhook\nArchitecture: any\n' >"$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O --ignore-missing-info -e taskhook/usr/bin/taskhookd -e taskhook/usr/bin/taskhook \
  2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$stage/debian"
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: taskhook
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: ${shlibs:+$shlibs, }systemd (>= 252)
Section: net
Priority: optional
Description: receiver for AI video task callbacks, and waiting for them
 taskhookd receives the task-status callbacks that AI video APIs (Freepik,
 fal.ai, Kling, Replicate, any Standard Webhooks sender) post when a task
 changes, verifies their signatures, records them durably in a journal and
 wakes the jobs waiting for them; taskhook is its command line (status, wait,
 send-test, journal).
 .
 Runs as a hardened, socket-activated systemd service on 127.0.0.1:8080 with a
 control socket in /run/taskhook; put nginx or Caddy in front for HTTPS.
CONTROL

out="taskhook_${version}_${arch}.deb"
# xz for a release; a debug package (tens of MB, for the tests only) is packed fast instead.
compression=(-Zxz)
[ "$build" = debug ] && compression=(-Zgzip -z1)
dpkg-deb --root-owner-group "${compression[@]}" --build "$pkg" "$out" >/dev/null
echo "$out"
