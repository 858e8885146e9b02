/* mailer: see mailer.h. */
#include "mailer.h"
#include "mailer_sql.h"
#include "worker.h"
#include "approval.h"
#include "cal.h"
#include "clock.h"
#include "config.h"
#include "decision.h"
#include "log.h"
#include "metrics.h"
#include "signals.h"
#include "util.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOURCE "/licensing/mailer"

struct mailer {
    db_t *db;
    cal_t *cal; /* the hearing is fixed from the notice's sending (¶13) */
    const char *url, *from, *user;
    char *password;
    int starttls;
    long timeout_ms;
};

mailer_t *mailer_new(db_t *db)
{
    mailer_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->db = db;
    m->url = cfg_get("SMTP_URL");
    m->from = cfg_get("SMTP_FROM");
    m->user = cfg_get("SMTP_USER");
    const char *pw = cfg_get("SMTP_PASSWORD");
    m->password = pw ? strdup(pw) : NULL;
    m->starttls = cfg_get_long("SMTP_STARTTLS", 0) != 0;
    m->timeout_ms = cfg_get_long("SMTP_TIMEOUT_MS", 15000);
    char err[300];
    if (cal_load_file(cfg_get("CALENDAR_FILE"), &m->cal, err, sizeof(err))) {
        log_error("cannot start: %s", err);
        free(m->password);
        free(m);
        return NULL;
    }
    return m;
}

static void mailer_reload(void *opaque)
{
    mailer_t *m = opaque;
    cal_reload(&m->cal, cfg_get("CALENDAR_FILE"));
}

void mailer_free(mailer_t *m)
{
    if (!m)
        return;
    free(m->password);
    cal_free(m->cal);
    free(m);
}

/* Base64 of `len` bytes in lines of 76 characters (CRLF), for a MIME body. New string. */
static char *b64_lines(const char *in, size_t len, int folded)
{
    size_t enc = (len + 2) / 3 * 4;
    char *flat = malloc(enc + 1);
    char *out = malloc(enc + enc / 76 * 2 + 4);
    if (!flat || !out) {
        free(flat);
        free(out);
        return NULL;
    }
    EVP_EncodeBlock((unsigned char *)flat, (const unsigned char *)in, (int)len);
    size_t o = 0;
    for (size_t i = 0; i < enc; i += 76) {
        size_t n = enc - i < 76 ? enc - i : 76;
        memcpy(out + o, flat + i, n);
        o += n;
        if (folded) {
            out[o++] = '\r';
            out[o++] = '\n';
        }
    }
    out[o] = '\0';
    free(flat);
    return out;
}

typedef struct {
    const char *data;
    size_t len, pos;
} upload_t;

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
    upload_t *u = ud;
    size_t room = size * nmemb, left = u->len - u->pos;
    size_t n = left < room ? left : room;
    memcpy(ptr, u->data + u->pos, n);
    u->pos += n;
    return n;
}

/* One SMTP delivery. 0 when the server accepted the message; -1 with the reason. */
static int smtp_send(mailer_t *m, long long id, const char *to, const char *subject,
                     const char *body, const char *app_id, char *err, size_t err_size)
{
    if (strpbrk(to, "\r\n<>,;") || !strchr(to, '@')) {
        snprintf(err, err_size, "not a single e-mail address: refusing to send");
        return -1;
    }
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    char *subj = b64_lines(subject, strlen(subject), 0);
    char *text = b64_lines(body, strlen(body), 1);
    size_t size = strlen(subj ? subj : "") + strlen(text ? text : "") + 1024;
    char *msg = malloc(size);
    if (!subj || !text || !msg) {
        free(subj);
        free(text);
        free(msg);
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    char domain[128];
    const char *at = strchr(m->from, '@');
    snprintf(domain, sizeof(domain), "%s", at ? at + 1 : "licensing.local");
    snprintf(msg, size,
             "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nMessage-ID: <notice-%lld-%s@%s>\r\n"
             "Subject: =?UTF-8?B?%s?=\r\nMIME-Version: 1.0\r\n"
             "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n"
             "X-Licensing-Application: %s\r\n\r\n%s",
             date, m->from, to, id, app_id, domain, subj, app_id, text);
    free(subj);
    free(text);
    upload_t up = {msg, strlen(msg), 0};
    char from[300], rcpt[300];
    snprintf(from, sizeof(from), "<%s>", m->from);
    snprintf(rcpt, sizeof(rcpt), "<%s>", to);
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, m->url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, m->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (m->starttls)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (m->user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, m->user);
        if (m->password)
            curl_easy_setopt(c, CURLOPT_PASSWORD, m->password);
    }
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpts);
    curl_easy_cleanup(c);
    free(msg);
    if (cc != CURLE_OK) {
        snprintf(err, err_size, "SMTP: %s (server code %ld)", curl_easy_strerror(cc), code);
        return -1;
    }
    return 0;
}

/* The server accepted it: record the time and, for a hearing notice, publish the proposed
 * refusal with the notice's time. */
/* What a hearing notice fixed when it went: the hearing and its outcome's limit, and the body
 * as sent (with the hearing's time). */
typedef struct {
    time_t hearing_at, outcome_due;
    const char *body;
} notice_t;

/* A further notice went: refusal_proposed again, with every ground the hearing now holds and
 * when the applicant was told of the new ones. */
static db_rc_t supplement_sent(mailer_t *m, const char *app_id, const apv_app_t *app,
                               const char *ref, time_t now)
{
    char hid[64];
    snprintf(hid, sizeof(hid), "%.*s", (int)strcspn(ref, "/"), ref);
    db_rc_t rc;
    const char *ph[] = {hid};
    PGresult *r = db_query(m->db, sql_supplement_sent_select_hearings, 1, ph, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return DB_ERR_DATA;
    }
    json_t *grounds = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    char at_s[40], first_s[40], sent_s[40];
    cal_format((time_t)atoll(PQgetvalue(r, 0, 1)), at_s, sizeof(at_s));
    cal_format((time_t)atoll(PQgetvalue(r, 0, 3)), first_s, sizeof(first_s));
    cal_format(now, sent_s, sizeof(sent_s));
    json_t *detail =
        json_pack("{s:s,s:o,s:s,s:s,s:s,s:s}", "hearing_id", hid, "grounds",
                  grounds ? grounds : json_array(), "hearing_at", at_s, "hearing_means",
                  PQgetvalue(r, 0, 2), "notice_sent_at", first_s, "further_notice_sent_at", sent_s);
    PQclear(r);
    return ob_status_event(m->db, SOURCE, app_id, app->portal_ref, EV_ST_REFUSAL_PROPOSED, now,
                           app->service_deadline, detail, ref);
}

static db_rc_t record_sent(mailer_t *m, long long id, const char *app_id, const char *kind,
                           const char *ref, const notice_t *nt)
{
    time_t now = clock_now();
    char now_s[40], ids[24];
    util_rfc3339_utc(now, now_s, sizeof(now_s));
    snprintf(ids, sizeof(ids), "%lld", id);
    apv_app_t app;
    db_rc_t rc = apv_lock(m->db, app_id, &app);
    if (rc != DB_OK)
        return rc;
    const char *p[] = {ids, now_s};
    if ((rc = db_exec(m->db, sql_record_sent_update_email_outbox, 2, p)) != DB_OK)
        return rc;
    if (strcmp(kind, "hearing_supplement") == 0)
        return supplement_sent(m, app_id, &app, ref, now);
    if (strcmp(kind, "hearing_notice") != 0 || !nt)
        return DB_OK;
    char at_utc[40], outcome_utc[40];
    util_rfc3339_utc(nt->hearing_at, at_utc, sizeof(at_utc));
    util_rfc3339_utc(nt->outcome_due, outcome_utc, sizeof(outcome_utc));
    const char *ph[] = {ref, now_s, at_utc};
    PGresult *r = db_query(m->db, sql_record_sent_update_hearings, 3, ph, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return DB_OK; /* a notice of this hearing went before: it fixed the hearing */
    }
    /* The body as it went, and the outcome's limit moved with the hearing it fixed. */
    const char *pb[] = {ids, nt->body};
    const char *pt[] = {app_id, ref, outcome_utc, TIMER_HEARING_OUTCOME};
    if ((rc = db_exec(m->db, sql_record_sent_update_body, 2, pb)) != DB_OK ||
        (rc = db_exec(m->db, sql_record_sent_update_timers, 4, pt)) != DB_OK) {
        PQclear(r);
        return rc;
    }
    json_t *grounds = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    time_t hearing_at = (time_t)atoll(PQgetvalue(r, 0, 1));
    time_t notice_due = (time_t)atoll(PQgetvalue(r, 0, 3));
    char at_s[40], due_s[40], sent_s[40];
    cal_format(hearing_at, at_s, sizeof(at_s));
    cal_format(notice_due, due_s, sizeof(due_s));
    cal_format(now, sent_s, sizeof(sent_s));
    json_t *detail =
        json_pack("{s:s,s:o,s:s,s:s,s:s,s:s}", "hearing_id", ref, "grounds",
                  grounds ? grounds : json_array(), "hearing_at", at_s, "hearing_means",
                  PQgetvalue(r, 0, 2), "notice_sent_at", sent_s, "notice_due", due_s);
    PQclear(r);
    if ((rc = ob_status_event(m->db, SOURCE, app_id, app.portal_ref, EV_ST_REFUSAL_PROPOSED, now,
                              app.service_deadline, detail, ref)) != DB_OK)
        return rc;
    if (now > notice_due) {
        char detail_s[200];
        snprintf(detail_s, sizeof(detail_s),
                 "hearing notice sent after %s, less than 3 WD before the service term ends",
                 due_s);
        rc = apv_incident(m->db, app_id, "hearing_notice_late", ref, detail_s, now);
    }
    return rc;
}

/* Records an accepted e-mail in transactions of its own, after the claiming one failed to:
 * the row is locked again (waiting for nobody but a mailer that claimed it meanwhile). */
static db_rc_t in_tx(mailer_t *m, long long id, const char *app, const char *kind, const char *ref,
                     const notice_t *nt)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        db_rc_t rc = db_begin(m->db);
        if (rc == DB_OK)
            rc = record_sent(m, id, app, kind, ref, nt);
        if ((rc = db_end(m->db, rc)) == DB_OK)
            return DB_OK;
        if (rc == DB_ERR_CONN && db_reconnect(m->db) != 0)
            return rc;
        util_sleep_ms(util_backoff_ms(attempt, 50, 2000));
    }
    return DB_ERR_RETRY;
}

/* Puts an e-mail off until `delay` (an interval) from now with the reason; its own statement. */
static void put_off(mailer_t *m, long long id, const char *err, const char *delay)
{
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", id);
    const char *p[] = {ids, err, delay};
    db_exec(m->db, sql_put_off_update_email_outbox, 3, p);
}

/* One due e-mail, claimed with a row lock that is held while the SMTP server is talked to and
 * released by the commit that records the outcome. A mailer killed mid-send (or whose
 * connection is cut) releases it with its connection, and the e-mail is due again at once for
 * the next mailer: sent at least once, never left waiting. 1 sent, 0 none due, 2 not accepted
 * (the server is likely down), 3 put off (a further notice before its hearing's notice), or a
 * db_rc_t below 0. */
static int send_one(mailer_t *m)
{
    db_rc_t rc = db_begin(m->db);
    if (rc != DB_OK)
        return rc;
    PGresult *r = db_query(m->db, sql_send_one_update_email_outbox, 0, NULL, &rc);
    if (!r || PQntuples(r) == 0) {
        if (r)
            PQclear(r);
        db_rollback(m->db);
        return r ? 0 : rc;
    }
    long long id = atoll(PQgetvalue(r, 0, 0));
    char app[40], kind[32], ref[64], err[400];
    snprintf(app, sizeof(app), "%s", PQgetvalue(r, 0, 1));
    snprintf(kind, sizeof(kind), "%s", PQgetvalue(r, 0, 2));
    snprintf(ref, sizeof(ref), "%s", PQgetvalue(r, 0, 3));
    int attempts = atoi(PQgetvalue(r, 0, 7));
    notice_t nt = {0};
    char *body = NULL;
    int notice = strcmp(kind, "hearing_notice") == 0;
    if (strcmp(kind, "hearing_supplement") == 0) {
        /* Grounds joining a hearing already fixed: its time as the first notice fixed it, and
         * only after that notice went. */
        char hid[64];
        snprintf(hid, sizeof(hid), "%.*s", (int)strcspn(ref, "/"), ref);
        const char *ph[] = {hid};
        PGresult *h = db_query(m->db, sql_send_one_select_hearings, 1, ph, &rc);
        if (!h) {
            PQclear(r);
            db_rollback(m->db);
            return rc;
        }
        if (PQntuples(h) == 0) {
            PQclear(h);
            PQclear(r);
            put_off(m, id, "waits for the hearing notice to go first", "5 seconds");
            return (rc = db_commit(m->db)) == DB_OK ? 3 : rc;
        }
        if (strcmp(PQgetvalue(h, 0, 1), "t") != 0) {
            /* Concluded before it went: what it would tell is moot - never sent, and no
             * refusal_proposed published after the outcome. */
            PQclear(h);
            PQclear(r);
            char ids[24];
            snprintf(ids, sizeof(ids), "%lld", id);
            const char *pp[] = {ids,
                                "retired: the hearing concluded before this further notice went"};
            rc = db_exec(m->db, sql_retire_update_email_outbox, 2, pp);
            log_info("further notice %lld retired: its hearing concluded first", id);
            return (rc = db_end(m->db, rc)) == DB_OK ? 3 : rc;
        }
        char at_local[40];
        cal_format((time_t)atoll(PQgetvalue(h, 0, 0)), at_local, sizeof(at_local));
        PQclear(h);
        body = util_replace_all(PQgetvalue(r, 0, 6), DEC_HEARING_AT, at_local);
        if (!body) {
            PQclear(r);
            db_rollback(m->db);
            return DB_ERR_RETRY;
        }
    }
    if (notice) {
        /* ¶13: the hearing within 2 WD of the notice as it goes now, not as it was planned. */
        char cerr[256], at_local[40];
        if (cal_hearing_times(m->cal, clock_now(), &nt.hearing_at, &nt.outcome_due, cerr,
                              sizeof(cerr))) {
            log_error("calendar: %s", cerr);
            PQclear(r);
            db_rollback(m->db);
            return DB_ERR_RETRY;
        }
        cal_format(nt.hearing_at, at_local, sizeof(at_local));
        body = util_replace_all(PQgetvalue(r, 0, 6), DEC_HEARING_AT, at_local);
        if (!body) {
            PQclear(r);
            db_rollback(m->db);
            return DB_ERR_RETRY;
        }
        nt.body = body;
    }
    int ok = smtp_send(m, id, PQgetvalue(r, 0, 4), PQgetvalue(r, 0, 5),
                       body ? body : PQgetvalue(r, 0, 6), app, err, sizeof(err)) == 0;
    PQclear(r);
    if (!ok) {
        char delay[48];
        snprintf(delay, sizeof(delay), "%ld milliseconds",
                 util_backoff_ms(attempts, 1000, 300000) + 500);
        put_off(m, id, err, delay);
        if ((rc = db_commit(m->db)) != DB_OK)
            return rc;
        json_t *f =
            json_pack("{s:s,s:s,s:i}", "application_id", app, "error", err, "attempts", attempts);
        log_write(LOG_LEVEL_WARN, "e-mail not accepted, will retry", f);
        mt_add("lic_email_failures_total", NULL, 1);
        free(body);
        return 2;
    }
    rc = db_end(m->db, record_sent(m, id, app, kind, ref, notice ? &nt : NULL));
    if (rc != DB_OK) {
        if (rc == DB_ERR_CONN && db_reconnect(m->db) != 0) {
            free(body);
            return rc;
        }
        if ((rc = in_tx(m, id, app, kind, ref, notice ? &nt : NULL)) != DB_OK) {
            /* Accepted but not recorded: not again at once (the applicant has it); an
             * operator sees the reason. */
            snprintf(err, sizeof(err), "accepted by the SMTP server, not recorded: %s",
                     db_last_error(m->db));
            put_off(m, id, err, "10 minutes");
            free(body);
            return rc;
        }
    }
    free(body);
    mt_add("lic_emails_sent_total", NULL, 1);
    json_t *f = json_pack("{s:s,s:s,s:I}", "application_id", app, "kind", kind, "attempts",
                          (json_int_t)attempts);
    log_write(LOG_LEVEL_INFO, "e-mail accepted by the server", f);
    return 1;
}

int mailer_round(mailer_t *m)
{
    int sent = 0;
    while (!sig_stop_requested()) {
        int n = send_one(m);
        if (n < 0)
            return n;
        if (n == 3)
            continue; /* put off, waiting for another e-mail */
        if (n != 1)
            return sent; /* none due, or the server is likely down: wait for the back-off */
        sent++;
    }
    return sent;
}

static int mail_round(void *opaque, int anew)
{
    (void)anew; /* every round reads what is due */
    return mailer_round(opaque);
}

/* Until the next e-mail is due (5 s at most). */
static long mail_wait_ms(void *opaque)
{
    mailer_t *m = opaque;
    long wait = 5000;
    db_rc_t rc;
    PGresult *r = db_query(m->db, sql_mail_wait_ms_select_email_outbox, 0, NULL, &rc);
    if (r) {
        long due = PQgetisnull(r, 0, 0) ? wait : atol(PQgetvalue(r, 0, 0));
        /* Due now and yet not claimed: another mailer is sending it (or its sender was
         * killed and the lock is gone by the next look). */
        if (due < wait)
            wait = due > 0 ? due + 10 : 1000;
        PQclear(r);
    }
    return wait;
}

int mailer_run(mailer_t *m)
{
    log_info("sending notices through %s", m->url);
    mt_declare("lic_emails_sent_total", MT_COUNTER, "E-mails the SMTP server accepted.");
    mt_declare("lic_email_failures_total", MT_COUNTER, "E-mail attempts that failed.");
    wk_loop_t loop = {.channel = "lic_mail",
                      .opaque = m,
                      .round = mail_round,
                      .wait_ms = mail_wait_ms,
                      .reload = mailer_reload};
    wk_loop(m->db, &loop);
    log_info("stopping");
    return 0;
}
