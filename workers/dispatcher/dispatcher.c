/* dispatcher: see dispatcher.h. */
#include "dispatcher.h"
#include "dispatcher_sql.h"
#include "approval.h"
#include "breaker.h"
#include "clock.h"
#include "config.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "signals.h"
#include "util.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RESP_MAX 65536
#define ACTOR "lic-dispatcher"
#define SOURCE "/licensing/dispatcher"

typedef struct flight {
    CURL *easy;
    struct curl_slist *hdrs;
    char request_id[40];
    char application_id[40];
    int agency;
    char *url;
    /* The agency's answer, NUL-terminated, grown as it comes (at most RESP_MAX): a buffer of
     * RESP_MAX in every flight was zeroed with it and, freed, made glibc consolidate its free
     * lists each time (a third of the dispatcher's CPU). */
    char *resp;
    size_t resp_len, resp_cap;
    long retry_after_ms;
    char curl_error[CURL_ERROR_SIZE];
    struct flight *next;
    /* The result, once finished, until it is recorded. */
    int finished, recorded, taken, skips;
    int res_kind;
    long res_status;
    time_t res_received_at;
    char res_error[400];
} flight_t;

struct dispatcher {
    db_t *db;
    cal_t *cal;
    ag_config_t ag;
    CURLM *multi;
    flight_t *flights;
    int in_flight[AG_COUNT];
    int max_seen[AG_COUNT];
    cb_t breaker[AG_COUNT];
    long max_in_flight, timeout_ms, retry_base_ms, retry_max_ms;
    int listening;
    int unrecorded; /* finished requests whose results wait for their application's lock */
};

dispatcher_t *dispatcher_new(db_t *db, char *errstr, size_t errstr_size)
{
    dispatcher_t *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    d->db = db;
    if (cal_load_file(cfg_get("CALENDAR_FILE"), &d->cal, errstr, errstr_size) ||
        ag_load(cfg_get("AGENCIES_FILE"), &d->ag, errstr, errstr_size)) {
        dispatcher_free(d);
        return NULL;
    }
    d->max_in_flight = cfg_get_long("AGENCY_MAX_IN_FLIGHT", 16);
    d->timeout_ms = cfg_get_long("AGENCY_TIMEOUT_MS", 10000);
    d->retry_base_ms = cfg_get_long("AGENCY_RETRY_BASE_MS", 1000);
    d->retry_max_ms = cfg_get_long("AGENCY_RETRY_MAX_MS", 300000);
    for (int a = 0; a < AG_COUNT; a++)
        cb_init(&d->breaker[a], (int)cfg_get_long("AGENCY_BREAKER_FAILURES", 5),
                cfg_get_long("AGENCY_BREAKER_COOLDOWN_MS", 30000));
    if (d->max_in_flight < 1)
        d->max_in_flight = 1;
    d->multi = curl_multi_init();
    if (!d->multi) {
        snprintf(errstr, errstr_size, "curl_multi_init failed");
        dispatcher_free(d);
        return NULL;
    }
    return d;
}

void dispatcher_free(dispatcher_t *d)
{
    if (!d)
        return;
    if (d->multi)
        curl_multi_cleanup(d->multi);
    cal_free(d->cal);
    ag_free(&d->ag);
    free(d);
}

void dispatcher_reload(dispatcher_t *d)
{
    char err[512];
    ag_config_t ag;
    cal_reload(&d->cal, cfg_get("CALENDAR_FILE"));
    if (ag_load(cfg_get("AGENCIES_FILE"), &ag, err, sizeof(err)) == 0) {
        ag_free(&d->ag);
        d->ag = ag;
        log_info("agencies reloaded");
    } else {
        log_error("agencies reload failed, keeping the configuration in use: %s", err);
    }
}

/* ---- creating requests (¶11): one per agency, id and body stored before any attempt ---- */

#define CREATE_PAGE 200
#define CREATE_PAGE_S "200"

/* A page of applications waiting for their requests: page_new.sql, page_sweep.sql. */

/* The requests of a page as one statement's arrays, a column each (binary text arrays: a
 * unit's URL is the configuration's, with whatever characters it has). */
enum { RQ_ID, RQ_APP, RQ_AGENCY, RQ_REGION, RQ_URL, RQ_TOPIC, RQ_SEND_DUE, RQ_COLUMNS };

/* Writes the requests: each body (CONTRACT.md: what every request repeats - the applicant,
 * subtypes, production base, documents - and the request's own members) made by the server
 * from the application's rows as it stores it, once an application. $1: reply_due_at. */
static const char *INSERT_REQUESTS_SQL = sql_dispatcher_reload_with_agency_requests;

/* The two requests (¶11) of the application in row `i` of a page, added to `rq`; an agency
 * without a unit for the region gets an incident instead. */
static db_rc_t requests_for(dispatcher_t *d, PGresult *page, int i, db_barray_t *rq)
{
    const char *app_id = PQgetvalue(page, i, 0);
    if (PQgetisnull(page, i, 1)) {
        /* The intake writes the applicant and base with the application: never expected. */
        return apv_incident(d->db, app_id, "application_data_missing", "",
                            "the application has no applicant or production base row; no"
                            " approval request can be made",
                            clock_now());
    }
    const char *region = PQgetvalue(page, i, 1);
    char send_due[40];
    util_rfc3339_utc((time_t)atoll(PQgetvalue(page, i, 2)), send_due, sizeof(send_due));
    db_rc_t rc = DB_OK;
    for (int a = 0; a < AG_COUNT && rc == DB_OK; a++) {
        const char *url = ag_unit_url(&d->ag, (ag_agency_t)a, region);
        if (!url) {
            char detail[200];
            snprintf(detail, sizeof(detail), "no %s unit configured for region %s",
                     ag_name((ag_agency_t)a), region);
            rc = apv_incident(d->db, app_id, "agency_unit_missing", ag_name((ag_agency_t)a), detail,
                              clock_now());
            continue;
        }
        char id[UUID_STR_LEN];
        util_uuid_v4(id);
        const char *row[RQ_COLUMNS] = {[RQ_ID] = id,
                                       [RQ_APP] = app_id,
                                       [RQ_AGENCY] = ag_name((ag_agency_t)a),
                                       [RQ_REGION] = region,
                                       [RQ_URL] = url,
                                       [RQ_TOPIC] = ag_reply_topic((ag_agency_t)a),
                                       [RQ_SEND_DUE] = send_due};
        if (db_barray_add_row(rq, RQ_COLUMNS, row))
            rc = DB_ERR_RETRY;
    }
    return rc;
}

/* Creates the missing requests of a page of applications waiting for them, with the id and
 * body of each stored before any attempt. Returns how many applications were handled, or a
 * negative db_rc_t. */
static int create_requests(dispatcher_t *d, int sweep)
{
    db_rc_t rc = db_begin(d->db);
    if (rc != DB_OK)
        return rc;
    PGresult *r = db_query_adhoc(d->db, sweep ? sql_page_sweep : sql_page_new, 1,
                                 (const char *[]){CREATE_PAGE_S}, &rc);
    if (!r) {
        db_rollback(d->db);
        return rc;
    }
    int n = PQntuples(r);
    time_t due;
    char err[256], due_s[40];
    /* The agency's own receipt time starts the window; until it answers, the request
     * announces the window as it would run from now. */
    if (cal_add_working_days(d->cal, clock_now(), CAL_AGENCY_REPLY_WD, &due, err, sizeof(err))) {
        log_error("cannot compute reply_due_at: %s", err);
        PQclear(r);
        db_rollback(d->db);
        return DB_ERR_RETRY;
    }
    cal_format(due, due_s, sizeof(due_s));
    db_barray_t rq[RQ_COLUMNS];
    db_array_t ids = {0};
    for (int c = 0; c < RQ_COLUMNS; c++)
        db_barray_init(&rq[c], DB_OID_TEXT);
    rc = db_defer(d->db);
    for (int i = 0; i < n && rc == DB_OK; i++) {
        rc = requests_for(d, r, i, rq);
        if (rc == DB_OK && db_array_add(&ids, PQgetvalue(r, i, 0)))
            rc = DB_ERR_RETRY;
    }
    PQclear(r);
    if (rc == DB_OK && rq[RQ_ID].count)
        rc = db_exec_columns(d->db, INSERT_REQUESTS_SQL, due_s, rq, RQ_COLUMNS, 1);
    for (int c = 0; c < RQ_COLUMNS; c++)
        db_barray_free(&rq[c]);
    if (rc == DB_OK && ids.count) {
        const char *p[] = {db_array_text(&ids)};
        rc = db_exec_adhoc(d->db, sql_create_requests_update_applications, 1, p);
    }
    db_array_free(&ids);
    rc = db_end(d->db, rc);
    return rc == DB_OK ? n : rc;
}

/* ---- HTTP ---- */

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    flight_t *f = ud;
    size_t len = size * n;
    size_t room = RESP_MAX - 1 - f->resp_len;
    size_t take = len < room ? len : room;
    if (f->resp_len + take + 1 > f->resp_cap) {
        size_t cap = f->resp_cap ? f->resp_cap : 1024;
        while (cap < f->resp_len + take + 1)
            cap *= 2;
        char *grown = realloc(f->resp, cap < RESP_MAX ? cap : RESP_MAX);
        if (!grown)
            return len; /* the rest is dropped, as past RESP_MAX */
        f->resp = grown;
        f->resp_cap = cap < RESP_MAX ? cap : RESP_MAX;
    }
    memcpy(f->resp + f->resp_len, ptr, take);
    f->resp_len += take;
    f->resp[f->resp_len] = '\0';
    return len;
}

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    flight_t *f = ud;
    size_t len = size * n;
    if (len > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
        char v[128];
        size_t vl = len - 12 < sizeof(v) - 1 ? len - 12 : sizeof(v) - 1;
        memcpy(v, buf + 12, vl);
        v[vl] = '\0';
        v[strcspn(v, "\r\n")] = '\0';
        char *s = v + strspn(v, " \t");
        char *end;
        long secs = strtol(s, &end, 10);
        if (end != s && *end == '\0' && secs >= 0) {
            f->retry_after_ms = secs * 1000;
        } else {
            time_t t = curl_getdate(s, NULL);
            if (t > 0)
                f->retry_after_ms = (long)(t - time(NULL)) * 1000;
        }
    }
    return len;
}

static void start_flight(dispatcher_t *d, const char *request_id, const char *app_id, int agency,
                         const char *base_url, const char *body)
{
    flight_t *f = calloc(1, sizeof(*f));
    if (!f)
        return; /* the lease expires and the request is claimed again */
    snprintf(f->request_id, sizeof(f->request_id), "%s", request_id);
    snprintf(f->application_id, sizeof(f->application_id), "%s", app_id);
    f->agency = agency;
    size_t ul = strlen(base_url);
    f->url = malloc(ul + 32);
    snprintf(f->url, ul + 32, "%s%s/v1/approval-requests", base_url,
             ul && base_url[ul - 1] == '/' ? "." : "");
    char key[80];
    snprintf(key, sizeof(key), "Idempotency-Key: %s", request_id);
    f->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    f->hdrs = curl_slist_append(f->hdrs, "Accept: application/json");
    f->hdrs = curl_slist_append(f->hdrs, key);
    f->hdrs = curl_slist_append(f->hdrs, "Expect:");
    CURL *e = curl_easy_init();
    f->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, f->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->hdrs);
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, d->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, d->timeout_ms < 5000 ? d->timeout_ms : 5000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, f);
    curl_easy_setopt(e, CURLOPT_PRIVATE, f);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->curl_error);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, d->ag.allow_plain_http ? "http,https" : "https");
    curl_easy_setopt(e, CURLOPT_USERAGENT, "licensing-dispatcher/1");
    /* mTLS: client certificate and key, and the CA that signed the agencies' servers. */
    if (d->ag.tls_cert)
        curl_easy_setopt(e, CURLOPT_SSLCERT, d->ag.tls_cert);
    if (d->ag.tls_key)
        curl_easy_setopt(e, CURLOPT_SSLKEY, d->ag.tls_key);
    if (d->ag.tls_ca)
        curl_easy_setopt(e, CURLOPT_CAINFO, d->ag.tls_ca);
    curl_multi_add_handle(d->multi, e);
    f->next = d->flights;
    d->flights = f;
    d->in_flight[agency]++;
    char labels[64];
    snprintf(labels, sizeof(labels), "agency=\"%s\"", ag_name((ag_agency_t)agency));
    mt_set("lic_agency_requests_in_flight", labels, d->in_flight[agency]);
    mt_add("lic_agency_requests_total", labels, 1);
    if (d->in_flight[agency] > d->max_seen[agency])
        d->max_seen[agency] = d->in_flight[agency];
}

static void free_flight(dispatcher_t *d, flight_t *f)
{
    for (flight_t **pp = &d->flights; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    d->in_flight[f->agency]--;
    char labels[64];
    snprintf(labels, sizeof(labels), "agency=\"%s\"", ag_name((ag_agency_t)f->agency));
    mt_set("lic_agency_requests_in_flight", labels, d->in_flight[f->agency]);
    mt_set("lic_agency_circuit_open", labels,
           cb_state(&d->breaker[f->agency], util_mono_ms()) != CB_CLOSED);
    curl_multi_remove_handle(d->multi, f->easy);
    curl_easy_cleanup(f->easy);
    curl_slist_free_all(f->hdrs);
    free(f->url);
    free(f->resp);
    free(f);
}

/* Claims due requests of each agency within its in-flight limit and circuit state, in one
 * statement. The claim only moves a lease (attempts, next_attempt_at), so it is committed
 * without waiting for the WAL flush: a claim lost in a crash only means the request is sent
 * again later with the same Idempotency-Key. */
static int claim(dispatcher_t *d)
{
    int started = 0;
    int64_t now_ms = util_mono_ms();
    char caps[AG_COUNT][24];
    int any = 0;
    for (int a = 0; a < AG_COUNT; a++) {
        /* Open: none; half-open: one probe. */
        long cap = cb_allowed(&d->breaker[a], d->max_in_flight, d->in_flight[a], now_ms);
        snprintf(caps[a], sizeof(caps[a]), "%ld", cap > 0 ? cap : 0);
        any |= cap > 0;
    }
    if (!any)
        return 0;
    char lease[48];
    snprintf(lease, sizeof(lease), "%ld milliseconds", d->timeout_ms * 2 + 5000);
    db_rc_t rc = db_begin(d->db);
    if (rc == DB_OK)
        rc = db_defer(d->db);
    if (rc == DB_OK)
        rc = db_exec(d->db, "SET LOCAL synchronous_commit = off", 0, NULL);
    PGresult *r = NULL;
    if (rc == DB_OK) {
        const char *p[] = {ag_name(AG_INDUSTRIAL_SAFETY), caps[AG_INDUSTRIAL_SAFETY],
                           ag_name(AG_SANITARY), caps[AG_SANITARY], lease};
        r = db_query_adhoc(d->db, sql_claim_with_agency_requests, 5, p, &rc);
    }
    if (!r || (rc = db_commit(d->db)) != DB_OK) {
        PQclear(r);
        db_rollback(d->db);
        return rc;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        int a = (int)ag_parse(PQgetvalue(r, i, 2));
        if (a < 0)
            continue;
        start_flight(d, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), a, PQgetvalue(r, i, 3),
                     PQgetvalue(r, i, 4));
        started++;
    }
    PQclear(r);
    return started;
}

/* ---- results ---- */

typedef enum { RES_RECEIVED, RES_TRANSIENT, RES_REJECTED } result_kind_t;

static int by_application(const void *a, const void *b)
{
    return strcmp((*(flight_t *const *)a)->application_id, (*(flight_t *const *)b)->application_id);
}

/* Records the receipts of f[] (each with res_kind RES_RECEIVED), set-based: the applications
 * locked in one statement (in id order, as every batch locks them), the requests marked
 * received with their reply deadlines and their windows opened in one (¶12: the 10 WD run
 * from the agency's own receipt time; migration 017), then the status events and the
 * applications' transitions written as a few statements whatever the count. A
 * request already recorded (a repeated attempt) changes nothing. Without `wait`, an application
 * another transaction holds (the replies worker's batch, which locks in message order) is skipped,
 * not waited for - waiting while holding the others is how the two deadlocked - and its receipt is
 * left with f->taken 0. */
static db_rc_t record_receipts(dispatcher_t *d, flight_t **f, int n, int wait)
{
    db_t *db = d->db;
    db_rc_t rc = DB_OK;
    time_t now = clock_now();
    db_array_t app_ids = {0};
    apv_locked_t *apps = calloc((size_t)n, sizeof(*apps));
    json_t *index = json_object(), *rows = json_array(), *updated = json_object();
    time_t *dues = calloc((size_t)n, sizeof(*dues));
    PGresult *r = NULL;
    ob_batch_t ob;
    int ob_failed = ob_batch_init(&ob);
    if (!apps || !index || !rows || !updated || !dues || ob_failed) {
        rc = DB_ERR_RETRY;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        char err[256];
        f[i]->taken = 0;
        if (cal_add_working_days(d->cal, f[i]->res_received_at, CAL_AGENCY_REPLY_WD, &dues[i], err,
                                 sizeof(err))) {
            log_error("cannot compute the reply window: %s", err);
            rc = DB_ERR_RETRY;
            goto out;
        }
        if (db_array_add(&app_ids, f[i]->application_id)) {
            rc = DB_ERR_RETRY;
            goto out;
        }
    }
    int napps = apv_lock_many(db, db_array_text(&app_ids), !wait, apps, n, index, NULL);
    if (napps < 0) {
        rc = napps;
        goto out;
    }
    /* The receipts of the applications locked; the others wait for the next round. */
    for (int i = 0; i < n; i++) {
        if (!json_object_get(index, f[i]->application_id))
            continue;
        f[i]->taken = 1;
        char rs[40], ds[40];
        util_rfc3339_utc(f[i]->res_received_at, rs, sizeof(rs));
        util_rfc3339_utc(dues[i], ds, sizeof(ds));
        if (json_array_append_new(
                rows, json_pack("{s:s,s:s,s:s,s:i}", "request_id", f[i]->request_id, "received_at",
                                rs, "reply_due_at", ds, "status", (int)f[i]->res_status))) {
            rc = DB_ERR_RETRY;
            goto out;
        }
    }
    if (json_array_size(rows) == 0)
        goto out;
    char *text = jx_dumps(rows);
    if (!text) {
        rc = DB_ERR_RETRY;
        goto out;
    }
    const char *p[] = {text};
    r = db_query_adhoc(db, sql_record_receipts_with_u, 1, p, &rc);
    free(text);
    if (!r)
        goto out;
    /* The requests whose receipt this statement recorded. */
    for (int i = 0; i < PQntuples(r); i++)
        json_object_set_new(updated, PQgetvalue(r, i, 0), json_true());
    PQclear(r);
    r = NULL;
    if ((rc = db_defer(db)) != DB_OK)
        goto out;
    ob_cause_t cause = {.kind = "actor", .actor = ACTOR};
    for (int i = 0; i < n && rc == DB_OK; i++) {
        if (!json_object_get(updated, f[i]->request_id))
            continue; /* already recorded */
        json_t *ai = json_object_get(index, f[i]->application_id);
        if (!ai) {
            rc = DB_ERR_DATA; /* updated, so locked: cannot happen */
            break;
        }
        apv_locked_t *a = &apps[json_integer_value(ai)];
        json_t *detail = apv_receipt_detail(ag_name((ag_agency_t)f[i]->agency), f[i]->request_id,
                                            f[i]->res_received_at, dues[i]);
        rc = ob_batch_status_event(&ob, SOURCE, f[i]->application_id, a->app.portal_ref,
                                   EV_ST_APPROVALS_REQUESTED, now, a->app.service_deadline, detail,
                                   f[i]->request_id);
        a->received++;
        if (rc == DB_OK)
            rc = apv_advance_counted(db, &ob, &a->app, a->received, a->answered, now, &cause);
    }
    if (rc == DB_OK)
        rc = ob_batch_flush(db, &ob);
out:
    PQclear(r);
    db_array_free(&app_ids);
    free(apps);
    free(dues);
    json_decref(index);
    json_decref(rows);
    json_decref(updated);
    ob_batch_free(&ob);
    return rc;
}

static db_rc_t record_failure(dispatcher_t *d, flight_t *f, result_kind_t kind, long status,
                              const char *error)
{
    db_rc_t rc;
    char st[16], delay[48];
    snprintf(st, sizeof(st), "%ld", status);
    long attempts_ms = 0;
    if (kind == RES_TRANSIENT) {
        /* Attempts so far decide the back-off; Retry-After wins when longer. */
        const char *pa[] = {f->request_id};
        PGresult *r = db_query(d->db, "SELECT attempts FROM agency_requests WHERE request_id = $1",
                               1, pa, &rc);
        if (!r)
            return rc;
        int attempts = PQntuples(r) ? atoi(PQgetvalue(r, 0, 0)) : 1;
        PQclear(r);
        attempts_ms = util_backoff_ms(attempts - 1, d->retry_base_ms, d->retry_max_ms);
        if (f->retry_after_ms > attempts_ms)
            attempts_ms =
                f->retry_after_ms < 24L * 3600 * 1000 ? f->retry_after_ms : 24L * 3600 * 1000;
    }
    snprintf(delay, sizeof(delay), "%ld milliseconds", attempts_ms);
    const char *p[] = {f->request_id, st, error, delay,
                       kind == RES_REJECTED ? "rejected" : "pending"};
    PGresult *r = db_query(d->db, sql_record_failure_update_agency_requests, 5, p, &rc);
    if (!r)
        return rc;
    int updated = PQntuples(r);
    time_t send_due = updated ? (time_t)atoll(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    if (!updated)
        return DB_OK;
    char detail[600];
    time_t now = clock_now();
    if (kind == RES_REJECTED) {
        /* 400/422: the agency will not take this request; retrying cannot help. */
        snprintf(detail, sizeof(detail), "%s rejected the approval request %s: %s",
                 ag_name((ag_agency_t)f->agency), f->request_id, error);
        return apv_incident(d->db, f->application_id, "approval_request_rejected",
                            ag_name((ag_agency_t)f->agency), detail, now);
    }
    if (now > send_due) {
        /* ¶11: the requests must be out within 2 WD; keep trying, but an operator must act. */
        snprintf(detail, sizeof(detail),
                 "the %s request %s is not received after the 2-working-day limit: %s",
                 ag_name((ag_agency_t)f->agency), f->request_id, error);
        return apv_incident(d->db, f->application_id, "approval_request_overdue",
                            ag_name((ag_agency_t)f->agency), detail, now);
    }
    return DB_OK;
}

/* Records one result in a transaction of its own, waiting for its application's lock (one
 * lock, nothing else held: no deadlock), retrying transient database errors a few times. A
 * result that still cannot be recorded is left to the lease: the request is sent again with
 * the same Idempotency-Key, and the agency's 409 repeats its receipt. Either way the flight
 * is done with. */
static void record(dispatcher_t *d, flight_t *f)
{
    f->recorded = 1;
    for (int attempt = 0; attempt < 5; attempt++) {
        db_rc_t rc = db_begin(d->db);
        if (rc == DB_OK)
            rc = f->res_kind == RES_RECEIVED ? record_receipts(d, &f, 1, 1)
                                             : record_failure(d, f, (result_kind_t)f->res_kind,
                                                              f->res_status, f->res_error);
        if (rc == DB_OK && (rc = db_commit(d->db)) == DB_OK)
            return;
        db_rollback(d->db);
        if (rc == DB_ERR_DATA)
            break;
        if (rc == DB_ERR_CONN && db_reconnect(d->db) != 0)
            break;
        d->listening = 0;
        util_sleep_ms(util_backoff_ms(attempt, 50, 2000));
    }
    log_error("could not record the result of request %s; it will be repeated", f->request_id);
}

static void set_result(flight_t *f, result_kind_t kind, long status, time_t received_at,
                       const char *error)
{
    f->res_kind = kind;
    f->res_status = status;
    f->res_received_at = received_at;
    snprintf(f->res_error, sizeof(f->res_error), "%s", error ? error : "");
}

/* Records the results of finished requests in one transaction with deferred writes: the
 * failures one by one (they are few), the receipts together (record_receipts()) - those
 * whose application another transaction holds are left for the next round (f->recorded
 * stays 0). When the transaction fails on the data, each is recorded on its own (record()),
 * so one cannot hold back the others. */
static void record_all(dispatcher_t *d, flight_t **done, int n)
{
    if (n == 0)
        return;
    /* Receipts first, in application order. */
    int nrec = 0;
    for (int i = 0; i < n; i++)
        if (done[i]->res_kind == RES_RECEIVED) {
            flight_t *t = done[nrec];
            done[nrec++] = done[i];
            done[i] = t;
        }
    qsort(done, (size_t)nrec, sizeof(flight_t *), by_application);
    for (int attempt = 0; attempt < 5; attempt++) {
        db_rc_t rc = db_begin(d->db);
        if (rc == DB_OK)
            rc = db_defer(d->db);
        if (rc == DB_OK && nrec)
            rc = record_receipts(d, done, nrec, 0);
        for (int i = nrec; i < n && rc == DB_OK; i++)
            rc = record_failure(d, done[i], (result_kind_t)done[i]->res_kind, done[i]->res_status,
                                done[i]->res_error);
        if (rc == DB_OK && (rc = db_commit(d->db)) == DB_OK) {
            for (int i = 0; i < n; i++)
                done[i]->recorded = i >= nrec || done[i]->taken;
            return;
        }
        db_rollback(d->db);
        if (rc == DB_ERR_DATA)
            break;
        if (rc == DB_ERR_CONN && db_reconnect(d->db) != 0)
            return;
        d->listening = 0;
        util_sleep_ms(util_backoff_ms(attempt, 50, 2000));
    }
    for (int i = 0; i < n; i++)
        record(d, done[i]);
}

static void finish(dispatcher_t *d, flight_t *f, CURLcode cc)
{
    long status = 0;
    curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
    const char *agency = ag_name((ag_agency_t)f->agency);
    cb_t *b = &d->breaker[f->agency];
    char error[400];
    if (cc == CURLE_OK && (status == 202 || status == 409)) {
        json_t *body = json_loadb(f->resp, f->resp_len, 0, NULL);
        const char *ra = json_string_value(json_object_get(body, "received_at"));
        const char *rid = json_string_value(json_object_get(body, "request_id"));
        time_t received_at;
        if (ra && util_rfc3339_parse(ra, &received_at) == 0 &&
            (!rid || strcmp(rid, f->request_id) == 0)) {
            cb_success(b);
            json_decref(body);
            set_result(f, RES_RECEIVED, status, received_at, NULL);
            return;
        }
        json_decref(body);
        snprintf(error, sizeof(error), "HTTP %ld without a valid received_at", status);
    } else if (cc == CURLE_OK && status >= 400 && status < 500 && status != 429 && status != 408) {
        snprintf(error, sizeof(error), "HTTP %ld: %.300s", status, f->resp ? f->resp : "");
        cb_success(b); /* the agency answered: it is up */
        set_result(f, RES_REJECTED, status, 0, error);
        return;
    } else if (cc == CURLE_OK) {
        snprintf(error, sizeof(error), "HTTP %ld", status);
    } else {
        snprintf(error, sizeof(error), "%s",
                 f->curl_error[0] ? f->curl_error : curl_easy_strerror(cc));
    }
    if (cb_failure(b, util_mono_ms()))
        log_warn("circuit open for %s after %d failures (last: %s); next probe in %ld ms", agency,
                 b->failures, error, b->cooldown_ms);
    json_t *fl =
        json_pack("{s:s,s:s,s:s}", "request_id", f->request_id, "agency", agency, "error", error);
    log_write(LOG_LEVEL_WARN, "approval request failed, will retry", fl);
    char labels[64];
    snprintf(labels, sizeof(labels), "agency=\"%s\"", agency);
    mt_add("lic_agency_request_retries_total", labels, 1);
    set_result(f, RES_TRANSIENT, cc == CURLE_OK ? status : 0, 0, error);
}

/* Handles finished requests, recording their results together; returns how many were
 * recorded. A result whose application stayed locked by another worker three rounds running
 * is recorded on its own, waiting for the lock. */
static int reap(dispatcher_t *d)
{
    CURLMsg *m;
    int left, total = 0, n = 0;
    while ((m = curl_multi_info_read(d->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        flight_t *f;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&f);
        finish(d, f, m->data.result);
        f->finished = 1;
    }
    flight_t *done[64];
    for (flight_t *f = d->flights; f; f = f->next) {
        if (!f->finished)
            continue;
        if (f->skips >= 3) {
            record(d, f);
            continue;
        }
        done[n++] = f;
        if (n == 64) {
            record_all(d, done, n);
            n = 0;
        }
    }
    record_all(d, done, n);
    d->unrecorded = 0;
    for (flight_t *f = d->flights, *next; f; f = next) {
        next = f->next;
        if (!f->finished)
            continue;
        if (f->recorded) {
            free_flight(d, f);
            total++;
        } else {
            f->skips++;
            d->unrecorded++;
        }
    }
    return total;
}

/* Milliseconds until the next pending attempt of an agency that can take one is due
 * (capped), for the wait. An agency at its in-flight limit or with its circuit open is left
 * out: a finished request or the circuit's cool-down wakes the loop for it. */
static long next_due_ms(dispatcher_t *d, long cap)
{
    char agencies[64] = "";
    int64_t now_ms = util_mono_ms();
    for (int a = 0; a < AG_COUNT; a++) {
        int open = cb_state(&d->breaker[a], now_ms) == CB_OPEN;
        if (d->in_flight[a] < d->max_in_flight && !open) {
            size_t l = strlen(agencies);
            snprintf(agencies + l, sizeof(agencies) - l, "%s%s", l ? "," : "",
                     ag_name((ag_agency_t)a));
        }
    }
    if (!agencies[0])
        return cap;
    db_rc_t rc;
    const char *p[] = {agencies};
    PGresult *r = db_query(d->db, sql_next_due_ms_select_rows, 1, p, &rc);
    if (!r)
        return 200;
    long ms = PQgetisnull(r, 0, 0) ? cap : atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    return ms < cap ? ms : cap;
}

static int drain_notifications(dispatcher_t *d)
{
    PGconn *c = db_conn(d->db);
    int got = 0;
    if (!c || PQconsumeInput(c) == 0)
        return -1;
    PGnotify *n;
    while ((n = PQnotifies(c))) {
        got = 1;
        PQfreemem(n);
    }
    return got;
}

int dispatcher_run(dispatcher_t *d)
{
    int more_to_create = 1;
    int64_t next_scan = 0, next_create = 0, next_sweep = 0;
    mt_declare("lic_agency_requests_in_flight", MT_GAUGE, "Approval requests in flight.");
    mt_declare("lic_agency_requests_total", MT_COUNTER, "Approval request attempts started.");
    mt_declare("lic_agency_request_retries_total", MT_COUNTER,
               "Attempts that failed transiently and will be retried.");
    mt_declare("lic_agency_circuit_open", MT_GAUGE, "1 while the agency's circuit is open.");
    log_info("dispatching approval requests (at most %ld in flight per agency)", d->max_in_flight);
    for (;;) {
        int stopping = sig_stop_requested();
        int total = d->in_flight[0] + d->in_flight[1];
        if (stopping && total == 0)
            break;
        if (sig_reload_requested()) {
            dispatcher_reload(d);
            next_sweep = next_create = 0; /* a unit may have been added */
        }
        if (!stopping) {
            if (!d->listening) {
                if (db_exec(d->db, "LISTEN lic_dispatch", 0, NULL) == DB_OK)
                    d->listening = 1;
                else if (db_reconnect(d->db) != 0)
                    continue;
                next_scan = next_create = 0;
            }
            int notified = drain_notifications(d);
            if (notified < 0) {
                d->listening = 0;
                if (db_reconnect(d->db) != 0)
                    continue;
            }
            /* New applications are looked for when notified, after a full page and every
             * 5 s; due attempts whenever a request finished or one falls due. */
            if (notified > 0 || more_to_create || util_mono_ms() >= next_create) {
                int sweep = util_mono_ms() >= next_sweep;
                int created = create_requests(d, sweep);
                if (sweep) /* one page a minute: new applications take the fast path */
                    next_sweep = util_mono_ms() + 60000;
                if (created == DB_ERR_CONN) {
                    d->listening = 0;
                    db_reconnect(d->db);
                }
                more_to_create = created >= CREATE_PAGE;
                next_create = util_mono_ms() + 5000;
                if (created > 0)
                    next_scan = 0;
            }
            if (util_mono_ms() >= next_scan) {
                int started = claim(d);
                if (started == DB_ERR_CONN) {
                    d->listening = 0;
                    db_reconnect(d->db);
                }
                long wait =
                    started < 0 ? 1000 : next_due_ms(d, 5000); /* a failed claim: back off */
                /* Due but not claimable (locked by another dispatcher, a half-open circuit's
                 * probe out): look again shortly, not in a spin. */
                if (started == 0 && wait < 50)
                    wait = 50;
                /* An open circuit is probed again after its cool-down. */
                if (d->breaker[0].open_until || d->breaker[1].open_until)
                    wait = wait < 100 ? wait : 100;
                next_scan = util_mono_ms() + wait;
            }
        }
        int running;
        curl_multi_perform(d->multi, &running);
        if (reap(d) > 0)
            next_scan = 0; /* capacity freed, retry times changed: look again now */
        long wait = next_scan - util_mono_ms();
        if (wait < 0)
            wait = 0;
        if (wait > (d->unrecorded ? 20 : 1000))
            wait = d->unrecorded ? 20 : 1000;
        struct curl_waitfd extra = {0};
        PGconn *c = db_conn(d->db);
        int nextra = 0;
        if (c && PQsocket(c) >= 0 && !stopping) {
            extra.fd = PQsocket(c);
            extra.events = CURL_WAIT_POLLIN;
            nextra = 1;
        }
        curl_multi_poll(d->multi, nextra ? &extra : NULL, (unsigned)nextra, (int)wait, NULL);
    }
    log_info("stopped dispatching: most in flight seen industrial_safety=%d sanitary=%d",
             d->max_seen[0], d->max_seen[1]);
    return 0;
}
