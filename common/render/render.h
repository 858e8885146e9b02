/* render: a document of store/documents.c - the JSON of Appendix 2 (reasoned refusal) or
 * Appendix 3 forms 1 and 2 (license, annex) - as a PDF with every field of its form in Kazakh
 * and Russian: laid out by Pango on Cairo's PDF surface (fontconfig finds the font), long text
 * wrapped and flowed onto further pages line by line so that nothing is cut, and a QR code
 * (libqrencode) of the document's verification address. No database, no signature. */
#ifndef LIC_RENDER_H
#define LIC_RENDER_H

#include <jansson.h>
#include <stddef.h>

/* The verification address of document `number` under `base` (LIC_DOCUMENTS_BASE_URL), into
 * out; the number's "/" (an annex) is kept, the rest percent-encoded. */
void rd_verify_url(const char *base, const char *number, char *out, size_t size);

/* Renders `doc` into a new PDF (*pdf, *len; free() it). 0, or -1 with the reason in err (a
 * document of an unknown kind, a library failure). */
int rd_render_pdf(const json_t *doc, const char *verify_url, unsigned char **pdf, size_t *len,
                  char *err, size_t err_size);

#endif
