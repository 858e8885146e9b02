/* cal: the Kazakh working calendar and every deadline of the Rules (Order No. 335).
 * Fixed rules (five-day week, working hours 09:00-18:30, carry-over of holidays falling on a
 * weekend) live here; what acts of government set year by year (holidays with the years they
 * apply, Kurban Ait, decree transfers, which years are covered and whether confirmed) is data
 * loaded from a JSON file (deploy/calendar/kz.json), reloadable without a rebuild.
 * All moments are time_t (UTC seconds); days are civil dates in Asia/Almaty. */
#ifndef LIC_CAL_H
#define LIC_CAL_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

typedef struct cal cal_t;

typedef struct {
    int y, m, d;
} cal_date_t;

typedef enum {
    CAL_DAY_WORKING = 0,
    CAL_DAY_WEEKEND,
    CAL_DAY_HOLIDAY,         /* a holiday that is a day off on its own date */
    CAL_DAY_CARRIED,         /* day off carried over from a holiday on a weekend */
    CAL_DAY_TRANSFER_OFF,    /* a weekday made a day off by a decree transfer */
    CAL_DAY_TRANSFER_WORKING /* a weekend day made a working day by a decree transfer */
} cal_day_kind_t;

typedef struct {
    int working;         /* 1 working day, 0 day off */
    cal_day_kind_t kind; /* why */
    char why[256];       /* readable reason, e.g. "carried over from 2026-03-22 (Nauryz)" */
} cal_day_info_t;

/* The hearing's local time of day: the office's choice (¶13 sets only its latest day). */
enum { CAL_HEARING_HOUR = 11, CAL_HEARING_MINUTE = 0 };

/* Statutory periods in working days (PROCESS.md). */
enum {
    CAL_TERM_ISSUE_WD = 15,           /* ¶7, Standard row 3 */
    CAL_TERM_REISSUE_WD = 3,          /* ¶7 */
    CAL_TERM_REISSUE_SPLIT_WD = 15,   /* ¶7 */
    CAL_COMPLETENESS_WD = 2,          /* ¶9, ¶11 */
    CAL_AGENCY_REPLY_WD = 10,         /* ¶12 */
    CAL_RESULT_WD = 1,                /* ¶13 */
    CAL_NOTICE_BEFORE_END_WD = 3,     /* ¶13: notice at least 3 WD before the term ends */
    CAL_HEARING_AFTER_NOTICE_WD = 2,  /* ¶13 */
    CAL_HEARING_OUTCOME_WD = 1,       /* ¶13: its outcome a WD after the hearing, or an alert */
    CAL_COMPLAINT_FORWARD_WD = 3,     /* ¶15 */
    CAL_COMPLAINT_PROVIDER_WD = 5,    /* ¶15 */
    CAL_COMPLAINT_AUTHORIZED_WD = 15, /* ¶15 */
    CAL_AT_RISK_BEFORE_WD = 1         /* CONTRACT.md: deadline_at_risk a WD before a term ends */
};

/* Loads calendar data from a JSON file or a parsed document (borrowed). Returns 0 and a new
 * calendar the caller frees with cal_free(), or -1 with errstr filled. */
int cal_load_file(const char *path, cal_t **out, char *errstr, size_t errstr_size);
/* As cal_load_file(), and the file's JSON in *data when not NULL (the caller decrefs it). */
int cal_read_file(const char *path, cal_t **out, json_t **data, char *errstr, size_t errstr_size);
/* 1 when `t` falls in a year that the calendar file this process loaded last has as
 * provisional (its transfers not yet published): deadlines there may still move. */
int cal_provisional(time_t t);
int cal_load_json(const json_t *root, cal_t **out, char *errstr, size_t errstr_size);
void cal_free(cal_t *cal);
/* SIGHUP: loads `path` into a new calendar and swaps it into *cal, or keeps the calendar in
 * use when the file is invalid. Logs either way. 0 reloaded, -1 kept. */
int cal_reload(cal_t **cal, const char *path);
/* As cal_reload(), swapping the file's JSON into *data too (the timer keeps it, recal.c). */
int cal_reload_data(cal_t **cal, json_t **data, const char *path);

/* First and last covered year. */
void cal_years(const cal_t *cal, int *first, int *last);
/* "confirmed" or "provisional" for a covered year, NULL otherwise. Borrowed. */
const char *cal_year_status(const cal_t *cal, int year);

/* Describes one date. -1 (errstr filled) when the date is outside the covered years. */
int cal_day_info(const cal_t *cal, cal_date_t date, cal_day_info_t *info, char *errstr,
                 size_t errstr_size);

/* ¶8: the registration moment of something that arrived at `arrived`: that moment if within
 * working hours (09:00 <= t < 18:30) of a working day; 09:00 of the same day if earlier on a
 * working day; otherwise 09:00 of the next working day. */
int cal_registration_moment(const cal_t *cal, time_t arrived, time_t *out, char *errstr,
                            size_t errstr_size);

/* The end (18:30) of the n-th working day after the day of `from` (that day not counted),
 * n >= 1. */
int cal_add_working_days(const cal_t *cal, time_t from, int n, time_t *out, char *errstr,
                         size_t errstr_size);

/* ¶13: the hearing fixed from the moment its notice goes out - at CAL_HEARING_HOUR of the
 * CAL_HEARING_AFTER_NOTICE_WD-th working day after `notice_at` - and when its outcome is due
 * (CAL_HEARING_OUTCOME_WD after it). 0, or -1 with errstr. */
int cal_hearing_times(const cal_t *cal, time_t notice_at, time_t *hearing_at, time_t *outcome_due,
                      char *errstr, size_t errstr_size);

/* The end (18:30) of the n-th working day before the day of `deadline`, n >= 1: the latest
 * moment that still leaves n whole working days before the deadline's day ends. */
int cal_sub_working_days(const cal_t *cal, time_t deadline, int n, time_t *out, char *errstr,
                         size_t errstr_size);

/* Working days d with day(from) < d <= day(to); negative when `to` is before `from`. */
int cal_working_days_between(const cal_t *cal, time_t from, time_t to, int *out, char *errstr,
                             size_t errstr_size);

/* The service term in working days for an application kind ("issue", "reissue",
 * "reissue_split"); -1 for an unknown kind. */
int cal_term_wd(const char *kind);

/* Every deadline PROCESS.md sets for a submission, with the rule that produced it. */
typedef struct {
    time_t registered_at;    /* ¶8 */
    time_t completeness_due; /* ¶9, ¶11: 2 WD from registration */
    time_t service_deadline; /* ¶7: 15 / 3 / 15 WD from registration */
    time_t notice_latest;    /* ¶13: 3 WD before the service deadline */
    time_t hearing_latest;   /* ¶13: 2 WD after a notice sent at notice_latest */
    time_t term_at_risk;     /* 1 WD before the service deadline: see cal_term_look() */
    int term_wd;
} cal_deadlines_t;

int cal_deadlines(const cal_t *cal, const char *kind, time_t submitted_at, cal_deadlines_t *out,
                  char *errstr, size_t errstr_size);

/* What the watch of a service term (¶7) sees at `now`, the term ending at `deadline`. */
typedef enum {
    CAL_TERM_QUIET,   /* before its at-risk moment: *next is that moment */
    CAL_TERM_AT_RISK, /* from the end of the working day before the term's last day: *next is
                         the deadline */
    CAL_TERM_BREACHED /* the deadline has passed: *next is 0, nothing more to watch */
} cal_term_state_t;

int cal_term_look(const cal_t *cal, time_t deadline, time_t now, cal_term_state_t *state,
                  time_t *next, char *errstr, size_t errstr_size);

/* Local (Asia/Almaty) civil date of a moment, and a moment from a local date and time. */
cal_date_t cal_local_date(time_t t);
time_t cal_local_time(cal_date_t date, int hour, int minute);

/* Formats `t` as RFC 3339 in Asia/Almaty with its offset, e.g. 2026-03-20T18:30:00+05:00.
 * buf needs 26 bytes. */
void cal_format(time_t t, char *buf, size_t size);

/* Parses YYYY-MM-DD; 0 or -1. */
int cal_parse_date(const char *s, cal_date_t *out);

#endif
