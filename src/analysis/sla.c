/* analysis/sla.c: latency SLAs ("zone:p95<=50ms;parse:p99<=2ms"): parsing, and checking
 * them against a profile's histograms (the live questions, fathom_check_sla and
 * fathom_bottlenecks_summary, are asked of the session: session/queries.c).
 *
 * Invariant: a spec is parsed completely before anything changes, so a bad spec leaves the
 * profile untouched; a percentile comes from the zone's histogram (every component of that
 * name merged), the same estimate the views print; an estimated percentile is judged by its
 * 95 % interval, never by the point estimate alone. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/analysis.h"
#include "util/fmt.h"

typedef struct sla_item {
  char *name;
  double q, target_ns;
} sla_item;


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
  if (len >= sizeof buf) return fz_errf(err, errlen, "SLA item too long (%zu bytes)", len);
  memcpy(buf, item, len);
  buf[len] = 0;
  char *colon = strrchr(buf, ':');
  if (!colon) return fz_errf(err, errlen, "\"%.80s\": expected zone:pQ<=TARGET", buf);
  *colon = 0;
  const char *nm = skip_ws(buf);
  size_t nl = strlen(nm);
  while (nl && (nm[nl - 1] == ' ' || nm[nl - 1] == '\t')) nl--;
  if (!nl) return fz_errf(err, errlen, "\"%.80s\": no zone name before ':'", item);
  const char *r = skip_ws(colon + 1);
  if (*r != 'p' && *r != 'P')
    return fz_errf(err, errlen, "\"%.80s\": expected a percentile like p95 after ':'", r);
  char *end;
  errno = 0;
  double q = strtod(r + 1, &end);
  if (end == r + 1 || errno || !(q > 0 && q <= 100))
    return fz_errf(err, errlen, "\"%.80s\": the percentile must be in (0, 100]", r);
  const char *op = skip_ws(end);
  if (op[0] == '<' && op[1] == '=') op += 2;
  else if (op[0] == '<') op += 1;
  else return fz_errf(err, errlen, "\"%.80s\": expected <= after the percentile", r);
  double t = parse_target(skip_ws(op));
  if (!isfinite(t))
    return fz_errf(err, errlen, "\"%.80s\": the target must be a positive number with a unit "
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
      if (k == FZ_SLA_MAX) rc = fz_errf(err, errlen, "more than %d SLAs", FZ_SLA_MAX);
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

/* ---- verdicts ------------------------------------------------------------------------
 * How it works: the percentile comes from the histogram (every zone of that name merged), as
 * before, or for an estimated single zone and a percentile it keeps (p50 ... p99.9) from its
 * stats, paired with their interval. When every call was timed it is exact (to the histogram's resolution) and the
 * verdict is plain: met when it is at most the target. When the governor timed a sample of
 * the calls it is an estimate with a 95 % interval [lo, hi]: the zone's own pct_lo_ns /
 * pct_hi_ns for p50, p90, p95, p99 and p99.9 of a single zone; otherwise a distribution-free
 * interval: with n timed calls, the ranks n q -+ 1.96 sqrt(n q (1 - q)) (the binomial count
 * of calls below the true quantile), taken as fractions of the histogram's cumulative counts
 * (which may be weighted: they sum to about the calls, not the timed calls), mapped to the
 * lower edge of the bucket holding the lower rank and the upper edge of the one holding the
 * upper rank; a rank below 1 leaves the interval open below (0), above n open above (inf).
 * Met when hi <= target, missed when lo > target, else not enough data (-2); also -2 when
 * fewer than 1 / (1 - q) calls were timed (no timed call can lie above the percentile). */
#define Z95 1.959963984540054

static const double std_q[FATHOM_PCT_N] = {50, 90, 95, 99, 99.9};

static int std_index(double q) {
  for (int k = 0; k < FATHOM_PCT_N; k++)
    if (fabs(q - std_q[k]) < 1e-9) return k;
  return -1;
}


/* 95 % interval of quantile q (0..1) from histogram h sampled by n timed calls. */
static void hist_interval(const fathom_hist *h, double n, double q, double *lo, double *hi) {
  if (!h->n || !(n >= 1) || !(fz_hist_total(h) > 0)) {
    *lo = 0;
    *hi = INFINITY;
    return;
  }
  double x = n * q, sd = sqrt(n * q * (1 - q));
  double rlo = floor(x - Z95 * sd), rhi = ceil(x + Z95 * sd);
  *lo = rlo < 1 ? 0 : fz_hist_frac_edge(h, rlo / n, 0);
  *hi = rhi > n ? INFINITY : fz_hist_frac_edge(h, fmax(rhi, 1) / n, 1);
}

/* Percentile k (the index of pct_lo_ns / pct_hi_ns) of st. */
static double stats_pct(const fathom_stats *st, int k) {
  const double v[FATHOM_PCT_N] = {st->p50_ns, st->p90_ns, st->p95_ns, st->p99_ns, st->p999_ns};
  return v[k];
}

static int interval_ok(double lo, double hi) {
  return !isnan(lo) && !isnan(hi) && lo >= 0 && hi >= lo && hi > 0;
}

/* Fills r (zone_name not touched) from every zone of p named name. */
static int check_one(const fathom_profile *p, const char *name, double q, double target_ns,
                     fathom_sla_result *r) {
  fathom_stats acc;
  fathom_hist h = {0, NULL, NULL, 0};
  memset(&acc, 0, sizeof acc);
  r->zone = FATHOM_NONE;
  uint32_t nz = 0;
  for (uint32_t i = 0; i < p->n_zones; i++) {
    if (!p->zones[i].name || strcmp(p->zones[i].name, name) != 0) continue;
    if (r->zone == FATHOM_NONE) r->zone = i;
    nz++;
    fz_stats_merge(&acc, &p->zones[i].stats);
    if (fz_hist_merge(&h, &p->zones[i].hist)) {
      fz_hist_free(&h);
      return FATHOM_E_NOMEM;
    }
  }
  const fathom_stats *one = nz == 1 ? &p->zones[r->zone].stats : NULL;
  int k = std_index(q);
  r->percentile = q;
  r->target_ns = target_ns;
  r->count = acc.count;
  r->timed = acc.count ? fz_timed_of(&acc) : 0;
  /* the zone's own percentile, where it keeps one, goes with its own interval */
  const double sv = one && k >= 0 ? stats_pct(one, k) : NAN;
  int own = isfinite(sv) && sv > 0;
  if (acc.count && own && (fathom_stats_estimated(&acc) || !h.n))
    r->actual_ns = sv;   /* an estimate (or no histogram: its cap) */
  else if (acc.count && h.n)
    r->actual_ns = fathom_hist_percentile(&h, q, acc.min_ns, acc.max_ns);
  else
    r->actual_ns = NAN;
  double a = r->actual_ns;
  if (!isfinite(a)) {
    r->actual_lo_ns = r->actual_hi_ns = NAN;
    r->met = -1;
  } else if (!fathom_stats_estimated(&acc)) {
    r->actual_lo_ns = r->actual_hi_ns = a;   /* every call timed: the value itself */
    r->met = a <= target_ns;
  } else {
    double lo, hi, qq = q / 100.0;
    if (one && k >= 0 && interval_ok(one->pct_lo_ns[k], one->pct_hi_ns[k])) {
      lo = one->pct_lo_ns[k];
      hi = one->pct_hi_ns[k];
    } else {
      hist_interval(&h, (double)r->timed, qq, &lo, &hi);
    }
    r->actual_lo_ns = fmin(lo, a);
    r->actual_hi_ns = fmax(hi, a);
    if ((double)r->timed * (1.0 - qq) < 1.0 - 1e-9) r->met = -2;
    else if (r->actual_hi_ns <= target_ns) r->met = 1;
    else if (r->actual_lo_ns > target_ns) r->met = 0;
    else r->met = -2;
  }
  fz_hist_free(&h);
  return 0;
}

FATHOM_EXTERN int fathom_sla_check_profile(fathom_profile *p, const char *spec, char *err,
                                           size_t errlen) {
  if (!p) return fz_errf(err, errlen, "no profile");
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

/* ---- one zone, for the live query (session/queries.c) -------------------------------- */

int fz_sla_check_zone(const fathom_profile *p, const char *zone, double percentile,
                      double target_ns, fathom_sla_result *r) {
  return check_one(p, zone, percentile, target_ns, r);
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
