#!/usr/bin/env bash
# The long runs of the reliability suite: the fault suite for N minutes (default 30) with every
# fault kind, then the fuzzers for their long budget. Needs a build (deploy/test.sh --quick).
#   deploy/soak.sh [--minutes N]
# A fault every third round (LIC_FAULT_EVERY): the short mode injects one every round for 40 s;
# over 30 minutes that pace keeps a killed consumer rejoining its group for most of the run, and
# the development broker deletes what a starved consumer has not read (an incident, by design).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=30
[ "${1:-}" = "--minutes" ] && minutes=${2:?}
cd "$root/build"
LIC_FAULT_SECONDS=$((minutes * 60)) LIC_FAULT_EVERY=${LIC_FAULT_EVERY:-3} ctest -R reliability.faults_under_load --output-on-failure \
  --timeout $((minutes * 60 + 900)) -V | grep -vE '^[0-9]+: (\{"ts"|$)'
"$root/deploy/fuzz.sh" --seconds 300
