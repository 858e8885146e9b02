/* Operators: consumer lag in /metrics and `approvalctl lag` while the intake worker is stopped
 * under a backlog and after it restarts; health endpoints; the alert rules and the dashboard
 * name only metrics the workers export. */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "itest.h"

/* Starts a worker with its metrics endpoint on a port of its own; returns the port. */
static unsigned start_with_metrics(const char *worker, pid_t *pid)
{
    unsigned port = h_free_port();
    char p[16];
    snprintf(p, sizeof(p), "%u", port);
    setenv("LIC_METRICS_PORT", p, 1);
    pid_t pd = h_spawn(env, worker, NULL);
    unsetenv("LIC_METRICS_PORT");
    if (pid)
        *pid = pd;
    for (int i = 0; i < 100; i++) {
        long status;
        char *body = h_get(port, "/healthz", &status);
        free(body);
        if (status == 200)
            return port;
        h_poll_interval(100);
    }
    fail_msg("%s did not serve /healthz on port %u", worker, port);
    return 0;
}

/* Sum and maximum of a metric family's samples whose labels contain `match`. */
static void metric(unsigned port, const char *name, const char *match, double *sum, double *max)
{
    long status;
    char *body = h_get(port, "/metrics", &status);
    assert_non_null(body);
    assert_int_equal(status, 200);
    *sum = 0;
    *max = 0;
    size_t nl = strlen(name);
    for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, name, nl) != 0 || (line[nl] != '{' && line[nl] != ' '))
            continue;
        if (match && !strstr(line, match))
            continue;
        double v = atof(strrchr(line, ' ') + 1);
        *sum += v;
        if (v > *max)
            *max = v;
    }
    free(body);
}

static int wait_metric(unsigned port, const char *name, const char *match, double expected,
                       int timeout_ms)
{
    double sum = -1, max;
    for (int waited = 0; waited < timeout_ms; waited += 200) {
        metric(port, name, match, &sum, &max);
        if (sum == expected)
            return 1;
        h_poll_interval(200);
    }
    print_message("%s{%s}: %g, expected %g\n", name, match ? match : "", sum, expected);
    return 0;
}

/* Runs `approvalctl lag --json` and returns its exit code and the intake group's entry. */
static int approvalctl_lag(json_t **intake)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s/approvalctl' lag --json --samples 2 --interval-ms 500",
             getenv("LIC_TEST_BIN_DIR"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char out[1 << 16];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    json_t *groups = json_loads(out, 0, NULL);
    assert_non_null(groups);
    *intake = NULL;
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) if (!strcmp(json_string_value(json_object_get(g, "group")),
                                                 "lic-intake")) *intake = json_incref(g);
    json_decref(groups);
    assert_non_null(*intake);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void lag_stall_and_recover(void **state)
{
    (void)state;
    setenv("LIC_LAG_INTERVAL_MS", "500", 1);
    env = h_setup("operators_lag");
    h_start_sim(env); /* the replies worker needs the agencies' keys */
    pid_t intake = h_spawn(env, "intake", NULL);
    h_spawn(env, "relay", NULL);
    unsigned port = start_with_metrics("replies", NULL); /* a second consumer's /metrics */
    assert_int_equal(h_produce_submissions(env, 3, 0), 0);
    assert_true(wait_q(3, 30000, "SELECT count(*) FROM applications"));
    assert_true(
        wait_metric(port, "kafka_consumergroup_group_lag", "group=\"lic-intake\"", 0, 20000));
    json_t *g;
    assert_int_equal(approvalctl_lag(&g), 0);
    assert_string_equal(json_string_value(json_object_get(g, "status")), "OK");
    json_decref(g);

    /* The intake stops; 5,000 applications arrive. */
    assert_int_equal(h_stop(env, intake, SIGTERM, 10000), 0);
    assert_int_equal(h_produce_submissions(env, 5000, 0), 0);
    assert_true(
        wait_metric(port, "kafka_consumergroup_group_lag", "group=\"lic-intake\"", 5000, 30000));
    double sum, first, later;
    metric(port, "kafka_consumergroup_group_lag_seconds", "group=\"lic-intake\"", &sum, &first);
    int grew = 0;
    for (int i = 0; i < 50 && !grew; i++) {
        h_poll_interval(200);
        metric(port, "kafka_consumergroup_group_lag_seconds", "group=\"lic-intake\"", &sum, &later);
        grew = later >= first + 1.0;
    }
    print_message("lag seconds: %.1f, then %.1f\n", first, later);
    assert_true(grew);
    assert_int_equal(approvalctl_lag(&g), 1); /* ERR: the exit code says so */
    assert_string_equal(json_string_value(json_object_get(g, "status")), "ERR");
    assert_int_equal(json_integer_value(json_object_get(g, "total_lag")), 5000);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(g, "partitions"), i, p)
    {
        const char *st = json_string_value(json_object_get(p, "status"));
        if (json_integer_value(json_object_get(p, "lag")) > 0)
            assert_true(!strcmp(st, "STALL") || !strcmp(st, "STOP"));
    }
    json_decref(g);

    /* The intake restarts and catches up. */
    h_spawn(env, "intake", NULL);
    assert_true(wait_q(5003, 90000, "SELECT count(*) FROM applications"));
    assert_true(
        wait_metric(port, "kafka_consumergroup_group_lag", "group=\"lic-intake\"", 0, 30000));
    assert_int_equal(approvalctl_lag(&g), 0);
    assert_string_equal(json_string_value(json_object_get(g, "status")), "OK");
    json_decref(g);
    long status;
    char *body = h_get(port, "/readyz", &status);
    free(body);
    assert_int_equal(status, 200);
}

/* Scrapes every worker's /metrics; the alert rules and the dashboard use only those names. */
static void rules_use_exported_metrics(void **state)
{
    (void)state;
    env = h_setup("operators_names");
    h_start_sim(env);
    h_start_smtp(env);
    const char *workers[] = {"intake",  "registries", "relay",   "dispatcher", "replies", "timer",
                             "decider", "mailer",     "actions", "complaints", "notary"};
    char path[700];
    snprintf(path, sizeof(path), "%s/metric-names.txt", env->workdir);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    for (size_t w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
        unsigned port = start_with_metrics(workers[w], NULL);
        /* Each declares its families at start; wait for the worker to be past start-up. */
        long status = 0;
        char *body = NULL;
        for (int i = 0; i < 100; i++) {
            free(body);
            body = h_get(port, "/metrics", &status);
            if (body && strstr(body, "lic_"))
                break;
            h_poll_interval(100);
        }
        assert_non_null(body);
        /* Counters an alert takes increase() of have a sample of 0 before the first event. */
        const char *zero =
            !strcmp(workers[w], "intake")
                ? "lic_consumer_messages_lost_total{topic=\"portal.applications.v1\"} 0"
            : !strcmp(workers[w], "relay") ? "lic_outbox_set_aside_total 0"
                                           : NULL;
        for (int i = 0; zero && !strstr(body, zero) && i < 100; i++) {
            h_poll_interval(100);
            free(body);
            body = h_get(port, "/metrics", &status);
            assert_non_null(body);
        }
        if (zero && !strstr(body, zero))
            fail_msg("%s /metrics has no sample \"%s\"", workers[w], zero);
        for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n"))
            if (!strncmp(line, "# TYPE ", 7)) {
                char name[128];
                if (sscanf(line + 7, "%127s", name) == 1)
                    fprintf(out, "%s\n", name);
            }
        free(body);
    }
    fclose(out);
    char cmd[2400];
    snprintf(cmd, sizeof(cmd), "'%s' '%s/tests/deploy/check_metric_names.py' '%s' '%s'",
             getenv("LIC_PYTHON3"), getenv("LIC_SRC_DIR"), getenv("LIC_SRC_DIR"), path);
    assert_int_equal(system(cmd), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(lag_stall_and_recover, teardown),
        cmocka_unit_test_teardown(rules_use_exported_metrics, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("operators", tests, NULL, NULL);
}
