/* check_run.c: the rules for the tables of sampled profiles (`fathom run`), part of
 * fathom_profile_check (check.c calls fz_check_run):
 *   lines: a valid zone, a file, self <= total, errors >= 0, a line's total <= its zone's
 *          total, and the self times of a zone's lines add up to at most the zone's self;
 *   processes: figures >= 0 (or NaN: not measured), end >= start, sampled CPU <= the CPU
 *          time the profile's session ran; a thread's process index in range;
 *   outcome events: a group and a subject, named finite outcomes, costs NaN or >= 0;
 *   locks: a name and a kind, contended and reader acquisitions and timed holds no more than
 *          the acquisitions, times >= 0, no wait without a contended acquisition, the longest
 *          wait (hold) at least their mean and at most their sum, percentiles ordered and
 *          at most the longest (NaN only when there is nothing timed), and the waiting
 *          (holding) zones' counts and times within the lock's;
 *   attempts: a direction of -1 or 1, finite figures, errors >= 0, and the outcome their
 *          figures give (model/attempts.c);
 *   rankings: means, medians, ratios and heap retained inside their intervals, fastest
 *          first, ranks from 1 that never decrease and never pass the place; ranks by
 *          median from 1 to n that follow the medians; memory figures >= 0 (retained may be
 *          negative) and a peak no higher than the bytes allocated; `disagree` as the
 *          ranks and medians say (fz_ranking_disagree);
 *   GPU zones: one entry per name, its CPU zone of that name, mean x count = total,
 *          min <= mean <= max, times >= 0, largest total first.
 * Same slack as check.c: 1 ns per figure added plus 1e-9 relative.
 *
 * Invariant: reads only what the counts announce and the arrays that are there. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/attempts.h"
#include "model/check.h"

static const char *zname(const fathom_profile *p, uint32_t z) {
  return p->zones && z < p->n_zones && p->zones[z].name ? p->zones[z].name : "?";
}

static void check_lines(const fathom_profile *p, void (*report)(void *, const char *), void *ctx) {
  uint32_t nz = p->zones ? p->n_zones : 0;
  double *zself = calloc(nz ? nz : 1, 2 * sizeof *zself); /* lines' self sum, count */
  for (uint32_t i = 0; i < p->n_lines; i++) {
    const fathom_line_info *l = &p->lines[i];
    const char *file = l->file ? l->file : "(null)";
    if (l->zone >= nz) {
      CK_REPORT("line %u (%.64s:%u): zone %u out of range (%u zones)", i, file, l->line, l->zone,
             nz);
      continue;
    }
    const char *zn = zname(p, l->zone);
    if (!l->file) CK_REPORT("line %u (%.64s): no file", i, zn);
    if (!(l->self_se_ns >= 0) || !(l->total_se_ns >= 0) || !(l->self_ns >= 0))
      CK_REPORT("line %u (%.64s at %.64s:%u): a negative figure or error", i, zn, file, l->line);
    if (l->samples_self > l->samples_total || !fz_ck_le(l->self_ns, l->total_ns, 1))
      CK_REPORT("line %u (%.64s at %.64s:%u): self %.0f ns (%llu samples) above its total %.0f ns "
             "(%llu)", i, zn, file, l->line, l->self_ns, (unsigned long long)l->samples_self,
             l->total_ns, (unsigned long long)l->samples_total);
    const fathom_stats *zs = &p->zones[l->zone].stats;
    if (!fz_ck_le(l->total_ns, (double)zs->total_ns, 1))
      CK_REPORT("line %u (%.64s at %.64s:%u): total %.0f ns above its function's total %llu ns", i,
             zn, file, l->line, l->total_ns, (unsigned long long)zs->total_ns);
    if (zself) {
      zself[2 * l->zone] += l->self_ns;
      zself[2 * l->zone + 1] += 1;
    }
  }
  for (uint32_t z = 0; zself && z < nz; z++)
    if (!fz_ck_le(zself[2 * z], (double)p->zones[z].stats.self_ns, zself[2 * z + 1]))
      CK_REPORT("zone %u (%.64s): its lines' self times add up to %.0f ns, above its self %llu ns",
             z, zname(p, z), zself[2 * z], (unsigned long long)p->zones[z].stats.self_ns);
  free(zself);
}

static void check_processes(const fathom_profile *p, void (*report)(void *, const char *),
                            void *ctx) {
  for (uint32_t i = 0; i < p->n_processes; i++) {
    const fathom_process_info *q = &p->processes[i];
    const double f[] = {q->start_ns, q->end_ns, q->cpu_ns, q->cpu_se_ns, q->user_ns,
                        q->sys_ns, q->rss_peak_bytes, q->read_bytes, q->write_bytes,
                        q->read_ops, q->write_ops, q->ctx_voluntary, q->ctx_involuntary,
                        q->minor_faults, q->major_faults, q->res_age_ns};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
      if (f[k] < 0) {
        CK_REPORT("process %u (pid %lld): figure %zu is negative (%g)", i, (long long)q->pid, k,
               f[k]);
        break;
      }
    if (!fz_ck_le(q->start_ns, q->end_ns, 1))
      CK_REPORT("process %u (pid %lld): ends at %.0f ns, before it starts (%.0f ns)", i,
             (long long)q->pid, q->end_ns, q->start_ns);
  }
  for (uint32_t t = 0; p->threads && p->n_processes && t < p->n_threads; t++)
    if (p->threads[t].process != FATHOM_NONE && p->threads[t].process >= p->n_processes)
      CK_REPORT("thread %u: process %u out of range (%u processes)", t, p->threads[t].process,
             p->n_processes);
}

static void check_attempts(const fathom_profile *p, void (*report)(void *, const char *),
                           void *ctx) {
  for (uint32_t i = 0; i < p->n_attempts; i++) {
    const fathom_attempt_info *a = &p->attempts[i];
    const char *nm = a->name ? a->name : "(null)";
    if (!a->name || !a->metric) CK_REPORT("attempt %u: no name or metric", i);
    if (a->direction != -1 && a->direction != 1) {
      CK_REPORT("attempt %u (%.64s): direction %d is neither -1 nor 1", i, nm, a->direction);
      continue;
    }
    if (!(a->before_se >= 0) || !(a->after_se >= 0) || !isfinite(a->before) ||
        !isfinite(a->after)) {
      CK_REPORT("attempt %u (%.64s): a figure that is not finite, or a negative error", i, nm);
      continue;
    }
    int outcome;
    double pct;
    fz_attempt_judge(a, &outcome, &pct);
    if (outcome != a->outcome)
      CK_REPORT("attempt %u (%.64s): judged %d, but its figures say %d", i, nm, a->outcome,
             outcome);
  }
}

int fz_ranking_disagree(const fathom_ranking_entry *e, uint32_t n, uint32_t *first,
                        uint32_t *second) {
  /* pairs (a before b by mean) in linear time: medians tell b ahead when the ranks by median
   * ever go down; means tell a ahead when b has a larger rank and a smaller median than
   * some entry of an earlier rank (the largest median of the earlier ranks: done) */
  double done = -INFINITY, group = -INFINITY;
  uint32_t done_at = 0, group_at = 0, a = 0, b = 0;
  int found = 0;
  for (uint32_t k = 0; e && k < n && !found; k++) {
    if (k && e[k].median_rank && e[k - 1].median_rank &&
        e[k].median_rank < e[k - 1].median_rank) {
      a = k - 1, b = k, found = 1;
      break;
    }
    if (k && e[k].rank != e[k - 1].rank && group > done) done = group, done_at = group_at;
    if (k && e[k].rank != e[k - 1].rank) group = -INFINITY;
    if (!e[k].median_rank) continue;
    if (e[k].median_ns < done) a = done_at, b = k, found = 1;
    if (e[k].median_ns > group) group = e[k].median_ns, group_at = k;
  }
  if (found && first) *first = a;
  if (found && second) *second = b;
  return found;
}

static int by_median(const void *x, const void *y, void *e) {
  const fathom_ranking_entry *r = e;
  double a = r[*(const uint32_t *)x].median_ns, b = r[*(const uint32_t *)y].median_ns;
  return (a > b) - (a < b);
}

/* x inside [lo, hi], or all three NaN (not measured) */
static int inside(double lo, double x, double hi) {
  if (isnan(lo) && isnan(x) && isnan(hi)) return 1;
  return fz_ck_le(lo, x, 0) && fz_ck_le(x, hi, 0);
}

static void check_ranking_extra(const fathom_ranking_info *r, uint32_t i,
                                void (*report)(void *, const char *), void *ctx) {
  const char *nm = r->name ? r->name : "(null)";
  int have_mrank = 0;
  for (uint32_t k = 0; k < r->n; k++) {
    const fathom_ranking_entry *e = &r->e[k];
    const char *vn = e->variant ? e->variant : "(null)";
    if (!(isnan(e->median_lo_ns) && isnan(e->median_hi_ns)) &&
        !inside(e->median_lo_ns, e->median_ns, e->median_hi_ns))
      CK_REPORT("ranking %u (%.64s), %.64s: the median outside its interval", i, nm, vn);
    if (!inside(e->heap_retained_lo, e->heap_retained_bytes, e->heap_retained_hi))
      CK_REPORT("ranking %u (%.64s), %.64s: heap retained outside its interval", i, nm, vn);
    if (e->alloc_bytes < 0 || e->peak_bytes < 0 || isnan(e->alloc_bytes) != isnan(e->peak_bytes) ||
        !(isnan(e->peak_bytes) || fz_ck_le(e->peak_bytes, e->alloc_bytes, 1)))
      CK_REPORT("ranking %u (%.64s), %.64s: peak %.0f B and allocated %.0f B per run do not fit "
             "(both >= 0, the peak no higher)", i, nm, vn, e->peak_bytes, e->alloc_bytes);
    if (e->median_rank > r->n)
      CK_REPORT("ranking %u (%.64s), %.64s: rank by median %u of %u", i, nm, vn, e->median_rank,
             r->n);
    if (e->median_rank == 1) have_mrank = 1;
  }
  /* the ranks by median follow the medians: sorted by median, they never go down */
  uint32_t *ord = malloc((r->n ? r->n : 1) * sizeof *ord), m = 0;
  for (uint32_t k = 0; ord && k < r->n; k++)
    if (r->e[k].median_rank) ord[m++] = k;
  if (ord) qsort_r(ord, m, sizeof *ord, by_median, r->e);
  for (uint32_t k = 1; ord && k < m; k++) {
    const fathom_ranking_entry *a = &r->e[ord[k - 1]], *b = &r->e[ord[k]];
    if (a->median_ns < b->median_ns && b->median_rank < a->median_rank)
      CK_REPORT("ranking %u (%.64s), %.64s: ranked by median before %.64s, whose median is "
             "smaller", i, nm, b->variant ? b->variant : "(null)",
             a->variant ? a->variant : "(null)");
  }
  free(ord);
  if (m && !have_mrank) CK_REPORT("ranking %u (%.64s): no variant has rank 1 by median", i, nm);
  if (r->disagree != fz_ranking_disagree(r->e, r->n, NULL, NULL))
    CK_REPORT("ranking %u (%.64s): says the rankings by mean and median %s, its figures say "
           "otherwise", i, nm, r->disagree ? "disagree" : "agree");
}

static void check_rankings(const fathom_profile *p, void (*report)(void *, const char *),
                           void *ctx) {
  for (uint32_t i = 0; i < p->n_rankings; i++) {
    const fathom_ranking_info *r = &p->rankings[i];
    const char *nm = r->name ? r->name : "(null)";
    if (r->n && !r->e) {
      CK_REPORT("ranking %u (%.64s): %u variants but no array", i, nm, r->n);
      continue;
    }
    for (uint32_t k = 0; k < r->n; k++) {
      const fathom_ranking_entry *e = &r->e[k];
      const char *vn = e->variant ? e->variant : "(null)";
      if (!fz_ck_le(e->ci_lo_ns, e->mean_ns, 0) || !fz_ck_le(e->mean_ns, e->ci_hi_ns, 0) ||
          !fz_ck_le(e->ratio_lo, e->ratio, 0) || !fz_ck_le(e->ratio, e->ratio_hi, 0))
        CK_REPORT("ranking %u (%.64s), %.64s: a figure outside its interval", i, nm, vn);
      if (k && (e->rank < r->e[k - 1].rank || e->rank > k + 1 ||
                !fz_ck_le(r->e[k - 1].mean_ns, e->mean_ns, 0)))
        CK_REPORT("ranking %u (%.64s), %.64s: rank %u or mean out of order", i, nm, vn, e->rank);
      if (!k && e->rank != 1) CK_REPORT("ranking %u (%.64s): the first has rank %u", i, nm, e->rank);
    }
    check_ranking_extra(r, i, report, ctx);
  }
}

/* Outcome events: a group and a subject, named finite outcomes, costs unknown or >= 0. */
static void check_outcome_events(const fathom_profile *p,
                                 void (*report)(void *, const char *), void *ctx) {
  for (uint32_t i = 0; i < p->n_outcome_events; i++) {
    const fathom_outcome_event_info *e = &p->outcome_events[i];
    if (!e->group || !e->subject) CK_REPORT("outcome event %u: no group or subject", i);
    if (e->n_outcomes > FATHOM_OUTCOMES_MAX) {
      CK_REPORT("outcome event %u: %u outcomes (at most %d)", i, e->n_outcomes,
             FATHOM_OUTCOMES_MAX);
      continue;
    }
    for (uint32_t k = 0; k < e->n_outcomes; k++)
      if (!e->outcome_name[k] || !isfinite(e->outcome[k]))
        CK_REPORT("outcome event %u: outcome %u without a name or not finite", i, k);
    if (isinf(e->time_ns) || e->time_ns < 0 || isinf(e->bytes) || e->bytes < 0)
      CK_REPORT("outcome event %u: a cost below 0 or infinite", i);
    if (!isfinite(e->t_ns) || e->t_ns < 0) CK_REPORT("outcome event %u: time %g", i, e->t_ns);
  }
}

/* One of a lock's time distributions: n values summing to sum, the longest max. */
static void check_lock_dist(const char *nm, const char *what, uint64_t n, double sum,
                            double max, const double pct[3],
                            void (*report)(void *, const char *), void *ctx) {
  if (!(sum >= 0) || !(max >= 0) || !isfinite(sum) || !isfinite(max)) {
    CK_REPORT("lock %.64s: %s time %g, longest %g (not finite >= 0)", nm, what, sum, max);
    return;
  }
  if (!n && (sum > 0 || max > 0)) CK_REPORT("lock %.64s: %s time %g with none timed", nm, what, sum);
  if (n && !fz_ck_le(sum, max * (double)n, 1)) CK_REPORT("lock %.64s: longest %s %g below the mean", nm, what, max);
  if (!fz_ck_le(max, sum, 1)) CK_REPORT("lock %.64s: longest %s %g above the sum %g", nm, what, max, sum);
  for (int k = 0; k < 3; k++) {
    if (isnan(pct[k]) ? n != 0 : (!n || pct[k] < 0 || !fz_ck_le(pct[k], max, 1)))
      CK_REPORT("lock %.64s: %s percentile %d is %g (%llu timed, longest %g)", nm, what, k, pct[k],
             (unsigned long long)n, max);
    if (k && !isnan(pct[k]) && !fz_ck_le(pct[k - 1], pct[k], 0))
      CK_REPORT("lock %.64s: %s percentiles out of order", nm, what);
  }
}

static void check_lock_zones(const char *nm, const char *what, const fathom_lock_zone *z,
                             uint32_t nz, uint64_t n, double sum,
                             void (*report)(void *, const char *), void *ctx) {
  if (nz > FATHOM_LOCK_ZONES_MAX) CK_REPORT("lock %.64s: %u %s zones (at most %d)", nm, nz, what,
                                         FATHOM_LOCK_ZONES_MAX);
  if (nz && !z) {
    CK_REPORT("lock %.64s: %u %s zones announced, none there", nm, nz, what);
    return;
  }
  uint64_t c = 0;
  double t = 0;
  for (uint32_t k = 0; k < nz; k++) {
    if (!z[k].zone) CK_REPORT("lock %.64s: a %s zone without a name", nm, what);
    if (!(z[k].ns >= 0) || !isfinite(z[k].ns)) CK_REPORT("lock %.64s: a %s zone's time %g", nm, what, z[k].ns);
    c += z[k].count;
    t += z[k].ns;
  }
  if (c > n) CK_REPORT("lock %.64s: its %s zones count %llu, more than its %llu", nm, what,
                    (unsigned long long)c, (unsigned long long)n);
  if (!fz_ck_le(t, sum, (double)nz)) CK_REPORT("lock %.64s: its %s zones' time %g passes its %g", nm, what, t, sum);
}

static void check_locks(const fathom_profile *p, void (*report)(void *, const char *),
                        void *ctx) {
  if (p->n_locks && !p->locks) {
    CK_REPORT("locks: %u announced, none there", p->n_locks);
    return;
  }
  for (uint32_t i = 0; i < p->n_locks; i++) {
    const fathom_lock_info *l = &p->locks[i];
    const char *nm = l->name ? l->name : "(null)";
    if (!l->name || !l->kind) CK_REPORT("lock %u: no name or kind", i);
    if (l->contended > l->acquisitions)
      CK_REPORT("lock %.64s: %llu contended of %llu acquisitions", nm,
             (unsigned long long)l->contended, (unsigned long long)l->acquisitions);
    if (l->read_acquisitions > l->acquisitions || l->holds > l->acquisitions)
      CK_REPORT("lock %.64s: more reader acquisitions or timed holds than acquisitions", nm);
    double w[3] = {l->wait_p50_ns, l->wait_p90_ns, l->wait_p99_ns};
    double h[3] = {l->hold_p50_ns, l->hold_p90_ns, l->hold_p99_ns};
    check_lock_dist(nm, "wait", l->contended, l->wait_ns, l->wait_max_ns, w, report, ctx);
    check_lock_dist(nm, "hold", l->holds, l->hold_ns, l->hold_max_ns, h, report, ctx);
    check_lock_zones(nm, "waiting", l->waiters, l->n_waiters, l->contended, l->wait_ns, report,
                     ctx);
    check_lock_zones(nm, "holding", l->holders, l->n_holders, l->holds, l->hold_ns, report,
                     ctx);
  }
}

/* GPU zones: each name once, its CPU zone of that name, the figures consistent (mean x count
 * = total, min <= mean <= max, all zero without a pair read), largest total first. The GPU
 * time is not compared with the CPU zone's time: the GPU runs after the launch, on its own. */
static void check_gpu_zones(const fathom_profile *p, void (*report)(void *, const char *),
                            void *ctx) {
  for (uint32_t i = 0; i < p->n_gpu_zones; i++) {
    const fathom_gpu_zone_info *g = &p->gpu_zones[i];
    const char *nm = g->name ? g->name : "";
    if (!*nm) CK_REPORT("GPU zone %u: no name", i);
    for (uint32_t k = 0; k < i && *nm; k++)
      if (p->gpu_zones[k].name && strcmp(p->gpu_zones[k].name, nm) == 0)
        CK_REPORT("GPU zone %u (%s): the same name as GPU zone %u", i, nm, k);
    if (g->zone != FATHOM_NONE && (g->zone >= p->n_zones || !p->zones))
      CK_REPORT("GPU zone %u (%s): zone %u out of range (%u zones)", i, nm, g->zone, p->n_zones);
    else if (g->zone != FATHOM_NONE && strcmp(zname(p, g->zone), nm) != 0)
      CK_REPORT("GPU zone %u (%s): its CPU zone %u is named %s", i, nm, g->zone, zname(p, g->zone));
    const double f[] = {g->total_ms, g->mean_ms, g->min_ms, g->max_ms};
    int bad = 0;
    for (size_t k = 0; k < 4; k++)
      if (!(f[k] >= 0) || !isfinite(f[k])) bad = 1;
    if (bad) {
      CK_REPORT("GPU zone %u (%s): a time is negative or not finite (total %g, mean %g, min %g, "
             "max %g ms)", i, nm, f[0], f[1], f[2], f[3]);
      continue;
    }
    if (!g->count) {
      if (f[0] || f[1] || f[2] || f[3])
        CK_REPORT("GPU zone %u (%s): no pair read but times (total %g, mean %g, min %g, max %g ms)",
               i, nm, f[0], f[1], f[2], f[3]);
    } else {
      double want = g->mean_ms * (double)g->count;
      if (!fz_ck_le(want, g->total_ms, 0) || !fz_ck_le(g->total_ms, want, 0))
        CK_REPORT("GPU zone %u (%s): mean %g ms x %llu pairs = %g ms, not the total %g ms", i, nm,
               g->mean_ms, (unsigned long long)g->count, want, g->total_ms);
      if (!fz_ck_le(g->min_ms, g->mean_ms, 0) || !fz_ck_le(g->mean_ms, g->max_ms, 0))
        CK_REPORT("GPU zone %u (%s): not min <= mean <= max (%g, %g, %g ms)", i, nm, g->min_ms,
               g->mean_ms, g->max_ms);
    }
    if (g->mem_calls > g->count)
      CK_REPORT("GPU zone %u (%s): device memory read on %llu pairs, more than the %llu counted", i,
             nm, (unsigned long long)g->mem_calls, (unsigned long long)g->count);
    const double m[] = {g->mem_before_max, g->mem_after_max, g->mem_peak};
    if (!(m[0] >= 0) || !(m[1] >= 0) || !(m[2] >= 0) || !isfinite(m[0] + m[1] + m[2]) ||
        !isfinite(g->mem_change_mean) || g->mem_change_se < 0)
      CK_REPORT("GPU zone %u (%s): a device memory figure is negative or not finite (before %g, "
             "after %g, peak %g, change %g, its error %g bytes)", i, nm, m[0], m[1], m[2],
             g->mem_change_mean, g->mem_change_se);
    else if (!g->mem_calls && (m[0] || m[1] || m[2] || g->mem_change_mean || g->mem_change_se))
      CK_REPORT("GPU zone %u (%s): device memory figures but no pair measured", i, nm);
    else if (!fz_ck_le(m[0], m[2], 0) || !fz_ck_le(m[1], m[2], 0))
      CK_REPORT("GPU zone %u (%s): device memory peak %g bytes below the largest reading at a "
             "begin (%g) or an end (%g)", i, nm, m[2], m[0], m[1]);
    else if (g->mem_calls && (g->mem_change_mean > m[1] || -g->mem_change_mean > m[0]))
      CK_REPORT("GPU zone %u (%s): mean device memory change %g bytes beyond the readings "
             "(largest at a begin %g, at an end %g)", i, nm, g->mem_change_mean, m[0], m[1]);
    if (i && !fz_ck_le(g->total_ms, p->gpu_zones[i - 1].total_ms, 0))
      CK_REPORT("GPU zone %u (%s): not in order of total GPU time (%g ms after %g ms)", i, nm,
             g->total_ms, p->gpu_zones[i - 1].total_ms);
  }
}

void fz_check_run(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                  void *ctx) {
  check_locks(p, report, ctx);
  if (p->gpu_zones) check_gpu_zones(p, report, ctx);
  if (p->outcome_events) check_outcome_events(p, report, ctx);
  if (p->rankings) check_rankings(p, report, ctx);
  if (p->attempts) check_attempts(p, report, ctx);
  if (p->lines) check_lines(p, report, ctx);
  if (p->processes) check_processes(p, report, ctx);
  fz_check_levels(p, report, ctx);   /* levels per component, metric switches */
}
