/* check_fixture.h: what the checker groups share (test_check.c, test_check_hostile.c): a
 * hand-built consistent model (mk_ok: every rule of fathom_profile_check holds), the naive
 * roll-up it is built with, and expect(), which checks a model and asserts the exact number
 * of violations and the text of their messages.
 *
 * Header-only: every function is static and marked unused (each group uses a subset). */
#ifndef FATHOM_CHECK_FIXTURE_H
#define FATHOM_CHECK_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"

#define CHECK_FN static __attribute__((unused))

#define MSG_CAP (64 * 1024)
static char msg[MSG_CAP];

CHECK_FN char *xstrdup(const char *s) {
  char *d = strdup(s);
  assert_non_null(d);
  return d;
}
CHECK_FN void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  assert_non_null(p);
  return p;
}

/* ---- a consistent model ---------------------------------------------------------------
 * zones: 0 main, 1 parse, 2 read, 3 rec
 * nodes: thread 0: 0 main > 1 parse > 2 read; 0 > 3 read; 0 > 4 rec > 5 rec (recursion)
 *        thread 1: 6 main
 * Every call of a node lasts between d/2 and 2 d (d = total / count); percentiles inside
 * [min, max], intervals around them; zones are the roll-ups of their nodes. */
enum { N_ZONES = 4, N_NODES = 7, N_THREADS = 2 };

CHECK_FN void set_node(fathom_profile *p, uint32_t i, uint64_t count, uint64_t total) {
  fathom_stats *st = &p->nodes[i].stats;
  double d = (double)total / (double)count;
  *st = (fathom_stats){.count = count, .timed = count, .total_ns = total,
                       .min_ns = (uint64_t)(d / 2), .max_ns = (uint64_t)(2 * d), .mean_ns = d,
                       .stddev_ns = d / 4, .p50_ns = d, .p90_ns = 1.2 * d, .p95_ns = 1.4 * d,
                       .p99_ns = 1.8 * d, .p999_ns = 2 * d - 1, .total_se_ns = 0,
                       .self_se_ns = 0, .overhead_ns = 10};
  const double pv[FATHOM_PCT_N] = {st->p50_ns, st->p90_ns, st->p95_ns, st->p99_ns, st->p999_ns};
  for (int k = 0; k < FATHOM_PCT_N; k++) {
    st->pct_lo_ns[k] = pv[k] * 0.95;
    st->pct_hi_ns[k] = pv[k] * 1.05;
  }
}

/* self times, zone roll-ups and meta.n_zones from the nodes (naively: a test oracle) */
CHECK_FN void rollup(fathom_profile *p) {
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    uint64_t cs = 0;
    for (uint32_t k = 0; k < p->n_nodes; k++)
      if (p->nodes[k].parent == i) cs += p->nodes[k].stats.total_ns;
    fathom_stats *st = &p->nodes[i].stats;
    st->self_ns = st->total_ns > cs ? st->total_ns - cs : 0;
  }
  uint64_t calls = 0;
  for (uint32_t z = 0; z < p->n_zones; z++) {
    fathom_stats *zs = &p->zones[z].stats;
    memset(zs, 0, sizeof *zs);
    double wsum = 0;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
      const fathom_stats *st = &p->nodes[i].stats;
      if (p->nodes[i].zone != z) continue;
      int nested = 0;
      for (uint32_t a = p->nodes[i].parent; a != FATHOM_NONE; a = p->nodes[a].parent)
        if (p->nodes[a].zone == z) nested = 1;
      if (!nested) zs->total_ns += st->total_ns;
      zs->self_ns += st->self_ns;
      if (zs->count == 0 || st->min_ns < zs->min_ns) zs->min_ns = st->min_ns;
      if (st->max_ns > zs->max_ns) zs->max_ns = st->max_ns;
      zs->count += st->count;
      zs->timed += st->timed;
      wsum += st->mean_ns * (double)st->count;
    }
    if (zs->count) {
      zs->mean_ns = wsum / (double)zs->count;
      zs->p50_ns = zs->p90_ns = zs->p95_ns = zs->p99_ns = zs->p999_ns = zs->mean_ns;
      for (int k = 0; k < FATHOM_PCT_N; k++) zs->pct_lo_ns[k] = zs->pct_hi_ns[k] = zs->mean_ns;
    }
    calls += zs->count;
  }
  p->meta.n_zones = p->meta.n_timed = calls;
}

CHECK_FN fathom_profile *mk_ok(void) {
  fathom_profile *p = xcalloc(1, sizeof *p);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  p->meta.fathom_version = xstrdup(FATHOM_VERSION_STRING);
  p->meta.session_name = xstrdup("check");
  p->meta.duration_ns = 20000000;   /* 20 ms */
  p->meta.overhead_ns = 1000;
  p->meta.overhead_pct = 0.5;
  p->meta.cpu_time_ns = 2e7;
  p->res.cpu_user_s = 0.015;
  p->res.cpu_sys_s = NAN;            /* not measured */
  p->res.gpu_util_mean_pct = NAN;
  p->res.gpu_util_max_pct = NAN;
  p->res.sys_mem_used_pct_max = 42;

  static const char *const zn[N_ZONES] = {"main", "parse", "read", "rec"};
  p->n_zones = N_ZONES;
  p->zones = xcalloc(N_ZONES, sizeof *p->zones);
  for (uint32_t z = 0; z < N_ZONES; z++) {
    p->zones[z].name = xstrdup(zn[z]);
    p->zones[z].time_every = 1;
  }
  p->n_threads = N_THREADS;
  p->threads = xcalloc(N_THREADS, sizeof *p->threads);
  for (uint32_t t = 0; t < N_THREADS; t++) {
    p->threads[t].tid = 100 + t;
    p->threads[t].name = xstrdup(t ? "worker" : "main");
  }
  static const uint32_t zone[N_NODES] = {0, 1, 2, 2, 3, 3, 0};
  static const uint32_t up[N_NODES] = {FATHOM_NONE, 0, 1, 0, 0, 4, FATHOM_NONE};
  static const uint32_t thr[N_NODES] = {0, 0, 0, 0, 0, 0, 1};
  static const uint64_t count[N_NODES] = {1, 4, 8, 2, 1, 2, 1};
  static const uint64_t total[N_NODES] = {10000000, 6000000, 2000000, 1000000,
                                          500000,   300000,  5000000};
  p->n_nodes = N_NODES;
  p->nodes = xcalloc(N_NODES, sizeof *p->nodes);
  for (uint32_t i = 0; i < N_NODES; i++) {
    fathom_node *nd = &p->nodes[i];
    nd->zone = zone[i];
    nd->parent = up[i];
    nd->thread = thr[i];
    nd->depth = up[i] == FATHOM_NONE ? 1 : p->nodes[up[i]].depth + 1;
    nd->time_every = 1;
    set_node(p, i, count[i], total[i]);
  }
  /* probed CPU on parse: user + system = cpu */
  fathom_res *r[2] = {&p->nodes[1].res, &p->zones[1].res};
  for (int k = 0; k < 2; k++) {
    r[k]->samples = 4;
    r[k]->sample_every = 1;
    r[k]->mask = 1u << FATHOM_RES_CPU_USER_NS | 1u << FATHOM_RES_CPU_SYS_NS |
                 1u << FATHOM_RES_CPU_NS | 1u << FATHOM_RES_WALL_NS;
    r[k]->sum[FATHOM_RES_CPU_USER_NS] = 4e6;
    r[k]->sum[FATHOM_RES_CPU_SYS_NS] = 1e6;
    r[k]->sum[FATHOM_RES_CPU_NS] = 5e6;
    r[k]->sum[FATHOM_RES_WALL_NS] = 6e6;
  }
  rollup(p);

  p->n_counters = 1;
  p->counters = xcalloc(1, sizeof *p->counters);
  p->counters[0].name = xstrdup("rows");
  p->timeline = 1;
  p->n_events = 2;
  p->events = xcalloc(2, sizeof *p->events);
  p->events[0] = (fathom_event){.thread = 0, .zone = 0, .depth = 1, .ts_ns = 100,
                                .dur_ns = 10000000};
  p->events[1] = (fathom_event){.thread = 0, .zone = 1, .depth = 2, .ts_ns = 200,
                                .dur_ns = 1500000};
  p->n_counter_events = 1;
  p->counter_events = xcalloc(1, sizeof *p->counter_events);
  p->counter_events[0] =
      (fathom_counter_event){.counter = 0, .thread = FATHOM_NONE, .ts_ns = 300, .value = 1.0};

  p->n_findings = 1;
  p->findings = xcalloc(1, sizeof *p->findings);
  fathom_finding *f = &p->findings[0];
  *f = (fathom_finding){.rank = 1, .cls = FATHOM_FIND_HOT_PATH, .severity = FATHOM_SEV_WARNING,
                        .score = 40, .zone = 1, .node = 1};
  f->path = xstrdup("main;parse");
  f->summary = xstrdup("40 % in its own code");
  f->n_figures = 3;
  f->figures = xcalloc(3, sizeof *f->figures);
  static const char *const fig_name[3] = {"self_share_pct", "own_cpu_pct" /* not a share */,
                                          "cpu_share_pct"};
  static const double fig_value[3] = {40, 150, 100 + 1e-8 /* inside the relative slack */};
  for (int k = 0; k < 3; k++) {
    f->figures[k].name = xstrdup(fig_name[k]);
    f->figures[k].value = fig_value[k];
    f->figures[k].unit = xstrdup("%");
  }
  f->n_suggestions = 1;
  f->suggestions = xcalloc(1, sizeof *f->suggestions);
  f->suggestions[0] = xstrdup("run it less");

  p->n_slas = 1;
  p->slas = xcalloc(1, sizeof *p->slas);
  p->slas[0] = (fathom_sla_result){.zone_name = xstrdup("parse"), .zone = 1, .percentile = 99,
                                   .target_ns = 5e6, .actual_ns = 2.7e6, .count = 4, .met = 1,
                                   .timed = 4, .actual_lo_ns = 2.5e6, .actual_hi_ns = 2.9e6};
  p->n_throughput = 2;
  p->throughput = xcalloc(2, sizeof *p->throughput);
  p->throughput[0] = (fathom_throughput_info){.kind = FATHOM_TPUT_ZONE, .index = 1,
                                              .mean_per_s = 200, .window_s = 60,
                                              .last_per_s = 200, .peak_per_s = 250, .calls = 4,
                                              .timed = 4};
  p->throughput[1] = (fathom_throughput_info){.kind = FATHOM_TPUT_COUNTER, .index = 0,
                                              .mean_per_s = 50, .window_s = 60,
                                              .last_per_s = 50, .peak_per_s = 50, .calls = 1};
  p->n_mem_snapshots = 1;
  p->mem_snapshots = xcalloc(1, sizeof *p->mem_snapshots);
  fathom_mem_snapshot_info *s = &p->mem_snapshots[0];
  s->label = xstrdup("epoch");
  s->n = 1;
  s->zone = xcalloc(1, sizeof *s->zone);
  s->zone_live_count = xcalloc(1, sizeof *s->zone_live_count);
  s->zone_live_bytes = xcalloc(1, sizeof *s->zone_live_bytes);
  s->zone[0] = 2;
  p->n_gov_actions = 1;
  p->gov_actions = xcalloc(1, sizeof *p->gov_actions);
  p->gov_actions[0] = (fathom_gov_action){.ts_ns = 1000, .zone = FATHOM_NONE,
                                          .gov = FATHOM_GOV_TIME_SAMPLED, .value = 4,
                                          .overhead_pct = 1.5};
  return p;
}

/* Checks p: the number of violations must be `want`, and each of the NULL-terminated needles
 * must occur in the messages. */
CHECK_FN void expect(const fathom_profile *p, int want, ...) {
  int n = fathom_profile_check(p, msg, sizeof msg);
  if (n != want) fail_msg("expected %d violation(s), got %d:\n%s", want, n, msg);
  /* one line per violation (nothing is truncated at this size) */
  int lines = 0;
  for (const char *s = msg; *s; s++) lines += *s == '\n';
  assert_int_equal(lines, want);
  va_list ap;
  va_start(ap, want);
  for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;)
    if (!strstr(msg, needle)) fail_msg("no '%s' in the messages:\n%s", needle, msg);
  va_end(ap);
}

#endif /* FATHOM_CHECK_FIXTURE_H */
