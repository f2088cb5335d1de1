/* test_sqlite.c: database statement profiling against the real SQLite (Debian's libsqlite3;
 * fathom itself never links it): the normal form of statements (known inputs and outputs);
 * runs of one statement with different literals counted as one row; rows returned counted
 * exactly (the test knows how many each query returns); full-scan steps on a query of an
 * unindexed column and none once it is indexed, and the slow_query finding naming the column;
 * sorts; the relations between the figures (never timings themselves); the profile's table
 * written to JSON, read back unchanged and checked (a tampered figure is caught, a malformed
 * file refused); the generic fathom_query_begin / end; the caps (distinct statements, kept
 * run times); several threads on one connection; misuse refused; a program without SQLite
 * gets FATHOM_E_NOTSUP and the reason (through the resolver seam). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom_load.h"
#include "testutil.h"
#include "work/sql.h"

extern void *(*fz_sq_resolver)(const char *name);

static void exec(sqlite3 *db, const char *sql) {
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  if (rc != SQLITE_OK) fprintf(stderr, "sqlite: %s: %s\n", sql, err ? err : "?");
  sqlite3_free(err);
  assert_int_equal(rc, SQLITE_OK);
}

/* Runs sql through prepare / step / finalize; returns the rows it gave. */
static int query(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  int rows = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) rows++;
  assert_int_equal(rc, SQLITE_DONE);
  sqlite3_finalize(st);
  return rows;
}

/* A table of n rows: id, owner = id % 100, price = id, name. */
static sqlite3 *open_db(int n, int index) {
  sqlite3 *db;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  exec(db, "CREATE TABLE items(id INTEGER PRIMARY KEY, owner INTEGER, price REAL, name TEXT)");
  if (index) exec(db, "CREATE INDEX items_owner ON items(owner)");
  exec(db, "BEGIN");
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO items(owner, price, name) VALUES (?, ?, ?)",
                                      -1, &st, NULL), SQLITE_OK);
  for (int i = 0; i < n; i++) {
    sqlite3_bind_int(st, 1, i % 100);
    sqlite3_bind_double(st, 2, i);
    sqlite3_bind_text(st, 3, "name", -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  exec(db, "COMMIT");
  return db;
}

static const fathom_query_info *find(const fathom_query_info *q, uint32_t n, const char *text) {
  for (uint32_t i = 0; i < n; i++)
    if (strcmp(q[i].statement, text) == 0) return &q[i];
  return NULL;
}

static void relations(const fathom_query_info *q, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    const fathom_query_info *x = &q[i];
    assert_true(x->count > 0);
    assert_true(x->min_ns <= x->p50_ns && x->p50_ns <= x->p95_ns && x->p95_ns <= x->p99_ns &&
                x->p99_ns <= x->max_ns);
    assert_true(x->min_ns <= x->mean_ns && x->mean_ns <= x->max_ns);
    assert_true(x->total_ns >= x->max_ns);
    assert_true(x->n_slowest <= FATHOM_QUERY_SLOWEST && x->n_slowest <= x->count);
    if (x->n_slowest) assert_true(x->slowest_ns[0] == x->max_ns);
    for (uint32_t k = 1; k < x->n_slowest; k++)
      assert_true(x->slowest_ns[k] <= x->slowest_ns[k - 1]);
    if (i) assert_true(x->total_ns <= q[i - 1].total_ns);
  }
}

static void norm_is(const char *in, const char *want) {
  char out[512];
  fz_sql_normalise(in, out, sizeof out);
  if (strcmp(out, want))
    fprintf(stderr, "normalised \"%s\"\n  to \"%s\"\n want \"%s\"\n", in, out, want);
  assert_string_equal(out, want);
}

static void test_normalise(void **state) {
  (void)state;
  norm_is("SELECT * FROM t WHERE a = 42 AND b = 'it''s'", "SELECT * FROM t WHERE a = ? AND b = ?");
  norm_is("select  x\n\tfrom t where y=-1.5e3;  ", "select x from t where y=?");
  norm_is("SELECT * FROM t WHERE id IN (1, 2,3, 'x')", "SELECT * FROM t WHERE id IN (?)");
  norm_is("SELECT * FROM t WHERE id NOT IN ( ?1 , ?2 )", "SELECT * FROM t WHERE id NOT IN (?)");
  norm_is("SELECT * FROM t WHERE id IN (SELECT a FROM u)",
          "SELECT * FROM t WHERE id IN (SELECT a FROM u)");
  norm_is("INSERT INTO t VALUES (X'00ff', 0x1F, .5) -- trailing", "INSERT INTO t VALUES (?, ?, ?)");
  norm_is("SELECT /* c */ a - 1, b FROM \"t 1\" WHERE c = :name",
          "SELECT a - ?, b FROM \"t 1\" WHERE c = :name");
  norm_is("SELECT a,b FROM t WHERE s = 'unterminated", "SELECT a, b FROM t WHERE s = ?");
  norm_is("", "");
  char many[2048] = "DELETE FROM t WHERE id IN (";
  for (int i = 0; i < 300; i++) sprintf(many + strlen(many), "%s%d", i ? ", " : "", i);
  strcat(many, ")");
  norm_is(many, "DELETE FROM t WHERE id IN (?)");
  char small[8];
  assert_true(fz_sql_normalise("SELECT * FROM a_long_table", small, sizeof small) == 7);
  assert_string_equal(small, "SELECT ");
  /* any bytes: unterminated quotes, comments and brackets, lone signs; the output always
   * 0-terminated inside its buffer (the sanitizer builds check the reads) */
  static const char alpha[] = "'\"`[]()x0.9e+-/*;, ?:$@INin\n\t\xc3\xa9\x80";
  uint64_t seed = 42;
  for (int i = 0; i < 5000; i++) {
    char in[65], out[40];
    size_t n = (size_t)(i % 65);
    for (size_t k = 0; k < n; k++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      in[k] = alpha[(seed >> 33) % (sizeof alpha - 1)];
    }
    in[n] = 0;
    size_t got = fz_sql_normalise(in, out, sizeof out);
    assert_true(got < sizeof out && strlen(out) == got);
  }
}

static void test_collapse_rows(void **state) {
  (void)state;
  sqlite3 *db = open_db(1000, 0);
  assert_int_equal(fathom_session_begin("sql", NULL), 0);
  assert_int_equal(fathom_sqlite_attach(db, "main"), 0);
  int want_rows = 0;
  for (int i = 0; i < 100; i++) {
    char sql[128];
    /* owner = i % 100: 10 rows each; with id < i * 10 fewer for small i */
    snprintf(sql, sizeof sql, "SELECT id FROM items WHERE owner = %d AND id <  %d", i, 500 + i);
    int got = query(db, sql);
    int expect = 0;
    for (int id = 1; id < 500 + i; id++) expect += (id - 1) % 100 == i;   /* ids from 1 */
    assert_int_equal(got, expect);
    want_rows += expect;
  }
  fathom_sql_stats s;
  assert_int_equal(fathom_sql_stats_get(db, &s), 0);
  const fathom_query_info *x = find(s.q, s.n, "SELECT id FROM items WHERE owner = ? AND id < ?");
  assert_non_null(x);
  assert_int_equal(x->count, 100);
  assert_int_equal(x->rows, want_rows);
  assert_true(x->exact);
  assert_true(x->sqlite);
  assert_true(x->fullscan_steps > 0 || x->vm_steps > 0);
  assert_int_equal(x->n_slowest, FATHOM_QUERY_SLOWEST);
  assert_non_null(strstr(x->slowest_sql[0], "SELECT id FROM items WHERE owner = "));
  assert_null(strchr(x->slowest_sql[0], '?'));   /* the literals are in */
  assert_string_equal(x->db, "main");
  relations(s.q, s.n);
  assert_int_equal(s.runs, 100);
  assert_int_equal(s.dropped, 0);
  fathom_sql_stats_free(&s);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_int_equal(p->n_queries, 1);
  assert_int_equal(p->queries[0].count, 100);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  fathom_profile_free(p);
  assert_int_equal(fathom_sqlite_detach(db), 0);
  sqlite3_close(db);
}

/* The statements' finding, from a session whose queries scan or search the table. */
static fathom_profile *scan_session(int index) {
  sqlite3 *db = open_db(20000, index);
  assert_int_equal(fathom_session_begin("scan", NULL), 0);
  assert_int_equal(fathom_sqlite_attach(db, "shop"), 0);
  for (int i = 0; i < 200; i++) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT name FROM items WHERE owner = %d ORDER BY price", i % 100);
    assert_int_equal(query(db, sql), 200);
  }
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_int_equal(fathom_sqlite_detach(db), 0);
  sqlite3_close(db);
  return p;
}

static const fathom_finding *sql_finding(const fathom_profile *p) {
  for (uint32_t i = 0; i < p->n_findings; i++)
    if (p->findings[i].cls == FATHOM_FIND_SLOW_QUERY) return &p->findings[i];
  return NULL;
}

static int suggests(const fathom_finding *f, const char *what) {
  for (uint32_t i = 0; i < f->n_suggestions; i++)
    if (strstr(f->suggestions[i], what)) return 1;
  return 0;
}

static void test_scan_and_index(void **state) {
  (void)state;
  fathom_profile *p = scan_session(0);
  const char *text = "SELECT name FROM items WHERE owner = ? ORDER BY price";
  const fathom_query_info *x = find(p->queries, p->n_queries, text);
  assert_non_null(x);
  assert_int_equal(x->count, 200);
  assert_int_equal(x->rows, 200 * 200);
  assert_true(x->fullscan_steps >= 200 * 19999);   /* the whole table, every run */
  assert_true(x->fullscan_steps <= x->vm_steps);
  assert_int_equal(x->sorts, 200);
  const fathom_finding *f = sql_finding(p);
  assert_non_null(f);
  assert_string_equal(f->path, text);
  assert_true(suggests(f, "items(owner)"));
  assert_true(suggests(f, "likely"));
  assert_true(suggests(f, "CREATE INDEX"));
  assert_true(suggests(f, "ORDER BY"));
  assert_true(suggests(f, "prepare it once"));
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  fathom_profile_free(p);

  p = scan_session(1);
  x = find(p->queries, p->n_queries, text);
  assert_non_null(x);
  assert_int_equal(x->count, 200);
  assert_int_equal(x->rows, 200 * 200);
  assert_int_equal(x->fullscan_steps, 0);   /* the index serves the WHERE */
  assert_int_equal(x->sorts, 200);
  f = sql_finding(p);
  if (f) assert_false(suggests(f, "CREATE INDEX"));
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  fathom_profile_free(p);
}

static char *to_text(const fathom_profile *p, fathom_format fmt) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_profile_write(p, fmt, f, 0), 0);
  fclose(f);
  return buf;
}

/* buf with the value after key (in "queries", its first place; the characters of `skip`
 * dropped) replaced by `with`: refused, the message naming `where`. */
static void refused(const char *buf, const char *key, const char *with, const char *skip,
                    const char *where, int code) {
  const char *at = strstr(buf, "\"queries\":");
  assert_non_null(at);
  at = strstr(at, key);
  assert_non_null(at);
  at += strlen(key);
  const char *rest = at + strspn(at, skip);
  char *bad = NULL, err[512];
  assert_true(asprintf(&bad, "%.*s%s%s", (int)(at - buf), buf, with, rest) > 0);
  fathom_profile *q = NULL;
  int rc = fathom_profile_load_buffer(bad, strlen(bad), &q, err, sizeof err);
  if (rc != code || !strstr(err, where))
    fprintf(stderr, "%s: rc %d, message: %s\n", where, rc, err);
  assert_int_equal(rc, code);
  assert_null(q);
  assert_non_null(strstr(err, where));
  free(bad);
}

static void test_json_round_trip(void **state) {
  (void)state;
  fathom_profile *p = scan_session(0);
  char *buf = to_text(p, FATHOM_FORMAT_JSON);
  fathom_profile *q = NULL;
  char err[512];
  assert_int_equal(fathom_profile_load_buffer(buf, strlen(buf), &q, err, sizeof err), 0);
  assert_int_equal(q->n_queries, p->n_queries);
  assert_true(q->queries_dropped == p->queries_dropped);
  for (uint32_t i = 0; i < p->n_queries; i++) {
    const fathom_query_info *a = &p->queries[i], *b = &q->queries[i];
    assert_string_equal(a->db, b->db);
    assert_string_equal(a->statement, b->statement);
    assert_true(a->count == b->count && a->rows == b->rows && a->exact == b->exact);
    assert_true(a->total_ns == b->total_ns && a->mean_ns == b->mean_ns && a->p99_ns == b->p99_ns);
    assert_true(a->fullscan_steps == b->fullscan_steps && a->sorts == b->sorts &&
                a->vm_steps == b->vm_steps && a->sqlite == b->sqlite);
    assert_int_equal(a->n_slowest, b->n_slowest);
    for (uint32_t k = 0; k < a->n_slowest; k++) {
      assert_true(a->slowest_ns[k] == b->slowest_ns[k]);
      assert_string_equal(a->slowest_sql[k], b->slowest_sql[k]);
    }
  }
  assert_int_equal(fathom_profile_check(q, NULL, 0), 0);
  char *txt = to_text(q, FATHOM_FORMAT_TEXT);
  assert_non_null(strstr(txt, "Database statements"));
  assert_non_null(strstr(txt, "SELECT name FROM items WHERE owner = ? ORDER BY price"));
  assert_non_null(strstr(txt, "slow_query"));
  free(txt);
  /* a tampered figure is caught */
  q->queries[0].p95_ns = q->queries[0].max_ns + 1e6;
  char msg[1024];
  assert_true(fathom_profile_check(q, msg, sizeof msg) >= 1);
  assert_non_null(strstr(msg, "out of order"));
  fathom_profile_free(q);
  /* malformed tables are refused with the place named */
  refused(buf, "\"total_ns\":", "-5", "0123456789.e+", "queries[0].total_ns", FATHOM_E_FORMAT);
  refused(buf, "\"slowest\":[", "{\"ns\":1,\"sql\":\"a\"},{\"ns\":1,\"sql\":\"b\"},"
          "{\"ns\":1,\"sql\":\"c\"},{\"ns\":1,\"sql\":\"d\"},", "", "slowest", FATHOM_E_LIMIT);
  refused(buf, "\"percentiles_exact\":", "1", "truefals", "percentiles_exact", FATHOM_E_FORMAT);
  refused(buf, "\"queries_dropped\":", "-1", "0123456789", "queries_dropped", FATHOM_E_FORMAT);
  free(buf);
  fathom_profile_free(p);
}

static void test_generic_and_caps(void **state) {
  (void)state;
  int key;   /* any pointer names a connection */
  fathom_query h;
  for (int i = 0; i < 3000; i++) {
    char sql[64];
    snprintf(sql, sizeof sql, "GET user %d", i);
    h = fathom_query_begin(&key, sql);
    assert_int_equal(fathom_query_end(h, 2), 0);
  }
  for (int i = 0; i < FATHOM_SQL_MAX_STATEMENTS + 20; i++) {
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT c%d FROM t", i);
    h = fathom_query_begin(&key, sql);
    fathom_query_end(h, 0);
  }
  fathom_sql_stats s;
  assert_int_equal(fathom_sql_stats_get(&key, &s), 0);
  assert_int_equal(s.n, FATHOM_SQL_MAX_STATEMENTS);
  assert_int_equal(s.dropped, 21);   /* "GET user ?" took one place */
  const fathom_query_info *x = find(s.q, s.n, "GET user ?");
  assert_non_null(x);
  assert_int_equal(x->count, 3000);
  assert_int_equal(x->rows, 6000);
  assert_false(x->exact);            /* more runs than run times kept */
  assert_false(x->sqlite);
  assert_string_equal(x->db, "db");
  relations(s.q, s.n);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_sql_stats_print(f, &s), 0);
  assert_int_equal(fathom_sql_stats_json(f, &s), 0);
  fclose(f);
  assert_non_null(strstr(buf, "GET user ?"));
  assert_non_null(strstr(buf, "21 runs of further statements not counted"));
  assert_non_null(strstr(buf, "\"queries_dropped\":21"));
  free(buf);
  fathom_sql_stats_free(&s);
  fathom_query nul = fathom_query_begin(NULL, "x");
  assert_int_equal(fathom_query_end(nul, 0), FATHOM_E_ENDED);
  assert_int_equal(fathom_sqlite_detach(&key), 0);
}

/* A slowest run's SQL is cut to FATHOM_QUERY_TEXT_MAX bytes, before a character, never in it. */
static void test_long_text(void **state) {
  (void)state;
  int key;
  char sql[600] = "SELECT '";
  for (int i = 0; i < 150; i++) strcat(sql, "\u00e9");   /* two bytes each */
  strcat(sql, "'");
  fathom_query h = fathom_query_begin(&key, sql);
  assert_int_equal(fathom_query_end(h, 1), 0);
  fathom_sql_stats s;
  assert_int_equal(fathom_sql_stats_get(&key, &s), 0);
  assert_int_equal(s.n, 1);
  assert_string_equal(s.q[0].statement, "SELECT ?");
  const char *cut = s.q[0].slowest_sql[0];
  size_t n = strlen(cut);
  assert_true(n < FATHOM_QUERY_TEXT_MAX && n >= FATHOM_QUERY_TEXT_MAX - 2);
  assert_int_equal(strncmp(cut, sql, n), 0);
  assert_true(((n - 8) % 2) == 0);   /* whole characters after "SELECT '" */
  fathom_sql_stats_free(&s);
  assert_int_equal(fathom_sqlite_detach(&key), 0);
}

typedef struct worker {
  sqlite3 *db;
  int id;
} worker;

static void *run_worker(void *arg) {
  worker *w = arg;
  for (int i = 0; i < 150; i++) {
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT id FROM items WHERE id = %d", w->id * 1000 + i + 1);
    if (query(w->db, sql) != 1) abort();
  }
  return NULL;
}

static volatile int readers_stop;

/* Reads the figures while the workers run: every reading adds up. */
static void *run_reader(void *arg) {
  sqlite3 *db = arg;
  uint64_t last = 0;
  while (!__atomic_load_n(&readers_stop, __ATOMIC_ACQUIRE)) {
    fathom_sql_stats s;
    if (fathom_sql_stats_get(db, &s) != 0) abort();
    uint64_t runs = 0;
    for (uint32_t i = 0; i < s.n; i++) {
      runs += s.q[i].count;
      if (!(s.q[i].p50_ns <= s.q[i].max_ns)) abort();
    }
    if (runs != s.runs || runs < last) abort();   /* never fewer than a reading before */
    last = runs;
    fathom_sql_stats_free(&s);
    fathom_profile *p = fathom_snapshot();
    fathom_profile_free(p);
  }
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  assert_true(sqlite3_threadsafe() == 1);   /* Debian's: serialised by default */
  sqlite3 *db = open_db(5000, 0);
  assert_int_equal(fathom_session_begin("threads", NULL), 0);
  assert_int_equal(fathom_sqlite_attach(db, NULL), 0);
  pthread_t th[3], reader;
  worker w[3];
  readers_stop = 0;
  assert_int_equal(pthread_create(&reader, NULL, run_reader, db), 0);
  for (int i = 0; i < 3; i++) {
    w[i] = (worker){db, i};
    assert_int_equal(pthread_create(&th[i], NULL, run_worker, &w[i]), 0);
  }
  for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
  __atomic_store_n(&readers_stop, 1, __ATOMIC_RELEASE);
  pthread_join(reader, NULL);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  assert_int_equal(p->n_queries, 1);
  assert_int_equal(p->queries[0].count, 450);
  fathom_profile_free(p);
  fathom_sql_stats s;
  assert_int_equal(fathom_sql_stats_get(db, &s), 0);
  const fathom_query_info *x = find(s.q, s.n, "SELECT id FROM items WHERE id = ?");
  assert_non_null(x);
  assert_int_equal(x->count, 450);
  assert_int_equal(x->rows, 450);
  assert_int_equal(x->fullscan_steps, 0);   /* the primary key */
  assert_string_equal(x->db, "sqlite");
  fathom_sql_stats_free(&s);
  assert_int_equal(fathom_sqlite_detach(db), 0);
  sqlite3_close(db);
}

static void test_misuse(void **state) {
  (void)state;
  sqlite3 *db = open_db(10, 0);
  assert_int_equal(fathom_sqlite_attach(NULL, "x"), FATHOM_E_INVAL);
  assert_int_equal(fathom_sqlite_detach(NULL), FATHOM_E_INVAL);
  assert_int_equal(fathom_sqlite_detach(db), FATHOM_E_NOTFOUND);
  fathom_sql_stats s;
  assert_int_equal(fathom_sql_stats_get(db, &s), FATHOM_E_NOTFOUND);
  assert_int_equal(fathom_sql_stats_get(db, NULL), FATHOM_E_INVAL);
  assert_int_equal(fathom_sqlite_attach(db, "x"), 0);
  assert_int_equal(fathom_sqlite_attach(db, "x"), FATHOM_E_INVAL);   /* twice */
  assert_int_equal(fathom_sqlite_detach(db), 0);
  assert_int_equal(fathom_sqlite_detach(db), FATHOM_E_NOTFOUND);   /* twice */
  assert_int_equal(query(db, "SELECT * FROM items"), 10);   /* no callback left behind */
  assert_int_equal(fathom_sql_stats_print(NULL, &s), FATHOM_E_INVAL);
  assert_int_equal(fathom_sql_stats_json(stdout, NULL), FATHOM_E_INVAL);
  fathom_sql_stats_free(NULL);
  /* a connection closed while attached keeps its figures; one opened again under the same
   * name adds to them */
  assert_int_equal(fathom_sqlite_attach(db, "reopened"), 0);
  assert_int_equal(query(db, "SELECT * FROM items WHERE id = 1"), 1);
  sqlite3_close(db);
  db = open_db(10, 0);
  assert_int_equal(fathom_sqlite_attach(db, "reopened"), 0);
  assert_int_equal(query(db, "SELECT * FROM items WHERE id = 2"), 1);
  assert_int_equal(fathom_sql_stats_get(db, &s), 0);
  const fathom_query_info *x = find(s.q, s.n, "SELECT * FROM items WHERE id = ?");
  assert_non_null(x);
  assert_int_equal(x->count, 2);
  fathom_sql_stats_free(&s);
  assert_int_equal(fathom_sqlite_detach(db), 0);
  sqlite3_close(db);
}

static void *no_sqlite(const char *name) {
  (void)name;
  return NULL;
}

static void test_no_sqlite(void **state) {
  (void)state;
  sqlite3 *db = open_db(1, 0);
  fz_sq_resolver = no_sqlite;
  assert_int_equal(fathom_sqlite_attach(db, "x"), FATHOM_E_NOTSUP);
  assert_non_null(strstr(fathom_sqlite_why(), "no SQLite in this program"));
  assert_non_null(strstr(fathom_sqlite_why(), "sqlite3_trace_v2"));
  fz_sq_resolver = NULL;
  assert_int_equal(fathom_sqlite_attach(db, "x"), 0);
  assert_string_equal(fathom_sqlite_why(), "");
  assert_int_equal(fathom_sqlite_detach(db), 0);
  sqlite3_close(db);
}

static void test_session_scope(void **state) {
  (void)state;
  sqlite3 *db = open_db(10, 0);
  assert_int_equal(fathom_sqlite_attach(db, "s"), 0);
  assert_int_equal(query(db, "SELECT 1"), 1);   /* before the session: not in its profile */
  assert_int_equal(fathom_session_begin("scope", NULL), 0);
  for (int i = 0; i < 3; i++) assert_int_equal(query(db, "SELECT 2"), 1);
  fathom_profile *snap = fathom_snapshot();
  assert_non_null(snap);
  assert_int_equal(snap->n_queries, 1);
  assert_int_equal(snap->queries[0].count, 3);
  fathom_profile_free(snap);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_int_equal(p->n_queries, 1);
  assert_string_equal(p->queries[0].statement, "SELECT ?");
  assert_int_equal(p->queries[0].count, 3);
  fathom_profile_free(p);
  assert_int_equal(fathom_sqlite_detach(db), 0);
  sqlite3_close(db);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normalise),       cmocka_unit_test(test_collapse_rows),
      cmocka_unit_test(test_scan_and_index),  cmocka_unit_test(test_json_round_trip),
      cmocka_unit_test(test_generic_and_caps), cmocka_unit_test(test_threads),
      cmocka_unit_test(test_misuse),          cmocka_unit_test(test_no_sqlite),
      cmocka_unit_test(test_session_scope),   cmocka_unit_test(test_long_text),
  };
  return cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
}
