/* json_fixture.h: what the JSON test groups share: hand-built models covering every field
 * and edge value (schema 2's resources, GPUs, series, snapshots and governor actions too), a
 * field-by-field comparison that names the first difference, and temporary files under
 * FATHOM_TEST_TMP.
 *
 * Invariant: every helper fails the calling test (cmocka) rather than returning bad data. */
#ifndef FATHOM_JSON_FIXTURE_H
#define FATHOM_JSON_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fathom.h"
#include "fathom_load.h"
#include "model/model.h"
#include "view/view.h"


#pragma GCC diagnostic ignored "-Wunused-function" /* each group uses a subset */

/* ---- helpers ------------------------------------------------------------------------ */

static char tmp_base[PATH_MAX];

static void mkdir_p(const char *path) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *s = buf + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    mkdir(buf, 0777);
    *s = '/';
  }
  mkdir(buf, 0777);
}

/* "<FATHOM_TEST_TMP or /tmp>/json-<pid>/<name>" */
static const char *tmp_path(const char *name) {
  static char buf[4][PATH_MAX];
  static int k;
  if (!tmp_base[0]) {
    const char *t = getenv("FATHOM_TEST_TMP");
    snprintf(tmp_base, sizeof tmp_base, "%s/json-%ld", t && *t ? t : "/tmp", (long)getpid());
    mkdir_p(tmp_base);
  }
  k = (k + 1) % 4;
  int w = snprintf(buf[k], sizeof buf[k], "%s/%s", tmp_base, name);
  assert_true(w > 0 && (size_t)w < sizeof buf[k]);
  return buf[k];
}

static char *xstrdup(const char *s) {
  if (!s) return NULL;
  char *d = strdup(s);
  assert_non_null(d);
  return d;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  assert_non_null(p);
  return p;
}

static void set_hist(fathom_hist *h, uint32_t n, const uint32_t *b, const uint64_t *c) {
  h->n = n;
  h->bucket = n ? xcalloc(n, sizeof *h->bucket) : NULL;
  h->count = n ? xcalloc(n, sizeof *h->count) : NULL;
  if (n) memcpy(h->bucket, b, n * sizeof *b);
  if (n) memcpy(h->count, c, n * sizeof *c);
}

static void set_stats(fathom_stats *st, uint64_t seed, double d) {
  *st = (fathom_stats){.count = seed, .timed = seed - seed / 4, .total_ns = seed * 3,
                       .self_ns = seed * 2, .min_ns = seed / 2, .max_ns = seed * 3, .mean_ns = d,
                       .stddev_ns = d / 3, .p50_ns = d * 0.5, .p90_ns = d + 0.1,
                       .p95_ns = d * 1.5, .p99_ns = 1234.5, .p999_ns = d * 7,
                       .total_se_ns = (double)seed * 1.5, .self_se_ns = (double)seed / 3,
                       .overhead_ns = (double)seed * 0.125, .self_cpu_ns = (double)seed * 1e3,
                       .self_cpu_se_ns = (double)seed * 7.25};
}

/* Schema-4 intervals that hold each percentile (call after the percentiles are final): for
 * estimated stats a bound on each side (asymmetric, so lo and hi cannot be swapped
 * unnoticed); for stats whose every call was timed, the percentile itself (what the writer
 * leaves out and the loader restores). */
static void set_bounds(fathom_stats *st) {
  const double p[FATHOM_PCT_N] = {st->p50_ns, st->p90_ns, st->p95_ns, st->p99_ns, st->p999_ns};
  for (int k = 0; k < FATHOM_PCT_N; k++) {
    int wide = fathom_stats_estimated(st) && isfinite(p[k]);
    st->pct_lo_ns[k] = wide ? p[k] - fabs(p[k]) * 0.03125 - 0.5 : p[k];
    st->pct_hi_ns[k] = wide ? p[k] + fabs(p[k]) * 0.0625 + 1.25 : p[k];
  }
}

static void set_res(fathom_res *r, uint64_t samples, uint32_t every, uint32_t mask, double base) {
  *r = (fathom_res){.samples = samples, .sample_every = every, .mask = mask};
  for (int k = 0; k < FATHOM_RES_N; k++)
    if (mask & (1u << k)) r->sum[k] = base * (k + 1) + 0.5;
}

/* The schema-2 parts of build_model: resources of zones and nodes, the session's resource
 * summary, probes, two GPUs, a series of four columns, two memory snapshots, governor
 * actions; with NaN, infinities, -0.0, uint64 extremes and every governor form. */
static void build_model_res(fathom_profile *p, const char *const *bad) {
  fathom_meta *m = &p->meta;
  m->dropped_hist = 77;
  m->overhead_budget_pct = 5.0;
  m->governor = 1;
  m->probe_cost_ns = 812.5;
  m->monitor_cpu_ns = 1.5e7;
  m->sample_every = 16;
  m->alloc_tracking = 1;
  m->dropped_snapshots = UINT64_MAX;

  fathom_zone_info *z = p->zones;
  set_res(&z[0].res, 412, 16, (1u << FATHOM_RES_CPU_USER_NS) | (1u << FATHOM_RES_CPU_SYS_NS) |
                                  (1u << FATHOM_RES_READ_BYTES) | (1u << FATHOM_RES_FP_OPS),
          1e6);
  z[0].res.sum[FATHOM_RES_CPU_SYS_NS] = NAN;
  z[0].res.sum[FATHOM_RES_READ_BYTES] = -0.0;
  z[0].alloc = (fathom_alloc){100, 1048576, 90, 943718, 10, 104858, 12.25, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  z[0].alloc_self = (fathom_alloc){UINT64_MAX, (uint64_t)INT64_MAX + 1, 0, 0, 1, 2, -0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  z[0].flops = 1e12;
  z[0].gov = FATHOM_GOV_PROBES_THINNED | FATHOM_GOV_TIME_SAMPLED;
  z[0].time_every = 8;
  z[1].time_every = 1;                  /* everything empty: no member written */
  set_res(&z[2].res, 0, 7, 0, 0);       /* only an interval */
  z[2].gov = 8 | FATHOM_GOV_DOWNGRADED; /* a bit without a name: written as a number */
  z[2].flops = NAN;
  z[2].time_every = UINT32_MAX;
  set_res(&z[3].res, UINT64_MAX, UINT32_MAX, (1u << FATHOM_RES_N) - 1, -3.0);
  z[3].res.sum[FATHOM_RES_RSS_DELTA_BYTES] = -INFINITY;
  z[3].gov = FATHOM_GOV_DOWNGRADED;
  z[3].time_every = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    fathom_node *nd = &p->nodes[i];
    nd->time_every = i == 5 ? 4 : 1;
    if (i % 2 == 0) set_res(&nd->res, i + 1, 16, (1u << FATHOM_RES_CYCLES) | 1u, 100.0 * i);
    if (i == 1) nd->alloc = (fathom_alloc){3, 300, 1, 100, 2, 200, 66.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    if (i == 1) nd->alloc_self = (fathom_alloc){2, 200, 0, 0, 2, 200, INFINITY, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    if (i == 2) nd->flops = 2.5e9, nd->flops_self = 2.5e9;
    if (i == 4) nd->flops_self = -0.0;
    if (i == 5) nd->gov = FATHOM_GOV_TIME_SAMPLED;
  }

  fathom_resources *r = &p->res;
  *r = (fathom_resources){.monitored = 1, .n_samples = 91, .wall_s = 45.2, .cpu_user_s = 38.0,
                          .cpu_sys_s = 2.125, .cpu_pct_mean = 88.5, .cpu_pct_max = 190.0,
                          .rss_initial_bytes = 1.1e9, .rss_peak_bytes = 2.4e9,
                          .rss_final_bytes = 2.3e9, .vm_peak_bytes = 5e9,
                          .sys_mem_total_bytes = 16e9, .sys_mem_used_pct_max = 45.5,
                          .threads_max = UINT32_MAX, .read_bytes = 1.2e9, .write_bytes = 3e8,
                          .disk_read_bytes = 1e9, .disk_write_bytes = 2e8, .net_rx_bytes = NAN,
                          .net_tx_bytes = NAN, .ctx_vol = 1234, .ctx_invol = 56,
                          .minflt = 12345, .majflt = 3, .gpu_mem_peak_bytes = 3.1e9,
                          .gpu_util_mean_pct = 78.0, .gpu_util_max_pct = 99.0,
                          .cpu_energy_j = 120.0, .gpu_energy_j = INFINITY, .energy_j = -0.0,
                          .carbon_g_per_kwh = 475, .carbon_g = 1.0 / 3.0, .flops = 1.2e12,
                          .flops_per_s = 2.65e10, .leaked_bytes = UINT64_MAX,
                          .leaked_count = 340};

  p->n_probes = 3;
  p->probes = xcalloc(3, sizeof *p->probes);
  p->probes[0] = (fathom_probe_info){xstrdup("rusage"), 1, xstrdup("thread CPU time, switches")};
  p->probes[1] = (fathom_probe_info){xstrdup("perf_hw"), 0,
                                     xstrdup("perf_event_open: \"No such file\"\n")};
  p->probes[2] = (fathom_probe_info){xstrdup("nvml"), 1, xstrdup(bad[4])};

  p->n_gpus = 2;
  p->gpus = xcalloc(2, sizeof *p->gpus);
  p->gpus[0] = (fathom_gpu_info){0, xstrdup("NVIDIA H100 80GB HBM3"), 8.5e10, 3.1e9, NAN, 78.0,
                                 99.0, 350.5, 71.0, 1e4};
  p->gpus[1] = (fathom_gpu_info){UINT32_MAX, NULL, 0, -0.0, 1.5e9, NAN, INFINITY, 0, 0, 0};

  static const char *const cols[] = {"cpu_user_pct", "rss_bytes", "gpu0_util_pct",
                                     "gpu1_util_pct"};
  fathom_series *se = &p->series;
  se->interval_s = 0.5;
  se->n_cols = 4;
  se->cols = xcalloc(4, sizeof *se->cols);
  for (int k = 0; k < 4; k++) se->cols[k] = xstrdup(cols[k]);
  se->n = 3;
  se->ts_ns = xcalloc(3, sizeof *se->ts_ns);
  se->v = xcalloc(12, sizeof *se->v);
  static const uint64_t ts[] = {0, 500000000, 500000000};
  static const double v[] = {12.5, 1.1e9, NAN, 0, 99.75, 2.4e9, 78, -0.0,
                             INFINITY, 2.3e9, 99, 1e-300};
  memcpy(se->ts_ns, ts, sizeof ts);
  memcpy(se->v, v, sizeof v);

  p->n_mem_snapshots = 2;
  p->mem_snapshots = xcalloc(2, sizeof *p->mem_snapshots);
  fathom_mem_snapshot_info *a = &p->mem_snapshots[0], *b = &p->mem_snapshots[1];
  *a = (fathom_mem_snapshot_info){xstrdup("start"), 1000, 1.1e9, 10, 4096, 2, NULL, NULL, NULL};
  a->zone = xcalloc(2, sizeof *a->zone);
  a->zone_live_count = xcalloc(2, sizeof *a->zone_live_count);
  a->zone_live_bytes = xcalloc(2, sizeof *a->zone_live_bytes);
  a->zone[0] = 0, a->zone_live_count[0] = 4, a->zone_live_bytes[0] = 1024;
  a->zone[1] = 3, a->zone_live_count[1] = 6, a->zone_live_bytes[1] = 3072;
  *b = (fathom_mem_snapshot_info){xstrdup("after \"epoch\""), UINT64_MAX, NAN, UINT64_MAX, 0, 3,
                                  NULL, NULL, NULL};
  b->zone = xcalloc(3, sizeof *b->zone);
  b->zone_live_count = xcalloc(3, sizeof *b->zone_live_count);
  b->zone_live_bytes = xcalloc(3, sizeof *b->zone_live_bytes);
  static const uint32_t bz[] = {2, 0, 3};
  static const uint64_t bc[] = {1, 40, UINT64_MAX}, bb[] = {512, 1024 * 1024, 0};
  memcpy(b->zone, bz, sizeof bz);
  memcpy(b->zone_live_count, bc, sizeof bc);
  memcpy(b->zone_live_bytes, bb, sizeof bb);

  p->n_gov_actions = 3;
  p->gov_actions = xcalloc(3, sizeof *p->gov_actions);
  p->gov_actions[0] = (fathom_gov_action){100000000, 0, FATHOM_GOV_PROBES_THINNED, 32, 5.5};
  p->gov_actions[1] = (fathom_gov_action){200000000, FATHOM_NONE, FATHOM_GOV_TIME_SAMPLED, 8,
                                          NAN};
  p->gov_actions[2] = (fathom_gov_action){UINT64_MAX, 3, FATHOM_GOV_DOWNGRADED, 0, -0.0};
}

/* Strings with bytes that are not UTF-8, and what the writer turns them into: each
 * offending byte becomes U+FFFD (EF BF BD). */
#define FFFD "\xEF\xBF\xBD"
static const char *const bad_raw[] = {
    "overlong \xC0\xAF slash", "surrogate \xED\xA0\x80!", "too big \xF4\x90\x80\x80",
    "lone \xFF\xFE bytes", "cut \xE2\x82", "cut mid \342\202A"};
static const char *const bad_fixed[] = {
    "overlong " FFFD FFFD " slash", "surrogate " FFFD FFFD FFFD "!",
    "too big " FFFD FFFD FFFD FFFD, "lone " FFFD FFFD " bytes", "cut " FFFD FFFD,
    "cut mid " FFFD FFFD "A"};

/* A model exercising every field and its extremes. fixed: use the strings the loader gives
 * back for invalid UTF-8 (the expected model), else the raw ones. */
static fathom_profile *build_model(int fixed) {
  const char *const *bad = fixed ? bad_fixed : bad_raw;
  fathom_profile *p = xcalloc(1, sizeof *p);
  p->meta = (fathom_meta){
      .schema_version = FATHOM_SCHEMA_VERSION, .fathom_version = xstrdup(FATHOM_VERSION_STRING),
      .session_name = xstrdup("quote \" bs \\ slash / nl \n tab \t cr \r ctl \x01\x1f del \x7f"),
      .session_id = UINT64_MAX, .start_unix_ns = 1700000000123456789ull,
      .duration_ns = (uint64_t)INT64_MAX + 1, .pid = INT64_MIN, .program = xstrdup(bad[0]),
      .host = xstrdup("h\xC3\xA9te \xE2\x9C\x93 \xF0\x9F\x98\x80 max \xF4\x8F\xBF\xBF fffd " FFFD),
      .os = xstrdup(bad[1]), .kernel = NULL, .arch = xstrdup(""), .cpu_model = xstrdup(bad[2]),
      .n_cpus = UINT32_MAX, .level = FATHOM_LEVEL_COMPREHENSIVE, .clock_source = xstrdup("tsc"),
      .clock_resolution_ns = 5e-324, .clock_read_ns = DBL_MIN, .tsc_hz = DBL_MAX,
      .zone_cost_ns = -0.0, .overhead_ns = 0.1, .overhead_pct = 1.0 / 3.0, .cpu_time_ns = 1e300,
      .n_zones = INT64_MAX, .dropped_zones = 0, .dropped_events = 1, .misuse = UINT64_MAX - 1,
      .fathom_bytes = 123456789012345ull,
      /* schema 4 */
      .untimed_cost_ns = 3.25, .zone_cost_in_ns = 15.5, .hook_cost_ns = 30.0,
      .hook_untimed_cost_ns = 4.0, .hook_cost_in_ns = -0.0, .zone_special_cost_ns = 123.25,
      .zone_special_in_ns = 47.5, .hook_special_cost_ns = 0x1p-20, .hook_special_in_ns = 1e300, .n_timed = INT64_MAX - 5,
      .setup_ns = 1.5e6, .build_ns = 2.5e6, .fixed_cost_ns = 1.9e7 + 1.0 / 3.0,
      .sample_period_ns = 1e6, .cpu_samples = 12345, .cpu_samples_fathom = 123,
      .sampler_cost_ns = 1500.25, .overhead_measured_ns = 1.23e8 + 0.5,
      .overhead_measured_se_ns = 1.1e7, .overhead_calibrated_ns = 0.1};

  static const char *const names[] = {"load \"data\"", "parse\nline", "train/step \xE2\x9C\x93",
                                      "back\\slash"};
  p->n_zones = 4;
  p->zones = xcalloc(4, sizeof *p->zones);
  for (uint32_t i = 0; i < 4; i++) {
    fathom_zone_info *z = &p->zones[i];
    z->name = xstrdup(names[i]);
    z->component = i == 1 ? NULL : xstrdup(i ? "training" : "data");
    z->tags = i == 2 ? xstrdup("a,b,\"c\"") : NULL;
    z->file = xstrdup(i == 3 ? bad[3] : "src/x.c");
    z->func = i == 0 ? NULL : xstrdup("func");
    z->line = i == 0 ? INT_MAX : i == 1 ? INT_MIN : (int)i;
    z->kind = i == 3 ? FATHOM_ZONE_KIND_FUNCTION : FATHOM_ZONE_KIND_ZONE;
    set_stats(&z->stats, 1000 + i, 1e-300 * (i + 1));
  }
  p->zones[0].stats.count = UINT64_MAX;
  p->zones[0].stats.total_ns = 0;
  p->zones[1].stats.mean_ns = NAN;
  p->zones[1].stats.stddev_ns = INFINITY;
  p->zones[1].stats.p50_ns = -INFINITY;
  p->zones[2].stats.p90_ns = 12345678901234567.0;
  p->zones[3].stats.p95_ns = 2.5e-310;
  p->zones[3].stats.self_se_ns = 0.0;
  p->zones[2].stats.overhead_ns = DBL_MAX;
  for (uint32_t i = 0; i < 4; i++) set_bounds(&p->zones[i].stats);
  {
    const uint32_t b[] = {0, 1, 63, 64, 1000, FATHOM_HIST_BUCKETS - 1};
    const uint64_t c[] = {1, 2, INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX, 42};
    set_hist(&p->zones[0].hist, 6, b, c);
    const uint32_t b2[] = {70};
    const uint64_t c2[] = {7};
    set_hist(&p->zones[2].hist, 1, b2, c2);
    p->zones[2].hist.unit_ns = 0.43478301889745646; /* timer ticks, as the recorder writes */
  }

  /* nodes: thread 0: 0 > 1 > 2, 5; thread 1: 3 > 4 */
  static const uint32_t zone[] = {0, 1, 2, 0, 3, 3}, up[] = {FATHOM_NONE, 0, 1, FATHOM_NONE, 3,
                                                              FATHOM_NONE};
  static const uint32_t thread[] = {0, 0, 0, 1, 1, 0}, depth[] = {1, 2, 3, 1, 2, 1};
  p->n_nodes = 6;
  p->nodes = xcalloc(6, sizeof *p->nodes);
  for (uint32_t i = 0; i < 6; i++) {
    fathom_node *nd = &p->nodes[i];
    *nd = (fathom_node){.zone = zone[i], .parent = up[i], .thread = thread[i], .depth = depth[i]};
    set_stats(&nd->stats, 10 * i, 100.0 * i + 0.25);
    const uint32_t b[] = {i, 100 + i, 2000};
    const uint64_t c[] = {i + 1, 5, UINT64_MAX - i};
    set_hist(&nd->hist, i % 4, b, c);
  }
  p->nodes[2].stats.mean_ns = NAN;
  p->nodes[3].stats.self_se_ns = -0.0;          /* a -0.0 error is still >= 0 */
  p->nodes[4].stats.timed = p->nodes[4].stats.count;   /* every call timed: exact */
  p->nodes[4].stats.total_se_ns = p->nodes[4].stats.self_se_ns = 0;
  for (uint32_t i = 0; i < 6; i++) set_bounds(&p->nodes[i].stats);
  fathom_node *nd = &p->nodes[1];
  nd->n_metrics = 2;
  nd->metrics = xcalloc(2, sizeof *nd->metrics);
  nd->metrics[0] = (fathom_metric_stats){xstrdup("rows"), 3, 1.5, -2.0, 1e10};
  nd->metrics[1] = (fathom_metric_stats){xstrdup("loss \"avg\"\n"), UINT64_MAX, NAN, -INFINITY,
                                         INFINITY};
  nd = &p->nodes[4];
  nd->n_metrics = 1;
  nd->metrics = xcalloc(1, sizeof *nd->metrics);
  nd->metrics[0] = (fathom_metric_stats){xstrdup(bad[4]), 0, 0.0, 0.0, -0.0};

  p->n_threads = 2;
  p->threads = xcalloc(2, sizeof *p->threads);
  p->threads[0] = (fathom_thread_info){12345, xstrdup("main"), 0, 0, 4, 0, 2, 0};
  p->threads[1] = (fathom_thread_info){UINT64_MAX, xstrdup(bad[5]), 1, UINT32_MAX, UINT64_MAX,
                                       (uint64_t)INT64_MAX + 7, UINT64_MAX, FATHOM_NONE};

  p->n_counters = 3;
  p->counters = xcalloc(3, sizeof *p->counters);
  p->counters[0] = (fathom_counter_info){xstrdup("bytes read"), FATHOM_METRIC_COUNTER, 10,
                                         -5.0, -5.0, -100, 95};
  p->counters[1] = (fathom_counter_info){xstrdup("queue \xE2\x9C\x93"), FATHOM_METRIC_GAUGE, 0,
                                         0, 0, INFINITY, -INFINITY};
  p->counters[2] = (fathom_counter_info){xstrdup("buf"), FATHOM_METRIC_SIZE, UINT64_MAX,
                                         4096, 1e19, 0.5, DBL_MAX};

  p->timeline = 1;
  p->n_events = 5;
  p->events = xcalloc(5, sizeof *p->events);
  static const fathom_event ev[] = {{0, 0, 1, 0, 100}, {0, 1, 2, 10, 50}, {1, 0, 1, 10, 0},
                                    {1, 3, UINT32_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX},
                                    {0, 2, 3, UINT64_MAX, 1}};
  memcpy(p->events, ev, sizeof ev);
  p->n_counter_events = 3;
  p->counter_events = xcalloc(3, sizeof *p->counter_events);
  const fathom_counter_event cev[] = {
      {0, 0, 5, -5.0}, {1, FATHOM_NONE, 6, NAN}, {2, 1, UINT64_MAX, 4096.000000000001}};
  memcpy(p->counter_events, cev, sizeof cev);
  build_model_res(p, bad);
  return p;
}

/* A bigger model: n nodes in chains of 8 across 4 threads, 50 zones, with histograms. */
static fathom_profile *build_big(uint32_t n) {
  fathom_profile *p = xcalloc(1, sizeof *p);
  uint64_t r = 88172645463325252ull;
  p->meta = (fathom_meta){.schema_version = FATHOM_SCHEMA_VERSION, .level = FATHOM_LEVEL_BASIC,
                          .fathom_version = xstrdup(FATHOM_VERSION_STRING)};
  p->n_zones = 50;
  p->zones = xcalloc(50, sizeof *p->zones);
  for (uint32_t i = 0; i < 50; i++) {
    char name[32];
    snprintf(name, sizeof name, "zone_%u", i);
    p->zones[i] = (fathom_zone_info){.name = xstrdup(name), .component = xstrdup("default")};
    set_stats(&p->zones[i].stats, i * 977, i * 13.7);
    set_bounds(&p->zones[i].stats);
  }
  p->n_threads = 4;
  p->threads = xcalloc(4, sizeof *p->threads);
  for (uint32_t i = 0; i < 4; i++) p->threads[i].name = xstrdup("t");
  p->n_nodes = n;
  p->nodes = xcalloc(n, sizeof *p->nodes);
  for (uint32_t i = 0; i < n; i++) {
    fathom_node *nd = &p->nodes[i];
    uint32_t pos = i % 8;
    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
    *nd = (fathom_node){.zone = (uint32_t)(r % 50), .parent = pos ? i - 1 : FATHOM_NONE,
                        .thread = (i / 8) % 4, .depth = pos + 1};
    set_stats(&nd->stats, r % 100000, (double)(r % 1000003) / 7.0);
    if (i % 8) {   /* most paths of a real profile timed every call */
      nd->stats.timed = nd->stats.count;
      nd->stats.total_se_ns = nd->stats.self_se_ns = 0;
    }
    set_bounds(&nd->stats);
    uint32_t nb = (uint32_t)(r % 12), b[12];
    uint64_t c[12];
    for (uint32_t k = 0; k < nb; k++) {
      b[k] = 200 + k * 50 + (uint32_t)(r >> 40) % 50;
      c[k] = (r >> (k * 3)) % 5000 + 1;
    }
    set_hist(&nd->hist, nb, b, c);
    nd->time_every = 1;
  }
  for (uint32_t i = 0; i < 50; i++) p->zones[i].time_every = 1;
  return p;
}

/* Non-zero and a message in why if a and b differ; doubles compare bitwise-equal in value
 * (NaN equals NaN, -0 differs from +0). */
__attribute__((format(printf, 3, 4)))
static int diff(char *why, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, cap, fmt, ap);
  va_end(ap);
  return 1;
}

static int dbl_same(double a, double b) {
  if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
  return a == b && signbit(a) == signbit(b);
}

static int str_same(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

#define U(w, f) do { if ((a f) != (b f)) return diff(why, cap, "%s" #f ": %llu != %llu", w, \
    (unsigned long long)(a f), (unsigned long long)(b f)); } while (0)
#define I(w, f) do { if ((a f) != (b f)) return diff(why, cap, "%s" #f ": %lld != %lld", w, \
    (long long)(a f), (long long)(b f)); } while (0)
#define D(w, f) do { if (!dbl_same(a f, b f)) return diff(why, cap, "%s" #f ": %.17g != %.17g", \
    w, (a f), (b f)); } while (0)
#define S(w, f) do { if (!str_same(a f, b f)) return diff(why, cap, "%s" #f ": \"%s\" != \"%s\"", \
    w, (a f) ? (a f) : "(NULL)", (b f) ? (b f) : "(NULL)"); } while (0)

static int stats_diff(const fathom_stats *a, const fathom_stats *b, const char *w, char *why,
                      size_t cap) {
  U(w, ->count); U(w, ->total_ns); U(w, ->self_ns); U(w, ->min_ns); U(w, ->max_ns);
  D(w, ->mean_ns); D(w, ->stddev_ns); D(w, ->p50_ns); D(w, ->p90_ns); D(w, ->p95_ns);
  D(w, ->p99_ns); D(w, ->p999_ns);
  /* schema 4 */
  D(w, ->total_se_ns); D(w, ->self_se_ns); D(w, ->overhead_ns);
  D(w, ->self_cpu_ns); D(w, ->self_cpu_se_ns);
  for (int k = 0; k < FATHOM_PCT_N; k++) {
    D(w, ->pct_lo_ns[k]);
    D(w, ->pct_hi_ns[k]);
  }
  return 0;
}

static int res_diff(const fathom_res *a, const fathom_res *b, const char *w, char *why,
                    size_t cap) {
  U(w, ->samples); U(w, ->sample_every); U(w, ->mask);
  for (int k = 0; k < FATHOM_RES_N; k++) D(w, ->sum[k]);
  return 0;
}

static int alloc_diff(const fathom_alloc *a, const fathom_alloc *b, const char *w, char *why,
                      size_t cap) {
  U(w, ->alloc_count); U(w, ->alloc_bytes); U(w, ->free_count); U(w, ->free_bytes);
  U(w, ->live_count); U(w, ->live_bytes); D(w, ->growth_bytes_per_call);
  return 0;
}

/* The schema-2 parts of two models. */
static int profile_differs2(const fathom_profile *a, const fathom_profile *b, char *why,
                            size_t cap) {
  char w[128];
  const char *m = "meta";
  U(m, ->meta.dropped_hist); D(m, ->meta.overhead_budget_pct); I(m, ->meta.governor);
  D(m, ->meta.probe_cost_ns); D(m, ->meta.monitor_cpu_ns); U(m, ->meta.sample_every);
  I(m, ->meta.alloc_tracking); U(m, ->meta.dropped_snapshots);
  for (uint32_t i = 0; i < a->n_zones; i++) {
    snprintf(w, sizeof w, "zones[%u]", i);
    U(w, ->zones[i].stats.timed); D(w, ->zones[i].flops); U(w, ->zones[i].gov);
    U(w, ->zones[i].time_every);
    if (res_diff(&a->zones[i].res, &b->zones[i].res, w, why, cap)) return 1;
    if (alloc_diff(&a->zones[i].alloc, &b->zones[i].alloc, w, why, cap)) return 1;
    if (alloc_diff(&a->zones[i].alloc_self, &b->zones[i].alloc_self, w, why, cap)) return 1;
  }
  for (uint32_t i = 0; i < a->n_nodes; i++) {
    snprintf(w, sizeof w, "nodes[%u]", i);
    U(w, ->nodes[i].stats.timed); D(w, ->nodes[i].flops); D(w, ->nodes[i].flops_self);
    U(w, ->nodes[i].gov); U(w, ->nodes[i].time_every);
    if (res_diff(&a->nodes[i].res, &b->nodes[i].res, w, why, cap)) return 1;
    if (alloc_diff(&a->nodes[i].alloc, &b->nodes[i].alloc, w, why, cap)) return 1;
    if (alloc_diff(&a->nodes[i].alloc_self, &b->nodes[i].alloc_self, w, why, cap)) return 1;
  }
  const char *r = "res";
  I(r, ->res.monitored); U(r, ->res.n_samples); D(r, ->res.wall_s); D(r, ->res.cpu_user_s);
  D(r, ->res.cpu_sys_s); D(r, ->res.cpu_pct_mean); D(r, ->res.cpu_pct_max);
  D(r, ->res.rss_initial_bytes); D(r, ->res.rss_peak_bytes); D(r, ->res.rss_final_bytes);
  D(r, ->res.vm_peak_bytes); D(r, ->res.sys_mem_total_bytes); D(r, ->res.sys_mem_used_pct_max);
  U(r, ->res.threads_max); D(r, ->res.read_bytes); D(r, ->res.write_bytes);
  D(r, ->res.disk_read_bytes); D(r, ->res.disk_write_bytes); D(r, ->res.net_rx_bytes);
  D(r, ->res.net_tx_bytes); D(r, ->res.ctx_vol); D(r, ->res.ctx_invol); D(r, ->res.minflt);
  D(r, ->res.majflt); D(r, ->res.gpu_mem_peak_bytes); D(r, ->res.gpu_util_mean_pct);
  D(r, ->res.gpu_util_max_pct); D(r, ->res.cpu_energy_j); D(r, ->res.gpu_energy_j);
  D(r, ->res.energy_j); D(r, ->res.carbon_g_per_kwh); D(r, ->res.carbon_g); D(r, ->res.flops);
  D(r, ->res.flops_per_s); U(r, ->res.leaked_bytes); U(r, ->res.leaked_count);
  U("", ->n_probes); U("", ->n_gpus); U("", ->n_mem_snapshots); U("", ->n_gov_actions);
  U("", ->series.n_cols); U("", ->series.n); D("", ->series.interval_s);
  for (uint32_t i = 0; i < a->n_probes; i++) {
    snprintf(w, sizeof w, "probes[%u]", i);
    S(w, ->probes[i].name); I(w, ->probes[i].available); S(w, ->probes[i].detail);
  }
  for (uint32_t i = 0; i < a->n_gpus; i++) {
    snprintf(w, sizeof w, "gpus[%u]", i);
    U(w, ->gpus[i].index); S(w, ->gpus[i].name); D(w, ->gpus[i].mem_total_bytes);
    D(w, ->gpus[i].mem_peak_bytes); D(w, ->gpus[i].proc_mem_peak_bytes);
    D(w, ->gpus[i].util_mean_pct); D(w, ->gpus[i].util_max_pct); D(w, ->gpus[i].power_mean_w);
    D(w, ->gpus[i].temp_max_c); D(w, ->gpus[i].energy_j);
  }
  for (uint32_t k = 0; k < a->series.n_cols; k++) {
    snprintf(w, sizeof w, "series.cols[%u]", k);
    S(w, ->series.cols[k]);
  }
  for (uint64_t i = 0; i < a->series.n; i++) {
    snprintf(w, sizeof w, "series.rows[%llu]", (unsigned long long)i);
    U(w, ->series.ts_ns[i]);
    for (uint64_t k = 0; k < a->series.n_cols; k++) D(w, ->series.v[i * a->series.n_cols + k]);
  }
  for (uint32_t i = 0; i < a->n_mem_snapshots; i++) {
    snprintf(w, sizeof w, "mem_snapshots[%u]", i);
    S(w, ->mem_snapshots[i].label); U(w, ->mem_snapshots[i].ts_ns);
    D(w, ->mem_snapshots[i].rss_bytes); U(w, ->mem_snapshots[i].live_count);
    U(w, ->mem_snapshots[i].live_bytes); U(w, ->mem_snapshots[i].n);
    for (uint32_t k = 0; k < a->mem_snapshots[i].n; k++) {
      U(w, ->mem_snapshots[i].zone[k]); U(w, ->mem_snapshots[i].zone_live_count[k]);
      U(w, ->mem_snapshots[i].zone_live_bytes[k]);
    }
  }
  for (uint32_t i = 0; i < a->n_gov_actions; i++) {
    snprintf(w, sizeof w, "gov_actions[%u]", i);
    U(w, ->gov_actions[i].ts_ns); U(w, ->gov_actions[i].zone); U(w, ->gov_actions[i].gov);
    U(w, ->gov_actions[i].value); D(w, ->gov_actions[i].overhead_pct);
  }
  return 0;
}

static int hist_diff(const fathom_hist *a, const fathom_hist *b, const char *w, char *why,
                     size_t cap) {
  U(w, ->n);
  D(w, ->unit_ns);
  for (uint32_t i = 0; i < a->n; i++) {
    char at[96];
    snprintf(at, sizeof at, "%s[%u]", w, i);
    U(at, ->bucket[i]);
    U(at, ->count[i]);
  }
  return 0;
}

/* Compares every field; 1 and the first difference in why if they differ. */
static int profile_differs(const fathom_profile *a, const fathom_profile *b, char *why,
                           size_t cap) {
  char w[128];
  const char *m = "meta";
  I(m, ->meta.schema_version); S(m, ->meta.fathom_version); S(m, ->meta.session_name);
  U(m, ->meta.session_id); U(m, ->meta.start_unix_ns); U(m, ->meta.duration_ns);
  I(m, ->meta.pid); S(m, ->meta.program); S(m, ->meta.host); S(m, ->meta.os);
  S(m, ->meta.kernel); S(m, ->meta.arch); S(m, ->meta.cpu_model); U(m, ->meta.n_cpus);
  I(m, ->meta.level); S(m, ->meta.clock_source); D(m, ->meta.clock_resolution_ns);
  D(m, ->meta.clock_read_ns); D(m, ->meta.tsc_hz); D(m, ->meta.zone_cost_ns);
  D(m, ->meta.overhead_ns); D(m, ->meta.overhead_pct); D(m, ->meta.cpu_time_ns);
  U(m, ->meta.n_zones); U(m, ->meta.dropped_zones); U(m, ->meta.dropped_events);
  U(m, ->meta.misuse); U(m, ->meta.fathom_bytes);
  D(m, ->meta.untimed_cost_ns); D(m, ->meta.zone_cost_in_ns); D(m, ->meta.hook_cost_ns);
  D(m, ->meta.hook_untimed_cost_ns); D(m, ->meta.hook_cost_in_ns);
  D(m, ->meta.zone_special_cost_ns); D(m, ->meta.zone_special_in_ns);
  D(m, ->meta.hook_special_cost_ns); D(m, ->meta.hook_special_in_ns); U(m, ->meta.n_timed);
  D(m, ->meta.setup_ns); D(m, ->meta.build_ns); D(m, ->meta.fixed_cost_ns);
  D(m, ->meta.sample_period_ns); U(m, ->meta.cpu_samples); U(m, ->meta.cpu_samples_fathom);
  D(m, ->meta.sampler_cost_ns); D(m, ->meta.overhead_measured_ns);
  D(m, ->meta.overhead_measured_se_ns); D(m, ->meta.overhead_calibrated_ns);
  U("", ->n_zones); U("", ->n_nodes); U("", ->n_threads); U("", ->n_counters);
  I("", ->timeline); U("", ->n_events); U("", ->n_counter_events);
  for (uint32_t i = 0; i < a->n_zones; i++) {
    snprintf(w, sizeof w, "zones[%u]", i);
    S(w, ->zones[i].name); S(w, ->zones[i].component); S(w, ->zones[i].tags);
    S(w, ->zones[i].file); S(w, ->zones[i].func); I(w, ->zones[i].line); I(w, ->zones[i].kind);
    snprintf(w, sizeof w, "zones[%u].stats", i);
    if (stats_diff(&a->zones[i].stats, &b->zones[i].stats, w, why, cap)) return 1;
    snprintf(w, sizeof w, "zones[%u].hist", i);
    if (hist_diff(&a->zones[i].hist, &b->zones[i].hist, w, why, cap)) return 1;
  }
  for (uint32_t i = 0; i < a->n_nodes; i++) {
    snprintf(w, sizeof w, "nodes[%u]", i);
    U(w, ->nodes[i].zone); U(w, ->nodes[i].parent); U(w, ->nodes[i].thread);
    U(w, ->nodes[i].depth); U(w, ->nodes[i].n_metrics);
    for (uint32_t k = 0; k < a->nodes[i].n_metrics; k++) {
      snprintf(w, sizeof w, "nodes[%u].metrics[%u]", i, k);
      S(w, ->nodes[i].metrics[k].name); U(w, ->nodes[i].metrics[k].count);
      D(w, ->nodes[i].metrics[k].sum); D(w, ->nodes[i].metrics[k].min);
      D(w, ->nodes[i].metrics[k].max);
    }
    snprintf(w, sizeof w, "nodes[%u].stats", i);
    if (stats_diff(&a->nodes[i].stats, &b->nodes[i].stats, w, why, cap)) return 1;
    snprintf(w, sizeof w, "nodes[%u].hist", i);
    if (hist_diff(&a->nodes[i].hist, &b->nodes[i].hist, w, why, cap)) return 1;
  }
  for (uint32_t i = 0; i < a->n_threads; i++) {
    snprintf(w, sizeof w, "threads[%u]", i);
    U(w, ->threads[i].tid); S(w, ->threads[i].name); I(w, ->threads[i].exited);
    U(w, ->threads[i].n_open); U(w, ->threads[i].n_zones); U(w, ->threads[i].n_dropped);
    U(w, ->threads[i].n_recorded);
  }
  for (uint32_t i = 0; i < a->n_counters; i++) {
    snprintf(w, sizeof w, "counters[%u]", i);
    S(w, ->counters[i].name); I(w, ->counters[i].kind); U(w, ->counters[i].n_updates);
    D(w, ->counters[i].value); D(w, ->counters[i].total); D(w, ->counters[i].min);
    D(w, ->counters[i].max);
  }
  for (uint64_t i = 0; i < a->n_events; i++) {
    snprintf(w, sizeof w, "events[%llu]", (unsigned long long)i);
    U(w, ->events[i].thread); U(w, ->events[i].zone); U(w, ->events[i].depth);
    U(w, ->events[i].ts_ns); U(w, ->events[i].dur_ns);
  }
  for (uint64_t i = 0; i < a->n_counter_events; i++) {
    snprintf(w, sizeof w, "counter_events[%llu]", (unsigned long long)i);
    U(w, ->counter_events[i].counter); U(w, ->counter_events[i].thread);
    U(w, ->counter_events[i].ts_ns); D(w, ->counter_events[i].value);
  }
  return profile_differs2(a, b, why, cap);
}

static void assert_same(const fathom_profile *want, const fathom_profile *got) {
  char why[512];
  if (profile_differs(want, got, why, sizeof why)) fail_msg("loaded model differs: %s", why);
}

static void put_file(const char *path, const char *buf, size_t n) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_int_equal(fwrite(buf, 1, n, f), n);
  assert_int_equal(fclose(f), 0);
}

static void write_json(const fathom_profile *p, const char *path) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_int_equal(fz_write_json(p, f, 0), 0);
  assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path, size_t *len) {
  struct stat st;
  FILE *f = fopen(path, "rb");
  assert_true(f != NULL && fstat(fileno(f), &st) == 0);
  *len = (size_t)st.st_size;
  char *buf = xcalloc(*len + 1, 1);
  assert_int_equal(fread(buf, 1, *len, f), *len);
  fclose(f);
  return buf;
}

/* Loads path, which must succeed. */
static fathom_profile *load_ok(const char *path) {
  fathom_profile *q = NULL;
  char err[512] = "";
  int rc = fathom_profile_load(path, &q, err, sizeof err);
  if (rc) fail_msg("load %s: %d %s", path, rc, err);
  assert_non_null(q);
  return q;
}

/* Loads len bytes (copied to an exact-size heap block so reads past it are caught), which
 * must fail with code want; returns the message in err. */
static void load_fails(const char *buf, size_t len, int want, char *err, size_t errlen) {
  char *copy = malloc(len ? len : 1);
  assert_non_null(copy);
  memcpy(copy, buf, len);
  fathom_profile *q = (fathom_profile *)&q;  /* not NULL: the loader must clear it */
  err[0] = 0;
  int rc = fathom_profile_load_buffer(copy, len, &q, err, errlen);
  free(copy);
  if (rc != want) fail_msg("want code %d, got %d (%s) for %.*s", want, rc, err, (int)len, buf);
  assert_true(q == NULL && err[0] != 0 && !strchr(err, '\n'));
}

/* Loads path (NULL allowed), which must fail with code want; the message, which must name
 * the file, is left in err. */
static void load_path_fails(const char *path, int want, char *err, size_t errlen) {
  fathom_profile *q = (fathom_profile *)&q;
  int rc = fathom_profile_load(path, &q, err, errlen);
  if (rc != want) fail_msg("%s: want code %d, got %d (%s)", path, want, rc, err);
  assert_true(q == NULL && (errlen < 2 || (err[0] != 0 && !strchr(err, '\n'))));
  if (path && errlen > strlen(path)) assert_memory_equal(err, path, strlen(path));
}

/* Counts the entries of the temporary directory whose names start with prefix ("" for all
 * but . and ..), removing them if asked. */
static int tmp_entries(const char *prefix, int remove) {
  DIR *d = opendir(tmp_base);
  struct dirent *e;
  int found = 0;
  while (d && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
    found++;
    if (remove) unlink(tmp_path(e->d_name));
  }
  if (d) closedir(d);
  return found;
}

static int cleanup_tmp(void **state) {
  (void)state;
  if (tmp_base[0]) tmp_entries("", 1);
  if (tmp_base[0]) rmdir(tmp_base);
  return 0;
}

/* base with the first occurrence of from replaced by to; the caller frees. */
static char *mutate(const char *base, const char *from, const char *to) {
  const char *at = strstr(base, from);
  if (!at) fail_msg("mutate: \"%s\" not in the base document", from);
  size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
  char *out = xcalloc(n, 1);
  snprintf(out, n, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
  return out;
}


/* The same, freeing doc. */
static char *remutate(char *doc, const char *from, const char *to) {
  char *out = mutate(doc, from, to);
  free(doc);
  return out;
}

#endif
