/* approvalctl applications / app / at-risk / dead-letters: what operators look at - every
 * application with the working days it used of its term, one application's whole history,
 * what is close to a deadline, and bad input with its replay to the source topic. */
#include "approvalctl.h"
#include "approvalctl_sql.h"
#include "cal.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "kafka.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A result for scripts (--json), indented. */
static void print_json(const json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2));
    if (s)
        printf("%s\n", s);
    free(s);
}

db_t *ctl_open_db(void)
{
    char err[1024];
    db_t *db =
        db_open_once(cfg_get("DB_URL"), cfg_get("DB_PASSWORD"), "approvalctl", err, sizeof(err));
    if (!db)
        fprintf(stderr, "approvalctl: %s\n", err);
    else if (db_exec(db, "SET TIME ZONE 'Asia/Almaty'", 0, NULL) != DB_OK)
        fprintf(stderr, "approvalctl: cannot set the time zone\n");
    return db;
}

static cal_t *open_cal(void)
{
    char err[512];
    cal_t *cal;
    if (cal_load_file(cfg_get("CALENDAR_FILE"), &cal, err, sizeof(err))) {
        fprintf(stderr, "approvalctl: %s\n", err);
        return NULL;
    }
    return cal;
}

/* The calendar and the database, or NULL (with neither open) when one cannot be opened. */
static db_t *open_cal_db(cal_t **cal)
{
    *cal = open_cal();
    db_t *db = *cal ? ctl_open_db() : NULL;
    if (!db) {
        cal_free(*cal);
        *cal = NULL;
    }
    return db;
}

/* Rows of `sql` as a JSON array of objects (every value as text, NULL as null). */
static json_t *rows(db_t *db, const char *sql, int n, const char *const *p)
{
    db_rc_t rc;
    PGresult *r = db_query(db, sql, n, p, &rc);
    if (!r)
        return NULL;
    json_t *out = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *o = json_object();
        for (int c = 0; c < PQnfields(r); c++)
            json_object_set_new(o, PQfname(r, c),
                                PQgetisnull(r, i, c) ? json_null()
                                                     : json_string(PQgetvalue(r, i, c)));
        json_array_append_new(out, o);
    }
    PQclear(r);
    return out;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "-";
}

static time_t epoch(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? (time_t)atoll(s) : 0;
}

static void fmt_time(time_t t, char *buf, size_t size)
{
    if (!t) {
        snprintf(buf, size, "-");
        return;
    }
    char full[40];
    cal_format(t, full, sizeof(full));
    snprintf(buf, size, "%.10s %.5s", full, full + 11);
}

/* Working days used of the term: from registration to the end (or now), and the term. */
static void wd_used(const cal_t *cal, json_t *a, int *used, int *term)
{
    char err[256];
    time_t reg = epoch(a, "registered"), end = epoch(a, "finished");
    if (!end)
        end = clock_now();
    *used = *term = -1;
    if (cal_working_days_between(cal, reg, end, used, err, sizeof(err)))
        *used = -1;
    if (cal_working_days_between(cal, reg, epoch(a, "deadline"), term, err, sizeof(err)))
        *term = -1;
}

int cmd_applications(int argc, char **argv)
{
    int as_json = ctl_has_flag(argc, argv, "--json");
    cal_t *cal;
    db_t *db = open_cal_db(&cal);
    if (!db)
        return 1;
    json_t *apps = rows(db, sql_apps_list, 0, NULL);
    size_t i;
    json_t *a;
    if (!as_json)
        printf("%-20s %-14s %-20s %-16s %-16s %s\n", "application", "kind", "stage", "registered",
               "finished", "WD used / term");
    json_array_foreach(apps, i, a)
    {
        int used, term;
        wd_used(cal, a, &used, &term);
        json_object_set_new(a, "working_days_used", json_integer(used));
        json_object_set_new(a, "term_working_days", json_integer(term));
        if (!as_json) {
            char reg[24], fin[24];
            fmt_time(epoch(a, "registered"), reg, sizeof(reg));
            fmt_time(epoch(a, "finished"), fin, sizeof(fin));
            printf("%-20s %-14s %-20s %-16s %-16s %d / %d%s\n", str(a, "portal_ref"),
                   str(a, "kind"), str(a, "stage"), reg, fin, used, term,
                   used > term ? "  OVER TERM" : "");
        }
    }
    if (as_json) {
        print_json(apps);
    }
    json_decref(apps);
    db_close(db);
    cal_free(cal);
    return 0;
}

int cmd_app(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: approvalctl app APPLICATION_ID|PORTAL_REF [--json]\n");
        return 2;
    }
    int as_json = ctl_has_flag(argc, argv, "--json");
    cal_t *cal;
    db_t *db = open_cal_db(&cal);
    if (!db)
        return 1;
    const char *p[] = {argv[0]};
    json_t *apps = rows(db, sql_app_show, 1, p);
    json_t *app = json_array_get(apps, 0);
    if (!app) {
        fprintf(stderr, "approvalctl app: no application %s\n", argv[0]);
        json_decref(apps);
        db_close(db);
        cal_free(cal);
        return 1;
    }
    const char *pid[] = {str(app, "application_id")};
    json_object_set_new(app, "transitions", rows(db, sql_cmd_app_select_transitions, 1, pid));
    json_object_set_new(app, "agency_requests",
                        rows(db, sql_cmd_app_select_agency_requests, 1, pid));
    json_object_set_new(app, "replies", rows(db, sql_cmd_app_select_agency_replies, 1, pid));
    json_object_set_new(app, "documents", rows(db, sql_cmd_app_select_issued_documents, 1, pid));
    json_object_set_new(app, "incidents", rows(db, sql_cmd_app_select_incidents, 1, pid));
    json_object_set_new(app, "gateway_calls", rows(db, sql_cmd_app_select_gateway_calls, 1, pid));
    json_object_set_new(app, "registry_answers",
                        rows(db, sql_cmd_app_select_registry_answers, 1, pid));
    json_object_set_new(app, "grounds", rows(db, sql_cmd_app_select_grounds, 1, pid));
    json_object_set_new(app, "deadline_changes",
                        rows(db, sql_cmd_app_select_deadline_changes, 1, pid));
    /* The term in a year whose transfers are not yet published may still move (#29). */
    int provisional = cal_provisional(epoch(app, "deadline"));
    json_object_set_new(app, "service_deadline_provisional", json_boolean(provisional));
    int used, term, left = -1;
    wd_used(cal, app, &used, &term);
    char err[256];
    if (!epoch(app, "finished") &&
        cal_working_days_between(cal, clock_now(), epoch(app, "deadline"), &left, err, sizeof(err)))
        left = -1;
    json_object_set_new(app, "working_days_used", json_integer(used));
    json_object_set_new(app, "term_working_days", json_integer(term));
    json_object_set_new(app, "working_days_left", json_integer(left));
    if (as_json) {
        print_json(app);
    } else {
        char reg[24], due[24], chk[24];
        fmt_time(epoch(app, "registered"), reg, sizeof(reg));
        fmt_time(epoch(app, "deadline"), due, sizeof(due));
        fmt_time(epoch(app, "completeness_due"), chk, sizeof(chk));
        printf("%s  %s  (%s)\nkind %s, executor %s\nstage %s\n", str(app, "portal_ref"),
               str(app, "application_id"), str(app, "kind"), str(app, "kind"), str(app, "executor"),
               str(app, "stage"));
        printf("registered %s; completeness and requests by %s; service deadline %s%s\n", reg, chk,
               due, provisional ? " (provisional calendar year: may move)" : "");
        printf("working days used %d of %d", used, term);
        if (left >= 0)
            printf(", %d left", left);
        printf("\n\ntransitions:\n");
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(app, "transitions"), i, t)
            printf("  %s  %s -> %s  (%s)\n", str(t, "at"), str(t, "from_stage"), str(t, "to_stage"),
                   str(t, "cause"));
        printf("agency requests:\n");
        json_array_foreach(json_object_get(app, "agency_requests"), i, t)
            printf("  %-17s %-8s tries %s received %s due %s outcome %s %s\n", str(t, "agency"),
                   str(t, "state"), str(t, "attempts"), str(t, "received_at"),
                   str(t, "reply_due_at"), str(t, "outcome"), str(t, "last_error"));
        printf("replies:\n");
        json_array_foreach(json_object_get(app, "replies"), i, t)
            printf("  %-17s %-13s %s counted %s %s\n", str(t, "agency"), str(t, "verdict"),
                   str(t, "arrived_at"), str(t, "counted"), str(t, "ignored_reason"));
        printf("documents:\n");
        json_array_foreach(json_object_get(app, "documents"), i, t)
            printf("  %-8s %s v%s %s\n", str(t, "kind"), str(t, "number"), str(t, "version"),
                   str(t, "issued_at"));
        printf("incidents:\n");
        json_array_foreach(json_object_get(app, "incidents"), i, t)
            printf("  %s %s: %s\n", str(t, "at"), str(t, "kind"), str(t, "detail"));
        printf("state registries (gateway calls):\n");
        json_array_foreach(json_object_get(app, "gateway_calls"), i, t)
            printf("  %s %-12s %-12s %s %s (%s ms, %s tries) %s\n", str(t, "at"),
                   str(t, "service_id"), str(t, "outcome"), str(t, "code"), str(t, "message"),
                   str(t, "duration_ms"), str(t, "tries"), str(t, "message_id"));
        printf("registry answers:\n");
        json_array_foreach(json_object_get(app, "registry_answers"), i, t)
        {
            printf("  %-12s %s %s\n", str(t, "service_id"), str(t, "at"), str(t, "answer"));
            if (*str(t, "stands_for"))
                printf("  %-12s stands for: %s\n", "", str(t, "stands_for"));
        }
        printf("grounds:\n");
        json_array_foreach(json_object_get(app, "grounds"), i, t)
            printf("  %s (%s): %s\n", str(t, "code"), str(t, "rule"), str(t, "text_ru"));
        printf("deadline changes (working calendar):\n");
        json_array_foreach(json_object_get(app, "deadline_changes"), i, t)
            printf("  %-17s %s -> %s%s  calendar v%s: %s\n", str(t, "deadline"), str(t, "old_due"),
                   str(t, "new_due"), strcmp(str(t, "past"), "t") == 0 ? " (due at once)" : "",
                   str(t, "calendar_version"), str(t, "act"));
    }
    json_decref(apps);
    db_close(db);
    cal_free(cal);
    return 0;
}

int cmd_at_risk(int argc, char **argv)
{
    const char *w = ctl_option(argc, argv, "--within");
    int within = w ? atoi(w) : 2;
    int as_json = ctl_has_flag(argc, argv, "--json");
    cal_t *cal;
    db_t *db = open_cal_db(&cal);
    if (!db)
        return 1;
    json_t *out = json_array();
    json_t *apps = rows(db, sql_cmd_at_risk_select_applications, 0, NULL);
    time_t now = clock_now();
    size_t i;
    json_t *a;
    json_array_foreach(apps, i, a)
    {
        int left = 0;
        char err[256];
        if (cal_working_days_between(cal, now, epoch(a, "due"), &left, err, sizeof(err)))
            continue;
        if (left > within)
            continue;
        char due[24];
        fmt_time(epoch(a, "due"), due, sizeof(due));
        json_object_set_new(a, "working_days_left", json_integer(left));
        json_object_set_new(a, "overdue", json_boolean(epoch(a, "due") < now));
        json_array_append(out, a);
        if (!as_json)
            printf("%-18s %-20s %-18s due %s  %d WD left%s\n", str(a, "deadline"),
                   str(a, "portal_ref"), str(a, "stage"), due, left,
                   epoch(a, "due") < now ? "  OVERDUE" : "");
    }
    if (as_json) {
        print_json(out);
    } else if (json_array_size(out) == 0) {
        printf("nothing within %d working day%s\n", within, within == 1 ? "" : "s");
    }
    json_decref(out);
    json_decref(apps);
    db_close(db);
    cal_free(cal);
    return 0;
}

static int replayed, replay_failed;

static void replay_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        replay_failed++;
    else
        replayed++;
}

int cmd_dead_letters(int argc, char **argv)
{
    db_t *db = ctl_open_db();
    if (!db)
        return 1;
    int rc = 0;
    if (argc >= 2 && strcmp(argv[0], "replay") == 0) {
        /* ID or FROM-TO: the original bytes back to their source topic with their key. */
        long long from = atoll(argv[1]), to = from;
        const char *dash = strchr(argv[1], '-');
        if (dash)
            to = atoll(dash + 1);
        char fs[24], ts[24];
        snprintf(fs, sizeof(fs), "%lld", from);
        snprintf(ts, sizeof(ts), "%lld", to);
        const char *p[] = {fs, ts};
        db_rc_t drc;
        PGresult *r = db_query(db, sql_cmd_dead_letters_select_dead_letters, 2, p, &drc);
        char err[512];
        /* The whole original goes back, however large: the producer's limit is raised to
         * the largest of them (the source topic's own limit still applies). */
        size_t largest = 0;
        for (int i = 0; r && i < PQntuples(r); i++)
            if ((size_t)PQgetlength(r, i, 3) / 2 + (size_t)PQgetlength(r, i, 2) / 2 > largest)
                largest = (size_t)PQgetlength(r, i, 3) / 2 + (size_t)PQgetlength(r, i, 2) / 2;
        if ((long)largest + 4096 > kq_producer_max_bytes()) {
            char v[24];
            snprintf(v, sizeof(v), "%zu", largest + 4096);
            setenv("KAFKA_MESSAGE_MAX_BYTES", v, 1);
        }
        rd_kafka_t *rk = r ? kq_producer_new(replay_dr, NULL, err, sizeof(err)) : NULL;
        if (!rk) {
            fprintf(stderr, "approvalctl dead-letters replay: %s\n", r ? err : "query failed");
            PQclear(r);
            db_close(db);
            return 1;
        }
        for (int i = 0; i < PQntuples(r); i++) {
            size_t klen = 0, vlen = 0;
            unsigned char *key = PQgetisnull(r, i, 2)
                                     ? NULL
                                     : PQunescapeBytea((unsigned char *)PQgetvalue(r, i, 2), &klen);
            unsigned char *val = PQunescapeBytea((unsigned char *)PQgetvalue(r, i, 3), &vlen);
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(PQgetvalue(r, i, 1)), RD_KAFKA_V_KEY(key, klen),
                              RD_KAFKA_V_VALUE(val, vlen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_END);
            PQfreemem(key);
            PQfreemem(val);
        }
        int n = PQntuples(r);
        PQclear(r);
        rd_kafka_flush(rk, 30000);
        rd_kafka_destroy(rk);
        if (replayed == n && replay_failed == 0)
            db_exec(db, "UPDATE dead_letters SET replayed_at = now() WHERE id BETWEEN $1 AND $2", 2,
                    p);
        printf("%d dead letter%s replayed to their source topics%s\n", replayed,
               replayed == 1 ? "" : "s", replay_failed ? " (some failed)" : "");
        rc = replay_failed || replayed != n ? 1 : 0;
    } else {
        int as_json = ctl_has_flag(argc, argv, "--json");
        json_t *list = rows(db, sql_cmd_dead_letters_select_dead_letters_2, 0, NULL);
        if (as_json) {
            print_json(list);
        } else {
            size_t i;
            json_t *d;
            json_array_foreach(list, i, d)
                printf("%-5s %s/%s@%s  %s%s\n   %s\n", str(d, "id"), str(d, "topic"),
                       str(d, "partition"), str(d, "offset"), str(d, "at"),
                       json_is_null(json_object_get(d, "replayed_at")) ? "" : "  (replayed)",
                       str(d, "reason"));
        }
        json_decref(list);
    }
    db_close(db);
    return rc;
}

/* `approvalctl outbox`: the rows the relay set aside (Kafka refused them for good), and
 * what an operator does with one: release it (published again; its key's later rows follow)
 * or discard it (never published; its key's later rows go on without it). */
int cmd_outbox(int argc, char **argv)
{
    db_t *db = ctl_open_db();
    if (!db)
        return 1;
    int rc = 0;
    if (argc >= 2 && (strcmp(argv[0], "release") == 0 || strcmp(argv[0], "discard") == 0)) {
        int release = strcmp(argv[0], "release") == 0;
        const char *p[] = {argv[1]};
        db_rc_t drc;
        PGresult *r =
            db_query(db, release ? sql_cmd_outbox_update_outbox : sql_cmd_outbox_update_outbox_2, 1,
                     p, &drc);
        int n = r ? PQntuples(r) : 0;
        PQclear(r);
        if (n == 1) {
            /* The incident is over either way; the relay is woken for the rows behind it. */
            db_exec(db, sql_cmd_outbox_update_incidents, 1, p);
            db_exec(db, "SELECT pg_notify('lic_outbox', '')", 0, NULL);
            printf("outbox row %s %s\n", argv[1], release ? "released" : "discarded");
        } else {
            fprintf(stderr, "approvalctl outbox %s: no set-aside row %s\n", argv[0], argv[1]);
            rc = 1;
        }
    } else if (argc == 0 || strcmp(argv[0], "--json") == 0) {
        int as_json = ctl_has_flag(argc, argv, "--json");
        json_t *list = rows(db, sql_cmd_outbox_select_outbox, 0, NULL);
        if (as_json) {
            print_json(list);
        } else if (json_array_size(list) == 0) {
            printf("no outbox row is set aside\n");
        } else {
            size_t i;
            json_t *d;
            json_array_foreach(list, i, d)
                printf("%-8s %s key %s %s, %s bytes, set aside %s, %s waiting behind it\n   %s\n",
                       str(d, "id"), str(d, "topic"), str(d, "key"), str(d, "stage"),
                       str(d, "bytes"), str(d, "set_aside_at"), str(d, "waiting"), str(d, "error"));
        }
        json_decref(list);
    } else {
        fprintf(stderr, "usage: approvalctl outbox [--json] | release ID | discard ID\n");
        rc = 2;
    }
    db_close(db);
    return rc;
}
