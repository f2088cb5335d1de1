/* test_tree.c: the call tree and what is recorded along it, read from the session's model:
 * nesting, roll-ups, recursion, macros, timers, zone metrics, counters, reset/pause,
 * sessions, live reads, filters, caps and the timeline.
 *
 * Invariant: assertions are on counts, structure and exact values chosen by the test
 * (fathom_zone_record durations) or on relations that hold at any speed (self = total -
 * children, parent total >= child total, an OS sleep as a lower bound); never on timings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fathom.h"

/* end() also checks the model; cleanup() also clears the site filter and re-enables
 * recording before it ends a session a failed test left active. */
static void check_model(const fathom_profile *p);
#define TESTUTIL_END_CHECK(p) check_model(p)
#define TESTUTIL_CLEANUP_FIRST()        \
  do {                                  \
    fathom_set_site_filter(NULL, NULL); \
    fathom_set_enabled(1);              \
  } while (0)
#include "testutil.h"

/* ---- helpers ---------------------------------------------------------------------- */

static void check_dbl(double got, double want, const char *what, const char *file, int line) {
  if (!(got == want)) {
    print_error("%s: got %.17g, want %.17g (tolerance 0)\n", what, got, want);
    _fail(file, line);
  }
}
#define assert_dbl(got, want) check_dbl((got), (want), #got, __FILE__, __LINE__)
#define assert_le(a, b) assert_in_range((a), 0, (b))
#define assert_ge(a, b) assert_in_range((a), (b), UINT64_MAX)

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) continue;
}

static void begin_cfg(const char *name, const fathom_config *c) {
  assert_int_equal(fathom_session_begin(name, c), 0);
}
static void run_thread(void *(*fn)(void *)) {
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, fn, NULL), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
}
static fathom_config cfg0(void) {
  fathom_config c;
  fathom_config_init(&c);
  /* exact values fed through fathom_zone_record: ns must not round to timer ticks */
  c.clock = FATHOM_CLOCK_MONOTONIC;
  test_level(&c);
  return c;
}
static void begin(void) {
  fathom_config c = cfg0();
  begin_cfg("tree", &c);
}
static void check_st(const fathom_stats *s, uint64_t count, uint64_t total, uint64_t mn,
                     uint64_t mx) {
  assert_int_equal(s->count, count);
  assert_int_equal(s->total_ns, total);
  if (mn != UINT64_MAX) assert_int_equal(s->min_ns, mn);
  if (mx != UINT64_MAX) assert_int_equal(s->max_ns, mx);
}
#define ANY UINT64_MAX
/* A zone timed on the real clock: its recorded total plus the cost taken out of it is what
 * was measured (1 ns of rounding per call). */
static void check_measured(const fathom_stats *s, uint64_t count, uint64_t measured) {
  assert_int_equal(s->count, count);
  double back = (double)s->total_ns + s->overhead_ns;
  if (fabs(back - (double)measured) > (double)count)
    fail_msg("total %llu + overhead %.1f != measured %llu", (unsigned long long)s->total_ns,
             s->overhead_ns, (unsigned long long)measured);
  assert_true(s->overhead_ns >= 0);
}
static uint64_t child_sum(const fathom_profile *p, uint32_t n) {
  uint64_t s = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].parent == n) s += p->nodes[i].stats.total_ns;
  return s;
}

/* Structural invariants of any finished model with no zone left open. */
static void check_model(const fathom_profile *p) {
  uint64_t calls = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *n = &p->nodes[i];
    assert_in_range(n->zone, 0, p->n_zones - 1);
    assert_in_range(n->thread, 0, p->n_threads - 1);
    if (n->parent == FATHOM_NONE) {
      assert_int_equal(n->depth, 1);
    } else {
      assert_in_range(n->parent, 0, i - 1); /* parents precede children */
      assert_int_equal(n->depth, p->nodes[n->parent].depth + 1);
      assert_int_equal(n->thread, p->nodes[n->parent].thread);
    }
    uint64_t cs = child_sum(p, i);
    assert_int_equal(n->stats.self_ns, n->stats.total_ns >= cs ? n->stats.total_ns - cs : 0);
    if (n->stats.count == 0)
      fail_msg("node %u (zone '%s', depth %u) has no completed call", i,
               p->zones[n->zone].name, n->depth);
    assert_le(n->stats.min_ns, n->stats.max_ns);
    calls += n->stats.count;
  }
  assert_int_equal(p->meta.n_zones, calls);
  /* zone roll-ups: counts and self add; total counts recursion once */
  for (uint32_t z = 0; z < p->n_zones; z++) {
    uint64_t cnt = 0, self = 0, total = 0;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
      if (p->nodes[i].zone != z) continue;
      cnt += p->nodes[i].stats.count;
      self += p->nodes[i].stats.self_ns;
      int nested = 0;
      for (uint32_t a = p->nodes[i].parent; a != FATHOM_NONE; a = p->nodes[a].parent)
        if (p->nodes[a].zone == z) nested = 1;
      if (!nested) total += p->nodes[i].stats.total_ns;
    }
    assert_int_equal(p->zones[z].stats.count, cnt);
    assert_int_equal(p->zones[z].stats.self_ns, self);
    assert_int_equal(p->zones[z].stats.total_ns, total);
  }
}

/* ---- shape ---------------------------------------------------------------------------- */

static void test_two_parents(void **state) {
  (void)state;
  FATHOM_SITE(leaf, "leaf", "tree", NULL);
  begin();
  for (int i = 0; i < 5; i++) {
    FATHOM_ZONE("A", "tree");
    for (int k = 0; k < 3; k++) assert_int_equal(fathom_zone_record(&leaf, 100), 0);
  }
  for (int i = 0; i < 2; i++) {
    FATHOM_ZONE("B", "tree");
    for (int k = 0; k < 2; k++) assert_int_equal(fathom_zone_record(&leaf, 200), 0);
  }
  { FATHOM_ZONE("A", "tree"); } /* another static site, same name and component */
  fathom_profile *p = end();
  assert_int_equal(p->n_threads, 1);
  assert_int_equal(n_nodes_of(p, "A"), 1);
  assert_int_equal(zone(p, "A")->stats.count, 6);
  assert_int_equal(zone(p, "B")->stats.count, 2);
  uint32_t a = node_under(p, "A", FATHOM_NONE), b = node_under(p, "B", FATHOM_NONE);
  assert_int_equal(n_nodes_of(p, "leaf"), 2);
  uint32_t la = node_under(p, "leaf", a), lb = node_under(p, "leaf", b);
  check_st(&p->nodes[la].stats, 15, 1500, 100, 100);
  check_st(&p->nodes[lb].stats, 4, 800, 200, 200);
  assert_int_equal(p->nodes[la].depth, 2);
  check_st(&zone(p, "leaf")->stats, 19, 2300, 100, 200);
  assert_int_equal(p->meta.n_zones, 6 + 2 + 19);
  assert_int_equal(p->threads[0].n_zones, 6 + 2 + 19);
  assert_int_equal(p->meta.misuse, 0);
  release(p);
}

__attribute__((noinline)) static void recurse(int n) {
  FATHOM_ZONE("rec", "tree");
  if (n > 1) recurse(n - 1);
}

static void test_recursion(void **state) {
  (void)state;
  begin();
  for (int i = 0; i < 3; i++) {
    FATHOM_ZONE("top", "tree");
    recurse(10);
  }
  fathom_profile *p = end();
  assert_int_equal(n_nodes_of(p, "rec"), 10);
  uint32_t parent = node_under(p, "top", FATHOM_NONE), outer = FATHOM_NONE;
  uint64_t self_sum = 0;
  for (uint32_t d = 2; d <= 11; d++) { /* one node per depth, each called 3 times */
    uint32_t n = node_under(p, "rec", parent);
    assert_int_equal(p->nodes[n].depth, d);
    assert_int_equal(p->nodes[n].stats.count, 3);
    assert_ge(p->nodes[parent].stats.total_ns, p->nodes[n].stats.total_ns);
    self_sum += p->nodes[n].stats.self_ns;
    if (d == 2) outer = n;
    parent = n;
  }
  const fathom_zone_info *z = zone(p, "rec");
  assert_int_equal(z->stats.count, 30);
  assert_int_equal(z->stats.total_ns, p->nodes[outer].stats.total_ns); /* counted once */
  assert_int_equal(z->stats.self_ns, self_sum);
  release(p);
}

static void named_function_xyz(void) { FATHOM_FUNC("tree"); }

static void test_macros(void **state) {
  (void)state;
  begin();
  named_function_xyz();
  named_function_xyz();
  for (int i = 0; i < 10; i++) {
    FATHOM_ZONE_IF(i % 3 == 0, "maybe", "tree");
  }
  { FATHOM_ZONE_IF(0, "never", "tree"); }
  { FATHOM_ZONE_TAGS("tagged", "tree", "io,hot"); }
  fathom_profile *p = end();
  const fathom_zone_info *f = zone(p, "named_function_xyz");
  assert_int_equal(f->stats.count, 2);
  assert_string_equal(f->component, "tree");
  assert_string_equal(f->func, "named_function_xyz");
  assert_non_null(strstr(f->file, "test_tree.c"));
  assert_in_range(f->line, 1, 100000);
  assert_int_equal(f->kind, FATHOM_ZONE_KIND_ZONE);
  assert_int_equal(zone(p, "maybe")->stats.count, 4);
  assert_int_equal(zidx(p, "never"), FATHOM_NONE);
  assert_string_equal(zone(p, "tagged")->tags, "io,hot");
  release(p);
}

static void test_timers(void **state) {
  (void)state;
  begin();
  assert_int_equal(fathom_timer_start("t_outer"), 0);
  assert_int_equal(fathom_timer_start("t_inner"), 0);
  int64_t in = fathom_timer_stop("t_inner");
  int64_t out = fathom_timer_stop("t_outer");
  assert_in_range(in, 0, INT64_MAX);
  assert_in_range(out, in, INT64_MAX);
  { FATHOM_TIMER("t_scoped"); }
  /* same name twice: stop ends the innermost */
  assert_int_equal(fathom_timer_start("t_dup"), 0);
  assert_int_equal(fathom_timer_start("t_dup"), 0);
  int64_t d_in = fathom_timer_stop("t_dup");
  int64_t d_out = fathom_timer_stop("t_dup");
  assert_in_range(d_in, 0, INT64_MAX);
  assert_in_range(d_out, d_in, INT64_MAX);
  assert_int_equal(fathom_timer_stop("t_dup"), FATHOM_E_NOTFOUND);
  /* an OS sleep is a lower bound (0.1 % allowed for the clock's calibration) */
  assert_int_equal(fathom_timer_start("t_sleep"), 0);
  sleep_ms(3);
  int64_t slept = fathom_timer_stop("t_sleep");
  assert_in_range(slept, 2997000, INT64_MAX);
  fathom_profile *p = end();
  uint32_t o = node_under(p, "t_outer", FATHOM_NONE), i = node_under(p, "t_inner", o);
  /* returned: the measured interval; recorded: the same less fathom's own calibrated cost
   * inside it (overhead_ns), within 1 ns of rounding */
  check_measured(&p->nodes[o].stats, 1, (uint64_t)out);
  check_measured(&p->nodes[i].stats, 1, (uint64_t)in);
  assert_string_equal(zone(p, "t_outer")->component, "default");
  assert_int_equal(zone(p, "t_scoped")->stats.count, 1);
  uint32_t d1 = node_under(p, "t_dup", FATHOM_NONE), d2 = node_under(p, "t_dup", d1);
  check_measured(&p->nodes[d1].stats, 1, (uint64_t)d_out);
  check_measured(&p->nodes[d2].stats, 1, (uint64_t)d_in);
  check_measured(&zone(p, "t_sleep")->stats, 1, (uint64_t)slept);
  release(p);
}

/* Metric `name` on node n has these count, sum, min and max. */
static void check_metric(const fathom_node *n, const char *name, uint64_t count, double sum,
                         double mn, double mx) {
  for (uint32_t i = 0; i < n->n_metrics; i++) {
    const fathom_metric_stats *m = &n->metrics[i];
    if (strcmp(m->name, name) != 0) continue;
    assert_int_equal(m->count, count);
    assert_dbl(m->sum, sum);
    assert_dbl(m->min, mn);
    assert_dbl(m->max, mx);
    return;
  }
  fail_msg("metric '%s' not on the node", name);
}

static void test_zone_metrics(void **state) {
  (void)state;
  begin();
  for (int i = 0; i < 3; i++) {
    fathom_zone z = fathom_zone_begin("mz", "tree");
    fathom_metric m[3] = {{"bytes", 10.0 * (i + 1)}, {NULL, 99}, {"items", (double)i}};
    assert_int_equal(fathom_zone_end_metrics(z, m, 3), 0);
  }
  {
    FATHOM_ZONE("P", "tree");
    fathom_zone z = fathom_zone_begin("mz", "tree");
    fathom_metric m[1] = {{"bytes", -5}};
    assert_int_equal(fathom_zone_end_metrics(z, m, 1), 0);
  }
  fathom_zone z = fathom_zone_begin("mz_plain", "tree");
  assert_int_equal(fathom_zone_end_metrics(z, NULL, 0), 0);
  fathom_profile *p = end();
  const fathom_node *top = &p->nodes[node_under(p, "mz", FATHOM_NONE)];
  assert_int_equal(top->n_metrics, 2);
  check_metric(top, "bytes", 3, 60, 10, 30);
  check_metric(top, "items", 3, 3, 0, 2);
  const fathom_node *under =
      &p->nodes[node_under(p, "mz", node_under(p, "P", FATHOM_NONE))]; /* per path */
  assert_int_equal(under->n_metrics, 1);
  check_metric(under, "bytes", 1, -5, -5, -5);
  assert_int_equal(p->nodes[node_under(p, "mz_plain", FATHOM_NONE)].n_metrics, 0);
  release(p);
}

static const fathom_counter_info *counter(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_counters; i++)
    if (strcmp(p->counters[i].name, name) == 0) return &p->counters[i];
  fail_msg("counter '%s' not in the model", name);
  return NULL;
}
static void check_counter(const fathom_profile *p, const char *name, fathom_metric_kind kind,
                          uint64_t n, double value, double total, double mn, double mx) {
  const fathom_counter_info *c = counter(p, name);
  assert_int_equal(c->kind, kind);
  assert_int_equal(c->n_updates, n);
  assert_dbl(c->value, value);
  assert_dbl(c->total, total);
  assert_dbl(c->min, mn);
  assert_dbl(c->max, mx);
}

static void test_counters(void **state) {
  (void)state;
  begin();
  static const double gv[3] = {1.5, -3, 7.25};
  static const int64_t cv[3] = {5, -2, 10};
  static const uint64_t sv[3] = {100, 50, 200};
  for (int i = 0; i < 3; i++) {
    assert_int_equal(fathom_counter_add("tc.count", cv[i]), 0);
    assert_int_equal(fathom_gauge_set("tc.gauge", gv[i]), 0);
    assert_int_equal(fathom_record_size("tc.size", sv[i]), 0);
  }
  /* a name keeps its kind */
  assert_int_equal(fathom_gauge_set("tc.count", 1), FATHOM_E_INVAL);
  assert_int_equal(fathom_counter_add("tc.gauge", 1), FATHOM_E_INVAL);
  assert_int_equal(fathom_record_size("tc.count", 1), FATHOM_E_INVAL);
  double v = 0;
  assert_int_equal(fathom_counter_get("tc.count", &v), 0);
  assert_dbl(v, 13);
  assert_int_equal(fathom_counter_get("tc.gauge", &v), 0);
  assert_dbl(v, 7.25);
  assert_int_equal(fathom_counter_get("tc.size", &v), 0);
  assert_dbl(v, 200);
  assert_int_equal(fathom_counter_get("tc.nope", &v), FATHOM_E_NOTFOUND);
  fathom_profile *p = end();
  check_counter(p, "tc.count", FATHOM_METRIC_COUNTER, 3, 13, 13, -2, 10);
  check_counter(p, "tc.gauge", FATHOM_METRIC_GAUGE, 3, 7.25, 5.75, -3, 7.25);
  check_counter(p, "tc.size", FATHOM_METRIC_SIZE, 3, 200, 350, 50, 200);
  assert_int_equal(p->meta.misuse, 3); /* the three kind mismatches */
  release(p);
}

static void test_reset_and_pause(void **state) {
  (void)state;
  begin();
  for (int i = 0; i < 3; i++) {
    FATHOM_ZONE("before_reset", "tree");
  }
  assert_int_equal(fathom_counter_add("rs.count", 5), 0);
  fathom_zone open = fathom_zone_begin("spans_reset", "tree");
  assert_int_equal(fathom_reset(), 0);
  for (int i = 0; i < 2; i++) {
    FATHOM_ZONE("after_reset", "tree");
  }
  assert_int_equal(fathom_zone_end(open), 0); /* handles taken before a reset stay valid */
  assert_int_equal(fathom_counter_add("rs.count", 2), 0);
  { FATHOM_ZONE("on1", "tree"); }
  fathom_set_enabled(0);
  fathom_status st;
  assert_int_equal(fathom_status_get(&st), 0);
  assert_int_equal(st.active, 1);
  assert_int_equal(st.enabled, 0);
  fathom_zone pz = fathom_zone_begin("paused", "tree");
  assert_int_equal(pz.tag_, 0);
  assert_int_equal(fathom_zone_end(pz), FATHOM_E_ENDED);
  { FATHOM_ZONE("paused", "tree"); }
  fathom_counter_add("rs.count", 100);
  fathom_set_enabled(1);
  { FATHOM_ZONE("on2", "tree"); }
  fathom_profile *p = end();
  assert_int_equal(zidx(p, "before_reset"), FATHOM_NONE);
  assert_int_equal(zidx(p, "paused"), FATHOM_NONE);
  assert_int_equal(zone(p, "after_reset")->stats.count, 2);
  assert_int_equal(zone(p, "spans_reset")->stats.count, 1);
  node_under(p, "after_reset", node_under(p, "spans_reset", FATHOM_NONE));
  assert_int_equal(zone(p, "on1")->stats.count, 1);
  assert_int_equal(zone(p, "on2")->stats.count, 1);
  assert_int_equal(p->meta.n_zones, 5);
  check_counter(p, "rs.count", FATHOM_METRIC_COUNTER, 1, 2, 2, 2, 2);
  release(p);
}

static void test_two_sessions(void **state) {
  (void)state;
  fathom_config c = cfg0();
  begin_cfg("first", &c);
  for (int i = 0; i < 3; i++) {
    FATHOM_ZONE("s1", "tree");
  }
  fathom_counter_add("ss.count", 7);
  fathom_profile *p1 = end();
  begin_cfg(NULL, &c);
  for (int i = 0; i < 2; i++) {
    FATHOM_ZONE("s2", "tree");
  }
  fathom_profile *p2 = end();
  assert_int_equal(zone(p1, "s1")->stats.count, 3);
  assert_int_equal(zidx(p1, "s2"), FATHOM_NONE);
  assert_int_equal(zidx(p2, "s1"), FATHOM_NONE);
  assert_int_equal(zone(p2, "s2")->stats.count, 2);
  assert_int_equal(p2->meta.n_zones, 2);
  for (uint32_t i = 0; i < p2->n_counters; i++) /* counters start over too */
    assert_int_equal(p2->counters[i].n_updates, 0);
  assert_string_equal(p1->meta.session_name, "first");
  assert_string_equal(p2->meta.session_name, "test_tree"); /* NULL: the program name */
  assert_int_not_equal(p1->meta.session_id, p2->meta.session_id);
  release(p1);
  release(p2);
}

static void test_session_info(void **state) {
  (void)state;
  fathom_config c = cfg0();
  c.level = FATHOM_LEVEL_DETAILED;
  struct timespec t0, t1;
  clock_gettime(CLOCK_REALTIME, &t0);
  begin_cfg("info-session", &c);
  clock_gettime(CLOCK_REALTIME, &t1);
  fathom_session_info a, b;
  assert_int_equal(fathom_session_info_get(&a), 0);
  assert_int_equal(a.active, 1);
  assert_string_equal(a.name, "info-session");
  assert_int_equal(a.level, FATHOM_LEVEL_DETAILED);
  uint64_t lo = (uint64_t)t0.tv_sec * 1000000000u + (uint64_t)t0.tv_nsec;
  uint64_t hi = (uint64_t)t1.tv_sec * 1000000000u + (uint64_t)t1.tv_nsec;
  assert_in_range(a.start_unix_ns, lo, hi);
  sleep_ms(3);
  assert_int_equal(fathom_session_info_get(&b), 0);
  assert_ge(b.duration_ns, a.duration_ns + 2997000); /* grows by at least the sleep */
  assert_int_equal(b.id, a.id);
  fathom_profile *p = end();
  assert_int_equal(fathom_session_info_get(&b), 0);
  assert_int_equal(b.active, 0);
  assert_int_equal(b.id, p->meta.session_id);
  assert_int_equal(b.duration_ns, p->meta.duration_ns);
  assert_string_equal(b.name, p->meta.session_name);
  assert_int_equal(p->meta.level, FATHOM_LEVEL_DETAILED);
  release(p);
  assert_int_equal(fathom_session_info_get(NULL), FATHOM_E_INVAL);
}

static void *helper_thread(void *arg) {
  (void)arg;
  FATHOM_ZONE("helper", "tree");
  return NULL;
}

static void test_live_reads(void **state) {
  (void)state;
  FATHOM_SITE(sa, "bd_a", "tree", NULL);
  FATHOM_SITE(sb, "bd_b", "tree", NULL);
  FATHOM_SITE(sc, "bd_c", "tree", NULL);
  begin();
  assert_int_equal(fathom_zone_record(&sa, 3000), 0);
  assert_int_equal(fathom_zone_record(&sb, 1000), 0);
  assert_int_equal(fathom_zone_record(&sc, 2000), 0);
  assert_int_equal(fathom_zone_record(&sc, 4000), 0);
  run_thread(helper_thread);
  fathom_stats s;
  assert_int_equal(fathom_zone_stats("bd_c", &s), 0);
  check_st(&s, 2, 6000, 2000, 4000);
  assert_dbl(s.mean_ns, 3000);
  assert_int_equal(fathom_zone_stats("nope", &s), FATHOM_E_NOTFOUND);
  assert_int_equal(fathom_zone_stats(NULL, &s), FATHOM_E_INVAL);

  fathom_profile *snap = hold(fathom_snapshot());
  assert_non_null(snap);
  uint64_t helper_ns = snap->zones[zidx(snap, "helper")].stats.total_ns;
  double top = 10000.0 + (double)helper_ns;
  fathom_breakdown bd[8] = {{0}};
  assert_int_equal(fathom_timing_breakdown(bd, 8), 4);
  for (int i = 1; i < 4; i++) /* sorted by total time */
    if (bd[i - 1].total_s < bd[i].total_s) fail_msg("breakdown not sorted at %d", i);
  static const char *const bn[3] = {"bd_c", "bd_a", "bd_b"};
  static const uint64_t bt[3] = {6000, 3000, 1000}, bc[3] = {2, 1, 1};
  for (int k = 0; k < 3; k++) {
    int i = 0;
    while (i < 4 && strcmp(bd[i].name, bn[k]) != 0) i++;
    assert_in_range(i, 0, 3);
    assert_dbl(bd[i].total_s, (double)bt[k] / 1e9);
    assert_dbl(bd[i].percent, 100.0 * (double)bt[k] / top);
    assert_int_equal(bd[i].count, bc[k]);
  }
  fathom_breakdown one[2] = {{0}};
  assert_int_equal(fathom_timing_breakdown(one, 1), 4); /* cap 1: one filled, 4 reported */
  assert_non_null(one[0].name);
  assert_null(one[1].name);
  assert_int_equal(fathom_timing_breakdown(NULL, 0), 4);

  fathom_status st;
  assert_int_equal(fathom_status_get(&st), 0);
  assert_int_equal(st.active, 1);
  assert_int_equal(st.enabled, 1);
  assert_int_equal(st.level, cfg0().level);
  assert_int_equal(st.n_threads, 2);
  assert_int_equal(st.n_nodes, snap->n_nodes);
  assert_int_equal(st.n_zones, 5);
  assert_int_equal(st.dropped_zones, 0);
  assert_int_equal(st.misuse, 0);
  release(snap);
  fathom_profile *p = end();
  assert_int_equal(p->n_threads, 2);
  assert_int_equal(p->threads[1].exited, 1);
  assert_int_equal(p->n_zones, 4);
  release(p);
  uint32_t n_sites = st.n_sites;
  assert_int_equal(fathom_status_get(&st), FATHOM_E_STATE);
  assert_int_equal(st.active, 0);
  if (n_sites != 4) fail_msg("fathom_status.n_sites (distinct zones) was %u, want 4", n_sites);
}

static void emit_component_zones(void) {
  { FATHOM_ZONE("n1", "net"); }
  { FATHOM_ZONE("d1", "db"); }
  { FATHOM_ZONE("u1", "ui"); }
  { FATHOM_ZONE("x1", NULL); }
  fathom_zone z = fathom_zone_begin("dyn_net", "net");
  fathom_zone_end(z);
  z = fathom_zone_begin("dyn_ui", "ui");
  fathom_zone_end(z);
}

static void test_component_filter(void **state) {
  (void)state;
  fathom_config c = cfg0();
  c.components = "net,db";
  begin_cfg("comp", &c);
  emit_component_zones();
  fathom_zone z = fathom_zone_begin("dyn_ui", "ui");
  assert_int_equal(z.tag_, 0);
  fathom_profile *p = end();
  assert_int_equal(zone(p, "n1")->stats.count, 1);
  assert_int_equal(zone(p, "d1")->stats.count, 1);
  assert_int_equal(zone(p, "dyn_net")->stats.count, 1);
  assert_int_equal(zidx(p, "u1"), FATHOM_NONE);
  assert_int_equal(zidx(p, "x1"), FATHOM_NONE);
  assert_int_equal(zidx(p, "dyn_ui"), FATHOM_NONE);
  release(p);
  begin(); /* the next session records every component again */
  emit_component_zones();
  p = end();
  assert_int_equal(zone(p, "u1")->stats.count, 1);
  assert_int_equal(zone(p, "x1")->stats.count, 1);
  assert_string_equal(zone(p, "x1")->component, "default");
  assert_int_equal(zone(p, "dyn_ui")->stats.count, 1);
  release(p);
}

static int filter_prefix(const fathom_site *s, void *user) {
  int *calls = user;
  (*calls)++;
  return strncmp(s->name, "skip_", 5) != 0;
}
static int filter_none(const fathom_site *s, void *user) { return (void)s, (void)user, 0; }

static void keep_me(void) { FATHOM_ZONE("keep_me", "tree"); }

static void test_site_filter(void **state) {
  (void)state;
  int calls = 0;
  fathom_set_site_filter(filter_prefix, &calls);
  begin();
  { FATHOM_ZONE("skip_me", "tree"); }
  keep_me();
  { FATHOM_ZONE("keep_me2", "tree"); }
  assert_in_range(calls, 3, 1000000);
  fathom_stats st;
  assert_int_equal(fathom_zone_stats("keep_me2", &st), 0);
  assert_int_equal(st.count, 1);
  /* a new filter: sites seen before keep their decision until reset */
  fathom_set_site_filter(filter_none, NULL);
  keep_me();
  { FATHOM_ZONE("keep_new", "tree"); }
  fathom_profile *snap = hold(fathom_snapshot());
  assert_non_null(snap);
  assert_int_equal(zone(snap, "keep_me")->stats.count, 2);
  assert_int_equal(zidx(snap, "keep_new"), FATHOM_NONE);
  assert_int_equal(zidx(snap, "skip_me"), FATHOM_NONE);
  release(snap);
  assert_int_equal(fathom_reset(), 0);
  keep_me();
  fathom_set_site_filter(NULL, NULL);
  fathom_profile *p = end();
  assert_int_equal(p->n_nodes, 0);
  release(p);
  begin(); /* no filter: everything again */
  { FATHOM_ZONE("skip_me", "tree"); }
  p = end();
  assert_int_equal(zone(p, "skip_me")->stats.count, 1);
  release(p);
}

static void test_node_cap(void **state) {
  (void)state;
  static char names[40][16];
  for (int i = 0; i < 40; i++) snprintf(names[i], sizeof names[i], "cap_%02d", i);
  fathom_config c = cfg0();
  c.max_nodes_per_thread = 16;
  begin_cfg("cap", &c);
  for (int r = 0; r < 2; r++)
    for (int i = 0; i < 40; i++) {
      fathom_zone z = fathom_zone_begin(names[i], "cap"); /* the 17th new node is refused */
      assert_int_equal(z.tag_ != 0, i < 16);
      assert_int_equal(fathom_zone_end(z), i < 16 ? 0 : FATHOM_E_ENDED);
    }
  fathom_zone outer = fathom_zone_begin(names[0], "cap");
  fathom_zone inner = fathom_zone_begin("cap_nested", "cap"); /* no node left: dropped */
  assert_int_equal(inner.tag_, 0);
  FATHOM_SITE(rs, "cap_recorded", "cap", NULL);
  assert_int_equal(fathom_zone_record(&rs, 5), FATHOM_E_LIMIT);
  assert_int_equal(fathom_zone_end(outer), 0);
  fathom_profile *p = end();
  assert_int_equal(p->n_nodes, 16);
  assert_int_equal(p->meta.dropped_zones, 48 + 2);
  assert_int_equal(p->threads[0].n_dropped, 48 + 2);
  assert_int_equal(p->meta.n_zones, 33);
  assert_int_equal(zone(p, "cap_00")->stats.count, 3);
  assert_int_equal(p->meta.misuse, 0);
  release(p);
}

/* More top-level zones on one thread than the model builder's first queue holds (256): none
 * may be lost from the model. */
static void test_many_top_level(void **state) {
  (void)state;
  static char names[600][16];
  begin();
  for (int i = 0; i < 600; i++) {
    snprintf(names[i], sizeof names[i], "top_%03d", i);
    assert_int_equal(fathom_zone_end(fathom_zone_begin(names[i], "tree")), 0);
  }
  fathom_profile *p = end();
  assert_int_equal(p->n_nodes, 600);
  assert_int_equal(p->meta.n_zones, 600);
  assert_int_equal(zone(p, "top_599")->stats.count, 1);
  release(p);
}

__attribute__((noinline)) static void deep(int n) {
  FATHOM_ZONE("deep", "tree");
  if (n > 1) deep(n - 1);
}

static void test_depth_cap(void **state) {
  (void)state;
  fathom_config c = cfg0();
  c.max_depth = 4;
  begin_cfg("depth", &c);
  deep(10);
  deep(10);
  /* the stack is balanced again */
  assert_int_equal(fathom_zone_end(fathom_zone_begin("after_deep", "tree")), 0);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  hold(p);
  assert_int_equal(p->meta.dropped_zones, 12);
  assert_int_equal(zone(p, "deep")->stats.count, 8);
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].depth > 4)
      fail_msg("node %u of zone '%s' at depth %u > max_depth 4 (count %llu)", i,
               p->zones[p->nodes[i].zone].name, p->nodes[i].depth,
               (unsigned long long)p->nodes[i].stats.count);
  check_model(p);
  assert_int_equal(n_nodes_of(p, "deep"), 4);
  assert_int_equal(p->threads[0].n_open, 0);
  assert_int_equal(node_under(p, "after_deep", FATHOM_NONE) < p->n_nodes, 1);
  assert_int_equal(p->meta.misuse, 0);
  release(p);
}

static void test_timeline(void **state) {
  (void)state;
  fathom_config c = cfg0();
  c.timeline = 1;
  begin_cfg("timeline", &c);
  for (int i = 0; i < 10; i++) {
    FATHOM_ZONE("tl_outer", "tree");
    for (int j = 0; j < 3; j++) {
      FATHOM_ZONE("tl_mid", "tree");
      for (int k = 0; k < 2; k++) {
        FATHOM_ZONE("tl_leaf", "tree");
      }
    }
  }
  for (int i = 1; i <= 3; i++) fathom_counter_add("tl.count", i);
  fathom_profile *p = end();
  assert_int_equal(p->timeline, 1);
  assert_int_equal(p->meta.n_zones, 100);
  assert_int_equal(p->meta.dropped_events, 0);
  assert_int_equal(p->n_events, 100);
  uint64_t per_zone_dur[3] = {0, 0, 0}, per_zone_n[3] = {0, 0, 0};
  const char *names[3] = {"tl_outer", "tl_mid", "tl_leaf"};
  for (uint64_t i = 0; i < p->n_events; i++) {
    const fathom_event *e = &p->events[i];
    if (i) assert_le(p->events[i - 1].ts_ns, e->ts_ns); /* sorted */
    assert_in_range(e->zone, 0, p->n_zones - 1);
    assert_in_range(e->thread, 0, p->n_threads - 1);
    int zi = -1;
    for (int k = 0; k < 3; k++)
      if (strcmp(p->zones[e->zone].name, names[k]) == 0) zi = k;
    assert_in_range(zi, 0, 2);
    assert_int_equal(e->depth, (uint32_t)zi + 1);
    per_zone_dur[zi] += e->dur_ns;
    per_zone_n[zi]++;
    if (e->depth == 1) continue;
    int contained = 0; /* a parent event on the same thread holds it (1 ns: rounding) */
    for (uint64_t k = 0; k < p->n_events && !contained; k++) {
      const fathom_event *q = &p->events[k];
      if (q->thread == e->thread && q->depth == e->depth - 1 && q->ts_ns <= e->ts_ns &&
          e->ts_ns + e->dur_ns <= q->ts_ns + q->dur_ns + 1)
        contained = 1;
    }
    if (!contained) fail_msg("event %llu (depth %u) has no enclosing parent", (unsigned long long)i, e->depth);
  }
  for (int k = 0; k < 3; k++) { /* events carry the measured intervals: the recorded totals
                                    plus fathom's cost taken out of them */
    assert_int_equal(per_zone_n[k], k == 0 ? 10 : k == 1 ? 30 : 60);
    const fathom_stats *zs = &zone(p, names[k])->stats;
    double back = (double)zs->total_ns + zs->overhead_ns;
    if (fabs(back - (double)per_zone_dur[k]) > (double)per_zone_n[k] + 1)
      fail_msg("%s: events %llu ns, total %llu + overhead %.1f", names[k],
               (unsigned long long)per_zone_dur[k], (unsigned long long)zs->total_ns, zs->overhead_ns);
  }
  assert_int_equal(p->n_counter_events, 3);
  for (int i = 0; i < 3; i++) {
    assert_dbl(p->counter_events[i].value, (i + 1) * (i + 2) / 2); /* running total */
    assert_string_equal(p->counters[p->counter_events[i].counter].name, "tl.count");
  }
  release(p);
}

enum { BURST = 20000 };
static void burst(void) {
  for (int i = 0; i < BURST; i++) {
    FATHOM_ZONE("burst", "tree");
  }
}
static void *burst_thread(void *arg) {
  burst();
  return arg;
}

static void check_tiny_ring(int on_main) {
  fathom_config c = cfg0();
  c.timeline = 1;
  c.ring_events = 64;
  c.governor = 0; /* every call timed, so every call is an event (kept or dropped) */
  begin_cfg("tiny-ring", &c);
  if (on_main) burst();
  else run_thread(burst_thread);
  fathom_profile *p = end();
  assert_int_equal(p->meta.n_zones, BURST);
  if (p->meta.dropped_events == 0)
    fail_msg("%s: %d zones into a 64-event ring, %llu events kept and none dropped",
             on_main ? "main thread (ring from an earlier session)" : "new thread", BURST,
             (unsigned long long)p->n_events);
  assert_int_equal(p->n_events + p->meta.dropped_events, BURST);
  release(p);
}

static void test_timeline_tiny_ring(void **state) {
  (void)state;
  check_tiny_ring(0);
  /* the main thread got a default-sized ring in an earlier session; this session asks for
   * 64 events per ring */
  fathom_config c = cfg0();
  c.timeline = 1;
  begin_cfg("default-ring", &c);
  { FATHOM_ZONE("warm", "tree"); }
  release(end());
  check_tiny_ring(1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_two_parents),  T(test_recursion),      T(test_macros),           T(test_timers),
      T(test_zone_metrics), T(test_counters),       T(test_reset_and_pause),  T(test_two_sessions),
      T(test_session_info), T(test_live_reads),     T(test_component_filter), T(test_site_filter),
      T(test_node_cap),     T(test_depth_cap),      T(test_timeline),  T(test_timeline_tiny_ring),
      T(test_many_top_level),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
