/* analysis/rules_zone.c: the rules over zones rolled up (every path and thread): slow, cpu_bound,
 * waiting, io_heavy, memory_heavy, alloc_churn, tail_latency, hot_path. docs/findings.md
 * states each rule, its thresholds, severity and score.
 *
 * Time findings point where the time is: a zone's children holding it are named, loops
 * (a thread's entry, a dispatch loop) get no compute advice, and own time that was off the
 * CPU is reported as waiting, not slow or hot.
 *
 * Invariant: a rule fires only on figures the profile measured: CPU/wall/I-O rules need
 * probed calls (res.samples > 0 with the figure's mask bit), or (waiting at BASIC) the CPU
 * sampler's per-zone CPU or the process's CPU time as a bound; allocation rules need
 * allocation tracking; nothing is guessed from what was not measured. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "util/fmt.h"

#define MB 1e6

static void dur(char *b, size_t cap, double ns) { fz_fmt_dur(b, cap, ns); }
static void bytes(char *b, size_t cap, double v) { fz_fmt_bytes(b, cap, v); }

static void count_s(char *b, size_t cap, double v) {
  if (v >= 1e6) snprintf(b, cap, "%.1f M", v / 1e6);
  else if (v >= 1e4) snprintf(b, cap, "%.1f k", v / 1e3);
  else if (v == floor(v)) snprintf(b, cap, "%.0f", v);
  else snprintf(b, cap, "%.1f", v);
}

static void comp_note(char *b, size_t cap, const fz_zthr *th) {
  if (th->component) snprintf(b, cap, " for component %s", th->component);
  else b[0] = 0;
}

/* ---- time ---------------------------------------------------------------------------- */

static double own_cpu_pct(const fz_zx *x) { return x->own_cpu_pct; }

/* 1 when the zone was off the CPU only because it was preempted: it (almost) never blocked
 * (under 0.05 voluntary switches per call) and was switched out involuntarily. Such a zone
 * wants the CPU: it is CPU-bound on a machine with more runnable threads than CPUs. */
static int is_preempted(const fz_actx *a, uint32_t z) {
  const fz_zx *x = &a->zx[z];
  double calls = (double)a->p->zones[z].stats.count;
  return x->own_ok && own_cpu_pct(x) < a->t->cpu_bound_pct && calls > 0 &&
         x->own_ctx_vol / calls < 0.05 && x->own_ctx_invol > 0;
}

/* 1 when the zone's own time was measured and is mostly off the CPU, blocked. */
static int is_waiting(const fz_actx *a, uint32_t z) {
  const fz_zx *x = &a->zx[z];
  return x->own_ok && own_cpu_pct(x) <= a->t->waiting_pct && !is_preempted(a, z);
}

/* The child zones of z holding most of its time (calls of z nested in z apart): up to 3
 * into ch / cht, most first; returns how many, *all the time of every child. */
#define FZ_KIDS 3
static uint32_t top_children(const fz_actx *a, uint32_t z, uint32_t ch[FZ_KIDS],
                             double cht[FZ_KIDS], double *all, uint32_t *distinct) {
  const fathom_profile *p = a->p;
  double *acc = calloc(p->n_zones ? p->n_zones : 1, sizeof *acc);
  uint32_t n = 0;
  *all = 0;
  *distinct = 0;
  if (!acc) return 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *nd = &p->nodes[i];
    if (nd->parent >= p->n_nodes || nd->zone >= p->n_zones || nd->zone == z) continue;
    if (p->nodes[nd->parent].zone != z) continue;
    if (acc[nd->zone] == 0 && nd->stats.total_ns) (*distinct)++;
    acc[nd->zone] += (double)nd->stats.total_ns;
    *all += (double)nd->stats.total_ns;
  }
  for (uint32_t c = 0; c < p->n_zones; c++) {
    if (!(acc[c] > 0)) continue;
    uint32_t k;
    if (n < FZ_KIDS) k = n++;
    else if (acc[c] > cht[FZ_KIDS - 1]) k = FZ_KIDS - 1;
    else continue;
    ch[k] = c;
    cht[k] = acc[c];
    while (k > 0 && cht[k] > cht[k - 1]) {
      uint32_t tc = ch[k]; ch[k] = ch[k - 1]; ch[k - 1] = tc;
      double tt = cht[k]; cht[k] = cht[k - 1]; cht[k - 1] = tt;
      k--;
    }
  }
  free(acc);
  /* children under 1 % of its time are not worth naming */
  double tot = (double)p->zones[z].stats.total_ns;
  while (n && cht[n - 1] < 0.01 * tot) n--;
  return n;
}

/* "A 1.2 s (40%), B 0.3 s (10%)" for the children of a zone of total `tot`. */
static void kids_list(char *b, size_t cap, const fz_actx *a, const uint32_t *ch,
                      const double *cht, uint32_t n, double tot) {
  size_t l = 0;
  b[0] = 0;
  for (uint32_t k = 0; k < n && l < cap; k++) {
    char nm[64], d[32];
    fz_clean(nm, sizeof nm, a->p->zones[ch[k]].name ? a->p->zones[ch[k]].name : "?", 48);
    dur(d, sizeof d, cht[k]);
    l += (size_t)snprintf(b + l, cap - l, "%s%s %s (%.0f%%)", k ? ", " : "", nm, d,
                          fz_share_pct(cht[k], tot));
  }
}

/* A loop that hands work out: a thread's entry (main, a worker loop), or a zone calling many
 * distinct children many times per call (an interpreter's dispatch loop). Vectorizing it or
 * splitting it across threads is no advice for such a zone. */
static int is_loop(const fz_actx *a, uint32_t z, double kid_calls, uint32_t distinct) {
  double calls = (double)a->p->zones[z].stats.count;
  return a->zx[z].thread_entry || (distinct >= 8 && calls > 0 && kid_calls / calls >= 100);
}

static double kid_calls_of(const fz_actx *a, uint32_t z) {
  const fathom_profile *p = a->p;
  double n = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *nd = &p->nodes[i];
    if (nd->parent < p->n_nodes && p->nodes[nd->parent].zone == z && nd->zone != z)
      n += (double)nd->stats.count;
  }
  return n;
}

/* ", up to 80 ms of it fathom's cost around its 1.2 M calls to children" when fathom's hooks
 * may hold at least a tenth of the zone's own time, else "". */
static void fathom_note(char *b, size_t cap, const fz_actx *a, uint32_t z) {
  const fz_zx *x = &a->zx[z];
  double self = (double)a->p->zones[z].stats.self_ns;
  b[0] = 0;
  if (!(self > 0) || x->fathom_in_ns < 0.1 * self) return;
  char d[32], n[32];
  dur(d, sizeof d, x->fathom_in_ns);
  count_s(n, sizeof n, x->kid_calls);
  snprintf(b, cap, ", up to %s of it fathom's cost around its %s calls to children", d, n);
}

void fz_rule_slow(fz_actx *a, uint32_t z) {
  const fathom_zone_info *zi = &a->p->zones[z];
  const fz_zx *x = &a->zx[z];
  fz_zthr th;
  fz_thr_for(a->t, fz_comp(zi), &th);
  double mean_ms = zi->stats.mean_ns / 1e6;
  if (!(mean_ms > th.cpu_ms) || x->share_pct < a->t->min_share_pct) return;
  /* a zone whose time is mostly in nested zones leaves the finding to them */
  if ((double)zi->stats.self_ns < 0.5 * (double)zi->stats.total_ns) return;
  /* own time that was (by the probes, the sampler or the process's CPU time) mostly off the
   * CPU: the waiting rule reports it, not as "slow" */
  if (x->wait_ev || is_waiting(a, z)) return;
  double ratio = mean_ms / th.cpu_ms;
  fathom_severity sev = x->share_pct >= 50 || ratio >= 10 ? FATHOM_SEV_CRITICAL : FATHOM_SEV_WARNING;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_SLOW, sev, x->share_pct, z, FATHOM_NONE, zi->name);
  if (!f) return;
  uint32_t ch[FZ_KIDS], distinct = 0;
  double cht[FZ_KIDS], kids = 0, tot = (double)zi->stats.total_ns;
  uint32_t nk = top_children(a, z, ch, cht, &kids, &distinct);
  int loop = is_loop(a, z, kid_calls_of(a, z), distinct);
  char m[32], c[32], note[96], kl[256] = "", sd[32];
  dur(m, sizeof m, zi->stats.mean_ns);
  dur(sd, sizeof sd, (double)zi->stats.self_ns);
  count_s(c, sizeof c, (double)zi->stats.count);
  comp_note(note, sizeof note, &th);
  if (nk) kids_list(kl, sizeof kl, a, ch, cht, nk, tot);
  char fat[160] = "";
  fathom_note(fat, sizeof fat, a, z);
  fz_fa_sum(a->fa, f, "%s per call over %s calls (%.1f%% of the time), above the %g ms "
            "threshold%s; own code %s (%.0f%%%s)%s%s", m, c, x->share_pct, th.cpu_ms, note, sd,
            fz_share_pct((double)zi->stats.self_ns, tot), fat, nk ? ", children " : "", kl);
  fz_fa_fig(a->fa, f, "mean_ns", zi->stats.mean_ns, "ns");
  fz_fa_fig(a->fa, f, "threshold_ms", th.cpu_ms, "ms");
  fz_fa_fig(a->fa, f, "calls", (double)zi->stats.count, "calls");
  fz_fa_fig(a->fa, f, "total_ns", tot, "ns");
  fz_fa_fig(a->fa, f, "self_ns", (double)zi->stats.self_ns, "ns");
  fz_fa_fig(a->fa, f, "share_pct", x->share_pct, "%");
  if (x->fathom_in_ns >= 0.5 * (double)zi->stats.self_ns) {
    char n[32];
    count_s(n, sizeof n, x->kid_calls);
    fz_fa_sug(a->fa, f, "Most of its own time may be fathom's hooks around its %s calls to "
              "children: stop instrumenting the short ones (see the overhead finding) and "
              "measure again before changing its code", n);
    return;
  }
  if (loop) {
    fz_fa_sug(a->fa, f, "It is a loop handing out work (%s): its own time is the loop between "
              "the calls it makes; see which lines with perf record -g or nested zones",
              x->thread_entry ? "a thread's outermost zone" : "many distinct callees per call");
    if (nk && kids >= 0.25 * tot)
      fz_fa_sug(a->fa, f, "Of its time, the children hold %s: look at them first", kl);
    return;
  }
  if (nk && kids >= 0.25 * tot)
    fz_fa_sug(a->fa, f, "Part of its time is in its children (%s): see their findings", kl);
  if (!x->own_ok && !(a->p->meta.sample_period_ns > 0))
    fz_fa_sug(a->fa, f, "This level measured no CPU time per zone: run at DETAILED level "
              "(FATHOM_LEVEL=detailed) to tell computing from waiting before changing code");
  switch (fz_comp_kind(fz_comp(zi))) {
  case 1:
    fz_fa_sug(a->fa, f, "Prefetch: load the next batch on another thread while this one is "
              "processed (double buffering through a bounded queue)");
    fz_fa_sug(a->fa, f, "Read in large blocks (1 MiB or more) or mmap the input, and hint the "
              "kernel with posix_fadvise(POSIX_FADV_SEQUENTIAL)");
    fz_fa_sug(a->fa, f, "Cache decoded data (a binary file you can mmap) instead of parsing "
              "text on every run");
    break;
  case 2:
    fz_fa_sug(a->fa, f, "Preprocess in batches rather than record by record, reusing the "
              "output buffers between batches");
    fz_fa_sug(a->fa, f, "Vectorize the per-element transforms and hoist invariant work "
              "(tables, constants) out of the loop");
    fz_fa_sug(a->fa, f, "If the inputs do not change, preprocess once offline and store the "
              "result");
    break;
  default:
    fz_fa_sug(a->fa, f, "Cache results that repeat across calls (memoize by input key) "
              "instead of recomputing them");
    fz_fa_sug(a->fa, f, "Vectorize the inner loops: contiguous arrays, restrict pointers, "
              "-O3 -march=native (check with -fopt-info-vec)");
    fz_fa_sug(a->fa, f, "Split independent work across cores with a pthread pool");
    break;
  }
  fz_fa_sug(a->fa, f, "Check the algorithm first: a lower complexity beats any tuning");
}

void fz_rule_cpu_bound(fz_actx *a, uint32_t z) {
  const fathom_zone_info *zi = &a->p->zones[z];
  const fz_zx *x = &a->zx[z];
  if (!x->own_ok) return;
  double pct = own_cpu_pct(x);
  /* share of the process's CPU time (of the session's time when that is unknown) */
  double cpu_all = a->p->meta.cpu_time_ns;
  double cshare = cpu_all > 0 ? fz_share_pct(x->own_cpu_ns, cpu_all) : x->self_share_pct;
  int preempted = is_preempted(a, z);
  if ((pct < a->t->cpu_bound_pct && !preempted) || cshare < a->t->classify_share_pct) return;
  fathom_severity sev = cshare >= 25 ? FATHOM_SEV_WARNING : FATHOM_SEV_INFO;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_CPU_BOUND, sev, cshare, z, FATHOM_NONE,
                                zi->name);
  if (!f) return;
  char c[32], w[32];
  dur(c, sizeof c, x->own_cpu_ns);
  dur(w, sizeof w, x->own_wall_ns);
  if (preempted)
    fz_fa_sum(a->fa, f, "never blocks but was preempted %.0f times (on the CPU %.0f%% of the "
              "time in its probed calls); its own code used %s of CPU (%.1f%% of the "
              "process's CPU time) in %s of own time", x->own_ctx_invol, pct, c, cshare, w);
  else
    fz_fa_sum(a->fa, f, "on the CPU %.0f%% of the time in its probed calls; its own code used "
              "%s of CPU (%.1f%% of the process's CPU time) in %s of own time", pct, c, cshare, w);
  fz_fa_fig(a->fa, f, "own_cpu_pct", pct, "%");
  fz_fa_fig(a->fa, f, "own_cpu_ns", x->own_cpu_ns, "ns");
  fz_fa_fig(a->fa, f, "own_wall_ns", x->own_wall_ns, "ns");
  fz_fa_fig(a->fa, f, "cpu_share_pct", cshare, "%");
  fz_fa_fig(a->fa, f, "ctx_invol", x->own_ctx_invol, "switches");
  if (preempted)
    fz_fa_sug(a->fa, f, "It was preempted: keep busy threads at or below the free cores (size "
              "thread pools to them) and check what else runs on the machine");
  double per = fz_call_cost(&a->p->meta, zi);
  if (per > 0 && zi->stats.mean_ns < FZ_SHORT_X * per) {
    char mn[32], pc[32];
    dur(mn, sizeof mn, zi->stats.mean_ns);
    dur(pc, sizeof pc, per);
    fz_fa_sug(a->fa, f, "Its calls are short (mean %s, against %s that fathom costs per call): "
              "much of what it used may be fathom's; stop instrumenting it (see the overhead "
              "finding) and measure again, or make its callers call it less", mn, pc);
    return;
  }
  fz_fa_sug(a->fa, f, "Compute-bound: find the hottest instructions with perf record -g and "
            "perf annotate before changing code");
  fz_fa_sug(a->fa, f, "Vectorize (SIMD) and keep the data contiguous for the cache; compile "
            "with -O3 -march=native");
  if (a->p->meta.n_cpus > 1)
    fz_fa_sug(a->fa, f, "Parallelize across the %u CPUs with a thread pool if the work splits "
              "into independent parts", a->p->meta.n_cpus);
  fz_fa_sug(a->fa, f, "Hoist invariant work out of loops and avoid recomputing results "
            "(memoize)");
}

/* Waiting where no probe measured the zone's CPU (BASIC): the sampler's bound or the
 * process's CPU time says its own time was mostly off the CPU. Worded "may be" where only the
 * process's CPU time bounds it; names the children holding the rest of its time (a worker
 * loop's jobs). */
static void rule_wait_basic(fz_actx *a, uint32_t z) {
  const fathom_zone_info *zi = &a->p->zones[z];
  const fz_zx *x = &a->zx[z];
  fz_zthr th;
  fz_thr_for(a->t, fz_comp(zi), &th);
  /* as large as the time rules would report: classify share, or slow / hot_path */
  int big = x->self_share_pct >= a->t->classify_share_pct ||
            x->self_share_pct >= a->t->hot_path_pct ||
            (zi->stats.mean_ns / 1e6 > th.cpu_ms && x->share_pct >= a->t->min_share_pct &&
             (double)zi->stats.self_ns >= 0.5 * (double)zi->stats.total_ns);
  if (!x->wait_ev || !big) return;
  double self = (double)zi->stats.self_ns, tot = (double)zi->stats.total_ns;
  double cpu_pct = fz_share_pct(x->wait_cpu_hi_ns, self);
  fathom_severity sev = x->self_share_pct >= 25 ? FATHOM_SEV_WARNING : FATHOM_SEV_INFO;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_WAITING, sev,
                                x->self_share_pct * (1 - cpu_pct / 100), z, FATHOM_NONE, zi->name);
  if (!f) return;
  uint32_t ch[FZ_KIDS], distinct = 0;
  double cht[FZ_KIDS], kids = 0;
  uint32_t nk = top_children(a, z, ch, cht, &kids, &distinct);
  char s[32], c[32], cpu[32], kl[256] = "", calls[32];
  dur(s, sizeof s, self);
  dur(c, sizeof c, x->wait_cpu_hi_ns);
  dur(cpu, sizeof cpu, a->cpu_ns);
  count_s(calls, sizeof calls, (double)zi->stats.count);
  if (nk) kids_list(kl, sizeof kl, a, ch, cht, nk, tot);
  int uncounted = fathom_stats_uncounted(&zi->stats);   /* `fathom run --wall` */
  if (uncounted)
    fz_fa_sum(a->fa, f, "its own code took %s (%.1f%% of the wall-clock time) but at most %s "
              "of CPU (%.1f%%, CPU samples): the rest it waited, off the CPU (a lock, a "
              "condition variable, I/O, a sleep)%s%s", s, x->self_share_pct, c, cpu_pct,
              nk ? "; its children hold " : "", kl);
  else if (x->wait_ev == FZ_WAIT_SAMPLED)
    fz_fa_sum(a->fa, f, "its own code took %s over %s calls (%.1f%% of the time) but at most %s "
              "of CPU (%.1f%%, CPU sampler): it was off the CPU, waiting (a lock, a condition "
              "variable, I/O, a sleep) or preempted%s%s", s, calls, x->self_share_pct, c,
              cpu_pct, nk ? "; its children hold " : "", kl);
  else
    fz_fa_sum(a->fa, f, "its own code took %s over %s calls (%.1f%% of the time), more than the "
              "whole process's CPU time (%s) can cover: at least %.0f%% of it was off the CPU, "
              "so it may be waiting (a lock, a condition variable, I/O) or preempted%s%s", s,
              calls, x->self_share_pct, cpu, 100 - cpu_pct, nk ? "; its children hold " : "",
              kl);
  fz_fa_fig(a->fa, f, "own_ns", self, "ns");
  fz_fa_fig(a->fa, f, "own_cpu_max_ns", x->wait_cpu_hi_ns, "ns");
  fz_fa_fig(a->fa, f, "own_cpu_max_pct", cpu_pct, "%");
  fz_fa_fig(a->fa, f, "self_share_pct", x->self_share_pct, "%");
  if (!uncounted) fz_fa_fig(a->fa, f, "calls", (double)zi->stats.count, "calls");
  if (x->thread_entry)
    fz_fa_sug(a->fa, f, "It is a thread's outermost zone (a worker loop): its own time is the "
              "thread waiting for work; workers that wait are starved by what feeds them "
              "(the producer, or a lock on the queue), not slow themselves");
  else
    fz_fa_sug(a->fa, f, "Find what it waits for (the lock, queue or I/O it blocks on): speed up "
              "or overlap that instead of its code");
  if (nk && kids > 0)
    fz_fa_sug(a->fa, f, "The work under it is in its children (%s): look there for computing "
              "time", kl);
  if (a->p->meta.level < FATHOM_LEVEL_DETAILED && !uncounted)
    fz_fa_sug(a->fa, f, "Confirm with a DETAILED run (FATHOM_LEVEL=detailed): its probes "
              "measure its CPU time and context switches");
}

void fz_rule_waiting(fz_actx *a, uint32_t z) {
  const fathom_zone_info *zi = &a->p->zones[z];
  const fz_zx *x = &a->zx[z];
  if (!x->own_ok) {
    rule_wait_basic(a, z);
    return;
  }
  if (x->self_share_pct < a->t->classify_share_pct) return;
  double pct = own_cpu_pct(x);
  if (!is_waiting(a, z)) return;
  double calls = (double)zi->stats.count;
  double ctx = x->own_ctx_vol / calls, io = x->io_ok ? x->own_io_bytes / calls : NAN;
  fathom_severity sev = x->self_share_pct >= 25 ? FATHOM_SEV_WARNING : FATHOM_SEV_INFO;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_WAITING, sev,
                                x->self_share_pct * (1 - pct / 100), z, FATHOM_NONE, zi->name);
  if (!f) return;
  char c[32], w[32], b[32];
  dur(c, sizeof c, x->own_cpu_ns);
  dur(w, sizeof w, x->own_wall_ns);
  fz_fa_sum(a->fa, f, "off the CPU %.0f%% of its own time (%s CPU of %s wall), %.1f voluntary "
            "context switches per call; its own code is %.1f%% of the time", 100 - pct, c, w,
            ctx, x->self_share_pct);
  fz_fa_fig(a->fa, f, "own_cpu_pct", pct, "%");
  fz_fa_fig(a->fa, f, "own_wait_ns", x->own_wall_ns - x->own_cpu_ns, "ns");
  fz_fa_fig(a->fa, f, "ctx_vol_per_call", ctx, "switches");
  if (isfinite(io)) fz_fa_fig(a->fa, f, "io_bytes_per_call", io, "bytes");
  fz_fa_fig(a->fa, f, "self_share_pct", x->self_share_pct, "%");
  if (x->thread_entry)
    fz_fa_sug(a->fa, f, "It is a thread's outermost zone (a worker loop): its own time is the "
              "thread waiting for work; workers that wait are starved by what feeds them "
              "(the producer, or a lock on the queue), not slow themselves");
  if (isfinite(io) && io >= 65536) {
    bytes(b, sizeof b, io);
    fz_fa_sug(a->fa, f, "Blocking I/O (%s per call): overlap it with computation (a reader "
              "thread feeding a bounded queue, or io_uring)", b);
    fz_fa_sug(a->fa, f, "Read ahead: large blocks, posix_fadvise(POSIX_FADV_WILLNEED) or "
              "readahead() on the next file");
  } else if (ctx >= 0.05) {
    fz_fa_sug(a->fa, f, "It blocks in the kernel (%.2f voluntary context switches per call): on "
              "a lock, a condition variable, a sleep or small I/O", ctx);
    fz_fa_sug(a->fa, f, "If it waits for another stage (a queue consumer waiting for its "
              "producer), that stage is the bottleneck: speed it up or give it more threads");
    fz_fa_sug(a->fa, f, "For locks: shorten critical sections, use finer-grained locks or "
              "per-thread data, and pass work in bigger batches");
  } else {
    fz_fa_sug(a->fa, f, "Off the CPU without blocking: preempted (more runnable threads than "
              "CPUs: see involuntary switches) or page faults (majflt)");
  }
}

/* p99 / p50 of zone z when its tail qualifies (enough timed calls, share, ratio, p99 long
 * enough, not recursive: a recursive function's calls nest, their durations vary with the
 * depth of the recursion, which says nothing of a tail), else 0. */
static double tail_ratio_of(const fz_actx *a, uint32_t z) {
  const fathom_stats *st = &a->p->zones[z].stats;
  const fathom_thresholds *t = a->t;
  /* the percentiles rest on the timed calls only: too few of them and p99 means nothing */
  if (a->zx[z].recursive || fz_timed_of(st) < t->tail_min_calls || !(st->p50_ns > 0) ||
      a->zx[z].share_pct < t->classify_share_pct)
    return 0;
  double ratio = st->p99_ns / st->p50_ns;
  return ratio >= t->tail_ratio && st->p99_ns >= t->tail_min_us * 1e3 ? ratio : 0;
}

void fz_rule_tail(fz_actx *a, uint32_t z) {
  const fathom_zone_info *zi = &a->p->zones[z];
  const fathom_stats *st = &zi->stats;
  const fz_zx *x = &a->zx[z];
  uint64_t timed = fz_timed_of(st);
  double ratio = tail_ratio_of(a, z);
  if (!(ratio > 0)) return;
  /* its slow calls are waits when its own time is, or the child holding most of its time's */
  int waits = is_waiting(a, z) || x->wait_ev;
  uint32_t ch[FZ_KIDS], distinct = 0;
  double cht[FZ_KIDS], kids = 0;
  uint32_t nk = top_children(a, z, ch, cht, &kids, &distinct);
  int in_kid = nk && cht[0] >= 0.5 * (double)st->total_ns;
  /* a wrapper (90 % of its time in one child) whose child has the tail leaves it to the child */
  if (nk && cht[0] >= 0.9 * (double)st->total_ns && tail_ratio_of(a, ch[0]) > 0) return;
  if (in_kid && (is_waiting(a, ch[0]) || a->zx[ch[0]].wait_ev)) waits = 1;
  /* called at several depths of another function's recursion: its calls' work may shrink
   * with the depth (a quicksort's partition), so the spread may be the work's size */
  uint32_t ur = x->under_rec ? x->under_rec - 1 : FATHOM_NONE;

  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_TAIL_LATENCY,
                                waits || ur != FATHOM_NONE ? FATHOM_SEV_INFO
                                                           : FATHOM_SEV_WARNING,
                                x->share_pct * (1 - 1 / ratio), z, FATHOM_NONE, zi->name);
  if (!f) return;
  char p99[32], p50[32], mx[32], c[32];
  dur(p99, sizeof p99, st->p99_ns);
  dur(p50, sizeof p50, st->p50_ns);
  dur(mx, sizeof mx, (double)st->max_ns);
  count_s(c, sizeof c, (double)st->count);
  if (timed < st->count) {
    char tc[32];
    count_s(tc, sizeof tc, (double)timed);
    fz_fa_sum(a->fa, f, "p99 %s is %.1fx the median %s over %s calls (estimated from %s timed "
              "calls; max of those %s)", p99, ratio, p50, c, tc, mx);
  } else {
    fz_fa_sum(a->fa, f, "p99 %s is %.1fx the median %s over %s calls (max %s)", p99, ratio, p50,
              c, mx);
  }
  if (ur != FATHOM_NONE && f->summary) {
    char nm[64], *ss = f->summary;
    fz_clean(nm, sizeof nm, a->p->zones[ur].name ? a->p->zones[ur].name : "?", 48);
    /* fz_fa_sum formats before it frees the old summary */
    fz_fa_sum(a->fa, f, "%s; it runs under the recursion of %s, so the size of its work may "
              "change with the depth", ss, nm);
  }
  fz_fa_fig(a->fa, f, "p50_ns", st->p50_ns, "ns");
  fz_fa_fig(a->fa, f, "p99_ns", st->p99_ns, "ns");
  fz_fa_fig(a->fa, f, "p99_p50_ratio", ratio, "ratio");
  fz_fa_fig(a->fa, f, "calls", (double)st->count, "calls");
  fz_fa_fig(a->fa, f, "timed", (double)timed, "calls");
  fz_fa_fig(a->fa, f, "max_ns", (double)st->max_ns, "ns");
  if (ur != FATHOM_NONE) {
    char nm[64];
    fz_clean(nm, sizeof nm, a->p->zones[ur].name ? a->p->zones[ur].name : "?", 48);
    fz_fa_sug(a->fa, f, "Its calls run at several depths of %s's recursion: compare calls of "
              "the same size (time one level, or add the size as a tag) before looking for a "
              "cause of the tail", nm);
  }
  if (in_kid) {
    char nm[64];
    fz_clean(nm, sizeof nm, a->p->zones[ch[0]].name ? a->p->zones[ch[0]].name : "?", 48);
    fz_fa_sug(a->fa, f, "Most of its time (%.0f%%) is in its calls to %s%s: look there for "
              "what makes its slow calls slow", fz_share_pct(cht[0], (double)st->total_ns), nm,
              waits ? ", which waits (see its waiting finding)" : "");
  } else if (waits) {
    fz_fa_sug(a->fa, f, "Its slow calls are waits (see its waiting finding): the tail is the "
              "time spent blocked, set by what it waits for");
  }
  fz_fa_sug(a->fa, f, "Find what the slow calls do differently: lock contention, page faults, "
            "an allocation or I/O on a rare path");
  fz_fa_sug(a->fa, f, "Move rare expensive work (resizing, rehashing, flushing, logging) out of "
            "the call or amortize it in the background");
  fz_fa_sug(a->fa, f, "Pre-size containers and pre-fault memory used on this path (MAP_POPULATE, "
            "mlock)");
  if (a->p->timeline)
    fz_fa_sug(a->fa, f, "The timeline (trace.json) shows when the slow calls happen and what "
              "ran beside them");
}

void fz_rule_hot(fz_actx *a, uint32_t z) {
  const fathom_zone_info *zi = &a->p->zones[z];
  const fz_zx *x = &a->zx[z];
  if (x->self_share_pct < a->t->hot_path_pct) return;
  if (x->wait_ev || is_waiting(a, z)) return;   /* off the CPU: the waiting rule says so */
  double self = (double)zi->stats.self_ns, se = zi->stats.self_se_ns;
  if (isfinite(se) && 2 * se >= self) return;   /* an estimate whose interval holds 0 */
  fathom_severity sev = x->self_share_pct >= 50 ? FATHOM_SEV_WARNING : FATHOM_SEV_INFO;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_HOT_PATH, sev, x->self_share_pct, z,
                                FATHOM_NONE, zi->name);
  if (!f) return;
  char s[32], all[32], c[32], fat[160], e[48] = "";
  dur(s, sizeof s, self);
  dur(all, sizeof all, a->time_ns);
  count_s(c, sizeof c, (double)zi->stats.count);
  fathom_note(fat, sizeof fat, a, z);
  if (se > 0) {
    char sd[32];
    dur(sd, sizeof sd, 2 * se);
    snprintf(e, sizeof e, " estimated, +/- %s", sd);
  }
  if (fathom_stats_uncounted(&zi->stats)) {   /* stack samples: CPU time, calls not counted */
    fz_fa_sum(a->fa, f, "%.1f%% of the sampled CPU time is spent in its own code (%s%s of %s, "
              "%s; calls not counted)", x->self_share_pct, s, e, all,
              a->p->n_threads > 1 ? "every thread" : "the thread");
    fz_fa_fig(a->fa, f, "self_share_pct", x->self_share_pct, "%");
    fz_fa_fig(a->fa, f, "self_ns", (double)zi->stats.self_ns, "ns");
    fz_fa_sug(a->fa, f, "Optimize here first: a large share of the CPU time is in its own code "
              "(the functions inlined into it are frames of their own in the profile)");
    fz_fa_sug(a->fa, f, "Call it less often: batch the work, skip redundant calls, cache results");
    fz_fa_sug(a->fa, f, "Count its calls and time each one: build with -finstrument-functions, or "
              "put a zone around it, to tell many short calls from a few long ones");
    return;
  }
  fz_fa_sum(a->fa, f, "%.1f%% of all time is spent in its own code (%s%s of %s, the time in "
            "zones of %s; %s calls%s)", x->self_share_pct, s, e, all,
            a->p->n_threads > 1 ? "every thread" : "the thread", c, fat);
  fz_fa_fig(a->fa, f, "self_share_pct", x->self_share_pct, "%");
  fz_fa_fig(a->fa, f, "self_ns", (double)zi->stats.self_ns, "ns");
  fz_fa_fig(a->fa, f, "calls", (double)zi->stats.count, "calls");
  fz_fa_sug(a->fa, f, "Optimize here first: a large share of all time is in its own code; "
            "its cpu_bound finding (if any) says it computes");
  fz_fa_sug(a->fa, f, "Run it less: batch calls, skip redundant ones, cache their results");
  fz_fa_sug(a->fa, f, "Add nested zones inside it to see which part of its own code costs most");
}

/* ---- bytes ------------------------------------------------------------------------------ */

void fz_rule_io(fz_actx *a, uint32_t z) {
  const fathom_zone_info *zi = &a->p->zones[z];
  const fz_zx *x = &a->zx[z];
  if (!x->io_ok || !zi->stats.count) return;
  fz_zthr th;
  fz_thr_for(a->t, fz_comp(zi), &th);
  double per = x->own_io_bytes / (double)zi->stats.count, thr = th.io_mb * MB;
  if (!(per > thr)) return;
  fathom_severity sev = per >= 10 * thr ? FATHOM_SEV_CRITICAL : FATHOM_SEV_WARNING;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_IO_HEAVY, sev, fz_excess_score(per, thr), z,
                                FATHOM_NONE, zi->name);
  if (!f) return;
  char b[32], tot[32], note[96];
  bytes(b, sizeof b, per);
  bytes(tot, sizeof tot, x->own_io_bytes);
  comp_note(note, sizeof note, &th);
  fz_fa_sum(a->fa, f, "%s read and written per call by its own code (%s in all), above the %g MB "
            "threshold%s", b, tot, th.io_mb, note);
  fz_fa_fig(a->fa, f, "io_bytes_per_call", per, "bytes");
  fz_fa_fig(a->fa, f, "io_bytes", x->own_io_bytes, "bytes");
  fz_fa_fig(a->fa, f, "threshold_mb", th.io_mb, "MB");
  fz_fa_fig(a->fa, f, "calls", (double)zi->stats.count, "calls");
  fz_fa_sug(a->fa, f, "Cache data read more than once in memory (or in a compact binary form) "
            "instead of reading it again");
  fz_fa_sug(a->fa, f, "mmap read-only inputs instead of read() copies; for streaming reads use "
            "large blocks and posix_fadvise(POSIX_FADV_SEQUENTIAL)");
  fz_fa_sug(a->fa, f, "Prefetch the next input on another thread (or readahead()) so I/O "
            "overlaps computation");
  fz_fa_sug(a->fa, f, "Batch small writes in a large buffer (setvbuf, writev); use O_DIRECT for "
            "large files written once and not read back");
}

void fz_rule_memory(fz_actx *a, uint32_t z) {
  const fathom_zone_info *zi = &a->p->zones[z];
  const fz_zx *x = &a->zx[z];
  double calls = (double)zi->stats.count;
  if (!calls) return;
  double al = zi->alloc_self.alloc_count ? (double)zi->alloc_self.alloc_bytes / calls : NAN;
  double rss = x->rss_ok ? x->own_rss_bytes / calls : NAN;
  fz_zthr th;
  fz_thr_for(a->t, fz_comp(zi), &th);
  double thr = th.memory_mb * MB;
  double v = fmax(isfinite(al) ? al : 0, isfinite(rss) ? rss : 0);
  if (!(v > thr)) return;
  fathom_severity sev = v >= 10 * thr ? FATHOM_SEV_CRITICAL : FATHOM_SEV_WARNING;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_MEMORY_HEAVY, sev, fz_excess_score(v, thr), z,
                                FATHOM_NONE, zi->name);
  if (!f) return;
  char b[32], r[32], note[96];
  bytes(b, sizeof b, isfinite(al) ? al : 0);
  if (isfinite(rss)) bytes(r, sizeof r, rss);
  else snprintf(r, sizeof r, "-");
  comp_note(note, sizeof note, &th);
  fz_fa_sum(a->fa, f, "%s allocated per call by its own code, RSS growth %s per call; above the "
            "%g MB threshold%s", b, r, th.memory_mb, note);
  if (isfinite(al)) fz_fa_fig(a->fa, f, "alloc_bytes_per_call", al, "bytes");
  if (isfinite(rss)) fz_fa_fig(a->fa, f, "rss_growth_per_call", rss, "bytes");
  fz_fa_fig(a->fa, f, "threshold_mb", th.memory_mb, "MB");
  fz_fa_fig(a->fa, f, "calls", calls, "calls");
  fz_fa_sug(a->fa, f, "Reuse buffers across calls (allocate once and pass them in) instead of "
            "allocating %s per call", b);
  fz_fa_sug(a->fa, f, "Stream or process in smaller batches so the working set stays bounded");
  fz_fa_sug(a->fa, f, "Use smaller representations (float for double, packed structs, bitsets) "
            "and free large temporaries as soon as they are dead");
}

void fz_rule_churn(fz_actx *a, uint32_t z) {
  const fathom_zone_info *zi = &a->p->zones[z];
  const fathom_alloc *al = &zi->alloc_self;
  const fathom_thresholds *t = a->t;
  double calls = (double)zi->stats.count;
  if (!calls || !al->alloc_count || al->alloc_count < t->churn_min_allocs) return;
  double per = (double)al->alloc_count / calls;
  double size = (double)al->alloc_bytes / (double)al->alloc_count;
  if (per < t->churn_allocs_per_call || size > t->churn_small_bytes) return;
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_ALLOC_CHURN, FATHOM_SEV_WARNING,
                                fz_excess_score(per, t->churn_allocs_per_call), z,
                                FATHOM_NONE, zi->name);
  if (!f) return;
  char n[32], s[32], all[32], c[32];
  count_s(n, sizeof n, per);
  bytes(s, sizeof s, size);
  count_s(all, sizeof all, (double)al->alloc_count);
  count_s(c, sizeof c, calls);
  fz_fa_sum(a->fa, f, "%s allocations of %s on average per call (%s in all over %s calls)", n, s,
            all, c);
  fz_fa_fig(a->fa, f, "allocs_per_call", per, "allocations");
  fz_fa_fig(a->fa, f, "mean_alloc_bytes", size, "bytes");
  fz_fa_fig(a->fa, f, "allocs", (double)al->alloc_count, "allocations");
  fz_fa_fig(a->fa, f, "calls", calls, "calls");
  fz_fa_sug(a->fa, f, "%s allocations of %s per call: reuse a buffer or use an arena (a bump "
            "allocator reset at the end of each call)", n, s);
  fz_fa_sug(a->fa, f, "Keep fixed-size objects on a free list (an object pool) instead of "
            "malloc/free for each");
  fz_fa_sug(a->fa, f, "Allocate arrays of small items in one block (one malloc for n elements), "
            "not one per element");
}
