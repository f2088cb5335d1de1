/* diff_stat.c: whether a change between two profiles is beyond noise (method: docs/diff.md).
 *
 * Invariant: a figure is judged DJ_BEYOND only on evidence: an exact count that changed, a
 * Welch test whose two-sided p-value is below that of a normal variable beyond ±sigma (and,
 * for estimates from timed samples, a change beyond the 95 % combined error of the two
 * estimates), or two quantile intervals that do not overlap, and for times a change that moves
 * at least the noise floor of run time; whatever cannot be judged (fewer than two timed calls,
 * no spread, sampled RSS) is DJ_UNKNOWN and never counts as a regression.
 * How it works, per side (n = calls timed, N = calls, s = max(stddev, clock resolution),
 * se = the standard error of the estimated total: stats.total_se_ns, or where a sampled side
 * carries none N s sqrt((1 - n/N) / n), that of a simple random sample; 0 when every call
 * was timed):
 *   total: v = N s^2 (run-to-run spread of N calls) + se^2 (the sampling error);
 *   mean:  v = (N s^2 + se^2) / N^2 (the mean is the total / N, N exact);
 *          t = (|Δ| - bias) / sqrt(va + vb) with Welch-Satterthwaite degrees of freedom from
 *          n - 1; beyond noise when p < p0 and |Δ| - bias > 1.96 sqrt(se_a^2 + se_b^2) (of the
 *          figure compared); with every call timed this is the former test (v = N s^2).
 *   p50, p99: the rank of quantile q among the n timed calls lies within
 *          n q ± sigma sqrt(n q (1 - q)) (normal approximation of the binomial); those ranks,
 *          as fractions of the histogram's cumulative counts (which may be weighted: they sum
 *          to about N, not n), mapped to the edges of the buckets holding them give an
 *          interval that includes the histogram's own error; a rank outside [1, n] leaves that
 *          end open.
 *   self:  Welch as for total, with the whole call's spread (own time has none recorded) and
 *          the estimate's stats.self_se_ns.
 *   floor: a total, self, mean, p50 or p99 change judged beyond noise that moves less run
 *          time than diff_result.floor_ns (|Δ| for totals, |Δ| x calls for per-call figures)
 *          is noise after all (dm.floored). */
#include <math.h>

#include "diff.h"
#include "model/model.h"
#include "util/tdist.h"

#define DF_NORMAL 1e7   /* beyond this many degrees of freedom t is normal */

double diff_t_pvalue(double t, double df) { return fz_t_pvalue(t, df); }

/* ---- the tests ---- */
#define Z95 1.959963984540054

static uint64_t timed_of(const fathom_stats *st) {
  return st->timed && st->timed <= st->count ? st->timed : st->count;
}

/* Standard error of a side's estimated total (0 when every call was timed). */
static double total_se(const fathom_stats *st, double s) {
  if (!fathom_stats_estimated(st)) return 0;
  if (isfinite(st->total_se_ns) && st->total_se_ns > 0) return st->total_se_ns;
  double n = (double)st->timed, N = (double)st->count;
  return N * s * sqrt((1 - n / N) / n);
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
 * (va, vb) and the calls timed (na, nb); bias is subtracted from the change first. The change
 * must also exceed the 95 % combined sampling error of the two estimates (m->se_a, m->se_b,
 * filled by the caller). */
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
  double sampling = Z95 * sqrt(m->se_a * m->se_a + m->se_b * m->se_b);
  m->judge = m->p < p0 && d > sampling ? DJ_BEYOND : DJ_NOISE;
}


/* A sampled profile's estimate on both sides (fathom run: no calls counted, samples x period
 * with a Poisson standard error each): a normal test of the change against the two errors. */
static void sampled(dm *m, double se_a, double se_b, double sigma) {
  if (!isfinite(m->a) || !isfinite(m->b)) {
    m->judge = DJ_NA;
    return;
  }
  if (m->a == m->b) {
    m->judge = DJ_SAME;
    return;
  }
  double v = se_a * se_a + se_b * se_b;
  if (!(v > 0)) {
    m->judge = DJ_UNKNOWN;
    return;
  }
  m->method = DMETH_WELCH;
  m->se_a = se_a;
  m->se_b = se_b;
  m->t = (m->b - m->a) / sqrt(v);
  m->df = DF_NORMAL;
  m->p = erfc(fabs(m->t) / sqrt(2.0));
  m->judge = fabs(m->t) > sigma ? DJ_BEYOND : DJ_NOISE;
}

/* Interval holding quantile q (0..1) of the distribution h was sampled from by the timed calls
 * of st. 0 if there is nothing to bound it with. */
static int q_interval(const fathom_hist *h, const fathom_stats *st, double q, double sigma,
                      double *lo, double *hi) {
  double n = (double)timed_of(st);
  if (!h->n || fz_hist_total(h) == 0 || !(n > 0)) return 0;
  double x = n * q, sd = sqrt(n * q * (1 - q));
  double rlo = floor(x - sigma * sd), rhi = ceil(x + sigma * sd);
  *lo = rlo < 1 ? 0 : fz_hist_frac_edge(h, rlo / n, 0);
  *hi = rhi > n ? INFINITY : fz_hist_frac_edge(h, (rhi < 1 ? 1 : rhi) / n, 1);
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
  if (!q_interval(a->h, a->st, q, sigma, &m->lo_a, &m->hi_a) ||
      !q_interval(b->h, b->st, q, sigma, &m->lo_b, &m->hi_b)) {
    m->judge = DJ_UNKNOWN;
    return;
  }
  m->method = DMETH_QUANTILE;
  int apart = m->hi_a + bias < m->lo_b || m->hi_b + bias < m->lo_a;
  m->judge = apart ? DJ_BEYOND : DJ_NOISE;
}

/* A change found beyond noise that moves less than floor_ns of run time is noise. */
static void floored(dm *m, double moved, double floor_ns) {
  if (m->judge != DJ_BEYOND || !(moved < floor_ns)) return;
  m->judge = DJ_NOISE;
  m->floored = 1;
}

/* Standard deviation of the correction for fathom's own cost taken out of a total: the
 * calibrated costs are measured on a reference loop and vary with the code around the zones
 * and from run to run (identical runs' calibrations differ by up to a third), so a part of
 * what was taken out (DIFF_CORR_REL) is uncertain. */
#define DIFF_CORR_REL 0.1
static double corr_sd(const fathom_stats *st) {
  return isfinite(st->overhead_ns) && st->overhead_ns > 0 ? DIFF_CORR_REL * st->overhead_ns : 0;
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
  double ea = na ? total_se(a->st, sa) : 0, eb = nb ? total_se(b->st, sb) : 0;
  /* variance of each total: the spread of its calls, the error of sampling them and that of
   * the correction for fathom's own cost (an estimate: see the file comment) */
  double ka = corr_sd(a->st), kb = corr_sd(b->st);
  double va = ca * sa * sa + ea * ea + ka * ka, vb = cb * sb * sb + eb * eb + kb * kb;

  exact(&row->m[DM_CALLS]);
  /* a side with several different durations but no recorded spread gives nothing to judge
   * a time by (a file without stddev): its times are DJ_UNKNOWN */
  int no_sd = (!(a->st->stddev_ns > 0) && a->st->max_ns > a->st->min_ns) ||
              (!(b->st->stddev_ns > 0) && b->st->max_ns > b->st->min_ns);
  if (no_sd) na = nb = 0;
  dm *mean = &row->m[DM_MEAN], *total = &row->m[DM_TOTAL];
  mean->se_a = ca > 0 ? ea / ca : 0;
  mean->se_b = cb > 0 ? eb / cb : 0;
  welch(mean, na && ca > 0 ? va / (ca * ca) : 0, nb && cb > 0 ? vb / (cb * cb) : 0, na, nb,
        bias, p0);
  total->se_a = ea;
  total->se_b = eb;
  welch(total, na ? va : 0, nb ? vb : 0, na, nb, bias * (ca > cb ? ca : cb), p0);
  dm *self = &row->m[DM_SELF];
  double esa = fathom_stats_estimated(a->st) && isfinite(a->st->self_se_ns) ? a->st->self_se_ns : 0;
  double esb = fathom_stats_estimated(b->st) && isfinite(b->st->self_se_ns) ? b->st->self_se_ns : 0;
  self->se_a = esa;
  self->se_b = esb;
  /* own time has no recorded spread of its own: that of the whole call bounds it */
  welch(self, na ? ca * sa * sa + esa * esa + ka * ka : 0,
        nb ? cb * sb * sb + esb * esb + kb * kb : 0, na, nb, bias * (ca > cb ? ca : cb), p0);
  if (fathom_stats_uncounted(a->st) && fathom_stats_uncounted(b->st)) {
    sampled(total, a->st->total_se_ns, b->st->total_se_ns, sigma);
    sampled(self, a->st->self_se_ns, b->st->self_se_ns, sigma);
  }
  quantile(&row->m[DM_P50], a, b, 0.50, sigma, bias);
  quantile(&row->m[DM_P99], a, b, 0.99, sigma, bias);
  /* the noise floor: a change that moves less than it of the run's time is noise, however
   * sure the test is (runs differ by more than their calls' spread: caches, clock speed) */
  double calls = cb > ca ? cb : ca;
  floored(total, fabs(total->b - total->a), r->floor_ns);
  floored(self, fabs(self->b - self->a), r->floor_ns);
  floored(mean, fabs(mean->b - mean->a) * calls, r->floor_ns);
  floored(&row->m[DM_P50], fabs(row->m[DM_P50].b - row->m[DM_P50].a) * calls, r->floor_ns);
  floored(&row->m[DM_P99], fabs(row->m[DM_P99].b - row->m[DM_P99].a) * calls, r->floor_ns);
  dm *g = &row->m[r->opt.fail_metric];
  row->moved_ns = r->opt.fail_metric == DM_TOTAL ? fabs(g->b - g->a) : fabs(g->b - g->a) * calls;
  for (int k = DM_ALLOC_BYTES; k <= DM_LIVE_BYTES; k++) {
    if (!r->alloc_ok) row->m[k].a = row->m[k].b = NAN;
    exact(&row->m[k]);
  }
  dm *rss = &row->m[DM_RSS];
  if (!isfinite(rss->a) || !isfinite(rss->b)) rss->judge = DJ_NA;
  else rss->judge = rss->a == rss->b ? DJ_SAME : DJ_UNKNOWN;
}
