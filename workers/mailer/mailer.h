/* mailer: sends the e-mail outbox (hearing notices, ¶13) over SMTP with libcurl, in Kazakh
 * and Russian, retrying with back-off. A notice counts as sent only when the server accepted
 * it: then its time is recorded and the `refusal_proposed` status event published, in one
 * transaction. (A crash between the server's acceptance and that transaction sends the notice
 * again: at least once, never lost.) */
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
