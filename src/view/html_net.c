/* html_net.c: the HTML report's data for the network requests (the profile's "requests"): one
 * row per endpoint, the page (report.js) draws them as a table with the mean of each phase
 * and the slowest request's URL.
 *
 * Invariant: text reaches the page only through fz_hj_str; at most FZ_HTML_REQUESTS rows (the
 * table is sorted by total time: the rest are the least costly), so the page stays small. */
#include <stdio.h>

#include "view/html.h"

#define FZ_HTML_REQUESTS 200

/* ,"requests":[[endpoint, count, errors, total, mean, p50, p95, p99, max, exact, sent,
 * received, phased, dns, connect, tls, wait, transfer (phase sums), slowest url], ...],
 * "requests_n":N,"requests_dropped":N */
void fz_html_net_data(FILE *f, const fathom_profile *p) {
  uint32_t n = p->requests ? p->n_requests : 0;
  uint32_t shown = n < FZ_HTML_REQUESTS ? n : FZ_HTML_REQUESTS;
  fputs(",\"requests\":[", f);
  for (uint32_t i = 0; i < shown; i++) {
    const fathom_request_info *r = &p->requests[i];
    fputs(i ? ",\n[" : "[", f);
    fz_hj_str(f, r->endpoint);
    const double v[] = {(double)r->count,   (double)r->errors, r->total_ns, r->mean_ns,
                        r->p50_ns,          r->p95_ns,         r->p99_ns,   r->max_ns,
                        r->exact ? 1 : 0,   (double)r->bytes_sent, (double)r->bytes_received,
                        (double)r->phased,  r->dns_ns,         r->connect_ns, r->tls_ns,
                        r->wait_ns,         r->transfer_ns};
    for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
      fputc(',', f);
      fz_hj_num(f, v[k]);
    }
    fputc(',', f);
    fz_hj_str(f, r->n_slowest ? r->slowest_url[0] : "");
    fputc(']', f);
  }
  fputs("],\"requests_n\":", f);
  fz_hj_u64(f, n);
  fputs(",\"requests_dropped\":", f);
  fz_hj_u64(f, p->requests_dropped);
}
