/* model.h: internal helpers over the public profile model (fathom_profile in fathom.h):
 * histogram bucketing and merging, statistics merging, string and file helpers shared by the
 * recorder, the exporters and the loader.
 *
 * Invariant: a fathom_profile owns every pointer inside it; fathom_profile_free frees them
 * all, and every helper here leaves a model either updated or untouched on failure. */
#ifndef FATHOM_MODEL_H
#define FATHOM_MODEL_H

#include <stdio.h>
#include "fathom.h"
#include "util/afile.h"
#include "util/fztext.h"
#include "util/hist.h"
#include "util/str.h"

/* Lowest value in bucket b, and its width. */
uint64_t fz_hist_bucket_lo(uint32_t b);
uint64_t fz_hist_bucket_width(uint32_t b);
/* Midpoint used to report a value from bucket b. */
double fz_hist_bucket_mid(uint32_t b);

/* dst += src (bucket-wise). Returns 0 or FATHOM_E_NOMEM (dst untouched then). */
int fz_hist_merge(fathom_hist *dst, const fathom_hist *src);
/* Deep copy into an empty dst. */
int fz_hist_copy(fathom_hist *dst, const fathom_hist *src);
/* Builds a sparse histogram from a dense array of FATHOM_HIST_BUCKETS counts. */
int fz_hist_from_dense(fathom_hist *dst, const uint64_t *dense);
void fz_hist_free(fathom_hist *h);
uint64_t fz_hist_total(const fathom_hist *h);
/* The edge (lower: hi = 0, upper: hi = 1) of the bucket holding the calls at fraction frac of
 * h's cumulative counts, in ns. h must not be empty. */
double fz_hist_frac_edge(const fathom_hist *h, double frac, int hi);

/* Merges src into dst: count, total_ns, self_ns and overhead_ns add; the standard errors
 * combine as independent ones (root of the sum of squares); min/max; mean and stddev
 * combined exactly (Chan et al. pairwise update), each side weighted by its calls; `timed`
 * adds up, and stays 0 while both sides leave it 0.
 * Percentiles are NOT touched: recompute them from the merged histogram with
 * fz_stats_set_percentiles. */
void fz_stats_merge(fathom_stats *dst, const fathom_stats *src);
/* Sums of allocation figures / probed resource figures (sampling interval: the larger). */
void fz_alloc_add(fathom_alloc *d, const fathom_alloc *s);
void fz_res_add(fathom_res *d, const fathom_res *s);
/* Fills p50..p999 from h using min_ns/max_ns of st for clamping, and their 95 % intervals
 * pct_lo_ns/pct_hi_ns: the value itself when every call was timed, else from the timed
 * calls (st->timed) as a distribution-free interval on ranks. */
void fz_stats_set_percentiles(fathom_stats *st, const fathom_hist *h);
/* 95 % interval [*lo, *hi] (ns) of percentile q (0-100) of h when it rests on n timed calls
 * (h's counts may be weighted: fractions are used): ranks n*q +- 1.96 sqrt(n q (1-q)),
 * widened to whole buckets. Returns 0, or -1 for an empty histogram or n 0. */
int fz_pct_interval(const fathom_hist *h, double q, uint64_t n, double *lo, double *hi);

/* ---- resources (schema 2) ---- */
/* Index of a fathom_res_name() name, or -1. */
int fz_res_parse(const char *name);
/* Sets every measured figure of r to NaN (not measured), counts to 0. */
void fz_res_unmeasured(fathom_resources *r);
/* The machine the profile was taken on: host, os, kernel, arch, cpu_model (allocated; NULL
 * where out of memory) and n_cpus. */
void fz_meta_machine(fathom_meta *m);
/* Name of one FATHOM_GOV_* bit ("probes_thinned", "downgraded", "time_sampled"), NULL for
 * anything else; and the bit of a name, 0 if unknown. */
const char *fz_gov_name(uint32_t bit);
uint32_t fz_gov_parse(const char *name);
#define FZ_GOV_KNOWN (FATHOM_GOV_PROBES_THINNED | FATHOM_GOV_DOWNGRADED | FATHOM_GOV_TIME_SAMPLED)
/* fathom_mem_snapshot_diff between snapshots ia and ib (indices into p->mem_snapshots). */
int fz_mem_diff_idx(const fathom_profile *p, uint32_t ia, uint32_t ib, fathom_mem_delta *out,
                    size_t cap);

/* ---- call paths merged across threads (for text and CSV views) ----
 * One entry per distinct path of zones from a top-level zone, whatever the thread. Parents
 * precede children; children of one parent are linked in descending total_ns order. */
typedef struct fz_path {
  uint32_t zone;
  uint32_t parent;        /* FATHOM_NONE for top level */
  uint32_t depth;         /* 1 for top level */
  uint32_t first_child, next_sibling;   /* FATHOM_NONE when absent */
  uint32_t n_threads;     /* threads on which this path ran */
  fathom_stats stats;     /* merged; percentiles from hist */
  fathom_hist hist;
} fz_path;
/* Builds the merged path list. *out freed with fz_paths_free. *first_top receives the first
 * top-level path (FATHOM_NONE if none); top-level paths are linked through next_sibling. */
int fz_paths_build(const fathom_profile *p, fz_path **out, uint32_t *n_out, uint32_t *first_top);
void fz_paths_free(fz_path *paths, uint32_t n);
/* "a/b/c" path string for a path entry into buf (truncated with "..." if needed). */
void fz_path_string(const fathom_profile *p, const fz_path *paths, uint32_t i, char *buf,
                    size_t cap);

/* Schema-2 figures of the merged call paths, parallel to fz_path[] (model/pathres.c):
 * res: samples and sums add, masks OR, sample_every is the largest; alloc and alloc_self:
 * counts and bytes add, growth_bytes_per_call is the calls-weighted mean; flops add; gov ORs;
 * time_every is the largest. */
typedef struct fz_path_res {
  fathom_res res;
  fathom_alloc alloc, alloc_self;
  double flops, flops_self;
  uint32_t gov, time_every;
  uint64_t timed;          /* calls timed (count where the nodes leave timed 0) */
} fz_path_res;
/* Builds (*out, n entries, freed with free()) for paths built by fz_paths_build from p.
 * Returns 0, FATHOM_E_NOMEM, or FATHOM_E_FORMAT if paths do not match p's nodes. */
int fz_paths_res_build(const fathom_profile *p, const fz_path *paths, uint32_t n,
                       fz_path_res **out);

#endif
