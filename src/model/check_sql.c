/* check_sql.c: the rules for the profile's database statements ("queries"), part of
 * fathom_profile_check (check.c calls fz_check_sql):
 *   each statement: a connection name and a text, at least one run; min <= mean <= max and
 *   mean x count = total (1 ns per run of rounding); min <= p50 <= p95 <= p99 <= max;
 *   percentiles marked exact only when every run's time could be kept; at most
 *   FATHOM_QUERY_SLOWEST slowest runs, no more than the runs, slowest first, within
 *   [min, max]; SQLite's counters 0 when not SQLite's, full-scan steps at most the VM steps;
 *   the table sorted by total time, largest first.
 * Same slack as check.c: 1 ns per figure added plus 1e-9 relative.
 *
 * Invariant: reads only what the counts announce and the arrays that are there. */
#include <math.h>
#include <stdio.h>

#include "model/check.h"

static void check_one(const fathom_query_info *q, uint32_t i,
                      void (*report)(void *, const char *), void *ctx) {
  const char *st = q->statement ? q->statement : "(null)";
  if (!q->db || !q->statement) CK_REPORT("statement %u: no connection name or text", i);
  if (!q->count) {
    CK_REPORT("statement %u (%.64s): no runs", i, st);
    return;
  }
  double n = (double)q->count;
  if (!fz_ck_le(q->min_ns, q->mean_ns, 1) || !fz_ck_le(q->mean_ns, q->max_ns, 1))
    CK_REPORT("statement %u (%.64s): mean %.0f ns outside [min %.0f, max %.0f]", i, st,
           q->mean_ns, q->min_ns, q->max_ns);
  if (!fz_ck_le(q->mean_ns * n, q->total_ns, n) || !fz_ck_le(q->total_ns, q->mean_ns * n, n))
    CK_REPORT("statement %u (%.64s): mean %.0f ns x %llu runs is not the total %.0f ns", i, st,
           q->mean_ns, (unsigned long long)q->count, q->total_ns);
  if (!fz_ck_le(q->min_ns, q->p50_ns, 0) || !fz_ck_le(q->p50_ns, q->p95_ns, 0) ||
      !fz_ck_le(q->p95_ns, q->p99_ns, 0) || !fz_ck_le(q->p99_ns, q->max_ns, 0))
    CK_REPORT("statement %u (%.64s): min, p50, p95, p99, max out of order (%.0f, %.0f, %.0f, "
           "%.0f, %.0f ns)", i, st, q->min_ns, q->p50_ns, q->p95_ns, q->p99_ns, q->max_ns);
  if (q->exact && q->count > FATHOM_QUERY_SAMPLES)
    CK_REPORT("statement %u (%.64s): percentiles marked exact over %llu runs (at most %u kept)", i,
           st, (unsigned long long)q->count, FATHOM_QUERY_SAMPLES);
  if (q->n_slowest > FATHOM_QUERY_SLOWEST || q->n_slowest > q->count) {
    CK_REPORT("statement %u (%.64s): %u slowest runs of %llu", i, st, q->n_slowest,
           (unsigned long long)q->count);
    return;
  }
  for (uint32_t k = 0; k < q->n_slowest; k++) {
    if (!q->slowest_sql[k]) CK_REPORT("statement %u (%.64s): slowest run %u has no SQL", i, st, k);
    if (!fz_ck_le(q->slowest_ns[k], q->max_ns, 0) || !fz_ck_le(q->min_ns, q->slowest_ns[k], 0) ||
        (k && !fz_ck_le(q->slowest_ns[k], q->slowest_ns[k - 1], 0)))
      CK_REPORT("statement %u (%.64s): slowest run %u (%.0f ns) out of order or outside "
             "[min, max]", i, st, k, q->slowest_ns[k]);
  }
  if (!q->sqlite && (q->fullscan_steps || q->sorts || q->autoindexes || q->vm_steps))
    CK_REPORT("statement %u (%.64s): SQLite counters on a statement not run by SQLite", i, st);
  if (q->sqlite && q->fullscan_steps > q->vm_steps)
    CK_REPORT("statement %u (%.64s): %llu full-scan steps above its %llu VM steps", i, st,
           (unsigned long long)q->fullscan_steps, (unsigned long long)q->vm_steps);
}

void fz_check_sql(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                  void *ctx) {
  if (!p->queries) return;
  for (uint32_t i = 0; i < p->n_queries; i++) {
    check_one(&p->queries[i], i, report, ctx);
    if (i && !fz_ck_le(p->queries[i].total_ns, p->queries[i - 1].total_ns, 0))
      CK_REPORT("statement %u: total %.0f ns above the one before (%.0f ns): not sorted", i,
             p->queries[i].total_ns, p->queries[i - 1].total_ns);
  }
}
