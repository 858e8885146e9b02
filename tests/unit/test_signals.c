/* signals: SIGHUP or SIGTERM taken by another thread (the metrics server's, librdkafka's) still
 * ends the main thread's wait at once - a worker's wait may be a minute long. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "signals.h"
#include "util.h"

/* Another thread of the process receives the signal, as the kernel may choose it. */
static void *send_to_self(void *arg)
{
    int sig = *(int *)arg;
    usleep(100000); /* the main thread is in poll() by then */
    pthread_kill(pthread_self(), sig);
    return NULL;
}

static void wait_ends(int sig)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_to_self, &sig), 0);
    struct pollfd p = {fds[0], POLLIN, 0};
    int64_t start = util_mono_ms();
    int rc = poll(&p, 1, 5000); /* nothing ever comes on the pipe */
    int64_t took = util_mono_ms() - start;
    int err = errno;
    pthread_join(t, NULL);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(rc, -1);
    assert_int_equal(err, EINTR);
    assert_true(took < 2000);
}

static void test_reload_from_another_thread(void **state)
{
    (void)state;
    wait_ends(SIGHUP);
    assert_int_equal(sig_reload_requested(), 1);
    assert_int_equal(sig_reload_requested(), 0);
}

static void test_stop_from_another_thread(void **state)
{
    (void)state;
    wait_ends(SIGTERM);
    assert_int_equal(sig_stop_requested(), 1);
}

int main(void)
{
    sig_install();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_reload_from_another_thread),
                                       cmocka_unit_test(test_stop_from_another_thread)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
