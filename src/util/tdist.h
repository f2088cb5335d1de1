/* tdist.h: Student's t distribution for the statistics of comparisons (tdist.c): the
 * library's variant ranking and the command's diff and bench.
 * Invariant: pure functions of their arguments. */
#ifndef FATHOM_UTIL_TDIST_H
#define FATHOM_UTIL_TDIST_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

/* Two-sided p-value of t with df degrees of freedom (df > 1e7: the normal's). */
double fz_t_pvalue(double t, double df);
/* The quantile of probability p (0 < p < 1): fz_t_quantile(0.975, df) is the 95 % two-sided
 * critical value. Accurate to about 1e-9 relative. */
double fz_t_quantile(double p, double df);

/* A running sum of observations: their count, mean and (sample) variance. */
typedef struct fz_acc {
  uint64_t n;
  double sum, sumsq;
} fz_acc;
static inline void fz_acc_add(fz_acc *a, double x) {
  a->n++;
  a->sum += x;
  a->sumsq += x * x;
}
double fz_acc_mean(const fz_acc *a);   /* NaN when empty */
double fz_acc_var(const fz_acc *a);    /* 0 below two observations */
/* Welch's two-sided p-value of the difference of the means of a and b (1 when they are
 * equal without spread, 0 when they differ without spread). */
double fz_welch_p(const fz_acc *a, const fz_acc *b);

#pragma GCC visibility pop

#endif
