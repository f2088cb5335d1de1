/* analysis_sess.c: the rules over call paths and the whole session: leak (live bytes at the
 * end or a growth trend, grouped by call path across threads), imbalance (one zone on
 * several threads), gpu_memory, gpu_idle, overhead and missed SLAs.
 *
 * Invariant: grouping is by sorting (path strings, then (zone, thread) pairs), so the
 * findings and their order never depend on hash order or thread scheduling; a zone nested
 * in itself (recursion) counts its outermost calls only, as the rolled-up zones do. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "export_text.h"

#define MB 1e6
#define PATH_MAX_DEPTH 64

/* "a;b;c" for node i (innermost last; the deepest PATH_MAX_DEPTH levels). */
static char *node_path(const fathom_profile *p, uint32_t i) {
  uint32_t chain[PATH_MAX_DEPTH], n = 0;
  size_t len = 0;
  for (uint32_t k = i; k != FATHOM_NONE && k < p->n_nodes && n < PATH_MAX_DEPTH;
       k = p->nodes[k].parent) {
    chain[n++] = k;
    uint32_t z = p->nodes[k].zone;
    len += (z < p->n_zones && p->zones[z].name ? strlen(p->zones[z].name) : 1) + 1;
  }
  char *s = malloc(len + 1), *w = s;
  if (!s) return NULL;
  while (n--) {
    uint32_t z = p->nodes[chain[n]].zone;
    const char *nm = z < p->n_zones && p->zones[z].name ? p->zones[z].name : "?";
    size_t l = strlen(nm);
    memcpy(w, nm, l);
    w += l;
    if (n) *w++ = ';';
  }
  *w = 0;
  return s;
}

/* ---- leak ------------------------------------------------------------------------------- */

typedef struct leak_ref {
  char *path;
  uint32_t node;
} leak_ref;

static int leak_cmp(const void *a, const void *b) {
  const leak_ref *x = a, *y = b;
  int c = strcmp(x->path, y->path);
  return c ? c : (x->node < y->node ? -1 : x->node > y->node);
}

static void leak_emit(fz_actx *a, const leak_ref *r, uint32_t n) {
  const fathom_profile *p = a->p;
  double live = 0, live_n = 0, made = 0, calls = 0, growth = 0;
  for (uint32_t k = 0; k < n; k++) {
    const fathom_node *nd = &p->nodes[r[k].node];
    live += (double)nd->alloc_self.live_bytes;
    live_n += (double)nd->alloc_self.live_count;
    made += (double)nd->alloc_self.alloc_count;
    calls += (double)nd->stats.count;
    growth += nd->alloc_self.growth_bytes_per_call * (double)nd->stats.count;
  }
  growth = calls > 0 ? growth / calls : 0;
  double thr = a->t->leak_mb * MB;
  int by_live = live >= thr;
  int by_trend = live > 0 && growth >= a->t->leak_growth_bytes && calls >= (double)a->t->tail_min_calls;
  if (!by_live && !by_trend) return;
  fathom_severity sev = live >= 100 * thr ? FATHOM_SEV_CRITICAL : FATHOM_SEV_WARNING;
  double score = by_live ? fz_excess_score(live, thr) : fz_excess_score(growth, a->t->leak_growth_bytes);
  uint32_t z = p->nodes[r[0].node].zone;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_LEAK, sev, score, z, r[0].node, r[0].path);
  if (!f) return;
  char lb[32], g[32];
  fz_fmt_bytes(lb, sizeof lb, live);
  fz_fmt_bytes(g, sizeof g, fabs(growth));
  fz_fa_sum(a->fa, f, "%s in %.0f allocations made here are still live at the end; retained "
            "memory grows by %s%s per call over %.0f calls", lb, live_n, growth < 0 ? "-" : "",
            g, calls);
  fz_fa_fig(a->fa, f, "live_bytes", live, "bytes");
  fz_fa_fig(a->fa, f, "live_allocs", live_n, "allocations");
  fz_fa_fig(a->fa, f, "growth_bytes_per_call", growth, "bytes");
  fz_fa_fig(a->fa, f, "allocs", made, "allocations");
  fz_fa_fig(a->fa, f, "calls", calls, "calls");
  fz_fa_sug(a->fa, f, "Check that every allocation made here is freed on every return path "
            "(error paths included) or owned by something that frees it");
  fz_fa_sug(a->fa, f, "Get the allocation stacks with valgrind --leak-check=full or a "
            "-fsanitize=address build (LeakSanitizer)");
  fz_fa_sug(a->fa, f, "If this memory is a cache, bound it (an LRU with a size cap) and free it "
            "at shutdown");
}

static int rule_leak(fz_actx *a) {
  const fathom_profile *p = a->p;
  uint32_t k = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) k += p->nodes[i].alloc_self.live_bytes > 0;
  if (!k) return 0;
  leak_ref *r = calloc(k, sizeof *r);
  if (!r) return FATHOM_E_NOMEM;
  int rc = 0;
  k = 0;
  for (uint32_t i = 0; i < p->n_nodes && !rc; i++) {
    if (!p->nodes[i].alloc_self.live_bytes) continue;
    r[k].node = i;
    if (!(r[k++].path = node_path(p, i))) rc = FATHOM_E_NOMEM;
  }
  if (!rc) {
    qsort(r, k, sizeof *r, leak_cmp);
    for (uint32_t s = 0, e; s < k; s = e) {
      for (e = s + 1; e < k && strcmp(r[e].path, r[s].path) == 0; e++) continue;
      leak_emit(a, r + s, e - s);
    }
  }
  for (uint32_t i = 0; i < k; i++) free(r[i].path);
  free(r);
  return rc;
}

/* ---- imbalance ------------------------------------------------------------------------- */

typedef struct zt_ref {
  char *path;
  uint32_t node, thread;
  uint64_t total_ns, count;
} zt_ref;

static int zt_cmp(const void *a, const void *b) {
  const zt_ref *x = a, *y = b;
  int c = strcmp(x->path, y->path);
  if (c) return c;
  if (x->thread != y->thread) return x->thread < y->thread ? -1 : 1;
  return x->node < y->node ? -1 : x->node > y->node;
}

static int recursive(const fathom_profile *p, uint32_t i) {
  uint32_t z = p->nodes[i].zone, d = 0;
  for (uint32_t k = p->nodes[i].parent; k != FATHOM_NONE && k < p->n_nodes && d < 4096;
       k = p->nodes[k].parent, d++)
    if (p->nodes[k].zone == z) return 1;
  return 0;
}

/* One call path (entries r[0..n), sorted by thread) on several threads. */
static void imb_emit(fz_actx *a, const zt_ref *r, uint32_t n) {
  double all = 0, tmax = -1, tmin = INFINITY, mmax = 0, mmin = INFINITY;
  uint32_t threads = 0, imax = 0, imin = 0, first = r[0].node;
  for (uint32_t s = 0, e; s < n; s = e) {
    double tot = 0, cnt = 0;
    for (e = s; e < n && r[e].thread == r[s].thread; e++) {
      tot += (double)r[e].total_ns;
      cnt += (double)r[e].count;
      if (r[e].node < first) first = r[e].node;
    }
    if (!cnt) continue;
    threads++;
    all += tot;
    double mean = tot / cnt;
    if (tot > tmax) tmax = tot, imax = r[s].thread;
    if (tot < tmin) tmin = tot, imin = r[s].thread;
    mmax = fmax(mmax, mean);
    mmin = fmin(mmin, mean);
  }
  double share = a->time_ns > 0 ? 100 * all / a->time_ns : 0;
  if (threads < 2 || !(tmin > 0) || share < a->t->classify_share_pct) return;
  double ratio = tmax / tmin;
  if (ratio < a->t->imbalance_ratio) return;
  uint32_t z = a->p->nodes[first].zone;
  fathom_severity sev = ratio >= 2 * a->t->imbalance_ratio ? FATHOM_SEV_WARNING : FATHOM_SEV_INFO;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_IMBALANCE, sev, share * (1 - 1 / ratio), z,
                                first, r[0].path);
  if (!f) return;
  char hi[32], lo[32], mh[32], ml[32];
  fz_fmt_dur(hi, sizeof hi, tmax);
  fz_fmt_dur(lo, sizeof lo, tmin);
  fz_fmt_dur(mh, sizeof mh, mmax);
  fz_fmt_dur(ml, sizeof ml, mmin);
  const fathom_thread_info *th = a->p->threads;
  unsigned long long tmn = imin < a->p->n_threads ? (unsigned long long)th[imin].tid : 0;
  unsigned long long tmx = imax < a->p->n_threads ? (unsigned long long)th[imax].tid : 0;
  fz_fa_sum(a->fa, f, "runs on %u threads with totals from %s (tid %llu) to %s (tid %llu), "
            "%.2fx; per-call means from %s to %s", threads, lo, tmn, hi, tmx, ratio, ml, mh);
  fz_fa_fig(a->fa, f, "threads", threads, "threads");
  fz_fa_fig(a->fa, f, "max_thread_total_ns", tmax, "ns");
  fz_fa_fig(a->fa, f, "min_thread_total_ns", tmin, "ns");
  fz_fa_fig(a->fa, f, "ratio", ratio, "ratio");
  fz_fa_fig(a->fa, f, "max_mean_ns", mmax, "ns");
  fz_fa_fig(a->fa, f, "min_mean_ns", mmin, "ns");
  fz_fa_sug(a->fa, f, "Hand out work dynamically from a shared queue (or with work stealing) "
            "instead of fixed partitions per thread");
  fz_fa_sug(a->fa, f, "Use smaller work items so the threads finish together");
  if (mmax > 1.5 * mmin)
    fz_fa_sug(a->fa, f, "Calls are slower on some threads (means %s vs %s): check for contention "
              "on shared data, false sharing, or more threads than free cores", mh, ml);
}

/* Groups nodes by call path (the string of zone names), then by thread. */
static int rule_imbalance(fz_actx *a) {
  const fathom_profile *p = a->p;
  if (p->n_threads < 2 || !p->n_nodes) return 0;
  zt_ref *r = calloc(p->n_nodes, sizeof *r);
  if (!r) return FATHOM_E_NOMEM;
  uint32_t k = 0;
  int rc = 0;
  for (uint32_t i = 0; i < p->n_nodes && !rc; i++) {
    const fathom_node *nd = &p->nodes[i];
    if (!nd->stats.count || nd->zone >= p->n_zones || recursive(p, i)) continue;
    r[k] = (zt_ref){node_path(p, i), i, nd->thread, nd->stats.total_ns, nd->stats.count};
    if (!r[k++].path) rc = FATHOM_E_NOMEM;
  }
  if (!rc) {
    qsort(r, k, sizeof *r, zt_cmp);
    for (uint32_t s = 0, e; s < k; s = e) {
      for (e = s + 1; e < k && strcmp(r[e].path, r[s].path) == 0; e++) continue;
      imb_emit(a, r + s, e - s);
    }
  }
  for (uint32_t i = 0; i < k; i++) free(r[i].path);
  free(r);
  return rc;
}

/* ---- GPUs ------------------------------------------------------------------------------- */

static void rule_gpu_memory(fz_actx *a) {
  const fathom_profile *p = a->p;
  double thr = a->t->gpu_memory_mb * MB;
  for (uint32_t g = 0; g < p->n_gpus; g++) {
    const fathom_gpu_info *gi = &p->gpus[g];
    int proc = isfinite(gi->proc_mem_peak_bytes);
    double v = proc ? gi->proc_mem_peak_bytes : gi->mem_peak_bytes;
    if (!(v > thr)) continue;
    int full = isfinite(gi->mem_total_bytes) && gi->mem_total_bytes > 0 &&
               v >= 0.9 * gi->mem_total_bytes;
    fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_GPU_MEMORY,
                                  full ? FATHOM_SEV_CRITICAL : FATHOM_SEV_WARNING,
                                  fz_excess_score(v, thr), FATHOM_NONE, FATHOM_NONE, "");
    if (!f) return;
    char b[32], tot[32], nm[80];
    fz_fmt_bytes(b, sizeof b, v);
    fz_fmt_bytes(tot, sizeof tot, gi->mem_total_bytes);
    fz_clean(nm, sizeof nm, gi->name ? gi->name : "?", 40);
    fz_fa_sum(a->fa, f, "GPU %u (%s): %s of device memory in use at peak (%s) of %s, above the "
              "%g MB threshold", gi->index, nm, b, proc ? "this process" : "all processes", tot,
              a->t->gpu_memory_mb);
    fz_fa_fig(a->fa, f, "gpu", gi->index, "index");
    fz_fa_fig(a->fa, f, "gpu_mem_peak_bytes", v, "bytes");
    fz_fa_fig(a->fa, f, "gpu_mem_total_bytes", gi->mem_total_bytes, "bytes");
    fz_fa_fig(a->fa, f, "threshold_mb", a->t->gpu_memory_mb, "MB");
    fz_fa_sug(a->fa, f, "Reduce the batch size or tile the problem so less is resident at once");
    fz_fa_sug(a->fa, f, "Free device buffers as soon as they are dead (cudaFree, or trim your "
              "pool allocator) and reuse them across iterations");
    fz_fa_sug(a->fa, f, "Keep fewer intermediates: recompute them (checkpointing) or store them "
              "in lower precision (fp16/bf16)");
  }
}

static void rule_gpu_idle(fz_actx *a) {
  const fathom_resources *r = &a->p->res;
  if (!a->p->n_gpus || !isfinite(r->gpu_util_mean_pct) || !isfinite(r->cpu_pct_mean)) return;
  if (r->gpu_util_mean_pct >= a->t->gpu_idle_pct || r->cpu_pct_mean <= a->t->cpu_busy_pct) return;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_GPU_IDLE, FATHOM_SEV_WARNING,
                                100 - r->gpu_util_mean_pct, FATHOM_NONE, FATHOM_NONE, "");
  if (!f) return;
  fz_fa_sum(a->fa, f, "the GPUs were busy %.0f%% of the time on average while the process used "
            "%.0f%% CPU (100%% = one core): the GPU waits for the CPU",
            r->gpu_util_mean_pct, r->cpu_pct_mean);
  fz_fa_fig(a->fa, f, "gpu_util_mean_pct", r->gpu_util_mean_pct, "%");
  fz_fa_fig(a->fa, f, "cpu_pct_mean", r->cpu_pct_mean, "%");
  fz_fa_sug(a->fa, f, "Overlap CPU-side preparation with GPU work: double-buffer batches in "
            "pinned host memory and copy asynchronously on separate streams");
  fz_fa_sug(a->fa, f, "Give the CPU stages that feed the GPU more threads, or move that work "
            "onto the GPU");
  fz_fa_sug(a->fa, f, "Launch fewer, larger kernels (bigger batches)");
}

/* ---- fathom's own overhead --------------------------------------------------------------- */

static void rule_overhead(fz_actx *a) {
  const fathom_meta *m = &a->p->meta;
  double budget = a->t->overhead_pct > 0 ? a->t->overhead_pct : m->overhead_budget_pct;
  double o = m->overhead_pct;
  int over = isfinite(o) && isfinite(budget) && budget > 0 && o > budget;
  if (!over && !a->p->n_gov_actions) return;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_OVERHEAD,
                                !over ? FATHOM_SEV_INFO
                                : o > 2 * budget ? FATHOM_SEV_CRITICAL : FATHOM_SEV_WARNING,
                                over ? fz_excess_score(o, budget) : 0, FATHOM_NONE, FATHOM_NONE, "");
  if (!f) return;
  if (over)
    fz_fa_sum(a->fa, f, "fathom's own overhead was %.2f%% of the CPU time, above the %.4g%% "
              "budget; figures of short zones are inflated by it", o, budget);
  else
    fz_fa_sum(a->fa, f, "the overhead governor acted %u times to hold fathom's overhead "
              "(%.2f%%) within the %.4g%% budget: some paths were sampled or downgraded",
              a->p->n_gov_actions, isfinite(o) ? o : 0.0, budget);
  fz_fa_fig(a->fa, f, "overhead_pct", o, "%");
  fz_fa_fig(a->fa, f, "budget_pct", budget, "%");
  fz_fa_fig(a->fa, f, "gov_actions", a->p->n_gov_actions, "actions");
  fz_fa_fig(a->fa, f, "zone_cost_ns", m->zone_cost_ns, "ns");
  fz_fa_sug(a->fa, f, "Keep zones off tiny, very frequent functions: exclude them "
            "(FATHOM_EXCLUDE) or record only some components (FATHOM_COMPONENTS)");
  fz_fa_sug(a->fa, f, "Lower the level (FATHOM_LEVEL=basic) or probe fewer calls "
            "(FATHOM_SAMPLE_EVERY)");
  if (!m->governor)
    fz_fa_sug(a->fa, f, "Turn the governor on (FATHOM_GOVERNOR=1) so it thins what costs most");
}

/* ---- SLAs ---------------------------------------------------------------------------- */

static void rule_sla(fz_actx *a) {
  for (uint32_t i = 0; i < a->p->n_slas; i++) {
    const fathom_sla_result *s = &a->p->slas[i];
    if (s->met == 1) continue;
    const char *name = s->zone_name ? s->zone_name : "";
    fathom_finding *f;
    if (s->met == 0) {
      f = fz_fa_new(a->fa, FATHOM_FIND_SLA, FATHOM_SEV_CRITICAL,
                    fz_excess_score(s->actual_ns, s->target_ns), s->zone, FATHOM_NONE, name);
      if (!f) return;
      char act[32], tgt[32];
      fz_fmt_dur(act, sizeof act, s->actual_ns);
      fz_fmt_dur(tgt, sizeof tgt, s->target_ns);
      fz_fa_sum(a->fa, f, "SLA missed: p%g is %s, above the target %s (%llu calls)",
                s->percentile, act, tgt, (unsigned long long)s->count);
      fz_fa_sug(a->fa, f, "The slowest %g%% of calls decide it: see this zone's tail_latency and "
                "waiting findings, if any", 100 - s->percentile);
      fz_fa_sug(a->fa, f, "Add nested zones to see where its time goes, then cut the largest "
                "part");
    } else {
      f = fz_fa_new(a->fa, FATHOM_FIND_SLA, FATHOM_SEV_INFO, 0, s->zone, FATHOM_NONE, name);
      if (!f) return;
      fz_fa_sum(a->fa, f, "SLA not checked: the zone made no calls in this session");
      fz_fa_sug(a->fa, f, "Check the zone name in the SLA spec (FATHOM_SLA) against the report");
    }
    fz_fa_fig(a->fa, f, "percentile", s->percentile, "%");
    fz_fa_fig(a->fa, f, "actual_ns", s->actual_ns, "ns");
    fz_fa_fig(a->fa, f, "target_ns", s->target_ns, "ns");
    fz_fa_fig(a->fa, f, "calls", (double)s->count, "calls");
  }
}

int fz_rules_session(fz_actx *a) {
  int rc = rule_leak(a);
  if (!rc) rc = rule_imbalance(a);
  rule_gpu_memory(a);
  rule_gpu_idle(a);
  rule_overhead(a);
  rule_sla(a);
  return rc;
}
