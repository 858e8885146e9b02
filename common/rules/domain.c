/* domain: stage names, the transition table and reference data. */
#include "domain.h"

#include <ctype.h>
#include <string.h>

static const char *const stage_names[STAGE__COUNT] = {
    [STAGE_NONE] = "none",
    [STAGE_REGISTERED] = "registered",
    [STAGE_AWAITING_REGISTRIES] = "awaiting_registries",
    [STAGE_REFUSED_INCOMPLETE] = "refused_incomplete",
    [STAGE_AWAITING_APPROVALS] = "awaiting_approvals",
    [STAGE_AWAITING_REPLIES] = "awaiting_replies",
    [STAGE_AWAITING_DECISION] = "awaiting_decision",
    [STAGE_REFUSAL_PROPOSED] = "refusal_proposed",
    [STAGE_LICENSE_ISSUED] = "license_issued",
    [STAGE_LICENSE_REISSUED] = "license_reissued",
    [STAGE_REFUSED] = "refused",
};

const char *dom_stage_name(dom_stage_t s)
{
    return (s >= 0 && s < STAGE__COUNT) ? stage_names[s] : NULL;
}

dom_stage_t dom_stage_parse(const char *name)
{
    for (int i = 0; name && i < STAGE__COUNT; i++)
        if (strcmp(stage_names[i], name) == 0)
            return (dom_stage_t)i;
    return STAGE__COUNT;
}

int dom_stage_final(dom_stage_t s)
{
    return s == STAGE_REFUSED_INCOMPLETE || s == STAGE_LICENSE_ISSUED ||
           s == STAGE_LICENSE_REISSUED || s == STAGE_REFUSED;
}

/* ---- guards ---- */

static int incomplete(const dom_facts_t *f)
{
    return f->incomplete;
}
static int complete(const dom_facts_t *f)
{
    return !f->incomplete;
}
static int checked_approvals(const dom_facts_t *f)
{
    return f->registries_answered && f->needs_approvals;
}
static int checked_no_approvals(const dom_facts_t *f)
{
    return f->registries_answered && !f->needs_approvals;
}
static int all_received(const dom_facts_t *f)
{
    return f->requests_received >= DOM_AGENCY_COUNT;
}
static int all_replied(const dom_facts_t *f)
{
    return f->replies >= DOM_AGENCY_COUNT;
}
static int grant_issue(const dom_facts_t *f)
{
    return f->grounds == 0 && !f->reissue;
}
static int grant_reissue(const dom_facts_t *f)
{
    return f->grounds == 0 && f->reissue;
}
static int grounds_found(const dom_facts_t *f)
{
    return f->grounds > 0;
}
static int refusal_confirmed(const dom_facts_t *f)
{
    return f->hearing == DOM_HEARING_CONFIRMED;
}
static int withdrawn_unreceived(const dom_facts_t *f)
{
    return f->hearing == DOM_HEARING_WITHDRAWN && f->unreceived > 0;
}
static int withdrawn_unanswered(const dom_facts_t *f)
{
    return f->hearing == DOM_HEARING_WITHDRAWN && f->unanswered > 0;
}
static int withdrawn_issue(const dom_facts_t *f)
{
    return f->hearing == DOM_HEARING_WITHDRAWN && f->unanswered == 0 && !f->reissue;
}
static int withdrawn_reissue(const dom_facts_t *f)
{
    return f->hearing == DOM_HEARING_WITHDRAWN && f->unanswered == 0 && f->reissue;
}

/* The state machine, in the order its guards are tried. Changing it needs a migration
 * updating stage_transitions too (a test keeps both equal). */
static const dom_transition_t transitions[] = {
    {STAGE_NONE, STAGE_REGISTERED, NULL, "¶8", 0}, /* the intake inserts it registered */
    {STAGE_REGISTERED, STAGE_REFUSED_INCOMPLETE, incomplete, "¶9", 0},
    {STAGE_REGISTERED, STAGE_AWAITING_REGISTRIES, complete, "¶9, ¶10", 0},
    /* Before migration 021 a complete application went on at once: retired (migration 022),
     * kept for its history. */
    {STAGE_REGISTERED, STAGE_AWAITING_APPROVALS, NULL, "¶9, ¶11", 1},
    {STAGE_REGISTERED, STAGE_AWAITING_DECISION, NULL, "¶7: reissue", 1},
    {STAGE_AWAITING_REGISTRIES, STAGE_AWAITING_APPROVALS, checked_approvals, "¶10, ¶11", 0},
    {STAGE_AWAITING_REGISTRIES, STAGE_AWAITING_DECISION, checked_no_approvals, "¶10; ¶7: reissue",
     0},
    /* ¶13: a refusal proposed as soon as a ground exists, the other agency's reply still
     * awaited (migration 028). */
    {STAGE_AWAITING_APPROVALS, STAGE_REFUSAL_PROPOSED, grounds_found, "¶13: hearing first", 0},
    {STAGE_AWAITING_APPROVALS, STAGE_AWAITING_REPLIES, all_received, "¶11", 0},
    {STAGE_AWAITING_APPROVALS, STAGE_AWAITING_DECISION, NULL, "¶12", 0},
    {STAGE_AWAITING_REPLIES, STAGE_REFUSAL_PROPOSED, grounds_found, "¶13: hearing first", 0},
    {STAGE_AWAITING_REPLIES, STAGE_AWAITING_DECISION, all_replied, "¶12", 0},
    {STAGE_AWAITING_DECISION, STAGE_LICENSE_ISSUED, grant_issue, "¶13", 0},
    {STAGE_AWAITING_DECISION, STAGE_LICENSE_REISSUED, grant_reissue, "¶13", 0},
    {STAGE_AWAITING_DECISION, STAGE_REFUSAL_PROPOSED, grounds_found, "¶13: hearing first", 0},
    {STAGE_REFUSAL_PROPOSED, STAGE_REFUSED, refusal_confirmed, "¶13", 0},
    /* Withdrawn while an agency has not answered: its reply awaited, then decided again. */
    {STAGE_REFUSAL_PROPOSED, STAGE_AWAITING_APPROVALS, withdrawn_unreceived, "¶13, ¶11", 0},
    {STAGE_REFUSAL_PROPOSED, STAGE_AWAITING_REPLIES, withdrawn_unanswered, "¶13, ¶12", 0},
    {STAGE_REFUSAL_PROPOSED, STAGE_LICENSE_ISSUED, withdrawn_issue, "¶13", 0},
    {STAGE_REFUSAL_PROPOSED, STAGE_LICENSE_REISSUED, withdrawn_reissue, "¶13", 0},
    /* The one way out of a final stage: a satisfied complaint overturns the refusal (¶15). */
    {STAGE_REFUSED, STAGE_AWAITING_DECISION, NULL, "¶15: a complaint satisfied", 0},
    /* ... before an agency answered (the refusal confirmed within its 10 WD): its answer. */
    {STAGE_REFUSED, STAGE_AWAITING_APPROVALS, NULL, "¶15, ¶11: a complaint satisfied", 0},
    {STAGE_REFUSED, STAGE_AWAITING_REPLIES, NULL, "¶15, ¶12: a complaint satisfied", 0},
};

const dom_transition_t *dom_transitions(size_t *count)
{
    *count = sizeof(transitions) / sizeof(transitions[0]);
    return transitions;
}

int dom_transition_legal(dom_stage_t from, dom_stage_t to)
{
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
        if (transitions[i].from == from && transitions[i].to == to)
            return !transitions[i].retired;
    return 0;
}

dom_stage_t dom_next(dom_stage_t from, const dom_facts_t *f)
{
    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
        if (transitions[i].from == from && transitions[i].guard && transitions[i].guard(f))
            return transitions[i].to;
    return from;
}

static const char *const subtypes_ru[] = {
    NULL,
    "добыча твердых полезных ископаемых (за исключением общераспространенных полезных "
    "ископаемых)",
    "вскрытие и разработка месторождений твердых полезных ископаемых открытым и подземным "
    "способами",
    "технологические работы на месторождениях",
    "взрывные работы при добыче полезных ископаемых",
    "ликвидационные работы по закрытию рудников и шахт",
    "подземный и капитальный ремонт скважин, демонтаж оборудования и агрегатов, монтаж "
    "скважинных подъемников",
    "испытание скважин после ремонта",
    "промывка, цементирование, опробование и освоение скважин",
    "эксплуатация химических производств",
};

/* As ¶2 of the Order words them, word for word (its Latin "i" written as the Kazakh "і"). */
static const char *const subtypes_kk[] = {
    NULL,
    "қатты пайдалы қазбаларды (кең таралған пайдалы қазбаларды қоспағанда) өндіру",
    "қатты пайдалы қазбалардың кен орындарын ашық және жерасты тәсілдерімен ашу және әзірлеу",
    "кен орындарында технологиялық жұмыстарды жүргізу",
    "пайдалы қазбаларды өндіру үшін жару жұмыстарын жүргізу",
    "кеніштер мен шахталарды жабу жөніндегі жою жұмыстары",
    /* One name in two literals. */
    "ұңғымаларды жерасты және күрделі жөндеу, жабдықты және агрегаттарды бөлшектеу, " // NOLINT
    "ұңғымалар көтергішін орнату",
    "ұңғымаларды жөндеуден кейін сынау",
    "ұңғымаларды шаю, цементтеу, сынаудан өткізу және игеру",
    "химиялық өндірістерді пайдалану",
};

const char *dom_subtype_name_ru(int code)
{
    return (code >= 1 && code <= 9) ? subtypes_ru[code] : NULL;
}

const char *dom_subtype_name_kk(int code)
{
    return (code >= 1 && code <= 9) ? subtypes_kk[code] : NULL;
}

static const struct {
    const char *code, *name_ru;
} regions[] = {
    {"KZ-ABY", "область Абай"},
    {"KZ-AKM", "Акмолинская область"},
    {"KZ-AKT", "Актюбинская область"},
    {"KZ-ALA", "город Алматы"},
    {"KZ-ALM", "Алматинская область"},
    {"KZ-AST", "город Астана"},
    {"KZ-ATY", "Атырауская область"},
    {"KZ-BAY", "город Байконыр"},
    {"KZ-KAR", "Карагандинская область"},
    {"KZ-KUS", "Костанайская область"},
    {"KZ-KZY", "Кызылординская область"},
    {"KZ-MAN", "Мангистауская область"},
    {"KZ-PAV", "Павлодарская область"},
    {"KZ-SEV", "Северо-Казахстанская область"},
    {"KZ-SHY", "город Шымкент"},
    {"KZ-TUR", "Туркестанская область"},
    {"KZ-ULT", "область Улытау"},
    {"KZ-VOS", "Восточно-Казахстанская область"},
    {"KZ-ZAP", "Западно-Казахстанская область"},
    {"KZ-ZHA", "Жамбылская область"},
    {"KZ-ZHE", "область Жетісу"},
};

const char *dom_region_name_ru(const char *code)
{
    for (size_t i = 0; code && i < sizeof(regions) / sizeof(regions[0]); i++)
        if (strcmp(regions[i].code, code) == 0)
            return regions[i].name_ru;
    return NULL;
}

int dom_region_known(const char *code)
{
    return dom_region_name_ru(code) != NULL;
}

static const dom_reissue_ground_t grounds[] = {
    {"holder_name_changed", 1, 0, 1, "изменение фамилии, имени, отчества физического лица"},
    {"entrepreneur_name_changed", 1, 0, 1,
     "перерегистрация индивидуального предпринимателя-лицензиата, изменение его наименования"},
    {"entrepreneur_address_changed", 1, 0, 1,
     "перерегистрация индивидуального предпринимателя-лицензиата, изменение его юридического "
     "адреса"},
    {"legal_entity_reorganized", 0, 1, 1,
     "реорганизация юридического лица-лицензиата (слияние, преобразование, присоединение, "
     "выделение, разделение)"},
    {"legal_entity_name_changed", 0, 1, 1, "изменение наименования юридического лица-лицензиата"},
    {"legal_entity_location_changed", 0, 1, 1,
     "изменение места нахождения юридического лица-лицензиата"},
    {"license_alienated_with_object", 1, 1, 0,
     "отчуждение лицензии, выданной по классу «разрешения, выдаваемые на объекты», вместе с "
     "объектом"},
    {"object_address_changed", 1, 1, 0,
     "изменение адреса места нахождения объекта без его физического перемещения"},
    {"required_by_law", 1, 1, 0, "наличие требования о переоформлении в законах"},
    {"activity_name_changed", 1, 1, 1, "изменение наименования вида деятельности"},
    {"subactivity_name_changed", 1, 1, 1, "изменение наименования подвида деятельности"},
};

const dom_reissue_ground_t *dom_reissue_ground(const char *code)
{
    for (size_t i = 0; code && i < sizeof(grounds) / sizeof(grounds[0]); i++)
        if (strcmp(grounds[i].code, code) == 0)
            return &grounds[i];
    return NULL;
}

int dom_iin_bin_valid(const char *id)
{
    if (!id || strlen(id) != 12)
        return 0;
    int d[12];
    for (int i = 0; i < 12; i++) {
        if (!isdigit((unsigned char)id[i]))
            return 0;
        d[i] = id[i] - '0';
    }
    int sum = 0;
    for (int i = 0; i < 11; i++)
        sum += d[i] * (i + 1);
    int check = sum % 11;
    if (check == 10) {
        static const int w2[11] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2};
        sum = 0;
        for (int i = 0; i < 11; i++)
            sum += d[i] * w2[i];
        check = sum % 11;
        if (check == 10)
            return 0;
    }
    return check == d[11];
}
