/* json_conv.c: the JSON loader's validated conversions: one JSON value into one model field
 * (unsigned and signed integers, indices, doubles with their NaN/infinity encodings, flags,
 * strings, enum names), members of objects, elements of tables, and the error message.
 *
 * Invariant: a conversion either stores a value that satisfies the schema's rule for it and
 * returns 0, or stores nothing, writes one message naming the value's path and returns a
 * negative FATHOM_E_* code. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom_load.h"
#include "json_ld.h"

static size_t path_fmt(const jp *p, char *buf, size_t cap) {
  if (!p) return 0;
  size_t n = path_fmt(p->up, buf, cap);
  if (n >= cap) return n;
  int w;
  if (p->key) w = snprintf(buf + n, cap - n, "%s%s", p->up ? "." : "", p->key);
  else w = snprintf(buf + n, cap - n, "[%llu]", (unsigned long long)p->idx);
  return w < 0 ? n : n + (size_t)w;
}

int jl_fail(jl_ctx *c, int code, const jp *at, const char *fmt, ...) {
  if (!c->err || c->errlen == 0) return code;
  char where[256] = "", msg[512];
  path_fmt(at, where, sizeof where);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  size_t n = 0;
  if (c->name) {   /* the file's name quoted when it holds a newline or the like */
    fathom_quote(c->err, c->errlen, c->name, 1);
    n = strlen(c->err);
  }
  snprintf(c->err + n, c->errlen - n, "%s%s%s%s", c->name ? ": " : "", where,
           where[0] ? ": " : "", msg);
  return code;
}

const char *jl_type_name(const json_t *v) {
  switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
  }
  return "an unknown value";
}

int jl_alloc_table(jl_ctx *c, void **dst, size_t n, size_t size) {
  *dst = NULL;
  if (n == 0) return 0;
  *dst = jl_calloc(c, n, size);
  return *dst ? 0 : jl_nomem(c);
}

/* ---- scalar conversions ------------------------------------------------------------- */

int jl_want(jl_ctx *c, const json_t *v, const jp *at, json_type t, const char *what) {
  if (json_typeof(v) == t) return 0;
  return jl_fail(c, FATHOM_E_FORMAT, at, "expected %s, got %s", what, jl_type_name(v));
}

int jl_u64(jl_ctx *c, const json_t *v, const jp *at, uint64_t *out) {
  if (json_is_integer(v)) {
    json_int_t i = json_integer_value(v);
    if (i < 0) return jl_fail(c, FATHOM_E_FORMAT, at, "%lld is negative", (long long)i);
    *out = (uint64_t)i;
    return 0;
  }
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    uint64_t x = 0;
    if (!*s) return jl_fail(c, FATHOM_E_FORMAT, at, "empty string is not an unsigned integer");
    for (const char *q = s; *q; q++) {
      unsigned d = (unsigned)(*q - '0');
      if (d > 9)
        return jl_fail(c, FATHOM_E_FORMAT, at, "\"%.40s\" is not an unsigned integer", s);
      if (x > (UINT64_MAX - d) / 10)
        return jl_fail(c, FATHOM_E_FORMAT, at, "%.40s does not fit in 64 bits", s);
      x = x * 10 + d;
    }
    *out = x;
    return 0;
  }
  return jl_fail(c, FATHOM_E_FORMAT, at, "expected an unsigned integer, got %s", jl_type_name(v));
}

int jl_u32(jl_ctx *c, const json_t *v, const jp *at, uint32_t *out) {
  uint64_t x = 0;
  int rc = jl_u64(c, v, at, &x);
  if (rc) return rc;
  if (x > UINT32_MAX)
    return jl_fail(c, FATHOM_E_FORMAT, at, "%llu does not fit in 32 bits", (unsigned long long)x);
  *out = (uint32_t)x;
  return 0;
}

int jl_index(jl_ctx *c, const json_t *v, const jp *at, uint64_t n, const char *table,
             int nullable, uint32_t *out) {
  if (nullable && json_is_null(v)) {
    *out = FATHOM_NONE;
    return 0;
  }
  if (!json_is_integer(v) && !json_is_string(v))
    return jl_fail(c, FATHOM_E_FORMAT, at, "expected an index into %s%s, got %s", table,
                   nullable ? " or null" : "", jl_type_name(v));
  uint64_t x = 0;
  int rc = jl_u64(c, v, at, &x);
  if (rc) return rc;
  if (x >= n)
    return jl_fail(c, FATHOM_E_FORMAT, at, "index %llu out of range (%llu %s)",
                   (unsigned long long)x, (unsigned long long)n, table);
  *out = (uint32_t)x;
  return 0;
}

int jl_i64(jl_ctx *c, const json_t *v, const jp *at, int64_t *out) {
  int rc = jl_want(c, v, at, JSON_INTEGER, "an integer");
  if (rc) return rc;
  *out = (int64_t)json_integer_value(v);
  return 0;
}

int jl_int(jl_ctx *c, const json_t *v, const jp *at, int *out) {
  int64_t x = 0;
  int rc = jl_i64(c, v, at, &x);
  if (rc) return rc;
  if (x < INT_MIN || x > INT_MAX)
    return jl_fail(c, FATHOM_E_FORMAT, at, "%lld does not fit in an int", (long long)x);
  *out = (int)x;
  return 0;
}

int jl_double(jl_ctx *c, const json_t *v, const jp *at, double *out) {
  if (json_is_real(v)) *out = json_real_value(v);
  else if (json_is_integer(v)) *out = (double)json_integer_value(v);
  else if (json_is_null(v)) *out = NAN;
  else if (json_is_string(v) && strcmp(json_string_value(v), "Infinity") == 0) *out = INFINITY;
  else if (json_is_string(v) && strcmp(json_string_value(v), "-Infinity") == 0) *out = -INFINITY;
  else if (json_is_string(v) && strcmp(json_string_value(v), "NaN") == 0) *out = NAN;
  else return jl_fail(c, FATHOM_E_FORMAT, at, "expected a number, got %s", jl_type_name(v));
  return 0;
}

int jl_bool(jl_ctx *c, const json_t *v, const jp *at, int *out) {
  if (!json_is_boolean(v))
    return jl_fail(c, FATHOM_E_FORMAT, at, "expected true or false, got %s", jl_type_name(v));
  *out = json_is_true(v);
  return 0;
}

int jl_str(jl_ctx *c, const json_t *v, const jp *at, int nullable, char **out) {
  if (nullable && json_is_null(v)) {
    *out = NULL;
    return 0;
  }
  if (!json_is_string(v))
    return jl_fail(c, FATHOM_E_FORMAT, at, "expected a string%s, got %s",
                   nullable ? " or null" : "", jl_type_name(v));
  *out = jl_strdup(c, json_string_value(v));
  return *out ? 0 : jl_nomem(c);
}

int jl_enum(jl_ctx *c, const json_t *v, const jp *at, const char *const *names, int n,
            int *out) {
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    for (int i = 0; i < n; i++) {
      if (strcmp(s, names[i]) == 0) {
        *out = i;
        return 0;
      }
    }
    return jl_fail(c, FATHOM_E_FORMAT, at, "unknown value \"%.40s\"", s);
  }
  if (json_is_integer(v)) {
    json_int_t i = json_integer_value(v);
    if (i >= 0 && i < n) {
      *out = (int)i;
      return 0;
    }
    return jl_fail(c, FATHOM_E_FORMAT, at, "%lld is out of range (0 to %d)", (long long)i, n - 1);
  }
  return jl_fail(c, FATHOM_E_FORMAT, at, "expected a name, got %s", jl_type_name(v));
}

/* ---- members ------------------------------------------------------------------------ */

int jl_get(jl_ctx *c, const json_t *obj, const jp *at, const char *key, json_t **v, jp *kp) {
  kp->up = at;
  kp->key = key;
  kp->idx = 0;
  *v = json_object_get(obj, key);
  return *v ? 0 : jl_fail(c, FATHOM_E_FORMAT, kp, "missing");
}

#define MEMBER_FN(fn, conv, type)                                                      \
  int fn(jl_ctx *c, const json_t *obj, const jp *at, const char *key, type *out) {     \
    json_t *v;                                                                         \
    jp kp;                                                                             \
    int rc = jl_get(c, obj, at, key, &v, &kp);                                         \
    return rc ? rc : conv(c, v, &kp, out);                                             \
  }
MEMBER_FN(jl_m_u64, jl_u64, uint64_t)
MEMBER_FN(jl_m_u32, jl_u32, uint32_t)
MEMBER_FN(jl_m_i64, jl_i64, int64_t)
MEMBER_FN(jl_m_int, jl_int, int)
MEMBER_FN(jl_m_dbl, jl_double, double)
MEMBER_FN(jl_m_bool, jl_bool, int)
#undef MEMBER_FN

int jl_m_str(jl_ctx *c, const json_t *obj, const jp *at, const char *key, int nullable,
             char **out) {
  json_t *v;
  jp kp;
  int rc = jl_get(c, obj, at, key, &v, &kp);
  return rc ? rc : jl_str(c, v, &kp, nullable, out);
}

int jl_m_typed(jl_ctx *c, const json_t *obj, const jp *at, const char *key, json_type t,
               json_t **v, jp *kp) {
  int rc = jl_get(c, obj, at, key, v, kp);
  if (rc) return rc;
  return jl_want(c, *v, kp, t, t == JSON_OBJECT ? "an object" : "an array");
}

int jl_m_table(jl_ctx *c, const json_t *obj, const jp *at, const char *key, size_t max,
               json_t **v, jp *kp, size_t *n) {
  int rc = jl_m_typed(c, obj, at, key, JSON_ARRAY, v, kp);
  if (rc) return rc;
  *n = jl_array_size(c, *v);
  if (*n > max) return jl_fail(c, FATHOM_E_LIMIT, kp, "%zu entries, more than %zu", *n, max);
  return 0;
}

int jl_element(jl_ctx *c, const json_t *arr, const jp *tp, size_t i, json_t **v, jp *ip) {
  ip->up = tp;
  ip->key = NULL;
  ip->idx = i;
  int rc = jl_array_get(c, arr, i, v);
  return rc ? rc : jl_want(c, *v, ip, JSON_OBJECT, "an object");
}

int jl_tuple(jl_ctx *c, const json_t *arr, const jp *tp, size_t i, size_t n, const char *shape,
             json_t **v, jp *ip) {
  ip->up = tp;
  ip->key = NULL;
  ip->idx = i;
  int rc = jl_array_get(c, arr, i, v);
  if (rc) return rc;
  if (!json_is_array(*v))
    return jl_fail(c, FATHOM_E_FORMAT, ip, "expected an array %s, got %s", shape,
                   jl_type_name(*v));
  if (json_array_size(*v) != n)
    return jl_fail(c, FATHOM_E_FORMAT, ip, "expected %zu values %s, got %zu", n, shape,
                   json_array_size(*v));
  return 0;
}
