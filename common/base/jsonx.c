/* jsonx: see jsonx.h. */
#include "jsonx.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(errstr, errstr_size, __VA_ARGS__);                                                \
        return -1;                                                                                 \
    } while (0)

size_t jx_utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

int jx_one_of(const char *s, const char *const *values)
{
    for (; s && *values; values++)
        if (strcmp(s, *values) == 0)
            return 1;
    return 0;
}

int jx_str(const json_t *o, const char *key, int required, size_t maxlen, const char **out,
           const char *where, char *errstr, size_t errstr_size)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v) {
        if (required)
            FAIL("schema: %s%s is required", where, key);
        return 0;
    }
    if (!json_is_string(v))
        FAIL("schema: %s%s must be a string", where, key);
    size_t len = json_string_length(v);
    if (len == 0 || jx_utf8_chars(json_string_value(v), len) > maxlen)
        FAIL("schema: %s%s must have 1..%zu characters", where, key, maxlen);
    if (memchr(json_string_value(v), '\0', len))
        FAIL("schema: %s%s contains a NUL character", where, key);
    *out = json_string_value(v);
    return 0;
}

int jx_enum(const json_t *o, const char *key, int required, const char *const *values,
            const char **out, const char *where, char *errstr, size_t errstr_size)
{
    if (jx_str(o, key, required, 64, out, where, errstr, errstr_size))
        return -1;
    if (*out && !jx_one_of(*out, values)) {
        char list[256] = "";
        for (const char *const *p = values; *p; p++) {
            if (strlen(list) + strlen(*p) + 3 >= sizeof(list))
                break;
            if (list[0])
                strcat(list, ", ");
            strcat(list, *p);
        }
        FAIL("schema: %s%s must be one of: %s", where, key, list);
    }
    return 0;
}

int jx_uuid(const json_t *o, const char *key, int required, const char **out, const char *where,
            char *errstr, size_t errstr_size)
{
    if (jx_str(o, key, required, 36, out, where, errstr, errstr_size))
        return -1;
    if (*out && !util_is_uuid(*out))
        FAIL("schema: %s%s must be a UUID", where, key);
    return 0;
}

int jx_time(const json_t *o, const char *key, int required, time_t *out, const char **text,
            const char *where, char *errstr, size_t errstr_size)
{
    const char *s;
    *out = 0;
    if (text)
        *text = NULL;
    if (jx_str(o, key, required, 40, &s, where, errstr, errstr_size))
        return -1;
    if (!s)
        return 0;
    if (util_rfc3339_parse(s, out))
        FAIL("schema: %s%s must be RFC 3339 with an offset", where, key);
    if (text)
        *text = s;
    return 0;
}

int jx_bool(const json_t *o, const char *key, int dflt, int *out, const char *where, char *errstr,
            size_t errstr_size)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (!json_is_boolean(v))
        FAIL("schema: %s%s must be a boolean", where, key);
    *out = json_is_true(v);
    return 0;
}

int jx_str_array(const json_t *o, const char *key, int required, size_t min, size_t max,
                 size_t maxlen, const char **out, size_t *count, const char *where, char *errstr,
                 size_t errstr_size)
{
    const json_t *a = json_object_get(o, key);
    *count = 0;
    if (!a) {
        if (required)
            FAIL("schema: %s%s is required", where, key);
        return 0;
    }
    if (!json_is_array(a) || json_array_size(a) < min || json_array_size(a) > max)
        FAIL("schema: %s%s must be an array of %zu..%zu strings", where, key, min, max);
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v)
    {
        size_t len = json_is_string(v) ? json_string_length(v) : 0;
        if (len == 0 || jx_utf8_chars(json_string_value(v), len) > maxlen ||
            memchr(json_string_value(v), '\0', len))
            FAIL("schema: %s%s[%zu] must be a string of 1..%zu characters", where, key, i, maxlen);
        out[i] = json_string_value(v);
    }
    *count = json_array_size(a);
    return 0;
}

/* ---- compact serialisation ------------------------------------------------------------------ */

typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} jbuf_t;

static void put(jbuf_t *o, const char *s, size_t n)
{
    if (o->failed)
        return;
    if (util_reserve(&o->buf, &o->cap, o->len + n + 1, 1024)) {
        o->failed = 1;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

/* A string as jansson escapes it without JSON_ENSURE_ASCII or JSON_ESCAPE_SLASH: quote,
 * backslash and the control characters; every other byte as it is (jansson's strings are
 * valid UTF-8). */
static const char short_escape[] = {['"'] = '"',  ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
                                    ['\n'] = 'n', ['\r'] = 'r',  ['\t'] = 't'};

static void put_string(jbuf_t *o, const char *s, size_t len)
{
    put(o, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(o, s + run, i - run);
        run = i + 1;
        char seq[8] = {'\\', c < sizeof(short_escape) ? short_escape[c] : 0};
        if (seq[1])
            put(o, seq, 2);
        else
            put(o, seq, (size_t)snprintf(seq, sizeof(seq), "\\u%04X", c));
    }
    put(o, s + run, len - run);
    put(o, "\"", 1);
}

static void put_value(jbuf_t *o, const json_t *v, int depth)
{
    char num[32];
    if (depth > 2048) { /* jansson's parser's limit: nothing read could be deeper */
        o->failed = 1;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        const json_t *m;
        int first = 1;
        put(o, "{", 1);
        json_object_foreach((json_t *)v, key, m)
        {
            if (!first)
                put(o, ",", 1);
            first = 0;
            put_string(o, key, strlen(key));
            put(o, ":", 1);
            put_value(o, m, depth + 1);
        }
        put(o, "}", 1);
        break;
    }
    case JSON_ARRAY:
        put(o, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                put(o, ",", 1);
            put_value(o, json_array_get(v, i), depth + 1);
        }
        put(o, "]", 1);
        break;
    case JSON_STRING:
        put_string(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        put(o, num,
            (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v)));
        break;
    case JSON_REAL: { /* rare: jansson's own formatting of doubles */
        char *r = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!r)
            o->failed = 1;
        else
            put(o, r, strlen(r));
        free(r);
        break;
    }
    case JSON_TRUE:
        put(o, "true", 4);
        break;
    case JSON_FALSE:
        put(o, "false", 5);
        break;
    default:
        put(o, "null", 4);
    }
}

char *jx_dumps(const json_t *v)
{
    jbuf_t o = {0};
    if (!v)
        return NULL;
    put_value(&o, v, 0); /* at least one byte, and put() keeps room for the NUL */
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    o.buf[o.len] = '\0';
    return o.buf;
}

char *jx_dump(const json_t *v)
{
    char *s = jx_dumps(v);
    if (!s)
        abort();
    return s;
}
