/* net_out.c: the endpoints' figures read out of the table: for the program
 * (fathom_net_stats_get, its text and JSON) and for the session's profile ("requests", handed
 * to the session as a function pointer). Percentiles are the nearest rank over the request
 * times kept: exact while every request's time is kept, else estimates from the uniform
 * sample.
 *
 * Invariant: a copy owns all its strings; the table is read under its lock, and the copy is
 * sorted by total time, largest first (the endpoint's name breaks ties). */
#include <stdlib.h>
#include <string.h>

#include "view/view.h"
#include "work/net.h"

static int by_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static int by_total(const void *a, const void *b) {
  const fathom_request_info *x = a, *y = b;
  if (x->total_ns != y->total_ns) return x->total_ns < y->total_ns ? 1 : -1;
  return strcmp(x->endpoint, y->endpoint);
}

static double rank(const uint64_t *s, uint32_t n, double q) {   /* nearest rank, s sorted */
  uint64_t r = (uint64_t)(q * n + 0.999999999);
  if (r < 1) r = 1;
  if (r > n) r = n;
  return (double)s[r - 1];
}

void fz_net_info_free(fathom_request_info *r) {
  free(r->endpoint);
  for (uint32_t k = 0; k < r->n_slowest && k < FATHOM_REQUEST_SLOWEST; k++)
    free(r->slowest_url[k]);
  memset(r, 0, sizeof *r);
}

static int copy_one(const fz_net_ent *e, fathom_request_info *r) {
  memset(r, 0, sizeof *r);
  r->endpoint = strdup(e->name);
  uint64_t *s = malloc((e->n_samples ? e->n_samples : 1) * sizeof *s);
  if (!r->endpoint || !s) {
    free(s);
    fz_net_info_free(r);
    return -1;
  }
  r->count = e->count;
  r->errors = e->errors;
  r->http_errors = e->http_errors;
  r->total_ns = (double)e->total_ns;
  r->mean_ns = e->count ? (double)e->total_ns / (double)e->count : 0;
  r->min_ns = (double)e->min_ns;
  r->max_ns = (double)e->max_ns;
  memcpy(s, e->samples, e->n_samples * sizeof *s);
  qsort(s, e->n_samples, sizeof *s, by_u64);
  if (e->n_samples) {
    r->p50_ns = rank(s, e->n_samples, 0.50);
    r->p95_ns = rank(s, e->n_samples, 0.95);
    r->p99_ns = rank(s, e->n_samples, 0.99);
  }
  free(s);
  r->exact = e->n_samples == e->count;
  r->bytes_sent = e->sent;
  r->bytes_received = e->received;
  r->phased = e->phased;
  r->phased_ns = (double)e->phased_ns;
  r->dns_ns = (double)e->ph[0];
  r->connect_ns = (double)e->ph[1];
  r->tls_ns = (double)e->ph[2];
  r->wait_ns = (double)e->ph[3];
  r->transfer_ns = (double)e->ph[4];
  for (uint32_t k = 0; k < e->n_slow; k++) {
    if (!(r->slowest_url[k] = strdup(e->slow_url[k] ? e->slow_url[k] : ""))) {
      fz_net_info_free(r);
      return -1;
    }
    r->slowest_ns[k] = (double)e->slow_ns[k];
    r->slowest_status[k] = e->slow_status[k];
    r->n_slowest = k + 1;
  }
  return 0;
}

/* The table's figures (by_gen: only when they count session g's requests). */
static int gather(int by_gen, uint32_t g, fathom_net_stats *out) {
  memset(out, 0, sizeof *out);
  int rc = 0;
  pthread_mutex_lock(&fz_net_mu);
  const fz_net_tab *t = &fz_net;
  int mine = !by_gen || t->gen == g;
  uint32_t n = mine ? t->n : 0;
  out->r = calloc(n ? n : 1, sizeof *out->r);
  if (!out->r) rc = FATHOM_E_NOMEM;
  for (uint32_t i = 0; i < n && !rc; i++) {
    if (!t->e[i].count) continue;
    if (copy_one(&t->e[i], &out->r[out->n])) rc = FATHOM_E_NOMEM;
    else out->n++;
  }
  if (mine) out->dropped = t->dropped;
  pthread_mutex_unlock(&fz_net_mu);
  if (rc) {
    fathom_net_stats_free(out);
    return rc;
  }
  qsort(out->r, out->n, sizeof *out->r, by_total);
  for (uint32_t i = 0; i < out->n; i++) {
    out->requests += out->r[i].count;
    out->total_ns += out->r[i].total_ns;
  }
  return 0;
}

int fz_net_fill_profile(fathom_profile *p, uint32_t g) {
  fathom_net_stats s;
  int rc = gather(1, g, &s);
  if (rc) return rc;
  if (!s.n && !s.dropped) {
    fathom_net_stats_free(&s);
    return 0;
  }
  p->requests = s.r;
  p->n_requests = s.n;
  p->requests_dropped = s.dropped;
  return 0;
}

FATHOM_EXTERN int fathom_net_stats_get(fathom_net_stats *out) {
  if (!out) return FATHOM_E_INVAL;
  return gather(0, 0, out);
}

FATHOM_EXTERN void fathom_net_stats_free(fathom_net_stats *s) {
  if (!s) return;
  for (uint32_t i = 0; s->r && i < s->n; i++) fz_net_info_free(&s->r[i]);
  free(s->r);
  memset(s, 0, sizeof *s);
}

FATHOM_EXTERN int fathom_net_stats_print(FILE *f, const fathom_net_stats *s) {
  if (!f || !s) return FATHOM_E_INVAL;
  if (!s->n && !s->dropped) {
    fputs("Network requests: none made\n", f);
    return ferror(f) ? FATHOM_E_IO : 0;
  }
  return fz_requests_text(f, 0, s->r, s->n, s->dropped, 0);
}

FATHOM_EXTERN int fathom_net_stats_json(FILE *f, const fathom_net_stats *s) {
  if (!f || !s) return FATHOM_E_INVAL;
  fputs("{\"requests\":", f);
  fz_json_requests(f, s->r, s->n);
  fprintf(f, ",\"requests_dropped\":%llu}\n", (unsigned long long)s->dropped);
  return fflush(f) || ferror(f) ? FATHOM_E_IO : 0;
}
