#!/usr/bin/env bash
# Fuzzes every decoder of external input with libFuzzer (clang, ASan+UBSan): Kafka messages
# (envelope and each data type), the calendar data, the agencies configuration, the gateway's
# SOAP answers and requests. Corpora are
# seeded from proto/examples and the shipped configuration and kept in build-fuzz/corpus.
#   deploy/fuzz.sh                 the long run: 300 s per target
#   deploy/fuzz.sh --seconds N     N seconds per target (the test suite runs a short one)
# Exit code non-zero when a target crashes; the input is saved in build-fuzz/artifacts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=300
[ "${1:-}" = "--seconds" ] && secs=${2:?}
build=${LIC_FUZZ_BUILD_DIR:-$root/build-fuzz}

command -v clang >/dev/null || "$root/deploy/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DLIC_FUZZ=ON -DLIC_WERROR=ON \
  -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_message fuzz_calendar fuzz_agencies fuzz_gateway >/dev/null

mkdir -p "$build/artifacts"
status=0
run() { # target seed-files...
  local t=$1
  shift
  local corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  cp -n "$@" "$corpus/" 2>/dev/null || true
  echo "== $t: ${secs}s"
  if ! "$build/$t" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=1024 \
      -artifact_prefix="$build/artifacts/$t-" -print_final_stats=1 "$corpus" 2>"$build/$t.log"; then
    echo "FAIL: $t crashed; see $build/$t.log and $build/artifacts/"
    tail -40 "$build/$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$build/$t.log" | tail -2
  fi
}
run fuzz_message "$root"/proto/examples/*.v1*.json
run fuzz_calendar "$root/deploy/calendar/kz.json"
run fuzz_agencies "$root/proto/examples/agencies.json"
run fuzz_gateway "$root"/proto/examples/gateway/*.xml
exit "$status"
