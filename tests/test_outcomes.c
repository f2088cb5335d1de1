/* test_outcomes.c: outcome events and the efficiency ranking, on events whose outcomes and
 * costs the test sets: strategy "wide" gains about 0.02 per 1 ms event (about 20 a second),
 * "deep" about 0.05 per 10 ms (5 a second), "random" about 0.01 per 5 ms (2 a second): the
 * ranking by outcome per second is wide, deep, random, each told apart, each figure equal to
 * the ratio of the sums the test computes; by memory only the subject with bytes appears.
 * A timed event lasts at least its sleep. The events survive the snapshot, the session's
 * end, a JSON round trip and fathom_profile_check (a tampered one is caught), and the text
 * report ranks them; misuse is refused. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fathom_load.h"
#include "testutil.h"

typedef struct truth {
  double o, c;
} truth;

static void record(const char *subject, double gain, double ms, int i, double bytes,
                   truth *t) {
  double g = gain * (1 + 0.1 * ((i % 3) - 1));   /* 0.9, 1.0, 1.1 of the gain */
  double ns = ms * 1e6 * (1 + 0.05 * ((i % 2) ? 1 : -1));
  fathom_outcome o[2] = {{"accuracy_gain", g}, {"params_added", 1000 + i}};
  fathom_outcome_desc d = {"growth", subject, "add_layer", "layer=3", ns, bytes, 2, o};
  assert_int_equal(fathom_outcome_event(&d), 0);
  t->o += g;
  t->c += ns;
}

static fathom_profile *run_session(truth *wide, truth *deep, truth *rnd) {
  assert_int_equal(fathom_session_begin("outcomes", NULL), 0);
  for (int i = 0; i < 12; i++) {
    record("wide", 0.02, 1, i, NAN, wide);
    record("deep", 0.05, 10, i, 4096.0 * (i + 1), deep);
    record("random", 0.01, 5, i, NAN, rnd);
  }
  fathom_outcome_timer t = fathom_outcome_begin();
  struct timespec ts = {0, 20000000};
  nanosleep(&ts, NULL);
  fathom_outcome o = {"found", 1};
  fathom_outcome_desc d = {"search", "bisect", NULL, NULL, 0, NAN, 1, &o};
  assert_int_equal(fathom_outcome_end(t, &d), 0);
  fathom_profile *snap = fathom_snapshot();
  assert_non_null(snap);
  assert_int_equal(snap->n_outcome_events, 37);
  fathom_profile_free(snap);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  return p;
}

static void test_ranked(void **state) {
  (void)state;
  truth wide = {0, 0}, deep = {0, 0}, rnd = {0, 0};
  fathom_profile *p = run_session(&wide, &deep, &rnd);
  assert_int_equal(p->n_outcome_events, 37);
  const fathom_outcome_event_info *e = &p->outcome_events[36];
  assert_string_equal(e->subject, "bisect");
  assert_true(e->time_ns >= 20e6 && e->time_ns < 5e9);
  assert_null(e->kind);
  assert_string_equal(p->outcome_events[0].attrs, "layer=3");
  fathom_efficiency_row r[8];
  uint32_t n = 0;
  assert_int_equal(fathom_efficiency(p, "growth", "accuracy_gain", "time", r, 8, &n), 0);
  assert_int_equal(n, 3);
  assert_string_equal(r[0].subject, "wide");
  assert_string_equal(r[1].subject, "deep");
  assert_string_equal(r[2].subject, "random");
  for (int k = 0; k < 3; k++) assert_int_equal(r[k].rank, (uint32_t)k + 1);
  const truth *t[3] = {&wide, &deep, &rnd};
  for (int k = 0; k < 3; k++) {
    double want = t[k]->o / t[k]->c * 1e9;
    printf("%s: %.4f ± %.4f per second (want %.4f)\n", r[k].subject, r[k].per_unit,
           r[k].per_unit_se, want);
    assert_true(fabs(r[k].per_unit - want) < 1e-9 * want);
    assert_true(r[k].per_unit_se > 0 && r[k].per_unit_se < 0.1 * want);
    assert_int_equal(r[k].events, 12);
    assert_true(fabs(r[k].total - t[k]->o) < 1e-12);
  }
  assert_true(fabs(r[0].mean - 0.02) < 1e-12);   /* 0.9, 1.0 and 1.1 of 0.02, equally often */
  /* by memory: only deep gave bytes */
  assert_int_equal(fathom_efficiency(p, "growth", "accuracy_gain", "memory", r, 8, &n), 0);
  assert_int_equal(n, 1);
  assert_string_equal(r[0].subject, "deep");
  assert_true(fabs(r[0].cost - 4096.0 * 78) < 1e-6);   /* 4096 x (1 + ... + 12) */
  /* a cap smaller than the subjects still gives the most efficient */
  assert_int_equal(fathom_efficiency(p, "growth", "accuracy_gain", "time", r, 1, &n), 0);
  assert_int_equal(n, 3);
  assert_string_equal(r[0].subject, "wide");
  assert_int_equal(fathom_efficiency(p, "growth", "nothing", "time", r, 8, &n), 0);
  assert_int_equal(n, 0);
  assert_int_equal(fathom_efficiency(p, "growth", "accuracy_gain", "energy", r, 8, &n),
                   FATHOM_E_INVAL);
  assert_int_equal(fathom_efficiency(NULL, "growth", "x", "time", r, 8, &n), FATHOM_E_INVAL);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  /* JSON round trip */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  fathom_profile *q = NULL;
  char err[256];
  assert_int_equal(fathom_profile_load_buffer(buf, len, &q, err, sizeof err), 0);
  assert_int_equal(q->n_outcome_events, 37);
  for (uint32_t i = 0; i < 37; i++) {
    const fathom_outcome_event_info *a = &p->outcome_events[i], *b = &q->outcome_events[i];
    assert_string_equal(a->group, b->group);
    assert_string_equal(a->subject, b->subject);
    assert_int_equal(a->n_outcomes, b->n_outcomes);
    for (uint32_t k = 0; k < a->n_outcomes; k++) {
      assert_string_equal(a->outcome_name[k], b->outcome_name[k]);
      assert_true(a->outcome[k] == b->outcome[k]);
    }
    assert_true(a->time_ns == b->time_ns);
    assert_true((isnan(a->bytes) && isnan(b->bytes)) || a->bytes == b->bytes);
    assert_true(a->t_ns == b->t_ns);
  }
  fathom_profile_free(q);
  /* a value that is not finite is refused with its path */
  char *bad = strstr(buf, "\"name\":\"accuracy_gain\",\"value\":");
  assert_non_null(bad);
  char *v = bad + strlen("\"name\":\"accuracy_gain\",\"value\":");
  memcpy(v, "\"Infinity\"", 10);
  char *end = v + 10;
  while (*end != '}') *end++ = ' ';
  q = NULL;
  assert_int_not_equal(fathom_profile_load_buffer(buf, len, &q, err, sizeof err), 0);
  assert_non_null(strstr(err, "outcome_events"));
  free(buf);
  /* the text report */
  buf = render(p, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(buf, "Outcome events"));
  assert_non_null(strstr(buf, "growth: 36 events"));
  assert_non_null(strstr(buf, "most efficient: wide; least efficient: random"));
  assert_non_null(strstr(buf, "accuracy_gain per MiB of memory"));
  free(buf);
  /* a tampered event is caught */
  p->outcome_events[3].bytes = -1;
  char msg[512];
  assert_int_equal(fathom_profile_check(p, msg, sizeof msg), 1);
  assert_non_null(strstr(msg, "outcome event 3"));
  fathom_profile_free(p);
}

static void test_misuse(void **state) {
  (void)state;
  fathom_outcome o = {"gain", 1}, nan_o = {"gain", NAN}, noname = {NULL, 1};
  fathom_outcome nine[9];
  for (int i = 0; i < 9; i++) nine[i] = o;
  fathom_outcome_desc d = {"g", "s", NULL, NULL, 1, NAN, 1, &o};
  assert_int_equal(fathom_outcome_event(&d), FATHOM_E_STATE);   /* no session */
  assert_int_equal(fathom_session_begin("misuse", NULL), 0);
  assert_int_equal(fathom_outcome_event(NULL), FATHOM_E_INVAL);
  fathom_outcome_desc x = d;
  x.subject = "";
  assert_int_equal(fathom_outcome_event(&x), FATHOM_E_INVAL);
  x = d;
  x.n_outcomes = 9;
  x.outcomes = nine;
  assert_int_equal(fathom_outcome_event(&x), FATHOM_E_INVAL);
  x = d;
  x.outcomes = &nan_o;
  assert_int_equal(fathom_outcome_event(&x), FATHOM_E_INVAL);
  x.outcomes = &noname;
  assert_int_equal(fathom_outcome_event(&x), FATHOM_E_INVAL);
  x = d;
  x.bytes = -5;
  assert_int_equal(fathom_outcome_event(&x), FATHOM_E_INVAL);
  x = d;
  x.time_ns = INFINITY;
  assert_int_equal(fathom_outcome_event(&x), FATHOM_E_INVAL);
  fathom_outcome_timer zero = {0};
  assert_int_equal(fathom_outcome_end(zero, &d), FATHOM_E_INVAL);
  assert_int_equal(fathom_outcome_event(&d), 0);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_int_equal(p->n_outcome_events, 1);   /* only the valid one */
  fathom_profile_free(p);
  /* a new session starts with none */
  assert_int_equal(fathom_session_begin("again", NULL), 0);
  assert_int_equal(fathom_session_end(&p), 0);
  assert_int_equal(p->n_outcome_events, 0);
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ranked),
      cmocka_unit_test(test_misuse),
  };
  return cmocka_run_group_tests_name("outcomes", tests, NULL, NULL);
}
