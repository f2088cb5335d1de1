/* json_res.c: the JSON loader's schema-2 part: the resource members of zones and nodes
 * (res, alloc, alloc_self, flops, flops_self, gov, time_every), the new meta members, and the
 * session-wide sections (resources, probes, gpus, series, mem_snapshots, gov_actions).
 *
 * Invariant: a schema-1 document gets every schema-2 field at its empty value (nothing
 * measured: zero counts, NaN resource figures, time_every 1, empty tables); a schema-2
 * document must carry every section, and each value is checked like the schema-1 ones (types,
 * ranges, indices, equal lengths of parallel arrays, ascending series timestamps), with one
 * message naming the first offending value. Zone and node members may be absent (their empty
 * value), which is how the writer leaves out what was not measured. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "json_ld.h"
#include "model/model.h"

#define JL_MAX_COLUMNS 4096  /* series columns: 17 + 5 per GPU; far above any real machine */

/* ---- zones and nodes ---------------------------------------------------------------- */

static int load_res(jl_ctx *c, const json_t *v, const jp *at, fathom_res *r) {
  json_t *sum, *x;
  jp sp;
  const char *k;
  int rc = jl_want(c, v, at, JSON_OBJECT, "an object");
  if (!rc) rc = jl_m_u64(c, v, at, "samples", &r->samples);
  if (!rc) rc = jl_m_u32(c, v, at, "sample_every", &r->sample_every);
  if (!rc) rc = jl_m_typed(c, v, at, "sum", JSON_OBJECT, &sum, &sp);
  if (rc) return rc;
  json_object_foreach(sum, k, x) {
    int id = fz_res_parse(k);
    if (id < 0) continue;  /* a measurement this reader does not know: ignored */
    jp xp = {&sp, k, 0};
    rc = jl_double(c, x, &xp, &r->sum[id]);
    if (rc) return rc;
    r->mask |= 1u << id;
  }
  return 0;
}

static int load_alloc(jl_ctx *c, const json_t *v, const jp *at, fathom_alloc *a) {
  int rc = jl_want(c, v, at, JSON_OBJECT, "an object");
  if (!rc) rc = jl_m_u64(c, v, at, "alloc_count", &a->alloc_count);
  if (!rc) rc = jl_m_u64(c, v, at, "alloc_bytes", &a->alloc_bytes);
  if (!rc) rc = jl_m_u64(c, v, at, "free_count", &a->free_count);
  if (!rc) rc = jl_m_u64(c, v, at, "free_bytes", &a->free_bytes);
  if (!rc) rc = jl_m_u64(c, v, at, "live_count", &a->live_count);
  if (!rc) rc = jl_m_u64(c, v, at, "live_bytes", &a->live_bytes);
  if (!rc) rc = jl_m_dbl(c, v, at, "growth_bytes_per_call", &a->growth_bytes_per_call);
  /* optional: sampled allocations (fathom run --alloc); absent from exact and older files */
  if (!rc && json_object_get(v, "line")) rc = jl_m_u32(c, v, at, "line", &a->line);
  if (!rc && json_object_get(v, "peak_count"))
    rc = jl_m_u64(c, v, at, "peak_count", &a->peak_count);
  if (!rc && json_object_get(v, "peak_bytes"))
    rc = jl_m_u64(c, v, at, "peak_bytes", &a->peak_bytes);
  static const char *const se_key[] = {"alloc_count_se", "alloc_bytes_se", "free_count_se",
                                       "free_bytes_se",  "live_count_se",  "live_bytes_se",
                                       "peak_count_se",  "peak_bytes_se"};
  double *se_val[] = {&a->alloc_count_se, &a->alloc_bytes_se, &a->free_count_se,
                      &a->free_bytes_se,  &a->live_count_se,  &a->live_bytes_se,
                      &a->peak_count_se,  &a->peak_bytes_se};
  for (size_t i = 0; !rc && i < sizeof se_key / sizeof se_key[0]; i++)
    if (json_object_get(v, se_key[i])) rc = jl_m_dbl(c, v, at, se_key[i], se_val[i]);
  return rc;
}

/* One governor action name (or the number of one known FATHOM_GOV_* bit). */
static int load_gov_bit(jl_ctx *c, const json_t *v, const jp *at, uint32_t *bit) {
  if (json_is_string(v)) {
    *bit = fz_gov_parse(json_string_value(v));
    if (*bit) return 0;
    return jl_fail(c, FATHOM_E_FORMAT, at,
                   "unknown governor action \"%.40s\" (probes_thinned, downgraded, time_sampled)",
                   json_string_value(v));
  }
  uint32_t x = 0;
  int rc = jl_u32(c, v, at, &x);
  if (rc) return rc;
  if (!fz_gov_name(x))
    return jl_fail(c, FATHOM_E_FORMAT, at, "%u is not a governor action (1, 2 or 4)", x);
  *bit = x;
  return 0;
}

/* Governor bits: a list of action names, or the integer bit set. */
static int load_gov(jl_ctx *c, const json_t *v, const jp *at, uint32_t *gov) {
  if (json_is_integer(v) || json_is_string(v)) return jl_u32(c, v, at, gov);
  if (!json_is_array(v))
    return jl_fail(c, FATHOM_E_FORMAT, at, "expected a list of governor actions, got %s",
                   jl_type_name(v));
  *gov = 0;
  for (size_t i = 0; i < json_array_size(v); i++) {
    jp ip = {at, NULL, i};
    uint32_t bit = 0;
    int rc = load_gov_bit(c, json_array_get(v, i), &ip, &bit);
    if (rc) return rc;
    *gov |= bit;
  }
  return 0;
}

int jl_resource_members(jl_ctx *c, const json_t *o, const jp *ip, fathom_res *res,
                        fathom_alloc *alloc, fathom_alloc *alloc_self, double *flops,
                        double *flops_self, uint32_t *gov, uint32_t *time_every) {
  memset(res, 0, sizeof *res);
  memset(alloc, 0, sizeof *alloc);
  memset(alloc_self, 0, sizeof *alloc_self);
  *flops = 0;
  if (flops_self) *flops_self = 0;
  *gov = 0;
  *time_every = 1;
  if (c->version < 2) return 0;
  json_t *v;
  int rc = 0;
  if ((v = json_object_get(o, "res")) != NULL) {
    jp kp = {ip, "res", 0};
    rc = load_res(c, v, &kp, res);
  }
  if (!rc && (v = json_object_get(o, "alloc")) != NULL) {
    jp kp = {ip, "alloc", 0};
    rc = load_alloc(c, v, &kp, alloc);
  }
  if (!rc && (v = json_object_get(o, "alloc_self")) != NULL) {
    jp kp = {ip, "alloc_self", 0};
    rc = load_alloc(c, v, &kp, alloc_self);
  }
  if (!rc && (v = json_object_get(o, "flops")) != NULL) {
    jp kp = {ip, "flops", 0};
    rc = jl_double(c, v, &kp, flops);
  }
  if (!rc && flops_self && (v = json_object_get(o, "flops_self")) != NULL) {
    jp kp = {ip, "flops_self", 0};
    rc = jl_double(c, v, &kp, flops_self);
  }
  if (!rc && (v = json_object_get(o, "gov")) != NULL) {
    jp kp = {ip, "gov", 0};
    rc = load_gov(c, v, &kp, gov);
  }
  if (!rc && (v = json_object_get(o, "time_every")) != NULL) {
    jp kp = {ip, "time_every", 0};
    rc = jl_u32(c, v, &kp, time_every);
  }
  return rc;
}

int jl_heap_peak(jl_ctx *c, const json_t *o, const jp *ip, uint64_t count, double *bytes,
                 uint64_t *calls) {
  *bytes = 0;
  *calls = 0;
  json_t *v = json_object_get(o, "heap_peak");
  if (!v) return 0;
  jp kp = {ip, "heap_peak", 0};
  int rc = jl_want(c, v, &kp, JSON_OBJECT, "an object");
  if (!rc) rc = jl_m_dbl(c, v, &kp, "bytes", bytes);
  if (!rc) rc = jl_m_u64_upto(c, v, &kp, "calls", calls, count, "calls measured");
  if (!rc && !(*bytes >= 0)) {
    jp bp = {&kp, "bytes", 0};
    rc = jl_fail(c, FATHOM_E_FORMAT, &bp, "must be a number >= 0");
  }
  return rc;
}

/* ---- meta --------------------------------------------------------------------------- */

int jl_meta2(jl_ctx *c, const json_t *o, const jp *mp, fathom_meta *m) {
  if (c->version < 2) {  /* dropped_hist was written by no schema-1 writer; take it if there */
    json_t *v = json_object_get(o, "dropped_hist");
    jp kp = {mp, "dropped_hist", 0};
    m->dropped_hist = 0;
    return v ? jl_u64(c, v, &kp, &m->dropped_hist) : 0;
  }
  int rc = jl_m_u64(c, o, mp, "dropped_hist", &m->dropped_hist);
  if (!rc) rc = jl_m_dbl(c, o, mp, "overhead_budget_pct", &m->overhead_budget_pct);
  if (!rc) rc = jl_m_bool(c, o, mp, "governor", &m->governor);
  if (!rc) rc = jl_m_dbl(c, o, mp, "probe_cost_ns", &m->probe_cost_ns);
  if (!rc) rc = jl_m_dbl(c, o, mp, "monitor_cpu_ns", &m->monitor_cpu_ns);
  if (!rc) rc = jl_m_u32(c, o, mp, "sample_every", &m->sample_every);
  if (!rc) rc = jl_m_bool(c, o, mp, "alloc_tracking", &m->alloc_tracking);
  if (!rc) rc = jl_m_u64(c, o, mp, "dropped_snapshots", &m->dropped_snapshots);
  return rc;
}

/* ---- resources ---------------------------------------------------------------------- */

#define JL_RD(f) {#f, offsetof(fathom_resources, f)}
static const struct {
  const char *name;
  size_t off;
} res_doubles[] = {
    JL_RD(wall_s), JL_RD(cpu_user_s), JL_RD(cpu_sys_s), JL_RD(cpu_pct_mean),
    JL_RD(cpu_pct_max), JL_RD(rss_initial_bytes), JL_RD(rss_peak_bytes),
    JL_RD(rss_final_bytes), JL_RD(vm_peak_bytes), JL_RD(sys_mem_total_bytes),
    JL_RD(sys_mem_used_pct_max), JL_RD(read_bytes), JL_RD(write_bytes),
    JL_RD(disk_read_bytes), JL_RD(disk_write_bytes), JL_RD(net_rx_bytes), JL_RD(net_tx_bytes),
    JL_RD(ctx_vol), JL_RD(ctx_invol), JL_RD(minflt), JL_RD(majflt), JL_RD(gpu_mem_peak_bytes),
    JL_RD(gpu_util_mean_pct), JL_RD(gpu_util_max_pct), JL_RD(cpu_energy_j),
    JL_RD(gpu_energy_j), JL_RD(energy_j), JL_RD(carbon_g_per_kwh), JL_RD(carbon_g),
    JL_RD(flops), JL_RD(flops_per_s)};
#undef JL_RD
#define JL_N_RD (sizeof res_doubles / sizeof res_doubles[0])

static double *res_field(fathom_resources *r, size_t k) {
  return (double *)(void *)((char *)r + res_doubles[k].off);
}

static int load_resources(jl_ctx *c, const json_t *root, fathom_resources *r) {
  memset(r, 0, sizeof *r);
  if (c->version < 2) {  /* nothing was measured */
    for (size_t k = 0; k < JL_N_RD; k++) *res_field(r, k) = NAN;
    r->host_cpu_pct_mean = r->host_cpu_pct_max = r->disk_util_pct_max = NAN;
    return 0;
  }
  json_t *o;
  jp rp;
  int rc = jl_m_typed(c, root, NULL, "resources", JSON_OBJECT, &o, &rp);
  if (!rc) rc = jl_m_bool(c, o, &rp, "monitored", &r->monitored);
  if (!rc) rc = jl_m_u64(c, o, &rp, "n_samples", &r->n_samples);
  for (size_t k = 0; k < JL_N_RD && !rc; k++)
    rc = jl_m_dbl(c, o, &rp, res_doubles[k].name, res_field(r, k));
  if (!rc) rc = jl_m_u32(c, o, &rp, "threads_max", &r->threads_max);
  if (!rc) rc = jl_m_u64(c, o, &rp, "leaked_bytes", &r->leaked_bytes);
  if (!rc) rc = jl_m_u64(c, o, &rp, "leaked_count", &r->leaked_count);
  /* optional (files written before them): the host's CPU and busiest disk */
  static const char *const host[] = {"host_cpu_pct_mean", "host_cpu_pct_max",
                                     "disk_util_pct_max"};
  double *hv[] = {&r->host_cpu_pct_mean, &r->host_cpu_pct_max, &r->disk_util_pct_max};
  for (size_t k = 0; k < 3; k++) {
    *hv[k] = NAN;
    if (!rc && json_object_get(o, host[k])) rc = jl_m_dbl(c, o, &rp, host[k], hv[k]);
  }
  return rc;
}

/* ---- probes and GPUs ---------------------------------------------------------------- */

static int load_probes(jl_ctx *c, const json_t *root, fathom_profile *p) {
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "probes", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->probes, n, sizeof *p->probes);
  if (rc) return rc;
  p->n_probes = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_probe_info *pr = &p->probes[i];
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_str(c, o, &ip, "name", 0, &pr->name);
    if (!rc) rc = jl_m_bool(c, o, &ip, "available", &pr->available);
    if (!rc) rc = jl_m_str(c, o, &ip, "detail", 1, &pr->detail);
  }
  return rc;
}

static int load_gpus(jl_ctx *c, const json_t *root, fathom_profile *p) {
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "gpus", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->gpus, n, sizeof *p->gpus);
  if (rc) return rc;
  p->n_gpus = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_gpu_info *g = &p->gpus[i];
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_u32(c, o, &ip, "index", &g->index);
    if (!rc) rc = jl_m_str(c, o, &ip, "name", 1, &g->name);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "mem_total_bytes", &g->mem_total_bytes);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "mem_peak_bytes", &g->mem_peak_bytes);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "proc_mem_peak_bytes", &g->proc_mem_peak_bytes);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "util_mean_pct", &g->util_mean_pct);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "util_max_pct", &g->util_max_pct);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "power_mean_w", &g->power_mean_w);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "temp_max_c", &g->temp_max_c);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "energy_j", &g->energy_j);
  }
  return rc;
}

/* ---- the monitor's series ------------------------------------------------------------ */

/* {"interval_s":x,"columns":[names],"rows":[[ts_ns,v...],...]}: names non-empty and
 * distinct, every row 1 + columns values long, timestamps never decreasing. */
static int load_series(jl_ctx *c, const json_t *root, fathom_series *se) {
  json_t *o, *cols, *rows, *row;
  jp op, cp, rp, ip;
  size_t nc, n;
  int rc = jl_m_typed(c, root, NULL, "series", JSON_OBJECT, &o, &op);
  if (!rc) rc = jl_m_dbl(c, o, &op, "interval_s", &se->interval_s);
  if (!rc) rc = jl_m_table(c, o, &op, "columns", JL_MAX_COLUMNS, &cols, &cp, &nc);
  if (!rc) rc = jl_alloc_table(c, (void **)&se->cols, nc, sizeof *se->cols);
  if (rc) return rc;
  se->n_cols = (uint32_t)nc;
  for (size_t k = 0; k < nc && !rc; k++) {
    jp kp = {&cp, NULL, k};
    rc = jl_str(c, json_array_get(cols, k), &kp, 0, &se->cols[k]);
    if (!rc && !se->cols[k][0]) rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "empty column name");
    for (size_t j = 0; j < k && !rc; j++)
      if (strcmp(se->cols[j], se->cols[k]) == 0)
        rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "column \"%.40s\" repeats columns[%zu]",
                     se->cols[k], j);
  }
  if (!rc) rc = jl_m_table(c, o, &op, "rows", SIZE_MAX / 8 / (nc + 1), &rows, &rp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&se->ts_ns, n, sizeof *se->ts_ns);
  if (!rc) rc = jl_alloc_table(c, (void **)&se->v, n * nc, sizeof *se->v);
  if (rc) return rc;
  se->n = n;
  char shape[64];
  snprintf(shape, sizeof shape, "[ts_ns and %zu column values]", nc);
  for (size_t i = 0; i < n && !rc; i++) {
    rc = jl_tuple(c, rows, &rp, i, nc + 1, shape, &row, &ip);
    jp tsp = {&ip, NULL, 0};
    if (!rc) rc = jl_u64(c, json_array_get(row, 0), &tsp, &se->ts_ns[i]);
    if (!rc && i > 0 && se->ts_ns[i] < se->ts_ns[i - 1])
      rc = jl_fail(c, FATHOM_E_FORMAT, &tsp,
                   "ts_ns %llu is before the previous row's %llu (rows must be sorted)",
                   (unsigned long long)se->ts_ns[i], (unsigned long long)se->ts_ns[i - 1]);
    for (size_t k = 0; k < nc && !rc; k++) {
      jp vp = {&ip, NULL, k + 1};
      rc = jl_double(c, json_array_get(row, k + 1), &vp, &se->v[i * nc + k]);
    }
  }
  return rc;
}

/* ---- memory snapshots --------------------------------------------------------------- */

/* Member key of o: an array of exactly n values (n from the zone list), or sets *n. */
static int snap_array(jl_ctx *c, const json_t *o, const jp *ip, const char *key, size_t *n,
                      json_t **arr, jp *kp) {
  int rc = jl_m_typed(c, o, ip, key, JSON_ARRAY, arr, kp);
  if (rc) return rc;
  size_t len = json_array_size(*arr);
  if (*n == SIZE_MAX) {
    if (len > UINT32_MAX)
      return jl_fail(c, FATHOM_E_LIMIT, kp, "%zu entries, more than %u", len, UINT32_MAX);
    *n = len;
  } else if (len != *n) {
    return jl_fail(c, FATHOM_E_FORMAT, kp, "%zu entries but zone has %zu (one per zone)", len,
                   *n);
  }
  return 0;
}

static int load_snapshot(jl_ctx *c, const json_t *o, const jp *ip, const fathom_profile *p,
                         fathom_mem_snapshot_info *s, uint32_t *stamp, uint32_t mark) {
  json_t *za, *ca, *ba;
  jp zp, cp, bp;
  size_t n = SIZE_MAX;
  int rc = jl_m_str(c, o, ip, "label", 1, &s->label);
  if (!rc) rc = jl_m_u64(c, o, ip, "ts_ns", &s->ts_ns);
  if (!rc) rc = jl_m_dbl(c, o, ip, "rss_bytes", &s->rss_bytes);
  if (!rc) rc = jl_m_u64(c, o, ip, "live_count", &s->live_count);
  if (!rc) rc = jl_m_u64(c, o, ip, "live_bytes", &s->live_bytes);
  if (!rc) rc = snap_array(c, o, ip, "zone", &n, &za, &zp);
  if (!rc) rc = snap_array(c, o, ip, "zone_live_count", &n, &ca, &cp);
  if (!rc) rc = snap_array(c, o, ip, "zone_live_bytes", &n, &ba, &bp);
  if (!rc) rc = jl_alloc_table(c, (void **)&s->zone, n, sizeof *s->zone);
  if (!rc) rc = jl_alloc_table(c, (void **)&s->zone_live_count, n, sizeof *s->zone_live_count);
  if (!rc) rc = jl_alloc_table(c, (void **)&s->zone_live_bytes, n, sizeof *s->zone_live_bytes);
  if (rc) return rc;
  s->n = (uint32_t)n;
  for (size_t k = 0; k < n && !rc; k++) {
    jp kz = {&zp, NULL, k}, kc = {&cp, NULL, k}, kb = {&bp, NULL, k};
    rc = jl_index(c, json_array_get(za, k), &kz, p->n_zones, "zones", 0, &s->zone[k]);
    if (!rc && stamp[s->zone[k]] == mark)
      rc = jl_fail(c, FATHOM_E_FORMAT, &kz, "zone %u is listed twice", s->zone[k]);
    if (!rc) stamp[s->zone[k]] = mark;
    if (!rc) rc = jl_u64(c, json_array_get(ca, k), &kc, &s->zone_live_count[k]);
    if (!rc) rc = jl_u64(c, json_array_get(ba, k), &kb, &s->zone_live_bytes[k]);
  }
  return rc;
}

static int load_snapshots(jl_ctx *c, const json_t *root, fathom_profile *p) {
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "mem_snapshots", UINT32_MAX - 1, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->mem_snapshots, n, sizeof *p->mem_snapshots);
  if (rc || n == 0) return rc;
  p->n_mem_snapshots = (uint32_t)n;
  uint32_t *stamp = calloc(p->n_zones ? p->n_zones : 1, sizeof *stamp);  /* duplicate check */
  if (!stamp) return jl_nomem(c);
  for (size_t i = 0; i < n && !rc; i++) {
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = load_snapshot(c, o, &ip, p, &p->mem_snapshots[i], stamp, (uint32_t)i + 1);
  }
  free(stamp);
  return rc;
}

/* ---- governor actions --------------------------------------------------------------- */

static int load_gov_actions(jl_ctx *c, const json_t *root, fathom_profile *p) {
  json_t *arr, *o, *v;
  jp tp, ip, kp;
  size_t n;
  int rc = jl_m_table(c, root, NULL, "gov_actions", UINT32_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->gov_actions, n, sizeof *p->gov_actions);
  if (rc) return rc;
  p->n_gov_actions = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_gov_action *g = &p->gov_actions[i];
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_u64(c, o, &ip, "ts_ns", &g->ts_ns);
    if (!rc) rc = jl_get(c, o, &ip, "zone", &v, &kp);
    if (!rc) rc = jl_index(c, v, &kp, p->n_zones, "zones", 1, &g->zone);
    if (!rc) rc = jl_get(c, o, &ip, "action", &v, &kp);
    if (!rc) rc = load_gov_bit(c, v, &kp, &g->gov);
    if (!rc) rc = jl_m_u32(c, o, &ip, "value", &g->value);
    if (!rc) rc = jl_m_dbl(c, o, &ip, "overhead_pct", &g->overhead_pct);
  }
  return rc;
}

int jl_sections2(jl_ctx *c, const json_t *root, fathom_profile *p) {
  int rc = load_resources(c, root, &p->res);
  if (rc || c->version < 2) return rc;
  rc = load_probes(c, root, p);
  if (!rc) rc = load_gpus(c, root, p);
  if (!rc) rc = load_series(c, root, &p->series);
  if (!rc) rc = load_snapshots(c, root, p);
  if (!rc) rc = load_gov_actions(c, root, p);
  return rc;
}
