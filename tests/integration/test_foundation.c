/* Foundation, against the project's PostgreSQL: migrations apply once and re-running them is
 * a no-op; the legal transitions PostgreSQL enforces are exactly the C domain table; the
 * workers' role cannot rewrite history. */
#include "domain.h"
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
                 " AND to_stage = '%s'",
                 dom_stage_name(t[i].from), dom_stage_name(t[i].to));
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
    /* An illegal transition is refused by the foreign key on the legal pairs. */
    r = PQexec(env->db,
               "INSERT INTO transitions (application_id, from_stage, to_stage, at, cause_kind,"
               " cause_actor) VALUES ('11111111-1111-4111-8111-111111111111', 'none',"
               " 'license_issued', now(), 'actor', 'test')");
    assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
    assert_int_equal(h_query_ll(env, "SELECT count(*) FROM transitions"), 1);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(migrate_twice_is_noop, teardown),
        cmocka_unit_test_teardown(transitions_match_domain, teardown),
        cmocka_unit_test_teardown(history_is_append_only, teardown),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("foundation", tests, NULL, NULL);
}
