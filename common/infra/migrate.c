/* migrate: apply embedded migrations. */
#include "migrate.h"
#include "log.h"
#include "signals.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One key for every process of the system: only one applies migrations at a time. */
#define MIG_LOCK_KEY "7426372880"

int mig_latest_version(void)
{
    int v = 0;
    for (int i = 0; i < mig_migration_count; i++)
        if (mig_migrations[i].version > v)
            v = mig_migrations[i].version;
    return v;
}

static int exec_simple(PGconn *c, const char *sql, char *errstr, size_t errstr_size)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        snprintf(errstr, errstr_size, "%s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    PQclear(r);
    return 0;
}

int mig_apply(db_t *db, char *errstr, size_t errstr_size)
{
    PGconn *c = db_conn(db);
    int applied = 0;
    if (exec_simple(c, "SELECT pg_advisory_lock(" MIG_LOCK_KEY ")", errstr, errstr_size))
        return -1;
    if (exec_simple(c,
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())",
                    errstr, errstr_size))
        goto fail;
    for (int i = 0; i < mig_migration_count; i++) {
        const mig_migration_t *m = &mig_migrations[i];
        char ver[16];
        snprintf(ver, sizeof(ver), "%d", m->version);
        const char *p[] = {ver};
        PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL,
                                   p, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            snprintf(errstr, errstr_size, "%s", PQresultErrorMessage(r));
            PQclear(r);
            goto fail;
        }
        int done = PQntuples(r) > 0;
        PQclear(r);
        if (done)
            continue;
        if (exec_simple(c, "BEGIN", errstr, errstr_size))
            goto fail;
        if (exec_simple(c, m->sql, errstr, errstr_size)) {
            char detail[512];
            snprintf(detail, sizeof(detail), "migration %s: %s", m->name, errstr);
            snprintf(errstr, errstr_size, "%s", detail);
            exec_simple(c, "ROLLBACK", detail, sizeof(detail));
            goto fail;
        }
        const char *p2[] = {ver, m->name};
        r = PQexecParams(c, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
                         NULL, p2, NULL, NULL, 0);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            snprintf(errstr, errstr_size, "%s", PQresultErrorMessage(r));
        PQclear(r);
        if (!ok || exec_simple(c, "COMMIT", errstr, errstr_size)) {
            char ignored[64];
            exec_simple(c, "ROLLBACK", ignored, sizeof(ignored));
            goto fail;
        }
        log_info("applied migration %s", m->name);
        applied++;
    }
    exec_simple(c, "SELECT pg_advisory_unlock(" MIG_LOCK_KEY ")", errstr, errstr_size);
    return applied;
fail:;
    char ignored[64];
    exec_simple(c, "SELECT pg_advisory_unlock(" MIG_LOCK_KEY ")", ignored, sizeof(ignored));
    return -1;
}

int mig_db_version(db_t *db)
{
    db_rc_t rc;
    PGresult *r =
        db_query(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL, &rc);
    if (!r)
        return rc == DB_ERR_DATA && strcmp(db_last_sqlstate(db), "42P01") == 0 ? 0 : -1;
    int v = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

int mig_wait_ready(db_t *db)
{
    int want = mig_latest_version();
    for (int attempt = 0; !sig_stop_requested(); attempt++) {
        int have = mig_db_version(db);
        if (have >= want)
            return 0;
        if (have < 0 && PQstatus(db_conn(db)) != CONNECTION_OK && db_reconnect(db) != 0)
            return -1;
        log_warn("database schema is at version %d, this build needs %d: waiting for "
                 "`approvalctl migrate`",
                 have, want);
        util_sleep_ms(util_backoff_ms(attempt, 200, 5000));
    }
    return -1;
}
