/* model/ext.c: extensions' figures over a profile model, built or loaded: each path's self
 * figures from the inclusive ones, the zones' figures, and the memory they hold.
 *
 * Invariant: every node of a profile with extension metrics has n_ext_metrics values (zeros
 * where none was read) once fz_ext_alloc_nodes ran; after fz_ext_derive, for metrics that
 * only grow (no FATHOM_EXT_SIGNED), self >= 0, self <= total and the children's totals add
 * to at most their parent's: an estimated total below its children's sum is raised to it, as
 * the timing's totals are (docs/estimates.md); a zone's total counts recursion once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "record/ext.h"

uint32_t fz_ext_of_metric(const fathom_profile *p, uint32_t k) {
  for (uint32_t e = 0; e < p->n_exts && p->exts; e++)
    if (k >= p->exts[e].first && k - p->exts[e].first < p->exts[e].n_metrics) return e;
  return FATHOM_NONE;
}

int fz_ext_alloc_nodes(fathom_profile *p) {
  uint32_t k = p->n_ext_metrics;
  for (uint32_t i = 0; i < p->n_nodes && k; i++)
    if (!p->nodes[i].ext && !(p->nodes[i].ext = calloc(k, sizeof *p->nodes[i].ext)))
      return FATHOM_E_NOMEM;
  return 0;
}

/* Takes `excess` off the totals of metric k of node u's children (their variances first,
 * then their totals), none going below 0; a child's error shrinks with its total. */
static void give_up(fathom_profile *p, const uint32_t *first, const uint32_t *next, uint32_t u,
                    uint32_t k, double excess) {
  for (int by_total = 0; by_total < 2 && excess > 0; by_total++) {
    for (int round = 0; round < 4 && excess > 1e-12; round++) {
      double wsum = 0, taken = 0;
      for (uint32_t c = first[u]; c != FATHOM_NONE; c = next[c]) {
        const fathom_ext_value *v = &p->nodes[c].ext[k];
        if (v->total > 0) wsum += by_total ? v->total : v->total_se * v->total_se;
      }
      if (!(wsum > 0)) break;
      for (uint32_t c = first[u]; c != FATHOM_NONE; c = next[c]) {
        fathom_ext_value *v = &p->nodes[c].ext[k];
        if (!(v->total > 0)) continue;
        double w = by_total ? v->total : v->total_se * v->total_se;
        double cut = fmin(excess * w / wsum, v->total);
        if (!(cut > 0)) continue;
        double before = v->total;
        v->total -= cut;
        v->total_se *= v->total / before;
        taken += cut;
      }
      excess -= taken;
    }
  }
}

int fz_ext_derive(fathom_profile *p) {
  uint32_t K = p->n_ext_metrics, N = p->n_nodes;
  if (!K) return 0;
  if (fz_ext_alloc_nodes(p)) return FATHOM_E_NOMEM;
  double *csum = calloc((size_t)(N ? N : 1) * K, sizeof *csum);
  double *cvar = calloc((size_t)(N ? N : 1) * K, sizeof *cvar);
  uint32_t *first = malloc((size_t)(N ? N : 1) * sizeof *first);
  uint32_t *next = malloc((size_t)(N ? N : 1) * sizeof *next);
  unsigned char *grows = calloc(K, 1);
  int rc = 0;
  if (!csum || !cvar || !first || !next || !grows) {
    rc = FATHOM_E_NOMEM;
    goto done;
  }
  for (uint32_t k = 0; k < K; k++) {
    uint32_t e = fz_ext_of_metric(p, k);
    grows[k] = e != FATHOM_NONE && !(p->exts[e].flags & FATHOM_EXT_SIGNED);
  }
  for (uint32_t i = 0; i < N; i++) first[i] = next[i] = FATHOM_NONE;
  for (uint32_t i = N; i-- > 0;) { /* children lists, in node order */
    uint32_t par = p->nodes[i].parent;
    if (par == FATHOM_NONE || par >= i) continue;
    next[i] = first[par];
    first[par] = i;
  }
  /* 1. children first: a total no more reliable than its children's sum (its variance at
   * least theirs) and below it is raised to it, and takes their error */
  for (uint32_t i = N; i-- > 0;) {
    fathom_node *n = &p->nodes[i];
    for (uint32_t k = 0; k < K; k++) {
      fathom_ext_value *v = &n->ext[k];
      double cs = csum[(size_t)i * K + k], cv = cvar[(size_t)i * K + k];
      if (grows[k] && v->total < cs && v->total_se * v->total_se >= cv) {
        v->total = cs;
        v->total_se = sqrt(cv);
      }
      if (n->parent != FATHOM_NONE && n->parent < i) {
        csum[(size_t)n->parent * K + k] += v->total;
        cvar[(size_t)n->parent * K + k] += v->total_se * v->total_se;
      }
    }
  }
  /* 2. parents first: children whose totals still pass their parent's give up the excess,
   * the less reliable ones most (exact children keep their figures) */
  for (uint32_t i = 0; i < N; i++)
    for (uint32_t k = 0; k < K; k++) {
      if (!grows[k]) continue;
      double cs = 0;
      for (uint32_t c = first[i]; c != FATHOM_NONE; c = next[c]) cs += p->nodes[c].ext[k].total;
      double excess = cs - p->nodes[i].ext[k].total;
      if (excess > 1e-9 * fabs(cs)) give_up(p, first, next, i, k, excess);
    }
  /* 3. self = total less the children's totals; its error combines both */
  for (uint32_t i = 0; i < N; i++)
    for (uint32_t k = 0; k < K; k++) {
      fathom_ext_value *v = &p->nodes[i].ext[k];
      double cs = 0, cv = 0;
      for (uint32_t c = first[i]; c != FATHOM_NONE; c = next[c]) {
        cs += p->nodes[c].ext[k].total;
        cv += p->nodes[c].ext[k].total_se * p->nodes[c].ext[k].total_se;
      }
      v->self = v->total - cs;
      if (fabs(v->self) <= 1e-9 * fmax(fabs(v->total), fabs(cs))) v->self = 0;   /* rounding */
      if (grows[k] && v->self < 0) v->self = 0;
      double var = v->total_se * v->total_se + cv;
      v->self_se = var > 0 ? sqrt(var) : 0;
    }
  rc = fz_ext_zones(p);
done:
  free(csum);
  free(cvar);
  free(first);
  free(next);
  free(grows);
  return rc;
}

int fz_ext_zones(fathom_profile *p) {
  uint32_t K = p->n_ext_metrics, N = p->n_nodes;
  if (!K) return 0;
  if (fz_ext_alloc_nodes(p)) return FATHOM_E_NOMEM;
  /* zones: totals of their outermost paths, selves of all, variances added */
  for (uint32_t z = 0; z < p->n_zones; z++) {
    free(p->zones[z].ext);
    if (!(p->zones[z].ext = calloc(K, sizeof *p->zones[z].ext))) return FATHOM_E_NOMEM;
  }
  for (uint32_t i = 0; i < N; i++) {
    const fathom_node *n = &p->nodes[i];
    if (n->zone >= p->n_zones) continue;
    int nested = 0;
    for (uint32_t a = n->parent; a != FATHOM_NONE && a < N; a = p->nodes[a].parent)
      if (p->nodes[a].zone == n->zone) { nested = 1; break; }
    fathom_ext_value *zv = p->zones[n->zone].ext;
    for (uint32_t k = 0; k < K; k++) {
      const fathom_ext_value *v = &n->ext[k];
      zv[k].samples += v->samples;
      zv[k].self += v->self;
      zv[k].self_se += v->self_se * v->self_se;   /* variances until the end */
      if (!nested) {
        zv[k].total += v->total;
        zv[k].total_se += v->total_se * v->total_se;
      }
    }
  }
  for (uint32_t z = 0; z < p->n_zones; z++)
    for (uint32_t k = 0; k < K; k++) {
      fathom_ext_value *zv = &p->zones[z].ext[k];
      zv->total_se = sqrt(zv->total_se);
      zv->self_se = sqrt(zv->self_se);
    }
  return 0;
}

void fz_ext_model_free(fathom_profile *p) {
  for (uint32_t i = 0; i < p->n_nodes && p->nodes; i++) free(p->nodes[i].ext);
  for (uint32_t i = 0; i < p->n_zones && p->zones; i++) free(p->zones[i].ext);
  for (uint32_t e = 0; e < p->n_exts && p->exts; e++) {
    fathom_ext_info *x = &p->exts[e];
    free(x->name);
    for (uint32_t k = 0; k < x->n_metrics && x->metrics; k++) {
      free(x->metrics[k].name);
      free(x->metrics[k].unit);
    }
    free(x->metrics);
    for (uint32_t k = 0; k < x->series.n_cols && x->series.cols; k++) free(x->series.cols[k]);
    free(x->series.cols);
    free(x->series.ts_ns);
    free(x->series.v);
    free(x->report);
  }
  free(p->exts);
}
