#!/usr/bin/env bash
# The test command of the README: installs what is missing, builds with -Werror, runs the whole
# CTest suite (unit tests and the integration tests against the project's PostgreSQL and the
# development broker, which CTest fixtures start and stop), then builds again with
# AddressSanitizer and UndefinedBehaviorSanitizer and runs the suite under them.
#
#   deploy/test.sh                 everything (normal build, then the sanitizer build)
#   deploy/test.sh --quick         the normal build only
#   LIC_TEST_JOBS=N                parallel tests (default: cores + 1 - most integration
#                                  tests wait on their stack more than they compute)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=${LIC_TEST_JOBS:-$(($(nproc) + 1))}

"$root/deploy/install-deps.sh"

status=0
run_suite() {
  local dir=$1 port=$2
  shift 2
  echo "== configure and build: $dir $*"
  cmake -S "$root" -B "$root/$dir" -DLIC_WERROR=ON -DLIC_TEST_PG_PORT="$port" "$@" >/dev/null
  cmake --build "$root/$dir" -j "$(nproc)"
  echo "== test: $dir"
  # ASan: report leaks of our code, not of the libraries' process-lifetime allocations.
  (cd "$root/$dir" && ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
     LSAN_OPTIONS=suppressions=$root/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1 \
     ctest -j "$jobs" --output-on-failure --timeout 600) || status=1
}

run_suite build 25432 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIC_SANITIZE=OFF
if [ "$quick" -eq 0 ]; then
  run_suite build-asan 25433 -DCMAKE_BUILD_TYPE=Debug -DLIC_SANITIZE=ON
fi
if [ "$status" -eq 0 ]; then
  echo "deploy/test.sh: all tests passed"
else
  echo "deploy/test.sh: FAILED (see the output above)"
fi
exit "$status"
