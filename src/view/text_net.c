/* text_net.c: the text report's "Network requests" section (the profile's "requests"), and the
 * same table for fathom_net_stats_print: per endpoint its requests, errors, time (total, share,
 * mean, percentiles, max) and bytes; then the mean of each phase for the endpoints whose
 * phases are known, and the slowest requests of the endpoints that took the most time.
 *
 * Invariant: reads only what it is given; percentiles from a sample of the requests are
 * marked "~" (estimates); a share above 100 % (requests on several threads at once) is
 * clamped and said so; a phase mean is over the requests whose phases are known, and "other"
 * (their time outside the five phases) is never negative. */
#include <stdio.h>

#include "view/text.h"
#include "view/view.h"

#define NET_ROWS 30        /* endpoints in the tables */
#define NET_SLOW_SHOWN 5   /* endpoints whose slowest requests are shown */
#define NET_NAME_W 60      /* widest endpoint column */

static void dur(char *b, size_t cap, double ns, int est) {
  size_t k = 0;
  if (est && cap > 1) b[k++] = '~';
  fz_fmt_dur(b + k, cap - k, ns);
}

static int phases(const fz_tx *tx, const fathom_request_info *r, uint32_t shown) {
  FILE *f = tx->f;
  int any = 0;
  for (uint32_t i = 0; i < shown; i++) any |= r[i].phased > 0;
  if (!any) return 0;
  fputs("  phases, mean per request whose phases are known:\n", f);
  static const char *const head[] = {"requests", "dns", "connect", "tls", "wait", "transfer",
                                     "other", "endpoint"};
  fz_tab t;
  fz_tab_init(&t, head, "rrrrrrrl");
  for (uint32_t i = 0; i < shown; i++) {
    const fathom_request_info *x = &r[i];
    if (!x->phased) continue;
    double n = (double)x->phased, sum = x->dns_ns + x->connect_ns + x->tls_ns + x->wait_ns +
                                        x->transfer_ns;
    double v[6] = {x->dns_ns / n, x->connect_ns / n, x->tls_ns / n, x->wait_ns / n,
                   x->transfer_ns / n, x->phased_ns > sum ? (x->phased_ns - sum) / n : 0};
    char c[7][40], name[256];
    fz_fmt_count(c[0], sizeof c[0], x->phased);
    for (int k = 0; k < 6; k++) fz_fmt_dur(c[k + 1], sizeof c[k + 1], v[k]);
    fz_clean(name, sizeof name, x->endpoint ? x->endpoint : "", NET_NAME_W);
    const char *cells[] = {c[0], c[1], c[2], c[3], c[4], c[5], c[6], name};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_on(tx, "2");
  fputs("  wait: from the request sent to the answer's first byte; transfer: the rest of the "
        "answer; other: the rest (sending the request, redirects)\n", f);
  fz_off(tx);
  return rc;
}

int fz_requests_text(FILE *f, int color, const fathom_request_info *r, uint32_t n,
                     uint64_t dropped, double session_ns) {
  fz_tx tx0 = {f, color}, *tx = &tx0;
  if (!(n && r) && !dropped) return 0;
  if (!r) n = 0;
  double all = 0;
  uint64_t reqs = 0, errs = 0;
  int est = 0;
  for (uint32_t i = 0; i < n; i++) {
    all += r[i].total_ns;
    reqs += r[i].count;
    errs += r[i].errors;
    est |= !r[i].exact;
  }
  double whole = session_ns > 0 ? session_ns : all;
  fz_section(tx, "Network requests");
  char a[40], b[40], c[40], d[40];
  fz_fmt_count(a, sizeof a, n);
  fz_fmt_count(b, sizeof b, reqs);
  fz_fmt_count(d, sizeof d, errs);
  fz_fmt_dur(c, sizeof c, all);
  fprintf(f, "  %s endpoint%s, %s requests (%s failed), %s in all\n", a, n == 1 ? "" : "s", b, d,
          c);
  if (dropped) {
    fz_fmt_count(a, sizeof a, dropped);
    fz_on(tx, "33");
    fprintf(f, "  %s requests not counted (more than %u endpoints, or %u requests in flight)\n",
            a, FATHOM_NET_MAX_ENDPOINTS, FATHOM_NET_INFLIGHT);
    fz_off(tx);
  }
  static const char *const head[] = {"total", "share", "requests", "errors", "mean", "p50",
                                     "p95",   "p99",   "max",      "sent",   "received",
                                     "endpoint"};
  fz_tab t;
  fz_tab_init(&t, head, "rrrrrrrrrrrl");
  int clamped = 0;
  uint32_t shown = n < NET_ROWS ? n : NET_ROWS;
  for (uint32_t i = 0; i < shown; i++) {
    const fathom_request_info *x = &r[i];
    char tot[40], sh[40], cnt[32], er[32], mean[40], p50[40], p95[40], p99[40], mx[40],
        snt[40], rcv[40], name[256];
    fz_fmt_dur(tot, sizeof tot, x->total_ns);
    fz_fmt_share(sh, sizeof sh, x->total_ns, whole, 0, &clamped);
    fz_fmt_count(cnt, sizeof cnt, x->count);
    fz_fmt_count(er, sizeof er, x->errors);
    fz_fmt_dur(mean, sizeof mean, x->mean_ns);
    dur(p50, sizeof p50, x->p50_ns, !x->exact);
    dur(p95, sizeof p95, x->p95_ns, !x->exact);
    dur(p99, sizeof p99, x->p99_ns, !x->exact);
    fz_fmt_dur(mx, sizeof mx, x->max_ns);
    fz_fmt_bytes(snt, sizeof snt, (double)x->bytes_sent);
    fz_fmt_bytes(rcv, sizeof rcv, (double)x->bytes_received);
    fz_clean(name, sizeof name, x->endpoint ? x->endpoint : "", NET_NAME_W);
    const char *cells[] = {tot, sh, cnt, er, mean, p50, p95, p99, mx, snt, rcv, name};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_clamp_note(tx, clamped);
  fz_more(tx, n - shown, "endpoints");
  fz_on(tx, "2");
  fprintf(f, "  share: of the %s; sent, received: bodies; errors: HTTP status 400 or more, "
             "or the transfer failed\n", session_ns > 0 ? "session's time" : "requests' time");
  if (est) fputs("  ~: percentile estimated from a uniform sample of the requests\n", f);
  fz_off(tx);
  if (!rc) rc = phases(tx, r, shown);
  uint32_t slow = n < NET_SLOW_SHOWN ? n : NET_SLOW_SHOWN;
  int any = 0;
  for (uint32_t i = 0; i < slow; i++) any |= r[i].n_slowest > 0;
  if (any) fputs("  slowest requests (status: HTTP status, or minus the library's error code):\n", f);
  for (uint32_t i = 0; any && i < slow; i++) {
    const fathom_request_info *x = &r[i];
    for (uint32_t k = 0; k < x->n_slowest && k < FATHOM_REQUEST_SLOWEST; k++) {
      char dd[40], s[400];
      fz_fmt_dur(dd, sizeof dd, x->slowest_ns[k]);
      fz_clean(s, sizeof s, x->slowest_url[k] && *x->slowest_url[k] ? x->slowest_url[k]
                                                                     : x->endpoint, 100);
      fprintf(f, "    %10s  %4d  %s\n", dd, x->slowest_status[k], s);
    }
  }
  if (!rc && ferror(f)) rc = FATHOM_E_IO;
  return rc;
}

int fz_text_requests(const fz_tx *tx, const fathom_profile *p) {
  return fz_requests_text(tx->f, tx->color, p->requests, p->requests ? p->n_requests : 0,
                          p->requests_dropped, (double)p->meta.duration_ns);
}
