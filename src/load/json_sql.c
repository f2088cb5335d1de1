/* json_sql.c: reads the profile's optional "queries" table (database statements, written by
 * src/view/json_sql.c) and "queries_dropped". Absent members: no statements.
 *
 * Invariant: as every jl_* reader: one message naming the offending value on failure, the
 * model left freeable. Times must be finite and not negative, at most FATHOM_QUERY_SLOWEST
 * slowest runs; the relations between the figures are fathom check's (model/check_sql.c). */
#include <math.h>

#include "json_ld.h"

/* Most statements a file may hold: every connection at its cap. */
#define MAX_QUERIES ((size_t)FATHOM_SQL_MAX_CONNECTIONS * FATHOM_SQL_MAX_STATEMENTS)

static int m_time(jl_ctx *c, const json_t *o, const jp *ip, const char *k, double *out) {
  int rc = jl_m_dbl(c, o, ip, k, out);
  if (!rc && !(*out >= 0 && isfinite(*out))) {
    jp kp = {ip, k, 0};
    rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "must be a finite number, not negative");
  }
  return rc;
}

static int load_one(jl_ctx *c, const json_t *o, const jp *ip, fathom_query_info *q) {
  static const char *const times[] = {"total_ns", "mean_ns", "min_ns", "max_ns",
                                      "p50_ns",   "p95_ns",  "p99_ns"};
  double *dst[] = {&q->total_ns, &q->mean_ns, &q->min_ns, &q->max_ns,
                   &q->p50_ns,   &q->p95_ns,  &q->p99_ns};
  int rc = jl_m_str(c, o, ip, "db", 0, &q->db);
  if (!rc) rc = jl_m_str(c, o, ip, "statement", 0, &q->statement);
  if (!rc) rc = jl_m_u64(c, o, ip, "count", &q->count);
  for (size_t k = 0; k < sizeof times / sizeof *times && !rc; k++)
    rc = m_time(c, o, ip, times[k], dst[k]);
  if (!rc) rc = jl_m_bool(c, o, ip, "percentiles_exact", &q->exact);
  if (!rc) rc = jl_m_u64(c, o, ip, "rows", &q->rows);
  if (!rc) rc = jl_m_bool(c, o, ip, "sqlite", &q->sqlite);
  if (!rc && q->sqlite) {
    rc = jl_m_u64(c, o, ip, "fullscan_steps", &q->fullscan_steps);
    if (!rc) rc = jl_m_u64(c, o, ip, "sorts", &q->sorts);
    if (!rc) rc = jl_m_u64(c, o, ip, "autoindexes", &q->autoindexes);
    if (!rc) rc = jl_m_u64(c, o, ip, "vm_steps", &q->vm_steps);
  }
  json_t *arr, *e;
  jp sp, ep;
  size_t m = 0;
  if (!rc) rc = jl_m_table(c, o, ip, "slowest", FATHOM_QUERY_SLOWEST, &arr, &sp, &m);
  for (size_t k = 0; k < m && !rc; k++) {
    rc = jl_element(c, arr, &sp, k, &e, &ep);
    if (!rc) rc = m_time(c, e, &ep, "ns", &q->slowest_ns[k]);
    if (!rc) rc = jl_m_str(c, e, &ep, "sql", 0, &q->slowest_sql[k]);
    if (!rc) q->n_slowest = (uint32_t)k + 1;
  }
  return rc;
}

int jl_queries(jl_ctx *c, const json_t *root, fathom_profile *p) {
  int rc = 0;
  if (json_object_get(root, "queries_dropped"))
    rc = jl_m_u64(c, root, NULL, "queries_dropped", &p->queries_dropped);
  if (rc || !json_object_get(root, "queries")) return rc;
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  rc = jl_m_table(c, root, NULL, "queries", MAX_QUERIES, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->queries, n, sizeof *p->queries);
  if (rc) return rc;
  p->n_queries = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = load_one(c, o, &ip, &p->queries[i]);
  }
  return rc;
}
