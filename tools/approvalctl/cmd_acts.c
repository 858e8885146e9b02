/* approvalctl official / act: the back office's side of signed acts (CONTRACT.md). `official
 * keygen` makes an official's Ed25519 key (the secret in a 0600 file, the public entry for
 * LIC_OFFICIALS_FILE on stdout); `act hearing|complaint|ground|review` make the act's CloudEvent,
 * sign it with the official's key and put it on provider.actions.v1 - so that an operator or a test
 * never hand-crafts one. `produce --sign KEY` signs any message the same way. */
#include "approvalctl.h"
#include "clock.h"
#include "event.h"
#include "kafka.h"
#include "officials.h"
#include "util.h"

#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ctl_sign(const char *key_file, const void *msg, size_t len, char *key_id, size_t key_id_size,
             char *sig, size_t sig_size)
{
    unsigned char sk[SG_SECRET_KEY_BYTES];
    char err[300];
    if (of_key_load(key_file, key_id, key_id_size, sk, err, sizeof(err))) {
        fprintf(stderr, "approvalctl: %s\n", err);
        return -1;
    }
    int rc = sg_sign(sk, msg, len, sig, sig_size);
    sodium_memzero(sk, sizeof(sk));
    return rc;
}

static int keygen(int argc, char **argv)
{
    const char *kid = ctl_option(argc, argv, "--key-id"), *iin = ctl_option(argc, argv, "--iin"),
               *name = ctl_option(argc, argv, "--name"), *role = ctl_option(argc, argv, "--role"),
               *out = ctl_option(argc, argv, "--key-out");
    if (!kid || !iin || !name || !role || !out ||
        (strcmp(role, "executor") != 0 && strcmp(role, "head") != 0)) {
        fprintf(stderr,
                "usage: approvalctl official keygen --key-id ID --iin IIN --name 'FULL NAME'"
                " --role executor|head --key-out FILE\n");
        return 2;
    }
    unsigned char pk[SG_PUBLIC_KEY_BYTES], sk[SG_SECRET_KEY_BYTES];
    char pk64[64], sk64[100];
    if (sodium_init() < 0 || crypto_sign_keypair(pk, sk) != 0 ||
        sg_b64_encode(pk, sizeof(pk), pk64, sizeof(pk64)) ||
        sg_b64_encode(sk, sizeof(sk), sk64, sizeof(sk64))) {
        fprintf(stderr, "approvalctl official keygen: cannot make a key\n");
        return 1;
    }
    sodium_memzero(sk, sizeof(sk));
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600); /* never over another's key */
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    json_t *key = json_pack("{s:s,s:s}", "key_id", kid, "secret_key", sk64);
    sodium_memzero(sk64, sizeof(sk64));
    int bad = !f || json_dumpf(key, f, JSON_INDENT(2)) != 0;
    json_decref(key);
    if (f)
        bad |= fclose(f) != 0;
    else if (fd >= 0)
        close(fd);
    if (bad) {
        fprintf(stderr, "approvalctl official keygen: cannot write %s (it must not exist)\n", out);
        return 1;
    }
    json_t *entry = json_pack("{s:s,s:s,s:s,s:s,s:s}", "key_id", kid, "public_key", pk64, "iin",
                              iin, "full_name", name, "role", role);
    json_dumpf(entry, stdout, JSON_INDENT(2));
    printf("\n");
    json_decref(entry);
    return 0;
}

int cmd_official(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "keygen") == 0)
        return keygen(argc - 1, argv + 1);
    fprintf(stderr, "usage: approvalctl official keygen ...\n");
    return 2;
}

/* Signs and produces one act; 0 when the broker acknowledged it. */
static int send_act(const char *key_file, const char *type, const char *subject, json_t *data)
{
    char at[40], id[UUID_STR_LEN];
    util_uuid_v4(id);
    util_rfc3339_utc(clock_now(), at, sizeof(at));
    json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "specversion", "1.0", "id", id,
                           "source", "/provider/back-office", "type", type, "subject", subject,
                           "time", at, "datacontenttype", "application/json", "data", data);
    char *value = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    char kid[80], sig[128];
    if (!value || ctl_sign(key_file, value, strlen(value), kid, sizeof(kid), sig, sizeof(sig))) {
        free(value);
        return 1;
    }
    const char *headers[] = {"x-key-id", kid, "x-signature", sig, NULL};
    char err[300];
    int rc = ctl_produce(TOPIC_PROVIDER_ACTIONS, subject, value, strlen(value), headers, err,
                         sizeof(err));
    if (rc)
        fprintf(stderr, "approvalctl act: %s\n", err);
    else
        printf("%s %s signed with %s, delivered to %s\n", type, id, kid, TOPIC_PROVIDER_ACTIONS);
    free(value);
    return rc ? 1 : 0;
}

/* `act ground --key F APP CODE --facts-kk T --facts-ru T [--evidence KIND:ID:SHA256]...` */
static int act_ground(const char *key, const char *app, const char *code, int argc, char **argv)
{
    const char *kk = ctl_option(argc, argv, "--facts-kk"),
               *ru = ctl_option(argc, argv, "--facts-ru");
    if (!kk || !ru) {
        fprintf(stderr, "approvalctl act ground: --facts-kk and --facts-ru are required\n");
        return 2;
    }
    json_t *evidence = json_array();
    for (int i = 0; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--evidence") != 0)
            continue;
        char buf[400], *save = NULL;
        snprintf(buf, sizeof(buf), "%s", argv[i + 1]);
        const char *kind = strtok_r(buf, ":", &save), *id = strtok_r(NULL, ":", &save),
                   *sha = strtok_r(NULL, ":", &save);
        if (!kind || !id || !sha) {
            fprintf(stderr, "approvalctl act ground: --evidence is KIND:ID:SHA256\n");
            json_decref(evidence);
            return 2;
        }
        json_array_append_new(evidence,
                              json_pack("{s:s,s:s,s:s}", "kind", kind, "id", id, "sha256", sha));
    }
    json_t *data = json_pack("{s:s,s:s,s:{s:s,s:s},s:o}", "application_id", app, "ground", code,
                             "facts", "kk", kk, "ru", ru, "evidence", evidence);
    return send_act(key, EV_TYPE_GROUND_RAISED, app, data);
}

int cmd_act(int argc, char **argv)
{
    const char *key = ctl_option(argc, argv, "--key"), *notes = ctl_option(argc, argv, "--notes");
    const char *pos[4] = {0};
    int np = 0;
    for (int i = 1; i < argc && np < 4; i++) {
        if (argv[i][0] == '-' && argv[i][1] == '-') {
            i++;
            continue;
        }
        pos[np++] = argv[i];
    }
    const char *what = argc >= 1 ? argv[0] : "";
    int hearing = strcmp(what, "hearing") == 0, complaint = strcmp(what, "complaint") == 0,
        ground = strcmp(what, "ground") == 0, review = strcmp(what, "review") == 0;
    if (!key ||
        np != (review   ? 1
               : ground ? 2
                        : 3) ||
        !(hearing || complaint || ground || review)) {
        fprintf(stderr, "usage: approvalctl act hearing --key KEYFILE APPLICATION HEARING"
                        " refusal_confirmed|refusal_withdrawn [--notes TEXT]\n"
                        "       approvalctl act complaint --key KEYFILE APPLICATION COMPLAINT"
                        " satisfied|rejected|forwarded [--notes TEXT]\n"
                        "       approvalctl act ground --key KEYFILE APPLICATION CODE"
                        " --facts-kk TEXT --facts-ru TEXT [--evidence KIND:ID:SHA256]...\n"
                        "       approvalctl act review --key KEYFILE APPLICATION"
                        " [--special-conditions-kk TEXT --special-conditions-ru TEXT]\n");
        return 2;
    }
    if (ground)
        return act_ground(key, pos[0], pos[1], argc, argv);
    if (review) { /* the executor's review found no ground (LIC_EXECUTOR_REVIEW) */
        const char *kk = ctl_option(argc, argv, "--special-conditions-kk"),
                   *ru = ctl_option(argc, argv, "--special-conditions-ru");
        if (!kk != !ru) {
            fprintf(stderr, "approvalctl act review: special conditions in both languages or "
                            "neither\n");
            return 2;
        }
        json_t *data = json_pack("{s:s,s:s}", "application_id", pos[0], "result", "no_grounds");
        if (kk)
            json_object_set_new(data, "special_conditions",
                                json_pack("{s:s,s:s}", "kk", kk, "ru", ru));
        return send_act(key, EV_TYPE_REVIEW_COMPLETED, pos[0], data);
    }
    json_t *data = json_pack("{s:s,s:s,s:s}", "application_id", pos[0],
                             hearing ? "hearing_id" : "complaint_id", pos[1], "outcome", pos[2]);
    if (notes)
        json_object_set_new(data, "notes", json_string(notes));
    return send_act(key, hearing ? EV_TYPE_HEARING_CONCLUDED : EV_TYPE_COMPLAINT_RESOLVED, pos[0],
                    data);
}
