/* registry: see registry.h. */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A ground's text: its wording and up to three quoted fields of 4 KiB (gateway.c's limit). */
#define REG_TEXT_MAX 16384

/* Standard row 9, by kind: issue (1-7), re-registration (1-7), split or spin-off (1-3). */
static const int NUMBERS[REG_GROUND__COUNT][3] = {
    [REG_GROUND_UNRELIABLE] = {7, 6, 0},
    [REG_GROUND_COURT_BAN] = {5, 4, 0},
    [REG_GROUND_DEBTOR_BAN] = {6, 5, 0},
    [REG_GROUND_SPLIT_TAKEN] = {0, 0, 3},
};

static const char *const KIND_RULE[3] = {"issue", "re-registration", "split"};

int reg_ground_number(reg_ground_t g, reg_kind_t kind)
{
    if (g < 0 || g >= REG_GROUND__COUNT || kind < REG_ISSUE || kind > REG_SPLIT)
        return 0;
    return NUMBERS[g][kind];
}

/* ---- text comparison ---------------------------------------------------------------------- */

/* The next code point of UTF-8 text (U+FFFD for a bad byte); advances *p. */
static unsigned next_cp(const unsigned char **p)
{
    const unsigned char *s = *p;
    unsigned c = s[0];
    int n = c < 0x80             ? 0
            : (c & 0xE0) == 0xC0 ? 1
            : (c & 0xF0) == 0xE0 ? 2
            : (c & 0xF8) == 0xF0 ? 3
                                 : -1;
    if (n < 0) {
        *p = s + 1;
        return 0xFFFD;
    }
    unsigned cp = n == 0 ? c : c & (0x3F >> n);
    for (int i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *p = s + i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *p = s + n + 1;
    return cp;
}

/* Lower case for Latin, Cyrillic and the Kazakh letters (Ә Ғ Қ Ң Ө Ұ Ү Һ І). */
static unsigned fold(unsigned c)
{
    if (c == 0x401 || c == 0x451) /* Ё, ё as е: registries spell it either way */
        return 0x435;
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c >= 0x410 && c <= 0x42F)
        return c + 0x20;
    if (c >= 0x400 && c <= 0x40F)
        return c + 0x50;
    if ((c >= 0x490 && c <= 0x4BF) || (c >= 0x4D0 && c <= 0x4FF))
        return c | 1;
    return c;
}

static int ignorable(unsigned c)
{
    return c == '"' || c == '\'' || c == '.' || c == ',' || c == ';' || c == ':' || c == '(' ||
           c == ')' || c == 0xAB || c == 0xBB || (c >= 0x2018 && c <= 0x201F);
}

static int space(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xA0 || c == '-' ||
           c == 0x2013 || c == 0x2014;
}

/* The next significant code point: a run of spaces (and dashes) as one space, none at the
 * ends; 0 at the end. */
static unsigned next_sig(const unsigned char **p, int *pending_space)
{
    for (;;) {
        if (!**p)
            return 0;
        unsigned c = next_cp(p);
        if (ignorable(c))
            continue;
        if (space(c)) {
            *pending_space = 1;
            continue;
        }
        return fold(c);
    }
}

int reg_same_text(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    int first = 1;
    for (;;) {
        int sa = 0, sb = 0;
        unsigned ca = next_sig(&p, &sa), cb = next_sig(&q, &sb);
        if (ca != cb)
            return 0;
        if (ca == 0)
            return 1;
        if (!first && sa != sb)
            return 0;
        first = 0;
    }
}

/* ---- grounds ------------------------------------------------------------------------------ */

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Appends one ground; a ground that cannot be formed (jansson refuses it) fails the whole
 * check (*n < 0), never lets it pass with one ground less. */
static void ground(json_t *out, int *n, const reg_case_t *c, reg_ground_t g, const char *code,
                   const char *kk, const char *ru, const char *service, const json_t *evidence)
{
    int number = reg_ground_number(g, c->kind);
    char rule[160];
    if (number)
        snprintf(rule, sizeof(rule), "Standard row 9, %s ground %d; ¶10 (%s)", KIND_RULE[c->kind],
                 number, service);
    else
        snprintf(rule, sizeof(rule), "¶10 (%s)", service);
    json_t *o = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:O*}", "code", code, "number", number, "kind",
                          KIND_RULE[c->kind], "text_kk", kk, "text_ru", ru, "rule", rule,
                          "evidence", evidence);
    if (*n < 0 || !o || json_array_append_new(out, o)) {
        *n = -1;
        return;
    }
    (*n)++;
}

static int applies_to(const json_t *decision, const reg_case_t *c)
{
    const json_t *st = json_object_get(decision, "subtypes");
    if (json_array_size(st) == 0)
        return 1; /* the whole activity */
    size_t i;
    json_t *v;
    json_array_foreach(st, i, v)
    {
        for (int k = 0; k < c->nsubtypes; k++)
            if (json_integer_value(v) == c->subtypes[k])
                return 1;
    }
    return 0;
}

/* The identity facts: unknown, deceased or liquidated, a name or address that differs. */
static void identity_grounds(const reg_case_t *c, const json_t *id, json_t *out, int *n)
{
    const char *svc = c->individual ? "GBDFL_PERSON" : "GBDUL_ENTITY";
    /* Room for two quoted texts of the longest the contract allows (4 KiB each): never cut. */
    char kk[REG_TEXT_MAX], ru[REG_TEXT_MAX];
    if (!json_is_true(json_object_get(id, "found"))) {
        snprintf(kk, sizeof(kk), "өтініш беруші (%s) %s тізілімінде жоқ", c->applicant_id,
                 c->individual ? "жеке тұлғалар" : "заңды тұлғалар");
        snprintf(ru, sizeof(ru), "заявитель (%s) не значится в %s", c->applicant_id,
                 c->individual ? "государственной базе данных «Физические лица»"
                               : "государственной базе данных «Юридические лица»");
        ground(out, n, c, REG_GROUND_UNRELIABLE, "registry_subject_unknown", kk, ru, svc, id);
        return;
    }
    const char *status = str(id, "status");
    if (strcmp(status, "deceased") == 0 || strcmp(status, "liquidated") == 0) {
        int dead = strcmp(status, "deceased") == 0;
        snprintf(kk, sizeof(kk), "тізілім бойынша өтініш беруші (%s) %s", c->applicant_id,
                 dead ? "қайтыс болған" : "таратылған");
        snprintf(ru, sizeof(ru), "по данным реестра заявитель (%s) %s", c->applicant_id,
                 dead ? "умер" : "ликвидирован");
        ground(out, n, c, REG_GROUND_UNRELIABLE,
               dead ? "registry_subject_deceased" : "registry_entity_liquidated", kk, ru, svc, id);
    }
    const char *reg_name = c->individual ? str(id, "full_name") : str(id, "name_ru");
    if (!reg_same_text(c->name, reg_name) &&
        (c->individual || !reg_same_text(c->name, str(id, "name_kk")))) {
        snprintf(kk, sizeof(kk), "өтініштегі атауы «%s» тізілімдегі «%s» атауынан өзгеше", c->name,
                 reg_name);
        snprintf(ru, sizeof(ru),
                 "наименование в заявлении «%s» не совпадает с данными реестра «%s»", c->name,
                 reg_name);
        ground(out, n, c, REG_GROUND_UNRELIABLE, "registry_name_mismatch", kk, ru, svc, id);
    }
    const char *reg_addr = c->individual ? str(id, "address") : str(id, "legal_address");
    if (*reg_addr && !reg_same_text(c->address, reg_addr)) {
        snprintf(kk, sizeof(kk), "өтініштегі мекенжай «%s» тізілімдегі «%s» мекенжайынан өзгеше",
                 c->address, reg_addr);
        snprintf(ru, sizeof(ru), "адрес в заявлении «%s» не совпадает с данными реестра «%s»",
                 c->address, reg_addr);
        ground(out, n, c, REG_GROUND_UNRELIABLE, "registry_address_mismatch", kk, ru, svc, id);
    }
}

static int split_form(const char *form)
{
    return strcmp(form, "split") == 0 || strcmp(form, "spin_off") == 0;
}

/* Whether predecessor `p` of the applicant is the reorganisation the license passed to its
 * current holder by: the holder before it, in the same form, on the same date. */
static int same_split(const reg_case_t *c, const json_t *p)
{
    if (!c->previous_holder || strcmp(str(p, "bin"), c->previous_holder) != 0)
        return 0;
    size_t i;
    json_t *q;
    json_array_foreach(c->holder_predecessors, i, q)
    {
        if (strcmp(str(q, "bin"), str(p, "bin")) == 0 &&
            strcmp(str(q, "form"), str(p, "form")) == 0 &&
            strcmp(str(q, "date"), str(p, "date")) == 0)
            return 1;
    }
    return 0;
}

/* The applicant's predecessor that lets it ask (see reg_may_reissue()), or NULL. */
static const json_t *successor_of(const reg_case_t *c, const json_t *identity)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(identity, "predecessors"), i, p)
    {
        const char *form = str(p, "form");
        if (c->reorganization && strcmp(form, c->reorganization) != 0)
            continue; /* the registry names another reorganisation than the one declared */
        if (c->declares_reorganisation && (c->kind == REG_SPLIT) != split_form(form))
            continue; /* a split's successor asks by the split's path, a merger's by the other */
        if (strcmp(str(p, "bin"), c->holder_id) == 0)
            return p;
        if (c->kind == REG_SPLIT && same_split(c, p))
            return p;
    }
    return NULL;
}

int reg_grounds(const reg_case_t *c, const json_t *identity, const json_t *debtor,
                const json_t *court, json_t *grounds)
{
    int n = 0;
    char kk[REG_TEXT_MAX], ru[REG_TEXT_MAX];
    if (identity)
        identity_grounds(c, identity, grounds, &n);
    if (c->kind != REG_ISSUE && !reg_may_reissue(c, identity)) {
        snprintf(kk, sizeof(kk),
                 "өтініш беруші (%s) лицензиат емес (лицензия ұстаушысы %s) және тізілім оны "
                 "лицензиаттың құқықтық мирасқоры деп көрсетпейді",
                 c->applicant_id, c->holder_id ? c->holder_id : "-");
        snprintf(ru, sizeof(ru),
                 "заявитель (%s) не является лицензиатом (держатель лицензии %s), и реестр не "
                 "называет его правопреемником лицензиата",
                 c->applicant_id, c->holder_id ? c->holder_id : "-");
        json_t *ev = json_pack("{s:s,s:s,s:O*}", "applicant", c->applicant_id, "holder",
                               c->holder_id ? c->holder_id : "", "registry", identity);
        ground(grounds, &n, c, REG_GROUND_UNRELIABLE, "not_license_holder", kk, ru,
               "license register, GBDUL_ENTITY", ev);
        json_decref(ev);
    }
    /* Standard row 5: an annex is added only to a license of the applicant's own. */
    if (c->kind == REG_ISSUE && c->annex_to && c->holder_id &&
        strcmp(c->applicant_id, c->holder_id) != 0) {
        snprintf(kk, sizeof(kk),
                 "өтініш беруші (%s) қосымша сұралған %s лицензиясының ұстаушысы емес "
                 "(лицензия ұстаушысы %s)",
                 c->applicant_id, c->annex_to, c->holder_id);
        snprintf(ru, sizeof(ru),
                 "заявитель (%s) не является держателем лицензии %s, приложение к которой "
                 "испрашивается (держатель лицензии %s)",
                 c->applicant_id, c->annex_to, c->holder_id);
        json_t *ev = json_pack("{s:s,s:s,s:s}", "applicant", c->applicant_id, "license",
                               c->annex_to, "holder", c->holder_id);
        ground(grounds, &n, c, REG_GROUND_UNRELIABLE, "not_license_holder", kk, ru,
               "license register", ev);
        json_decref(ev);
    }
    /* Split ground 3: the same split already passed the license to a sibling. */
    const json_t *sp = c->kind == REG_SPLIT && c->holder_id &&
                               strcmp(c->applicant_id, c->holder_id) != 0 && identity
                           ? successor_of(c, identity)
                           : NULL;
    if (sp && same_split(c, sp)) {
        const char *hn = c->holder_name ? c->holder_name : "";
        snprintf(kk, sizeof(kk),
                 "лицензия сол бөліну (бөлініп шығу) нәтижесінде құрылған басқа заңды тұлғаға "
                 "қайта ресімделген: %s, БСН %s (%s, %s, БСН %s)",
                 hn, c->holder_id, str(sp, "form"), str(sp, "date"), str(sp, "bin"));
        snprintf(ru, sizeof(ru),
                 "лицензия уже переоформлена на другое юридическое лицо, созданное в результате "
                 "того же разделения (выделения): %s, БИН %s (%s, %s, БИН %s)",
                 hn, c->holder_id, str(sp, "form"), str(sp, "date"), str(sp, "bin"));
        json_t *ev = json_pack("{s:s,s:s,s:O,s:O*}", "holder", c->holder_id, "holder_name", hn,
                               "reorganization", sp, "holder_predecessors", c->holder_predecessors);
        ground(grounds, &n, c, REG_GROUND_SPLIT_TAKEN, "license_already_reissued_in_split", kk, ru,
               "license register, GBDUL_ENTITY", ev);
        json_decref(ev);
    }
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(debtor, "bans"), i, b)
    {
        snprintf(
            kk, sizeof(kk),
            "сот орындаушысының ұсынуы бойынша борышкерге рұқсат беруге уақытша тыйым салынған: "
            "%s, %s, іс № %s",
            str(b, "authority"), str(b, "date"), str(b, "case"));
        snprintf(ru, sizeof(ru),
                 "временный запрет на выдачу разрешений должнику по представлению судебного "
                 "исполнителя: %s, %s, дело № %s",
                 str(b, "authority"), str(b, "date"), str(b, "case"));
        ground(grounds, &n, c, REG_GROUND_DEBTOR_BAN, "debtor_permit_ban", kk, ru, "ERD_BANS", b);
    }
    json_array_foreach(json_object_get(court, "decisions"), i, b)
    {
        if (!applies_to(b, c))
            continue;
        int prohibit = strcmp(str(b, "measure"), "prohibition") == 0;
        snprintf(kk, sizeof(kk),
                 "қызметті %s туралы заңды күшіне енген сот шешімі: %s, %s, іс № %s",
                 prohibit ? "тыйым салу" : "тоқтата тұру", str(b, "court"), str(b, "date"),
                 str(b, "case"));
        snprintf(ru, sizeof(ru),
                 "вступившее в законную силу решение суда о %s деятельности: %s, %s, дело № %s",
                 prohibit ? "запрещении" : "приостановлении", str(b, "court"), str(b, "date"),
                 str(b, "case"));
        ground(grounds, &n, c, REG_GROUND_COURT_BAN, "court_activity_ban", kk, ru, "COURT_BANS", b);
    }
    return n;
}

int reg_may_reissue(const reg_case_t *c, const json_t *identity)
{
    if (!c->holder_id)
        return 0;
    if (strcmp(c->applicant_id, c->holder_id) == 0)
        return 1;
    if (!(c->declares_reorganisation || c->declares_alienation) || !identity)
        return 0;
    return successor_of(c, identity) != NULL;
}
