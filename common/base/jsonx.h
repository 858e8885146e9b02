/* jsonx: small helpers over jansson for strict contract decoding. Each getter validates one
 * member of an object and, on failure, writes a bad-input reason ("schema: applicant.name is
 * required") into errstr and returns -1. Strings returned are borrowed from the object. */
#ifndef LIC_JSONX_H
#define LIC_JSONX_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

/* A string member of 1..maxlen characters without NUL. Absent and optional: *out = NULL, 0. */
int jx_str(const json_t *o, const char *key, int required, size_t maxlen, const char **out,
           const char *where, char *errstr, size_t errstr_size);
/* A string member that must be one of `values` (NULL-terminated). */
int jx_enum(const json_t *o, const char *key, int required, const char *const *values,
            const char **out, const char *where, char *errstr, size_t errstr_size);
/* A UUID string member (RFC 4122 text form). */
int jx_uuid(const json_t *o, const char *key, int required, const char **out, const char *where,
            char *errstr, size_t errstr_size);
/* An RFC 3339 time with offset; *text (may be NULL) receives the string. Absent and optional:
 * *out = 0. */
int jx_time(const json_t *o, const char *key, int required, time_t *out, const char **text,
            const char *where, char *errstr, size_t errstr_size);
/* An optional boolean member; absent gives `dflt`. */
int jx_bool(const json_t *o, const char *key, int dflt, int *out, const char *where, char *errstr,
            size_t errstr_size);
/* An array of 0..max non-empty strings of at most maxlen bytes each (required when
 * `required`); *count receives the length. */
int jx_str_array(const json_t *o, const char *key, int required, size_t min, size_t max,
                 size_t maxlen, const char **out, size_t *count, const char *where, char *errstr,
                 size_t errstr_size);

/* Characters (code points) in `len` bytes of valid UTF-8 - what JSON Schema's maxLength
 * counts (jansson has validated the encoding). */
size_t jx_utf8_chars(const char *s, size_t len);

/* 1 if `s` equals one of the NULL-terminated `values`. */
int jx_one_of(const char *s, const char *const *values);

/* What json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) makes, byte for byte, in a new string
 * (NULL when out of memory), at a fraction of its cost: jansson decodes every character of
 * every string as UTF-8 to find the few it escapes, which made serialising the status events
 * the largest item of the workers' own CPU. Objects in jansson's order (insertion). */
char *jx_dumps(const json_t *v);
/* jx_dumps(), never NULL (aborts on allocation failure). */
char *jx_dump(const json_t *v);

#endif
