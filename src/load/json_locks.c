/* json_locks.c: reads the profile's optional "locks" table (lock profiling, written by
 * src/view/json_run.c) and "locks_dropped".
 *
 * Invariant: a lock has a name, a kind ("mutex" or "rwlock"), counts, times that are >= 0
 * (percentiles NaN when there was nothing to time) and at most FATHOM_LOCK_ZONES_MAX waiting
 * and holding zones, each named; anything else is refused with its path. How the figures
 * relate (contended <= acquisitions, ordered percentiles) is `fathom check`'s
 * (model/check_run.c). */
#include <math.h>
#include <string.h>

#include "load/json_ld.h"

static int ns(jl_ctx *c, const json_t *o, const jp *ip, const char *key, int nan_ok,
              double *out) {
  int rc = jl_m_dbl(c, o, ip, key, out);
  if (!rc && (isnan(*out) ? !nan_ok : (isinf(*out) || *out < 0)))
    rc = jl_fail(c, FATHOM_E_FORMAT, ip, "%s is %g: a time is a finite number >= 0%s", key,
                 *out, nan_ok ? " (or null)" : "");
  return rc;
}

static int zones(jl_ctx *c, const json_t *o, const jp *ip, const char *key,
                 fathom_lock_zone **v, uint32_t *n) {
  json_t *arr, *x;
  jp ap, xp;
  int rc = jl_m_typed(c, o, ip, key, JSON_ARRAY, &arr, &ap);
  size_t k = rc ? 0 : json_array_size(arr);
  if (!rc && k > FATHOM_LOCK_ZONES_MAX)
    rc = jl_fail(c, FATHOM_E_FORMAT, &ap, "%zu zones: at most %d", k, FATHOM_LOCK_ZONES_MAX);
  if (!rc) rc = jl_alloc_table(c, (void **)v, k, sizeof **v);
  for (size_t j = 0; j < k && !rc; j++) {
    fathom_lock_zone *z = &(*v)[j];
    rc = jl_element(c, arr, &ap, j, &x, &xp);
    if (!rc) rc = jl_m_str(c, x, &xp, "zone", 0, &z->zone);
    if (!rc) *n = (uint32_t)j + 1;
    if (!rc) rc = jl_m_u64(c, x, &xp, "count", &z->count);
    if (!rc) rc = ns(c, x, &xp, "ns", 0, &z->ns);
  }
  return rc;
}

int jl_locks(jl_ctx *c, const json_t *root, fathom_profile *p) {
  int rc = 0;
  if (json_object_get(root, "locks_dropped"))
    rc = jl_m_u64(c, root, NULL, "locks_dropped", &p->locks_dropped);
  if (rc || !json_object_get(root, "locks")) return rc;
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  rc = jl_m_table(c, root, NULL, "locks", 1u << 20, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->locks, n, sizeof *p->locks);
  if (rc) return rc;
  p->n_locks = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    fathom_lock_info *l = &p->locks[i];
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = jl_m_str(c, o, &ip, "name", 0, &l->name);
    if (!rc) rc = jl_m_str(c, o, &ip, "kind", 0, &l->kind);
    if (!rc && strcmp(l->kind, "mutex") && strcmp(l->kind, "rwlock"))
      rc = jl_fail(c, FATHOM_E_FORMAT, &ip, "kind \"%s\": \"mutex\" or \"rwlock\"", l->kind);
    if (!rc) rc = jl_m_u32(c, o, &ip, "addresses", &l->n_addresses);
    if (!rc) rc = jl_m_u64(c, o, &ip, "acquisitions", &l->acquisitions);
    if (!rc) rc = jl_m_u64(c, o, &ip, "contended", &l->contended);
    if (!rc) rc = jl_m_u64(c, o, &ip, "read_acquisitions", &l->read_acquisitions);
    if (!rc) rc = ns(c, o, &ip, "wait_ns", 0, &l->wait_ns);
    if (!rc) rc = ns(c, o, &ip, "wait_max_ns", 0, &l->wait_max_ns);
    if (!rc) rc = ns(c, o, &ip, "wait_p50_ns", 1, &l->wait_p50_ns);
    if (!rc) rc = ns(c, o, &ip, "wait_p90_ns", 1, &l->wait_p90_ns);
    if (!rc) rc = ns(c, o, &ip, "wait_p99_ns", 1, &l->wait_p99_ns);
    if (!rc) rc = jl_m_u64(c, o, &ip, "holds", &l->holds);
    if (!rc) rc = ns(c, o, &ip, "hold_ns", 0, &l->hold_ns);
    if (!rc) rc = ns(c, o, &ip, "hold_max_ns", 0, &l->hold_max_ns);
    if (!rc) rc = ns(c, o, &ip, "hold_p50_ns", 1, &l->hold_p50_ns);
    if (!rc) rc = ns(c, o, &ip, "hold_p90_ns", 1, &l->hold_p90_ns);
    if (!rc) rc = ns(c, o, &ip, "hold_p99_ns", 1, &l->hold_p99_ns);
    if (!rc) rc = zones(c, o, &ip, "waiters", &l->waiters, &l->n_waiters);
    if (!rc) rc = zones(c, o, &ip, "holders", &l->holders, &l->n_holders);
    if (!rc) rc = jl_m_u64(c, o, &ip, "zones_dropped", &l->zones_dropped);
  }
  return rc;
}
