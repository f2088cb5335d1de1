/* fathom_variants.h: ranking variants of one piece of work (implementations, strategies,
 * settings) by their time, with confidence. Part of the public API: included by fathom.h
 * (include <fathom.h>, not this file). See docs/workloads.md. */
#ifndef FATHOM_API_VARIANTS_H
#define FATHOM_API_VARIANTS_H
#ifndef FATHOM_H
#error "include <fathom.h>, not fathom_variants.h"
#endif

typedef struct fathom_variant {
  const char *name;
  void (*fn)(void *user);       /* one run of the variant (on the same input as the others) */
  void *user;
} fathom_variant;

typedef struct fathom_variants_opts {
  uint32_t warmup;              /* runs of each variant first, not measured (default 1) */
  uint32_t min_runs;            /* measured runs of each variant at least (default 10) */
  uint32_t max_runs;            /* and at most (default 100000) */
  double min_time_s;            /* measuring time at least, all variants (default 0.5) */
  double max_time_s;            /* and at most (default 10) */
  double confidence;            /* of the intervals and the tests (default 0.95) */
} fathom_variants_opts;

typedef struct fathom_variant_stats {
  const char *name;             /* the variant's name (the caller's string) */
  uint32_t index;               /* its index in the caller's array */
  uint64_t runs;
  double mean_ns, sd_ns;        /* wall time of one run */
  double ci_lo_ns, ci_hi_ns;    /* confidence interval of the mean (Student's t) */
  double median_ns, min_ns, max_ns;
  double cpu_mean_ns;           /* CPU time of the calling thread per run */
  uint32_t rank;                /* 1: the fastest; variants that cannot be told apart from
                                   the one before share its rank */
  double ratio, ratio_lo, ratio_hi;  /* mean over the fastest's, with its interval */
  double p_next;                /* Welch's two-sided p-value against the next slower
                                   variant (NaN for the last) */
} fathom_variant_stats;

typedef struct fathom_variants_result {
  uint32_t n;
  fathom_variant_stats *v;      /* fastest first */
  int settled;                  /* 1: each variant was told apart from the next slower one
                                   (p < 1 - confidence) before the budget ran out */
  double elapsed_s;
  double confidence;
} fathom_variants_result;

/* Runs the n variants interleaved (each round every variant once, in a new random order,
 * so that drift hits all alike) until the ranking is settled, or max_runs or max_time_s is
 * reached (after min_runs and min_time_s), and ranks them by mean wall time. When a session
 * records, each run is a zone named after the variant, component `name`. opts NULL: the
 * defaults. Returns 0, FATHOM_E_INVAL (NULL or empty arguments, a variant without fn or
 * name), FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_variants_rank(const char *name, const fathom_variant *v, uint32_t n,
                                       const fathom_variants_opts *opts,
                                       fathom_variants_result *res);
FATHOM_EXTERN void fathom_variants_result_free(fathom_variants_result *res);
/* The ranking as a text table ("a is 1.84 x slower [1.80, 1.88] than b"...) or as JSON
 * (docs/workloads.md). 0, FATHOM_E_INVAL, FATHOM_E_IO. */
FATHOM_EXTERN int fathom_variants_print(FILE *f, const fathom_variants_result *res);
FATHOM_EXTERN int fathom_variants_write_json(FILE *f, const fathom_variants_result *res);

#endif
