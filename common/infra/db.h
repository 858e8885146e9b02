/* db: PostgreSQL through libpq - connect with retry and back-off, parameterised statements
 * only, transactions, and errors classified so callers know whether to retry the whole
 * transaction (connection lost, serialization failure) or blame one input (data error). */
#ifndef LIC_DB_H
#define LIC_DB_H

#include <libpq-fe.h>
#include <stddef.h>

typedef struct db db_t;

typedef enum {
    DB_OK = 0,
    DB_ERR_CONN = -1,  /* connection lost or unusable: reconnect, retry the transaction */
    DB_ERR_RETRY = -2, /* serialization failure, deadlock, shutdown: retry the transaction */
    DB_ERR_DATA = -3   /* the statement failed on its input: constraint, bad value */
} db_rc_t;

/* Connects to `url` (libpq URI or conninfo) with `password` (may be NULL), retrying with
 * exponential back-off and jitter until connected or a stop is requested. Returns a new
 * handle (free with db_close()), or NULL when stopped. `app_name` names the connection in
 * pg_stat_activity. */
db_t *db_open(const char *url, const char *password, const char *app_name);

/* One attempt, no retry: NULL with errstr on failure. */
db_t *db_open_once(const char *url, const char *password, const char *app_name, char *errstr,
                   size_t errstr_size);

/* Opens the workers' database from configuration (LIC_DB_URL, LIC_DB_PASSWORD). */
db_t *db_open_from_config(const char *app_name);

void db_close(db_t *db);

/* The libpq connection (borrowed), for LISTEN and the like. */
PGconn *db_conn(db_t *db);

/* Re-establishes a lost connection (with back-off until success or stop). 0 or -1 (stop). */
int db_reconnect(db_t *db);

/* Runs a parameterised statement (text parameters, NULL = SQL NULL), prepared once per
 * connection (up to 128 distinct texts; others are sent unnamed). On success returns the
 * result (caller PQclear()s it) and *rc = DB_OK; on failure NULL, *rc classifies it and the
 * message is logged and kept for db_last_error(). */
PGresult *db_query(db_t *db, const char *sql, int nparams, const char *const *params, db_rc_t *rc);

/* db_query() for statements whose rows are not needed. */
db_rc_t db_exec(db_t *db, const char *sql, int nparams, const char *const *params);

/* The same, but planned at every execution with the tables' sizes of the moment (an unnamed
 * statement): for the statements that read or write a batch of rows through a join or an
 * array. A prepared statement keeps the generic plan it got when its tables were small - a
 * sequential scan joined by hash - for the life of the connection, and it grows with the
 * table. Planning costs a fraction of a millisecond, once a batch. */
PGresult *db_query_adhoc(db_t *db, const char *sql, int nparams, const char *const *params,
                         db_rc_t *rc);
db_rc_t db_exec_adhoc(db_t *db, const char *sql, int nparams, const char *const *params);
/* db_exec() with libpq's `lengths` and `formats` per parameter (format 1: binary, as
 * db_barray_data() makes; 0: text, NUL-terminated): a batch's long values - event payloads -
 * sent as they are, neither escaped by the worker nor parsed by the server. */
db_rc_t db_exec_binary(db_t *db, const char *sql, int nparams, const char *const *params,
                       const int *lengths, const int *formats);

/* Deferred writes, for a transaction that writes many rows: from here to the next
 * db_commit() or db_rollback(), db_exec() only sends its statement (libpq's pipeline mode)
 * and returns DB_OK; the results are read every DB_DEFER_WINDOW statements, at a db_query()
 * (which returns the first failure of the statements before it, if any) and at the commit
 * (which returns it too, and rolls back). So a failure is known late and cannot be told apart
 * from the statement that caused it: a caller that must know runs the transaction again
 * without deferring. Call after db_begin(). */
db_rc_t db_defer(db_t *db);
int db_deferring(const db_t *db);
/* Statements sent on this handle so far (a caller can tell whether a step wrote anything). */
unsigned long db_statements(const db_t *db);

db_rc_t db_begin(db_t *db);
db_rc_t db_commit(db_t *db);
/* Rolls back; errors are ignored (a lost connection rolls back by itself). */
void db_rollback(db_t *db);
/* Ends the transaction as `rc` says: commits on DB_OK, else (or when the commit fails) rolls
 * back. Returns the commit's result, or `rc`. */
db_rc_t db_end(db_t *db, db_rc_t rc);

/* The last error's text and SQLSTATE (borrowed, valid until the next call). */
const char *db_last_error(const db_t *db);
const char *db_last_sqlstate(const db_t *db);

/* Waits up to timeout_ms for input on the connection (a NOTIFY of a channel the caller
 * LISTENs to) and drains the notifications. Returns how many arrived (0 on timeout), or -1
 * when the connection is lost: reconnect (db_reconnect) and LISTEN again. */
int db_wait_notify(db_t *db, long timeout_ms);
/* The same, handing each notification's channel and payload to `each`. */
int db_wait_notify_each(db_t *db, long timeout_ms,
                        void (*each)(const char *channel, const char *payload, void *opaque),
                        void *opaque);

/* A bytea input literal ("\x" and hex digits) for `len` bytes, for a text-format parameter.
 * Returns a new buffer the caller frees, or NULL on out of memory. */
char *db_bytea_hex(const void *buf, size_t len);

/* A PostgreSQL array literal ("{a,b,...}") of plain elements - uuids, integers - built for one
 * text-format parameter (`= ANY ($1::uuid[])`), so a batch is read or written in one
 * statement. Zero-initialise, add, read db_array_text(), free. */
typedef struct {
    char *buf;
    size_t len, cap;
    size_t count;
} db_array_t;

/* Appends `v` (no quoting: it must not contain commas, braces, quotes or spaces). 0, or -1
 * when out of memory. */
int db_array_add(db_array_t *a, const char *v);
/* The literal; "{}" when nothing was added. */
const char *db_array_text(const db_array_t *a);
void db_array_free(db_array_t *a);
/* A one-dimensional array in PostgreSQL's binary format (what array_recv() reads), for a
 * binary parameter of db_exec_binary() typed in the statement (`$2::bytea[]`, `$3::text[]`):
 * each element is its type's binary form - for text and bytea, the bytes themselves. */
#define DB_OID_BYTEA 17
#define DB_OID_TEXT 25
typedef struct {
    char *buf;
    size_t len, cap;
    int count, nulls;
    unsigned int oid;
} db_barray_t;
void db_barray_init(db_barray_t *a, unsigned int elem_oid);
/* Appends `len` bytes of `v`, or SQL NULL when `v` is NULL. 0, or -1 when out of memory. */
int db_barray_add(db_barray_t *a, const void *v, size_t len);
/* A NUL-terminated string (NULL: SQL NULL). */
int db_barray_add_str(db_barray_t *a, const char *v);
/* The parameter's bytes and their length (*len); NULL when out of memory. Valid until the
 * next add, reset or free. */
const char *db_barray_data(db_barray_t *a, int *len);
/* Appends one row of strings (NULL: SQL NULL) to the n columns cols[]. 0, or -1 when out of
 * memory (the columns may then differ in length: the batch is abandoned). */
int db_barray_add_row(db_barray_t *cols, int n, const char *const *v);
/* Runs `sql` with the binary arrays cols[] (at most DB_MAX_COLUMNS) as its parameters, after
 * `first` (text, $1) when it is not NULL; unprepared with `adhoc` (db_exec_adhoc()'s reason:
 * a batch joined to the tables it reads). */
#define DB_MAX_COLUMNS 15
db_rc_t db_exec_columns(db_t *db, const char *sql, const char *first, db_barray_t *cols, int n,
                        int adhoc);
/* Empties it, keeping its buffer. */
void db_barray_reset(db_barray_t *a);
void db_barray_free(db_barray_t *a);
#endif
