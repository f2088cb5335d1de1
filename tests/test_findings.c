/* test_findings.c: the bottleneck rules (each with a model that triggers it and one that does
 * not), thresholds from the config, the environment and per-component overrides, ranking,
 * SLA specs and checks, and real sessions (spinning -> cpu_bound, sleeping
 * -> waiting, live SLA checks and bottleneck summaries). The shapes real programs give are
 * in test_findings_real.c. */
#include "findings_model.h"

/* ---- time rules ---- */

static void test_slow(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "work", NULL), b = add_zone(p, "quick", NULL);
  uint32_t c = add_zone(p, "data_read", "data"), d = add_zone(p, "data_read2", "data");
  uint32_t e = add_zone(p, "prep", "preprocess"), g = add_zone(p, "outer", NULL);
  uint32_t h = add_zone(p, "inner", NULL);
  add_node(p, a, FATHOM_NONE, 0, 5, 5 * 200000000ULL, 5 * 200000000ULL);  /* 200 ms > 100 */
  add_node(p, b, FATHOM_NONE, 0, 5, 5 * 50000000ULL, 5 * 50000000ULL);    /* 50 ms */
  add_node(p, c, FATHOM_NONE, 1, 1, 300000000ULL, 300000000ULL);          /* 300 < 500 */
  add_node(p, d, FATHOM_NONE, 1, 1, 600000000ULL, 600000000ULL);          /* 600 > 500 */
  add_node(p, e, FATHOM_NONE, 2, 1, 250000000ULL, 250000000ULL);          /* 250 > 200 */
  uint32_t o = add_node(p, g, FATHOM_NONE, 3, 1, 300000000ULL, 10000000ULL); /* container */
  add_node(p, h, o, 3, 100, 290000000ULL, 290000000ULL);                  /* 2.9 ms each */
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_SLOW, "work");
  assert_non_null(f);
  assert_int_equal(f->zone, a);
  assert_true(fig(f, "mean_ns") == 2e8);
  assert_true(fig(f, "threshold_ms") == 100);
  assert_null(find(p, FATHOM_FIND_SLOW, "quick"));
  assert_null(find(p, FATHOM_FIND_SLOW, "data_read"));
  f = find(p, FATHOM_FIND_SLOW, "data_read2");
  assert_non_null(f);
  assert_true(fig(f, "threshold_ms") == 500);
  assert_true(has_suggestion(f, "Prefetch"));
  f = find(p, FATHOM_FIND_SLOW, "prep");
  assert_non_null(f);
  assert_true(fig(f, "threshold_ms") == 200);
  assert_null(find(p, FATHOM_FIND_SLOW, "outer"));   /* its time is in "inner" */
  assert_null(find(p, FATHOM_FIND_SLOW, "inner"));
  fathom_profile_free(p);
}

static void test_cpu_bound_and_waiting(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "spin", NULL), b = add_zone(p, "nap", NULL);
  uint32_t c = add_zone(p, "mixed", NULL), d = add_zone(p, "unprobed", NULL);
  uint32_t na = add_node(p, a, FATHOM_NONE, 0, 10, 400000000ULL, 400000000ULL);
  uint32_t nb = add_node(p, b, FATHOM_NONE, 1, 10, 400000000ULL, 400000000ULL);
  uint32_t nc = add_node(p, c, FATHOM_NONE, 2, 10, 100000000ULL, 100000000ULL);
  add_node(p, d, FATHOM_NONE, 3, 10, 100000000ULL, 100000000ULL);
  set_cpu(p, na, 10, 3.9e8, 4e8, 0);      /* 97.5 % CPU */
  set_cpu(p, nb, 10, 1e7, 4e8, 50);       /* 2.5 % CPU, 5 switches per call */
  set_cpu(p, nc, 10, 7e7, 1e8, 0);        /* 70 %: neither */
  uint32_t e = add_zone(p, "crowded", NULL);
  uint32_t ne = add_node(p, e, FATHOM_NONE, 3, 10, 400000000ULL, 400000000ULL);
  set_cpu(p, ne, 10, 1.6e8, 4e8, 0);      /* 40 % CPU, never blocks, preempted */
  set_res(p, ne, 10, FATHOM_RES_CTX_INVOL, 30);
  analyze(p);
  const fathom_finding *g = find(p, FATHOM_FIND_CPU_BOUND, "crowded");
  assert_non_null(g);
  assert_true(fig(g, "ctx_invol") == 30);
  assert_true(has_suggestion(g, "preempted"));
  assert_null(find(p, FATHOM_FIND_WAITING, "crowded"));
  const fathom_finding *f = find(p, FATHOM_FIND_CPU_BOUND, "spin");
  assert_non_null(f);
  assert_true(fig(f, "own_cpu_pct") > 97 && fig(f, "own_cpu_pct") < 98);
  f = find(p, FATHOM_FIND_WAITING, "nap");
  assert_non_null(f);
  assert_true(fig(f, "ctx_vol_per_call") == 5);
  assert_true(has_suggestion(f, "blocks"));
  assert_null(find(p, FATHOM_FIND_WAITING, "spin"));
  assert_null(find(p, FATHOM_FIND_CPU_BOUND, "nap"));
  /* its 40 % of own time is waiting: no hot path (the computing one is) */
  assert_null(find(p, FATHOM_FIND_HOT_PATH, "nap"));
  assert_non_null(find(p, FATHOM_FIND_HOT_PATH, "spin"));
  assert_null(find(p, FATHOM_FIND_CPU_BOUND, "mixed"));
  assert_null(find(p, FATHOM_FIND_WAITING, "mixed"));
  /* not measured (BASIC: no probes): neither rule guesses */
  assert_null(find(p, FATHOM_FIND_CPU_BOUND, "unprobed"));
  assert_null(find(p, FATHOM_FIND_WAITING, "unprobed"));
  fathom_profile_free(p);
}

static void test_tail_and_hot(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "req", NULL), b = add_zone(p, "steady", NULL);
  uint32_t c = add_zone(p, "few", NULL), d = add_zone(p, "small", NULL);
  add_node(p, a, FATHOM_NONE, 0, 1000, 600000000ULL, 600000000ULL);
  add_node(p, b, FATHOM_NONE, 1, 1000, 300000000ULL, 300000000ULL);
  add_node(p, c, FATHOM_NONE, 2, 50, 90000000ULL, 90000000ULL);
  add_node(p, d, FATHOM_NONE, 3, 1000, 10000000ULL, 10000000ULL);
  p->zones[a].stats.p50_ns = 100000;   p->zones[a].stats.p99_ns = 5000000;  /* 50x */
  p->zones[b].stats.p50_ns = 300000;   p->zones[b].stats.p99_ns = 600000;   /* 2x */
  p->zones[c].stats.p50_ns = 100000;   p->zones[c].stats.p99_ns = 5000000;  /* 50 calls */
  p->zones[d].stats.p50_ns = 100;      p->zones[d].stats.p99_ns = 5000;     /* 1 % share */
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_TAIL_LATENCY, "req");
  assert_non_null(f);
  assert_true(fig(f, "p99_p50_ratio") == 50);
  assert_int_equal(f->severity, FATHOM_SEV_WARNING);
  assert_null(find(p, FATHOM_FIND_TAIL_LATENCY, "steady"));
  assert_null(find(p, FATHOM_FIND_TAIL_LATENCY, "few"));
  assert_null(find(p, FATHOM_FIND_TAIL_LATENCY, "small"));
  f = find(p, FATHOM_FIND_HOT_PATH, "req");   /* 60 % of own time */
  assert_non_null(f);
  assert_true(fabs(fig(f, "self_share_pct") - 60) < 1e-9);
  assert_int_equal(f->severity, FATHOM_SEV_WARNING);
  assert_non_null(find(p, FATHOM_FIND_HOT_PATH, "steady"));  /* 30 % */
  assert_null(find(p, FATHOM_FIND_HOT_PATH, "few"));         /* 9 % */
  fathom_profile_free(p);
}

static void test_imbalance(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "worker", NULL), b = add_zone(p, "even", NULL);
  uint32_t r0 = add_node(p, a, FATHOM_NONE, 0, 1, 1000000000ULL, 0);
  uint32_t r1 = add_node(p, a, FATHOM_NONE, 1, 1, 1000000000ULL, 0);
  add_node(p, b, r0, 0, 100, 1000000000ULL, 1000000000ULL);
  add_node(p, b, r1, 1, 100, 900000000ULL, 900000000ULL);
  uint32_t c = add_zone(p, "chunk", NULL);
  add_node(p, c, FATHOM_NONE, 2, 10, 1000000000ULL, 1000000000ULL);
  add_node(p, c, FATHOM_NONE, 3, 10, 300000000ULL, 300000000ULL);
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_IMBALANCE, "chunk");
  assert_non_null(f);
  assert_true(fabs(fig(f, "ratio") - 1e9 / 3e8) < 1e-9);
  assert_int_equal((int)fig(f, "threads"), 2);
  assert_null(find(p, FATHOM_FIND_IMBALANCE, "worker;even"));
  assert_null(find(p, FATHOM_FIND_IMBALANCE, "worker"));
  fathom_profile_free(p);
}

/* ---- bytes ---- */

static void test_io_and_memory(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "slurp", NULL), b = add_zone(p, "sip", NULL);
  uint32_t c = add_zone(p, "loadz", "load"), d = add_zone(p, "big", NULL);
  uint32_t e = add_zone(p, "prepz", "preprocessing"), g = add_zone(p, "modest", NULL);
  uint32_t na = add_node(p, a, FATHOM_NONE, 0, 10, 10000000ULL, 10000000ULL);
  uint32_t nb = add_node(p, b, FATHOM_NONE, 0, 10, 10000000ULL, 10000000ULL);
  uint32_t nc = add_node(p, c, FATHOM_NONE, 0, 10, 10000000ULL, 10000000ULL);
  set_res(p, na, 10, FATHOM_RES_READ_BYTES, 10 * 150e6);
  set_res(p, na, 10, FATHOM_RES_WRITE_BYTES, 10 * 50e6);    /* 200 MB per call */
  set_res(p, nb, 10, FATHOM_RES_READ_BYTES, 10 * 1e6);
  set_res(p, nb, 10, FATHOM_RES_WRITE_BYTES, 0);            /* 1 MB */
  set_res(p, nc, 10, FATHOM_RES_READ_BYTES, 10 * 60e6);
  set_res(p, nc, 10, FATHOM_RES_WRITE_BYTES, 0);            /* 60 MB > 50 for "load" */
  add_node(p, d, FATHOM_NONE, 1, 4, 10000000ULL, 10000000ULL);
  p->zones[d].alloc_self.alloc_count = 4;
  p->zones[d].alloc_self.alloc_bytes = 4 * 150000000ULL;     /* 150 MB per call */
  add_node(p, e, FATHOM_NONE, 1, 4, 10000000ULL, 10000000ULL);
  p->zones[e].alloc_self.alloc_count = 4;
  p->zones[e].alloc_self.alloc_bytes = 4 * 150000000ULL;     /* < 200 for preprocessing */
  add_node(p, g, FATHOM_NONE, 1, 4, 10000000ULL, 10000000ULL);
  p->zones[g].alloc_self.alloc_count = 4;
  p->zones[g].alloc_self.alloc_bytes = 4 * 10000000ULL;
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_IO_HEAVY, "slurp");
  assert_non_null(f);
  assert_true(fig(f, "io_bytes_per_call") == 200e6);
  assert_true(has_suggestion(f, "mmap"));
  assert_null(find(p, FATHOM_FIND_IO_HEAVY, "sip"));
  f = find(p, FATHOM_FIND_IO_HEAVY, "loadz");
  assert_non_null(f);
  assert_true(fig(f, "threshold_mb") == 50);
  f = find(p, FATHOM_FIND_MEMORY_HEAVY, "big");
  assert_non_null(f);
  assert_true(fig(f, "alloc_bytes_per_call") == 150e6);
  assert_null(find(p, FATHOM_FIND_MEMORY_HEAVY, "prepz"));
  assert_null(find(p, FATHOM_FIND_MEMORY_HEAVY, "modest"));
  fathom_profile_free(p);
}

static void test_churn_and_leak(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "tokenize", NULL), b = add_zone(p, "rare", NULL);
  uint32_t c = add_zone(p, "chunky", NULL), m = add_zone(p, "main", NULL);
  uint32_t k = add_zone(p, "cache", NULL), s = add_zone(p, "tidy", NULL);
  add_node(p, a, FATHOM_NONE, 0, 1, 1000000ULL, 1000000ULL);
  p->zones[a].alloc_self.alloc_count = 1200000;
  p->zones[a].alloc_self.alloc_bytes = 1200000ULL * 64;
  add_node(p, b, FATHOM_NONE, 0, 10, 1000000ULL, 1000000ULL);
  p->zones[b].alloc_self.alloc_count = 1000;                 /* < 10000 in all */
  p->zones[b].alloc_self.alloc_bytes = 1000 * 64;
  add_node(p, c, FATHOM_NONE, 0, 1, 1000000ULL, 1000000ULL);
  p->zones[c].alloc_self.alloc_count = 100000;
  p->zones[c].alloc_self.alloc_bytes = 100000ULL * 4096;    /* not small */
  uint32_t m0 = add_node(p, m, FATHOM_NONE, 0, 1, 1000000ULL, 0);
  uint32_t m1 = add_node(p, m, FATHOM_NONE, 1, 1, 1000000ULL, 0);
  uint32_t k0 = add_node(p, k, m0, 0, 10, 1000000ULL, 1000000ULL);
  uint32_t k1 = add_node(p, k, m1, 1, 10, 1000000ULL, 1000000ULL);
  p->nodes[k0].alloc_self.live_bytes = 600000;    /* 0.6 MB per thread: 1.2 MB merged */
  p->nodes[k0].alloc_self.live_count = 6;
  p->nodes[k1].alloc_self.live_bytes = 600000;
  p->nodes[k1].alloc_self.live_count = 6;
  uint32_t s0 = add_node(p, s, m0, 0, 10, 1000000ULL, 1000000ULL);
  p->nodes[s0].alloc_self.live_bytes = 1000;
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_ALLOC_CHURN, "tokenize");
  assert_non_null(f);
  assert_non_null(strstr(f->summary, "1.2 M allocations of 64 B"));
  assert_true(has_suggestion(f, "arena"));
  assert_null(find(p, FATHOM_FIND_ALLOC_CHURN, "rare"));
  assert_null(find(p, FATHOM_FIND_ALLOC_CHURN, "chunky"));
  f = find(p, FATHOM_FIND_LEAK, "main;cache");
  assert_non_null(f);
  assert_true(fig(f, "live_bytes") == 1200000);
  assert_int_equal(f->node, k0);
  int n = 0;
  for (uint32_t i = 0; i < p->n_findings; i++) n += p->findings[i].cls == FATHOM_FIND_LEAK;
  assert_int_equal(n, 1);
  assert_null(find(p, FATHOM_FIND_LEAK, "main;tidy"));
  fathom_profile_free(p);
}

/* ---- session-wide ---- */

static void test_gpu_and_overhead(void **state) {
  (void)state;
  fathom_profile *p = mk();
  p->gpus = calloc(2, sizeof *p->gpus);
  p->n_gpus = 2;
  p->gpus[0] = (fathom_gpu_info){0, strdup("A"), 16e9, 2e9, 1e9, 10, 20, 100, 60, 1};
  p->gpus[1] = (fathom_gpu_info){1, strdup("B"), 16e9, 1e8, 1e8, 10, 20, 100, 60, 1};
  p->res.gpu_util_mean_pct = 10;
  p->res.cpu_pct_mean = 150;
  p->meta.overhead_pct = 8;
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_GPU_MEMORY, NULL);
  assert_non_null(f);
  assert_true(fig(f, "gpu") == 0 && fig(f, "gpu_mem_peak_bytes") == 1e9);
  int n = 0;
  for (uint32_t i = 0; i < p->n_findings; i++) n += p->findings[i].cls == FATHOM_FIND_GPU_MEMORY;
  assert_int_equal(n, 1);   /* GPU 1 (100 MB) is under 500 MB */
  assert_non_null(find(p, FATHOM_FIND_GPU_IDLE, NULL));
  f = find(p, FATHOM_FIND_OVERHEAD, NULL);
  assert_non_null(f);
  assert_int_equal(f->severity, FATHOM_SEV_WARNING);
  /* and none of them when things are fine */
  p->gpus[0].proc_mem_peak_bytes = 1e8;
  p->res.gpu_util_mean_pct = 90;
  p->meta.overhead_pct = 1;
  analyze(p);
  assert_null(find(p, FATHOM_FIND_GPU_MEMORY, NULL));
  assert_null(find(p, FATHOM_FIND_GPU_IDLE, NULL));
  assert_null(find(p, FATHOM_FIND_OVERHEAD, NULL));
  fathom_profile_free(p);
}

static void test_ranking(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "a", NULL), b = add_zone(p, "b", NULL), c = add_zone(p, "c", NULL);
  add_node(p, a, FATHOM_NONE, 0, 1, 150000000ULL, 150000000ULL);    /* slow, small share */
  add_node(p, b, FATHOM_NONE, 1, 1, 5000000000ULL, 5000000000ULL);  /* slow, critical (50x) */
  add_node(p, c, FATHOM_NONE, 2, 1, 300000000ULL, 300000000ULL);    /* slow */
  p->meta.cpu_time_ns = 1e10;   /* enough CPU for b's 5 s of own time to be computing */
  analyze(p);
  assert_true(p->n_findings >= 3);
  assert_string_equal(p->findings[0].path, "b");
  assert_int_equal(p->findings[0].severity, FATHOM_SEV_CRITICAL);
  for (uint32_t i = 1; i < p->n_findings; i++) {
    const fathom_finding *x = &p->findings[i - 1], *y = &p->findings[i];
    assert_true(x->severity > y->severity ||
                (x->severity == y->severity && x->score >= y->score));
  }
  const fathom_finding *fa = find(p, FATHOM_FIND_SLOW, "a"), *fc = find(p, FATHOM_FIND_SLOW, "c");
  assert_true(fc->rank < fa->rank);
  /* deterministic: the same model gives the same JSON */
  char *b1 = NULL, *b2 = NULL;
  size_t n1 = 0, n2 = 0;
  FILE *f = open_memstream(&b1, &n1);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  analyze(p);
  f = open_memstream(&b2, &n2);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  assert_int_equal(n1, n2);
  assert_memory_equal(b1, b2, n1);
  free(b1);
  free(b2);
  fathom_profile_free(p);
}

/* ---- thresholds ---- */

static void test_thresholds(void **state) {
  (void)state;
  fathom_thresholds t;
  fathom_thresholds_init(&t);
  assert_true(t.cpu_ms == 100 && t.memory_mb == 100 && t.gpu_memory_mb == 500 && t.io_mb == 100);
  char err[256];
  assert_int_equal(fathom_thresholds_parse(&t, "tail_ratio=8; work.cpu_ms=10 ,data.io_mb=5,"
                                           "tail_min_calls=20", err, sizeof err), 0);
  assert_true(t.tail_ratio == 8 && t.tail_min_calls == 20);
  assert_int_equal(fathom_thresholds_parse(&t, "bogus=1", err, sizeof err), FATHOM_E_INVAL);
  assert_non_null(strstr(err, "bogus"));
  assert_int_equal(fathom_thresholds_parse(&t, "cpu_ms=abc", err, sizeof err), FATHOM_E_INVAL);
  assert_non_null(strstr(err, "cpu_ms"));
  assert_int_equal(fathom_thresholds_parse(&t, "cpu_ms=0", err, sizeof err), FATHOM_E_INVAL);
  assert_int_equal(fathom_thresholds_parse(&t, "x.bad=1", err, sizeof err), FATHOM_E_INVAL);
  assert_int_equal(fathom_thresholds_parse(&t, "noequals", err, sizeof err), FATHOM_E_INVAL);
  assert_true(t.cpu_ms == 100);
  /* the override applies to component "work" only */
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "w", "work"), b = add_zone(p, "o", "other");
  add_node(p, a, FATHOM_NONE, 0, 1, 50000000ULL, 50000000ULL);
  add_node(p, b, FATHOM_NONE, 1, 1, 50000000ULL, 50000000ULL);
  assert_int_equal(fathom_analyze(p, &t), 0);
  const fathom_finding *f = find(p, FATHOM_FIND_SLOW, "w");
  assert_non_null(f);
  assert_true(fig(f, "threshold_ms") == 10);
  assert_null(find(p, FATHOM_FIND_SLOW, "o"));
  /* environment: FATHOM_CPU_THRESHOLD_MS, FATHOM_THRESHOLDS, and NULL thresholds */
  setenv("FATHOM_CPU_THRESHOLD_MS", "40", 1);
  assert_int_equal(fathom_analyze(p, NULL), 0);
  assert_non_null(find(p, FATHOM_FIND_SLOW, "o"));
  fathom_thresholds_init(&t);
  assert_int_equal(fathom_thresholds_from_env(&t), 0);
  assert_true(t.cpu_ms == 40);
  setenv("FATHOM_CPU_THRESHOLD_MS", "fast", 1);
  setenv("FATHOM_MEMORY_THRESHOLD_MB", "-3", 1);
  fathom_thresholds_init(&t);
  assert_int_equal(fathom_thresholds_from_env(&t), FATHOM_E_INVAL);
  assert_true(t.cpu_ms == 100 && t.memory_mb == 100);
  unsetenv("FATHOM_CPU_THRESHOLD_MS");
  unsetenv("FATHOM_MEMORY_THRESHOLD_MB");
  setenv("FATHOM_IO_THRESHOLD_MB", "7", 1);
  setenv("FATHOM_GPU_MEMORY_THRESHOLD_MB", "9", 1);
  setenv("FATHOM_THRESHOLDS", "hot_path_pct=33,other.cpu_ms=45", 1);
  fathom_thresholds_init(&t);
  assert_int_equal(fathom_thresholds_from_env(&t), 0);
  assert_true(t.io_mb == 7 && t.gpu_memory_mb == 9 && t.hot_path_pct == 33);
  assert_int_equal(fathom_analyze(p, NULL), 0);
  assert_non_null(find(p, FATHOM_FIND_SLOW, "o"));
  setenv("FATHOM_THRESHOLDS", "hot_path_pct=33,nonsense", 1);
  fathom_thresholds_init(&t);
  assert_int_equal(fathom_thresholds_from_env(&t), FATHOM_E_INVAL);
  assert_true(t.hot_path_pct == 20);   /* kept */
  unsetenv("FATHOM_THRESHOLDS");
  unsetenv("FATHOM_IO_THRESHOLD_MB");
  unsetenv("FATHOM_GPU_MEMORY_THRESHOLD_MB");
  fathom_profile_free(p);
}

/* ---- SLAs ---- */

static void test_sla(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "request", NULL);
  add_node(p, a, FATHOM_NONE, 0, 100, 100 * 10000000ULL, 100 * 10000000ULL);
  set_hist(&p->zones[a], 10000, 90, 100000, 10);   /* 90 at 10 µs, 10 at 100 µs */
  char err[256];
  assert_int_equal(fathom_sla_check_profile(p, "request:p50<=20us; request : p95 <= 0.05ms;"
                                            "ghost:p99<=1s", err, sizeof err), 0);
  assert_int_equal(p->n_slas, 3);
  assert_string_equal(p->slas[0].zone_name, "request");
  assert_int_equal(p->slas[0].zone, a);
  assert_int_equal(p->slas[0].met, 1);
  assert_true(p->slas[0].actual_ns == 10000 && p->slas[0].target_ns == 20000);
  assert_int_equal(p->slas[1].met, 0);
  assert_true(p->slas[1].actual_ns == 100000 && p->slas[1].percentile == 95);
  assert_int_equal(p->slas[1].count, 100);
  assert_int_equal(p->slas[2].met, -1);
  assert_int_equal(p->slas[2].zone, FATHOM_NONE);
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_SLA, "request");
  assert_non_null(f);
  assert_int_equal(f->severity, FATHOM_SEV_CRITICAL);
  assert_int_equal(f->rank, 1);
  assert_true(fig(f, "actual_ns") == 100000);
  f = find(p, FATHOM_FIND_SLA, "ghost");
  assert_non_null(f);
  assert_int_equal(f->severity, FATHOM_SEV_INFO);
  /* bad specs: an error naming the problem, the profile untouched */
  static const struct { const char *spec, *msg; } bad[] = {
      {"request", "zone:pQ<=TARGET"},      {":p95<=1ms", "no zone name"},
      {"request:95<=1ms", "percentile"},   {"request:p0<=1ms", "(0, 100]"},
      {"request:p101<=1ms", "(0, 100]"},   {"request:p95>=1ms", "<="},
      {"request:p95<=1", "unit"},          {"request:p95<=-1ms", "positive"},
      {"request:p95<=1 hours", "unit"},    {"a:p95<=1ms;b:p95", "<="},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = 0;
    assert_int_equal(fathom_sla_check_profile(p, bad[i].spec, err, sizeof err), FATHOM_E_INVAL);
    if (!strstr(err, bad[i].msg)) fail_msg("spec \"%s\": \"%s\" lacks \"%s\"", bad[i].spec, err, bad[i].msg);
    assert_int_equal(p->n_slas, 3);
  }
  assert_int_equal(fathom_sla_check_profile(p, "", err, sizeof err), 0);
  assert_int_equal(p->n_slas, 0);
  fathom_profile_free(p);
}

/* Estimated zones (the governor timed a sample): a verdict rests on the percentile's 95 %
 * interval and on enough timed calls; exact zones keep their plain verdicts. */
static void test_sla_estimated(void **state) {
  (void)state;
  fathom_profile *p = mk();
  /* 10,000 calls, 500 timed; the histogram is weighted (sums to the calls): 90 % at 10 µs,
   * 10 % at 100 µs; p95 100 µs with a 95 % interval of 80 to 120 µs */
  uint32_t a = add_zone(p, "est", NULL);
  add_node(p, a, FATHOM_NONE, 0, 10000, 10000 * 19000ULL, 10000 * 19000ULL);
  set_hist(&p->zones[a], 10000, 9000, 100000, 1000);
  p->zones[a].stats.p95_ns = 100000;
  set_estimated(p, a, 500, 1e6, 2, 80000, 120000);
  /* 1,000 calls, 15 timed: too few to put one above p95 (needs 20), enough for p50 */
  uint32_t b = add_zone(p, "few", NULL);
  add_node(p, b, FATHOM_NONE, 1, 1000, 1000 * 19000ULL, 1000 * 19000ULL);
  set_hist(&p->zones[b], 10000, 900, 100000, 100);
  p->zones[b].stats.p95_ns = 100000;
  set_estimated(p, b, 15, 1e5, 2, 99000, 101000);
  /* every call timed (timed 0: a hand-built model): the value itself decides */
  uint32_t c = add_zone(p, "exact", NULL);
  add_node(p, c, FATHOM_NONE, 2, 100, 100 * 19000ULL, 100 * 19000ULL);
  set_hist(&p->zones[c], 10000, 90, 100000, 10);
  char err[256];
  assert_int_equal(fathom_sla_check_profile(p, "est:p95<=110us;est:p95<=130us;est:p95<=70us;"
                   "est:p97<=150us;est:p97<=100.5us;est:p97<=50us;few:p95<=200us;"
                   "few:p50<=200us;exact:p95<=100us;exact:p95<=99us", err, sizeof err), 0);
  assert_int_equal(p->n_slas, 10);
  static const int want[] = {-2, 1, 0, 1, -2, 0, -2, 1, 1, 0};
  for (uint32_t i = 0; i < 10; i++)
    if (p->slas[i].met != want[i])
      fail_msg("SLA %u (%s p%g <= %g ns): met %d, expected %d (actual %g in [%g, %g], %llu "
               "timed)", i, p->slas[i].zone_name, p->slas[i].percentile, p->slas[i].target_ns,
               p->slas[i].met, want[i], p->slas[i].actual_ns, p->slas[i].actual_lo_ns,
               p->slas[i].actual_hi_ns, (unsigned long long)p->slas[i].timed);
  /* the zone's own interval for a standard percentile */
  assert_int_equal(p->slas[0].timed, 500);
  assert_int_equal(p->slas[0].count, 10000);
  assert_true(p->slas[0].actual_ns == 100000);
  assert_true(p->slas[0].actual_lo_ns == 80000 && p->slas[0].actual_hi_ns == 120000);
  /* p97 is not kept: an interval from the histogram with n = 500 timed calls (ranks 477 to
   * 493 of 500, i.e. past the 90 % at 10 µs), whatever the weighted counts add up to */
  assert_true(p->slas[3].actual_lo_ns == 100000 && p->slas[3].actual_hi_ns == 101000);
  assert_int_equal(p->slas[6].timed, 15);
  assert_true(p->slas[7].actual_lo_ns <= p->slas[7].actual_ns &&
              p->slas[7].actual_hi_ns >= p->slas[7].actual_ns && p->slas[7].actual_hi_ns < 200000);
  for (uint32_t i = 8; i < 10; i++) {   /* exact: the interval is the value */
    assert_int_equal(p->slas[i].timed, 100);
    assert_true(p->slas[i].actual_lo_ns == p->slas[i].actual_ns &&
                p->slas[i].actual_hi_ns == p->slas[i].actual_ns);
  }
  analyze(p);
  int n_warn = 0, n_crit = 0, few = 0, straddle = 0;
  for (uint32_t i = 0; i < p->n_findings; i++) {
    const fathom_finding *f = &p->findings[i];
    if (f->cls != FATHOM_FIND_SLA) continue;
    if (f->severity == FATHOM_SEV_WARNING) {
      n_warn++;
      assert_non_null(strstr(f->summary, "not enough data ("));
      few += strstr(f->summary, "not enough data (15 timed calls)") != NULL &&
             strstr(f->summary, "fewer than 20 timed calls") != NULL;
      straddle += strstr(f->summary, "not enough data (500 timed calls)") != NULL;
      assert_true(fig(f, "timed") == (strcmp(f->path, "few") ? 500 : 15));
      assert_true(has_suggestion(f, "FATHOM_GOVERNOR=0"));
    } else if (f->severity == FATHOM_SEV_CRITICAL) {
      n_crit++;
    }
  }
  assert_int_equal(n_warn, 3);      /* est p95 <= 110 µs, est p97 <= 100.5 µs, few p95 */
  assert_int_equal(few, 1);
  assert_int_equal(straddle, 2);
  assert_int_equal(n_crit, 3);      /* est p95 <= 70 µs, est p97 <= 50 µs, exact p95 <= 99 µs */
  fathom_profile_free(p);
}

/* fathom's fixed costs (setup, the background thread, building the model) never make an
 * overhead finding; only the zones' own cost does. */
static void test_overhead_fixed_costs(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "step", NULL);
  add_node(p, a, FATHOM_NONE, 0, 20, 20 * 5000000ULL, 20 * 5000000ULL);   /* 20 calls */
  fathom_meta *m = &p->meta;
  m->n_zones = m->n_timed = 20;
  m->zone_cost_ns = 24;
  m->overhead_ns = 20 * 24;
  m->cpu_time_ns = 1.2e8;
  m->overhead_pct = 100 * m->overhead_ns / m->cpu_time_ns;
  m->monitor_cpu_ns = 3e7;   /* a quarter of the CPU time */
  m->setup_ns = 2e6;
  m->build_ns = 1e6;
  m->fixed_cost_ns = m->monitor_cpu_ns + m->setup_ns + m->build_ns;
  analyze(p);
  assert_null(find(p, FATHOM_FIND_OVERHEAD, NULL));
  /* a schema-3 file counted the background thread in overhead_ns: taken out again */
  m->schema_version = 3;
  m->overhead_ns = 20 * 24 + m->monitor_cpu_ns;
  m->overhead_pct = 100 * m->overhead_ns / m->cpu_time_ns;   /* 25 %, all of it the thread */
  analyze(p);
  assert_null(find(p, FATHOM_FIND_OVERHEAD, NULL));
  /* the governor acting is no finding by itself either */
  p->gov_actions = calloc(1, sizeof *p->gov_actions);
  p->n_gov_actions = 1;
  m->schema_version = FATHOM_SCHEMA_VERSION;
  m->overhead_ns = 20 * 24;
  m->overhead_pct = 100 * m->overhead_ns / m->cpu_time_ns;
  analyze(p);
  assert_null(find(p, FATHOM_FIND_OVERHEAD, NULL));
  /* the zones' own cost over twice the budget does fire, with the fixed costs reported */
  m->overhead_pct = 12;
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_OVERHEAD, NULL);
  assert_non_null(f);
  assert_int_equal(f->severity, FATHOM_SEV_CRITICAL);
  assert_true(fig(f, "slowdown") == 1.12 && fig(f, "budget_pct") == 5);
  assert_true(fabs(fig(f, "cpu_share_pct") - 100 * m->overhead_ns / m->cpu_time_ns) < 1e-9);
  assert_true(fig(f, "monitor_cpu_ns") == 3e7 && fig(f, "fixed_cost_ns") == 3.3e7);
  assert_non_null(strstr(f->summary, "step"));          /* the zone that cost it */
  assert_non_null(strstr(f->summary, "fixed costs"));
  fathom_profile_free(p);
}

/* Zones whose figures are mostly fathom's own cost are named, most affected first. */
static void test_overhead_inflated(void **state) {
  (void)state;
  fathom_profile *p = mk();
  fathom_meta *m = &p->meta;
  m->zone_cost_ns = 24;
  m->hook_cost_ns = 15;
  m->untimed_cost_ns = 5;
  m->overhead_pct = 0.5;     /* the zones as a whole are within the 5 % budget */
  m->governor = 1;
  uint32_t tiny = add_zone(p, "tiny", NULL), fn = add_zone(p, "hot_fn", NULL);
  uint32_t outer = add_zone(p, "outer", NULL), big = add_zone(p, "big", NULL);
  uint32_t rare = add_zone(p, "rare", NULL);
  p->zones[fn].kind = FATHOM_ZONE_KIND_FUNCTION;
  add_node(p, tiny, FATHOM_NONE, 0, 1000000, 30000000ULL, 30000000ULL);    /* 30 ns each */
  add_node(p, fn, FATHOM_NONE, 1, 2000000, 200000000ULL, 200000000ULL);    /* 100 ns each */
  add_node(p, outer, FATHOM_NONE, 2, 1000, 400000000ULL, 400000000ULL);    /* 400 µs each */
  p->zones[outer].stats.overhead_ns = 2e8;   /* a third of its time was fathom's, taken out */
  add_node(p, big, FATHOM_NONE, 3, 100, 100000000ULL, 100000000ULL);       /* 1 ms each */
  p->zones[big].stats.overhead_ns = 2400;
  add_node(p, rare, FATHOM_NONE, 3, 50, 1500ULL, 1500ULL);                 /* few calls */
  analyze(p);
  assert_shares_bounded(p);
  const fathom_finding *f = find(p, FATHOM_FIND_OVERHEAD, NULL);
  assert_non_null(f);
  assert_int_equal(f->severity, FATHOM_SEV_WARNING);
  assert_true(fig(f, "inflated_zones") == 3);
  const char *s = f->summary, *pt = strstr(s, "tiny ("), *po = strstr(s, "outer ("),
             *pf = strstr(s, "hot_fn (");
  if (!pt || !po || !pf || !(pt < po && po < pf))
    fail_msg("zones not named most affected first: %s", s);
  assert_null(strstr(s, "big ("));
  assert_null(strstr(s, "rare ("));
  assert_true(fabs(fig(f, "fathom_share_pct:tiny") - 100.0 * 24 / 54) < 1e-6);
  assert_true(fabs(fig(f, "fathom_share_pct:outer") - 100.0 / 3) < 1e-6);
  assert_true(has_suggestion(f, "FATHOM_EXCLUDE='hot_fn'"));
  assert_true(has_suggestion(f, "FATHOM_ZONE_IF"));
  /* the same zones, long enough per call: nothing to report */
  p->zones[tiny].stats.mean_ns = 1e6;
  p->zones[fn].stats.mean_ns = 1e6;
  p->zones[outer].stats.overhead_ns = 1e7;
  analyze(p);
  assert_null(find(p, FATHOM_FIND_OVERHEAD, NULL));
  fathom_profile_free(p);
}

/* Figures that add up past the threads' top-level time (main() still open at the end, or
 * estimated totals) never give a share above 100 %. */
static void test_shares_bounded(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "main", NULL), b = add_zone(p, "work", NULL);
  uint32_t r = add_node(p, a, FATHOM_NONE, 0, 1, 1000000ULL, 0);   /* recorded 1 ms */
  add_node(p, b, r, 0, 10, 3609000ULL, 3609000ULL);                 /* children: 3.6 ms */
  analyze(p);
  assert_shares_bounded(p);
  const fathom_finding *f = find(p, FATHOM_FIND_HOT_PATH, "work");
  assert_non_null(f);
  assert_true(fig(f, "self_share_pct") <= 100);
  for (uint32_t i = 0; i < p->n_findings; i++)
    assert_null(strstr(p->findings[i].summary, "360"));
  fathom_profile_free(p);
}

/* Schema-4 resources: sums are totals over every call (never scaled by count / samples), and
 * own CPU is the exact user + system sum when recorded, whatever the tick-sampled split says. */
static void test_res_estimates(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t a = add_zone(p, "sum_only", NULL), b = add_zone(p, "ticks_missed", NULL);
  uint32_t c = add_zone(p, "reader", NULL);
  uint32_t na = add_node(p, a, FATHOM_NONE, 0, 100, 400000000ULL, 400000000ULL);
  uint32_t nb = add_node(p, b, FATHOM_NONE, 1, 100, 400000000ULL, 400000000ULL);
  uint32_t nc = add_node(p, c, FATHOM_NONE, 2, 100, 10000000ULL, 10000000ULL);
  set_res(p, na, 10, FATHOM_RES_CPU_NS, 3.88e8);   /* 10 of 100 calls probed */
  set_res(p, na, 10, FATHOM_RES_WALL_NS, 4e8);
  set_res(p, na, 10, FATHOM_RES_CTX_VOL, 0);
  set_cpu(p, nb, 10, 0, 4e8, 0);                   /* user + system 0: the ticks missed it */
  set_res(p, nb, 10, FATHOM_RES_CPU_NS, 3.9e8);
  set_res(p, nc, 10, FATHOM_RES_READ_BYTES, 100 * 200e6);
  set_res(p, nc, 10, FATHOM_RES_WRITE_BYTES, 0);
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_CPU_BOUND, "sum_only");
  assert_non_null(f);
  assert_true(fabs(fig(f, "own_cpu_pct") - 97) < 1e-9);
  f = find(p, FATHOM_FIND_CPU_BOUND, "ticks_missed");
  assert_non_null(f);
  assert_true(fabs(fig(f, "own_cpu_pct") - 97.5) < 1e-9);
  assert_null(find(p, FATHOM_FIND_WAITING, "ticks_missed"));
  f = find(p, FATHOM_FIND_IO_HEAVY, "reader");
  assert_non_null(f);
  assert_true(fig(f, "io_bytes_per_call") == 200e6);
  fathom_profile_free(p);
}

/* ---- real sessions ---- */

static void spin_ms(double ms) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  volatile double x = 0;
  do {
    for (int i = 0; i < 1000; i++) x += i * 0.5;
    clock_gettime(CLOCK_MONOTONIC, &b);
  } while ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6 < ms);
}

static void test_session(void **state) {
  (void)state;
  fathom_sla_result r;
  assert_int_equal(fathom_check_sla("op", 95, 1, &r), FATHOM_E_STATE);
  assert_null(fathom_bottlenecks_summary(NULL));
  fathom_config c;
  fathom_config_init(&c);
  c.level = FATHOM_LEVEL_DETAILED;
  c.sla = "spin:p50<=1s;nap:p50<=1ms";
  c.sample_every = 1;
  c.governor = 0;
  c.monitor = 0;
  fathom_thresholds t;
  fathom_thresholds_init(&t);
  c.thresholds = &t;
  assert_int_equal(fathom_session_begin("findings", &c), 0);
  t.cpu_ms = 1e9;   /* the session copied them at begin: this change is not seen */
  for (int i = 0; i < 4; i++) {
    FATHOM_ZONE("spin", NULL);
    spin_ms(25);
  }
  for (int i = 0; i < 4; i++) {
    FATHOM_ZONE("nap", NULL);
    struct timespec ts = {0, 25000000};
    nanosleep(&ts, NULL);
  }
  assert_int_equal(fathom_check_sla("spin", 50, 1000, &r), 1);
  assert_int_equal(r.count, 4);
  assert_true(r.actual_ns >= 20e6);
  assert_int_equal(fathom_check_sla("spin", 50, 1, &r), 0);
  assert_int_equal(fathom_check_sla("ghost", 50, 1, &r), FATHOM_E_NOTFOUND);
  assert_int_equal(fathom_check_sla("spin", 0, 1, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_check_sla("spin", 50, -1, &r), FATHOM_E_INVAL);
  fathom_profile *live = fathom_bottlenecks_summary(NULL);
  assert_non_null(live);
  assert_int_equal(live->n_slas, 2);
  assert_non_null(find(live, FATHOM_FIND_SLA, "nap"));
  fathom_profile_free(live);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_non_null(p);
  assert_int_equal(p->n_slas, 2);
  assert_int_equal(p->slas[0].met, 1);
  assert_int_equal(p->slas[1].met, 0);
  const fathom_finding *f = find(p, FATHOM_FIND_CPU_BOUND, "spin");
  if (!f) {
    for (uint32_t i = 0; i < p->n_findings; i++)
      print_message("%s %s: %s\n", fathom_finding_class_name((int)p->findings[i].cls),
                    p->findings[i].path, p->findings[i].summary);
    fail_msg("no cpu_bound finding on a spinning zone");
  }
  f = find(p, FATHOM_FIND_WAITING, "nap");
  if (!f) fail_msg("no waiting finding on a sleeping zone");
  assert_null(find(p, FATHOM_FIND_WAITING, "spin"));
  assert_null(find(p, FATHOM_FIND_CPU_BOUND, "nap"));
  /* its 40 % of own time is waiting: no hot path (the computing one is) */
  assert_null(find(p, FATHOM_FIND_HOT_PATH, "nap"));
  assert_non_null(find(p, FATHOM_FIND_HOT_PATH, "spin"));
  assert_non_null(find(p, FATHOM_FIND_SLA, "nap"));
  fathom_profile_free(p);
  /* a bad SLA spec: the session still runs, no SLAs checked */
  c.sla = "nap:p50<=fast";
  c.thresholds = NULL;
  assert_int_equal(fathom_session_begin("findings2", &c), 0);
  p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_int_equal(p->n_slas, 0);
  fathom_profile_free(p);
}

static void test_names(void **state) {
  (void)state;
  assert_string_equal(fathom_finding_class_name(FATHOM_FIND_SLOW), "slow");
  assert_string_equal(fathom_finding_class_name(FATHOM_FIND_SLA), "sla");
  assert_string_equal(fathom_finding_class_name(FATHOM_FIND_ALLOC_CHURN), "alloc_churn");
  assert_null(fathom_finding_class_name(FATHOM_FIND_N));
  assert_null(fathom_finding_class_name(-1));
  assert_string_equal(fathom_severity_name(FATHOM_SEV_CRITICAL), "critical");
  assert_null(fathom_severity_name(3));
  assert_int_equal(fathom_analyze(NULL, NULL), FATHOM_E_INVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_slow, setup),
      cmocka_unit_test_setup(test_cpu_bound_and_waiting, setup),
      cmocka_unit_test_setup(test_tail_and_hot, setup),
      cmocka_unit_test_setup(test_imbalance, setup),
      cmocka_unit_test_setup(test_io_and_memory, setup),
      cmocka_unit_test_setup(test_churn_and_leak, setup),
      cmocka_unit_test_setup(test_gpu_and_overhead, setup),
      cmocka_unit_test_setup(test_ranking, setup),
      cmocka_unit_test_setup(test_thresholds, setup),
      cmocka_unit_test_setup(test_sla, setup),
      cmocka_unit_test_setup(test_sla_estimated, setup),
      cmocka_unit_test_setup(test_overhead_fixed_costs, setup),
      cmocka_unit_test_setup(test_overhead_inflated, setup),
      cmocka_unit_test_setup(test_shares_bounded, setup),
      cmocka_unit_test_setup(test_res_estimates, setup),
      cmocka_unit_test_setup(test_session, setup),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
