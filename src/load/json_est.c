/* json_est.c: the JSON loader's schema-4 part: the estimate members of stats (standard
 * errors, percentile intervals, fathom's cost taken out), the new meta members (costs of
 * each kind of call, timed calls, fixed costs), and what files of schemas 1 to 3 get instead:
 * resource sums converted to estimates over every call (x count / samples), errors of
 * sampled timing derived from the stored spread, intervals from the histograms.
 *
 * Invariant: a schema-4 figure is accepted only when it can mean what the schema says: an
 * error or a cost is a finite number >= 0, an interval holds its value (a little slack for
 * rounding), timed calls never outnumber calls; anything else is refused with
 * FATHOM_E_FORMAT and one message naming the member. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/estimates.h"
#include "json_ld.h"

/* Relative slack of the interval checks: figures computed in doubles and printed with 17
 * digits come back exactly, but a writer other than fathom may round. */
#define JE_SLACK 1e-6

int jl_cost(jl_ctx *c, const json_t *obj, const jp *at, const char *key, double *out) {
  json_t *v;
  jp kp;
  int rc = jl_get(c, obj, at, key, &v, &kp);
  if (!rc) rc = jl_double(c, v, &kp, out);
  if (!rc && !(isfinite(*out) && *out >= 0))
    rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "%g: must be a finite number >= 0", *out);
  return rc;
}

int jl_check_interval(jl_ctx *c, const jp *at, double v, double lo, double hi,
                      const char *what) {
  if (!isfinite(v)) return 0;   /* nothing to hold (a percentile that was not measured) */
  double slack = JE_SLACK * (fabs(v) > 1 ? fabs(v) : 1);
  if (!isfinite(lo) || !isfinite(hi))
    return jl_fail(c, FATHOM_E_FORMAT, at, "[%.17g, %.17g] for %s %.17g: bounds must be finite",
                   lo, hi, what, v);
  if (lo > v + slack || hi < v - slack)
    return jl_fail(c, FATHOM_E_FORMAT, at, "[%.17g, %.17g] does not hold %s %.17g", lo, hi,
                   what, v);
  return 0;
}

/* ---- stats -------------------------------------------------------------------------- */

static int load_bounds(jl_ctx *c, const json_t *s, const jp *sp, const char *key,
                       const double *pct, double *out) {
  json_t *v = json_object_get(s, key);
  for (int k = 0; k < FATHOM_PCT_N; k++) out[k] = pct[k];
  if (!v) return 0;   /* absent: every bound is its percentile */
  jp kp = {sp, key, 0};
  if (!json_is_array(v) || json_array_size(v) != FATHOM_PCT_N)
    return jl_fail(c, FATHOM_E_FORMAT, &kp,
                   "expected an array of %d numbers (p50, p90, p95, p99, p99.9), got %s",
                   FATHOM_PCT_N, jl_type_name(v));
  for (int k = 0; k < FATHOM_PCT_N; k++) {
    jp ip = {&kp, NULL, (uint64_t)k};
    int rc = jl_double(c, json_array_get(v, (size_t)k), &ip, &out[k]);
    if (rc) return rc;
  }
  return 0;
}

int jl_m_u64_upto(jl_ctx *c, const json_t *obj, const jp *at, const char *key, uint64_t *out,
                  uint64_t max, const char *what) {
  int rc = jl_m_u64(c, obj, at, key, out);
  if (!rc && *out > max) {
    jp kp = {at, key, 0};
    rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "%llu %s of %llu (more than were made)",
                 (unsigned long long)*out, what, (unsigned long long)max);
  }
  return rc;
}

int jl_stats4(jl_ctx *c, const json_t *s, const jp *sp, fathom_stats *st) {
  if (st->timed > st->count) {
    jp kp = {sp, "timed", 0};
    return jl_fail(c, FATHOM_E_FORMAT, &kp, "%llu timed calls of %llu (more than were made)",
                   (unsigned long long)st->timed, (unsigned long long)st->count);
  }
  int rc = jl_cost(c, s, sp, "total_se_ns", &st->total_se_ns);
  if (!rc) rc = jl_cost(c, s, sp, "self_se_ns", &st->self_se_ns);
  if (!rc) rc = jl_cost(c, s, sp, "overhead_ns", &st->overhead_ns);
  if (!rc) rc = jl_cost(c, s, sp, "self_cpu_ns", &st->self_cpu_ns);
  if (!rc) rc = jl_cost(c, s, sp, "self_cpu_se_ns", &st->self_cpu_se_ns);
  if (rc) return rc;
  const double pct[FATHOM_PCT_N] = {st->p50_ns, st->p90_ns, st->p95_ns, st->p99_ns, st->p999_ns};
  rc = load_bounds(c, s, sp, "pct_lo_ns", pct, st->pct_lo_ns);
  if (!rc) rc = load_bounds(c, s, sp, "pct_hi_ns", pct, st->pct_hi_ns);
  for (int k = 0; k < FATHOM_PCT_N && !rc; k++) {
    static const char *const names[FATHOM_PCT_N] = {"p50_ns", "p90_ns", "p95_ns", "p99_ns",
                                                   "p999_ns"};
    jp kp = {sp, "pct_lo_ns/pct_hi_ns", 0};
    jp ip = {&kp, NULL, (uint64_t)k};
    rc = jl_check_interval(c, &ip, pct[k], st->pct_lo_ns[k], st->pct_hi_ns[k], names[k]);
  }
  return rc;
}

void jl_stats_old(jl_ctx *c, fathom_stats *st, const fathom_hist *h) {
  (void)c;
  st->total_se_ns = st->self_se_ns = st->overhead_ns = 0;
  st->self_cpu_ns = st->self_cpu_se_ns = 0;
  if (fathom_stats_estimated(st) && isfinite(st->stddev_ns) && st->stddev_ns > 0) {
    /* schemas 2-3 scaled the timed calls' sum by count / timed (1 call in N timed, close to
     * a simple random sample): the error of that estimate of the total */
    double n = (double)st->timed, N = (double)st->count;
    st->total_se_ns = N * st->stddev_ns * sqrt((1 - n / N) / n);
    if (st->total_ns > 0)
      st->self_se_ns = st->total_se_ns * (double)st->self_ns / (double)st->total_ns;
  }
  fz_est_pct_from_hist(st, h);
}

void jl_res_old(fathom_res *r, uint64_t count) {
  if (r->samples == 0) return;
  double f = (double)count / (double)r->samples;
  for (int k = 0; k < FATHOM_RES_N; k++)
    if (r->mask & (1u << k)) r->sum[k] *= f;
}

/* ---- meta --------------------------------------------------------------------------- */

int jl_meta4(jl_ctx *c, const json_t *o, const jp *mp, fathom_meta *m) {
  if (c->version < 4) {   /* zones only cost what schema 3 said; the monitor is the fixed cost */
    m->untimed_cost_ns = m->zone_cost_in_ns = 0;
    m->hook_cost_ns = m->hook_untimed_cost_ns = m->hook_cost_in_ns = 0;
    m->zone_special_cost_ns = m->zone_special_in_ns = 0;
    m->hook_special_cost_ns = m->hook_special_in_ns = 0;
    m->n_timed = m->n_zones;   /* corrected from the nodes once they are loaded */
    m->setup_ns = m->build_ns = 0;
    m->sample_period_ns = m->sampler_cost_ns = 0;
    m->cpu_samples = m->cpu_samples_fathom = 0;
    m->overhead_measured_ns = m->overhead_measured_se_ns = 0;
    m->overhead_calibrated_ns = isfinite(m->overhead_ns) && m->overhead_ns > 0 ? m->overhead_ns : 0;
    m->fixed_cost_ns = isfinite(m->monitor_cpu_ns) && m->monitor_cpu_ns > 0 ? m->monitor_cpu_ns
                                                                             : 0;
    return 0;
  }
  int rc = jl_cost(c, o, mp, "untimed_cost_ns", &m->untimed_cost_ns);
  if (!rc) rc = jl_cost(c, o, mp, "zone_cost_in_ns", &m->zone_cost_in_ns);
  if (!rc) rc = jl_cost(c, o, mp, "hook_cost_ns", &m->hook_cost_ns);
  if (!rc) rc = jl_cost(c, o, mp, "hook_untimed_cost_ns", &m->hook_untimed_cost_ns);
  if (!rc) rc = jl_cost(c, o, mp, "hook_cost_in_ns", &m->hook_cost_in_ns);
  if (!rc) rc = jl_cost(c, o, mp, "zone_special_cost_ns", &m->zone_special_cost_ns);
  if (!rc) rc = jl_cost(c, o, mp, "zone_special_in_ns", &m->zone_special_in_ns);
  if (!rc) rc = jl_cost(c, o, mp, "hook_special_cost_ns", &m->hook_special_cost_ns);
  if (!rc) rc = jl_cost(c, o, mp, "hook_special_in_ns", &m->hook_special_in_ns);
  if (!rc) rc = jl_m_u64_upto(c, o, mp, "n_timed", &m->n_timed, m->n_zones, "timed zone calls");
  if (!rc) rc = jl_cost(c, o, mp, "setup_ns", &m->setup_ns);
  if (!rc) rc = jl_cost(c, o, mp, "build_ns", &m->build_ns);
  if (!rc) rc = jl_cost(c, o, mp, "fixed_cost_ns", &m->fixed_cost_ns);
  if (!rc) rc = jl_cost(c, o, mp, "sample_period_ns", &m->sample_period_ns);
  if (!rc) rc = jl_m_u64(c, o, mp, "cpu_samples", &m->cpu_samples);
  if (!rc)
    rc = jl_m_u64_upto(c, o, mp, "cpu_samples_fathom", &m->cpu_samples_fathom, m->cpu_samples,
                       "samples in fathom's code");
  if (!rc) rc = jl_cost(c, o, mp, "sampler_cost_ns", &m->sampler_cost_ns);
  if (!rc) rc = jl_cost(c, o, mp, "overhead_measured_ns", &m->overhead_measured_ns);
  if (!rc) rc = jl_cost(c, o, mp, "overhead_measured_se_ns", &m->overhead_measured_se_ns);
  if (!rc) rc = jl_cost(c, o, mp, "overhead_calibrated_ns", &m->overhead_calibrated_ns);
  return rc;
}

void jl_meta_old_timed(fathom_profile *p) {
  uint64_t untimed = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_stats *s = &p->nodes[i].stats;
    if (s->timed && s->timed < s->count) untimed += s->count - s->timed;
  }
  p->meta.n_timed = p->meta.n_zones > untimed ? p->meta.n_zones - untimed : 0;
}
