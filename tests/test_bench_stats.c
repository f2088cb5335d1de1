/* test_bench_stats.c: the statistics of `fathom bench` (src/tool/bench_stats.c, compiled in
 * here: the tool's sources are not a library): Student's t quantiles against published table
 * values, its tail probability against the closed forms for 1 and 2 degrees of freedom,
 * summaries (mean, standard deviation, quartiles, the confidence interval, outliers) of
 * hand-picked samples, Welch's test on a textbook example recomputed here from its data, and
 * the ratio of two means with its propagated error.
 *
 * Invariant: every expected value is either a published table value (to its printed digits)
 * or computed in this file from the sample it chose; nothing depends on the machine. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "tool/bench_stats.c"

static void check_close(double got, double want, double tol, const char *what, const char *file,
                        int line) {
  if (!(fabs(got - want) <= tol)) {
    print_error("%s: got %.12g, want %.12g (tolerance %.3g)\n", what, got, want, tol);
    _fail(file, line);
  }
}
#define assert_close(got, want, tol, what) \
  check_close((got), (want), (tol), (what), __FILE__, __LINE__)

/* Two-sided 95 % and 99 % critical values of Student's t (any statistics table). */
static void test_t_quantile_table(void **state) {
  static const struct { double df, p, t; } tab[] = {
      {1, 0.975, 12.706204736}, {2, 0.975, 4.302652730}, {3, 0.975, 3.182446305},
      {5, 0.975, 2.570581836},  {7, 0.975, 2.364624252}, {10, 0.975, 2.228138852},
      {20, 0.975, 2.085963447}, {30, 0.975, 2.042272456}, {100, 0.975, 1.983971519},
      {1e6, 0.975, 1.959966},   {10, 0.995, 3.169272673}, {4, 0.95, 2.131846786},
      {1, 0.995, 63.656741163},
  };
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    char what[64];
    snprintf(what, sizeof what, "t(%g, df %g)", tab[i].p, tab[i].df);
    double tol = tab[i].df == 1e6 ? 1e-5 : 2e-8 * tab[i].t;
    assert_close(bs_t_quantile(tab[i].p, tab[i].df), tab[i].t, tol, what);
    assert_close(bs_t_quantile(1 - tab[i].p, tab[i].df), -tab[i].t, tol, what);
  }
  assert_close(bs_t_quantile(0.5, 7), 0, 0, "median of t");
  assert_true(isnan(bs_t_quantile(0, 5)));
  assert_true(isnan(bs_t_quantile(1, 5)));
  assert_true(isnan(bs_t_quantile(0.9, 0)));
}

/* P(|T| > t): 1 df is Cauchy, 1 - 2 atan(t) / pi; 2 df: 1 - t / sqrt(2 + t^2); and the
 * quantile read back through the tail. */
static void test_t_tail_closed_forms(void **state) {
  for (double t = 0; t < 50; t += 0.37) {
    assert_close(bs_t_two_tailed(t, 1), 1 - 2 * atan(t) / M_PI, 1e-12, "1 df tail");
    assert_close(bs_t_two_tailed(t, 2), 1 - t / sqrt(2 + t * t), 1e-12, "2 df tail");
  }
  for (double df = 1; df < 200; df *= 1.7)
    for (double p = 0.6; p < 0.9999; p += 0.0371)
      assert_close(bs_t_two_tailed(bs_t_quantile(p, df), df), 2 * (1 - p), 1e-10, "round trip");
  assert_close(bs_t_two_tailed(INFINITY, 3), 0, 0, "infinite t");
}

static void test_summary_known(void **state) {
  const double v[] = {2, 4, 4, 4, 5, 5, 7, 9};
  bs_summary s;
  assert_int_equal(bs_summarize(v, 8, &s), 0);
  assert_int_equal(s.n, 8);
  assert_close(s.mean, 5, 1e-15, "mean");
  assert_close(s.sd, sqrt(32.0 / 7), 1e-14, "sd (n - 1)");
  assert_close(s.median, 4.5, 1e-15, "median");
  assert_close(s.q1, 4, 1e-15, "q1");       /* h = 1.75: 4 + 0.75 (4 - 4) */
  assert_close(s.q3, 5.5, 1e-15, "q3");     /* h = 5.25: 5 + 0.25 (7 - 5) */
  assert_close(s.min, 2, 0, "min");
  assert_close(s.max, 9, 0, "max");
  double half = 2.364624252 * sqrt(32.0 / 7) / sqrt(8);
  assert_close(s.ci_lo, 5 - half, 1e-8, "CI low");
  assert_close(s.ci_hi, 5 + half, 1e-8, "CI high");
  assert_int_equal(s.outliers, 0);   /* fences 4 - 4.5 and 5.5 + 4.5 */

  const double one[] = {3.5};
  assert_int_equal(bs_summarize(one, 1, &s), 0);
  assert_close(s.mean, 3.5, 0, "one value: mean");
  assert_true(isnan(s.sd) && isnan(s.ci_lo) && isnan(s.ci_hi));
}

static void test_outliers(void **state) {
  double v[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 100};   /* IQR 0: only 100 is out */
  bs_summary s;
  assert_int_equal(bs_summarize(v, 10, &s), 0);
  assert_int_equal(s.outliers, 1);
  assert_false(s.first_is_outlier);
  v[0] = 100;
  v[9] = 1;
  assert_int_equal(bs_summarize(v, 10, &s), 0);
  assert_int_equal(s.outliers, 1);
  assert_true(s.first_is_outlier);
  /* within the outer fences: q1 = 1, q3 = 2 (IQR 1), so 5 is in and 5.01 out */
  const double w[] = {1, 1, 1, 2, 2, 2, 5};
  assert_int_equal(bs_summarize(w, 7, &s), 0);
  assert_close(s.q1, 1, 0, "q1");
  assert_close(s.q3, 2, 0, "q3");
  assert_int_equal(s.outliers, 0);
  const double x[] = {1, 1, 1, 2, 2, 2, 5.01};
  assert_int_equal(bs_summarize(x, 7, &s), 0);
  assert_int_equal(s.outliers, 1);
}

static void mean_sd(const double *v, size_t n, double *m, double *sd) {
  double sum = 0, ss = 0;
  for (size_t i = 0; i < n; i++) sum += v[i];
  *m = sum / (double)n;
  for (size_t i = 0; i < n; i++) ss += (v[i] - *m) * (v[i] - *m);
  *sd = sqrt(ss / (double)(n - 1));
}

/* The first example of Welch's test in its Wikipedia article (t -2.46, df 25.0, p 0.021),
 * recomputed from the data with the formulas. */
static void test_welch_example(void **state) {
  const double a[] = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6,
                      19.0, 21.7, 21.4};
  const double b[] = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1,
                      22.9, 20.5, 24.4};
  double m1, s1, m2, s2;
  mean_sd(a, 15, &m1, &s1);
  mean_sd(b, 15, &m2, &s2);
  bs_welch w = bs_welch_test(m1, s1, 15, m2, s2, 15);
  double v1 = s1 * s1 / 15, v2 = s2 * s2 / 15;
  assert_close(w.t, (m1 - m2) / sqrt(v1 + v2), 1e-12, "t");
  assert_close(w.t, -2.455356398, 1e-8, "t (published -2.46)");
  assert_close(w.df, (v1 + v2) * (v1 + v2) / (v1 * v1 / 14 + v2 * v2 / 14), 1e-9, "df");
  assert_close(w.df, 24.98852929, 1e-7, "df (published 25.0)");
  assert_close(w.p, 0.021, 0.0005, "p (published 0.021)");
  /* the same samples the other way round: the same p, t negated */
  bs_welch r = bs_welch_test(m2, s2, 15, m1, s1, 15);
  assert_close(r.t, -w.t, 1e-12, "t reversed");
  assert_close(r.p, w.p, 1e-15, "p reversed");
  /* identical samples: t 0, p 1; no spread and different means: p 0 */
  bs_welch same = bs_welch_test(m1, s1, 15, m1, s1, 15);
  assert_close(same.t, 0, 0, "same t");
  assert_close(same.p, 1, 1e-12, "same p");
  bs_welch flat = bs_welch_test(2, 0, 5, 1, 0, 5);
  assert_close(flat.p, 0, 0, "no spread, different means");
  assert_true(isnan(bs_welch_test(1, 1, 1, 2, 1, 5).p));   /* one run: no test */
}

static void test_ratio(void **state) {
  bs_ratio q = bs_ratio_of(2, 0, 10, 1, 0, 10);
  assert_close(q.r, 2, 0, "exact ratio");
  assert_close(q.sd_err, 0, 0, "no spread");
  assert_close(q.ci_lo, 2, 0, "CI low");
  assert_close(q.ci_hi, 2, 0, "CI high");
  /* slow 0.1 +- 0.002 (n 16), fast 0.05 +- 0.001 (n 25) */
  q = bs_ratio_of(0.1, 0.002, 16, 0.05, 0.001, 25);
  assert_close(q.r, 2, 1e-15, "ratio");
  assert_close(q.sd_err, 2 * sqrt(0.02 * 0.02 + 0.02 * 0.02), 1e-15, "propagated sd");
  double se = 2 * sqrt(0.02 * 0.02 / 16 + 0.02 * 0.02 / 25);
  bs_welch w = bs_welch_test(0.1, 0.002, 16, 0.05, 0.001, 25);
  double t = bs_t_quantile(0.975, w.df);
  assert_close(q.ci_lo, 2 - t * se, 1e-12, "ratio CI low");
  assert_close(q.ci_hi, 2 + t * se, 1e-12, "ratio CI high");
  assert_true(q.ci_lo > 1.97 && q.ci_hi < 2.03);
  assert_true(isnan(bs_ratio_of(1, 0.1, 5, 0, 0, 5).r));   /* a zero mean: no ratio */
}

#define T(f) cmocka_unit_test(f)
int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_t_quantile_table), T(test_t_tail_closed_forms), T(test_summary_known),
      T(test_outliers),         T(test_welch_example),       T(test_ratio),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
