/* registries: see registries.h. */
#include "registries.h"
#include "registries_sql.h"
#include "approval.h"
#include "clock.h"
#include "config.h"
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
    long lease_s; /* one check's calls at their longest, and a margin */
};

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
    long tries = cfg_get_long("GATEWAY_ATTEMPTS", 3);
    r->lease_s = 3 *
                     (tries * cfg_get_long("GATEWAY_TIMEOUT_MS", 15000) +
                      (tries - 1) * cfg_get_long("GATEWAY_RETRY_MAX_MS", 5000)) /
                     1000 +
                 30;
    hc_config_t hc = {cfg_get("GATEWAY_URL"),
                      cfg_get("GATEWAY_TLS_CERT"),
                      cfg_get("GATEWAY_TLS_KEY"),
                      cfg_get("GATEWAY_TLS_CA"),
                      cfg_get_long("GATEWAY_ALLOW_PLAIN_HTTP", 0) == 1,
                      cfg_get_long("GATEWAY_CONNECT_TIMEOUT_MS", 3000),
                      cfg_get_long("GATEWAY_TIMEOUT_MS", 15000),
                      (int)cfg_get_long("GATEWAY_ATTEMPTS", 3),
                      cfg_get_long("GATEWAY_RETRY_BASE_MS", 200),
                      cfg_get_long("GATEWAY_RETRY_MAX_MS", 5000),
                      "text/xml; charset=utf-8",
                      "", /* the WSDL's soapAction="" */
                      GW_MAX_RESPONSE};
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

/* What is asked about one application, read before the calls, and what came back. */
typedef struct {
    /* The contract allows 500 and 1,000 characters (up to 4 bytes each): never cut. */
    char kind[24], type[16], subject[16], name[2100], address[4100], holder[16];
    char subtypes[64], grounds[1000], holders[2000];
    int needs_approvals, waiting;
    json_t *answers; /* service id -> answer, the kept ones and this attempt's */
    json_t *calls;   /* this attempt's calls: the parameters of record_call.sql */
    char why[400];   /* why a service did not answer ("" when all did) */
} check_t;

static db_rc_t read_facts(registries_t *r, const char *app_id, check_t *f)
{
    db_rc_t rc;
    const char *p[] = {app_id};
    PGresult *q = db_query(r->db, sql_facts, 1, p, &rc);
    if (!q)
        return rc;
    if (PQntuples(q) != 1) {
        PQclear(q);
        return DB_ERR_DATA;
    }
    snprintf(f->kind, sizeof(f->kind), "%s", PQgetvalue(q, 0, 0));
    snprintf(f->type, sizeof(f->type), "%s", PQgetvalue(q, 0, 1));
    snprintf(f->subject, sizeof(f->subject), "%s", PQgetvalue(q, 0, 2));
    snprintf(f->name, sizeof(f->name), "%s", PQgetvalue(q, 0, 3));
    snprintf(f->address, sizeof(f->address), "%s", PQgetvalue(q, 0, 4));
    f->needs_approvals = strcmp(PQgetvalue(q, 0, 5), "t") == 0;
    snprintf(f->subtypes, sizeof(f->subtypes), "%s", PQgetvalue(q, 0, 6));
    snprintf(f->holder, sizeof(f->holder), "%s", PQgetvalue(q, 0, 7));
    snprintf(f->grounds, sizeof(f->grounds), "%s", PQgetvalue(q, 0, 8));
    f->answers = PQgetisnull(q, 0, 9) ? json_object() : json_loads(PQgetvalue(q, 0, 9), 0, NULL);
    f->waiting = strcmp(PQgetvalue(q, 0, 10), "awaiting_registries") == 0;
    snprintf(f->holders, sizeof(f->holders), "%s", PQgetvalue(q, 0, 11));
    PQclear(q);
    f->calls = json_array();
    return f->answers && f->calls ? DB_OK : DB_ERR_RETRY;
}

static void check_free(check_t *f)
{
    json_decref(f->answers);
    json_decref(f->calls);
}

/* The services an application's check asks: who the applicant is, then the two bans. */
static int services_of(const check_t *f, gw_service_t out[3])
{
    out[0] = strcmp(f->type, "individual") == 0 ? GW_PERSON : GW_ENTITY;
    out[1] = GW_DEBTOR_BANS;
    out[2] = GW_COURT_BANS;
    return 3;
}

/* Asks one service: the call into f->calls, the answer into f->answers. 0 answered; -1 not
 * (why in f->why). */
static int ask(registries_t *r, const char *app_id, check_t *f, gw_service_t s, int attempt)
{
    char name[112], mid[UUID_STR_LEN];
    snprintf(name, sizeof(name), "gateway:%s:%s:%d", app_id, gw_service_id(s), attempt);
    util_uuid_derive(name, mid); /* one messageId an attempt, kept over the client's tries */
    time_t at = clock_now();
    gw_request_t rq = {s, mid, app_id, r->sender, r->password, at, f->subject};
    size_t len = 0;
    char *xml = gw_request_xml(&rq, &len);
    if (!xml) {
        snprintf(f->why, sizeof(f->why), "cannot build the request");
        return -1;
    }
    hc_result_t res;
    hc_outcome_t ho = hc_post(r->hc, xml, len, &res);
    free(xml);
    gw_response_t gr = {0};
    const char *outcome = ho == HC_CIRCUIT_OPEN ? "circuit_open" : "unavailable";
    if (ho == HC_ANSWERED) {
        gw_response_parse(s, f->subject, res.body, res.len, &gr);
        if (gr.outcome == GW_ANSWERED && res.status != 200) {
            gw_response_free(&gr); /* an answer is one only with 200 (a fault comes with 500) */
            gr.outcome = GW_MALFORMED;
            snprintf(gr.message, sizeof(gr.message), "an answer with HTTP %ld", res.status);
        }
        outcome = OUTCOMES[gr.outcome];
    }
    int ok = ho == HC_ANSWERED && gr.outcome == GW_ANSWERED;
    if (ho != HC_ANSWERED)
        snprintf(f->why, sizeof(f->why), "%s: %s", gw_service_id(s), res.error);
    else if (!ok)
        snprintf(f->why, sizeof(f->why), "%s: %s %s (HTTP %ld)", gw_service_id(s), gr.code,
                 gr.message, res.status);
    char asked[40];
    util_rfc3339_utc(at, asked, sizeof(asked));
    json_array_append_new(f->calls,
                          json_pack("{s:s,s:s,s:s,s:I,s:i,s:I,s:s,s:s,s:s,s:s}", "message_id", mid,
                                    "service", gw_service_id(s), "asked_at", asked, "duration_ms",
                                    (json_int_t)res.duration_ms, "tries", res.tries, "status",
                                    (json_int_t)res.status, "outcome", outcome, "code", gr.code,
                                    "message", ho == HC_ANSWERED ? gr.message : res.error,
                                    "response_id", gr.response_id));
    if (ok)
        json_object_set(f->answers, gw_service_id(s), gr.answer);
    char labels[96];
    snprintf(labels, sizeof(labels), "service=\"%s\",outcome=\"%s\"", gw_service_id(s), outcome);
    mt_add("lic_gateway_calls_total", labels, 1);
    if (!ok) {
        json_t *fl = json_pack("{s:s,s:s,s:s,s:I,s:s}", "application_id", app_id, "service",
                               gw_service_id(s), "outcome", outcome, "duration_ms",
                               (json_int_t)res.duration_ms, "error", f->why);
        log_write(LOG_LEVEL_WARN, "registry not answered, will ask again", fl);
    }
    gw_response_free(&gr);
    hc_result_free(&res);
    return ok ? 0 : -1;
}

/* The calls of this attempt, and the answers they brought (deferred writes). */
static db_rc_t record_calls(registries_t *r, const char *app_id, const check_t *f)
{
    size_t i;
    json_t *c;
    json_array_foreach(f->calls, i, c)
    {
        char dur[24], tries[8], status[8];
        snprintf(dur, sizeof(dur), "%lld",
                 (long long)json_integer_value(json_object_get(c, "duration_ms")));
        snprintf(tries, sizeof(tries), "%lld",
                 (long long)json_integer_value(json_object_get(c, "tries")));
        snprintf(status, sizeof(status), "%lld",
                 (long long)json_integer_value(json_object_get(c, "status")));
#define S(k) json_string_value(json_object_get(c, k))
        const char *pc[] = {app_id,    S("message_id"), S("service"),    S("asked_at"),
                            dur,       tries,           status,          S("outcome"),
                            S("code"), S("message"),    S("response_id")};
        db_rc_t rc = db_exec(r->db, sql_record_call, 11, pc);
        if (rc != DB_OK)
            return rc;
        json_t *answer = strcmp(S("outcome"), "answered") == 0
                             ? json_object_get(f->answers, S("service"))
                             : NULL;
        if (answer) {
            char *text = jx_dumps(answer);
            const char *pa[] = {app_id, S("service"), S("message_id"), S("asked_at"), text};
            rc = text ? db_exec(r->db, sql_record_answer, 5, pa) : DB_ERR_RETRY;
            free(text);
            if (rc != DB_OK)
                return rc;
        }
#undef S
    }
    return DB_OK;
}

/* Every registry answered: the grounds they prove, the application passed on (in the
 * caller's transaction, the application locked). */
static db_rc_t pass_on(registries_t *r, const char *app_id, const check_t *f, int *ngrounds)
{
    int subtypes[16], ns = 0;
    char buf[64], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", f->subtypes);
    for (char *t = strtok_r(buf, ",", &save); t && ns < 16; t = strtok_r(NULL, ",", &save))
        subtypes[ns++] = atoi(t);
    int individual = strcmp(f->type, "individual") == 0;
    reg_case_t c = {strcmp(f->kind, "issue") == 0     ? REG_ISSUE
                    : strcmp(f->kind, "reissue") == 0 ? REG_REISSUE
                                                      : REG_SPLIT,
                    individual,
                    f->subject,
                    f->name,
                    f->address,
                    subtypes,
                    ns,
                    f->holder[0] ? f->holder : NULL,
                    strstr(f->grounds, "legal_entity_reorganized") != NULL,
                    strstr(f->grounds, "license_alienated_with_object") != NULL,
                    f->holders};
    json_t *grounds = json_array();
    int ng = reg_grounds(
        &c, json_object_get(f->answers, gw_service_id(individual ? GW_PERSON : GW_ENTITY)),
        json_object_get(f->answers, gw_service_id(GW_DEBTOR_BANS)),
        json_object_get(f->answers, gw_service_id(GW_COURT_BANS)), grounds);
    *ngrounds = (int)json_array_size(grounds);
    if (ng < 0 || ng != *ngrounds) {
        json_decref(grounds);
        return DB_ERR_DATA; /* a ground that cannot be written is never a check passed */
    }
    time_t now = clock_now();
    char now_s[40];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    db_rc_t rc = DB_OK;
    if (*ngrounds > 0) {
        char *gs = jx_dumps(grounds);
        const char *pg[] = {app_id, gs, now_s};
        rc = gs ? db_exec(r->db, sql_record_ground, 3, pg) : DB_ERR_RETRY;
        free(gs);
    }
    json_decref(grounds);
    dom_facts_t facts = {.registries_answered = 1, .needs_approvals = f->needs_approvals};
    ob_cause_t cause = {.kind = "actor", .actor = "lic-registries"};
    if (rc == DB_OK)
        rc = ob_transition(r->db, app_id, STAGE_AWAITING_REGISTRIES,
                           dom_next(STAGE_AWAITING_REGISTRIES, &facts), now, &cause);
    return rc;
}

/* One application's check: what is not answered yet asked, then - in one transaction under
 * its lock - the calls recorded and the application passed on, or the check put off (a
 * back-off, an incident). 1 passed on, 0 put off, or a negative db_rc_t. */
/* Renews this worker's lease for one check's calls: 1 renewed, 0 gone (another worker took the
 * check after it ran out - `attempts` fences it), or a negative db_rc_t. */
static int renew(registries_t *r, const char *app_id, int attempts)
{
    char at[16], secs[16];
    snprintf(at, sizeof(at), "%d", attempts);
    snprintf(secs, sizeof(secs), "%ld", r->lease_s);
    const char *p[] = {app_id, at, secs};
    db_rc_t rc;
    PGresult *q = db_query(r->db, sql_renew, 3, p, &rc);
    if (!q)
        return rc;
    int n = PQntuples(q);
    PQclear(q);
    return n;
}

/* A check that cannot be recorded (the database refused a write, or a ground could not be
 * formed): put off for the longest back-off with an incident, not retried in a loop. */
static db_rc_t set_aside(registries_t *r, const char *app_id, int attempts, const char *why)
{
    char ms[24], at[16];
    snprintf(ms, sizeof(ms), "%ld", r->retry_max_ms);
    snprintf(at, sizeof(at), "%d", attempts);
    db_rc_t rc = db_begin(r->db);
    if (rc == DB_OK) {
        const char *pp[] = {app_id, ms, why, at};
        rc = db_exec(r->db, sql_put_off, 4, pp);
    }
    if (rc == DB_OK)
        rc = apv_incident(r->db, app_id, "registry_check_failed", "", why, clock_now());
    log_error("registry check of %s set aside: %s", app_id, why);
    return db_end(r->db, rc);
}

static int check(registries_t *r, const char *app_id, int attempts)
{
    int mine = renew(r, app_id, attempts);
    if (mine <= 0)
        return mine;
    check_t f = {0};
    db_rc_t rc = read_facts(r, app_id, &f);
    gw_service_t svc[3];
    int n = rc == DB_OK && f.waiting ? services_of(&f, svc) : 0, failed = 0, stopped = 0;
    for (int i = 0; i < n; i++) {
        if (json_object_get(f.answers, gw_service_id(svc[i])))
            continue;
        if (sig_stop_requested()) { /* not asked: the check stays for the next worker */
            snprintf(f.why, sizeof(f.why), "the worker stopped before asking %s",
                     gw_service_id(svc[i]));
            failed++;
            stopped = 1;
        } else if (ask(r, app_id, &f, svc[i], attempts)) {
            failed++;
        }
    }
    if (rc != DB_OK) {
        check_free(&f);
        if (rc != DB_ERR_DATA)
            return rc;
        rc = set_aside(r, app_id, attempts, "the application's applicant cannot be read");
        return rc == DB_OK ? 0 : rc;
    }
    apv_app_t app = {0};
    int ngrounds = 0;
    char at[16];
    snprintf(at, sizeof(at), "%d", attempts);
    const char *p[] = {app_id, at};
    if ((rc = db_begin(r->db)) == DB_OK)
        rc = apv_lock(r->db, app_id, &app);
    /* From here on the writes go out without waiting (the incident's insert reads its result
     * at the commit). */
    if (rc == DB_OK)
        rc = db_defer(r->db);
    if (rc == DB_OK)
        rc = record_calls(r, app_id, &f);
    if (rc != DB_OK || app.stage != STAGE_AWAITING_REGISTRIES) {
        /* Passed on meanwhile: only the lease goes. */
        if (rc == DB_OK)
            rc = db_exec(r->db, sql_done, 2, p);
    } else if (failed) {
        char ms[24];
        snprintf(ms, sizeof(ms), "%ld",
                 1000 + util_backoff_ms(attempts - 1, r->retry_base_ms, r->retry_max_ms));
        const char *pp[] = {app_id, ms, f.why, at};
        rc = db_exec(r->db, sql_put_off, 4, pp);
        if (rc == DB_OK && !stopped)
            rc = apv_incident(r->db, app_id, "registry_unavailable", "", f.why, clock_now());
    } else {
        rc = pass_on(r, app_id, &f, &ngrounds);
        if (rc == DB_ERR_DATA)
            snprintf(f.why, sizeof(f.why), "a refusal ground could not be formed from the answers");
        if (rc == DB_OK)
            rc = db_exec(r->db, sql_done, 2, p);
    }
    rc = db_end(r->db, rc);
    if (rc == DB_ERR_DATA) {
        char why[600];
        snprintf(why, sizeof(why), "%s", f.why[0] && !failed ? f.why : db_last_error(r->db));
        rc = set_aside(r, app_id, attempts, why);
        failed = 1;
    }
    if (rc == DB_OK && ngrounds > 0) {
        json_t *fl = json_pack("{s:s,s:i}", "application_id", app_id, "grounds", ngrounds);
        log_write(LOG_LEVEL_INFO, "registries gave refusal grounds", fl);
    }
    check_free(&f);
    if (rc != DB_OK)
        return rc;
    return failed ? 0 : 1;
}

int registries_round(registries_t *r, int max)
{
    char lim[16], lease[16];
    snprintf(lim, sizeof(lim), "%d", max);
    snprintf(lease, sizeof(lease), "%ld", r->lease_s);
    const char *p[] = {lim, lease};
    db_rc_t rc;
    /* The lease is committed before any call: the calls run outside a transaction. */
    PGresult *q = db_query(r->db, sql_claim, 2, p, &rc);
    if (!q)
        return rc;
    int n = PQntuples(q), done = 0;
    for (int i = 0; i < n && !sig_stop_requested(); i++) {
        int k = check(r, PQgetvalue(q, i, 0), atoi(PQgetvalue(q, i, 1)));
        if (k < 0) {
            PQclear(q);
            return k;
        }
        done += k;
    }
    PQclear(q);
    mt_set("lic_gateway_circuit_open", NULL, hc_circuit(r->hc) != CB_CLOSED);
    return done;
}

static int round_cb(void *opaque, int anew)
{
    (void)anew; /* every round reads what is waiting */
    registries_t *r = opaque;
    /* One application a round (the next round at once): a worker killed mid-check strands
     * one lease, not a batch's, and a stop leaves none claimed and unchecked. */
    int n = registries_round(r, 1);
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
