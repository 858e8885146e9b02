/* signals: async-signal-safe flags. */
#include "signals.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_flag = 0;
static volatile sig_atomic_t reload_flag = 0;
static pthread_t main_thread;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_flag = 1;
    else
        stop_flag = 1;
    /* A signal taken by another thread (the metrics server's, librdkafka's) is sent on to the
     * main one, so that the wait it blocks in returns now, not when its timeout ends (the
     * timer's is up to a minute). pthread_kill and pthread_self are async-signal-safe. */
    if (!pthread_equal(pthread_self(), main_thread))
        pthread_kill(main_thread, sig);
}

void sig_install(void)
{
    main_thread = pthread_self();
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int sig_stop_requested(void)
{
    return stop_flag != 0;
}

void sig_request_stop(void)
{
    stop_flag = 1;
}

int sig_reload_requested(void)
{
    if (!reload_flag)
        return 0;
    reload_flag = 0;
    return 1;
}
