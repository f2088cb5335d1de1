/* test_siblings.c: call paths with thousands of siblings, called in an order no cache of
 * recent children serves (a stride through all of them): every call lands on its own path
 * and is counted exactly, the same zone under two parents stays two paths, and the thread's
 * index of paths starts afresh after fathom_reset and in the next session. (The cost per
 * call, which must not grow with the number of siblings, is measured by bench_siblings.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"
#include "testutil.h"

enum { N = 5000, STRIDE = 7919 };

static fathom_site sites[N];
static char names[N][16];
static fathom_site parent_a = {"sib_parent_a", "siblings", NULL, __FILE__, "parents", 1, 0, 0};
static fathom_site parent_b = {"sib_parent_b", "siblings", NULL, __FILE__, "parents", 2, 0, 0};

static void make_sites(void) {
  for (int i = 0; i < N; i++) {
    snprintf(names[i], sizeof names[i], "sib_%04d", i);
    sites[i] = (fathom_site){names[i], "siblings", NULL, __FILE__, "make_sites", i, 0, 0};
  }
}

/* passes calls of every site under parent (NULL: top level), in stride order. */
static void call_all(fathom_site *parent, int passes) {
  fathom_zone p = parent ? fathom_zone_begin_site(parent) : (fathom_zone){0};
  for (int r = 0; r < passes; r++)
    for (long i = 0; i < N; i++)
      assert_int_equal(fathom_zone_end(fathom_zone_begin_site(&sites[(i * STRIDE) % N])), 0);
  if (parent) assert_int_equal(fathom_zone_end(p), 0);
}

static fathom_config cfg(void) {
  fathom_config c;
  fathom_config_init(&c);
  test_level(&c);
  c.max_nodes_per_thread = 4 * N;
  return c;
}

/* Every site's calls under each parent, as nodes of their own. */
static void check_counts(const fathom_profile *p, uint64_t under_a, uint64_t under_b) {
  uint32_t a = node_under(p, "sib_parent_a", FATHOM_NONE);
  uint32_t b = under_b ? node_under(p, "sib_parent_b", FATHOM_NONE) : FATHOM_NONE;
  assert_int_equal(p->meta.dropped_zones, 0);
  for (int i = 0; i < N; i++) {
    assert_int_equal(p->nodes[node_under(p, names[i], a)].stats.count, under_a);
    if (under_b) assert_int_equal(p->nodes[node_under(p, names[i], b)].stats.count, under_b);
    assert_int_equal(zone(p, names[i])->stats.count, under_a + under_b);
  }
}

static void test_many_siblings(void **state) {
  (void)state;
  fathom_config c = cfg();
  assert_int_equal(fathom_session_begin("siblings", &c), 0);
  call_all(&parent_a, 3);
  call_all(&parent_b, 2);
  call_all(&parent_a, 1); /* the same paths again, found in the index */
  fathom_profile *p = end();
  assert_int_equal(p->n_nodes, 2 + 2 * N);
  check_counts(p, 4, 2);
}

static void test_reset_and_next_session(void **state) {
  (void)state;
  fathom_config c = cfg();
  assert_int_equal(fathom_session_begin("siblings_reset", &c), 0);
  call_all(&parent_a, 2);
  call_all(&parent_b, 1);
  assert_int_equal(fathom_reset(), 0); /* every path forgotten: the index too */
  call_all(&parent_a, 1);
  fathom_profile *p = end();
  assert_int_equal(p->n_nodes, 1 + N);
  check_counts(p, 1, 0);
  assert_int_equal(zidx(p, "sib_parent_b"), FATHOM_NONE);
  assert_int_equal(fathom_session_begin("siblings_again", &c), 0);
  call_all(&parent_b, 1);
  call_all(&parent_a, 3);
  p = end();
  check_counts(p, 3, 1);
}

/* Top-level siblings beyond the node cap: the cap still refuses new paths and counts them,
 * and the paths made before it are all found again. */
static void test_cap_with_index(void **state) {
  (void)state;
  fathom_config c = cfg();
  c.max_nodes_per_thread = N / 2;
  assert_int_equal(fathom_session_begin("siblings_cap", &c), 0);
  for (int i = 0; i < N; i++) (void)fathom_zone_end(fathom_zone_begin_site(&sites[i]));
  for (int i = 0; i < N / 2; i++) assert_int_equal(fathom_zone_end(fathom_zone_begin_site(&sites[i])), 0);
  fathom_profile *p = end();
  assert_int_equal(p->n_nodes, N / 2);
  assert_int_equal(p->meta.dropped_zones, N - N / 2);
  for (int i = 0; i < N / 2; i++) assert_int_equal(zone(p, names[i])->stats.count, 2);
}

int main(void) {
  make_sites();
  const struct CMUnitTest tests[] = {
      T(test_many_siblings),
      T(test_reset_and_next_session),
      T(test_cap_with_index),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
