/* analysis_sla.c: latency SLAs ("zone:p95<=50ms;parse:p99<=2ms"): parsing, checking them
 * against a profile's histograms, and the live API (fathom_check_sla, seed 002's check_sla;
 * fathom_bottlenecks_summary, seed 001's get_bottlenecks_summary).
 *
 * Invariant: a spec is parsed completely before anything changes, so a bad spec leaves the
 * profile untouched; a percentile comes from the zone's histogram (every component of that
 * name merged), the same estimate the views print. Live calls never charge their own
 * allocations to the program's zones. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "analysis.h"
#include "record.h"

typedef struct sla_item {
  char *name;
  double q, target_ns;
} sla_item;

static int sla_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int sla_err(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return FATHOM_E_INVAL;
}

static const char *skip_ws(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return s;
}

/* "TARGET UNIT" -> ns; NAN when not a positive number with a known unit. */
static double parse_target(const char *s) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno || !isfinite(v) || !(v > 0)) return NAN;
  const char *u = skip_ws(end);
  size_t n = strlen(u);
  while (n && (u[n - 1] == ' ' || u[n - 1] == '\t')) n--;
  static const struct { const char *u; double ns; } units[] = {
      {"ns", 1}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strlen(units[i].u) == n && strncmp(u, units[i].u, n) == 0) return v * units[i].ns;
  return NAN;
}

/* One item "name:pQ<=T". */
static int parse_one(const char *item, size_t len, sla_item *out, char *err, size_t errlen) {
  char buf[512];
  if (len >= sizeof buf) return sla_err(err, errlen, "SLA item too long (%zu bytes)", len);
  memcpy(buf, item, len);
  buf[len] = 0;
  char *colon = strrchr(buf, ':');
  if (!colon) return sla_err(err, errlen, "\"%.80s\": expected zone:pQ<=TARGET", buf);
  *colon = 0;
  const char *nm = skip_ws(buf);
  size_t nl = strlen(nm);
  while (nl && (nm[nl - 1] == ' ' || nm[nl - 1] == '\t')) nl--;
  if (!nl) return sla_err(err, errlen, "\"%.80s\": no zone name before ':'", item);
  const char *r = skip_ws(colon + 1);
  if (*r != 'p' && *r != 'P')
    return sla_err(err, errlen, "\"%.80s\": expected a percentile like p95 after ':'", r);
  char *end;
  errno = 0;
  double q = strtod(r + 1, &end);
  if (end == r + 1 || errno || !(q > 0 && q <= 100))
    return sla_err(err, errlen, "\"%.80s\": the percentile must be in (0, 100]", r);
  const char *op = skip_ws(end);
  if (op[0] == '<' && op[1] == '=') op += 2;
  else if (op[0] == '<') op += 1;
  else return sla_err(err, errlen, "\"%.80s\": expected <= after the percentile", r);
  double t = parse_target(skip_ws(op));
  if (!isfinite(t))
    return sla_err(err, errlen, "\"%.80s\": the target must be a positive number with a unit "
                   "(ns, us, ms, s)", skip_ws(op));
  out->name = strndup(nm, nl);
  if (!out->name) return FATHOM_E_NOMEM;
  out->q = q;
  out->target_ns = t;
  return 0;
}

static void items_free(sla_item *v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) free(v[i].name);
  free(v);
}

/* Parses spec into *out (n items); spec NULL/empty gives none. */
static int parse_spec(const char *spec, sla_item **out, uint32_t *n, char *err, size_t errlen) {
  *out = NULL;
  *n = 0;
  if (err && errlen) err[0] = 0;
  if (!spec) return 0;
  sla_item *v = calloc(FZ_SLA_MAX, sizeof *v);
  if (!v) return FATHOM_E_NOMEM;
  uint32_t k = 0;
  int rc = 0;
  for (const char *s = spec; *s && !rc;) {
    const char *e = strchr(s, ';');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    const char *t = skip_ws(s);
    if ((size_t)(t - s) < len) {
      if (k == FZ_SLA_MAX) rc = sla_err(err, errlen, "more than %d SLAs", FZ_SLA_MAX);
      else if ((rc = parse_one(s, len, &v[k], err, errlen)) == 0) k++;
    }
    s = e ? e + 1 : s + len;
  }
  if (rc) {
    items_free(v, k);
    return rc;
  }
  *out = v;
  *n = k;
  return 0;
}

int fz_sla_validate(const char *spec, char *err, size_t errlen) {
  sla_item *v;
  uint32_t n;
  int rc = parse_spec(spec, &v, &n, err, errlen);
  if (!rc) items_free(v, n);
  return rc;
}

/* Fills r (zone_name not touched) from every zone of p named name. */
static int check_one(const fathom_profile *p, const char *name, double q, double target_ns,
                     fathom_sla_result *r) {
  fathom_stats acc;
  fathom_hist h = {0, NULL, NULL, 0};
  memset(&acc, 0, sizeof acc);
  r->zone = FATHOM_NONE;
  for (uint32_t i = 0; i < p->n_zones; i++) {
    if (!p->zones[i].name || strcmp(p->zones[i].name, name) != 0) continue;
    if (r->zone == FATHOM_NONE) r->zone = i;
    fz_stats_merge(&acc, &p->zones[i].stats);
    if (fz_hist_merge(&h, &p->zones[i].hist)) {
      fz_hist_free(&h);
      return FATHOM_E_NOMEM;
    }
  }
  r->percentile = q;
  r->target_ns = target_ns;
  r->count = acc.count;
  r->actual_ns = acc.count && h.n ? fathom_hist_percentile(&h, q, acc.min_ns, acc.max_ns) : NAN;
  r->met = isfinite(r->actual_ns) ? r->actual_ns <= target_ns : -1;
  fz_hist_free(&h);
  return 0;
}

FATHOM_EXTERN int fathom_sla_check_profile(fathom_profile *p, const char *spec, char *err,
                                           size_t errlen) {
  if (!p) return sla_err(err, errlen, "no profile");
  int saved = errno;
  sla_item *v;
  uint32_t n;
  int rc = parse_spec(spec, &v, &n, err, errlen);
  if (rc) {
    errno = saved;
    return rc;
  }
  fathom_sla_result *res = n ? calloc(n, sizeof *res) : NULL;
  if (n && !res) rc = FATHOM_E_NOMEM;
  for (uint32_t i = 0; i < n && !rc; i++) {
    rc = check_one(p, v[i].name, v[i].q, v[i].target_ns, &res[i]);
    res[i].zone_name = v[i].name;
    v[i].name = NULL;
  }
  if (rc) {
    fz_slas_free(res, n);
  } else {
    fz_slas_free(p->slas, p->n_slas);
    p->slas = res;
    p->n_slas = n;
  }
  items_free(v, n);
  errno = saved;
  return rc;
}

/* ---- live ---------------------------------------------------------------------------- */

FATHOM_EXTERN int fathom_check_sla(const char *zone, double percentile, double target_ms,
                                   fathom_sla_result *out) {
  if (!zone || !(percentile > 0 && percentile <= 100) || !(target_ms > 0) || !isfinite(target_ms))
    return FATHOM_E_INVAL;
  int saved = errno;
  fz_alloc_pause();
  fathom_profile *p = fathom_snapshot();
  int rc;
  if (!p) {
    rc = FATHOM_E_STATE;
  } else {
    fathom_sla_result r;
    memset(&r, 0, sizeof r);
    rc = check_one(p, zone, percentile, target_ms * 1e6, &r);
    if (!rc && r.met < 0) rc = FATHOM_E_NOTFOUND;
    if (!rc) rc = r.met;
    if (out && rc >= 0) *out = r;
    fathom_profile_free(p);
  }
  fz_alloc_resume();
  errno = saved;
  return rc;
}

FATHOM_EXTERN fathom_profile *fathom_bottlenecks_summary(const fathom_thresholds *t) {
  int saved = errno;
  fz_alloc_pause();
  fathom_profile *p = fathom_snapshot();
  char *spec = NULL;
  if (p) {
    pthread_mutex_lock(&fz_g.lock);
    spec = fz_strdup(fz_g.cfg.sla);
    pthread_mutex_unlock(&fz_g.lock);
    if (spec) fathom_sla_check_profile(p, spec, NULL, 0); /* validated at session begin */
    if (fathom_analyze(p, t) != 0) {
      fathom_profile_free(p);
      p = NULL;
    }
  }
  free(spec);
  fz_alloc_resume();
  errno = saved;
  return p;
}

/* ---- session end ----------------------------------------------------------------------- */

void fz_session_findings(fathom_profile *p, const fathom_config *c) {
  char err[256];
  int rc = 0;
  if (c->sla && *c->sla) rc = fathom_sla_check_profile(p, c->sla, err, sizeof err);
  if (rc == FATHOM_E_INVAL) fprintf(stderr, "fathom: FATHOM_SLA=%s: %s\n", c->sla, err);
  if (!rc || rc == FATHOM_E_INVAL) rc = fathom_analyze(p, c->thresholds);
  if (rc == FATHOM_E_NOMEM) fprintf(stderr, "fathom: out of memory finding bottlenecks\n");
}
