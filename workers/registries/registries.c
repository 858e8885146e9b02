/* registries: see registries.h. */
#include "registries.h"
#include "registries_sql.h"
#include "approval.h"
#include "clock.h"
#include "config.h"
#include "domain.h"
#include "gateway.h"
#include "httpc.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "signals.h"
#include "state.h"
#include "util.h"
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct registries {
    db_t *db;
    hc_client_t *hc;
    const char *sender, *password;
    long retry_base_ms, retry_max_ms;
    long lease_s;              /* one round's calls at their longest, and a margin */
    int batch;                 /* applications a round */
    char answer_max_age_s[16]; /* an answer older than this is asked again */
};

/* A SOAP answer or fault, as opposed to a proxy's or load balancer's page: only the gateway's
 * own answers keep the breaker closed. */
static int soap_answer(long status, const char *body, size_t len)
{
    (void)len;
    return (status == 200 || status == 500) && body && strstr(body, "Envelope") != NULL;
}

registries_t *registries_new(db_t *db, char *errstr, size_t errstr_size)
{
    registries_t *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    r->db = db;
    r->sender = cfg_get("GATEWAY_SENDER_ID");
    r->password = cfg_get("GATEWAY_PASSWORD");
    /* A check put off waits longer than one call's tries: seconds, then minutes. */
    r->retry_base_ms = 2000;
    r->retry_max_ms = 300000;
    r->batch = (int)cfg_get_long("REGISTRIES_BATCH", 64);
    snprintf(r->answer_max_age_s, sizeof(r->answer_max_age_s), "%ld",
             cfg_get_long("GATEWAY_ANSWER_MAX_AGE_S", 3600));
    if (r->batch < 1)
        r->batch = 1;
    if (r->batch > REG_BATCH_MAX)
        r->batch = REG_BATCH_MAX;
    long tries = cfg_get_long("GATEWAY_ATTEMPTS", 3);
    long calls = 3L * r->batch, par = cfg_get_long("GATEWAY_MAX_CONNECTIONS", 32);
    if (par < 1)
        par = 1;
    /* A round at its longest: its waves of `par` calls each answered just inside the timeout,
     * or - the gateway down - one wave through every try, after which the breaker sends no
     * more. A round that outlives it is asked again by another worker under a new attempt,
     * which fences this one's writes. */
    long timeout = cfg_get_long("GATEWAY_TIMEOUT_MS", 15000);
    long slow = (calls + par - 1) / par * timeout,
         down = tries * timeout + (tries - 1) * cfg_get_long("GATEWAY_RETRY_MAX_MS", 5000);
    r->lease_s = (slow > down ? slow : down) / 1000 + 30;
    if (cfg_get_long("REGISTRIES_LEASE_S", 0) > 0)
        r->lease_s = cfg_get_long("REGISTRIES_LEASE_S", 0);
    hc_config_t hc = {.url = cfg_get("GATEWAY_URL"),
                      .cert = cfg_get("GATEWAY_TLS_CERT"),
                      .key = cfg_get("GATEWAY_TLS_KEY"),
                      .ca = cfg_get("GATEWAY_TLS_CA"),
                      .allow_plain_http = cfg_get_long("GATEWAY_ALLOW_PLAIN_HTTP", 0) == 1,
                      .connect_timeout_ms = cfg_get_long("GATEWAY_CONNECT_TIMEOUT_MS", 3000),
                      .timeout_ms = cfg_get_long("GATEWAY_TIMEOUT_MS", 15000),
                      .attempts = (int)tries,
                      .retry_base_ms = cfg_get_long("GATEWAY_RETRY_BASE_MS", 200),
                      .retry_max_ms = cfg_get_long("GATEWAY_RETRY_MAX_MS", 5000),
                      .content_type = "text/xml; charset=utf-8",
                      .soap_action = "", /* the WSDL's soapAction="" */
                      .max_response = GW_MAX_RESPONSE,
                      .max_parallel = (int)par,
                      .is_answer = soap_answer};
    r->hc = hc_new(&hc, (int)cfg_get_long("GATEWAY_BREAKER_FAILURES", 5),
                   cfg_get_long("GATEWAY_BREAKER_COOLDOWN_MS", 30000), errstr, errstr_size);
    if (!r->hc) {
        free(r);
        return NULL;
    }
    return r;
}

void registries_free(registries_t *r)
{
    if (!r)
        return;
    hc_free(r->hc);
    free(r);
}

static const char *const OUTCOMES[] = {"answered", "fault", "malformed"};

/* One application's check in a round: what is asked about it (read before the calls), what
 * came back, and what is to be written. */
typedef struct {
    char app_id[UUID_STR_LEN];
    int attempts;
    int read; /* its facts were read */
    /* The contract allows 500 and 1,000 characters (up to 4 bytes each): never cut. */
    char kind[24], type[16], subject[16], name[2100], address[4100], holder[16];
    char subtypes[64], grounds[1000], reorganization[24], previous_holder[16];
    char holder_name[2100];
    json_t *holder_predecessors; /* NULL unless the license passed to its holder by a split */
    int needs_approvals, waiting;
    int license_missing; /* a re-registration of a license not in the register */
    char license[64];
    json_t *answers; /* service id -> answer, the kept ones and this attempt's */
    int failed, stopped;
    json_t *found; /* the grounds the answers prove (all answered) */
    int unformed;  /* a ground could not be formed from the answers */
    char why[400]; /* why a service did not answer ("" when all did) */
} check_t;

static void copy_col(char *dst, size_t size, PGresult *q, int row, int col)
{
    snprintf(dst, size, "%s", PQgetvalue(q, row, col));
}

/* The facts of the round's checks, in one statement (a check not found stays unread). */
static db_rc_t read_facts(registries_t *r, check_t *ck, int n, json_t *index)
{
    db_array_t ids = {0};
    for (int i = 0; i < n; i++)
        if (db_array_add(&ids, ck[i].app_id))
            break;
    const char *p[] = {db_array_text(&ids), r->answer_max_age_s};
    db_rc_t rc;
    PGresult *q = ids.count == (size_t)n ? db_query_adhoc(r->db, sql_facts, 2, p, &rc) : NULL;
    if (ids.count != (size_t)n)
        rc = DB_ERR_RETRY;
    db_array_free(&ids);
    if (!q)
        return rc;
    for (int row = 0; row < PQntuples(q); row++) {
        int i = apv_index_of(index, PQgetvalue(q, row, 0));
        if (i < 0)
            continue;
        check_t *f = &ck[i];
        copy_col(f->kind, sizeof(f->kind), q, row, 1);
        copy_col(f->type, sizeof(f->type), q, row, 2);
        copy_col(f->subject, sizeof(f->subject), q, row, 3);
        copy_col(f->name, sizeof(f->name), q, row, 4);
        copy_col(f->address, sizeof(f->address), q, row, 5);
        f->needs_approvals = strcmp(PQgetvalue(q, row, 6), "t") == 0;
        copy_col(f->subtypes, sizeof(f->subtypes), q, row, 7);
        copy_col(f->holder, sizeof(f->holder), q, row, 8);
        copy_col(f->grounds, sizeof(f->grounds), q, row, 9);
        f->answers =
            PQgetisnull(q, row, 10) ? json_object() : json_loads(PQgetvalue(q, row, 10), 0, NULL);
        f->waiting = strcmp(PQgetvalue(q, row, 11), "awaiting_registries") == 0;
        copy_col(f->reorganization, sizeof(f->reorganization), q, row, 12);
        copy_col(f->previous_holder, sizeof(f->previous_holder), q, row, 13);
        copy_col(f->holder_name, sizeof(f->holder_name), q, row, 14);
        f->holder_predecessors =
            PQgetisnull(q, row, 15) ? NULL : json_loads(PQgetvalue(q, row, 15), 0, NULL);
        f->license_missing = strcmp(PQgetvalue(q, row, 16), "t") == 0;
        copy_col(f->license, sizeof(f->license), q, row, 17);
        if (!f->answers || (!PQgetisnull(q, row, 15) && !f->holder_predecessors)) {
            PQclear(q);
            return DB_ERR_RETRY;
        }
        f->read = 1;
    }
    PQclear(q);
    return DB_OK;
}

static void check_free(check_t *f)
{
    json_decref(f->answers);
    json_decref(f->found);
    json_decref(f->holder_predecessors);
}

/* The services an application's check asks: who the applicant is, then the two bans. */
static int services_of(const check_t *f, gw_service_t out[3])
{
    out[0] = strcmp(f->type, "individual") == 0 ? GW_PERSON : GW_ENTITY;
    out[1] = GW_DEBTOR_BANS;
    out[2] = GW_COURT_BANS;
    return 3;
}

/* One question of a round: whose, which service, its request and its result. */
typedef struct {
    int check;
    gw_service_t service;
    char message_id[UUID_STR_LEN];
    time_t at;
    char *xml;
    size_t len;
    hc_result_t res;
} question_t;

/* Standard row 8, item 2: for a re-registration, the applicant's registry answer stands for
 * the documents of the declared changes whose data the state systems hold (NULL: none). */
static json_t *stands_for(const check_t *f, gw_service_t s)
{
    if (strcmp(f->kind, "issue") == 0 || (s != GW_PERSON && s != GW_ENTITY))
        return NULL;
    json_t *grounds = json_array();
    char buf[sizeof(f->grounds)], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", f->grounds);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        const dom_reissue_ground_t *g = dom_reissue_ground(t);
        if (g && g->state_registry)
            json_array_append_new(grounds, json_string(t));
    }
    if (json_array_size(grounds) == 0) {
        json_decref(grounds);
        return NULL;
    }
    return json_pack("{s:s,s:o,s:s,s:s,s:s}", "document", "change_evidence", "grounds", grounds,
                     "rule", "Standard row 8, item 2; ¶10", "text_ru",
                     "документы об изменениях не требуются: сведения получены из государственной "
                     "информационной системы",
                     "text_kk",
                     "өзгерістер туралы құжаттар талап етілмейді: мәліметтер мемлекеттік "
                     "ақпараттық жүйеден алынды");
}

/* What came back for question `qn`: the call into `calls` (record_calls.sql's rows), an answer
 * into its check's answers and `answers` (record_answers.sql's rows), or why not into its
 * check. */
static void took(question_t *qn, check_t *f, json_t *calls, json_t *answers)
{
    const char *svc = gw_service_id(qn->service);
    hc_result_t *res = &qn->res;
    gw_response_t gr = {0};
    const char *outcome = res->outcome == HC_CIRCUIT_OPEN ? "circuit_open" : "unavailable";
    if (res->outcome == HC_ANSWERED) {
        gw_response_parse(qn->service, f->subject, res->body, res->len, &gr);
        if (gr.outcome == GW_ANSWERED && res->status != 200) {
            gw_response_free(&gr); /* an answer is one only with 200 (a fault comes with 500) */
            gr.outcome = GW_MALFORMED;
            snprintf(gr.message, sizeof(gr.message), "an answer with HTTP %ld", res->status);
        }
        outcome = OUTCOMES[gr.outcome];
    }
    int ok = res->outcome == HC_ANSWERED && gr.outcome == GW_ANSWERED;
    char asked[40];
    util_rfc3339_utc(qn->at, asked, sizeof(asked));
    if (res->tries == 0 && res->outcome == HC_UNAVAILABLE && sig_stop_requested()) {
        /* Not sent: the check stays for the next worker, and no call is recorded. */
        snprintf(f->why, sizeof(f->why), "the worker stopped before asking %s", svc);
        f->failed++;
        f->stopped = 1;
        return;
    }
    if (res->outcome != HC_ANSWERED)
        snprintf(f->why, sizeof(f->why), "%s: %s", svc, res->error);
    else if (!ok)
        snprintf(f->why, sizeof(f->why), "%s: %s %s (HTTP %ld)", svc, gr.code, gr.message,
                 res->status);
    json_array_append_new(
        calls, json_pack("{s:s,s:s,s:s,s:s,s:I,s:i,s:I,s:s,s:s,s:s,s:s}", "application_id",
                         f->app_id, "message_id", qn->message_id, "service", svc, "asked_at", asked,
                         "duration_ms", (json_int_t)res->duration_ms, "tries", res->tries, "status",
                         (json_int_t)res->status, "outcome", outcome, "code", gr.code, "message",
                         res->outcome == HC_ANSWERED ? gr.message : res->error, "response_id",
                         gr.response_id));
    if (ok) {
        json_object_set(f->answers, svc, gr.answer);
        json_array_append_new(
            answers, json_pack("{s:s,s:s,s:s,s:s,s:O,s:o*}", "application_id", f->app_id, "service",
                               svc, "message_id", qn->message_id, "asked_at", asked, "answer",
                               gr.answer, "stands_for", stands_for(f, qn->service)));
    } else {
        f->failed++;
    }
    char labels[96];
    snprintf(labels, sizeof(labels), "service=\"%s\",outcome=\"%s\"", svc, outcome);
    mt_add("lic_gateway_calls_total", labels, 1);
    if (!ok) {
        json_t *fl = json_pack("{s:s,s:s,s:s,s:I,s:s}", "application_id", f->app_id, "service", svc,
                               "outcome", outcome, "duration_ms", (json_int_t)res->duration_ms,
                               "error", f->why);
        log_write(LOG_LEVEL_WARN, "registry not answered, will ask again", fl);
    }
    gw_response_free(&gr);
}

/* Asks, all at once, what the round's waiting checks have no answer to yet. */
static int ask_all(registries_t *r, check_t *ck, int n, json_t *calls, json_t *answers)
{
    question_t *qs = calloc((size_t)n * 3 + 1, sizeof(*qs));
    hc_call_t *hcs = calloc((size_t)n * 3 + 1, sizeof(*hcs));
    int nq = 0, rc = 0;
    if (!qs || !hcs)
        rc = -1;
    for (int i = 0; i < n && rc == 0; i++) {
        check_t *f = &ck[i];
        gw_service_t svc[3];
        int ns = f->read && f->waiting && !f->license_missing ? services_of(f, svc) : 0;
        for (int k = 0; k < ns; k++) {
            if (json_object_get(f->answers, gw_service_id(svc[k])))
                continue;
            question_t *qn = &qs[nq];
            char name[112];
            snprintf(name, sizeof(name), "gateway:%s:%s:%d", f->app_id, gw_service_id(svc[k]),
                     f->attempts);
            util_uuid_derive(name, qn->message_id); /* one messageId an attempt */
            qn->check = i;
            qn->service = svc[k];
            qn->at = clock_now();
            gw_request_t rq = {svc[k],      qn->message_id, f->app_id, r->sender,
                               r->password, qn->at,         f->subject};
            qn->xml = gw_request_xml(&rq, &qn->len);
            if (!qn->xml) {
                snprintf(f->why, sizeof(f->why), "cannot build the request");
                f->failed++;
                continue;
            }
            hcs[nq] = (hc_call_t){qn->xml, qn->len, &qn->res};
            nq++;
        }
    }
    if (rc == 0 && nq > 0) {
        hc_post_many(r->hc, hcs, nq);
        for (int k = 0; k < nq; k++)
            took(&qs[k], &ck[qs[k].check], calls, answers);
    }
    for (int k = 0; k < nq; k++) {
        free(qs[k].xml);
        hc_result_free(&qs[k].res);
    }
    free(qs);
    free(hcs);
    return rc;
}

/* Every registry answered: the grounds the answers prove, into f->found (each with its
 * application), or f->unformed. */
static void find_grounds(check_t *f)
{
    int subtypes[16], ns = 0;
    char buf[64], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", f->subtypes);
    for (char *t = strtok_r(buf, ",", &save); t && ns < 16; t = strtok_r(NULL, ",", &save))
        subtypes[ns++] = atoi(t);
    int individual = strcmp(f->type, "individual") == 0;
    reg_case_t c = {
        .kind = strcmp(f->kind, "issue") == 0     ? REG_ISSUE
                : strcmp(f->kind, "reissue") == 0 ? REG_REISSUE
                                                  : REG_SPLIT,
        .individual = individual,
        .applicant_id = f->subject,
        .name = f->name,
        .address = f->address,
        .subtypes = subtypes,
        .nsubtypes = ns,
        .holder_id = f->holder[0] ? f->holder : NULL,
        .annex_to = strcmp(f->kind, "issue") == 0 && f->license[0] ? f->license : NULL,
        .declares_reorganisation = strstr(f->grounds, "legal_entity_reorganized") != NULL,
        .declares_alienation = strstr(f->grounds, "license_alienated_with_object") != NULL,
        .reorganization = f->reorganization[0] ? f->reorganization : NULL,
        .previous_holder = f->previous_holder[0] ? f->previous_holder : NULL,
        .holder_name = f->holder_name,
        .holder_predecessors = f->holder_predecessors};
    f->found = json_array();
    int ng = f->found
                 ? reg_grounds(&c,
                               json_object_get(f->answers,
                                               gw_service_id(individual ? GW_PERSON : GW_ENTITY)),
                               json_object_get(f->answers, gw_service_id(GW_DEBTOR_BANS)),
                               json_object_get(f->answers, gw_service_id(GW_COURT_BANS)), f->found)
                 : -1;
    if (ng < 0 || ng != (int)json_array_size(f->found)) {
        /* a ground that cannot be written is never a check passed */
        f->unformed = 1;
        snprintf(f->why, sizeof(f->why), "a refusal ground could not be formed from the answers");
        return;
    }
    size_t k;
    json_t *g;
    json_array_foreach(f->found, k, g)
        json_object_set_new(g, "application_id", json_string(f->app_id));
}

static db_rc_t put_off(registries_t *r, const check_t *f, long ms)
{
    char ms_s[24], at[16];
    snprintf(ms_s, sizeof(ms_s), "%ld", ms);
    snprintf(at, sizeof(at), "%d", f->attempts);
    const char *pp[] = {f->app_id, ms_s, f->why, at};
    return db_exec(r->db, sql_put_off, 4, pp);
}

/* A check that cannot be recorded (the database refused a write, or a ground could not be
 * formed): put off for the longest back-off with an incident, not retried in a loop. */
static db_rc_t set_aside(registries_t *r, check_t *f, const char *why)
{
    if (why != f->why) /* kept: db_last_error()'s text changes with the next statement */
        snprintf(f->why, sizeof(f->why), "%s", why);
    db_rc_t rc = db_begin(r->db);
    if (rc == DB_OK)
        rc = put_off(r, f, r->retry_max_ms);
    if (rc == DB_OK)
        rc = apv_incident(r->db, f->app_id, "registry_check_failed", "", f->why, clock_now());
    log_error("registry check of %s set aside: %s", f->app_id, f->why);
    return db_end(r->db, rc);
}

/* Appends the rows of `all` that belong to the checks of `in` (a JSON object of ids). */
static json_t *rows_of(const json_t *all, const json_t *in)
{
    json_t *out = json_array();
    size_t k;
    json_t *row;
    json_array_foreach(all, k, row)
    {
        if (json_object_get(in, json_string_value(json_object_get(row, "application_id"))))
            json_array_append(out, row);
    }
    return out;
}

static db_rc_t exec_json(db_t *db, const char *sql, json_t *rows, const char *second)
{
    if (json_array_size(rows) == 0)
        return DB_OK;
    char *text = jx_dumps(rows);
    const char *p[] = {text, second};
    db_rc_t rc = text ? db_exec_adhoc(db, sql, second ? 2 : 1, p) : DB_ERR_RETRY;
    free(text);
    return rc;
}

/* The round's checks of `sel` (indexes into ck[]) recorded in one transaction under their
 * locks: the calls and answers, then each check passed on with its grounds, put off with an
 * incident, or - passed on meanwhile - only its lease gone. Set-based whatever the count. */
static db_rc_t commit(registries_t *r, check_t *ck, const int *sel, int n, const json_t *calls,
                      const json_t *answers, int *passed)
{
    json_t *in = json_object(), *ground_rows = json_array();
    db_array_t ids = {0}, done_ids = {0}, done_at = {0};
    ob_batch_t ob;
    int oom = ob_batch_init(&ob) != 0 || !in || !ground_rows;
    for (int k = 0; k < n && !oom; k++)
        oom = json_object_set_new(in, ck[sel[k]].app_id, json_integer(sel[k])) ||
              db_array_add(&ids, ck[sel[k]].app_id);
    json_t *my_calls = oom ? NULL : rows_of(calls, in),
           *my_answers = oom ? NULL : rows_of(answers, in);
    db_rc_t rc = oom || !my_calls || !my_answers ? DB_ERR_RETRY : db_begin(r->db);
    PGresult *q = NULL;
    if (rc == DB_OK) {
        const char *p[] = {db_array_text(&ids)};
        q = db_query_adhoc(r->db, sql_lock, 1, p, &rc);
    }
    if (rc == DB_OK)
        rc = db_defer(r->db); /* the writes go out without waiting */
    if (rc == DB_OK)
        rc = exec_json(r->db, sql_record_calls, my_calls, NULL);
    if (rc == DB_OK)
        rc = exec_json(r->db, sql_record_answers, my_answers, r->answer_max_age_s);
    time_t now = clock_now();
    char now_s[40];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    int np = 0;
    for (int row = 0; rc == DB_OK && q && row < PQntuples(q); row++) {
        int i = apv_index_of(in, PQgetvalue(q, row, 0));
        if (i < 0)
            continue; /* lock.sql returns only the ids it was given */
        check_t *f = &ck[i];
        char at[16];
        snprintf(at, sizeof(at), "%d", f->attempts);
        if (dom_stage_parse(PQgetvalue(q, row, 1)) != STAGE_AWAITING_REGISTRIES) {
            /* Passed on meanwhile: only the lease goes. */
            if (db_array_add(&done_ids, f->app_id) || db_array_add(&done_at, at))
                rc = DB_ERR_RETRY;
        } else if (f->failed) {
            rc = put_off(
                r, f, 1000 + util_backoff_ms(f->attempts - 1, r->retry_base_ms, r->retry_max_ms));
            if (rc == DB_OK && !f->stopped)
                rc = apv_incident(r->db, f->app_id,
                                  f->license_missing ? "license_not_in_register"
                                                     : "registry_unavailable",
                                  "", f->why, now);
        } else {
            size_t k;
            json_t *g;
            json_array_foreach(f->found, k, g) json_array_append(ground_rows, g);
            dom_facts_t facts = {.registries_answered = 1, .needs_approvals = f->needs_approvals};
            ob_cause_t cause = {.kind = "actor", .actor = "lic-registries"};
            rc = ob_batch_transition(&ob, f->app_id, STAGE_AWAITING_REGISTRIES,
                                     dom_next(STAGE_AWAITING_REGISTRIES, &facts), now, &cause);
            if (rc == DB_OK && (db_array_add(&done_ids, f->app_id) || db_array_add(&done_at, at)))
                rc = DB_ERR_RETRY;
            np++;
        }
    }
    PQclear(q);
    if (rc == DB_OK)
        rc = exec_json(r->db, sql_record_grounds, ground_rows, now_s);
    if (rc == DB_OK)
        rc = ob_batch_flush(r->db, &ob);
    if (rc == DB_OK && done_ids.count > 0) {
        const char *p[] = {db_array_text(&done_ids), db_array_text(&done_at)};
        rc = db_exec_adhoc(r->db, sql_done, 2, p);
    }
    rc = db_end(r->db, rc);
    if (rc == DB_OK)
        *passed += np;
    ob_batch_free(&ob);
    db_array_free(&ids);
    db_array_free(&done_ids);
    db_array_free(&done_at);
    json_decref(in);
    json_decref(ground_rows);
    json_decref(my_calls);
    json_decref(my_answers);
    return rc;
}

int registries_round(registries_t *r, int max)
{
    if (max > REG_BATCH_MAX)
        max = REG_BATCH_MAX;
    char lim[16], lease[16];
    snprintf(lim, sizeof(lim), "%d", max);
    snprintf(lease, sizeof(lease), "%ld", r->lease_s);
    const char *p[] = {lim, lease};
    db_rc_t rc;
    /* The leases are committed before any call: the calls run outside a transaction. */
    PGresult *q = db_query(r->db, sql_claim, 2, p, &rc);
    if (!q)
        return rc;
    int n = PQntuples(q), passed = 0;
    check_t *ck = calloc((size_t)(n > 0 ? n : 1), sizeof(*ck));
    json_t *index = json_object(), *calls = json_array(), *answers = json_array();
    int *sel = calloc((size_t)(n > 0 ? n : 1), sizeof(*sel)), nsel = 0;
    rc = ck && index && calls && answers && sel ? DB_OK : DB_ERR_RETRY;
    for (int i = 0; i < n && rc == DB_OK; i++) {
        snprintf(ck[i].app_id, sizeof(ck[i].app_id), "%s", PQgetvalue(q, i, 0));
        ck[i].attempts = atoi(PQgetvalue(q, i, 1));
        if (json_object_set_new(index, ck[i].app_id, json_integer(i)))
            rc = DB_ERR_RETRY;
    }
    PQclear(q);
    if (rc == DB_OK && n > 0)
        rc = read_facts(r, ck, n, index);
    if (rc == DB_OK && n > 0 && ask_all(r, ck, n, calls, answers))
        rc = DB_ERR_RETRY;
    /* A check set aside before the commit: its own transaction, whose refusal (DB_ERR_DATA)
     * is its alone - only a lost connection or a retry stops the round. */
    for (int i = 0; i < n && rc == DB_OK; i++) {
        check_t *f = &ck[i];
        db_rc_t aside;
        if (!f->read) {
            aside = set_aside(r, f, "the application's applicant cannot be read");
            if (aside != DB_ERR_DATA)
                rc = aside;
            continue;
        }
        if (f->waiting && f->license_missing) {
            /* Not the applicant's fault, no ground: held, with an incident, until imported. */
            snprintf(f->why, sizeof(f->why),
                     "license %s is not in the register: import it (approvalctl import-licenses)",
                     f->license);
            f->failed++;
        }
        if (f->waiting && !f->failed)
            find_grounds(f);
        if (f->unformed) {
            aside = set_aside(r, f, f->why);
            if (aside != DB_ERR_DATA)
                rc = aside;
        } else {
            sel[nsel++] = i;
        }
    }
    if (rc == DB_OK && nsel > 0)
        rc = commit(r, ck, sel, nsel, calls, answers, &passed);
    /* One check the database refuses fails the round's transaction: each alone, then, and the
     * one refused set aside. */
    for (int k = 0; rc == DB_ERR_DATA && nsel > 1 && k < nsel; k++) {
        db_rc_t one = commit(r, ck, &sel[k], 1, calls, answers, &passed);
        if (one == DB_ERR_DATA)
            one = set_aside(r, &ck[sel[k]], db_last_error(r->db));
        if (one != DB_OK && one != DB_ERR_DATA) {
            rc = one;
            break;
        }
        if (k == nsel - 1)
            rc = DB_OK;
    }
    if (rc == DB_ERR_DATA && nsel == 1)
        rc = set_aside(r, &ck[sel[0]], db_last_error(r->db));
    for (int i = 0; i < n && ck; i++) {
        if (rc == DB_OK && ck[i].found && json_array_size(ck[i].found) > 0) {
            json_t *fl = json_pack("{s:s,s:i}", "application_id", ck[i].app_id, "grounds",
                                   (int)json_array_size(ck[i].found));
            log_write(LOG_LEVEL_INFO, "registries gave refusal grounds", fl);
        }
        check_free(&ck[i]);
    }
    free(ck);
    free(sel);
    json_decref(index);
    json_decref(calls);
    json_decref(answers);
    mt_set("lic_gateway_circuit_open", NULL, hc_circuit(r->hc) != CB_CLOSED);
    return rc == DB_OK ? passed : rc;
}

static int round_cb(void *opaque, int anew)
{
    (void)anew; /* every round reads what is waiting */
    registries_t *r = opaque;
    int n = registries_round(r, r->batch);
    if (n > 0)
        log_info("checked %d application%s in the registries", n, n == 1 ? "" : "s");
    return n;
}

/* Put-off checks come due without a notification: look again within a second. */
static long wait_cb(void *opaque)
{
    (void)opaque;
    return 1000;
}

int registries_run(registries_t *r)
{
    log_info("checking the state registries");
    mt_declare("lic_gateway_calls_total", MT_COUNTER,
               "Calls to the e-government gateway, by service and outcome.");
    mt_declare("lic_gateway_circuit_open", MT_GAUGE,
               "1 while the gateway's circuit breaker is open or probing.");
    wk_loop_t loop = {.channel = "lic_registries",
                      .opaque = r,
                      .round = round_cb,
                      .again_at_once = 1,
                      .wait_ms = wait_cb};
    wk_loop(r->db, &loop);
    log_info("stopping");
    return 0;
}
