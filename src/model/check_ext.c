/* model/check_ext.c: fathom check's rules for extensions (fathom_ext.h), called by
 * fathom_profile_check (check.c) like the other sections' rules:
 *   descriptions: names non-empty and distinct, 1 to FATHOM_EXT_METRICS_MAX metrics each,
 *          `first` numbering the metrics extension by extension up to n_ext_metrics;
 *   per path and metric: samples <= the path's calls, figures finite, errors >= 0; a path
 *          with no call read has 0s; for metrics that only grow (no FATHOM_EXT_SIGNED):
 *          total >= 0, 0 <= self <= total, and the children's totals add to at most the
 *          parent's; for every metric: self = total less the children's totals;
 *   series: one column per metric, timestamps never decreasing.
 * Slack: 1e-9 relative plus 1e-6 absolute per figure added (sums of doubles).
 *
 * Invariant: reads only what the counts announce and the arrays that are there. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/check.h"

static int close_to(double a, double b, double slack) {
  return fabs(a - b) <= slack + 1e-9 * fmax(fabs(a), fabs(b));
}

static const char *zn(const fathom_profile *p, uint32_t node) {
  uint32_t z = p->nodes[node].zone;
  return p->zones && z < p->n_zones && p->zones[z].name ? p->zones[z].name : "?";
}

static void check_desc(const fathom_profile *p, void (*report)(void *, const char *), void *ctx) {
  uint32_t first = 0;
  for (uint32_t e = 0; e < p->n_exts; e++) {
    const fathom_ext_info *x = &p->exts[e];
    const char *nm = x->name ? x->name : "(null)";
    if (!x->name || !x->name[0]) CK_REPORT("extension %u: no name", e);
    for (uint32_t j = 0; j < e && x->name; j++)
      if (p->exts[j].name && strcmp(p->exts[j].name, x->name) == 0)
        CK_REPORT("extension %u (%.64s): the name of extension %u too", e, nm, j);
    if (x->n_metrics == 0 || x->n_metrics > FATHOM_EXT_METRICS_MAX || !x->metrics)
      CK_REPORT("extension %u (%.64s): %u metrics (1 to %d)", e, nm, x->n_metrics,
             FATHOM_EXT_METRICS_MAX);
    if (x->first != first)
      CK_REPORT("extension %u (%.64s): first metric %u, after %u metrics before it", e, nm,
             x->first, first);
    first += x->n_metrics;
    if (x->series.n_cols != x->n_metrics)
      CK_REPORT("extension %u (%.64s): %u series columns for %u metrics", e, nm, x->series.n_cols,
             x->n_metrics);
    for (uint64_t i = 1; i < x->series.n && x->series.ts_ns; i++)
      if (x->series.ts_ns[i] < x->series.ts_ns[i - 1]) {
        CK_REPORT("extension %u (%.64s): series row %llu is before the row above it", e, nm,
               (unsigned long long)i);
        break;
      }
  }
  if (first != p->n_ext_metrics)
    CK_REPORT("extensions: %u metrics described, n_ext_metrics %u", first, p->n_ext_metrics);
}

static void check_node(const fathom_profile *p, uint32_t i, uint32_t k, int grows,
                       const double *cs, void (*report)(void *, const char *), void *ctx) {
  const fathom_node *n = &p->nodes[i];
  const fathom_ext_value *v = &n->ext[k];
  uint32_t e = 0;
  while (e + 1 < p->n_exts && k >= p->exts[e + 1].first) e++;
  const char *mn = p->exts[e].metrics && k - p->exts[e].first < p->exts[e].n_metrics
                       ? p->exts[e].metrics[k - p->exts[e].first].name : "?";
  char at[192];
  snprintf(at, sizeof at, "node %u (%.64s): extension %.32s metric %.32s", i, zn(p, i),
           p->exts[e].name ? p->exts[e].name : "?", mn ? mn : "?");
  if (!isfinite(v->total) || !isfinite(v->self) || !isfinite(v->total_se) ||
      !isfinite(v->self_se)) {
    CK_REPORT("%s: a figure is not finite", at);
    return;
  }
  if (v->total_se < 0 || v->self_se < 0) CK_REPORT("%s: a negative standard error", at);
  if (n->stats.count && v->samples > n->stats.count)
    CK_REPORT("%s: %llu calls read, more than its %llu calls", at,
           (unsigned long long)v->samples, (unsigned long long)n->stats.count);
  if (grows) {
    double slack = 1e-6;
    if (v->total < -slack) CK_REPORT("%s: total %g is negative (the metric only grows)", at, v->total);
    if (v->self < -slack) CK_REPORT("%s: self %g is negative (the metric only grows)", at, v->self);
    if (v->self > v->total + slack + 1e-9 * fabs(v->total))
      CK_REPORT("%s: self %g above total %g", at, v->self, v->total);
    if (cs[1] > v->total + cs[2] * 1e-6 + slack + 1e-9 * fabs(cs[1]))
      CK_REPORT("%s: children's totals %g above the total %g", at, cs[1], v->total);
  }
  if (!close_to(v->self, v->total - cs[1], 1e-6 * (1 + cs[2])))
    CK_REPORT("%s: self %g is not total %g less the children's %g", at, v->self, v->total, cs[1]);
}

void fz_check_ext(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                  void *ctx) {
  if (!p->n_exts && !p->n_ext_metrics) return;
  if (!p->exts) {
    CK_REPORT("extensions: %u announced, none there", p->n_exts);
    return;
  }
  check_desc(p, report, ctx);
  uint32_t K = p->n_ext_metrics, N = p->nodes ? p->n_nodes : 0;
  if (!K) return;
  /* per node and metric: [0] unused, [1] children's totals, [2] children counted */
  double *cs = calloc((size_t)(N ? N : 1) * K * 3, sizeof *cs);
  if (!cs) return;
  for (uint32_t i = 0; i < N; i++) {
    const fathom_node *n = &p->nodes[i];
    if (!n->ext) continue;
    if (n->parent == FATHOM_NONE || n->parent >= i || !p->nodes[n->parent].ext) continue;
    for (uint32_t k = 0; k < K; k++) {
      cs[((size_t)n->parent * K + k) * 3 + 1] += n->ext[k].total;
      cs[((size_t)n->parent * K + k) * 3 + 2] += 1;
    }
  }
  for (uint32_t i = 0; i < N; i++) {
    if (!p->nodes[i].ext) continue;
    for (uint32_t k = 0; k < K; k++) {
      uint32_t e = 0;
      while (e + 1 < p->n_exts && k >= p->exts[e + 1].first) e++;
      int grows = !(p->exts[e].flags & FATHOM_EXT_SIGNED);
      check_node(p, i, k, grows, &cs[((size_t)i * K + k) * 3], report, ctx);
    }
  }
  free(cs);
}
