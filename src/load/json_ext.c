/* load/json_ext.c: reads the profile's optional "extensions" member (written by
 * src/view/json_ext.c): the extensions' descriptions, sample rows, report sections and their
 * metrics' figures per call path; then the zones' figures are derived from the paths'.
 * Absent member: no extensions.
 *
 * Invariant: as every jl_* reader: one message naming the offending value on failure, the
 * model left freeable. Names non-empty and distinct (extensions; metrics within one), at most
 * FATHOM_EXT_MAX extensions of 1 to FATHOM_EXT_METRICS_MAX metrics, flags known, series
 * columns the metrics' names, node and metric indices in range and each (node, metric) once,
 * figures finite and errors not negative. The relations between figures are fathom check's
 * (model/check_ext.c). */
#include <math.h>
#include <string.h>

#include "load/json_ld.h"
#include "record/ext.h"

static int name_list_ok(jl_ctx *c, const jp *kp, char *const *names, size_t k, const char *what) {
  if (!names[k][0]) return jl_fail(c, FATHOM_E_FORMAT, kp, "empty %s name", what);
  for (size_t j = 0; j < k; j++)
    if (strcmp(names[j], names[k]) == 0)
      return jl_fail(c, FATHOM_E_FORMAT, kp, "%s \"%.40s\" repeats the one at %zu", what,
                     names[k], j);
  return 0;
}

static int load_flags(jl_ctx *c, const json_t *o, const jp *ip, uint32_t *flags) {
  json_t *arr;
  jp fp;
  int rc = jl_m_typed(c, o, ip, "flags", JSON_ARRAY, &arr, &fp);
  for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
    jp kp = {&fp, NULL, i};
    const json_t *v = json_array_get(arr, i);
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (s && strcmp(s, "every_call") == 0)
      *flags |= FATHOM_EXT_EVERY_CALL;
    else if (s && strcmp(s, "signed") == 0)
      *flags |= FATHOM_EXT_SIGNED;
    else
      rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "unknown flag (\"every_call\" or \"signed\")");
  }
  return rc;
}

static int load_series(jl_ctx *c, const json_t *o, const jp *ip, fathom_ext_info *x) {
  json_t *so, *cols, *rows, *row;
  jp sp, cp, rp, rip;
  size_t nc, n;
  fathom_series *se = &x->series;
  int rc = jl_m_typed(c, o, ip, "series", JSON_OBJECT, &so, &sp);
  if (!rc) rc = jl_m_dbl(c, so, &sp, "interval_s", &se->interval_s);
  if (!rc) rc = jl_m_table(c, so, &sp, "columns", FATHOM_EXT_METRICS_MAX, &cols, &cp, &nc);
  if (!rc && nc != x->n_metrics)
    rc = jl_fail(c, FATHOM_E_FORMAT, &cp, "%zu columns for %u metrics", nc, x->n_metrics);
  if (!rc) rc = jl_alloc_table(c, (void **)&se->cols, nc, sizeof *se->cols);
  if (rc) return rc;
  se->n_cols = (uint32_t)nc;
  for (size_t k = 0; k < nc && !rc; k++) {
    jp kp = {&cp, NULL, k};
    rc = jl_str(c, json_array_get(cols, k), &kp, 0, &se->cols[k]);
    if (!rc && strcmp(se->cols[k], x->metrics[k].name) != 0)
      rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "column \"%.40s\" is not metric %zu's name", se->cols[k], k);
  }
  if (!rc) rc = jl_m_table(c, so, &sp, "rows", 1u << 20, &rows, &rp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&se->ts_ns, n, sizeof *se->ts_ns);
  if (!rc) rc = jl_alloc_table(c, (void **)&se->v, n * nc, sizeof *se->v);
  if (rc) return rc;
  se->n = n;
  for (size_t i = 0; i < n && !rc; i++) {
    rc = jl_tuple(c, rows, &rp, i, nc + 1, "[ts_ns and a value per metric]", &row, &rip);
    jp tsp = {&rip, NULL, 0};
    if (!rc) rc = jl_u64(c, json_array_get(row, 0), &tsp, &se->ts_ns[i]);
    if (!rc && i > 0 && se->ts_ns[i] < se->ts_ns[i - 1])
      rc = jl_fail(c, FATHOM_E_FORMAT, &tsp, "ts_ns is before the previous row's (rows must be sorted)");
    for (size_t k = 0; k < nc && !rc; k++) {
      jp vp = {&rip, NULL, k + 1};
      rc = jl_double(c, json_array_get(row, k + 1), &vp, &se->v[i * nc + k]);
    }
  }
  return rc;
}

static int fig(jl_ctx *c, const json_t *row, const jp *ip, size_t at, int se, double *out) {
  jp vp = {ip, NULL, at};
  int rc = jl_double(c, json_array_get(row, at), &vp, out);
  if (!rc && !isfinite(*out)) rc = jl_fail(c, FATHOM_E_FORMAT, &vp, "must be a finite number");
  if (!rc && se && *out < 0) rc = jl_fail(c, FATHOM_E_FORMAT, &vp, "a standard error, not negative");
  return rc;
}

static int load_nodes(jl_ctx *c, const json_t *o, const jp *ip, fathom_profile *p,
                      const fathom_ext_info *x, unsigned char *seen) {
  json_t *arr, *row;
  jp tp, rip;
  size_t n;
  int rc = jl_m_table(c, o, ip, "nodes", (size_t)p->n_nodes * x->n_metrics, &arr, &tp, &n);
  for (size_t i = 0; i < n && !rc; i++) {
    rc = jl_tuple(c, arr, &tp, i, 7, "[node, metric, samples, total, total_se, self, self_se]",
                  &row, &rip);
    uint32_t node = 0, k = 0;
    jp np = {&rip, NULL, 0}, kp = {&rip, NULL, 1}, sp = {&rip, NULL, 2};
    if (!rc) rc = jl_index(c, json_array_get(row, 0), &np, p->n_nodes, "nodes", 0, &node);
    if (!rc) rc = jl_index(c, json_array_get(row, 1), &kp, x->n_metrics, "metrics", 0, &k);
    if (rc) break;
    size_t at = (size_t)node * FATHOM_EXT_METRICS_MAX + k;
    if (seen[at]) {
      rc = jl_fail(c, FATHOM_E_FORMAT, &rip, "node %u, metric %u given twice", node, k);
      break;
    }
    seen[at] = 1;
    fathom_ext_value *v = &p->nodes[node].ext[x->first + k];
    rc = jl_u64(c, json_array_get(row, 2), &sp, &v->samples);
    if (!rc) rc = fig(c, row, &rip, 3, 0, &v->total);
    if (!rc) rc = fig(c, row, &rip, 4, 1, &v->total_se);
    if (!rc) rc = fig(c, row, &rip, 5, 0, &v->self);
    if (!rc) rc = fig(c, row, &rip, 6, 1, &v->self_se);
  }
  return rc;
}

static int load_desc(jl_ctx *c, const json_t *o, const jp *ip, const fathom_profile *p,
                     uint32_t e, fathom_ext_info *x) {
  json_t *arr, *m;
  jp tp, mp;
  size_t n;
  int rc = jl_m_str(c, o, ip, "name", 0, &x->name);
  if (!rc) {
    char *names[FATHOM_EXT_MAX];
    for (uint32_t j = 0; j <= e; j++) names[j] = p->exts[j].name;
    jp kp = {ip, "name", 0};
    rc = name_list_ok(c, &kp, names, e, "extension");
  }
  if (!rc) rc = load_flags(c, o, ip, &x->flags);
  if (!rc) rc = jl_m_table(c, o, ip, "metrics", FATHOM_EXT_METRICS_MAX, &arr, &tp, &n);
  if (!rc && n == 0) rc = jl_fail(c, FATHOM_E_FORMAT, &tp, "no metrics (at least one)");
  if (!rc) rc = jl_alloc_table(c, (void **)&x->metrics, n, sizeof *x->metrics);
  if (rc) return rc;
  x->n_metrics = (uint32_t)n;
  char *names[FATHOM_EXT_METRICS_MAX];
  for (size_t k = 0; k < n && !rc; k++) {
    rc = jl_element(c, arr, &tp, k, &m, &mp);
    if (!rc) rc = jl_m_str(c, m, &mp, "name", 0, &x->metrics[k].name);
    if (!rc) rc = jl_m_str(c, m, &mp, "unit", 0, &x->metrics[k].unit);
    if (!rc) rc = jl_m_dbl(c, m, &mp, "threshold", &x->metrics[k].threshold);
    if (!rc) {
      names[k] = x->metrics[k].name;
      jp kp = {&mp, "name", 0};
      rc = name_list_ok(c, &kp, names, k, "metric");
    }
  }
  if (!rc) rc = jl_m_str(c, o, ip, "report", 1, &x->report);
  if (!rc) rc = load_series(c, o, ip, x);
  return rc;
}

int jl_ext(jl_ctx *c, const json_t *root, fathom_profile *p) {
  if (!json_object_get(root, "extensions")) return 0;
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "extensions", FATHOM_EXT_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->exts, n, sizeof *p->exts);
  if (rc || n == 0) return rc;
  p->n_exts = (uint32_t)n;
  uint32_t first = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = load_desc(c, o, &ip, p, (uint32_t)i, &p->exts[i]);
    p->exts[i].first = first;
    first += p->exts[i].n_metrics;
  }
  if (rc) return rc;
  p->n_ext_metrics = first;
  for (uint32_t i = 0; i < p->n_nodes && !rc; i++)
    rc = jl_alloc_table(c, (void **)&p->nodes[i].ext, first, sizeof *p->nodes[i].ext);
  unsigned char *seen = NULL;
  if (!rc)
    rc = jl_alloc_table(c, (void **)&seen, (size_t)(p->n_nodes ? p->n_nodes : 1) * FATHOM_EXT_METRICS_MAX, 1);
  for (size_t i = 0; i < n && !rc; i++) {
    memset(seen, 0, (size_t)(p->n_nodes ? p->n_nodes : 1) * FATHOM_EXT_METRICS_MAX);
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = load_nodes(c, o, &ip, p, &p->exts[i], seen);
  }
  free(seen);
  if (!rc && fz_ext_zones(p)) rc = jl_nomem(c);
  return rc;
}
