/* registry: what the state registries' answers (¶10) prove - the refusal grounds of Standard
 * row 9 they give, each with its rule and the facts quoted in Kazakh and Russian. Pure: the
 * answers are the JSON objects of gateway.h, the application the facts below. A ground leads
 * to the hearing of ¶13, never straight to a refusal. */
#ifndef LIC_REGISTRY_H
#define LIC_REGISTRY_H

#include <jansson.h>

/* The kinds of application, each with its own numbering of the row 9 grounds. */
typedef enum { REG_ISSUE, REG_REISSUE, REG_SPLIT } reg_kind_t;

/* A ground of row 9 the registries can prove, and its number per kind (0: not a ground of
 * that kind). */
typedef enum {
    REG_GROUND_UNRELIABLE,  /* data found unreliable: issue 7, re-registration 6 */
    REG_GROUND_COURT_BAN,   /* a court decision suspends or prohibits: issue 5, re-reg. 4 */
    REG_GROUND_DEBTOR_BAN,  /* a court's ban on a debtor at a bailiff's request: 6, 5 */
    REG_GROUND_SPLIT_TAKEN, /* split: already re-registered to another entity of the split: 3 */
    REG_GROUND__COUNT
} reg_ground_t;

int reg_ground_number(reg_ground_t g, reg_kind_t kind);

typedef struct {
    reg_kind_t kind;
    int individual;           /* the applicant is an individual (IIN), else a legal entity */
    const char *applicant_id; /* IIN or BIN */
    const char *name, *address;
    const int *subtypes; /* the sub-activities applied for (¶2 codes) */
    int nsubtypes;
    /* A re-registration (or one after a split): the license's current holder, and whether the
     * application declares a reorganisation (form 2 ground 1) or an alienation with the object
     * (ground 4). */
    const char *holder_id;
    /* An issue adding an annex to a license (Standard row 5): its number; the applicant must
     * hold it (holder_id). NULL otherwise. */
    const char *annex_to;
    int declares_reorganisation, declares_alienation;
    const char *reorganization; /* the form declared (merger, ..., spin_off, split) or NULL */
    /* After a split: the license's holder before the current one (its name beside), and the
     * reorganisation the registry named when the license passed to the current holder by a
     * split - the predecessors of the current holder's GBDUL_ENTITY answer; NULL when it did
     * not pass so. A sibling of the same split finds the license already passed (split ground
     * 3); one of another reorganisation is a stranger. */
    const char *previous_holder, *holder_name;
    const json_t *holder_predecessors;
} reg_case_t;

/* The grounds the answers give, appended to `grounds` as {code, number, kind, text_kk,
 * text_ru, rule, evidence}. `identity` is the GBDFL_PERSON or GBDUL_ENTITY answer about the
 * applicant, `debtor` and `court` the ERD_BANS and COURT_BANS answers (each NULL when not
 * asked). Returns how many were appended, or -1 when one could not be formed (the caller must
 * not pass the application on). */
int reg_grounds(const reg_case_t *c, const json_t *identity, const json_t *debtor,
                const json_t *court, json_t *grounds);

/* The holder check of a re-registration: 1 when the applicant may ask - the license's holder
 * itself, or, when the application declares it, the successor of a reorganisation of the
 * holder that the registry names: a predecessor of the applicant with the holder's BIN, in
 * the form declared, a split or spin-off exactly for a split's re-registration - or, after a
 * split, the holder before the current one, by the same split (BIN, form and date) that
 * passed the license to the current holder. `identity` is the applicant's GBDUL_ENTITY
 * answer (NULL for an individual). */
int reg_may_reissue(const reg_case_t *c, const json_t *identity);

/* Compares two names or addresses as a clerk would: case, quotes, punctuation and spacing
 * aside. 1 when they are the same. */
int reg_same_text(const char *a, const char *b);

#endif
