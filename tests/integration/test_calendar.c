/* Calendar changes reaching the deadlines already stored (issue #29), end to end with every
 * worker and a moved clock: the operator installs a calendar and the timer workers are sent
 * SIGHUP (or `approvalctl calendar apply` is run); the deadlines whose computation crosses a
 * changed day move, each recorded and published once, and the timers fire at the new time. */
#include "harness.h"
#include "util.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "itest.h"

#define APPS "portal.applications.v1"
#define T0 "2026-03-16T10:00:07+05:00"

/* Both agencies silent: the reply windows stay open (to 2 April, Nauryz counted out). */
#define SILENT "ca000000-0000-4000-8000-000000000001"
/* Sanitary non-compliant: a hearing noticed on 16 March for 18 March, 11:00 (¶13). */
#define HEARD "ca000000-0000-4000-8000-000000000002"
/* Both compliant: licensed at once, nothing pending. */
#define DONE "ca000000-0000-4000-8000-000000000003"

static const char *const WORKERS[] = {"intake",  "registries", "relay",  "dispatcher",
                                      "replies", "decider",    "mailer", "actions",
                                      "notary",  "complaints", NULL};

static char cal_path[700];
static pid_t worker_pids[16];

/* How many lines of `binary`'s logs hold `text`. */
static int count_log(const char *binary, const char *text)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "cat '%s'/%s.*.log 2>/dev/null | grep -c -F -- '%s'", env->workdir,
             binary, text);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int n = 0;
    if (fscanf(p, "%d", &n) != 1)
        n = 0;
    pclose(p);
    return n;
}

/* The shipped calendar with `extra` transfers ({date, working, act}) for `year`, the year's
 * status set when `status` is not NULL, written to `path`; `act` names the change. */
static void write_year(const char *path, const char *year, json_t *extra, const char *act,
                       const char *status)
{
    json_t *cal = json_load_file(getenv("LIC_SRC_CALENDAR"), 0, NULL);
    assert_non_null(cal);
    json_t *y = json_object_get(json_object_get(cal, "years"), year);
    json_t *tr = json_object_get(y, "transfers");
    size_t i;
    json_t *t;
    json_array_foreach(extra, i, t) json_array_append(tr, t);
    if (status)
        json_object_set_new(y, "status", json_string(status));
    if (act)
        json_object_set_new(cal, "act", json_string(act));
    char tmp[760];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(json_dump_file(cal, tmp, JSON_INDENT(1)), 0);
    assert_int_equal(rename(tmp, path), 0);
    json_decref(cal);
    json_decref(extra);
}

static void write_calendar(const char *path, json_t *extra, const char *act)
{
    write_year(path, "2026", extra, act, NULL);
}

/* The workers started afterwards read a copy of the shipped calendar the test rewrites. */
static void own_calendar(void)
{
    setenv("LIC_SRC_CALENDAR", getenv("LIC_CALENDAR_FILE"), 0);
    snprintf(cal_path, sizeof(cal_path), "%s/calendar.json", env->workdir);
    write_calendar(cal_path, json_array(), NULL);
    setenv("LIC_CALENDAR_FILE", cal_path, 1);
}

/* 17 March 2026, a Tuesday, made a day off. */
#define DAY_OFF_ACT "Order No. 29-T of the labour ministry: 17 March 2026 a day off"
/* What it moves, as published (deadline, application, old -> new, calendar version). */
#define MOVED_BY_DAY_OFF                                                                           \
    "agency_reply ca01 04-02T18:30:00+05:00 -> 04-03T18:30:00+05:00 v2 act\n"                      \
    "agency_reply ca01 04-02T18:30:00+05:00 -> 04-03T18:30:00+05:00 v2 act\n"                      \
    "hearing ca02 03-18T11:00:00+05:00 -> 03-19T11:00:00+05:00 v2 act\n"                           \
    "service_term ca01 04-09T18:30:00+05:00 -> 04-10T18:30:00+05:00 v2 act\n"                      \
    "service_term ca02 04-09T18:30:00+05:00 -> 04-10T18:30:00+05:00 v2 act\n"
static json_t *day_off(void)
{
    return json_pack("[{s:s,s:b,s:s}]", "date", "2026-03-17", "working", 0, "act", DAY_OFF_ACT);
}

/* The stack with its own copy of the calendar, `timers` timer workers, and the three
 * applications in flight at T0. Returns the pid of the first timer. */
static pid_t start_stack(int timers, pid_t *second)
{
    h_clock_freeze(env, T0);
    own_calendar();
    h_start_sim(env);
    const char *controls[] = {"{\"agency\": \"industrial_safety\", \"application_id\": \"" SILENT
                              "\", \"verdict\": \"silent\"}",
                              "{\"agency\": \"sanitary\", \"application_id\": \"" SILENT
                              "\", \"verdict\": \"silent\"}",
                              "{\"agency\": \"sanitary\", \"application_id\": \"" HEARD
                              "\", \"verdict\": \"non_compliant\"}",
                              NULL};
    for (int i = 0; controls[i]; i++)
        sim(controls[i]);
    h_start_smtp(env);
    for (int i = 0; WORKERS[i]; i++) {
        worker_pids[i] = h_spawn(env, WORKERS[i], NULL);
    }
    pid_t first = h_spawn(env, "timer", NULL);
    if (timers > 1)
        *second = h_spawn(env, "timer", NULL);
    /* The calendar in force from the start: the baseline a change is compared with. */
    assert_true(wait_q(1, 20000,
                       "SELECT count(*) FROM calendar_versions"
                       " WHERE completed_at IS NOT NULL"));
    const char *ids[] = {SILENT, HEARD, DONE};
    for (int i = 0; i < 3; i++) {
        json_t *ev = h_submission(ids[i], h_uuid(), NULL);
        assert_int_equal(h_produce_event(env, APPS, ev), 0);
        json_decref(ev);
    }
    assert_true(wait_q(2, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '" SILENT
                       "' AND state = 'received' AND reply_due_at IS NOT NULL"));
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM hearings WHERE application_id = '" HEARD
                       "' AND notice_sent_at IS NOT NULL"));
    /* Its industrial-safety unit's reply in too: no window of it left open to move. */
    assert_true(wait_q(2, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '" HEARD
                       "' AND outcome IS NOT NULL"));
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '" DONE
                       "' AND stage = 'license_issued'"));
    assert_true(wait_q(0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    return first;
}

/* The stored deadlines, in one line, to compare before and after. */
static char *deadlines(void)
{
    return qs("SELECT (SELECT string_agg(application_id || '=' || to_char(service_deadline"
              " AT TIME ZONE 'Asia/Almaty', 'MM-DD HH24:MI'), ' ' ORDER BY application_id)"
              " FROM applications) || ' | ' ||"
              " (SELECT string_agg(agency || '=' || to_char(reply_due_at AT TIME ZONE"
              " 'Asia/Almaty', 'MM-DD HH24:MI'), ' ' ORDER BY agency) FROM agency_requests"
              " WHERE application_id = '" SILENT "') || ' | ' ||"
              " (SELECT to_char(hearing_at AT TIME ZONE 'Asia/Almaty', 'MM-DD HH24:MI')"
              " FROM hearings WHERE application_id = '" HEARD "')");
}

/* The row versions of everything a move writes: equal strings, nothing was rewritten. */
static char *row_versions(void)
{
    return qs("SELECT (SELECT string_agg(xmin::text, ',' ORDER BY application_id) FROM"
              " applications) || '|' || (SELECT string_agg(xmin::text, ',' ORDER BY request_id)"
              " FROM agency_requests) || '|' || (SELECT string_agg(xmin::text, ',' ORDER BY"
              " request_id) FROM reply_windows) || '|' || (SELECT string_agg(xmin::text, ','"
              " ORDER BY hearing_id) FROM hearings) || '|' || coalesce((SELECT"
              " string_agg(xmin::text, ',' ORDER BY id) FROM timers), '')");
}

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The deadline_changed events published (awaiting `total` events of every stage), checked
 * against the schema: "deadline application old -> new vN [past] [act]" lines, sorted (the
 * topic's partitions interleave them). */
static char *changed_events(int total)
{
    json_t *msgs = published_status(total, 15000);
    assert_int_equal(h_check_status_events(env, msgs), 0);
    char *lines[64];
    int n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        json_t *v = json_loads(json_string_value(json_object_get(m, "value")), 0, NULL);
        json_t *d = json_object_get(v, "data"), *det = json_object_get(d, "detail");
        if (strcmp(json_string_value(json_object_get(d, "stage")), "deadline_changed") == 0 &&
            n < 64) {
            char line[400];
            snprintf(line, sizeof(line), "%s %.2s%s %s -> %s v%lld%s%s\n",
                     json_string_value(json_object_get(det, "deadline")),
                     json_string_value(json_object_get(d, "application_id")),
                     json_string_value(json_object_get(d, "application_id")) + 34,
                     json_string_value(json_object_get(det, "old")) + 5,
                     json_string_value(json_object_get(det, "new")) + 5,
                     (long long)json_integer_value(json_object_get(det, "calendar_version")),
                     json_is_true(json_object_get(det, "past")) ? " past" : "",
                     strcmp(json_string_value(json_object_get(det, "act")), DAY_OFF_ACT) == 0
                         ? " act"
                         : "");
            lines[n++] = strdup(line);
        }
        json_decref(v);
    }
    json_decref(msgs);
    qsort(lines, (size_t)n, sizeof(lines[0]), by_text);
    char out[8000] = "";
    for (int k = 0; k < n; k++) {
        strncat(out, lines[k], sizeof(out) - strlen(out) - 1);
        free(lines[k]);
    }
    return strdup(out);
}

static int approvalctl(const char *a1, const char *a2, const char *a3)
{
    const char *args[] = {"calendar", a1, a2, a3, NULL};
    return h_stop(env, h_spawn(env, "approvalctl", args), 0, 30000);
}

/* `approvalctl calendar CMD A B --json` as an operator runs it: its output, parsed. */
static json_t *ctl_json(const char *cmd, const char *a, const char *b)
{
    char line[2400];
    snprintf(line, sizeof(line), "'%s/approvalctl' calendar %s '%s' '%s' --json",
             getenv("LIC_TEST_BIN_DIR"), cmd, a, b);
    FILE *p = popen(line, "r");
    assert_non_null(p);
    json_t *o = json_loadf(p, 0, NULL);
    assert_int_equal(pclose(p), 0);
    assert_non_null(o);
    return o;
}

/* A day made a day off: the service terms, the open reply windows and the hearing move by one
 * working day; the finished application is not touched; the reply windows fire at their new
 * time, not the old. Made a working day again (`approvalctl calendar apply`), they move back,
 * and what that puts in the past falls due at once. */
static void day_off_moves_and_back(void **state)
{
    (void)state;
    env = h_setup("calendar_day_off");
    pid_t timer = start_stack(1, NULL);
    char *before = deadlines();
    print_message("before: %s\n", before);
    char *done_xmin = qs("SELECT xmin::text FROM applications WHERE application_id = '" DONE "'");
    long long events_before = q("SELECT count(*) FROM outbox");

    /* What the change would do, before it is made: one day, six deadlines across it (two
     * service terms, two reply windows, the hearing and its outcome's timer). */
    char changed[760];
    snprintf(changed, sizeof(changed), "%s/changed.json", env->workdir);
    write_calendar(changed, day_off(), DAY_OFF_ACT);
    json_t *diff = ctl_json("diff", cal_path, changed);
    char *days = json_dumps(json_object_get(diff, "changed_days"), JSON_COMPACT);
    assert_string_equal(days, "[{\"date\":\"2026-03-17\",\"old\":\"working day (Tuesday)\","
                              "\"new\":\"day off by transfer: " DAY_OFF_ACT "\","
                              "\"deadlines_moved\":6}]");
    assert_int_equal(json_integer_value(json_object_get(diff, "deadlines_moved")), 6);
    free(days);
    json_decref(diff);
    assert_int_equal(q("SELECT count(*) FROM deadline_changes"), 0);

    write_calendar(cal_path, day_off(), DAY_OFF_ACT);
    kill(timer, SIGHUP);
    assert_true(wait_q(2, 20000,
                       "SELECT count(*) FROM calendar_versions"
                       " WHERE completed_at IS NOT NULL"));
    assert_str(deadlines(), "ca000000-0000-4000-8000-000000000001=04-10 18:30 "
                            "ca000000-0000-4000-8000-000000000002=04-10 18:30 "
                            "ca000000-0000-4000-8000-000000000003=04-09 18:30 | "
                            "industrial_safety=04-03 18:30 sanitary=04-03 18:30 | 03-19 11:00");
    assert_str(qs("SELECT xmin::text FROM applications WHERE application_id = '" DONE "'"),
               done_xmin);
    assert_int_equal(q("SELECT count(*) FROM reply_windows w JOIN agency_requests q"
                       " USING (request_id) WHERE w.due_at <> q.reply_due_at"),
                     0);
    assert_str(qs("SELECT string_agg(deadline || ':' || act, ',' ORDER BY deadline, ref) FROM"
                  " deadline_changes WHERE calendar_version = 2"),
               "agency_reply:" DAY_OFF_ACT ",agency_reply:" DAY_OFF_ACT ",hearing:" DAY_OFF_ACT
               ",service_term:" DAY_OFF_ACT ",service_term:" DAY_OFF_ACT ",timer:" DAY_OFF_ACT);
    char *events = changed_events((int)events_before + 5);
    print_message("published:\n%s", events);
    assert_string_equal(events, MOVED_BY_DAY_OFF);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE stage = 'deadline_changed'"), 5);
    free(events);

    /* 3 April, 09:00: the old reply windows (2 April, 18:30) have passed, the new ones not.
     * The hearing's outcome timer fires in the same round - the reply windows would have
     * fired before it, had they been due. */
    h_clock_freeze(env, "2026-04-03T09:00:00+05:00");
    assert_true(wait_q(1, 20000,
                       "SELECT count(*) FROM incidents WHERE application_id = '" HEARD
                       "' AND kind = 'hearing_outcome_overdue'"));
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '" SILENT
                       "' AND outcome IS NOT NULL"),
                     0);
    /* Back to the shipped calendar with the operator's command: the deadlines return, the
     * reply windows (2 April, 18:30 again) now in the past, so due at once. */
    assert_int_equal(approvalctl("apply", getenv("LIC_SRC_CALENDAR"), NULL), 0);
    assert_int_equal(q("SELECT count(*) FROM calendar_versions WHERE completed_at IS NOT NULL"), 3);
    assert_int_equal(q("SELECT count(*) FROM deadline_changes WHERE calendar_version = 3"
                       " AND deadline = 'agency_reply' AND past"),
                     2);
    assert_true(wait_q(1, 30000,
                       "SELECT count(*) FROM applications WHERE application_id = '" SILENT
                       "' AND stage = 'license_issued'"));
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '" SILENT
                       "' AND outcome = 'deemed_approved'"),
                     2);
    char *after = deadlines();
    /* The silent one is licensed; the hearing's date back; the other terms back. */
    assert_non_null(strstr(after, "ca000000-0000-4000-8000-000000000002=04-09 18:30"));
    assert_non_null(strstr(after, "| 03-18 11:00"));
    free(after);
    free(before);
    free(done_xmin);
}

/* A change elsewhere in the year (a day in December, past every pending deadline): nothing is
 * moved, nothing rewritten, nothing published. */
static void change_elsewhere_writes_nothing(void **state)
{
    (void)state;
    env = h_setup("calendar_elsewhere");
    pid_t timer = start_stack(1, NULL);
    char *before = deadlines(), *rows = row_versions();
    long long events = q("SELECT count(*) FROM outbox");
    write_calendar(cal_path,
                   json_pack("[{s:s,s:b,s:s}]", "date", "2026-12-14", "working", 0, "act",
                             "Order No. 29-D: 14 December 2026 a day off"),
                   NULL);
    kill(timer, SIGHUP);
    assert_true(wait_q(2, 20000,
                       "SELECT count(*) FROM calendar_versions"
                       " WHERE completed_at IS NOT NULL"));
    assert_str(deadlines(), before);
    assert_str(row_versions(), rows);
    assert_int_equal(q("SELECT count(*) FROM deadline_changes"), 0);
    assert_int_equal(q("SELECT count(*) FROM outbox"), events);
    free(before);
    free(rows);
}

/* An invalid calendar file: refused by the worker's reload and by the operator's command;
 * the calendar in force stays, nothing moves. */
static void invalid_calendar_refused(void **state)
{
    (void)state;
    env = h_setup("calendar_invalid");
    pid_t timer = start_stack(1, NULL);
    char *before = deadlines(), *rows = row_versions();
    write_calendar(cal_path,
                   json_pack("[{s:s,s:b,s:s}]", "date", "2026-02-30", "working", 0, "act",
                             "a date that does not exist"),
                   NULL);
    kill(timer, SIGHUP);
    assert_true(h_wait_log(env, "timer", "calendar reload failed", 20000));
    char bad[760];
    snprintf(bad, sizeof(bad), "%s/bad.json", env->workdir);
    FILE *f = fopen(bad, "w");
    assert_non_null(f);
    fputs("{\"years\": {\"2026\": {\"status\": \"confirmed\"}}", f);
    fclose(f);
    assert_int_equal(approvalctl("apply", bad, NULL), 1);
    /* The operator's file was not installed over the one in use. */
    json_t *in_use = json_load_file(cal_path, 0, NULL);
    assert_non_null(in_use);
    assert_non_null(json_object_get(in_use, "holidays"));
    json_decref(in_use);
    assert_str(deadlines(), before);
    assert_str(row_versions(), rows);
    assert_int_equal(q("SELECT count(*) FROM calendar_versions"), 1);
    assert_int_equal(q("SELECT count(*) FROM deadline_changes"), 0);
    free(before);
    free(rows);
}

/* Two timer workers reloading at once: one moves the deadlines, the other only reloads; each
 * deadline moves once, by one working day, and is published once. */
static void two_timers_move_once(void **state)
{
    (void)state;
    env = h_setup("calendar_two_timers");
    pid_t second;
    pid_t first = start_stack(2, &second);
    long long events_before = q("SELECT count(*) FROM outbox");
    write_calendar(cal_path, day_off(), DAY_OFF_ACT);
    kill(first, SIGHUP);
    kill(second, SIGHUP);
    assert_true(wait_q(2, 20000,
                       "SELECT count(*) FROM calendar_versions"
                       " WHERE completed_at IS NOT NULL"));
    assert_int_equal(q("SELECT count(*) FROM calendar_versions"), 2);
    assert_int_equal(q("SELECT count(*) FROM deadline_changes"), 6);
    assert_int_equal(q("SELECT count(*) FROM (SELECT deadline, ref FROM deadline_changes"
                       " GROUP BY 1, 2 HAVING count(*) > 1) x"),
                     0);
    assert_str(qs("SELECT to_char(service_deadline AT TIME ZONE 'Asia/Almaty', 'MM-DD HH24:MI')"
                  " FROM applications WHERE application_id = '" SILENT "'"),
               "04-10 18:30");
    char *events = changed_events((int)events_before + 5);
    assert_string_equal(events, MOVED_BY_DAY_OFF);
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE stage = 'deadline_changed'"), 5);
    free(events);
    /* Both timers reloaded the calendar (one of them then found it in force). */
    for (int i = 0; i < 200 && count_log("timer", "calendar reloaded") < 2; i++)
        usleep(100000);
    assert_int_equal(count_log("timer", "calendar reloaded"), 2);
}

/* The intake still on the calendar before the change (not yet sent SIGHUP) registers one
 * more application after the timer applied it: the timer's next sweep (its reload) moves that
 * term too. One registered after the intake reloaded has its term from the new calendar: the
 * sweeps leave it, and nothing is moved twice. */
static void lagging_worker_caught_up(void **state)
{
    (void)state;
    env = h_setup("calendar_lagging");
    pid_t timer = start_stack(1, NULL);
    write_calendar(cal_path, day_off(), DAY_OFF_ACT);
    kill(timer, SIGHUP);
    assert_true(wait_q(2, 20000,
                       "SELECT count(*) FROM calendar_versions"
                       " WHERE completed_at IS NOT NULL"));
    assert_int_equal(q("SELECT count(*) FROM deadline_changes"), 6);
    /* Both later applications wait for both agencies (silent): their terms and windows stay
     * pending, and no reply lands while the sweep runs. */
    const char *late = "ca000000-0000-4000-8000-000000000004";
    const char *fresh = "ca000000-0000-4000-8000-000000000005";
    const char *agencies[] = {"industrial_safety", "sanitary"};
    for (int i = 0; i < 2; i++) {
        char c[300];
        snprintf(c, sizeof(c),
                 "{\"agency\": \"%s\", \"application_id\": \"%s\", \"verdict\": \"silent\"}",
                 agencies[i], late);
        sim(c);
        snprintf(c, sizeof(c),
                 "{\"agency\": \"%s\", \"application_id\": \"%s\", \"verdict\": \"silent\"}",
                 agencies[i], fresh);
        sim(c);
    }
    json_t *ev = h_submission(late, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
#define TERM                                                                                       \
    "SELECT count(*) FROM applications WHERE application_id = '%s' AND service_deadline = '%s'"
    /* Computed with the calendar the intake still has. */
    assert_true(wait_q(1, 30000, TERM, late, "2026-04-09T18:30:00+05:00"));
    assert_true(wait_q(2, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND reply_due_at = '2026-04-02T18:30:00+05:00'",
                       late));
    /* The operator reloads the workers (systemctl reload): the timer last. */
    for (int i = 0; WORKERS[i]; i++)
        kill(worker_pids[i], SIGHUP);
    assert_true(h_wait_log(env, "intake", "calendar reloaded", 20000));
    assert_true(h_wait_log(env, "dispatcher", "calendar reloaded", 20000));
    assert_true(h_wait_log(env, "replies", "calendar reloaded", 20000));
    kill(timer, SIGHUP);
    /* Its term and its reply windows, computed by the lagging intake and dispatcher. */
    assert_true(wait_q(9, 20000, "SELECT count(*) FROM deadline_changes"));
    assert_int_equal(q(TERM, late, "2026-04-10T18:30:00+05:00"), 1);
    assert_str(qs("SELECT string_agg(deadline, ' ' ORDER BY deadline) FROM deadline_changes"
                  " WHERE application_id = '%s'",
                  late),
               "agency_reply agency_reply service_term");

    /* Registered with the new calendar: 10 April from the start, left alone. */
    ev = h_submission(fresh, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
    assert_true(wait_q(1, 30000, TERM, fresh, "2026-04-10T18:30:00+05:00"));
    assert_true(wait_q(2, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND reply_due_at = '2026-04-03T18:30:00+05:00'",
                       fresh));
    /* The timer's sweep after a reload logs what it looked at. */
    int sweeps = count_log("timer", "calendar version 2:");
    kill(timer, SIGHUP);
    for (int i = 0; i < 200 && count_log("timer", "calendar version 2:") == sweeps; i++)
        usleep(100000);
    assert_int_equal(count_log("timer", "calendar version 2:"), sweeps + 1);
    assert_int_equal(q(TERM, fresh, "2026-04-10T18:30:00+05:00"), 1);
    assert_int_equal(q("SELECT count(*) FROM agency_requests WHERE application_id = '%s'"
                       " AND reply_due_at = '2026-04-03T18:30:00+05:00'",
                       fresh),
                     2);
    assert_int_equal(q("SELECT count(*) FROM deadline_changes"), 9);
    assert_int_equal(q("SELECT count(*) FROM calendar_versions"), 2);
}

/* A complaint's limits (¶15) and the four timers that watch them move with the day made off;
 * each limit is published once. */
static void complaint_limits_move(void **state)
{
    (void)state;
    env = h_setup("calendar_complaint");
    pid_t timer = start_stack(1, NULL);
    const char *c = "cb000000-0000-4000-8000-000000000001";
    json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "specversion",
                           "1.0", "id", h_uuid(), "source", "/portal", "type",
                           "kz.gov.licensing.complaint.filed.v1", "subject", SILENT, "time", T0,
                           "datacontenttype", "application/json", "data", "complaint_id", c,
                           "application_id", SILENT, "filed_at", T0, "addressed_to", "provider",
                           "text", "Прошу ускорить рассмотрение.");
    assert_int_equal(h_produce_event(env, "portal.complaints.v1", ev), 0);
    json_decref(ev);
    assert_true(wait_q(4, 30000, "SELECT count(*) FROM timers WHERE ref = '%s'", c));
    const char *limits = "SELECT to_char(forward_due AT TIME ZONE 'Asia/Almaty', 'MM-DD HH24:MI')"
                         " || ' ' || to_char(review_due AT TIME ZONE 'Asia/Almaty',"
                         " 'MM-DD HH24:MI') FROM complaints";
    const char *timers = "SELECT string_agg(kind || '=' || to_char(due_at AT TIME ZONE"
                         " 'Asia/Almaty', 'MM-DD HH24:MI'), ' ' ORDER BY kind) FROM timers"
                         " WHERE kind LIKE 'complaint%'";
    /* Registered 16 March: forwarded within 3 WD, reviewed within 5 (Nauryz 23-25 off). */
    assert_str(qs("%s", limits), "03-19 18:30 03-26 18:30");
    assert_str(qs("%s", timers), "complaint_forward_at_risk=03-18 18:30"
                                 " complaint_forward_breach=03-19 18:30"
                                 " complaint_review_at_risk=03-20 18:30"
                                 " complaint_review_breach=03-26 18:30");
    assert_true(wait_q(0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    write_calendar(cal_path, day_off(), DAY_OFF_ACT);
    kill(timer, SIGHUP);
    assert_true(wait_q(2, 20000,
                       "SELECT count(*) FROM calendar_versions"
                       " WHERE completed_at IS NOT NULL"));
    assert_str(qs("%s", limits), "03-20 18:30 03-27 18:30");
    assert_str(qs("%s", timers), "complaint_forward_at_risk=03-19 18:30"
                                 " complaint_forward_breach=03-20 18:30"
                                 " complaint_review_at_risk=03-26 18:30"
                                 " complaint_review_breach=03-27 18:30");
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE stage = 'deadline_changed' AND"
                       " convert_from(payload, 'UTF8')::jsonb->'data'->'detail'->>'ref' = '%s'",
                       c),
                     2);
    assert_int_equal(q("SELECT count(*) FROM deadline_changes WHERE deadline = 'timer' AND ref IN"
                       " (SELECT id::text FROM timers WHERE ref = '%s')",
                       c),
                     4);
}

/* A service term in 2027, a year the calendar has as provisional: the status events and
 * `approvalctl app` say so. The year confirmed with a transfer that crosses the term: the term
 * moves, and the change says it is no longer provisional. */
static void provisional_year_confirmed(void **state)
{
    (void)state;
    env = h_setup("calendar_provisional");
    h_clock_freeze(env, "2026-12-21T10:00:07+05:00");
    own_calendar();
    h_start_sim(env);
    sim("{\"agency\": \"industrial_safety\", \"verdict\": \"silent\"}");
    sim("{\"agency\": \"sanitary\", \"verdict\": \"silent\"}");
    h_start_smtp(env);
    for (int i = 0; WORKERS[i]; i++)
        h_spawn(env, WORKERS[i], NULL);
    pid_t timer = h_spawn(env, "timer", NULL);
    assert_true(wait_q(1, 20000, "SELECT count(*) FROM calendar_versions"));
    json_t *ev = h_submission(SILENT, h_uuid(), "2026-12-21T10:00:00+05:00");
    assert_int_equal(h_produce_event(env, APPS, ev), 0);
    json_decref(ev);
    assert_true(wait_q(2, 30000,
                       "SELECT count(*) FROM agency_requests WHERE application_id = '" SILENT
                       "' AND reply_due_at IS NOT NULL"));
    /* 15 WD from 21 December: 1, 2 (carried to 4) and 7 January off - 14 January 2027. */
    assert_str(
        qs("SELECT to_char(service_deadline AT TIME ZONE 'Asia/Almaty', 'YYYY-MM-DD HH24:MI')"
           " FROM applications"),
        "2027-01-14 18:30");
    assert_true(wait_q(0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    assert_int_equal(q("SELECT count(*) FROM outbox WHERE stage = 'registered' AND"
                       " convert_from(payload, 'UTF8')::jsonb->'data'->>"
                       "'service_deadline_provisional' = 'true'"),
                     1);
    const char *shows[] = {"service deadline 2027-01-14 18:30 (provisional calendar year", NULL};
    assert_app_shows(SILENT, shows);

    /* The labour ministry's order for 2027, in the autumn: Friday 8 January a day off. */
    write_year(cal_path, "2027",
               json_pack("[{s:s,s:b,s:s},{s:s,s:b,s:s}]", "date", "2027-01-08", "working", 0, "act",
                         "Order No. 27-1: 8 January moved from Saturday 16 January", "date",
                         "2027-01-16", "working", 1, "act",
                         "Order No. 27-1: 8 January moved from Saturday 16 January"),
               "Order No. 27-1 of the labour ministry (the 2027 transfers)", "confirmed");
    kill(timer, SIGHUP);
    assert_true(wait_q(1, 20000,
                       "SELECT count(*) FROM deadline_changes WHERE deadline = 'service_term'"
                       " AND new_due = '2027-01-15T18:30:00+05:00'"));
    assert_true(wait_q(0, 20000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    char *detail = qs("SELECT convert_from(payload, 'UTF8')::jsonb->'data'->'detail'->>'act' ||"
                      " ' ' || coalesce(convert_from(payload, 'UTF8')::jsonb->'data'->'detail'->>"
                      "'provisional', 'confirmed') FROM outbox WHERE stage = 'deadline_changed'"
                      " AND convert_from(payload, 'UTF8')::jsonb->'data'->'detail'->>'deadline'"
                      " = 'service_term'");
    assert_str(detail, "Order No. 27-1 of the labour ministry (the 2027 transfers) confirmed");
    const char *after[] = {"service deadline 2027-01-15 18:30\n",
                           "deadline changes (working calendar):\n  service_term",
                           "calendar v2: Order No. 27-1", NULL};
    assert_app_shows(SILENT, after);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(day_off_moves_and_back, teardown),
        cmocka_unit_test_teardown(change_elsewhere_writes_nothing, teardown),
        cmocka_unit_test_teardown(invalid_calendar_refused, teardown),
        cmocka_unit_test_teardown(two_timers_move_once, teardown),
        cmocka_unit_test_teardown(provisional_year_confirmed, teardown),
        cmocka_unit_test_teardown(lagging_worker_caught_up, teardown),
        cmocka_unit_test_teardown(complaint_limits_move, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}
