/* test_pipeline_prof.c: fathom_pipeline_run on a pipeline whose costs are known by
 * construction: "normalize" does 4 times the work of "tokenize" and "count" next to nothing:
 * normalize must be the bottleneck (told apart from the next slowest), about 4 times
 * tokenize, over the time threshold, throughput = items / time; in a pipeline of its own,
 * "expand" keeps 8 MiB a run: its heap and RSS growth near 8 MiB, flagged at 4 MiB;
 * every step is a zone; a failing step stops its run; misuse is refused. */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static volatile unsigned long sink;
static void work(unsigned long n) {
  unsigned long x = 1;
  for (unsigned long i = 0; i < n; i++) x = x * 6364136223846793005ul + 1442695040888963407ul;
  sink = x;
}
static int tokenize(void *d, void *u) { (void)d; (void)u; work(1000000); return 0; }
static int normalize(void *d, void *u) { (void)d; (void)u; work(4000000); return 0; }
static int count(void *d, void *u) { (void)d; (void)u; work(1000); return 0; }
static void *kept[16];
static int nkept;
static int expand(void *d, void *u) {
  (void)d; (void)u;
  char *p = malloc(8u << 20);
  if (!p) return 1;
  memset(p, 1, 8u << 20);
  kept[nkept++] = p;
  return 0;
}
static int fails(void *d, void *u) { (void)d; (void)u; return 1; }

static void test_bottleneck(void **state) {
  (void)state;
  const fathom_step steps[] = {{"tokenize", tokenize, NULL}, {"normalize", normalize, NULL},
                               {"count", count, NULL}};
  fathom_pipeline_opts o = {8, 1000, 0.5, 4};
  assert_int_equal(fathom_session_begin("pipeline", NULL), 0);
  fathom_pipeline_result r;
  assert_int_equal(fathom_pipeline_run("prep", steps, 3, NULL, &o, &r), 0);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_int_equal(r.n, 3);
  assert_int_equal(r.bottleneck, 1);
  assert_true(r.bottleneck_p < 0.05);
  const fathom_step_stats *tk = &r.s[0], *nz = &r.s[1];
  printf("normalize %.1f %% (%.2fx tokenize)\n", nz->share_pct, nz->mean_ns / tk->mean_ns);
  /* 4x the work; wide bounds: on a loaded machine either step may lose its CPU for a while */
  assert_true(nz->mean_ns / tk->mean_ns > 1.5 && nz->mean_ns / tk->mean_ns < 12);
  double share = 0;
  for (uint32_t i = 0; i < 3; i++) {
    assert_int_equal(r.s[i].runs, 8);
    assert_true(r.s[i].ci_lo_ns <= r.s[i].mean_ns && r.s[i].mean_ns <= r.s[i].ci_hi_ns);
    share += r.s[i].share_pct;
  }
  assert_true(fabs(share - 100) < 1e-6);
  assert_true(nz->slow);              /* 4 M steps take well over 0.5 ms */
  assert_false(r.s[2].slow);
  assert_true(fabs(nz->items_per_s - 1000 / (nz->mean_ns / 1e9)) < 1e-6 * nz->items_per_s);
  int found = 0;
  for (uint32_t z = 0; z < p->n_zones; z++)
    if (!strcmp(p->zones[z].name, "normalize") && !strcmp(p->zones[z].component, "prep")) {
      assert_int_equal(p->zones[z].stats.count, 8);
      found = 1;
    }
  assert_true(found);
  fathom_profile_free(p);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_pipeline_print(f, &r), 0);
  assert_int_equal(fathom_pipeline_write_json(f, &r), 0);
  fclose(f);
  assert_non_null(strstr(buf, "bottleneck: normalize"));
  assert_non_null(strstr(buf, "\"format\":\"fathom-pipeline\",\"version\":1,\"bottleneck\":1"));
  free(buf);
  fathom_pipeline_result_free(&r);
}

static void test_memory(void **state) {
  (void)state;
  const fathom_step steps[] = {{"count", count, NULL}, {"expand", expand, NULL}};
  fathom_pipeline_opts o = {4, 0, 0, 4};
  fathom_pipeline_result r;
  assert_int_equal(fathom_pipeline_run("mem", steps, 2, NULL, &o, &r), 0);
  const fathom_step_stats *ex = &r.s[1];
  printf("expand heap %+.1f MiB, RSS %+.1f MiB\n", ex->heap_delta_bytes / 1048576.0,
         ex->rss_delta_bytes / 1048576.0);
  /* (a sanitizer's allocator is not glibc's: mallinfo2 knows nothing, the heap's change is
   * unknown (NaN), the RSS still grows) */
  if (isfinite(ex->heap_delta_bytes)) {
    assert_true(ex->heap_delta_bytes > 7.9 * 1048576.0 && ex->heap_delta_bytes < 8.5 * 1048576.0);
    assert_true(ex->rss_delta_bytes > 7 * 1048576.0 && ex->rss_delta_bytes < 12 * 1048576.0);
  } else {   /* and its shadow memory grows with the block */
    struct mallinfo2 mi = mallinfo2();
    assert_true(mi.uordblks + mi.hblkhd == 0);
    assert_true(ex->rss_delta_bytes > 7 * 1048576.0 && ex->rss_delta_bytes < 64 * 1048576.0);
  }
  assert_true(ex->heavy);
  assert_false(r.s[0].heavy);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_pipeline_print(f, &r), 0);
  fclose(f);
  assert_non_null(strstr(buf, "expand grows memory over the threshold"));
  free(buf);
  fathom_pipeline_result_free(&r);
  for (int i = 0; i < nkept; i++) free(kept[i]);
  nkept = 0;
}

static void test_failure_and_misuse(void **state) {
  (void)state;
  const fathom_step steps[] = {{"count", count, NULL}, {"fails", fails, NULL},
                               {"never", count, NULL}};
  fathom_pipeline_opts o = {3, 0, 0, 0};
  fathom_pipeline_result r;
  assert_int_equal(fathom_pipeline_run("x", steps, 3, NULL, &o, &r), 0);
  assert_true(r.s[1].failed);
  assert_int_equal(r.s[1].runs, 3);
  assert_int_equal(r.s[2].runs, 0);      /* every run stopped before it */
  assert_true(isnan(r.s[0].items_per_s));
  fathom_pipeline_result_free(&r);
  const fathom_step bad[] = {{"a", NULL, NULL}};
  assert_int_equal(fathom_pipeline_run("x", bad, 1, NULL, NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_pipeline_run("x", steps, 0, NULL, NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_pipeline_run(NULL, steps, 1, NULL, NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_pipeline_print(stdout, NULL), FATHOM_E_INVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bottleneck),
      cmocka_unit_test(test_memory),
      cmocka_unit_test(test_failure_and_misuse),
  };
  return cmocka_run_group_tests_name("pipeline_prof", tests, NULL, NULL);
}
