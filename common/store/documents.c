/* documents: see documents.h. */
#include "documents.h"
#include "store_sql.h"
#include "cal.h"
#include "config.h"
#include "domain.h"
#include "jsonx.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTIVITY_RU "Деятельность по эксплуатации горных и химических производств"
#define ACTIVITY_KK "Тау-кен және химия өндірістерін пайдалану жөніндегі қызмет"

void doc_licensor_from_config(doc_licensor_t *lic)
{
    lic->code = cfg_get("LICENSOR_CODE");
    lic->name_kk = cfg_get("LICENSOR_NAME_KK");
    lic->name_ru = cfg_get("LICENSOR_NAME_RU");
    lic->signer = cfg_get("LICENSOR_SIGNER");
    lic->signer_kk = cfg_get("LICENSOR_SIGNER_KK");
    lic->head_name = cfg_get("LICENSOR_HEAD_NAME");
    lic->place = cfg_get("LICENSOR_PLACE");
    lic->city_kk = cfg_get("LICENSOR_CITY_KK");
    lic->city_ru = cfg_get("LICENSOR_CITY_RU");
}

/* Takes `count` numbers of `kind`: returns the last one taken (> 0) or a negative db_rc_t. */
static int take_numbers(db_t *db, const char *licensor_code, const char *kind, int year, int count)
{
    char y[16], c[16];
    snprintf(y, sizeof(y), "%d", year);
    snprintf(c, sizeof(c), "%d", count);
    const char *p[] = {licensor_code, kind, y, c};
    db_rc_t rc;
    /* The counter row is locked until the transaction ends, and rolls back with it: numbers
     * are gapless, unlike a sequence's. */
    PGresult *r = db_query(db, sql_take_numbers_insert_document_counters, 4, p, &rc);
    if (!r)
        return rc;
    int last = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return last;
}

static void format_number(const char *licensor_code, const char *letter, int year, int seq,
                          char *number, size_t size)
{
    snprintf(number, size, "%s-%s-%d-%06d", licensor_code, letter, year, seq);
}

int doc_next_number(db_t *db, const char *licensor_code, const char *kind, const char *letter,
                    int year, char *number, size_t size)
{
    int seq = take_numbers(db, licensor_code, kind, year, 1);
    if (seq > 0)
        format_number(licensor_code, letter, year, seq, number, size);
    return seq;
}

static void date_of(time_t t, char *buf, size_t size)
{
    cal_date_t d = cal_local_date(t);
    snprintf(buf, size, "%04d-%02d-%02d", d.y, d.m, d.d);
}

/* A sub-activity of an annex, named in ¶2's words as they are today. */
static json_t *subtype_json(int code)
{
    return json_pack("{s:i,s:s,s:s}", "code", code, "name_ru",
                     dom_subtype_name_ru(code) ? dom_subtype_name_ru(code) : "", "name_kk",
                     dom_subtype_name_kk(code) ? dom_subtype_name_kk(code) : "");
}

static json_t *licensor_json(const doc_licensor_t *lic)
{
    return json_pack("{s:s,s:s}", "name_kk", lic->name_kk, "name_ru", lic->name_ru);
}

/* The head who signs (or the person replacing him): full name and position. */
static json_t *head_json(const doc_licensor_t *lic)
{
    return json_pack("{s:s,s:s,s:s}", "name", lic->head_name, "position_ru", lic->signer,
                     "position_kk", lic->signer_kk);
}

/* The applicant as licensee/addressee, and the application's particulars. */
typedef struct {
    json_t *person; /* name, address, bin | iin */
    char portal_ref[80], kind[24], region[16], base_address[1100], submitted[16];
    char annex_to[72]; /* the license an issue adds its annex to, or "" */
    /* Art. 36 of the Law on Permits: Kazakh, a line break, Russian; "" when there are none. */
    char *special;
    json_t *subtypes;
} app_facts_t;

/* The facts of the applications in `ids` (an array literal), in its order; `n` is how many ids
 * it holds. DB_ERR_DATA when one of them lacks its applicant or production base. */
static db_rc_t facts_many(db_t *db, const char *ids, int n, app_facts_t *f)
{
    db_rc_t rc;
    const char *p[] = {ids};
    PGresult *r = db_query_adhoc(db, sql_facts_many_select_applicants, 1, p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != n) {
        PQclear(r);
        return DB_ERR_DATA;
    }
    for (int i = 0; i < n; i++) {
        int individual = strcmp(PQgetvalue(r, i, 0), "individual") == 0;
        f[i].person = json_pack("{s:s,s:s,s:s}", "name", PQgetvalue(r, i, 3), "legal_address",
                                PQgetvalue(r, i, 4), individual ? "iin" : "bin",
                                PQgetvalue(r, i, individual ? 1 : 2));
        snprintf(f[i].portal_ref, sizeof(f[i].portal_ref), "%s", PQgetvalue(r, i, 5));
        snprintf(f[i].kind, sizeof(f[i].kind), "%s", PQgetvalue(r, i, 6));
        snprintf(f[i].region, sizeof(f[i].region), "%s", PQgetvalue(r, i, 7));
        snprintf(f[i].base_address, sizeof(f[i].base_address), "%s", PQgetvalue(r, i, 8));
        date_of((time_t)atoll(PQgetvalue(r, i, 9)), f[i].submitted, sizeof(f[i].submitted));
        snprintf(f[i].annex_to, sizeof(f[i].annex_to), "%s", PQgetvalue(r, i, 11));
        f[i].special = strdup(PQgetvalue(r, i, 12));
        f[i].subtypes = json_array();
        char *codes = PQgetvalue(r, i, 10), *save = NULL;
        for (char *t = strtok_r(codes, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            json_array_append_new(f[i].subtypes, subtype_json(atoi(t)));
        }
    }
    PQclear(r);
    return DB_OK;
}

static db_rc_t facts(db_t *db, const char *app_id, app_facts_t *f)
{
    char ids[64];
    snprintf(ids, sizeof(ids), "{%s}", app_id);
    return facts_many(db, ids, 1, f);
}

static void facts_free(app_facts_t *f)
{
    json_decref(f->person);
    json_decref(f->subtypes);
    free(f->special);
    f->person = f->subtypes = NULL;
    f->special = NULL;
}

/* What issuing writes - documents, license register rows, their versions - collected, then
 * written in one statement a table whatever their number (rows_flush). */
typedef struct {
    json_t *docs, *licenses, *versions;
} rows_t;

static void rows_init(rows_t *w)
{
    w->docs = json_array();
    w->licenses = json_array();
    w->versions = json_array();
}

static void rows_free(rows_t *w)
{
    json_decref(w->docs);
    json_decref(w->licenses);
    json_decref(w->versions);
}

static void rows_doc(rows_t *w, const char *app_id, const char *kind, const char *number, int year,
                     int seq, int version, time_t now, const json_t *doc)
{
    char ts[40];
    util_rfc3339_utc(now, ts, sizeof(ts));
    json_array_append_new(w->docs,
                          json_pack("{s:s,s:s,s:s,s:i,s:i,s:s,s:O,s:i}", "application_id", app_id,
                                    "kind", kind, "number", number, "year", year, "seq", seq,
                                    "issued_at", ts, "body", doc, "version", version));
}

/* The license register: a first issue inserts the number (here), a re-registration moves it to
 * the next version with the new holder (reissue_docs); every version is kept. */
static void rows_version(rows_t *w, const app_facts_t *f, const char *app_id, const char *number,
                         int version, const char *date, int annex_only)
{
    const char *holder_id = json_string_value(json_object_get(f->person, "bin"));
    const char *type = holder_id ? "legal_entity" : "individual";
    if (!holder_id)
        holder_id = json_string_value(json_object_get(f->person, "iin"));
    const char *name = json_string_value(json_object_get(f->person, "name"));
    if (version == 1)
        json_array_append_new(w->licenses,
                              json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "number", number,
                                        "holder_type", type, "holder_id", holder_id, "holder_name",
                                        name, "first_issued_on", date, "application_id", app_id));
    json_array_append_new(w->versions,
                          json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:b}", "number", number,
                                    "version", version, "application_id", app_id, "kind", f->kind,
                                    "holder_id", holder_id, "holder_name", name, "issued_on", date,
                                    "annex_only", annex_only));
}

static db_rc_t exec_rows(db_t *db, const char *sql, const json_t *rows)
{
    if (json_array_size(rows) == 0)
        return DB_OK;
    char *text = jx_dumps(rows);
    if (!text)
        return DB_ERR_RETRY;
    const char *p[] = {text};
    db_rc_t rc = db_exec(db, sql, 1, p);
    free(text);
    return rc;
}

/* Writes what was collected (may be deferred, see db_defer()), in the order it was added. */
static db_rc_t rows_flush(db_t *db, const rows_t *w)
{
    db_rc_t rc = exec_rows(db, sql_rows_flush_insert_licenses, w->licenses);
    if (rc == DB_OK)
        rc = exec_rows(db, sql_rows_flush_insert_license_versions, w->versions);
    if (rc == DB_OK)
        rc = exec_rows(db, sql_rows_flush_insert_issued_documents, w->docs);
    return rc;
}

/* Appendix 3 form 2: the annex `index` of license `number` (first issued on `first`, NULL:
 * today), and its row. */
static json_t *annex_doc(rows_t *w, const doc_licensor_t *lic, const app_facts_t *f,
                         const char *application_id, const char *number, int index, int seq,
                         int version, const char *first, time_t now)
{
    char date[16], annex_no[80], issued[40];
    date_of(now, date, sizeof(date));
    cal_format(now, issued, sizeof(issued));
    snprintf(annex_no, sizeof(annex_no), "%s/%d", number, index);
    const char *rname = dom_region_name_ru(f->region);
    json_t *annex =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:O,s:O,s:{s:s,s:s,s:s},s:s,s:o,s:o,"
                  "s:s,s:s,s:s}",
                  "document", "license_annex", "form", "Appendix 3, form 2", "number", annex_no,
                  "license_number", number, "license_date", first ? first : date, "date", date,
                  "version", version, "subtypes", f->subtypes, "licensee", f->person,
                  "production_base", "region", f->region, "region_name", rname ? rname : "",
                  "address", f->base_address, "special_conditions", f->special ? f->special : "",
                  "licensor", licensor_json(lic), "head", head_json(lic), "validity",
                  "бессрочная / мерзімсіз", "place_of_issue", lic->place, "issued_at", issued);
    rows_doc(w, application_id, "annex", annex_no, cal_local_date(now).y, seq, version, now, annex);
    return annex;
}

/* Appendix 3 forms 1 and 2 for one application, and their rows. `license` stays NULL for an
 * annex-only re-registration. */
static void license_docs(rows_t *w, const doc_licensor_t *lic, const app_facts_t *f,
                         const char *application_id, const char *number, int seq, int version,
                         const char *first, int annex_only, time_t now, json_t **license,
                         json_t **annex)
{
    int year = cal_local_date(now).y;
    char date[16], issued[40];
    date_of(now, date, sizeof(date));
    cal_format(now, issued, sizeof(issued));
    /* Licenses are indefinite; this one is not alienable (class 1). An annex-only
     * re-registration leaves the license document as it is. */
    *license = NULL;
    if (!annex_only)
        *license = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:i,s:{s:s,s:s},s:O,s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:s,s:s}",
            "document", "license", "form", "Appendix 3, form 1", "number", number, "date", date,
            "issued_at", issued, "version", version, "activity", "name_ru", ACTIVITY_RU, "name_kk",
            ACTIVITY_KK, "licensee", f->person, "special_conditions", f->special ? f->special : "",
            "note", "неотчуждаемая, 1 класс / иеліктен шығарылмайтын, 1-сынып", "licensor",
            licensor_json(lic), "head", head_json(lic), "first_issue_date", first ? first : date,
            "validity", "бессрочная / мерзімсіз", "place_of_issue", lic->place, "application",
            f->portal_ref, "kind", f->kind);
    rows_version(w, f, application_id, number, version, date, annex_only);
    if (*license)
        rows_doc(w, application_id, "license", number, year, seq, version, now, *license);
    *annex = annex_doc(w, lic, f, application_id, number, 1, seq, version, first, now);
}

/* Standard row 5: an issue naming a license of the applicant's adds the license's next annex,
 * the license's number and document as they are (the registries' step checked the holder). */
static db_rc_t added_annex_docs(db_t *db, rows_t *w, const doc_licensor_t *lic,
                                const app_facts_t *f, const char *application_id, time_t now,
                                json_t **annex)
{
    db_rc_t rc;
    const char *p[] = {f->annex_to};
    PGresult *r = db_query(db, sql_added_annex_docs_update_licenses, 1, p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return DB_ERR_DATA; /* the registries' step holds one whose license is not registered */
    }
    int index = atoi(PQgetvalue(r, 0, 0));
    char first[16];
    snprintf(first, sizeof(first), "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    *annex = annex_doc(w, lic, f, application_id, f->annex_to, index, 0, 1, first, now);
    return *annex ? DB_OK : DB_ERR_RETRY;
}

/* The annex `body` issued again in the new holder's name: its sub-activities and region named
 * as they are today (a re-registration may be for a changed name of a sub-activity), its base
 * and special conditions kept. 0, or -1 when out of memory. */
static int reissued_annex(json_t *body, const doc_licensor_t *lic, const app_facts_t *f,
                          int version, const char *date, const char *issued)
{
    json_t *subtypes = json_array(), *s;
    size_t i;
    json_array_foreach(json_object_get(body, "subtypes"), i, s)
    {
        json_array_append_new(subtypes,
                              subtype_json((int)json_integer_value(json_object_get(s, "code"))));
    }
    if (json_object_set_new(body, "subtypes", subtypes))
        return -1;
    json_t *base = json_object_get(body, "production_base");
    const char *rname = dom_region_name_ru(json_string_value(json_object_get(base, "region")));
    if (json_is_object(base) &&
        json_object_set_new(base, "region_name", json_string(rname ? rname : "")))
        return -1;
    return json_object_set(body, "licensee", f->person) ||
                   json_object_set_new(body, "date", json_string(date)) ||
                   json_object_set_new(body, "issued_at", json_string(issued)) ||
                   json_object_set_new(body, "version", json_integer(version)) ||
                   json_object_set_new(body, "licensor", licensor_json(lic)) ||
                   json_object_set_new(body, "head", head_json(lic)) ||
                   json_object_set_new(body, "place_of_issue", json_string(lic->place))
               ? -1
               : 0;
}

/* The license's annexes after the first, issued again with the re-registration (an annex naming
 * a holder the license no longer has would be at odds with the register), each with its next
 * version; `*others` becomes what the result event says of each (the rest is at its address),
 * left NULL when there are none. Annexes issued before this system have no document to issue
 * again. */
static db_rc_t reissued_annexes(db_t *db, rows_t *w, const doc_licensor_t *lic,
                                const app_facts_t *f, const char *application_id,
                                const char *number, time_t now, json_t **others)
{
    db_rc_t rc;
    const char *p[] = {number};
    PGresult *r = db_query(db, sql_reissued_annexes_select_issued_documents, 1, p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) > 0 && !(*others = json_array())) {
        PQclear(r);
        return DB_ERR_RETRY;
    }
    char date[16], issued[40];
    date_of(now, date, sizeof(date));
    cal_format(now, issued, sizeof(issued));
    for (int i = 0; i < PQntuples(r) && rc == DB_OK; i++) {
        json_t *annex = json_loads(PQgetvalue(r, i, 2), 0, NULL);
        int version = atoi(PQgetvalue(r, i, 1));
        const char *no = PQgetvalue(r, i, 0);
        if (!annex || reissued_annex(annex, lic, f, version, date, issued) ||
            json_array_append_new(*others,
                                  json_pack("{s:s,s:s,s:s,s:i}", "document", "license_annex",
                                            "number", no, "date", date, "version", version)))
            rc = DB_ERR_RETRY;
        else
            rows_doc(w, application_id, "annex", no, cal_local_date(now).y, 0, version, now, annex);
        json_decref(annex);
    }
    PQclear(r);
    return rc;
}

/* A re-registration (¶3 of the Standard's Appendix 2): the license's number, the next version
 * with the new holder, a new date; the register row takes the new holder here. Every annex of
 * the license is issued again unless only the annex is re-registered. */
static db_rc_t reissue_docs(db_t *db, rows_t *w, const doc_licensor_t *lic, const app_facts_t *f,
                            const char *application_id, time_t now, json_t **license,
                            json_t **annex, json_t **others)
{
    db_rc_t rc;
    const char *p[] = {application_id};
    PGresult *r = db_query(db, sql_doc_issue_license_select_reissue_requests, 1, p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return DB_ERR_DATA; /* intake refuses a re-registration of an unknown license */
    }
    char number[64], first[16];
    snprintf(number, sizeof(number), "%s", PQgetvalue(r, 0, 0));
    int version = atoi(PQgetvalue(r, 0, 1));
    snprintf(first, sizeof(first), "%s", PQgetvalue(r, 0, 2));
    int annex_only = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
    PQclear(r);
    const char *holder_id = json_string_value(json_object_get(f->person, "bin"));
    const char *type = holder_id ? "legal_entity" : "individual";
    if (!holder_id)
        holder_id = json_string_value(json_object_get(f->person, "iin"));
    char vs[16];
    snprintf(vs, sizeof(vs), "%d", version);
    const char *pu[] = {number, type, holder_id,
                        json_string_value(json_object_get(f->person, "name")), vs};
    if ((rc = db_exec(db, sql_doc_issue_license_update_licenses, 5, pu)) != DB_OK)
        return rc;
    license_docs(w, lic, f, application_id, number, 0, version, first, annex_only, now, license,
                 annex);
    return annex_only ? DB_OK
                      : reissued_annexes(db, w, lic, f, application_id, number, now, others);
}

db_rc_t doc_issue_licenses(db_t *db, const doc_licensor_t *lic, const char *const *ids, int n,
                           time_t now, json_t **licenses, json_t **annexes, json_t **others)
{
    for (int i = 0; i < n; i++)
        licenses[i] = annexes[i] = others[i] = NULL;
    if (n <= 0)
        return DB_OK;
    app_facts_t *f = calloc((size_t)n, sizeof(*f));
    db_array_t arr = {0};
    db_rc_t rc = f ? DB_OK : DB_ERR_RETRY;
    for (int i = 0; i < n && rc == DB_OK; i++)
        if (db_array_add(&arr, ids[i]))
            rc = DB_ERR_RETRY;
    if (rc == DB_OK)
        rc = facts_many(db, db_array_text(&arr), n, f);
    db_array_free(&arr);
    int firsts = 0;
    for (int i = 0; i < n && rc == DB_OK; i++)
        firsts += strcmp(f[i].kind, "issue") == 0 && !f[i].annex_to[0];
    /* First issues take their numbers together, in the order of `ids`. */
    int year = cal_local_date(now).y;
    int last = rc == DB_OK && firsts > 0 ? take_numbers(db, lic->code, "license", year, firsts) : 0;
    if (last < 0)
        rc = last;
    if (rc == DB_OK) {
        rows_t w;
        rows_init(&w);
        int seq = last - firsts;
        for (int i = 0; i < n && rc == DB_OK; i++) {
            if (strcmp(f[i].kind, "issue") != 0) {
                rc = reissue_docs(db, &w, lic, &f[i], ids[i], now, &licenses[i], &annexes[i],
                                  &others[i]);
                continue;
            }
            if (f[i].annex_to[0]) {
                rc = added_annex_docs(db, &w, lic, &f[i], ids[i], now, &annexes[i]);
                continue;
            }
            char number[64];
            format_number(lic->code, "L", year, ++seq, number, sizeof(number));
            license_docs(&w, lic, &f[i], ids[i], number, seq, 1, NULL, 0, now, &licenses[i],
                         &annexes[i]);
        }
        if (rc == DB_OK)
            rc = rows_flush(db, &w);
        rows_free(&w);
    }
    for (int i = 0; i < n; i++) {
        if (f)
            facts_free(&f[i]);
        if (rc != DB_OK) {
            json_decref(licenses[i]);
            json_decref(annexes[i]);
            json_decref(others[i]);
            licenses[i] = annexes[i] = others[i] = NULL;
        }
    }
    free(f);
    return rc;
}

/* The refusal's body: `intro` (naming the application) and the grounds' `field` (text_ru or
 * text_kk) in turn. NULL when out of memory. */
static char *refusal_text(const char *intro, const json_t *grounds, const char *field)
{
    size_t len = strlen(intro) + 8, i;
    json_t *g;
    json_array_foreach(grounds, i, g)
    {
        const char *t = json_string_value(json_object_get(g, field));
        len += (t ? strlen(t) : 0) + 4;
    }
    char *text = malloc(len);
    if (!text)
        return NULL;
    size_t at = (size_t)snprintf(text, len, "%s", intro);
    json_array_foreach(grounds, i, g)
    {
        const char *t = json_string_value(json_object_get(g, field));
        at += (size_t)snprintf(text + at, len - at, "%s%s", t ? t : "",
                               i + 1 < json_array_size(grounds) ? "; " : ".");
    }
    return text;
}

db_rc_t doc_issue_refusal(db_t *db, const doc_licensor_t *lic, const char *application_id,
                          doc_refusal_basis_t basis, const json_t *grounds, time_t now,
                          json_t **doc)
{
    app_facts_t f = {0};
    db_rc_t rc = facts(db, application_id, &f);
    if (rc != DB_OK)
        return rc;
    int year = cal_local_date(now).y;
    char number[64], date[16], issued[40];
    int seq = doc_next_number(db, lic->code, "refusal", "R", year, number, sizeof(number));
    if (seq < 0) {
        facts_free(&f);
        return seq;
    }
    date_of(now, date, sizeof(date));
    cal_format(now, issued, sizeof(issued));
    if (basis != DOC_REFUSAL_INCOMPLETE && basis != DOC_REFUSAL_AFTER_HEARING) {
        facts_free(&f);
        return DB_ERR_DATA;
    }
    /* ¶9 ends the consideration of an incomplete package without a hearing; ¶13 refuses the
     * service after one. The body in both languages, the grounds quoted in each. */
    int incomplete = basis == DOC_REFUSAL_INCOMPLETE;
    char intro_ru[1024], intro_kk[1024]; /* the longest intro is ~450 bytes */
    snprintf(intro_ru, sizeof(intro_ru),
             incomplete ? "Рассмотрев Ваше заявление № %s от %s, сообщаем об отказе в дальнейшем "
                          "рассмотрении заявления в связи с неполнотой представленных документов "
                          "(пункт 9 Правил): "
                        : "Рассмотрев Ваше заявление № %s от %s, с учётом заслушивания (пункт 13 "
                          "Правил), сообщаем об отказе в оказании государственной услуги по "
                          "следующим основаниям: ",
             f.portal_ref, f.submitted);
    snprintf(intro_kk, sizeof(intro_kk),
             incomplete ? "Сіздің № %s, %s өтінішіңізді қарап, ұсынылған құжаттардың толық "
                          "болмауына байланысты (Қағидалардың 9-тармағы) өтінішті одан әрі "
                          "қараудан бас тартылатынын хабарлаймыз: "
                        : "Сіздің № %s, %s өтінішіңізді қарап, тыңдауды ескере отырып "
                          "(Қағидалардың 13-тармағы), мемлекеттік қызметті көрсетуден мынадай "
                          "негіздер бойынша бас тартылатынын хабарлаймыз: ",
             f.portal_ref, f.submitted);
    char *text = refusal_text(intro_ru, grounds, "text_ru");
    char *text_kk = refusal_text(intro_kk, grounds, "text_kk");
    *doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:O,s:{s:s,s:s,s:s},s:s,s:s,s:O,s:o,s:{s:s,s:s}}",
                     "document", "reasoned_refusal", "form", "Appendix 2", "number", number, "date",
                     date, "issued_at", issued, "licensor", licensor_json(lic), "addressee",
                     f.person, "application", "number", f.portal_ref, "date", f.submitted,
                     "application_id", application_id, "text_ru", text ? text : "", "text_kk",
                     text_kk ? text_kk : "", "grounds", grounds, "signer", head_json(lic), "city",
                     "kk", lic->city_kk, "ru", lic->city_ru);
    free(text_kk);
    free(text);
    facts_free(&f);
    rows_t w;
    rows_init(&w);
    rows_doc(&w, application_id, "refusal", number, year, seq, 1, now, *doc);
    rc = rows_flush(db, &w);
    rows_free(&w);
    if (rc != DB_OK) {
        json_decref(*doc);
        *doc = NULL;
    }
    return rc;
}
