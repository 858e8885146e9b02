/* approvalctl import-licenses: brings licenses issued before this system into its register,
 * so they can be re-registered. Input: CSV (RFC 4180, UTF-8) with the header
 *   number,holder_type,holder_id,holder_name,first_issued_on
 * holder_type individual|legal_entity, holder_id the IIN/BIN, first_issued_on YYYY-MM-DD.
 * Every row is checked first; nothing is imported unless all are valid. Importing the same
 * file again changes nothing (existing numbers are kept). */
#include "approvalctl.h"
#include "approvalctl_sql.h"
#include "config.h"
#include "db.h"
#include "domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 8

/* Splits one CSV record (quotes, doubled quotes) in place. Returns the number of fields. */
static int csv_split(char *line, char **fields)
{
    int n = 0;
    char *p = line, *out = line;
    while (n < MAX_FIELDS) {
        fields[n++] = out;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else if (!*p) {
                    break;
                } else {
                    *out++ = *p++;
                }
            }
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        if (*p != ',') {
            *out = '\0';
            break;
        }
        p++;
        *out = '\0';
        out = p;
    }
    return n;
}

int cmd_import_licenses(int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: approvalctl import-licenses FILE.csv\n");
        return 2;
    }
    FILE *f = fopen(argv[0], "r");
    if (!f) {
        fprintf(stderr, "approvalctl import-licenses: cannot open %s\n", argv[0]);
        return 2;
    }
    char err[1024];
    db_t *db = db_open_once(cfg_get("DB_ADMIN_URL"), cfg_get("DB_ADMIN_PASSWORD"),
                            "approvalctl-import", err, sizeof(err));
    if (!db) {
        fprintf(stderr, "approvalctl import-licenses: %s\n", err);
        fclose(f);
        return 1;
    }
    char line[4096];
    int lineno = 0, bad = 0, imported = 0, kept = 0;
    db_rc_t rc = db_begin(db);
    while (rc == DB_OK && fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (lineno == 1 || !line[0])
            continue; /* the header */
        char *fl[MAX_FIELDS];
        int n = csv_split(line, fl);
        const char *why = NULL;
        if (n != 5)
            why = "5 fields expected";
        else if (!fl[0][0])
            why = "no license number";
        else if (strcmp(fl[1], "individual") != 0 && strcmp(fl[1], "legal_entity") != 0)
            why = "holder_type must be individual or legal_entity";
        else if (!dom_iin_bin_valid(fl[2]))
            why = "holder_id is not a valid IIN/BIN (check digit)";
        else if (!fl[3][0])
            why = "no holder name";
        else if (strlen(fl[4]) != 10 || fl[4][4] != '-' || fl[4][7] != '-')
            why = "first_issued_on must be YYYY-MM-DD";
        if (why) {
            fprintf(stderr, "%s:%d: %s\n", argv[0], lineno, why);
            bad++;
            continue;
        }
        const char *p[] = {fl[0], fl[1], fl[2], fl[3], fl[4]};
        PGresult *r = db_query(db, sql_cmd_import_licenses_with_license_versions, 5, p, &rc);
        if (!r)
            break;
        if (atoi(PQcmdTuples(r)) == 1)
            imported++;
        else
            kept++;
        PQclear(r);
    }
    fclose(f);
    if (rc != DB_OK || bad) {
        db_rollback(db);
        db_close(db);
        fprintf(stderr, "approvalctl import-licenses: nothing imported (%d invalid row%s%s)\n", bad,
                bad == 1 ? "" : "s", rc != DB_OK ? ", database error" : "");
        return 1;
    }
    rc = db_commit(db);
    db_close(db);
    if (rc != DB_OK)
        return 1;
    printf("%d license%s imported, %d already in the register\n", imported,
           imported == 1 ? "" : "s", kept);
    return 0;
}
