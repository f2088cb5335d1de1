/* findings_model.h: hand-built profile models for the findings tests (test_findings.c,
 * test_findings_json.c): zones, nodes with their statistics added to their zone's, probed
 * resources, histograms, and lookups of findings and their figures.
 * Header-only; every function is static and marked unused. */
#ifndef FATHOM_FINDINGS_MODEL_H
#define FATHOM_FINDINGS_MODEL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fathom.h"
#include "fathom_load.h"

#define FM_FN static __attribute__((unused))

/* ---- building models by hand ---- */

FM_FN fathom_profile *mk(void) {
  fathom_profile *p = calloc(1, sizeof *p);
  assert_non_null(p);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  p->meta.fathom_version = strdup(FATHOM_VERSION_STRING);
  p->meta.session_name = strdup("t");
  p->meta.duration_ns = 1000000000ULL;
  p->meta.n_cpus = 4;
  p->meta.level = FATHOM_LEVEL_DETAILED;
  p->meta.clock_source = strdup("tsc");
  p->meta.overhead_pct = 0.5;
  p->meta.overhead_budget_pct = 5;
  p->meta.cpu_time_ns = 1e9;
  p->res.gpu_util_mean_pct = NAN;
  p->res.cpu_pct_mean = NAN;
  p->threads = calloc(4, sizeof *p->threads);
  p->n_threads = 4;
  for (uint32_t i = 0; i < 4; i++) {
    p->threads[i].tid = 100 + i;
    p->threads[i].name = strdup("");
  }
  return p;
}

FM_FN uint32_t add_zone(fathom_profile *p, const char *name, const char *comp) {
  p->zones = realloc(p->zones, (p->n_zones + 1) * sizeof *p->zones);
  assert_non_null(p->zones);
  fathom_zone_info *z = &p->zones[p->n_zones];
  memset(z, 0, sizeof *z);
  z->name = strdup(name);
  z->component = comp ? strdup(comp) : NULL;
  z->time_every = 1;
  return p->n_zones++;
}

/* A node of zone z (its stats added to the zone's): count calls of total_ns in all, self_ns
 * of it in its own code. */
FM_FN uint32_t add_node(fathom_profile *p, uint32_t z, uint32_t parent, uint32_t thread,
                         uint64_t count, uint64_t total_ns, uint64_t self_ns) {
  p->nodes = realloc(p->nodes, (p->n_nodes + 1) * sizeof *p->nodes);
  assert_non_null(p->nodes);
  fathom_node *n = &p->nodes[p->n_nodes];
  memset(n, 0, sizeof *n);
  n->zone = z;
  n->parent = parent;
  n->thread = thread;
  n->depth = parent == FATHOM_NONE ? 1 : p->nodes[parent].depth + 1;
  n->stats.count = count;
  n->stats.total_ns = total_ns;
  n->stats.self_ns = self_ns;
  n->stats.mean_ns = (double)total_ns / (double)count;
  n->time_every = 1;
  fathom_stats *zs = &p->zones[z].stats;
  zs->count += count;
  zs->total_ns += total_ns;
  zs->self_ns += self_ns;
  zs->mean_ns = (double)zs->total_ns / (double)zs->count;
  return p->n_nodes++;
}

/* Probed resources on node i and its zone: `samples` calls probed, sum the estimate of the
 * total over every call (schema 4: no scaling by count / samples). */
FM_FN void set_res(fathom_profile *p, uint32_t i, uint64_t samples, int id, double sum) {
  fathom_res *r[2] = {&p->nodes[i].res, &p->zones[p->nodes[i].zone].res};
  for (int k = 0; k < 2; k++) {
    r[k]->samples = samples;
    r[k]->sample_every = 1;
    r[k]->mask |= 1u << id;
    r[k]->sum[id] = sum;
  }
}

/* CPU (user), wall and voluntary switches over `samples` probed calls. */
FM_FN void set_cpu(fathom_profile *p, uint32_t i, uint64_t samples, double cpu, double wall,
                    double ctx) {
  set_res(p, i, samples, FATHOM_RES_CPU_USER_NS, cpu);
  set_res(p, i, samples, FATHOM_RES_CPU_SYS_NS, 0);
  set_res(p, i, samples, FATHOM_RES_WALL_NS, wall);
  set_res(p, i, samples, FATHOM_RES_CTX_VOL, ctx);
}

FM_FN const fathom_finding *find(const fathom_profile *p, fathom_finding_class cls,
                                  const char *path) {
  for (uint32_t i = 0; i < p->n_findings; i++)
    if (p->findings[i].cls == cls && (!path || strcmp(p->findings[i].path, path) == 0))
      return &p->findings[i];
  return NULL;
}

FM_FN double fig(const fathom_finding *f, const char *name) {
  for (uint32_t i = 0; i < f->n_figures; i++)
    if (strcmp(f->figures[i].name, name) == 0) return f->figures[i].value;
  fail_msg("finding %s has no figure %s", f->path, name);
  return NAN;
}

FM_FN int has_suggestion(const fathom_finding *f, const char *needle) {
  for (uint32_t i = 0; i < f->n_suggestions; i++)
    if (strstr(f->suggestions[i], needle)) return 1;
  return 0;
}

FM_FN void set_hist(fathom_zone_info *z, uint64_t ns_lo, uint64_t n_lo, uint64_t ns_hi,
                     uint64_t n_hi) {
  /* values below 128 ns are exact buckets; use unit_ns to scale: one bucket per value */
  z->hist.unit_ns = 1000;  /* µs buckets */
  z->hist.n = 2;
  z->hist.bucket = malloc(2 * sizeof *z->hist.bucket);
  z->hist.count = malloc(2 * sizeof *z->hist.count);
  z->hist.bucket[0] = (uint32_t)(ns_lo / 1000);
  z->hist.bucket[1] = (uint32_t)(ns_hi / 1000);
  z->hist.count[0] = n_lo;
  z->hist.count[1] = n_hi;
  z->stats.min_ns = ns_lo;
  z->stats.max_ns = ns_hi;
}


/* Marks zone z's timing as estimated: `timed` of its calls timed, the total's standard error,
 * and (k >= 0) the 95 % interval [lo, hi] of percentile k (0 p50, 1 p90, 2 p95, 3 p99, 4
 * p99.9); the other intervals are the percentiles themselves. */
FM_FN void set_estimated(fathom_profile *p, uint32_t z, uint64_t timed, double total_se, int k,
                          double lo, double hi) {
  fathom_stats *st = &p->zones[z].stats;
  st->timed = timed;
  st->total_se_ns = total_se;
  const double v[FATHOM_PCT_N] = {st->p50_ns, st->p90_ns, st->p95_ns, st->p99_ns, st->p999_ns};
  for (int i = 0; i < FATHOM_PCT_N; i++) st->pct_lo_ns[i] = st->pct_hi_ns[i] = v[i];
  if (k >= 0) {
    st->pct_lo_ns[k] = lo;
    st->pct_hi_ns[k] = hi;
  }
}

/* Every finding figure whose unit is "%" and name says it is a share is within [0, 100]. */
FM_FN void assert_shares_bounded(const fathom_profile *p) {
  for (uint32_t i = 0; i < p->n_findings; i++)
    for (uint32_t k = 0; k < p->findings[i].n_figures; k++) {
      const fathom_figure *g = &p->findings[i].figures[k];
      if (strcmp(g->unit, "%") != 0 || !strstr(g->name, "share")) continue;
      if (!(g->value >= 0 && g->value <= 100))
        fail_msg("finding %s %s: %s = %g %%", fathom_finding_class_name((int)p->findings[i].cls),
                 p->findings[i].path, g->name, g->value);
    }
}

static fathom_thresholds thr __attribute__((unused));

/* Every figure whose unit is "%" (any name: shares, fractions of the CPU, of the overhead)
 * is within [0, 100]; a figure that can pass 100 (a slowdown) must use another unit. */
FM_FN void assert_pct_bounded(const fathom_profile *p) {
  for (uint32_t i = 0; i < p->n_findings; i++)
    for (uint32_t k = 0; k < p->findings[i].n_figures; k++) {
      const fathom_figure *g = &p->findings[i].figures[k];
      if (strcmp(g->unit, "%") != 0) continue;
      if (!(g->value >= 0 && g->value <= 100))
        fail_msg("finding %s %s: %s = %g %%", fathom_finding_class_name((int)p->findings[i].cls),
                 p->findings[i].path, g->name, g->value);
    }
}

/* Runs the rules on p and checks what holds for any model: ranks in order, a summary and a
 * suggestion each, no "%" figure above 100. */
FM_FN void analyze(fathom_profile *p) {
  assert_int_equal(fathom_analyze(p, &thr), 0);
  assert_pct_bounded(p);
  for (uint32_t i = 0; i < p->n_findings; i++) {
    assert_int_equal(p->findings[i].rank, i + 1);
    assert_non_null(p->findings[i].summary);
    assert_true(strlen(p->findings[i].summary) > 0);
    assert_true(p->findings[i].n_suggestions > 0);
  }
}

FM_FN int setup(void **state) {
  (void)state;
  fathom_thresholds_init(&thr);
  return 0;
}

#endif
