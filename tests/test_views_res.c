/* test_views_res.c: the schema-2 parts of the model and its views, on a hand-built profile
 * whose every resource figure is known: resource names, memory-snapshot differences, the
 * statistics merge with sampled timing, the text report's resource sections (and their
 * absence for a BASIC profile), the CSV's per-path resource columns, the Chrome trace's
 * counter tracks.
 *
 * Invariant: every expected figure is derived by hand from the model built here (the comment
 * by each says how), so a view that estimates, merges or labels wrongly fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"
#include "model/model.h"
#include "views_fixture.h" /* render */

#define MiB 1048576.0
#define GiB (1024.0 * MiB)

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

static void set_node(fathom_profile *p, uint32_t i, uint32_t zone, uint32_t parent,
                     uint32_t thread, uint64_t count, uint64_t total, uint64_t self) {
  fathom_node *nd = &p->nodes[i];
  nd->zone = zone;
  nd->parent = parent;
  nd->thread = thread;
  nd->depth = parent == FATHOM_NONE ? 1 : p->nodes[parent].depth + 1;
  nd->stats.count = nd->stats.timed = count;
  nd->stats.total_ns = total;
  nd->stats.self_ns = self;
  nd->stats.min_ns = nd->stats.max_ns = total / count;
  nd->stats.mean_ns = (double)total / (double)count;
  nd->time_every = 1;
}

static void set_snapshot(fathom_mem_snapshot_info *s, const char *label, uint64_t ts, uint32_t n,
                         const uint32_t *zone, const uint64_t *count, const uint64_t *bytes) {
  s->label = xstrdup(label);
  s->ts_ns = ts;
  s->rss_bytes = 1.5 * GiB;
  s->n = n;
  s->zone = xcalloc(n, sizeof *s->zone);
  s->zone_live_count = xcalloc(n, sizeof *s->zone_live_count);
  s->zone_live_bytes = xcalloc(n, sizeof *s->zone_live_bytes);
  for (uint32_t k = 0; k < n; k++) {
    s->zone[k] = zone[k];
    s->zone_live_count[k] = count[k];
    s->zone_live_bytes[k] = bytes[k];
    s->live_count += count[k];
    s->live_bytes += bytes[k];
  }
}

enum { Z_STEP, Z_LOAD, Z_COMPUTE };

/* A DETAILED session of 10 s on two threads:
 *   T0: step 100 x (6 s) { load 100 x (2 s), compute 3300 x (3 s) }
 *   T1: step 50 x (3 s) { compute 3300 x (1 s) }
 * with probes on compute (412 of 6600 calls, 1 in 16) and load (every call), allocations,
 * FLOPs, the governor having thinned compute, a monitor series, two GPUs, three memory
 * snapshots. */
static fathom_profile *rich(void) {
  fathom_profile *p = xcalloc(1, sizeof *p);
  fathom_meta *m = &p->meta;
  m->schema_version = FATHOM_SCHEMA_VERSION;
  m->session_name = xstrdup("rich");
  m->duration_ns = 10000000000ULL;
  m->pid = 777;
  m->n_cpus = 4;
  m->level = FATHOM_LEVEL_DETAILED;
  m->clock_source = xstrdup("tsc");
  m->cpu_time_ns = 8e9;
  m->zone_cost_ns = 25;
  m->overhead_pct = 3.2;
  m->overhead_budget_pct = 5;
  m->governor = 1;
  m->probe_cost_ns = 850;
  m->monitor_cpu_ns = 12e6;
  m->sample_every = 16;
  m->alloc_tracking = 1;

  static const char *const names[] = {"step", "load", "compute"};
  static const char *const comps[] = {"app", "io", "math"};
  p->n_zones = 3;
  p->zones = xcalloc(3, sizeof *p->zones);
  for (int z = 0; z < 3; z++) {
    p->zones[z].name = xstrdup(names[z]);
    p->zones[z].component = xstrdup(comps[z]);
    p->zones[z].time_every = 1;
  }
  p->n_threads = 2;
  p->threads = xcalloc(2, sizeof *p->threads);
  p->threads[0] = (fathom_thread_info){1001, xstrdup("main"), 0, 0, 3500, 0, 0, FATHOM_NONE};
  p->threads[1] = (fathom_thread_info){1002, xstrdup("worker"), 0, 0, 3350, 0, 0, FATHOM_NONE};
  p->n_nodes = 5;
  p->nodes = xcalloc(5, sizeof *p->nodes);
  set_node(p, 0, Z_STEP, FATHOM_NONE, 0, 100, 6000000000, 1000000000);
  set_node(p, 1, Z_LOAD, 0, 0, 100, 2000000000, 2000000000);
  set_node(p, 2, Z_COMPUTE, 0, 0, 3300, 3000000000, 3000000000);
  set_node(p, 3, Z_STEP, FATHOM_NONE, 1, 50, 3000000000, 2000000000);
  set_node(p, 4, Z_COMPUTE, 3, 1, 3300, 1000000000, 1000000000);
  fathom_node *n = p->nodes;
  /* resource sums are estimates over all calls (schema 4): 206 of 3300 calls probed, 0.5 ms
   * CPU each, 3300 x 0.5 ms = 1.65 s */
  n[2].res = (fathom_res){.samples = 206, .sample_every = 16,
                          .mask = 1u << FATHOM_RES_CPU_USER_NS | 1u << FATHOM_RES_CPU_SYS_NS};
  n[2].res.sum[FATHOM_RES_CPU_USER_NS] = 1.65e9;
  n[4].res = (fathom_res){.samples = 206, .sample_every = 32,
                          .mask = 1u << FATHOM_RES_CPU_USER_NS | 1u << FATHOM_RES_INSTRUCTIONS |
                                  1u << FATHOM_RES_CYCLES};
  n[4].res.sum[FATHOM_RES_CPU_USER_NS] = 1.65e9;
  n[4].res.sum[FATHOM_RES_INSTRUCTIONS] = 2e9;
  n[4].res.sum[FATHOM_RES_CYCLES] = 1e9;
  n[1].alloc_self = (fathom_alloc){300, 30 * MiB, 270, 27 * MiB, 30, 3 * MiB, 31457.28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  n[1].alloc = n[1].alloc_self;
  n[2].alloc_self = (fathom_alloc){1, 1024, 0, 0, 1, 1024, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  n[4].alloc_self = (fathom_alloc){1, 1024, 1, 1024, 0, 0, 1.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  n[2].gov = FATHOM_GOV_PROBES_THINNED;
  n[4].gov = FATHOM_GOV_TIME_SAMPLED;
  n[4].time_every = 4;
  n[4].stats.timed = 825;   /* sampled timing: 825 of 3300 timed, total 1 s +- 20 ms (se) */
  n[4].stats.total_se_ns = 20e6;
  n[4].stats.self_se_ns = 20e6;
  n[2].flops = n[2].flops_self = 3e9;
  n[4].flops = n[4].flops_self = 1e9;

  /* zones: rolled up as the recorder would */
  for (uint32_t i = 0; i < p->n_nodes; i++) fz_stats_merge(&p->zones[n[i].zone].stats, &n[i].stats);
  fathom_zone_info *z = p->zones;
  z[Z_COMPUTE].res = (fathom_res){.samples = 412, .sample_every = 16,
                                  .mask = 1u << FATHOM_RES_CPU_USER_NS | 1u << FATHOM_RES_CPU_SYS_NS};
  z[Z_COMPUTE].res.sum[FATHOM_RES_CPU_USER_NS] = 3.3e9;   /* 3.3 s of 4 s */
  z[Z_COMPUTE].flops = 4e9;                                /* over 4 s: 1 GFLOP/s */
  z[Z_COMPUTE].gov = FATHOM_GOV_PROBES_THINNED | FATHOM_GOV_TIME_SAMPLED;
  z[Z_COMPUTE].time_every = 4;
  /* estimated (4125 of 6600 timed): errors and one percentile's interval, as the recorder
   * rolls them up (sqrt of the sum of the squares) */
  z[Z_COMPUTE].stats.total_se_ns = z[Z_COMPUTE].stats.self_se_ns = 20e6;
  z[Z_COMPUTE].stats.p99_ns = 1.2e6;
  z[Z_COMPUTE].stats.pct_lo_ns[3] = 1.1e6;
  z[Z_COMPUTE].stats.pct_hi_ns[3] = 1.3e6;
  z[Z_LOAD].res = (fathom_res){.samples = 100, .sample_every = 1,
                               .mask = 1u << FATHOM_RES_CPU_NS | 1u << FATHOM_RES_READ_BYTES |
                                       1u << FATHOM_RES_WRITE_BYTES};
  z[Z_LOAD].res.sum[FATHOM_RES_CPU_NS] = 0.5e9;   /* 25% of 2 s; only the user+sys sum known */
  z[Z_LOAD].res.sum[FATHOM_RES_READ_BYTES] = GiB;
  z[Z_LOAD].res.mask |= 1u << FATHOM_RES_READ_OPS | 1u << FATHOM_RES_WRITE_OPS;
  z[Z_LOAD].res.sum[FATHOM_RES_READ_OPS] = 16384;   /* 64 KiB a read call */
  z[Z_LOAD].alloc = n[1].alloc;
  z[Z_STEP].alloc = (fathom_alloc){1000, 10 * MiB, 1000, 10 * MiB, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  z[Z_LOAD].alloc_self = n[1].alloc_self;
  z[Z_COMPUTE].alloc_self = (fathom_alloc){2, 2048, 1, 1024, 1, 1024, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

  fathom_resources *r = &p->res;
  *r = (fathom_resources){.monitored = 1, .n_samples = 20, .wall_s = 10, .cpu_user_s = 7.5,
                          .cpu_sys_s = 0.5, .cpu_pct_mean = 80, .cpu_pct_max = 195,
                          .rss_initial_bytes = GiB, .rss_peak_bytes = 2 * GiB,
                          .rss_final_bytes = 1.5 * GiB, .vm_peak_bytes = 4 * GiB,
                          .sys_mem_total_bytes = 16 * GiB, .sys_mem_used_pct_max = 50,
                          .threads_max = 3, .read_bytes = GiB, .write_bytes = 0,
                          .disk_read_bytes = NAN, .disk_write_bytes = NAN, .net_rx_bytes = NAN,
                          .net_tx_bytes = NAN, .ctx_vol = 1234, .ctx_invol = 56,
                          .minflt = 12345, .majflt = 0, .gpu_mem_peak_bytes = 3 * GiB,
                          .gpu_util_mean_pct = 78, .gpu_util_max_pct = 99, .cpu_energy_j = 100,
                          .gpu_energy_j = 400, .energy_j = 500, .carbon_g_per_kwh = 475,
                          .carbon_g = 500 / 3.6e6 * 475, .flops = 4e9, .flops_per_s = 4e8,
                          .leaked_bytes = 3 * (uint64_t)MiB + 1024, .leaked_count = 31,
                          .host_cpu_pct_mean = 40, .host_cpu_pct_max = 95,
                          .disk_util_pct_max = 12.5};

  p->n_probes = 4;
  p->probes = xcalloc(4, sizeof *p->probes);
  p->probes[0] = (fathom_probe_info){xstrdup("rusage"), 1, xstrdup("thread CPU time")};
  p->probes[1] = (fathom_probe_info){xstrdup("perf_hw"), 0, xstrdup("perf_event_open: ENOENT")};
  p->probes[2] = (fathom_probe_info){xstrdup("perf_hw"), 0, xstrdup("perf_event_open: ENOENT")};
  p->probes[3] = (fathom_probe_info){xstrdup("rapl"), 0, NULL};

  p->n_gpus = 2;
  p->gpus = xcalloc(2, sizeof *p->gpus);
  p->gpus[0] = (fathom_gpu_info){0, xstrdup("Stand-in GPU A"), 16 * GiB, 3 * GiB, 2 * GiB, 78,
                                 99, 250, 70, 300};
  p->gpus[1] = (fathom_gpu_info){1, xstrdup("Stand-in GPU B"), 16 * GiB, GiB, NAN, 50, 60, 100,
                                 55, 100};

  static const char *const cols[] = {"cpu_user_pct", "cpu_sys_pct", "rss_bytes",
                                     "gpu0_util_pct", "gpu1_util_pct", "gpu0_mem_used_bytes",
                                     "queue_depth"};
  fathom_series *se = &p->series;
  se->interval_s = 0.5;
  se->n_cols = 7;
  se->cols = xcalloc(7, sizeof *se->cols);
  for (int k = 0; k < 7; k++) se->cols[k] = xstrdup(cols[k]);
  se->n = 3;
  se->ts_ns = xcalloc(3, sizeof *se->ts_ns);
  se->v = xcalloc(21, sizeof *se->v);
  static const uint64_t ts[] = {500000000, 1000000000, 1500001500};
  static const double v[] = {
      75.5, 4.5, 1.5 * GiB, 70, 40, 2 * GiB, NAN,   /* row 0: no queue depth */
      80, 5, 2 * GiB, NAN, NAN, NAN, 3,             /* row 1: GPUs not read */
      NAN, NAN, NAN, NAN, NAN, NAN, NAN};           /* row 2: nothing at all */
  memcpy(se->ts_ns, ts, sizeof ts);
  memcpy(se->v, v, sizeof v);

  p->n_mem_snapshots = 3;
  p->mem_snapshots = xcalloc(3, sizeof *p->mem_snapshots);
  {
    const uint32_t z0[] = {Z_STEP, Z_LOAD};
    const uint64_t c0[] = {10, 5}, b0[] = {1 * MiB, MiB / 2};
    set_snapshot(&p->mem_snapshots[0], "warmup", 1000000000, 2, z0, c0, b0);
    const uint32_t z1[] = {Z_COMPUTE, Z_LOAD, Z_STEP};
    const uint64_t c1[] = {1, 25, 10}, b1[] = {1024, 2.5 * MiB, 1 * MiB};
    set_snapshot(&p->mem_snapshots[1], "epoch 1", 5000000000, 3, z1, c1, b1);
    const uint32_t z2[] = {Z_LOAD, Z_COMPUTE};
    const uint64_t c2[] = {30, 0}, b2[] = {3 * MiB, 0};
    set_snapshot(&p->mem_snapshots[2], "end", 9000000000, 2, z2, c2, b2);
  }
  p->n_gov_actions = 2;
  p->gov_actions = xcalloc(2, sizeof *p->gov_actions);
  p->gov_actions[0] = (fathom_gov_action){2000000000, Z_COMPUTE, FATHOM_GOV_PROBES_THINNED, 16, 5.6};
  p->gov_actions[1] = (fathom_gov_action){3000000000, Z_COMPUTE, FATHOM_GOV_TIME_SAMPLED, 4, 5.2};
  return p;
}

static void has(const char *s, const char *want) {
  if (!strstr(s, want)) fail_msg("output lacks \"%s\":\n%s", want, s);
}

static void lacks(const char *s, const char *bad) {
  if (strstr(s, bad)) fail_msg("output has \"%s\":\n%s", bad, s);
}

/* The line of s holding want (a copy; caller frees). */
static char *line_with(const char *s, const char *want) {
  const char *at = strstr(s, want);
  if (!at) fail_msg("no line with \"%s\":\n%s", want, s);
  const char *b = at, *e = strchr(at, '\n');
  while (b > s && b[-1] != '\n') b--;
  if (!e) e = at + strlen(at);
  char *l = xcalloc((size_t)(e - b) + 1, 1);
  memcpy(l, b, (size_t)(e - b));
  return l;
}

/* The line holding every one of the NULL-terminated words, in that order. */
static void has_row(const char *s, ...) {
  va_list ap;
  va_start(ap, s);
  const char *first = va_arg(ap, const char *);
  char *l = line_with(s, first);
  const char *at = strstr(l, first) + strlen(first);
  for (const char *w; (w = va_arg(ap, const char *)) != NULL;) {
    const char *next = strstr(at, w);
    if (!next) fail_msg("line \"%s\" lacks \"%s\" (after \"%s\")", l, w, first);
    at = next + strlen(w);
  }
  va_end(ap);
  free(l);
}

/* ---- model functions ---- */

static void test_res_names(void **state) {
  (void)state;
  static const char *const want[FATHOM_RES_N] = {
      "cpu_user_ns", "cpu_sys_ns", "ctx_vol", "ctx_invol", "minflt", "majflt", "read_bytes",
      "write_bytes", "disk_read_bytes", "disk_write_bytes", "rss_delta_bytes", "instructions",
      "cycles", "cache_refs", "cache_misses", "branch_misses", "fp_ops", "wall_ns", "cpu_ns",
      "read_ops", "write_ops", "sock_sent_bytes", "sock_recv_bytes"};
  for (int i = 0; i < FATHOM_RES_N; i++) {
    assert_string_equal(fathom_res_name(i), want[i]);
    assert_int_equal(fz_res_parse(want[i]), i);
  }
  assert_null(fathom_res_name(-1));
  assert_null(fathom_res_name(FATHOM_RES_N));
  assert_int_equal(fz_res_parse("cpu"), -1);
  assert_int_equal(fz_res_parse(NULL), -1);
  assert_string_equal(fz_gov_name(FATHOM_GOV_DOWNGRADED), "downgraded");
  assert_null(fz_gov_name(3));
  assert_int_equal(fz_gov_parse("time_sampled"), FATHOM_GOV_TIME_SAMPLED);
  assert_int_equal(fz_gov_parse("x"), 0);
}

static void test_mem_diff(void **state) {
  (void)state;
  fathom_profile *p = rich();
  fathom_mem_delta d[8];
  /* warmup -> epoch 1: load +2 MiB (+20), compute +1 KiB (+1); step unchanged: left out */
  assert_int_equal(fathom_mem_snapshot_diff(p, "warmup", "epoch 1", d, 8), 2);
  assert_int_equal(d[0].zone, Z_LOAD);
  assert_int_equal(d[0].bytes, 2 * (int64_t)MiB);
  assert_int_equal(d[0].count, 20);
  assert_int_equal(d[1].zone, Z_COMPUTE);
  assert_int_equal(d[1].bytes, 1024);
  /* epoch 1 -> end: load +512 KiB, compute -1 KiB (-1), step gone: -1 MiB (-10) */
  assert_int_equal(fathom_mem_snapshot_diff(p, "epoch 1", "end", d, 8), 3);
  assert_int_equal(d[0].zone, Z_LOAD);
  assert_int_equal(d[0].bytes, 512 * 1024);
  assert_int_equal(d[1].zone, Z_COMPUTE);
  assert_int_equal(d[1].count, -1);
  assert_int_equal(d[2].zone, Z_STEP);
  assert_int_equal(d[2].bytes, -(int64_t)MiB);
  assert_int_equal(d[2].count, -10);
  /* a small cap still says how many changed; the largest come first */
  memset(d, 0xff, sizeof d);
  assert_int_equal(fathom_mem_snapshot_diff(p, "epoch 1", "end", d, 1), 3);
  assert_int_equal(d[0].zone, Z_LOAD);
  assert_int_equal(d[1].zone, UINT32_MAX);   /* untouched past cap */
  assert_int_equal(fathom_mem_snapshot_diff(p, "epoch 1", "end", NULL, 0), 3);
  assert_int_equal(fathom_mem_snapshot_diff(p, "end", "end", d, 8), 0);
  /* errors */
  assert_int_equal(fathom_mem_snapshot_diff(p, "nope", "end", d, 8), FATHOM_E_NOTFOUND);
  assert_int_equal(fathom_mem_snapshot_diff(p, "end", "nope", d, 8), FATHOM_E_NOTFOUND);
  assert_int_equal(fathom_mem_snapshot_diff(NULL, "end", "end", d, 8), FATHOM_E_INVAL);
  assert_int_equal(fathom_mem_snapshot_diff(p, NULL, "end", d, 8), FATHOM_E_INVAL);
  assert_int_equal(fathom_mem_snapshot_diff(p, "end", "end", NULL, 8), FATHOM_E_INVAL);
  /* a repeated label means its latest snapshot: "warmup" now also names the last one, so
   * warmup -> epoch 1 is end -> epoch 1, the reverse of above */
  free(p->mem_snapshots[2].label);
  p->mem_snapshots[2].label = xstrdup("warmup");
  assert_int_equal(fathom_mem_snapshot_diff(p, "warmup", "epoch 1", d, 8), 3);
  assert_int_equal(d[0].zone, Z_STEP);
  assert_int_equal(d[0].bytes, (int64_t)MiB);
  assert_int_equal(d[2].zone, Z_LOAD);
  /* entries naming a zone out of range are ignored: compute's entry of epoch 1 moved out,
   * compute is now 0 in both and unchanged */
  p->mem_snapshots[1].zone[0] = 99;
  assert_int_equal(fathom_mem_snapshot_diff(p, "warmup", "epoch 1", d, 8), 2);
  assert_int_equal(d[0].zone, Z_STEP);
  assert_int_equal(d[1].zone, Z_LOAD);
  fathom_profile_free(p);
  /* no snapshots at all */
  p = xcalloc(1, sizeof *p);
  assert_int_equal(fathom_mem_snapshot_diff(p, "a", "b", d, 8), FATHOM_E_NOTFOUND);
  fathom_profile_free(p);
}

/* Sampled timing (schema 4): the means are estimates over every call, so each side weighs
 * its calls; `timed` adds up, the standard errors add as variances. */
static void test_stats_merge_timed(void **state) {
  (void)state;
  fathom_stats a = {.count = 100, .timed = 10, .total_ns = 1000, .min_ns = 5, .max_ns = 15,
                    .mean_ns = 10, .stddev_ns = 0};
  fathom_stats b = {.count = 10, .timed = 10, .total_ns = 300, .min_ns = 30, .max_ns = 30,
                    .mean_ns = 30, .stddev_ns = 0};
  a.total_se_ns = 30, b.total_se_ns = 40;
  fz_stats_merge(&a, &b);
  assert_int_equal(a.count, 110);
  assert_int_equal(a.timed, 20);
  assert_true(fabs(a.mean_ns - (100 * 10.0 + 10 * 30.0) / 110) < 1e-9);   /* per call */
  assert_true(fabs(a.total_se_ns - 50.0) < 1e-12);                       /* sqrt(30^2 + 40^2) */
  assert_int_equal(a.max_ns, 30);
  assert_int_equal(a.min_ns, 5);
  /* legacy records (timed 0 = every call) stay legacy; mixed ones count every call */
  fathom_stats c = {.count = 3, .total_ns = 30, .min_ns = 10, .max_ns = 10, .mean_ns = 10};
  fathom_stats d = c;
  fz_stats_merge(&c, &d);
  assert_int_equal(c.count, 6);
  assert_int_equal(c.timed, 0);
  fz_stats_merge(&c, &b);
  assert_int_equal(c.timed, 16);
  /* a side whose calls were all counted but none timed does not move the mean */
  fathom_stats g = {.count = 10, .timed = 10, .total_ns = 300, .min_ns = 30, .max_ns = 30,
                    .mean_ns = 30};
  fathom_stats untimed = {.count = 3, .timed = 3, .total_ns = 0};
  untimed.timed = 0;   /* counted only (with g timed, 0 here means "none of them") */
  fathom_stats h = g;
  fz_stats_merge(&h, &(fathom_stats){.count = 5, .timed = 5, .total_ns = 250, .min_ns = 50,
                                     .max_ns = 50, .mean_ns = 50});
  assert_true(fabs(h.mean_ns - (10 * 30.0 + 5 * 50.0) / 15) < 1e-9);
  assert_int_equal(h.timed, 15);
  assert_int_equal(h.min_ns, 30);
  assert_int_equal(h.max_ns, 50);
  (void)untimed;
}

/* ---- text ---- */

static void test_text_resources(void **state) {
  (void)state;
  fathom_profile *p = rich();
  char *s = render(p, FATHOM_FORMAT_TEXT, 0);
  lacks(s, "\033");
  lacks(s, "n/a");
  /* the one-line summary: only what was measured (no network: NaN) */
  has(s, "Summary:     Peak RAM: 2.00 GiB, Wall Time: 10.000 s, CPU Time: 8.000 s, GPU Util: "
         "78%, Compute: 400 MFLOP/s, Energy: 500 J, Leak suspected: 3.00 MiB still live");
  has(s, "budget 5%");
  /* metric groups */
  has_row(s, "memory", "peak RAM (RSS)", "2.00 GiB", "initial 1.00 GiB", "final 1.50 GiB", NULL);
  has_row(s, "system memory", "50.0% used at most, of 16.0 GiB", NULL);
  has_row(s, "memory leak", "suspected: 3.00 MiB in 31 allocations", NULL);
  has_row(s, "timing", "wall time", "10.000 s", NULL);
  has_row(s, "CPU time  ", "8.000 s", "user 7.500 s, system 500.00 ms", NULL);
  has_row(s, "compute", "CPU utilization", "80.0% mean, 195.0% at most", "4 CPUs", NULL);
  has_row(s, "floating point", "4.00 GFLOP", "400 MFLOP/s", NULL);
  has_row(s, "GPU utilization", "78.0% mean, 99.0% at most", NULL);
  has_row(s, "system   I/O", "read 1.00 GiB, written 0 B", NULL);
  has_row(s, "disk busy", "12.5% at most", "busiest disk", NULL);
  has_row(s, "host CPU busy", "40.0% mean, 95.0% at most", "all 4 CPUs", NULL);
  has_row(s, "context switches", "1,234 voluntary", "56 involuntary", NULL);
  has_row(s, "page faults", "12,345 minor, 0 major", NULL);
  has_row(s, "energy", "CPU 100 J, GPU 400 J, total 500 J", NULL);
  has_row(s, "carbon", "g CO2e at 475 g/kWh", NULL);
  lacks(s, "storage ");   /* disk figures NaN */
  lacks(s, "network");
  has(s, "Resources (whole session; monitor: 20 samples)");
  /* GPUs */
  has_row(s, "Stand-in GPU A", "16.0 GiB", "3.00 GiB", "2.00 GiB", "78.0%", "99.0%",
          "250.0 W", "70 \xc2\xb0" "C", "300 J", NULL);
  has_row(s, "Stand-in GPU B", "1.00 GiB", "-", "50.0%", NULL);
  /* unavailable probes, once each, a NULL detail shown as such */
  has_row(s, "perf_hw", "perf_event_open: ENOENT", NULL);
  assert_null(strstr(strstr(s, "perf_hw") + 1, "perf_hw"));
  has_row(s, "rapl", "not available", NULL);
  lacks(s, "thread CPU time");   /* available probes are not listed */
  /* per operation: compute 3.3 s CPU (user 3.3 s, system 0) of 4 s wall: 82.5%, waiting 0.7
   * s; load 0.5 s of 2 s (only the sum known): 25%, waiting 1.5 s, 1 GiB read; step's
   * allocations; 4e9/4 s FLOP/s */
  const char *ops = strstr(s, "Resources per operation");
  assert_non_null(ops);
  has_row(ops, "compute", "1 in 16, 412 of 6,600", "3.300 s", "3.300 s / 0 ns", "82.5%",
          "700.00 ms", "-", "-", "-", "1.00 GFLOP/s", NULL);
  has_row(ops, "load", "100 of 100", "500.00 ms", "split unknown", "25.0%", "1.500 s", "300",
          "30.0 MiB", "1.00 GiB", "16,384 / 0", NULL);
  has(ops, "reads / writes");
  /* compute's timing is estimated (4125 of 6600 calls timed): marked, with its 95 % interval
   * (1.96 x 20 ms = 39 ms) and the timed calls; its extremes are bounds */
  has(s, "~ marks figures estimated from a random sample of timed calls");
  has(s, "6,850 zone calls, 4,375 timed");   /* 2475 compute calls counted, not timed */
  has_row(strstr(s, "Top operations"), "compute", "math", "6,600", "4,125", "~4.000 s \xc2\xb1" "0.039",
          "~", "%", NULL);
  has_row(strstr(s, "Top operations"), "load", "io", "100", "all", "2.000 s", NULL);
  has_row(strstr(s, "Latency per call"), "compute", "~1.20 ms [1.10, 1.30]", "\xe2\x89\xa4",
          "\xe2\x89\xa5", NULL);
  has_row(ops, "  step ", "-", "-", "-", "-", "1,000", "10.0 MiB", NULL);
  /* leaks by call path: load's 3 MiB in 30 allocations, growing 31457.28 B per call */
  /* the operations that allocate the most: load's 30 MiB in 300 allocations (100 calls: 307.2
   * KiB a call, 3 MiB still live), then compute's 2 KiB; step allocates nothing itself */
  const char *mem = strstr(s, "Top operations by memory");
  assert_non_null(mem);
  has_row(mem, "load", "io", "100", "30.0 MiB", "307.2 KiB", "300", "3.00 MiB", NULL);
  has_row(mem, "compute", "math", "2.00 KiB", "2", "1.00 KiB", NULL);
  assert_true(strstr(mem, "  load ") < strstr(mem, "  compute "));
  assert_true(strstr(mem, "  step ") > strstr(mem, "Resources per operation"));
  const char *live = strstr(s, "Memory still live at the end, by call path");
  assert_non_null(live);
  has_row(live, "step/load", "3.00 MiB", "30", "+30.7 KiB/call", "100", "300", NULL);
  /* step/compute merged over both threads: 1 KiB live, growth (0.5 x 3300 + 1.5 x 3300) / 6600 */
  has_row(live, "step/compute", "1.00 KiB", "1", "+1 B/call", "6,600", "2", NULL);
  /* snapshots and their differences */
  const char *snap = strstr(s, "Memory snapshots");
  assert_non_null(snap);
  has_row(snap, "warmup", "1.000 s", "1.50 GiB", "1.50 MiB", "15", "2", NULL);
  has_row(snap, "warmup -> epoch 1", "load", "+2.00 MiB", "+20", NULL);
  has_row(strstr(snap, "warmup -> epoch 1"), "compute", "+1.00 KiB", "+1", NULL);
  has_row(snap, "epoch 1 -> end", "load", "+512.0 KiB", "+5", NULL);
  has_row(strstr(snap, "epoch 1 -> end"), "step", "-1.00 MiB", "-10", NULL);
  /* the governor */
  const char *gov = strstr(s, "Overhead governor");
  assert_non_null(gov);
  has(s, "5% of the program's CPU time (detailed); it cost 3.200%");
  has(s, "850 ns per probed call; 1 call in 16 probed");
  has(s, "12.00 ms CPU used by fathom's background thread");
  has_row(gov, "compute", "probes thinned to 1 call in 16; timed 1 call in 4", NULL);
  has_row(gov, "2.000 s", "compute", "probe interval raised to", "16", "5.60%", NULL);
  has_row(gov, "3.000 s", "compute", "timing sampled, 1 in", "4", "5.20%", NULL);
  /* sections in reading order */
  const char *order[] = {"Summary:", "Resources (whole", "GPUs", "Probes not available",
                         "Top operations", "Top operations by memory",
                         "Resources per operation", "Call tree",
                         "Memory still live", "Memory snapshots", "Heap growth", "Threads",
                         "Overhead governor"};
  const char *at = s;
  for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
    const char *next = strstr(at, order[k]);
    if (!next) fail_msg("\"%s\" missing or out of order", order[k]);
    at = next;
  }
  /* tables are aligned: the per-operation rows are as wide as their dashes */
  char *dash = line_with(strstr(s, "Resources per operation"), "-----");
  size_t width = strlen(dash);
  free(dash);
  char *row = line_with(s, "1 in 16, 412 of 6,600");
  size_t cols = 0;
  for (const char *c = row; *c; c++) cols += ((unsigned char)*c & 0xC0) != 0x80;
  assert_int_equal(cols, width);
  free(row);
  free(s);
  s = render(p, FATHOM_FORMAT_TEXT, 1);
  has(s, "\033[");
  free(s);
  fathom_profile_free(p);
}

/* A BASIC profile: the report is the schema-1 one plus at most the summary line, whatever
 * probe descriptions and empty resource tables the recorder attached. */
static void test_text_basic_unchanged(void **state) {
  (void)state;
  fathom_profile *p = rich();
  fathom_meta *m = &p->meta;
  m->level = FATHOM_LEVEL_BASIC;
  m->alloc_tracking = 0;
  m->governor = 1;
  m->overhead_budget_pct = 0;
  m->probe_cost_ns = 0;
  m->monitor_cpu_ns = 0;
  for (uint32_t i = 0; i < p->n_zones; i++) {
    fathom_zone_info *z = &p->zones[i];
    memset(&z->res, 0, sizeof z->res);
    memset(&z->alloc, 0, sizeof z->alloc);
    memset(&z->alloc_self, 0, sizeof z->alloc_self);
    z->flops = 0;
    z->gov = 0;
    z->time_every = 1;
  }
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    fathom_node *nd = &p->nodes[i];
    memset(&nd->res, 0, sizeof nd->res);
    memset(&nd->alloc, 0, sizeof nd->alloc);
    memset(&nd->alloc_self, 0, sizeof nd->alloc_self);
    nd->flops = nd->flops_self = 0;
    nd->gov = 0;
  }
  /* nothing monitored: the figures are NaN (as a loaded schema-1 file has them) */
  fathom_resources *r = &p->res;
  *r = (fathom_resources){
      .wall_s = NAN, .cpu_user_s = NAN, .cpu_sys_s = NAN, .cpu_pct_mean = NAN,
      .cpu_pct_max = NAN, .rss_initial_bytes = NAN, .rss_peak_bytes = NAN,
      .rss_final_bytes = NAN, .vm_peak_bytes = NAN, .sys_mem_total_bytes = NAN,
      .sys_mem_used_pct_max = NAN, .read_bytes = NAN, .write_bytes = NAN,
      .disk_read_bytes = NAN, .disk_write_bytes = NAN, .net_rx_bytes = NAN, .net_tx_bytes = NAN,
      .ctx_vol = NAN, .ctx_invol = NAN, .minflt = NAN, .majflt = NAN, .gpu_mem_peak_bytes = NAN,
      .gpu_util_mean_pct = NAN, .gpu_util_max_pct = NAN, .cpu_energy_j = NAN,
      .gpu_energy_j = NAN, .energy_j = NAN, .carbon_g_per_kwh = NAN, .carbon_g = NAN,
      .flops = NAN, .flops_per_s = NAN, .host_cpu_pct_mean = NAN, .host_cpu_pct_max = NAN,
      .disk_util_pct_max = NAN};
  for (uint32_t i = 0; i < p->n_gpus; i++) free(p->gpus[i].name);
  free(p->gpus);
  p->gpus = NULL;
  p->n_gpus = 0;
  for (uint32_t i = 0; i < p->n_mem_snapshots; i++) {
    fathom_mem_snapshot_info *s = &p->mem_snapshots[i];
    free(s->label), free(s->zone), free(s->zone_live_count), free(s->zone_live_bytes);
  }
  free(p->mem_snapshots);
  p->mem_snapshots = NULL;
  p->n_mem_snapshots = 0;
  free(p->gov_actions);
  p->gov_actions = NULL;
  p->n_gov_actions = 0;
  char *s = render(p, FATHOM_FORMAT_TEXT, 0);
  static const char *const absent[] = {"Resources", "GPUs", "Probes", "Memory still live",
                                       "Memory snapshots", "Overhead governor", "budget",
                                       "Peak RAM", "GPU Util", "Leak", "probed"};
  for (size_t k = 0; k < sizeof absent / sizeof absent[0]; k++) lacks(s, absent[k]);
  has(s, "Summary:     Wall Time: 10.000 s, CPU Time: 8.000 s\n");
  /* exactly one line more than the same profile with no summary figures at all */
  size_t lines = 0, lines0 = 0;
  for (const char *c = s; *c; c++) lines += *c == '\n';
  m->duration_ns = 0;
  m->cpu_time_ns = 0;
  char *s0 = render(p, FATHOM_FORMAT_TEXT, 0);
  for (const char *c = s0; *c; c++) lines0 += *c == '\n';
  lacks(s0, "Summary:");
  assert_int_equal(lines, lines0 + 1);
  free(s0);
  free(s);
  fathom_profile_free(p);
}

/* ---- CSV ---- */

/* Splits one CSV record (no quoted fields in these rows) into fields; returns how many. */
static size_t split(char *line, char **f, size_t cap) {
  size_t n = 0;
  for (char *c = line;; c++) {
    if (n < cap) f[n] = c;
    n++;
    c = strchr(c, ',');
    if (!c) break;
    *c = 0;
  }
  return n;
}

static void test_csv_resources(void **state) {
  (void)state;
  fathom_profile *p = rich();
  char *s = render(p, FATHOM_FORMAT_CSV, 0);
  char *head = line_with(s, "path,zone"), *row = line_with(s, "step/compute,");
  head[strcspn(head, "\r")] = 0;
  row[strcspn(row, "\r")] = 0;
  char *hf[80], *rf[80];
  size_t nh = split(head, hf, 80), nr = split(row, rf, 80);
  assert_int_equal(nh, 80);
  assert_int_equal(nr, 80);
  /* field by column name */
#define COL(name) col_of(hf, nh, rf, name)
  struct { const char *col, *want; } checks[] = {
      {"calls", "6600"},
      {"timed", "4125"},            /* 3300 + 825 */
      {"time_every", "4"},          /* the larger */
      {"gov", "probes_thinned|time_sampled"},
      {"res_samples", "412"},       /* 206 + 206 */
      {"res_sample_every", "32"},   /* the larger */
      {"res_cpu_user_ns", "3300000000"},   /* 1.65 s + 1.65 s: estimates add up */
      {"res_cpu_sys_ns", "0"},      /* measured on one thread: 0 */
      {"res_ctx_vol", ""},          /* not measured anywhere */
      {"res_instructions", "2000000000"},
      {"res_cycles", "1000000000"},
      {"self_live_bytes", "1024"},
      {"self_alloc_count", "2"},
      {"self_growth_bytes_per_call", "1"},   /* (0.5 x 3300 + 1.5 x 3300) / 6600 */
      {"alloc_count", "0"},
      {"flops", "4000000000"},
      {"flops_self", "4000000000"},
      /* schema 4: one thread's node estimated (se 20 ms), the other exact */
      {"estimated", "1"},
      {"total_se_ns", "20000000"},
      {"self_se_ns", "20000000"},
      {"res_cpu_ns", ""},           /* only the split was measured on this path */
  };
  for (size_t k = 0; k < sizeof checks / sizeof checks[0]; k++) {
    size_t c = 0;
    while (c < nh && strcmp(hf[c], checks[k].col) != 0) c++;
    if (c == nh) fail_msg("no column %s", checks[k].col);
    if (strcmp(rf[c], checks[k].want) != 0)
      fail_msg("step/compute %s: \"%s\", want \"%s\"", checks[k].col, rf[c], checks[k].want);
  }
#undef COL
  free(head);
  free(row);
  /* step/load: growth with decimals; a path with nothing: empty resource sums, gov empty */
  row = line_with(s, "step/load,");
  has(row, ",31457.28,");
  free(row);
  const char *top = strstr(s, "\r\nstep,");
  assert_non_null(top);
  row = line_with(top + 2, "step,");
  char *f[80];
  row[strcspn(row, "\r")] = 0;
  assert_int_equal(split(row, f, 80), 80);
  assert_string_equal(f[78], "0");    /* estimated: every call timed */
  assert_string_equal(f[28], "");     /* gov */
  assert_string_equal(f[29], "0");    /* res_samples */
  assert_string_equal(f[31], "");     /* res_cpu_user_ns */
  free(row);
  free(s);
  fathom_profile_free(p);
}

/* ---- Chrome trace ---- */

static json_t *counter_events(json_t *j, const char *name) {
  json_t *out = json_array(), *e;
  size_t i;
  json_array_foreach(json_object_get(j, "traceEvents"), i, e) {
    if (strcmp(json_string_value(json_object_get(e, "ph")), "C") == 0 &&
        strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
      json_array_append(out, e);
  }
  return out;
}

static double arg(json_t *e, const char *key) {
  json_t *v = json_object_get(json_object_get(e, "args"), key);
  if (!v) return NAN;
  return json_number_value(v);
}

static void test_chrome_series(void **state) {
  (void)state;
  fathom_profile *p = rich();
  char *s = render(p, FATHOM_FORMAT_CHROME, 0);
  json_error_t err;
  json_t *j = json_loads(s, 0, &err);
  if (!j) fail_msg("invalid trace: %s (line %d)\n%s", err.text, err.line, s);
  /* cpu: user and sys stacked in one track, rows 0 and 1 (row 2 is all NaN) */
  json_t *cpu = counter_events(j, "cpu");
  assert_int_equal(json_array_size(cpu), 2);
  json_t *e0 = json_array_get(cpu, 0);
  assert_true(arg(e0, "user_pct") == 75.5 && arg(e0, "sys_pct") == 4.5);
  assert_true(fabs(json_number_value(json_object_get(e0, "ts")) - 500000.0) < 1e-9);
  assert_int_equal(json_integer_value(json_object_get(e0, "pid")), 777);
  assert_true(fabs(json_number_value(json_object_get(json_array_get(cpu, 1), "ts")) - 1e6) < 1e-9);
  json_decref(cpu);
  json_t *mem = counter_events(j, "memory");
  assert_int_equal(json_array_size(mem), 2);
  assert_true(arg(json_array_get(mem, 1), "rss_bytes") == 2 * GiB);
  json_decref(mem);
  /* one set of tracks per GPU; NaN values left out: no GPU event in row 1 */
  json_t *g0 = counter_events(j, "gpu0 util"), *g1 = counter_events(j, "gpu1 util");
  json_t *g0m = counter_events(j, "gpu0 memory");
  assert_int_equal(json_array_size(g0), 1);
  assert_int_equal(json_array_size(g1), 1);
  assert_int_equal(json_array_size(g0m), 1);
  assert_true(arg(json_array_get(g0, 0), "util_pct") == 70);
  assert_true(arg(json_array_get(g1, 0), "util_pct") == 40);
  assert_true(arg(json_array_get(g0m, 0), "mem_used_bytes") == 2 * GiB);
  json_decref(g0);
  json_decref(g1);
  json_decref(g0m);
  /* an unknown column: its own track with "value"; only row 1 has it */
  json_t *q = counter_events(j, "queue_depth");
  assert_int_equal(json_array_size(q), 1);
  assert_true(arg(json_array_get(q, 0), "value") == 3);
  json_decref(q);
  /* no event carries a null, and the last row (all NaN) gave none at all */
  assert_null(strstr(s, "null,\"ts\""));
  assert_null(strstr(s, "1500001.500"));
  json_t *od = json_object_get(j, "otherData");
  assert_int_equal(json_integer_value(json_object_get(od, "monitor_samples")), 3);
  assert_true(json_is_true(json_object_get(od, "governor")));
  json_decref(j);
  free(s);
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_res_names),          cmocka_unit_test(test_mem_diff),
      cmocka_unit_test(test_stats_merge_timed),  cmocka_unit_test(test_text_resources),
      cmocka_unit_test(test_text_basic_unchanged), cmocka_unit_test(test_csv_resources),
      cmocka_unit_test(test_chrome_series),
  };
  return cmocka_run_group_tests_name("views_res", tests, NULL, NULL);
}
