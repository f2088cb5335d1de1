/* test_profilers.c: named profilers. Two profilers, "impl_a" and "impl_b", each with zones
 * "run" > "step" whose call counts the test chooses; a zone of the session's default
 * component ("glue") sits between impl_a's run and a nested impl_a zone "inner". Each
 * profiler's snapshot holds exactly its own zones with their counts, "inner" hangs from
 * "run" (the glue left out) with the same totals as in the session, the figures add up
 * (fathom_profile_check) and survive a JSON round trip. A reset starts impl_a afresh: the
 * counts after it are exactly the calls made after it, impl_b is untouched, and the
 * session's profile still has every call (impl_a's earlier ones under "impl_a (before reset
 * 1)"). `fathom_profile_keep_component` on a whole profile matches the profiler's snapshot;
 * misuse is refused. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fathom_load.h"
#include "testutil.h"

static void spin(int n) {
  volatile unsigned x = 0;
  for (int i = 0; i < n; i++) x += (unsigned)i;
}

/* impl_a: n runs, each with 3 steps and one glue > inner; impl_b: n runs of 2 steps. */
static void work(fathom_profiler *a, fathom_profiler *b, int n) {
  for (int i = 0; i < n; i++) {
    fathom_zone r = fathom_profiler_begin(a, "run");
    for (int k = 0; k < 3; k++) {
      FATHOM_PROFILER_ZONE(a, "step");
      spin(2000);
    }
    fathom_zone g = fathom_zone_begin("glue", NULL);
    fathom_zone in = fathom_profiler_begin(a, "inner");
    spin(5000);
    assert_int_equal(fathom_zone_end(in), 0);
    assert_int_equal(fathom_zone_end(g), 0);
    assert_int_equal(fathom_zone_end(r), 0);
    fathom_zone rb = fathom_profiler_begin(b, "run");
    for (int k = 0; k < 2; k++) {
      fathom_zone s = fathom_profiler_begin(b, "step");
      spin(1000);
      assert_int_equal(fathom_zone_end(s), 0);
    }
    assert_int_equal(fathom_zone_end(rb), 0);
  }
}

static uint64_t count_in(const fathom_profile *p, const char *name, const char *comp) {
  uint64_t c = 0;
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (!strcmp(p->zones[i].name, name) && !strcmp(p->zones[i].component, comp))
      c += p->zones[i].stats.count;
  return c;
}

static void assert_clean(const fathom_profile *p) {
  char msg[2048];
  int v = fathom_profile_check(p, msg, sizeof msg);
  if (v) fail_msg("profile check: %s", msg);
}

static void test_profilers(void **state) {
  (void)state;
  fathom_config cfg;
  fathom_config_init(&cfg);
  test_level(&cfg);
  assert_int_equal(fathom_session_begin("profilers", &cfg), 0);
  fathom_profiler *a = fathom_profiler_get("impl_a"), *b = fathom_profiler_get("impl_b");
  assert_non_null(a);
  assert_non_null(b);
  assert_ptr_equal(fathom_profiler_get("impl_a"), a);
  assert_string_equal(fathom_profiler_name(b), "impl_b");
  work(a, b, 20);

  fathom_profile *pa = hold(fathom_profiler_snapshot(a));
  assert_non_null(pa);
  assert_int_equal(pa->n_zones, 3);   /* run, step, inner: no glue, nothing of impl_b */
  for (uint32_t i = 0; i < pa->n_zones; i++) assert_string_equal(pa->zones[i].component, "impl_a");
  assert_int_equal(zone(pa, "run")->stats.count, 20);
  assert_int_equal(zone(pa, "step")->stats.count, 60);
  assert_int_equal(zone(pa, "inner")->stats.count, 20);
  uint32_t run = node_under(pa, "run", FATHOM_NONE);
  uint32_t inner = node_under(pa, "inner", run);   /* glue in between left out */
  assert_int_equal(pa->nodes[inner].depth, 2);
  assert_true(pa->nodes[inner].stats.total_ns <= pa->nodes[run].stats.total_ns);
  assert_int_equal(pa->meta.n_zones, 100);
  assert_int_equal(pa->n_counters, 0);
  assert_clean(pa);
  assert_non_null(strstr(pa->meta.session_name, "[profiler impl_a]"));
  fathom_stats st;
  assert_int_equal(fathom_profiler_stats(a, "step", &st), 0);
  assert_int_equal(st.count, 60);
  assert_int_equal(fathom_profiler_stats(b, "inner", &st), FATHOM_E_NOTFOUND);
  assert_int_equal(fathom_profiler_stats(b, "step", &st), 0);
  assert_int_equal(st.count, 40);

  /* the same figures as the session's own */
  fathom_profile *whole = hold(fathom_snapshot());
  assert_non_null(whole);
  uint32_t wz = FATHOM_NONE;
  for (uint32_t i = 0; i < whole->n_zones; i++)
    if (!strcmp(whole->zones[i].name, "inner")) wz = i;
  assert_int_not_equal(wz, FATHOM_NONE);
  assert_int_equal(zone(pa, "inner")->stats.count, whole->zones[wz].stats.count);
  /* JSON round trip of the profiler's model */
  char *js = render(pa, FATHOM_FORMAT_JSON, 0);
  fathom_profile *back = NULL;
  char err[256];
  assert_int_equal(fathom_profile_load_buffer(js, strlen(js), &back, err, sizeof err), 0);
  free(js);
  hold(back);
  assert_int_equal(back->n_zones, 3);
  assert_int_equal(zone(back, "step")->stats.count, 60);
  assert_clean(back);
  release(back);
  char *txt = render(pa, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(txt, "inner"));
  assert_null(strstr(txt, "glue"));
  free(txt);
  release(pa);

  /* the whole profile cut down to impl_b */
  assert_int_equal(fathom_profile_keep_component(whole, "impl_b"), 0);
  assert_int_equal(whole->n_zones, 2);
  assert_int_equal(zone(whole, "step")->stats.count, 40);
  assert_clean(whole);
  release(whole);

  /* reset: impl_a starts afresh; impl_b keeps its figures; a zone open during it counts
   * before */
  fathom_zone open_run = fathom_profiler_begin(a, "run");
  int set_aside = fathom_profiler_reset(a);
  assert_true(set_aside >= 3);   /* run, step, inner (the static-less dynamic sites) */
  assert_int_equal(fathom_zone_end(open_run), 0);
  assert_int_equal(fathom_profiler_stats(a, "run", &st), FATHOM_E_NOTFOUND);
  work(a, b, 7);
  assert_int_equal(fathom_profiler_stats(a, "run", &st), 0);
  assert_int_equal(st.count, 7);
  assert_int_equal(fathom_profiler_stats(a, "step", &st), 0);
  assert_int_equal(st.count, 21);
  assert_int_equal(fathom_profiler_stats(b, "run", &st), 0);
  assert_int_equal(st.count, 27);

  fathom_profile *p = end();
  assert_int_equal(count_in(p, "run", "impl_a"), 7);
  assert_int_equal(count_in(p, "run", "impl_a (before reset 1)"), 21);   /* 20 + the open one */
  assert_int_equal(count_in(p, "step", "impl_a (before reset 1)"), 60);
  assert_int_equal(count_in(p, "run", "impl_b"), 27);
  assert_int_equal(count_in(p, "glue", "default"), 27);
  assert_clean(p);
  /* a second reset is numbered 2 */
  assert_int_equal(fathom_session_begin("again", &cfg), 0);
  work(a, b, 2);
  assert_true(fathom_profiler_reset(a) >= 3);
  work(a, b, 1);
  fathom_profile *q = end();
  assert_int_equal(count_in(q, "run", "impl_a (before reset 2)"), 2);
  assert_int_equal(count_in(q, "run", "impl_a"), 1);
}

/* Threads record zones of one profiler while it is reset again and again: every call is
 * counted exactly once, under the profiler or one of its "before reset K" components. */
#define CONC_CALLS 200000
static void *conc_worker(void *arg) {
  fathom_profiler *p = arg;
  for (int i = 0; i < CONC_CALLS; i++) {
    fathom_zone z = fathom_profiler_begin(p, "tick");
    fathom_zone_end(z);
  }
  return NULL;
}

static void test_reset_concurrent(void **state) {
  (void)state;
  fathom_config cfg;
  fathom_config_init(&cfg);
  test_level(&cfg);
  assert_int_equal(fathom_session_begin("concurrent", &cfg), 0);
  fathom_profiler *p = fathom_profiler_get("conc");
  assert_non_null(p);
  pthread_t th[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, conc_worker, p), 0);
  int resets = 0;
  for (int k = 0; k < 5; k++) {
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
    assert_true(fathom_profiler_reset(p) >= 0);
    resets++;
  }
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  fathom_profile *q = end();
  uint64_t all = 0;
  for (uint32_t i = 0; i < q->n_zones; i++)
    if (!strcmp(q->zones[i].name, "tick") && !strncmp(q->zones[i].component, "conc", 4))
      all += q->zones[i].stats.count;
  assert_int_equal(all, 2 * CONC_CALLS);
  assert_int_equal(q->meta.dropped_zones, 0);
  assert_clean(q);
  assert_int_equal(resets, 5);
}

static void test_misuse(void **state) {
  (void)state;
  assert_null(fathom_profiler_get(NULL));
  assert_null(fathom_profiler_get(""));
  assert_null(fathom_profiler_get("default"));
  assert_null(fathom_profiler_get("functions"));
  assert_null(fathom_profiler_get("has space"));
  assert_null(fathom_profiler_get("a/b"));
  char longname[80];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  assert_null(fathom_profiler_get(longname));
  longname[FATHOM_PROFILER_NAME_MAX] = 0;
  assert_non_null(fathom_profiler_get(longname));
  assert_string_equal(fathom_profiler_name(NULL), "");
  /* no session */
  fathom_profiler *p = fathom_profiler_get("m");
  assert_non_null(p);
  assert_null(fathom_profiler_snapshot(p));
  fathom_stats st;
  assert_int_equal(fathom_profiler_stats(p, "x", &st), FATHOM_E_STATE);
  assert_int_equal(fathom_profiler_stats(NULL, "x", &st), FATHOM_E_INVAL);
  assert_int_equal(fathom_profiler_stats(p, NULL, &st), FATHOM_E_INVAL);
  assert_int_equal(fathom_profiler_write(p, FATHOM_FORMAT_TEXT, stdout), FATHOM_E_STATE);
  assert_int_equal(fathom_profiler_write(NULL, FATHOM_FORMAT_TEXT, stdout), FATHOM_E_INVAL);
  assert_int_equal(fathom_profiler_reset(NULL), FATHOM_E_INVAL);
  assert_int_equal(fathom_profile_keep_component(NULL, "x"), FATHOM_E_INVAL);
  fathom_zone z = fathom_profiler_begin(NULL, "x");
  assert_int_equal(z.tag_, 0);
  /* a null profiler inside a session is misuse, counted */
  assert_int_equal(fathom_session_begin("misuse", NULL), 0);
  z = fathom_profiler_begin(NULL, "x");
  assert_int_equal(z.tag_, 0);
  assert_int_equal(fathom_zone_end(z), FATHOM_E_ENDED);
  fathom_profile *q = end();
  assert_true(q->meta.misuse >= 1);
  /* the cap: at most FATHOM_PROFILERS_MAX in the process */
  char nm[32];
  int made = 0;
  for (int i = 0; i < FATHOM_PROFILERS_MAX + 5; i++) {
    snprintf(nm, sizeof nm, "cap%d", i);
    made += fathom_profiler_get(nm) != NULL;
  }
  assert_true(made < FATHOM_PROFILERS_MAX + 5);
  assert_true(made >= FATHOM_PROFILERS_MAX - 8);
  assert_non_null(fathom_profiler_get("m"));   /* an existing one is still found */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_profilers),
      T(test_reset_concurrent),
      T(test_misuse),
  };
  return cmocka_run_group_tests_name("profilers", tests, NULL, NULL);
}
