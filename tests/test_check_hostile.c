/* test_check_hostile.c: fathom_profile_check (src/model/check.c) on models that are not merely
 * wrong: NULL arrays with n > 0 are reported, never dereferenced; random hostile indices,
 * counts and figures never crash it; the message buffer is bounded and truncated with
 * "...\n"; names with control bytes stay on one line, numbers never take the locale's
 * comma, and deep paths are cut. (test_check.c: each rule broken alone, the hook.)
 *
 * Invariant: every model here is built by mk_ok() (check_fixture.h) and changed in one place
 * per case, so the expected count is exact. */
#include <locale.h>

#include "check_fixture.h"

/* ---- hostile models ------------------------------------------------------------------------- */

static void test_null_arrays(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
#define NULLED(field, want, needle)         \
  do {                                      \
    void *keep = (void *)p->field;          \
    p->field = NULL;                        \
    expect(p, want, needle, NULL);          \
    p->field = keep;                        \
  } while (0)
  NULLED(nodes, 1, "meta: 7 nodes but a NULL p->nodes array");
  NULLED(zones, 1, "meta: 4 zones but a NULL p->zones array");
  NULLED(threads, 1, "meta: 2 threads but a NULL p->threads array");
  NULLED(counters, 1, "1 counters but a NULL p->counters array");
  NULLED(events, 1, "2 events but a NULL p->events array");
  NULLED(counter_events, 1, "1 counter events but a NULL");
  NULLED(findings, 1, "1 findings but a NULL p->findings array");
  NULLED(findings[0].figures, 1, "finding 0 (hot_path main;parse): 3 figures but no figures array");
  NULLED(findings[0].suggestions, 1, "1 suggestions but no suggestions array");
  NULLED(slas, 1, "1 SLAs but a NULL p->slas array");
  NULLED(throughput, 1, "2 throughput entries but a NULL");
  NULLED(mem_snapshots, 1, "1 memory snapshots but a NULL");
  NULLED(mem_snapshots[0].zone, 1, "memory snapshot 0 (epoch): 1 zones but a NULL zone array");
  NULLED(gov_actions, 1, "1 governor actions but a NULL");
  p->nodes[1].n_metrics = 2;
  expect(p, 1, "node 1 (main;parse, thread 0): 2 metrics but no metrics array", NULL);
  p->nodes[1].n_metrics = 0;
  p->nodes[1].hist.n = 4;
  expect(p, 1, "node 1 (main;parse, thread 0): histogram of 4 buckets without its bucket array",
         NULL);
  p->nodes[1].hist.n = 0;
  p->n_gpus = 2;
  p->n_probes = 3;
  p->series.n_cols = 2;
  p->series.n = 5;
  expect(p, 5, "2 GPUs but no gpus array", "3 probes but no probes array",
         "series: 2 columns but no column names", "series: 5 rows but no ts_ns array",
         "series: 5 rows but no values", NULL);
  p->n_gpus = p->n_probes = p->series.n_cols = 0;
  p->series.n = 0;
#undef NULLED

  /* everything missing at once, with huge counts */
  fathom_profile h;
  memset(&h, 0, sizeof h);
  h.n_zones = h.n_nodes = h.n_threads = h.n_counters = UINT32_MAX;
  h.n_events = h.n_counter_events = UINT64_MAX;
  h.n_findings = h.n_slas = h.n_throughput = h.n_mem_snapshots = h.n_gov_actions = UINT32_MAX;
  h.n_gpus = h.n_probes = UINT32_MAX;
  h.series.n = UINT64_MAX;
  h.series.n_cols = UINT32_MAX;
  int n = fathom_profile_check(&h, msg, sizeof msg);
  assert_int_equal(n, 16);   /* 11 tables, GPUs, probes, 3 series arrays */
  fathom_profile_free(p);
}

/* Random indices, counts and figures in every place the checker reads one: no crash (ASan and
 * UBSan watch), a count >= 0, a NUL-terminated message within its buffer. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static uint32_t rnd_idx(void) {
  switch (rnd() % 4) {
    case 0: return FATHOM_NONE;
    case 1: return (uint32_t)rnd();
    default: return (uint32_t)(rnd() % 12);
  }
}
static double rnd_d(void) {
  static const double odd[] = {NAN, INFINITY, -INFINITY, -0.0, -1, 1e300, 5e-324};
  if (rnd() % 3 == 0) return odd[rnd() % 7];
  return (double)(rnd() % 20000000);
}
static void rnd_stats(fathom_stats *st) {
  if (rnd() % 2) return;
  st->count = rnd() % 3 ? rnd() % 20 : rnd();
  st->timed = rnd() % 3 ? rnd() % 20 : rnd();
  st->total_ns = rnd() % 2 ? rnd() : rnd() % 20000000;
  st->self_ns = rnd() % 2 ? rnd() : rnd() % 20000000;
  st->min_ns = rnd() % 20000000;
  st->max_ns = rnd() % 20000000;
  st->mean_ns = rnd_d();
  st->p50_ns = rnd_d();
  st->p999_ns = rnd_d();
  st->pct_lo_ns[rnd() % FATHOM_PCT_N] = rnd_d();
  st->total_se_ns = rnd_d();
}

static void test_fuzz(void **state) {
  (void)state;
  static char small[97];
  for (int it = 0; it < 3000; it++) {
    fathom_profile *p = mk_ok();
    for (uint32_t i = 0; i < p->n_nodes; i++) {
      fathom_node *nd = &p->nodes[i];
      if (rnd() % 3 == 0) nd->zone = rnd_idx();
      if (rnd() % 3 == 0) nd->parent = rnd_idx();
      if (rnd() % 3 == 0) nd->thread = rnd_idx();
      if (rnd() % 5 == 0) nd->depth = (uint32_t)rnd();
      rnd_stats(&nd->stats);
      if (rnd() % 4 == 0) nd->res.sum[FATHOM_RES_CPU_USER_NS] = rnd_d();
    }
    for (uint32_t z = 0; z < p->n_zones; z++) rnd_stats(&p->zones[z].stats);
    if (rnd() % 2) p->findings[0].zone = rnd_idx();
    if (rnd() % 2) p->findings[0].node = rnd_idx();
    if (rnd() % 4 == 0) p->findings[0].cls = (fathom_finding_class)(rnd() % 40 - 5);
    if (rnd() % 2) p->findings[0].figures[2].value = rnd_d();
    if (rnd() % 2) p->events[1].zone = rnd_idx();
    if (rnd() % 2) p->events[0].thread = rnd_idx();
    if (rnd() % 2) p->events[0].ts_ns = rnd();
    if (rnd() % 2) p->counter_events[0].thread = rnd_idx();
    if (rnd() % 2) p->slas[0].zone = rnd_idx();
    if (rnd() % 2) p->slas[0].actual_ns = rnd_d();
    if (rnd() % 2) p->throughput[0].kind = (fathom_tput_kind)(rnd() % 4);
    if (rnd() % 2) p->throughput[1].index = rnd_idx();
    if (rnd() % 2) p->mem_snapshots[0].zone[0] = rnd_idx();
    if (rnd() % 2) p->gov_actions[0].zone = rnd_idx();
    if (rnd() % 2) p->meta.duration_ns = rnd();
    if (rnd() % 2) p->meta.overhead_pct = rnd_d();
    if (rnd() % 4 == 0) p->zones[rnd() % N_ZONES].name[0] = (char)(rnd() % 2 ? '\n' : ';');
    size_t cap = rnd() % 3 == 0 ? sizeof small : (size_t)(rnd() % 8);
    memset(small, 'Z', sizeof small);
    int n = fathom_profile_check(p, small, cap);
    assert_true(n >= 0);
    if (cap) assert_true(strlen(small) < cap);
    for (size_t k = cap; k < sizeof small; k++) assert_int_equal(small[k], 'Z');
    int big = fathom_profile_check(p, msg, sizeof msg);
    assert_int_equal(big, n);
    /* one line per violation, each a "what: why" line */
    int lines = 0;
    for (const char *s = msg; *s; s++) lines += *s == '\n';
    assert_int_equal(lines, n);
    fathom_profile_free(p);
  }
}

/* ---- the message buffer ------------------------------------------------------------------------ */

static void test_truncation(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  free(p->events);
  p->n_events = 200;
  p->events = xcalloc(200, sizeof *p->events);
  for (uint32_t i = 0; i < 200; i++)
    p->events[i] = (fathom_event){.thread = 0, .zone = 99, .depth = 1, .ts_ns = i, .dur_ns = 1};
  char full[MSG_CAP];
  assert_int_equal(fathom_profile_check(p, full, sizeof full), 200);
  size_t all = strlen(full);
  assert_true(all > 200 * 20);

  /* exactly enough room: everything, no "..." */
  char *b = malloc(all + 1);
  assert_non_null(b);
  assert_int_equal(fathom_profile_check(p, b, all + 1), 200);
  assert_string_equal(b, full);
  /* one byte short: whole lines, then "...\n", within the buffer */
  assert_int_equal(fathom_profile_check(p, b, all), 200);
  size_t l = strlen(b);
  assert_true(l < all);
  assert_string_equal(b + l - 4, "...\n");
  assert_memory_equal(b, full, l - 4);
  assert_true(l == 4 || b[l - 5] == '\n');
  free(b);

  char small[100];
  memset(small, 'Z', sizeof small);
  assert_int_equal(fathom_profile_check(p, small, 100), 200);
  l = strlen(small);
  assert_true(l < 100);
  assert_string_equal(small + l - 4, "...\n");
  assert_memory_equal(small, "event 0: zone 99 out of range (4 zones)\n", 40);
  assert_memory_equal(small, full, l - 4);

  static const struct { size_t cap; const char *want; } tiny[] = {
      {1, ""}, {2, "."}, {4, "..."}, {5, "...\n"}, {30, "...\n"}};
  for (size_t k = 0; k < sizeof tiny / sizeof tiny[0]; k++) {
    memset(small, 'Z', sizeof small);
    assert_int_equal(fathom_profile_check(p, small, tiny[k].cap), 200);
    assert_string_equal(small, tiny[k].want);
    assert_int_equal(small[tiny[k].cap], 'Z');
  }
  small[0] = 'Z';
  assert_int_equal(fathom_profile_check(p, small, 0), 200);   /* cap 0: nothing written */
  assert_int_equal(small[0], 'Z');
  assert_int_equal(fathom_profile_check(p, NULL, 1000), 200);
  fathom_profile_free(p);
}

/* Names with control bytes stay on one line; numbers never take the locale's comma. */
static void test_names_and_locale(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  free(p->zones[1].name);
  p->zones[1].name = xstrdup("pa\nr\tse");
  free(p->zones[0].name);
  p->zones[0].name = NULL;
  p->nodes[1].stats.self_ns = p->nodes[1].stats.total_ns + 5;
  const char *loc = setlocale(LC_NUMERIC, "de_DE.UTF-8");
  expect(p, 2, "node 1 ((null);pa?r?se, thread 0): self 6.00 ms > total 6.00 ms (+5 ns)",
         "zone 1 (pa?r?se): self", NULL);
  if (!loc) print_message("(de_DE.UTF-8 not available: the locale part was not exercised)\n");
  setlocale(LC_NUMERIC, "C");
  fathom_profile_free(p);

  /* a path deeper than the messages show */
  p = mk_ok();
  fathom_node *nd = realloc(p->nodes, 40 * sizeof *nd);
  assert_non_null(nd);
  p->nodes = nd;
  memset(&nd[N_NODES], 0, (40 - N_NODES) * sizeof *nd);
  for (uint32_t i = N_NODES; i < 40; i++) {
    nd[i].zone = 1;
    nd[i].parent = i == N_NODES ? 6 : i - 1;
    nd[i].thread = 1;
    nd[i].depth = nd[nd[i].parent].depth + 1;
  }
  p->n_nodes = 40;
  nd[39].stats.timed = 1;   /* count 0 */
  int n = fathom_profile_check(p, msg, sizeof msg);
  assert_true(n >= 1);
  if (!strstr(msg, "node 39 (...;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse;parse, thread 1): timed 1 > count 0"))
    fail_msg("no cut path in:\n%s", msg);
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_null_arrays),
      cmocka_unit_test(test_fuzz),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_names_and_locale),
  };
  return cmocka_run_group_tests_name("check_hostile", tests, NULL, NULL);
}
