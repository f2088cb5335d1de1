/* analysis/thresholds.c: the bottleneck thresholds: seed 001's defaults and its specialised
 * data-loading and preprocessing components, the "key=value" spec, the environment, the
 * lookup of a zone's thresholds by component. (The names of classes and severities:
 * model/model.c.)
 *
 * Invariant: a parse either stores a positive finite value (or a non-negative one where 0
 * has a meaning) or stores nothing and says which item was wrong; thresholds are never
 * left half-written by one item. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/analysis.h"
#include "util/fmt.h"
#include "util/conffile.h"

static void add_comp(fathom_thresholds *t, const char *name, double cpu_ms, double memory_mb,
                     double io_mb) {
  fathom_component_thresholds *c = &t->components[t->n_components++];
  memset(c, 0, sizeof *c);
  snprintf(c->component, sizeof c->component, "%s", name);
  c->cpu_ms = cpu_ms;
  c->memory_mb = memory_mb;
  c->io_mb = io_mb;
}

FATHOM_EXTERN void fathom_thresholds_init(fathom_thresholds *t) {
  if (!t) return;
  memset(t, 0, sizeof *t);
  t->cpu_ms = 100;
  t->memory_mb = 100;
  t->gpu_memory_mb = 500;
  t->io_mb = 100;
  t->min_share_pct = 1;
  t->classify_share_pct = 5;
  t->cpu_bound_pct = 90;
  t->waiting_pct = 50;
  t->tail_ratio = 10;
  t->tail_min_calls = 100;
  t->tail_min_us = 10;
  t->hot_path_pct = 20;
  t->churn_allocs_per_call = 16;
  t->churn_small_bytes = 256;
  t->churn_min_allocs = 10000;
  t->leak_mb = 1;
  t->leak_growth_bytes = 64;
  t->imbalance_ratio = 1.5;
  t->gpu_idle_pct = 30;
  t->cpu_busy_pct = 80;
  t->overhead_pct = 0;
  /* seed 001: _check_data_loading_bottlenecks (500 ms, 50 MB) and
   * _check_preprocessing_bottlenecks (200 ms, 200 MB) */
  static const char *const loading[] = {"data", "load", "loading", "data_loading"};
  for (size_t i = 0; i < sizeof loading / sizeof loading[0]; i++)
    add_comp(t, loading[i], 500, 0, 50);
  add_comp(t, "preprocess", 200, 200, 0);
  add_comp(t, "preprocessing", 200, 200, 0);
}

/* ---- the spec ---------------------------------------------------------------------- */

typedef struct fz_tkey {
  const char *name;
  size_t off;
  int u64;       /* 1: a uint64_t field */
  int zero_ok;   /* 1: 0 is a meaningful value */
} fz_tkey;

#define FZ_TK(f, u, z) {#f, offsetof(fathom_thresholds, f), u, z}
static const fz_tkey tkeys[] = {
    FZ_TK(cpu_ms, 0, 0),          FZ_TK(memory_mb, 0, 0),         FZ_TK(gpu_memory_mb, 0, 0),
    FZ_TK(io_mb, 0, 0),           FZ_TK(min_share_pct, 0, 1),     FZ_TK(classify_share_pct, 0, 1),
    FZ_TK(cpu_bound_pct, 0, 0),   FZ_TK(waiting_pct, 0, 0),       FZ_TK(tail_ratio, 0, 0),
    FZ_TK(tail_min_calls, 1, 1),  FZ_TK(tail_min_us, 0, 1),       FZ_TK(hot_path_pct, 0, 0),
    FZ_TK(churn_allocs_per_call, 0, 0), FZ_TK(churn_small_bytes, 0, 0),
    FZ_TK(churn_min_allocs, 1, 1), FZ_TK(leak_mb, 0, 0),          FZ_TK(leak_growth_bytes, 0, 0),
    FZ_TK(imbalance_ratio, 0, 0), FZ_TK(gpu_idle_pct, 0, 0),      FZ_TK(cpu_busy_pct, 0, 1),
    FZ_TK(overhead_pct, 0, 1),
};
#undef FZ_TK


static int parse_num(const char *s, double *out) {
  char *end;
  errno = 0;
  double d = strtod(s, &end);
  if (end == s || *end || errno || !isfinite(d) || d < 0) return -1;
  *out = d;
  return 0;
}

static fathom_component_thresholds *comp_slot(fathom_thresholds *t, const char *name,
                                              size_t len) {
  for (uint32_t i = 0; i < t->n_components && i < FATHOM_THRESHOLDS_MAX_COMPONENTS; i++)
    if (strlen(t->components[i].component) == len &&
        strncasecmp(t->components[i].component, name, len) == 0)
      return &t->components[i];
  if (t->n_components >= FATHOM_THRESHOLDS_MAX_COMPONENTS ||
      len >= sizeof t->components[0].component)
    return NULL;
  fathom_component_thresholds *c = &t->components[t->n_components++];
  memset(c, 0, sizeof *c);
  memcpy(c->component, name, len);
  return c;
}

/* One "key=value" item (trimmed, NUL-terminated). */
static int parse_item(fathom_thresholds *t, char *item, char *err, size_t errlen) {
  char *eq = strchr(item, '=');
  if (!eq || eq == item)
    return fz_errf(err, errlen, "\"%.80s\": expected key=value", item);
  *eq = 0;
  const char *k = item, *v = eq + 1;
  double d;
  if (parse_num(v, &d) != 0)
    return fz_errf(err, errlen, "%.60s=%.40s: expected a non-negative number", k, v);
  const char *dot = strrchr(k, '.');
  if (dot) {
    static const char *const cf[] = {"cpu_ms", "memory_mb", "io_mb", "gpu_memory_mb"};
    int which = -1;
    for (int i = 0; i < 4; i++)
      if (strcmp(dot + 1, cf[i]) == 0) which = i;
    if (which < 0 || dot == k)
      return fz_errf(err, errlen,
                    "%.80s: a component override is COMPONENT.cpu_ms, .memory_mb, .io_mb or "
                    ".gpu_memory_mb", k);
    fathom_component_thresholds *c = comp_slot(t, k, (size_t)(dot - k));
    if (!c)
      return fz_errf(err, errlen, "%.80s: too many components (at most %d) or name too long",
                    k, FATHOM_THRESHOLDS_MAX_COMPONENTS);
    double *f[] = {&c->cpu_ms, &c->memory_mb, &c->io_mb, &c->gpu_memory_mb};
    *f[which] = d;
    return 0;
  }
  for (size_t i = 0; i < sizeof tkeys / sizeof tkeys[0]; i++) {
    if (strcmp(k, tkeys[i].name) != 0) continue;
    if (d == 0 && !tkeys[i].zero_ok)
      return fz_errf(err, errlen, "%.60s=%.40s: must be above 0", k, v);
    char *base = (char *)t + tkeys[i].off;
    if (tkeys[i].u64) {
      if (d != floor(d) || d > 1e18)
        return fz_errf(err, errlen, "%.60s=%.40s: expected an integer", k, v);
      uint64_t x = (uint64_t)d;
      memcpy(base, &x, sizeof x);
    } else {
      memcpy(base, &d, sizeof d);
    }
    return 0;
  }
  return fz_errf(err, errlen, "%.80s: unknown threshold (docs/findings.md lists them)", k);
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
  return s;
}

FATHOM_EXTERN int fathom_thresholds_parse(fathom_thresholds *t, const char *spec, char *err,
                                          size_t errlen) {
  if (err && errlen) err[0] = 0;
  if (!t) return fz_errf(err, errlen, "no thresholds");
  if (!spec) return 0;
  char *copy = strdup(spec);
  if (!copy) return FATHOM_E_NOMEM;
  int rc = 0;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",;", &save); tok && !rc; tok = strtok_r(NULL, ",;", &save)) {
    char *item = trim(tok);
    if (*item) rc = parse_item(t, item, err, errlen);
  }
  free(copy);
  return rc;
}

static int env_mb(const char *var, double *field) {
  const char *v = fz_getenv(var);
  if (!v || !*v) return 0;
  double d;
  if (parse_num(v, &d) != 0 || d <= 0) {
    fprintf(stderr, "fathom: %s=%s: expected a positive number; ignored\n", var, v);
    return FATHOM_E_INVAL;
  }
  *field = d;
  return 0;
}

FATHOM_EXTERN int fathom_thresholds_from_env(fathom_thresholds *t) {
  if (!t) return FATHOM_E_INVAL;
  int saved = errno, rc = 0;
  if (env_mb("FATHOM_CPU_THRESHOLD_MS", &t->cpu_ms)) rc = FATHOM_E_INVAL;
  if (env_mb("FATHOM_MEMORY_THRESHOLD_MB", &t->memory_mb)) rc = FATHOM_E_INVAL;
  if (env_mb("FATHOM_GPU_MEMORY_THRESHOLD_MB", &t->gpu_memory_mb)) rc = FATHOM_E_INVAL;
  if (env_mb("FATHOM_IO_THRESHOLD_MB", &t->io_mb)) rc = FATHOM_E_INVAL;
  const char *spec = fz_getenv("FATHOM_THRESHOLDS");
  if (spec && *spec) {
    fathom_thresholds tmp = *t;
    char err[256];
    int r = fathom_thresholds_parse(&tmp, spec, err, sizeof err);
    if (r) {
      fprintf(stderr, "fathom: FATHOM_THRESHOLDS=%s: %s; ignored\n", spec,
              r == FATHOM_E_NOMEM ? "out of memory" : err);
      rc = FATHOM_E_INVAL;
    } else {
      *t = tmp;
    }
  }
  errno = saved;
  return rc;
}

/* ---- lookup ------------------------------------------------------------------------ */

void fz_thr_for(const fathom_thresholds *t, const char *component, fz_zthr *out) {
  out->cpu_ms = t->cpu_ms;
  out->memory_mb = t->memory_mb;
  out->io_mb = t->io_mb;
  out->gpu_memory_mb = t->gpu_memory_mb;
  out->component = NULL;
  if (!component) return;
  uint32_t n = t->n_components < FATHOM_THRESHOLDS_MAX_COMPONENTS ? t->n_components
                                                                   : FATHOM_THRESHOLDS_MAX_COMPONENTS;
  for (uint32_t i = 0; i < n; i++) {
    const fathom_component_thresholds *c = &t->components[i];
    if (strncasecmp(c->component, component, sizeof c->component) != 0) continue;
    if (c->cpu_ms > 0) out->cpu_ms = c->cpu_ms;
    if (c->memory_mb > 0) out->memory_mb = c->memory_mb;
    if (c->io_mb > 0) out->io_mb = c->io_mb;
    if (c->gpu_memory_mb > 0) out->gpu_memory_mb = c->gpu_memory_mb;
    out->component = c->component;
    return;
  }
}

int fz_comp_kind(const char *c) {
  if (!c) return 0;
  if (!strcasecmp(c, "data") || !strcasecmp(c, "load") || !strcasecmp(c, "loading") ||
      !strcasecmp(c, "data_loading") || !strcasecmp(c, "io"))
    return 1;
  if (!strcasecmp(c, "preprocess") || !strcasecmp(c, "preprocessing")) return 2;
  return 0;
}

double fz_excess_score(double value, double threshold) {
  if (!(value > 0) || !(threshold > 0) || value <= threshold) return 0;
  return 100.0 * (1.0 - threshold / value);
}
