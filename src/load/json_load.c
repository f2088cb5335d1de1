/* json_load.c: reads a saved JSON profile (docs/json-schema.md) back into the model, with
 * jansson, validating every field.
 *
 * Invariant: the partial model is always freeable: every table is calloc'd and its count set
 * before any element is filled, so on the first error fathom_profile_free releases exactly
 * what was built, *out stays NULL and err holds one line naming the file and the field
 * ("profile.json: nodes[12].parent: index 40 out of range (20 nodes)"). */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fathom_load.h"
#include "model.h"

/* ---- context and messages ----------------------------------------------------------- */

typedef struct ld {
  char *err;
  size_t errlen;
  const char *name;  /* file name for messages, or NULL (buffer) */
} ld;

/* Where a value sits, built on the stack while descending and only formatted on error:
 * a member (key set) or an array element (key NULL, idx). */
typedef struct jp {
  const struct jp *up;
  const char *key;
  uint64_t idx;
} jp;

static size_t path_fmt(const jp *p, char *buf, size_t cap) {
  if (!p) return 0;
  size_t n = path_fmt(p->up, buf, cap);
  if (n >= cap) return n;
  int w;
  if (p->key) w = snprintf(buf + n, cap - n, "%s%s", p->up ? "." : "", p->key);
  else w = snprintf(buf + n, cap - n, "[%llu]", (unsigned long long)p->idx);
  return w < 0 ? n : n + (size_t)w;
}

__attribute__((format(printf, 4, 5)))
static int fail(ld *c, int code, const jp *at, const char *fmt, ...) {
  if (!c->err || c->errlen == 0) return code;
  char where[256] = "", msg[512];
  path_fmt(at, where, sizeof where);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(c->err, c->errlen, "%s%s%s%s%s", c->name ? c->name : "", c->name ? ": " : "", where,
           where[0] ? ": " : "", msg);
  return code;
}

static const char *type_name(const json_t *v) {
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

static int nomem(ld *c) { return fail(c, FATHOM_E_NOMEM, NULL, "out of memory"); }

/* calloc'd table of n elements (NULL when n is 0). */
static int alloc_table(ld *c, void **dst, size_t n, size_t size) {
  *dst = NULL;
  if (n == 0) return 0;
  *dst = calloc(n, size);
  return *dst ? 0 : nomem(c);
}

/* ---- scalar conversions ------------------------------------------------------------- */

static int want(ld *c, const json_t *v, const jp *at, json_type t, const char *what) {
  if (json_typeof(v) == t) return 0;
  return fail(c, FATHOM_E_FORMAT, at, "expected %s, got %s", what, type_name(v));
}

/* Unsigned 64-bit: a non-negative integer, or a string of decimal digits (how values above
 * INT64_MAX are written). */
static int to_u64(ld *c, const json_t *v, const jp *at, uint64_t *out) {
  if (json_is_integer(v)) {
    json_int_t i = json_integer_value(v);
    if (i < 0) return fail(c, FATHOM_E_FORMAT, at, "%lld is negative", (long long)i);
    *out = (uint64_t)i;
    return 0;
  }
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    uint64_t x = 0;
    if (!*s) return fail(c, FATHOM_E_FORMAT, at, "empty string is not an unsigned integer");
    for (const char *q = s; *q; q++) {
      unsigned d = (unsigned)(*q - '0');
      if (d > 9)
        return fail(c, FATHOM_E_FORMAT, at, "\"%.40s\" is not an unsigned integer", s);
      if (x > (UINT64_MAX - d) / 10)
        return fail(c, FATHOM_E_FORMAT, at, "%.40s does not fit in 64 bits", s);
      x = x * 10 + d;
    }
    *out = x;
    return 0;
  }
  return fail(c, FATHOM_E_FORMAT, at, "expected an unsigned integer, got %s", type_name(v));
}

static int to_u32(ld *c, const json_t *v, const jp *at, uint32_t *out) {
  uint64_t x = 0;
  int rc = to_u64(c, v, at, &x);
  if (rc) return rc;
  if (x > UINT32_MAX)
    return fail(c, FATHOM_E_FORMAT, at, "%llu does not fit in 32 bits", (unsigned long long)x);
  *out = (uint32_t)x;
  return 0;
}

/* An index into a table of n entries; nullable: null means FATHOM_NONE. */
static int to_index(ld *c, const json_t *v, const jp *at, uint64_t n, const char *table,
                    int nullable, uint32_t *out) {
  if (nullable && json_is_null(v)) {
    *out = FATHOM_NONE;
    return 0;
  }
  if (!json_is_integer(v) && !json_is_string(v))
    return fail(c, FATHOM_E_FORMAT, at, "expected an index into %s%s, got %s", table,
                nullable ? " or null" : "", type_name(v));
  uint64_t x = 0;
  int rc = to_u64(c, v, at, &x);
  if (rc) return rc;
  if (x >= n)
    return fail(c, FATHOM_E_FORMAT, at, "index %llu out of range (%llu %s)",
                (unsigned long long)x, (unsigned long long)n, table);
  *out = (uint32_t)x;
  return 0;
}

static int to_i64(ld *c, const json_t *v, const jp *at, int64_t *out) {
  int rc = want(c, v, at, JSON_INTEGER, "an integer");
  if (rc) return rc;
  *out = (int64_t)json_integer_value(v);
  return 0;
}

static int to_int(ld *c, const json_t *v, const jp *at, int *out) {
  int64_t x = 0;
  int rc = to_i64(c, v, at, &x);
  if (rc) return rc;
  if (x < INT_MIN || x > INT_MAX)
    return fail(c, FATHOM_E_FORMAT, at, "%lld does not fit in an int", (long long)x);
  *out = (int)x;
  return 0;
}

/* A double: a number; null is NaN; the strings "NaN", "Infinity", "-Infinity" also work. */
static int to_double(ld *c, const json_t *v, const jp *at, double *out) {
  if (json_is_real(v)) *out = json_real_value(v);
  else if (json_is_integer(v)) *out = (double)json_integer_value(v);
  else if (json_is_null(v)) *out = NAN;
  else if (json_is_string(v) && strcmp(json_string_value(v), "Infinity") == 0) *out = INFINITY;
  else if (json_is_string(v) && strcmp(json_string_value(v), "-Infinity") == 0) *out = -INFINITY;
  else if (json_is_string(v) && strcmp(json_string_value(v), "NaN") == 0) *out = NAN;
  else return fail(c, FATHOM_E_FORMAT, at, "expected a number, got %s", type_name(v));
  return 0;
}

static int to_bool(ld *c, const json_t *v, const jp *at, int *out) {
  if (!json_is_boolean(v))
    return fail(c, FATHOM_E_FORMAT, at, "expected true or false, got %s", type_name(v));
  *out = json_is_true(v);
  return 0;
}

/* A string copied into *out; null gives NULL when nullable. */
static int to_str(ld *c, const json_t *v, const jp *at, int nullable, char **out) {
  if (nullable && json_is_null(v)) {
    *out = NULL;
    return 0;
  }
  if (!json_is_string(v))
    return fail(c, FATHOM_E_FORMAT, at, "expected a string%s, got %s",
                nullable ? " or null" : "", type_name(v));
  *out = strdup(json_string_value(v));
  return *out ? 0 : nomem(c);
}

/* One of names[0..n-1] (written form), or its number. */
static int to_enum(ld *c, const json_t *v, const jp *at, const char *const *names, int n,
                   int *out) {
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    for (int i = 0; i < n; i++) {
      if (strcmp(s, names[i]) == 0) {
        *out = i;
        return 0;
      }
    }
    return fail(c, FATHOM_E_FORMAT, at, "unknown value \"%.40s\"", s);
  }
  if (json_is_integer(v)) {
    json_int_t i = json_integer_value(v);
    if (i >= 0 && i < n) {
      *out = (int)i;
      return 0;
    }
    return fail(c, FATHOM_E_FORMAT, at, "%lld is out of range (0 to %d)", (long long)i, n - 1);
  }
  return fail(c, FATHOM_E_FORMAT, at, "expected a name, got %s", type_name(v));
}

/* ---- members ------------------------------------------------------------------------ */

/* Member key of obj (an object) into *v; *kp is its path. */
static int get(ld *c, const json_t *obj, const jp *at, const char *key, json_t **v, jp *kp) {
  kp->up = at;
  kp->key = key;
  kp->idx = 0;
  *v = json_object_get(obj, key);
  return *v ? 0 : fail(c, FATHOM_E_FORMAT, kp, "missing");
}

#define MEMBER_FN(fn, conv, type)                                                 \
  static int fn(ld *c, const json_t *obj, const jp *at, const char *key, type *out) { \
    json_t *v;                                                                     \
    jp kp;                                                                         \
    int rc = get(c, obj, at, key, &v, &kp);                                        \
    return rc ? rc : conv(c, v, &kp, out);                                         \
  }
MEMBER_FN(m_u64, to_u64, uint64_t)
MEMBER_FN(m_u32, to_u32, uint32_t)
MEMBER_FN(m_i64, to_i64, int64_t)
MEMBER_FN(m_int, to_int, int)
MEMBER_FN(m_dbl, to_double, double)
MEMBER_FN(m_bool, to_bool, int)
#undef MEMBER_FN

static int m_str(ld *c, const json_t *obj, const jp *at, const char *key, int nullable,
                 char **out) {
  json_t *v;
  jp kp;
  int rc = get(c, obj, at, key, &v, &kp);
  return rc ? rc : to_str(c, v, &kp, nullable, out);
}

/* Member key that must be of type t (object or array). */
static int m_typed(ld *c, const json_t *obj, const jp *at, const char *key, json_type t,
                   json_t **v, jp *kp) {
  int rc = get(c, obj, at, key, v, kp);
  if (rc) return rc;
  return want(c, *v, kp, t, t == JSON_OBJECT ? "an object" : "an array");
}

/* A table member: an array of at most max entries. */
static int m_table(ld *c, const json_t *obj, const jp *at, const char *key, size_t max,
                   json_t **v, jp *kp, size_t *n) {
  int rc = m_typed(c, obj, at, key, JSON_ARRAY, v, kp);
  if (rc) return rc;
  *n = json_array_size(*v);
  if (*n > max) return fail(c, FATHOM_E_LIMIT, kp, "%zu entries, more than %zu", *n, max);
  return 0;
}

/* ---- composite values --------------------------------------------------------------- */

static int load_stats(ld *c, const json_t *obj, const jp *at, fathom_stats *st) {
  json_t *s;
  jp kp;
  int rc = m_typed(c, obj, at, "stats", JSON_OBJECT, &s, &kp);
  if (!rc) rc = m_u64(c, s, &kp, "count", &st->count);
  if (!rc) rc = m_u64(c, s, &kp, "total_ns", &st->total_ns);
  if (!rc) rc = m_u64(c, s, &kp, "self_ns", &st->self_ns);
  if (!rc) rc = m_u64(c, s, &kp, "min_ns", &st->min_ns);
  if (!rc) rc = m_u64(c, s, &kp, "max_ns", &st->max_ns);
  if (!rc) rc = m_dbl(c, s, &kp, "mean_ns", &st->mean_ns);
  if (!rc) rc = m_dbl(c, s, &kp, "stddev_ns", &st->stddev_ns);
  if (!rc) rc = m_dbl(c, s, &kp, "p50_ns", &st->p50_ns);
  if (!rc) rc = m_dbl(c, s, &kp, "p90_ns", &st->p90_ns);
  if (!rc) rc = m_dbl(c, s, &kp, "p95_ns", &st->p95_ns);
  if (!rc) rc = m_dbl(c, s, &kp, "p99_ns", &st->p99_ns);
  if (!rc) rc = m_dbl(c, s, &kp, "p999_ns", &st->p999_ns);
  return rc;
}

/* {"unit_ns":u,"bucket":[...],"count":[...]}: unit optional (ns), finite and > 0; same
 * lengths, buckets strictly ascending and in range. */
static int load_hist(ld *c, const json_t *obj, const jp *at, fathom_hist *h) {
  json_t *hv, *bv, *cv;
  jp hp, bp, cp;
  int rc = m_typed(c, obj, at, "hist", JSON_OBJECT, &hv, &hp);
  if (!rc) rc = m_typed(c, hv, &hp, "bucket", JSON_ARRAY, &bv, &bp);
  if (!rc) rc = m_typed(c, hv, &hp, "count", JSON_ARRAY, &cv, &cp);
  if (rc) return rc;
  json_t *uv = json_object_get(hv, "unit_ns");
  if (uv) {
    jp up = {&hp, "unit_ns", 0};
    rc = to_double(c, uv, &up, &h->unit_ns);
    if (rc) return rc;
    if (!(h->unit_ns > 0) || !isfinite(h->unit_ns))
      return fail(c, FATHOM_E_FORMAT, &up, "must be a positive number of nanoseconds");
  }
  size_t n = json_array_size(bv);
  if (json_array_size(cv) != n)
    return fail(c, FATHOM_E_FORMAT, &hp, "%zu buckets but %zu counts", n,
                json_array_size(cv));
  if (n > FATHOM_HIST_BUCKETS)
    return fail(c, FATHOM_E_FORMAT, &bp, "%zu buckets, more than %d", n, FATHOM_HIST_BUCKETS);
  if (n == 0) return 0;
  h->bucket = calloc(n, sizeof *h->bucket);
  h->count = calloc(n, sizeof *h->count);
  h->n = (uint32_t)n;  /* set now: fz_hist_free releases whatever was allocated */
  if (!h->bucket || !h->count) return nomem(c);
  for (size_t i = 0; i < n; i++) {
    jp ip = {&bp, NULL, i};
    uint32_t b = 0;
    rc = to_u32(c, json_array_get(bv, i), &ip, &b);
    if (rc) return rc;
    if (b >= FATHOM_HIST_BUCKETS)
      return fail(c, FATHOM_E_FORMAT, &ip, "bucket %u out of range (0 to %d)", b,
                  FATHOM_HIST_BUCKETS - 1);
    if (i > 0 && b <= h->bucket[i - 1])
      return fail(c, FATHOM_E_FORMAT, &ip,
                  "bucket %u does not follow bucket %u (buckets must be strictly ascending)",
                  b, h->bucket[i - 1]);
    h->bucket[i] = b;
    jp cq = {&cp, NULL, i};
    rc = to_u64(c, json_array_get(cv, i), &cq, &h->count[i]);
    if (rc) return rc;
  }
  return 0;
}

static int load_meta(ld *c, const json_t *root, fathom_meta *m) {
  static const char *const levels[] = {"disabled", "basic", "detailed", "comprehensive"};
  json_t *o, *lv;
  jp mp, lp;
  int level = 0;
  int rc = m_typed(c, root, NULL, "meta", JSON_OBJECT, &o, &mp);
  if (!rc) rc = m_str(c, o, &mp, "fathom_version", 1, &m->fathom_version);
  if (!rc) rc = m_str(c, o, &mp, "session_name", 1, &m->session_name);
  if (!rc) rc = m_u64(c, o, &mp, "session_id", &m->session_id);
  if (!rc) rc = m_u64(c, o, &mp, "start_unix_ns", &m->start_unix_ns);
  if (!rc) rc = m_u64(c, o, &mp, "duration_ns", &m->duration_ns);
  if (!rc) rc = m_i64(c, o, &mp, "pid", &m->pid);
  if (!rc) rc = m_str(c, o, &mp, "program", 1, &m->program);
  if (!rc) rc = m_str(c, o, &mp, "host", 1, &m->host);
  if (!rc) rc = m_str(c, o, &mp, "os", 1, &m->os);
  if (!rc) rc = m_str(c, o, &mp, "kernel", 1, &m->kernel);
  if (!rc) rc = m_str(c, o, &mp, "arch", 1, &m->arch);
  if (!rc) rc = m_str(c, o, &mp, "cpu_model", 1, &m->cpu_model);
  if (!rc) rc = m_u32(c, o, &mp, "n_cpus", &m->n_cpus);
  if (!rc) rc = get(c, o, &mp, "level", &lv, &lp);
  if (!rc) rc = to_enum(c, lv, &lp, levels, 4, &level);
  if (!rc) m->level = (fathom_level)level;
  if (!rc) rc = m_str(c, o, &mp, "clock_source", 1, &m->clock_source);
  if (!rc) rc = m_dbl(c, o, &mp, "clock_resolution_ns", &m->clock_resolution_ns);
  if (!rc) rc = m_dbl(c, o, &mp, "clock_read_ns", &m->clock_read_ns);
  if (!rc) rc = m_dbl(c, o, &mp, "tsc_hz", &m->tsc_hz);
  if (!rc) rc = m_dbl(c, o, &mp, "zone_cost_ns", &m->zone_cost_ns);
  if (!rc) rc = m_dbl(c, o, &mp, "overhead_ns", &m->overhead_ns);
  if (!rc) rc = m_dbl(c, o, &mp, "overhead_pct", &m->overhead_pct);
  if (!rc) rc = m_dbl(c, o, &mp, "cpu_time_ns", &m->cpu_time_ns);
  if (!rc) rc = m_u64(c, o, &mp, "n_zones", &m->n_zones);
  if (!rc) rc = m_u64(c, o, &mp, "dropped_zones", &m->dropped_zones);
  if (!rc) rc = m_u64(c, o, &mp, "dropped_events", &m->dropped_events);
  if (!rc) rc = m_u64(c, o, &mp, "misuse", &m->misuse);
  if (!rc) rc = m_u64(c, o, &mp, "fathom_bytes", &m->fathom_bytes);
  return rc;
}

/* Each element of table tp must be an object. */
static int element(ld *c, const json_t *arr, const jp *tp, size_t i, json_t **v, jp *ip) {
  ip->up = tp;
  ip->key = NULL;
  ip->idx = i;
  *v = json_array_get(arr, i);
  return want(c, *v, ip, JSON_OBJECT, "an object");
}

static int load_zones(ld *c, const json_t *root, fathom_profile *p) {
  static const char *const kinds[] = {"zone", "function"};
  json_t *arr, *o, *kv;
  jp tp, ip, kp;
  size_t n;
  int rc = m_table(c, root, NULL, "zones", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = alloc_table(c, (void **)&p->zones, n, sizeof *p->zones);
  if (rc) return rc;
  p->n_zones = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_zone_info *z = &p->zones[i];
    int kind = 0;
    rc = element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = m_str(c, o, &ip, "name", 0, &z->name);
    if (!rc) rc = m_str(c, o, &ip, "component", 1, &z->component);
    if (!rc) rc = m_str(c, o, &ip, "tags", 1, &z->tags);
    if (!rc) rc = m_str(c, o, &ip, "file", 1, &z->file);
    if (!rc) rc = m_str(c, o, &ip, "func", 1, &z->func);
    if (!rc) rc = m_int(c, o, &ip, "line", &z->line);
    if (!rc) rc = get(c, o, &ip, "kind", &kv, &kp);
    if (!rc) rc = to_enum(c, kv, &kp, kinds, 2, &kind);
    if (!rc) z->kind = (fathom_zone_kind)kind;
    if (!rc) rc = load_stats(c, o, &ip, &z->stats);
    if (!rc) rc = load_hist(c, o, &ip, &z->hist);
  }
  return rc;
}

static int load_threads(ld *c, const json_t *root, fathom_profile *p) {
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  int rc = m_table(c, root, NULL, "threads", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = alloc_table(c, (void **)&p->threads, n, sizeof *p->threads);
  if (rc) return rc;
  p->n_threads = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_thread_info *t = &p->threads[i];
    rc = element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = m_u64(c, o, &ip, "tid", &t->tid);
    if (!rc) rc = m_str(c, o, &ip, "name", 1, &t->name);
    if (!rc) rc = m_bool(c, o, &ip, "exited", &t->exited);
    if (!rc) rc = m_u32(c, o, &ip, "n_open", &t->n_open);
    if (!rc) rc = m_u64(c, o, &ip, "n_zones", &t->n_zones);
    if (!rc) rc = m_u64(c, o, &ip, "n_dropped", &t->n_dropped);
  }
  return rc;
}

static int load_counters(ld *c, const json_t *root, fathom_profile *p) {
  static const char *const kinds[] = {"counter", "gauge", "size"};
  json_t *arr, *o, *kv;
  jp tp, ip, kp;
  size_t n;
  int rc = m_table(c, root, NULL, "counters", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = alloc_table(c, (void **)&p->counters, n, sizeof *p->counters);
  if (rc) return rc;
  p->n_counters = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_counter_info *ci = &p->counters[i];
    int kind = 0;
    rc = element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = m_str(c, o, &ip, "name", 0, &ci->name);
    if (!rc) rc = get(c, o, &ip, "kind", &kv, &kp);
    if (!rc) rc = to_enum(c, kv, &kp, kinds, 3, &kind);
    if (!rc) ci->kind = (fathom_metric_kind)kind;
    if (!rc) rc = m_u64(c, o, &ip, "n_updates", &ci->n_updates);
    if (!rc) rc = m_dbl(c, o, &ip, "value", &ci->value);
    if (!rc) rc = m_dbl(c, o, &ip, "total", &ci->total);
    if (!rc) rc = m_dbl(c, o, &ip, "min", &ci->min);
    if (!rc) rc = m_dbl(c, o, &ip, "max", &ci->max);
  }
  return rc;
}

static int load_metrics(ld *c, const json_t *o, const jp *at, fathom_node *nd) {
  json_t *arr, *mo;
  jp tp, ip;
  size_t n;
  int rc = m_table(c, o, at, "metrics", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = alloc_table(c, (void **)&nd->metrics, n, sizeof *nd->metrics);
  if (rc) return rc;
  nd->n_metrics = (uint32_t)n;
  for (size_t k = 0; k < n && !rc; k++) {
    fathom_metric_stats *ms = &nd->metrics[k];
    rc = element(c, arr, &tp, k, &mo, &ip);
    if (!rc) rc = m_str(c, mo, &ip, "name", 0, &ms->name);
    if (!rc) rc = m_u64(c, mo, &ip, "count", &ms->count);
    if (!rc) rc = m_dbl(c, mo, &ip, "sum", &ms->sum);
    if (!rc) rc = m_dbl(c, mo, &ip, "min", &ms->min);
    if (!rc) rc = m_dbl(c, mo, &ip, "max", &ms->max);
  }
  return rc;
}

/* Needs zones and threads loaded. Parents precede children, a child is one level deeper
 * than its parent and on the same thread, top-level nodes have depth 1. */
static int load_node(ld *c, const json_t *o, const jp *ip, fathom_profile *p, uint32_t i) {
  fathom_node *nd = &p->nodes[i];
  json_t *v;
  jp kp;
  int rc = get(c, o, ip, "zone", &v, &kp);
  if (!rc) rc = to_index(c, v, &kp, p->n_zones, "zones", 0, &nd->zone);
  if (!rc) rc = get(c, o, ip, "thread", &v, &kp);
  if (!rc) rc = to_index(c, v, &kp, p->n_threads, "threads", 0, &nd->thread);
  if (!rc) rc = get(c, o, ip, "parent", &v, &kp);
  if (!rc) rc = to_index(c, v, &kp, p->n_nodes, "nodes", 1, &nd->parent);
  if (rc) return rc;
  if (nd->parent != FATHOM_NONE && nd->parent >= i)
    return fail(c, FATHOM_E_FORMAT, &kp,
                "node %u does not precede its child (parents must come first)", nd->parent);
  rc = m_u32(c, o, ip, "depth", &nd->depth);
  if (rc) return rc;
  if (nd->parent == FATHOM_NONE && nd->depth != 1)
    return fail(c, FATHOM_E_FORMAT, ip, "depth %u for a top-level node (expected 1)",
                nd->depth);
  if (nd->parent != FATHOM_NONE) {
    const fathom_node *up = &p->nodes[nd->parent];
    if (nd->depth != up->depth + 1)
      return fail(c, FATHOM_E_FORMAT, ip, "depth %u but its parent node %u has depth %u",
                  nd->depth, nd->parent, up->depth);
    if (nd->thread != up->thread)
      return fail(c, FATHOM_E_FORMAT, ip, "thread %u but its parent node %u is on thread %u",
                  nd->thread, nd->parent, up->thread);
  }
  rc = load_stats(c, o, ip, &nd->stats);
  if (!rc) rc = load_hist(c, o, ip, &nd->hist);
  if (!rc) rc = load_metrics(c, o, ip, nd);
  return rc;
}

static int load_nodes(ld *c, const json_t *root, fathom_profile *p) {
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  int rc = m_table(c, root, NULL, "nodes", UINT32_MAX - 1, &arr, &tp, &n);
  if (!rc) rc = alloc_table(c, (void **)&p->nodes, n, sizeof *p->nodes);
  if (rc) return rc;
  p->n_nodes = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    rc = element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = load_node(c, o, &ip, p, (uint32_t)i);
  }
  return rc;
}

/* Element i of an events table: an array of exactly n values. */
static int tuple(ld *c, const json_t *arr, const jp *tp, size_t i, size_t n, const char *shape,
                 json_t **v, jp *ip) {
  ip->up = tp;
  ip->key = NULL;
  ip->idx = i;
  *v = json_array_get(arr, i);
  if (!json_is_array(*v))
    return fail(c, FATHOM_E_FORMAT, ip, "expected an array %s, got %s", shape, type_name(*v));
  if (json_array_size(*v) != n)
    return fail(c, FATHOM_E_FORMAT, ip, "expected %zu values %s, got %zu", n, shape,
                json_array_size(*v));
  return 0;
}

static int load_timeline(ld *c, const json_t *root, fathom_profile *p) {
  static const char ev_shape[] = "[thread,zone,depth,ts_ns,dur_ns]";
  static const char cev_shape[] = "[counter,thread,ts_ns,value]";
  json_t *tl, *arr, *e;
  jp lp, tp, ip;
  size_t n;
  int rc = m_typed(c, root, NULL, "timeline", JSON_OBJECT, &tl, &lp);
  if (!rc) rc = m_bool(c, tl, &lp, "recorded", &p->timeline);
  if (!rc) rc = m_table(c, tl, &lp, "events", SIZE_MAX, &arr, &tp, &n);
  if (!rc) rc = alloc_table(c, (void **)&p->events, n, sizeof *p->events);
  if (rc) return rc;
  p->n_events = n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_event *ev = &p->events[i];
    jp xp[5];
    rc = tuple(c, arr, &tp, i, 5, ev_shape, &e, &ip);
    for (size_t k = 0; k < 5; k++) xp[k] = (jp){&ip, NULL, k};
    if (!rc) rc = to_index(c, json_array_get(e, 0), &xp[0], p->n_threads, "threads", 0,
                           &ev->thread);
    if (!rc) rc = to_index(c, json_array_get(e, 1), &xp[1], p->n_zones, "zones", 0, &ev->zone);
    if (!rc) rc = to_u32(c, json_array_get(e, 2), &xp[2], &ev->depth);
    if (!rc) rc = to_u64(c, json_array_get(e, 3), &xp[3], &ev->ts_ns);
    if (!rc) rc = to_u64(c, json_array_get(e, 4), &xp[4], &ev->dur_ns);
    if (!rc && i > 0 && ev->ts_ns < ev[-1].ts_ns)
      rc = fail(c, FATHOM_E_FORMAT, &xp[3],
                "ts_ns %llu is before the previous event's %llu (events must be sorted)",
                (unsigned long long)ev->ts_ns, (unsigned long long)ev[-1].ts_ns);
  }
  if (!rc) rc = m_table(c, tl, &lp, "counter_events", SIZE_MAX, &arr, &tp, &n);
  if (!rc) rc = alloc_table(c, (void **)&p->counter_events, n, sizeof *p->counter_events);
  if (rc) return rc;
  p->n_counter_events = n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_counter_event *ce = &p->counter_events[i];
    jp xp[4];
    rc = tuple(c, arr, &tp, i, 4, cev_shape, &e, &ip);
    for (size_t k = 0; k < 4; k++) xp[k] = (jp){&ip, NULL, k};
    if (!rc) rc = to_index(c, json_array_get(e, 0), &xp[0], p->n_counters, "counters", 0,
                           &ce->counter);
    if (!rc) rc = to_index(c, json_array_get(e, 1), &xp[1], p->n_threads, "threads", 1,
                           &ce->thread);
    if (!rc) rc = to_u64(c, json_array_get(e, 2), &xp[2], &ce->ts_ns);
    if (!rc) rc = to_double(c, json_array_get(e, 3), &xp[3], &ce->value);
  }
  return rc;
}

/* Checks format and schema_version, then builds the model. */
static int load_root(ld *c, const json_t *root, fathom_profile **out) {
  json_t *v;
  jp kp;
  if (!json_is_object(root))
    return fail(c, FATHOM_E_FORMAT, NULL, "not a fathom profile (the top level is %s)",
                type_name(root));
  int rc = get(c, root, NULL, "format", &v, &kp);
  if (rc) return fail(c, rc, &kp, "missing (not a fathom profile)");
  if (!json_is_string(v))
    return fail(c, FATHOM_E_FORMAT, &kp,
                "expected \"fathom-profile\", got %s (not a fathom profile)", type_name(v));
  if (strcmp(json_string_value(v), "fathom-profile") != 0)
    return fail(c, FATHOM_E_FORMAT, &kp,
                "\"%.40s\" is not \"fathom-profile\" (not a fathom profile)",
                json_string_value(v));
  int64_t version = 0;
  rc = m_i64(c, root, NULL, "schema_version", &version);
  if (rc) return rc;
  if (version != FATHOM_SCHEMA_VERSION)
    return fail(c, FATHOM_E_VERSION, NULL,
                "schema version %lld is not supported (this fathom reads %d)",
                (long long)version, FATHOM_SCHEMA_VERSION);

  fathom_profile *p = calloc(1, sizeof *p);
  if (!p) return nomem(c);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  rc = load_meta(c, root, &p->meta);
  if (!rc) rc = load_zones(c, root, p);
  if (!rc) rc = load_threads(c, root, p);
  if (!rc) rc = load_counters(c, root, p);
  if (!rc) rc = load_nodes(c, root, p);
  if (!rc) rc = load_timeline(c, root, p);
  if (rc) {
    fathom_profile_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

/* ---- entry points ------------------------------------------------------------------- */

static int load_mem(ld *c, const char *buf, size_t len, fathom_profile **out) {
  if (len > FATHOM_LOAD_MAX_BYTES)
    return fail(c, FATHOM_E_LIMIT, NULL, "%zu bytes, more than the limit of %zu", len,
                FATHOM_LOAD_MAX_BYTES);
  if (len == 0) return fail(c, FATHOM_E_FORMAT, NULL, "empty (not a fathom profile)");
  json_error_t je;
  json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    if (json_error_code(&je) == json_error_out_of_memory) return nomem(c);
    return fail(c, FATHOM_E_FORMAT, NULL, "truncated or malformed JSON at line %d column %d: %s",
                je.line, je.column, je.text);
  }
  int rc = load_root(c, root, out);
  json_decref(root);
  return rc;
}

int fathom_profile_load_buffer(const char *buf, size_t len, fathom_profile **out, char *err,
                               size_t errlen) {
  ld c = {err, errlen, NULL};
  if (err && errlen) err[0] = 0;
  if (!out) return fail(&c, FATHOM_E_INVAL, NULL, "no output pointer");
  *out = NULL;
  if (!buf && len) return fail(&c, FATHOM_E_INVAL, NULL, "no buffer");
  return load_mem(&c, buf ? buf : "", len, out);
}

/* Reads all of fp into *buf (at most FATHOM_LOAD_MAX_BYTES). */
static int read_all(ld *c, FILE *fp, char **buf, size_t *len) {
  struct stat st;
  size_t cap = 1 << 16, n = 0;
  *buf = NULL;
  *len = 0;
  if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) {
    if ((uint64_t)st.st_size > FATHOM_LOAD_MAX_BYTES)
      return fail(c, FATHOM_E_LIMIT, NULL, "%llu bytes, more than the limit of %zu",
                  (unsigned long long)st.st_size, FATHOM_LOAD_MAX_BYTES);
    cap = (size_t)st.st_size + 1;  /* +1: the read that sees end of file */
  }
  char *b = malloc(cap);
  if (!b) return nomem(c);
  for (;;) {
    if (n == cap) {
      if (cap > FATHOM_LOAD_MAX_BYTES) {
        free(b);
        return fail(c, FATHOM_E_LIMIT, NULL, "more than the limit of %zu bytes",
                    FATHOM_LOAD_MAX_BYTES);
      }
      size_t ncap = cap * 2 > FATHOM_LOAD_MAX_BYTES + 1 ? FATHOM_LOAD_MAX_BYTES + 1 : cap * 2;
      char *nb = realloc(b, ncap);
      if (!nb) {
        free(b);
        return nomem(c);
      }
      b = nb;
      cap = ncap;
    }
    size_t got = fread(b + n, 1, cap - n, fp);
    n += got;
    if (got == 0) break;
  }
  if (ferror(fp)) {
    int e = errno;
    free(b);
    return fail(c, FATHOM_E_IO, NULL, "cannot read: %s", strerror(e));
  }
  *buf = b;
  *len = n;
  return 0;
}

int fathom_profile_load(const char *path, fathom_profile **out, char *err, size_t errlen) {
  ld c = {err, errlen, path};
  if (err && errlen) err[0] = 0;
  if (!out) return fail(&c, FATHOM_E_INVAL, NULL, "no output pointer");
  *out = NULL;
  if (!path || !*path) {
    c.name = NULL;
    return fail(&c, FATHOM_E_INVAL, NULL, "no file name");
  }
  int is_stdin = strcmp(path, "-") == 0;
  if (is_stdin) c.name = "<stdin>";
  FILE *fp = is_stdin ? stdin : fopen(path, "rb");
  if (!fp) return fail(&c, FATHOM_E_IO, NULL, "cannot open: %s", strerror(errno));
  char *buf;
  size_t len;
  int rc = read_all(&c, fp, &buf, &len);
  if (!is_stdin) fclose(fp);
  if (rc) return rc;
  rc = load_mem(&c, buf, len, out);
  free(buf);
  return rc;
}
