/* db: libpq wrapper. */
#include "db.h"
#include "config.h"
#include "log.h"
#include "signals.h"
#include "util.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Statements prepared on this connection, by their text: parsed and planned once. */
#define DB_STMT_CACHE 128
/* Deferred statements sent before their results are read (see db_defer()). */
#define DB_DEFER_WINDOW 256

typedef struct {
    unsigned long hash;
    char *sql;
} db_stmt_t;

struct db {
    PGconn *conn;
    char *url;
    char *password;
    char *app_name;
    char last_error[512];
    char last_sqlstate[6];
    db_stmt_t stmts[DB_STMT_CACHE];
    int nstmts;
    int deferring;        /* in libpq's pipeline mode: db_exec() only sends */
    int pending;          /* statements sent whose results are not read yet */
    db_rc_t deferred_rc;  /* the first failure among them */
    unsigned long issued; /* statements sent since the connection was opened */
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
    /* No JIT compilation: the workers' statements each touch a few rows, and an estimate made
     * with statistics a few seconds old (a table growing fast) passed its cost threshold -
     * tens of milliseconds compiling for a query that runs in one. */
    PQclear(PQexec(c, "SET jit = off"));
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

static void forget_statements(db_t *db)
{
    for (int i = 0; i < db->nstmts; i++)
        free(db->stmts[i].sql);
    db->nstmts = 0;
    db->deferring = db->pending = 0;
    db->deferred_rc = DB_OK;
}

int db_reconnect(db_t *db)
{
    PQfinish(db->conn);
    db->conn = NULL;
    forget_statements(db);
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
    forget_statements(db);
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

static void log_failure(db_t *db, db_rc_t rc)
{
    json_t *f = json_object();
    json_object_set_new(f, "sqlstate", json_string(db->last_sqlstate));
    json_object_set_new(f, "error", json_string(db->last_error));
    log_write(rc == DB_ERR_DATA ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR, "SQL statement failed", f);
}

static unsigned long sql_hash(const char *s)
{
    unsigned long h = 1469598103934665603UL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211UL;
    return h;
}

/* The name of the prepared statement for `sql` ("" when the cache is full: unnamed), and
 * whether it still has to be prepared (*fresh). */
static const char *stmt_name(db_t *db, const char *sql, char name[16], int *fresh)
{
    unsigned long h = sql_hash(sql);
    *fresh = 0;
    for (int i = 0; i < db->nstmts; i++) {
        if (db->stmts[i].hash == h && strcmp(db->stmts[i].sql, sql) == 0) {
            snprintf(name, 16, "lic_%d", i);
            return name;
        }
    }
    if (db->nstmts == DB_STMT_CACHE || !(db->stmts[db->nstmts].sql = strdup(sql)))
        return "";
    db->stmts[db->nstmts].hash = h;
    snprintf(name, 16, "lic_%d", db->nstmts++);
    *fresh = 1;
    return name;
}

static db_rc_t drain(db_t *db, PGresult **last);

/* Sends one statement (prepared once per connection) without waiting. Returns how many
 * results it will produce (1), 0 when an earlier deferred statement turned out to have failed
 * (db->deferred_rc), or -1. */
static int send_statement(db_t *db, const char *sql, int nparams, const char *const *params,
                          const int *lengths, const int *formats, int adhoc)
{
    char name[16];
    int fresh = 0;
    const char *stmt = adhoc ? "" : stmt_name(db, sql, name, &fresh);
    db->issued++;
    if (!*stmt)
        return PQsendQueryParams(db->conn, sql, nparams, NULL, params, lengths, formats, 0) ? 1
                                                                                            : -1;
    if (fresh) {
        /* Prepared on its own sync: a Parse queued behind a statement that fails is skipped,
         * so the cache may only keep names the server confirmed. Once per statement text. */
        if (!PQsendPrepare(db->conn, stmt, sql, 0, NULL) ||
            (db->pending++, drain(db, NULL) != DB_OK)) {
            db->nstmts--;
            free(db->stmts[db->nstmts].sql);
            return db->deferred_rc != DB_OK ? 0 : -1;
        }
    }
    if (!PQsendQueryPrepared(db->conn, stmt, nparams, params, lengths, formats, 0))
        return -1;
    return 1;
}

/* Reads the results of every pending statement up to and including a sync. Keeps the
 * last statement's result in *last when asked; records the first failure. */
static db_rc_t drain(db_t *db, PGresult **last)
{
    if (!PQpipelineSync(db->conn)) {
        db->deferred_rc = classify(db, NULL);
        return db->deferred_rc;
    }
    int done = 0; /* statements whose results are complete */
    for (;;) {
        PGresult *res = PQgetResult(db->conn);
        if (!res) {
            done++;
            if (PQstatus(db->conn) != CONNECTION_OK) {
                if (db->deferred_rc == DB_OK)
                    db->deferred_rc = classify(db, NULL);
                break;
            }
            continue;
        }
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            break;
        }
        if (st == PGRES_FATAL_ERROR && db->deferred_rc == DB_OK) {
            db->deferred_rc = classify(db, res);
            log_failure(db, db->deferred_rc);
        }
        if (last && done == db->pending - 1 && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
            PQclear(*last);
            *last = res;
        } else {
            PQclear(res);
        }
    }
    db->pending = 0;
    return db->deferred_rc;
}

db_rc_t db_defer(db_t *db)
{
    if (!db->conn || db->deferring)
        return db->conn ? DB_OK : DB_ERR_CONN;
    if (!PQenterPipelineMode(db->conn))
        return classify(db, NULL);
    db->deferring = 1;
    db->pending = 0;
    db->deferred_rc = DB_OK;
    return DB_OK;
}

int db_deferring(const db_t *db)
{
    return db->deferring;
}

unsigned long db_statements(const db_t *db)
{
    return db->issued;
}

/* Leaves pipeline mode once every result is read. */
static void undefer(db_t *db)
{
    if (!db->deferring)
        return;
    if (db->pending)
        drain(db, NULL);
    while (PQstatus(db->conn) == CONNECTION_OK && PQpipelineStatus(db->conn) != PQ_PIPELINE_OFF &&
           !PQexitPipelineMode(db->conn)) {
        PGresult *res = PQgetResult(db->conn);
        if (!res && !PQisBusy(db->conn))
            break;
        PQclear(res);
    }
    db->deferring = 0;
    db->pending = 0;
}

static PGresult *query(db_t *db, const char *sql, int nparams, const char *const *params,
                       const int *lengths, const int *formats, db_rc_t *rc, int adhoc)
{
    if (!db->conn) {
        snprintf(db->last_error, sizeof(db->last_error), "not connected");
        *rc = DB_ERR_CONN;
        return NULL;
    }
    if (db->deferring) {
        /* The statements before this one may have failed: their failure is this one's. */
        PGresult *res = NULL;
        int n = db->deferred_rc == DB_OK
                    ? send_statement(db, sql, nparams, params, lengths, formats, adhoc)
                    : 0;
        if (n < 0) {
            *rc = db->deferred_rc = classify(db, NULL);
            return NULL;
        }
        db->pending += n;
        *rc = drain(db, &res);
        if (*rc == DB_OK && res)
            return res;
        PQclear(res);
        if (*rc == DB_OK)
            *rc = DB_ERR_CONN;
        return NULL;
    }
    char name[16];
    int fresh = 0;
    const char *stmt = adhoc ? "" : stmt_name(db, sql, name, &fresh);
    db->issued++;
    PGresult *res = NULL;
    if (fresh) {
        res = PQprepare(db->conn, stmt, sql, 0, NULL);
        if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
            db->nstmts--;
            free(db->stmts[db->nstmts].sql);
            stmt = "";
        }
        PQclear(res);
    }
    res = *stmt ? PQexecPrepared(db->conn, stmt, nparams, params, lengths, formats, 0)
                : PQexecParams(db->conn, sql, nparams, NULL, params, lengths, formats, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        *rc = DB_OK;
        return res;
    }
    *rc = classify(db, res);
    PQclear(res);
    log_failure(db, *rc);
    return NULL;
}

PGresult *db_query(db_t *db, const char *sql, int nparams, const char *const *params, db_rc_t *rc)
{
    return query(db, sql, nparams, params, NULL, NULL, rc, 0);
}

PGresult *db_query_adhoc(db_t *db, const char *sql, int nparams, const char *const *params,
                         db_rc_t *rc)
{
    return query(db, sql, nparams, params, NULL, NULL, rc, 1);
}

static db_rc_t exec(db_t *db, const char *sql, int nparams, const char *const *params,
                    const int *lengths, const int *formats, int adhoc)
{
    if (db->conn && db->deferring) {
        if (db->deferred_rc != DB_OK)
            return db->deferred_rc;
        int n = send_statement(db, sql, nparams, params, lengths, formats, adhoc);
        if (n < 0)
            return db->deferred_rc = classify(db, NULL);
        if (n == 0)
            return db->deferred_rc;
        db->pending += n;
        if (db->pending >= DB_DEFER_WINDOW)
            return drain(db, NULL);
        return DB_OK;
    }
    db_rc_t rc;
    PGresult *res = query(db, sql, nparams, params, lengths, formats, &rc, adhoc);
    PQclear(res);
    return rc;
}

db_rc_t db_exec(db_t *db, const char *sql, int nparams, const char *const *params)
{
    return exec(db, sql, nparams, params, NULL, NULL, 0);
}

db_rc_t db_exec_adhoc(db_t *db, const char *sql, int nparams, const char *const *params)
{
    return exec(db, sql, nparams, params, NULL, NULL, 1);
}

db_rc_t db_exec_binary(db_t *db, const char *sql, int nparams, const char *const *params,
                       const int *lengths, const int *formats)
{
    return exec(db, sql, nparams, params, lengths, formats, 0);
}

db_rc_t db_begin(db_t *db)
{
    return db_exec(db, "BEGIN", 0, NULL);
}

db_rc_t db_commit(db_t *db)
{
    db_rc_t rc = db_exec(db, "COMMIT", 0, NULL);
    if (db->conn && db->deferring) {
        if (db->pending && rc == DB_OK)
            rc = drain(db, NULL);
        if (rc == DB_OK)
            rc = db->deferred_rc;
        undefer(db);
        if (rc != DB_OK)
            db_rollback(db);
    }
    return rc;
}

void db_rollback(db_t *db)
{
    if (db->conn && db->deferring)
        undefer(db);
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
        PQclear(PQexec(db->conn, "ROLLBACK"));
}

db_rc_t db_end(db_t *db, db_rc_t rc)
{
    if (rc == DB_OK)
        rc = db_commit(db);
    if (rc != DB_OK)
        db_rollback(db);
    return rc;
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

int db_array_add(db_array_t *a, const char *v)
{
    size_t vl = strlen(v);
    if (util_reserve(&a->buf, &a->cap, a->len + vl + 3, 4096))
        return -1;
    if (a->len == 0)
        a->buf[a->len++] = '{';
    else
        a->buf[a->len - 1] = ','; /* over the closing brace */
    memcpy(a->buf + a->len, v, vl);
    a->len += vl;
    a->buf[a->len++] = '}';
    a->buf[a->len] = '\0';
    a->count++;
    return 0;
}

const char *db_array_text(const db_array_t *a)
{
    return a->len ? a->buf : "{}";
}

void db_array_free(db_array_t *a)
{
    free(a->buf);
    memset(a, 0, sizeof(*a));
}

int db_wait_notify(db_t *db, long timeout_ms)
{
    return db_wait_notify_each(db, timeout_ms, NULL, NULL);
}

/* Hands the notifications libpq holds to `each`; returns how many. */
static int drain_notifies(PGconn *c, void (*each)(const char *, const char *, void *), void *opaque)
{
    int n = 0;
    PGnotify *nt;
    while ((nt = PQnotifies(c))) {
        n++;
        if (each)
            each(nt->relname, nt->extra ? nt->extra : "", opaque);
        PQfreemem(nt);
    }
    return n;
}

int db_wait_notify_each(db_t *db, long timeout_ms,
                        void (*each)(const char *channel, const char *payload, void *opaque),
                        void *opaque)
{
    PGconn *c = db_conn(db);
    if (!c || PQstatus(c) != CONNECTION_OK)
        return -1;
    /* Notifications that came in while the caller ran its statements are held by libpq
     * already: the socket has nothing more to say, and waiting on it would sleep through
     * them. */
    int n = drain_notifies(c, each, opaque);
    if (n > 0)
        return n;
    struct pollfd pfd = {PQsocket(c), POLLIN, 0};
    if (pfd.fd < 0)
        return -1;
    if (timeout_ms > 0)
        poll(&pfd, 1, (int)timeout_ms);
    if (PQconsumeInput(c) == 0)
        return -1;
    return drain_notifies(c, each, opaque);
}

/* ---- arrays in the binary format ------------------------------------------------------------ */

/* array_recv()'s header for one dimension: ndim, flags (has nulls), element type, length,
 * lower bound - five 32-bit integers in network order. */
#define BARRAY_HEADER 20

static int barray_reserve(db_barray_t *a, size_t more)
{
    return util_reserve(&a->buf, &a->cap, a->len + more, 4096);
}

static void put_u32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

void db_barray_init(db_barray_t *a, unsigned int elem_oid)
{
    memset(a, 0, sizeof(*a));
    a->oid = elem_oid;
}

int db_barray_add(db_barray_t *a, const void *v, size_t len)
{
    if (len > INT32_MAX || barray_reserve(a, (a->len ? 0 : BARRAY_HEADER) + 4 + (v ? len : 0)))
        return -1;
    if (!a->len)
        a->len = BARRAY_HEADER;
    put_u32(a->buf + a->len, v ? (uint32_t)len : UINT32_MAX); /* -1: NULL */
    a->len += 4;
    if (v && len) {
        memcpy(a->buf + a->len, v, len);
        a->len += len;
    }
    a->nulls |= !v;
    a->count++;
    return 0;
}

int db_barray_add_str(db_barray_t *a, const char *v)
{
    return db_barray_add(a, v, v ? strlen(v) : 0);
}

const char *db_barray_data(db_barray_t *a, int *len)
{
    if (a->len > INT32_MAX)
        return NULL;
    if (!a->count) { /* ndim 0, no flags, the type: '{}' */
        if (barray_reserve(a, 12))
            return NULL;
        put_u32(a->buf, 0);
        put_u32(a->buf + 4, 0);
        put_u32(a->buf + 8, a->oid);
        *len = 12;
        return a->buf;
    }
    put_u32(a->buf, 1);
    put_u32(a->buf + 4, a->nulls ? 1 : 0);
    put_u32(a->buf + 8, a->oid);
    put_u32(a->buf + 12, (uint32_t)a->count);
    put_u32(a->buf + 16, 1);
    *len = (int)a->len;
    return a->buf;
}

int db_barray_add_row(db_barray_t *cols, int n, const char *const *v)
{
    for (int i = 0; i < n; i++)
        if (db_barray_add_str(&cols[i], v[i]))
            return -1;
    return 0;
}

db_rc_t db_exec_columns(db_t *db, const char *sql, const char *first, db_barray_t *cols, int n,
                        int adhoc)
{
    const char *p[DB_MAX_COLUMNS + 1];
    int len[DB_MAX_COLUMNS + 1], fmt[DB_MAX_COLUMNS + 1];
    int k = 0;
    if (n > DB_MAX_COLUMNS)
        return DB_ERR_DATA;
    if (first) {
        p[k] = first;
        len[k] = 0;
        fmt[k++] = 0;
    }
    for (int i = 0; i < n; i++, k++) {
        if (!(p[k] = db_barray_data(&cols[i], &len[k])))
            return DB_ERR_RETRY;
        fmt[k] = 1;
    }
    return exec(db, sql, k, p, len, fmt, adhoc);
}

void db_barray_reset(db_barray_t *a)
{
    a->len = 0;
    a->count = 0;
    a->nulls = 0;
}

void db_barray_free(db_barray_t *a)
{
    free(a->buf);
    memset(a, 0, sizeof(*a));
}
