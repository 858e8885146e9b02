/* cal: working-day arithmetic over a per-year table of days off built from the data file. */
#include "cal.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAL_MAX_YEARS 64
#define CAL_WORK_START_MIN (9 * 60)     /* Standard row 7: 09:00 */
#define CAL_WORK_END_MIN (18 * 60 + 30) /* Standard row 7: 18:30 */

typedef struct {
    unsigned char kind; /* cal_day_kind_t */
    short name_idx;     /* index into the year's names, -1 none */
    long carried_from;  /* day number of the holiday carried over, or 0 */
} day_t;

typedef struct {
    int year;
    char status[16];
    day_t days[366];
    char names[48][128]; /* holiday names and acts referenced by days */
    int name_cnt;
} year_t;

struct cal {
    int first_year, last_year;
    year_t *years; /* last_year - first_year + 1 entries, contiguous */
};

/* ---- civil date arithmetic (proleptic Gregorian, Howard Hinnant's algorithms) ---- */

static cal_date_t civil_from_days(long z)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp + (mp < 10 ? 3 : -9);
    cal_date_t out = {(int)(y + (m <= 2)), (int)m, (int)d};
    return out;
}

static long dnum(cal_date_t d)
{
    return util_days_from_civil(d.y, d.m, d.d);
}

/* 0 Sunday .. 6 Saturday; 1970-01-01 was a Thursday. */
static int weekday(long dn)
{
    long w = (dn + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static int is_weekend(long dn)
{
    int w = weekday(dn);
    return w == 0 || w == 6;
}

static int valid_date(cal_date_t d)
{
    if (d.m < 1 || d.m > 12 || d.d < 1 || d.d > 31)
        return 0;
    cal_date_t back = civil_from_days(dnum(d));
    return back.y == d.y && back.m == d.m && back.d == d.d;
}

int cal_parse_date(const char *s, cal_date_t *out)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return -1;
    cal_date_t dt = {y, m, d};
    if (!valid_date(dt))
        return -1;
    *out = dt;
    return 0;
}

cal_date_t cal_local_date(time_t t)
{
    clock_tz_init();
    struct tm tm;
    localtime_r(&t, &tm);
    cal_date_t d = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
    return d;
}

static int local_minutes(time_t t)
{
    struct tm tm;
    localtime_r(&t, &tm);
    return tm.tm_hour * 60 + tm.tm_min;
}

time_t cal_local_time(cal_date_t date, int hour, int minute)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = date.y - 1900;
    tm.tm_mon = date.m - 1;
    tm.tm_mday = date.d;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_isdst = -1;
    return mktime(&tm);
}

void cal_format(time_t t, char *buf, size_t size)
{
    /* A batch formats the same instant (its `now`) for every event: the last one is kept. */
    static _Thread_local int have_last;
    static _Thread_local time_t last_t;
    static _Thread_local char last_s[80];
    if (have_last && t == last_t) {
        snprintf(buf, size, "%s", last_s);
        return;
    }
    clock_tz_init(); /* every process formats in Asia/Almaty, whatever else it loaded */
    struct tm tm;
    localtime_r(&t, &tm);
    long off = tm.tm_gmtoff;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    char base[32];
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(last_s, sizeof(last_s), "%s%c%02ld:%02ld", base, sign, off / 3600, (off % 3600) / 60);
    last_t = t;
    have_last = 1;
    snprintf(buf, size, "%s", last_s);
}

/* ---- loading ---- */

static const char *get_str(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int add_name(year_t *yr, const char *name)
{
    for (int i = 0; i < yr->name_cnt; i++)
        if (strcmp(yr->names[i], name) == 0)
            return i;
    if (yr->name_cnt >= 48)
        return -1;
    snprintf(yr->names[yr->name_cnt], sizeof(yr->names[0]), "%s", name);
    return yr->name_cnt++;
}

typedef struct {
    long dn;
    int carry;
    int name_idx;
} holiday_t;

static int cmp_holiday(const void *a, const void *b)
{
    long x = ((const holiday_t *)a)->dn, y = ((const holiday_t *)b)->dn;
    return (x > y) - (x < y);
}

static int build_year(year_t *yr, int year, const json_t *holidays, const json_t *ydata,
                      char *errstr, size_t errstr_size)
{
    long jan1 = util_days_from_civil(year, 1, 1);
    long ndays = util_days_from_civil(year + 1, 1, 1) - jan1;
    yr->year = year;
    const char *status = get_str(ydata, "status");
    if (!status || (strcmp(status, "confirmed") != 0 && strcmp(status, "provisional") != 0)) {
        snprintf(errstr, errstr_size, "year %d: status must be confirmed or provisional", year);
        return -1;
    }
    snprintf(yr->status, sizeof(yr->status), "%s", status);
    for (long i = 0; i < 366; i++) {
        yr->days[i].kind = (i < ndays && is_weekend(jan1 + i)) ? CAL_DAY_WEEKEND : CAL_DAY_WORKING;
        yr->days[i].name_idx = -1;
        yr->days[i].carried_from = 0;
    }

    holiday_t hol[64];
    int nh = 0;
    size_t i;
    const json_t *h;
    json_array_foreach(holidays, i, h)
    {
        const char *name = get_str(h, "name");
        json_int_t month = json_integer_value(json_object_get(h, "month"));
        json_int_t day = json_integer_value(json_object_get(h, "day"));
        const json_t *from = json_object_get(h, "from_year");
        const json_t *to = json_object_get(h, "to_year");
        if (!name || month < 1 || month > 12 || day < 1 || day > 31) {
            snprintf(errstr, errstr_size, "holiday %zu: needs name, month, day", i);
            return -1;
        }
        if (json_is_integer(from) && year < json_integer_value(from))
            continue;
        if (json_is_integer(to) && year > json_integer_value(to))
            continue;
        if (nh >= 64)
            break;
        hol[nh].dn = util_days_from_civil(year, (int)month, (int)day);
        hol[nh].carry = json_is_true(json_object_get(h, "carry_over"));
        hol[nh].name_idx = add_name(yr, name);
        nh++;
    }
    const char *kurban = get_str(ydata, "kurban_ait");
    cal_date_t kd;
    if (!kurban || cal_parse_date(kurban, &kd) || kd.y != year) {
        snprintf(errstr, errstr_size, "year %d: kurban_ait must be a date in that year", year);
        return -1;
    }
    if (nh < 64) {
        /* The religious holidays are not carried over (Labour Code art. 84 p. 2). */
        hol[nh].dn = dnum(kd);
        hol[nh].carry = 0;
        hol[nh].name_idx = add_name(yr, "Kurban Ait, first day");
        nh++;
    }
    const json_t *extras = json_object_get(ydata, "extra_holidays");
    json_array_foreach(extras, i, h)
    {
        cal_date_t ed;
        const char *date = get_str(h, "date");
        const char *name = get_str(h, "name");
        if (!date || !name || cal_parse_date(date, &ed) || ed.y != year) {
            snprintf(errstr, errstr_size, "year %d: extra_holidays[%zu] needs date, name", year, i);
            return -1;
        }
        if (nh >= 64)
            break;
        hol[nh].dn = dnum(ed);
        hol[nh].carry = json_is_true(json_object_get(h, "carry_over"));
        hol[nh].name_idx = add_name(yr, name);
        nh++;
    }
    qsort(hol, (size_t)nh, sizeof(hol[0]), cmp_holiday);
    for (int k = 0; k < nh; k++) {
        day_t *d = &yr->days[hol[k].dn - jan1];
        d->kind = CAL_DAY_HOLIDAY;
        d->name_idx = (short)hol[k].name_idx;
    }
    /* Carry-over (Labour Code art. 85 p. 2): a holiday on a Saturday or Sunday moves the day
     * off to the next working day; several such holidays to as many following days. */
    for (int k = 0; k < nh; k++) {
        if (!hol[k].carry || !is_weekend(hol[k].dn))
            continue;
        long t = hol[k].dn + 1;
        while (t - jan1 < ndays && yr->days[t - jan1].kind != CAL_DAY_WORKING)
            t++;
        if (t - jan1 >= ndays) {
            snprintf(errstr, errstr_size, "year %d: carry-over runs past the year's end", year);
            return -1;
        }
        yr->days[t - jan1].kind = CAL_DAY_CARRIED;
        yr->days[t - jan1].name_idx = (short)hol[k].name_idx;
        yr->days[t - jan1].carried_from = hol[k].dn;
    }
    /* Transfers by government decree (Labour Code art. 85 p. 3) override the rules. */
    const json_t *transfers = json_object_get(ydata, "transfers");
    json_array_foreach(transfers, i, h)
    {
        cal_date_t td;
        const char *date = get_str(h, "date");
        const char *act = get_str(h, "act");
        const json_t *works = json_object_get(h, "working");
        if (!date || !act || !json_is_boolean(works) || cal_parse_date(date, &td) || td.y != year) {
            snprintf(errstr, errstr_size, "year %d: transfers[%zu] needs date, working, act", year,
                     i);
            return -1;
        }
        day_t *d = &yr->days[dnum(td) - jan1];
        d->kind = json_is_true(works) ? CAL_DAY_TRANSFER_WORKING : CAL_DAY_TRANSFER_OFF;
        d->name_idx = (short)add_name(yr, act);
        d->carried_from = 0;
    }
    return 0;
}

int cal_load_json(const json_t *root, cal_t **out, char *errstr, size_t errstr_size)
{
    clock_tz_init();
    const json_t *holidays = json_object_get(root, "holidays");
    const json_t *years = json_object_get(root, "years");
    if (!json_is_array(holidays) || !json_is_object(years) || json_object_size(years) == 0) {
        snprintf(errstr, errstr_size, "calendar data needs a holidays array and a years object");
        return -1;
    }
    int first = 99999, last = -1;
    const char *key;
    const json_t *yv;
    json_object_foreach((json_t *)years, key, yv)
    {
        int y = atoi(key);
        if (y < 1990 || y > 2200) {
            snprintf(errstr, errstr_size, "calendar year '%s' out of range", key);
            return -1;
        }
        if (y < first)
            first = y;
        if (y > last)
            last = y;
    }
    if (last - first + 1 > CAL_MAX_YEARS) {
        snprintf(errstr, errstr_size, "calendar covers too many years");
        return -1;
    }
    cal_t *cal = calloc(1, sizeof(*cal));
    if (!cal)
        return -1;
    cal->first_year = first;
    cal->last_year = last;
    cal->years = calloc((size_t)last - (size_t)first + 1, sizeof(year_t));
    if (!cal->years)
        goto fail;
    for (int y = first; y <= last; y++) {
        char k[16];
        snprintf(k, sizeof(k), "%d", y);
        const json_t *ydata = json_object_get(years, k);
        if (!ydata) {
            /* A gap inside the covered range would make deadlines across it silent guesses. */
            snprintf(errstr, errstr_size, "calendar data has no year %d between %d and %d", y,
                     first, last);
            goto fail;
        }
        if (build_year(&cal->years[y - first], y, holidays, ydata, errstr, errstr_size))
            goto fail;
    }
    *out = cal;
    return 0;
fail:
    cal_free(cal);
    return -1;
}

/* The provisional years of the calendar file a process loaded last, as bits from 2000: the
 * status events say when a deadline falls in one (cal_provisional). */
static _Atomic unsigned long long provisional_years;

int cal_read_file(const char *path, cal_t **out, json_t **data, char *errstr, size_t errstr_size)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        snprintf(errstr, errstr_size, "%s:%d: %s", path, jerr.line, jerr.text);
        return -1;
    }
    int rc = cal_load_json(root, out, errstr, errstr_size);
    if (rc == 0) {
        unsigned long long bits = 0;
        for (int y = (*out)->first_year; y <= (*out)->last_year; y++) {
            const char *st = cal_year_status(*out, y);
            if (y >= 2000 && y < 2064 && st && strcmp(st, "provisional") == 0)
                bits |= 1ULL << (y - 2000);
        }
        provisional_years = bits;
    }
    if (rc == 0 && data)
        *data = root;
    else
        json_decref(root);
    return rc;
}

int cal_load_file(const char *path, cal_t **out, char *errstr, size_t errstr_size)
{
    return cal_read_file(path, out, NULL, errstr, errstr_size);
}

int cal_provisional(time_t t)
{
    int y = cal_local_date(t).y;
    return y >= 2000 && y < 2064 && (provisional_years >> (y - 2000) & 1);
}

void cal_free(cal_t *cal)
{
    if (!cal)
        return;
    free(cal->years);
    free(cal);
}

void cal_years(const cal_t *cal, int *first, int *last)
{
    *first = cal->first_year;
    *last = cal->last_year;
}

const char *cal_year_status(const cal_t *cal, int year)
{
    if (year < cal->first_year || year > cal->last_year)
        return NULL;
    return cal->years[year - cal->first_year].status;
}

/* ---- queries ---- */

static const day_t *lookup(const cal_t *cal, long dn, char *errstr, size_t errstr_size)
{
    cal_date_t d = civil_from_days(dn);
    if (d.y < cal->first_year || d.y > cal->last_year) {
        snprintf(errstr, errstr_size,
                 "the calendar does not cover %04d (covered: %d-%d); load that year's data", d.y,
                 cal->first_year, cal->last_year);
        return NULL;
    }
    return &cal->years[d.y - cal->first_year].days[dn - util_days_from_civil(d.y, 1, 1)];
}

/* 1 working, 0 day off, -1 outside the covered years. */
static int working(const cal_t *cal, long dn, char *errstr, size_t errstr_size)
{
    const day_t *d = lookup(cal, dn, errstr, errstr_size);
    if (!d)
        return -1;
    return d->kind == CAL_DAY_WORKING || d->kind == CAL_DAY_TRANSFER_WORKING;
}

int cal_day_info(const cal_t *cal, cal_date_t date, cal_day_info_t *info, char *errstr,
                 size_t errstr_size)
{
    if (!valid_date(date)) {
        snprintf(errstr, errstr_size, "not a valid date");
        return -1;
    }
    long dn = dnum(date);
    const day_t *d = lookup(cal, dn, errstr, errstr_size);
    if (!d)
        return -1;
    const year_t *yr = &cal->years[date.y - cal->first_year];
    const char *name = d->name_idx >= 0 ? yr->names[d->name_idx] : "";
    static const char *const wd[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};
    info->kind = (cal_day_kind_t)d->kind;
    info->working = d->kind == CAL_DAY_WORKING || d->kind == CAL_DAY_TRANSFER_WORKING;
    switch (info->kind) {
    case CAL_DAY_WORKING:
        snprintf(info->why, sizeof(info->why), "working day (%s)", wd[weekday(dn)]);
        break;
    case CAL_DAY_WEEKEND:
        snprintf(info->why, sizeof(info->why), "weekend (%s)", wd[weekday(dn)]);
        break;
    case CAL_DAY_HOLIDAY:
        snprintf(info->why, sizeof(info->why), "holiday: %s", name);
        break;
    case CAL_DAY_CARRIED: {
        cal_date_t f = civil_from_days(d->carried_from);
        snprintf(info->why, sizeof(info->why), "day off carried over from %04d-%02d-%02d (%s)", f.y,
                 f.m, f.d, name);
        break;
    }
    case CAL_DAY_TRANSFER_OFF:
        snprintf(info->why, sizeof(info->why), "day off by transfer: %s", name);
        break;
    case CAL_DAY_TRANSFER_WORKING:
        snprintf(info->why, sizeof(info->why), "working day by transfer (%s): %s", wd[weekday(dn)],
                 name);
        break;
    }
    return 0;
}

/* The first working day strictly after `dn`, as a day number, or -1. */
/* The first working day after (`step` 1) or before (-1) day number `dn`. */
static long step_working(const cal_t *cal, long dn, int step, char *errstr, size_t errstr_size)
{
    for (int guard = 0; guard < 400; guard++) {
        dn += step;
        int w = working(cal, dn, errstr, errstr_size);
        if (w < 0)
            return -1;
        if (w)
            return dn;
    }
    snprintf(errstr, errstr_size, "no working day within 400 days");
    return -1;
}

static long next_working(const cal_t *cal, long dn, char *errstr, size_t errstr_size)
{
    return step_working(cal, dn, 1, errstr, errstr_size);
}

static time_t day_end(long dn)
{
    return cal_local_time(civil_from_days(dn), CAL_WORK_END_MIN / 60, CAL_WORK_END_MIN % 60);
}

int cal_registration_moment(const cal_t *cal, time_t arrived, time_t *out, char *errstr,
                            size_t errstr_size)
{
    long dn = dnum(cal_local_date(arrived));
    int w = working(cal, dn, errstr, errstr_size);
    if (w < 0)
        return -1;
    int min = local_minutes(arrived);
    if (w && min < CAL_WORK_START_MIN) {
        *out = cal_local_time(civil_from_days(dn), 9, 0);
        return 0;
    }
    if (w && min < CAL_WORK_END_MIN) {
        *out = arrived;
        return 0;
    }
    /* ¶8: after working hours, on a weekend or a holiday -> the next working day. */
    long next = next_working(cal, dn, errstr, errstr_size);
    if (next < 0)
        return -1;
    *out = cal_local_time(civil_from_days(next), 9, 0);
    return 0;
}

/* The end of the n-th working day after (`step` 1) or before (-1) the day of `t`. */
static int step_working_days(const cal_t *cal, time_t t, int n, int step, time_t *out, char *errstr,
                             size_t errstr_size)
{
    if (n < 1 || n > 250) {
        snprintf(errstr, errstr_size, "working days must be 1..250");
        return -1;
    }
    long dn = dnum(cal_local_date(t));
    for (int i = 0; i < n; i++) {
        dn = step_working(cal, dn, step, errstr, errstr_size);
        if (dn < 0)
            return -1;
    }
    *out = day_end(dn);
    return 0;
}

int cal_add_working_days(const cal_t *cal, time_t from, int n, time_t *out, char *errstr,
                         size_t errstr_size)
{
    return step_working_days(cal, from, n, 1, out, errstr, errstr_size);
}

int cal_sub_working_days(const cal_t *cal, time_t deadline, int n, time_t *out, char *errstr,
                         size_t errstr_size)
{
    return step_working_days(cal, deadline, n, -1, out, errstr, errstr_size);
}

int cal_working_days_between(const cal_t *cal, time_t from, time_t to, int *out, char *errstr,
                             size_t errstr_size)
{
    long df = dnum(cal_local_date(from)), dt = dnum(cal_local_date(to));
    int sign = dt < df ? -1 : 1;
    long a = dt < df ? dt : df, b = dt < df ? df : dt;
    if (b - a > 3660) {
        snprintf(errstr, errstr_size, "interval longer than ten years");
        return -1;
    }
    int count = 0;
    for (long dn = a + 1; dn <= b; dn++) {
        int w = working(cal, dn, errstr, errstr_size);
        if (w < 0)
            return -1;
        count += w;
    }
    *out = sign * count;
    return 0;
}

int cal_term_wd(const char *kind)
{
    if (!kind)
        return -1;
    if (strcmp(kind, "issue") == 0)
        return CAL_TERM_ISSUE_WD;
    if (strcmp(kind, "reissue") == 0)
        return CAL_TERM_REISSUE_WD;
    if (strcmp(kind, "reissue_split") == 0)
        return CAL_TERM_REISSUE_SPLIT_WD;
    return -1;
}

int cal_deadlines(const cal_t *cal, const char *kind, time_t submitted_at, cal_deadlines_t *out,
                  char *errstr, size_t errstr_size)
{
    int term = cal_term_wd(kind);
    if (term < 0) {
        snprintf(errstr, errstr_size, "unknown application kind");
        return -1;
    }
    memset(out, 0, sizeof(*out));
    out->term_wd = term;
    if (cal_registration_moment(cal, submitted_at, &out->registered_at, errstr, errstr_size) ||
        cal_add_working_days(cal, out->registered_at, CAL_COMPLETENESS_WD, &out->completeness_due,
                             errstr, errstr_size) ||
        cal_add_working_days(cal, out->registered_at, term, &out->service_deadline, errstr,
                             errstr_size) ||
        cal_sub_working_days(cal, out->service_deadline, CAL_NOTICE_BEFORE_END_WD,
                             &out->notice_latest, errstr, errstr_size) ||
        cal_add_working_days(cal, out->notice_latest, CAL_HEARING_AFTER_NOTICE_WD,
                             &out->hearing_latest, errstr, errstr_size) ||
        cal_sub_working_days(cal, out->service_deadline, CAL_AT_RISK_BEFORE_WD, &out->term_at_risk,
                             errstr, errstr_size))
        return -1;
    return 0;
}

int cal_term_look(const cal_t *cal, time_t deadline, time_t now, cal_term_state_t *state,
                  time_t *next, char *errstr, size_t errstr_size)
{
    time_t risk;
    if (cal_sub_working_days(cal, deadline, CAL_AT_RISK_BEFORE_WD, &risk, errstr, errstr_size))
        return -1;
    if (now < risk) {
        *state = CAL_TERM_QUIET;
        *next = risk;
    } else if (now <= deadline) {
        *state = CAL_TERM_AT_RISK;
        *next = deadline + 1; /* the deadline is its last second that keeps the term */
    } else {
        *state = CAL_TERM_BREACHED;
        *next = 0;
    }
    return 0;
}

int cal_reload_data(cal_t **cal, json_t **data, const char *path)
{
    char err[512];
    cal_t *fresh;
    json_t *fresh_data = NULL;
    if (cal_read_file(path, &fresh, data ? &fresh_data : NULL, err, sizeof(err))) {
        log_error("calendar reload failed, keeping the calendar in use: %s", err);
        return -1;
    }
    cal_free(*cal);
    *cal = fresh;
    if (data) {
        json_decref(*data);
        *data = fresh_data;
    }
    log_info("calendar reloaded from %s", path);
    return 0;
}

int cal_reload(cal_t **cal, const char *path)
{
    return cal_reload_data(cal, NULL, path);
}

int cal_hearing_times(const cal_t *cal, time_t notice_at, time_t *hearing_at, time_t *outcome_due,
                      char *errstr, size_t errstr_size)
{
    time_t last_day;
    if (cal_add_working_days(cal, notice_at, CAL_HEARING_AFTER_NOTICE_WD, &last_day, errstr,
                             errstr_size))
        return -1;
    *hearing_at = cal_local_time(cal_local_date(last_day), CAL_HEARING_HOUR, CAL_HEARING_MINUTE);
    return cal_add_working_days(cal, *hearing_at, CAL_HEARING_OUTCOME_WD, outcome_due, errstr,
                                errstr_size);
}
