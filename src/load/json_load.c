/* json_load.c: reads a saved JSON profile (docs/json-schema.md) back into the model, with
 * jansson, validating every field: the entry points, the version check and the tables of
 * schema 1 (meta, zones, nodes, threads, counters, timeline). Schema 2's sections are read
 * by json_res.c, schema 3's by json_find.c, schema 4's by json_est.c, single values converted
 * by json_conv.c; the text is parsed by json_split.c (the big tables a chunk at a time, so a
 * load holds about the text and the model: ~2.5x the file), every allocation counted and
 * capped by json_mem.c. Schema 1 files load with every schema-2 field at its empty value; files of
 * schemas 1 to 3 get schema-4 figures derived from what they hold (json_est.c).
 *
 * Invariant: the partial model is always freeable: every table is calloc'd and its count set
 * before any element is filled, so on the first error fathom_profile_free releases exactly
 * what was built, *out stays NULL and err holds one line naming the file and the field
 * ("profile.json: nodes[12].parent: index 40 out of range (20 nodes)"). */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fathom_load.h"
#include "json_ld.h"
#include "model/model.h"

/* ---- composite values --------------------------------------------------------------- */

static int load_stats(jl_ctx *c, const json_t *obj, const jp *at, fathom_stats *st) {
  json_t *s;
  jp kp;
  int rc = jl_m_typed(c, obj, at, "stats", JSON_OBJECT, &s, &kp);
  if (!rc) rc = jl_m_u64(c, s, &kp, "count", &st->count);
  if (!rc && c->version >= 2)
    rc = jl_m_u64_upto(c, s, &kp, "timed", &st->timed, st->count, "timed calls");
  else if (!rc) st->timed = st->count;  /* schema 1: every call was timed */
  if (!rc) rc = jl_m_u64(c, s, &kp, "total_ns", &st->total_ns);
  if (!rc) rc = jl_m_u64(c, s, &kp, "self_ns", &st->self_ns);
  if (!rc) rc = jl_m_u64(c, s, &kp, "min_ns", &st->min_ns);
  if (!rc) rc = jl_m_u64(c, s, &kp, "max_ns", &st->max_ns);
  if (!rc) rc = jl_m_dbl(c, s, &kp, "mean_ns", &st->mean_ns);
  if (!rc) rc = jl_m_dbl(c, s, &kp, "stddev_ns", &st->stddev_ns);
  if (!rc) rc = jl_m_dbl(c, s, &kp, "p50_ns", &st->p50_ns);
  if (!rc) rc = jl_m_dbl(c, s, &kp, "p90_ns", &st->p90_ns);
  if (!rc) rc = jl_m_dbl(c, s, &kp, "p95_ns", &st->p95_ns);
  if (!rc) rc = jl_m_dbl(c, s, &kp, "p99_ns", &st->p99_ns);
  if (!rc) rc = jl_m_dbl(c, s, &kp, "p999_ns", &st->p999_ns);
  if (!rc && c->version >= 4) rc = jl_stats4(c, s, &kp, st);
  return rc;
}

/* {"unit_ns":u,"bucket":[...],"count":[...]}: unit optional (ns), finite and > 0; same
 * lengths, buckets strictly ascending and in range. */
static int load_hist(jl_ctx *c, const json_t *obj, const jp *at, fathom_hist *h) {
  json_t *hv, *bv, *cv;
  jp hp, bp, cp;
  int rc = jl_m_typed(c, obj, at, "hist", JSON_OBJECT, &hv, &hp);
  if (!rc) rc = jl_m_typed(c, hv, &hp, "bucket", JSON_ARRAY, &bv, &bp);
  if (!rc) rc = jl_m_typed(c, hv, &hp, "count", JSON_ARRAY, &cv, &cp);
  if (rc) return rc;
  json_t *uv = json_object_get(hv, "unit_ns");
  if (uv) {
    jp up = {&hp, "unit_ns", 0};
    rc = jl_double(c, uv, &up, &h->unit_ns);
    if (rc) return rc;
    if (!(h->unit_ns > 0) || !isfinite(h->unit_ns))
      return jl_fail(c, FATHOM_E_FORMAT, &up, "must be a positive number of nanoseconds");
  }
  size_t n = json_array_size(bv);
  if (json_array_size(cv) != n)
    return jl_fail(c, FATHOM_E_FORMAT, &hp, "%zu buckets but %zu counts", n,
                   json_array_size(cv));
  if (n > FATHOM_HIST_BUCKETS)
    return jl_fail(c, FATHOM_E_FORMAT, &bp, "%zu buckets, more than %d", n, FATHOM_HIST_BUCKETS);
  if (n == 0) return 0;
  h->bucket = jl_calloc(c, n, sizeof *h->bucket);
  h->count = jl_calloc(c, n, sizeof *h->count);
  h->n = (uint32_t)n;  /* set now: fz_hist_free releases whatever was allocated */
  if (!h->bucket || !h->count) return jl_nomem(c);
  for (size_t i = 0; i < n; i++) {
    jp ip = {&bp, NULL, i};
    uint32_t b = 0;
    rc = jl_u32(c, json_array_get(bv, i), &ip, &b);
    if (rc) return rc;
    if (b >= FATHOM_HIST_BUCKETS)
      return jl_fail(c, FATHOM_E_FORMAT, &ip, "bucket %u out of range (0 to %d)", b,
                     FATHOM_HIST_BUCKETS - 1);
    if (i > 0 && b <= h->bucket[i - 1])
      return jl_fail(c, FATHOM_E_FORMAT, &ip,
                     "bucket %u does not follow bucket %u (buckets must be strictly ascending)",
                     b, h->bucket[i - 1]);
    h->bucket[i] = b;
    jp cq = {&cp, NULL, i};
    rc = jl_u64(c, json_array_get(cv, i), &cq, &h->count[i]);
    if (rc) return rc;
  }
  return 0;
}

/* Member key of obj, a string or null, when present (absent: NULL). */
static int opt_str(jl_ctx *c, const json_t *obj, const jp *at, const char *key, char **out) {
  return json_object_get(obj, key) ? jl_m_str(c, obj, at, key, 1, out) : 0;
}

static int load_meta(jl_ctx *c, const json_t *root, fathom_meta *m) {
  static const char *const levels[] = {"disabled", "basic", "detailed", "comprehensive"};
  json_t *o, *lv;
  jp mp, lp;
  int level = 0;
  int rc = jl_m_typed(c, root, NULL, "meta", JSON_OBJECT, &o, &mp);
  if (!rc) rc = jl_m_str(c, o, &mp, "fathom_version", 1, &m->fathom_version);
  if (!rc) rc = jl_m_str(c, o, &mp, "session_name", 1, &m->session_name);
  if (!rc) rc = jl_m_u64(c, o, &mp, "session_id", &m->session_id);
  if (!rc) rc = jl_m_u64(c, o, &mp, "start_unix_ns", &m->start_unix_ns);
  if (!rc) rc = jl_m_u64(c, o, &mp, "duration_ns", &m->duration_ns);
  if (!rc) rc = jl_m_i64(c, o, &mp, "pid", &m->pid);
  if (!rc) rc = jl_m_str(c, o, &mp, "program", 1, &m->program);
  if (!rc) rc = jl_m_str(c, o, &mp, "host", 1, &m->host);
  if (!rc) rc = jl_m_str(c, o, &mp, "os", 1, &m->os);
  if (!rc) rc = jl_m_str(c, o, &mp, "kernel", 1, &m->kernel);
  if (!rc) rc = jl_m_str(c, o, &mp, "arch", 1, &m->arch);
  if (!rc) rc = jl_m_str(c, o, &mp, "cpu_model", 1, &m->cpu_model);
  if (!rc) rc = jl_m_u32(c, o, &mp, "n_cpus", &m->n_cpus);
  if (!rc) rc = jl_get(c, o, &mp, "level", &lv, &lp);
  if (!rc) rc = jl_enum(c, lv, &lp, levels, 4, &level);
  if (!rc) m->level = (fathom_level)level;
  if (!rc) rc = jl_m_str(c, o, &mp, "clock_source", 1, &m->clock_source);
  if (!rc) rc = jl_m_dbl(c, o, &mp, "clock_resolution_ns", &m->clock_resolution_ns);
  if (!rc) rc = jl_m_dbl(c, o, &mp, "clock_read_ns", &m->clock_read_ns);
  if (!rc) rc = jl_m_dbl(c, o, &mp, "tsc_hz", &m->tsc_hz);
  if (!rc) rc = jl_m_dbl(c, o, &mp, "zone_cost_ns", &m->zone_cost_ns);
  if (!rc) rc = jl_m_dbl(c, o, &mp, "overhead_ns", &m->overhead_ns);
  if (!rc) rc = jl_m_dbl(c, o, &mp, "overhead_pct", &m->overhead_pct);
  if (!rc) rc = jl_m_dbl(c, o, &mp, "cpu_time_ns", &m->cpu_time_ns);
  if (!rc) rc = jl_m_u64(c, o, &mp, "n_zones", &m->n_zones);
  if (!rc) rc = jl_m_u64(c, o, &mp, "dropped_zones", &m->dropped_zones);
  if (!rc) rc = jl_m_u64(c, o, &mp, "dropped_events", &m->dropped_events);
  if (!rc) rc = jl_m_u64(c, o, &mp, "misuse", &m->misuse);
  if (!rc) rc = jl_m_u64(c, o, &mp, "fathom_bytes", &m->fathom_bytes);
  if (!rc) rc = jl_meta2(c, o, &mp, m);
  if (!rc) rc = jl_meta4(c, o, &mp, m);
  if (!rc) rc = opt_str(c, o, &mp, "cut_short_by", &m->cut_short_by);
  if (!rc) rc = opt_str(c, o, &mp, "cut_short_path", &m->cut_short_path);
  return rc;
}


static int load_zones(jl_ctx *c, const json_t *root, fathom_profile *p) {
  static const char *const kinds[] = {"zone", "function"};
  json_t *arr, *o, *kv;
  jp tp, ip, kp;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "zones", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->zones, n, sizeof *p->zones);
  if (rc) return rc;
  p->n_zones = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_zone_info *z = &p->zones[i];
    int kind = 0;
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_str(c, o, &ip, "name", 0, &z->name);
    if (!rc) rc = jl_m_str(c, o, &ip, "component", 1, &z->component);
    if (!rc) rc = jl_m_str(c, o, &ip, "tags", 1, &z->tags);
    if (!rc) rc = jl_m_str(c, o, &ip, "file", 1, &z->file);
    if (!rc) rc = jl_m_str(c, o, &ip, "func", 1, &z->func);
    if (!rc) rc = jl_m_int(c, o, &ip, "line", &z->line);
    if (!rc) rc = jl_get(c, o, &ip, "kind", &kv, &kp);
    if (!rc) rc = jl_enum(c, kv, &kp, kinds, 2, &kind);
    if (!rc) z->kind = (fathom_zone_kind)kind;
    if (!rc) rc = load_stats(c, o, &ip, &z->stats);
    if (!rc) rc = load_hist(c, o, &ip, &z->hist);
    if (!rc)
      rc = jl_resource_members(c, o, &ip, &z->res, &z->alloc, &z->alloc_self, &z->flops, NULL,
                               &z->gov, &z->time_every);
    if (!rc)
      rc = jl_heap_peak(c, o, &ip, z->stats.count, &z->heap_peak_bytes, &z->heap_peak_calls);
    if (!rc && c->version < 4) {   /* schema-4 meaning of older figures */
      jl_stats_old(c, &z->stats, &z->hist);
      jl_res_old(&z->res, z->stats.count);
    }
  }
  return rc;
}

static int load_threads(jl_ctx *c, const json_t *root, fathom_profile *p) {
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "threads", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->threads, n, sizeof *p->threads);
  if (rc) return rc;
  p->n_threads = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_thread_info *t = &p->threads[i];
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_u64(c, o, &ip, "tid", &t->tid);
    if (!rc) rc = jl_m_str(c, o, &ip, "name", 1, &t->name);
    if (!rc) rc = jl_m_bool(c, o, &ip, "exited", &t->exited);
    if (!rc) rc = jl_m_u32(c, o, &ip, "n_open", &t->n_open);
    if (!rc) rc = jl_m_u64(c, o, &ip, "n_zones", &t->n_zones);
    if (!rc) rc = jl_m_u64(c, o, &ip, "n_dropped", &t->n_dropped);
    if (!rc && c->version >= 4) rc = jl_m_u64(c, o, &ip, "n_recorded", &t->n_recorded);
    if (!rc) rc = jl_thread_process(c, o, &ip, p, &t->process);
  }
  return rc;
}

static int load_counters(jl_ctx *c, const json_t *root, fathom_profile *p) {
  static const char *const kinds[] = {"counter", "gauge", "size"};
  json_t *arr, *o, *kv;
  jp tp, ip, kp;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "counters", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->counters, n, sizeof *p->counters);
  if (rc) return rc;
  p->n_counters = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_counter_info *ci = &p->counters[i];
    int kind = 0;
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_str(c, o, &ip, "name", 0, &ci->name);
    if (!rc) rc = jl_get(c, o, &ip, "kind", &kv, &kp);
    if (!rc) rc = jl_enum(c, kv, &kp, kinds, 3, &kind);
    if (!rc) ci->kind = (fathom_metric_kind)kind;
    if (!rc) rc = jl_m_u64(c, o, &ip, "n_updates", &ci->n_updates);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "value", &ci->value);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "total", &ci->total);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "min", &ci->min);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "max", &ci->max);
  }
  return rc;
}

static int load_metrics(jl_ctx *c, const json_t *o, const jp *at, fathom_node *nd) {
  json_t *arr, *mo;
  jp tp, ip;
  size_t n;
  int rc = jl_m_table(c, o, at, "metrics", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&nd->metrics, n, sizeof *nd->metrics);
  if (rc) return rc;
  nd->n_metrics = (uint32_t)n;
  for (size_t k = 0; k < n && !rc; k++) {
    fathom_metric_stats *ms = &nd->metrics[k];
    rc = jl_element(c, arr, &tp, k, &mo, &ip);
    if (!rc) rc = jl_m_str(c, mo, &ip, "name", 0, &ms->name);
    if (!rc) rc = jl_m_u64(c, mo, &ip, "count", &ms->count);
    if (!rc) rc = jl_m_dbl(c, mo, &ip, "sum", &ms->sum);
    if (!rc) rc = jl_m_dbl(c, mo, &ip, "min", &ms->min);
    if (!rc) rc = jl_m_dbl(c, mo, &ip, "max", &ms->max);
  }
  return rc;
}

/* Needs zones and threads loaded. Parents precede children, a child is one level deeper
 * than its parent and on the same thread, top-level nodes have depth 1. */
static int load_node(jl_ctx *c, const json_t *o, const jp *ip, fathom_profile *p, uint32_t i) {
  fathom_node *nd = &p->nodes[i];
  json_t *v;
  jp kp;
  int rc = jl_get(c, o, ip, "zone", &v, &kp);
  if (!rc) rc = jl_index(c, v, &kp, p->n_zones, "zones", 0, &nd->zone);
  if (!rc) rc = jl_get(c, o, ip, "thread", &v, &kp);
  if (!rc) rc = jl_index(c, v, &kp, p->n_threads, "threads", 0, &nd->thread);
  if (!rc) rc = jl_get(c, o, ip, "parent", &v, &kp);
  if (!rc) rc = jl_index(c, v, &kp, p->n_nodes, "nodes", 1, &nd->parent);
  if (rc) return rc;
  if (nd->parent != FATHOM_NONE && nd->parent >= i)
    return jl_fail(c, FATHOM_E_FORMAT, &kp,
                   "node %u does not precede its child (parents must come first)", nd->parent);
  rc = jl_m_u32(c, o, ip, "depth", &nd->depth);
  if (rc) return rc;
  if (nd->depth > JL_MAX_DEPTH)
    return jl_fail(c, FATHOM_E_FORMAT, ip,
                   "depth %u is deeper than fathom records (at most %u levels): not a profile "
                   "fathom wrote", nd->depth, JL_MAX_DEPTH);
  if (nd->parent == FATHOM_NONE && nd->depth != 1)
    return jl_fail(c, FATHOM_E_FORMAT, ip, "depth %u for a top-level node (expected 1)",
                   nd->depth);
  if (nd->parent != FATHOM_NONE) {
    const fathom_node *up = &p->nodes[nd->parent];
    if (nd->depth != up->depth + 1)
      return jl_fail(c, FATHOM_E_FORMAT, ip, "depth %u but its parent node %u has depth %u",
                     nd->depth, nd->parent, up->depth);
    if (nd->thread != up->thread)
      return jl_fail(c, FATHOM_E_FORMAT, ip, "thread %u but its parent node %u is on thread %u",
                     nd->thread, nd->parent, up->thread);
  }
  rc = load_stats(c, o, ip, &nd->stats);
  if (!rc) rc = load_hist(c, o, ip, &nd->hist);
  if (!rc) rc = load_metrics(c, o, ip, nd);
  if (!rc)
    rc = jl_resource_members(c, o, ip, &nd->res, &nd->alloc, &nd->alloc_self, &nd->flops,
                             &nd->flops_self, &nd->gov, &nd->time_every);
  if (!rc)
    rc = jl_heap_peak(c, o, ip, nd->stats.count, &nd->heap_peak_bytes, &nd->heap_peak_calls);
  if (!rc && c->version < 4) {
    jl_stats_old(c, &nd->stats, &nd->hist);
    jl_res_old(&nd->res, nd->stats.count);
  }
  return rc;
}

static int load_nodes(jl_ctx *c, const json_t *root, fathom_profile *p) {
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "nodes", UINT32_MAX - 1, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->nodes, n, sizeof *p->nodes);
  if (rc) return rc;
  p->n_nodes = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = load_node(c, o, &ip, p, (uint32_t)i);
  }
  return rc;
}


static int load_timeline(jl_ctx *c, const json_t *root, fathom_profile *p) {
  static const char ev_shape[] = "[thread,zone,depth,ts_ns,dur_ns]";
  static const char cev_shape[] = "[counter,thread,ts_ns,value]";
  json_t *tl, *arr, *e;
  jp lp, tp, ip;
  size_t n;
  int rc = jl_m_typed(c, root, NULL, "timeline", JSON_OBJECT, &tl, &lp);
  if (!rc) rc = jl_m_bool(c, tl, &lp, "recorded", &p->timeline);
  if (!rc) rc = jl_m_table(c, tl, &lp, "events", SIZE_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->events, n, sizeof *p->events);
  if (rc) return rc;
  p->n_events = n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_event *ev = &p->events[i];
    jp xp[5];
    rc = jl_tuple(c, arr, &tp, i, 5, ev_shape, &e, &ip);
    for (size_t k = 0; k < 5; k++) xp[k] = (jp){&ip, NULL, k};
    if (!rc) rc = jl_index(c, json_array_get(e, 0), &xp[0], p->n_threads, "threads", 0,
                           &ev->thread);
    if (!rc) rc = jl_index(c, json_array_get(e, 1), &xp[1], p->n_zones, "zones", 0, &ev->zone);
    if (!rc) rc = jl_u32(c, json_array_get(e, 2), &xp[2], &ev->depth);
    if (!rc) rc = jl_u64(c, json_array_get(e, 3), &xp[3], &ev->ts_ns);
    if (!rc) rc = jl_u64(c, json_array_get(e, 4), &xp[4], &ev->dur_ns);
    if (!rc && i > 0 && ev->ts_ns < ev[-1].ts_ns)
      rc = jl_fail(c, FATHOM_E_FORMAT, &xp[3],
                   "ts_ns %llu is before the previous event's %llu (events must be sorted)",
                   (unsigned long long)ev->ts_ns, (unsigned long long)ev[-1].ts_ns);
  }
  if (!rc) rc = jl_m_table(c, tl, &lp, "counter_events", SIZE_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->counter_events, n, sizeof *p->counter_events);
  if (rc) return rc;
  p->n_counter_events = n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_counter_event *ce = &p->counter_events[i];
    jp xp[4];
    rc = jl_tuple(c, arr, &tp, i, 4, cev_shape, &e, &ip);
    for (size_t k = 0; k < 4; k++) xp[k] = (jp){&ip, NULL, k};
    if (!rc) rc = jl_index(c, json_array_get(e, 0), &xp[0], p->n_counters, "counters", 0,
                           &ce->counter);
    if (!rc) rc = jl_index(c, json_array_get(e, 1), &xp[1], p->n_threads, "threads", 1,
                           &ce->thread);
    if (!rc) rc = jl_u64(c, json_array_get(e, 2), &xp[2], &ce->ts_ns);
    if (!rc) rc = jl_double(c, json_array_get(e, 3), &xp[3], &ce->value);
  }
  return rc;
}

/* Checks format and schema_version, then builds the model. */
static int load_root(jl_ctx *c, const json_t *root, fathom_profile **out) {
  json_t *v;
  jp kp;
  if (!json_is_object(root))
    return jl_fail(c, FATHOM_E_FORMAT, NULL, "not a fathom profile (the top level is %s)",
                   jl_type_name(root));
  int rc = jl_get(c, root, NULL, "format", &v, &kp);
  if (rc) return jl_fail(c, rc, &kp, "missing (not a fathom profile)");
  if (!json_is_string(v))
    return jl_fail(c, FATHOM_E_FORMAT, &kp,
                   "expected \"fathom-profile\", got %s (not a fathom profile)", jl_type_name(v));
  if (strcmp(json_string_value(v), "fathom-profile") != 0)
    return jl_fail(c, FATHOM_E_FORMAT, &kp,
                   "\"%.40s\" is not \"fathom-profile\" (not a fathom profile)",
                   json_string_value(v));
  int64_t version = 0;
  rc = jl_m_i64(c, root, NULL, "schema_version", &version);
  if (rc) return rc;
  if (version < FATHOM_LOAD_MIN_SCHEMA || version > FATHOM_SCHEMA_VERSION)
    return jl_fail(c, FATHOM_E_VERSION, NULL,
                   "schema version %lld is not supported (this fathom reads %d to %d)",
                   (long long)version, FATHOM_LOAD_MIN_SCHEMA, FATHOM_SCHEMA_VERSION);
  c->version = (int)version;

  fathom_profile *p = jl_calloc(c, 1, sizeof *p);
  if (!p) return jl_nomem(c);
  p->meta.schema_version = (int)version;
  rc = load_meta(c, root, &p->meta);
  if (!rc) rc = load_zones(c, root, p);
  if (!rc) rc = jl_processes(c, root, p);
  if (!rc) rc = load_threads(c, root, p);
  if (!rc) rc = load_counters(c, root, p);
  if (!rc) rc = load_nodes(c, root, p);
  if (!rc && version < 4) jl_meta_old_timed(p);
  if (!rc) rc = load_timeline(c, root, p);
  if (!rc) rc = jl_sections2(c, root, p);
  if (!rc) rc = jl_sections3(c, root, p);
  if (!rc) rc = jl_lines(c, root, p);
  if (!rc) rc = jl_attempts(c, root, p);
  if (!rc) rc = jl_outcome_events(c, root, p);
  if (!rc) rc = jl_locks(c, root, p);
  if (!rc) rc = jl_rankings(c, root, p);
  if (!rc) rc = jl_queries(c, root, p);
  if (!rc) rc = jl_gpu_zones(c, root, p);
  if (!rc) rc = jl_requests(c, root, p);
  if (!rc) rc = jl_windows(c, root, p);
  if (!rc) rc = jl_levels(c, root, p);
  if (!rc) rc = jl_ext(c, root, p);
  if (rc) {
    fathom_profile_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

/* ---- entry points ------------------------------------------------------------------- */

static int load_mem(jl_ctx *c, const char *buf, size_t len, fathom_profile **out) {
  if (len > FATHOM_LOAD_MAX_BYTES)
    return jl_fail(c, FATHOM_E_LIMIT, NULL, "%zu bytes, more than the limit of %zu", len,
                   FATHOM_LOAD_MAX_BYTES);
  if (len == 0) return jl_fail(c, FATHOM_E_FORMAT, NULL, "empty (not a fathom profile)");
  c->in_len = len;
  json_t *root = NULL;
  int rc = jl_doc_open(c, buf, len, &root);
  if (!rc) rc = load_root(c, root, out);
  if (!rc) rc = jl_doc_finish(c);   /* what the loader did not read must be JSON too */
  if (rc && *out) {
    fathom_profile_free(*out);
    *out = NULL;
  }
  json_decref(root);
  jl_doc_close(c);
  return rc;
}

/* Ends a load under the memory count: an allocation that failed or passed the cap makes it
 * fail as "out of memory", whatever the failure caused downstream. */
static int finish_load(jl_ctx *c, int rc, fathom_profile **out) {
  if (c->mem_short) rc = jl_nomem(c);
  if (rc && *out) {
    fathom_profile_free(*out);
    *out = NULL;
  }
  jl_mem_end(c);
  return rc;
}

int fathom_profile_load_buffer(const char *buf, size_t len, fathom_profile **out, char *err,
                               size_t errlen) {
  jl_ctx c = {.err = err, .errlen = errlen, .version = FATHOM_SCHEMA_VERSION};
  if (err && errlen) err[0] = 0;
  if (!out) return jl_fail(&c, FATHOM_E_INVAL, NULL, "no output pointer");
  *out = NULL;
  if (!buf && len) return jl_fail(&c, FATHOM_E_INVAL, NULL, "no buffer");
  jl_mem_begin(&c);
  return finish_load(&c, load_mem(&c, buf ? buf : "", len, out), out);
}

/* Reads all of fp into *buf (at most FATHOM_LOAD_MAX_BYTES). */
static int read_all(jl_ctx *c, FILE *fp, char **buf, size_t *len) {
  struct stat st;
  size_t cap = 1 << 16, n = 0;
  *buf = NULL;
  *len = 0;
  if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) {
    if ((uint64_t)st.st_size > FATHOM_LOAD_MAX_BYTES)
      return jl_fail(c, FATHOM_E_LIMIT, NULL, "%llu bytes, more than the limit of %zu",
                     (unsigned long long)st.st_size, FATHOM_LOAD_MAX_BYTES);
    cap = (size_t)st.st_size + 1;  /* +1: the read that sees end of file */
    c->in_len = (size_t)st.st_size;
  }
  char *b = jl_malloc(c, cap);
  if (!b) return jl_nomem(c);
  for (;;) {
    if (n == cap) {
      if (cap > FATHOM_LOAD_MAX_BYTES) {
        free(b);
        return jl_fail(c, FATHOM_E_LIMIT, NULL, "more than the limit of %zu bytes",
                       FATHOM_LOAD_MAX_BYTES);
      }
      size_t ncap = cap * 2 > FATHOM_LOAD_MAX_BYTES + 1 ? FATHOM_LOAD_MAX_BYTES + 1 : cap * 2;
      char *nb = jl_realloc(c, b, ncap);
      if (!nb) {
        free(b);
        return jl_nomem(c);
      }
      b = nb;
      cap = ncap;
    }
    size_t got = fread(b + n, 1, cap - n, fp);
    n += got;
    if (got == 0) break;
  }
  if (ferror(fp)) {
    int e = errno;
    free(b);
    return jl_fail(c, FATHOM_E_IO, NULL, "cannot read: %s", strerror(e));
  }
  *buf = b;
  *len = n;
  return 0;
}

int fathom_profile_load(const char *path, fathom_profile **out, char *err, size_t errlen) {
  jl_ctx c = {.err = err, .errlen = errlen, .name = path, .version = FATHOM_SCHEMA_VERSION};
  if (err && errlen) err[0] = 0;
  if (!out) return jl_fail(&c, FATHOM_E_INVAL, NULL, "no output pointer");
  *out = NULL;
  if (!path || !*path) {
    c.name = NULL;
    return jl_fail(&c, FATHOM_E_INVAL, NULL, "no file name");
  }
  int is_stdin = strcmp(path, "-") == 0;
  if (is_stdin) c.name = "<stdin>";
  FILE *fp = is_stdin ? stdin : fopen(path, "rb");
  if (!fp) return jl_fail(&c, FATHOM_E_IO, NULL, "cannot open: %s", strerror(errno));
  char *buf;
  size_t len;
  jl_mem_begin(&c);
  int rc = read_all(&c, fp, &buf, &len);
  if (!is_stdin) fclose(fp);
  if (!rc) rc = load_mem(&c, buf, len, out);
  free(buf);
  return finish_load(&c, rc, out);
}
