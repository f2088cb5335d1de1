/* test_variants.c: fathom_variants_rank on variants whose costs are known by construction:
 * one does twice the work of two equal others, so it must rank last with its ratio to the
 * fastest near 2 and an interval that excludes 1, while the two equal ones are within a few
 * per cent of each other; every run is a zone of the session; the JSON and the text table
 * say the same; misuse is refused. Memory per run: a variant that keeps 1 MiB a run shows
 * +1 MiB retained, one that allocates and frees 4 MiB shows none (under a sanitizer, whose
 * allocator glibc's count does not see, "not measured" instead); without allocation tracking
 * (this test links the static library) the allocated and peak figures are not measured
 * (test_variants_alloc.c has them). A stall: a variant 1.5 times as fast but for one run 50
 * times its time ranks first by median and the outputs say that the rankings disagree.
 * Older profiles without the new members still load. Also the Student-t quantiles the
 * intervals use, against table values. */
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "fathom_load.h"
#include "testutil.h"
#include "util/tdist.h"

static volatile unsigned long sink;
static void spin(void *user) {
  unsigned long n = *(const unsigned long *)user, x = 1;
  for (unsigned long i = 0; i < n; i++) x = x * 6364136223846793005ul + 1442695040888963407ul;
  sink = x;
}

static void test_quantiles(void **state) {
  (void)state;
  assert_true(fabs(fz_t_quantile(0.975, 10) - 2.228139) < 1e-5);
  assert_true(fabs(fz_t_quantile(0.975, 1) - 12.706205) < 1e-4);
  assert_true(fabs(fz_t_quantile(0.995, 30) - 2.749996) < 1e-5);
  assert_true(fabs(fz_t_quantile(0.975, 1e9) - 1.959964) < 1e-5);
  assert_true(fabs(fz_t_quantile(0.025, 10) + 2.228139) < 1e-5);
  assert_true(isnan(fz_t_quantile(1.5, 10)));
}

static void test_ranking(void **state) {
  (void)state;
  static unsigned long one = 200000, two = 400000;
  const fathom_variant v[] = {{"double", spin, &two}, {"single_a", spin, &one},
                              {"single_b", spin, &one}};
  fathom_variants_opts o = {1, 20, 2000, 0.3, 5, 0.95};
  assert_int_equal(fathom_session_begin("variants", NULL), 0);
  fathom_variants_result r;
  assert_int_equal(fathom_variants_rank("strategies", v, 3, &o, &r), 0);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_int_equal(r.n, 3);
  const fathom_variant_stats *last = &r.v[2];
  assert_string_equal(last->name, "double");
  assert_int_equal(last->index, 0);
  assert_int_equal(last->rank, 3);
  printf("double: %.3fx [%.3f, %.3f] the fastest; singles %.3fx apart\n", last->ratio,
         last->ratio_lo, last->ratio_hi, r.v[1].ratio);
  /* (bounds for a loaded machine: a stall of the machine in one run moves a mean) */
  assert_true(last->ratio > 1.4 && last->ratio < 3.0);
  assert_true(last->ratio_lo > 1);
  assert_true(r.v[1].ratio < 1.5);
  assert_true(last->median_ns > 1.4 * r.v[0].median_ns);
  for (uint32_t k = 0; k < 3; k++) {
    assert_true(r.v[k].runs >= 20);
    assert_true(r.v[k].ci_lo_ns <= r.v[k].mean_ns && r.v[k].mean_ns <= r.v[k].ci_hi_ns);
    assert_true(r.v[k].min_ns <= r.v[k].median_ns && r.v[k].median_ns <= r.v[k].max_ns);
  }
  /* every run (and warm-up) is a zone of component "strategies" */
  int found = 0;
  for (uint32_t z = 0; z < p->n_zones; z++)
    if (!strcmp(p->zones[z].name, "double") && !strcmp(p->zones[z].component, "strategies")) {
      assert_int_equal(p->zones[z].stats.count, last->runs + 1);
      found = 1;
    }
  assert_true(found);
  /* the ranking is in the session's profile, checked, through JSON and in the text report */
  assert_int_equal(p->n_rankings, 1);
  assert_string_equal(p->rankings[0].name, "strategies");
  assert_int_equal(p->rankings[0].n, 3);
  assert_string_equal(p->rankings[0].e[2].variant, "double");
  assert_true(p->rankings[0].e[2].mean_ns == last->mean_ns);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  p->rankings[0].e[1].mean_ns = p->rankings[0].e[2].mean_ns * 2;   /* out of order */
  assert_true(fathom_profile_check(p, NULL, 0) >= 1);
  p->rankings[0].e[1].mean_ns = r.v[1].mean_ns;
  {
    char *jb = NULL, err[256];
    size_t jl = 0;
    FILE *jf = open_memstream(&jb, &jl);
    assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, jf, 0), 0);
    fclose(jf);
    fathom_profile *q = NULL;
    assert_int_equal(fathom_profile_load_buffer(jb, jl, &q, err, sizeof err), 0);
    assert_int_equal(q->n_rankings, 1);
    assert_true(q->rankings[0].e[2].ratio_lo == p->rankings[0].e[2].ratio_lo);
    assert_int_equal(q->rankings[0].e[2].rank, 3);
    free(jb);
    jb = NULL;
    jf = open_memstream(&jb, &jl);
    assert_int_equal(fathom_profile_write(q, FATHOM_FORMAT_TEXT, jf, 0), 0);
    fclose(jf);
    assert_non_null(strstr(jb, "Variants: strategies"));
    free(jb);
    fathom_profile_free(q);
  }
  fathom_profile_free(p);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_variants_write_json(f, &r), 0);
  fclose(f);
  assert_non_null(strstr(buf, "\"format\":\"fathom-variants\""));
  assert_non_null(strstr(buf, "{\"name\":\"double\",\"index\":0,\"rank\":3"));
  free(buf);
  buf = NULL;
  f = open_memstream(&buf, &len);
  assert_int_equal(fathom_variants_print(f, &r), 0);
  fclose(f);
  assert_non_null(strstr(buf, "fastest"));
  assert_non_null(strstr(buf, "double"));
  free(buf);
  fathom_variants_result_free(&r);
}

static int sanitized(void) {
  const char *s = getenv("FATHOM_SANITIZE");
  return s && *s;
}

/* The profile p as JSON text (the caller frees). */
static char *to_json(const fathom_profile *p, size_t *len) {
  char *b = NULL;
  FILE *f = open_memstream(&b, len);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  return b;
}

static char *to_text(const fathom_profile *p) {
  char *b = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&b, &len);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_TEXT, f, 0), 0);
  fclose(f);
  return b;
}

static char *print_result(const fathom_variants_result *r) {
  char *b = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&b, &len);
  assert_int_equal(fathom_variants_print(f, r), 0);
  fclose(f);
  return b;
}

/* ---- memory per run ---- */

#define MIB 1048576.0
static void *kept[64];
static int nkept;
static void *escape(void *p) {
  __asm__ volatile("" : : "r"(p) : "memory");
  return p;
}
static void keep_mib(void *user) {   /* keeps 1 MiB a run (freed by the test at the end) */
  (void)user;
  char *b = escape(malloc(1 << 20));
  assert_non_null(b);
  memset(b, 1, 1 << 20);
  if (nkept < 64) kept[nkept++] = b;
}
static void churn_4mib(void *user) {   /* 4 MiB allocated, used and freed */
  (void)user;
  char *b = escape(malloc(4 << 20));
  assert_non_null(b);
  memset(b, 2, 4 << 20);
  free(escape(b));
}

static void test_memory(void **state) {
  (void)state;
  const fathom_variant v[] = {{"keep", keep_mib, NULL}, {"churn", churn_4mib, NULL}};
  fathom_variants_opts o = {1, 20, 20, 0, 10, 0.95};
  assert_int_equal(fathom_session_begin("varmem", NULL), 0);
  fathom_variants_result r;
  assert_int_equal(fathom_variants_rank("memory", v, 2, &o, &r), 0);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  const fathom_variant_stats *k = r.v[0].index == 0 ? &r.v[0] : &r.v[1];
  const fathom_variant_stats *c = r.v[0].index == 1 ? &r.v[0] : &r.v[1];
  printf("keep: heap %+.4f MiB [%+.4f, %+.4f]; churn: %+.4f MiB\n",
         k->heap_retained_bytes / MIB, k->heap_retained_lo / MIB, k->heap_retained_hi / MIB,
         c->heap_retained_bytes / MIB);
  assert_int_equal(k->runs, 20);
  if (sanitized()) {   /* the sanitizer's allocator: glibc's count knows nothing */
    assert_true(isnan(k->heap_retained_bytes) && isnan(c->heap_retained_bytes));
  } else {   /* 1 MiB and the block's overhead (a header, at most a page) */
    assert_true(k->heap_retained_bytes >= 0.999 * MIB && k->heap_retained_bytes < 1.02 * MIB);
    assert_true(k->heap_retained_lo <= k->heap_retained_bytes);
    assert_true(k->heap_retained_bytes <= k->heap_retained_hi);
    assert_true(fabs(c->heap_retained_bytes) < 0.02 * MIB);
  }
  /* the static library has no allocation hooks: not measured, never 0 */
  assert_true(isnan(k->alloc_bytes) && isnan(k->peak_bytes) && isnan(c->peak_bytes));
  char *txt = print_result(&r);
  assert_non_null(strstr(txt, "heap kept/run"));
  if (!sanitized()) assert_non_null(strstr(txt, "1.00 MiB"));
  free(txt);
  /* the profile's table has the figures, through JSON too, and its checker agrees */
  assert_int_equal(p->n_rankings, 1);
  const fathom_ranking_entry *ek = &p->rankings[0].e[k == &r.v[0] ? 0 : 1];
  assert_true(ek->heap_retained_bytes == k->heap_retained_bytes ||
              (isnan(ek->heap_retained_bytes) && isnan(k->heap_retained_bytes)));
  assert_true(isnan(ek->peak_bytes));
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  size_t jl = 0;
  char *jb = to_json(p, &jl), err[256];
  fathom_profile *q = NULL;
  assert_int_equal(fathom_profile_load_buffer(jb, jl, &q, err, sizeof err), 0);
  const fathom_ranking_entry *qk = &q->rankings[0].e[k == &r.v[0] ? 0 : 1];
  assert_true(qk->heap_retained_hi == ek->heap_retained_hi ||
              (isnan(qk->heap_retained_hi) && isnan(ek->heap_retained_hi)));
  assert_true(isnan(qk->alloc_bytes));
  assert_int_equal(qk->median_rank, ek->median_rank);
  assert_int_equal(fathom_profile_check(q, NULL, 0), 0);
  char *t = to_text(q);
  assert_non_null(strstr(t, "heap kept/run"));
  free(t);
  /* a peak above the bytes allocated, a retained figure outside its interval: flagged */
  fathom_ranking_entry *x = &q->rankings[0].e[0];
  x->alloc_bytes = 100;
  x->peak_bytes = 200;
  assert_true(fathom_profile_check(q, NULL, 0) >= 1);
  x->alloc_bytes = x->peak_bytes = NAN;
  x->heap_retained_bytes = 5;
  x->heap_retained_lo = 10;
  x->heap_retained_hi = 20;
  assert_true(fathom_profile_check(q, NULL, 0) >= 1);
  fathom_profile_free(q);
  free(jb);
  fathom_profile_free(p);
  fathom_variants_result_free(&r);
  for (int i = 0; i < nkept; i++) free(kept[i]);
  nkept = 0;
}

/* ---- a stall ---- */

static int stall_calls;
static void spin_stall_once(void *user) {   /* on its 3rd call (a measured run): 50x stalled */
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  spin(user);
  clock_gettime(CLOCK_MONOTONIC, &b);
  if (++stall_calls != 3) return;
  double ns = 49 * ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec));
  struct timespec d = {(time_t)(ns / 1e9), (long)fmod(ns, 1e9)};
  nanosleep(&d, NULL);
}

/* Removes every `,"key":value` (a number, null, true or false) from the JSON text in b. */
static void strip_member(char *b, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, ",\"%s\":", key);
  for (char *at; (at = strstr(b, pat)) != NULL;) {
    char *end = at + strlen(pat);
    while (*end && *end != ',' && *end != '}') end++;
    memmove(at, end, strlen(end) + 1);
  }
}

static void test_stall(void **state) {
  (void)state;
  /* (runs of about 1 ms: a loaded machine's preemptions are short beside them) */
  static unsigned long one = 700000, slower = 1050000;
  /* 30 runs: the stalled variant's mean is (29 + 50) / 30 = 2.63 times its run, against the
   * other's 1.5: behind by mean, ahead by median (whose interval, from the 10th to the 21st
   * of the 30 runs, leaves out 9 slow runs on either side: a loaded machine's too) */
  const fathom_variant v[] = {{"steady_slow", spin, &slower},
                              {"fast_stalled", spin_stall_once, &one}};
  fathom_variants_opts o = {1, 30, 30, 0, 30, 0.95};
  fathom_variants_result r;
  fathom_profile *p = NULL;
  const fathom_variant_stats *f = NULL, *s = NULL;
  /* The premise: the injected stall puts the fast variant behind by mean. On a loaded
   * machine the steady variant's own stalls may outweigh it; then again, at most 3 times. */
  for (int attempt = 1; attempt <= 3; attempt++) {
    if (p) {
      fathom_profile_free(p);
      fathom_variants_result_free(&r);
      p = NULL;
    }
    stall_calls = 0;
    assert_int_equal(fathom_session_begin("stall", NULL), 0);
    assert_int_equal(fathom_variants_rank("stall", v, 2, &o, &r), 0);
    assert_int_equal(fathom_session_end(&p), 0);
    f = r.v[0].index == 1 ? &r.v[0] : &r.v[1];
    s = r.v[0].index == 0 ? &r.v[0] : &r.v[1];
    if (f->mean_ns > s->mean_ns) break;
    printf("attempt %d: the steady variant's own stalls outweighed the injected one\n", attempt);
  }
  char *txt = print_result(&r);
  printf("%s", txt);
  assert_true(f->max_ns > 20 * f->median_ns);   /* the stall is among its runs */
  assert_int_equal(f->median_rank, 1);
  assert_int_equal(s->median_rank, 2);
  assert_true(f->median_hi_ns < s->median_lo_ns);
  assert_true(f->median_lo_ns <= f->median_ns && f->median_ns <= f->median_hi_ns);
  assert_string_equal(r.v[0].name, "steady_slow");   /* by mean the stall put it behind */
  assert_true(s->median_rank == 2 && f->mean_ns > s->mean_ns);
  assert_int_equal(r.disagree, 1);
  assert_non_null(strstr(txt, "the rankings by mean and by median disagree: steady_slow is ahead "
                              "of fast_stalled by mean"));
  free(txt);
  /* the profile says it too, its checker agrees, and a wrong flag is caught */
  assert_int_equal(p->rankings[0].disagree, 1);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  char *t = to_text(p);
  assert_non_null(strstr(t, "the rankings by mean and by median disagree"));
  free(t);
  p->rankings[0].disagree = 0;
  assert_true(fathom_profile_check(p, NULL, 0) >= 1);
  p->rankings[0].disagree = 1;
  uint32_t m0 = p->rankings[0].e[0].median_rank;
  p->rankings[0].e[0].median_rank = 1;   /* rank 1 by median for the larger median */
  assert_true(fathom_profile_check(p, NULL, 0) >= 1);
  p->rankings[0].e[0].median_rank = m0;
  /* an older file, without the new members, loads: NaN, rank 0, no disagreement */
  size_t jl = 0;
  char *jb = to_json(p, &jl), err[256];
  static const char *const added[] = {"disagree", "median_lo_ns", "median_hi_ns", "median_rank",
                                      "heap_retained_bytes", "heap_retained_lo",
                                      "heap_retained_hi", "alloc_bytes", "peak_bytes"};
  for (size_t i = 0; i < sizeof added / sizeof added[0]; i++) strip_member(jb, added[i]);
  assert_null(strstr(jb, "median_rank"));
  fathom_profile *q = NULL;
  assert_int_equal(fathom_profile_load_buffer(jb, strlen(jb), &q, err, sizeof err), 0);
  assert_int_equal(q->rankings[0].disagree, 0);
  assert_int_equal(q->rankings[0].e[0].median_rank, 0);
  assert_true(isnan(q->rankings[0].e[0].median_lo_ns) && isnan(q->rankings[0].e[1].peak_bytes));
  assert_int_equal(fathom_profile_check(q, NULL, 0), 0);
  t = to_text(q);
  assert_non_null(strstr(t, "Variants: stall"));
  assert_null(strstr(t, "disagree"));
  free(t);
  fathom_profile_free(q);
  free(jb);
  /* a bad rank by median is refused with a message */
  jb = to_json(p, &jl);
  char *mr = strstr(jb, "\"median_rank\":");
  assert_non_null(mr);
  mr[strlen("\"median_rank\":")] = '7';
  assert_int_equal(fathom_profile_load_buffer(jb, jl, &q, err, sizeof err), FATHOM_E_FORMAT);
  assert_non_null(strstr(err, "median_rank"));
  free(jb);
  fathom_profile_free(p);
  fathom_variants_result_free(&r);
}

static void test_misuse(void **state) {
  (void)state;
  static unsigned long one = 10;
  fathom_variant v[] = {{"a", spin, &one}, {"b", NULL, &one}};
  fathom_variants_result r;
  assert_int_equal(fathom_variants_rank("x", v, 2, NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_variants_rank("x", v, 0, NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_variants_rank("", v, 1, NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_variants_rank("x", v, 1, NULL, NULL), FATHOM_E_INVAL);
  assert_int_equal(fathom_variants_print(stdout, NULL), FATHOM_E_INVAL);
  /* one variant, no session: ranked alone, first */
  fathom_variants_opts o = {0, 2, 5, 0, 1, 0.95};
  assert_int_equal(fathom_variants_rank("x", v, 1, &o, &r), 0);
  assert_int_equal(r.n, 1);
  assert_int_equal(r.v[0].rank, 1);
  assert_true(r.v[0].runs >= 2 && r.v[0].runs <= 5);
  fathom_variants_result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quantiles),
      cmocka_unit_test(test_ranking),
      cmocka_unit_test(test_memory),
      cmocka_unit_test(test_stall),
      cmocka_unit_test(test_misuse),
  };
  return cmocka_run_group_tests_name("variants", tests, NULL, NULL);
}
