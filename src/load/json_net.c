/* json_net.c: reads the profile's optional "requests" table (network requests per endpoint,
 * written by src/view/json_net.c) and "requests_dropped". Absent members: no requests.
 *
 * Invariant: as every jl_* reader: one message naming the offending value on failure, the
 * model left freeable. Times must be finite and not negative, at most FATHOM_REQUEST_SLOWEST
 * slowest requests, at most FATHOM_NET_MAX_ENDPOINTS endpoints; the relations between the
 * figures are fathom check's (model/check_net.c). */
#include <math.h>

#include "json_ld.h"

static int m_time(jl_ctx *c, const json_t *o, const jp *ip, const char *k, double *out) {
  int rc = jl_m_dbl(c, o, ip, k, out);
  if (!rc && !(*out >= 0 && isfinite(*out))) {
    jp kp = {ip, k, 0};
    rc = jl_fail(c, FATHOM_E_FORMAT, &kp, "must be a finite number, not negative");
  }
  return rc;
}

static int load_one(jl_ctx *c, const json_t *o, const jp *ip, fathom_request_info *r) {
  static const char *const times[] = {"total_ns", "mean_ns", "min_ns",     "max_ns",
                                      "p50_ns",   "p95_ns",  "p99_ns",     "phased_ns",
                                      "dns_ns",   "connect_ns", "tls_ns",  "wait_ns",
                                      "transfer_ns"};
  double *dst[] = {&r->total_ns, &r->mean_ns,    &r->min_ns, &r->max_ns,  &r->p50_ns,
                   &r->p95_ns,   &r->p99_ns,     &r->phased_ns, &r->dns_ns,
                   &r->connect_ns, &r->tls_ns,   &r->wait_ns, &r->transfer_ns};
  static const char *const counts[] = {"count", "errors", "http_errors", "bytes_sent",
                                       "bytes_received", "phased"};
  uint64_t *cdst[] = {&r->count, &r->errors, &r->http_errors, &r->bytes_sent,
                      &r->bytes_received, &r->phased};
  int rc = jl_m_str(c, o, ip, "endpoint", 0, &r->endpoint);
  for (size_t k = 0; k < sizeof counts / sizeof *counts && !rc; k++)
    rc = jl_m_u64(c, o, ip, counts[k], cdst[k]);
  for (size_t k = 0; k < sizeof times / sizeof *times && !rc; k++)
    rc = m_time(c, o, ip, times[k], dst[k]);
  if (!rc) rc = jl_m_bool(c, o, ip, "percentiles_exact", &r->exact);
  json_t *arr, *e;
  jp sp, ep;
  size_t m = 0;
  if (!rc) rc = jl_m_table(c, o, ip, "slowest", FATHOM_REQUEST_SLOWEST, &arr, &sp, &m);
  for (size_t k = 0; k < m && !rc; k++) {
    rc = jl_element(c, arr, &sp, k, &e, &ep);
    if (!rc) rc = m_time(c, e, &ep, "ns", &r->slowest_ns[k]);
    if (!rc) rc = jl_m_int(c, e, &ep, "status", &r->slowest_status[k]);
    if (!rc) rc = jl_m_str(c, e, &ep, "url", 0, &r->slowest_url[k]);
    if (!rc) r->n_slowest = (uint32_t)k + 1;
  }
  return rc;
}

int jl_requests(jl_ctx *c, const json_t *root, fathom_profile *p) {
  int rc = 0;
  if (json_object_get(root, "requests_dropped"))
    rc = jl_m_u64(c, root, NULL, "requests_dropped", &p->requests_dropped);
  if (rc || !json_object_get(root, "requests")) return rc;
  json_t *arr, *o;
  jp tp, ip;
  size_t n;
  rc = jl_m_table(c, root, NULL, "requests", FATHOM_NET_MAX_ENDPOINTS, &arr, &tp, &n);
  if (!rc) rc = jl_alloc_table(c, (void **)&p->requests, n, sizeof *p->requests);
  if (rc) return rc;
  p->n_requests = (uint32_t)n;
  for (size_t i = 0; i < n && !rc; i++) {
    rc = jl_element(c, arr, &tp, i, &o, &ip);
    if (!rc) rc = load_one(c, o, &ip, &p->requests[i]);
  }
  return rc;
}
