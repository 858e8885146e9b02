/* domain: the licensing domain as data - stages and the one table of legal transitions,
 * sub-activity codes (¶2), regions, re-registration grounds, IIN/BIN check digits.
 * Every worker and the invariant checker consult these tables; migration 001 seeds the same
 * transitions into PostgreSQL, where a foreign key enforces them (a test keeps both equal). */
#ifndef LIC_DOMAIN_H
#define LIC_DOMAIN_H

#include <stddef.h>

typedef enum {
    STAGE_NONE = 0, /* before registration */
    STAGE_REGISTERED,
    STAGE_AWAITING_REGISTRIES, /* ¶10: the state registries asked through the gateway */
    STAGE_REFUSED_INCOMPLETE,  /* ¶9: final */
    STAGE_AWAITING_APPROVALS,  /* ¶11: requests to be sent */
    STAGE_AWAITING_REPLIES,    /* ¶12: both requests received by the agencies */
    STAGE_AWAITING_DECISION,   /* ¶13: replies given or deemed */
    STAGE_REFUSAL_PROPOSED,    /* ¶13: notice sent, hearing pending */
    STAGE_LICENSE_ISSUED,      /* final */
    STAGE_LICENSE_REISSUED,    /* final */
    STAGE_REFUSED,             /* final, reasoned refusal after the hearing */
    STAGE__COUNT
} dom_stage_t;

/* Stable text name stored in PostgreSQL ("awaiting_approvals"); NULL for an invalid value. */
const char *dom_stage_name(dom_stage_t s);
/* Reverse of dom_stage_name(); STAGE__COUNT when unknown. */
dom_stage_t dom_stage_parse(const char *name);
/* 1 for a final stage. */
int dom_stage_final(dom_stage_t s);

/* The approving agencies of ¶11: industrial safety and sanitary-epidemiological. */
#define DOM_AGENCY_COUNT 2

/* The outcome of the hearing before a refusal (¶13). */
typedef enum { DOM_HEARING_NONE = 0, DOM_HEARING_CONFIRMED, DOM_HEARING_WITHDRAWN } dom_hearing_t;

/* What is known of an application when its next stage is decided. Only the facts the
 * current stage's guards read matter; the rest may be left 0. */
typedef struct {
    int incomplete;          /* ¶9: the package lacks something (registered) */
    int needs_approvals;     /* ¶11: the agencies must approve (awaiting_registries) */
    int registries_answered; /* ¶10: every registry answered (awaiting_registries) */
    int reissue;             /* a re-registration: license_reissued instead of license_issued */
    int requests_received;   /* agencies that confirmed receipt of the request */
    int replies;             /* agencies that answered, or whose approval is deemed (¶12) */
    int grounds;             /* refusal grounds found (¶13, Standard row 9) */
    dom_hearing_t hearing;   /* the hearing's outcome (refusal_proposed) */
    int unanswered;          /* requests no agency has answered, nor deemed (refusal_proposed) */
    int unreceived;          /* of those, the ones no agency has confirmed receiving */
} dom_facts_t;

typedef struct {
    dom_stage_t from, to;
    /* 1 when the facts move the application this way; NULL: legal, but no rule takes it on
     * its own (a person's act or a repair). */
    int (*guard)(const dom_facts_t *f);
    const char *rule; /* the ¶ of PROCESS.md it implements */
    int retired;      /* 1: in the history only (stage_transitions.retired): no new change */
} dom_transition_t;

/* The table of legal transitions; *count receives its length. Borrowed, static. */
const dom_transition_t *dom_transitions(size_t *count);

/* 1 if from -> to is legal for a new change (a retired move is not). */
int dom_transition_legal(dom_stage_t from, dom_stage_t to);

/* Where an application in `from` goes next: the first transition of the table from `from`
 * whose guard holds, or `from` itself when none does (it waits). The one place where "what
 * next" is decided; the workers carry the move out. */
dom_stage_t dom_next(dom_stage_t from, const dom_facts_t *f);

/* ¶2 sub-activities 1..9: names in Kazakh and Russian; NULL outside 1..9. */
const char *dom_subtype_name_ru(int code);
const char *dom_subtype_name_kk(int code);

/* 1 for a known ISO 3166-2:KZ region code ("KZ-KAR"). */
int dom_region_known(const char *code);
/* The region's Russian name, or NULL. */
const char *dom_region_name_ru(const char *code);

/* Re-registration grounds of the contract (Appendix 2 to the Standard). */
typedef struct {
    const char *code;
    int individual;      /* allowed on form 1 (individuals) */
    int legal_entity;    /* allowed on form 2 (legal entities) */
    int state_registry;  /* its data is held by state information systems: no evidence needed */
    const char *text_ru; /* in words, for documents */
} dom_reissue_ground_t;

const dom_reissue_ground_t *dom_reissue_ground(const char *code);

/* 1 if `id` is a 12-digit IIN or BIN whose 12th digit is the mod-11 check digit (first
 * weights 1..11, then 3..11,1,2 when the first sum gives 10; invalid if that gives 10 too). */
int dom_iin_bin_valid(const char *id);

#endif
