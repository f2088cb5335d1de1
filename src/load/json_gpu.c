/* json_gpu.c: reads the profile's optional "gpu_zones" table (GPU time per zone name from CUDA
 * events, written by src/view/json_run.c) and "gpu_zones_dropped". Absent members: no GPU
 * zones.
 *
 * Invariant: as every jl_* reader: one message naming the offending value on failure, the
 * model left freeable. Times must be finite and not negative; "zone" is null or the index of
 * a zone of the profile (read after the zones); at most FATHOM_GPU_NAMES_MAX entries. The
 * device memory members are optional (absent in older files and when not measured), all or
 * none: "mem_calls" at least 1, readings finite and not negative, the mean change finite, its
 * standard error not negative or null (unknown). The relations between the figures are
 * fathom check's (model/check_run.c). */
#include <math.h>

#include "json_ld.h"

static int m_ms(jl_ctx *c, const json_t *o, const jp *ip, const char *k, double *out) {
  int rc = jl_m_dbl(c, o, ip, k, out);
  if (!rc && !(*out >= 0 && isfinite(*out))) {
    jp kp = {ip, k, 0};
    rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "must be a finite number, not negative");
  }
  return rc;
}

/* The optional device memory members. */
static int load_mem(jl_ctx *c, const json_t *o, const jp *ip, fathom_gpu_zone_info *g) {
  int rc = jl_m_u64(c, o, ip, "mem_calls", &g->mem_calls);
  if (!rc && !g->mem_calls) {
    jp kp = {ip, "mem_calls", 0};
    rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "must be at least 1 (absent: not measured)");
  }
  if (!rc) rc = jl_m_dbl(c, o, ip, "mem_change_mean", &g->mem_change_mean);
  if (!rc && !isfinite(g->mem_change_mean)) {
    jp kp = {ip, "mem_change_mean", 0};
    rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "must be a finite number");
  }
  if (!rc) rc = jl_m_dbl(c, o, ip, "mem_change_se", &g->mem_change_se);
  if (!rc && !isnan(g->mem_change_se) && !(g->mem_change_se >= 0 && isfinite(g->mem_change_se))) {
    jp kp = {ip, "mem_change_se", 0};
    rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "must be a finite number, not negative, or null");
  }
  if (!rc) rc = m_ms(c, o, ip, "mem_before_max", &g->mem_before_max);
  if (!rc) rc = m_ms(c, o, ip, "mem_after_max", &g->mem_after_max);
  if (!rc) rc = m_ms(c, o, ip, "mem_peak", &g->mem_peak);
  return rc;
}

static int load_one(jl_ctx *c, const json_t *o, const jp *ip, const fathom_profile *p,
                    fathom_gpu_zone_info *g) {
  int rc = jl_m_str(c, o, ip, "name", 0, &g->name);
  g->zone = FATHOM_NONE;
  if (!rc && !json_is_null(json_object_get(o, "zone"))) {
    rc = jl_m_u32(c, o, ip, "zone", &g->zone);
    if (!rc && g->zone >= p->n_zones) {
      jp kp = {ip, "zone", 0};
      rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "zone %u of %u zones", g->zone, p->n_zones);
    }
  }
  if (!rc) rc = jl_m_u64(c, o, ip, "count", &g->count);
  if (!rc) rc = m_ms(c, o, ip, "total_ms", &g->total_ms);
  if (!rc) rc = m_ms(c, o, ip, "mean_ms", &g->mean_ms);
  if (!rc) rc = m_ms(c, o, ip, "min_ms", &g->min_ms);
  if (!rc) rc = m_ms(c, o, ip, "max_ms", &g->max_ms);
  if (!rc) rc = jl_m_u64(c, o, ip, "unresolved", &g->unresolved);
  if (!rc) rc = jl_m_u64(c, o, ip, "dropped", &g->dropped);
  if (!rc && json_object_get(o, "mem_calls")) rc = load_mem(c, o, ip, g);
  return rc;
}

int jl_gpu_zones(jl_ctx *c, const json_t *root, fathom_profile *p) {
  int rc = 0;
  if (json_object_get(root, "gpu_zones_dropped"))
    rc = jl_m_u64(c, root, NULL, "gpu_zones_dropped", &p->gpu_zones_dropped);
  if (rc || !json_object_get(root, "gpu_zones")) return rc;
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  rc = jl_m_table(c, root, NULL, "gpu_zones", FATHOM_GPU_NAMES_MAX, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->gpu_zones, n, sizeof *p->gpu_zones);
  if (rc) return rc;
  p->n_gpu_zones = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = load_one(c, o, &ip, p, &p->gpu_zones[i]);
  }
  return rc;
}
