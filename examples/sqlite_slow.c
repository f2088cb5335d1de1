/* sqlite_slow.c: a query on a column without an index, run many times, and the same with an
 * index. Two in-memory databases hold the same 50,000 orders (id, customer, amount); the
 * program asks each 300 times for one customer's total, its literal in the SQL text. fathom
 * profiles both connections (fathom_sqlite_attach): the 300 runs of each are one statement
 * ("... WHERE customer = ?"), the unindexed one with a full table scan per run, and the
 * session's slow_query finding advises the index on orders(customer) the second database has.
 *
 *   sqlite_slow [OUT.json]     the session's profile too (fathom report shows its statements
 *                              and findings; fathom check reads it)
 *
 * Build: link SQLite yourself (-lsqlite3); fathom finds it in the program at run time. */
#include <fathom.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#define ORDERS 50000
#define CUSTOMERS 1000
#define LOOKUPS 300

static void die(sqlite3 *db, const char *what) {
  fprintf(stderr, "sqlite_slow: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
  exit(1);
}

static sqlite3 *make_db(int with_index) {
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) die(db, "open");
  const char *schema = with_index
      ? "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, amount REAL);"
        "CREATE INDEX orders_customer ON orders(customer)"
      : "CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, amount REAL)";
  if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) die(db, "schema");
  sqlite3_stmt *ins;
  if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "INSERT INTO orders(customer, amount) VALUES (?, ?)", -1, &ins,
                         NULL) != SQLITE_OK)
    die(db, "insert");
  for (int i = 0; i < ORDERS; i++) {   /* prepared once, run 50,000 times in one transaction */
    sqlite3_bind_int(ins, 1, (i * 7919) % CUSTOMERS);
    sqlite3_bind_double(ins, 2, (i % 100) + 0.5);
    if (sqlite3_step(ins) != SQLITE_DONE) die(db, "insert");
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) die(db, "commit");
  return db;
}

static int add_total(void *user, int n, char **v, char **names) {
  (void)n;
  (void)names;
  *(double *)user += v[0] ? atof(v[0]) : 0;
  return 0;
}

static double lookups(sqlite3 *db) {
  double sum = 0;
  for (int i = 0; i < LOOKUPS; i++) {
    char sql[128];   /* the literal in the text: one statement per customer, as fathom sees it */
    snprintf(sql, sizeof sql, "SELECT SUM(amount) FROM orders WHERE customer = %d",
             (i * 37) % CUSTOMERS);
    if (sqlite3_exec(db, sql, add_total, &sum, NULL) != SQLITE_OK) die(db, "select");
  }
  return sum;
}

int main(int argc, char **argv) {
  fathom_config cfg;
  fathom_config_init(&cfg);
  cfg.out_path = argc > 1 ? argv[1] : NULL;
  if (fathom_session_begin("sqlite lookups", &cfg) != 0) return 1;
  sqlite3 *plain = make_db(0), *indexed = make_db(1);
  int rc = fathom_sqlite_attach(plain, "no index");
  if (!rc) rc = fathom_sqlite_attach(indexed, "with index");
  if (rc) {
    fprintf(stderr, "sqlite_slow: %s %s\n", fathom_strerror(rc), fathom_sqlite_why());
    return 1;
  }
  double a = lookups(plain), b = lookups(indexed);
  if (a != b) {
    fprintf(stderr, "sqlite_slow: the two databases disagree (%.1f, %.1f)\n", a, b);
    return 1;
  }
  fathom_sql_stats s;
  if (fathom_sql_stats_get(NULL, &s) == 0) {
    fathom_sql_stats_print(stdout, &s);
    fathom_sql_stats_free(&s);
  }
  fathom_profile *p = NULL;
  fathom_session_end(&p);   /* the findings are made here; the profile written to OUT.json */
  for (uint32_t i = 0; p && i < p->n_findings; i++) {
    const fathom_finding *f = &p->findings[i];
    if (f->cls != FATHOM_FIND_SLOW_QUERY) continue;
    printf("\n%s: %s\n", fathom_severity_name(f->severity), f->summary);
    for (uint32_t k = 0; k < f->n_suggestions; k++) printf("  - %s\n", f->suggestions[k]);
  }
  fathom_profile_free(p);
  fathom_sqlite_detach(plain);
  fathom_sqlite_detach(indexed);
  sqlite3_close(plain);
  sqlite3_close(indexed);
  return 0;
}
