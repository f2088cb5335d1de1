/* model/estimates.h: what the views (and the JSON loader) share about estimates (schema 4):
 * which figures of a fathom_stats are estimates, the 95 % half-width of a standard error,
 * percentile intervals read from a histogram (order statistics), and the estimates of the
 * call paths merged across threads (model/pathres.c).
 *
 * Invariant: nothing here invents precision: an interval is reported only when the model's
 * figures are consistent (lo <= value <= hi, all finite), and a merged path's error combines
 * its threads' errors as independent samples (square root of the sum of the squares). */
#ifndef FATHOM_EXPORT_EST_H
#define FATHOM_EXPORT_EST_H

#include "model/model.h"

#pragma GCC visibility push(hidden)

/* z of a two-sided 95 % normal interval: "±" in the views is FZ_Z95 x the standard error. */
#define FZ_Z95 1.959963984540054

/* The percentiles of FATHOM_PCT_N order (p50, p90, p95, p99, p99.9), in percent. */
extern const double fz_pct_q[FATHOM_PCT_N];
/* Their names in the views and columns: "p50", "p90", "p95", "p99", "p999". */
extern const char *const fz_pct_name[FATHOM_PCT_N];

/* Percentile k (0..FATHOM_PCT_N-1) of st. */
double fz_stats_pct(const fathom_stats *st, int k);
/* 1 when st is estimated and percentile k has a usable interval: lo <= value <= hi (a
 * little slack for rounding), all finite, lo < hi. */
int fz_est_has_interval(const fathom_stats *st, int k);
/* FZ_Z95 x se when se is finite and positive, else 0 (nothing to show). */
double fz_est_half(double se);

/* Fills st->pct_lo_ns / pct_hi_ns from the histogram h: a distribution-free 95 % interval
 * of each percentile resting on st->timed calls (fz_pct_interval: the ranks n q -/+ 1.96
 * sqrt(n q (1-q)), widened to whole buckets), widened so it holds the percentile st has.
 * When st is not estimated (or h is empty), both bounds are the percentile itself. */
void fz_est_pct_from_hist(fathom_stats *st, const fathom_hist *h);

/* Fills the schema-4 figures of the merged paths (built by fz_paths_build from p): the
 * standard errors combine those of the path's nodes (sqrt of the sum of the squares),
 * overhead_ns adds up; an estimated path of one node takes that node's percentiles and
 * intervals as they are, one merged from several nodes gets intervals from its merged
 * histogram (fz_est_pct_from_hist), and a path whose every call was timed gets bounds equal
 * to its percentiles. Returns 0, FATHOM_E_NOMEM or FATHOM_E_FORMAT. */
int fz_paths_est_fill(const fathom_profile *p, fz_path *paths, uint32_t n);

/* Node -> path map (map[i] for p->nodes[i], p->n_nodes entries) for paths built by
 * fz_paths_build. Returns 0, FATHOM_E_NOMEM or FATHOM_E_FORMAT. */
int fz_paths_node_map(const fathom_profile *p, const fz_path *paths, uint32_t n, uint32_t *map);

#pragma GCC visibility pop

#endif
