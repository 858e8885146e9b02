/* devbroker: the Kafka development broker for tests and the demo.
 * A cluster from librdkafka's mock API (rdkafka_mock.h): the real Kafka wire protocol,
 * consumer groups, idempotent producers. It creates the contract's topics, writes its
 * bootstrap address to a file, and takes fault-injection commands on a UNIX socket:
 *
 *   devbroker serve --bootstrap-file F --control SOCK [--brokers 3] [--partitions N]
 *   devbroker ctl SOCK 'COMMAND'
 *
 * Commands (one per connection, answer "ok" or "error: ..."):
 *   broker down ID | broker up ID          take a broker off / back on the network
 *   rtt ID MS                              add round-trip latency to a broker
 *   leader TOPIC PARTITION ID              move a partition's leadership
 *   error API CODE COUNT                   the next COUNT requests of API (Produce, Fetch,
 *                                          OffsetCommit, ... or a number) fail with CODE
 *   clear API                              drop queued request errors of API
 *   topic NAME PARTITIONS                  create another topic
 *   stop                                   shut the broker down
 */
#include "config.h"
#include "event.h"
#include "log.h"
#include "signals.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *const contract_topics[] = {
    TOPIC_APPLICATIONS,     TOPIC_COMPLAINTS, TOPIC_REPLIES_INDUSTRIAL, TOPIC_REPLIES_SANITARY,
    TOPIC_PROVIDER_ACTIONS, TOPIC_STATUS,     TOPIC_DEAD_LETTER,
};

static const struct {
    const char *name;
    int16_t key;
} apis[] = {{"Produce", 0},          {"Fetch", 1},        {"ListOffsets", 2},
            {"Metadata", 3},         {"OffsetCommit", 8}, {"OffsetFetch", 9},
            {"FindCoordinator", 10}, {"JoinGroup", 11},   {"Heartbeat", 12},
            {"LeaveGroup", 13},      {"SyncGroup", 14},   {"InitProducerId", 22}};

static int api_key(const char *s)
{
    for (size_t i = 0; i < sizeof(apis) / sizeof(apis[0]); i++)
        if (strcasecmp(s, apis[i].name) == 0)
            return apis[i].key;
    char *end;
    long v = strtol(s, &end, 10);
    return (*end || v < 0 || v > 100) ? -1 : (int)v;
}

static int error_code(const char *s)
{
    /* A number, or a librdkafka error name without the RD_KAFKA_RESP_ERR_ prefix. */
    char *end;
    long v = strtol(s, &end, 10);
    if (!*end)
        return (int)v;
    const struct rd_kafka_err_desc *descs;
    size_t cnt;
    rd_kafka_get_err_descs(&descs, &cnt);
    for (size_t i = 0; i < cnt; i++)
        if (descs[i].name && strcasecmp(descs[i].name, s) == 0)
            return descs[i].code;
    return -10000;
}

static void command(rd_kafka_mock_cluster_t *mc, char *line, char *out, size_t outsz)
{
    char *argv[8] = {0};
    int argc = 0;
    for (char *save = NULL, *t = strtok_r(line, " \t\r\n", &save); t && argc < 8;
         t = strtok_r(NULL, " \t\r\n", &save))
        argv[argc++] = t;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (argc == 3 && strcmp(argv[0], "broker") == 0 && strcmp(argv[1], "down") == 0) {
        err = rd_kafka_mock_broker_set_down(mc, atoi(argv[2]));
    } else if (argc == 3 && strcmp(argv[0], "broker") == 0 && strcmp(argv[1], "up") == 0) {
        err = rd_kafka_mock_broker_set_up(mc, atoi(argv[2]));
    } else if (argc == 3 && strcmp(argv[0], "rtt") == 0) {
        err = rd_kafka_mock_broker_set_rtt(mc, atoi(argv[1]), atoi(argv[2]));
    } else if (argc == 4 && strcmp(argv[0], "leader") == 0) {
        err = rd_kafka_mock_partition_set_leader(mc, argv[1], atoi(argv[2]), atoi(argv[3]));
    } else if (argc == 4 && strcmp(argv[0], "error") == 0) {
        int key = api_key(argv[1]);
        int code = error_code(argv[2]);
        int cnt = atoi(argv[3]);
        if (key < 0 || code == -10000 || cnt < 1 || cnt > 1000) {
            snprintf(out, outsz, "error: usage: error API CODE COUNT\n");
            return;
        }
        rd_kafka_resp_err_t *errs = malloc(sizeof(*errs) * (size_t)cnt);
        for (int i = 0; i < cnt; i++)
            errs[i] = (rd_kafka_resp_err_t)code;
        rd_kafka_mock_push_request_errors_array(mc, (int16_t)key, (size_t)cnt, errs);
        free(errs);
    } else if (argc == 2 && strcmp(argv[0], "clear") == 0) {
        int key = api_key(argv[1]);
        if (key < 0) {
            snprintf(out, outsz, "error: unknown API\n");
            return;
        }
        rd_kafka_mock_clear_request_errors(mc, (int16_t)key);
    } else if (argc == 3 && strcmp(argv[0], "topic") == 0) {
        err = rd_kafka_mock_topic_create(mc, argv[1], atoi(argv[2]), 1);
    } else if (argc == 1 && strcmp(argv[0], "stop") == 0) {
        sig_request_stop();
    } else {
        snprintf(out, outsz, "error: unknown command\n");
        return;
    }
    if (err)
        snprintf(out, outsz, "error: %s\n", rd_kafka_err2str(err));
    else
        snprintf(out, outsz, "ok\n");
}

static int serve(const char *bootstrap_file, const char *control, int brokers, int partitions)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        log_error("rd_kafka_new: %s", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        log_error("cannot create the mock cluster");
        rd_kafka_destroy(rk);
        return 1;
    }
    for (size_t i = 0; i < sizeof(contract_topics) / sizeof(contract_topics[0]); i++)
        rd_kafka_mock_topic_create(mc, contract_topics[i], partitions, brokers >= 3 ? 3 : brokers);

    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", control);
    unlink(control);
    if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) || listen(sock, 8)) {
        log_error("control socket %s: %s", control, strerror(errno));
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 1;
    }
    /* Written last and atomically: its presence means the broker is ready. */
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s.tmp", bootstrap_file);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", rd_kafka_mock_cluster_bootstraps(mc)) < 0 || fclose(f) ||
        rename(tmp, bootstrap_file)) {
        log_error("cannot write %s", bootstrap_file);
        return 1;
    }
    log_info("development broker ready at %s (%d brokers, %d partitions per topic)",
             rd_kafka_mock_cluster_bootstraps(mc), brokers, partitions);

    while (!sig_stop_requested()) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(sock, &fds);
        struct timeval tv = {0, 200000};
        if (select(sock + 1, &fds, NULL, NULL, &tv) <= 0)
            continue;
        int c = accept(sock, NULL, NULL);
        if (c < 0)
            continue;
        char line[512];
        ssize_t n = read(c, line, sizeof(line) - 1);
        if (n > 0) {
            line[n] = '\0';
            char out[256];
            command(mc, line, out, sizeof(out));
            if (write(c, out, strlen(out)) < 0)
                log_warn("control reply: %s", strerror(errno));
            log_info("control: %s", out);
        }
        close(c);
    }
    close(sock);
    unlink(control);
    unlink(bootstrap_file);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    log_info("development broker stopped");
    return 0;
}

static int ctl(const char *control, const char *cmd)
{
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", control);
    if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr))) {
        fprintf(stderr, "devbroker: %s: %s\n", control, strerror(errno));
        return 2;
    }
    if (write(sock, cmd, strlen(cmd)) < 0) {
        close(sock);
        return 2;
    }
    shutdown(sock, SHUT_WR);
    char out[256];
    ssize_t n = read(sock, out, sizeof(out) - 1);
    close(sock);
    if (n <= 0)
        return 2;
    out[n] = '\0';
    fputs(out, stdout);
    return strncmp(out, "ok", 2) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    log_init("devbroker", LOG_LEVEL_INFO);
    if (argc >= 4 && strcmp(argv[1], "ctl") == 0)
        return ctl(argv[2], argv[3]);
    if (argc >= 2 && strcmp(argv[1], "serve") == 0) {
        const char *bootstrap = NULL, *control = NULL;
        int brokers = 3, partitions = (int)cfg_get_long("PARTITIONS", 6);
        for (int i = 2; i + 1 < argc; i += 2) {
            if (strcmp(argv[i], "--bootstrap-file") == 0)
                bootstrap = argv[i + 1];
            else if (strcmp(argv[i], "--control") == 0)
                control = argv[i + 1];
            else if (strcmp(argv[i], "--brokers") == 0)
                brokers = atoi(argv[i + 1]);
            else if (strcmp(argv[i], "--partitions") == 0)
                partitions = atoi(argv[i + 1]);
        }
        if (bootstrap && control && brokers >= 1 && partitions >= 1) {
            sig_install();
            return serve(bootstrap, control, brokers, partitions);
        }
    }
    fprintf(stderr, "usage: devbroker serve --bootstrap-file FILE --control SOCKET"
                    " [--brokers N] [--partitions N]\n"
                    "       devbroker ctl SOCKET 'COMMAND'\n");
    return 2;
}
