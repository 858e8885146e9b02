/* intake: decode, register, check, decide, all in the batch transaction. */
#include "intake.h"
#include "intake_sql.h"
#include "approval.h"
#include "documents.h"
#include "config.h"
#include "event.h"
#include "jsonx.h"
#include "log.h"
#include "state.h"
#include "submitted.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int intake_init(intake_t *in, char *errstr, size_t errstr_size)
{
    memset(in, 0, sizeof(*in));
    if (cal_load_file(cfg_get("CALENDAR_FILE"), &in->cal, errstr, errstr_size))
        return -1;
    in->executors_buf = strdup(cfg_get("EXECUTORS"));
    for (char *save = NULL, *tok = strtok_r(in->executors_buf, ",", &save);
         tok && in->nexecutors < INTAKE_MAX_EXECUTORS; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (*tok)
            in->executors[in->nexecutors++] = tok;
    }
    if (in->nexecutors == 0) {
        snprintf(errstr, errstr_size, "LIC_EXECUTORS names no executor");
        intake_free(in);
        return -1;
    }
    in->mci_table = cfg_get("MCI");
    in->fee_issue_mci = (int)cfg_get_long("FEE_ISSUE_MCI", 10);
    in->fee_reissue_percent = (int)cfg_get_long("FEE_REISSUE_PERCENT", 10);
    doc_licensor_from_config(&in->lic);
    in->approval_grounds = cfg_get("REISSUE_APPROVAL_GROUNDS");
    const char *term = cfg_get("REISSUE_APPROVALS_TERM");
    if (strcmp(term, "statutory") != 0 && strcmp(term, "issue_term") != 0) {
        snprintf(errstr, errstr_size, "LIC_REISSUE_APPROVALS_TERM must be statutory or issue_term");
        intake_free(in);
        return -1;
    }
    in->reissue_issue_term = strcmp(term, "issue_term") == 0;
    return 0;
}

void intake_free(intake_t *in)
{
    cal_free(in->cal);
    free(in->executors_buf);
    memset(in, 0, sizeof(*in));
}

static const char *bool_text(int b)
{
    return b ? "true" : "false";
}

/* The executor's turn: round robin by a sequence shared by every intake process, taken 64
 * values at a time so a batch does not wait for the database at every application. Returns
 * the turn (from 0), or -1 with *rc. */
static long long next_executor(intake_t *in, db_t *db, db_rc_t *rc)
{
    if (in->rr_next == in->rr_end) {
        PGresult *r = db_query(db, "SELECT nextval('executor_rr')", 0, NULL, rc);
        if (!r)
            return -1;
        in->rr_next = atoll(PQgetvalue(r, 0, 0)) - 1;
        in->rr_end = in->rr_next + 64;
        PQclear(r);
    }
    return in->rr_next++;
}

/* The fee as measured at registration: what was due, by the MCI of which year, and the ground
 * of row 9 it is (NULL: none). */
typedef struct {
    long long due, mci;
    int mci_year;
    const app_fee_ground_t *ground;
} fee_check_t;

/* The fee's ground, with the facts it was measured by as its evidence. */
static db_rc_t store_fee_ground(db_t *db, const app_t *app, const fee_check_t *fc, const char *at)
{
    char number[8];
    snprintf(number, sizeof(number), "%d", fc->ground->number);
    json_t *e =
        json_pack("{s:s,s:I,s:I,s:i,s:I,s:s?,s:s?}", "paid_via", app->fee_paid_via, "amount_kzt",
                  (json_int_t)app->fee_amount_kzt, "due_kzt", (json_int_t)fc->due, "mci_year",
                  fc->mci_year, "mci_kzt", (json_int_t)fc->mci, "paid_at", app->fee_paid_at_text,
                  "payment_ref", app->fee_payment_ref);
    char *ej = e ? jx_dumps(e) : NULL;
    json_decref(e);
    if (!ej)
        return DB_ERR_RETRY;
    const char *p[] = {app->application_id, fc->ground->code, number, fc->ground->text_kk,
                       fc->ground->text_ru, fc->ground->rule, ej,     at};
    db_rc_t rc = db_exec(db, sql_store_application_insert_grounds, 8, p);
    free(ej);
    return rc;
}

#define TERM_EXCEEDED_RU                                                                                                                                           \
    "переоформление требует согласования государственных органов, срок ответа которых 10 " \
    "рабочих дней (пункт 12 Правил): срок оказания услуги 3 рабочих дня (пункт 7) будет "              \
    "превышен"
#define TERM_EXCEEDED_KK                                                                                                                                                   \
    "қайта ресімдеу мемлекеттік органдардың келісуін талап етеді, олардың жауап беру мерзімі " \
    "10 жұмыс күні (Қағидалардың 12-тармағы): қызмет көрсетудің 3 жұмыс күндік мерзімі "                     \
    "(7-тармақ) асып кетеді"
#define TERM_ISSUE_RU                                                                                                                                   \
    "переоформление требует согласования государственных органов (пункт 12 Правил): " \
    "применяется срок выдачи лицензии - 15 рабочих дней"
#define TERM_ISSUE_KK                                                                                                                                                 \
    "қайта ресімдеу мемлекеттік органдардың келісуін талап етеді (Қағидалардың 12-тармағы): " \
    "лицензия беру мерзімі - 15 жұмыс күні қолданылады"

/* Inserts the application and its normalised parts; `*fresh` = 0 (and nothing written) when
 * the application id is already registered. */
static db_rc_t store_application(db_t *db, const app_t *app, const char *event_id,
                                 const cal_deadlines_t *dl, const char *executor,
                                 const fee_check_t *fc, dom_stage_t stage, int approvals,
                                 int *fresh)
{
    *fresh = 1;
    char sub[40], reg[40], comp[40], svc[40], watch[40];
    util_rfc3339_utc(app->submitted_at, sub, sizeof(sub));
    util_rfc3339_utc(dl->registered_at, reg, sizeof(reg));
    util_rfc3339_utc(dl->completeness_due, comp, sizeof(comp));
    util_rfc3339_utc(dl->service_deadline, svc, sizeof(svc));
    util_rfc3339_utc(dl->term_at_risk, watch, sizeof(watch));
    /* The term is watched (migration 020) unless the result is issued at intake. */
    int watched = !dom_stage_final(stage);
    const char *p[] = {app->application_id,
                       app->portal_ref,
                       app->kind,
                       sub,
                       reg,
                       comp,
                       svc,
                       executor,
                       bool_text(app->paper_copy),
                       event_id,
                       dom_stage_name(stage),
                       watched ? watch : NULL,
                       bool_text(approvals)};
    db_rc_t rc;
    if (db_deferring(db)) {
        /* Optimistic: an application id registered before violates the key, and the batch
         * runs again without deferring, where the next branch tells it apart. */
        if ((rc = db_exec(db, sql_insert_application, 13, p)) != DB_OK)
            return rc;
    } else {
        PGresult *r = db_query(db, sql_insert_application_once, 13, p, &rc);
        if (!r)
            return rc;
        *fresh = PQntuples(r) == 1;
        PQclear(r);
        if (!*fresh)
            return DB_OK;
    }

    const char *pa[] = {app->application_id,  app->applicant.type, app->applicant.iin,
                        app->applicant.bin,   app->applicant.name, app->applicant.address,
                        app->applicant.email, app->applicant.phone};
    if ((rc = db_exec(db, sql_store_application_insert_applicants, 8, pa)) != DB_OK)
        return rc;

    char codes[64] = "{";
    for (int i = 0; i < app->subtype_count; i++) {
        size_t l = strlen(codes);
        snprintf(codes + l, sizeof(codes) - l, "%s%d", i ? "," : "", app->subtypes[i]);
    }
    strcat(codes, "}");
    const char *ps[] = {app->application_id, codes};
    if ((rc = db_exec(db, sql_store_application_insert_application_subtypes, 2, ps)) != DB_OK)
        return rc;

    const char *pb[] = {app->application_id, app->region, app->base_address};
    if ((rc = db_exec(db, sql_store_application_insert_production_bases, 3, pb)) != DB_OK)
        return rc;

    if (app->doc_count > 0) {
        json_t *docs = json_array();
        for (int i = 0; i < app->doc_count; i++) {
            json_t *d = json_pack("{s:i,s:s,s:s,s:s}", "seq", i + 1, "kind", app->docs[i].kind,
                                  "doc_id", app->docs[i].id, "sha256", app->docs[i].sha256);
            if (app->docs[i].signed_by)
                json_object_set_new(d, "signed_by", json_string(app->docs[i].signed_by));
            json_array_append_new(docs, d);
        }
        char *dj = jx_dumps(docs);
        json_decref(docs);
        const char *pd[] = {app->application_id, dj};
        rc = db_exec(db, sql_store_application_insert_application_documents, 2, pd);
        free(dj);
        if (rc != DB_OK)
            return rc;
    }

    char amount[24], due[24], paid_at[40], year[8], mci[24];
    snprintf(amount, sizeof(amount), "%lld", app->fee_amount_kzt);
    snprintf(due, sizeof(due), "%lld", fc->due);
    snprintf(year, sizeof(year), "%d", fc->mci_year);
    snprintf(mci, sizeof(mci), "%lld", fc->mci);
    if (app->fee_paid_at_text)
        util_rfc3339_utc(app->fee_paid_at, paid_at, sizeof(paid_at));
    const char *pf[] = {app->application_id,
                        app->fee_paid_via,
                        amount,
                        app->fee_payment_ref,
                        due,
                        app->fee_paid_at_text ? paid_at : NULL,
                        year,
                        mci};
    if ((rc = db_exec(db, sql_store_application_insert_fees, 8, pf)) != DB_OK)
        return rc;
    if (fc->ground && (rc = store_fee_ground(db, app, fc, reg)) != DB_OK)
        return rc;

    if (app->annex_to) {
        const char *px[] = {app->application_id, app->annex_to};
        if ((rc = db_exec(db, sql_store_application_insert_license_annex_requests, 2, px)) != DB_OK)
            return rc;
    }
    if (app->has_reissue) {
        const char *pr[] = {app->application_id, app->reissue.license_number,
                            bool_text(app->reissue.annex_only), app->reissue.reorganization};
        if ((rc = db_exec(db, sql_store_application_insert_reissue_requests, 4, pr)) != DB_OK)
            return rc;
        json_t *g = json_array();
        for (int i = 0; i < app->reissue.ground_count; i++)
            json_array_append_new(g, json_string(app->reissue.grounds[i]));
        char *gj = jx_dumps(g);
        json_decref(g);
        const char *pg[] = {app->application_id, gj};
        rc = db_exec(db, sql_store_application_insert_reissue_grounds, 2, pg);
        free(gj);
        if (rc != DB_OK)
            return rc;
    }
    return DB_OK;
}

/* An issue always goes to both agencies; a re-registration only when one of its grounds is
 * in LIC_REISSUE_APPROVAL_GROUNDS (a change of the object or its place), not for a change of
 * name the state registries already hold. */
static int needs_approvals(const intake_t *in, const app_t *app)
{
    if (!app->has_reissue)
        return 1;
    for (int i = 0; i < app->reissue.ground_count; i++) {
        const char *g = app->reissue.grounds[i];
        size_t len = strlen(g);
        for (const char *p = in->approval_grounds; p && (p = strstr(p, g)); p += len)
            if ((p == in->approval_grounds || p[-1] == ',') && (p[len] == ',' || !p[len]))
                return 1;
    }
    return 0;
}

pl_result_t intake_handle(void *opaque, pl_pipeline_t *pl, db_t *db, const rd_kafka_message_t *msg,
                          char *reason, size_t reason_size)
{
    intake_t *in = opaque;
    ev_event_t ev;
    if (ev_decode(msg->payload, msg->len, &ev, reason, reason_size))
        return PL_BAD_INPUT;
    int result = PL_OK;
    app_t app;
    if (strcmp(ev.type, EV_TYPE_SUBMITTED) != 0) {
        snprintf(reason, reason_size, "unknown CloudEvent type for %s", TOPIC_APPLICATIONS);
        result = PL_BAD_INPUT;
        goto out;
    }
    if (app_decode(ev.data, ev.subject, &app, reason, reason_size)) {
        result = PL_BAD_INPUT;
        goto out;
    }
    /* ¶7 gives a re-registration 3 WD; one that needs the agencies waits for their 10 WD
     * (¶12): LIC_REISSUE_APPROVALS_TERM says whether the term is exceeded or the issue's. */
    int approvals = needs_approvals(in, &app);
    int term_short = approvals && strcmp(app.kind, "reissue") == 0;
    cal_deadlines_t dl;
    char err[256];
    if (cal_deadlines(in->cal, term_short && in->reissue_issue_term ? "issue" : app.kind,
                      app.submitted_at, &dl, err, sizeof(err))) {
        snprintf(reason, reason_size, "calendar: %s", err);
        result = PL_RETRY_LATER;
        goto out;
    }
    /* Standard row 6: the MCI in force on the payment's date (the submission's when the portal
     * does not say), not the registration's: paid on 30 December, registered on 5 January,
     * the old year's MCI. */
    cal_date_t paid = cal_local_date(app.fee_paid_at);
    int year = paid.y;
    app_fee_rules_t rules = {app_mci_on(in->mci_table, paid.y, paid.m, paid.d), in->fee_issue_mci,
                             in->fee_reissue_percent};
    if (rules.mci <= 0) {
        /* The registration's own year unconfigured is the operator's to fix: retried. A payment
         * dated in an earlier year the table does not hold is the portal's data: a dead letter
         * (replayed once LIC_MCI holds that year), not a partition stopped behind it. */
        int bad = year < cal_local_date(dl.registered_at).y;
        snprintf(reason, reason_size, "%sno MCI configured for %d (LIC_MCI)",
                 bad ? "fee.paid_at: " : "", year);
        result = bad ? PL_BAD_INPUT : PL_RETRY_LATER;
        goto out;
    }

    /* Claimed once the message is known to be good input (the fee's year above). */
    int fresh = pl_claim_event(pl, db, ev.id, msg);
    if (fresh <= 0) {
        result = fresh; /* 0: a redelivered event changes nothing */
        goto out;
    }

    db_rc_t rc = DB_ERR_RETRY;
    long long rr = next_executor(in, db, &rc);
    if (rr < 0) {
        result = rc;
        goto out;
    }
    const char *executor = in->executors[rr % in->nexecutors];
    /* Complete (¶9)? Known before the application is stored, so that it is stored in the
     * stage this transaction leaves it in: its row is written once. */
    app_ground_t grounds[APP_MAX_GROUNDS];
    int ng = app_check_completeness(&app, &rules, grounds, APP_MAX_GROUNDS);
    if (ng > APP_MAX_GROUNDS)
        ng = APP_MAX_GROUNDS;
    /* A license missing from the register is not the applicant's fault: the registries' step
     * holds the application with an incident until an operator imports it. */
    /* Complete: on to the state registries (¶10), which say what comes next. */
    dom_facts_t facts = {.incomplete = ng > 0};
    dom_stage_t to = dom_next(STAGE_REGISTERED, &facts);
    /* Complete, a fee not paid or short is row 9 ground 2: the hearing of ¶13 follows once the
     * registries' step passes the application on. */
    app_fee_ground_t fee_ground;
    fee_check_t fc = {app_fee_due(&app, &rules), rules.mci, year, NULL};
    if (ng == 0 && app_fee_ground(&app, &rules, year, &fee_ground))
        fc.ground = &fee_ground;
    int inserted;
    db_rc_t stored =
        store_application(db, &app, ev.id, &dl, executor, &fc, to, approvals, &inserted);
    if (stored == DB_OK && !inserted) {
        snprintf(reason, reason_size, "application_id %s is already registered",
                 app.application_id);
        result = PL_BAD_INPUT;
        goto out;
    }
    if (stored != DB_OK) {
        result = stored;
        goto out;
    }

    time_t now = pl_now(pl);
    ob_cause_t cause = {.kind = "event",
                        .event_id = ev.id,
                        .topic = rd_kafka_topic_name(msg->rkt),
                        .partition = msg->partition,
                        .offset = msg->offset};
    char ts[40];
    if ((rc = ob_registered(db, app.application_id, to, now, &cause)) != DB_OK) {
        result = rc;
        goto out;
    }
    json_t *detail = json_object();
    cal_format(dl.registered_at, ts, sizeof(ts));
    json_object_set_new(detail, "registered_at", json_string(ts));
    json_object_set_new(detail, "executor", json_string(executor));
    cal_format(dl.completeness_due, ts, sizeof(ts));
    json_object_set_new(detail, "completeness_due", json_string(ts));
    json_object_set_new(detail, "term_working_days", json_integer(dl.term_wd));
    if (term_short && to != STAGE_REFUSED_INCOMPLETE) {
        json_t *note = in->reissue_issue_term
                           ? json_pack("{s:s,s:s,s:s}", "policy", "issue_term", "text_ru",
                                       TERM_ISSUE_RU, "text_kk", TERM_ISSUE_KK)
                           : json_pack("{s:s,s:s,s:s}", "policy", "statutory", "text_ru",
                                       TERM_EXCEEDED_RU, "text_kk", TERM_EXCEEDED_KK);
        json_object_set_new(detail, "term_note", note);
        if (!in->reissue_issue_term &&
            (rc = apv_incident(db, app.application_id, "term_cannot_be_kept", "",
                               "a re-registration that needs the agencies: their 10 WD (¶12) do "
                               "not fit the 3-WD term of ¶7 (LIC_REISSUE_APPROVALS_TERM=statutory)",
                               now)) != DB_OK) {
            json_decref(detail);
            result = rc;
            goto out;
        }
    }
    json_object_set_new(detail, "kind", json_string(app.kind));
    if (app.kind_derived)
        json_object_set_new(
            detail, "kind_derived",
            json_pack("{s:s,s:s,s:s,s:s}", "declared", "reissue", "reorganization",
                      app.reissue.reorganization, "text_ru",
                      "заявление о переоформлении в связи с выделением или разделением "
                      "рассматривается как переоформление при выделении (разделении)",
                      "text_kk",
                      "бөліп шығуға немесе бөлуге байланысты қайта ресімдеу туралы өтініш бөліп "
                      "шығару (бөлу) кезіндегі қайта ресімдеу ретінде қаралады"));
    if ((rc = ob_status_event(db, INTAKE_SOURCE, app.application_id, app.portal_ref,
                              EV_ST_REGISTERED, now, dl.service_deadline, detail, ev.id)) !=
        DB_OK) {
        result = rc;
        goto out;
    }

    if (ng > 0) {
        /* ¶9: an incomplete package gets a reasoned refusal, no hearing. */
        json_t *gr = json_array(), *doc = NULL;
        for (int i = 0; i < ng; i++)
            json_array_append_new(gr, json_pack("{s:s,s:s,s:s,s:s}", "code", grounds[i].code,
                                                "text_ru", grounds[i].text_ru, "text_kk",
                                                grounds[i].text_kk, "rule", "¶9; Standard row 8"));
        rc = doc_issue_refusal(db, &in->lic, app.application_id, DOC_REFUSAL_INCOMPLETE, gr, now,
                               &doc);
        json_decref(gr);
        if (rc == DB_OK)
            rc = ob_status_event(db, INTAKE_SOURCE, app.application_id, app.portal_ref,
                                 EV_ST_REFUSED_INCOMPLETE, now, dl.service_deadline,
                                 json_pack("{s:o}", "document", doc), ev.id);
        result = rc;
        goto out;
    }
out:
    ev_free(&ev);
    return result;
}
