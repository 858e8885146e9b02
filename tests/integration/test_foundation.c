/* Foundation, against the project's PostgreSQL: migrations apply once and re-running them is
 * a no-op; the legal transitions PostgreSQL enforces are exactly the C domain table; the
 * workers' role cannot rewrite history; secrets stay out of logs. */
#include "db.h"
#include "domain.h"
#include "state.h"
#include "util.h"
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "itest.h"

static void migrate_twice_is_noop(void **state)
{
    (void)state;
    env = h_setup("foundation_migrate"); /* applies every migration once */
    long long applied = h_query_ll(env, "SELECT count(*) FROM schema_migrations");
    assert_true(applied >= 1);
    const char *args[] = {"migrate", NULL};
    assert_int_equal(h_stop(env, h_spawn(env, "approvalctl", args), 0, 30000), 0);
    assert_int_equal(h_query_ll(env, "SELECT count(*) FROM schema_migrations"), applied);
    assert_int_equal(h_query_ll(env, "SELECT max(version) FROM schema_migrations"), applied);
}

/* common/store/schema.sql is what the migrations build: a migration added without the file written
 * again (or the file edited by hand) fails here, with the command that writes it. */
static void schema_file_matches_migrations(void **state)
{
    (void)state;
    env = h_setup("foundation_schema");
    const char *src = getenv("LIC_SRC_DIR") ? getenv("LIC_SRC_DIR") : ".";
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s/deploy/schema.sh' '%s' '%s' '%s/schema.sql'", src,
             getenv("LIC_TEST_PG_PORT") ? getenv("LIC_TEST_PG_PORT") : "25432", env->dbname,
             env->workdir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "diff -u '%s/common/store/schema.sql' '%s/schema.sql'", src,
             env->workdir);
    int differ = system(cmd);
    if (differ)
        print_message("common/store/schema.sql differs from the migrations; write it again with\n"
                      "  cp '%s/schema.sql' '%s/common/store/schema.sql'\n",
                      env->workdir, src);
    assert_int_equal(differ, 0);
}

/* Every statement of a sql/ folder is what it says it is: PostgreSQL prepares it against the
 * migrated schema (syntax, tables, columns and parameter types checked), as the workers will;
 * and every file is one the code names (sql_<file>), so none is left behind unread. */
static void sql_files_prepare(void **state)
{
    (void)state;
    env = h_setup("foundation_sql");
    const char *src = getenv("LIC_SRC_DIR") ? getenv("LIC_SRC_DIR") : ".";
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "ls '%s'/common/*/sql/*.sql '%s'/workers/*/sql/*.sql '%s'/tools/*/sql/*.sql", src, src,
             src);
    FILE *ls = popen(cmd, "r");
    assert_non_null(ls);
    char path[1024];
    int files = 0, failed = 0;
    while (fgets(path, sizeof(path), ls)) {
        path[strcspn(path, "\n")] = 0;
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        static char text[65536];
        size_t n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = 0;
        files++;
        PGresult *r = PQprepare(env->db, "", text, 0, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            print_message("%s: %s", path, PQresultErrorMessage(r));
            failed++;
        }
        PQclear(r);
        /* Named by the code of its folder: sql/NAME.sql is sql_NAME. */
        char dir[1024], name[256];
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        snprintf(name, sizeof(name), "%s", slash + 1);
        *strstr(name, ".sql") = 0;
        *slash = 0;
        *strrchr(dir, '/') = 0;
        snprintf(cmd, sizeof(cmd), "grep -qw 'sql_%s' '%s'/*.c", name, dir);
        if (system(cmd) != 0) {
            print_message("%s: no sql_%s in %s/*.c\n", path, name, dir);
            failed++;
        }
    }
    pclose(ls);
    print_message("%d statements prepared\n", files);
    assert_true(files > 50);
    assert_int_equal(failed, 0);
}

static void transitions_match_domain(void **state)
{
    (void)state;
    env = h_setup("foundation_stages");
    size_t n;
    const dom_transition_t *t = dom_transitions(&n);
    assert_int_equal(h_query_ll(env, "SELECT count(*) FROM stage_transitions"), (long long)n);
    for (size_t i = 0; i < n; i++) {
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM stage_transitions WHERE from_stage = '%s'"
                 " AND to_stage = '%s' AND retired = %s",
                 dom_stage_name(t[i].from), dom_stage_name(t[i].to),
                 t[i].retired ? "true" : "false");
        assert_int_equal(h_query_ll(env, sql), 1);
    }
    for (int s = 0; s < STAGE__COUNT; s++) {
        char sql[256];
        snprintf(sql, sizeof(sql), "SELECT final::int FROM stages WHERE name = '%s'",
                 dom_stage_name((dom_stage_t)s));
        assert_int_equal(h_query_ll(env, sql), dom_stage_final((dom_stage_t)s));
    }
    assert_int_equal(h_query_ll(env, "SELECT count(*) FROM stages"), STAGE__COUNT);
}

/* A notification that arrives while a worker runs a statement is held by libpq: waiting for
 * notifications must hand it over at once, not sleep on a socket that has nothing more. */
static void notify_during_statement(void **state)
{
    (void)state;
    env = h_setup("foundation_notify");
    db_t *db = db_open(getenv("LIC_DB_URL"), NULL, "test");
    assert_non_null(db);
    assert_int_equal(db_exec(db, "LISTEN lic_test", 0, NULL), DB_OK);
    h_exec(env, "NOTIFY lic_test, 'hello'");
    /* The worker's next statement: the notification comes in with (or before) its result. */
    db_rc_t rc;
    PGresult *r = db_query(db, "SELECT pg_sleep(0.2)", 0, NULL, &rc);
    assert_non_null(r);
    PQclear(r);
    int64_t t0 = util_mono_ms();
    assert_int_equal(db_wait_notify(db, 5000), 1);
    assert_true(util_mono_ms() - t0 < 1000);
    db_close(db);
}

/* Binary array parameters (db_barray_t) reach the server byte for byte - quotes, backslashes,
 * braces, commas, NUL bytes, non-ASCII text, empty strings and NULLs, which a text array
 * literal would have to escape - in order, also when deferred; an empty one is '{}'. And a
 * batch's status events (ob_batch_flush) are stored as exactly the payload the worker built,
 * in the order they were added. */
static void binary_arrays_round_trip(void **state)
{
    (void)state;
    env = h_setup("foundation_barray");
    db_t *db = db_open(getenv("LIC_DB_URL"), NULL, "test");
    assert_non_null(db);
    assert_int_equal(db_exec(db, "CREATE TEMP TABLE t (n bigint, s text, b bytea)", 0, NULL),
                     DB_OK);
    static const char *texts[] = {"plain", "a \"quoted\", {braced}", "back\\slash", "",
                                  NULL,    "Қазақстан, Астана"};
    enum { NTEXTS = sizeof(texts) / sizeof(texts[0]) };
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    for (int deferred = 0; deferred < 2; deferred++) {
        db_barray_t s, b;
        db_barray_init(&s, DB_OID_TEXT);
        db_barray_init(&b, DB_OID_BYTEA);
        for (int i = 0; i < NTEXTS; i++) {
            assert_int_equal(db_barray_add_str(&s, texts[i]), 0);
            assert_int_equal(db_barray_add(&b, i == 4 ? NULL : bytes, (size_t)(i * 51)), 0);
        }
        const char *p[3];
        int len[3], fmt[3] = {0, 1, 1};
        p[0] = deferred ? "1" : "0";
        len[0] = 0;
        assert_non_null(p[1] = db_barray_data(&s, &len[1]));
        assert_non_null(p[2] = db_barray_data(&b, &len[2]));
        assert_int_equal(db_begin(db), DB_OK);
        if (deferred)
            assert_int_equal(db_defer(db), DB_OK);
        assert_int_equal(
            db_exec_binary(db,
                           "INSERT INTO t SELECT $1::bigint * 100 + x.i, x.s, x.b"
                           " FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS x(s, b, i)",
                           3, p, len, fmt),
            DB_OK);
        assert_int_equal(db_commit(db), DB_OK);
        db_barray_free(&s);
        db_barray_free(&b);
    }
    for (int deferred = 0; deferred < 2; deferred++) {
        for (int i = 0; i < NTEXTS; i++) {
            char sql[160];
            db_rc_t rc;
            snprintf(sql, sizeof(sql), "SELECT s, b FROM t WHERE n = %d", deferred * 100 + i + 1);
            PGresult *r = db_query(db, sql, 0, NULL, &rc);
            assert_non_null(r);
            assert_int_equal(PQntuples(r), 1);
            if (texts[i])
                assert_string_equal(PQgetvalue(r, 0, 0), texts[i]);
            else
                assert_true(PQgetisnull(r, 0, 0));
            if (i == 4) {
                assert_true(PQgetisnull(r, 0, 1));
            } else {
                size_t n = 0;
                unsigned char *got =
                    PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 1), &n);
                assert_int_equal(n, (size_t)(i * 51));
                if (n)
                    assert_memory_equal(got, bytes, n);
                PQfreemem(got);
            }
            PQclear(r);
        }
    }
    /* Nothing added: an empty array, not an error. */
    db_barray_t e;
    db_barray_init(&e, DB_OID_TEXT);
    const char *p[1];
    int len[1], fmt[1] = {1};
    assert_non_null(p[0] = db_barray_data(&e, &len[0]));
    assert_int_equal(
        db_exec_binary(db, "INSERT INTO t SELECT -1, x FROM unnest($1::text[]) x", 1, p, len, fmt),
        DB_OK);
    db_barray_free(&e);
    db_rc_t rc;
    PGresult *r = db_query(db, "SELECT count(*) FROM t WHERE n < 0", 0, NULL, &rc);
    assert_non_null(r);
    assert_string_equal(PQgetvalue(r, 0, 0), "0");
    PQclear(r);

    /* Status events through a batch: the payloads stored as built, in order. */
    ob_batch_t ob;
    assert_int_equal(ob_batch_init(&ob), 0);
    char *want[3];
    for (int i = 0; i < 3; i++) {
        char app[UUID_STR_LEN], key[16], id[UUID_STR_LEN];
        util_uuid_v4(app);
        snprintf(key, sizeof(key), "k%d", i);
        json_t *detail = json_pack("{s:s,s:i}", "note", "«тест» \"q\" \\ {x,y}", "i", i);
        want[i] =
            ob_status_payload("/licensing/test", app, "PORTAL-1", EV_ST_AGENCY_DEEMED_APPROVED,
                              1764000000 + i, 0, json_incref(detail), key, id);
        assert_int_equal(ob_batch_status_event(&ob, "/licensing/test", app, "PORTAL-1",
                                               EV_ST_AGENCY_DEEMED_APPROVED, 1764000000 + i, 0,
                                               detail, key),
                         DB_OK);
    }
    assert_int_equal(db_begin(db), DB_OK);
    assert_int_equal(ob_batch_flush(db, &ob), DB_OK);
    assert_int_equal(db_commit(db), DB_OK);
    ob_batch_free(&ob);
    for (int i = 0; i < 3; i++) {
        char *got = h_qsf(env,
                          "SELECT convert_from(payload, 'UTF8') FROM outbox"
                          " WHERE topic = 'licensing.status.v1' ORDER BY id OFFSET %d LIMIT 1",
                          i);
        assert_non_null(got);
        assert_string_equal(got, want[i]);
        free(got);
        free(want[i]);
    }
    db_close(db);
}

static void history_is_append_only(void **state)
{
    (void)state;
    env = h_setup("foundation_history");
    h_exec(env, "INSERT INTO applications (application_id, portal_ref, kind, stage, submitted_at,"
                " registered_at, completeness_due, service_deadline, executor, source_event_id)"
                " VALUES ('11111111-1111-4111-8111-111111111111', 'P-1', 'issue', 'registered',"
                " now(), now(), now(), now(), 'E', 'ev-1')");
    h_exec(env, "INSERT INTO transitions (application_id, from_stage, to_stage, at, cause_kind,"
                " cause_actor) VALUES ('11111111-1111-4111-8111-111111111111', 'none',"
                " 'registered', now(), 'actor', 'test')");
    PGresult *r = PQexec(env->db, "UPDATE transitions SET cause_actor = 'someone else'");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
    r = PQexec(env->db, "DELETE FROM transitions");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
    /* An illegal transition, and an unknown stage, are refused by their checks (built from
     * stage_transitions and stages, migration 013). */
    r = PQexec(env->db,
               "INSERT INTO transitions (application_id, from_stage, to_stage, at, cause_kind,"
               " cause_actor) VALUES ('11111111-1111-4111-8111-111111111111', 'none',"
               " 'license_issued', now(), 'actor', 'test')");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23514");
    PQclear(r);
    r = PQexec(env->db, "UPDATE applications SET stage = 'approved_somehow'");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23514");
    PQclear(r);
    h_exec(env, "UPDATE applications SET stage = 'awaiting_approvals'");
    assert_int_equal(h_query_ll(env, "SELECT count(*) FROM transitions"), 1);
}

/* SQL's SQLSTATE when it fails, "" when it succeeds; its message in message_of. */
static char sqlstate_of[8], message_of[300];
static const char *state_of(const char *sql)
{
    PGresult *r = PQexec(env->db, sql);
    const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    int failed = PQresultStatus(r) == PGRES_FATAL_ERROR;
    snprintf(sqlstate_of, sizeof(sqlstate_of), "%s", failed && st ? st : "");
    snprintf(message_of, sizeof(message_of), "%s", failed && msg ? msg : "");
    PQclear(r);
    return sqlstate_of;
}

/* The references the lifecycle writes by the hundred are checked once a statement (migration
 * 015): a row whose application, request, reply or license does not exist is refused with a
 * foreign key's SQLSTATE, in a statement of one row or of many; a reply must name its request's
 * application; and what the checks rely on holds - the referenced rows are never deleted and
 * no key changes. */
static void references_checked(void **state)
{
    (void)state;
    env = h_setup("foundation_references");
#define APP "'11111111-1111-4111-8111-111111111111'"
#define OTHER "'22222222-2222-4222-8222-222222222222'"
#define NOAPP "'99999999-9999-4999-8999-999999999999'"
#define REQ "'33333333-3333-4333-8333-333333333333'"
    for (int i = 0; i < 2; i++)
        h_qf(env,
             "WITH a AS (INSERT INTO applications (application_id, portal_ref, kind, stage,"
             " submitted_at, registered_at, completeness_due, service_deadline, executor,"
             " source_event_id) VALUES (%s, 'P-%d', 'issue', 'registered', now(), now(), now(),"
             " now(), 'E', 'ev-%d') RETURNING 1) SELECT count(*) FROM a",
             i ? OTHER : APP, i, i);
    const char *fk = "23503";
    /* History: one row, many rows with one bad among them, then good ones. */
    assert_string_equal(state_of("INSERT INTO transitions (application_id, from_stage, to_stage,"
                                 " at, cause_kind, cause_actor) VALUES (" NOAPP ", 'none',"
                                 " 'registered', now(), 'actor', 't')"),
                        fk);
    assert_string_equal(state_of("INSERT INTO transitions (application_id, from_stage, to_stage,"
                                 " at, cause_kind, cause_actor) SELECT CASE WHEN g = 300 THEN"
                                 " " NOAPP "::uuid ELSE " APP "::uuid END, 'none', 'registered',"
                                 " now(), 'actor', 't' FROM generate_series(1, 500) g"),
                        fk);
    /* The message names what is missing, as a foreign key's does. */
    assert_non_null(strstr(message_of, "application 99999999-9999-4999-8999-999999999999"));
    assert_int_equal(h_query_ll(env, "SELECT count(*) FROM transitions"), 0);
    assert_string_equal(state_of("INSERT INTO transitions (application_id, from_stage, to_stage,"
                                 " at, cause_kind, cause_actor) VALUES (" APP ", 'none',"
                                 " 'registered', now(), 'actor', 't'), (" OTHER ", 'none',"
                                 " 'registered', now(), 'actor', 't')"),
                        "");
    /* Timers, requests, documents. */
    assert_string_equal(state_of("INSERT INTO timers (application_id, kind, ref, due_at) VALUES"
                                 " (" APP ", 'k', 'a', now()), (" NOAPP ", 'k', 'b', now())"),
                        fk);
    assert_string_equal(state_of("INSERT INTO timers (application_id, kind, ref, due_at) VALUES"
                                 " (" APP ", 'k', 'a', now())"),
                        "");
#define REQUEST(app, id, agency)                                                                   \
    "INSERT INTO agency_requests (request_id, application_id, agency, region, base_url, body,"     \
    " next_attempt_at, send_due) VALUES (" id ", " app ", '" agency "', 'r', 'http://x', '{}',"    \
    " now(), now())"
    assert_string_equal(state_of(REQUEST(NOAPP, REQ, "sanitary")), fk);
    assert_string_equal(state_of(REQUEST(APP, REQ, "sanitary")), "");
    assert_string_equal(state_of("INSERT INTO issued_documents (application_id, kind, number,"
                                 " year, seq, issued_at, body) VALUES (" NOAPP ", 'license',"
                                 " 'N-1', 2026, 1, now(), '{}')"),
                        fk);
    /* A reply: to an unknown request, or naming another application than its request's. */
#define REPLY(req, app)                                                                            \
    "INSERT INTO agency_replies (request_id, application_id, agency, verdict, decided_at,"         \
    " signer, key_id, event_id, topic, partition, \"offset\", arrived_at, counted) VALUES (" req   \
    ", " app ", 'sanitary', 'compliant', now(), 's', 'k', 'e', 't', 0, 0, now(), true)"
    assert_string_equal(state_of(REPLY("'44444444-4444-4444-8444-444444444444'", APP)), fk);
    assert_string_equal(state_of(REPLY(REQ, OTHER)), fk);
    assert_non_null(strstr(message_of, "agency request 33333333-3333-4333-8333-333333333333 of"
                                       " application 22222222-2222-4222-8222-222222222222"));
    assert_string_equal(state_of(REPLY(REQ, APP)), "");
    /* The request's outcome names a reply that exists. */
    assert_string_equal(state_of("UPDATE agency_requests SET reply_id = reply_id + 1000"), "");
    assert_string_equal(state_of("UPDATE agency_requests SET outcome = 'compliant',"
                                 " outcome_at = now(), reply_id = 424242"),
                        fk);
    assert_string_equal(state_of("UPDATE agency_requests SET outcome = 'compliant',"
                                 " outcome_at = now(), reply_id = (SELECT max(id) FROM"
                                 " agency_replies)"),
                        "");
    /* A license and its versions. */
#define LICENSE(number, app)                                                                       \
    "INSERT INTO licenses (number, holder_type, holder_id, holder_name, first_issued_on,"          \
    " application_id) VALUES ('" number "', 'individual', '000000000000', 'h', now(), " app ")"
#define VERSION(number, app)                                                                       \
    "INSERT INTO license_versions (number, version, application_id, kind, holder_id,"              \
    " holder_name, issued_on) VALUES ('" number "', 1, " app ", 'issue', '000000000000', 'h',"     \
    " now())"
    assert_string_equal(state_of(LICENSE("L-1", NOAPP)), fk);
    assert_string_equal(state_of(LICENSE("L-1", APP)), "");
    assert_string_equal(state_of(LICENSE("L-IMPORTED", "NULL")), "");
    assert_string_equal(state_of(VERSION("L-2", APP)), fk);
    assert_string_equal(state_of(VERSION("L-1", NOAPP)), fk);
    assert_string_equal(state_of(VERSION("L-1", APP)), "");
    assert_string_equal(state_of("UPDATE licenses SET number = 'L-3' WHERE number = 'L-1'"),
                        "23001");
#undef REQUEST
#undef REPLY
#undef LICENSE
#undef VERSION
    /* Referenced rows stay: no delete, no truncate, no key changed - for any role. */
    assert_string_equal(state_of("DELETE FROM applications WHERE application_id = " OTHER),
                        "23001");
    assert_string_equal(state_of("TRUNCATE applications CASCADE"), "23001");
    assert_string_equal(state_of("DELETE FROM agency_replies"), "23001");
    assert_string_equal(state_of("DELETE FROM agency_requests"), "23001");
    assert_string_equal(state_of("UPDATE applications SET application_id = " NOAPP
                                 " WHERE application_id = " OTHER),
                        "23001");
    assert_string_equal(state_of("UPDATE agency_requests SET application_id = " OTHER), "23001");
    assert_string_equal(state_of("UPDATE timers SET application_id = " OTHER), "23001");
    /* Naming a key without changing it, as an update of a whole row does, is allowed. */
    assert_string_equal(state_of("UPDATE applications SET application_id = application_id,"
                                 " executor = 'F'"),
                        "");
    assert_int_equal(h_query_ll(env, "SELECT count(*) FROM applications"), 2);
    assert_int_equal(h_query_ll(env, "SELECT count(*) FROM transitions"), 2);
#undef APP
#undef OTHER
#undef NOAPP
#undef REQ
}

static PGconn *connect_as(const char *db, const char *user, const char *password)
{
    char conninfo[600];
    snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%s dbname=%s user=%s%s%s",
             getenv("LIC_TEST_PG_PORT") ? getenv("LIC_TEST_PG_PORT") : "25432", db, user,
             password ? " password=" : "", password ? password : "");
    PGconn *c = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    return c;
}

static void exec_as(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

/* Runs approvalctl ARGS with the environment's LIC_* and the extra assignments ENV (a shell
 * prefix), its output in OUT. Returns the exit status. */
static int approvalctl(const char *env_prefix, const char *args, const char *out)
{
    char cmd[4000];
    snprintf(cmd, sizeof(cmd), "%s '%s/approvalctl' %s >'%s' 2>&1", env_prefix,
             getenv("LIC_TEST_BIN_DIR"), args, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* No file in DIR contains TEXT. */
static int nowhere_in(const char *dir, const char *text)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "grep -rqF -- '%s' '%s'", text, dir);
    return system(cmd) != 0;
}

/* Secrets come from files (or the environment) and are never logged; the workers' role holds
 * only what the workers need; a server that demands a password gets the one from the file. */
static void secrets_and_roles(void **state)
{
    (void)state;
    env = h_setup("foundation_secrets");

    /* The workers' role cannot change the schema, empty tables, rewrite the migrations or
     * hand out privileges; it can read and write the rows the workers write. */
    PGconn *w = connect_as(env->dbname, "lic_worker", NULL);
    const char *denied[] = {"DROP TABLE applications",
                            "TRUNCATE outbox",
                            "CREATE TABLE intruder (x int)",
                            "ALTER TABLE applications ADD COLUMN intruder int",
                            "DELETE FROM applications",
                            "INSERT INTO schema_migrations (version) VALUES (999)",
                            "CREATE INDEX intruder ON applications (executor)",
                            "CREATE ROLE intruder"};
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        PGresult *r = PQexec(w, denied[i]);
        const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        print_message("lic_worker: %s -> %s\n", denied[i], st ? st : "accepted");
        assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
        assert_non_null(st);
        assert_string_equal(st, "42501"); /* insufficient_privilege */
        PQclear(r);
    }
    /* A GRANT without the grant option is accepted with a warning and grants nothing. */
    exec_as(w, "GRANT ALL ON applications TO PUBLIC");
    assert_int_equal(q("SELECT count(*) FROM information_schema.role_table_grants"
                       " WHERE grantee = 'PUBLIC' AND table_name = 'applications'"),
                     0);
    exec_as(w, "SELECT count(*) FROM applications");
    PQfinish(w);

    /* A role that must give a password (scram-sha-256 in pg_hba.conf for it alone), a member
     * of the workers' role. */
    const char *secret = "probe-S3cret-71f9";
    PGconn *su = connect_as("postgres", "postgres", NULL);
    PGresult *hba = PQexec(su, "SHOW hba_file");
    assert_int_equal(PQresultStatus(hba), PGRES_TUPLES_OK);
    char cmd[1500];
    snprintf(cmd, sizeof(cmd),
             "grep -q lic_secret_probe '%s' || sed -i '1i host all lic_secret_probe"
             " 127.0.0.1/32 scram-sha-256' '%s'",
             PQgetvalue(hba, 0, 0), PQgetvalue(hba, 0, 0));
    assert_int_equal(system(cmd), 0);
    PQclear(hba);
    char sql[600];
    snprintf(sql, sizeof(sql),
             "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname ="
             " 'lic_secret_probe') THEN CREATE ROLE lic_secret_probe LOGIN IN ROLE lic_worker;"
             " END IF; END $$; ALTER ROLE lic_secret_probe PASSWORD '%s'",
             secret);
    exec_as(su, sql);
    exec_as(su, "SELECT pg_reload_conf()");
    PQfinish(su);

    char good[700], bad[700], out[700], url[300], prefix[1600];
    snprintf(good, sizeof(good), "%s/db.password", env->workdir);
    snprintf(bad, sizeof(bad), "%s/wrong.password", env->workdir);
    FILE *f = fopen(good, "w");
    fprintf(f, "%s\n", secret);
    fclose(f);
    f = fopen(bad, "w");
    fprintf(f, "wrong-S3cret-0c2d\n");
    fclose(f);
    snprintf(url, sizeof(url), "postgresql://lic_secret_probe@127.0.0.1:%s/%s",
             getenv("LIC_TEST_PG_PORT") ? getenv("LIC_TEST_PG_PORT") : "25432", env->dbname);
    snprintf(out, sizeof(out), "%s/approvalctl.out", env->workdir);

    /* Without the password the server says no; with the wrong one too, and the wrong one is
     * not echoed; with the file's, the command works. */
    snprintf(prefix, sizeof(prefix), "LIC_LOG_LEVEL=debug LIC_DB_URL='%s'", url);
    assert_int_not_equal(approvalctl(prefix, "applications", out), 0);
    snprintf(prefix, sizeof(prefix),
             "LIC_LOG_LEVEL=debug LIC_DB_URL='%s' LIC_DB_PASSWORD_FILE='%s'", url, bad);
    assert_int_not_equal(approvalctl(prefix, "applications", out), 0);
    assert_true(nowhere_in(out, "wrong-S3cret-0c2d"));
    snprintf(prefix, sizeof(prefix),
             "LIC_LOG_LEVEL=debug LIC_DB_URL='%s' LIC_DB_PASSWORD_FILE='%s'", url, good);
    assert_int_equal(approvalctl(prefix, "applications", out), 0);

    /* A worker logging in as that role with the password from the file (debug logging, an
     * SMTP password too) registers an application and writes neither secret anywhere. */
    setenv("LIC_DB_URL", url, 1);
    setenv("LIC_DB_PASSWORD_FILE", good, 1);
    setenv("LIC_SMTP_PASSWORD", "smtp-S3cret-88aa", 1);
    setenv("LIC_LOG_LEVEL", "debug", 1);
    pid_t intake = h_spawn(env, "intake", NULL);
    pid_t mailer = h_spawn(env, "mailer", NULL);
    unsetenv("LIC_DB_PASSWORD_FILE");
    unsetenv("LIC_SMTP_PASSWORD");
    unsetenv("LIC_LOG_LEVEL");
    const char *id = "5e000000-0000-4000-8000-00000000005e";
    json_t *ev = h_submission(id, h_uuid(), NULL);
    assert_int_equal(h_produce_event(env, "portal.applications.v1", ev), 0);
    json_decref(ev);
    assert_true(
        wait_q(1, 30000, "SELECT count(*) FROM applications WHERE application_id = '%s'", id));
    assert_str(qs("SELECT usename FROM pg_stat_activity WHERE application_name = 'lic-intake'"
                  " AND datname = '%s' LIMIT 1",
                  env->dbname),
               "lic_secret_probe");
    assert_int_equal(h_stop(env, intake, SIGTERM, 15000), 0);
    assert_int_equal(h_stop(env, mailer, SIGTERM, 15000), 0);
    assert_true(nowhere_in(env->workdir, "smtp-S3cret-88aa"));
    /* The password file itself is the only place the database password is. */
    snprintf(cmd, sizeof(cmd), "grep -rlF -- '%s' '%s' | grep -v 'db.password$' | grep -q .",
             secret, env->workdir);
    assert_int_not_equal(system(cmd), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(migrate_twice_is_noop, teardown),
        cmocka_unit_test_teardown(schema_file_matches_migrations, teardown),
        cmocka_unit_test_teardown(sql_files_prepare, teardown),
        cmocka_unit_test_teardown(transitions_match_domain, teardown),
        cmocka_unit_test_teardown(history_is_append_only, teardown),
        cmocka_unit_test_teardown(references_checked, teardown),
        cmocka_unit_test_teardown(notify_during_statement, teardown),
        cmocka_unit_test_teardown(binary_arrays_round_trip, teardown),
        cmocka_unit_test_teardown(secrets_and_roles, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("foundation", tests, NULL, NULL);
}
