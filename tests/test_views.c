/* test_views.c: the merged call paths and the text, CSV and Chrome trace views, checked on
 * profile models built by hand (views_fixture.h; no recorder involved). (test_views_est.c:
 * estimates in the views, shares never above 100 %.)
 *
 * Invariant: every expected figure here is derived by hand from the model the test builds,
 * so a view that prints or merges something wrong fails, not just one that crashes. */
#include <locale.h>
#include <time.h>

#include "views_fixture.h"

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
  /* the chain of 30 "deep" paths, each ~all of its parent's time, is one line; the 100
   * top-level ops (1.000-1.099 us each, under 0.5 % of the total) are hidden and counted */
  assert_non_null(strstr(s, "\n  deep > ... 26 more > deep > deep > deep "));
  assert_non_null(strstr(s, "  100 paths under 0.5% of the total time are hidden (with the paths "
                            "below them); they hold 104.95 \xc2\xb5s\n"));
  assert_null(strstr(s, "more paths"));
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
/* The resource parts of the views, under the decimal-comma locale test_csv sets: still '.'. */
static void resources_in_locale(void) {
  fathom_profile *p = example();
  p->meta.level = FATHOM_LEVEL_DETAILED;
  p->res = (fathom_resources){.monitored = 1, .cpu_pct_mean = 88.5, .cpu_pct_max = 150.25};
  p->nodes[1].res = (fathom_res){.samples = 3, .sample_every = 16, .mask = 1u};
  p->nodes[1].res.sum[0] = 1234.5, p->zones[Z_WORK].res = p->nodes[1].res;   /* main/work, T0 */
  p->nodes[1].alloc_self = (fathom_alloc){2, 2048, 1, 1024, 1, 1024, 31457.28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
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
static size_t count_ph(json_t *j, const char *ph) {
  size_t i, n = 0;
  json_t *e;
  json_array_foreach(json_object_get(j, "traceEvents"), i, e) {
    n += strcmp(json_string_value(json_object_get(e, "ph")), ph) == 0;
  }
  return n;
}

/* X events: per tid, in file order, each starts no earlier than the previous and lies
 * inside every event still open (events carry no depth: it is implied by nesting). */
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
    assert_null(json_object_get(json_object_get(e, "args"), "depth"));
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
    /* an empty event at an open event's end may lie inside it: nesting holds either way */
    while (st[k].n > 0 && st[k].end[st[k].n - 1] <= ts && !(dur == 0 && st[k].end[st[k].n - 1] == ts))
      st[k].n--;
    if (st[k].n > 0) assert_true(ts + dur <= st[k].end[st[k].n - 1] + 1e-9);
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
  assert_null(json_object_get(a, "depth"));   /* implied by nesting, not an argument */
  json_decref(j);
  /* children adding up to more than their parent are clamped inside it */
  p->nodes[4].stats.total_ns = 100000;   /* T1 work: longer than main (40 us) */
  j = load_trace(p);
  check_nesting(j);
  json_decref(j);
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
