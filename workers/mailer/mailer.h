/* mailer: sends the e-mail outbox (hearing notices, ¶13) over SMTP with libcurl, in Kazakh
 * and Russian, retrying with back-off. A notice counts as sent only when the server accepted
 * it: then its time is recorded and the `refusal_proposed` status event published, in one
 * transaction. The e-mail is claimed with a row lock held while the server is talked to: a
 * mailer killed mid-send releases it with its connection, and the next mailer sends it at once
 * (a crash between the server's acceptance and the commit sends the notice again: at least
 * once, never lost, never left waiting). */
#ifndef LIC_MAILER_H
#define LIC_MAILER_H

#include "db.h"

typedef struct mailer mailer_t;

mailer_t *mailer_new(db_t *db);
void mailer_free(mailer_t *m);

/* Sends what is due, one message at a time, until nothing is due. Returns how many were
 * sent, or a negative db_rc_t. */
int mailer_round(mailer_t *m);

/* Runs until a stop is requested; woken by LISTEN lic_mail. */
int mailer_run(mailer_t *m);

#endif
