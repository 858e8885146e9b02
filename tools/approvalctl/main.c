/* approvalctl: operator tool - migrations, configuration, calendar, clock. */
#include "approvalctl.h"
#include "cal.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "messages.h"
#include "migrate.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ctl_has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return 1;
    return 0;
}

const char *ctl_option(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static int cmd_migrate(void)
{
    char err[1024];
    db_t *db = db_open_once(cfg_get("DB_ADMIN_URL"), cfg_get("DB_ADMIN_PASSWORD"),
                            "approvalctl-migrate", err, sizeof(err));
    if (!db) {
        fprintf(stderr, "approvalctl migrate: %s\n", err);
        return 1;
    }
    int n = mig_apply(db, err, sizeof(err));
    db_close(db);
    if (n < 0) {
        fprintf(stderr, "approvalctl migrate: %s\n", err);
        return 1;
    }
    printf("schema at version %d (%d migration%s applied)\n", mig_latest_version(), n,
           n == 1 ? "" : "s");
    return 0;
}

static int cmd_clock(int argc, char **argv)
{
    const char *path = cfg_get("CLOCK_FILE");
    if (!path) {
        fprintf(stderr, "approvalctl clock: LIC_CLOCK_FILE is not set (production uses real "
                        "time)\n");
        return 2;
    }
    clock_use_file(path);
    char err[256];
    if (argc >= 2 && strcmp(argv[0], "set") == 0) {
        time_t t;
        if (util_rfc3339_parse(argv[1], &t)) {
            fprintf(stderr, "approvalctl clock set: need an RFC 3339 moment\n");
            return 2;
        }
        if (clock_write_file(path, 1, t, err, sizeof(err)))
            goto fail;
    } else if (argc >= 2 && strcmp(argv[0], "advance") == 0) {
        char *end;
        long long v = strtoll(argv[1], &end, 10);
        long long mult = *end == 'd' ? 86400 : *end == 'h' ? 3600 : *end == 'm' ? 60 : 1;
        if (v <= 0 || (*end && end[1])) {
            fprintf(stderr, "approvalctl clock advance: N[s|m|h|d]\n");
            return 2;
        }
        /* Keep the file's mode: a frozen clock stays frozen, an offset stays an offset. */
        FILE *f = fopen(path, "r");
        char buf[64] = "";
        if (f) {
            if (!fgets(buf, sizeof(buf), f))
                buf[0] = '\0';
            fclose(f);
        }
        time_t frozen;
        buf[strcspn(buf, "\n")] = '\0';
        int is_frozen = util_rfc3339_parse(buf, &frozen) == 0;
        time_t value = is_frozen ? frozen + (time_t)(v * mult) : (time_t)(atoll(buf) + v * mult);
        if (clock_write_file(path, is_frozen, value, err, sizeof(err)))
            goto fail;
    } else if (argc >= 1 && strcmp(argv[0], "real") == 0) {
        if (clock_write_file(path, 0, 0, err, sizeof(err)))
            goto fail;
    } else if (!(argc == 0 || strcmp(argv[0], "show") == 0)) {
        fprintf(stderr, "usage: approvalctl clock [show | set RFC3339 | advance N[s|m|h|d] | "
                        "real]\n");
        return 2;
    }
    time_t now = clock_now();
    clock_tz_init();
    char ts[40];
    cal_format(now, ts, sizeof(ts));
    printf("%s\n", ts);
    return 0;
fail:
    fprintf(stderr, "approvalctl clock: %s\n", err);
    return 1;
}

/* Runs the workers' own decoders over message files (one CloudEvent per file, "-" for
 * stdin): what a worker would accept, or the reason it would dead-letter the message. */
static int cmd_validate(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: approvalctl validate FILE|- ...\n");
        return 2;
    }
    int bad = 0;
    for (int i = 0; i < argc; i++) {
        FILE *f = strcmp(argv[i], "-") == 0 ? stdin : fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "approvalctl validate: cannot open %s\n", argv[i]);
            return 2;
        }
        static char buf[2 * 1024 * 1024];
        size_t n = fread(buf, 1, sizeof(buf), f);
        if (f != stdin)
            fclose(f);
        char type[128], err[512];
        if (msg_validate(buf, n, type, sizeof(type), err, sizeof(err)) == 0) {
            printf("%s: valid %s\n", argv[i], type);
        } else {
            printf("%s: rejected: %s\n", argv[i], err);
            bad++;
        }
    }
    return bad ? 1 : 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: approvalctl COMMAND ...\n"
            "  migrate                        apply the numbered SQL migrations (owner role)\n"
            "  config [--markdown]            the configuration variables\n"
            "  calendar day YYYY-MM-DD [--json]\n"
            "  calendar deadlines --kind issue|reissue|reissue_split --submitted-at RFC3339 "
            "[--json]\n"
            "  calendar add --from RFC3339 --working-days N [--json]\n"
            "  calendar years [--json]\n"
            "  calendar diff OLD NEW [--json]  days that differ, pending deadlines each moves\n"
            "  calendar apply FILE [--json]   validate, install, move the deadlines it changes\n"
            "  lag [--json] [--samples N] [--interval-ms MS]   consumer lag, Burrow statuses\n"
            "  applications [--json]          every application, WD used of its term\n"
            "  app ID|PORTAL_REF [--json]     one application: history, deadlines, agencies\n"
            "  at-risk [--within N] [--json]  deadlines within N working days (default 2)\n"
            "  dead-letters [--json]          bad input with its reasons\n"
            "  dead-letters replay ID|FROM-TO send them again to their source topics\n"
            "  outbox [--json]                rows Kafka refused, set aside by the relay\n"
            "  outbox release|discard ID      publish it again, or never\n"
            "  import-licenses FILE.csv       licenses issued before this system (register)\n"
            "  produce --topic T [--key K] [--sign KEYFILE] FILE|- ...   one message per file\n"
            "  official keygen --key-id ID --iin IIN --name NAME --role executor|head --key-out F\n"
            "  act hearing --key F APP HEARING refusal_confirmed|refusal_withdrawn [--notes T]\n"
            "  act complaint --key F APP COMPLAINT satisfied|rejected|forwarded [--notes T]\n"
            "  act ground --key F APP CODE --facts-kk T --facts-ru T [--evidence K:ID:SHA]...\n"
            "  act review --key F APP [--special-conditions-kk T --special-conditions-ru T]\n"
            "                                    the executor's review found no ground\n"
            "  document render NUMBER --pdf OUT [--p7s OUT --key P12 --password-file F]\n"
            "  document get NUMBER --pdf OUT [--p7s OUT]   as stored, signed by the notary\n"
            "  document verify PDF P7S --ca CA.pem [--number N]   the head's signature (and the\n"
            "                                 register's SHA-256 of N), as anyone checks it\n"
            "  consume --topic T [--count N] [--timeout-ms MS]   read a topic from the start\n"
            "  validate FILE|- ...            decode messages as the workers do\n"
            "  clock [show | set RFC3339 | advance N[s|m|h|d] | real]   test and demo clock\n");
}

int main(int argc, char **argv)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init("approvalctl",
             getenv("LIC_LOG_LEVEL") && level >= 0 ? (log_level_t)level : LOG_LEVEL_WARN);
    if (argc < 2) {
        usage();
        return 2;
    }
    if (strcmp(argv[1], "migrate") == 0)
        return cmd_migrate();
    if (strcmp(argv[1], "config") == 0) {
        cfg_print_markdown(stdout);
        return 0;
    }
    if (strcmp(argv[1], "calendar") == 0)
        return cmd_calendar(argc - 2, argv + 2);
    if (strcmp(argv[1], "lag") == 0)
        return cmd_lag(argc - 2, argv + 2);
    if (strcmp(argv[1], "applications") == 0)
        return cmd_applications(argc - 2, argv + 2);
    if (strcmp(argv[1], "app") == 0)
        return cmd_app(argc - 2, argv + 2);
    if (strcmp(argv[1], "at-risk") == 0)
        return cmd_at_risk(argc - 2, argv + 2);
    if (strcmp(argv[1], "dead-letters") == 0)
        return cmd_dead_letters(argc - 2, argv + 2);
    if (strcmp(argv[1], "outbox") == 0)
        return cmd_outbox(argc - 2, argv + 2);
    if (strcmp(argv[1], "import-licenses") == 0)
        return cmd_import_licenses(argc - 2, argv + 2);
    if (strcmp(argv[1], "produce") == 0)
        return cmd_produce(argc - 2, argv + 2);
    if (strcmp(argv[1], "official") == 0)
        return cmd_official(argc - 2, argv + 2);
    if (strcmp(argv[1], "act") == 0)
        return cmd_act(argc - 2, argv + 2);
    if (strcmp(argv[1], "document") == 0)
        return cmd_document(argc - 2, argv + 2);
    if (strcmp(argv[1], "consume") == 0)
        return cmd_consume(argc - 2, argv + 2);
    if (strcmp(argv[1], "validate") == 0)
        return cmd_validate(argc - 2, argv + 2);
    if (strcmp(argv[1], "clock") == 0)
        return cmd_clock(argc - 2, argv + 2);
    usage();
    return 2;
}
