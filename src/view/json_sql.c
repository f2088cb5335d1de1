/* json_sql.c: the "queries" table of the JSON profile (database statements: fathom_sqlite_attach,
 * fathom_query_begin) and "queries_dropped", written only when there is something to say, so
 * other profiles' files are unchanged; src/load/json_sql.c reads them back. The same array is
 * what fathom_sql_stats_json writes.
 *
 * Invariant: every double reads back bit-identical (NaN as null). */
#include <stdio.h>

#include "util/jsonw.h"
#include "view/view.h"

static void u64(FILE *f, const char *k, uint64_t v) {
  fprintf(f, ",\"%s\":", k);
  fz_json_write_u64(f, v);
}

static void put_query(FILE *f, const fathom_query_info *q) {
  fputs("{\"db\":", f);
  fz_json_write_str(f, q->db ? q->db : "", 0);
  fputs(",\"statement\":", f);
  fz_json_write_str(f, q->statement ? q->statement : "", 0);
  u64(f, "count", q->count);
  fz_json_num_member(f, "total_ns", q->total_ns);
  fz_json_num_member(f, "mean_ns", q->mean_ns);
  fz_json_num_member(f, "min_ns", q->min_ns);
  fz_json_num_member(f, "max_ns", q->max_ns);
  fz_json_num_member(f, "p50_ns", q->p50_ns);
  fz_json_num_member(f, "p95_ns", q->p95_ns);
  fz_json_num_member(f, "p99_ns", q->p99_ns);
  fprintf(f, ",\"percentiles_exact\":%s", q->exact ? "true" : "false");
  u64(f, "rows", q->rows);
  fprintf(f, ",\"sqlite\":%s", q->sqlite ? "true" : "false");
  if (q->sqlite) {
    u64(f, "fullscan_steps", q->fullscan_steps);
    u64(f, "sorts", q->sorts);
    u64(f, "autoindexes", q->autoindexes);
    u64(f, "vm_steps", q->vm_steps);
  }
  fputs(",\"slowest\":[", f);
  for (uint32_t k = 0; k < q->n_slowest && k < FATHOM_QUERY_SLOWEST; k++) {
    fputs(k ? ",{\"ns\":" : "{\"ns\":", f);
    fz_json_write_double(f, q->slowest_ns[k]);
    fputs(",\"sql\":", f);
    fz_json_write_str(f, q->slowest_sql[k] ? q->slowest_sql[k] : "", 0);
    fputc('}', f);
  }
  fputs("]}", f);
}

void fz_json_queries(FILE *f, const fathom_query_info *q, uint32_t n) {
  fputc('[', f);
  for (uint32_t i = 0; q && i < n; i++) {
    fputs(i ? ",\n " : "\n ", f);
    put_query(f, &q[i]);
  }
  fputc(']', f);
}

void fz_json_put_queries(FILE *f, const fathom_profile *p) {
  if (!(p->n_queries && p->queries) && !p->queries_dropped) return;
  fputs(",\n\"queries\":", f);
  fz_json_queries(f, p->queries, p->queries ? p->n_queries : 0);
  fputs(",\n\"queries_dropped\":", f);
  fz_json_write_u64(f, p->queries_dropped);
}
