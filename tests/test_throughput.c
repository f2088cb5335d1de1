/* test_throughput.c: windowed throughput (fathom_throughput live, p->throughput at the end,
 * with the calls and timed calls each entry rests on).
 *
 * Invariant: nothing here asserts how fast anything ran. The workload paces itself (each
 * call at least PACE_NS after the last), so "at most 1/PACE + 1/W calls in any W-second
 * window" is a bound by construction; live answers are checked against the test's own
 * timestamps of every call, allowing SLOP calls for where a sample's reading fell. */
#include <math.h>
#include <time.h>

#include "testutil.h"
#include "record/tput.h"

#define PACE_NS 10000000ull   /* 10 ms between calls: at most 100 calls/s */
#define SLOP 3
#define MAX_CALLS 1024

static uint64_t mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static void sleep_ns(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  while (nanosleep(&ts, &ts) != 0) {}
}

static uint64_t ends[MAX_CALLS];  /* when each call (zone + counter + gauge) was done */
static uint32_t n_calls;

static void one_call(void) {
  FATHOM_ZONE("tick", "io");
  (void)fathom_counter_add("bytes", 100);
  (void)fathom_gauge_set("depth", (double)n_calls);
}
static void run_for(uint64_t ns) {
  uint64_t until = mono() + ns;
  while (mono() < until && n_calls < MAX_CALLS) {
    one_call();
    ends[n_calls++] = mono();
    sleep_ns(PACE_NS);
  }
}
/* Calls done after time t. */
static uint32_t calls_after(uint64_t t) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < n_calls; i++) n += ends[i] > t;
  return n;
}

static void begin(double window_s) {
  fathom_config c;
  fathom_config_init(&c);
  test_level(&c);
  c.throughput_window_s = window_s;
  c.monitor = 0;   /* the background thread still runs: the sampler wants it */
  assert_int_equal(fathom_session_begin("tput", &c), 0);
}

/* A live answer for `name` (scale: units per call) agrees with the calls the test made. */
static void check_live(const char *name, double scale, fathom_tput_kind kind, double window) {
  fathom_throughput_stats st;
  uint64_t t0 = mono();
  assert_int_equal(fathom_throughput(name, window, &st), 0);
  uint64_t t1 = mono();
  assert_int_equal(st.kind, kind);
  assert_true(st.total == scale * n_calls);   /* this thread made every call: exact */
  assert_true(st.window_s >= window);          /* the session is older than the window */
  assert_true(fabs(st.ops_per_s - st.ops / st.window_s) <= 1e-9 * st.ops_per_s);
  uint64_t cov = (uint64_t)(st.window_s * 1e9);
  double lo = (double)calls_after(t1 - cov) - SLOP, hi = (double)calls_after(t0 - cov) + SLOP;
  if (!(st.ops >= lo * scale && st.ops <= hi * scale))
    fail_msg("%s: %.0f ops over %.3f s; the test made %.0f..%.0f calls then", name, st.ops,
             st.window_s, lo + SLOP, hi - SLOP);
  /* by construction at most 1/PACE + 1/window calls per second in any window */
  assert_true(st.ops_per_s <= scale * (1e9 / PACE_NS + 1 / st.window_s) + 1e-9);
}

static const fathom_throughput_info *tput_of(const fathom_profile *p, fathom_tput_kind kind,
                                             const char *name) {
  for (uint32_t i = 0; i < p->n_throughput; i++) {
    const fathom_throughput_info *t = &p->throughput[i];
    const char *n = t->kind == FATHOM_TPUT_ZONE ? p->zones[t->index].name : p->counters[t->index].name;
    if (t->kind == kind && strcmp(n, name) == 0) return t;
  }
  fail_msg("no throughput entry for %s", name);
  return NULL;
}

/* The end-of-session figures for a paced series of `units` per call. */
static void check_end(const fathom_throughput_info *t, double total, double units, double dur_s) {
  assert_true(fabs(t->mean_per_s - total / dur_s) <= 1e-9 * t->mean_per_s);
  assert_true(t->window_s == 1.0);
  double bound = units * (1e9 / PACE_NS + 1.0);   /* any 1 s window */
  assert_true(t->last_per_s > 0 && t->last_per_s <= bound);
  assert_true(t->peak_per_s >= t->last_per_s && t->peak_per_s <= bound);
}

static void test_rates(void **state) {
  (void)state;
  n_calls = 0;
  begin(1.0);
  run_for(1600000000ull);
  check_live("tick", 1, FATHOM_TPUT_ZONE, 1.0);
  check_live("bytes", 100, FATHOM_TPUT_COUNTER, 1.0);
  check_live("depth", 1, FATHOM_TPUT_COUNTER, 1.0);   /* a gauge: updates */
  check_live("tick", 1, FATHOM_TPUT_ZONE, 0.25);      /* shorter than the configured window */
  run_for(800000000ull);
  check_live("tick", 1, FATHOM_TPUT_ZONE, 1.0);
  /* a window longer than the ring covers: answered over what it covers */
  fathom_throughput_stats st;
  assert_int_equal(fathom_throughput("tick", 1e6, &st), 0);
  assert_true(st.window_s > 0 && st.window_s < 1e6 && st.ops <= n_calls);
  assert_int_equal(fathom_throughput("no such zone", 1.0, &st), FATHOM_E_NOTFOUND);
  assert_int_equal(fathom_throughput(NULL, 1.0, &st), FATHOM_E_INVAL);
  assert_int_equal(fathom_throughput("tick", 0, &st), FATHOM_E_INVAL);
  assert_int_equal(fathom_throughput("tick", NAN, &st), FATHOM_E_INVAL);
  assert_int_equal(fathom_throughput("tick", 1.0, NULL), FATHOM_E_INVAL);

  fathom_profile *p = end();
  assert_int_equal(p->n_throughput, p->n_zones + p->n_counters);
  /* what the figures rest on: the zone's calls and the timed ones, a counter's updates */
  const fathom_throughput_info *tk = tput_of(p, FATHOM_TPUT_ZONE, "tick");
  const fathom_stats *ts = &p->zones[tk->index].stats;
  assert_int_equal(tk->calls, n_calls);
  assert_int_equal(tk->calls, ts->count);
  assert_int_equal(tk->timed, ts->timed ? ts->timed : ts->count);
  assert_true(tk->timed >= 1 && tk->timed <= tk->calls);
  const fathom_throughput_info *tb = tput_of(p, FATHOM_TPUT_COUNTER, "bytes");
  assert_int_equal(tb->calls, n_calls);   /* one update per call */
  assert_int_equal(tb->timed, 0);
  double dur = (double)p->meta.duration_ns / 1e9;
  check_end(tput_of(p, FATHOM_TPUT_ZONE, "tick"), n_calls, 1, dur);
  check_end(tput_of(p, FATHOM_TPUT_COUNTER, "bytes"), 100.0 * n_calls, 100, dur);
  check_end(tput_of(p, FATHOM_TPUT_COUNTER, "depth"), n_calls, 1, dur);
  for (uint32_t i = 0; i < p->n_throughput; i++)  /* index points at the right entry */
    assert_true(p->throughput[i].index < (p->throughput[i].kind == FATHOM_TPUT_ZONE ? p->n_zones : p->n_counters));
  assert_int_equal(fathom_throughput("tick", 1.0, &st), FATHOM_E_STATE);
}

static void test_no_session(void **state) {
  (void)state;
  fathom_throughput_stats st;
  assert_int_equal(fathom_throughput("tick", 1.0, &st), FATHOM_E_STATE);
  fathom_config c;
  fathom_config_init(&c);
  c.level = FATHOM_LEVEL_DISABLED;
  assert_int_equal(fathom_session_begin("off", &c), 0);
  assert_int_equal(fathom_throughput("tick", 1.0, &st), FATHOM_E_STATE);
  fathom_profile *p = end();
  assert_int_equal(p->n_throughput, p->n_zones + p->n_counters);
}

/* Counts start again at a reset. */
static void test_reset(void **state) {
  (void)state;
  begin(1.0);
  n_calls = 0;
  run_for(300000000ull);
  assert_int_equal(fathom_reset(), 0);
  n_calls = 0;
  run_for(300000000ull);
  fathom_throughput_stats st;
  assert_int_equal(fathom_throughput("tick", 1.0, &st), 0);
  assert_true(st.total == n_calls);
  assert_true(st.ops <= n_calls);
  fathom_profile *p = end();
  const fathom_throughput_info *t = tput_of(p, FATHOM_TPUT_ZONE, "tick");
  assert_true(t->mean_per_s <= 1e9 / PACE_NS + 1 / ((double)p->meta.duration_ns / 1e9));
}

/* 301 zones: 256 series are tracked, the rest refused and counted; the ring never holds
 * more than its capacity, however long the session. */
static void test_bounds(void **state) {
  (void)state;
  begin(0.3);   /* period 100 ms: the ring wraps within a second */
  char name[16];
  uint64_t until = mono() + 1200000000ull;
  while (mono() < until) {
    fathom_zone batch = fathom_zone_begin("batch", "many");   /* seen first: a parent */
    for (int i = 0; i < 300; i++) {
      snprintf(name, sizeof name, "z%03d", i);
      fathom_zone_end(fathom_zone_begin(name, "many"));
    }
    fathom_zone_end(batch);
    sleep_ns(20000000ull);
  }
  uint32_t n_series, n_samples, n_slots;
  uint64_t dropped;
  fz_tput_debug(&n_series, &dropped, &n_samples, &n_slots);
  assert_int_equal(n_series, FZ_TPUT_MAX_SERIES);
  assert_true(dropped >= 301 - FZ_TPUT_MAX_SERIES);
  assert_true(n_slots <= FZ_TPUT_MAX_SLOTS);
  assert_true(n_samples <= n_slots);
  int ok = 0, limit = 0;
  for (int i = 0; i < 300; i++) {
    fathom_throughput_stats st;
    snprintf(name, sizeof name, "z%03d", i);
    int rc = fathom_throughput(name, 0.3, &st);
    ok += rc == 0;
    limit += rc == FATHOM_E_LIMIT;
  }
  fathom_throughput_stats st;
  assert_int_equal(fathom_throughput("batch", 0.3, &st), 0);
  assert_int_equal(ok, FZ_TPUT_MAX_SERIES - 1);
  assert_int_equal(limit, 301 - FZ_TPUT_MAX_SERIES);
  fathom_profile *p = end();
  assert_int_equal(p->n_zones, 301);
  assert_int_equal(p->n_throughput, p->n_zones + p->n_counters);
  int finite = 0, nan = 0;
  for (uint32_t i = 0; i < p->n_zones; i++) {
    const fathom_throughput_info *t = &p->throughput[i];
    assert_true(t->kind == FATHOM_TPUT_ZONE && t->index == i && t->mean_per_s > 0);
    finite += isfinite(t->last_per_s) && isfinite(t->peak_per_s);
    nan += isnan(t->last_per_s) && isnan(t->peak_per_s);
  }
  assert_int_equal(finite, FZ_TPUT_MAX_SERIES);
  assert_int_equal(nan, 301 - FZ_TPUT_MAX_SERIES);

  /* a window of an hour still gets a ring of FZ_TPUT_MAX_SLOTS samples */
  begin(3600);
  fz_tput_debug(NULL, NULL, NULL, &n_slots);
  assert_int_equal(n_slots, FZ_TPUT_MAX_SLOTS);
  release(end());
}

/* calls and timed on a model built by hand: a sampled zone, one whose every call was timed
 * (timed 0), one whose timed figure is out of range, and a counter. */
static void test_calls_timed(void **state) {
  (void)state;
  fathom_profile *p = calloc(1, sizeof *p);
  assert_non_null(hold(p));
  p->meta.duration_ns = 2000000000ull;
  static const char *const names[] = {"sampled", "every", "odd"};
  static const uint64_t count[] = {100000, 40, 5}, timed[] = {1250, 0, 9};
  p->zones = calloc(3, sizeof *p->zones);
  assert_non_null(p->zones);
  p->n_zones = 3;
  for (uint32_t i = 0; i < 3; i++) {
    p->zones[i].name = strdup(names[i]);
    p->zones[i].component = strdup("t");
    p->zones[i].stats.count = count[i];
    p->zones[i].stats.timed = timed[i];
  }
  p->counters = calloc(1, sizeof *p->counters);
  assert_non_null(p->counters);
  p->n_counters = 1;
  p->counters[0].name = strdup("bytes_out");
  p->counters[0].n_updates = 70;
  p->counters[0].value = p->counters[0].total = 7000;
  fz_tput_fill(p, 0);
  assert_int_equal(p->n_throughput, 4);
  static const uint64_t want_timed[] = {1250, 40, 5};
  for (uint32_t i = 0; i < 3; i++) {
    const fathom_throughput_info *t = tput_of(p, FATHOM_TPUT_ZONE, names[i]);
    assert_int_equal(t->calls, count[i]);
    assert_int_equal(t->timed, want_timed[i]);
    assert_true(fabs(t->mean_per_s - (double)count[i] / 2.0) <= 1e-9 * t->mean_per_s);
  }
  const fathom_throughput_info *c = tput_of(p, FATHOM_TPUT_COUNTER, "bytes_out");
  assert_int_equal(c->calls, 70);
  assert_int_equal(c->timed, 0);
  release(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_no_session), T(test_rates), T(test_reset), T(test_bounds), T(test_calls_timed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
