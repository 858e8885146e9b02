/* config: process configuration from environment variables.
 * Every variable the system reads is declared once in the table in config.c (name, default,
 * meaning); `approvalctl config` prints that table, and the README's reference is made from
 * it. Variables are LIC_<NAME>; a secret may instead be given as LIC_<NAME>_FILE, naming a
 * file that holds it. librdkafka properties pass through unchanged as KAFKA_<PROPERTY>
 * (KAFKA_BOOTSTRAP_SERVERS -> bootstrap.servers). */
#ifndef LIC_CONFIG_H
#define LIC_CONFIG_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *name;        /* without the LIC_ prefix */
    const char *default_val; /* NULL: no default */
    int secret;              /* 1: may be given as LIC_<name>_FILE; never logged */
    const char *doc;
} cfg_var_t;

/* The table of every variable, terminated by a zero entry. Borrowed, static. */
const cfg_var_t *cfg_vars(void);

/* The value of LIC_<name>, or of the file LIC_<name>_FILE names (secrets, trailing newline
 * removed), or the table's default. Returns a pointer valid until the next call with the same
 * name (values are cached per process); NULL when unset with no default. Names missing from
 * the table abort in debug builds: an undocumented variable is a bug. */
const char *cfg_get(const char *name);

/* cfg_get() parsed as a long integer; `fallback` when unset or not a number. */
long cfg_get_long(const char *name, long fallback);

/* Writes the variables table as Markdown (for the README) to `out`. */
void cfg_print_markdown(FILE *out);

/* Reads a whole small file into a new NUL-terminated buffer the caller frees. Trailing
 * whitespace is removed when `trim` is set. NULL on error, with errstr filled. */
char *cfg_read_file(const char *path, int trim, char *errstr, size_t errstr_size);

#endif
