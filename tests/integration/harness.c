/* harness: see harness.h. */
#include "harness.h"
#include "clock.h"
#include "domain.h"
#include "signature.h"

#include <curl/curl.h>
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static h_env_t *current;

__attribute__((format(printf, 1, 2))) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "harness: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    if (current)
        h_teardown(current);
    exit(1);
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    return util_mono_ms();
}

static void kill_all_at_exit(void)
{
    if (current)
        h_teardown(current);
}

const char *h_uuid(void)
{
    static char bufs[8][UUID_STR_LEN];
    static int i;
    char *b = bufs[i++ % 8];
    util_uuid_v4(b);
    return b;
}

static PGconn *connect_pg(const char *db, const char *user)
{
    char conninfo[512];
    /* The harness's own IF NOT EXISTS statements need not print NOTICEs into the test log. */
    snprintf(conninfo, sizeof(conninfo),
             "host=127.0.0.1 port=%s dbname=%s user=%s options='-c client_min_messages=warning'",
             env_or("LIC_TEST_PG_PORT", "25432"), db, user);
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "harness: %s\n", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        die("SQL failed: %s", PQresultErrorMessage(r));
    PQclear(r);
}

/* A valid IIN from 11 digits and the check digit that makes it valid. */
static void valid_iin(const char *prefix, char out[13])
{
    for (int d = 0; d < 10; d++) {
        snprintf(out, 13, "%s%d", prefix, d);
        if (dom_iin_bin_valid(out))
            return;
    }
    die("no check digit makes %s valid", prefix);
}

static void write_key(h_env_t *h, const char *name, const char *key_id, const unsigned char *sk)
{
    char path[700], b64[100];
    snprintf(path, sizeof(path), "%s/%s.key", h->workdir, name);
    if (sg_b64_encode(sk, 64, b64, sizeof(b64)))
        die("cannot encode a key");
    json_t *k = json_pack("{s:s,s:s}", "key_id", key_id, "secret_key", b64);
    if (json_dump_file(k, path, JSON_INDENT(2)))
        die("cannot write %s", path);
    json_decref(k);
}

/* The provider's officials for the workers (LIC_OFFICIALS_FILE): a head and an executor. */
static void make_officials(h_env_t *h)
{
    unsigned char hp[32], ep[32];
    char hp64[64], ep64[64], path[700];
    if (sodium_init() < 0 || crypto_sign_keypair(hp, h->head_sk) ||
        crypto_sign_keypair(ep, h->executor_sk) || sg_b64_encode(hp, 32, hp64, sizeof(hp64)) ||
        sg_b64_encode(ep, 32, ep64, sizeof(ep64)))
        die("cannot make the officials' keys");
    valid_iin("75030240012", h->head_iin);
    valid_iin("86111530045", h->executor_iin);
    json_t *o = json_pack("{s:[{s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s}]}", "officials",
                          "key_id", "head-2026", "public_key", hp64, "iin", h->head_iin,
                          "full_name", "Жақсыбеков Ерлан Маратұлы", "role", "head", "key_id",
                          "executor-2026", "public_key", ep64, "iin", h->executor_iin, "full_name",
                          "Омарова Айгерім Серікқызы", "role", "executor");
    snprintf(path, sizeof(path), "%s/officials.json", h->workdir);
    if (!o || json_dump_file(o, path, JSON_INDENT(2)))
        die("cannot write %s", path);
    json_decref(o);
    setenv("LIC_OFFICIALS_FILE", path, 1);
    write_key(h, "head", "head-2026", h->head_sk);
    write_key(h, "executor", "executor-2026", h->executor_sk);
}

h_env_t *h_setup(const char *name)
{
    h_env_t *h = calloc(1, sizeof(*h));
    current = h;
    static int registered;
    if (!registered) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        atexit(kill_all_at_exit);
        registered = 1;
    }
    signal(SIGPIPE, SIG_IGN);
    snprintf(h->name, sizeof(h->name), "%s", name);
    snprintf(h->workdir, sizeof(h->workdir), "%s/%s", env_or("LIC_TEST_WORK", "/tmp/lic-itest"),
             name);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", h->workdir, h->workdir);
    if (system(cmd) != 0)
        die("cannot create %s", h->workdir);
    snprintf(h->dbname, sizeof(h->dbname), "lic_t_%s", name);

    PGconn *admin = connect_pg("postgres", "postgres");
    if (!admin)
        die("cannot reach the test PostgreSQL on port %s", env_or("LIC_TEST_PG_PORT", "25432"));
    char sql[512];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", h->dbname);
    exec_ok(admin, sql);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s OWNER lic_owner", h->dbname);
    exec_ok(admin, sql);
    PQfinish(admin);

    char url[512];
    const char *port = env_or("LIC_TEST_PG_PORT", "25432");
    snprintf(url, sizeof(url), "postgresql://lic_worker@127.0.0.1:%s/%s", port, h->dbname);
    setenv("LIC_DB_URL", url, 1);
    snprintf(url, sizeof(url), "postgresql://lic_owner@127.0.0.1:%s/%s", port, h->dbname);
    setenv("LIC_DB_ADMIN_URL", url, 1);
    snprintf(h->bootstrap, sizeof(h->bootstrap), "%s/bootstrap", h->workdir);
    snprintf(h->control, sizeof(h->control), "%s/broker.sock", h->workdir);
    snprintf(h->clock_file, sizeof(h->clock_file), "%s/clock", h->workdir);
    setenv("LIC_KAFKA_BOOTSTRAP_FILE", h->bootstrap, 1);
    setenv("LIC_CLOCK_FILE", h->clock_file, 1);
    setenv("LIC_BATCH_WAIT_MS", env_or("LIC_BATCH_WAIT_MS", "20"), 1);
    unsetenv("KAFKA_BOOTSTRAP_SERVERS");
    make_officials(h);

    const char *migrate[] = {"migrate", NULL};
    pid_t m = h_spawn(h, "approvalctl", migrate);
    if (h_stop(h, m, 0, 30000) != 0)
        die("approvalctl migrate failed (see %s)", h->workdir);

    h->db = connect_pg(h->dbname, "lic_owner");
    if (!h->db)
        die("cannot connect to %s", h->dbname);

    const char *broker[] = {"serve",    "--bootstrap-file", h->bootstrap, "--control",
                            h->control, "--partitions",     "3",          NULL};
    h->broker = h_spawn(h, "devbroker", broker);
    int64_t until = now_ms() + 15000;
    while (access(h->bootstrap, R_OK) != 0) {
        if (now_ms() > until)
            die("the development broker did not start (%s)", h->workdir);
        sleep_ms(20);
    }
    FILE *f = fopen(h->bootstrap, "r");
    if (!f || !fgets(h->bootstrap, sizeof(h->bootstrap), f))
        die("cannot read the bootstrap file %s", h->workdir);
    fclose(f);
    h->bootstrap[strcspn(h->bootstrap, "\n")] = '\0';
    return h;
}

/* 1 if a process log of the test shows a sanitizer report. */
static int sanitizer_reports(const h_env_t *h)
{
    char cmd[800];
    snprintf(cmd, sizeof(cmd),
             "grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' '%s'/*.log "
             ">/dev/null 2>&1",
             h->workdir);
    return system(cmd) == 0;
}

int h_teardown(h_env_t *h)
{
    if (!h)
        return 0;
    int problems = 0;
    for (int i = 0; i < h->nprocs; i++) {
        if (h->procs[i] > 0 && h->procs[i] != h->broker) {
            int rc = h_stop(h, h->procs[i], SIGTERM, 10000);
            /* Every worker still running must stop cleanly on SIGTERM (the SMTP sink is
             * Debian's, not ours). */
            if (rc != 0 && strcmp(h->proc_names[i], "smtpsink") != 0) {
                fprintf(stderr, "harness: %s exited %d on SIGTERM (see %s)\n", h->proc_names[i], rc,
                        h->workdir);
                problems++;
            }
        }
    }
    if (h->producer) {
        rd_kafka_flush(h->producer, 2000);
        rd_kafka_destroy(h->producer);
        h->producer = NULL;
    }
    if (h->broker > 0)
        h_stop(h, h->broker, SIGTERM, 10000);
    h->broker = 0;
    if (sanitizer_reports(h)) {
        fprintf(stderr, "harness: a sanitizer reported an error (see %s/*.log)\n", h->workdir);
        problems++;
    }
    if (h->db)
        PQfinish(h->db);
    h->db = NULL;
    if (current == h)
        current = NULL;
    free(h);
    return problems;
}

static pid_t spawn_path(h_env_t *h, const char *path, const char *binary, const char *const *args);

pid_t h_spawn(h_env_t *h, const char *binary, const char *const *args)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", env_or("LIC_TEST_BIN_DIR", "."), binary);
    return spawn_path(h, path, binary, args);
}

static pid_t spawn_path(h_env_t *h, const char *path, const char *binary, const char *const *args)
{
    char log[700];
    snprintf(log, sizeof(log), "%s/%s.%d.log", h->workdir, binary, h->nspawned++);
    const char *argv[32];
    int argc = 0;
    argv[argc++] = path;
    for (int i = 0; args && args[i] && argc < 31; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(path, (char *const *)argv);
        _exit(127);
    }
    if (pid > 0) {
        /* A stopped process's slot is reused: a long soak restarts workers thousands of
         * times. */
        int slot = 0;
        while (slot < h->nprocs && h->procs[slot] > 0)
            slot++;
        if (slot == H_MAX_PROCS)
            die("more than %d processes running in one test", H_MAX_PROCS);
        snprintf(h->proc_names[slot], sizeof(h->proc_names[0]), "%s", binary);
        h->procs[slot] = pid;
        if (slot == h->nprocs)
            h->nprocs++;
    }
    return pid;
}

int h_stop(h_env_t *h, pid_t pid, int sig, int timeout_ms)
{
    if (pid <= 0)
        return -1;
    if (sig)
        kill(pid, sig);
    int64_t until = now_ms() + timeout_ms;
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0) {
            status = -1;
            break;
        }
        if (now_ms() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            status = -1;
            break;
        }
        sleep_ms(10);
    }
    for (int i = 0; i < h->nprocs; i++)
        if (h->procs[i] == pid)
            h->procs[i] = 0;
    if (status == -1)
        return -1;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

static int async_failed;

static void dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    int *st = m->_private;
    if (st)
        *st = m->err ? -1 : 1;
    else if (m->err)
        async_failed++;
}

static rd_kafka_t *producer(h_env_t *h)
{
    if (h->producer)
        return h->producer;
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", h->bootstrap, err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err));
    rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof(err));
    /* Room for the oversized portal messages the tests send. */
    rd_kafka_conf_set(conf, "message.max.bytes", "16777216", err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_conf_set_dr_msg_cb(conf, dr);
    h->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!h->producer)
        die("producer: %s", err);
    return h->producer;
}

int h_produce_header(h_env_t *h, const char *topic, const char *key, const void *value, size_t len,
                     const char *header, const char *header_value)
{
    rd_kafka_t *rk = producer(h);
    int state = 0;
    rd_kafka_headers_t *hdrs = header ? rd_kafka_headers_new(1) : NULL;
    if (hdrs)
        rd_kafka_header_add(hdrs, header, -1, header_value, -1);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
        RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(&state), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (err) {
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);
        return -1;
    }
    int64_t until = now_ms() + 30000;
    while (state == 0 && now_ms() < until)
        rd_kafka_poll(rk, 20);
    return state == 1 ? 0 : -1;
}

int h_produce(h_env_t *h, const char *topic, const char *key, const void *value, size_t len)
{
    return h_produce_header(h, topic, key, value, len, NULL, NULL);
}

int h_produce_signed(h_env_t *h, const char *topic, json_t *event, const char *key_id,
                     const unsigned char *sk)
{
    char *v = json_dumps(event, JSON_COMPACT);
    const char *subject = json_string_value(json_object_get(event, "subject"));
    char sig[128];
    int rc = -1;
    if (v && (!sk || sg_sign(sk, v, strlen(v), sig, sizeof(sig)) == 0)) {
        rd_kafka_t *rk = producer(h);
        int state = 0;
        rd_kafka_headers_t *hdrs = sk ? rd_kafka_headers_new(2) : NULL;
        if (hdrs) {
            rd_kafka_header_add(hdrs, "x-key-id", -1, key_id, -1);
            rd_kafka_header_add(hdrs, "x-signature", -1, sig, -1);
        }
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(subject, subject ? strlen(subject) : 0),
            RD_KAFKA_V_VALUE(v, strlen(v)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(&state), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (err && hdrs)
            rd_kafka_headers_destroy(hdrs);
        int64_t until = now_ms() + 30000;
        while (!err && state == 0 && now_ms() < until)
            rd_kafka_poll(rk, 20);
        rc = !err && state == 1 ? 0 : -1;
    }
    free(v);
    json_decref(event);
    return rc;
}

int h_produce_act(h_env_t *h, json_t *event, const char *role)
{
    int head = role && strcmp(role, "head") == 0;
    return h_produce_signed(h, "provider.actions.v1", event,
                            !role  ? NULL
                            : head ? "head-2026"
                                   : "executor-2026",
                            !role  ? NULL
                            : head ? h->head_sk
                                   : h->executor_sk);
}

int h_produce_async(h_env_t *h, const char *topic, const char *key, const void *value, size_t len)
{
    rd_kafka_t *rk = producer(h);
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
            RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 50);
            continue;
        }
        return err ? -1 : 0;
    }
}

int h_watermarks(h_env_t *h, const char *topic, int partition, int64_t *lo, int64_t *hi)
{
    return rd_kafka_query_watermark_offsets(producer(h), topic, partition, lo, hi, 10000) ==
                   RD_KAFKA_RESP_ERR_NO_ERROR
               ? 0
               : -1;
}

int h_flush(h_env_t *h, int timeout_ms)
{
    rd_kafka_t *rk = producer(h);
    if (rd_kafka_flush(rk, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    int failed = async_failed;
    async_failed = 0;
    return failed ? -1 : 0;
}

void h_clock_freeze(h_env_t *h, const char *rfc3339)
{
    time_t t;
    char err[256];
    if (util_rfc3339_parse(rfc3339, &t) != 0)
        die("bad moment %s", rfc3339);
    if (clock_write_file(h->clock_file, 1, t, err, sizeof(err)) != 0)
        die("cannot write the clock file: %s", err);
}

int h_wait_log(h_env_t *h, const char *binary, const char *text, int timeout_ms)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "cat '%s'/%s.*.log 2>/dev/null | grep -q -F -- '%s'", h->workdir,
             binary, text);
    int64_t until = now_ms() + timeout_ms;
    for (;;) { /* once at least: timeout 0 asks whether it is there now */
        if (system(cmd) == 0)
            return 1;
        if (now_ms() >= until)
            break;
        sleep_ms(100);
    }
    fprintf(stderr, "harness: no '%s' in the %s logs within %d ms\n", text, binary, timeout_ms);
    return 0;
}

void h_exec(h_env_t *h, const char *sql)
{
    exec_ok(h->db, sql);
}

int h_produce_event(h_env_t *h, const char *topic, json_t *event)
{
    char *s = json_dumps(event, JSON_COMPACT);
    const char *key = json_string_value(json_object_get(event, "subject"));
    int rc = h_produce(h, topic, key, s, strlen(s));
    free(s);
    return rc;
}

static PGresult *query(h_env_t *h, const char *sql)
{
    PGresult *r = PQexec(h->db, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "harness: %s: %s\n", sql, PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    return r;
}

long long h_query_ll(h_env_t *h, const char *sql)
{
    PGresult *r = query(h, sql);
    long long v = -1;
    if (r && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

char *h_query_str(h_env_t *h, const char *sql)
{
    PGresult *r = query(h, sql);
    char *v = NULL;
    if (r && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

int h_wait_ll(h_env_t *h, const char *sql, long long expected, int timeout_ms)
{
    int64_t until = now_ms() + timeout_ms;
    long long v = -1;
    while (now_ms() < until) {
        v = h_query_ll(h, sql);
        if (v == expected)
            return 1;
        sleep_ms(50);
    }
    fprintf(stderr, "harness: waited %d ms for %lld from [%s], last %lld\n", timeout_ms, expected,
            sql, v);
    return 0;
}

json_t *h_read_topic(h_env_t *h, const char *topic, int count, int timeout_ms)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", h->bootstrap, err, sizeof(err));
    rd_kafka_conf_set(conf, "group.id", h_uuid(), err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    json_t *out = json_array();
    if (!rk)
        return out;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topic_cnt == 1) {
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(8);
        for (int i = 0; i < md->topics[0].partition_cnt; i++)
            rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[i].id)
                ->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
        int64_t until = now_ms() + timeout_ms;
        while ((int)json_array_size(out) < count && now_ms() < until) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
            if (!m)
                continue;
            if (!m->err) {
                json_t *headers = json_object();
                rd_kafka_headers_t *hdrs;
                if (rd_kafka_message_headers(m, &hdrs) == 0) {
                    const char *name;
                    const void *val;
                    size_t len;
                    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &len) == 0;
                         i++)
                        json_object_set_new(headers, name, json_stringn(val, len));
                }
                json_array_append_new(out, json_pack("{s:i,s:I,s:s%,s:s%,s:o}", "partition",
                                                     m->partition, "offset", (json_int_t)m->offset,
                                                     "key", m->key ? (const char *)m->key : "",
                                                     m->key ? m->key_len : 0, "value",
                                                     m->payload ? (const char *)m->payload : "",
                                                     m->len, "headers", headers));
            }
            rd_kafka_message_destroy(m);
        }
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return out;
}

json_t *h_submission(const char *application_id, const char *event_id, const char *submitted_at)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/proto/examples/application.submitted.v1.json",
             env_or("LIC_SRC_DIR", "."));
    json_error_t jerr;
    json_t *ev = json_load_file(path, 0, &jerr);
    if (!ev)
        die("cannot load %s", path);
    json_t *data = json_object_get(ev, "data");
    json_object_set_new(ev, "id", json_string(event_id));
    json_object_set_new(ev, "subject", json_string(application_id));
    json_object_set_new(data, "application_id", json_string(application_id));
    if (submitted_at)
        json_object_set_new(data, "submitted_at", json_string(submitted_at));
    return ev;
}

int h_broker(h_env_t *h, const char *command)
{
    const char *args[] = {"ctl", h->control, command, NULL};
    pid_t p = h_spawn(h, "devbroker", args);
    return h_stop(h, p, 0, 10000);
}

/* Waits for a simulator's port file; aborts after 15 s. */
static unsigned read_port_file(h_env_t *h, const char *portf, const char *what)
{
    int64_t until = now_ms() + 15000;
    FILE *f = NULL;
    while (!(f = fopen(portf, "r"))) {
        if (now_ms() > until)
            die("the %s did not start (%s)", what, h->workdir);
        sleep_ms(20);
    }
    unsigned port = 0;
    if (fscanf(f, "%u", &port) != 1)
        die("cannot read %s", portf);
    fclose(f);
    return port;
}

pid_t h_start_sim(h_env_t *h)
{
    char agencies[700], portf[700];
    snprintf(agencies, sizeof(agencies), "%s/agencies.json", h->workdir);
    snprintf(portf, sizeof(portf), "%s/sim.port", h->workdir);
    const char *args[] = {"--agencies-file", agencies, "--port-file", portf, NULL};
    unlink(portf); /* a restarted simulator's port, never the last one's */
    pid_t pid = h_spawn(h, "agencysim", args);
    h->sim_port = read_port_file(h, portf, "agency simulator");
    setenv("LIC_AGENCIES_FILE", agencies, 1);
    if (!h->registry_port)
        h_start_registry(h);
    return pid;
}

/* A CA, a server certificate for 127.0.0.1 and a client certificate it signs, and a client
 * certificate of another CA, in WORKDIR/tls (openssl's command line). */
static void make_tls_files(h_env_t *h, char *dir, size_t size)
{
    snprintf(dir, size, "%s/tls", h->workdir);
    char cmd[3000];
    snprintf(cmd, sizeof(cmd),
             "set -e; mkdir -p '%s'; cd '%s';"
             " q() { \"$@\" >/dev/null 2>&1; };"
             " q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca"
             "   -keyout ca.key -out ca.pem;"
             " q openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key"
             "   -out server.csr;"
             " printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext;"
             " q openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
             "   -days 2 -extfile server.ext -out server.pem;"
             " q openssl req -newkey rsa:2048 -nodes -subj /CN=KPR_LICENSING -keyout client.key"
             "   -out client.csr;"
             " q openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
             "   -days 2 -out client.pem;"
             " q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=stranger"
             "   -keyout stranger.key -out stranger.pem",
             dir, dir);
    if (system(cmd) != 0)
        die("cannot make the TLS files in %s", dir);
}

pid_t h_start_registry(h_env_t *h)
{
    char data[700], portf[700], pw[700], url[128], tlsportf[700], dir[600];
    char cert[700], key[700], ca[700], ccert[700], ckey[700];
    snprintf(data, sizeof(data), "%s/deploy/registrysim/registry.json", env_or("LIC_SRC_DIR", "."));
    snprintf(portf, sizeof(portf), "%s/registry.port", h->workdir);
    snprintf(tlsportf, sizeof(tlsportf), "%s/registry.tls.port", h->workdir);
    snprintf(pw, sizeof(pw), "%s/gateway.password", h->workdir);
    FILE *f = fopen(pw, "w");
    if (!f)
        die("cannot write %s", pw);
    fputs("test-gateway-password\n", f);
    fclose(f);
    unlink(portf);
    unlink(tlsportf);
    int tls = getenv("LIC_TEST_GATEWAY_TLS") && atoi(getenv("LIC_TEST_GATEWAY_TLS")) == 1;
    const char *args[16] = {"--data", data, "--port-file", portf, "--password-file", pw, NULL};
    if (tls) {
        make_tls_files(h, dir, sizeof(dir));
        snprintf(cert, sizeof(cert), "%s/server.pem", dir);
        snprintf(key, sizeof(key), "%s/server.key", dir);
        snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
        const char *more[] = {"--tls-cert",      cert, "--tls-key",       key,
                              "--tls-client-ca", ca,   "--tls-port-file", tlsportf};
        memcpy(&args[6], more, sizeof(more));
        args[14] = NULL;
    }
    pid_t pid = h_spawn(h, "registrysim", args);
    h->registry_port = read_port_file(h, portf, "gateway simulator");
    if (tls) {
        /* The workers speak HTTPS with the client certificate; /control stays plain. */
        unsigned tport = read_port_file(h, tlsportf, "gateway simulator's TLS listener");
        snprintf(url, sizeof(url), "https://127.0.0.1:%u/bip-sync/", tport);
        snprintf(ccert, sizeof(ccert), "%s/client.pem", dir);
        snprintf(ckey, sizeof(ckey), "%s/client.key", dir);
        setenv("LIC_GATEWAY_ALLOW_PLAIN_HTTP", "0", 1);
        setenv("LIC_GATEWAY_TLS_CERT", ccert, 1);
        setenv("LIC_GATEWAY_TLS_KEY", ckey, 1);
        setenv("LIC_GATEWAY_TLS_CA", ca, 1);
    } else {
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/bip-sync/", h->registry_port);
        setenv("LIC_GATEWAY_ALLOW_PLAIN_HTTP", "1", 1);
        unsetenv("LIC_GATEWAY_TLS_CERT");
        unsetenv("LIC_GATEWAY_TLS_KEY");
        unsetenv("LIC_GATEWAY_TLS_CA");
    }
    setenv("LIC_GATEWAY_URL", url, 1);
    setenv("LIC_GATEWAY_PASSWORD_FILE", pw, 1);
    return pid;
}

static size_t collect_body(char *p, size_t size, size_t n, void *ud)
{
    char **buf = ud;
    size_t old = *buf ? strlen(*buf) : 0, len = size * n;
    char *nb = realloc(*buf, old + len + 1);
    if (!nb)
        return 0;
    memcpy(nb + old, p, len);
    nb[old + len] = '\0';
    *buf = nb;
    return len;
}

static json_t *sim_call(unsigned port, const char *path, const char *body);

json_t *h_sim(h_env_t *h, const char *body)
{
    return sim_call(h->sim_port, body ? "control" : "stats", body);
}

json_t *h_registry(h_env_t *h, const char *path, const char *body)
{
    return sim_call(h->registry_port, body ? "control" : path, body);
}

static json_t *sim_call(unsigned port, const char *path, const char *body)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/%s", port, path);
    CURL *c = curl_easy_init();
    char *resp = NULL;
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hd);
    curl_easy_cleanup(c);
    json_t *j = cc == CURLE_OK && status == 200 && resp ? json_loads(resp, 0, NULL) : NULL;
    if (!j)
        fprintf(stderr, "harness: simulator call failed (%s, HTTP %ld)\n", curl_easy_strerror(cc),
                status);
    free(resp);
    return j;
}

int h_check_status_events(h_env_t *h, json_t *msgs)
{
    char path[700], kpath[700], cmd[2400];
    snprintf(path, sizeof(path), "%s/status.jsonl", h->workdir);
    snprintf(kpath, sizeof(kpath), "%s/status-messages.jsonl", h->workdir);
    FILE *f = fopen(path, "w"), *kf = fopen(kpath, "w");
    if (!f || !kf) {
        if (f)
            fclose(f);
        if (kf)
            fclose(kf);
        return 1;
    }
    int bad = 0;
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        const char *value = json_string_value(json_object_get(m, "value"));
        fprintf(f, "%s\n", value);
        /* The whole message, headers too, for the CloudEvents SDK. */
        char *whole = json_dumps(m, JSON_COMPACT);
        fprintf(kf, "%s\n", whole ? whole : "{}");
        free(whole);
        const char *ct =
            json_string_value(json_object_get(json_object_get(m, "headers"), "content-type"));
        if (!ct || strcmp(ct, "application/cloudevents+json; charset=UTF-8") != 0) {
            fprintf(stderr, "harness: status event at offset %lld has content-type %s\n",
                    (long long)json_integer_value(json_object_get(m, "offset")),
                    ct ? ct : "(none)");
            bad++;
        }
        json_t *v = json_loads(value, 0, NULL);
        json_t *d = json_object_get(v, "data");
        const char *fields[] = {"at", "service_deadline"};
        for (int k = 0; k < 2; k++) {
            const char *t = json_string_value(json_object_get(d, fields[k]));
            if (t && (strlen(t) < 6 || strcmp(t + strlen(t) - 6, "+05:00") != 0)) {
                fprintf(stderr, "harness: status event %s has %s %s, not in +05:00\n",
                        json_string_value(json_object_get(v, "id")), fields[k], t);
                bad++;
            }
        }
        json_decref(v);
    }
    fclose(f);
    fclose(kf);
    const char *src = env_or("LIC_SRC_DIR", ".");
    snprintf(cmd, sizeof(cmd), "'%s' '%s/tests/proto/check_proto.py' '%s/proto' --events '%s'",
             env_or("LIC_PYTHON3", "python3"), src, src, path);
    if (system(cmd) != 0)
        bad++;
    /* A consumer no one here wrote: the CloudEvents SDK's Kafka binding (deploy/install-deps.sh
     * installs it). */
    snprintf(cmd, sizeof(cmd), "node '%s/tests/proto/cloudevents/parse.js' '%s'", src, kpath);
    if (system(cmd) != 0)
        bad++;
    return bad;
}

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>

static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int port_open(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

pid_t h_start_smtp(h_env_t *h)
{
    char listen[64], maildir[700], url[64], port_s[16];
    if (!h->smtp_port)
        h->smtp_port = free_port();
    snprintf(port_s, sizeof(port_s), "%u", h->smtp_port);
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", h->smtp_port);
    snprintf(maildir, sizeof(maildir), "%s/maildir", h->workdir);
    const char *args[] = {
        "-m", "aiosmtpd", "-n", "-l", listen, "-c", "aiosmtpd.handlers.Mailbox", maildir, NULL};
    pid_t pid = spawn_path(h, env_or("LIC_PYTHON3", "python3"), "smtpsink", args);
    int64_t until = now_ms() + 15000;
    while (!port_open(h->smtp_port)) {
        if (now_ms() > until)
            die("the SMTP sink did not start (%s)", h->workdir);
        sleep_ms(50);
    }
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%u", h->smtp_port);
    setenv("LIC_SMTP_URL", url, 1);
    (void)port_s;
    return pid;
}

int h_start_smtp_silent(h_env_t *h)
{
    if (!h->smtp_port)
        h->smtp_port = free_port();
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1; /* not in the workers */
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)h->smtp_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0)
        die("cannot listen on 127.0.0.1:%u: %s", h->smtp_port, strerror(errno));
    char url[64];
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%u", h->smtp_port);
    setenv("LIC_SMTP_URL", url, 1);
    return fd;
}

static char *b64_decode_lines(const char *in)
{
    size_t n = strlen(in);
    char *clean = malloc(n + 1), *out = malloc(n + 4);
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i] != '\r' && in[i] != '\n' && in[i] != ' ')
            clean[c++] = in[i];
    clean[c] = '\0';
    int len = c ? EVP_DecodeBlock((unsigned char *)out, (unsigned char *)clean, (int)c) : 0;
    if (len < 0)
        len = 0;
    while (c && clean[--c] == '=' && len > 0)
        len--;
    out[len] = '\0';
    free(clean);
    return out;
}

json_t *h_mails(h_env_t *h)
{
    json_t *out = json_array();
    char dir[700];
    snprintf(dir, sizeof(dir), "%s/maildir/new", h->workdir);
    DIR *d = opendir(dir);
    if (!d)
        return out;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1000];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        static char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *sep = strstr(buf, "\r\n\r\n");
        size_t skip = 4;
        if (!sep) {
            sep = strstr(buf, "\n\n");
            skip = 2;
        }
        if (!sep)
            continue;
        *sep = '\0';
        char to[300] = "", subject[600] = "", app[80] = "";
        for (char *line = strtok(buf, "\r\n"); line; line = strtok(NULL, "\r\n")) {
            if (strncmp(line, "To: ", 4) == 0)
                snprintf(to, sizeof(to), "%s", line + 4);
            else if (strncmp(line, "X-Licensing-Application: ", 25) == 0)
                snprintf(app, sizeof(app), "%s", line + 25);
            else if (strncmp(line, "Subject: =?UTF-8?B?", 19) == 0) {
                char enc[600];
                snprintf(enc, sizeof(enc), "%s", line + 19);
                char *end = strstr(enc, "?=");
                if (end)
                    *end = '\0';
                char *dec = b64_decode_lines(enc);
                snprintf(subject, sizeof(subject), "%s", dec);
                free(dec);
            }
        }
        char *body = b64_decode_lines(sep + skip);
        json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s}", "to", to, "subject", subject,
                                             "body", body, "application_id", app));
        free(body);
    }
    closedir(d);
    return out;
}

long long h_qf(h_env_t *h, const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return h_query_ll(h, sql);
}

char *h_qsf(h_env_t *h, const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return h_query_str(h, sql);
}

int h_waitf(h_env_t *h, long long expected, int timeout_ms, const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return h_wait_ll(h, sql, expected, timeout_ms);
}

int h_produce_submissions(h_env_t *h, int n, int incomplete_every)
{
    json_t *ev = h_submission("00000000-0000-4000-8000-000000000000", h_uuid(), NULL);
    json_t *data = json_object_get(ev, "data");
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        char id[UUID_STR_LEN];
        util_uuid_v4(id);
        json_object_set_new(ev, "id", json_string(h_uuid()));
        json_object_set_new(ev, "subject", json_string(id));
        json_object_set_new(data, "application_id", json_string(id));
        if (incomplete_every > 0 && i % incomplete_every == incomplete_every - 1)
            json_object_set_new(data, "fee",
                                json_pack("{s:s,s:i}", "paid_via", "bank", "amount_kzt", 1));
        else
            json_object_set_new(data, "fee",
                                json_pack("{s:s,s:i,s:s}", "paid_via", "egov_gateway", "amount_kzt",
                                          43250, "payment_ref", "EGOV-1"));
        char *s = json_dumps(ev, JSON_COMPACT);
        rc = h_produce_async(h, "portal.applications.v1", id, s, strlen(s));
        free(s);
    }
    json_decref(ev);
    return rc == 0 ? h_flush(h, 60000) : -1;
}

unsigned h_free_port(void)
{
    return free_port();
}

char *h_get(unsigned port, const char *path, long *status)
{
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    CURL *c = curl_easy_init();
    char *resp = NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    CURLcode cc = curl_easy_perform(c);
    *status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK) {
        free(resp);
        return NULL;
    }
    return resp ? resp : strdup("");
}

void h_poll_interval(int ms)
{
    sleep_ms(ms);
}

int h_kill_db_connections(h_env_t *h)
{
    PGconn *c = connect_pg(h->dbname, "postgres");
    if (!c)
        return -1;
    PGresult *r = PQexec(c, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND application_name LIKE"
                            " 'lic-%'");
    int n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    PQfinish(c);
    return n;
}

PGconn *h_holder_begin(h_env_t *h, const char *sql)
{
    PGconn *c = connect_pg(h->dbname, "lic_owner");
    if (!c)
        die("cannot connect for a lock holder");
    exec_ok(c, "BEGIN");
    exec_ok(c, sql);
    return c;
}

int h_holder_wait_blocked(h_env_t *h, PGconn *holder, int timeout_ms)
{
    return h_waitf(h, 1, timeout_ms,
                   "SELECT (count(*) > 0)::int FROM pg_locks WHERE NOT granted AND %d = ANY"
                   " (pg_blocking_pids(pid))",
                   PQbackendPID(holder));
}

void h_holder_commit(PGconn *holder)
{
    exec_ok(holder, "COMMIT");
    PQfinish(holder);
}

int h_produce_submissions_recorded(h_env_t *h, int n)
{
    exec_ok(h->db, "CREATE TABLE IF NOT EXISTS produced_ids (application_id text PRIMARY KEY)");
    json_t *ev = h_submission("00000000-0000-4000-8000-000000000000", h_uuid(), NULL);
    json_t *data = json_object_get(ev, "data");
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        char id[UUID_STR_LEN], sql[128];
        util_uuid_v4(id);
        snprintf(sql, sizeof(sql), "INSERT INTO produced_ids VALUES ('%s')", id);
        exec_ok(h->db, sql);
        json_object_set_new(ev, "id", json_string(h_uuid()));
        json_object_set_new(ev, "subject", json_string(id));
        json_object_set_new(data, "application_id", json_string(id));
        char *s = json_dumps(ev, JSON_COMPACT);
        rc = h_produce_async(h, "portal.applications.v1", id, s, strlen(s));
        free(s);
    }
    json_decref(ev);
    return rc == 0 ? h_flush(h, 60000) : -1;
}
