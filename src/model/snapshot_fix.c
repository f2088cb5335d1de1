/* snapshot_fix.c: the model builder's corrections (snapshot.c builds the model): fathom's own
 * cost taken out of the recorder's nodes, the figures reconciled so that children never
 * exceed their parents, min, max and percentiles shifted like the totals, and the inclusive
 * and per-zone figures summed once the totals are final.
 *
 * Invariant: like snapshot.c, runs under fz_g.lock while a model is built; it changes only
 * the builder's scratch (b_inner) in recorder nodes, and leaves a model's structure
 * (parents before children, indices in range) as it found it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "record/record.h"
#include "model/snapshot.h"

/* fathom's own cost of node n's calls that lands in its parent's interval: every timed,
 * counted-only and probed call of n (calibrated costs, per kind), ns. */
double fz_snap_own_cost(const fz_node *n) {
  int fn = (n->flags & FZ_NODE_FUNC) != 0;
  /* calls timed with weight 1 (every call of the path timed, with or without its events or
   * probes) cost a timed call; those of a sampled path are rare, so their code runs cold */
  uint64_t c = FZ_LD(n->count), ext = FZ_LD(n->ext), sp1 = FZ_LD(n->sp1);
  double plain = (double)(c >= ext + sp1 ? c - ext - sp1 : 0),
         special = (double)(FZ_LD(n->s_n) + sp1),
         un = (double)FZ_LD(n->untimed);
  return plain * (fn ? fz_g.hook_cost_ns : fz_g.zone_cost_ns) +
         special * (fn ? fz_g.hook_sp_ns : fz_g.zone_sp_ns) +
         un * (fn ? fz_g.hook_untimed_ns : fz_g.untimed_cost_ns) +
         (double)FZ_LD(n->psamples) * fz_g.probe_cost_ns;
}

/* How self time is kept free of fathom's cost: a timed call's interval holds the part of
 * its own zone's work between the two counter reads (zone_in_ns) and the whole cost of every
 * zone call nested in it. The second is known exactly per path: every nested call of a path
 * happened inside one of its calls, and their numbers (timed, counted, probed) are counted.
 * So b_inner of each node is the calibrated cost of all its descendants' calls, summed here
 * children first (a pre-order walk, read backwards); node_stats (snapshot.c) takes it and
 * zone_in_ns per call out of the path's total. */
int fz_snap_inner_costs(fz_thread *t) {
  /* the node directory lists parents before children: read backwards, children first */
  uint64_t nn = FZ_LDA(t->n_nodes);
  for (uint64_t i = 0; i < nn; i++) fz_node_at(t, i)->b_inner = 0;
  for (uint64_t i = nn; i-- > 0;) {
    fz_node *x = fz_node_at(t, i);
    if (x->parent && x->parent != &t->root) x->parent->b_inner += fz_snap_own_cost(x) + x->b_inner;
  }
  return 0;
}

/* How the figures are made to add up. Independent estimates (a sampled parent, sampled
 * children) and the calibrated corrections can leave a node's children's totals above its
 * own. Two passes settle it, each change going to the less reliable side:
 *  1. children first: a node whose total is no more reliable than its children's sum (its
 *     variance at least theirs; exact figures have none, so an exact parent with exact
 *     children takes their sum: calibration error, not measurement, made the difference) is
 *     raised to that sum;
 *  2. parents first: children whose sum still exceeds their parent's total (they are the
 *     less reliable side) give up the excess in proportion to their variances, so exact
 *     children keep their figures while estimated siblings absorb it (in proportion to their
 *     totals when none has a variance); a thread's top-level totals likewise when they
 *     exceed the session's duration (unless the program gave durations of its own).
 * Then self = total - the children's totals is never negative, and self_se_ns combines the
 * node's variance with its children's. */

/* Takes `excess` off the totals of the k nodes idx[] (their variances var[], totals tot[]),
 * none going below 0: by variance while any has one, then by total. */
static void give_up(fathom_profile *p, const uint32_t *idx, uint32_t k, double excess) {
  for (int by_total = 0; by_total < 2 && excess > 0.5; by_total++) {
    for (int round = 0; round < 4 && excess > 0.5; round++) {
      double wsum = 0;
      for (uint32_t j = 0; j < k; j++) {
        const fathom_stats *st = &p->nodes[idx[j]].stats;
        if (st->total_ns == 0) continue;
        wsum += by_total ? (double)st->total_ns : st->total_se_ns * st->total_se_ns;
      }
      if (wsum <= 0) break;
      double taken = 0;
      for (uint32_t j = 0; j < k; j++) {
        fathom_stats *st = &p->nodes[idx[j]].stats;
        if (st->total_ns == 0) continue;
        double w = by_total ? (double)st->total_ns : st->total_se_ns * st->total_se_ns;
        double cut = ceil(excess * w / wsum);
        if (cut > (double)st->total_ns) cut = (double)st->total_ns;
        if (cut <= 0) continue;
        double before = (double)st->total_ns;
        st->total_ns -= (uint64_t)cut;
        if (before > 0) st->total_se_ns *= (double)st->total_ns / before;
        taken += cut;
      }
      excess -= taken;
    }
  }
}

static int reconcile(fathom_profile *p, uint64_t duration_ns) {
  uint32_t n = p->n_nodes, nt = p->n_threads;
  double *sum = calloc(n ? n : 1, sizeof *sum), *var = calloc(n ? n : 1, sizeof *var);
  uint32_t *kids = calloc(n ? n : 1, sizeof *kids);
  /* children lists: first[i] .. via next[] (and the threads' top-level nodes) */
  uint32_t *first = malloc((n + nt + 1) * sizeof *first), *next = malloc((n ? n : 1) * sizeof *next);
  uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
  if (!sum || !var || !kids || !first || !next || !idx) {
    free(sum); free(var); free(kids); free(first); free(next); free(idx);
    return -1;
  }
  for (uint32_t i = 0; i < n + nt + 1; i++) first[i] = FATHOM_NONE;
  for (uint32_t i = n; i-- > 0;) { /* 1. children first */
    fathom_stats *st = &p->nodes[i].stats;
    double tot = (double)st->total_ns, v = st->total_se_ns * st->total_se_ns;
    if (kids[i] && sum[i] > tot + kids[i] && v >= var[i]) {
      uint64_t up = (uint64_t)ceil(sum[i]);
      double raised = (double)(up - st->total_ns);
      st->overhead_ns = st->overhead_ns > raised ? st->overhead_ns - raised : 0;
      st->total_ns = up;
    }
    uint32_t par = p->nodes[i].parent, slot;
    if (par != FATHOM_NONE && par < n) {
      sum[par] += (double)st->total_ns;
      var[par] += st->total_se_ns * st->total_se_ns;
      kids[par]++;
      slot = par;
    } else {
      slot = n + (p->nodes[i].thread < nt ? p->nodes[i].thread : nt);
    }
    next[i] = first[slot]; /* built backwards: lists come out in index order */
    first[slot] = i;
  }
  for (uint32_t t = 0; t < nt; t++) { /* 2. the threads' top level, then parents first */
    if (p->threads[t].n_recorded) continue;
    uint32_t k = 0;
    double s = 0;
    for (uint32_t c = first[n + t]; c != FATHOM_NONE; c = next[c]) {
      idx[k++] = c;
      s += (double)p->nodes[c].stats.total_ns;
    }
    if (s > (double)duration_ns + k) give_up(p, idx, k, s - (double)duration_ns);
  }
  for (uint32_t i = 0; i < n; i++) {
    fathom_stats *st = &p->nodes[i].stats;
    uint32_t k = 0;
    double s = 0;
    for (uint32_t c = first[i]; c != FATHOM_NONE; c = next[c]) {
      idx[k++] = c;
      s += (double)p->nodes[c].stats.total_ns;
    }
    if (k && s > (double)st->total_ns) give_up(p, idx, k, s - (double)st->total_ns);
    st->mean_ns = st->count ? (double)st->total_ns / (double)st->count : 0;
  }
  for (uint32_t i = 0; i < n; i++) /* self_se: the node's variance and its children's */
    p->nodes[i].stats.self_se_ns = p->nodes[i].stats.total_se_ns * p->nodes[i].stats.total_se_ns;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t par = p->nodes[i].parent;
    if (par != FATHOM_NONE && par < n)
      p->nodes[par].stats.self_se_ns += p->nodes[i].stats.total_se_ns * p->nodes[i].stats.total_se_ns;
  }
  for (uint32_t i = 0; i < n; i++) p->nodes[i].stats.self_se_ns = sqrt(p->nodes[i].stats.self_se_ns);
  free(sum); free(var); free(kids); free(first); free(next); free(idx);
  return 0;
}

/* Moves every value of h down by shift_ns (at least to 0): each bucket's midpoint goes to
 * the bucket that holds it. The mapping keeps the order, so h stays sorted. */
static void hist_shift(fathom_hist *h, double shift_ns) {
  double unit = h->unit_ns > 0 ? h->unit_ns : 1.0, sh = shift_ns / unit;
  if (sh < 0.5 || h->n == 0) return;
  uint32_t k = 0;
  for (uint32_t i = 0; i < h->n; i++) {
    double v = fz_hist_bucket_mid(h->bucket[i]) - sh;
    uint32_t b = fz_hist_bucket_of(v > 0 ? (uint64_t)(v + 0.5) : 0);
    if (k && h->bucket[k - 1] == b) {
      h->count[k - 1] += h->count[i];
    } else {
      h->bucket[k] = b;
      h->count[k++] = h->count[i];
    }
  }
  h->n = k;
}

/* How min, max and the percentiles lose fathom's cost: once the totals are final, each
 * node's calibrated cost per call (overhead_ns over its calls, less what reconciliation gave
 * back) is taken off its extremes and its histogram, so they describe the same calls as the
 * mean. (What reconciliation took off an estimate is a correction of the estimate, not of
 * each call: it moves the mean only.) For a sampled node the mean is an estimate that may
 * lie past the timed calls' extremes: min and max then widen to it (they bound the timed
 * calls and the mean). */
static void shift_extremes(fathom_node *n) {
  fathom_stats *st = &n->stats;
  if (!st->count) return;
  double shift = st->overhead_ns / (double)st->count;
  if (shift < 0) shift = 0;
  double mn = (double)st->min_ns - shift, mx = (double)st->max_ns - shift;
  st->min_ns = mn > 0 ? (uint64_t)(mn + 0.5) : 0;
  st->max_ns = mx > 0 ? (uint64_t)(mx + 0.5) : 0;
  hist_shift(&n->hist, shift);
  st->mean_ns = (double)st->total_ns / (double)st->count;
  if (st->mean_ns < (double)st->min_ns) st->min_ns = (uint64_t)floor(st->mean_ns);
  if (st->mean_ns > (double)st->max_ns) st->max_ns = (uint64_t)ceil(st->mean_ns);
}

int fz_snap_finish_nodes(fathom_profile *p, uint64_t duration_ns) {
  int oom = 0;
  if (reconcile(p, duration_ns)) return -1;
  for (uint32_t i = 0; i < p->n_nodes; i++) shift_extremes(&p->nodes[i]);
  uint64_t *child_sum = calloc(p->n_nodes ? p->n_nodes : 1, sizeof *child_sum);
  if (!child_sum) return -1;
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].parent != FATHOM_NONE) child_sum[p->nodes[i].parent] += p->nodes[i].stats.total_ns;
  for (uint32_t i = 0; i < p->n_nodes; i++) { /* inclusive = own + children's inclusive */
    p->nodes[i].alloc = p->nodes[i].alloc_self;
    p->nodes[i].flops = p->nodes[i].flops_self;
    if (p->nodes[i].time_every == 0) p->nodes[i].time_every = 1;
  }
  for (uint32_t i = p->n_nodes; i-- > 0;) { /* children follow their parents */
    uint32_t par = p->nodes[i].parent;
    if (par == FATHOM_NONE) continue;
    fz_alloc_add(&p->nodes[par].alloc, &p->nodes[i].alloc);
    p->nodes[par].flops += p->nodes[i].flops;
  }
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    fathom_node *n = &p->nodes[i];
    n->stats.self_ns = n->stats.total_ns > child_sum[i] ? n->stats.total_ns - child_sum[i] : 0;
    fz_stats_set_percentiles(&n->stats, &n->hist);
    /* recursion: an ancestor of the same zone already counts this time */
    int nested = 0;
    for (uint32_t a = n->parent; a != FATHOM_NONE; a = p->nodes[a].parent)
      if (p->nodes[a].zone == n->zone) { nested = 1; break; }
    fathom_stats st = n->stats;
    if (nested) st.total_ns = 0;
    fathom_zone_info *z = &p->zones[n->zone];
    fz_stats_merge(&z->stats, &st);
    fz_alloc_add(&z->alloc_self, &n->alloc_self);
    z->gov |= n->gov;
    if (n->time_every > z->time_every) z->time_every = n->time_every;
    if (n->heap_peak_bytes > z->heap_peak_bytes) z->heap_peak_bytes = n->heap_peak_bytes;
    z->heap_peak_calls += n->heap_peak_calls;
    if (!nested) {
      fz_res_add(&z->res, &n->res);
      fz_alloc_add(&z->alloc, &n->alloc);
      z->flops += n->flops;
    } else {
      fathom_res r = n->res; /* the sampling figures still count; the sums are inside */
      memset(r.sum, 0, sizeof r.sum);
      r.samples = 0;
      fz_res_add(&z->res, &r);
    }
    if (fz_hist_merge(&z->hist, &n->hist)) oom = 1;
  }
  for (uint32_t i = 0; i < p->n_zones; i++) {
    fz_stats_set_percentiles(&p->zones[i].stats, &p->zones[i].hist);
    if (p->zones[i].time_every == 0) p->zones[i].time_every = 1;
  }
  free(child_sum);
  return oom ? -1 : 0;
}
