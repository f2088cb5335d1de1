/* test_windows.c: rolling windows (fathom_window_enable, fathom_window_stats, FATHOM_WINDOWS,
 * the profile's windows table).
 *
 * Invariant: every expected figure comes from durations the test chose and recorded through
 * fathom_zone_record (exact ns) or from call counts it made; the time window is read at a
 * clock the test gives (fz_window_stats_at), never by sleeping. Percentiles are nearest
 * rank: the smallest duration with at least q % of the window's calls at or below it. */
#include <math.h>
#include <pthread.h>
#include <sched.h>

#include "testutil.h"
#include "load/fathom_load.h"
#include "record/clock.h"
#include "session/windows.h"
#include "live/live.h"

static void begin(void) {
  fathom_config c;
  fathom_config_init(&c);
  test_level(&c);
  c.monitor = 0;
  assert_int_equal(fathom_session_begin("windows", &c), 0);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}
/* Nearest rank over n sorted values. */
static double nr(const uint64_t *v, size_t n, unsigned q) {
  size_t r = (q * n + 99) / 100;
  return (double)v[r - 1];
}

/* The expected figures of durations d[0..n) (copied, sorted). */
static void expect(const fathom_window *w, const uint64_t *d, size_t n) {
  uint64_t *v = malloc(n * sizeof *v);
  assert_non_null(v);
  memcpy(v, d, n * sizeof *v);
  qsort(v, n, sizeof *v, cmp_u64);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += (double)v[i];
  assert_int_equal(w->calls, n);
  assert_true(w->min_ns == (double)v[0]);
  assert_true(w->max_ns == (double)v[n - 1]);
  assert_true(fabs(w->mean_ns - sum / (double)n) <= 1e-9 * w->mean_ns);
  assert_true(w->p50_ns == nr(v, n, 50));
  assert_true(w->p90_ns == nr(v, n, 90));
  assert_true(w->p95_ns == nr(v, n, 95));
  assert_true(w->p99_ns == nr(v, n, 99));
  free(v);
}

/* Last N keeps exactly the newest N calls; percentiles exact; rate = calls / seconds. */
static void test_last_n(void **state) {
  (void)state;
  begin();
  assert_int_equal(fathom_window_enable("req", 100, 0), 0);
  FATHOM_SITE(req, "req", "svc", NULL);
  uint64_t d[250], t_a = 0;
  for (uint32_t i = 0; i < 250; i++) {
    if (i == 150) {
      t_a = fz_ticks(); /* the window's 100 calls end after this */
      while (fz_ticks() == t_a) {}
    }
    d[i] = (uint64_t)((i * 37) % 250 + 1) * 100; /* a permutation of 100..25000 ns */
    assert_int_equal(fathom_zone_record(&req, d[i]), 0);
  }
  uint64_t t_b = fz_ticks(), later = t_b + fz_ns_to_ticks(1000000000ull);
  fathom_window w;
  /* a full last-N window covers from the end of its oldest call: read 1 s after the last */
  assert_int_equal(fz_window_stats_at("req", later, &w), 0);
  assert_true(w.seconds * 1e9 <= (double)fz_ticks_to_ns(later - t_a) + 1);
  assert_true(w.seconds * 1e9 >= (double)fz_ticks_to_ns(later - t_b) - 1);
  assert_true(fabs(w.rate_per_s - 100 / w.seconds) <= 1e-9 * w.rate_per_s);
  assert_int_equal(fathom_window_stats("req", &w), 0);
  assert_int_equal(w.last_calls, 100);
  assert_true(w.last_seconds == 0);
  expect(&w, d + 150, 100); /* the newest 100 */
  assert_int_equal(w.run_calls, 250);
  assert_int_equal(w.truncated, 0);
  assert_int_equal(w.dropped, 0);
  assert_true(w.seconds > 0);
  assert_true(fabs(w.rate_per_s - 100 / w.seconds) <= 1e-9 * w.rate_per_s);
  /* the whole run's p95, read from the histogram: within its 0.78 % of the exact one */
  uint64_t all[250];
  memcpy(all, d, sizeof all);
  qsort(all, 250, sizeof all[0], cmp_u64);
  assert_true(fabs(w.run_p95_ns - nr(all, 250, 95)) <= 0.008 * nr(all, 250, 95));
  fathom_profile *p = end();
  assert_int_equal(p->n_windows, 1);
  assert_string_equal(p->windows[0].name, "req");
  expect(&p->windows[0].w, d + 150, 100);
  assert_int_equal(p->windows[0].w.run_calls, 250);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  /* after the end, the window answers as at the end */
  fathom_window w2;
  assert_int_equal(fathom_window_stats("req", &w2), 0);
  expect(&w2, d + 150, 100);
  release(p);
  assert_int_equal(fathom_window_enable("req", 0, 0), 0); /* disabled */
  assert_int_equal(fathom_window_stats("req", &w2), FATHOM_E_NOTFOUND);
}

/* The T window drops the calls that ended before now - T; read at a clock the test sets. */
static void test_time_window(void **state) {
  (void)state;
  begin();
  assert_int_equal(fathom_window_enable("tw", 0, 10.0), 0);
  FATHOM_SITE(tw, "tw", NULL, NULL);
  for (int i = 0; i < 5; i++) assert_int_equal(fathom_zone_record(&tw, 1000), 0);
  uint64_t mid = fz_ticks();
  while (fz_ticks() == mid) {}
  uint64_t d[7];
  for (int i = 0; i < 7; i++) {
    d[i] = 3000 + 10 * (uint64_t)i;
    assert_int_equal(fathom_zone_record(&tw, d[i]), 0);
  }
  uint64_t span = fz_ns_to_ticks(10000000000ull);
  fathom_window w;
  /* now = mid + 1 + 10 s: the first five ended at or before mid, the seven after it */
  assert_int_equal(fz_window_stats_at("tw", mid + 1 + span, &w), 0);
  expect(&w, d, 7);
  assert_true(fabs(w.seconds - 10.0) < 1e-6);
  assert_true(fabs(w.rate_per_s - 0.7) < 1e-6);
  assert_int_equal(w.run_calls, 12);
  /* now: all twelve (the session is younger than 10 s: it covers the session so far) */
  assert_int_equal(fathom_window_stats("tw", &w), 0);
  assert_int_equal(w.calls, 12);
  assert_true(w.seconds < 10.0);
  /* 20 s on: none */
  assert_int_equal(fz_window_stats_at("tw", mid + 2 * span + 2, &w), 0);
  assert_int_equal(w.calls, 0);
  assert_true(isnan(w.p95_ns) && isnan(w.mean_ns) && isnan(w.min_ns));
  assert_true(w.rate_per_s == 0);
  release(end());
  assert_int_equal(fathom_window_enable("tw", 0, 0), 0);
}

/* Last N and last T together: the calls among the last N that ended in the last T s. */
static void test_both_limits(void **state) {
  (void)state;
  begin();
  assert_int_equal(fathom_window_enable("both", 4, 10.0), 0);
  FATHOM_SITE(b, "both", NULL, NULL);
  for (int i = 0; i < 6; i++) assert_int_equal(fathom_zone_record(&b, 500), 0);
  uint64_t mid = fz_ticks();
  while (fz_ticks() == mid) {}
  uint64_t d[2] = {7000, 9000};
  for (int i = 0; i < 2; i++) assert_int_equal(fathom_zone_record(&b, d[i]), 0);
  fathom_window w;
  assert_int_equal(fathom_window_stats("both", &w), 0);
  assert_int_equal(w.calls, 4); /* the newest four: 500, 500, 7000, 9000 */
  assert_true(w.min_ns == 500 && w.max_ns == 9000 && w.p50_ns == 500);
  assert_int_equal(fz_window_stats_at("both", mid + 1 + fz_ns_to_ticks(10000000000ull), &w), 0);
  expect(&w, d, 2);
  release(end());
  assert_int_equal(fathom_window_enable("both", 0, 0), 0);
}

/* More calls in the time window than a thread keeps (65,536): the newest are kept, the
 * figures are theirs and say so (truncated, a shorter time); a call-limited window of the
 * same size is exact and not truncated. */
static void test_truncated(void **state) {
  (void)state;
  begin();
  assert_int_equal(fathom_window_enable("many", 0, 3600), 0);
  assert_int_equal(fathom_window_enable("many_n", FATHOM_WINDOW_MAX_CALLS, 0), 0);
  FATHOM_SITE(m, "many", NULL, NULL);
  FATHOM_SITE(mn, "many_n", NULL, NULL);
  enum { N = 70000 };
  static uint64_t d[N];
  uint64_t t_first = fz_ticks(); /* before the first call: a whole window covers from here */
  while (fz_ticks() == t_first) {}
  for (uint32_t i = 0; i < N; i++) {
    d[i] = i + 1;
    assert_int_equal(fathom_zone_record(&m, d[i]), 0);
    assert_int_equal(fathom_zone_record(&mn, d[i]), 0);
  }
  fathom_window w;
  uint64_t now = fz_ticks();
  assert_int_equal(fz_window_stats_at("many", now, &w), 0);
  assert_int_equal(w.truncated, 1);
  expect(&w, d + (N - FATHOM_WINDOW_MAX_CALLS), FATHOM_WINDOW_MAX_CALLS);
  /* it covers from its oldest kept call's end, after the first call began */
  assert_true(w.seconds * 1e9 < (double)fz_ticks_to_ns(now - t_first));
  assert_int_equal(w.run_calls, N);
  assert_int_equal(fathom_window_stats("many_n", &w), 0);
  assert_int_equal(w.truncated, 0);
  expect(&w, d + (N - FATHOM_WINDOW_MAX_CALLS), FATHOM_WINDOW_MAX_CALLS);
  fathom_profile *p = end();
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  char *text = render(p, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(text, "the newest are kept"));
  free(text);
  release(p);
  assert_int_equal(fathom_window_enable("many", 0, 0), 0);
  assert_int_equal(fathom_window_enable("many_n", 0, 0), 0);
}

#define N_THREADS 4
#define PER_THREAD 3000
static void *writer(void *arg) {
  uintptr_t k = (uintptr_t)arg;
  FATHOM_SITE(mt, "mt", NULL, NULL);
  FATHOM_SITE(mtn, "mtn", NULL, NULL);
  for (int i = 0; i < PER_THREAD; i++) {
    (void)fathom_zone_record(&mt, (k + 1) * 1000);
    (void)fathom_zone_record(&mtn, (k + 1) * 1000);
  }
  return NULL;
}
static volatile int readers_stop;
static void *reader(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&readers_stop, __ATOMIC_RELAXED)) {
    fathom_window w;
    if (fathom_window_stats("mt", &w) == 0) {
      assert_true(w.calls <= N_THREADS * PER_THREAD);
      if (w.calls) assert_true(w.min_ns <= w.p50_ns && w.p99_ns <= w.max_ns);
    }
  }
  return NULL;
}

/* Several threads into one window (a reader reading all along): the counts are exact. */
static void test_threads(void **state) {
  (void)state;
  begin();
  assert_int_equal(fathom_window_enable("mt", 0, 3600), 0);
  assert_int_equal(fathom_window_enable("mtn", 5000, 0), 0);
  pthread_t th[N_THREADS], rd;
  assert_int_equal(pthread_create(&rd, NULL, reader, NULL), 0);
  for (uintptr_t k = 0; k < N_THREADS; k++)
    assert_int_equal(pthread_create(&th[k], NULL, writer, (void *)k), 0);
  for (int k = 0; k < N_THREADS; k++) pthread_join(th[k], NULL);
  __atomic_store_n(&readers_stop, 1, __ATOMIC_RELAXED);
  pthread_join(rd, NULL);
  fathom_window w;
  assert_int_equal(fathom_window_stats("mt", &w), 0);
  static uint64_t d[N_THREADS * PER_THREAD];
  for (int k = 0; k < N_THREADS; k++)
    for (int i = 0; i < PER_THREAD; i++) d[k * PER_THREAD + i] = (uint64_t)(k + 1) * 1000;
  expect(&w, d, N_THREADS * PER_THREAD);
  assert_int_equal(w.truncated, 0);
  assert_int_equal(fathom_window_stats("mtn", &w), 0);
  assert_int_equal(w.calls, 5000); /* which 5000 depends on the threads' timing */
  assert_int_equal(w.run_calls, N_THREADS * PER_THREAD);
  fathom_profile *p = end();
  assert_int_equal(p->n_windows, 2);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  release(p);
  assert_int_equal(fathom_window_enable("mt", 0, 0), 0);
  assert_int_equal(fathom_window_enable("mtn", 0, 0), 0);
}

/* Enabled while threads call the zone (begin/end on the zone's own paths): every call begun
 * after a thread saw the window enabled is in it, and none beyond the calls made. */
#define MZ_MAX 12000
static volatile int mz_on;
static uint64_t mz_total[N_THREADS], mz_after[N_THREADS];
static void *mz_worker(void *arg) {
  uintptr_t k = (uintptr_t)arg;
  /* at most MZ_MAX calls a thread: the window (a time window) holds them all */
  while (mz_total[k] < MZ_MAX) {
    int on = __atomic_load_n(&mz_on, __ATOMIC_ACQUIRE);
    /* thread k waits for the window at call 1000 + 2000 k, so calls are made after it was
     * enabled, while the others may still be running as it is */
    while (!on && mz_total[k] == 1000 + 2000 * k) {
      sched_yield();
      on = __atomic_load_n(&mz_on, __ATOMIC_ACQUIRE);
    }
    {
      FATHOM_ZONE("mz", "svc");
    }
    __atomic_store_n(&mz_total[k], mz_total[k] + 1, __ATOMIC_RELEASE);
    if (on) __atomic_store_n(&mz_after[k], mz_after[k] + 1, __ATOMIC_RELEASE);
  }
  return NULL;
}
static uint64_t min_of(uint64_t *a) {
  uint64_t m = UINT64_MAX;
  for (int k = 0; k < N_THREADS; k++) {
    uint64_t v = __atomic_load_n(&a[k], __ATOMIC_ACQUIRE);
    if (v < m) m = v;
  }
  return m;
}
static void test_enable_while_running(void **state) {
  (void)state;
  fathom_config c;
  fathom_config_init(&c);
  test_level(&c);
  c.monitor = 0;
  c.timeline = 1; /* the timeline's end path too */
  assert_int_equal(fathom_session_begin("windows-live", &c), 0);
  pthread_t th[N_THREADS];
  for (uintptr_t k = 0; k < N_THREADS; k++)
    assert_int_equal(pthread_create(&th[k], NULL, mz_worker, (void *)k), 0);
  while (min_of(mz_total) < 200) sched_yield();
  assert_int_equal(fathom_window_enable("mz", 0, 3600), 0);
  __atomic_store_n(&mz_on, 1, __ATOMIC_RELEASE);
  for (int k = 0; k < N_THREADS; k++) pthread_join(th[k], NULL);
  uint64_t total = 0, after = 0;
  for (int k = 0; k < N_THREADS; k++) {
    total += mz_total[k];
    after += mz_after[k];
  }
  fathom_window w;
  assert_int_equal(fathom_window_stats("mz", &w), 0);
  if (!(w.calls >= after && w.calls <= total))
    fail_msg("window holds %llu calls; %llu were begun after it was enabled, %llu in all",
             (unsigned long long)w.calls, (unsigned long long)after, (unsigned long long)total);
  assert_int_equal(w.run_calls, total);
  assert_int_equal(w.truncated, 0);
  if (w.calls) assert_true(w.min_ns <= w.p50_ns && w.p50_ns <= w.p99_ns && w.p99_ns <= w.max_ns);
  /* each thread k made its calls past 1000 + 2000 k after it saw the window enabled */
  assert_true(after >= N_THREADS * MZ_MAX - (1000 * N_THREADS + 2000 * 6));
  fathom_profile *p = end();
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  release(p);
  assert_int_equal(fathom_window_enable("mz", 0, 0), 0);
}

/* Enabled before the zone exists (and before the session), or after it was called: every
 * call from then on is in the window, whatever way the zone is ended. */
static void test_enable_first(void **state) {
  (void)state;
  assert_int_equal(fathom_window_enable("pre", 50, 0), 0); /* no session yet */
  begin();
  assert_int_equal(fathom_window_enable("later", 10, 0), 0);
  for (int i = 0; i < 20; i++) {
    FATHOM_ZONE("later", "svc");
  }
  for (int i = 0; i < 7; i++) {
    fathom_zone z = fathom_zone_begin("pre", NULL);
    assert_int_equal(fathom_zone_end(z), 0);
  }
  for (int i = 0; i < 5; i++) {
    FATHOM_ZONE("existing", NULL);
  }
  assert_int_equal(fathom_window_enable("existing", 100, 0), 0);
  for (int i = 0; i < 3; i++) {
    FATHOM_ZONE("existing", NULL);
  }
  fathom_window w;
  assert_int_equal(fathom_window_stats("later", &w), 0);
  assert_int_equal(w.calls, 10);
  assert_int_equal(w.run_calls, 20);
  assert_true(w.min_ns <= w.p50_ns && w.p50_ns <= w.max_ns);
  assert_int_equal(fathom_window_stats("pre", &w), 0);
  assert_int_equal(w.calls, 7);
  assert_int_equal(fathom_window_stats("existing", &w), 0);
  assert_int_equal(w.calls, 3);
  assert_int_equal(w.run_calls, 8);
  /* the same limits again: kept as it is; other limits: afresh */
  assert_int_equal(fathom_window_enable("existing", 100, 0), 0);
  assert_int_equal(fathom_window_stats("existing", &w), 0);
  assert_int_equal(w.calls, 3);
  assert_int_equal(fathom_window_enable("existing", 200, 0), 0);
  assert_int_equal(fathom_window_stats("existing", &w), 0);
  assert_int_equal(w.calls, 0);
  {
    FATHOM_ZONE("existing", NULL);
  }
  assert_int_equal(fathom_window_stats("existing", &w), 0);
  assert_int_equal(w.calls, 1);
  fathom_profile *p = end();
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  release(p);
  assert_int_equal(fathom_window_enable("pre", 0, 0), 0);
  assert_int_equal(fathom_window_enable("later", 0, 0), 0);
  assert_int_equal(fathom_window_enable("existing", 0, 0), 0);
}

static void test_bad_args(void **state) {
  (void)state;
  fathom_window w;
  assert_int_equal(fathom_window_enable(NULL, 10, 0), FATHOM_E_INVAL);
  assert_int_equal(fathom_window_enable("", 10, 0), FATHOM_E_INVAL);
  assert_int_equal(fathom_window_enable("x", FATHOM_WINDOW_MAX_CALLS + 1, 0), FATHOM_E_INVAL);
  assert_int_equal(fathom_window_enable("x", 0, -1), FATHOM_E_INVAL);
  assert_int_equal(fathom_window_enable("x", 0, NAN), FATHOM_E_INVAL);
  assert_int_equal(fathom_window_enable("x", 0, 3601), FATHOM_E_INVAL);
  assert_int_equal(fathom_window_enable("x", 0, 0), FATHOM_E_NOTFOUND);
  assert_int_equal(fathom_window_stats(NULL, &w), FATHOM_E_INVAL);
  assert_int_equal(fathom_window_stats("x", NULL), FATHOM_E_INVAL);
  assert_int_equal(fathom_window_stats("x", &w), FATHOM_E_NOTFOUND);
  char why[200];
  const char *bad[] = {"a", "=5", "a=0", "a=5x", "a=70000", "a=1/2", "a=1s/2s", "a=4000s",
                       "a=1.5", "a=", "a=-3"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    why[0] = 0;
    if (fz_windows_parse(bad[i], 0, why, sizeof why) != FATHOM_E_INVAL)
      fail_msg("FATHOM_WINDOWS=%s was accepted", bad[i]);
    assert_true(why[0] != 0);
  }
  assert_int_equal(fz_windows_parse("a=10, b=60s,c=5/2m,d=250ms", 0, why, sizeof why), 0);
}

/* FATHOM_WINDOWS in the environment enables windows at session begin. */
static void test_env(void **state) {
  (void)state;
  setenv("FATHOM_WINDOWS", "envz=3,envt=30s", 1);
  fathom_config c;
  fathom_config_init(&c);
  assert_int_equal(fathom_config_from_env(&c), 0);
  assert_non_null(c.windows);
  c.monitor = 0;
  assert_int_equal(fathom_session_begin("env", &c), 0);
  unsetenv("FATHOM_WINDOWS");
  FATHOM_SITE(s, "envz", NULL, NULL);
  for (int i = 1; i <= 5; i++) assert_int_equal(fathom_zone_record(&s, (uint64_t)i * 10), 0);
  fathom_window w;
  assert_int_equal(fathom_window_stats("envz", &w), 0);
  uint64_t d[3] = {30, 40, 50};
  expect(&w, d, 3);
  assert_int_equal(fathom_window_stats("envt", &w), 0);
  assert_true(w.last_seconds == 30 && w.calls == 0);
  release(end());
  assert_int_equal(fathom_window_enable("envz", 0, 0), 0);
  assert_int_equal(fathom_window_enable("envt", 0, 0), 0);
}

/* The table through JSON and back; check's rules catch figures out of order. */
static void test_json(void **state) {
  (void)state;
  begin();
  assert_int_equal(fathom_window_enable("js", 20, 0), 0);
  FATHOM_SITE(js, "js", NULL, NULL);
  for (int i = 0; i < 30; i++) assert_int_equal(fathom_zone_record(&js, 1000 + 7 * (uint64_t)i), 0);
  fathom_profile *p = end();
  char *json = render(p, FATHOM_FORMAT_JSON, 0);
  fathom_profile *q = NULL;
  char err[256];
  assert_int_equal(fathom_profile_load_buffer(json, strlen(json), &q, err, sizeof err), 0);
  hold(q);
  assert_int_equal(q->n_windows, 1);
  const fathom_window *a = &p->windows[0].w, *b = &q->windows[0].w;
  assert_string_equal(q->windows[0].name, "js");
  assert_int_equal(b->calls, a->calls);
  assert_int_equal(b->last_calls, 20);
  assert_true(b->p50_ns == a->p50_ns && b->p99_ns == a->p99_ns && b->min_ns == a->min_ns);
  assert_true(b->mean_ns == a->mean_ns && b->seconds == a->seconds);
  assert_int_equal(b->run_calls, 30);
  assert_int_equal(fathom_profile_check(q, NULL, 0), 0);
  char *text = render(q, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(text, "Recent windows"));
  free(text);
  /* out of order: check says so */
  q->windows[0].w.p90_ns = q->windows[0].w.p50_ns - 1;
  char msg[1024];
  assert_true(fathom_profile_check(q, msg, sizeof msg) > 0);
  assert_non_null(strstr(msg, "p50 <= p90"));
  q->windows[0].w.p90_ns = a->p90_ns;
  q->windows[0].w.calls = 31; /* more than the zone's */
  assert_true(fathom_profile_check(q, msg, sizeof msg) > 0);
  assert_non_null(strstr(msg, "more than"));
  /* the loader refuses figures a window cannot have */
  char *bad = strstr(json, "\"calls\":20");
  assert_non_null(bad);
  memcpy(bad, "\"calls\":-1", 10);
  fathom_profile *r = NULL;
  assert_int_not_equal(fathom_profile_load_buffer(json, strlen(json), &r, err, sizeof err), 0);
  assert_null(r);
  assert_non_null(strstr(err, "calls"));
  free(json);
  release(q);
  release(p);
  assert_int_equal(fathom_window_enable("js", 0, 0), 0);
}

/* The live Prometheus output has the window's gauges. */
static void test_prom(void **state) {
  (void)state;
  begin();
  assert_int_equal(fathom_window_enable("pz", 10, 0), 0);
  FATHOM_SITE(pz, "pz", NULL, NULL);
  for (int i = 0; i < 10; i++) assert_int_equal(fathom_zone_record(&pz, 2000000), 0);
  fathom_profile *p = hold(fathom_snapshot());
  assert_non_null(p);
  assert_int_equal(p->n_windows, 1);
  assert_int_equal(p->windows[0].w.calls, 10);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fz_prom_write(p, f, NAN, NAN), 0);
  fclose(f);
  assert_non_null(strstr(buf, "fathom_window_p95_seconds{zone=\"pz\"} 0.002\n"));
  assert_non_null(strstr(buf, "fathom_window_calls{zone=\"pz\"} 10\n"));
  free(buf);
  release(p);
  release(end());
  assert_int_equal(fathom_window_enable("pz", 0, 0), 0);
}

/* At most FATHOM_WINDOWS_MAX enables in a process (run last: it uses them up). */
static void test_limit(void **state) {
  (void)state;
  int rc = 0;
  char name[32];
  for (int i = 0; i < FATHOM_WINDOWS_MAX + 1 && rc == 0; i++) {
    snprintf(name, sizeof name, "lim%d", i);
    rc = fathom_window_enable(name, 1, 0);
  }
  assert_int_equal(rc, FATHOM_E_LIMIT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_last_n, cleanup),
      cmocka_unit_test_teardown(test_time_window, cleanup),
      cmocka_unit_test_teardown(test_both_limits, cleanup),
      cmocka_unit_test_teardown(test_truncated, cleanup),
      cmocka_unit_test_teardown(test_threads, cleanup),
      cmocka_unit_test_teardown(test_enable_while_running, cleanup),
      cmocka_unit_test_teardown(test_enable_first, cleanup),
      cmocka_unit_test_teardown(test_bad_args, cleanup),
      cmocka_unit_test_teardown(test_env, cleanup),
      cmocka_unit_test_teardown(test_json, cleanup),
      cmocka_unit_test_teardown(test_prom, cleanup),
      cmocka_unit_test_teardown(test_limit, cleanup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
