#!/usr/bin/env bash
# The main job of the README: installs what is missing, builds, starts the local stack (the
# project's PostgreSQL, the development Kafka broker, the workers) and runs a demo - portal
# applications flowing through the workers into PostgreSQL and onto licensing.status.v1.
#
#   deploy/demo.sh          (re)start the stack and run the demo; the stack stays up
#   deploy/demo.sh stop     stop everything the demo started (no process is left behind)
#   deploy/demo.sh status   what is running
#
# Environment (for tests): LIC_DEMO_STACK (default .stack), LIC_DEMO_PG_PORT (5433),
# LIC_DEMO_BUILD_DIR (build), LIC_DEMO_SKIP_BUILD=1 to use binaries already built.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stack=${LIC_DEMO_STACK:-$root/.stack}
port=${LIC_DEMO_PG_PORT:-5433}
build=${LIC_DEMO_BUILD_DIR:-$root/build}
mkdir -p "$stack"
stack=$(cd "$stack" && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3

export LIC_DB_URL="postgresql://lic_worker@127.0.0.1:$port/licensing"
export LIC_DB_ADMIN_URL="postgresql://lic_owner@127.0.0.1:$port/licensing"
export LIC_KAFKA_BOOTSTRAP_FILE="$stack/bootstrap"
export LIC_CALENDAR_FILE="$root/deploy/calendar/kz.json"
export LIC_LOG_LEVEL=${LIC_LOG_LEVEL:-info}
export LIC_AGENCIES_FILE="$stack/agencies.json"
export LIC_CLOCK_FILE="$stack/clock"
unset KAFKA_BOOTSTRAP_SERVERS || true

WORKERS=(relay intake dispatcher replies timer decider mailer actions complaints)
smtp_port=${LIC_DEMO_SMTP_PORT:-2525}
export LIC_SMTP_URL="smtp://127.0.0.1:$smtp_port"

psql_owner() {
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U lic_owner -d licensing "$@"
}

stop_pid() { # name: SIGTERM, wait up to 15 s, then SIGKILL
  local f="$stack/$1.pid"
  [ -f "$f" ] || return 0
  local pid
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "demo: $1 did not stop on SIGTERM, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

stop_stack() {
  for w in "${WORKERS[@]}"; do stop_pid "$w"; done
  stop_pid agencysim
  stop_pid smtpsink
  stop_pid devbroker
  "$root/deploy/pg.sh" stop "$stack/pg" >/dev/null
}

start_bg() { # name binary args...: a detached process with its log and pid file
  local name=$1
  shift
  setsid "$@" >>"$stack/$name.log" 2>&1 </dev/null &
  echo $! >"$stack/$name.pid"
}

case "${1:-run}" in
stop)
  stop_stack
  echo "demo: stopped"
  exit 0
  ;;
status)
  for n in devbroker agencysim smtpsink "${WORKERS[@]}"; do
    if [ -f "$stack/$n.pid" ] && kill -0 "$(cat "$stack/$n.pid")" 2>/dev/null; then
      echo "$n: running (pid $(cat "$stack/$n.pid"))"
    else
      echo "$n: stopped"
    fi
  done
  "$root/deploy/pg.sh" status "$stack/pg" >/dev/null 2>&1 && echo "postgresql: running on port $port" ||
    echo "postgresql: stopped"
  exit 0
  ;;
run) ;;
*)
  echo "usage: $0 [run|stop|status]" >&2
  exit 2
  ;;
esac

if [ "${LIC_DEMO_SKIP_BUILD:-0}" != 1 ]; then
  "$root/deploy/install-deps.sh"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j "$(nproc)" >/dev/null
  echo "demo: built in $build"
fi

# A previous run's workers and broker go first: the broker keeps topics in memory, so the
# demo database starts afresh with it (its stored consumer offsets would not match).
for w in "${WORKERS[@]}"; do stop_pid "$w"; done
stop_pid agencysim
stop_pid smtpsink
stop_pid devbroker
rm -rf "$stack/bootstrap" "$stack"/*.log "$stack/agencies.json" "$stack/sim.port" "$stack/maildir"
"$build/approvalctl" clock real >/dev/null
"$root/deploy/pg.sh" start "$stack/pg" "$port"
psql -X -q -h 127.0.0.1 -p "$port" -U lic_owner -d postgres \
  -c "DROP DATABASE IF EXISTS licensing WITH (FORCE)" -c "CREATE DATABASE licensing OWNER lic_owner"
"$build/approvalctl" migrate

start_bg devbroker "$build/devbroker" serve --bootstrap-file "$stack/bootstrap" \
  --control "$stack/broker.sock" --partitions 3
for _ in $(seq 1 100); do [ -s "$stack/bootstrap" ] && break; sleep 0.1; done
[ -s "$stack/bootstrap" ] || { echo "demo: the broker did not start ($stack/devbroker.log)" >&2; exit 1; }
echo "demo: development Kafka broker at $(cat "$stack/bootstrap")"
start_bg agencysim "$build/agencysim" --agencies-file "$stack/agencies.json" \
  --port-file "$stack/sim.port"
for _ in $(seq 1 100); do [ -s "$stack/sim.port" ] && break; sleep 0.1; done
[ -s "$stack/sim.port" ] || { echo "demo: the agency simulator did not start" >&2; exit 1; }
echo "demo: agency simulator at http://127.0.0.1:$(cat "$stack/sim.port")"
# The applicants' mail server: Debian's aiosmtpd keeping what it receives in a Maildir.
start_bg smtpsink "$py" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox \
  "$stack/maildir"
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break; sleep 0.1; done
echo "demo: SMTP sink at $LIC_SMTP_URL (mail in $stack/maildir)"
for w in "${WORKERS[@]}"; do start_bg "$w" "$build/$w"; done
echo "demo: workers started: ${WORKERS[*]} (logs in $stack)"

# The demo's applications, from proto/examples with fresh ids, submitted now.
msgs="$stack/messages"
rm -rf "$msgs" && mkdir -p "$msgs"
"$py" - "$root/proto/examples" "$msgs" <<'PY'
import copy, datetime, json, sys, uuid
src, out = sys.argv[1], sys.argv[2]
now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=5))).replace(microsecond=0)
def load(name):
    return json.load(open(f"{src}/{name}"))
ids = {}
def write(name, ev, portal_ref):
    app = str(uuid.uuid4())
    ids[name] = app
    ev["id"] = str(uuid.uuid4())
    ev["subject"] = app
    ev["time"] = now.isoformat()
    d = ev["data"]
    d["application_id"] = app
    d["portal_ref"] = portal_ref
    d["submitted_at"] = now.isoformat()
    json.dump(ev, open(f"{out}/{name}.json", "w"), ensure_ascii=False)
stamp = now.strftime("%H%M%S")
write("1-issue-complete", load("application.submitted.v1.json"), f"DEMO-{stamp}-1")
write("2-reissue-complete", load("application.submitted.v1.reissue.json"), f"DEMO-{stamp}-2")
ev = load("application.submitted.v1.json")
ev["data"]["documents"] = [d for d in ev["data"]["documents"] if d["kind"] != "qualification"]
ev["data"]["fee"] = {"paid_via": "bank", "amount_kzt": 20000}
write("3-issue-incomplete", ev, f"DEMO-{stamp}-3")
ev = load("application.submitted.v1.json")
ev["data"]["applicant"]["bin"] = "070340001238"
write("4-bad-bin", ev, f"DEMO-{stamp}-4")
open(f"{out}/5-not-json.json", "w").write('{"specversion": "1.0", "id": ')
write("6-issue-noncompliant", load("application.submitted.v1.json"), f"DEMO-{stamp}-6")
json.dump(ids, open(f"{out}/../ids.json", "w"))
PY
# The agencies: silent on the re-registration (its approval will be deemed), the sanitary
# service finds the sixth application non-compliant.
"$py" - "$stack" <<'PY'
import json, sys, urllib.request
stack = sys.argv[1]
ids = json.load(open(f"{stack}/ids.json"))
port = open(f"{stack}/sim.port").read().strip()
def control(body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/control", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
control({"agency": "industrial_safety", "application_id": ids["2-reissue-complete"], "verdict": "silent"})
control({"agency": "sanitary", "application_id": ids["6-issue-noncompliant"], "verdict": "non_compliant"})
PY
"$build/approvalctl" produce --topic portal.applications.v1 "$msgs"/*.json

wait_for() { # description sql: until the query returns t (60 s)
  for _ in $(seq 1 300); do
    [ "$(psql_owner -tAc "$2" 2>/dev/null)" = t ] && return 0
    sleep 0.2
  done
  echo "demo: $1 did not happen within 60 s (logs in $stack)" >&2
  exit 1
}
echo "demo: waiting for registration, the completeness check, the agencies and the decisions..."
wait_for "the first decisions" "SELECT
  (SELECT count(*) FROM applications WHERE stage = 'license_issued') = 1
  AND (SELECT count(*) FROM applications WHERE stage = 'refused_incomplete') = 1
  AND (SELECT count(*) FROM hearings WHERE notice_sent_at IS NOT NULL) = 1
  AND (SELECT count(*) FROM agency_requests WHERE outcome IS NOT NULL) = 5
  AND (SELECT count(*) FROM dead_letters) = 2"
echo "demo: the hearing notice was e-mailed; the back office reports the refusal confirmed"
"$py" - "$stack" "$port" <<'PY'
import json, sys, uuid, datetime
stack = sys.argv[1]
ids = json.load(open(f"{stack}/ids.json"))
import subprocess
app = ids["6-issue-noncompliant"]
hid = subprocess.run(["psql", "-X", "-tA", "-h", "127.0.0.1", "-p", sys.argv[2] if len(sys.argv) > 2 else "5433",
                      "-U", "lic_owner", "-d", "licensing", "-c",
                      f"SELECT hearing_id FROM hearings WHERE application_id = '{app}'"],
                     capture_output=True, text=True).stdout.strip()
now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=5))).replace(microsecond=0)
ev = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/provider/back-office",
      "type": "kz.gov.licensing.hearing.concluded.v1", "subject": app, "time": now.isoformat(),
      "datacontenttype": "application/json",
      "data": {"application_id": app, "hearing_id": hid, "outcome": "refusal_confirmed",
               "notes": "Заявитель не представил санитарно-эпидемиологическое заключение."}}
json.dump(ev, open(f"{stack}/messages/hearing.json", "w"), ensure_ascii=False)
PY
"$build/approvalctl" produce --topic provider.actions.v1 "$msgs/hearing.json"
wait_for "the refusal" "SELECT count(*) = 1 FROM applications WHERE stage = 'refused'"
echo "demo: the industrial-safety unit never answers the re-registration; moving the clock 20 days on"
"$build/approvalctl" clock advance 20d
wait_for "the deemed approval" "SELECT count(*) = 1 FROM applications WHERE stage = 'license_reissued'"
wait_for "the relay" "SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"
echo
echo "== applications (PostgreSQL)"
psql_owner -P pager=off -c "SELECT portal_ref, kind, stage, executor,
       to_char(registered_at AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI') AS registered,
       to_char(completeness_due AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI') AS check_due,
       to_char(service_deadline AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI') AS service_deadline
  FROM applications ORDER BY portal_ref"
echo "== transitions (append-only history)"
psql_owner -P pager=off -c "SELECT a.portal_ref, t.from_stage || ' -> ' || t.to_stage AS change,
       t.cause_kind || ' ' || coalesce(t.cause_topic || '/' || t.cause_partition || '@' || t.cause_offset,
                                       t.cause_actor, t.cause_timer_id::text) AS cause
  FROM transitions t JOIN applications a USING (application_id) ORDER BY a.portal_ref, t.id"
echo "== agency approvals"
psql_owner -P pager=off -c "SELECT a.portal_ref, r.agency, r.state, r.attempts AS tries,
       to_char(r.received_at AT TIME ZONE 'Asia/Almaty', 'MM-DD HH24:MI') AS received,
       to_char(r.reply_due_at AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI') AS reply_due,
       r.outcome, left(r.reasons->>0, 60) AS reason
  FROM agency_requests r JOIN applications a USING (application_id) ORDER BY a.portal_ref, r.agency"
echo "== documents issued"
psql_owner -P pager=off -c "SELECT a.portal_ref, d.kind, d.number, d.body->>'date' AS date,
       (SELECT string_agg(g->>'code', ', ') FROM jsonb_array_elements(d.body->'grounds') g) AS grounds
  FROM issued_documents d JOIN applications a USING (application_id) ORDER BY d.number"
echo "== e-mail received by the applicants' server"
"$py" - "$stack/maildir" <<'PY'
import email, email.policy, mailbox, sys
for key, msg in mailbox.Maildir(sys.argv[1], create=False).items():
    m = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    body = m.get_content()
    print(f"  to {m['To']}: {m['Subject']}")
    for line in body.splitlines():
        if line.startswith(("Заслушивание", "Тыңдау")):
            print("    " + line)
PY
echo "== dead letters"
psql_owner -P pager=off -c "SELECT topic, partition, \"offset\", reason FROM dead_letters ORDER BY id"
echo "== licensing.status.v1 (Kafka)"
"$build/approvalctl" consume --topic licensing.status.v1 --count 22 --timeout-ms 10000 |
  "$py" -c '
import json, sys
for line in sys.stdin:
    v = json.loads(line)["value"]
    d = v["data"]
    print("  %-16s %-24s %-18s deadline %s" % (d["portal_ref"], d["stage"], d["detail"].get("agency", ""), d.get("service_deadline", "-")))'
echo "== licensing.dead-letter.v1 (Kafka)"
"$build/approvalctl" consume --topic licensing.dead-letter.v1 --count 2 --timeout-ms 10000 |
  "$py" -c '
import json, sys
for line in sys.stdin:
    h = json.loads(line)["headers"]
    print("  %s/%s@%s: %s" % (h["x-source-topic"], h["x-source-partition"], h["x-source-offset"], h["x-error"]))'
echo
echo "demo: done. The stack is still running (deploy/demo.sh status); stop it with: deploy/demo.sh stop"
