/* tdist.c: Student's t distribution (see tdist.h): its two-sided p-value through the
 * regularized incomplete beta function (continued fraction, modified Lentz method), and its
 * quantiles by bisection on that p-value.
 * Invariant: pure functions; NaN for arguments outside their domain. */
#include <math.h>

#include "util/tdist.h"

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

double fz_t_pvalue(double t, double df) {
  if (isnan(t) || !(df > 0)) return NAN;
  if (isinf(t)) return 0;
  if (df > DF_NORMAL) return erfc(fabs(t) / sqrt(2.0));
  return beta_inc(df / 2, 0.5, df / (df + t * t));
}

double fz_t_quantile(double p, double df) {
  if (!(p > 0 && p < 1) || !(df > 0)) return NAN;
  if (p == 0.5) return 0;
  double tail = p > 0.5 ? 1 - p : p;   /* one-sided tail probability */
  double lo = 0, hi = 1;
  while (fz_t_pvalue(hi, df) / 2 > tail && hi < 1e12) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    double mid = 0.5 * (lo + hi);
    if (fz_t_pvalue(mid, df) / 2 > tail) lo = mid;
    else hi = mid;
  }
  double t = 0.5 * (lo + hi);
  return p > 0.5 ? t : -t;
}

double fz_acc_mean(const fz_acc *a) { return a->n ? a->sum / (double)a->n : NAN; }

double fz_acc_var(const fz_acc *a) {
  if (a->n < 2) return 0;
  double m = fz_acc_mean(a), v = (a->sumsq - (double)a->n * m * m) / (double)(a->n - 1);
  return v > 0 ? v : 0;
}

double fz_welch_p(const fz_acc *a, const fz_acc *b) {
  if (a->n < 1 || b->n < 1) return NAN;
  double va = fz_acc_var(a) / (double)a->n, vb = fz_acc_var(b) / (double)b->n;
  double d = fz_acc_mean(b) - fz_acc_mean(a);
  if (!(va + vb > 0)) return d != 0 ? 0 : 1;
  double df = (va + vb) * (va + vb) /
              ((a->n > 1 ? va * va / (double)(a->n - 1) : 0) +
               (b->n > 1 ? vb * vb / (double)(b->n - 1) : 0));
  return fz_t_pvalue(d / sqrt(va + vb), df > 0 ? df : 1);
}
