/* bench: load generator and baseline for deploy/bench.sh.
 *   bench produce N [--example F] [--topic T] [--ahead K] [--rate R]
 *       N contract-valid submissions (fresh ids, submitted now) to T (portal.applications.v1)
 *       with the idempotent producer. --ahead K keeps at most K of them ahead of the intake's
 *       committed offsets in the database (LIC_DB_URL), so the development broker's retention
 *       is never exceeded; with --ahead-of STAGE, at most K ahead of the applications that
 *       reached STAGE instead (so no topic between the stages - the agencies' replies - outgrows
 *       it either: the uncommitted ones and the registered ones in a stage before STAGE count);
 *       --rate R produces R per second at most. Prints JSON.
 *   bench consume N [--topic T] [--passes P]
 *       reads N messages of T from the beginning P times with no processing (librdkafka's
 *       raw consume rate); prints JSON with messages/s over all passes.
 *   bench documents N --key P12 --password-file F
 *       renders N documents (a license and its annex with all nine sub-activities in turn) as
 *       their forms' PDF and signs each with the PKCS#12 key, on this one thread; prints JSON
 *       with documents/s and the milliseconds each takes in layout and in the signature.
 * Kafka configuration as for the workers (KAFKA_*, LIC_KAFKA_BOOTSTRAP_FILE). */
#include "config.h"
#include "bench_sql.h"
#include "db.h"
#include "domain.h"
#include "eds.h"
#include "kafka.h"
#include "render.h"
#include "util.h"

#include <time.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long failed;

static void dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        failed++;
}

typedef struct {
    const char *example, *topic, *ahead_of;
    long ahead, rate, passes;
} opts_t;

/* Applications on their way to `stage`: in a stage of the lifecycle before it. Counted over
 * the stage index's entries of those stages - at most the window - where a count of the
 * applications in `stage` itself walks every one that ever reached it (20 ms at 100,000,
 * polled 50 times a second: a third of a core taken from the system measured). */
static long before_stage(db_t *db, const char *stage)
{
    const char *p[] = {stage};
    db_rc_t rc;
    PGresult *r = db_query(db, sql_before_stage_select_applications, 1, p, &rc);
    long v = r ? atol(PQgetvalue(r, 0, 0)) : -1;
    if (r)
        PQclear(r);
    return v;
}

/* Messages of this topic the intake has committed, from its offsets in the database. */
static long intake_done(db_t *db, const char *topic)
{
    const char *p[] = {topic};
    db_rc_t rc;
    PGresult *r = db_query(db, sql_intake_done_select_consumer_offsets, 1, p, &rc);
    long v = r ? atol(PQgetvalue(r, 0, 0)) : -1;
    if (r)
        PQclear(r);
    return v;
}

/* Messages already on the topic (the sum of its partitions' high watermarks). */
static long topic_end(rd_kafka_t *rk, const char *topic)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    long total = 0;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topic_cnt == 1) {
        for (int i = 0; i < md->topics[0].partition_cnt; i++) {
            int64_t lo = 0, hi = 0;
            if (rd_kafka_query_watermark_offsets(rk, topic, md->topics[0].partitions[i].id, &lo,
                                                 &hi, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
                total += (long)hi;
        }
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return total;
}

static int produce(long n, const opts_t *o)
{
    const char *example = o->example;
    json_error_t jerr;
    json_t *ev = json_load_file(example, 0, &jerr);
    if (!ev) {
        fprintf(stderr, "bench: %s: %s\n", example, jerr.text);
        return 1;
    }
    char err[512];
    rd_kafka_t *rk = kq_producer_new(dr, NULL, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    db_t *db = NULL;
    long base = 0, busy0 = 0, ahead = 0, at = 0;
    if (o->ahead > 0) {
        db = db_open_once(cfg_get("DB_URL"), cfg_get("DB_PASSWORD"), "bench", err, sizeof(err));
        if (!db) {
            fprintf(stderr, "bench: %s\n", err);
            return 1;
        }
        /* What is on the topic already counts as ahead until the intake has committed it;
         * applications already on their way when this run starts do not (the steady phase
         * starts with the intake phase's backlog). */
        base = topic_end(rk, o->topic);
        busy0 = o->ahead_of ? before_stage(db, o->ahead_of) : 0;
    }
    json_t *data = json_object_get(ev, "data");
    /* Ahead: produced and not yet committed by the intake, plus (--ahead-of) registered and
     * not yet in the stage; re-counted once the last count plus what was produced since
     * reaches the limit. With --ahead-of, produced again only when a tenth of the window is
     * free (`room`) and counted every 250 ms while it is not: the count of the applications
     * on their way is a query on the system measured (~4 ms at 12,000), and topping the
     * window up by the few that had left since the last count re-counted it about 10 times a
     * second (263 counts in a 12,000-application lifecycle). */
    long room = o->ahead_of && o->ahead >= 10 ? o->ahead / 10 : 1;
    int64_t t0 = util_mono_ms();
    for (long i = 0; i < n; i++) {
        if (db && ahead + (i - at) > o->ahead - 1) {
            rd_kafka_flush(rk, 10000);
            for (;;) {
                long committed = intake_done(db, o->topic);
                long busy = o->ahead_of ? before_stage(db, o->ahead_of) : 0;
                ahead = base + i - committed + (busy > busy0 ? busy - busy0 : 0);
                at = i;
                if (committed < 0 || busy < 0 || ahead <= o->ahead - room)
                    break;
                util_sleep_ms(o->ahead_of ? 250 : 20);
            }
        }
        if (o->rate > 0) {
            int64_t due = t0 + i * 1000 / o->rate;
            while (util_mono_ms() < due) {
                rd_kafka_poll(rk, 1);
            }
        }
        char id[UUID_STR_LEN], eid[UUID_STR_LEN], now[40];
        util_rfc3339_utc(time(NULL), now, sizeof(now));
        json_object_set_new(ev, "time", json_string(now));
        json_object_set_new(data, "submitted_at", json_string(now));
        util_uuid_v4(id);
        util_uuid_v4(eid);
        json_object_set_new(ev, "id", json_string(eid));
        json_object_set_new(ev, "subject", json_string(id));
        json_object_set_new(data, "application_id", json_string(id));
        char *s = json_dumps(ev, JSON_COMPACT);
        while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o->topic), RD_KAFKA_V_KEY(id, strlen(id)),
                                 RD_KAFKA_V_VALUE(s, strlen(s)),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        free(s);
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 120000);
    double secs = (util_mono_ms() - t0) / 1000.0;
    rd_kafka_destroy(rk);
    if (db)
        db_close(db);
    json_decref(ev);
    printf("{\"produced\": %ld, \"failed\": %ld, \"seconds\": %.3f, \"per_second\": %.0f}\n", n,
           failed, secs, n / (secs > 0 ? secs : 1e-9));
    return failed ? 1 : 0;
}

static int consume(long n, const opts_t *o)
{
    const char *topic = o->topic;
    char err[512];
    rd_kafka_t *rk = kq_reader_new(err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1)
        return 1;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[i].id)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    /* The first pass warms the connections up and is not timed; then P timed passes, each
     * from the beginning again. */
    long got = 0, timed = 0;
    int64_t t0 = 0, until = util_mono_ms() + 600000;
    for (long pass = 0; pass <= o->passes && util_mono_ms() < until; pass++) {
        if (pass == 1)
            t0 = util_mono_ms();
        rd_kafka_assign(rk, parts);
        long this_pass = 0;
        while (this_pass < n && util_mono_ms() < until) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
            if (!m)
                continue;
            if (!m->err)
                this_pass++;
            rd_kafka_message_destroy(m);
        }
        got = this_pass;
        if (pass > 0)
            timed += this_pass;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    double secs = (util_mono_ms() - t0) / 1000.0;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    printf("{\"consumed\": %ld, \"passes\": %ld, \"seconds\": %.3f, \"per_second\": %.0f}\n", timed,
           o->passes, secs, timed / (secs > 0 ? secs : 1e-9));
    return got == n ? 0 : 1;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A license and an annex as store/documents.c writes them. */
static json_t *sample(int annex)
{
    json_t *head = json_pack("{s:s,s:s,s:s}", "name", "Жақсыбеков Ерлан Маратұлы", "position_ru",
                             "Председатель комитета", "position_kk", "Комитет төрағасы");
    json_t *licensor = json_pack("{s:s,s:s}", "name_kk", cfg_get("LICENSOR_NAME_KK"), "name_ru",
                                 cfg_get("LICENSOR_NAME_RU"));
    json_t *person = json_pack("{s:s,s:s,s:s}", "name", "ТОО «Қарағанды Көмір»", "legal_address",
                               "Қарағанды қ., Бұқар Жырау даңғылы, 47", "bin", "070340001239");
    if (!annex)
        return json_pack("{s:s,s:s,s:s,s:{s:s,s:s},s:o,s:s,s:s,s:o,s:o,s:s,s:s,s:s}", "document",
                         "license", "number", "KPR-L-2026-000001", "date", "2026-03-16", "activity",
                         "name_ru", "Деятельность по эксплуатации горных и химических производств",
                         "name_kk", "Тау-кен және химия өндірістерін пайдалану жөніндегі қызмет",
                         "licensee", person, "special_conditions", "", "note",
                         "неотчуждаемая, 1 класс / иеліктен шығарылмайтын, 1-сынып", "licensor",
                         licensor, "head", head, "first_issue_date", "2026-03-16", "validity",
                         "бессрочная / мерзімсіз", "place_of_issue", cfg_get("LICENSOR_PLACE"));
    json_t *subtypes = json_array();
    for (int c = 1; c <= 9; c++)
        json_array_append_new(subtypes,
                              json_pack("{s:i,s:s,s:s}", "code", c, "name_ru",
                                        dom_subtype_name_ru(c), "name_kk", dom_subtype_name_kk(c)));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:{s:s,s:s},s:s,s:o,s:o,s:s,s:s}", "document",
                     "license_annex", "number", "KPR-L-2026-000001/1", "license_number",
                     "KPR-L-2026-000001", "license_date", "2026-03-16", "date", "2026-03-16",
                     "subtypes", subtypes, "licensee", person, "production_base", "region_name",
                     "Карагандинская область", "address",
                     "Қарағанды облысы, Шахтинск қ., өнеркәсіп аймағы, 3", "special_conditions", "",
                     "licensor", licensor, "head", head, "validity", "бессрочная / мерзімсіз",
                     "place_of_issue", cfg_get("LICENSOR_PLACE"));
}

static int documents(long n, const char *key, const char *pass)
{
    char err[512];
    es_signer_t *s = key && pass ? es_signer_load(key, pass, err, sizeof(err)) : NULL;
    if (!s) {
        fprintf(stderr, "bench documents: %s\n", key && pass ? err : "--key and --password-file");
        return 1;
    }
    json_t *docs[2] = {sample(0), sample(1)};
    double layout = 0, signing = 0, t0 = now_s();
    size_t bytes = 0;
    for (long i = 0; i < n; i++) {
        unsigned char *pdf, *p7s;
        size_t len, slen;
        double a = now_s();
        if (rd_render_pdf(docs[i % 2], "https://elicense.kz/v1/documents/KPR-L-2026-000001", &pdf,
                          &len, err, sizeof(err))) {
            fprintf(stderr, "bench documents: %s\n", err);
            return 1;
        }
        double b = now_s();
        if (es_sign(s, pdf, len, &p7s, &slen, err, sizeof(err))) {
            fprintf(stderr, "bench documents: %s\n", err);
            return 1;
        }
        signing += now_s() - b;
        layout += b - a;
        bytes += len;
        free(pdf);
        free(p7s);
    }
    double total = now_s() - t0;
    printf("{\"documents\": %ld, \"seconds\": %.3f, \"per_s\": %.1f, \"render_ms\": %.3f,"
           " \"sign_ms\": %.3f, \"pdf_bytes_avg\": %zu}\n",
           n, total, (double)n / total, layout * 1000 / (double)n, signing * 1000 / (double)n,
           bytes / (size_t)(n > 0 ? n : 1));
    json_decref(docs[0]);
    json_decref(docs[1]);
    es_signer_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "documents") == 0) {
        const char *key = NULL, *pass = NULL;
        for (int i = 3; i + 1 < argc; i += 2) {
            if (strcmp(argv[i], "--key") == 0)
                key = argv[i + 1];
            else if (strcmp(argv[i], "--password-file") == 0)
                pass = argv[i + 1];
        }
        return documents(atol(argv[2]), key, pass);
    }
    opts_t o = {
        "proto/examples/application.submitted.v1.json", "portal.applications.v1", NULL, 0, 0, 5};
    if (argc < 3) {
        fprintf(stderr, "usage: bench produce N [--example F] [--topic T] [--ahead K]"
                        " [--ahead-of STAGE] [--rate R]"
                        " | bench consume N [--topic T] [--passes P]\n");
        return 2;
    }
    for (int i = 3; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--example") == 0)
            o.example = argv[i + 1];
        else if (strcmp(argv[i], "--topic") == 0)
            o.topic = argv[i + 1];
        else if (strcmp(argv[i], "--ahead") == 0)
            o.ahead = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--ahead-of") == 0)
            o.ahead_of = argv[i + 1];
        else if (strcmp(argv[i], "--rate") == 0)
            o.rate = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--passes") == 0)
            o.passes = atol(argv[i + 1]);
        else {
            fprintf(stderr, "bench: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (strcmp(argv[1], "produce") == 0)
        return produce(atol(argv[2]), &o);
    if (strcmp(argv[1], "consume") == 0)
        return consume(atol(argv[2]), &o);
    fprintf(stderr, "bench: unknown command %s\n", argv[1]);
    return 2;
}
