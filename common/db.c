/* db: libpq wrapper. */
#include "db.h"
#include "config.h"
#include "log.h"
#include "signals.h"
#include "util.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db {
    PGconn *conn;
    char *url;
    char *password;
    char *app_name;
    char last_error[512];
    char last_sqlstate[6];
};

static PGconn *connect_once(const db_t *db, char *errstr, size_t errstr_size)
{
    const char *keys[] = {"dbname", "password", "application_name", "connect_timeout", NULL};
    const char *vals[] = {db->url, db->password, db->app_name, "5", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        snprintf(errstr, errstr_size, "%s", c ? PQerrorMessage(c) : "out of memory");
        size_t n = strlen(errstr);
        while (n && (errstr[n - 1] == '\n'))
            errstr[--n] = '\0';
        PQfinish(c);
        return NULL;
    }
    return c;
}

static db_t *db_new(const char *url, const char *password, const char *app_name)
{
    db_t *db = calloc(1, sizeof(*db));
    if (!db)
        return NULL;
    db->url = strdup(url);
    db->password = password ? strdup(password) : NULL;
    db->app_name = strdup(app_name ? app_name : "lic");
    return db;
}

db_t *db_open_once(const char *url, const char *password, const char *app_name, char *errstr,
                   size_t errstr_size)
{
    db_t *db = db_new(url, password, app_name);
    if (!db)
        return NULL;
    db->conn = connect_once(db, errstr, errstr_size);
    if (!db->conn) {
        db_close(db);
        return NULL;
    }
    return db;
}

int db_reconnect(db_t *db)
{
    PQfinish(db->conn);
    db->conn = NULL;
    long cap = cfg_get_long("DB_RETRY_MAX_MS", 10000);
    for (int attempt = 0; !sig_stop_requested(); attempt++) {
        char err[512];
        db->conn = connect_once(db, err, sizeof(err));
        if (db->conn) {
            if (attempt > 0)
                log_info("connected to PostgreSQL after %d retries", attempt);
            return 0;
        }
        long wait = util_backoff_ms(attempt, 100, cap);
        json_t *f = json_object();
        json_object_set_new(f, "error", json_string(err));
        json_object_set_new(f, "retry_in_ms", json_integer(wait));
        log_write(LOG_LEVEL_WARN, "PostgreSQL connection failed", f);
        util_sleep_ms(wait);
    }
    return -1;
}

db_t *db_open(const char *url, const char *password, const char *app_name)
{
    db_t *db = db_new(url, password, app_name);
    if (!db)
        return NULL;
    if (db_reconnect(db) != 0) {
        db_close(db);
        return NULL;
    }
    return db;
}

db_t *db_open_from_config(const char *app_name)
{
    return db_open(cfg_get("DB_URL"), cfg_get("DB_PASSWORD"), app_name);
}

void db_close(db_t *db)
{
    if (!db)
        return;
    PQfinish(db->conn);
    free(db->url);
    if (db->password) {
        memset(db->password, 0, strlen(db->password));
        free(db->password);
    }
    free(db->app_name);
    free(db);
}

PGconn *db_conn(db_t *db)
{
    return db->conn;
}

static db_rc_t classify(db_t *db, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(db->last_sqlstate, sizeof(db->last_sqlstate), "%s", state ? state : "");
    snprintf(db->last_error, sizeof(db->last_error), "%s",
             res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
    size_t n = strlen(db->last_error);
    while (n && db->last_error[n - 1] == '\n')
        db->last_error[--n] = '\0';
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK)
        return DB_ERR_CONN;
    if (!state)
        return DB_ERR_CONN;
    /* Class 08 connection exception, 57 operator intervention (admin shutdown, crash
     * recovery), 40 transaction rollback (serialization, deadlock), 53 resources. */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0)
        return DB_ERR_CONN;
    if (strncmp(state, "40", 2) == 0 || strncmp(state, "53", 2) == 0 || strcmp(state, "25P02") == 0)
        return DB_ERR_RETRY;
    return DB_ERR_DATA;
}

PGresult *db_query(db_t *db, const char *sql, int nparams, const char *const *params, db_rc_t *rc)
{
    if (!db->conn) {
        snprintf(db->last_error, sizeof(db->last_error), "not connected");
        *rc = DB_ERR_CONN;
        return NULL;
    }
    PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        *rc = DB_OK;
        return res;
    }
    *rc = classify(db, res);
    PQclear(res);
    json_t *f = json_object();
    json_object_set_new(f, "sqlstate", json_string(db->last_sqlstate));
    json_object_set_new(f, "error", json_string(db->last_error));
    log_write(*rc == DB_ERR_DATA ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR, "SQL statement failed", f);
    return NULL;
}

db_rc_t db_exec(db_t *db, const char *sql, int nparams, const char *const *params)
{
    db_rc_t rc;
    PGresult *res = db_query(db, sql, nparams, params, &rc);
    PQclear(res);
    return rc;
}

db_rc_t db_begin(db_t *db)
{
    return db_exec(db, "BEGIN", 0, NULL);
}

db_rc_t db_commit(db_t *db)
{
    return db_exec(db, "COMMIT", 0, NULL);
}

void db_rollback(db_t *db)
{
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
        PQclear(PQexec(db->conn, "ROLLBACK"));
}

const char *db_last_error(const db_t *db)
{
    return db->last_error;
}

const char *db_last_sqlstate(const db_t *db)
{
    return db->last_sqlstate;
}

char *db_bytea_hex(const void *buf, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *out = malloc(len * 2 + 3);
    if (!out)
        return NULL;
    out[0] = '\\';
    out[1] = 'x';
    const unsigned char *b = buf;
    for (size_t i = 0; i < len; i++) {
        out[2 + i * 2] = hex[b[i] >> 4];
        out[3 + i * 2] = hex[b[i] & 15];
    }
    out[2 + len * 2] = '\0';
    return out;
}

int db_wait_notify(db_t *db, long timeout_ms)
{
    PGconn *c = db_conn(db);
    if (!c || PQstatus(c) != CONNECTION_OK)
        return -1;
    struct pollfd pfd = {PQsocket(c), POLLIN, 0};
    if (pfd.fd < 0)
        return -1;
    if (timeout_ms > 0)
        poll(&pfd, 1, (int)timeout_ms);
    if (PQconsumeInput(c) == 0)
        return -1;
    int n = 0;
    PGnotify *nt;
    while ((nt = PQnotifies(c))) {
        n++;
        PQfreemem(nt);
    }
    return n;
}
