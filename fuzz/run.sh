#!/usr/bin/env bash
# Fuzzes taskhook's parsers with libFuzzer, one harness after another:
#   parser      the HTTP/1.1 request parser and connection state machine   (ParserFuzzer.swift)
#   journal     the journal's frame decoder and recovery over any segment bytes (JournalFuzzer.swift)
#   normalizer  the JSON parser and every provider's normalizer             (NormalizerFuzzer.swift)
#   signature   signature-header parsing in the verifiers                   (SignatureFuzzer.swift)
#   config      the YAML configuration loader                               (ConfigFuzzer.swift)
#
#   fuzz/run.sh SECONDS [HARNESS...]   SECONDS each (0 = until stopped with Ctrl-C; then name one)
#   FUZZ_RUNS=N fuzz/run.sh …          also stop each after N executions
#
# Exits non-zero on any crash, hang or sanitizer report and prints the crashing input's path;
# reproduce one with: SWIFT_BACKTRACE=enable=no .build-fuzz/HARNESS-fuzzer fuzz/out/crash-…
# Each harness reads its reviewed seeds from fuzz/corpus/HARNESS/ and keeps what it finds in
# fuzz/out/corpus/HARNESS/ (gitignored), so runs build on each other; fuzz/out/HARNESS.executions
# holds the executions of all runs so far.
set -euo pipefail

all=(parser journal normalizer signature config)
seconds=${1:-0}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: $0 SECONDS [${all[*]}]" >&2; exit 64; }
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")
for harness in "${harnesses[@]}"; do
  [[ " ${all[*]} " == *" $harness "* ]] || { echo "unknown harness $harness; one of: ${all[*]}" >&2; exit 64; }
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# libFuzzer, ASan, lld and llvm-symbolizer all ship with the Swift toolchain (/opt/swift), so
# no Debian package is needed for fuzzing itself; these are the package's build dependencies
# (what `make deps` installs), so that running this script alone works like `make fuzz`.
scripts/deps.sh libsystemd-dev libyaml-dev pkg-config

scratch=.build-fuzz
# A SwiftPM executable target cannot be the harness (libFuzzer provides main and the link
# fails), so SwiftPM builds the libraries, instrumented, and swiftc links each harness.
# TaskhookDaemon depends on every library module the harnesses import. Optimized: at -Onone
# the journal harness spends its time in CRC-32C and manages about a hundred inputs a second.
# (No -enable-testing in release, so the harnesses use public API only.)
echo "building the libraries with -sanitize=fuzzer,address in $scratch …" >&2
swift build --scratch-path "$scratch" -c release --target TaskhookDaemon -Xswiftc -sanitize=fuzzer,address
bin=$(swift build --scratch-path "$scratch" -c release --show-bin-path)

# Every built module's objects. Swift modules: the objects SwiftPM's output file map names, so
# the object of a since deleted or renamed source file (SwiftPM leaves it behind) is not linked
# in too; SwiftPM writes a map for every target of the package, so only the objects that exist
# (the modules TaskhookDaemon needs) are taken. C modules (no such map): their objects.
objects=()
for dir in "$bin"/*.build; do
  # Plugin tools (*-tool) are built for the host, not linked into anything here.
  case $(basename "$dir") in taskhook.build | taskhookd.build | *Tests.build | TestSupport.build | *-tool.build) continue ;; esac
  if [ -f "$dir/output-file-map.json" ]; then
    while IFS= read -r object; do [ -f "$object" ] && objects+=("$object"); done \
      < <(sed -n 's/^ *"object": *"\(.*\)",\{0,1\}$/\1/p' "$dir/output-file-map.json")
  else
    while IFS= read -r -d '' object; do objects+=("$object"); done < <(find "$dir" -name '*.o' -print0)
  fi
done
# Importing a module loads its dependencies' modules, C ones included, so swiftc needs the
# module maps SwiftPM gave the library build: the ones it generated and the packages' own.
modulemaps=()
while IFS= read -r -d '' map; do modulemaps+=(-Xcc "-fmodule-map-file=$map"); done \
  < <(find "$bin" -maxdepth 2 -name module.modulemap -print0; \
      find "$scratch/checkouts" Sources -path '*/include/module.modulemap' -print0; \
      find Sources/CSystemd Sources/CYAML -name module.modulemap -print0)

# A journal segment's frames start after a 4 KiB header page and each batch ends on a page
# boundary, so that harness needs longer inputs to reach a second and third batch.
# Tokens of the grammars the harnesses check; without them libFuzzer needs far longer to spell
# "Transfer-Encoding: chunked" or "routes:" by chance.
dictionary() {
  case $1 in
    parser) cat <<'EOF'
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
    ;;
    journal) cat <<'EOF'
"THJOURNL"
"\x01\x00\x00\x00"
"\x02\x00\x00\x00"
"\xb7"
"\x00\x10\x00\x00"
EOF
    ;;
    normalizer) cat <<'EOF'
"{\"data\":"
"\"task_id\":"
"\"status\":"
"\"generated\":"
"\"request_id\":"
"\"payload\":"
"\"video\":"
"\"url\":"
"\"task_result\":"
"\"videos\":"
"\"output\":"
"\"error\":"
"\"COMPLETED\""
"\"OK\""
"\"succeed\""
"\"succeeded\""
"\\u0000"
"\\ud83d\\ude00"
"1e400"
"-0.0"
EOF
    ;;
    signature) cat <<'EOF'
"v1,"
"v1a,"
" "
"\x0a"
"1700000000"
"whsec_"
EOF
    ;;
    config) cat <<'EOF'
"routes:"
"- path: "
"provider: "
"freepik"
"fal"
"kling"
"replicate"
"standard-webhooks"
"secret: "
"secret-file: "
"jwks-file: "
"token: "
"status-map: "
"task-id: "
"listen: "
"journal:"
"sync: "
"retention: "
"limits:"
"control:"
"admin:"
"&a "
"*a"
"!!binary "
"30d"
EOF
    ;;
  esac
}

mkdir -p fuzz/out
# Swift's backtracer would intercept the crash signal before ASan/libFuzzer and is reported
# by ASan as an error of its own.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-symbolize=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || echo /opt/swift/usr/bin/llvm-symbolizer)}
work=$(mktemp -d "${TMPDIR:-/tmp}/taskhook-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

for harness in "${harnesses[@]}"; do
  source=fuzz/$(tr '[:lower:]' '[:upper:]' <<<"${harness:0:1}")${harness:1}Fuzzer.swift
  executable="$scratch/$harness-fuzzer"
  echo "linking $executable …" >&2
  # lld (from the toolchain) because gold prints a warning for each of ASan's ~170 local
  # helper symbols; libsystemd, libyaml and libstdc++ for TaskhookSystemd's, TaskhookYAML's and
  # BoringSSL's objects.
  swiftc -use-ld=lld -sanitize=fuzzer,address -parse-as-library -swift-version 6 -Onone -g \
    -module-name "$(basename "$source" .swift)" -I "$bin/Modules" "${modulemaps[@]}" \
    "$source" "${objects[@]}" -lsystemd -lyaml -lstdc++ -o "$executable"

  dictionary "$harness" >"$work/$harness.dict"
  kept=fuzz/out/corpus/$harness
  mkdir -p "$kept"
  log="$work/$harness.log"
  echo "fuzzing $harness for ${seconds}s (0 = until stopped) …" >&2
  set +e
  # New inputs go to the first directory only: the reviewed seeds stay as they are.
  "$executable" "$kept" "fuzz/corpus/$harness" \
    -dict="$work/$harness.dict" \
    -max_len="$([ "$harness" = journal ] && echo 16384 || echo 4096)" \
    -max_total_time="$seconds" \
    -runs="${FUZZ_RUNS:--1}" \
    -timeout=10 \
    -artifact_prefix=fuzz/out/ \
    -print_final_stats=1 \
    2> >(trap '' INT; tee "$log" >&2)  # tee outlives Ctrl-C so libFuzzer's last words are kept
  status=$?
  set -e
  wait  # let tee finish writing the log

  runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)$/\1/p' "$log" | tail -1)
  total=$(( $(cat "fuzz/out/$harness.executions" 2>/dev/null || echo 0) + ${runs:-0} ))
  echo "$total" >"fuzz/out/$harness.executions"
  echo "$harness: ${runs:-0} executions in this run, $total with the kept corpus's earlier runs" >&2

  # libFuzzer exits with 72 when interrupted (Ctrl-C): a stop, not a finding.
  if [ "$status" -eq 72 ] && ! grep -q 'Test unit written to' "$log"; then
    echo "fuzzing $harness interrupted; no crash found" >&2
    exit 0
  fi
  if [ "$status" -ne 0 ]; then
    echo >&2
    echo "FUZZING $harness FAILED (exit $status). Crashing input(s):" >&2
    sed -n 's/.*Test unit written to \(.*\)$/  \1/p' "$log" >&2
    echo "replay: SWIFT_BACKTRACE=enable=no $executable <input>" >&2
    exit "$status"
  fi
  echo "fuzzing $harness finished: no crash" >&2
done
