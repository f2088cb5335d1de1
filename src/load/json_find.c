/* json_find.c: the JSON loader's schema-3 part: findings (with their figures and
 * suggestions), SLA results and throughput (docs/json-schema.md, "Schema 3"), with the
 * members schema 4 added to SLAs (timed, actual_lo_ns, actual_hi_ns, met "not_enough_data")
 * and throughput (calls, timed), derived from the zones and counters in older files.
 *
 * Invariant: schemas 1 and 2 load with the three tables empty; a schema-3 document must
 * carry all three, every index must point into its table (or be null where the schema
 * allows it), every enum must be a known name, and the partial model stays freeable (each
 * table and sub-table is calloc'd and counted before its elements are filled). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_ld.h"

#define JF_MAX_ITEMS 4096   /* figures or suggestions per finding */

static int load_figures(jl_ctx *c, const json_t *o, const jp *ip, fathom_finding *d) {
  json_t *arr, *g;
  jp tp, gp;
  size_t n;
  int rc = jl_m_table(c, o, ip, "figures", JF_MAX_ITEMS, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&d->figures, n, sizeof *d->figures);
  if (rc) return rc;
  d->n_figures = (uint32_t)n;
  for (size_t k = 0; k < n && !rc; k++) {
    fathom_figure *x = &d->figures[k];
    rc = jl_element(c, arr, &tp, k, &g, &gp);
    if (!rc) rc = jl_m_str(c, g, &gp, "name", 0, &x->name);
    if (!rc) rc = jl_m_dbl(c, g, &gp, "value", &x->value);
    if (!rc) rc = jl_m_str(c, g, &gp, "unit", 0, &x->unit);
  }
  return rc;
}

static int load_suggestions(jl_ctx *c, const json_t *o, const jp *ip, fathom_finding *d) {
  json_t *arr;
  jp tp;
  size_t n;
  int rc = jl_m_table(c, o, ip, "suggestions", JF_MAX_ITEMS, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&d->suggestions, n, sizeof *d->suggestions);
  if (rc) return rc;
  d->n_suggestions = (uint32_t)n;
  for (size_t k = 0; k < n && !rc; k++) {
    jp sp = {&tp, NULL, k};
    rc = jl_str(c, json_array_get(arr, k), &sp, 0, &d->suggestions[k]);
  }
  return rc;
}

static int load_finding(jl_ctx *c, const json_t *o, const jp *ip, const fathom_profile *p,
                        fathom_finding *d) {
  static const char *const sev_names[] = {"info", "warning", "critical"};
  const char *cls_names[FATHOM_FIND_N];
  for (int k = 0; k < FATHOM_FIND_N; k++) cls_names[k] = fathom_finding_class_name(k);
  json_t *v;
  jp kp;
  int x = 0;
  int rc = jl_m_u32(c, o, ip, "rank", &d->rank);
  if (!rc) rc = jl_get(c, o, ip, "class", &v, &kp);
  if (!rc) rc = jl_enum(c, v, &kp, cls_names, FATHOM_FIND_N, &x);
  if (!rc) d->cls = (fathom_finding_class)x;
  if (!rc) rc = jl_get(c, o, ip, "severity", &v, &kp);
  if (!rc) rc = jl_enum(c, v, &kp, sev_names, 3, &x);
  if (!rc) d->severity = (fathom_severity)x;
  if (!rc) rc = jl_m_dbl(c, o, ip, "score", &d->score);
  if (!rc) rc = jl_get(c, o, ip, "zone", &v, &kp);
  if (!rc) rc = jl_index(c, v, &kp, p->n_zones, "zones", 1, &d->zone);
  if (!rc) rc = jl_get(c, o, ip, "node", &v, &kp);
  if (!rc) rc = jl_index(c, v, &kp, p->n_nodes, "nodes", 1, &d->node);
  if (!rc) rc = jl_m_str(c, o, ip, "path", 0, &d->path);
  if (!rc) rc = jl_m_str(c, o, ip, "summary", 0, &d->summary);
  if (!rc) rc = load_figures(c, o, ip, d);
  if (!rc) rc = load_suggestions(c, o, ip, d);
  if (!rc && d->rank == 0) {
    jp rp = {ip, "rank", 0};
    rc = jl_fail(c, FATHOM_E_FORMAT, &rp, "ranks start at 1");
  }
  return rc;
}

static int load_findings(jl_ctx *c, const json_t *root, fathom_profile *p) {
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "findings", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->findings, n, sizeof *p->findings);
  if (rc) return rc;
  p->n_findings = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = load_finding(c, o, &ip, p, &p->findings[i]);
  }
  return rc;
}

/* Schema 4: timed calls and the interval of the percentile; before: every call the
 * percentile rests on counted as timed, and an exact percentile. */
static int load_sla4(jl_ctx *c, const json_t *o, const jp *ip, fathom_sla_result *s) {
  if (c->version < 4) {
    s->timed = s->count;
    s->actual_lo_ns = s->actual_hi_ns = s->actual_ns;
    return 0;
  }
  int rc = jl_m_u64_upto(c, o, ip, "timed", &s->timed, s->count, "timed calls");
  if (!rc) rc = jl_m_dbl(c, o, ip, "actual_lo_ns", &s->actual_lo_ns);
  if (!rc) rc = jl_m_dbl(c, o, ip, "actual_hi_ns", &s->actual_hi_ns);
  if (!rc) {
    jp kp = {ip, "actual_lo_ns", 0};
    rc = jl_check_interval(c, &kp, s->actual_ns, s->actual_lo_ns, s->actual_hi_ns,
                           "actual_ns");
  }
  return rc;
}

/* Schema 4: calls and timed calls; before: the zone's (or the counter's updates). */
static int load_tput4(jl_ctx *c, const json_t *o, const jp *ip, const fathom_profile *p,
                      fathom_throughput_info *t) {
  if (c->version < 4) {
    if (t->kind == FATHOM_TPUT_ZONE) {
      const fathom_stats *st = &p->zones[t->index].stats;
      t->calls = st->count;
      t->timed = st->timed ? st->timed : st->count;
    } else {
      t->calls = p->counters[t->index].n_updates;
      t->timed = 0;
    }
    return 0;
  }
  int rc = jl_m_u64(c, o, ip, "calls", &t->calls);
  if (!rc) rc = jl_m_u64_upto(c, o, ip, "timed", &t->timed, t->calls, "timed calls");
  return rc;
}

static int load_slas(jl_ctx *c, const json_t *root, fathom_profile *p) {
  json_t *arr, *o, *v;
  jp tp, ip, kp;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "slas", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->slas, n, sizeof *p->slas);
  if (rc) return rc;
  p->n_slas = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_sla_result *s = &p->slas[i];
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_str(c, o, &ip, "zone_name", 0, &s->zone_name);
    if (!rc) rc = jl_get(c, o, &ip, "zone", &v, &kp);
    if (!rc) rc = jl_index(c, v, &kp, p->n_zones, "zones", 1, &s->zone);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "percentile", &s->percentile);
    if (!rc && !(s->percentile > 0 && s->percentile <= 100)) {
      jp qp = {&ip, "percentile", 0};
      rc = jl_fail(c, FATHOM_E_FORMAT, &qp, "must be in (0, 100]");
    }
    if (!rc) rc = jl_m_dbl(c, o, &ip, "target_ns", &s->target_ns);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "actual_ns", &s->actual_ns);
    if (!rc) rc = jl_m_u64(c, o, &ip, "count", &s->count);
    if (!rc) rc = jl_get(c, o, &ip, "met", &v, &kp);
    if (!rc) {
      if (json_is_null(v)) s->met = -1;
      else if (c->version >= 4 && json_is_string(v) &&
               strcmp(json_string_value(v), "not_enough_data") == 0)
        s->met = -2;
      else if (!json_is_boolean(v))
        rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "expected true, false, null%s, got %s",
                     c->version >= 4 ? " or \"not_enough_data\"" : "", jl_type_name(v));
      else rc = jl_bool(c, v, &kp, &s->met);
    }
    if (!rc) rc = load_sla4(c, o, &ip, s);
  }
  return rc;
}

static int load_throughput(jl_ctx *c, const json_t *root, fathom_profile *p) {
  static const char *const kinds[] = {"zone", "counter"};
  json_t *arr, *o, *v;
  jp tp, ip, kp;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "throughput", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->throughput, n, sizeof *p->throughput);
  if (rc) return rc;
  p->n_throughput = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_throughput_info *t = &p->throughput[i];
    int kind = 0;
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_get(c, o, &ip, "kind", &v, &kp);
    if (!rc) rc = jl_enum(c, v, &kp, kinds, 2, &kind);
    if (!rc) t->kind = (fathom_tput_kind)kind;
    if (!rc) rc = jl_get(c, o, &ip, "index", &v, &kp);
    if (!rc)
      rc = kind == FATHOM_TPUT_ZONE ? jl_index(c, v, &kp, p->n_zones, "zones", 0, &t->index)
                                    : jl_index(c, v, &kp, p->n_counters, "counters", 0, &t->index);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "mean_per_s", &t->mean_per_s);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "window_s", &t->window_s);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "last_per_s", &t->last_per_s);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "peak_per_s", &t->peak_per_s);
    if (!rc) rc = load_tput4(c, o, &ip, p, t);
  }
  return rc;
}

int jl_sections3(jl_ctx *c, const json_t *root, fathom_profile *p) {
  if (c->version < 3) return 0;
  int rc = load_findings(c, root, p);
  if (!rc) rc = load_slas(c, root, p);
  if (!rc) rc = load_throughput(c, root, p);
  return rc;
}
