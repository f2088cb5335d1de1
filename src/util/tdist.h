/* tdist.h: Student's t distribution for the statistics of comparisons (tdist.c): the
 * library's variant ranking and the command's diff and bench.
 * Invariant: pure functions of their arguments. */
#ifndef FATHOM_UTIL_TDIST_H
#define FATHOM_UTIL_TDIST_H

#pragma GCC visibility push(hidden)

/* Two-sided p-value of t with df degrees of freedom (df > 1e7: the normal's). */
double fz_t_pvalue(double t, double df);
/* The quantile of probability p (0 < p < 1): fz_t_quantile(0.975, df) is the 95 % two-sided
 * critical value. Accurate to about 1e-9 relative. */
double fz_t_quantile(double p, double df);

#pragma GCC visibility pop

#endif
