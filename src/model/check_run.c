/* check_run.c: the rules for the tables of sampled profiles (`fathom run`), part of
 * fathom_profile_check (check.c calls fz_check_run):
 *   lines: a valid zone, a file, self <= total, errors >= 0, a line's total <= its zone's
 *          total, and the self times of a zone's lines add up to at most the zone's self;
 *   processes: figures >= 0 (or NaN: not measured), end >= start, sampled CPU <= the CPU
 *          time the profile's session ran; a thread's process index in range;
 *   attempts: a direction of -1 or 1, finite figures, errors >= 0, and the outcome their
 *          figures give (model/attempts.c);
 *   rankings: means and ratios inside their intervals, fastest first, ranks from 1 that
 *          never decrease and never pass the place.
 * Same slack as check.c: 1 ns per figure added plus 1e-9 relative.
 *
 * Invariant: reads only what the counts announce and the arrays that are there. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/attempts.h"
#include "model/check.h"

static int le(double a, double b, double slack) {
  if (!isfinite(a) || !isfinite(b)) return a <= b;
  return a <= b + slack + 1e-9 * fmax(fabs(a), fabs(b));
}

static const char *zname(const fathom_profile *p, uint32_t z) {
  return p->zones && z < p->n_zones && p->zones[z].name ? p->zones[z].name : "?";
}

#define REPORT(...)                               \
  do {                                            \
    char line_[CK_LINE];                          \
    snprintf(line_, sizeof line_, __VA_ARGS__);   \
    report(ctx, line_);                           \
  } while (0)

static void check_lines(const fathom_profile *p, void (*report)(void *, const char *), void *ctx) {
  uint32_t nz = p->zones ? p->n_zones : 0;
  double *zself = calloc(nz ? nz : 1, 2 * sizeof *zself); /* lines' self sum, count */
  for (uint32_t i = 0; i < p->n_lines; i++) {
    const fathom_line_info *l = &p->lines[i];
    const char *file = l->file ? l->file : "(null)";
    if (l->zone >= nz) {
      REPORT("line %u (%.64s:%u): zone %u out of range (%u zones)", i, file, l->line, l->zone,
             nz);
      continue;
    }
    const char *zn = zname(p, l->zone);
    if (!l->file) REPORT("line %u (%.64s): no file", i, zn);
    if (!(l->self_se_ns >= 0) || !(l->total_se_ns >= 0) || !(l->self_ns >= 0))
      REPORT("line %u (%.64s at %.64s:%u): a negative figure or error", i, zn, file, l->line);
    if (l->samples_self > l->samples_total || !le(l->self_ns, l->total_ns, 1))
      REPORT("line %u (%.64s at %.64s:%u): self %.0f ns (%llu samples) above its total %.0f ns "
             "(%llu)", i, zn, file, l->line, l->self_ns, (unsigned long long)l->samples_self,
             l->total_ns, (unsigned long long)l->samples_total);
    const fathom_stats *zs = &p->zones[l->zone].stats;
    if (!le(l->total_ns, (double)zs->total_ns, 1))
      REPORT("line %u (%.64s at %.64s:%u): total %.0f ns above its function's total %llu ns", i,
             zn, file, l->line, l->total_ns, (unsigned long long)zs->total_ns);
    if (zself) {
      zself[2 * l->zone] += l->self_ns;
      zself[2 * l->zone + 1] += 1;
    }
  }
  for (uint32_t z = 0; zself && z < nz; z++)
    if (!le(zself[2 * z], (double)p->zones[z].stats.self_ns, zself[2 * z + 1]))
      REPORT("zone %u (%.64s): its lines' self times add up to %.0f ns, above its self %llu ns",
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
        REPORT("process %u (pid %lld): figure %zu is negative (%g)", i, (long long)q->pid, k,
               f[k]);
        break;
      }
    if (!le(q->start_ns, q->end_ns, 1))
      REPORT("process %u (pid %lld): ends at %.0f ns, before it starts (%.0f ns)", i,
             (long long)q->pid, q->end_ns, q->start_ns);
  }
  for (uint32_t t = 0; p->threads && p->n_processes && t < p->n_threads; t++)
    if (p->threads[t].process != FATHOM_NONE && p->threads[t].process >= p->n_processes)
      REPORT("thread %u: process %u out of range (%u processes)", t, p->threads[t].process,
             p->n_processes);
}

static void check_attempts(const fathom_profile *p, void (*report)(void *, const char *),
                           void *ctx) {
  for (uint32_t i = 0; i < p->n_attempts; i++) {
    const fathom_attempt_info *a = &p->attempts[i];
    const char *nm = a->name ? a->name : "(null)";
    if (!a->name || !a->metric) REPORT("attempt %u: no name or metric", i);
    if (a->direction != -1 && a->direction != 1) {
      REPORT("attempt %u (%.64s): direction %d is neither -1 nor 1", i, nm, a->direction);
      continue;
    }
    if (!(a->before_se >= 0) || !(a->after_se >= 0) || !isfinite(a->before) ||
        !isfinite(a->after)) {
      REPORT("attempt %u (%.64s): a figure that is not finite, or a negative error", i, nm);
      continue;
    }
    int outcome;
    double pct;
    fz_attempt_judge(a, &outcome, &pct);
    if (outcome != a->outcome)
      REPORT("attempt %u (%.64s): judged %d, but its figures say %d", i, nm, a->outcome,
             outcome);
  }
}

static void check_rankings(const fathom_profile *p, void (*report)(void *, const char *),
                           void *ctx) {
  for (uint32_t i = 0; i < p->n_rankings; i++) {
    const fathom_ranking_info *r = &p->rankings[i];
    const char *nm = r->name ? r->name : "(null)";
    if (r->n && !r->e) {
      REPORT("ranking %u (%.64s): %u variants but no array", i, nm, r->n);
      continue;
    }
    for (uint32_t k = 0; k < r->n; k++) {
      const fathom_ranking_entry *e = &r->e[k];
      const char *vn = e->variant ? e->variant : "(null)";
      if (!le(e->ci_lo_ns, e->mean_ns, 0) || !le(e->mean_ns, e->ci_hi_ns, 0) ||
          !le(e->ratio_lo, e->ratio, 0) || !le(e->ratio, e->ratio_hi, 0))
        REPORT("ranking %u (%.64s), %.64s: a figure outside its interval", i, nm, vn);
      if (k && (e->rank < r->e[k - 1].rank || e->rank > k + 1 ||
                !le(r->e[k - 1].mean_ns, e->mean_ns, 0)))
        REPORT("ranking %u (%.64s), %.64s: rank %u or mean out of order", i, nm, vn, e->rank);
      if (!k && e->rank != 1) REPORT("ranking %u (%.64s): the first has rank %u", i, nm, e->rank);
    }
  }
}

void fz_check_run(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                  void *ctx) {
  if (p->rankings) check_rankings(p, report, ctx);
  if (p->attempts) check_attempts(p, report, ctx);
  if (p->lines) check_lines(p, report, ctx);
  if (p->processes) check_processes(p, report, ctx);
}
