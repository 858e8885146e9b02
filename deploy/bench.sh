#!/usr/bin/env bash
# The benchmark: how fast the workers do their job on this machine, as ratios against baselines
# measured in the same run. Prints a table (JSON with --json; both are kept in build/bench-stack).
#   deploy/bench.sh            N = 100,000 applications, 1,000,000 timers (10,000 due) and a
#                              10-minute steady run for memory
#   deploy/bench.sh --short    N = 1,000, 100,000 timers (1,000 due), no steady run: the test
#                              suite's run, which keeps the command working and asserts no timing
#   --n N --timers T --due D --memory-minutes M --recal R   override one figure
# Phases, each with fresh worker processes on one PostgreSQL and one development broker:
#   1. baseline: librdkafka consuming the same messages with no processing;
#   2. one application registered with log_statement = 'all', to take the intake's writes;
#   3. full lifecycle: N applications through the registries (the gateway simulator) and both
#      agencies (the simulator answers at once) to license_issued; per-stage p50/p99 from
#      transitions.recorded_at;
#   4. intake: N applications to awaiting_registries (the intake alone), every status event
#      published;
#   5. baseline: the PostgreSQL write ceiling for the intake's own writes, batched as the intake
#      batched them in phase 4 (pgbench with a script made by deploy/bench_ceiling.py);
#   6. timers: T pending, D due - the agencies' reply windows (reply_windows): T open ones of
#      T/2 applications, D of D/2 applications whose agencies never answered: due
#      windows fired per second, from the commit that made them due to the last state change
#      they caused, by one timer worker and then (D more) by two at once; the idle wake-up
#      query's cost with 10,000 and with T pending;
#   7. memory: the whole system under a steady load for M minutes, RSS sampled;
#   8. documents: a license and its annex rendered as PDF and signed, per second of one core.
# Phase 3c, after the lifecycle: a calendar change, R pending deadlines (100,000; --short 2,000)
# moved by one timer worker while the lifecycle workers go on licensing.
# Phases 3 and 4 also give the CPU taken per 1,000 applications by each worker and by what runs
# beside them on the same cores: the PostgreSQL server, the simulator and the broker.
# The agencies' in-flight limit is 128 (LIC_BENCH_MAX_IN_FLIGHT), the default being 16.
# Needs a build (cmake --build build); LIC_BENCH_BUILD_DIR picks another one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LIC_BENCH_BUILD_DIR:-$root/build}
n=100000 timers=1000000 due=10000 pgsecs=30 memmin=10 json=0 passes=5 recal=100000
while [ $# -gt 0 ]; do
  case "$1" in
  --short) n=1000 timers=100000 due=1000 pgsecs=3 memmin=0 passes=2 recal=2000 ;;
  --json) json=1 ;;
  --n) n=$2; shift ;;
  --timers) timers=$2; shift ;;
  --due) due=$2; shift ;;
  --memory-minutes) memmin=$2; shift ;;
  --recal) recal=$2; shift ;;
  *) echo "usage: $0 [--short] [--json] [--n N] [--timers T] [--due D] [--memory-minutes M] [--recal R]" >&2; exit 2 ;;
  esac
  shift
done
# The timer phase fires the reply windows of `due` applications the intake phase left waiting
# (half of them for one timer worker, half for two).
[ "$due" -le "$n" ] || { echo "bench: --due ($due) must not exceed --n ($n)" >&2; exit 2; }
# Ports below the kernel's ephemeral range (32768-60999), where a client connection may hold
# a port (PostgreSQL then fails to start: "could not bind ... Address already in use").
port=${LIC_BENCH_PG_PORT:-25450}
mport=${LIC_BENCH_METRICS_PORT:-31460}
stack="$build/bench-stack"
mkdir -p "$stack"
rm -f "$stack"/*.log "$stack"/*.json "$stack"/bootstrap "$stack"/sim.port "$stack"/registry.port
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
py=/usr/bin/python3
export LIC_DB_URL="postgresql://lic_worker@127.0.0.1:$port/bench"
export LIC_DB_ADMIN_URL="postgresql://lic_owner@127.0.0.1:$port/bench"
# A copy of the calendar: phase 9 changes it under the running workers.
cp "$root/deploy/calendar/kz.json" "$stack/calendar.json"
export LIC_KAFKA_BOOTSTRAP_FILE="$stack/bootstrap" LIC_CALENDAR_FILE="$stack/calendar.json"
export LIC_AGENCIES_FILE="$stack/agencies.json"
export LIC_LOG_LEVEL=warn
# The agencies' in-flight limit (default 16 per agency, a courtesy to real agencies): the simulator
# answers at once, and the dispatcher records the receipts of one round together, so the limit
# is its batch size. LIC_BENCH_MAX_IN_FLIGHT overrides it.
export LIC_AGENCY_MAX_IN_FLIGHT=${LIC_BENCH_MAX_IN_FLIGHT:-128}
unset LIC_CLOCK_FILE KAFKA_BOOTSTRAP_SERVERS LIC_METRICS_PORT || true
# psql itself, not Debian's pg_wrapper in /usr/bin (a Perl script: 45 ms of CPU a call against
# 10 ms, taken from the system measured when polled).
psql_b() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -tA -h 127.0.0.1 -p "$port" -U lic_owner -d bench "$@"; }
psql_su() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -tA -h 127.0.0.1 -p "$port" -U postgres -d bench "$@"; }
log() { [ "$json" = 1 ] || echo "bench: $*" >&2; }
now_ms() { date +%s%3N; }
die() { echo "bench: $*" >&2; exit 1; }
tck=$(getconf CLK_TCK)

declare -A wpid wport
bg_pids=()
cleanup() {
  for w in "${!wpid[@]}"; do kill -TERM "${wpid[$w]}" 2>/dev/null || true; done
  for p in "${bg_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$root/deploy/pg.sh" stop "$stack/pg" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# A worker with its /metrics on a port of its own; returns once it is ready.
next_port=$mport
start_w() { # start_w NAME [BINARY]: BINARY (default NAME) as NAME, which names its log
  local name=$1 bin=${2:-$1}
  # The next port nobody listens on.
  while [ -n "$(ss -tanH "sport = :$next_port")" ]; do next_port=$((next_port + 1)); done
  wport[$name]=$next_port
  next_port=$((next_port + 1))
  LIC_METRICS_PORT=${wport[$name]} "$build/$bin" 2>>"$stack/$name.log" &
  wpid[$name]=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:${wport[$name]}/readyz" >/dev/null 2>&1 && return 0
    kill -0 "${wpid[$name]}" 2>/dev/null || die "$name exited at start ($stack/$name.log)"
    sleep 0.1
  done
  die "$name did not become ready ($stack/$name.log)"
}
# stop_w NAME: SIGTERM; a worker that does not exit 0 fails the benchmark.
stop_w() {
  local name=$1 rc=0
  kill -TERM "${wpid[$name]}"
  wait "${wpid[$name]}" || rc=$?
  unset "wpid[$name]"
  [ "$rc" = 0 ] || die "$name exited $rc on SIGTERM ($stack/$name.log)"
}
metric() { # metric NAME WORKER: the sum of a metric's samples on the worker's /metrics
  curl -sf "http://127.0.0.1:${wport[$2]}/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2} END {print s + 0}'
}
peak_rss_kib() { awk '/VmHWM/ {print $2}' "/proc/${wpid[$1]}/status"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/${wpid[$1]}/status"; }
pid_cpu_s() { awk -v t="$tck" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
cpu_s() { pid_cpu_s "${wpid[$1]}"; }
# stack_cpu: the CPU seconds so far of what runs beside the workers, as "postgres agencysim
# devbroker registrysim": the PostgreSQL server's postmaster and the processes it started (with
# those that ended: their time is in the postmaster's children fields), the simulators, the
# broker.
stack_cpu() {
  local pm
  pm=$(head -n 1 "$stack/pg/data/postmaster.pid")
  # shellcheck disable=SC2046
  echo "$(cat "/proc/$pm/stat" $(pgrep -P "$pm" | sed 's|.*|/proc/&/stat|') 2>/dev/null |
    awk -v t="$tck" '{s += $14 + $15 + $16 + $17} END {print s / t}')" \
    "$(pid_cpu_s "$sim_pid")" "$(pid_cpu_s "$broker_pid")" "$(pid_cpu_s "$reg_pid")"
}
# stack_cpu_since "BEFORE": per 1,000 applications since BEFORE (a stack_cpu), as a Python dict.
stack_cpu_since() {
  $py -c "
a, b = [float(x) for x in '$1'.split()], [float(x) for x in '$(stack_cpu)'.split()]
print({k: round((y - x) / ($n / 1000), 3) for k, x, y in zip(('postgres', 'agencysim', 'devbroker', 'registrysim'), a, b)})"
}
# The polls go through one psql session (poll_open), not a client and a server process started
# every 0.2 s: a new connection costs 10 ms of CPU on each side, 10% of a core at five a second.
poll_open() {
  coproc POLL { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -tA -h 127.0.0.1 -p "$port" -U lic_owner -d bench 2>&1; }
  bg_pids+=("$POLL_PID")
  # Every poll has an index to read; with statistics taken while most applications were on
  # their way, "EXISTS (... stage IN (...))" was planned as a sequential scan that walks the
  # licensed ones first once they are most of the table.
  printf 'SET enable_seqscan = off;\n' >&"${POLL[1]}"
  # nap S: a pause without starting a process (read's timeout on a FIFO nobody writes to).
  rm -f "$stack/nap"
  mkfifo "$stack/nap"
  exec {nap_fd}<>"$stack/nap"
}
nap() { read -r -t "$1" -u "$nap_fd" _ || true; }
poll_sql() { # poll_sql SQL: its one-line answer from the poll session, in $polled
  printf '%s;\n' "$1" >&"${POLL[1]}" && IFS= read -r polled <&"${POLL[0]}" ||
    die "the poll session ended"
}
# wait_sql SQL TIMEOUT_S [PAUSE_S]: polls every PAUSE_S (0.2 s) until the query returns
# something other than f - t, or a number, left in $polled.
wait_sql() {
  local until=$((SECONDS + $2))
  until poll_sql "$1" && [ "$polled" != f ]; do
    [ "$SECONDS" -lt "$until" ] || die "timed out waiting for: $1"
    for w in "${!wpid[@]}"; do kill -0 "${wpid[$w]}" 2>/dev/null || die "$w died ($stack/$w.log)"; done
    nap "${3:-0.2}"
  done
  [[ "$polled" =~ ^(t|[0-9]+(\.[0-9]+)?)$ ]] || die "poll: $polled (for: $1)"
}
example="$root/proto/examples/application.submitted.v1.json"

# ---- the stack -------------------------------------------------------------------------------
"$root/deploy/pg.sh" start "$stack/pg" "$port" >/dev/null
"$bindir/psql" -X -q -h 127.0.0.1 -p "$port" -U lic_owner -d postgres \
  -c "DROP DATABASE IF EXISTS bench WITH (FORCE)" -c "CREATE DATABASE bench OWNER lic_owner"
"$build/approvalctl" migrate >/dev/null
poll_open
"$build/devbroker" serve --bootstrap-file "$stack/bootstrap" --control "$stack/broker.sock" \
  --partitions 3 >"$stack/devbroker.log" 2>&1 &
broker_pid=$!
bg_pids+=($!)
for _ in $(seq 1 100); do [ -s "$stack/bootstrap" ] && break; sleep 0.1; done
"$build/agencysim" --agencies-file "$stack/agencies.json" --port-file "$stack/sim.port" \
  >"$stack/agencysim.log" 2>&1 &
sim_pid=$!
bg_pids+=($!)
for _ in $(seq 1 100); do [ -s "$stack/bootstrap" ] && [ -s "$stack/sim.port" ] && break; sleep 0.1; done
[ -s "$stack/bootstrap" ] && [ -s "$stack/sim.port" ] || die "the broker or the simulator did not start"
# The state registries (¶10) through the gateway simulator, which knows the example applicant.
echo bench-gateway-password >"$stack/gateway.password"
"$build/registrysim" --data "$root/deploy/registrysim/registry.json" --port-file "$stack/registry.port" \
  --password-file "$stack/gateway.password" >"$stack/registrysim.log" 2>&1 &
reg_pid=$!
bg_pids+=($!)
for _ in $(seq 1 100); do [ -s "$stack/registry.port" ] && break; sleep 0.1; done
[ -s "$stack/registry.port" ] || die "the gateway simulator did not start"
export LIC_GATEWAY_URL="http://127.0.0.1:$(cat "$stack/registry.port")/bip-sync/"
export LIC_GATEWAY_ALLOW_PLAIN_HTTP=1 LIC_GATEWAY_PASSWORD_FILE="$stack/gateway.password"
# The agencies answer at once (the simulator's default reply delay is 200 ms).
for ag in industrial_safety sanitary; do
  curl -sf -X POST -d "{\"agency\": \"$ag\", \"reply_delay_ms\": 0}" \
    "http://127.0.0.1:$(cat "$stack/sim.port")/control" >/dev/null || die "the simulator refused its control"
done

# ---- 1. baseline: consume with no processing -------------------------------------------------
# The development broker keeps about 5 MB a partition: the baseline reads 6,000 messages (about
# 2.8 MB a partition) several times over.
base_n=6000
log "1. Kafka consume baseline: $base_n messages, $passes passes"
"$build/bench" produce "$base_n" --example "$example" --topic bench.baseline.v1 >"$stack/produce.json"
"$build/bench" consume "$base_n" --topic bench.baseline.v1 --passes "$passes" >"$stack/consume.json"
consume_rate=$($py -c "import json;print(json.load(open('$stack/consume.json'))['per_second'])")

# ---- 2. the intake's writes for one application ---------------------------------------------
log "2. one application with log_statement = 'all'"
psql_su -c "ALTER DATABASE bench SET log_statement = 'all'"
off=$(stat -c %s "$stack/pg/server.log")
start_w intake
"$build/bench" produce 1 --example "$example" >/dev/null
wait_sql "SELECT count(*) = 1 FROM applications WHERE stage = 'awaiting_registries'" 60
stop_w intake
psql_su -c "ALTER DATABASE bench RESET log_statement"
tail -c +$((off + 1)) "$stack/pg/server.log" >"$stack/capture.log"

# ---- 3. full lifecycle ----------------------------------------------------------------------
lifecycle_workers=(relay intake registries dispatcher replies decider timer)
log "3. full lifecycle: $n applications to license_issued"
for w in "${lifecycle_workers[@]}"; do start_w "$w"; done
t0=$(now_ms) stack0=$(stack_cpu)
# At most 4,000 applications between submitted and licensed: the agencies' replies wait on
# their topics too, and the development broker keeps ~5 MB a partition (it deleted replies
# the replies worker had not read yet when only the intake's backlog was bounded).
"$build/bench" produce "$n" --example "$example" --ahead 4000 --ahead-of license_issued >/dev/null
# Done when none is on its way and all are licensed; the count only then (a count of the
# licensed ones walks every one of them, 20 ms at 100,000 - every 0.2 s, time taken from the
# system measured).
wait_sql "SELECT CASE WHEN EXISTS (SELECT 1 FROM applications WHERE stage IN ('registered',
  'awaiting_registries', 'awaiting_approvals', 'awaiting_replies', 'awaiting_decision')) THEN false ELSE
  (SELECT count(*) = $((n + 1)) FROM applications WHERE stage = 'license_issued') END" $((600 + n / 20))
# No notary here: the results' events stay held for signatures (phase 3b signs them).
wait_sql "SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL AND held_by IS NULL" 120
t1=$(now_ms) life_stack=$(stack_cpu_since "$stack0")
life_rate=$($py -c "print(round($n / (($t1 - $t0) / 1000)))")
declare -A life_rss life_cpu
for w in "${lifecycle_workers[@]}"; do life_rss[$w]=$(peak_rss_kib "$w") life_cpu[$w]=$(cpu_s "$w"); done
for w in "${lifecycle_workers[@]}"; do stop_w "$w"; done
# Per stage: from entering it to leaving it, by the time each transition was written.
psql_b -F $'\t' -c "
  WITH t AS (
    SELECT application_id, to_stage, recorded_at,
           lead(recorded_at) OVER (PARTITION BY application_id ORDER BY id) AS left_at
    FROM transitions WHERE application_id IN
      (SELECT application_id FROM applications WHERE stage = 'license_issued')),
  s AS (
    SELECT to_stage AS stage, extract(epoch FROM left_at - recorded_at) * 1000 AS ms
    FROM t WHERE left_at IS NOT NULL
    UNION ALL
    SELECT 'registered to license_issued', extract(epoch FROM max(recorded_at) - min(recorded_at)) * 1000
    FROM t GROUP BY application_id)
  SELECT stage, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
         round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1)
  FROM s GROUP BY stage ORDER BY min(CASE stage WHEN 'registered' THEN 1 WHEN 'awaiting_registries'
    THEN 2 WHEN 'awaiting_approvals' THEN 3 WHEN 'awaiting_replies' THEN 4 WHEN 'awaiting_decision'
    THEN 5 ELSE 6 END)" \
  >"$stack/stages.txt"

# Set aside what phase 3 left unsigned, so the phases after it start from a drained outbox.
psql_b -c "UPDATE issued_documents SET sign_error = 'bench: phase 3 runs without documents'
  WHERE signed_at IS NULL; UPDATE outbox SET discarded_at = now() WHERE held_by IS NOT NULL
  AND sent_at IS NULL" >/dev/null

# ---- 3b. full lifecycle with documents --------------------------------------------------------
# The same, with two notaries rendering and signing every license and annex and the results'
# events published only then, carrying the signatures. Fewer applications: at ~130 documents a
# second of a core, the signatures set the pace (each application has two documents).
docs_life_n=$((n >= 10000 ? 5000 : n / 5))
log "3b. full lifecycle with documents: $docs_life_n applications to license_issued, signed"
"$root/deploy/head-key.sh" "$stack/head" '/C=KZ/CN=BENCH HEAD/serialNumber=IIN800101300123'
export LIC_HEAD_KEY_FILE="$stack/head/head.p12" LIC_HEAD_KEY_PASSWORD_FILE="$stack/head/head.pass"
for w in "${lifecycle_workers[@]}"; do start_w "$w"; done
start_w notary
start_w notary2 notary
before=$(psql_b -c "SELECT count(*) FROM applications WHERE stage = 'license_issued'")
t0=$(now_ms)
"$build/bench" produce "$docs_life_n" --example "$example" --ahead 4000 --ahead-of license_issued >/dev/null
wait_sql "SELECT count(*) = $((before + docs_life_n)) FROM applications WHERE stage = 'license_issued'" \
  $((600 + docs_life_n / 5))
wait_sql "SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL AND discarded_at IS NULL" \
  $((120 + docs_life_n / 20))
t1=$(now_ms)
docs_life_rate=$($py -c "print(round($docs_life_n / (($t1 - $t0) / 1000), 1))")
for w in "${lifecycle_workers[@]}" notary notary2; do stop_w "$w"; done

# ---- 3c. a calendar change under running work -------------------------------------------------
# The working day two working days ahead made a day off (as a transfer order would): every
# pending deadline crossing it moves - R of them, R/3 applications awaiting both agencies, each
# with its term (15 WD) and reply windows (10 WD) as the workers compute them. One timer worker
# applies the change on SIGHUP while the lifecycle workers license applications: the seconds
# from the signal to the version completed, and the lifecycle's rate meanwhile against phase
# 3's. The changed calendar stays for the phases after it (their workers start with it).
log "3c. calendar change: $recal pending deadlines moved under the lifecycle's load"
origin=$(TZ=Asia/Almaty date +%Y-%m-%dT%H:%M:%S+05:00)
term_due=$("$build/approvalctl" calendar add --from "$origin" --working-days 15)
reply_due=$("$build/approvalctl" calendar add --from "$origin" --working-days 10)
off_day=$("$build/approvalctl" calendar add --from "$origin" --working-days 2 | cut -c1-10)
extra=$((recal / 3))
psql_b -c "
  CREATE TEMP TABLE recal_apps AS
    SELECT gen_random_uuid() AS application_id, g FROM generate_series(1, $extra) g;
  INSERT INTO applications (application_id, portal_ref, kind, stage, submitted_at, registered_at,
                            completeness_due, service_deadline, executor, source_event_id,
                            approvals_requested_at)
  SELECT application_id, 'bench-recal-' || g, 'issue', 'awaiting_replies', '$origin', '$origin',
         '$origin', '$term_due', 'bench', 'bench-recal-' || g, '$origin'
  FROM recal_apps;
  INSERT INTO agency_requests (request_id, application_id, agency, region, base_url, body, state,
                               next_attempt_at, send_due, received_at, reply_due_at)
  SELECT gen_random_uuid(), application_id, ag, 'KZ-KAR', 'http://bench-recal.invalid', '{}',
         'received', '$origin', '$origin', '$origin', '$reply_due'
  FROM recal_apps, unnest(ARRAY['industrial_safety', 'sanitary']) ag;
  INSERT INTO reply_windows (request_id, application_id, due_at)
  SELECT request_id, application_id, reply_due_at FROM agency_requests
   WHERE base_url = 'http://bench-recal.invalid';
  ANALYZE applications, agency_requests, reply_windows" >/dev/null
recal_pending=$((extra * 3))
# The load: half the lifecycle's rate of phase 3, for longer than the change should take.
recal_rate=$($py -c "print(max(10, round($life_rate / 2)))")
recal_secs=$((recal / 250)) recal_min=$((n >= 10000 ? 20 : 3))
recal_load=$((recal_rate * (recal_secs > recal_min ? recal_secs : recal_min)))
for w in "${lifecycle_workers[@]}"; do start_w "$w"; done
wait_sql "SELECT count(*) >= 1 FROM calendar_versions WHERE completed_at IS NOT NULL" 60
$py - "$LIC_CALENDAR_FILE" "$off_day" <<'PY'
import json, sys
path, day = sys.argv[1], sys.argv[2]
cal = json.load(open(path))
act = f"bench: {day} made a day off"
cal["years"][day[:4]]["transfers"].append({"date": day, "working": False, "act": act})
cal["act"] = act
json.dump(cal, open(path + ".new", "w"), indent=1)
PY
mv "$LIC_CALENDAR_FILE.new" "$LIC_CALENDAR_FILE"
apps_3c=$(psql_b -c "SELECT count(*) FROM applications WHERE portal_ref NOT LIKE 'bench-recal-%'")
"$build/bench" produce "$recal_load" --example "$example" --ahead 4000 --ahead-of license_issued \
  --rate "$recal_rate" >/dev/null &
prod=$!
# The load running before the change (three seconds of it licensed), so the rate meanwhile is
# the lifecycle's own.
licensed_0=$(psql_b -c "SELECT count(*) FROM applications WHERE stage = 'license_issued'")
wait_sql "SELECT count(*) > $licensed_0 + $((recal_rate * 3)) FROM applications WHERE stage = 'license_issued'" 300
licensed_0=$(psql_b -c "SELECT count(*) FROM applications WHERE stage = 'license_issued'")
t0=$(now_ms)
kill -HUP "${wpid[timer]}"
wait_sql "SELECT count(*) = 2 FROM calendar_versions WHERE completed_at IS NOT NULL" 900 0.02
t1=$(now_ms)
# The load must have lasted the change, or the rate meanwhile says nothing.
load_lasted=$(kill -0 "$prod" 2>/dev/null && echo True || echo False)
licensed_1=$(psql_b -c "SELECT count(*) FROM applications WHERE stage = 'license_issued'")
recal_moved=$(psql_b -c "SELECT moved FROM calendar_versions ORDER BY version DESC LIMIT 1")
[ "$recal_moved" -ge "$recal_pending" ] || die "calendar change: $recal_moved moved, $recal_pending pending"
recal_s=$($py -c "print(round(($t1 - $t0) / 1000, 2))")
recal_life_rate=$($py -c "print(round(($licensed_1 - $licensed_0) / max(($t1 - $t0) / 1000, 0.001)))")
recal_rss=$(peak_rss_kib timer)
wait "$prod" || die "the calendar phase's producer failed"
# Every application produced registered, not only none pending: the last ones can still be on
# the topic when none is pending, and stopping the workers then left them for phase 4 to count.
wait_sql "SELECT CASE WHEN EXISTS (SELECT 1 FROM applications WHERE stage IN ('registered',
  'awaiting_registries', 'awaiting_approvals', 'awaiting_replies', 'awaiting_decision')
  AND portal_ref NOT LIKE 'bench-recal-%') THEN false ELSE (SELECT count(*) = $((apps_3c + recal_load))
  FROM applications WHERE portal_ref NOT LIKE 'bench-recal-%') END" 600
for w in "${lifecycle_workers[@]}"; do stop_w "$w"; done
# Its reply windows out of the way of the timer phase's counts (requests are never deleted).
psql_b -c "UPDATE reply_windows SET failed_at = now(), error = 'bench: phase 3c' WHERE request_id IN (SELECT request_id
    FROM agency_requests WHERE base_url = 'http://bench-recal.invalid');
  UPDATE issued_documents SET sign_error = 'bench: phase 3c runs without documents'
   WHERE signed_at IS NULL AND sign_error IS NULL;
  UPDATE outbox SET discarded_at = now() WHERE held_by IS NOT NULL AND sent_at IS NULL" >/dev/null

# ---- 4. intake ----------------------------------------------------------------------------
log "4. intake: $n applications to awaiting_registries, status events published"
start_w relay
start_w intake
before=$(psql_b -c "SELECT count(*) FROM applications")
# Its count below is of this phase's applications only: an earlier phase's left there is a bug
# of that phase, said now rather than as this wait's timeout.
waiting=$(psql_b -c "SELECT count(*) FROM applications WHERE stage = 'awaiting_registries'")
[ "$waiting" = 0 ] || die "intake: $waiting applications left in awaiting_registries before it"
t0=$(now_ms) stack0=$(stack_cpu)
"$build/bench" produce "$n" --example "$example" --ahead 4000 >/dev/null
wait_sql "SELECT count(*) = $n FROM applications WHERE stage = 'awaiting_registries'" $((600 + n / 50))
wait_sql "SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL AND discarded_at IS NULL" 120
t1=$(now_ms) intake_stack=$(stack_cpu_since "$stack0")
[ "$(psql_b -c "SELECT count(*) FROM applications")" = $((before + n)) ] || die "intake: wrong count"
intake_rate=$($py -c "print(round($n / (($t1 - $t0) / 1000)))")
processed=$(metric lic_messages_processed_total intake)
batches=$(metric lic_batches_total intake)
batch=$($py -c "print(max(1, round($processed / max($batches, 1))))")
declare -A intake_rss intake_cpu
for w in intake relay; do intake_rss[$w]=$(peak_rss_kib "$w") intake_cpu[$w]=$(cpu_s "$w"); done
stop_w intake
stop_w relay

# ---- 5. baseline: the PostgreSQL write ceiling ----------------------------------------------
# 30 s (3 in --short): its first 5 s run at about 60% of the rest (pgbench -P 5), which was
# half of the 10 s window used before - a ceiling too low by up to a fifth.
log "5. PostgreSQL write ceiling: the intake's writes, $batch applications a transaction, ${pgsecs}s"
$py "$root/deploy/bench_ceiling.py" "$stack/capture.log" "$batch" >"$stack/ceiling.sql" 2>"$stack/ceiling.log"
"$bindir/pgbench" -n -M prepared -h 127.0.0.1 -p "$port" -U lic_worker -f "$stack/ceiling.sql" \
  -T "$pgsecs" bench >"$stack/pgbench.txt" 2>&1 || die "pgbench failed ($stack/pgbench.txt)"
tps=$(awk '/^tps = / {print $3}' "$stack/pgbench.txt")
ceiling=$($py -c "print(round(float('$tps') * $batch))")
writes=$(sed -n 's/.*: \([0-9]*\) writes per application/\1/p' "$stack/ceiling.log")

# ---- 6. timers --------------------------------------------------------------------------------
log "6. timers: $timers pending, $due due"
half=$((due / 2))
# The timers fired are the agencies' reply windows (¶12): an open one is a row of reply_windows
# (migration 017) beside its received request. The pending ones are those of T/2 applications in
# awaiting_replies whose windows end in 30 days or more - the idle wake-up first with 10,000 of
# them, then with all T, which then wait while the due ones fire.
# open_windows N: adds applications and their two open windows until N are open.
open_windows() {
  local have
  have=$(psql_b -c "SELECT count(*) FROM reply_windows WHERE $window_open")
  psql_b -c "
  CREATE TEMP TABLE pending_apps AS
    SELECT gen_random_uuid() AS application_id, $have / 2 + g AS g
    FROM generate_series(1, ($1 - $have) / 2) g;
  INSERT INTO applications (application_id, portal_ref, kind, stage, submitted_at, registered_at,
                            completeness_due, service_deadline, executor, source_event_id,
                            approvals_requested_at)
  SELECT application_id, 'bench-pending-' || g, 'issue', 'awaiting_replies', now(), now(),
         now() + interval '5 days', now() + interval '60 days', 'bench', 'bench-pending-' || g,
         now()
  FROM pending_apps;
  INSERT INTO agency_requests (request_id, application_id, agency, region, base_url, body, state,
                               next_attempt_at, send_due, received_at, reply_due_at)
  SELECT gen_random_uuid(), application_id, ag, 'KZ-KAR', 'http://bench-pending.invalid', '{}',
         'received', now(), now(), now(), now() + interval '30 days' + g * interval '1 second'
  FROM pending_apps, unnest(ARRAY['industrial_safety', 'sanitary']) ag;
  INSERT INTO reply_windows (request_id, application_id, due_at)
  SELECT request_id, application_id, reply_due_at FROM agency_requests
   WHERE application_id IN (SELECT application_id FROM pending_apps)"
  psql_b -c "VACUUM ANALYZE applications, agency_requests, reply_windows"
}
# The open windows' predicate, as timer.c's WINDOW_OPEN (the partial index's).
window_open="failed_at IS NULL"
# The idle wake-up: the query the timer worker runs to learn how long to sleep (timer.c's
# NEXT_DUE_SQL): the earliest open timer and the earliest open window.
cat >"$stack/idle.sql" <<SQL
SELECT extract(epoch FROM least((SELECT min(due_at) FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL AND failed_at IS NULL AND kind = ANY (string_to_array('hearing_outcome_due,complaint_forward_at_risk,complaint_forward_breach,complaint_review_at_risk,complaint_review_breach', ','))), (SELECT min(due_at) FROM reply_windows WHERE $window_open)))::bigint;
SQL
idle_ms() {
  "$bindir/pgbench" -n -M extended -h 127.0.0.1 -p "$port" -U lic_worker -f "$stack/idle.sql" -T 2 bench 2>&1 |
    awk '/^latency average/ {print $4}'
}
small=$((timers < 10000 ? timers : 10000))
open_windows "$small"
pending_small=$(psql_b -c "SELECT count(*) FROM reply_windows WHERE $window_open")
idle_small=$(idle_ms)
open_windows "$timers"
pending_big=$(psql_b -c "SELECT count(*) FROM reply_windows WHERE $window_open")
idle_big=$(idle_ms)
# fire_due K: the due windows fired by K timer workers at once (they claim with SKIP LOCKED, so
# a deployment may run more than one: agencies.two_timer_workers); sets timer_rate[K] and
# timer_rss[K] (the peak of the first). The time runs from the commit of the transaction that
# makes D/2 applications' windows due (its NOTIFY lic_timers wakes the workers) to the commit of
# the last state change they caused (within the 20 ms of a poll), both by the server's clock,
# so the workers' start is not counted. The due windows are those of applications in
# awaiting_replies whose agencies both confirmed receipt and never answered: each firing deems
# one approval (its status event, the request's outcome) and every second one moves its
# application to awaiting_decision.
declare -A timer_rate timer_rss
fire_due() {
  local k=$1 i url="http://bench-$1.invalid" names=()
  for i in $(seq 1 "$k"); do names+=("timer$i"); start_w "timer$i" timer; done
  # Each worker's first round done - its gauges count the open windows, 0.3 s at 1,000,000 in
  # which a notification waits - before the due ones are committed: the start is not counted.
  for i in "${names[@]}"; do
    for _ in $(seq 1 300); do [ "$(metric lic_timer_next_due_seconds "$i")" != 0 ] && break; nap 0.1; done
  done
  local t_commit t_last
  t_commit=$(psql_b -c "
  CREATE TEMP TABLE due_apps AS
    SELECT application_id FROM applications WHERE stage = 'awaiting_registries' LIMIT $half;
  UPDATE applications SET stage = 'awaiting_replies', approvals_requested_at = now()
   WHERE application_id IN (SELECT application_id FROM due_apps);
  INSERT INTO transitions (application_id, from_stage, to_stage, at, cause_kind, cause_actor)
  SELECT application_id, f, t, now(), 'actor', 'bench'
    FROM due_apps, (VALUES (1, 'awaiting_registries', 'awaiting_approvals'),
                           (2, 'awaiting_approvals', 'awaiting_replies')) AS s (k, f, t)
   ORDER BY application_id, k;
  INSERT INTO agency_requests (request_id, application_id, agency, region, base_url, body, state,
                               next_attempt_at, send_due, received_at, reply_due_at)
  SELECT gen_random_uuid(), application_id, ag, 'KZ-KAR', '$url', '{}', 'received',
         now(), now(), now() - interval '15 days', now() - interval '1 minute'
  FROM due_apps, unnest(ARRAY['industrial_safety', 'sanitary']) ag;
  INSERT INTO reply_windows (request_id, application_id, due_at)
  SELECT request_id, application_id, reply_due_at FROM agency_requests WHERE base_url = '$url';
  SELECT extract(epoch FROM clock_timestamp())")
  # Until the last due window's transaction has committed, by the server's clock at the first
  # poll that finds none due: every 20 ms, the earliest open window read from the open windows'
  # partial index, as the worker reads it.
  wait_sql "SELECT CASE WHEN coalesce(min(due_at) > now(), true)
    THEN extract(epoch FROM clock_timestamp())::text ELSE 'f' END
    FROM reply_windows WHERE $window_open" 600 0.02
  t_last=$polled
  [ "$(psql_b -c "SELECT count(*) FROM agency_requests WHERE base_url = '$url' AND outcome = 'deemed_approved'")" = \
    "$((half * 2))" ] || die "timers: not every due window fired ($k workers)"
  timer_rate[$k]=$($py -c "print(round($((half * 2)) / ($t_last - $t_commit)))")
  [ "$(psql_b -c "SELECT count(*) FROM applications a WHERE stage = 'awaiting_decision' AND EXISTS
    (SELECT 1 FROM agency_requests q WHERE q.application_id = a.application_id AND q.base_url = '$url')")" = "$half" ] ||
    die "timers: the deemed applications did not all reach awaiting_decision ($k workers)"
  timer_rss[$k]=$(peak_rss_kib timer1)
  for i in "${names[@]}"; do stop_w "$i"; done
}
fire_due 1
fire_due 2

# ---- 7. memory under a steady load ------------------------------------------------------------
declare -A mem_first mem_last mem_peak
mem_rate=0
if [ "$memmin" -gt 0 ]; then
  mem_rate=$($py -c "print(max(10, round($life_rate / 2)))")
  mem_n=$((mem_rate * 60 * memmin))
  log "7. memory: $mem_rate applications/s for $memmin minutes ($mem_n), RSS sampled"
  for w in "${lifecycle_workers[@]}"; do start_w "$w"; done
  "$build/bench" produce "$mem_n" --example "$example" --ahead 4000 --ahead-of license_issued \
    --rate "$mem_rate" >/dev/null &
  prod=$!
  start=$(date +%s)
  while kill -0 "$prod" 2>/dev/null; do
    sleep 10
    el=$(($(date +%s) - start))
    for w in "${lifecycle_workers[@]}"; do
      r=$(rss_kib "$w")
      if [ "$el" -ge 60 ] && [ -z "${mem_first[$w]:-}" ]; then mem_first[$w]=$r; fi
      mem_last[$w]=$r
    done
  done
  wait "$prod" || die "the steady load's producer failed"
  for w in "${lifecycle_workers[@]}"; do
    mem_peak[$w]=$(peak_rss_kib "$w")
    mem_first[$w]=${mem_first[$w]:-${mem_last[$w]}}
    stop_w "$w"
  done
fi

# ---- 8. documents: rendered as PDF and signed, one core ---------------------------------------
# A license and its annex in turn, each laid out and signed with an RSA-2048 key of a PKCS#12
# file as the head's; the time of each step beside the rate.
"$root/deploy/head-key.sh" "$stack/head" '/C=KZ/CN=BENCH HEAD/serialNumber=IIN800101300123'
docs_n=$((n >= 100000 ? 2000 : 100))
"$build/bench" documents "$docs_n" --key "$stack/head/head.p12" --password-file "$stack/head/head.pass" \
  >"$stack/documents.json" || die "documents phase failed"
documents=$(cat "$stack/documents.json")

# ---- the report -------------------------------------------------------------------------------
kv() { local -n a=$1; local out="" k; for k in "${!a[@]}"; do out+="\"$k\": ${a[$k]},"; done; echo "{${out%,}}"; }
$py - "$json" "$stack/stages.txt" >"$stack/report.txt" <<PY
import json, sys
stages = {}
for line in open(sys.argv[2]):
    name, p50, p99 = line.rstrip("\n").split("\t")
    stages[name] = {"p50_ms": float(p50), "p99_ms": float(p99)}
n = $n
r = {
  "machine": "$(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), PostgreSQL $("$bindir/postgres" --version | awk '{print $3}'), librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?')",
  "applications": n,
  "agency_max_in_flight": $LIC_AGENCY_MAX_IN_FLIGHT,
  "baseline_kafka_consume_per_s": $consume_rate,
  "baseline_postgres_ceiling_apps_per_s": $ceiling,
  "ceiling_writes_per_application": ${writes:-0}, "ceiling_batch": $batch, "ceiling_tps": float("$tps"),
  "intake_apps_per_s": $intake_rate,
  "lifecycle_apps_per_s": $life_rate,
  "lifecycle_with_documents": {"applications": $docs_life_n, "apps_per_s": $docs_life_rate},
  "lifecycle_stage_latency": stages,
  "timers_pending": $pending_big, "timers_due": $((half * 2)),
  "timers_fired_per_s": ${timer_rate[1]}, "timers_fired_per_s_two_workers": ${timer_rate[2]},
  "idle_wakeup_ms": {"pending_small": $pending_small, "small_ms": float("$idle_small"),
                     "pending_big": $pending_big, "big_ms": float("$idle_big")},
  "peak_rss_kib": {"lifecycle": $(kv life_rss), "intake_phase": $(kv intake_rss), "timer_phase": {"timer": ${timer_rss[1]}, "timer_of_two": ${timer_rss[2]}},
                   "steady": $(kv mem_peak)},
  "cpu_s_per_1000_apps": {"lifecycle": {k: round(v / (n / 1000), 3) for k, v in $(kv life_cpu).items()},
                          "intake_phase": {k: round(v / (n / 1000), 3) for k, v in $(kv intake_cpu).items()},
                          "lifecycle_beside": $life_stack, "intake_phase_beside": $intake_stack},
  "steady": {"minutes": $memmin, "rate": $mem_rate, "rss_kib_at_1_min": $(kv mem_first), "rss_kib_at_end": $(kv mem_last)},
  "documents": $documents,
  "calendar_change": {"pending": $recal_pending, "moved": $recal_moved, "seconds": $recal_s,
                      "lifecycle_apps_per_s_meanwhile": $recal_life_rate, "offered_apps_per_s": $recal_rate,
                      "load_lasted": $load_lasted,
                      "timer_peak_rss_kib": $recal_rss},
}
r["intake_vs_ceiling"] = round(r["intake_apps_per_s"] / r["baseline_postgres_ceiling_apps_per_s"], 3)
r["lifecycle_vs_ceiling"] = round(r["lifecycle_apps_per_s"] / r["baseline_postgres_ceiling_apps_per_s"], 3)
r["intake_vs_consume"] = round(r["intake_apps_per_s"] / r["baseline_kafka_consume_per_s"], 4)
json.dump(r, open("$stack/report.json", "w"), indent=2)
if sys.argv[1] == "1":
    print(json.dumps(r, indent=2))
    sys.exit(0)
mib = lambda k: f"{k / 1024:.1f}"
print(f"machine: {r['machine']}")
print(f"applications per phase: {n:,}; agencies' in-flight limit {r['agency_max_in_flight']}")
rows = [
  ("Kafka consume, no processing (baseline)", f"{r['baseline_kafka_consume_per_s']:,.0f} msg/s", ""),
  (f"PostgreSQL ceiling: intake's {r['ceiling_writes_per_application']} writes/app, {r['ceiling_batch']}/tx (baseline)",
   f"{r['baseline_postgres_ceiling_apps_per_s']:,.0f} apps/s", ""),
  ("Intake to awaiting_registries, events published", f"{r['intake_apps_per_s']:,.0f} apps/s",
   f"{r['intake_vs_ceiling']:.0%} of ceiling (target >= 50%)"),
  ("Full lifecycle to license_issued (documents unsigned)", f"{r['lifecycle_apps_per_s']:,.0f} apps/s",
   f"{r['lifecycle_vs_ceiling']:.0%} of ceiling (target >= 25%)"),
  (f"Full lifecycle with documents signed, two notaries ({r['lifecycle_with_documents']['applications']:,} apps)",
   f"{r['lifecycle_with_documents']['apps_per_s']:,.1f} apps/s",
   f"{r['lifecycle_with_documents']['apps_per_s'] / r['lifecycle_apps_per_s']:.1%} of the lifecycle without"),
]
for st, v in stages.items():
    rows.append((f"  stage {st} p50 / p99", f"{v['p50_ms']:,.1f} / {v['p99_ms']:,.1f} ms", ""))
rows += [
  (f"Due timers fired, {r['timers_pending']:,} pending, 1 / 2 timer workers",
   f"{r['timers_fired_per_s']:,.0f} / {r['timers_fired_per_s_two_workers']:,.0f} /s", "target >= 20,000/s"),
  (f"Idle wake-up query at {r['idle_wakeup_ms']['pending_small']:,} / {r['idle_wakeup_ms']['pending_big']:,} pending",
   f"{r['idle_wakeup_ms']['small_ms']:.3f} / {r['idle_wakeup_ms']['big_ms']:.3f} ms", "must not grow"),
]
d = r["documents"]
rows.append(("Documents rendered as PDF and signed, one core", f"{d['per_s']:,.0f} /s",
             f"layout {d['render_ms']:.2f} ms + signature {d['sign_ms']:.2f} ms each (goal >= 500/s)"))
c = r["calendar_change"]
rows.append((f"Calendar change: {c['moved']:,} pending deadlines moved by one timer worker",
             f"{c['seconds']:,.2f} s ({c['moved'] / max(c['seconds'], 0.001):,.0f}/s)",
             f"lifecycle meanwhile {c['lifecycle_apps_per_s_meanwhile']:,} apps/s of "
             f"{c['offered_apps_per_s']:,} offered" + ("" if c["load_lasted"] else " (the load ended first)")))
for phase, d in r["peak_rss_kib"].items():
    if d:
        rows.append((f"Peak RSS MiB, {phase.replace('_', ' ')}", " ".join(f"{k} {mib(v)}" for k, v in sorted(d.items())), "target < 64"))
for phase, d in r["cpu_s_per_1000_apps"].items():
    phase = phase.replace("_beside", ", beside the workers").replace("_", " ")
    rows.append((f"CPU s per 1,000 apps, {phase}", " ".join(f"{k} {v}" for k, v in sorted(d.items())), ""))
if r["steady"]["minutes"]:
    s = r["steady"]
    rows.append((f"RSS MiB at 1 min -> {s['minutes']} min ({s['rate']} apps/s)",
                 " ".join(f"{k} {mib(s['rss_kib_at_1_min'][k])}->{mib(v)}" for k, v in sorted(s['rss_kib_at_end'].items())), "flat"))
w = max(len(a) for a, _, _ in rows)
for a, b, c in rows:
    print(f"  {a:<{w}}  {b}  {c}".rstrip())
PY
cat "$stack/report.txt"
# Under a sanitizer build, a report in any log fails the run.
if grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$stack"/*.log 2>/dev/null; then
  die "a sanitizer reported an error (logs above)"
fi
