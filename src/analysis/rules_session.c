/* analysis/rules_session.c: the rules over call paths and the whole session: leak (live
 * bytes at the end or a growth trend, grouped by call path across threads), imbalance (one zone on
 * several threads, compared by time per call), gpu_memory, gpu_idle, overhead (fathom's cost
 * as a share of the process's CPU, zones whose figures are inflated by it, and the
 * -finstrument-functions exclusion that would cut most of it) and SLAs missed or not
 * verified.
 *
 * Invariant: grouping is by sorting (path strings, then (zone, thread) pairs), so the
 * findings and their order never depend on hash order or thread scheduling; a zone nested
 * in itself (recursion) counts its outermost calls only, as the rolled-up zones do. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "util/fmt.h"

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

int fz_rule_leak(fz_actx *a) {
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

/* One call path (entries r[0..n), sorted by thread) on several threads. Threads are compared
 * on like work: the time per call of the path on each thread. Totals that differ only because
 * one thread made more calls (a pool's workers taking different numbers of jobs) are
 * different amounts of work, not an imbalance of speed, and are not reported. */
static void imb_emit(fz_actx *a, const zt_ref *r, uint32_t n) {
  double all = 0, mmax = -1, mmin = INFINITY, tmax = 0, tmin = INFINITY;
  double cmax = 0, cmin = 0;
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
    if (mean > mmax) mmax = mean, imax = r[s].thread, cmax = cnt;
    if (mean < mmin) mmin = mean, imin = r[s].thread, cmin = cnt;
    tmax = fmax(tmax, tot);
    tmin = fmin(tmin, tot);
  }
  double share = fz_share_pct(all, a->time_ns);
  if (threads < 2 || !(mmin > 0) || share < a->t->classify_share_pct) return;
  double ratio = mmax / mmin;
  if (ratio < a->t->imbalance_ratio) return;
  uint32_t z = a->p->nodes[first].zone;
  /* calls this short are mostly fathom's own cost (and the host's noise): no comparison */
  double per = z < a->p->n_zones ? fz_call_cost(&a->p->meta, &a->p->zones[z]) : 0;
  if (per > 0 && mmin < FZ_SHORT_X * per) return;
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
  fz_fa_sum(a->fa, f, "runs on %u threads; a call takes %s on average on tid %llu (%.0f calls) "
            "against %s on tid %llu (%.0f calls), %.2fx; thread totals from %s to %s", threads,
            mh, tmx, cmax, ml, tmn, cmin, ratio, lo, hi);
  fz_fa_fig(a->fa, f, "threads", threads, "threads");
  fz_fa_fig(a->fa, f, "ratio", ratio, "ratio");
  fz_fa_fig(a->fa, f, "max_mean_ns", mmax, "ns");
  fz_fa_fig(a->fa, f, "min_mean_ns", mmin, "ns");
  fz_fa_fig(a->fa, f, "max_mean_calls", cmax, "calls");
  fz_fa_fig(a->fa, f, "min_mean_calls", cmin, "calls");
  fz_fa_fig(a->fa, f, "max_thread_total_ns", tmax, "ns");
  fz_fa_fig(a->fa, f, "min_thread_total_ns", tmin, "ns");
  fz_fa_sug(a->fa, f, "The same calls are slower on some threads (%s vs %s): check for "
            "contention on shared data (locks, atomics), false sharing, NUMA placement, or "
            "more busy threads than free cores", mh, ml);
  fz_fa_sug(a->fa, f, "If the work per call differs by thread (bigger items on one), hand "
            "work out dynamically from a shared queue in smaller items");
}

/* Groups nodes by call path (the string of zone names), then by thread. */
int fz_rule_imbalance(fz_actx *a) {
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

int fz_rule_gpu_memory(fz_actx *a) {
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
    if (!f) return 0;
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
  return 0;
}

int fz_rule_gpu_idle(fz_actx *a) {
  const fathom_resources *r = &a->p->res;
  if (!a->p->n_gpus || !isfinite(r->gpu_util_mean_pct) || !isfinite(r->cpu_pct_mean)) return 0;
  if (r->gpu_util_mean_pct >= a->t->gpu_idle_pct || r->cpu_pct_mean <= a->t->cpu_busy_pct) return 0;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_GPU_IDLE, FATHOM_SEV_WARNING,
                                100 - r->gpu_util_mean_pct, FATHOM_NONE, FATHOM_NONE, "");
  if (!f) return 0;
  fz_fa_sum(a->fa, f, "the GPUs were busy %.0f%% of the time on average while the process used "
            "%.0f%% CPU (100%% = one core): the GPU waits for the CPU",
            r->gpu_util_mean_pct, r->cpu_pct_mean);
  fz_fa_fig(a->fa, f, "gpu_util_mean_pct", r->gpu_util_mean_pct, "%");
  /* the process's CPU use passes 100 % with more than one core busy: in cores, not % */
  fz_fa_fig(a->fa, f, "cpu_cores_busy", r->cpu_pct_mean / 100, "cores");
  fz_fa_sug(a->fa, f, "Overlap CPU-side preparation with GPU work: double-buffer batches in "
            "pinned host memory and copy asynchronously on separate streams");
  fz_fa_sug(a->fa, f, "Give the CPU stages that feed the GPU more threads, or move that work "
            "onto the GPU");
  fz_fa_sug(a->fa, f, "Launch fewer, larger kernels (bigger batches)");
  return 0;
}

/* ---- fathom's own overhead --------------------------------------------------------------- */

#define OVH_NAMED 5              /* zones named in the finding, most affected first */
#define OVH_INFLATED_FRAC 0.25   /* calibrated cost taken out >= 25 % of the zone's time */
#define OVH_SHORT_X FZ_SHORT_X   /* or a mean under 10 x one call's own cost */
#define OVH_MIN_CALLS 100        /* a zone called less often is not worth naming */
#define OVH_EXCL_MAX 16          /* functions in the exclusion list, at most */
#define OVH_EXCL_ENOUGH 0.8      /* and no more once they cost 80 % of all */
#define OVH_EXCL_LEN 512         /* and at most this many characters of it */

typedef struct ovh_zone {
  uint32_t zone;
  double frac;       /* how much of the zone's measured time is fathom's cost, 0 to 1 */
  double cost_ns;    /* what its own calls cost (timed, counted-only and probed) */
  double per_call;   /* one timed call's cost (a zone's, or a function's hooks) */
  double probe_ns;   /* the part of cost_ns that is its probed calls' probes */
  int short_calls;   /* its calls are short against what a call costs */
  int inflated;      /* 1: its figures are substantially fathom's own cost */
} ovh_zone;

/* fathom's cost in the zones as a % of the process's CPU time. Schema 4: meta.overhead_pct
 * counts the zones only; files of schemas 1 to 3 counted the background thread too
 * (monitor_cpu_ns), which is taken out here: fixed costs never make this finding. */
static double zones_overhead_pct(const fathom_meta *m) {
  double o = m->overhead_pct;
  if (m->schema_version >= 1 && m->schema_version < 4 && m->monitor_cpu_ns > 0 &&
      m->cpu_time_ns > 0 && isfinite(m->overhead_ns))
    o = 100.0 * fmax(0.0, m->overhead_ns - m->monitor_cpu_ns) / m->cpu_time_ns;
  return isfinite(o) ? fmax(0.0, o) : NAN;
}

static double pos(double v) { return isfinite(v) && v > 0 ? v : 0; }

static void ovh_measure(const fz_actx *a, uint32_t z, ovh_zone *o) {
  const fathom_meta *m = &a->p->meta;
  const fathom_zone_info *zi = &a->p->zones[z];
  const fathom_stats *st = &zi->stats;
  int fn = zi->kind == FATHOM_ZONE_KIND_FUNCTION;
  double per = fz_call_cost(m, zi);
  double unt = pos(fn ? m->hook_untimed_cost_ns : m->untimed_cost_ns);
  if (!(unt > 0)) unt = per;
  double timed = (double)fz_timed_of(st), calls = (double)st->count;
  memset(o, 0, sizeof *o);
  o->zone = z;
  o->per_call = per;
  if (a->p->meta.level >= FATHOM_LEVEL_DETAILED)
    o->probe_ns = (double)zi->res.samples * pos(m->probe_cost_ns);
  o->cost_ns = timed * per + (calls - timed) * unt + o->probe_ns;
  double ovh = pos(st->overhead_ns), tot = (double)st->total_ns;
  double f1 = ovh > 0 && tot + ovh > 0 ? ovh / (tot + ovh) : 0;
  double mean = pos(st->mean_ns);
  double f2 = per > 0 ? per / (mean + per) : 0;
  o->frac = fmax(f1, f2);
  o->short_calls = per > 0 && mean < OVH_SHORT_X * per;
  double share = fz_share_pct(tot + ovh, a->time_ns);
  o->inflated = st->count >= OVH_MIN_CALLS && share >= a->t->min_share_pct &&
                (f1 >= OVH_INFLATED_FRAC || o->short_calls);
}

/* Most affected first: inflated zones by the part of their time that is fathom's, else (over
 * budget only) the zones that cost most; ties by cost, then index. */
static int ovh_cmp(const void *pa, const void *pb) {
  const ovh_zone *x = pa, *y = pb;
  if (x->inflated != y->inflated) return x->inflated ? -1 : 1;
  if (x->inflated && x->frac != y->frac) return x->frac > y->frac ? -1 : 1;
  if (x->cost_ns != y->cost_ns) return x->cost_ns > y->cost_ns ? -1 : 1;
  return x->zone < y->zone ? -1 : x->zone > y->zone;
}

/* "; fathom's fixed costs (...) are apart" into b, or "" when none was recorded. */
static void fixed_note(char *b, size_t cap, const fathom_meta *m) {
  char su[32], mo[32], bu[32];
  b[0] = 0;
  if (!(pos(m->setup_ns) + pos(m->monitor_cpu_ns) + pos(m->build_ns) > 0)) return;
  fz_fmt_dur(su, sizeof su, pos(m->setup_ns));
  fz_fmt_dur(mo, sizeof mo, pos(m->monitor_cpu_ns));
  fz_fmt_dur(bu, sizeof bu, pos(m->build_ns));
  snprintf(b, cap, "; fathom's fixed costs (setup %s, background thread %s, building the "
           "profile %s) are apart and inflate no zone", su, mo, bu);
}

/* fathom's cost in the zones, ns (schemas 1 to 3: the background thread taken out). */
static double zones_overhead_ns(const fathom_meta *m) {
  double o = pos(m->overhead_ns);
  if (m->schema_version >= 1 && m->schema_version < 4) o = fmax(0.0, o - pos(m->monitor_cpu_ns));
  return o;
}

/* The zones' cost as a share of the process's CPU time (0 to 100): overhead over the CPU
 * time where both are recorded, else from the slowdown s (%): s / (100 + s). */
static double ovh_cpu_share(const fathom_meta *m, double s) {
  double o = zones_overhead_ns(m), cpu = pos(m->cpu_time_ns);
  if (o > 0 && cpu > 0) return fz_share_pct(o, cpu);
  return s > 0 ? fz_share_pct(s, 100 + s) : 0;
}

/* "37.9 ns" (a timed function call's hooks' cost) for the suggestion. */
static const char *per_s(const fathom_meta *m) {
  static _Thread_local char b[32];
  fz_fmt_dur(b, sizeof b, pos(m->hook_cost_ns) > 0 ? m->hook_cost_ns : pos(m->zone_cost_ns));
  return b;
}

/* 1 when name can go in GCC's -finstrument-functions-exclude-function-list (a C
 * identifier: no ',' to split it, nothing a shell or a demangler would change). */
static int plain_ident(const char *s) {
  if (!s || !*s) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_'))
      return 0;
  return 1;
}

/* 1 when the name of v[i]'s zone is part of the name of a function whose calls are not
 * short: GCC, matching names as substrings, would stop instrumenting that one too. */
static int hides_long(const ovh_zone *v, uint32_t n, uint32_t i, const fathom_profile *p) {
  const char *nm = p->zones[v[i].zone].name;
  for (uint32_t k = 0; k < n; k++) {
    const fathom_zone_info *zk = &p->zones[v[k].zone];
    if (k == i || v[k].short_calls || zk->kind != FATHOM_ZONE_KIND_FUNCTION || !zk->name)
      continue;
    if (strstr(zk->name, nm)) return 1;
  }
  return 0;
}

/* The -finstrument-functions exclusion that cuts fathom's cost most: the short functions
 * (mean under OVH_SHORT_X x a call's cost, at least OVH_MIN_CALLS calls) whose calls x
 * calibrated cost are largest, costliest first, until they cost OVH_EXCL_ENOUGH of all the
 * zones' cost (at most OVH_EXCL_MAX of them and OVH_EXCL_LEN characters), as "a,b,c" into
 * list. Returns
 * the share (0 to 100) of the zones' calibrated cost that excluding them at build time
 * removes: GCC matches the names as substrings, so every function whose name contains one
 * of them counts, and a name inside a function whose calls are not short is left out. The
 * n x candidates name checks run only on those that would enter the list. v[0..n) holds every
 * zone with calls, measured. */
static double ovh_exclusion(const fz_actx *a, const ovh_zone *v, uint32_t n, char *list,
                            size_t cap, uint32_t *picked) {
  const fathom_profile *p = a->p;
  uint32_t pick[OVH_EXCL_MAX], np = 0;
  double all = 0;
  list[0] = 0;
  *picked = 0;
  for (uint32_t i = 0; i < n; i++) {
    const fathom_zone_info *zi = &p->zones[v[i].zone];
    all += v[i].cost_ns;
    if (zi->kind != FATHOM_ZONE_KIND_FUNCTION || !v[i].short_calls ||
        zi->stats.count < OVH_MIN_CALLS || !(v[i].cost_ns > 0) || !plain_ident(zi->name) ||
        !strcmp(zi->name, "main"))
      continue;
    uint32_t k;   /* keep the OVH_EXCL_MAX costliest, costliest first (ties: zone index) */
    if (np < OVH_EXCL_MAX) k = np;
    else if (v[i].cost_ns > v[pick[OVH_EXCL_MAX - 1]].cost_ns) k = OVH_EXCL_MAX - 1;
    else continue;
    if (hides_long(v, n, i, p)) continue;
    if (k == np) np++;
    pick[k] = i;
    while (k > 0 && (v[pick[k]].cost_ns > v[pick[k - 1]].cost_ns ||
                     (v[pick[k]].cost_ns == v[pick[k - 1]].cost_ns &&
                      v[pick[k]].zone < v[pick[k - 1]].zone))) {
      uint32_t t = pick[k];
      pick[k] = pick[k - 1];
      pick[k - 1] = t;
      k--;
    }
  }
  size_t l = 0;
  uint32_t used = 0;
  double got = 0;
  for (uint32_t k = 0; k < np && got < OVH_EXCL_ENOUGH * all; k++) {
    const char *nm = p->zones[v[pick[k]].zone].name;
    size_t nl = strlen(nm);
    if (l + nl + 2 > cap || l + nl + 1 > OVH_EXCL_LEN) break;
    if (l) list[l++] = ',';
    memcpy(list + l, nm, nl);
    l += nl;
    list[l] = 0;
    got += v[pick[k]].cost_ns;
    pick[used++] = pick[k];
  }
  *picked = used;
  if (!used || !(all > 0)) return 0;
  double cut = 0;
  for (uint32_t i = 0; i < n; i++) {
    const fathom_zone_info *zi = &p->zones[v[i].zone];
    if (zi->kind != FATHOM_ZONE_KIND_FUNCTION || !zi->name) continue;
    for (uint32_t k = 0; k < used; k++)
      if (strstr(zi->name, p->zones[v[pick[k]].zone].name)) {
        cut += v[i].cost_ns;
        break;
      }
  }
  return fz_share_pct(cut, all);
}

int fz_rule_overhead(fz_actx *a) {
  const fathom_profile *p = a->p;
  const fathom_meta *m = &p->meta;
  double budget = a->t->overhead_pct > 0 ? a->t->overhead_pct : m->overhead_budget_pct;
  double o = zones_overhead_pct(m);
  int over = isfinite(o) && isfinite(budget) && budget > 0 && o > budget;
  ovh_zone *v = calloc(p->n_zones ? p->n_zones : 1, sizeof *v);
  if (!v) return FATHOM_E_NOMEM;
  uint32_t n = 0, n_infl = 0, n_elig = 0;
  double infl_share = 0, worst = 0;
  for (uint32_t z = 0; z < p->n_zones; z++) {
    if (!p->zones[z].stats.count) continue;
    ovh_measure(a, z, &v[n]);
    if (v[n].inflated) {
      n_infl++;
      infl_share += a->zx[z].share_pct;
      worst = fmax(worst, v[n].frac);
    }
    n_elig += v[n].inflated || (over && v[n].cost_ns > 0);
    n++;
  }
  if (!over && !n_infl) {
    free(v);
    return 0;
  }
  qsort(v, n, sizeof *v, ovh_cmp);   /* the eligible ones (inflated, or costing) first */
  char excl[OVH_EXCL_LEN + 8];
  uint32_t n_excl = 0;
  double excl_share = ovh_exclusion(a, v, n, excl, sizeof excl, &n_excl);
  n = n_elig;
  uint32_t named = n < OVH_NAMED ? n : OVH_NAMED;
  if (n_infl && named > n_infl) named = n_infl;   /* name the inflated ones when there are */
  fathom_severity sev = over ? (o > 2 * budget ? FATHOM_SEV_CRITICAL : FATHOM_SEV_WARNING)
                        : infl_share >= a->t->classify_share_pct ? FATHOM_SEV_WARNING
                                                                 : FATHOM_SEV_INFO;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_OVERHEAD, sev,
                                over ? fz_excess_score(o, budget) : 100 * worst, FATHOM_NONE,
                                FATHOM_NONE, "");
  if (!f) {
    free(v);
    return 0;
  }
  /* the zones, most affected first */
  char list[640] = "", nm[48], mean[32], per[32];
  size_t ll = 0;
  int any_zone = 0;
  const char *first_zone = NULL;
  for (uint32_t i = 0; i < named; i++) {
    const fathom_zone_info *zi = &p->zones[v[i].zone];
    int fn = zi->kind == FATHOM_ZONE_KIND_FUNCTION;
    fz_clean(nm, sizeof nm, zi->name ? zi->name : "?", 32);
    fz_fmt_dur(mean, sizeof mean, pos(zi->stats.mean_ns));
    fz_fmt_dur(per, sizeof per, v[i].per_call);
    const fathom_stats *st = &zi->stats;
    double f1 = pos(st->overhead_ns) > 0
                    ? st->overhead_ns / ((double)st->total_ns + st->overhead_ns) : 0;
    if (ll < sizeof list && f1 >= v[i].frac)   /* fathom's cost inside its interval */
      ll += (size_t)snprintf(list + ll, sizeof list - ll, i ? ", %s (%.0f%%)" :
                             "%s (%.0f%% of its measured time was fathom's, its own and its "
                             "nested zones' cost)", nm, 100 * f1);
    else if (ll < sizeof list && 2 * v[i].probe_ns >= v[i].cost_ns) { /* mostly its probes */
      char pc[32];
      fz_fmt_dur(pc, sizeof pc, v[i].probe_ns);
      ll += (size_t)snprintf(list + ll, sizeof list - ll, "%s%s (%llu probed calls, %s of probes)",
                             i ? ", " : "", nm, (unsigned long long)zi->res.samples, pc);
    } else if (ll < sizeof list)               /* calls too short for what a call costs */
      ll += (size_t)snprintf(list + ll, sizeof list - ll, "%s%s (mean %s per call, %.1fx the %s "
                             "%s)", i ? ", " : "", nm, mean,
                             v[i].per_call > 0 ? pos(st->mean_ns) / v[i].per_call : 0.0, per,
                             fn ? "its hooks cost" : "a zone costs");
    if (!v[i].short_calls || fn) continue; /* no call too short: nothing to move */
    any_zone = 1;
    if (!first_zone) first_zone = zi->name ? zi->name : "?";
  }
  char fixed[256];
  fixed_note(fixed, sizeof fixed, m);
  /* meta.overhead_pct is a slowdown (over the program's own CPU time: it passes 100 % when
   * fathom costs more than the program); its share of the process's CPU time is what the
   * zones' cost is of all the CPU the process used, at most 100 % */
  double slow = isfinite(o) ? o : 0, cshare = ovh_cpu_share(m, slow);
  char ov[32], cpu[32];
  fz_fmt_dur(ov, sizeof ov, zones_overhead_ns(m));
  fz_fmt_dur(cpu, sizeof cpu, pos(m->cpu_time_ns));
  if (over)
    fz_fa_sum(a->fa, f, "fathom's cost in the zones was %s, %.1f%% of the process's CPU time "
              "(%s): the program ran %.2fx as long (%.0f%% slower), above the %.4g%% budget"
              "%s%s%s%s", ov, cshare, cpu, 1 + slow / 100, slow, budget,
              n_infl ? "; the figures of short zones are inflated by it" : "",
              named ? (n_infl ? ", most in " : "; the zones costing most: ") : "", list, fixed);
  else
    fz_fa_sum(a->fa, f, "the figures of %u zone%s are substantially fathom's own cost: %s; "
              "fathom's cost in all zones was %.1f%% of the process's CPU time (%.1f%% slower, "
              "budget %.4g%%)%s", n_infl, n_infl == 1 ? "" : "s", list, cshare, slow, budget,
              fixed);
  fz_fa_fig(a->fa, f, "cpu_share_pct", cshare, "%");
  fz_fa_fig(a->fa, f, "slowdown", 1 + slow / 100, "ratio");
  fz_fa_fig(a->fa, f, "budget_pct", budget, "%");
  fz_fa_fig(a->fa, f, "inflated_zones", n_infl, "zones");
  fz_fa_fig(a->fa, f, "zone_cost_ns", m->zone_cost_ns, "ns");
  if (pos(m->hook_cost_ns) > 0) fz_fa_fig(a->fa, f, "hook_cost_ns", m->hook_cost_ns, "ns");
  for (uint32_t i = 0; i < named; i++) {
    char fn[96];
    snprintf(fn, sizeof fn, "fathom_share_pct:%s",
             p->zones[v[i].zone].name ? p->zones[v[i].zone].name : "?");
    fz_fa_fig(a->fa, f, fn, 100 * v[i].frac, "%");
  }
  fz_fa_fig(a->fa, f, "gov_actions", p->n_gov_actions, "actions");
  fz_fa_fig(a->fa, f, "fixed_cost_ns", pos(m->fixed_cost_ns), "ns");
  fz_fa_fig(a->fa, f, "setup_ns", pos(m->setup_ns), "ns");
  fz_fa_fig(a->fa, f, "monitor_cpu_ns", pos(m->monitor_cpu_ns), "ns");
  fz_fa_fig(a->fa, f, "build_ns", pos(m->build_ns), "ns");
  if (n_excl) {
    fz_fa_sug(a->fa, f, "Build with -finstrument-functions-exclude-function-list=%s (removes "
              "about %.0f%% of fathom's cost in the zones: the %u short functions whose calls x "
              "%s per call cost most; GCC matches the names as substrings)", excl, excl_share,
              n_excl, per_s(m));
    fz_fa_sug(a->fa, f, "Or at run time: FATHOM_EXCLUDE='%s' (the hooks still run and return at "
              "once, so most of that cost goes)", excl);
    fz_fa_fig(a->fa, f, "exclude_functions", n_excl, "functions");
    fz_fa_fig(a->fa, f, "exclude_share_pct", excl_share, "%");
  }
  if (any_zone)
    fz_fa_sug(a->fa, f, "Move the zone (\"%s\" first) out of the tight loop: time the whole loop "
              "or batches of iterations, or time only some calls with "
              "FATHOM_ZONE_IF(cond, name, component)", first_zone);
  if (!named)
    fz_fa_sug(a->fa, f, "Keep zones off tiny, very frequent functions: exclude them "
              "(FATHOM_EXCLUDE) or record only some components (FATHOM_COMPONENTS)");
  if (m->level > FATHOM_LEVEL_BASIC)
    fz_fa_sug(a->fa, f, "Lower the level (FATHOM_LEVEL=basic) or probe fewer calls "
              "(FATHOM_SAMPLE_EVERY)");
  if (!m->governor)
    fz_fa_sug(a->fa, f, "Turn the governor on (FATHOM_GOVERNOR=1) so it thins what costs most "
              "(it times a random sample of the hottest calls; their figures become estimates)");
  free(v);
  return 0;
}

/* ---- SLAs ---------------------------------------------------------------------------- */

static void sla_figs(fz_fa *fa, fathom_finding *f, const fathom_sla_result *s) {
  fz_fa_fig(fa, f, "percentile", s->percentile, "%");
  fz_fa_fig(fa, f, "actual_ns", s->actual_ns, "ns");
  fz_fa_fig(fa, f, "target_ns", s->target_ns, "ns");
  fz_fa_fig(fa, f, "calls", (double)s->count, "calls");
  fz_fa_fig(fa, f, "timed", (double)s->timed, "calls");
  if (!isnan(s->actual_lo_ns)) fz_fa_fig(fa, f, "actual_lo_ns", s->actual_lo_ns, "ns");
  if (!isnan(s->actual_hi_ns)) fz_fa_fig(fa, f, "actual_hi_ns", s->actual_hi_ns, "ns");
}

/* Fewest timed calls that can put one above percentile q: 1 / (1 - q). */
static double sla_min_timed(double percentile) {
  double tail = 1.0 - percentile / 100.0;
  return tail > 0 ? ceil(1.0 / tail - 1e-9) : INFINITY;
}

int fz_rule_sla(fz_actx *a) {
  for (uint32_t i = 0; i < a->p->n_slas; i++) {
    const fathom_sla_result *s = &a->p->slas[i];
    if (s->met == 1) continue;
    const char *name = s->zone_name ? s->zone_name : "";
    fathom_finding *f;
    char act[32], tgt[32], lo[32], hi[32];
    fz_fmt_dur(act, sizeof act, s->actual_ns);
    fz_fmt_dur(tgt, sizeof tgt, s->target_ns);
    fz_fmt_dur(lo, sizeof lo, s->actual_lo_ns);
    if (isinf(s->actual_hi_ns)) snprintf(hi, sizeof hi, "unbounded");
    else fz_fmt_dur(hi, sizeof hi, s->actual_hi_ns);
    int est = s->timed && s->timed < s->count;
    if (s->met == 0) {
      f = fz_fa_new(a->fa, FATHOM_FIND_SLA, FATHOM_SEV_CRITICAL,
                    fz_excess_score(s->actual_ns, s->target_ns), s->zone, FATHOM_NONE, name);
      if (!f) return 0;
      if (est)
        fz_fa_sum(a->fa, f, "SLA missed: p%g is %s (95%% interval %s to %s), above the target "
                  "%s (%llu calls, %llu timed)", s->percentile, act, lo, hi, tgt,
                  (unsigned long long)s->count, (unsigned long long)s->timed);
      else
        fz_fa_sum(a->fa, f, "SLA missed: p%g is %s, above the target %s (%llu calls)",
                  s->percentile, act, tgt, (unsigned long long)s->count);
      fz_fa_sug(a->fa, f, "The slowest %g%% of calls decide it: see this zone's tail_latency and "
                "waiting findings, if any", 100 - s->percentile);
      fz_fa_sug(a->fa, f, "Add nested zones to see where its time goes, then cut the largest "
                "part");
    } else if (s->met == -2) {
      f = fz_fa_new(a->fa, FATHOM_FIND_SLA, FATHOM_SEV_WARNING, 0, s->zone, FATHOM_NONE, name);
      if (!f) return 0;
      double need = sla_min_timed(s->percentile);
      if ((double)s->timed < need)
        fz_fa_sum(a->fa, f, "SLA p%g<=%s not verified: not enough data (%llu timed calls): "
                  "fewer than %.0f timed calls cannot put one above p%g (estimate %s over %llu "
                  "calls)", s->percentile, tgt, (unsigned long long)s->timed, need,
                  s->percentile, act, (unsigned long long)s->count);
      else
        fz_fa_sum(a->fa, f, "SLA p%g<=%s not verified: not enough data (%llu timed calls): p%g "
                  "is estimated at %s with a 95%% interval of %s to %s, which holds the target "
                  "(%llu calls)", s->percentile, tgt, (unsigned long long)s->timed,
                  s->percentile, act, lo, hi, (unsigned long long)s->count);
      fz_fa_sug(a->fa, f, "Time more of its calls: the governor timed %llu of its %llu calls to "
                "hold the overhead budget; raise the budget (FATHOM_MAX_OVERHEAD) or turn the "
                "governor off (FATHOM_GOVERNOR=0) in the run that checks the SLA",
                (unsigned long long)s->timed, (unsigned long long)s->count);
      if (isfinite(need) && (double)s->count < 10 * need)
        fz_fa_sug(a->fa, f, "Run longer: p%g rests on the slowest calls, and %.0f calls or more "
                  "make its interval narrow", s->percentile, 10 * need);
      fz_fa_sug(a->fa, f, "Until then a CI gate counts it as not met (fathom report "
                "--fail-on-sla; docs/findings.md)");
    } else {
      f = fz_fa_new(a->fa, FATHOM_FIND_SLA, FATHOM_SEV_INFO, 0, s->zone, FATHOM_NONE, name);
      if (!f) return 0;
      fz_fa_sum(a->fa, f, "SLA not checked: the zone made no calls in this session");
      fz_fa_sug(a->fa, f, "Check the zone name in the SLA spec (FATHOM_SLA) against the report");
    }
    sla_figs(a->fa, f, s);
  }
  return 0;
}
