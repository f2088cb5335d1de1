/* json_run.c: the JSON loader's part for the tables of sampled profiles (`fathom run`):
 * "processes" and "lines" (docs/formats.md), written by src/view/json_run.c. Both are
 * optional: a file without them (any other profile, older files) loads with none.
 *
 * Invariant: when present, every member is checked like the rest of the schema (types,
 * indexes into their tables, figures that cannot be negative), and the partial model stays
 * freeable (each table is calloc'd and counted before its elements are filled). */
#include <math.h>
#include <string.h>

#include "json_ld.h"

/* A figure that is a count or a time: NaN (null: not measured) or >= 0. */
static int m_nonneg(jl_ctx *c, const json_t *o, const jp *ip, const char *k, double *out) {
  int rc = jl_m_dbl(c, o, ip, k, out);
  if (!rc && *out < 0) {
    jp kp = {ip, k, 0};
    rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "must not be negative");
  }
  return rc;
}

int jl_processes(jl_ctx *c, const json_t *root, fathom_profile *p) {
  if (!json_object_get(root, "processes")) return 0;
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "processes", UINT32_MAX - 1, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->processes, n, sizeof *p->processes);
  if (rc) return rc;
  p->n_processes = (uint32_t)n;
  static const char *const figs[] = {"start_ns", "end_ns", "cpu_ns", "cpu_se_ns", "user_ns",
                                     "sys_ns", "rss_peak_bytes", "read_bytes", "write_bytes",
                                     "read_ops", "write_ops", "ctx_voluntary",
                                     "ctx_involuntary", "minor_faults", "major_faults",
                                     "res_age_ns"};
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_process_info *q = &p->processes[i];
    double *dst[] = {&q->start_ns, &q->end_ns, &q->cpu_ns, &q->cpu_se_ns, &q->user_ns,
                     &q->sys_ns, &q->rss_peak_bytes, &q->read_bytes, &q->write_bytes,
                     &q->read_ops, &q->write_ops, &q->ctx_voluntary, &q->ctx_involuntary,
                     &q->minor_faults, &q->major_faults, &q->res_age_ns};
    _Static_assert(sizeof figs / sizeof figs[0] == sizeof dst / sizeof dst[0], "same members");
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_i64(c, o, &ip, "pid", &q->pid);
    if (!rc) rc = jl_m_i64(c, o, &ip, "ppid", &q->ppid);
    if (!rc) rc = jl_m_str(c, o, &ip, "command", 0, &q->command);
    if (!rc) rc = jl_m_bool(c, o, &ip, "ended", &q->ended);
    if (!rc) rc = jl_m_bool(c, o, &ip, "status_known", &q->status_known);
    if (!rc) rc = jl_m_int(c, o, &ip, "exit_code", &q->exit_code);
    if (!rc) rc = jl_m_int(c, o, &ip, "signal", &q->signal);
    for (size_t k = 0; k < sizeof dst / sizeof dst[0] && !rc; k++)
      rc = m_nonneg(c, o, &ip, figs[k], dst[k]);
  }
  return rc;
}

/* The thread's process (needs the processes loaded): absent or null, none. */
int jl_thread_process(jl_ctx *c, const json_t *o, const jp *ip, const fathom_profile *p,
                      uint32_t *out) {
  *out = FATHOM_NONE;
  json_t *v = json_object_get(o, "process");
  if (!v) return 0;
  jp kp = {ip, "process", 0};
  return jl_index(c, v, &kp, p->n_processes, "processes", 1, out);
}

int jl_attempts(jl_ctx *c, const json_t *root, fathom_profile *p) {
  static const char *const better[] = {"lower", "higher"};
  static const char *const outcome[] = {"worse", "unchanged", "improved"};
  if (!json_object_get(root, "attempts")) return 0;
  json_t *arr, *o, *v;
  jp tp, ip, kp;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "attempts", UINT32_MAX - 1, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->attempts, n, sizeof *p->attempts);
  if (rc) return rc;
  p->n_attempts = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_attempt_info *a = &p->attempts[i];
    int k = 0;
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_str(c, o, &ip, "name", 0, &a->name);
    if (!rc) rc = jl_m_str(c, o, &ip, "metric", 0, &a->metric);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "before", &a->before);
    if (!rc) rc = m_nonneg(c, o, &ip, "before_se", &a->before_se);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "after", &a->after);
    if (!rc) rc = m_nonneg(c, o, &ip, "after_se", &a->after_se);
    if (!rc) rc = jl_get(c, o, &ip, "better", &v, &kp);
    if (!rc) rc = jl_enum(c, v, &kp, better, 2, &k);
    if (!rc) a->direction = k ? 1 : -1;
    if (!rc) rc = jl_get(c, o, &ip, "outcome", &v, &kp);
    if (!rc) rc = jl_enum(c, v, &kp, outcome, 3, &k);
    if (!rc) a->outcome = k - 1;
    if (!rc) rc = jl_m_dbl(c, o, &ip, "change_pct", &a->change_pct);
  }
  return rc;
}

/* The optional members of a ranking's entry (absent: NaN, median_rank 0): the median's
 * interval, the rank by median (0 or 1..n), the memory per run (NaN or >= 0; the heap
 * retained may be negative: a run that frees). */
static int ranking_extra(jl_ctx *c, const json_t *e, const jp *ep, size_t n,
                         fathom_ranking_entry *x) {
  static const char *const key[] = {"median_lo_ns", "median_hi_ns", "heap_retained_bytes",
                                    "heap_retained_lo", "heap_retained_hi", "alloc_bytes",
                                    "peak_bytes"};
  double *val[] = {&x->median_lo_ns, &x->median_hi_ns, &x->heap_retained_bytes,
                   &x->heap_retained_lo, &x->heap_retained_hi, &x->alloc_bytes, &x->peak_bytes};
  int rc = 0;
  for (size_t j = 0; j < sizeof key / sizeof key[0] && !rc; j++) {
    *val[j] = NAN;
    if (!json_object_get(e, key[j])) continue;
    rc = j < 2 || j >= 5 ? m_nonneg(c, e, ep, key[j], val[j])
                         : jl_m_dbl(c, e, ep, key[j], val[j]);
  }
  if (!rc && json_object_get(e, "median_rank")) {
    rc = jl_m_u32(c, e, ep, "median_rank", &x->median_rank);
    if (!rc && x->median_rank > n) {
      jp kp = {ep, "median_rank", 0};
      rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "must be 0 to %zu, the variants", n);
    }
  }
  return rc;
}

int jl_rankings(jl_ctx *c, const json_t *root, fathom_profile *p) {
  if (!json_object_get(root, "rankings")) return 0;
  json_t *arr, *o, *varr, *e;
  jp tp, ip, vp, ep;
  size_t n, m;
  int rc = jl_m_table(c, root, NULL, "rankings", 4096, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->rankings, n, sizeof *p->rankings);
  if (rc) return rc;
  p->n_rankings = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_ranking_info *r = &p->rankings[i];
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_str(c, o, &ip, "name", 0, &r->name);
    if (!rc) rc = jl_m_bool(c, o, &ip, "settled", &r->settled);
    if (!rc && json_object_get(o, "disagree")) rc = jl_m_bool(c, o, &ip, "disagree", &r->disagree);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "confidence", &r->confidence);
    if (!rc) rc = jl_m_table(c, o, &ip, "variants", 1u << 20, &varr, &vp, &m);
    if (!rc) rc = jl_alloc_table(c, (void **)&r->e, m, sizeof *r->e);
    if (!rc) r->n = (uint32_t)m;
    for (size_t k = 0; k < m && !rc; k++) {
      fathom_ranking_entry *x = &r->e[k];
      rc = jl_element(c, varr, &vp, k, &e, &ep);
      if (!rc) rc = jl_m_str(c, e, &ep, "variant", 0, &x->variant);
      if (!rc) rc = jl_m_u32(c, e, &ep, "rank", &x->rank);
      if (!rc) rc = jl_m_u64(c, e, &ep, "runs", &x->runs);
      if (!rc) rc = jl_m_dbl(c, e, &ep, "mean_ns", &x->mean_ns);
      if (!rc) rc = jl_m_dbl(c, e, &ep, "ci_lo_ns", &x->ci_lo_ns);
      if (!rc) rc = jl_m_dbl(c, e, &ep, "ci_hi_ns", &x->ci_hi_ns);
      if (!rc) rc = jl_m_dbl(c, e, &ep, "median_ns", &x->median_ns);
      if (!rc) rc = jl_m_dbl(c, e, &ep, "ratio", &x->ratio);
      if (!rc) rc = jl_m_dbl(c, e, &ep, "ratio_lo", &x->ratio_lo);
      if (!rc) rc = jl_m_dbl(c, e, &ep, "ratio_hi", &x->ratio_hi);
      if (!rc) rc = jl_m_dbl(c, e, &ep, "p_next", &x->p_next);
      if (!rc) rc = ranking_extra(c, e, &ep, m, x);
    }
  }
  return rc;
}

int jl_lines(jl_ctx *c, const json_t *root, fathom_profile *p) {
  if (!json_object_get(root, "lines")) return 0;
  json_t *arr, *o, *v;
  jp tp, ip, kp;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "lines", UINT32_MAX - 1, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->lines, n, sizeof *p->lines);
  if (rc) return rc;
  p->n_lines = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_line_info *l = &p->lines[i];
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_get(c, o, &ip, "zone", &v, &kp);
    if (!rc) rc = jl_index(c, v, &kp, p->n_zones, "zones", 0, &l->zone);
    if (!rc) rc = jl_m_str(c, o, &ip, "file", 0, &l->file);
    if (!rc) rc = jl_m_u32(c, o, &ip, "line", &l->line);
    if (!rc) rc = jl_m_u64(c, o, &ip, "samples_self", &l->samples_self);
    if (!rc) rc = jl_m_u64(c, o, &ip, "samples_total", &l->samples_total);
    if (!rc) rc = m_nonneg(c, o, &ip, "self_ns", &l->self_ns);
    if (!rc) rc = m_nonneg(c, o, &ip, "self_se_ns", &l->self_se_ns);
    if (!rc) rc = m_nonneg(c, o, &ip, "total_ns", &l->total_ns);
    if (!rc) rc = m_nonneg(c, o, &ip, "total_se_ns", &l->total_se_ns);
  }
  return rc;
}
