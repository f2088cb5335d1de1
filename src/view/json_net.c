/* json_net.c: the "requests" table of the JSON profile (network requests per endpoint:
 * fathom_request_begin / end / record, libcurl) and "requests_dropped", written only when
 * there is something to say, so other profiles' files are unchanged; src/load/json_net.c
 * reads them back. The same array is what fathom_net_stats_json writes.
 *
 * Invariant: every double reads back bit-identical (NaN as null). */
#include <stdio.h>

#include "util/jsonw.h"
#include "view/view.h"

static void u64(FILE *f, const char *k, uint64_t v) {
  fprintf(f, ",\"%s\":", k);
  fz_json_write_u64(f, v);
}

static void put_request(FILE *f, const fathom_request_info *r) {
  fputs("{\"endpoint\":", f);
  fz_json_write_str(f, r->endpoint ? r->endpoint : "", 0);
  u64(f, "count", r->count);
  u64(f, "errors", r->errors);
  u64(f, "http_errors", r->http_errors);
  fz_json_num_member(f, "total_ns", r->total_ns);
  fz_json_num_member(f, "mean_ns", r->mean_ns);
  fz_json_num_member(f, "min_ns", r->min_ns);
  fz_json_num_member(f, "max_ns", r->max_ns);
  fz_json_num_member(f, "p50_ns", r->p50_ns);
  fz_json_num_member(f, "p95_ns", r->p95_ns);
  fz_json_num_member(f, "p99_ns", r->p99_ns);
  fprintf(f, ",\"percentiles_exact\":%s", r->exact ? "true" : "false");
  u64(f, "bytes_sent", r->bytes_sent);
  u64(f, "bytes_received", r->bytes_received);
  u64(f, "phased", r->phased);
  fz_json_num_member(f, "phased_ns", r->phased_ns);
  fz_json_num_member(f, "dns_ns", r->dns_ns);
  fz_json_num_member(f, "connect_ns", r->connect_ns);
  fz_json_num_member(f, "tls_ns", r->tls_ns);
  fz_json_num_member(f, "wait_ns", r->wait_ns);
  fz_json_num_member(f, "transfer_ns", r->transfer_ns);
  fputs(",\"slowest\":[", f);
  for (uint32_t k = 0; k < r->n_slowest && k < FATHOM_REQUEST_SLOWEST; k++) {
    fputs(k ? ",{\"ns\":" : "{\"ns\":", f);
    fz_json_write_double(f, r->slowest_ns[k]);
    fprintf(f, ",\"status\":%d,\"url\":", r->slowest_status[k]);
    fz_json_write_str(f, r->slowest_url[k] ? r->slowest_url[k] : "", 0);
    fputc('}', f);
  }
  fputs("]}", f);
}

void fz_json_requests(FILE *f, const fathom_request_info *r, uint32_t n) {
  fputc('[', f);
  for (uint32_t i = 0; r && i < n; i++) {
    fputs(i ? ",\n " : "\n ", f);
    put_request(f, &r[i]);
  }
  fputc(']', f);
}

void fz_json_put_requests(FILE *f, const fathom_profile *p) {
  if (!(p->n_requests && p->requests) && !p->requests_dropped) return;
  fputs(",\n\"requests\":", f);
  fz_json_requests(f, p->requests, p->requests ? p->n_requests : 0);
  fputs(",\n\"requests_dropped\":", f);
  fz_json_write_u64(f, p->requests_dropped);
}
