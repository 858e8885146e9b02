/* harness: integration tests drive real processes - the workers, the development broker -
 * against the project's PostgreSQL server. Each test gets its own database and its own
 * broker, so tests run in parallel under CTest. Waiting is always for a condition with a
 * deadline, never a bare sleep. */
#ifndef LIC_TEST_HARNESS_H
#define LIC_TEST_HARNESS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <sys/types.h>

#define H_MAX_PROCS 512

typedef struct {
    char name[64];
    char workdir[512];
    char dbname[96];
    char bootstrap[600];
    char control[600];
    char clock_file[600];
    PGconn *db; /* as the schema owner */
    rd_kafka_t *producer;
    pid_t broker;
    pid_t procs[H_MAX_PROCS];
    char proc_names[H_MAX_PROCS][32];
    int nprocs;
    int nspawned; /* processes started, for log names (slots of stopped ones are reused) */
    unsigned sim_port;
    unsigned registry_port; /* the gateway simulator (h_start_registry) */
    unsigned smtp_port;
    /* The officials of LIC_OFFICIALS_FILE (WORKDIR/officials.json), made by h_setup(): a head
     * and an executor, their key files WORKDIR/head.key and WORKDIR/executor.key. */
    unsigned char head_sk[64], executor_sk[64];
    char head_iin[13], executor_iin[13];
} h_env_t;

/* Creates the test's database (migrated), work directory and broker; sets the LIC_* and
 * KAFKA bootstrap variables the workers read. Aborts the test run on failure. */
h_env_t *h_setup(const char *name);
/* Stops every process the test started and the broker. Returns the number of problems: a
 * worker that did not exit 0 on SIGTERM, a sanitizer report in any process log. */
int h_teardown(h_env_t *h);

/* Starts a binary from the build directory (stderr/stdout to WORKDIR/NAME.N.log). */
pid_t h_spawn(h_env_t *h, const char *binary, const char *const *args);
/* Sends `sig` and waits up to timeout_ms; returns the exit code (128+signal if killed), or -1
 * on timeout (the process is then SIGKILLed). */
int h_stop(h_env_t *h, pid_t pid, int sig, int timeout_ms);

/* Produces one message and waits for its delivery report. 0 or -1. */
int h_produce(h_env_t *h, const char *topic, const char *key, const void *value, size_t len);
/* The same with one header (`header` NULL: none). */
int h_produce_header(h_env_t *h, const char *topic, const char *key, const void *value, size_t len,
                     const char *header, const char *header_value);

/* First column of the first row as a long long (-1 on error or no row). */
long long h_query_ll(h_env_t *h, const char *sql);
/* First column of the first row as a new string (NULL on error or no row); caller frees. */
char *h_query_str(h_env_t *h, const char *sql);
/* printf-style forms of h_query_ll, h_query_str and h_wait_ll. */
long long h_qf(h_env_t *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *h_qsf(h_env_t *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int h_waitf(h_env_t *h, long long expected, int timeout_ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Polls `sql` until it returns `expected` or timeout_ms pass. 1 reached, 0 not. */
int h_wait_ll(h_env_t *h, const char *sql, long long expected, int timeout_ms);

/* Reads a topic from the beginning of every partition until `count` messages arrived or
 * timeout_ms passed. Returns a JSON array of {partition, offset, key, value (string, raw),
 * headers {name: value}} (new reference). */
json_t *h_read_topic(h_env_t *h, const char *topic, int count, int timeout_ms);

/* A contract-valid application.submitted.v1 event from proto/examples with the given ids and
 * submission time (NULL keeps the example's). New reference. */
json_t *h_submission(const char *application_id, const char *event_id, const char *submitted_at);
/* Produces `n` contract-valid submissions with fresh ids, waiting for every delivery. When
 * `incomplete_every` > 0, every such n-th one has an unpaid fee (a refusal at intake).
 * Returns 0 or -1. */
int h_produce_submissions(h_env_t *h, int n, int incomplete_every);
/* The same, also recording each application id in the test database's table
 * produced_ids(application_id text) (created when missing). */
int h_produce_submissions_recorded(h_env_t *h, int n);

/* Serialises and produces an event keyed by its subject. */
int h_produce_event(h_env_t *h, const char *topic, json_t *event);

/* Produces a back-office act (`event`, stolen) on provider.actions.v1 signed by the head
 * ("head"), the executor ("executor"), or unsigned (NULL). 0 once acknowledged. */
int h_produce_act(h_env_t *h, json_t *event, const char *role);
/* The same with the signature of `sk` under the key id `key_id` (a stranger's key). */
int h_produce_signed(h_env_t *h, const char *topic, json_t *event, const char *key_id,
                     const unsigned char *sk);

/* A fresh random UUID string (static buffer rotation of 8). */
const char *h_uuid(void);

/* Queues one message without waiting (h_flush waits for all). 0 or -1. */
int h_produce_async(h_env_t *h, const char *topic, const char *key, const void *value, size_t len);
/* Waits for every queued message's delivery report. 0 if all were delivered, else -1. */
/* The oldest offset the broker keeps of a partition and the next one it will write. */
int h_watermarks(h_env_t *h, const char *topic, int partition, int64_t *lo, int64_t *hi);
int h_flush(h_env_t *h, int timeout_ms);

/* Freezes the test's clock (LIC_CLOCK_FILE) at an RFC 3339 moment. */
void h_clock_freeze(h_env_t *h, const char *rfc3339);

/* Waits until a log of `binary` (WORKDIR/BINARY.*.log) contains `text`. 1 found, 0 not.
 * Looks once at least: with timeout 0, whether it is there now. */
int h_wait_log(h_env_t *h, const char *binary, const char *text, int timeout_ms);

/* Runs `sql` as the schema owner; aborts on failure. */
void h_exec(h_env_t *h, const char *sql);

/* Starts the agency simulator; it writes WORKDIR/agencies.json, which LIC_AGENCIES_FILE then
 * names for the workers started afterwards. Returns its pid. */
pid_t h_start_sim(h_env_t *h);
/* Calls the simulator: POST /control with `body` (JSON text), or GET /stats when body is
 * NULL. Returns the answer (new reference) or NULL. */
json_t *h_sim(h_env_t *h, const char *body);
/* Starts the e-government gateway's simulator (registrysim) with deploy/registrysim's data -
 * the applicants of proto/examples - and points LIC_GATEWAY_URL at it for the workers started
 * afterwards. h_start_sim() starts it too. With LIC_TEST_GATEWAY_TLS=1 the workers are pointed
 * at its HTTPS listener instead, with a client certificate of the CA it trusts (made in
 * WORKDIR/tls, beside a stranger's client.pem/key of another CA: stranger.pem, stranger.key).
 * Returns its pid. */
pid_t h_start_registry(h_env_t *h);
/* Calls the gateway simulator: POST /control with `body`, or GET `path` ("stats", "calls")
 * when body is NULL. The answer (new reference) or NULL. */
json_t *h_registry(h_env_t *h, const char *path, const char *body);

/* Checks messages read from licensing.status.v1 (h_read_topic's array): each validates against
 * proto/schemas/status.v1.schema.json, gives its times in Asia/Almaty (+05:00), carries the
 * structured-mode content-type header and parses with the CloudEvents SDK's Kafka binding
 * (tests/proto/cloudevents). 0 when all do; otherwise the number of failures (printed). */
int h_check_status_events(h_env_t *h, json_t *msgs);

/* Starts a local SMTP sink (aiosmtpd from Debian, storing a Maildir in WORKDIR/maildir) and
 * points LIC_SMTP_URL at it for the workers started afterwards. Returns its pid. */
pid_t h_start_smtp(h_env_t *h);
/* An SMTP server that never answers: a socket listening on h->smtp_port (chosen if unset)
 * whose connections the kernel completes and nobody reads - a client waits for the greeting
 * until its own timeout. LIC_SMTP_URL points at it. Returns the socket (close() it to stop;
 * h_start_smtp() may then listen on the same port). */
int h_start_smtp_silent(h_env_t *h);
/* The messages the sink received: a JSON array of {to, subject, body} with the subject and
 * body decoded (new reference). */
json_t *h_mails(h_env_t *h);

/* GET http://127.0.0.1:PORT/PATH: the body (new string, NULL on a transport error) and the
 * HTTP status in *status. */
char *h_get(unsigned port, const char *path, long *status);
/* The interval between two polls of a condition (never a wait for something to happen). */
void h_poll_interval(int ms);
/* A free TCP port on the loopback interface. */
unsigned h_free_port(void);

/* Terminates every worker connection to the test's database (as the superuser). Returns how
 * many were terminated, or -1. */
int h_kill_db_connections(h_env_t *h);

/* A transaction left open on a connection of its own, as the schema owner: runs `sql` after
 * BEGIN (aborts on failure) and returns the connection. h_holder_wait_blocked() waits up to
 * timeout_ms until another session waits for one of its locks (1, or 0 on timeout);
 * h_holder_commit() commits and closes. */
PGconn *h_holder_begin(h_env_t *h, const char *sql);
int h_holder_wait_blocked(h_env_t *h, PGconn *holder, int timeout_ms);
void h_holder_commit(PGconn *holder);

/* Runs the development broker's control command. 0 ok. */
int h_broker(h_env_t *h, const char *command);

#endif
