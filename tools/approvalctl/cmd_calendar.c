/* approvalctl calendar: working days and the deadlines of the Rules, for people and scripts. */
#include "approvalctl.h"
#include "cal.h"
#include "config.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cmd_calendar(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: approvalctl calendar day|deadlines|add|years ...\n");
        return 2;
    }
    int as_json = ctl_has_flag(argc, argv, "--json");
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
        fprintf(stderr, "usage: approvalctl calendar day|deadlines|add|years ...\n");
        rc = 2;
    }
    cal_free(cal);
    return rc;
}
