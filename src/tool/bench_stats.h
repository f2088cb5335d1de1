/* bench_stats.h: the statistics of `fathom bench` (bench_stats.c): summaries of a sample of
 * run times, Student's t distribution (quantiles and tail probabilities), Welch's t-test and
 * the ratio of two means with its error.
 *
 * Invariant: pure functions of their arguments (no state, no allocation except bs_summarize's
 * scratch copy); a figure that cannot be formed (too few runs, a zero mean) is NAN, never a
 * made-up number. */
#ifndef FATHOM_TOOL_BENCH_STATS_H
#define FATHOM_TOOL_BENCH_STATS_H

#include <stddef.h>

/* A sample of n values. */
typedef struct bs_summary {
  size_t n;
  double mean, sd;          /* sd: sample standard deviation (n - 1); NAN when n < 2 */
  double median, min, max;
  double q1, q3;            /* quartiles (linear interpolation between order statistics) */
  double ci_lo, ci_hi;      /* 95 % confidence interval of the mean (Student t, n - 1 df) */
  size_t outliers;          /* values outside [q1 - 3 IQR, q3 + 3 IQR] (Tukey's outer fences,
                               "far out"), counted from 4 values on */
  int first_is_outlier;     /* the first value (the first timed run) is one of them */
} bs_summary;

/* Summarizes v[0..n) (n >= 1; the order of v is the order of the runs). Returns 0, or -1
 * when out of memory. */
int bs_summarize(const double *v, size_t n, bs_summary *s);

/* Student's t distribution with df > 0 degrees of freedom: P(|T| > t), t >= 0. */
double bs_t_two_tailed(double t, double df);
/* Its quantile: the t with P(T <= t) = p, 0 < p < 1 (bisection on the CDF, to ~1e-12). */
double bs_t_quantile(double p, double df);

/* Welch's unequal-variance t-test of two samples given as mean, sd and n (each n >= 2). */
typedef struct bs_welch {
  double t, df, p;   /* t statistic (mean1 - mean2 over its standard error), Welch-
                        Satterthwaite degrees of freedom, two-sided p-value */
} bs_welch;
bs_welch bs_welch_test(double m1, double s1, size_t n1, double m2, double s2, size_t n2);

/* The ratio slow / fast of two means. sd_err: the error propagated from the two standard
 * deviations, r * sqrt((s1/m1)^2 + (s2/m2)^2) (the spread of one run's ratio, as hyperfine
 * prints it); ci_lo, ci_hi: a 95 % interval of the ratio of the means, from the standard
 * errors propagated the same way and a t quantile at Welch's degrees of freedom. */
typedef struct bs_ratio {
  double r, sd_err, ci_lo, ci_hi;
} bs_ratio;
bs_ratio bs_ratio_of(double m_slow, double s_slow, size_t n_slow, double m_fast, double s_fast,
                     size_t n_fast);

#endif
