/* test_check.c: fathom_profile_check (src/lib/check.c): a hand-built consistent model passes;
 * each rule, broken one at a time, is reported (the count and a message naming the rule and
 * the node's path); NULL arrays with n > 0 are reported, never dereferenced; random hostile
 * indices never crash it; the message buffer is bounded and truncated with "...\n"; and the
 * library's hook fz_check_env (FATHOM_CHECK, FATHOM_CHECK_FAIL_FILE).
 *
 * Invariant: every model here is built by mk_ok() and changed in one place per case, so the
 * expected count is exact; the environment the ctest run sets (FATHOM_CHECK_FAIL_FILE pointing
 * at the run's shared log) is replaced by this group's own file before fz_check_env runs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fathom.h"

#define MSG_CAP (64 * 1024)
static char msg[MSG_CAP];

static char *xstrdup(const char *s) {
  char *d = strdup(s);
  assert_non_null(d);
  return d;
}
static void *xcalloc(size_t n, size_t size) {
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

static void set_node(fathom_profile *p, uint32_t i, uint64_t count, uint64_t total) {
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
static void rollup(fathom_profile *p) {
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

static fathom_profile *mk_ok(void) {
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
static void expect(const fathom_profile *p, int want, ...) {
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

/* ---- a consistent model ---------------------------------------------------------------- */

static void test_consistent(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  msg[0] = 'x';
  assert_int_equal(fathom_profile_check(p, msg, sizeof msg), 0);
  assert_string_equal(msg, "");
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  assert_int_equal(fathom_profile_check(p, NULL, 100), 0);
  fathom_profile_free(p);

  fathom_profile empty;
  memset(&empty, 0, sizeof empty);
  assert_int_equal(fathom_profile_check(&empty, msg, sizeof msg), 0);
  assert_int_equal(fathom_profile_check(NULL, msg, sizeof msg), FATHOM_E_INVAL);
  assert_string_equal(msg, "");
}

/* ---- each rule broken alone -------------------------------------------------------------- */

static void test_self_above_total(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[2].stats.self_ns = p->nodes[2].stats.total_ns + 5;
  /* the node, and its zone's roll-up of self times no longer matching */
  expect(p, 2, "node 2 (main;parse;read, thread 0): self 2.00 ms > total 2.00 ms (+5 ns)",
         "zone 2 (read): self", NULL);
  p->nodes[2].stats.self_ns = p->nodes[2].stats.total_ns + 1;   /* 1 ns of slack */
  rollup(p);
  p->nodes[2].stats.self_ns = p->nodes[2].stats.total_ns + 1;
  p->zones[2].stats.self_ns += 1;
  expect(p, 0, NULL);
  fathom_profile_free(p);
}

static void test_children_above_total(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  set_node(p, 1, 4, 1500000);   /* parse: 1.5 ms, its child read 2 ms */
  rollup(p);
  expect(p, 1, "node 1 (main;parse, thread 0): children total 2.00 ms > total 1.50 ms", NULL);
  fathom_profile_free(p);

  /* slack: 1 ns per child */
  p = mk_ok();
  set_node(p, 0, 1, 1500000 - 3);
  set_node(p, 1, 4, 1000000);
  set_node(p, 2, 8, 1000000);
  set_node(p, 3, 2, 300000);
  set_node(p, 4, 1, 200000);
  set_node(p, 5, 2, 100000);
  rollup(p);    /* main's children: 1 + 0.3 + 0.2 ms = 1.5 ms = main + 3 ns */
  expect(p, 0, NULL);
  set_node(p, 0, 1, 1500000 - 4);
  rollup(p);
  expect(p, 1, "node 0 (main, thread 0): children total 1.50 ms > total 1.50 ms (+4 ns, 3 children)",
         NULL);
  fathom_profile_free(p);
}

static void test_thread_above_duration(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->meta.duration_ns = 9000000;   /* thread 0's main lasted 10 ms, thread 1's 5 ms */
  expect(p, 1, "thread 0: top-level total 10.00 ms > session duration 9.00 ms", NULL);
  p->meta.duration_ns = 10000000 - 1;   /* one top-level node: 1 ns of slack */
  expect(p, 0, NULL);
  fathom_profile_free(p);
}

static void test_shares(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->findings[0].figures[0].value = 120;
  expect(p, 1, "finding 0 (hot_path main;parse): self_share_pct 120.00 % > 100 %", NULL);
  p->findings[0].figures[0].value = NAN;
  expect(p, 1, "self_share_pct nan", NULL);
  p->findings[0].figures[0].value = 40;
  p->res.gpu_util_max_pct = 101;
  p->res.sys_mem_used_pct_max = 100.5;
  expect(p, 2, "resources: gpu_util_max_pct 101.00 % > 100 %", "sys_mem_used_pct_max", NULL);
  fathom_profile_free(p);
}

static void test_cpu_negative(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[1].res.sum[FATHOM_RES_CPU_SYS_NS] = -5;
  p->zones[1].res.sum[FATHOM_RES_CPU_USER_NS] = -1;
  p->res.cpu_user_s = -0.5;
  p->res.cpu_sys_s = NAN;   /* not measured: fine */
  expect(p, 3, "node 1 (main;parse, thread 0): cpu_sys_ns -5 ns is negative",
         "zone 1 (parse): cpu_user_ns -1 ns", "resources: cpu_user_s -0.50 < 0", NULL);
  p->nodes[1].res.sum[FATHOM_RES_CPU_SYS_NS] = -5;
  p->nodes[1].res.mask = 0;   /* not measured there: not judged */
  p->zones[1].res.sum[FATHOM_RES_CPU_USER_NS] = 0;
  p->res.cpu_user_s = 0;
  expect(p, 0, NULL);
  fathom_profile_free(p);
}

static void test_timed_above_count(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[3].stats.timed = 3;   /* 2 calls; and zone read's timed no longer adds up */
  expect(p, 2, "node 3 (main;read, thread 0): timed 3 > count 2",
         "zone 2 (read): timed 10 != 11", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->slas[0].timed = 5;
  p->throughput[0].timed = 5;
  p->meta.n_timed = p->meta.n_zones + 1;
  expect(p, 3, "sla 0 (parse): timed 5 > count 4", "throughput 0: timed 5 > calls 4",
         "meta: n_timed 20 > n_zones 19", NULL);
  fathom_profile_free(p);
}

static void test_percentiles(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  fathom_stats *st = &p->nodes[1].stats;   /* d = 1.5 ms */
  st->p90_ns = 1400000;                    /* below p50, still inside its interval */
  st->pct_lo_ns[1] = 1300000;
  expect(p, 1, "node 1 (main;parse, thread 0): percentiles out of order: p90 1.40 ms < p50 1.50 ms",
         NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->nodes[1].stats.p99_ns = NAN;
  expect(p, 1, "p99 nan ns is not finite", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  st = &p->nodes[1].stats;                 /* max 3 ms */
  st->p999_ns = 3000000 + 10;
  st->pct_hi_ns[4] = 4e6;
  expect(p, 1, "p99.9 3.00 ms outside [min 750.00 us, max 3.00 ms]", NULL);
  st->p999_ns = 3000000 + 1;               /* 1 ns of slack */
  expect(p, 0, NULL);
  st->max_ns = 1;                          /* min > max */
  expect(p, 1, "min 750.00 us > max 1 ns", NULL);
  fathom_profile_free(p);
}

static void test_mean(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[1].stats.mean_ns = 3000000 + 100;
  expect(p, 1, "node 1 (main;parse, thread 0): mean 3.00 ms outside [min 750.00 us, max 3.00 ms]",
         NULL);
  p->nodes[1].stats.timed = 0;   /* "every call" in a hand-built model: not judged */
  expect(p, 0, NULL);
  p->nodes[1].stats.timed = 4;
  p->nodes[1].stats.mean_ns = 1e6;
  p->nodes[1].stats.stddev_ns = -1;
  expect(p, 1, "stddev -1 ns is negative", NULL);
  fathom_profile_free(p);
}

static void test_errors(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[1].stats.total_se_ns = -1;
  p->nodes[2].stats.self_se_ns = INFINITY;
  p->zones[0].stats.total_se_ns = NAN;
  p->zones[0].stats.overhead_ns = -3;
  expect(p, 4, "node 1 (main;parse, thread 0): total_se_ns -1.00 is negative or not finite",
         "node 2 (main;parse;read, thread 0): self_se_ns inf", "zone 0 (main): total_se_ns nan",
         "zone 0 (main): overhead_ns -3.00", NULL);
  fathom_profile_free(p);
}

static void test_intervals(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[1].stats.pct_lo_ns[0] = 1500000 + 1;   /* above p50 */
  p->zones[2].stats.pct_hi_ns[4] = 0;
  p->slas[0].actual_lo_ns = 2.8e6;
  expect(p, 3, "node 1 (main;parse, thread 0): p50 1.50 ms outside its interval [1.50 ms, ",
         "zone 2 (read): p99.9", "sla 0 (parse): actual 2.70 ms outside its interval", NULL);
  fathom_profile_free(p);
}

static void test_rollups(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->zones[1].stats.count += 1;
  expect(p, 1, "zone 1 (parse): count 5 != 4, the sum of its 1 nodes' counts", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->zones[2].stats.total_ns += 2;   /* 2 outermost nodes: 2 ns of slack */
  expect(p, 0, NULL);
  p->zones[2].stats.total_ns += 98;
  expect(p, 1, "zone 2 (read): total 3.00 ms != 3.00 ms, the sum of the totals of its 2 outermost",
         NULL);
  fathom_profile_free(p);

  /* recursion: rec's total is its outer node's (0.5 ms), not both nodes' (0.8 ms) */
  p = mk_ok();
  assert_int_equal(p->zones[3].stats.total_ns, 500000);
  assert_int_equal(p->zones[3].stats.count, 3);
  expect(p, 0, NULL);
  p->zones[3].stats.total_ns = 800000;
  expect(p, 1, "zone 3 (rec): total 800.00 us != 500.00 us", NULL);
  fathom_profile_free(p);
}

static void test_meta(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->meta.overhead_pct = -1;
  expect(p, 1, "meta: overhead_pct -1.00 is negative", NULL);
  p->meta.overhead_pct = NAN;
  expect(p, 1, "meta: overhead_pct nan", NULL);
  p->meta.overhead_pct = 0;
  p->meta.overhead_ns = -1;
  expect(p, 1, "meta: overhead_ns -1.00", NULL);
  fathom_profile_free(p);
}

static void test_indices(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[3].zone = 99;   /* and zone read misses its calls, self and total */
  expect(p, 4, "node 3 (main;?, thread 0): zone 99 out of range (4 zones)",
         "zone 2 (read): count 10 != 8, the sum of its 1 nodes' counts",
         "zone 2 (read): self 3.00 ms != 2.00 ms", "zone 2 (read): total 3.00 ms != 2.00 ms", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->nodes[3].thread = 7;
  expect(p, 2, "node 3 (main;read, thread 7): thread 7 out of range (2 threads)",
         "thread 7 but its parent node 0 is on thread 0", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->nodes[1].parent = 5;
  expect(p, 1, "node 1 (...;parse, thread 0): parent 5 does not precede it", NULL);
  p->nodes[1].parent = 1;   /* itself */
  expect(p, 1, "parent 1 does not precede it", NULL);
  p->nodes[1].parent = 0;
  p->nodes[3].depth = 3;
  expect(p, 1, "node 3 (main;read, thread 0): depth 3 but its parent node 0 has depth 1", NULL);
  p->nodes[3].depth = 2;
  p->nodes[6].depth = 2;
  expect(p, 1, "node 6 (main, thread 1): depth 2 for a top-level node", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->findings[0].zone = 9;
  expect(p, 1, "finding 0 (hot_path main;parse): zone 9 out of range (4 zones)", NULL);
  p->findings[0].zone = 1;
  p->findings[0].node = 99;
  expect(p, 1, "node 99 out of range (7 nodes)", NULL);
  p->findings[0].node = 2;
  expect(p, 1, "node 2 is a path of zone 2, not of its zone 1", NULL);
  p->findings[0].node = FATHOM_NONE;
  p->findings[0].cls = FATHOM_FIND_N;
  p->findings[0].severity = (fathom_severity)7;
  expect(p, 2, "class 14 out of range", "severity 7 out of range", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->events[0].thread = 5;
  p->events[1].zone = 9;
  p->counter_events[0].counter = 3;
  expect(p, 3, "event 0: thread 5 out of range (2 threads)", "event 1: zone 9 out of range",
         "counter event 0: counter 3 out of range (1 counters)", NULL);
  p->events[0].thread = 0;
  p->events[1].zone = 1;
  p->counter_events[0].counter = 0;
  p->counter_events[0].thread = 2;
  p->events[1].ts_ns = 50;
  expect(p, 2, "counter event 0: thread 2 out of range", "event 1: ts_ns 50 before the previous", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->slas[0].zone = 9;
  p->throughput[0].index = 9;
  p->throughput[1].index = 1;
  p->mem_snapshots[0].zone[0] = 9;
  p->gov_actions[0].zone = 9;
  expect(p, 5, "sla 0 (parse): zone 9 out of range", "throughput 0: zone 9 out of range",
         "throughput 1: counter 1 out of range (1 counters)",
         "memory snapshot 0 (epoch): zone 9 out of range", "governor action 0: zone 9", NULL);
  fathom_profile_free(p);
}

static void test_hist(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  fathom_hist *h = &p->nodes[2].hist;
  h->n = 3;
  h->bucket = xcalloc(3, sizeof *h->bucket);
  h->count = xcalloc(3, sizeof *h->count);
  h->bucket[0] = 5, h->bucket[1] = 9, h->bucket[2] = 70;
  expect(p, 0, NULL);
  h->bucket[2] = 9;
  expect(p, 1, "node 2 (main;parse;read, thread 0): histogram buckets not ascending (9 after 9)",
         NULL);
  h->bucket[2] = FATHOM_HIST_BUCKETS;
  expect(p, 1, "histogram bucket 2560 out of range", NULL);
  fathom_profile_free(p);
}

/* ---- hostile models ------------------------------------------------------------------------- */

static void test_null_arrays(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
#define NULLED(field, want, needle)         \
  do {                                      \
    void *keep = (void *)p->field;          \
    p->field = NULL;                        \
    expect(p, want, needle, NULL);          \
    p->field = keep;                        \
  } while (0)
  NULLED(nodes, 1, "meta: 7 nodes but a NULL p->nodes array");
  NULLED(zones, 1, "meta: 4 zones but a NULL p->zones array");
  NULLED(threads, 1, "meta: 2 threads but a NULL p->threads array");
  NULLED(counters, 1, "1 counters but a NULL p->counters array");
  NULLED(events, 1, "2 events but a NULL p->events array");
  NULLED(counter_events, 1, "1 counter events but a NULL");
  NULLED(findings, 1, "1 findings but a NULL p->findings array");
  NULLED(findings[0].figures, 1, "finding 0 (hot_path main;parse): 3 figures but no figures array");
  NULLED(findings[0].suggestions, 1, "1 suggestions but no suggestions array");
  NULLED(slas, 1, "1 SLAs but a NULL p->slas array");
  NULLED(throughput, 1, "2 throughput entries but a NULL");
  NULLED(mem_snapshots, 1, "1 memory snapshots but a NULL");
  NULLED(mem_snapshots[0].zone, 1, "memory snapshot 0 (epoch): 1 zones but a NULL zone array");
  NULLED(gov_actions, 1, "1 governor actions but a NULL");
  p->nodes[1].n_metrics = 2;
  expect(p, 1, "node 1 (main;parse, thread 0): 2 metrics but no metrics array", NULL);
  p->nodes[1].n_metrics = 0;
  p->nodes[1].hist.n = 4;
  expect(p, 1, "node 1 (main;parse, thread 0): histogram of 4 buckets without its bucket array",
         NULL);
  p->nodes[1].hist.n = 0;
  p->n_gpus = 2;
  p->n_probes = 3;
  p->series.n_cols = 2;
  p->series.n = 5;
  expect(p, 5, "2 GPUs but no gpus array", "3 probes but no probes array",
         "series: 2 columns but no column names", "series: 5 rows but no ts_ns array",
         "series: 5 rows but no values", NULL);
  p->n_gpus = p->n_probes = p->series.n_cols = 0;
  p->series.n = 0;
#undef NULLED

  /* everything missing at once, with huge counts */
  fathom_profile h;
  memset(&h, 0, sizeof h);
  h.n_zones = h.n_nodes = h.n_threads = h.n_counters = UINT32_MAX;
  h.n_events = h.n_counter_events = UINT64_MAX;
  h.n_findings = h.n_slas = h.n_throughput = h.n_mem_snapshots = h.n_gov_actions = UINT32_MAX;
  h.n_gpus = h.n_probes = UINT32_MAX;
  h.series.n = UINT64_MAX;
  h.series.n_cols = UINT32_MAX;
  int n = fathom_profile_check(&h, msg, sizeof msg);
  assert_int_equal(n, 16);   /* 11 tables, GPUs, probes, 3 series arrays */
  fathom_profile_free(p);
}

/* Random indices, counts and figures in every place the checker reads one: no crash (ASan and
 * UBSan watch), a count >= 0, a NUL-terminated message within its buffer. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static uint32_t rnd_idx(void) {
  switch (rnd() % 4) {
    case 0: return FATHOM_NONE;
    case 1: return (uint32_t)rnd();
    default: return (uint32_t)(rnd() % 12);
  }
}
static double rnd_d(void) {
  static const double odd[] = {NAN, INFINITY, -INFINITY, -0.0, -1, 1e300, 5e-324};
  if (rnd() % 3 == 0) return odd[rnd() % 7];
  return (double)(rnd() % 20000000);
}
static void rnd_stats(fathom_stats *st) {
  if (rnd() % 2) return;
  st->count = rnd() % 3 ? rnd() % 20 : rnd();
  st->timed = rnd() % 3 ? rnd() % 20 : rnd();
  st->total_ns = rnd() % 2 ? rnd() : rnd() % 20000000;
  st->self_ns = rnd() % 2 ? rnd() : rnd() % 20000000;
  st->min_ns = rnd() % 20000000;
  st->max_ns = rnd() % 20000000;
  st->mean_ns = rnd_d();
  st->p50_ns = rnd_d();
  st->p999_ns = rnd_d();
  st->pct_lo_ns[rnd() % FATHOM_PCT_N] = rnd_d();
  st->total_se_ns = rnd_d();
}

static void test_fuzz(void **state) {
  (void)state;
  static char small[97];
  for (int it = 0; it < 3000; it++) {
    fathom_profile *p = mk_ok();
    for (uint32_t i = 0; i < p->n_nodes; i++) {
      fathom_node *nd = &p->nodes[i];
      if (rnd() % 3 == 0) nd->zone = rnd_idx();
      if (rnd() % 3 == 0) nd->parent = rnd_idx();
      if (rnd() % 3 == 0) nd->thread = rnd_idx();
      if (rnd() % 5 == 0) nd->depth = (uint32_t)rnd();
      rnd_stats(&nd->stats);
      if (rnd() % 4 == 0) nd->res.sum[FATHOM_RES_CPU_USER_NS] = rnd_d();
    }
    for (uint32_t z = 0; z < p->n_zones; z++) rnd_stats(&p->zones[z].stats);
    if (rnd() % 2) p->findings[0].zone = rnd_idx();
    if (rnd() % 2) p->findings[0].node = rnd_idx();
    if (rnd() % 4 == 0) p->findings[0].cls = (fathom_finding_class)(rnd() % 40 - 5);
    if (rnd() % 2) p->findings[0].figures[2].value = rnd_d();
    if (rnd() % 2) p->events[1].zone = rnd_idx();
    if (rnd() % 2) p->events[0].thread = rnd_idx();
    if (rnd() % 2) p->events[0].ts_ns = rnd();
    if (rnd() % 2) p->counter_events[0].thread = rnd_idx();
    if (rnd() % 2) p->slas[0].zone = rnd_idx();
    if (rnd() % 2) p->slas[0].actual_ns = rnd_d();
    if (rnd() % 2) p->throughput[0].kind = (fathom_tput_kind)(rnd() % 4);
    if (rnd() % 2) p->throughput[1].index = rnd_idx();
    if (rnd() % 2) p->mem_snapshots[0].zone[0] = rnd_idx();
    if (rnd() % 2) p->gov_actions[0].zone = rnd_idx();
    if (rnd() % 2) p->meta.duration_ns = rnd();
    if (rnd() % 2) p->meta.overhead_pct = rnd_d();
    if (rnd() % 4 == 0) p->zones[rnd() % N_ZONES].name[0] = (char)(rnd() % 2 ? '\n' : ';');
    size_t cap = rnd() % 3 == 0 ? sizeof small : (size_t)(rnd() % 8);
    memset(small, 'Z', sizeof small);
    int n = fathom_profile_check(p, small, cap);
    assert_true(n >= 0);
    if (cap) assert_true(strlen(small) < cap);
    for (size_t k = cap; k < sizeof small; k++) assert_int_equal(small[k], 'Z');
    int big = fathom_profile_check(p, msg, sizeof msg);
    assert_int_equal(big, n);
    /* one line per violation, each a "what: why" line */
    int lines = 0;
    for (const char *s = msg; *s; s++) lines += *s == '\n';
    assert_int_equal(lines, n);
    fathom_profile_free(p);
  }
}

/* ---- the message buffer ------------------------------------------------------------------------ */

static void test_truncation(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  free(p->events);
  p->n_events = 200;
  p->events = xcalloc(200, sizeof *p->events);
  for (uint32_t i = 0; i < 200; i++)
    p->events[i] = (fathom_event){.thread = 0, .zone = 99, .depth = 1, .ts_ns = i, .dur_ns = 1};
  char full[MSG_CAP];
  assert_int_equal(fathom_profile_check(p, full, sizeof full), 200);
  size_t all = strlen(full);
  assert_true(all > 200 * 20);

  /* exactly enough room: everything, no "..." */
  char *b = malloc(all + 1);
  assert_non_null(b);
  assert_int_equal(fathom_profile_check(p, b, all + 1), 200);
  assert_string_equal(b, full);
  /* one byte short: whole lines, then "...\n", within the buffer */
  assert_int_equal(fathom_profile_check(p, b, all), 200);
  size_t l = strlen(b);
  assert_true(l < all);
  assert_string_equal(b + l - 4, "...\n");
  assert_memory_equal(b, full, l - 4);
  assert_true(l == 4 || b[l - 5] == '\n');
  free(b);

  char small[100];
  memset(small, 'Z', sizeof small);
  assert_int_equal(fathom_profile_check(p, small, 100), 200);
  l = strlen(small);
  assert_true(l < 100);
  assert_string_equal(small + l - 4, "...\n");
  assert_memory_equal(small, "event 0: zone 99 out of range (4 zones)\n", 40);
  assert_memory_equal(small, full, l - 4);

  static const struct { size_t cap; const char *want; } tiny[] = {
      {1, ""}, {2, "."}, {4, "..."}, {5, "...\n"}, {30, "...\n"}};
  for (size_t k = 0; k < sizeof tiny / sizeof tiny[0]; k++) {
    memset(small, 'Z', sizeof small);
    assert_int_equal(fathom_profile_check(p, small, tiny[k].cap), 200);
    assert_string_equal(small, tiny[k].want);
    assert_int_equal(small[tiny[k].cap], 'Z');
  }
  small[0] = 'Z';
  assert_int_equal(fathom_profile_check(p, small, 0), 200);   /* cap 0: nothing written */
  assert_int_equal(small[0], 'Z');
  assert_int_equal(fathom_profile_check(p, NULL, 1000), 200);
  fathom_profile_free(p);
}

/* Names with control bytes stay on one line; numbers never take the locale's comma. */
static void test_names_and_locale(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  free(p->zones[1].name);
  p->zones[1].name = xstrdup("pa\nr\tse");
  free(p->zones[0].name);
  p->zones[0].name = NULL;
  p->nodes[1].stats.self_ns = p->nodes[1].stats.total_ns + 5;
  const char *loc = setlocale(LC_NUMERIC, "de_DE.UTF-8");
  expect(p, 2, "node 1 ((null);pa?r?se, thread 0): self 6.00 ms > total 6.00 ms (+5 ns)",
         "zone 1 (pa?r?se): self", NULL);
  if (!loc) print_message("(de_DE.UTF-8 not available: the locale part was not exercised)\n");
  setlocale(LC_NUMERIC, "C");
  fathom_profile_free(p);

  /* a path deeper than the messages show */
  p = mk_ok();
  fathom_node *nd = realloc(p->nodes, 40 * sizeof *nd);
  assert_non_null(nd);
  p->nodes = nd;
  memset(&nd[N_NODES], 0, (40 - N_NODES) * sizeof *nd);
  for (uint32_t i = N_NODES; i < 40; i++) {
    nd[i].zone = 1;
    nd[i].parent = i == N_NODES ? 6 : i - 1;
    nd[i].thread = 1;
    nd[i].depth = nd[nd[i].parent].depth + 1;
  }
  p->n_nodes = 40;
  nd[39].stats.timed = 1;   /* count 0 */
  int n = fathom_profile_check(p, msg, sizeof msg);
  assert_true(n >= 1);
  if (!strstr(msg, "node 39 (...;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse, thread 1): timed 1 > count 0"))
    fail_msg("no cut path in:\n%s", msg);
  fathom_profile_free(p);
}

/* ---- the hook: FATHOM_CHECK, FATHOM_CHECK_FAIL_FILE ------------------------------------------ */

static size_t count_lines(const char *path, const char *prefix, size_t *matching) {
  FILE *f = fopen(path, "r");
  size_t n = 0;
  *matching = 0;
  if (!f) return 0;
  char line[2048];
  while (fgets(line, sizeof line, f)) {
    n++;
    if (strncmp(line, prefix, strlen(prefix)) == 0) (*matching)++;
  }
  fclose(f);
  return n;
}

static void test_env_hook(void **state) {
  (void)state;
  char dir[512], log[600], err[600];
  const char *t = getenv("FATHOM_TEST_TMP");
  snprintf(dir, sizeof dir, "%s/check.%ld", t && *t ? t : "/tmp", (long)getpid());
  mkdir(t && *t ? t : "/tmp", 0777);
  assert_true(mkdir(dir, 0777) == 0 || errno == EEXIST);
  snprintf(log, sizeof log, "%s/fail.log", dir);
  snprintf(err, sizeof err, "%s/stderr.txt", dir);
  unlink(log);
  /* never the run's shared log (check_failures would fail the whole run) */
  const char *run_log = getenv("FATHOM_CHECK_FAIL_FILE");
  char *saved_log = run_log ? xstrdup(run_log) : NULL;
  const char *run_on = getenv("FATHOM_CHECK");
  char *saved_on = run_on ? xstrdup(run_on) : NULL;
  setenv("FATHOM_CHECK_FAIL_FILE", log, 1);

  fathom_profile *bad = mk_ok();
  bad->nodes[1].stats.timed = 9;                 /* node 1: timed > count; zone 1's sum */
  bad->meta.overhead_pct = -2;
  fathom_profile *ok = mk_ok();

  fflush(stderr);
  int saved_err = dup(2), fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(saved_err >= 0 && fd >= 0);
  dup2(fd, 2);
  close(fd);

  unsetenv("FATHOM_CHECK");
  errno = 1234;
  int off = fz_check_env(bad, "unit");
  int e_off = errno;
  setenv("FATHOM_CHECK", "0", 1);
  int zero = fz_check_env(bad, "unit");
  setenv("FATHOM_CHECK", "1", 1);
  errno = 4321;
  int n1 = fz_check_env(bad, "unit");
  int e_on = errno;
  int n2 = fz_check_env(bad, "unit");            /* the same lines: not printed again */
  int n3 = fz_check_env(ok, "unit");
  int n4 = fz_check_env(NULL, "unit");
  bad->meta.overhead_pct = -3;                   /* a new line */
  int n5 = fz_check_env(bad, "unit");

  fflush(stderr);
  dup2(saved_err, 2);
  close(saved_err);

  assert_int_equal(off, 0);
  assert_int_equal(e_off, 1234);
  assert_int_equal(zero, 0);
  assert_int_equal(n1, 3);
  assert_int_equal(e_on, 4321);
  assert_int_equal(n2, 3);
  assert_int_equal(n3, 0);
  assert_int_equal(n4, 0);
  assert_int_equal(n5, 3);

  char prefix[128];
  snprintf(prefix, sizeof prefix, "pid %ld (test_check): unit: ", (long)getpid());
  size_t match, lines = count_lines(log, prefix, &match);
  assert_int_equal(lines, 4);   /* 3, then the one new line */
  assert_int_equal(match, 4);
  lines = count_lines(err, "fathom: check: unit: ", &match);
  assert_int_equal(lines, 4);
  assert_int_equal(match, 4);
  FILE *f = fopen(log, "r");
  assert_non_null(f);
  char text[4096];
  size_t got = fread(text, 1, sizeof text - 1, f);
  text[got] = '\0';
  fclose(f);
  if (!strstr(text, "unit: node 1 (main;parse, thread 0): timed 9 > count 4\n") ||
      !strstr(text, "unit: meta: overhead_pct -2.00") || !strstr(text, "unit: meta: overhead_pct -3.00"))
    fail_msg("unexpected log:\n%s", text);

  fathom_profile_free(bad);
  fathom_profile_free(ok);
  unlink(log);
  unlink(err);
  rmdir(dir);
  if (saved_log) setenv("FATHOM_CHECK_FAIL_FILE", saved_log, 1);
  else unsetenv("FATHOM_CHECK_FAIL_FILE");
  if (saved_on) setenv("FATHOM_CHECK", saved_on, 1);
  else unsetenv("FATHOM_CHECK");
  free(saved_log);
  free(saved_on);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_consistent),
      cmocka_unit_test(test_self_above_total),
      cmocka_unit_test(test_children_above_total),
      cmocka_unit_test(test_thread_above_duration),
      cmocka_unit_test(test_shares),
      cmocka_unit_test(test_cpu_negative),
      cmocka_unit_test(test_timed_above_count),
      cmocka_unit_test(test_percentiles),
      cmocka_unit_test(test_mean),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_intervals),
      cmocka_unit_test(test_rollups),
      cmocka_unit_test(test_meta),
      cmocka_unit_test(test_indices),
      cmocka_unit_test(test_hist),
      cmocka_unit_test(test_null_arrays),
      cmocka_unit_test(test_fuzz),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_names_and_locale),
      cmocka_unit_test(test_env_hook),
  };
  return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
