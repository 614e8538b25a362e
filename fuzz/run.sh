#!/usr/bin/env bash
# Fuzzes the HTTP/1.1 request parser with libFuzzer.
#   fuzz/run.sh SECONDS     (0 = run until stopped with Ctrl-C)
# Exits non-zero on any crash, hang or sanitizer report and prints the crashing input's path;
# reproduce one with: .build-fuzz/parser-fuzzer fuzz/out/crash-…
set -euo pipefail

seconds=${1:-0}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: $0 SECONDS (0 = until stopped)" >&2; exit 64; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# libFuzzer, ASan, lld and llvm-symbolizer all ship with the Swift toolchain (/opt/swift), so
# no Debian package is needed for fuzzing itself; these are the package's build dependencies
# (what `make deps` installs), so that running this script alone works like `make fuzz`.
scripts/deps.sh libsystemd-dev pkg-config

scratch=.build-fuzz
# A SwiftPM executable target cannot be the harness (libFuzzer provides main and the link
# fails), so SwiftPM builds only the library, instrumented, and swiftc links the harness.
echo "building TaskhookHTTP with -sanitize=fuzzer,address in $scratch …" >&2
swift build --scratch-path "$scratch" -c debug --target TaskhookHTTP -Xswiftc -sanitize=fuzzer,address
bin=$(swift build --scratch-path "$scratch" -c debug --show-bin-path)

# The objects of TaskhookHTTP and everything it depends on. Keep in step with Package.swift:
# a missing module shows up as undefined symbols at link time. Swift modules: the objects
# SwiftPM's output file map names, so the object of a since deleted or renamed source file
# (SwiftPM leaves it behind) is not linked in too. C modules: their few objects.
objects=()
for module in TaskhookHTTP TaskhookPosix SystemPackage; do
  map="$bin/$module.build/output-file-map.json"
  [ -f "$map" ] || { echo "missing $map; did Package.swift change?" >&2; exit 1; }
  while IFS= read -r object; do objects+=("$object"); done \
    < <(sed -n 's/^ *"object": *"\(.*\)",\{0,1\}$/\1/p' "$map")
done
for module in CLinux CSystem; do
  [ -d "$bin/$module.build" ] || { echo "missing $bin/$module.build; did Package.swift change?" >&2; exit 1; }
  while IFS= read -r -d '' object; do objects+=("$object"); done \
    < <(find "$bin/$module.build" -maxdepth 1 -name '*.o' -print0)
done

# Importing TaskhookHTTP loads its dependencies' modules, C ones included, so swiftc needs
# the same module maps SwiftPM gave the library build. lld (from the toolchain) because gold
# prints a warning for each of ASan's ~170 local helper symbols.
harness="$scratch/parser-fuzzer"
echo "linking $harness …" >&2
swiftc -use-ld=lld -sanitize=fuzzer,address -parse-as-library -swift-version 6 -Onone -g -module-name ParserFuzzer \
  -I "$bin/Modules" \
  -Xcc -fmodule-map-file="$bin/CLinux.build/module.modulemap" \
  -Xcc -fmodule-map-file="$scratch/checkouts/swift-system/Sources/CSystem/include/module.modulemap" \
  fuzz/ParserFuzzer.swift "${objects[@]}" -o "$harness"

# libFuzzer adds what it finds to its corpus directory, so it works on a throw-away copy:
# the repository's seeds stay small and reviewed.
work=$(mktemp -d "${TMPDIR:-/tmp}/taskhook-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp fuzz/corpus/* "$work/corpus/"

# Tokens of the grammar the parser checks; without them libFuzzer needs far longer to spell
# "Transfer-Encoding: chunked" by chance.
cat > "$work/http.dict" <<'EOF'
"\x0d\x0a"
"\x0d\x0a\x0d\x0a"
" HTTP/1.1\x0d\x0a"
" HTTP/1.0\x0d\x0a"
"GET"
"POST"
"HEAD"
"OPTIONS"
"CONNECT"
"http://"
"Host: "
"Content-Length: "
"Transfer-Encoding: "
"chunked"
"Connection: "
"close"
"keep-alive"
"Expect: "
"100-continue"
"Trailer: "
"0\x0d\x0a\x0d\x0a"
";ext=\"v\""
"%2F"
"\x09"
EOF

# Crash inputs outlive the run (fuzz/out/ is gitignored) so they can be replayed.
mkdir -p fuzz/out
log="$work/fuzz.log"
# Swift's backtracer would intercept the crash signal before ASan/libFuzzer and is reported
# by ASan as an error of its own.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || echo /opt/swift/usr/bin/llvm-symbolizer)}

echo "fuzzing for ${seconds}s (0 = until stopped) …" >&2
set +e
"$harness" "$work/corpus" \
  -dict="$work/http.dict" \
  -max_len=4096 \
  -max_total_time="$seconds" \
  -timeout=10 \
  -artifact_prefix=fuzz/out/ \
  -print_final_stats=1 \
  2> >(trap '' INT; tee "$log" >&2)  # tee outlives Ctrl-C so libFuzzer's last words are kept
status=$?
set -e
wait  # let tee finish writing the log

# libFuzzer exits with 72 when interrupted (Ctrl-C): a stop, not a finding.
if [ "$status" -eq 72 ] && ! grep -q 'Test unit written to' "$log"; then
  echo "fuzzing interrupted; no crash found" >&2
  exit 0
fi
if [ "$status" -ne 0 ]; then
  echo >&2
  echo "FUZZING FAILED (exit $status). Crashing input(s):" >&2
  sed -n 's/.*Test unit written to \(.*\)$/  \1/p' "$log" >&2
  echo "replay: SWIFT_BACKTRACE=enable=no $harness <input>" >&2
  exit "$status"
fi
echo "fuzzing finished: no crash" >&2
