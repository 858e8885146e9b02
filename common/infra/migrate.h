/* migrate: the numbered SQL migrations (common/migrations/NNN_name.sql), embedded in the
 * binary at build time, applied in order under an advisory lock and recorded in
 * schema_migrations; applying them again is a no-op. */
#ifndef LIC_MIGRATE_H
#define LIC_MIGRATE_H

#include "db.h"

typedef struct {
    int version;
    const char *name;
    const char *sql;
} mig_migration_t;

extern const mig_migration_t mig_migrations[];
extern const int mig_migration_count;

/* Applies every migration not yet recorded, each in its own transaction. Needs a role that
 * owns the schema. Returns the number applied (>= 0), or -1 with errstr. */
int mig_apply(db_t *db, char *errstr, size_t errstr_size);

/* The newest version the binary knows. */
int mig_latest_version(void);

/* The newest version recorded in the database (0 when none), or -1 on error. */
int mig_db_version(db_t *db);

/* Blocks (with back-off, until a stop is requested) until the database has at least the
 * binary's latest version: workers start before or alongside `approvalctl migrate`.
 * 0 when ready, -1 when stopped. */
int mig_wait_ready(db_t *db);

#endif
