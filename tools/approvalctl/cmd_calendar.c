/* approvalctl calendar: working days and the deadlines of the Rules, for people and scripts. */
#include "approvalctl.h"
#include "cal.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "recal.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *kind_name(cal_day_kind_t k)
{
    switch (k) {
    case CAL_DAY_WORKING:
        return "working";
    case CAL_DAY_WEEKEND:
        return "weekend";
    case CAL_DAY_HOLIDAY:
        return "holiday";
    case CAL_DAY_CARRIED:
        return "carried_over";
    case CAL_DAY_TRANSFER_OFF:
        return "transfer_day_off";
    case CAL_DAY_TRANSFER_WORKING:
        return "transfer_working_day";
    }
    return "?";
}

static void emit(json_t *o)
{
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(s);
    free(s);
    json_decref(o);
}

static void add_time(json_t *o, const char *key, time_t t)
{
    char ts[40];
    cal_format(t, ts, sizeof(ts));
    json_object_set_new(o, key, json_string(ts));
}

static int read_cal(const char *cmd, const char *path, cal_t **cal, json_t **data)
{
    char err[512];
    if (cal_read_file(path, cal, data, err, sizeof(err)) == 0)
        return 0;
    fprintf(stderr, "approvalctl calendar %s: refused, %s\n", cmd, err);
    return -1;
}

static void day_text(const cal_t *cal, cal_date_t d, char *out, size_t size)
{
    cal_day_info_t info;
    char err[256];
    if (cal_day_info(cal, d, &info, err, sizeof(err)))
        snprintf(out, size, "?");
    else
        snprintf(out, size, "%s", info.why);
}

/* `calendar diff OLD NEW`: the days whose status differs and, when the database answers, how
 * many pending deadlines each would move (recal_move's dry run: nothing is written). */
static int calendar_diff(const char *old_path, const char *new_path, int as_json)
{
    cal_t *a = NULL, *b = NULL;
    int rc = 1;
    if (read_cal("diff", old_path, &a, NULL) || read_cal("diff", new_path, &b, NULL))
        goto out;
    cal_date_t *days;
    int n;
    if (recal_changed_days(a, b, &days, &n)) {
        fprintf(stderr, "approvalctl calendar diff: out of memory\n");
        goto out;
    }
    json_t *per_day = json_object();
    recal_stats_t st = {0};
    db_t *db = n > 0 ? ctl_open_db() : NULL;
    int counted = 0;
    if (db) {
        counted =
            recal_move(db, a, b, 0, "", "", clock_now(), RECAL_DRY_RUN, per_day, &st) == DB_OK;
        if (!counted)
            fprintf(stderr, "approvalctl calendar diff: cannot count deadlines: %s\n",
                    db_last_error(db));
        db_close(db);
    }
    json_t *o = json_object(), *list = json_array();
    for (int i = 0; i < n; i++) {
        char date[16], was[320], now_s[320];
        snprintf(date, sizeof(date), "%04d-%02d-%02d", days[i].y, days[i].m, days[i].d);
        day_text(a, days[i], was, sizeof(was));
        day_text(b, days[i], now_s, sizeof(now_s));
        json_t *e = json_pack("{s:s,s:s,s:s}", "date", date, "old", was, "new", now_s);
        json_t *c = json_object_get(per_day, date);
        if (counted)
            json_object_set_new(e, "deadlines_moved", json_integer(json_integer_value(c)));
        json_array_append_new(list, e);
        if (!as_json) {
            char cnt[32] = "";
            if (counted)
                snprintf(cnt, sizeof(cnt), "  %lld deadline%s", (long long)json_integer_value(c),
                         json_integer_value(c) == 1 ? "" : "s");
            printf("%s  %s -> %s%s\n", date, was, now_s, cnt);
        }
    }
    json_object_set_new(o, "changed_days", list);
    if (counted)
        json_object_set_new(o, "deadlines_moved", json_integer(st.moved));
    if (as_json)
        emit(o);
    else {
        if (n == 0)
            printf("no day differs\n");
        else if (counted)
            printf("%ld pending deadline%s would move (%ld of them due at once)\n", st.moved,
                   st.moved == 1 ? "" : "s", st.past);
        else
            printf("pending deadlines not counted: no database\n");
        json_decref(o);
    }
    json_decref(per_day);
    free(days);
    rc = 0;
out:
    cal_free(a);
    cal_free(b);
    return rc;
}

/* Writes `data` over `path` through a file beside it, so a worker reloading meanwhile reads
 * the old calendar or the new, never half of one. */
static int install(const json_t *data, const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
    if (json_dump_file(data, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
        rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* `calendar apply FILE`: validated, installed as LIC_CALENDAR_FILE, and the stored deadlines
 * it changes moved now (recal_apply); the workers then reload it on SIGHUP, and a timer worker
 * finds it in force. Installed first: a timer worker starting meanwhile must not take the old
 * file for a change. */
static int calendar_apply(const char *path, int as_json)
{
    cal_t *cal = NULL;
    json_t *data = NULL;
    if (read_cal("apply", path, &cal, &data))
        return 1;
    int rc = 1;
    const char *target = cfg_get("CALENDAR_FILE");
    char rp1[4096], rp2[4096];
    int same = realpath(path, rp1) && realpath(target, rp2) && strcmp(rp1, rp2) == 0;
    db_t *db = ctl_open_db();
    if (!db)
        goto out;
    if (!same && install(data, target)) {
        fprintf(stderr, "approvalctl calendar apply: cannot write %s\n", target);
        goto out;
    }
    recal_stats_t st;
    char err[512];
    int r = recal_apply(db, cal, data, "approvalctl", "/licensing/approvalctl", clock_now(), &st,
                        err, sizeof(err));
    if (r == 1) {
        fprintf(stderr, "approvalctl calendar apply: a timer worker is applying a calendar; "
                        "installed, it will apply this one - run again to see it in force\n");
        rc = 3;
        goto out;
    }
    if (r < 0) {
        fprintf(stderr,
                "approvalctl calendar apply: %s (installed; a timer worker applies it "
                "when it reloads)\n",
                err);
        goto out;
    }
    if (as_json)
        emit(json_pack("{s:i,s:i,s:I,s:I,s:I}", "calendar_version", st.version, "changed_days",
                       st.changed_days, "looked_at", (json_int_t)st.looked_at, "moved",
                       (json_int_t)st.moved, "due_at_once", (json_int_t)st.past));
    else
        printf("calendar version %d in force: %d changed day%s, %ld deadline%s moved (%ld due at "
               "once)\nreload the workers: systemctl reload 'licensing-worker@*' (SIGHUP)\n",
               st.version, st.changed_days, st.changed_days == 1 ? "" : "s", st.moved,
               st.moved == 1 ? "" : "s", st.past);
    rc = 0;
out:
    db_close(db);
    cal_free(cal);
    json_decref(data);
    return rc;
}

int cmd_calendar(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: approvalctl calendar day|deadlines|add|years|diff|apply ...\n");
        return 2;
    }
    int as_json = ctl_has_flag(argc, argv, "--json");
    if (strcmp(argv[0], "diff") == 0 && argc >= 3)
        return calendar_diff(argv[1], argv[2], as_json);
    if (strcmp(argv[0], "apply") == 0 && argc >= 2)
        return calendar_apply(argv[1], as_json);
    char err[512];
    cal_t *cal;
    if (cal_load_file(cfg_get("CALENDAR_FILE"), &cal, err, sizeof(err))) {
        fprintf(stderr, "approvalctl calendar: %s\n", err);
        return 1;
    }
    int rc = 0;
    if (strcmp(argv[0], "years") == 0) {
        int first, last;
        cal_years(cal, &first, &last);
        json_t *o = json_object();
        json_t *years = json_array();
        for (int y = first; y <= last; y++) {
            json_array_append_new(
                years, json_pack("{s:i,s:s}", "year", y, "status", cal_year_status(cal, y)));
            if (!as_json)
                printf("%d  %s\n", y, cal_year_status(cal, y));
        }
        json_object_set_new(o, "years", years);
        if (as_json)
            emit(o);
        else
            json_decref(o);
    } else if (strcmp(argv[0], "day") == 0 && argc >= 2) {
        cal_date_t d;
        cal_day_info_t info;
        if (cal_parse_date(argv[1], &d)) {
            fprintf(stderr, "approvalctl calendar day: YYYY-MM-DD\n");
            rc = 2;
        } else if (cal_day_info(cal, d, &info, err, sizeof(err))) {
            fprintf(stderr, "approvalctl calendar day: %s\n", err);
            rc = 1;
        } else if (as_json) {
            emit(json_pack("{s:s,s:b,s:s,s:s,s:s}", "date", argv[1], "working_day", info.working,
                           "kind", kind_name(info.kind), "why", info.why, "year_status",
                           cal_year_status(cal, d.y)));
        } else {
            printf("%s: %s - %s\n", argv[1], info.working ? "working day" : "day off", info.why);
        }
    } else if (strcmp(argv[0], "deadlines") == 0) {
        const char *kind = ctl_option(argc, argv, "--kind");
        const char *at = ctl_option(argc, argv, "--submitted-at");
        time_t submitted;
        cal_deadlines_t dl;
        if (!kind || !at || util_rfc3339_parse(at, &submitted) || cal_term_wd(kind) < 0) {
            fprintf(stderr, "usage: approvalctl calendar deadlines --kind "
                            "issue|reissue|reissue_split --submitted-at RFC3339 [--json]\n");
            rc = 2;
        } else if (cal_deadlines(cal, kind, submitted, &dl, err, sizeof(err))) {
            fprintf(stderr, "approvalctl calendar deadlines: %s\n", err);
            rc = 1;
        } else {
            char term_rule[64];
            snprintf(term_rule, sizeof(term_rule), "¶7: %d WD from registration", dl.term_wd);
            json_t *o = json_object();
            json_object_set_new(o, "kind", json_string(kind));
            add_time(o, "submitted_at", submitted);
            add_time(o, "registered_at", dl.registered_at);
            add_time(o, "completeness_due", dl.completeness_due);
            add_time(o, "service_deadline", dl.service_deadline);
            add_time(o, "hearing_notice_latest", dl.notice_latest);
            add_time(o, "hearing_latest", dl.hearing_latest);
            json_object_set_new(o, "term_working_days", json_integer(dl.term_wd));
            json_object_set_new(
                o, "rules",
                json_pack("{s:s,s:s,s:s,s:s,s:s}", "registered_at",
                          "¶8: within 09:00-18:30 of a working day, else 09:00 of the next "
                          "working day",
                          "completeness_due", "¶9, ¶11: 2 WD from registration", "service_deadline",
                          term_rule, "hearing_notice_latest",
                          "¶13: 3 WD before the service deadline", "hearing_latest",
                          "¶13: 2 WD after the notice"));
            if (as_json) {
                emit(o);
            } else {
                const char *keys[] = {"submitted_at",          "registered_at",
                                      "completeness_due",      "service_deadline",
                                      "hearing_notice_latest", "hearing_latest"};
                json_t *rules = json_object_get(o, "rules");
                for (int i = 0; i < 6; i++) {
                    const char *rule = json_string_value(json_object_get(rules, keys[i]));
                    printf("%-22s %s%s%s\n", keys[i],
                           json_string_value(json_object_get(o, keys[i])), rule ? "  " : "",
                           rule ? rule : "");
                }
                json_decref(o);
            }
        }
    } else if (strcmp(argv[0], "add") == 0) {
        const char *from = ctl_option(argc, argv, "--from");
        const char *wd = ctl_option(argc, argv, "--working-days");
        time_t t, due;
        if (!from || !wd || util_rfc3339_parse(from, &t) || atoi(wd) < 1) {
            fprintf(stderr, "usage: approvalctl calendar add --from RFC3339 --working-days N "
                            "[--json]\n");
            rc = 2;
        } else if (cal_add_working_days(cal, t, atoi(wd), &due, err, sizeof(err))) {
            fprintf(stderr, "approvalctl calendar add: %s\n", err);
            rc = 1;
        } else {
            json_t *o = json_object();
            add_time(o, "from", t);
            json_object_set_new(o, "working_days", json_integer(atoi(wd)));
            add_time(o, "due", due);
            if (as_json) {
                emit(o);
            } else {
                printf("%s\n", json_string_value(json_object_get(o, "due")));
                json_decref(o);
            }
        }
    } else {
        fprintf(stderr, "usage: approvalctl calendar day|deadlines|add|years|diff|apply ...\n");
        rc = 2;
    }
    cal_free(cal);
    return rc;
}
