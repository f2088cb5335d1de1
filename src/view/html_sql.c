/* html_sql.c: the HTML report's data for the database statements (the profile's "queries"):
 * one row per statement, the page (report.js) draws them as a table with the slowest run's
 * SQL.
 *
 * Invariant: text reaches the page only through fz_hj_str; at most FZ_HTML_QUERIES rows (the
 * table is sorted by total time: the rest are the least costly), so the page stays small. */
#include <stdio.h>

#include "view/html.h"

#define FZ_HTML_QUERIES 200

/* ,"queries":[[db, statement, count, total, mean, p50, p95, p99, max, rows, exact, sqlite,
 * fullscan, sorts, slowest sql], ...],"queries_n":N,"queries_dropped":N */
void fz_html_sql_data(FILE *f, const fathom_profile *p) {
  uint32_t n = p->queries ? p->n_queries : 0, shown = n < FZ_HTML_QUERIES ? n : FZ_HTML_QUERIES;
  fputs(",\"queries\":[", f);
  for (uint32_t i = 0; i < shown; i++) {
    const fathom_query_info *q = &p->queries[i];
    fputs(i ? ",\n[" : "[", f);
    fz_hj_str(f, q->db);
    fputc(',', f);
    fz_hj_str(f, q->statement);
    const double v[] = {(double)q->count, q->total_ns, q->mean_ns, q->p50_ns, q->p95_ns,
                        q->p99_ns, q->max_ns, (double)q->rows, q->exact ? 1 : 0,
                        q->sqlite ? 1 : 0, (double)q->fullscan_steps, (double)q->sorts};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
      fputc(',', f);
      fz_hj_num(f, v[k]);
    }
    fputc(',', f);
    fz_hj_str(f, q->n_slowest ? q->slowest_sql[0] : "");
    fputc(']', f);
  }
  fputs("],\"queries_n\":", f);
  fz_hj_u64(f, n);
  fputs(",\"queries_dropped\":", f);
  fz_hj_u64(f, p->queries_dropped);
}
