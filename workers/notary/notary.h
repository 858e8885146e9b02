/* notary: the result's document as people receive it (¶9: "signed with the EDS of the head or
 * the person replacing him") - every issued document rendered as its form's PDF, signed with
 * the head's PKCS#12 key (LIC_HEAD_KEY_FILE, its password in LIC_HEAD_KEY_PASSWORD_FILE), and
 * stored with it: the PDF, its SHA-256, the detached signature and who signed. The documents
 * are its queue (issued_documents not signed yet), claimed with FOR UPDATE SKIP LOCKED, so
 * several notaries may run; each document is signed in the transaction that stores it. SIGHUP
 * loads the key again (the person replacing the head). */
#ifndef LIC_NOTARY_H
#define LIC_NOTARY_H

#include "db.h"

typedef struct notary notary_t;

notary_t *notary_new(db_t *db, char *errstr, size_t errstr_size);
void notary_free(notary_t *n);

/* Signs up to `max` documents in one transaction: how many, or a negative db_rc_t. */
int notary_round(notary_t *n, int max);

/* Runs until a stop is requested; woken by LISTEN lic_notary. 0 on a clean stop. */
int notary_run(notary_t *n);

#endif
