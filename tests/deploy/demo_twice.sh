#!/usr/bin/env bash
# The README's main command, run twice in a row on the binaries of this build, must work
# both times; its stop command must leave no process behind.
#   demo_twice.sh SRC_DIR BUILD_DIR PORT
set -euo pipefail
src=$1 build=$2 port=$3
stack="$build/demo-test-stack"
export LIC_DEMO_STACK="$stack" LIC_DEMO_PG_PORT="$port" LIC_DEMO_SMTP_PORT=$((port + 1)) LIC_DEMO_BUILD_DIR="$build" LIC_DEMO_SKIP_BUILD=1

cleanup() { "$src/deploy/demo.sh" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

for run in 1 2; do
  out=$("$src/deploy/demo.sh" 2>&1) || { echo "$out"; echo "FAIL: run $run exited non-zero"; exit 1; }
  # What a user sees: the applications in their stages, the refusals after their hearings (an
  # agency, a court's ban from the registries, a stranger's re-registration), two dead letters.
  for want in "refused_incomplete" "license_issued" "license_reissued +KPR-L-2025-000117" \
              "refused +KPR-R-20[0-9]{2}-00000[2-4]" "KPR-L-20[0-9]{2}-000001/1" \
              "KPR-R-20[0-9]{2}-00000[2-4] .*agency_non_compliant" \
              "KPR-R-20[0-9]{2}-00000[2-4] .*court_activity_ban" \
              "KPR-R-20[0-9]{2}-00000[2-4] .*not_license_holder" "KPR-L-2025-000117 +\\| v2" \
              "invalid BIN: check digit" "not valid JSON" "deemed_approved" "non_compliant" \
              "Заслушивание состоится" "complaint_registered" "complaint_resolved" \
              "agency_deemed_approved +sanitary" "lic-intake +status OK" "lic-replies +status OK" \
              "DEMO-[0-9]+-7 +issue +license_issued .* [0-9]+ / 15"; do
    grep -Eq -- "$want" <<<"$out" || { echo "$out"; echo "FAIL: run $run lacks '$want'"; exit 1; }
  done
  n=$(psql -X -tA -h 127.0.0.1 -p "$port" -U lic_owner -d licensing -c "SELECT count(*) FROM applications")
  [ "$n" = 7 ] || { echo "FAIL: run $run left $n applications (want 7: a fresh demo)"; exit 1; }
  if grep -Eq -- "\[status\] [0-9T:-]+ .*\+00:00" <<<"$out"; then
    echo "$out"; echo "FAIL: a status event gives a time outside Asia/Almaty"; exit 1
  fi
  echo "run $run: ok"
done

pids=$(cat "$stack"/*.pid 2>/dev/null || true)
"$src/deploy/demo.sh" stop
for p in $pids; do
  if kill -0 "$p" 2>/dev/null; then echo "FAIL: process $p is still running after stop"; exit 1; fi
done
if pgrep -f -- "$stack" >/dev/null; then
  pgrep -af -- "$stack"
  echo "FAIL: processes of the stack remain after stop"
  exit 1
fi
ls "$stack"/*.pid >/dev/null 2>&1 && { echo "FAIL: pid files remain"; exit 1; }
echo "demo twice and stop: ok"
