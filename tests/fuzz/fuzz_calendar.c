/* libFuzzer target: the calendar data file (operator-supplied configuration) and the deadline
 * arithmetic over whatever calendar it describes. */
#include "cal.h"
#include "clock.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clock_tz_init();
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    if (!root)
        return 0;
    cal_t *cal = NULL;
    char err[256];
    if (cal_load_json(root, &cal, err, sizeof(err)) == 0) {
        /* A few moments across the covered years: every computation must end in an answer or
         * an error, never a hang or a crash. */
        int first, last;
        cal_years(cal, &first, &last);
        time_t t = (time_t)((first - 1970) * 365.25 * 86400) + 3600 * 5;
        for (int i = 0; i < 8; i++, t += 86400 * 45) {
            cal_deadlines_t dl;
            time_t out;
            int n;
            cal_deadlines(cal, "issue", t, &dl, err, sizeof(err));
            cal_add_working_days(cal, t, 10, &out, err, sizeof(err));
            cal_sub_working_days(cal, t, 3, &out, err, sizeof(err));
            cal_working_days_between(cal, t, t + 86400 * 30, &n, err, sizeof(err));
        }
        cal_free(cal);
    }
    json_decref(root);
    return 0;
}
