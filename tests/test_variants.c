/* test_variants.c: fathom_variants_rank on variants whose costs are known by construction:
 * one does twice the work of two equal others, so it must rank last with its ratio to the
 * fastest near 2 and an interval that excludes 1, while the two equal ones are within a few
 * per cent of each other; every run is a zone of the session; the JSON and the text table
 * say the same; misuse is refused. Also the Student-t quantiles the intervals use, against
 * table values. */
#include <math.h>
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
      cmocka_unit_test(test_misuse),
  };
  return cmocka_run_group_tests_name("variants", tests, NULL, NULL);
}
