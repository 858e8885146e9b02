/* Calendar: every expected value below was worked out by hand from
 * ../shared/regulation/CALENDAR.md and the Rules' periods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cal.h"
#include "config.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cal_t *cal;

static int setup(void **state)
{
    char err[256];
    if (cal_load_file(cfg_get("CALENDAR_FILE"), &cal, err, sizeof(err))) {
        fprintf(stderr, "calendar: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    cal_free(cal);
    return 0;
}

static time_t T(const char *s)
{
    time_t t;
    assert_int_equal(util_rfc3339_parse(s, &t), 0);
    return t;
}

static void assert_moment(time_t t, const char *expected)
{
    char buf[40];
    cal_format(t, buf, sizeof(buf));
    assert_string_equal(buf, expected);
}

static int is_working(const char *date)
{
    cal_date_t d;
    cal_day_info_t info;
    char err[256];
    assert_int_equal(cal_parse_date(date, &d), 0);
    assert_int_equal(cal_day_info(cal, d, &info, err, sizeof(err)), 0);
    return info.working;
}

/* Every weekday that is a day off in a year, compared with the published list. */
static void assert_weekday_days_off(int year, const char *const *expected, int n)
{
    int found = 0;
    for (int m = 1; m <= 12; m++)
        for (int d = 1; d <= 31; d++) {
            cal_date_t date = {year, m, d};
            cal_day_info_t info;
            char err[256];
            if (cal_day_info(cal, date, &info, err, sizeof(err)))
                continue; /* 31 April and the like */
            if (info.working || info.kind == CAL_DAY_WEEKEND)
                continue;
            time_t noon = cal_local_time(date, 12, 0);
            struct tm tm;
            localtime_r(&noon, &tm);
            if (tm.tm_wday == 0 || tm.tm_wday == 6)
                continue;
            char buf[16];
            snprintf(buf, sizeof(buf), "%04d-%02d-%02d", year, m, d);
            int listed = 0;
            for (int i = 0; i < n; i++)
                listed |= strcmp(expected[i], buf) == 0;
            if (!listed)
                fail_msg("%s is a day off but not in the published list", buf);
            found++;
        }
    assert_int_equal(found, n);
}

static void test_2026_days_off_match_the_published_calendar(void **state)
{
    static const char *const off[] = {"2026-01-01", "2026-01-02", "2026-01-07", "2026-03-09",
                                      "2026-03-23", "2026-03-24", "2026-03-25", "2026-05-01",
                                      "2026-05-07", "2026-05-11", "2026-05-27", "2026-07-06",
                                      "2026-10-26", "2026-12-16"};
    assert_weekday_days_off(2026, off, 14);
}

static void test_2025_days_off_match_the_published_calendar(void **state)
{
    static const char *const off[] = {"2025-01-01", "2025-01-02", "2025-01-03", "2025-01-07",
                                      "2025-03-10", "2025-03-21", "2025-03-24", "2025-03-25",
                                      "2025-05-01", "2025-05-07", "2025-05-09", "2025-06-06",
                                      "2025-07-07", "2025-09-01", "2025-10-27", "2025-12-16"};
    assert_weekday_days_off(2025, off, 16);
}

static void test_2027_days_off_follow_the_rules(void **state)
{
    static const char *const off[] = {"2027-01-01", "2027-01-04", "2027-01-07", "2027-03-08",
                                      "2027-03-15", "2027-03-22", "2027-03-23", "2027-03-24",
                                      "2027-05-03", "2027-05-07", "2027-05-10", "2027-07-06",
                                      "2027-10-25", "2027-12-16"};
    assert_weekday_days_off(2027, off, 14);
    assert_string_equal(cal_year_status(cal, 2027), "provisional");
    assert_string_equal(cal_year_status(cal, 2026), "confirmed");
}

static void test_weekend_holiday_carries_over_to_next_free_working_day(void **state)
{
    cal_date_t d = {2026, 3, 24};
    cal_day_info_t info;
    char err[256];
    assert_int_equal(cal_day_info(cal, d, &info, err, sizeof(err)), 0);
    assert_int_equal(info.kind, CAL_DAY_CARRIED);
    assert_non_null(strstr(info.why, "2026-03-21"));
    d.d = 25;
    assert_int_equal(cal_day_info(cal, d, &info, err, sizeof(err)), 0);
    assert_non_null(strstr(info.why, "2026-03-22"));
    d.d = 23;
    assert_int_equal(cal_day_info(cal, d, &info, err, sizeof(err)), 0);
    assert_int_equal(info.kind, CAL_DAY_HOLIDAY);
    assert_true(is_working("2026-03-26"));
}

static void test_religious_holidays_are_not_carried_over(void **state)
{
    /* Kurban Ait 2024-06-16 and 2027-05-16 fell on Sundays; 7 January 2024 too. */
    assert_true(is_working("2024-06-17"));
    assert_true(is_working("2027-05-17"));
    assert_true(is_working("2024-01-08"));
    assert_false(is_working("2026-05-27"));
}

static void test_decree_transfers_make_saturday_working_and_weekday_off(void **state)
{
    assert_true(is_working("2024-05-04"));  /* Saturday made working */
    assert_false(is_working("2024-05-08")); /* Wednesday made a day off */
    assert_true(is_working("2025-01-05"));  /* Sunday made working */
    assert_false(is_working("2025-01-03"));
    time_t due;
    char err[256];
    assert_int_equal(
        cal_add_working_days(cal, T("2024-05-03T10:00:00+05:00"), 1, &due, err, sizeof(err)), 0);
    assert_moment(due, "2024-05-04T18:30:00+05:00");
    assert_int_equal(
        cal_add_working_days(cal, T("2024-05-07T10:00:00+05:00"), 1, &due, err, sizeof(err)), 0);
    assert_moment(due, "2024-05-10T18:30:00+05:00"); /* 8 off by decree, 9 Victory Day */
}

static void test_17_december_is_no_longer_a_day_off(void **state)
{
    assert_true(is_working("2025-12-17"));
    assert_false(is_working("2025-12-16"));
}

static void reg(const char *arrived, const char *expected)
{
    time_t out;
    char err[256];
    assert_int_equal(cal_registration_moment(cal, T(arrived), &out, err, sizeof(err)), 0);
    assert_moment(out, expected);
}

static void test_submission_at_1829_registers_the_same_day(void **state)
{
    reg("2026-11-23T18:29:00+05:00", "2026-11-23T18:29:00+05:00");
}

static void test_submission_at_1830_registers_next_working_day(void **state)
{
    reg("2026-11-23T18:30:00+05:00", "2026-11-24T09:00:00+05:00");
}

static void test_submission_at_1831_registers_next_working_day(void **state)
{
    reg("2026-11-23T18:31:00+05:00", "2026-11-24T09:00:00+05:00");
}

static void test_submission_before_0900_registers_at_0900(void **state)
{
    reg("2026-11-24T07:15:00+05:00", "2026-11-24T09:00:00+05:00");
}

static void test_submission_on_friday_evening_registers_monday(void **state)
{
    reg("2026-11-27T19:00:00+05:00", "2026-11-30T09:00:00+05:00");
    reg("2026-11-28T11:00:00+05:00", "2026-11-30T09:00:00+05:00");
}

static void test_submission_on_the_eve_of_nauryz_registers_after_it(void **state)
{
    reg("2026-03-20T19:00:00+05:00", "2026-03-26T09:00:00+05:00");
    reg("2025-03-20T18:45:00+05:00", "2025-03-26T09:00:00+05:00");
}

static void test_submission_on_new_years_eve_registers_after_the_holidays(void **state)
{
    reg("2025-12-31T20:00:00+05:00", "2026-01-05T09:00:00+05:00");
    reg("2026-12-31T18:45:00+05:00", "2027-01-05T09:00:00+05:00");
}

static void test_time_zone_change_of_1_march_2024(void **state)
{
    /* 23:00 +06 on Thursday 29 February 2024: after hours; next working day under UTC+5. */
    reg("2024-02-29T17:00:00Z", "2024-03-01T09:00:00+05:00");
    reg("2024-02-29T10:00:00+06:00", "2024-02-29T10:00:00+06:00");
    time_t due;
    char err[256];
    assert_int_equal(
        cal_add_working_days(cal, T("2024-02-28T10:00:00+06:00"), 1, &due, err, sizeof(err)), 0);
    assert_moment(due, "2024-02-29T18:30:00+06:00");
    assert_int_equal(
        cal_add_working_days(cal, T("2024-02-28T10:00:00+06:00"), 2, &due, err, sizeof(err)), 0);
    assert_moment(due, "2024-03-01T18:30:00+05:00");
    char buf[32];
    util_rfc3339_utc(due, buf, sizeof(buf));
    assert_string_equal(buf, "2024-03-01T13:30:00Z");
}

static void test_15_wd_issue_term_spanning_nauryz(void **state)
{
    cal_deadlines_t dl;
    char err[256];
    assert_int_equal(
        cal_deadlines(cal, "issue", T("2026-03-16T10:00:00+05:00"), &dl, err, sizeof(err)), 0);
    assert_moment(dl.registered_at, "2026-03-16T10:00:00+05:00");
    assert_moment(dl.completeness_due, "2026-03-18T18:30:00+05:00");
    assert_moment(dl.service_deadline, "2026-04-09T18:30:00+05:00");
    assert_moment(dl.notice_latest, "2026-04-06T18:30:00+05:00");
    assert_moment(dl.hearing_latest, "2026-04-08T18:30:00+05:00");
    assert_int_equal(
        cal_deadlines(cal, "issue", T("2025-03-17T10:00:00+05:00"), &dl, err, sizeof(err)), 0);
    assert_moment(dl.service_deadline, "2025-04-10T18:30:00+05:00");
}

static void test_3_wd_reissue_term(void **state)
{
    cal_deadlines_t dl;
    char err[256];
    assert_int_equal(
        cal_deadlines(cal, "reissue", T("2026-05-06T16:00:00+05:00"), &dl, err, sizeof(err)), 0);
    /* 7 May holiday, 8 Fri (1), 11 carried Victory Day, 12 (2), 13 (3) */
    assert_moment(dl.service_deadline, "2026-05-13T18:30:00+05:00");
    assert_int_equal(dl.term_wd, 3);
}

/* The watch of a service term: quiet until the end of the working day before its last day
 * (across a weekend and a carried-over holiday), at risk until the deadline's second, then
 * breached. */
static void test_service_term_look(void **state)
{
    cal_deadlines_t dl;
    char err[256];
    assert_int_equal(
        cal_deadlines(cal, "reissue", T("2026-05-06T16:00:00+05:00"), &dl, err, sizeof(err)), 0);
    /* Ends Wednesday 13 May; at risk from Tuesday 12 May 18:30. */
    assert_moment(dl.term_at_risk, "2026-05-12T18:30:00+05:00");
    struct {
        const char *now;
        cal_term_state_t state;
        const char *next;
    } looks[] = {
        {"2026-05-06T16:00:00+05:00", CAL_TERM_QUIET, "2026-05-12T18:30:00+05:00"},
        {"2026-05-12T18:29:59+05:00", CAL_TERM_QUIET, "2026-05-12T18:30:00+05:00"},
        {"2026-05-12T18:30:00+05:00", CAL_TERM_AT_RISK, "2026-05-13T18:30:01+05:00"},
        {"2026-05-13T18:30:00+05:00", CAL_TERM_AT_RISK, "2026-05-13T18:30:01+05:00"},
        {"2026-05-13T18:30:01+05:00", CAL_TERM_BREACHED, NULL},
    };
    for (size_t i = 0; i < sizeof(looks) / sizeof(looks[0]); i++) {
        cal_term_state_t st;
        time_t next;
        assert_int_equal(
            cal_term_look(cal, dl.service_deadline, T(looks[i].now), &st, &next, err, sizeof(err)),
            0);
        assert_int_equal(st, looks[i].state);
        if (looks[i].next)
            assert_moment(next, looks[i].next);
        else
            assert_int_equal(next, 0);
    }
    /* A term ending Tuesday 12 May is at risk from Friday 8 May 18:30 (Monday 11 May is Victory
     * Day carried over): on Saturday 9 May it is. */
    cal_term_state_t st;
    time_t next;
    assert_int_equal(cal_term_look(cal, T("2026-05-12T18:30:00+05:00"),
                                   T("2026-05-09T12:00:00+05:00"), &st, &next, err, sizeof(err)),
                     0);
    assert_int_equal(st, CAL_TERM_AT_RISK);
}

static void test_agency_reply_window_is_10_wd_from_receipt(void **state)
{
    time_t due;
    char err[256];
    assert_int_equal(cal_add_working_days(cal, T("2026-05-22T15:00:00+05:00"), CAL_AGENCY_REPLY_WD,
                                          &due, err, sizeof(err)),
                     0);
    assert_moment(due, "2026-06-08T18:30:00+05:00");
    /* Received on a Saturday: Monday is day 1. */
    assert_int_equal(
        cal_add_working_days(cal, T("2026-11-28T12:00:00+05:00"), 10, &due, err, sizeof(err)), 0);
    assert_moment(due, "2026-12-11T18:30:00+05:00");
}

static void test_complaint_periods(void **state)
{
    time_t due;
    char err[256];
    /* Filed Monday 2026-12-14: 15 (1), 16 Independence Day, 17 (2), 18 (3). */
    assert_int_equal(cal_add_working_days(cal, T("2026-12-14T11:00:00+05:00"),
                                          CAL_COMPLAINT_FORWARD_WD, &due, err, sizeof(err)),
                     0);
    assert_moment(due, "2026-12-18T18:30:00+05:00");
    assert_int_equal(cal_add_working_days(cal, T("2026-12-14T11:00:00+05:00"),
                                          CAL_COMPLAINT_PROVIDER_WD, &due, err, sizeof(err)),
                     0);
    assert_moment(due, "2026-12-22T18:30:00+05:00");
}

static void test_working_days_between(void **state)
{
    int n;
    char err[256];
    assert_int_equal(cal_working_days_between(cal, T("2026-03-20T10:00:00+05:00"),
                                              T("2026-03-27T10:00:00+05:00"), &n, err, sizeof(err)),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(cal_working_days_between(cal, T("2026-03-27T10:00:00+05:00"),
                                              T("2026-03-20T10:00:00+05:00"), &n, err, sizeof(err)),
                     0);
    assert_int_equal(n, -2);
}

static void test_dates_outside_covered_years_are_errors(void **state)
{
    time_t out;
    char err[256] = "";
    assert_int_equal(
        cal_registration_moment(cal, T("2028-01-10T10:00:00+05:00"), &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "2028"));
    assert_int_equal(
        cal_add_working_days(cal, T("2027-12-20T10:00:00+05:00"), 15, &out, err, sizeof(err)), -1);
    cal_date_t d = {2023, 6, 1};
    cal_day_info_t info;
    assert_int_equal(cal_day_info(cal, d, &info, err, sizeof(err)), -1);
}

/* The labour ministry, 18 March 2026: 30 August is no longer a holiday from 2026 (Constitution
 * Day moves to 15 March from 2027), so Monday 31 August 2026 is a working day; 1 September
 * 2025 was still off for it. An operator who has to restore a day adds it as an extra
 * holiday of its year. */
static void test_30_august_no_longer_a_holiday_from_2026(void **state)
{
    cal_day_info_t info;
    char err[256];
    assert_int_equal(cal_day_info(cal, (cal_date_t){2026, 8, 31}, &info, err, sizeof(err)), 0);
    assert_true(info.working);
    assert_int_equal(cal_day_info(cal, (cal_date_t){2025, 9, 1}, &info, err, sizeof(err)), 0);
    assert_false(info.working);
    assert_int_equal(cal_day_info(cal, (cal_date_t){2027, 3, 15}, &info, err, sizeof(err)), 0);
    assert_false(info.working);

    json_error_t jerr;
    json_t *root = json_load_file(cfg_get("CALENDAR_FILE"), 0, &jerr);
    assert_non_null(root);
    json_object_set_new(json_object_get(json_object_get(root, "years"), "2026"), "extra_holidays",
                        json_pack("[{s:s,s:s,s:b}]", "date", "2026-08-30", "name",
                                  "Constitution Day", "carry_over", 1));
    cal_t *other;
    assert_int_equal(cal_load_json(root, &other, err, sizeof(err)), 0);
    assert_int_equal(cal_day_info(other, (cal_date_t){2026, 8, 31}, &info, err, sizeof(err)), 0);
    assert_false(info.working);
    cal_free(other);
    /* A gap inside the covered range is refused. */
    json_object_del(json_object_get(root, "years"), "2025");
    assert_int_equal(cal_load_json(root, &other, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "2025"));
    json_decref(root);
}

static int is_end_of_working_day(time_t t)
{
    struct tm tm;
    localtime_r(&t, &tm);
    if (tm.tm_hour != 18 || tm.tm_min != 30 || tm.tm_sec != 0)
        return 0;
    char buf[16];
    strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
    return is_working(buf);
}

static void test_property_deadlines_are_working_days_at_1830_and_monotone(void **state)
{
    /* Deterministic pseudo-random instants from 2024-02-01 to 2027-09-30 (sub goes back up to
     * 20 WD, which must stay inside the covered years). */
    unsigned long long x = 0x9e3779b97f4a7c15ULL;
    time_t lo = T("2024-02-01T00:00:00+06:00"), hi = T("2027-09-30T00:00:00+05:00");
    char err[256];
    for (int i = 0; i < 3000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        time_t t = lo + (time_t)(x % (unsigned long long)(hi - lo));
        time_t t2 = t + (time_t)((x >> 20) % (3 * 86400));
        int n = 1 + (int)((x >> 40) % 20);
        time_t a, b, c, r;
        assert_int_equal(cal_add_working_days(cal, t, n, &a, err, sizeof(err)), 0);
        assert_int_equal(cal_add_working_days(cal, t, n + 1, &b, err, sizeof(err)), 0);
        assert_int_equal(cal_add_working_days(cal, t2, n, &c, err, sizeof(err)), 0);
        assert_true(is_end_of_working_day(a));
        assert_true(is_end_of_working_day(b));
        assert_true(a > t);
        assert_true(b > a);
        assert_true(c >= a);
        int between;
        assert_int_equal(cal_working_days_between(cal, t, a, &between, err, sizeof(err)), 0);
        assert_int_equal(between, n);
        time_t back;
        assert_int_equal(cal_sub_working_days(cal, a, n, &back, err, sizeof(err)), 0);
        assert_true(back < a);
        assert_true(is_end_of_working_day(back));
        assert_int_equal(cal_registration_moment(cal, t, &r, err, sizeof(err)), 0);
        assert_true(r >= t);
        struct tm tm;
        localtime_r(&r, &tm);
        int minutes = tm.tm_hour * 60 + tm.tm_min;
        assert_true(minutes >= 9 * 60 && minutes < 18 * 60 + 30);
        char day[16];
        strftime(day, sizeof(day), "%Y-%m-%d", &tm);
        assert_true(is_working(day));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_2026_days_off_match_the_published_calendar),
        cmocka_unit_test(test_2025_days_off_match_the_published_calendar),
        cmocka_unit_test(test_2027_days_off_follow_the_rules),
        cmocka_unit_test(test_weekend_holiday_carries_over_to_next_free_working_day),
        cmocka_unit_test(test_religious_holidays_are_not_carried_over),
        cmocka_unit_test(test_decree_transfers_make_saturday_working_and_weekday_off),
        cmocka_unit_test(test_17_december_is_no_longer_a_day_off),
        cmocka_unit_test(test_submission_at_1829_registers_the_same_day),
        cmocka_unit_test(test_submission_at_1830_registers_next_working_day),
        cmocka_unit_test(test_submission_at_1831_registers_next_working_day),
        cmocka_unit_test(test_submission_before_0900_registers_at_0900),
        cmocka_unit_test(test_submission_on_friday_evening_registers_monday),
        cmocka_unit_test(test_submission_on_the_eve_of_nauryz_registers_after_it),
        cmocka_unit_test(test_submission_on_new_years_eve_registers_after_the_holidays),
        cmocka_unit_test(test_time_zone_change_of_1_march_2024),
        cmocka_unit_test(test_15_wd_issue_term_spanning_nauryz),
        cmocka_unit_test(test_3_wd_reissue_term),
        cmocka_unit_test(test_service_term_look),
        cmocka_unit_test(test_agency_reply_window_is_10_wd_from_receipt),
        cmocka_unit_test(test_complaint_periods),
        cmocka_unit_test(test_working_days_between),
        cmocka_unit_test(test_dates_outside_covered_years_are_errors),
        cmocka_unit_test(test_30_august_no_longer_a_holiday_from_2026),
        cmocka_unit_test(test_property_deadlines_are_working_days_at_1830_and_monotone),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
