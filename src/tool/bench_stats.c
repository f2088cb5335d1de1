/* bench_stats.c: summaries, Student's t, Welch's test and ratios for `fathom bench` (see
 * bench_stats.h and docs/bench.md for the formulas).
 *
 * Student's t tail: P(|T| > t) = I_x(df/2, 1/2) with x = df / (df + t^2), the regularized
 * incomplete beta function, evaluated by its continued fraction (modified Lentz) with the
 * symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly. The quantile
 * is found by bisection on that CDF (monotone), so it is as accurate as the CDF.
 * Invariant: no function here allocates except bs_summarize (one scratch copy, freed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_stats.h"
#include "util/tdist.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The q-quantile of sorted s[0..n), linear interpolation between order statistics (the
 * method numpy and R call type 7). */
static double quantile_sorted(const double *s, size_t n, double q) {
  if (n == 1) return s[0];
  double h = q * (double)(n - 1);
  size_t i = (size_t)floor(h);
  if (i + 1 >= n) return s[n - 1];
  return s[i] + (h - (double)i) * (s[i + 1] - s[i]);
}

int bs_summarize(const double *v, size_t n, bs_summary *s) {
  memset(s, 0, sizeof *s);
  s->n = n;
  if (n == 0) {
    s->mean = s->sd = s->median = s->min = s->max = s->q1 = s->q3 = NAN;
    s->ci_lo = s->ci_hi = NAN;
    return 0;
  }
  double *c = malloc(n * sizeof *c);
  if (!c) return -1;
  memcpy(c, v, n * sizeof *c);
  qsort(c, n, sizeof *c, cmp_double);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += v[i];
  s->mean = sum / (double)n;
  double ss = 0;   /* two-pass: the squares of the deviations, not of the values */
  for (size_t i = 0; i < n; i++) ss += (v[i] - s->mean) * (v[i] - s->mean);
  s->sd = n >= 2 ? sqrt(ss / (double)(n - 1)) : NAN;
  s->min = c[0];
  s->max = c[n - 1];
  s->median = quantile_sorted(c, n, 0.5);
  s->q1 = quantile_sorted(c, n, 0.25);
  s->q3 = quantile_sorted(c, n, 0.75);
  if (n >= 2) {
    double half = bs_t_quantile(0.975, (double)(n - 1)) * s->sd / sqrt((double)n);
    s->ci_lo = s->mean - half;
    s->ci_hi = s->mean + half;
  } else {
    s->ci_lo = s->ci_hi = NAN;
  }
  double iqr = s->q3 - s->q1, lo = s->q1 - 3 * iqr, hi = s->q3 + 3 * iqr;
  if (n >= 4) {   /* quartiles of fewer values say nothing */
    for (size_t i = 0; i < n; i++)
      if (v[i] < lo || v[i] > hi) s->outliers++;
    s->first_is_outlier = v[0] < lo || v[0] > hi;
  }
  free(c);
  return 0;
}

/* Student's t: the library's (util/tdist.c), shared with the diff and the variant ranking. */
double bs_t_two_tailed(double t, double df) {
  if (isnan(df) || df <= 0) return NAN;
  return fz_t_pvalue(fabs(t), df);
}

double bs_t_quantile(double p, double df) { return fz_t_quantile(p, df); }

bs_welch bs_welch_test(double m1, double s1, size_t n1, double m2, double s2, size_t n2) {
  bs_welch w = {NAN, NAN, NAN};
  if (n1 < 2 || n2 < 2) return w;
  double v1 = s1 * s1 / (double)n1, v2 = s2 * s2 / (double)n2, se = sqrt(v1 + v2);
  if (!(se > 0)) {   /* two samples without spread: equal, or certainly different */
    w.t = m1 == m2 ? 0 : (m1 > m2 ? INFINITY : -INFINITY);
    w.df = (double)(n1 + n2 - 2);
    w.p = m1 == m2 ? 1 : 0;
    return w;
  }
  w.t = (m1 - m2) / se;
  w.df = (v1 + v2) * (v1 + v2) /
         (v1 * v1 / (double)(n1 - 1) + v2 * v2 / (double)(n2 - 1));
  w.p = bs_t_two_tailed(fabs(w.t), w.df);
  return w;
}

bs_ratio bs_ratio_of(double m_slow, double s_slow, size_t n_slow, double m_fast, double s_fast,
                     size_t n_fast) {
  bs_ratio q = {NAN, NAN, NAN, NAN};
  if (!(m_fast > 0) || !(m_slow > 0)) return q;
  q.r = m_slow / m_fast;
  if (n_slow < 2 || n_fast < 2) return q;
  double a = s_slow / m_slow, b = s_fast / m_fast;
  q.sd_err = q.r * sqrt(a * a + b * b);
  double ea = a / sqrt((double)n_slow), eb = b / sqrt((double)n_fast);
  double se = q.r * sqrt(ea * ea + eb * eb);
  bs_welch w = bs_welch_test(m_slow, s_slow, n_slow, m_fast, s_fast, n_fast);
  double t = isfinite(w.df) && w.df > 0 ? bs_t_quantile(0.975, w.df) : 0;
  q.ci_lo = q.r - t * se;
  q.ci_hi = q.r + t * se;
  return q;
}
