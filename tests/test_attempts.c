/* test_attempts.c: fathom_attempt — optimisation attempts with a direction: each judged
 * improved, worse or unchanged from its figures and errors (the outcomes below are known by
 * construction), kept in the session's profile and its snapshots, written to JSON and read
 * back unchanged, shown in the text report, checked by fathom_profile_check (a tampered
 * outcome is caught), refused when misused, and gone with the next session. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fathom_load.h"
#include "testutil.h"

static fathom_profile *run_session(void) {
  assert_int_equal(fathom_session_begin("attempts", NULL), 0);
  /* latency, lower is better: 100 -> 80 with errors 2 and 2: -20 beyond 1.96 x 2.83: improved */
  assert_int_equal(fathom_attempt("cache the parse", "latency_ms", 100, 2, 80, 2,
                                  FATHOM_LOWER_IS_BETTER), 0);
  /* throughput, higher is better: 500 -> 498 with errors 5, 5: within 13.9: unchanged */
  assert_int_equal(fathom_attempt("bigger batches", "items_per_s", 500, 5, 498, 5,
                                  FATHOM_HIGHER_IS_BETTER), 0);
  /* exact figures: any change counts; memory, lower is better, grew: worse */
  assert_int_equal(fathom_attempt("prefetch", "peak_mb", 64, 0, 65, 0, FATHOM_LOWER_IS_BETTER),
                   0);
  fathom_profile *snap = fathom_snapshot();
  assert_non_null(snap);
  assert_int_equal(snap->n_attempts, 3);
  fathom_profile_free(snap);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_non_null(p);
  return p;
}

static void test_judged(void **state) {
  (void)state;
  fathom_profile *p = run_session();
  assert_int_equal(p->n_attempts, 3);
  assert_string_equal(p->attempts[0].name, "cache the parse");
  assert_int_equal(p->attempts[0].outcome, 1);
  assert_true(fabs(p->attempts[0].change_pct - -20.0) < 1e-9);
  assert_int_equal(p->attempts[1].outcome, 0);
  assert_int_equal(p->attempts[2].outcome, -1);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  /* a tampered judgement is a violation */
  p->attempts[1].outcome = 1;
  char msg[512];
  assert_int_equal(fathom_profile_check(p, msg, sizeof msg), 1);
  assert_non_null(strstr(msg, "bigger batches"));
  p->attempts[1].outcome = 0;
  /* JSON round trip, and the text report */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  fathom_profile *q = NULL;
  char err[256];
  assert_int_equal(fathom_profile_load_buffer(buf, len, &q, err, sizeof err), 0);
  assert_int_equal(q->n_attempts, 3);
  for (uint32_t i = 0; i < 3; i++) {
    assert_string_equal(q->attempts[i].name, p->attempts[i].name);
    assert_string_equal(q->attempts[i].metric, p->attempts[i].metric);
    assert_true(q->attempts[i].before == p->attempts[i].before);
    assert_true(q->attempts[i].after_se == p->attempts[i].after_se);
    assert_int_equal(q->attempts[i].direction, p->attempts[i].direction);
    assert_int_equal(q->attempts[i].outcome, p->attempts[i].outcome);
  }
  free(buf);
  buf = render(q, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(buf, "Optimisation attempts"));
  assert_non_null(strstr(buf, "1 improved, 1 worse, 1 unchanged"));
  free(buf);
  fathom_profile_free(q);
  fathom_profile_free(p);
  /* the next session starts with none */
  assert_int_equal(fathom_session_begin("again", NULL), 0);
  fathom_profile *r = NULL;
  assert_int_equal(fathom_session_end(&r), 0);
  assert_int_equal(r->n_attempts, 0);
  fathom_profile_free(r);
}

static void test_misuse(void **state) {
  (void)state;
  assert_int_equal(fathom_attempt("x", "m", 1, 0, 2, 0, 1), FATHOM_E_STATE);   /* no session */
  assert_int_equal(fathom_session_begin("misuse", NULL), 0);
  assert_int_equal(fathom_attempt(NULL, "m", 1, 0, 2, 0, 1), FATHOM_E_INVAL);
  assert_int_equal(fathom_attempt("x", "", 1, 0, 2, 0, 1), FATHOM_E_INVAL);
  assert_int_equal(fathom_attempt("x", "m", NAN, 0, 2, 0, 1), FATHOM_E_INVAL);
  assert_int_equal(fathom_attempt("x", "m", 1, -1, 2, 0, 1), FATHOM_E_INVAL);
  assert_int_equal(fathom_attempt("x", "m", 1, 0, 2, 0, 0), FATHOM_E_INVAL);
  int limited = 0;
  for (int i = 0; i < 5000; i++) limited += fathom_attempt("x", "m", 1, 0, 2, 0, 1) == FATHOM_E_LIMIT;
  assert_int_equal(limited, 5000 - 4096);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_int_equal(p->n_attempts, 4096);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_judged),
      cmocka_unit_test(test_misuse),
  };
  return cmocka_run_group_tests_name("attempts", tests, NULL, NULL);
}
