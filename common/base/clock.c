/* clock: real time, or real time moved by a file the operator's tool writes. */
#include "clock.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;
static char clock_path[512];
static struct timespec clock_mtime;
static ino_t clock_ino;
static int clock_frozen;
static time_t clock_value; /* offset, or frozen moment */

void clock_use_file(const char *path)
{
    pthread_mutex_lock(&clock_lock);
    snprintf(clock_path, sizeof(clock_path), "%s", path ? path : "");
    memset(&clock_mtime, 0, sizeof(clock_mtime));
    clock_ino = 0;
    clock_frozen = 0;
    clock_value = 0;
    pthread_mutex_unlock(&clock_lock);
}

static void reload_locked(void)
{
    struct stat st;
    if (stat(clock_path, &st) != 0) {
        clock_frozen = 0;
        clock_value = 0;
        return;
    }
    if (st.st_ino == clock_ino && st.st_mtim.tv_sec == clock_mtime.tv_sec &&
        st.st_mtim.tv_nsec == clock_mtime.tv_nsec)
        return;
    FILE *f = fopen(clock_path, "r");
    if (!f)
        return;
    char buf[128] = "";
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    time_t t;
    char *end;
    long long off = strtoll(buf, &end, 10);
    if (n > 0 && *end == '\0') {
        clock_frozen = 0;
        clock_value = (time_t)off;
    } else if (util_rfc3339_parse(buf, &t) == 0) {
        clock_frozen = 1;
        clock_value = t;
    } else {
        return; /* a half-written or bad file keeps the last good value */
    }
    clock_mtime = st.st_mtim;
    clock_ino = st.st_ino;
}

time_t clock_now(void)
{
    time_t real = time(NULL);
    pthread_mutex_lock(&clock_lock);
    time_t out = real;
    if (clock_path[0]) {
        reload_locked();
        out = clock_frozen ? clock_value : real + clock_value;
    }
    pthread_mutex_unlock(&clock_lock);
    return out;
}

int clock_write_file(const char *path, int frozen, time_t value, char *errstr, size_t errstr_size)
{
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (frozen) {
        char buf[32];
        util_rfc3339_utc(value, buf, sizeof(buf));
        fprintf(f, "%s\n", buf);
    } else {
        fprintf(f, "%lld\n", (long long)value);
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static pthread_once_t tz_once = PTHREAD_ONCE_INIT;

static void tz_set(void)
{
    /* ¶8, Standard row 7: every local time of the Rules is Asia/Almaty; the offset (UTC+6
     * before 2024-03-01, UTC+5 since) comes from the system tz database. */
    setenv("TZ", "Asia/Almaty", 1);
    tzset();
}

void clock_tz_init(void)
{
    pthread_once(&tz_once, tz_set);
}
