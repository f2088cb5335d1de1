/* test_sqlite_hook.c: libfathom.so's sqlite3_open, sqlite3_open_v2 and sqlite3_open16 (linked
 * before Debian's libsqlite3, as LD_PRELOAD puts it): with FATHOM_SQLITE=1 every connection
 * opened is profiled under its file's name, and its statements reach the session's profile;
 * without it none is; the program always gets SQLite's own result (a failed open's code
 * unchanged, nothing attached). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static int rows(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  int n = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) n++;
  assert_int_equal(rc, SQLITE_DONE);
  sqlite3_finalize(st);
  return n;
}

static uint64_t runs_of(sqlite3 *db, const char *name) {
  fathom_sql_stats s;
  assert_int_equal(fathom_sql_stats_get(db, &s), 0);
  uint64_t n = s.runs;
  for (uint32_t i = 0; i < s.n; i++) assert_string_equal(s.q[i].db, name);
  fathom_sql_stats_free(&s);
  return n;
}

static void test_off(void **state) {
  (void)state;
  unsetenv("FATHOM_SQLITE");
  sqlite3 *db;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  assert_int_equal(rows(db, "SELECT 1"), 1);
  fathom_sql_stats s;
  assert_int_equal(fathom_sql_stats_get(db, &s), FATHOM_E_NOTFOUND);
  sqlite3_close(db);
}

static void test_on(void **state) {
  (void)state;
  setenv("FATHOM_SQLITE", "1", 1);
  assert_int_equal(fathom_session_begin("hook", NULL), 0);
  sqlite3 *a, *b, *c;
  assert_int_equal(sqlite3_open(":memory:", &a), SQLITE_OK);
  assert_int_equal(sqlite3_open_v2("file:hooked?mode=memory", &b,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
                                   NULL), SQLITE_OK);
  static const unsigned short name16[] = {':', 'm', 'e', 'm', 'o', 'r', 'y', ':', 0};
  assert_int_equal(sqlite3_open16(name16, &c), SQLITE_OK);
  for (int i = 0; i < 5; i++) assert_int_equal(rows(a, "SELECT 1 UNION ALL SELECT 2"), 2);
  for (int i = 0; i < 3; i++) assert_int_equal(rows(b, "SELECT 7"), 1);
  assert_int_equal(rows(c, "SELECT 8"), 1);
  assert_int_equal(runs_of(a, ":memory:"), 5);
  assert_int_equal(runs_of(b, "file:hooked?mode=memory"), 3);
  assert_int_equal(runs_of(c, ":memory:"), 1);
  /* a failed open: SQLite's code, nothing attached */
  sqlite3 *bad = NULL;
  int rc = sqlite3_open_v2("/nonexistent-dir/x.db", &bad, SQLITE_OPEN_READONLY, NULL);
  assert_int_equal(rc, SQLITE_CANTOPEN);
  fathom_sql_stats s;
  assert_int_equal(fathom_sql_stats_get(bad, &s), FATHOM_E_NOTFOUND);
  sqlite3_close(bad);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  uint64_t in_profile = 0;
  for (uint32_t i = 0; i < p->n_queries; i++) in_profile += p->queries[i].count;
  assert_int_equal(in_profile, 9);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  fathom_profile_free(p);
  for (sqlite3 **d = (sqlite3 *[]){a, b, c, NULL}; *d; d++) {
    assert_int_equal(fathom_sqlite_detach(*d), 0);
    sqlite3_close(*d);
  }
  unsetenv("FATHOM_SQLITE");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_off),
      cmocka_unit_test(test_on),
  };
  return cmocka_run_group_tests_name("sqlite_hook", tests, NULL, NULL);
}
