/* The fault suite: a steady load of applications through the whole flow while workers are
 * killed (SIGKILL, and SIGTERM mid-batch), a broker goes down and comes back, requests to the
 * broker fail, PostgreSQL connections are terminated and the agencies answer 500. Then the
 * invariants of tests/reliability/invariants.sql must hold, every application must be decided,
 * and a table says what was injected and that nothing was lost or duplicated.
 *
 * Short mode (the test suite): LIC_FAULT_SECONDS=40. Long mode: deploy/soak.sh. */
#include "harness.h"
#include "util.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "itest.h"

#define APPS "portal.applications.v1"

typedef struct {
    const char *name;
    int count;
} fault_t;

static pid_t start(const char *worker)
{
    return h_spawn(env, worker, NULL);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* What the broker holds, read as the run goes: the development broker keeps about 5 MB a
 * partition, so a long run's first messages are gone by its end. A reader that follows the
 * topic sees each message while it is there. */
typedef struct {
    rd_kafka_t *rk;
    json_t *seen; /* application id -> true */
    int bad;
} tally_t;

static void tally_open(tally_t *t)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", env->bootstrap, err, sizeof(err));
    rd_kafka_conf_set(conf, "group.id", h_uuid(), err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    t->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    assert_non_null(t->rk);
    rd_kafka_poll_set_consumer(t->rk);
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(subs, APPS, RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(t->rk, subs), 0);
    rd_kafka_topic_partition_list_destroy(subs);
    t->seen = json_object();
    t->bad = 0;
}

/* Reads what has arrived (wait_ms 0); or, with wait_ms, until `expected` messages were seen
 * or nothing came for wait_ms. */
static void tally_read(tally_t *t, int expected, int wait_ms)
{
    int64_t idle_until = util_mono_ms() + wait_ms;
    for (;;) {
        if (wait_ms > 0 && (int)json_object_size(t->seen) + t->bad >= expected)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(t->rk, wait_ms > 0 ? 100 : 0);
        if (!m) {
            if (wait_ms == 0 || util_mono_ms() >= idle_until)
                break;
            continue;
        }
        if (!m->err && m->key) {
            char key[64];
            snprintf(key, sizeof(key), "%.*s", (int)m->key_len, (const char *)m->key);
            if (strcmp(key, "bad") == 0)
                t->bad++;
            else
                json_object_set_new(t->seen, key, json_true());
            idle_until = util_mono_ms() + wait_ms;
        }
        rd_kafka_message_destroy(m);
    }
}

static void tally_close(tally_t *t)
{
    rd_kafka_consumer_close(t->rk);
    rd_kafka_destroy(t->rk);
    json_decref(t->seen);
}

/* Application ids seen on the topic that are not registered, space-separated (at most a
 * few hundred characters), and how many. */
static int unregistered(tally_t *t, char *out, size_t out_size)
{
    int n = 0;
    size_t len = 0;
    out[0] = '\0';
    const char *id;
    json_t *v;
    json_object_foreach(t->seen, id, v)
    {
        (void)v;
        if (q("SELECT count(*) FROM applications WHERE application_id = '%s'", id) == 0) {
            n++;
            if (len + strlen(id) + 2 < out_size)
                len += (size_t)snprintf(out + len, out_size - len, "%s ", id);
        }
    }
    return n;
}

/* Restarts the test PostgreSQL (pg_ctl restart -m fast) and reconnects the harness. */
static void restart_postgres(void)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "'%s/deploy/pg.sh' restart '%s' >/dev/null", getenv("LIC_SRC_DIR"),
             getenv("LIC_TEST_PG_DIR"));
    assert_int_equal(system(cmd), 0);
    PQreset(env->db);
    assert_int_equal(PQstatus(env->db), CONNECTION_OK);
}

/* Applications made non-compliant in each "SMTP down" fault. */
#define REFUSALS 3

static void faults_under_load(void **state)
{
    (void)state;
    const char *secs_env = getenv("LIC_FAULT_SECONDS");
    int seconds = secs_env ? atoi(secs_env) : 40;
    /* Long mode spaces the faults (every Nth round) so that the workers catch up in between,
     * as the development broker deletes what a starved consumer has not read. */
    const char *every_env = getenv("LIC_FAULT_EVERY");
    int every = every_env && atoi(every_env) > 0 ? atoi(every_env) : 1;
    setenv("LIC_AGENCY_RETRY_BASE_MS", "100", 1);
    setenv("LIC_AGENCY_BREAKER_COOLDOWN_MS", "1000", 1);
    setenv("LIC_AGENCY_TIMEOUT_MS", "1500", 1);
    env = h_setup("reliability_faults");
    h_start_sim(env);
    pid_t smtp = h_start_smtp(env);
    const char *names[] = {"intake",  "registries", "relay",   "dispatcher", "replies", "timer",
                           "decider", "mailer",     "actions", "complaints", "notary"};
    enum { NW = sizeof(names) / sizeof(names[0]) };
    pid_t pids[NW];
    for (int i = 0; i < NW; i++)
        pids[i] = start(names[i]);

    /* In this order, one a round (or every Nth); the two intake kills are apart. Workers are
     * found by name: the list of workers may change order. */
    fault_t faults[] = {
        {"SIGKILL intake", 0},
        {"SIGKILL dispatcher", 0},
        {"broker down/up", 0},
        {"SIGKILL replies", 0},
        {"produce errors", 0},
        {"SIGKILL decider", 0},
        {"fetch + offset commit errors", 0},
        {"SIGKILL relay", 0},
        {"leader change", 0},
        {"SIGKILL registries", 0},
        {"SIGTERM timer", 0},
        {"connections killed", 0},
        {"PostgreSQL restarted", 0},
        {"agency 500s", 0},
        {"agency timeouts", 0},
        {"agency refuses connections", 0},
        {"duplicate replies", 0},
        {"SMTP down for hearing notices", 0},
        {"SIGKILL mailer", 0},
        {"SIGTERM registries", 0},
        {"SIGKILL intake (again)", 0},
    };
    const int nfaults = (int)(sizeof(faults) / sizeof(faults[0]));
    int produced = 0, bad = 0, nf = 0, refusals_made = 0;
    const char *undo = NULL; /* the simulator's setting a fault changed, put back next round */
    tally_t tally;
    tally_open(&tally);
    int64_t until = util_mono_ms() + seconds * 1000L;
    for (int round = 0; util_mono_ms() < until; round++) {
        if (undo) {
            sim(undo);
            undo = NULL;
        }
        /* The load: 20 applications a round, and now and then one bad message. */
        assert_int_equal(h_produce_submissions_recorded(env, 20), 0);
        produced += 20;
        if (round == 4) {
            /* Once, a message larger than the producers' limit: its dead letter is cut to
             * fit and the relay goes on (the outbox must drain below). */
            size_t big = 2 * 1024 * 1024 + 100;
            char *v = malloc(big);
            assert_non_null(v);
            memset(v, ' ', big);
            v[0] = '{';
            v[big - 1] = '}';
            assert_int_equal(h_produce(env, APPS, "bad", v, big), 0);
            free(v);
            bad++;
        } else if (round % 5 == 4) {
            assert_int_equal(h_produce(env, APPS, "bad", "{\"not\": \"an event\"}", 19), 0);
            bad++;
        }
        if (round % every != 0) {
            h_poll_interval(1500);
            tally_read(&tally, 0, 0);
            continue;
        }
        fault_t *f = &faults[nf++ % nfaults];
        /* "SIGKILL <worker>[ (again)]" and "SIGTERM <worker>": the worker found by its name. */
        int w = -1, term = !strncmp(f->name, "SIGTERM ", 8);
        if (term || !strncmp(f->name, "SIGKILL ", 8))
            for (int i = 0; i < NW; i++)
                if (!strncmp(f->name + 8, names[i], strlen(names[i])) &&
                    (f->name[8 + strlen(names[i])] == '\0' || f->name[8 + strlen(names[i])] == ' '))
                    w = i;
        if (w >= 0) {
            assert_int_equal(h_stop(env, pids[w], term ? SIGTERM : SIGKILL, 10000),
                             term ? 0 : 128 + SIGKILL);
            pids[w] = start(names[w]);
        } else if (!strcmp(f->name, "broker down/up")) {
            assert_int_equal(h_broker(env, "broker down 2"), 0);
            h_poll_interval(2000);
            assert_int_equal(h_broker(env, "broker up 2"), 0);
        } else if (!strcmp(f->name, "produce errors")) {
            assert_int_equal(h_broker(env, "error Produce NOT_LEADER_FOR_PARTITION 5"), 0);
        } else if (!strcmp(f->name, "fetch + offset commit errors")) {
            assert_int_equal(h_broker(env, "error Fetch NOT_LEADER_FOR_PARTITION 5"), 0);
            assert_int_equal(h_broker(env, "error OffsetCommit COORDINATOR_NOT_AVAILABLE 3"), 0);
        } else if (!strcmp(f->name, "leader change")) {
            char cmd[120];
            snprintf(cmd, sizeof(cmd), "leader %s %d %d",
                     nf % 2 ? APPS : "agency.sanitary.replies.v1", nf % 3, 1 + nf % 3);
            assert_int_equal(h_broker(env, cmd), 0);
        } else if (!strcmp(f->name, "connections killed")) {
            int n = h_kill_db_connections(env);
            print_message("terminated %d worker connections\n", n);
            assert_true(n > 0);
        } else if (!strcmp(f->name, "PostgreSQL restarted")) {
            restart_postgres();
        } else if (!strcmp(f->name, "agency 500s")) {
            sim("{\"agency\": \"industrial_safety\", \"fail_next\": 5}");
        } else if (!strcmp(f->name, "agency timeouts")) {
            /* Answers slower than the dispatcher's 1.5 s timeout for a round. */
            sim("{\"agency\": \"sanitary\", \"response_delay_ms\": 2500}");
            undo = "{\"agency\": \"sanitary\", \"response_delay_ms\": 0}";
        } else if (!strcmp(f->name, "agency refuses connections")) {
            sim("{\"refuse_ms\": 2000}");
        } else if (!strcmp(f->name, "duplicate replies")) {
            sim("{\"agency\": \"sanitary\", \"reply_twice\": true}");
            undo = "{\"agency\": \"sanitary\", \"reply_twice\": false}";
        } else if (!strcmp(f->name, "SMTP down for hearing notices")) {
            /* With the SMTP server down, applications industrial safety finds non-compliant:
             * each gets a refusal proposed and a hearing notice, which cannot be delivered
             * until the server is back. */
            h_stop(env, smtp, SIGTERM, 5000);
            for (int i = 0; i < REFUSALS; i++) {
                char id[UUID_STR_LEN], ctl[200];
                util_uuid_v4(id);
                snprintf(ctl, sizeof(ctl),
                         "{\"agency\": \"industrial_safety\", \"application_id\": \"%s\","
                         " \"verdict\": \"non_compliant\"}",
                         id);
                sim(ctl);
                h_exec(env, "CREATE TABLE IF NOT EXISTS produced_ids (application_id text"
                            " PRIMARY KEY)");
                char ins[200];
                snprintf(ins, sizeof(ins), "INSERT INTO produced_ids VALUES ('%s')", id);
                h_exec(env, ins);
                json_t *ev = h_submission(id, h_uuid(), NULL);
                assert_int_equal(h_produce_event(env, APPS, ev), 0);
                json_decref(ev);
                produced++;
                refusals_made++;
            }
            /* Up again once a notice has failed to go out. */
            assert_true(h_wait_ll(env,
                                  "SELECT (count(*) > 0)::int FROM email_outbox WHERE last_error"
                                  " IS NOT NULL AND attempts > 0",
                                  1, 120000));
            smtp = h_start_smtp(env);
        }
        f->count++;
        h_poll_interval(1500);
        tally_read(&tally, 0, 0);
    }
    if (undo)
        sim(undo);
    h_broker(env, "clear Fetch");
    h_broker(env, "clear OffsetCommit");
    h_broker(env, "clear Produce");
    /* What the broker held: the development broker (librdkafka's mock cluster) has been seen
     * to drop a message it acknowledged while its brokers went down and up; that is the
     * broker's durability, not the workers', so it is counted apart. */
    tally_read(&tally, produced + bad, 10000);
    int on_topic = (int)json_object_size(tally.seen), bad_on_topic = tally.bad;
    int broker_lost = produced + bad - on_topic - bad_on_topic;
    /* Settle: every application seen on the topic decided, every status event published. */
    if (!wait_q(on_topic, 240000,
                "SELECT count(*) FROM applications WHERE stage IN ('license_issued',"
                " 'refusal_proposed')")) {
        char missing[600];
        int n = unregistered(&tally, missing, sizeof(missing));
        print_message("on the topic, not registered: %d: %s\n", n, missing);
        fail_msg("not every application on the topic was decided");
    }
    char missing[600];
    assert_int_equal(unregistered(&tally, missing, sizeof(missing)), 0);
    tally_close(&tally);
    assert_true(wait_q(0, 60000, "SELECT count(*) FROM outbox WHERE sent_at IS NULL"));
    /* A refusal was proposed exactly to the applications an agency found non-compliant, and
     * each got its hearing notice through the SMTP outage (at least once: a mailer killed
     * between the server's acceptance and its own record sends it again). */
    assert_int_equal(q("SELECT count(*) FROM applications a WHERE (a.stage = 'refusal_proposed')"
                       " <> EXISTS (SELECT 1 FROM agency_requests r WHERE r.application_id ="
                       " a.application_id AND r.outcome = 'non_compliant')"),
                     0);
    long long refusals = q("SELECT count(*) FROM applications WHERE stage = 'refusal_proposed'");
    assert_int_equal(refusals, refusals_made);
    assert_true(
        wait_q(refusals, 120000, "SELECT count(*) FROM email_outbox WHERE sent_at IS NOT NULL"));
    assert_int_equal(q("SELECT count(*) FROM email_outbox"), refusals);
    json_t *mails = h_mails(env);
    json_t *subjects = json_object();
    size_t mi;
    json_t *mv;
    json_array_foreach(mails, mi, mv)
    {
        json_object_set(subjects, json_string_value(json_object_get(mv, "application_id")),
                        json_true());
    }
    long long delivered = (long long)json_array_size(mails);
    long long distinct_notices = (long long)json_object_size(subjects);
    json_decref(subjects);
    json_decref(mails);
    assert_int_equal(distinct_notices, refusals);

    /* The invariants. */
    char path[600];
    snprintf(path, sizeof(path), "%s/tests/reliability/invariants.sql", getenv("LIC_SRC_DIR"));
    char *sql = read_file(path);
    assert_non_null(sql);
    PGresult *r = PQexec(env->db, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    int violated = 0;
    print_message("%-72s %s\n", "invariant", "violations");
    for (int i = 0; i < PQntuples(r); i++) {
        print_message("%-72s %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
        violated += atoi(PQgetvalue(r, i, 1));
    }
    PQclear(r);
    long long apps = q("SELECT count(*) FROM applications");
    long long lost = on_topic - apps;
    long long dup = q("SELECT count(*) - count(DISTINCT application_id) FROM transitions WHERE"
                      " from_stage = 'none'");
    long long dead = q("SELECT count(*) FROM dead_letters");
    json_t *stats = h_sim(env, NULL);
    long long keys = 0, requests = 0;
    const char *ags[] = {"industrial_safety", "sanitary"};
    for (int a = 0; a < 2; a++) {
        keys +=
            json_integer_value(json_object_get(json_object_get(stats, ags[a]), "distinct_keys"));
        requests += json_integer_value(json_object_get(json_object_get(stats, ags[a]), "requests"));
    }
    json_decref(stats);
    print_message("\n%-32s %s\n", "fault injected", "times");
    int total = 0;
    for (int i = 0; i < nfaults; i++) {
        print_message("%-32s %d\n", faults[i].name, faults[i].count);
        total += faults[i].count;
    }
    print_message("\nfaults %d, applications produced %d (on the topic %d; lost by the "
                  "development broker %d), decided %lld, lost %lld, duplicated %lld, bad input %d "
                  "-> dead letters %lld, agency requests %lld for %lld keys\n",
                  total, produced, on_topic, broker_lost, apps, lost, dup, bad_on_topic, dead,
                  requests, keys);
    assert_int_equal(violated, 0);
    print_message("hearing notices %lld: delivered %lld e-mails (%lld distinct)\n", refusals,
                  delivered, distinct_notices);
    assert_int_equal(lost, 0);
    assert_int_equal(dup, 0);
    assert_int_equal(dead, bad_on_topic);
    /* One idempotency key per application and agency, however often it was sent. */
    assert_int_equal(keys, 2 * apps);
    assert_int_equal(q("SELECT count(*) FROM agency_requests"), 2 * apps);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(faults_under_load, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("reliability", tests, NULL, NULL);
}
