/* test_cyg.c: automatic function zones from -finstrument-functions (this file is compiled
 * with it): real function names (static ones resolved from the ELF symbol table), call
 * counts, callee-under-caller nesting, recursion, FATHOM_EXCLUDE, and the depth cap.
 *
 * Invariant: the functions under test are noinline and noclone, so each call is one real
 * call of one symbol; the test's own helpers are no_instrument_function so they never show
 * up; cmocka and the test functions may appear as zones too, so no assertion counts all
 * zones, only those of the functions named here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"
/* cleanup() also drops the exclusion list a test may have set */
#define TESTUTIL_CLEANUP_FIRST() unsetenv("FATHOM_EXCLUDE")
#include "testutil.h"

#define NOINSTR __attribute__((no_instrument_function))
#define PROFILED __attribute__((noinline, noclone))

/* ---- the profiled functions ------------------------------------------------------------ */

static volatile int sink;

PROFILED static void cyg_static_helper(void) { sink++; }
PROFILED void cyg_leaf(int i);
PROFILED void cyg_leaf(int i) { sink += i; }
PROFILED void cyg_middle(void);
PROFILED void cyg_middle(void) {
  for (int i = 0; i < 3; i++) cyg_leaf(i);
  cyg_static_helper();
}
PROFILED void cyg_outer(void);
PROFILED void cyg_outer(void) {
  cyg_middle();
  cyg_middle();
}
PROFILED int cyg_recursive(int n);
PROFILED int cyg_recursive(int n) {
  if (n <= 1) return 1;
  int r = cyg_recursive(n - 1);
  sink += r;
  return r + 1;
}

/* ---- helpers (not profiled) --------------------------------------------------------- */

NOINSTR static void begin(uint32_t max_depth) {
  fathom_config c;
  fathom_config_init(&c);
  if (max_depth) c.max_depth = max_depth;
  test_level(&c);
  assert_int_equal(fathom_session_begin("cyg", &c), 0);
}
/* The function zone `name`, checked to be a function zone. */
NOINSTR static const fathom_zone_info *fzone(const fathom_profile *p, const char *name) {
  uint32_t i = zidx(p, name);
  if (i == FATHOM_NONE) {
    fprintf(stderr, "zones in the model:");
    for (uint32_t k = 0; k < p->n_zones; k++) fprintf(stderr, " %s", p->zones[k].name);
    fprintf(stderr, "\n");
    fail_msg("function zone '%s' is not in the model", name);
  }
  assert_int_equal(p->zones[i].kind, FATHOM_ZONE_KIND_FUNCTION);
  assert_string_equal(p->zones[i].component, "functions");
  return &p->zones[i];
}
/* The only node of zone `name`. */
NOINSTR static uint32_t node1(const fathom_profile *p, const char *name) {
  assert_int_equal(n_nodes_of(p, name), 1);
  uint32_t z = zidx(p, name);
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].zone == z) return i;
  return FATHOM_NONE;
}
NOINSTR static const char *parent_name(const fathom_profile *p, uint32_t n) {
  uint32_t par = p->nodes[n].parent;
  return par == FATHOM_NONE ? "(top level)" : p->zones[p->nodes[par].zone].name;
}
#define assert_parent(p, n, want) assert_string_equal(parent_name((p), (n)), (want))

NOINSTR static void check_structure(const fathom_profile *p) {
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *n = &p->nodes[i];
    assert_in_range(n->zone, 0, p->n_zones - 1);
    if (n->parent != FATHOM_NONE) {
      assert_in_range(n->parent, 0, i - 1);
      assert_int_equal(n->depth, p->nodes[n->parent].depth + 1);
      assert_in_range(n->stats.total_ns, 0, p->nodes[n->parent].stats.total_ns);
    }
  }
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_function_zones(void **state) {
  (void)state;
  begin(0);
  cyg_outer();
  cyg_outer();
  fathom_profile *p = end();
  check_structure(p);
  assert_int_equal(fzone(p, "cyg_outer")->stats.count, 2);
  assert_int_equal(fzone(p, "cyg_middle")->stats.count, 4);
  assert_int_equal(fzone(p, "cyg_leaf")->stats.count, 12);
  /* a static function: named from the symbol table */
  const fathom_zone_info *st = fzone(p, "cyg_static_helper");
  assert_int_equal(st->stats.count, 4);
  assert_string_equal(st->func, "cyg_static_helper");
  assert_non_null(strstr(st->file, "test_cyg")); /* the module: this program */
  /* callee under caller, one node per call path */
  uint32_t o = node1(p, "cyg_outer"), m = node1(p, "cyg_middle"), l = node1(p, "cyg_leaf"),
           s = node1(p, "cyg_static_helper");
  assert_parent(p, m, "cyg_outer");
  assert_parent(p, l, "cyg_middle");
  assert_parent(p, s, "cyg_middle");
  assert_int_equal(p->nodes[m].parent, o);
  assert_int_equal(p->nodes[l].parent, m);
  assert_int_equal(p->nodes[m].depth, p->nodes[o].depth + 1);
  assert_int_equal(p->nodes[l].stats.count, 12);
  release(p);
}

static void test_recursion(void **state) {
  (void)state;
  begin(0);
  assert_int_equal(cyg_recursive(5), 5);
  assert_int_equal(cyg_recursive(5), 5);
  fathom_profile *p = end();
  check_structure(p);
  const fathom_zone_info *z = fzone(p, "cyg_recursive");
  assert_int_equal(z->stats.count, 10);
  assert_int_equal(n_nodes_of(p, "cyg_recursive"), 5);
  uint32_t zi = zidx(p, "cyg_recursive"), outer = FATHOM_NONE;
  uint64_t self = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    if (p->nodes[i].zone != zi) continue;
    assert_int_equal(p->nodes[i].stats.count, 2);
    self += p->nodes[i].stats.self_ns;
    if (strcmp(parent_name(p, i), "cyg_recursive") != 0) {
      assert_int_equal(outer, FATHOM_NONE); /* only one outermost node */
      outer = i;
    }
  }
  assert_int_not_equal(outer, FATHOM_NONE);
  assert_int_equal(z->stats.total_ns, p->nodes[outer].stats.total_ns); /* counted once */
  assert_int_equal(z->stats.self_ns, self);
  release(p);
}

static void test_exclude_leaf(void **state) {
  (void)state;
  setenv("FATHOM_EXCLUDE", "cyg_static_*", 1);
  begin(0);
  unsetenv("FATHOM_EXCLUDE");
  cyg_outer();
  fathom_profile *p = end();
  check_structure(p);
  assert_int_equal(zidx(p, "cyg_static_helper"), FATHOM_NONE);
  assert_int_equal(fzone(p, "cyg_middle")->stats.count, 2);
  assert_int_equal(fzone(p, "cyg_leaf")->stats.count, 6);
  assert_parent(p, node1(p, "cyg_leaf"), "cyg_middle");
  release(p);
  /* the next session without FATHOM_EXCLUDE profiles it again */
  begin(0);
  cyg_outer();
  p = end();
  assert_int_equal(fzone(p, "cyg_static_helper")->stats.count, 2);
  release(p);
}

static void test_exclude_middle(void **state) {
  (void)state;
  setenv("FATHOM_EXCLUDE", "nothing_matches,cyg_mid*", 1);
  begin(0);
  unsetenv("FATHOM_EXCLUDE");
  cyg_outer();
  fathom_profile *p = end();
  check_structure(p);
  assert_int_equal(zidx(p, "cyg_middle"), FATHOM_NONE);
  assert_int_equal(fzone(p, "cyg_outer")->stats.count, 1);
  /* the excluded function's callees are attributed to its caller */
  assert_int_equal(fzone(p, "cyg_leaf")->stats.count, 6);
  assert_int_equal(fzone(p, "cyg_static_helper")->stats.count, 2);
  uint32_t o = node1(p, "cyg_outer");
  assert_int_equal(p->nodes[node1(p, "cyg_leaf")].parent, o);
  assert_int_equal(p->nodes[node1(p, "cyg_static_helper")].parent, o);
  release(p);
}

/* cyg_recursive(20) with an 8-deep stack cap, then cyg_outer(). */
static fathom_profile *depth_capped(void) {
  begin(8);
  assert_int_equal(cyg_recursive(20), 20);
  cyg_outer(); /* after the overflow the stack is balanced again */
  fathom_profile *p = end();
  check_structure(p);
  return p;
}

static void test_depth_cap_counts(void **state) {
  (void)state;
  fathom_profile *p = depth_capped();
  uint64_t recorded = fzone(p, "cyg_recursive")->stats.count;
  assert_in_range(recorded, 1, 8);
  uint32_t o = node1(p, "cyg_outer");
  assert_int_equal(p->nodes[o].depth, 1); /* same level as cyg_recursive(20) */
  assert_parent(p, node1(p, "cyg_middle"), "cyg_outer");
  assert_int_equal(fzone(p, "cyg_leaf")->stats.count, 6);
  /* every call that was not recorded is counted as dropped */
  if (p->meta.dropped_zones != 20 - recorded)
    fail_msg("meta.dropped_zones is %llu; %llu of the 20 calls were not recorded",
             (unsigned long long)p->meta.dropped_zones, (unsigned long long)(20 - recorded));
  release(p);
}

static void test_depth_cap_nodes(void **state) {
  (void)state;
  fathom_profile *p = depth_capped();
  for (uint32_t i = 0; i < p->n_nodes; i++) /* nothing deeper than the cap, no empty node */
    if (p->nodes[i].depth > 8 || p->nodes[i].stats.count == 0)
      fail_msg("node %u of '%s' at depth %u (cap 8) with %llu calls", i,
               p->zones[p->nodes[i].zone].name, p->nodes[i].depth,
               (unsigned long long)p->nodes[i].stats.count);
  release(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_function_zones), T(test_recursion),   T(test_exclude_leaf),
      T(test_exclude_middle), T(test_depth_cap_counts), T(test_depth_cap_nodes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
