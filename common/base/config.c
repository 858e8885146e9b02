/* config: the variable table and its lookup. */
#include "config.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const cfg_var_t vars[] = {
    {"LOG_LEVEL", "info", 0, "Minimum log level: debug, info, warn, error."},
    {"DB_URL", "postgresql://lic_worker@127.0.0.1:5433/licensing", 0,
     "libpq connection URI of the workers' database (without the password)."},
    {"DB_PASSWORD", NULL, 1, "Password for DB_URL's role (or LIC_DB_PASSWORD_FILE)."},
    {"DB_ADMIN_URL", "postgresql://lic_owner@127.0.0.1:5433/licensing", 0,
     "libpq URI of the schema owner role used by `approvalctl migrate`."},
    {"DB_ADMIN_PASSWORD", NULL, 1, "Password for DB_ADMIN_URL's role."},
    {"DB_RETRY_MAX_MS", "10000", 0,
     "Longest back-off between reconnection attempts to PostgreSQL."},
    {"KAFKA_BOOTSTRAP_FILE", NULL, 0,
     "File holding bootstrap.servers, read when KAFKA_BOOTSTRAP_SERVERS is unset (the "
     "development broker writes it)."},
    {"CALENDAR_FILE", "deploy/calendar/kz.json", 0,
     "Working-day calendar data (holidays, Kurban Ait, decree transfers, covered years). "
     "Re-read on SIGHUP."},
    {"CLOCK_FILE", NULL, 0,
     "Test and demo clock: a file holding an offset in seconds added to real time. Unset in "
     "production (real time)."},
    {"BATCH_MAX", "500", 0, "Most messages one consumer transaction holds."},
    {"BATCH_WAIT_MS", "100", 0, "Longest wait to fill a batch once its first message arrived."},
    {"EXECUTORS", "Executor 1,Executor 2", 0,
     "Comma-separated executors assigned round-robin to registered applications (¶8)."},
    /* The licensor as ¶3 of the Order names it; a ministry renamed since sets its own. */
    {"LICENSOR_NAME_KK",
     "Қазақстан Республикасы Индустрия және инфрақұрылымдық даму министрлігінің "
     "Индустриялық даму комитеті",
     0, "Licensor's name in Kazakh (documents)."},
    {"LICENSOR_NAME_RU",
     "Комитет индустриального развития Министерства индустрии и инфраструктурного развития "
     "Республики Казахстан",
     0, "Licensor's name in Russian (documents)."},
    {"LICENSOR_CODE", "KPR", 0, "Licensor code used in document numbers."},
    {"LICENSOR_PLACE", "Астана қаласы / город Астана", 0,
     "Place of issue printed on licenses and annexes."},
    {"LICENSOR_CITY_KK", "Астана қаласы", 0, "The refusal's city (Appendix 2), in Kazakh."},
    {"LICENSOR_CITY_RU", "город Астана", 0, "The refusal's city (Appendix 2), in Russian."},
    {"LICENSOR_SIGNER", "Председатель комитета", 0,
     "The head's position in Russian (the documents' signer)."},
    {"LICENSOR_SIGNER_KK", "Комитет төрағасы", 0, "The head's position in Kazakh."},
    {"LICENSOR_HEAD_NAME", "Жақсыбеков Ерлан Маратұлы", 0,
     "The head's surname, name and patronymic, as the documents name the signer."},
    {"HEAD_KEY_FILE", "", 0,
     "The head's PKCS#12 key (RSA-2048) the notary signs the documents with; SIGHUP loads it "
     "again (the person replacing the head)."},
    {"HEAD_KEY_PASSWORD_FILE", "", 0, "File whose first line is the PKCS#12 key's password."},
    {"DOCUMENTS_PORT", "8443", 0, "Port of docsrv, the documents' service."},
    {"DOCUMENTS_TLS_CERT", "", 0,
     "docsrv's server certificate (PEM; with _KEY: HTTPS, else plain HTTP and no refusal "
     "served)."},
    {"DOCUMENTS_TLS_KEY", "", 0, "docsrv's server key (PEM)."},
    {"DOCUMENTS_CLIENT_CA", "", 0,
     "The portal's CA (PEM): a refusal is served only to a client certificate it issued."},
    {"EDS_CA_FILE", "", 0,
     "The national certifying centre's CA certificates (PEM) docsrv checks signatures with."},
    {"DOCUMENTS_BASE_URL", "https://elicense.kz/v1/documents", 0,
     "Where a document is verified: its QR code carries this address and the number."},
    {"MCI", "2024:3692,2025:3932,2026:4325", 0,
     "Monthly calculation index (tenge): year:value pairs, a value from 1 January; "
     "YYYY-MM-DD:value for one that takes effect within its year (the budget law amended)."},
    {"FEE_ISSUE_MCI", "10", 0, "Issue fee in MCI (Standard row 6)."},
    {"FEE_REISSUE_PERCENT", "10", 0, "Re-registration fee, percent of the issue fee."},
    {"OUTBOX_BATCH", "1000", 0, "Most outbox rows the relay publishes per round."},
    {"OUTBOX_RETENTION_HOURS", "168", 0, "How long the relay keeps published outbox rows."},
    {"PARTITIONS", "6", 0, "Partitions per topic created by the development broker."},
    {"AGENCIES_FILE", "deploy/config/agencies.json", 0,
     "JSON file: per agency the territorial units' base URLs by region and the public keys "
     "that sign replies; TLS client certificate paths (the agency simulator writes one)."},
    {"OFFICIALS_FILE", NULL, 0,
     "JSON file: the provider's officials whose acts the back office signs - key id, Ed25519 "
     "public key, IIN, full name, role (executor, head); re-read on SIGHUP."},
    {"AGENCY_MAX_IN_FLIGHT", "16", 0, "Most approval requests in flight per agency."},
    {"AGENCY_TIMEOUT_MS", "10000", 0, "Timeout of one approval request (connect and reply)."},
    {"AGENCY_RETRY_BASE_MS", "1000", 0, "First back-off after a transient failure (doubles)."},
    {"AGENCY_RETRY_MAX_MS", "300000", 0, "Longest back-off between attempts of one request."},
    {"AGENCY_BREAKER_FAILURES", "5", 0,
     "Consecutive transient failures that open an agency's circuit breaker."},
    {"AGENCY_BREAKER_COOLDOWN_MS", "30000", 0,
     "How long an open circuit waits before one probe request."},
    {"GATEWAY_URL", "https://shep.egov.kz/bip-sync/", 0,
     "The e-government gateway's SyncChannel v10 endpoint (SOAP 1.1 SendMessage, ¶10)."},
    {"GATEWAY_SENDER_ID", "KPR_LICENSING", 0, "Our sender id at the gateway (requestInfo/sender)."},
    {"GATEWAY_PASSWORD", NULL, 1, "Our sender password (or LIC_GATEWAY_PASSWORD_FILE)."},
    {"GATEWAY_TLS_CERT", NULL, 0, "Client certificate (PEM) for the gateway's mutual TLS."},
    {"GATEWAY_TLS_KEY", NULL, 0, "Its private key (PEM)."},
    {"GATEWAY_TLS_CA", NULL, 0, "CA bundle that signs the gateway's server certificate."},
    {"GATEWAY_ALLOW_PLAIN_HTTP", "0", 0, "1: allow an http:// GATEWAY_URL (simulators only)."},
    {"GATEWAY_CONNECT_TIMEOUT_MS", "3000", 0, "Timeout of connecting to the gateway."},
    {"GATEWAY_TIMEOUT_MS", "15000", 0, "Timeout of one SendMessage (connect and answer)."},
    {"GATEWAY_ATTEMPTS", "3", 0,
     "Tries of one SendMessage on a transport error or HTTP 502/503/504 (same messageId)."},
    {"GATEWAY_RETRY_BASE_MS", "200", 0, "First back-off between tries (doubles, with jitter)."},
    {"GATEWAY_RETRY_MAX_MS", "5000", 0, "Longest back-off between tries of one call."},
    {"GATEWAY_BREAKER_FAILURES", "5", 0,
     "Consecutive failed calls that open the gateway's circuit breaker."},
    {"GATEWAY_BREAKER_COOLDOWN_MS", "30000", 0,
     "How long the open circuit waits before one probe call."},
    {"GATEWAY_MAX_CONNECTIONS", "32", 0,
     "SendMessage calls one registries worker has open at once."},
    {"GATEWAY_ANSWER_MAX_AGE_S", "3600", 0,
     "A registry's answer kept from an earlier attempt older than this is asked again."},
    {"REGISTRIES_LEASE_S", "0", 0,
     "A registries round's lease on its checks, seconds (0: the round at its longest, from the "
     "gateway's timeouts, tries and connections)."},
    {"REGISTRIES_BATCH", "64", 0,
     "Applications one registries round checks (their calls concurrent, one transaction; at "
     "most 256)."},
    {"HEARING_MEANS", "видеоконференция / бейнеконференция: https://meet.licensing.gov.kz", 0,
     "How hearings before a refusal are held (told in the notice, ¶13)."},
    {"SMTP_URL", "smtp://127.0.0.1:2525", 0,
     "SMTP server for notices: smtp://host:port, or smtps:// for implicit TLS."},
    {"SMTP_STARTTLS", "0", 0, "1: require STARTTLS on smtp:// (production)."},
    {"SMTP_USER", NULL, 0, "SMTP user name (when the server needs one)."},
    {"SMTP_PASSWORD", NULL, 1, "SMTP password (or LIC_SMTP_PASSWORD_FILE)."},
    {"SMTP_FROM", "noreply@licensing.gov.kz", 0, "Sender address of notices."},
    {"SMTP_TIMEOUT_MS", "15000", 0, "Timeout of one SMTP delivery."},
    {"EXECUTOR_REVIEW", "0", 0,
     "1: the decision waits for the executor's review.completed.v1 (within the 1 WD of ¶13, "
     "operators warned before it passes); 0: the result follows the automatic checks "
     "(Standard row 4)."},
    {"REISSUE_APPROVAL_GROUNDS",
     "legal_entity_reorganized,legal_entity_location_changed,license_alienated_with_object,"
     "object_address_changed",
     0,
     "Re-registration grounds that need the agencies' approvals again (the object, its place "
     "or its holder changed); other grounds (a change of name) go straight to the decision."},
    {"REISSUE_APPROVALS_TERM", "statutory", 0,
     "A re-registration that needs the agencies (¶7: 3 WD; ¶12: their 10 WD do not fit): "
     "statutory keeps the 3-WD term, which is then exceeded - flagged at registration, "
     "breached with its incident; issue_term gives it the issue's 15 WD, announced at "
     "registration. Neither cuts the agencies' 10 WD."},
    {"METRICS_PORT", "0", 0,
     "Port of the worker's /metrics, /healthz and /readyz endpoint (0: none)."},
    {"LAG_INTERVAL_MS", "10000", 0,
     "How often the metrics endpoint refreshes the consumer lag of every group."},
    {"TIMER_BATCH", "1000", 0, "Most due timers one timer transaction fires."},
    {NULL, NULL, 0, NULL},
};

const cfg_var_t *cfg_vars(void)
{
    return vars;
}

static const cfg_var_t *find_var(const char *name)
{
    for (const cfg_var_t *v = vars; v->name; v++)
        if (strcmp(v->name, name) == 0)
            return v;
    return NULL;
}

char *cfg_read_file(const char *path, int trim, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        goto fail;
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= (64u << 20)) {
                snprintf(errstr, errstr_size, "%s: larger than 64 MiB", path);
                goto fail;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                goto fail;
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + len, 1, cap - len - 1, f);
        if (r == 0)
            break;
        len += r;
    }
    if (ferror(f)) {
        snprintf(errstr, errstr_size, "%s: read error", path);
        goto fail;
    }
    fclose(f);
    buf[len] = '\0';
    if (trim)
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
            buf[--len] = '\0';
    return buf;
fail:
    if (errstr_size && !errstr[0])
        snprintf(errstr, errstr_size, "%s: out of memory", path);
    free(buf);
    fclose(f);
    return NULL;
}

/* Secret values read from files are cached so the file is read once per process. */
#define CFG_CACHE 32
static struct {
    const char *name;
    char *value;
} cache[CFG_CACHE];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

const char *cfg_get(const char *name)
{
    const cfg_var_t *v = find_var(name);
    if (!v) {
        log_error("config variable LIC_%s is not declared in config.c", name);
#ifndef NDEBUG
        abort();
#endif
        return NULL;
    }
    char env[128];
    snprintf(env, sizeof(env), "LIC_%s", name);
    const char *val = getenv(env);
    if (val && *val) {
        if (v->secret)
            log_add_secret(val);
        return val;
    }
    if (v->secret) {
        snprintf(env, sizeof(env), "LIC_%s_FILE", name);
        const char *path = getenv(env);
        if (path && *path) {
            const char *out = NULL;
            pthread_mutex_lock(&cache_lock);
            for (int i = 0; i < CFG_CACHE; i++) {
                if (cache[i].name && strcmp(cache[i].name, name) == 0) {
                    out = cache[i].value;
                    break;
                }
                if (!cache[i].name) {
                    char err[256] = "";
                    char *content = cfg_read_file(path, 1, err, sizeof(err));
                    if (!content) {
                        log_error("cannot read secret file for LIC_%s: %s", name, err);
                        break;
                    }
                    cache[i].name = v->name;
                    cache[i].value = content;
                    log_add_secret(content);
                    out = content;
                    break;
                }
            }
            pthread_mutex_unlock(&cache_lock);
            if (out)
                return out;
        }
    }
    return v->default_val;
}

long cfg_get_long(const char *name, long fallback)
{
    const char *s = cfg_get(name);
    if (!s || !*s)
        return fallback;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end)
        return fallback;
    return v;
}

void cfg_print_markdown(FILE *out)
{
    fprintf(out, "| variable | default | meaning |\n|---|---|---|\n");
    for (const cfg_var_t *v = vars; v->name; v++)
        fprintf(out, "| `LIC_%s`%s | %s%s%s | %s |\n", v->name, v->secret ? " (or `_FILE`)" : "",
                v->default_val ? "`" : "", v->default_val ? v->default_val : "—",
                v->default_val ? "`" : "", v->doc);
    fprintf(out, "| `KAFKA_<PROPERTY>` | — | any librdkafka property, `_` for `.`, e.g. "
                 "`KAFKA_BOOTSTRAP_SERVERS` |\n");
}
