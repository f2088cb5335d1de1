/* testutil.h: shared cmocka test helpers: held profiles, end(), zone/node lookup, teardown. */
/*
 * Header-only: every function is static and marked unused (a group that does not call one gets
 * no warning) and no_instrument_function (test_cyg.c is built with -finstrument-functions and
 * its helpers must never show up as function zones).
 *
 * Optional hooks, defined before including this header:
 *   TESTUTIL_END_CHECK(p)     run by end() on the profile after the session ended successfully
 *                             (test_tree.c: check_model(p)).
 *   TESTUTIL_CLEANUP_FIRST()  statement run by cleanup() before it ends the session
 *                             (test_tree.c: reset site filter and enabled; test_cyg.c: unsetenv).
 */
#ifndef FATHOM_TESTUTIL_H
#define FATHOM_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"

#define TESTUTIL_FN static __attribute__((unused, no_instrument_function))

/* ---- profiles held for the teardown ---------------------------------------------- */

/* freed by the teardown when an assertion fails */
static fathom_profile *held[8] __attribute__((unused));
TESTUTIL_FN fathom_profile *hold(fathom_profile *p) {
  for (int i = 0; i < 8; i++) if (!held[i]) return held[i] = p;
  return p;
}
TESTUTIL_FN void release(fathom_profile *p) {
  for (int i = 0; i < 8; i++) if (held[i] == p) held[i] = NULL;
  fathom_profile_free(p);
}
/* The profile written in format fmt, as a string (malloc'ed; the caller frees it). */
TESTUTIL_FN char *render(const fathom_profile *p, fathom_format fmt, int color) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  int rc = fathom_profile_write(p, fmt, f, color);
  fclose(f);
  assert_int_equal(rc, 0);
  assert_non_null(buf);
  assert_int_equal(strlen(buf), len);
  return buf;
}

/* End the session, assert it succeeded with a profile, and hold the profile for the teardown. */
TESTUTIL_FN fathom_profile *end(void) {
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_non_null(p);
#ifdef TESTUTIL_END_CHECK
  TESTUTIL_END_CHECK(p);
#endif
  return hold(p);
}

/* ---- zones and nodes by name ------------------------------------------------------- */

TESTUTIL_FN uint32_t zidx(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (strcmp(p->zones[i].name, name) == 0) return i;
  return FATHOM_NONE;
}
TESTUTIL_FN const fathom_zone_info *zone(const fathom_profile *p, const char *name) {
  uint32_t i = zidx(p, name);
  if (i == FATHOM_NONE) fail_msg("zone '%s' is not in the model", name);
  return &p->zones[i];
}
/* How many call-tree nodes zone `name` has. */
TESTUTIL_FN uint32_t n_nodes_of(const fathom_profile *p, const char *name) {
  uint32_t z = zidx(p, name), n = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) n += p->nodes[i].zone == z;
  return n;
}
/* The node of zone `name` whose parent is node `parent` (FATHOM_NONE: top level). */
TESTUTIL_FN uint32_t node_under(const fathom_profile *p, const char *name, uint32_t parent) {
  uint32_t z = zidx(p, name);
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].zone == z && p->nodes[i].parent == parent) return i;
  fail_msg("no node of zone '%s' under node %u", name, parent);
  return FATHOM_NONE;
}

/* ---- levels ------------------------------------------------------------------------ */

/* The level a group runs at: FATHOM_TEST_LEVEL (ctest runs some groups a second time at
 * DETAILED, so every API path is also checked on the sampled/probed recorder path). */
TESTUTIL_FN void test_level(fathom_config *c) {
  const char *v = getenv("FATHOM_TEST_LEVEL");
  if (v && *v) assert_int_equal(fathom_level_parse(v, &c->level), 0);
}

/* ---- teardown ---------------------------------------------------------------------- */

/* After a failed assertion the session may still be active: end it for the next test and free
 * the profiles still held. */
TESTUTIL_FN int cleanup(void **state) {
  (void)state;
#ifdef TESTUTIL_CLEANUP_FIRST
  TESTUTIL_CLEANUP_FIRST();
#endif
  (void)fathom_session_end(NULL);
  for (int i = 0; i < 8; i++) release(held[i]);
  return 0;
}
#define T(f) cmocka_unit_test_teardown(f, cleanup)

#endif /* FATHOM_TESTUTIL_H */
