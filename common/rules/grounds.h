/* grounds: the refusal grounds of Standard row 9, per kind of application - issue (1-7),
 * re-registration (1-7), re-registration after a spin-off or split (1-3) - with the code the
 * executor raises each by (ground.raised.v1) and its wording in Kazakh and Russian. Pure. */
#ifndef LIC_GROUNDS_H
#define LIC_GROUNDS_H

typedef struct {
    const char *kind; /* issue, reissue, reissue_split */
    int number;
    const char *code;
    const char *text_kk, *text_ru;
} rg_ground_t;

/* The ground `code` of `kind`, or NULL when the kind has no such ground. */
const rg_ground_t *rg_lookup(const char *kind, const char *code);

/* The codes of `kind`, comma-separated (for the reason a wrong code is refused). */
const char *rg_codes(const char *kind);

#endif
