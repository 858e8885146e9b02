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

char *jx_dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        abort();
    return s;
}
