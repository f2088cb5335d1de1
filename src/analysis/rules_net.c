/* rules_net.c: the slow_endpoint rule: network requests to one endpoint (the profile's
 * "requests") that hold a share of the session's time, with advice resting on where their
 * time went (the phases, over the requests whose phases are known) and on their errors:
 * name resolution large (resolve once: reuse the handle, share a DNS cache), connect + TLS
 * large over many requests (reuse connections: keep-alive, one handle), waiting for the
 * answer large (the server is slow: cache, ask less often, ask concurrently), receiving large
 * (compression, smaller answers), failed requests (each costs a round trip, retries more).
 *
 * Invariant: reads only the model; a phase is named only when it holds at least NET_PHASE_PCT
 * of the phased requests' time; the figures quoted are the model's (means are sums over the
 * requests they cover divided by those requests). */
#include <stdio.h>

#include "analysis/analysis.h"
#include "util/fmt.h"

#define NET_PHASE_PCT 20.0   /* a phase named as a cause from this share of the time */
#define NET_WAIT_PCT 50.0    /* the server named slow from this share */
#define NET_REUSE_MIN 10     /* requests from which connection reuse is advised */

static void one(fz_actx *a, const fathom_request_info *r, double whole) {
  const fathom_thresholds *th = a->t;
  double share = fz_share_pct(r->total_ns, whole);
  if (!r->count || share < th->min_share_pct) return;
  double pn = (double)r->phased, pt = r->phased_ns;
  double pc[5] = {0};   /* dns, connect, tls, wait, transfer: % of the phased time */
  const double ph[5] = {r->dns_ns, r->connect_ns, r->tls_ns, r->wait_ns, r->transfer_ns};
  for (int k = 0; k < 5 && r->phased && pt > 0; k++) pc[k] = 100 * ph[k] / pt;
  int dns = pc[0] >= NET_PHASE_PCT;
  int conn = pc[1] + pc[2] >= NET_PHASE_PCT && r->phased >= NET_REUSE_MIN;
  int wait = pc[3] >= NET_WAIT_PCT;
  int xfer = pc[4] >= NET_PHASE_PCT;
  int errs = r->errors > 0;
  int evidence = dns || conn || wait || xfer || errs;
  if (!evidence && share < th->classify_share_pct) return;
  fathom_severity sev = share >= 50 ? FATHOM_SEV_CRITICAL
                        : evidence || share >= 25 ? FATHOM_SEV_WARNING
                                                  : FATHOM_SEV_INFO;
  char path[256];
  fz_clean(path, sizeof path, r->endpoint ? r->endpoint : "", 200);
  fathom_finding *f = fz_fa_new(a->fa, FATHOM_FIND_SLOW_ENDPOINT, sev, share, FATHOM_NONE,
                                FATHOM_NONE, path);
  if (!f) return;
  char n[32], mean[32], tot[32], p99[32], ep[128], er[32];
  fz_fmt_count(n, sizeof n, r->count);
  fz_fmt_dur(mean, sizeof mean, r->mean_ns);
  fz_fmt_dur(tot, sizeof tot, r->total_ns);
  fz_fmt_dur(p99, sizeof p99, r->p99_ns);
  fz_fmt_count(er, sizeof er, r->errors);
  fz_clean(ep, sizeof ep, r->endpoint ? r->endpoint : "", 100);
  fz_fa_sum(a->fa, f, "endpoint %s: %s requests, %s in all (%.1f%% of the time), %s per "
            "request (p99 %s%s), %s failed", ep, n, tot, share, mean, r->exact ? "" : "~", p99,
            er);
  fz_fa_fig(a->fa, f, "share_pct", share, "%");
  fz_fa_fig(a->fa, f, "count", (double)r->count, "requests");
  fz_fa_fig(a->fa, f, "errors", (double)r->errors, "requests");
  fz_fa_fig(a->fa, f, "total_ns", r->total_ns, "ns");
  fz_fa_fig(a->fa, f, "mean_ns", r->mean_ns, "ns");
  fz_fa_fig(a->fa, f, "p99_ns", r->p99_ns, "ns");
  fz_fa_fig(a->fa, f, "bytes_received", (double)r->bytes_received, "bytes");
  static const char *const fig[5] = {"dns_mean_ns", "connect_mean_ns", "tls_mean_ns",
                                     "wait_mean_ns", "transfer_mean_ns"};
  for (int k = 0; k < 5 && r->phased; k++) fz_fa_fig(a->fa, f, fig[k], ph[k] / pn, "ns");
  char m[5][32];
  for (int k = 0; k < 5; k++) fz_fmt_dur(m[k], sizeof m[k], r->phased ? ph[k] / pn : 0);
  if (dns)
    fz_fa_sug(a->fa, f, "Name resolution takes %s per request (%.0f%% of their time): resolve "
              "once and reuse it: keep one curl easy handle for these requests (it caches "
              "names for a minute), or share a DNS cache between handles (CURLSH with "
              "CURL_LOCK_DATA_DNS)", m[0], pc[0]);
  if (conn) {
    char tls[64] = "";
    if (r->tls_ns > 0) snprintf(tls, sizeof tls, " and the TLS handshake %s", m[2]);
    fz_fa_sug(a->fa, f, "Connecting takes %s%s per request (%.0f%% of their time, over %llu "
              "requests): reuse connections: keep-alive, one easy handle reused for every "
              "request (or one multi handle), instead of a new handle each time", m[1], tls,
              pc[1] + pc[2], (unsigned long long)r->phased);
  }
  if (wait)
    fz_fa_sug(a->fa, f, "Waiting for the answer takes %s per request (%.0f%% of their time, "
              "from the request sent to the first byte back): the server is slow to answer: "
              "look at the server, cache its answers, ask less often, or make the requests "
              "concurrently (curl's multi interface)", m[3], pc[3]);
  if (xfer) {
    char per[32];
    fz_fmt_bytes(per, sizeof per, (double)r->bytes_received / (double)r->count);
    fz_fa_sug(a->fa, f, "Receiving the answers takes %s per request (%.0f%% of their time, %s "
              "per answer): ask for compression (CURLOPT_ACCEPT_ENCODING \"\") or smaller "
              "answers (fewer fields, pages)", m[4], pc[4], per);
  }
  if (errs)
    fz_fa_sug(a->fa, f, "%s of the %s requests failed (%llu with an HTTP status of 400 or "
              "more): each costs a round trip and retries more; see the slowest requests' "
              "statuses in the requests table", er, n, (unsigned long long)r->http_errors);
  if (!evidence)
    fz_fa_sug(a->fa, f, "No single phase dominates%s: make fewer requests (batch what they "
              "ask), or make them concurrently", r->phased ? "" : " (phases not known: "
              "recorded without them)");
}

int fz_rule_slow_endpoint(fz_actx *a) {
  const fathom_profile *p = a->p;
  if (!p->requests || !p->n_requests) return 0;
  /* the session's wall time, as the report's requests table (requests are no zones there) */
  double whole = p->meta.duration_ns ? (double)p->meta.duration_ns : a->time_ns;
  for (uint32_t i = 0; i < p->n_requests; i++) one(a, &p->requests[i], whole);
  return a->fa->nomem ? FATHOM_E_NOMEM : 0;
}
