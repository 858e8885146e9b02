/* submitted: the decoder of the `application.submitted.v1` data (CONTRACT.md, proto/schemas)
 * into the rules' application (application.h). */
#ifndef LIC_SUBMITTED_H
#define LIC_SUBMITTED_H

#include "application.h"

#include <jansson.h>
#include <stddef.h>

/* Validates `data` against the contract and fills `app`. `subject` (may be NULL) must equal
 * application_id when given. Returns 0, or -1 with a bad-input reason in errstr. */
int app_decode(const json_t *data, const char *subject, app_t *app, char *errstr,
               size_t errstr_size);

#endif
