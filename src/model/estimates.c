/* model/estimates.c: estimates in the views (schema 4): the percentiles by index, which intervals
 * are usable, 95 % half-widths, percentile intervals from a histogram (order statistics),
 * and the schema-4 figures of the call paths merged across threads.
 *
 * Invariant: a merged path's figures describe exactly its nodes (found through
 * fz_paths_node_map); an estimated path of a single node keeps that node's percentiles and
 * intervals bit for bit, so a view never shows an interval that does not hold its own
 * percentile; a path whose every call was timed has exact percentiles (bounds = value). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/estimates.h"

const double fz_pct_q[FATHOM_PCT_N] = {50, 90, 95, 99, 99.9};
const char *const fz_pct_name[FATHOM_PCT_N] = {"p50", "p90", "p95", "p99", "p999"};

double fz_stats_pct(const fathom_stats *st, int k) {
  switch (k) {
    case 0: return st->p50_ns;
    case 1: return st->p90_ns;
    case 2: return st->p95_ns;
    case 3: return st->p99_ns;
    default: return st->p999_ns;
  }
}

static void set_pct(fathom_stats *st, int k, double v) {
  switch (k) {
    case 0: st->p50_ns = v; break;
    case 1: st->p90_ns = v; break;
    case 2: st->p95_ns = v; break;
    case 3: st->p99_ns = v; break;
    default: st->p999_ns = v; break;
  }
}

int fz_est_has_interval(const fathom_stats *st, int k) {
  if (!fathom_stats_estimated(st)) return 0;
  double v = fz_stats_pct(st, k), lo = st->pct_lo_ns[k], hi = st->pct_hi_ns[k];
  if (!isfinite(v) || !isfinite(lo) || !isfinite(hi) || !(lo < hi)) return 0;
  double slack = 1e-6 * (fabs(v) > 1 ? fabs(v) : 1);
  return lo <= v + slack && hi >= v - slack;
}

double fz_est_half(double se) { return isfinite(se) && se > 0 ? FZ_Z95 * se : 0.0; }

void fz_est_pct_from_hist(fathom_stats *st, const fathom_hist *h) {
  for (int k = 0; k < FATHOM_PCT_N; k++) {
    double v = fz_stats_pct(st, k), lo = v, hi = v;
    /* the model's interval on ranks (fractions of h, whose counts may be weighted), resting
     * on the timed calls */
    if (fathom_stats_estimated(st) && isfinite(v) && h &&
        fz_pct_interval(h, fz_pct_q[k], st->timed, &lo, &hi) == 0) {
      if (lo > v) lo = v;   /* the interval always holds the percentile the model has */
      if (hi < v) hi = v;
    } else {
      lo = hi = v;
    }
    st->pct_lo_ns[k] = lo;
    st->pct_hi_ns[k] = hi;
  }
}

int fz_paths_est_fill(const fathom_profile *p, fz_path *paths, uint32_t n) {
  if (n == 0) return 0;
  uint32_t *map = malloc((size_t)(p->n_nodes ? p->n_nodes : 1) * sizeof *map);
  uint32_t *nodes = calloc(n, sizeof *nodes);   /* nodes with calls in each path */
  uint32_t *first = malloc((size_t)n * sizeof *first);
  double *var = calloc(n, 2 * sizeof *var);     /* total and self variances */
  double *over = calloc(n, sizeof *over);
  int rc = FATHOM_E_NOMEM;
  if (!map || !nodes || !first || !var || !over) goto done;
  rc = fz_paths_node_map(p, paths, n, map);
  for (uint32_t i = 0; i < p->n_nodes && rc == 0; i++) {
    const fathom_stats *s = &p->nodes[i].stats;
    uint32_t k = map[i];
    if (s->count && nodes[k]++ == 0) first[k] = i;
    if (isfinite(s->total_se_ns)) var[2 * (size_t)k] += s->total_se_ns * s->total_se_ns;
    if (isfinite(s->self_se_ns)) var[2 * (size_t)k + 1] += s->self_se_ns * s->self_se_ns;
    if (isfinite(s->overhead_ns)) over[k] += s->overhead_ns;
  }
  for (uint32_t k = 0; k < n && rc == 0; k++) {
    fathom_stats *st = &paths[k].stats;
    st->total_se_ns = sqrt(var[2 * (size_t)k]);
    st->self_se_ns = sqrt(var[2 * (size_t)k + 1]);
    st->overhead_ns = over[k];
    if (nodes[k] == 1 && fathom_stats_estimated(st)) {   /* one node: its own figures */
      const fathom_stats *s = &p->nodes[first[k]].stats;
      for (int q = 0; q < FATHOM_PCT_N; q++) {
        set_pct(st, q, fz_stats_pct(s, q));
        st->pct_lo_ns[q] = s->pct_lo_ns[q];
        st->pct_hi_ns[q] = s->pct_hi_ns[q];
      }
    } else {   /* several nodes (or exact: the percentiles themselves) */
      fz_est_pct_from_hist(st, &paths[k].hist);
    }
  }
done:
  free(map);
  free(nodes);
  free(first);
  free(var);
  free(over);
  return rc;
}
