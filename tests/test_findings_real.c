/* test_findings_real.c: the bottleneck rules on the shapes real programs built with
 * -finstrument-functions give (an interpreter, a multithreaded compressor): recursion, a
 * worker loop and a dispatch loop whose time is in their children, waiting at BASIC, threads
 * doing the same work at different call counts, and the exclusion list after a costly run.
 * The rules themselves, thresholds, SLAs and real sessions are in test_findings.c. */
#include "findings_model.h"

/* ---- findings on real programs' shapes ---- */

/* A recursive function's durations vary with the depth of each call (a tree walk: the root
 * call spans the whole tree, a leaf call is short): its p99 / p50 says nothing of a tail. A
 * function with the same histogram that is not recursive does get the finding. */
static void test_tail_recursive(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t w = add_zone(p, "walk", NULL), q = add_zone(p, "query", NULL);
  p->zones[w].kind = p->zones[q].kind = FATHOM_ZONE_KIND_FUNCTION;
  /* walk -> walk -> walk ... with fewer, longer calls towards the root */
  uint32_t parent = FATHOM_NONE;
  uint64_t calls[4] = {1, 3, 30, 300}, each[4] = {300000000ULL, 80000000ULL, 2000000ULL, 20000ULL};
  for (int d = 0; d < 4; d++) {
    uint64_t self = d < 3 ? calls[d] * each[d] - calls[d + 1] * each[d + 1] : calls[d] * each[d];
    parent = add_node(p, w, parent, 0, calls[d], calls[d] * each[d], self);
  }
  /* the rolled-up zone counts its outermost calls once */
  p->zones[w].stats.total_ns = 300000000ULL;
  p->zones[w].stats.mean_ns = 300000000.0 / 334;
  p->zones[w].stats.p50_ns = 20000;
  p->zones[w].stats.p99_ns = 80000000;   /* 4000x */
  add_node(p, q, FATHOM_NONE, 1, 334, 300000000ULL, 300000000ULL);
  p->zones[q].stats.p50_ns = 20000;
  p->zones[q].stats.p99_ns = 80000000;
  /* a wrapper passing 99 % of its time to a child with the same tail leaves it to the child */
  uint32_t api = add_zone(p, "api", NULL), in = add_zone(p, "api_impl", NULL);
  uint32_t r = add_node(p, api, FATHOM_NONE, 2, 334, 300000000ULL, 3000000ULL);
  add_node(p, in, r, 2, 334, 297000000ULL, 297000000ULL);
  p->zones[api].stats.p50_ns = p->zones[in].stats.p50_ns = 20000;
  p->zones[api].stats.p99_ns = p->zones[in].stats.p99_ns = 80000000;
  /* a function called at several depths of walk's recursion (a quicksort's partition): its
   * tail is reported as information, naming the recursion it runs under */
  uint32_t sp = add_zone(p, "split", NULL);
  uint32_t w1 = 1, w2 = 2;   /* walk's nodes at depths 2 and 3 (node indices 1 and 2) */
  assert_int_equal(p->nodes[w1].zone, w);
  add_node(p, sp, w1, 0, 60, 60000000ULL, 60000000ULL);
  add_node(p, sp, w2, 0, 600, 60000000ULL, 60000000ULL);
  p->zones[sp].stats.p50_ns = 20000;
  p->zones[sp].stats.p99_ns = 1000000;
  analyze(p);
  const fathom_finding *ft = find(p, FATHOM_FIND_TAIL_LATENCY, "split");
  assert_non_null(ft);
  assert_int_equal(ft->severity, FATHOM_SEV_INFO);
  assert_non_null(strstr(ft->summary, "recursion of walk"));
  assert_true(has_suggestion(ft, "recursion"));
  assert_null(find(p, FATHOM_FIND_TAIL_LATENCY, "walk"));
  assert_non_null(find(p, FATHOM_FIND_TAIL_LATENCY, "query"));
  assert_int_equal(find(p, FATHOM_FIND_TAIL_LATENCY, "query")->severity, FATHOM_SEV_WARNING);
  assert_non_null(find(p, FATHOM_FIND_TAIL_LATENCY, "api_impl"));
  assert_null(find(p, FATHOM_FIND_TAIL_LATENCY, "api"));
  fathom_profile_free(p);
}

/* BASIC level with the CPU sampler: a pool's worker loop (a function called once per thread
 * at its top) whose own time is the thread waiting for jobs (the sampler saw almost no CPU
 * in it), its work in a child. It is reported as waiting, naming the child, never as slow
 * or hot, and gets no "vectorize" or "thread pool" advice. */
static void test_worker_loop(void **state) {
  (void)state;
  fathom_profile *p = mk();
  fathom_meta *m = &p->meta;
  m->level = FATHOM_LEVEL_BASIC;
  m->duration_ns = 4000000000ULL;
  m->cpu_time_ns = 2.2e9;
  m->sample_period_ns = 1e6;
  m->cpu_samples = 2200;
  m->cpu_samples_fathom = 200;
  uint32_t w = add_zone(p, "pool_worker", NULL), j = add_zone(p, "compress_job", NULL);
  p->zones[w].kind = p->zones[j].kind = FATHOM_ZONE_KIND_FUNCTION;
  for (uint32_t t = 1; t <= 2; t++) {
    uint32_t r = add_node(p, w, FATHOM_NONE, t, 1, 4000000000ULL, 3000000000ULL);
    p->nodes[r].stats.self_cpu_ns = 1e6;
    add_node(p, j, r, t, 5, 1000000000ULL, 1000000000ULL);
  }
  p->zones[w].stats.self_cpu_ns = 2e6;
  p->zones[w].stats.self_cpu_se_ns = 1.4e6;
  p->zones[j].stats.self_cpu_ns = 1.9e9;
  p->zones[j].stats.self_cpu_se_ns = 4.4e7;
  analyze(p);
  assert_null(find(p, FATHOM_FIND_SLOW, "pool_worker"));
  assert_null(find(p, FATHOM_FIND_HOT_PATH, "pool_worker"));
  const fathom_finding *f = find(p, FATHOM_FIND_WAITING, "pool_worker");
  assert_non_null(f);
  assert_non_null(strstr(f->summary, "compress_job"));
  assert_true(has_suggestion(f, "worker loop"));
  assert_true(fig(f, "own_ns") == 6e9);
  /* the bound: the sampler's CPU + 2 standard errors + one period, nothing of fathom here */
  assert_true(fabs(fig(f, "own_cpu_max_ns") - (2e6 + 2 * 1.4e6 + 1e6)) < 1);
  for (uint32_t i = 0; i < p->n_findings; i++) {
    const fathom_finding *g = &p->findings[i];
    if (g->zone != w) continue;
    assert_false(has_suggestion(g, "Vectorize"));
    assert_false(has_suggestion(g, "pthread pool"));
    assert_false(has_suggestion(g, "memoize"));
  }
  /* the same loop where the sampler saw it computing: slow, but advised as a loop */
  p->zones[w].stats.self_cpu_ns = 5.9e9;
  p->zones[w].stats.self_cpu_se_ns = 7.7e7;
  analyze(p);
  assert_null(find(p, FATHOM_FIND_WAITING, "pool_worker"));
  f = find(p, FATHOM_FIND_SLOW, "pool_worker");
  assert_non_null(f);
  assert_non_null(strstr(f->summary, "compress_job"));
  assert_true(has_suggestion(f, "loop"));
  assert_false(has_suggestion(f, "Vectorize"));
  assert_false(has_suggestion(f, "pthread pool"));
  fathom_profile_free(p);
}

/* An interpreter's dispatch loop (many distinct callees, many calls per call of it) gets loop
 * advice, not "vectorize / split across a pthread pool"; a function doing its own work does. */
static void test_dispatch_loop(void **state) {
  (void)state;
  fathom_profile *p = mk();
  p->meta.cpu_time_ns = 4e9;
  uint32_t top = add_zone(p, "run", NULL), d = add_zone(p, "execute", NULL);
  uint32_t k = add_zone(p, "kernel", NULL);
  uint32_t r = add_node(p, top, FATHOM_NONE, 0, 1, 2000000000ULL, 0);
  uint32_t e = add_node(p, d, r, 0, 2, 1200000000ULL, 800000000ULL);
  for (int i = 0; i < 10; i++) {
    char nm[16];
    snprintf(nm, sizeof nm, "op%d", i);
    add_node(p, add_zone(p, nm, NULL), e, 0, 1000, 40000000ULL, 40000000ULL);
  }
  add_node(p, k, r, 0, 4, 800000000ULL, 800000000ULL);
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_SLOW, "execute");
  assert_non_null(f);
  assert_true(has_suggestion(f, "loop"));
  assert_false(has_suggestion(f, "Vectorize"));
  assert_false(has_suggestion(f, "pthread pool"));
  f = find(p, FATHOM_FIND_SLOW, "kernel");
  assert_non_null(f);
  assert_true(has_suggestion(f, "Vectorize"));
  fathom_profile_free(p);
}

/* BASIC level, no sampler: a zone whose own time is more than twice the process's whole CPU
 * time cannot have been computing most of it: it may be waiting (not slow, hot or CPU-bound),
 * and says so with the bound. With enough CPU time for it, it is slow, with a note that this
 * level cannot tell computing from waiting. */
static void test_wait_basic(void **state) {
  (void)state;
  fathom_profile *p = mk();
  p->meta.level = FATHOM_LEVEL_BASIC;
  p->meta.duration_ns = 3000000000ULL;
  p->meta.cpu_time_ns = 5e8;
  uint32_t a = add_zone(p, "recv_loop", NULL), b = add_zone(p, "parse", NULL);
  uint32_t r = add_node(p, a, FATHOM_NONE, 0, 10, 3000000000ULL, 2600000000ULL);
  add_node(p, b, r, 0, 1000, 400000000ULL, 400000000ULL);
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_WAITING, "recv_loop");
  assert_non_null(f);
  assert_non_null(strstr(f->summary, "may be waiting"));
  assert_non_null(strstr(f->summary, "parse"));
  assert_true(fig(f, "own_cpu_max_ns") == 5e8);
  assert_true(fabs(fig(f, "own_cpu_max_pct") - 100 * 5e8 / 2.6e9) < 1e-9);
  assert_null(find(p, FATHOM_FIND_SLOW, "recv_loop"));
  assert_null(find(p, FATHOM_FIND_HOT_PATH, "recv_loop"));
  assert_null(find(p, FATHOM_FIND_CPU_BOUND, "recv_loop"));
  /* the process had the CPU for it: it may compute, "slow" it is (and no CPU was measured) */
  p->meta.cpu_time_ns = 3e9;
  analyze(p);
  assert_null(find(p, FATHOM_FIND_WAITING, "recv_loop"));
  f = find(p, FATHOM_FIND_SLOW, "recv_loop");
  assert_non_null(f);
  assert_true(has_suggestion(f, "FATHOM_LEVEL=detailed"));
  assert_null(find(p, FATHOM_FIND_CPU_BOUND, "recv_loop"));
  fathom_profile_free(p);
}

/* Two workers running the same path: one took 4x the calls of the other at the same time per
 * call: different amounts of work, no imbalance. Two others at the same calls, one 3x slower
 * per call: an imbalance, with the ratio of the means. */
static void test_imbalance_like_work(void **state) {
  (void)state;
  fathom_profile *p = mk();
  uint32_t w = add_zone(p, "worker", NULL), j = add_zone(p, "job", NULL);
  uint32_t s = add_zone(p, "shard", NULL), h = add_zone(p, "hash", NULL);
  uint32_t r0 = add_node(p, w, FATHOM_NONE, 0, 1, 500000000ULL, 100000000ULL);
  uint32_t r1 = add_node(p, w, FATHOM_NONE, 1, 1, 500000000ULL, 100000000ULL);
  add_node(p, j, r0, 0, 100, 100000000ULL, 100000000ULL);   /* 1 ms per call */
  add_node(p, j, r1, 1, 400, 400000000ULL, 400000000ULL);   /* 1 ms per call, 4x the calls */
  uint32_t r2 = add_node(p, s, FATHOM_NONE, 2, 1, 1000000000ULL, 100000000ULL);
  uint32_t r3 = add_node(p, s, FATHOM_NONE, 3, 1, 1000000000ULL, 100000000ULL);
  add_node(p, h, r2, 2, 200, 200000000ULL, 200000000ULL);   /* 1 ms per call */
  add_node(p, h, r3, 3, 200, 600000000ULL, 600000000ULL);   /* 3 ms per call */
  analyze(p);
  assert_null(find(p, FATHOM_FIND_IMBALANCE, "worker;job"));
  const fathom_finding *f = find(p, FATHOM_FIND_IMBALANCE, "shard;hash");
  assert_non_null(f);
  assert_true(fabs(fig(f, "ratio") - 3) < 1e-9);
  assert_true(fig(f, "max_mean_ns") == 3e6 && fig(f, "min_mean_ns") == 1e6);
  fathom_profile_free(p);
}

/* After a costly -finstrument-functions run: the exclusion list holds the short functions
 * whose calls x calibrated cost are largest, costliest first, and its share is what they
 * cost (with every function whose name contains one of them: GCC matches substrings) over
 * what all zones cost. The overhead's share of the CPU is over the process's CPU time even
 * when the slowdown passes 100 %. */
static void test_overhead_exclusion(void **state) {
  (void)state;
  fathom_profile *p = mk();
  fathom_meta *m = &p->meta;
  m->zone_cost_ns = 30;
  m->hook_cost_ns = 40;
  m->hook_untimed_cost_ns = 40;
  m->untimed_cost_ns = 30;
  m->cpu_time_ns = 1e9;
  m->overhead_ns = 8e8;
  m->overhead_pct = 100 * 8e8 / (1e9 - 8e8);   /* 400 % slower */
  struct { const char *name; uint64_t calls; uint64_t mean_ns; } fn[] = {
      {"get_bits", 5000000, 60},      /* short: cost 5 M x 40 */
      {"read32", 2000000, 50},        /* short: 2 M x 40 */
      {"read32_le", 100000, 50},      /* short, contains "read32": excluded with it */
      {"big_step", 1000, 2000000},    /* long: never in the list */
      {"tiny_rare", 50, 20},          /* too few calls */
      {"is_le", 3000000, 45},         /* short: 3 M x 40 */
  };
  double all = 0, cut = 0;
  for (size_t i = 0; i < sizeof fn / sizeof fn[0]; i++) {
    uint32_t z = add_zone(p, fn[i].name, NULL);
    p->zones[z].kind = FATHOM_ZONE_KIND_FUNCTION;
    add_node(p, z, FATHOM_NONE, (uint32_t)(i % 4), fn[i].calls, fn[i].calls * fn[i].mean_ns,
             fn[i].calls * fn[i].mean_ns);
    double cost = (double)fn[i].calls * 40;
    all += cost;
    if (i != 3 && i != 4) cut += cost;
  }
  uint32_t zz = add_zone(p, "request", NULL);   /* a manual zone: its cost counts in the total */
  add_node(p, zz, FATHOM_NONE, 0, 1000, 1000000000ULL, 1000000000ULL);
  all += 1000 * 30;
  analyze(p);
  const fathom_finding *f = find(p, FATHOM_FIND_OVERHEAD, NULL);
  assert_non_null(f);
  assert_true(fabs(fig(f, "cpu_share_pct") - 80) < 1e-9);
  assert_true(fabs(fig(f, "slowdown") - 5) < 1e-9);
  /* get_bits, is_le and read32 cost 99 % of all (past 80 %: the list stops there); excluding
   * read32 excludes read32_le too, whose cost the share counts */
  assert_true(fig(f, "exclude_functions") == 3);
  assert_true(fabs(fig(f, "exclude_share_pct") - 100 * cut / all) < 1e-9);
  assert_true(
      has_suggestion(f, "-finstrument-functions-exclude-function-list=get_bits,is_le,read32 "));
  assert_true(has_suggestion(f, "FATHOM_EXCLUDE='get_bits,is_le,read32'"));
  assert_non_null(strstr(f->summary, "80.0% of the process's CPU time"));
  /* a long function whose name contains "read32": excluding read32 would hide it, so read32
   * is left out of the list (read32_le, 4 % of the cost, takes its place) */
  uint32_t lb = add_zone(p, "read32_block", NULL);
  p->zones[lb].kind = FATHOM_ZONE_KIND_FUNCTION;
  add_node(p, lb, FATHOM_NONE, 0, 1000, 1000 * 2000000ULL, 1000 * 2000000ULL);
  all += 1000 * 40;
  cut = (5000000.0 + 3000000 + 100000) * 40;
  analyze(p);
  f = find(p, FATHOM_FIND_OVERHEAD, NULL);
  assert_non_null(f);
  assert_true(has_suggestion(f, "-finstrument-functions-exclude-function-list=get_bits,is_le,"
                                "read32_le "));
  assert_true(fabs(fig(f, "exclude_share_pct") - 100 * cut / all) < 1e-9);
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_tail_recursive, setup),
      cmocka_unit_test_setup(test_worker_loop, setup),
      cmocka_unit_test_setup(test_dispatch_loop, setup),
      cmocka_unit_test_setup(test_wait_basic, setup),
      cmocka_unit_test_setup(test_imbalance_like_work, setup),
      cmocka_unit_test_setup(test_overhead_exclusion, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
