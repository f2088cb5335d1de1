/* test_views.c: the merged call paths and the text, CSV and Chrome trace views, checked on
 * profile models built by hand (no recorder involved); estimates (schema 4) in the text, CSV,
 * JSON and Prometheus views, and shares that never read above 100 %.
 *
 * Invariant: every expected figure here is derived by hand from the model the test builds,
 * so a view that prints or merges something wrong fails, not just one that crashes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fathom.h"
#include "fathom_load.h"
#include "model.h"

/* ---- building models by hand ---- */
static fathom_profile *mk_profile(const char *name) {
  fathom_profile *p = calloc(1, sizeof *p);
  assert_non_null(p);
  p->meta.schema_version = FATHOM_SCHEMA_VERSION;
  p->meta.fathom_version = strdup(FATHOM_VERSION_STRING);
  p->meta.session_name = name ? strdup(name) : NULL;
  p->meta.session_id = 0x1234abcdULL;
  p->meta.start_unix_ns = 1700000000ULL * 1000000000ULL;
  p->meta.duration_ns = 2500000000ULL;
  p->meta.pid = 4242;
  p->meta.program = strdup("/usr/bin/trainer");
  p->meta.host = strdup("box");
  p->meta.n_cpus = 2;
  p->meta.level = FATHOM_LEVEL_BASIC;
  p->meta.clock_source = strdup("tsc");
  p->meta.clock_resolution_ns = 0.4;
  p->meta.clock_read_ns = 7.5;
  p->meta.zone_cost_ns = 21.0;
  p->meta.overhead_pct = 0.012;
  return p;
}

static uint32_t add_zone(fathom_profile *p, const char *name, const char *comp) {
  p->zones = realloc(p->zones, (p->n_zones + 1) * sizeof *p->zones);
  assert_non_null(p->zones);
  fathom_zone_info *z = &p->zones[p->n_zones];
  memset(z, 0, sizeof *z);
  z->name = strdup(name);
  z->component = comp ? strdup(comp) : NULL;
  return p->n_zones++;
}

static uint32_t add_thread(fathom_profile *p, uint64_t tid, const char *name) {
  p->threads = realloc(p->threads, (p->n_threads + 1) * sizeof *p->threads);
  assert_non_null(p->threads);
  fathom_thread_info *t = &p->threads[p->n_threads];
  memset(t, 0, sizeof *t);
  t->tid = tid;
  t->name = strdup(name);
  return p->n_threads++;
}

/* n calls of duration d each, plus m calls of duration d2; self = total - child_ns. */
static uint32_t add_node2(fathom_profile *p, uint32_t zone, uint32_t parent, uint32_t thread,
                          uint64_t n, uint64_t d, uint64_t m, uint64_t d2, uint64_t child_ns) {
  p->nodes = realloc(p->nodes, (p->n_nodes + 1) * sizeof *p->nodes);
  assert_non_null(p->nodes);
  fathom_node *nd = &p->nodes[p->n_nodes];
  memset(nd, 0, sizeof *nd);
  nd->zone = zone;
  nd->parent = parent;
  nd->thread = thread;
  nd->depth = parent == FATHOM_NONE ? 1 : p->nodes[parent].depth + 1;
  fathom_stats *s = &nd->stats;
  s->count = n + m;
  s->total_ns = n * d + m * d2;
  s->self_ns = s->total_ns - child_ns;
  s->min_ns = m && d2 < d ? d2 : d;
  s->max_ns = m && d2 > d ? d2 : d;
  double c = (double)s->count;
  s->mean_ns = (double)s->total_ns / c;
  double ss = (double)n * ((double)d - s->mean_ns) * ((double)d - s->mean_ns) +
              (double)m * ((double)d2 - s->mean_ns) * ((double)d2 - s->mean_ns);
  s->stddev_ns = c > 1 ? sqrt(ss / (c - 1)) : 0;
  uint64_t *dense = calloc(FATHOM_HIST_BUCKETS, sizeof *dense);
  assert_non_null(dense);
  dense[fz_hist_bucket_of(d)] += n;
  if (m) dense[fz_hist_bucket_of(d2)] += m;
  assert_int_equal(fz_hist_from_dense(&nd->hist, dense), 0);
  free(dense);
  fz_stats_set_percentiles(s, &nd->hist);
  p->threads[thread].n_zones += s->count;
  p->meta.n_zones += s->count;
  return p->n_nodes++;
}

static uint32_t add_node(fathom_profile *p, uint32_t zone, uint32_t parent, uint32_t thread,
                         uint64_t n, uint64_t d, uint64_t child_ns) {
  return add_node2(p, zone, parent, thread, n, d, 0, 0, child_ns);
}

/* Rolls node statistics up into the zones, as the recorder does (no recursion here). */
static void finish_zones(fathom_profile *p) {
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    fathom_zone_info *z = &p->zones[p->nodes[i].zone];
    fz_stats_merge(&z->stats, &p->nodes[i].stats);
    assert_int_equal(fz_hist_merge(&z->hist, &p->nodes[i].hist), 0);
  }
  for (uint32_t z = 0; z < p->n_zones; z++) fz_stats_set_percentiles(&p->zones[z].stats, &p->zones[z].hist);
}

static void add_event(fathom_profile *p, uint32_t thread, uint32_t zone, uint32_t depth,
                      uint64_t ts, uint64_t dur) {
  p->events = realloc(p->events, (p->n_events + 1) * sizeof *p->events);
  assert_non_null(p->events);
  p->events[p->n_events++] = (fathom_event){thread, zone, depth, ts, dur};
}

static void add_counter(fathom_profile *p, const char *name, fathom_metric_kind kind, double value,
                        double total, double mn, double mx, uint64_t n) {
  p->counters = realloc(p->counters, (p->n_counters + 1) * sizeof *p->counters);
  assert_non_null(p->counters);
  p->counters[p->n_counters++] = (fathom_counter_info){strdup(name), kind, n, value, total, mn, mx};
}

/* The shared example: two threads.
 *   T0 (tid 1001 "main"):   main 1x1 ms { work 10x100 ns }, io 1x200 ns (top level)
 *   T1 (tid 1002 "worker"): main 1x40 us { work 30x1000 ns, io 1x5000 ns }            */
enum { Z_MAIN, Z_WORK, Z_IO };
static fathom_profile *example(void) {
  fathom_profile *p = mk_profile("train-run");
  add_zone(p, "main", "app");
  add_zone(p, "work", "compute");
  add_zone(p, "io", "io");
  add_thread(p, 1001, "main");
  add_thread(p, 1002, "worker");
  uint32_t m0 = add_node(p, Z_MAIN, FATHOM_NONE, 0, 1, 1000000, 1000);
  add_node(p, Z_WORK, m0, 0, 10, 100, 0);
  add_node(p, Z_IO, FATHOM_NONE, 0, 1, 200, 0);
  uint32_t m1 = add_node(p, Z_MAIN, FATHOM_NONE, 1, 1, 40000, 35000);
  add_node(p, Z_WORK, m1, 1, 30, 1000, 0);
  add_node(p, Z_IO, m1, 1, 1, 5000, 0);
  p->threads[1].exited = 1;
  finish_zones(p);
  return p;
}

static char *render(const fathom_profile *p, fathom_format fmt, int color) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  int rc = fathom_profile_write(p, fmt, f, color);
  fclose(f);
  assert_int_equal(rc, 0);
  assert_non_null(buf);
  assert_int_equal(strlen(buf), len);
  return buf;
}

/* ---- paths ---- */
static uint32_t find_path(const fathom_profile *p, const fz_path *paths, uint32_t n,
                          const char *s) {
  char buf[256];
  for (uint32_t i = 0; i < n; i++) {
    fz_path_string(p, paths, i, buf, sizeof buf);
    if (strcmp(buf, s) == 0) return i;
  }
  return FATHOM_NONE;
}

static void test_paths_merge(void **state) {
  (void)state;
  fathom_profile *p = example();
  fz_path *paths;
  uint32_t n, top;
  assert_int_equal(fz_paths_build(p, &paths, &n, &top), 0);
  assert_int_equal(n, 4);   /* main, main/work, main/io, io */
  uint32_t pm = find_path(p, paths, n, "main"), pw = find_path(p, paths, n, "main/work");
  uint32_t pio = find_path(p, paths, n, "main/io"), tio = find_path(p, paths, n, "io");
  assert_true(pm != FATHOM_NONE && pw != FATHOM_NONE && pio != FATHOM_NONE && tio != FATHOM_NONE);
  /* counts and totals add across threads */
  assert_int_equal(paths[pm].stats.count, 2);
  assert_int_equal(paths[pm].stats.total_ns, 1040000);
  assert_int_equal(paths[pm].n_threads, 2);
  assert_int_equal(paths[pw].stats.count, 40);
  assert_int_equal(paths[pw].stats.total_ns, 31000);
  assert_int_equal(paths[pw].n_threads, 2);
  assert_int_equal(paths[pw].depth, 2);
  assert_int_equal(paths[pw].parent, pm);
  assert_int_equal(paths[pio].n_threads, 1);
  assert_int_equal(paths[pw].stats.min_ns, 100);
  assert_int_equal(paths[pw].stats.max_ns, 1000);
  assert_true(fabs(paths[pw].stats.mean_ns - 775.0) < 1e-9);
  assert_true(fabs(paths[pw].stats.stddev_ns - sqrt(6075000.0 / 39.0)) < 1e-6);
  /* percentiles come from the merged histogram: 30 of 40 calls took 1000 ns */
  assert_int_equal(fz_hist_total(&paths[pw].hist), 40);
  assert_true(fabs(paths[pw].stats.p50_ns - 1000.0) < 1e-9);
  assert_true(fabs(paths[pw].stats.p90_ns - 1000.0) < 1e-9);
  assert_true(paths[pw].stats.p50_ns > p->nodes[1].stats.p50_ns);   /* T0 alone: 100 */
  assert_true(fabs(fathom_hist_percentile(&paths[pw].hist, 20, 100, 1000) - 100.0) < 1e-9);
  /* order: top level by total (main, then io); children by total (work, then io) */
  assert_int_equal(top, pm);
  assert_int_equal(paths[pm].next_sibling, tio);
  assert_int_equal(paths[tio].next_sibling, FATHOM_NONE);
  assert_int_equal(paths[pm].first_child, pw);
  assert_int_equal(paths[pw].next_sibling, pio);
  assert_int_equal(paths[pio].next_sibling, FATHOM_NONE);
  for (uint32_t i = 0; i < n; i++)
    assert_true(paths[i].parent == FATHOM_NONE || paths[i].parent < i);
  /* truncated path strings keep the leaf and fit */
  char small[8];
  fz_path_string(p, paths, pw, small, sizeof small);
  assert_true(strlen(small) < sizeof small);
  assert_memory_equal(small, "...", 3);
  assert_non_null(strstr(small, "work"));
  char tiny[3];
  fz_path_string(p, paths, pw, tiny, sizeof tiny);
  assert_true(strlen(tiny) < sizeof tiny);
  fz_paths_free(paths, n);
  fathom_profile_free(p);
}

static void test_paths_empty_and_bad(void **state) {
  (void)state;
  fathom_profile *p = mk_profile(NULL);
  fz_path *paths = (fz_path *)1;
  uint32_t n = 7, top = 0;
  assert_int_equal(fz_paths_build(p, &paths, &n, &top), 0);
  assert_null(paths);
  assert_int_equal(n, 0);
  assert_int_equal(top, FATHOM_NONE);
  add_zone(p, "a", NULL);
  add_thread(p, 1, "t");
  add_node(p, 0, FATHOM_NONE, 0, 1, 10, 0);
  p->nodes[0].parent = 0;   /* a node that is its own parent: malformed */
  assert_int_equal(fz_paths_build(p, &paths, &n, &top), FATHOM_E_FORMAT);
  fathom_profile_free(p);
}

static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void) {
  rnd_state ^= rnd_state << 13;
  rnd_state ^= rnd_state >> 7;
  rnd_state ^= rnd_state << 17;
  return rnd_state;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Random forests on 4 threads: the merge matches a naive one (paths as strings) and
 * 100k nodes merge fast. */
static void check_random(uint32_t nn, int naive) {
  fathom_profile *p = mk_profile("rand");
  char nm[16];
  for (int z = 0; z < 40; z++) {
    snprintf(nm, sizeof nm, "z%02d", z);
    add_zone(p, nm, z % 3 ? "c1" : "c2");
  }
  for (int t = 0; t < 4; t++) add_thread(p, 100 + (uint64_t)t, "t");
  p->nodes = calloc(nn, sizeof *p->nodes);
  assert_non_null(p->nodes);
  uint32_t last[4] = {FATHOM_NONE, FATHOM_NONE, FATHOM_NONE, FATHOM_NONE};
  uint64_t calls = 0;
  for (uint32_t i = 0; i < nn; i++) {
    fathom_node *nd = &p->nodes[i];
    uint32_t t = (uint32_t)(rnd() % 4);
    nd->thread = t;
    nd->zone = (uint32_t)(rnd() % 40);
    /* parent: none, the thread's last node, or that node's parent: deep and wide trees */
    uint64_t r = rnd() % 8;
    uint32_t par = last[t];
    if (par != FATHOM_NONE && r < 3) par = p->nodes[par].parent;
    if (r == 7) par = FATHOM_NONE;
    nd->parent = par;
    nd->depth = par == FATHOM_NONE ? 1 : p->nodes[par].depth + 1;
    uint64_t d = 1 + rnd() % 5000;
    nd->stats = (fathom_stats){.count = 1 + rnd() % 3, .min_ns = d, .max_ns = d, .mean_ns = (double)d};
    nd->stats.total_ns = nd->stats.count * d;
    nd->stats.self_ns = nd->stats.total_ns;
    calls += nd->stats.count;
    p->n_nodes = i + 1;
    last[t] = i;
  }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  fz_path *paths;
  uint32_t n, top;
  assert_int_equal(fz_paths_build(p, &paths, &n, &top), 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  assert_true(secs < 5.0);
  uint64_t sum = 0;
  for (uint32_t i = 0; i < n; i++) {
    sum += paths[i].stats.count;
    assert_true(paths[i].parent == FATHOM_NONE || paths[i].parent < i);
    uint32_t c = paths[i].first_child;
    while (c != FATHOM_NONE && paths[c].next_sibling != FATHOM_NONE) {
      assert_int_equal(paths[c].parent, i);
      assert_true(paths[c].stats.total_ns >= paths[paths[c].next_sibling].stats.total_ns);
      c = paths[c].next_sibling;
    }
  }
  assert_int_equal(sum, calls);
  if (naive) {
    char **ns = calloc(nn, sizeof *ns), **ps = calloc(n, sizeof *ps);
    assert_non_null(ns);
    assert_non_null(ps);
    for (uint32_t i = 0; i < nn; i++) {
      char buf[4096] = "", tmp[8192];
      for (uint32_t k = i; k != FATHOM_NONE; k = p->nodes[k].parent) {
        snprintf(tmp, sizeof tmp, "%s%s%s", p->zones[p->nodes[k].zone].name, buf[0] ? "/" : "",
                 buf);
        assert_true(strlen(tmp) < sizeof buf);
        memcpy(buf, tmp, sizeof buf);
      }
      ns[i] = strdup(buf);
    }
    for (uint32_t i = 0; i < n; i++) {
      ps[i] = malloc(4096);
      fz_path_string(p, paths, i, ps[i], 4096);
    }
    qsort(ns, nn, sizeof *ns, cmp_str);
    qsort(ps, n, sizeof *ps, cmp_str);
    uint32_t distinct = 0;
    for (uint32_t i = 0; i < nn; i++) distinct += i == 0 || strcmp(ns[i], ns[i - 1]) != 0;
    assert_int_equal(distinct, n);
    for (uint32_t i = 1; i < n; i++) assert_true(strcmp(ps[i], ps[i - 1]) != 0);
    for (uint32_t i = 0; i < nn; i++) free(ns[i]);
    for (uint32_t i = 0; i < n; i++) free(ps[i]);
    free(ns);
    free(ps);
  }
  fz_paths_free(paths, n);
  fathom_profile_free(p);
}

static void test_paths_random_naive(void **state) {
  (void)state;
  check_random(3000, 1);
}

static void test_paths_100k(void **state) {
  (void)state;
  check_random(100000, 0);
}

/* ---- text ---- */
static void test_text_report(void **state) {
  (void)state;
  fathom_profile *p = example();
  add_counter(p, "batches", FATHOM_METRIC_COUNTER, 1234567, 1234567, 1, 1000, 5000);
  add_counter(p, "lr", FATHOM_METRIC_GAUGE, 0.001, 0.5, 0.001, 0.1, 100);
  add_counter(p, "buffer", FATHOM_METRIC_SIZE, 3 * 1048576.0, 6 * 1048576.0, 1024, 3 * 1048576.0, 2);
  p->nodes[1].n_metrics = 1;
  p->nodes[1].metrics = calloc(1, sizeof *p->nodes[1].metrics);
  p->nodes[1].metrics[0] = (fathom_metric_stats){strdup("items"), 10, 420, 40, 44};
  char *s = render(p, FATHOM_FORMAT_TEXT, 0);
  const char *want[] = {"train-run", "000000001234abcd", "Duration:", "2.500 s", "basic",
                        "Operations:", "44 zone calls", "1.04 ms in top-level zones",
                        "Threads:", "tsc, resolution 0.4 ns, read cost 7.5 ns",
                        "21 ns per zone", "Dropped:", "0 zones, 0 events", "0 API misuse",
                        "Component breakdown", "compute", "Top operations by total time",
                        "Latency per call", "p99.9", "stddev", "Call tree", "main", "work",
                        "31.00 \xc2\xb5s", "Counters, gauges and sizes", "1,234,567",
                        "3.00 MiB", "Threads", "worker", "1002", "yes", "Zone metrics", "items",
                        "% parent"};
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    if (!strstr(s, want[k])) fail_msg("text report lacks \"%s\":\n%s", want[k], s);
  }
  assert_null(strchr(s, '\033'));
  /* the tree indents children under their parent */
  assert_non_null(strstr(s, "\n  main "));
  assert_non_null(strstr(s, "\n    work "));
  /* columns align: in the threads table both rows end at the same column */
  const char *t = strstr(s, "\nThreads\n");
  assert_non_null(t);
  const char *r1 = strstr(t, "\n  1001"), *r2 = strstr(t, "\n  1002");
  assert_non_null(r1);
  assert_non_null(r2);
  assert_int_equal(strchr(r1 + 1, '\n') - r1, strchr(r2 + 1, '\n') - r2);
  free(s);
  s = render(p, FATHOM_FORMAT_TEXT, 1);
  assert_non_null(strstr(s, "\033["));
  assert_non_null(strstr(s, "train-run"));
  free(s);
  fathom_profile_free(p);
}

static void test_text_hostile_and_caps(void **state) {
  (void)state;
  fathom_profile *p = mk_profile("caps\033[31m");
  add_thread(p, 7, "t\033x");
  char nm[32];
  for (int z = 0; z < 100; z++) {
    snprintf(nm, sizeof nm, "op%03d\033[1m", z);
    add_zone(p, nm, "c");
    add_node(p, (uint32_t)z, FATHOM_NONE, 0, 1, 1000 + (uint64_t)z, 0);
  }
  /* a chain deeper than the tree shows */
  uint32_t par = FATHOM_NONE;
  uint32_t deep = add_zone(p, "deep", "d");
  for (int k = 0; k < 30; k++) par = add_node(p, deep, par, 0, 1, 1000000 - (uint64_t)k, k < 29 ? 1000000 - (uint64_t)k - 1 : 0);
  finish_zones(p);
  p->meta.dropped_zones = 12345;
  char *s = render(p, FATHOM_FORMAT_TEXT, 0);
  assert_null(strchr(s, '\033'));
  assert_non_null(strstr(s, "op099?[1m"));
  assert_non_null(strstr(s, "12,345 zones, 0 events"));
  assert_non_null(strstr(s, "... 81 more operations"));   /* 101 zones, 20 shown */
  assert_non_null(strstr(s, "deeper paths"));
  assert_non_null(strstr(s, "more paths"));
  size_t lines = 0;
  for (const char *c = s; *c; c++) lines += *c == '\n';
  assert_true(lines < 200);
  free(s);
  fathom_profile_free(p);
}

static void test_empty_profile(void **state) {
  (void)state;
  fathom_profile *p = calloc(1, sizeof *p);   /* every string NULL, nothing recorded */
  char *s = render(p, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(s, "No zones were recorded"));
  assert_non_null(strstr(s, "0 zones, 0 events"));
  free(s);
  s = render(p, FATHOM_FORMAT_TEXT, 1);
  free(s);
  s = render(p, FATHOM_FORMAT_CSV, 0);   /* the header alone: 64 fields, in order */
  assert_string_equal(strstr(s, ",p999_ns,clock_source,"), ",p999_ns,clock_source,clock_resolution_ns,"
      "clock_read_ns,zone_cost_ns,overhead_pct,dropped_zones,dropped_events,dropped_hist,misuse,"
      "timed,time_every,gov,res_samples,res_sample_every,res_cpu_user_ns,res_cpu_sys_ns,res_ctx_vol,"
      "res_ctx_invol,res_minflt,res_majflt,res_read_bytes,res_write_bytes,res_disk_read_bytes,"
      "res_disk_write_bytes,res_rss_delta_bytes,res_instructions,res_cycles,res_cache_refs,"
      "res_cache_misses,res_branch_misses,res_fp_ops,res_wall_ns,alloc_count,alloc_bytes,free_count,free_bytes,"
      "live_count,live_bytes,growth_bytes_per_call,self_alloc_count,self_alloc_bytes,self_free_count,"
      "self_free_bytes,self_live_count,self_live_bytes,self_growth_bytes_per_call,flops,flops_self,"
      "total_se_ns,self_se_ns,p50_lo_ns,p50_hi_ns,p90_lo_ns,p90_hi_ns,p95_lo_ns,p95_hi_ns,"
      "p99_lo_ns,p99_hi_ns,p999_lo_ns,p999_hi_ns,overhead_ns,estimated,res_cpu_ns\r\n");
  assert_memory_equal(s, "path,zone,component,depth,threads,calls,total_ns,", 48);
  free(s);
  s = render(p, FATHOM_FORMAT_CHROME, 0);
  json_error_t err;
  json_t *j = json_loads(s, 0, &err);
  if (!j) fail_msg("chrome json: %s at %d: %s", err.text, err.line, s);
  assert_int_equal(json_array_size(json_object_get(j, "traceEvents")), 1);   /* process_name */
  assert_true(json_is_true(json_object_get(json_object_get(j, "otherData"), "synthesized")));
  json_decref(j);
  free(s);
  p->timeline = 1;
  s = render(p, FATHOM_FORMAT_CHROME, 0);
  j = json_loads(s, 0, &err);
  assert_non_null(j);
  json_decref(j);
  free(s);
  fathom_profile_free(p);
}

/* ---- CSV ---- */
/* Parses RFC 4180 text into rows of fields (NULL-terminated arrays); returns row count. */
static size_t parse_csv(const char *s, char ****rows_out) {
  char ***rows = NULL;
  size_t nr = 0;
  while (*s) {
    char **fields = NULL;
    size_t nf = 0;
    for (;;) {
      char *fld = malloc(strlen(s) + 1);
      size_t o = 0;
      if (*s == '"') {
        s++;
        for (;;) {
          assert_true(*s != 0);   /* unterminated quote */
          if (*s == '"' && s[1] == '"') fld[o++] = '"', s += 2;
          else if (*s == '"') {
            s++;
            break;
          } else fld[o++] = *s++;
        }
      } else {
        while (*s && *s != ',' && *s != '\r' && *s != '\n') {
          assert_true(*s != '"');   /* a quote in an unquoted field */
          fld[o++] = *s++;
        }
      }
      fld[o] = 0;
      fields = realloc(fields, (nf + 2) * sizeof *fields);
      fields[nf++] = fld;
      fields[nf] = NULL;
      if (*s == ',') {
        s++;
        continue;
      }
      assert_true(s[0] == '\r' && s[1] == '\n');   /* CRLF ends every record */
      s += 2;
      break;
    }
    rows = realloc(rows, (nr + 1) * sizeof *rows);
    rows[nr++] = fields;
  }
  *rows_out = rows;
  return nr;
}

static void free_csv(char ***rows, size_t nr) {
  for (size_t r = 0; r < nr; r++) {
    for (size_t f = 0; rows[r][f]; f++) free(rows[r][f]);
    free(rows[r]);
  }
  free(rows);
}

static size_t nfields(char **row) {
  size_t n = 0;
  while (row[n]) n++;
  return n;
}

/* The resource parts of the views, under the decimal-comma locale test_csv sets: still '.'. */
static void resources_in_locale(void) {
  fathom_profile *p = example();
  p->meta.level = FATHOM_LEVEL_DETAILED;
  p->res = (fathom_resources){.monitored = 1, .cpu_pct_mean = 88.5, .cpu_pct_max = 150.25};
  p->nodes[1].res = (fathom_res){.samples = 3, .sample_every = 16, .mask = 1u};
  p->nodes[1].res.sum[0] = 1234.5, p->zones[Z_WORK].res = p->nodes[1].res;   /* main/work, T0 */
  p->nodes[1].alloc_self = (fathom_alloc){2, 2048, 1, 1024, 1, 1024, 31457.28};
  fathom_series *se = &p->series;
  *se = (fathom_series){1, calloc(1, sizeof(char *)), 1, calloc(1, 8), calloc(1, 8), 0.5};
  se->cols[0] = strdup("cpu_user_pct"), se->ts_ns[0] = 1500, se->v[0] = 75.25;
  const char *want[3][2] = {{"88.5% mean, 150.2% at most", "+7.68 KiB/call"},  /* x 10/40 */
                            {",1234.5,", ",7864.3"},  /* growth of main/work over threads */
                            {"\"ts\":1.500,\"args\":{\"user_pct\":75.25}", "\"monitor_interval_s\":0.5"}};
  static const fathom_format fmt[3] = {FATHOM_FORMAT_TEXT, FATHOM_FORMAT_CSV, FATHOM_FORMAT_CHROME};
  for (int k = 0; k < 6; k++) {
    char *s = render(p, fmt[k / 2], 0);
    if (!strstr(s, want[k / 2][k % 2])) fail_msg("view %d lacks \"%s\"", k / 2, want[k / 2][k % 2]);
    free(s);
  }
  fathom_profile_free(p);
}

static void test_csv(void **state) {
  (void)state;
  fathom_profile *p = example();
  uint32_t q = add_zone(p, "say \"hi\", again", "odd,comp");
  uint32_t nl = add_zone(p, "multi\nline", NULL);
  uint32_t a = add_node(p, q, FATHOM_NONE, 0, 2, 300, 50);
  add_node(p, nl, a, 0, 1, 50, 0);
  finish_zones(p);
  char *s = render(p, FATHOM_FORMAT_CSV, 0);
  char ***rows;
  size_t nr = parse_csv(s, &rows);
  assert_int_equal(nr, 1 + 6);   /* header + main, main/work, main/io, io, q, q/nl */
  for (size_t r = 0; r < nr; r++) assert_int_equal(nfields(rows[r]), 80);
  assert_string_equal(rows[0][0], "path");
  assert_string_equal(rows[0][16], "p999_ns");
  assert_string_equal(rows[0][17], "clock_source");
  assert_string_equal(rows[0][25], "misuse");
  for (size_t r = 1; r < nr; r++) /* profile-wide columns are the same on every row */
    for (int c = 17; c < 26; c++) assert_string_equal(rows[r][c], rows[1][c]);
  int seen = 0;
  for (size_t r = 1; r < nr; r++) {
    if (strcmp(rows[r][0], "main/work") == 0) {
      seen |= 1;
      assert_string_equal(rows[r][1], "work");
      assert_string_equal(rows[r][2], "compute");
      assert_string_equal(rows[r][3], "2");
      assert_string_equal(rows[r][4], "2");
      assert_string_equal(rows[r][5], "40");
      assert_string_equal(rows[r][6], "31000");
      assert_string_equal(rows[r][7], "31000");
      assert_string_equal(rows[r][8], "775.0");
      assert_string_equal(rows[r][10], "100");
      assert_string_equal(rows[r][11], "1000");
      assert_string_equal(rows[r][12], "1000.0");
      /* schema 4: every call timed: exact, the bounds are the percentiles themselves */
      assert_string_equal(rows[r][78], "0");          /* estimated */
      assert_string_equal(rows[r][65], "0");          /* total_se_ns */
      assert_string_equal(rows[r][67], "1000");       /* p50_lo_ns */
      assert_string_equal(rows[r][68], "1000");       /* p50_hi_ns */
    }
    if (strcmp(rows[r][0], "say \"hi\", again/multi\nline") == 0) {
      seen |= 2;
      assert_string_equal(rows[r][1], "multi\nline");
      assert_string_equal(rows[r][2], "default");
      assert_string_equal(rows[r][3], "2");
    }
    if (strcmp(rows[r][0], "say \"hi\", again") == 0) {
      seen |= 4;
      assert_string_equal(rows[r][2], "odd,comp");
      assert_string_equal(rows[r][7], "550");
    }
  }
  assert_int_equal(seen, 7);
  /* depth-first order: the first row is the heaviest top-level path, its children follow */
  assert_string_equal(rows[1][0], "main");
  assert_string_equal(rows[2][0], "main/work");
  assert_string_equal(rows[3][0], "main/io");
  free_csv(rows, nr);
  free(s);
  /* a decimal-comma locale set by the host must not leak into the numbers (the build
   * compiles de_DE.UTF-8 into build/locale; ctest points LOCPATH at it) */
  if (!setlocale(LC_NUMERIC, "de_DE.UTF-8"))
    fail_msg("no de_DE.UTF-8 locale: LOCPATH=%s", getenv("LOCPATH") ? getenv("LOCPATH") : "");
  {
    s = render(p, FATHOM_FORMAT_CSV, 0);
    assert_non_null(strstr(s, ",775.0,"));
    free(s);
    s = render(p, FATHOM_FORMAT_CHROME, 0);
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    json_decref(j);
    free(s);
    resources_in_locale();
    setlocale(LC_NUMERIC, "C");
  }
  fathom_profile_free(p);
}

/* ---- Chrome trace ---- */
static json_t *load_trace(const fathom_profile *p) {
  char *s = render(p, FATHOM_FORMAT_CHROME, 0);
  json_error_t err;
  json_t *j = json_loads(s, 0, &err);
  if (!j) fail_msg("invalid trace JSON: %s (line %d col %d)\n%s", err.text, err.line, err.column, s);
  free(s);
  assert_string_equal(json_string_value(json_object_get(j, "displayTimeUnit")), "ns");
  assert_true(json_is_array(json_object_get(j, "traceEvents")));
  assert_true(json_is_object(json_object_get(j, "otherData")));
  return j;
}

static size_t count_ph(json_t *j, const char *ph) {
  size_t i, n = 0;
  json_t *e;
  json_array_foreach(json_object_get(j, "traceEvents"), i, e) {
    n += strcmp(json_string_value(json_object_get(e, "ph")), ph) == 0;
  }
  return n;
}

/* X events: per tid, in file order, each starts no earlier than the previous and lies
 * inside every event still open, whose number is its depth - 1. */
static void check_nesting(json_t *j) {
  size_t i;
  json_t *e;
  struct {
    long long tid;
    double end[64];
    int n;
    double last_ts;
  } st[8];
  int nst = 0;
  json_array_foreach(json_object_get(j, "traceEvents"), i, e) {
    if (strcmp(json_string_value(json_object_get(e, "ph")), "X") != 0) continue;
    long long tid = json_integer_value(json_object_get(e, "tid"));
    double ts = json_number_value(json_object_get(e, "ts"));
    double dur = json_number_value(json_object_get(e, "dur"));
    long long depth = json_integer_value(json_object_get(json_object_get(e, "args"), "depth"));
    int k = 0;
    while (k < nst && st[k].tid != tid) k++;
    if (k == nst) {
      assert_true(nst < 8);
      st[nst].tid = tid;
      st[nst].n = 0;
      st[nst].last_ts = -1;
      nst++;
    }
    assert_true(ts >= st[k].last_ts);
    st[k].last_ts = ts;
    while (st[k].n > 0 && st[k].end[st[k].n - 1] <= ts && !(dur == 0 && st[k].end[st[k].n - 1] == ts && depth > st[k].n))
      st[k].n--;
    if (st[k].n > 0) assert_true(ts + dur <= st[k].end[st[k].n - 1] + 1e-9);
    assert_int_equal(depth, st[k].n + 1);
    assert_true(st[k].n < 64);
    st[k].end[st[k].n++] = ts + dur;
  }
}

static json_t *find_x(json_t *j, const char *name, double ts) {
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(j, "traceEvents"), i, e) {
    if (strcmp(json_string_value(json_object_get(e, "ph")), "X") == 0 &&
        strcmp(json_string_value(json_object_get(e, "name")), name) == 0 &&
        fabs(json_number_value(json_object_get(e, "ts")) - ts) < 1e-9)
      return e;
  }
  fail_msg("no X event %s at %g", name, ts);
  return NULL;
}

static void test_chrome_timeline(void **state) {
  (void)state;
  fathom_profile *p = example();
  uint32_t bad = add_zone(p, "bad\xff\xfe\x01name\"\\", "c\tat");
  p->timeline = 1;
  /* listed child-first at equal ts: the writer must put the parent first */
  add_event(p, 0, Z_WORK, 2, 0, 500);
  add_event(p, 0, Z_MAIN, 1, 0, 10000);
  add_event(p, 0, Z_WORK, 2, 1000, 1500);
  add_event(p, 0, bad, 3, 1200, 1);
  add_event(p, 1, Z_IO, 1, 2500, 1000);
  p->counter_events = calloc(3, sizeof *p->counter_events);
  add_counter(p, "batches", FATHOM_METRIC_COUNTER, 3, 3, 1, 2, 2);
  p->counter_events[0] = (fathom_counter_event){0, 0, 100, 1.0};
  p->counter_events[1] = (fathom_counter_event){0, 1, 2600, 3.0};
  p->counter_events[2] = (fathom_counter_event){0, 1, 2700, NAN};   /* not JSON: skipped */
  p->n_counter_events = 3;
  json_t *j = load_trace(p);
  assert_int_equal(count_ph(j, "X"), 5);
  assert_int_equal(count_ph(j, "M"), 1 + 2 * 2);
  assert_int_equal(count_ph(j, "C"), 2);
  check_nesting(j);
  json_t *w = find_x(j, "work", 1.0);
  assert_true(fabs(json_number_value(json_object_get(w, "dur")) - 1.5) < 1e-12);
  assert_int_equal(json_integer_value(json_object_get(w, "pid")), 4242);
  assert_int_equal(json_integer_value(json_object_get(w, "tid")), 1001);
  assert_string_equal(json_string_value(json_object_get(w, "cat")), "compute");
  json_t *b = find_x(j, "bad\xef\xbf\xbd\xef\xbf\xbd\x01name\"\\", 1.2);
  assert_true(fabs(json_number_value(json_object_get(b, "dur")) - 0.001) < 1e-12);
  assert_string_equal(json_string_value(json_object_get(b, "cat")), "c\tat");
  assert_int_equal(json_integer_value(json_object_get(find_x(j, "io", 2.5), "tid")), 1002);
  json_t *od = json_object_get(j, "otherData");
  assert_true(json_is_false(json_object_get(od, "synthesized")));
  assert_string_equal(json_string_value(json_object_get(od, "session_name")), "train-run");
  /* the first events: metadata, then main before work at ts 0 */
  size_t i;
  json_t *e;
  int seen_main = 0;
  json_array_foreach(json_object_get(j, "traceEvents"), i, e) {
    const char *ph = json_string_value(json_object_get(e, "ph"));
    const char *nm = json_string_value(json_object_get(e, "name"));
    if (strcmp(ph, "M") == 0 && strcmp(nm, "thread_name") == 0 &&
        json_integer_value(json_object_get(e, "tid")) == 1002)
      assert_string_equal(json_string_value(json_object_get(json_object_get(e, "args"), "name")), "worker");
    if (strcmp(ph, "X") == 0 && strcmp(nm, "main") == 0) seen_main = 1;
    if (strcmp(ph, "X") == 0 && strcmp(nm, "work") == 0) assert_true(seen_main);
    if (strcmp(ph, "C") == 0 && json_number_value(json_object_get(e, "ts")) > 1)
      assert_true(json_number_value(json_object_get(json_object_get(e, "args"), "value")) == 3.0);
  }
  json_decref(j);
  /* and the file form, through the atomic writer */
  const char *dir = getenv("FATHOM_TEST_TMP");
  char path[512];
  snprintf(path, sizeof path, "%s/views-trace.json", dir ? dir : "/tmp");
  char cmd[600];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir ? dir : "/tmp");
  assert_int_equal(system(cmd), 0);
  assert_int_equal(fathom_profile_save(p, FATHOM_FORMAT_CHROME, path), 0);
  json_error_t err;
  j = json_load_file(path, 0, &err);
  assert_non_null(j);
  json_decref(j);
  remove(path);
  fathom_profile_free(p);
}

static void test_chrome_synthesized(void **state) {
  (void)state;
  fathom_profile *p = example();
  json_t *j = load_trace(p);
  assert_true(json_is_true(json_object_get(json_object_get(j, "otherData"), "synthesized")));
  assert_int_equal(count_ph(j, "X"), p->n_nodes);
  check_nesting(j);
  /* T0: main [0, 1000 us] holding work [0, 1 us]; io top level after main */
  json_t *m = find_x(j, "main", 0.0);
  json_t *io = find_x(j, "io", 1000.0);
  assert_int_equal(json_integer_value(json_object_get(io, "tid")), 1001);
  assert_true(fabs(json_number_value(json_object_get(m, "dur")) - (json_integer_value(json_object_get(m, "tid")) == 1001 ? 1000.0 : 40.0)) < 1e-9);
  /* T1: main [0, 40 us]: work (30 us) first, then io at 30 us */
  json_t *io1 = find_x(j, "io", 30.0);
  assert_int_equal(json_integer_value(json_object_get(io1, "tid")), 1002);
  assert_true(fabs(json_number_value(json_object_get(io1, "dur")) - 5.0) < 1e-9);
  json_t *a = json_object_get(io1, "args");
  assert_int_equal(json_integer_value(json_object_get(a, "calls")), 1);
  assert_int_equal(json_integer_value(json_object_get(a, "depth")), 2);
  json_decref(j);
  /* children adding up to more than their parent are clamped inside it */
  p->nodes[4].stats.total_ns = 100000;   /* T1 work: longer than main (40 us) */
  j = load_trace(p);
  check_nesting(j);
  json_decref(j);
  fathom_profile_free(p);
}

/* ---- estimates (schema 4) ---- */

/* The example plus "hot", top level on both threads, its timing sampled:
 *   T0: 1000 calls, 100 timed (50 x 10 us, 50 x 14 us): total 12 ms, standard error 0.2 ms
 *   T1:  500 calls,  50 timed (25 x 10 us, 25 x 14 us): total  6 ms, standard error 0.15 ms
 * so the merged path and the zone: 1500 calls, 150 timed, 18 ms +- sqrt(0.2^2 + 0.15^2) =
 * 0.25 ms (95 %: +-0.49 ms). */
static fathom_profile *estimated(uint32_t *hot_out) {
  fathom_profile *p = example();
  uint32_t hot = add_zone(p, "hot", "compute");
  static const uint64_t calls[2] = {1000, 500}, timed[2] = {100, 50};
  static const double se[2] = {200000, 150000};
  for (uint32_t t = 0; t < 2; t++) {
    uint32_t i = add_node2(p, hot, FATHOM_NONE, t, timed[t] / 2, 10000, timed[t] / 2, 14000, 0);
    fathom_stats *st = &p->nodes[i].stats;
    st->count = calls[t];
    st->timed = timed[t];
    st->total_ns = st->self_ns = calls[t] * 12000;
    st->total_se_ns = st->self_se_ns = se[t];
    st->overhead_ns = 21.0 * (double)calls[t];
    for (int k = 0; k < FATHOM_PCT_N; k++) {   /* the recorder's intervals, made up here */
      double v = k == 0 ? st->p50_ns : k == 1 ? st->p90_ns : k == 2 ? st->p95_ns : k == 3 ? st->p99_ns
                                                                                       : st->p999_ns;
      st->pct_lo_ns[k] = v - 200 - 10 * t;
      st->pct_hi_ns[k] = v + 300 + 10 * t;
    }
    p->meta.n_zones += calls[t] - timed[t];
    p->threads[t].n_zones += calls[t] - timed[t];
  }
  /* the zone rolled up as the recorder would: errors as sqrt of the sum of the squares */
  fathom_zone_info *z = &p->zones[hot];
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    if (p->nodes[i].zone != hot) continue;
    fz_stats_merge(&z->stats, &p->nodes[i].stats);
    assert_int_equal(fz_hist_merge(&z->hist, &p->nodes[i].hist), 0);
  }
  fz_stats_set_percentiles(&z->stats, &z->hist);
  z->stats.total_se_ns = z->stats.self_se_ns = 250000;
  z->stats.p99_ns = 14000;
  z->stats.pct_lo_ns[3] = 13500;
  z->stats.pct_hi_ns[3] = 14500;
  z->stats.overhead_ns = 21.0 * 1500;
  p->meta.n_timed = p->meta.n_zones - 1350;
  *hot_out = hot;
  return p;
}

static double num_of(const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end) fail_msg("not a number: \"%s\"", s);
  return v;
}

static void test_estimates_text(void **state) {
  (void)state;
  uint32_t hot;
  fathom_profile *p = estimated(&hot);
  char *s = render(p, FATHOM_FORMAT_TEXT, 0);
  const char *want[] = {
      "Estimates:", "~ marks figures estimated from a random sample of timed calls",
      "\xc2\xb1 is a 95 % interval",
      "1,544 zone calls, 194 timed",          /* 44 exact + 1500 of which 150 timed */
      "~19.04 ms \xc2\xb1" "0.49 in top-level zones",   /* 1.04 ms exact + 18 ms +- 0.49 */
      "timed",                                  /* the operations table's column */
  };
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
    if (!strstr(s, want[k])) fail_msg("text report lacks \"%s\":\n%s", want[k], s);
  /* the operations row: calls, timed, the estimate and its 95 % half-width, the mean's */
  const char *ops = strstr(s, "Top operations");
  assert_non_null(ops);
  const char *row = strstr(ops, "\n  hot ");
  assert_non_null(row);
  char line[512];
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  const char *cells[] = {"hot", "compute", "1,500", "150", "~18.00 ms \xc2\xb1" "0.49", "~",
                         "~18.00 ms \xc2\xb1" "0.49", "~12.00 \xc2\xb5s \xc2\xb1" "0.33"};
  const char *at = line;
  for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++) {
    const char *n = strstr(at, cells[k]);
    if (!n) fail_msg("row \"%s\" lacks \"%s\"", line, cells[k]);
    at = n + strlen(cells[k]);
  }
  /* exact zones: no marker, and "all" timed */
  row = strstr(ops, "\n  work ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  assert_non_null(strstr(line, "all"));
  assert_null(strchr(line, '~'));
  /* latency: the percentile with its interval, extremes as bounds of the timed calls */
  const char *lat = strstr(s, "Latency per call");
  assert_non_null(lat);
  row = strstr(lat, "\n  hot ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  if (!strstr(line, "~14.00 \xc2\xb5s [13.50, 14.50]") || !strstr(line, "\xe2\x89\xa4" "10.00 \xc2\xb5s") ||
      !strstr(line, "\xe2\x89\xa5" "14.00 \xc2\xb5s"))
    fail_msg("latency row: \"%s\"", line);
  /* the merged tree path: both threads, the same estimate */
  const char *tree = strstr(s, "Call tree");
  assert_non_null(tree);
  row = strstr(tree, "\n  hot ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  if (!strstr(line, "~18.00 ms \xc2\xb1" "0.49")) fail_msg("tree row: \"%s\"", line);
  free(s);
  /* SLAs and throughput: the percentile with its interval, the timed calls, the verdict */
  p->slas = calloc(2, sizeof *p->slas);
  p->n_slas = 2;
  p->slas[0] = (fathom_sla_result){strdup("hot"), hot, 99, 14200, 14000, 1500, -2, 150, 13500,
                                   14500};
  p->slas[1] = (fathom_sla_result){strdup("work"), Z_WORK, 50, 2000, 1000, 40, 1, 40, 1000, 1000};
  p->throughput = calloc(1, sizeof *p->throughput);
  p->n_throughput = 1;
  p->throughput[0] = (fathom_throughput_info){FATHOM_TPUT_ZONE, hot, 600, 60, 500, 700, 1500, 150};
  char *sl = render(p, FATHOM_FORMAT_TEXT, 0);
  const char *sec = strstr(sl, "Latency SLAs");
  assert_non_null(sec);
  row = strstr(sec, "\n  hot ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  if (!strstr(line, "~14.00 \xc2\xb5s [13.50, 14.50]") || !strstr(line, "1,500 (150 timed)") ||
      !strstr(line, "not enough data"))
    fail_msg("SLA row: \"%s\"", line);
  assert_non_null(strstr(sec, "too few timed calls, or the target inside the percentile's 95 %"));
  row = strstr(sec, "\n  work ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  if (strchr(line, '~') || strchr(line, '[') || !strstr(line, "met")) fail_msg("SLA row: \"%s\"", line);
  row = strstr(strstr(sl, "Throughput"), "\n  hot ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  if (!strstr(line, "1,500 (150 timed)")) fail_msg("throughput row: \"%s\"", line);
  free(sl);
  /* durations given by the program (fathom_zone_record) are counted per thread */
  p->threads[1].n_recorded = 7;
  char *g = render(p, FATHOM_FORMAT_TEXT, 0);
  const char *th = strstr(g, "\nThreads\n");
  assert_non_null(th);
  assert_non_null(strstr(th, "given"));
  assert_non_null(strstr(th, "fathom_zone_record"));
  row = strstr(th, "\n  1002 ");
  assert_non_null(row);
  snprintf(line, sizeof line, "%.*s", (int)(strchr(row + 1, '\n') - row - 1), row + 1);
  assert_int_equal(line[strlen(line) - 1], '7');
  free(g);
  /* an exact profile says nothing about estimates */
  fathom_profile *e = example();
  s = render(e, FATHOM_FORMAT_TEXT, 0);
  assert_null(strstr(s, "Estimates:"));
  assert_null(strstr(s, "\xc2\xb1"));
  assert_null(strstr(s, "timed"));
  free(s);
  fathom_profile_free(e);
  fathom_profile_free(p);
}

static void test_estimates_csv_json(void **state) {
  (void)state;
  uint32_t hot;
  fathom_profile *p = estimated(&hot);
  char *s = render(p, FATHOM_FORMAT_CSV, 0);
  char ***rows;
  size_t nr = parse_csv(s, &rows);
  size_t col[80];
  static const char *const names[] = {"estimated", "total_se_ns", "self_se_ns", "overhead_ns",
                                      "p50_ns", "p50_lo_ns", "p50_hi_ns", "p99_ns", "p99_lo_ns",
                                      "p99_hi_ns", "timed", "calls"};
  enum { EST, TSE, SSE, OVER, P50, P50L, P50H, P99, P99L, P99H, TIMED, CALLS };
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    size_t c = 0;
    while (rows[0][c] && strcmp(rows[0][c], names[k]) != 0) c++;
    if (!rows[0][c]) fail_msg("no CSV column %s", names[k]);
    col[k] = c;
  }
  int seen = 0;
  for (size_t r = 1; r < nr; r++) {
    assert_int_equal(nfields(rows[r]), 80);
    char **f = rows[r];
    if (strcmp(f[0], "hot") == 0) {
      seen = 1;
      assert_string_equal(f[col[EST]], "1");
      assert_string_equal(f[col[CALLS]], "1500");
      assert_string_equal(f[col[TIMED]], "150");
      /* merged over the threads: sqrt(0.2^2 + 0.15^2) ms, overheads added */
      assert_true(fabs(num_of(f[col[TSE]]) - 250000.0) < 1e-6);
      assert_true(fabs(num_of(f[col[SSE]]) - 250000.0) < 1e-6);
      assert_true(fabs(num_of(f[col[OVER]]) - 31500.0) < 1e-9);
      /* intervals from the merged histogram (150 timed calls, half 10 us, half 14 us) hold
       * the percentiles and, for the median, span the two values */
      double p50 = num_of(f[col[P50]]), lo = num_of(f[col[P50L]]), hi = num_of(f[col[P50H]]);
      assert_true(lo <= p50 && p50 <= hi && lo < hi);
      assert_true(lo < 10100 && hi > 13900);
      double p99 = num_of(f[col[P99]]);
      assert_true(num_of(f[col[P99L]]) <= p99 && p99 <= num_of(f[col[P99H]]));
    } else {
      assert_string_equal(f[col[EST]], "0");
      assert_string_equal(f[col[TSE]], "0");
      assert_string_equal(f[col[P50L]], f[col[P50]][0] ? f[col[P50L]] : "");
      assert_true(num_of(f[col[P50L]]) == num_of(f[col[P50]]));
      assert_true(num_of(f[col[P99H]]) == num_of(f[col[P99]]));
    }
  }
  assert_true(seen);
  free_csv(rows, nr);
  free(s);

  /* a path of one estimated node keeps the node's own interval */
  fathom_profile *one = estimated(&hot);
  one->nodes[one->n_nodes - 1].zone = Z_IO;   /* T1's hot node becomes a path of its own */
  one->nodes[one->n_nodes - 1].parent = 3;
  one->nodes[one->n_nodes - 1].depth = 2;
  s = render(one, FATHOM_FORMAT_CSV, 0);
  nr = parse_csv(s, &rows);
  seen = 0;
  for (size_t r = 1; r < nr; r++) {
    if (strcmp(rows[r][0], "hot") != 0) continue;
    seen = 1;
    const fathom_stats *st = &one->nodes[one->n_nodes - 2].stats;
    assert_true(num_of(rows[r][col[P50L]]) == st->pct_lo_ns[0]);
    assert_true(num_of(rows[r][col[P99H]]) == st->pct_hi_ns[3]);
    assert_true(fabs(num_of(rows[r][col[TSE]]) - 200000.0) < 1e-9);
  }
  assert_true(seen);
  free_csv(rows, nr);
  free(s);
  fathom_profile_free(one);

  /* JSON: every schema-4 figure comes back bit for bit */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  assert_non_null(strstr(buf, "\"pct_lo_ns\":["));
  assert_non_null(strstr(buf, "\"n_timed\":"));
  fathom_profile *q = NULL;
  char err[512];
  if (fathom_profile_load_buffer(buf, len, &q, err, sizeof err)) fail_msg("load: %s", err);
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_stats *a = &p->nodes[i].stats, *b = &q->nodes[i].stats;
    assert_true(a->timed == b->timed && a->total_se_ns == b->total_se_ns &&
                a->self_se_ns == b->self_se_ns && a->overhead_ns == b->overhead_ns);
    if (fathom_stats_estimated(a)) {
      assert_memory_equal(a->pct_lo_ns, b->pct_lo_ns, sizeof a->pct_lo_ns);
      assert_memory_equal(a->pct_hi_ns, b->pct_hi_ns, sizeof a->pct_hi_ns);
    } else {   /* exact: the bounds are the percentiles, whatever the model held */
      assert_true(b->pct_lo_ns[0] == b->p50_ns && b->pct_hi_ns[4] == b->p999_ns);
    }
  }
  assert_int_equal(q->meta.n_timed, p->meta.n_timed);
  fathom_profile_free(q);
  free(buf);
  fathom_profile_free(p);
}

/* The synthesized Chrome trace: an estimated node's event says so, with what it rests on. */
static void test_estimates_chrome(void **state) {
  (void)state;
  uint32_t hot;
  fathom_profile *p = estimated(&hot);
  p->meta.n_timed = 194;
  p->meta.fixed_cost_ns = 5e6;
  json_t *j = load_trace(p);
  json_t *od = json_object_get(j, "otherData");
  assert_int_equal(json_integer_value(json_object_get(od, "n_timed")), 194);
  assert_true(json_number_value(json_object_get(od, "fixed_cost_ns")) == 5e6);
  size_t i, est = 0;
  json_t *e;
  json_array_foreach(json_object_get(j, "traceEvents"), i, e) {
    if (strcmp(json_string_value(json_object_get(e, "ph")), "X") != 0) continue;
    json_t *a = json_object_get(e, "args");
    int is_hot = strcmp(json_string_value(json_object_get(e, "name")), "hot") == 0;
    assert_int_equal(json_is_true(json_object_get(a, "estimated")), is_hot);
    if (!is_hot) continue;
    est++;
    json_int_t calls = json_integer_value(json_object_get(a, "calls"));
    assert_int_equal(json_integer_value(json_object_get(a, "timed")), calls / 10);
    assert_true(json_number_value(json_object_get(a, "total_se_ns")) ==
                (calls == 1000 ? 200000.0 : 150000.0));
  }
  assert_int_equal(est, 2);
  json_decref(j);
  fathom_profile_free(p);
}

/* Prometheus: error gauges, the estimated flag, the percentile intervals; promtool agrees. */
static void test_estimates_prometheus(void **state) {
  (void)state;
  uint32_t hot;
  fathom_profile *p = estimated(&hot);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_metrics_write(p, f), 0);
  fclose(f);
  const char *want[] = {
      "# TYPE fathom_zone_seconds_stderr gauge\n",
      "fathom_zone_seconds_stderr{zone=\"hot\",component=\"compute\"} 0.00025\n",
      "fathom_zone_seconds_stderr{zone=\"work\",component=\"compute\"} 0\n",
      "fathom_zone_self_seconds_stderr{zone=\"hot\",component=\"compute\"} 0.00025\n",
      "fathom_zone_estimated{zone=\"hot\",component=\"compute\"} 1\n",
      "fathom_zone_estimated{zone=\"work\",component=\"compute\"} 0\n",
      "fathom_zone_timed_calls_total{zone=\"hot\",component=\"compute\"} 150\n",
      "fathom_zone_duration_lower_seconds{zone=\"hot\",component=\"compute\",q=\"0.99\"} 1.35e-05\n",
      "fathom_zone_duration_upper_seconds{zone=\"hot\",component=\"compute\",q=\"0.99\"} 1.45e-05\n",
  };
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
    if (!strstr(buf, want[k])) fail_msg("/metrics lacks \"%s\":\n%s", want[k], buf);
  const char *dir = getenv("FATHOM_TEST_TMP");
  char path[512], cmd[700];
  snprintf(path, sizeof path, "%s/views-metrics.txt", dir ? dir : "/tmp");
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir ? dir : "/tmp");
  assert_int_equal(system(cmd), 0);
  FILE *o = fopen(path, "w");
  assert_non_null(o);
  fwrite(buf, 1, len, o);
  fclose(o);
  snprintf(cmd, sizeof cmd, "promtool check metrics < '%s'", path);
  if (system(cmd) != 0) fail_msg("promtool check metrics refused the exposition:\n%s", buf);
  remove(path);
  free(buf);
  fathom_profile_free(p);
}

/* Shares computed by the views never read above 100 %, however the estimates came out: a
 * child estimated above its parent, a zone above the whole tree. */
static void check_shares(const char *s) {
  for (const char *c = s; (c = strchr(c, '%')) != NULL; c++) {
    const char *b = c;
    while (b > s && (isdigit((unsigned char)b[-1]) || b[-1] == '.')) b--;
    if (b == c) continue;
    double v = strtod(b, NULL);
    if (v > 100.0) fail_msg("a share of %.1f%% in:\n%s", v, s);
  }
}

static void test_shares_never_above_100(void **state) {
  (void)state;
  fathom_profile *p = example();
  p->nodes[1].stats.total_ns = 5000000;   /* T0 work: 5 ms inside a 1 ms main */
  p->nodes[1].stats.self_ns = 5000000;
  p->nodes[1].stats.timed = 2;             /* an estimate */
  p->zones[Z_WORK].stats.total_ns = 50000000;   /* above the whole tree's 1.04 ms */
  p->zones[Z_WORK].stats.timed = 4;
  char *s = render(p, FATHOM_FORMAT_TEXT, 0);
  check_shares(s);
  assert_non_null(strstr(s, "100.0%*"));
  assert_non_null(strstr(s, "* above 100% by sampling error in the estimates: shown as 100%"));
  free(s);
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_paths_merge),
      cmocka_unit_test(test_paths_empty_and_bad),
      cmocka_unit_test(test_paths_random_naive),
      cmocka_unit_test(test_paths_100k),
      cmocka_unit_test(test_text_report),
      cmocka_unit_test(test_text_hostile_and_caps),
      cmocka_unit_test(test_empty_profile),
      cmocka_unit_test(test_csv),
      cmocka_unit_test(test_chrome_timeline),
      cmocka_unit_test(test_chrome_synthesized),
      cmocka_unit_test(test_estimates_text),
      cmocka_unit_test(test_estimates_csv_json),
      cmocka_unit_test(test_estimates_chrome),
      cmocka_unit_test(test_estimates_prometheus),
      cmocka_unit_test(test_shares_never_above_100),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
