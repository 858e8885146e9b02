/* approvalctl: the operator tool. Each command group lives in its own cmd_*.c file. */
#ifndef LIC_APPROVALCTL_H
#define LIC_APPROVALCTL_H

#include <stddef.h>

/* `approvalctl calendar ...`; argv starts after "calendar". Returns the exit code. */
int cmd_calendar(int argc, char **argv);

/* `approvalctl produce|consume ...`; argv starts after the command. */
int cmd_produce(int argc, char **argv);
int cmd_consume(int argc, char **argv);

/* Operators' views (cmd_apps.c): applications, one application, at-risk, dead letters. */
int cmd_applications(int argc, char **argv);
int cmd_app(int argc, char **argv);
int cmd_at_risk(int argc, char **argv);
int cmd_dead_letters(int argc, char **argv);
/* `approvalctl outbox [release|discard ID]`: rows the relay set aside. */
int cmd_outbox(int argc, char **argv);
/* `approvalctl lag`: consumer lag with Burrow's statuses (cmd_lag.c). */
int cmd_lag(int argc, char **argv);

/* Produces one message (headers: name, value pairs, NULL-terminated) and waits for the
 * broker's acknowledgement. 0, or -1 with err. */
int ctl_produce(const char *topic, const char *key, const void *value, size_t len,
                const char *const *headers, char *err, size_t err_size);

/* `approvalctl official keygen`, `approvalctl act hearing|complaint` (cmd_acts.c). */
int cmd_official(int argc, char **argv);
int cmd_act(int argc, char **argv);
/* Signs msg with an official's key file: its key id and the base64 signature. 0 or -1. */
int ctl_sign(const char *key_file, const void *msg, size_t len, char *key_id, size_t key_id_size,
             char *sig, size_t sig_size);

/* `approvalctl document render|verify` (cmd_documents.c). */
int cmd_document(int argc, char **argv);

/* `approvalctl import-licenses FILE.csv`. */
int cmd_import_licenses(int argc, char **argv);

/* The workers' database (DB_URL) in Asia/Almaty, or NULL after saying why on stderr. */
struct db;
struct db *ctl_open_db(void);

/* 1 if `flag` is among argv. */
int ctl_has_flag(int argc, char **argv, const char *flag);
/* The value after `--name`, or NULL. */
const char *ctl_option(int argc, char **argv, const char *name);

#endif
