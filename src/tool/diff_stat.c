/* diff_stat.c: whether a change between two profiles is beyond noise (method: docs/diff.md).
 *
 * Invariant: a figure is judged DJ_BEYOND only on evidence: an exact count that changed, a
 * Welch test whose two-sided p-value is below that of a normal variable beyond ±sigma, or
 * two quantile intervals that do not overlap; whatever cannot be estimated (too few timed
 * calls, sampled RSS) is DJ_UNKNOWN and never counts as a regression. How it works:
 *   mean:  n = calls timed, s = max(stddev, 1 ns), v = s^2 / n per side; t = (|Δ| - bias) /
 *          sqrt(va + vb) with Welch-Satterthwaite degrees of freedom;
 *   total: the same with v = count^2 s^2 / n (the total is the timed sum scaled by count/n);
 *   p50, p99: the rank of quantile q among n histogram samples lies within
 *          n q ± sigma sqrt(n q (1 - q)) (normal approximation of the binomial); those ranks
 *          mapped to the edges of the buckets holding them give an interval that includes
 *          the histogram's own error; a rank outside [1, n] leaves that end open. */
#include <math.h>

#include "diff.h"
#include "model.h"

#define DF_NORMAL 1e7   /* beyond this many degrees of freedom t is normal */

/* ---- Student's t: the regularized incomplete beta function by its continued fraction,
 * evaluated with the modified Lentz method ---- */
static double beta_cf(double a, double b, double x) {
  const double tiny = 1e-300, eps = 1e-14;
  double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 400; m++) {
    double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (fabs(del - 1) < eps) break;
  }
  return h;
}

static double beta_inc(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
  double bt = exp(lbt);
  if (x < (a + 1) / (a + b + 2)) return bt * beta_cf(a, b, x) / a;
  return 1 - bt * beta_cf(b, a, 1 - x) / b;
}

double diff_t_pvalue(double t, double df) {
  if (isnan(t) || !(df > 0)) return NAN;
  if (isinf(t)) return 0;
  if (df > DF_NORMAL) return erfc(fabs(t) / sqrt(2.0));
  return beta_inc(df / 2, 0.5, df / (df + t * t));
}

/* ---- the tests ---- */
static uint64_t timed_of(const fathom_stats *st) {
  return st->timed && st->timed <= st->count ? st->timed : st->count;
}

static void exact(dm *m) {
  if (!isfinite(m->a) || !isfinite(m->b)) m->judge = DJ_NA;
  else if (m->a == m->b) m->judge = DJ_SAME;
  else {
    m->judge = DJ_BEYOND;
    m->method = DMETH_EXACT;
  }
}

/* Welch's test of the change from m->a to m->b given each side's variance of the estimate
 * (va, vb) and the calls timed (na, nb); bias is subtracted from the change first. */
static void welch(dm *m, double va, double vb, double na, double nb, double bias,
                  double p0) {
  if (!isfinite(m->a) || !isfinite(m->b)) {
    m->judge = DJ_NA;
    return;
  }
  if (m->a == m->b) {
    m->judge = DJ_SAME;
    return;
  }
  if (na < 2 || nb < 2 || !(va + vb > 0)) {
    m->judge = DJ_UNKNOWN;   /* one timed call says nothing about the spread */
    return;
  }
  double d = fabs(m->b - m->a) - bias;
  if (d < 0) d = 0;
  m->method = DMETH_WELCH;
  m->t = (m->b > m->a ? d : -d) / sqrt(va + vb);
  m->df = (va + vb) * (va + vb) / (va * va / (na - 1) + vb * vb / (nb - 1));
  m->p = diff_t_pvalue(m->t, m->df);
  m->judge = m->p < p0 ? DJ_BEYOND : DJ_NOISE;
}

/* The value of the sample of rank k (1-based) as the edge of its bucket: its lower edge
 * (hi = 0) or upper edge (hi = 1), in ns. */
static double rank_edge(const fathom_hist *h, uint64_t k, int hi) {
  uint64_t seen = 0;
  uint32_t b = h->bucket[h->n - 1];
  for (uint32_t i = 0; i < h->n; i++) {
    seen += h->count[i];
    if (seen >= k) {
      b = h->bucket[i];
      break;
    }
  }
  double unit = h->unit_ns > 0 ? h->unit_ns : 1.0;
  double lo = (double)fz_hist_bucket_lo(b);
  return (hi ? lo + (double)fz_hist_bucket_width(b) : lo) * unit;
}

/* Interval holding quantile q (0..1) of the distribution h was sampled from. 0 if empty. */
static int q_interval(const fathom_hist *h, double q, double sigma, double *lo, double *hi) {
  uint64_t n = fz_hist_total(h);
  if (n == 0) return 0;
  double x = (double)n * q, sd = sqrt((double)n * q * (1 - q));
  double rlo = floor(x - sigma * sd), rhi = ceil(x + sigma * sd);
  *lo = rlo < 1 ? 0 : rank_edge(h, (uint64_t)rlo, 0);
  *hi = rhi > (double)n ? INFINITY : rank_edge(h, rhi < 1 ? 1 : (uint64_t)rhi, 1);
  return 1;
}

static void quantile(dm *m, const dsrc *a, const dsrc *b, double q, double sigma,
                     double bias) {
  if (!isfinite(m->a) || !isfinite(m->b)) {
    m->judge = DJ_NA;
    return;
  }
  if (m->a == m->b) {
    m->judge = DJ_SAME;
    return;
  }
  if (!q_interval(a->h, q, sigma, &m->lo_a, &m->hi_a) ||
      !q_interval(b->h, q, sigma, &m->lo_b, &m->hi_b)) {
    m->judge = DJ_UNKNOWN;
    return;
  }
  m->method = DMETH_QUANTILE;
  int apart = m->hi_a + bias < m->lo_b || m->hi_b + bias < m->lo_a;
  m->judge = apart ? DJ_BEYOND : DJ_NOISE;
}

void diff_judge_row(const diff_result *r, diff_row *row, const dsrc *a, const dsrc *b) {
  double sigma = r->opt.sigma, p0 = erfc(sigma / sqrt(2.0)), bias = r->a.bias_ns;
  double res = r->a.p->meta.clock_resolution_ns > r->b.p->meta.clock_resolution_ns
                   ? r->a.p->meta.clock_resolution_ns
                   : r->b.p->meta.clock_resolution_ns;
  double floor_ns = isfinite(res) && res > 1 ? res : 1;   /* no spread below the clock's */
  double na = (double)timed_of(a->st), nb = (double)timed_of(b->st);
  double sa = a->st->stddev_ns > floor_ns ? a->st->stddev_ns : floor_ns;
  double sb = b->st->stddev_ns > floor_ns ? b->st->stddev_ns : floor_ns;
  double ca = (double)a->st->count, cb = (double)b->st->count;

  exact(&row->m[DM_CALLS]);
  welch(&row->m[DM_MEAN], na ? sa * sa / na : 0, nb ? sb * sb / nb : 0, na, nb, bias, p0);
  welch(&row->m[DM_TOTAL], na ? ca * ca * sa * sa / na : 0, nb ? cb * cb * sb * sb / nb : 0,
        na, nb, bias * (ca > cb ? ca : cb), p0);
  quantile(&row->m[DM_P50], a, b, 0.50, sigma, bias);
  quantile(&row->m[DM_P99], a, b, 0.99, sigma, bias);
  for (int k = DM_ALLOC_BYTES; k <= DM_LIVE_BYTES; k++) {
    if (!r->alloc_ok) row->m[k].a = row->m[k].b = NAN;
    exact(&row->m[k]);
  }
  dm *rss = &row->m[DM_RSS];
  if (!isfinite(rss->a) || !isfinite(rss->b)) rss->judge = DJ_NA;
  else rss->judge = rss->a == rss->b ? DJ_SAME : DJ_UNKNOWN;
}
