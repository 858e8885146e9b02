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
export LIC_OFFICIALS_FILE="$stack/officials.json"
unset KAFKA_BOOTSTRAP_SERVERS || true

WORKERS=(relay intake registries dispatcher replies timer decider mailer actions complaints notary)
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
    # Started with setsid: the pid is its process group; stop the whole group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "demo: $1 did not stop on SIGTERM, killing it" >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

# The workers first, then what they talk to.
stop_processes() {
  for w in "${WORKERS[@]}"; do stop_pid "$w"; done
  stop_pid follower
  stop_pid agencysim-kar
  stop_pid agencysim-pav
  stop_pid registrysim
  stop_pid smtpsink
  stop_pid devbroker
}

stop_stack() {
  stop_processes
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
  for n in devbroker agencysim-kar agencysim-pav registrysim smtpsink "${WORKERS[@]}"; do
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
stop_processes
rm -rf "$stack/bootstrap" "$stack"/*.log "$stack"/agencies*.json "$stack"/sim-*.port "$stack/maildir"
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
# Two territorial units per agency: Karaganda (and any other region) and Pavlodar, each a
# simulator with keys of its own; the workers get one agencies file with both.
for unit in kar pav; do
  start_bg "agencysim-$unit" "$build/agencysim" --name "$unit" \
    --agencies-file "$stack/agencies-$unit.json" --port-file "$stack/sim-$unit.port"
done
for _ in $(seq 1 100); do [ -s "$stack/sim-kar.port" ] && [ -s "$stack/sim-pav.port" ] && break; sleep 0.1; done
[ -s "$stack/sim-pav.port" ] || { echo "demo: the agency simulators did not start" >&2; exit 1; }
"$py" - "$stack" <<'PY'
import json, sys
stack = sys.argv[1]
kar, pav = (json.load(open(f"{stack}/agencies-{u}.json")) for u in ("kar", "pav"))
for name, a in kar["agencies"].items():
    b = pav["agencies"][name]
    a["units"] = {"*": a["units"]["*"], "KZ-KAR": a["units"]["*"], "KZ-PAV": b["units"]["*"]}
    a["keys"].update(b["keys"])
kar["description"] = "the demo's agencies: two simulated territorial units per agency"
json.dump(kar, open(f"{stack}/agencies.json", "w"), indent=2)
PY
echo "demo: agency units KZ-KAR at :$(cat "$stack/sim-kar.port"), KZ-PAV at :$(cat "$stack/sim-pav.port")"
# The state registries (¶10): the e-government gateway's simulator with its data file.
echo demo-gateway-password >"$stack/gateway.password"
rm -f "$stack/registry.port"
start_bg registrysim "$build/registrysim" --data "$root/deploy/registrysim/registry.json" \
  --port-file "$stack/registry.port" --password-file "$stack/gateway.password"
for _ in $(seq 1 100); do [ -s "$stack/registry.port" ] && break; sleep 0.1; done
[ -s "$stack/registry.port" ] || { echo "demo: the gateway simulator did not start" >&2; exit 1; }
export LIC_GATEWAY_URL="http://127.0.0.1:$(cat "$stack/registry.port")/bip-sync/"
export LIC_GATEWAY_ALLOW_PLAIN_HTTP=1 LIC_GATEWAY_PASSWORD_FILE="$stack/gateway.password"
echo "demo: e-government gateway (state registries) at $LIC_GATEWAY_URL"
# The applicants' mail server: Debian's aiosmtpd keeping what it receives in a Maildir.
start_bg smtpsink "$py" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox \
  "$stack/maildir"
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break; sleep 0.1; done
echo "demo: SMTP sink at $LIC_SMTP_URL (mail in $stack/maildir)"
# A license issued before this system, for the re-registration.
printf '%s\n' "number,holder_type,holder_id,holder_name,first_issued_on" \
  "KPR-L-2025-000117,individual,880101300123,Сейітов Ержан,2025-02-10" >"$stack/licenses.csv"
"$build/approvalctl" import-licenses "$stack/licenses.csv"
# The provider's officials whose acts the back office signs: the head and an executor, their
# secret keys kept here, their public keys in LIC_OFFICIALS_FILE.
rm -rf "$stack/officials"
mkdir -m 700 "$stack/officials"
head_entry=$("$build/approvalctl" official keygen --key-id head-demo --iin 750302400122 \
  --name "Жақсыбеков Ерлан Маратұлы" --role head --key-out "$stack/officials/head.key")
executor_entry=$("$build/approvalctl" official keygen --key-id executor-demo --iin 861115300452 \
  --name "Омарова Айгерім Серікқызы" --role executor --key-out "$stack/officials/executor.key")
printf '{"officials": [%s, %s]}\n' "$head_entry" "$executor_entry" >"$LIC_OFFICIALS_FILE"
echo "demo: officials' keys in $stack/officials (head, executor)"
# The head's EDS key for the documents, as the national certifying centre issues it (PKCS#12,
# RSA-2048) - here under a demo CA of its own (officials/eds/ca.pem).
"$root/deploy/head-key.sh" "$stack/officials/eds" \
  '/C=KZ/CN=ЖАҚСЫБЕКОВ ЕРЛАН/SN=ЖАҚСЫБЕКОВ/GN=МАРАТҰЛЫ/serialNumber=IIN750302400122'
export LIC_HEAD_KEY_FILE="$stack/officials/eds/head.p12" LIC_HEAD_KEY_PASSWORD_FILE="$stack/officials/eds/head.pass"
for w in "${WORKERS[@]}"; do start_bg "$w" "$build/$w"; done
echo "demo: workers started: ${WORKERS[*]} (logs in $stack)"

# Every status event as it is published: one line per stage.
: >"$stack/follower.log"
start_bg follower bash -c "'$build/approvalctl' consume --topic licensing.status.v1 \
  --timeout-ms 3600000 | '$py' -u '$root/deploy/demo-follow.py'"
tail -f -n +1 "$stack/follower.log" &
tail_pid=$!
trap 'kill $tail_pid 2>/dev/null || true' EXIT

# The day's applications, from proto/examples with fresh ids, submitted now.
msgs="$stack/messages"
rm -rf "$msgs" && mkdir -p "$msgs"
"$py" - "$root/proto/examples" "$msgs" <<'PY'
import datetime, json, sys, uuid
src, out = sys.argv[1], sys.argv[2]
now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=5))).replace(microsecond=0)
stamp = now.strftime("%H%M%S")
ids = {}
def load(name):
    return json.load(open(f"{src}/{name}"))
def write(name, ev, n):
    app = str(uuid.uuid4())
    ids[name] = app
    ev.update(id=str(uuid.uuid4()), subject=app, time=now.isoformat())
    ev["data"].update(application_id=app, portal_ref=f"DEMO-{stamp}-{n}", submitted_at=now.isoformat())
    json.dump(ev, open(f"{out}/{n}-{name}.json", "w"), ensure_ascii=False)
write("issue-complete", load("application.submitted.v1.json"), 1)
write("reissue-name-change", load("application.submitted.v1.reissue.json"), 2)
ev = load("application.submitted.v1.json")
ev["data"]["documents"] = [d for d in ev["data"]["documents"] if d["kind"] != "qualification"]
ev["data"]["fee"] = {"paid_via": "bank", "amount_kzt": 20000}
write("issue-incomplete", ev, 3)
ev = load("application.submitted.v1.json")
ev["data"]["applicant"]["bin"] = "070340001238"
write("bad-bin", ev, 4)
open(f"{out}/5-not-json.json", "w").write('{"specversion": "1.0", "id": ')
write("issue-noncompliant", load("application.submitted.v1.json"), 6)
ev = load("application.submitted.v1.json")
ev["data"]["production_base"] = {"region": "KZ-PAV", "address": "Павлодар облысы, Екібастұз қ., 7"}
write("issue-sanitary-silent", ev, 7)
# A court has suspended this entity's activity (the registry's data file says so, ¶10).
ev = load("application.submitted.v1.json")
ev["data"]["applicant"].update(bin="050640001236", name="ТОО «Екібастұз Кен»",
                               address="Павлодар облысы, Екібастұз қ., Энергетиктер к-сі, 5",
                               email="office@ekibastuz-ken.kz")
ev["data"]["documents"][0]["signed_by"] = "050640001236"
write("issue-court-ban", ev, 8)
# Someone who does not hold license KPR-L-2025-000117 asks to have it re-registered.
ev = load("application.submitted.v1.reissue.json")
ev["data"]["applicant"].update(iin="920315400129", name="Нұрланова Айгерім Серікқызы",
                               address="Павлодар қ., Естай к-сі, 40", email="aigerim@example.kz")
for d in ev["data"]["documents"]:
    if "signed_by" in d:
        d["signed_by"] = "920315400129"
write("reissue-stranger", ev, 9)
json.dump(ids, open(f"{out}/../ids.json", "w"))
PY
"$py" - "$stack" <<'PY'
import json, sys, urllib.request
stack = sys.argv[1]
ids = json.load(open(f"{stack}/ids.json"))
def control(unit, body):
    port = open(f"{stack}/sim-{unit}.port").read().strip()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/control", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
# Karaganda's sanitary unit finds the sixth non-compliant; Pavlodar's never answers the seventh.
control("kar", {"agency": "sanitary", "application_id": ids["issue-noncompliant"], "verdict": "non_compliant"})
control("pav", {"agency": "sanitary", "application_id": ids["issue-sanitary-silent"], "verdict": "silent"})
PY
"$build/approvalctl" produce --topic portal.applications.v1 "$msgs"/*.json

wait_for() { # description sql: until the query returns t (90 s)
  for _ in $(seq 1 450); do
    [ "$(psql_owner -tAc "$2" 2>/dev/null)" = t ] && return 0
    sleep 0.2
  done
  echo "demo: $1 did not happen within 90 s (logs in $stack)" >&2
  exit 1
}
app_id() { "$py" -c "import json,sys; print(json.load(open('$stack/ids.json'))['$1'])"; }
echo "demo: morning - registration, completeness check, approval requests, replies, decisions"
wait_for "the first decisions" "SELECT
  (SELECT count(*) FROM applications WHERE stage = 'license_issued') = 1
  AND (SELECT count(*) FROM applications WHERE stage = 'license_reissued') = 1
  AND (SELECT count(*) FROM applications WHERE stage = 'refused_incomplete') = 1
  AND (SELECT count(*) FROM hearings WHERE notice_sent_at IS NOT NULL) = 3
  AND (SELECT count(*) FROM agency_requests WHERE state = 'received') = 8
  AND (SELECT count(*) FROM dead_letters) = 2"

echo "demo: the hearing notices went out by e-mail; at each hearing the refusal is confirmed"
now=$("$build/approvalctl" clock show)
hearing() { # app-name notes: the head's signed hearing.concluded, refusal confirmed
  local app hid
  app=$(app_id "$1")
  hid=$(psql_owner -tAc "SELECT hearing_id FROM hearings WHERE application_id = '$app'")
  "$build/approvalctl" act hearing --key "$stack/officials/head.key" "$app" "$hid" \
    refusal_confirmed --notes "$2" >/dev/null
}
hearing issue-noncompliant "Санитарно-эпидемиологическое заключение не представлено."
hearing issue-court-ban "Решение суда о приостановлении деятельности вступило в законную силу."
hearing reissue-stranger "Заявитель не является лицензиатом и не назван его правопреемником."
wait_for "the refusals" "SELECT count(*) = 3 FROM applications WHERE stage = 'refused'"

echo "demo: the applicant complains about a refusal; not satisfied, it goes to the reviewing body, which rejects it"
complaint=$(cat /proc/sys/kernel/random/uuid)
cat >"$msgs/complaint.json" <<JSON
{"specversion": "1.0", "id": "$(cat /proc/sys/kernel/random/uuid)", "source": "/portal",
 "type": "kz.gov.licensing.complaint.filed.v1", "subject": "$(app_id issue-noncompliant)", "time": "$now",
 "datacontenttype": "application/json",
 "data": {"complaint_id": "$complaint", "application_id": "$(app_id issue-noncompliant)", "filed_at": "$now",
          "addressed_to": "provider", "text": "Заключение было приложено, прошу пересмотреть отказ."}}
JSON
"$build/approvalctl" produce --topic portal.complaints.v1 "$msgs/complaint.json" >/dev/null
wait_for "the complaint's registration" "SELECT count(*) = 1 FROM complaints"
reject_complaint() {
  "$build/approvalctl" act complaint --key "$stack/officials/head.key" "$(app_id issue-noncompliant)" \
    "$complaint" rejected --notes "Заключение в пакете документов отсутствовало." >/dev/null
}
reject_complaint # the provider does not satisfy it: forwarded with the case (¶15)
wait_for "the complaint's forwarding" "SELECT count(*) = 1 FROM complaints WHERE state = 'forwarded'"
reject_complaint # the reviewing body's decision
wait_for "the complaint's resolution" "SELECT count(*) = 1 FROM complaints WHERE state = 'resolved'"

echo "demo: Pavlodar's sanitary unit never answers; the clock moves 20 days on"
"$build/approvalctl" clock advance 20d
wait_for "the deemed approval" "SELECT count(*) = 2 FROM applications WHERE stage = 'license_issued'"
wait_for "the relay" "SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"
sleep 1 # let the follower print the last events it received
kill $tail_pid 2>/dev/null || true

echo
echo "== applications: result and working days used of the term"
"$build/approvalctl" applications
echo "== documents issued"
psql_owner -P pager=off -c "SELECT a.portal_ref, d.kind, d.number, 'v' || d.version AS v, d.body->>'date' AS date,
       (SELECT string_agg(g->>'code', ', ') FROM jsonb_array_elements(d.body->'grounds') g) AS grounds
  FROM issued_documents d JOIN applications a USING (application_id) ORDER BY a.portal_ref, d.id"
echo "== the documents as PDF, signed with the head's key (verified against the demo CA)"
wait_for "the documents' signatures" "SELECT count(*) = 0 FROM issued_documents WHERE signed_at IS NULL"
rm -rf "$stack/documents" && mkdir -p "$stack/documents"
psql_owner -tA -c "SELECT number FROM issued_documents WHERE signed_at IS NOT NULL ORDER BY id" |
  while read -r number; do
    f="$stack/documents/${number//\//-}"
    "$build/approvalctl" document get "$number" --pdf "$f.pdf" --p7s "$f.p7s" >/dev/null
    "$build/approvalctl" document verify "$f.pdf" "$f.p7s" --ca "$stack/officials/eds/ca.pem" \
      --number "$number" >/dev/null
    echo "  $f.pdf (+ .p7s): signature valid"
  done
echo "== agency approvals"
psql_owner -P pager=off -c "SELECT a.portal_ref, r.agency, regexp_replace(r.base_url, '^.*:([0-9]+)/.*$', ':\1') AS unit,
       r.outcome, left(r.reasons->>0, 50) AS reason
  FROM agency_requests r JOIN applications a USING (application_id) ORDER BY a.portal_ref, r.agency"
echo "== e-mail received by the applicants' server"
"$py" - "$stack/maildir" <<'PY'
import email, email.policy, mailbox, sys
for key, msg in mailbox.Maildir(sys.argv[1], create=False).items():
    m = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    print(f"  to {m['To']}: {m['Subject']}")
    for line in m.get_content().splitlines():
        if line.startswith(("Заслушивание", "Тыңдау")):
            print("    " + line)
PY
echo "== dead letters"
"$build/approvalctl" dead-letters
echo "== consumer lag"
"$build/approvalctl" lag --samples 2 --interval-ms 1000 || true
echo
echo "demo: done. The stack is still running (deploy/demo.sh status); stop it with: deploy/demo.sh stop"
