/* check_net.c: the rules for the profile's network requests ("requests"), part of
 * fathom_profile_check (check.c calls fz_check_net):
 *   each endpoint: a name, at least one request; errors at most the requests, HTTP errors at
 *   most the errors; min <= mean <= max and mean x count = total (1 ns per request of
 *   rounding); min <= p50 <= p95 <= p99 <= max; percentiles marked exact only when every
 *   request's time could be kept; requests with phases at most the requests, their time at
 *   most the total, the five phases' sum at most their time; at most FATHOM_REQUEST_SLOWEST
 *   slowest requests, no more than the requests, slowest first, within [min, max]; endpoints
 *   named once; the table sorted by total time, largest first.
 * Same slack as check.c: 1 ns per figure added plus 1e-9 relative.
 *
 * Invariant: reads only what the counts announce and the arrays that are there. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/check.h"

static void check_one(const fathom_request_info *r, uint32_t i,
                      void (*report)(void *, const char *), void *ctx) {
  const char *ep = r->endpoint ? r->endpoint : "(null)";
  if (!r->endpoint || !*r->endpoint) CK_REPORT("endpoint %u: no name", i);
  if (!r->count) {
    CK_REPORT("endpoint %u (%.80s): no requests", i, ep);
    return;
  }
  double n = (double)r->count;
  if (r->errors > r->count || r->http_errors > r->errors)
    CK_REPORT("endpoint %u (%.80s): %llu errors (%llu HTTP) of %llu requests", i, ep,
           (unsigned long long)r->errors, (unsigned long long)r->http_errors,
           (unsigned long long)r->count);
  if (!fz_ck_le(r->min_ns, r->mean_ns, 1) || !fz_ck_le(r->mean_ns, r->max_ns, 1))
    CK_REPORT("endpoint %u (%.80s): mean %.0f ns outside [min %.0f, max %.0f]", i, ep, r->mean_ns,
           r->min_ns, r->max_ns);
  if (!fz_ck_le(r->mean_ns * n, r->total_ns, n) || !fz_ck_le(r->total_ns, r->mean_ns * n, n))
    CK_REPORT("endpoint %u (%.80s): mean %.0f ns x %llu requests is not the total %.0f ns", i, ep,
           r->mean_ns, (unsigned long long)r->count, r->total_ns);
  if (!fz_ck_le(r->min_ns, r->p50_ns, 0) || !fz_ck_le(r->p50_ns, r->p95_ns, 0) ||
      !fz_ck_le(r->p95_ns, r->p99_ns, 0) || !fz_ck_le(r->p99_ns, r->max_ns, 0))
    CK_REPORT("endpoint %u (%.80s): min, p50, p95, p99, max out of order (%.0f, %.0f, %.0f, "
           "%.0f, %.0f ns)", i, ep, r->min_ns, r->p50_ns, r->p95_ns, r->p99_ns, r->max_ns);
  if (r->exact && r->count > FATHOM_REQUEST_SAMPLES)
    CK_REPORT("endpoint %u (%.80s): percentiles marked exact over %llu requests (at most %u "
           "kept)", i, ep, (unsigned long long)r->count, FATHOM_REQUEST_SAMPLES);
  double ph = r->dns_ns + r->connect_ns + r->tls_ns + r->wait_ns + r->transfer_ns;
  if (r->phased > r->count || !fz_ck_le(r->phased_ns, r->total_ns, 1) ||
      !fz_ck_le(ph, r->phased_ns, 5 * (double)r->phased) || (!r->phased && (ph > 0 || r->phased_ns > 0)))
    CK_REPORT("endpoint %u (%.80s): phases (%.0f ns over %llu requests) above their requests' "
           "time (%.0f ns) or the total (%.0f ns)", i, ep, ph, (unsigned long long)r->phased,
           r->phased_ns, r->total_ns);
  if (r->n_slowest > FATHOM_REQUEST_SLOWEST || r->n_slowest > r->count) {
    CK_REPORT("endpoint %u (%.80s): %u slowest requests of %llu", i, ep, r->n_slowest,
           (unsigned long long)r->count);
    return;
  }
  for (uint32_t k = 0; k < r->n_slowest; k++) {
    if (!r->slowest_url[k]) CK_REPORT("endpoint %u (%.80s): slowest request %u has no URL", i, ep, k);
    if (!fz_ck_le(r->slowest_ns[k], r->max_ns, 0) || !fz_ck_le(r->min_ns, r->slowest_ns[k], 0) ||
        (k && !fz_ck_le(r->slowest_ns[k], r->slowest_ns[k - 1], 0)))
      CK_REPORT("endpoint %u (%.80s): slowest request %u (%.0f ns) out of order or outside "
             "[min, max]", i, ep, k, r->slowest_ns[k]);
  }
}

void fz_check_net(const fathom_profile *p, void (*report)(void *ctx, const char *line),
                  void *ctx) {
  if (!p->requests) return;
  for (uint32_t i = 0; i < p->n_requests; i++) {
    const fathom_request_info *r = &p->requests[i];
    check_one(r, i, report, ctx);
    if (i && !fz_ck_le(r->total_ns, p->requests[i - 1].total_ns, 0))
      CK_REPORT("endpoint %u: total %.0f ns above the one before (%.0f ns): not sorted", i,
             r->total_ns, p->requests[i - 1].total_ns);
    for (uint32_t k = 0; k < i && r->endpoint; k++)   /* at most 512 endpoints in a file */
      if (p->requests[k].endpoint && strcmp(p->requests[k].endpoint, r->endpoint) == 0) {
        CK_REPORT("endpoint %u (%.80s): named twice (also endpoint %u)", i, r->endpoint, k);
        break;
      }
  }
}
