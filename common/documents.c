/* documents: see documents.h. */
#include "documents.h"
#include "cal.h"
#include "config.h"
#include "domain.h"
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
    lic->place = cfg_get("LICENSOR_PLACE");
}

int doc_next_number(db_t *db, const char *licensor_code, const char *kind, const char *letter,
                    int year, char *number, size_t size)
{
    char y[16];
    snprintf(y, sizeof(y), "%d", year);
    const char *p[] = {licensor_code, kind, y};
    db_rc_t rc;
    /* The counter row is locked until the transaction ends, and rolls back with it: numbers
     * are gapless, unlike a sequence's. */
    PGresult *r = db_query(db,
                           "INSERT INTO document_counters (licensor, kind, year, last_value)"
                           " VALUES ($1, $2, $3, 1) ON CONFLICT (licensor, kind, year)"
                           " DO UPDATE SET last_value = document_counters.last_value + 1"
                           " RETURNING last_value",
                           3, p, &rc);
    if (!r)
        return rc;
    int seq = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    snprintf(number, size, "%s-%s-%d-%06d", licensor_code, letter, year, seq);
    return seq;
}

static void date_of(time_t t, char *buf, size_t size)
{
    cal_date_t d = cal_local_date(t);
    snprintf(buf, size, "%04d-%02d-%02d", d.y, d.m, d.d);
}

static json_t *licensor_json(const doc_licensor_t *lic)
{
    return json_pack("{s:s,s:s}", "name_kk", lic->name_kk, "name_ru", lic->name_ru);
}

/* The applicant as licensee/addressee, and the application's particulars. */
typedef struct {
    json_t *person; /* name, address, bin | iin */
    char portal_ref[80], kind[24], region[16], base_address[1100], submitted[16];
    json_t *subtypes;
} app_facts_t;

static db_rc_t facts(db_t *db, const char *app_id, app_facts_t *f)
{
    db_rc_t rc;
    const char *p[] = {app_id};
    PGresult *r =
        db_query(db,
                 "SELECT p.type, p.iin, p.bin, p.name, p.address, a.portal_ref, a.kind, b.region,"
                 " b.address, extract(epoch FROM a.submitted_at)::bigint,"
                 " (SELECT string_agg(code::text, ',' ORDER BY code) FROM application_subtypes s"
                 "  WHERE s.application_id = a.application_id)"
                 " FROM applications a JOIN applicants p USING (application_id)"
                 " JOIN production_bases b USING (application_id) WHERE a.application_id = $1",
                 1, p, &rc);
    if (!r)
        return rc;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return DB_ERR_DATA;
    }
    int individual = strcmp(PQgetvalue(r, 0, 0), "individual") == 0;
    f->person = json_pack("{s:s,s:s,s:s}", "name", PQgetvalue(r, 0, 3), "legal_address",
                          PQgetvalue(r, 0, 4), individual ? "iin" : "bin",
                          PQgetvalue(r, 0, individual ? 1 : 2));
    snprintf(f->portal_ref, sizeof(f->portal_ref), "%s", PQgetvalue(r, 0, 5));
    snprintf(f->kind, sizeof(f->kind), "%s", PQgetvalue(r, 0, 6));
    snprintf(f->region, sizeof(f->region), "%s", PQgetvalue(r, 0, 7));
    snprintf(f->base_address, sizeof(f->base_address), "%s", PQgetvalue(r, 0, 8));
    date_of((time_t)atoll(PQgetvalue(r, 0, 9)), f->submitted, sizeof(f->submitted));
    f->subtypes = json_array();
    char *codes = PQgetvalue(r, 0, 10), *save = NULL;
    for (char *t = strtok_r(codes, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int c = atoi(t);
        json_array_append_new(
            f->subtypes, json_pack("{s:i,s:s,s:s}", "code", c, "name_ru",
                                   dom_subtype_name_ru(c) ? dom_subtype_name_ru(c) : "", "name_kk",
                                   dom_subtype_name_kk(c) ? dom_subtype_name_kk(c) : ""));
    }
    PQclear(r);
    return DB_OK;
}

static db_rc_t store(db_t *db, const char *app_id, const char *kind, const char *number, int year,
                     int seq, int version, time_t now, const json_t *doc)
{
    char ys[16], ss[16], vs[16], ts[40];
    snprintf(ys, sizeof(ys), "%d", year);
    snprintf(ss, sizeof(ss), "%d", seq);
    snprintf(vs, sizeof(vs), "%d", version);
    util_rfc3339_utc(now, ts, sizeof(ts));
    char *body = json_dumps(doc, JSON_COMPACT);
    const char *p[] = {app_id, kind, number, ys, ss, ts, body, vs};
    db_rc_t rc = db_exec(db,
                         "INSERT INTO issued_documents (application_id, kind, number, year, seq,"
                         " issued_at, body, version) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb,"
                         " $8)",
                         8, p);
    free(body);
    return rc;
}

/* The license register: a first issue inserts the number, a re-registration moves it to the
 * next version with the new holder; every version is kept. */
static db_rc_t register_version(db_t *db, const app_facts_t *f, const char *app_id,
                                const char *number, int version, const char *date, int annex_only)
{
    const char *holder_id = json_string_value(json_object_get(f->person, "bin"));
    const char *type = holder_id ? "legal_entity" : "individual";
    if (!holder_id)
        holder_id = json_string_value(json_object_get(f->person, "iin"));
    const char *name = json_string_value(json_object_get(f->person, "name"));
    char vs[16];
    snprintf(vs, sizeof(vs), "%d", version);
    db_rc_t rc;
    if (version == 1) {
        const char *p[] = {number, type, holder_id, name, date, app_id};
        rc = db_exec(db,
                     "INSERT INTO licenses (number, holder_type, holder_id, holder_name,"
                     " first_issued_on, version, application_id) VALUES ($1, $2, $3, $4, $5, 1,"
                     " $6)",
                     6, p);
    } else {
        const char *p[] = {number, type, holder_id, name, vs};
        rc = db_exec(db,
                     "UPDATE licenses SET holder_type = $2, holder_id = $3, holder_name = $4,"
                     " version = $5, updated_at = now() WHERE number = $1",
                     5, p);
    }
    if (rc != DB_OK)
        return rc;
    const char *pv[] = {number,    vs,   app_id, f->kind,
                        holder_id, name, date,   annex_only ? "true" : "false"};
    return db_exec(db,
                   "INSERT INTO license_versions (number, version, application_id, kind,"
                   " holder_id, holder_name, issued_on, annex_only)"
                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                   8, pv);
}

db_rc_t doc_issue_license(db_t *db, const doc_licensor_t *lic, const char *application_id,
                          time_t now, json_t **license, json_t **annex)
{
    app_facts_t f = {0};
    *license = *annex = NULL;
    db_rc_t rc = facts(db, application_id, &f);
    if (rc != DB_OK)
        return rc;
    int year = cal_local_date(now).y;
    char number[64], date[16], first[16], annex_no[80], issued[40];
    int seq = 0, version = 1, annex_only = 0;
    date_of(now, date, sizeof(date));
    snprintf(first, sizeof(first), "%s", date);
    if (strcmp(f.kind, "issue") == 0) {
        seq = doc_next_number(db, lic->code, "license", "L", year, number, sizeof(number));
        if (seq < 0) {
            rc = seq;
            goto out;
        }
    } else {
        /* Re-registration: the same number, the next version, a new date. */
        const char *p[] = {application_id};
        PGresult *r = db_query(db,
                               "SELECT l.number, l.version + 1, l.first_issued_on::text,"
                               " r.annex_only FROM reissue_requests r JOIN licenses l"
                               " ON l.number = r.license_number WHERE r.application_id = $1"
                               " FOR UPDATE OF l",
                               1, p, &rc);
        if (!r)
            goto out;
        if (PQntuples(r) != 1) {
            PQclear(r);
            rc = DB_ERR_DATA; /* intake refuses a re-registration of an unknown license */
            goto out;
        }
        snprintf(number, sizeof(number), "%s", PQgetvalue(r, 0, 0));
        version = atoi(PQgetvalue(r, 0, 1));
        snprintf(first, sizeof(first), "%s", PQgetvalue(r, 0, 2));
        annex_only = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
        PQclear(r);
    }
    cal_format(now, issued, sizeof(issued));
    snprintf(annex_no, sizeof(annex_no), "%s/1", number);
    /* Appendix 3 form 1. Licenses are indefinite; this one is not alienable (class 1). An
     * annex-only re-registration leaves the license document as it is. */
    if (!annex_only)
        *license = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:i,s:{s:s,s:s},s:O,s:s,s:s,s:o,s:{s:s},s:s,s:s,s:s,s:s,s:s}",
            "document", "license", "form", "Appendix 3, form 1", "number", number, "date", date,
            "issued_at", issued, "version", version, "activity", "name_ru", ACTIVITY_RU, "name_kk",
            ACTIVITY_KK, "licensee", f.person, "special_conditions", "", "note",
            "неотчуждаемая, 1 класс / иеліктен шығарылмайтын, 1-сынып", "licensor",
            licensor_json(lic), "head", "position", lic->signer, "first_issue_date", first,
            "validity", "бессрочная / мерзімсіз", "place_of_issue", lic->place, "application",
            f.portal_ref, "kind", f.kind);
    /* Appendix 3 form 2. */
    const char *rname = dom_region_name_ru(f.region);
    *annex = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:O,s:O,s:{s:s,s:s,s:s},s:s,s:o,s:{s:s},"
                       "s:s,s:s,s:s}",
                       "document", "license_annex", "form", "Appendix 3, form 2", "number",
                       annex_no, "license_number", number, "license_date", first, "date", date,
                       "version", version, "subtypes", f.subtypes, "licensee", f.person,
                       "production_base", "region", f.region, "region_name", rname ? rname : "",
                       "address", f.base_address, "special_conditions", "", "licensor",
                       licensor_json(lic), "head", "position", lic->signer, "validity",
                       "бессрочная / мерзімсіз", "place_of_issue", lic->place, "issued_at", issued);
    if ((rc = register_version(db, &f, application_id, number, version, date, annex_only)) !=
            DB_OK ||
        (*license && (rc = store(db, application_id, "license", number, year, seq, version, now,
                                 *license)) != DB_OK) ||
        (rc = store(db, application_id, "annex", annex_no, year, seq, version, now, *annex)) !=
            DB_OK) {
        json_decref(*license);
        json_decref(*annex);
        *license = *annex = NULL;
    }
out:
    json_decref(f.person);
    json_decref(f.subtypes);
    return rc;
}

db_rc_t doc_issue_refusal(db_t *db, const doc_licensor_t *lic, const char *application_id,
                          const json_t *grounds, time_t now, json_t **doc)
{
    app_facts_t f = {0};
    db_rc_t rc = facts(db, application_id, &f);
    if (rc != DB_OK)
        return rc;
    json_decref(f.subtypes);
    int year = cal_local_date(now).y;
    char number[64], date[16], issued[40];
    int seq = doc_next_number(db, lic->code, "refusal", "R", year, number, sizeof(number));
    if (seq < 0) {
        json_decref(f.person);
        return seq;
    }
    date_of(now, date, sizeof(date));
    cal_format(now, issued, sizeof(issued));
    size_t len = 1024;
    size_t i;
    json_t *g;
    json_array_foreach(grounds, i, g) len +=
        strlen(json_string_value(json_object_get(g, "text_ru"))) + 4;
    char *text = malloc(len);
    if (text) {
        snprintf(text, len,
                 "Рассмотрев Ваше заявление № %s от %s, с учётом заслушивания (пункт 13 "
                 "Правил), сообщаем об отказе в оказании государственной услуги по следующим "
                 "основаниям: ",
                 f.portal_ref, f.submitted);
        json_array_foreach(grounds, i, g)
        {
            strcat(text, json_string_value(json_object_get(g, "text_ru")));
            strcat(text, i + 1 < json_array_size(grounds) ? "; " : ".");
        }
    }
    *doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:O,s:{s:s,s:s,s:s},s:s,s:O,s:{s:s}}", "document",
                     "reasoned_refusal", "form", "Appendix 2", "number", number, "date", date,
                     "issued_at", issued, "licensor", licensor_json(lic), "addressee", f.person,
                     "application", "number", f.portal_ref, "date", f.submitted, "application_id",
                     application_id, "text_ru", text ? text : "", "grounds", grounds, "signer",
                     "position", lic->signer);
    free(text);
    json_decref(f.person);
    rc = store(db, application_id, "refusal", number, year, seq, 1, now, *doc);
    if (rc != DB_OK) {
        json_decref(*doc);
        *doc = NULL;
    }
    return rc;
}
