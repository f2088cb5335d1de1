/* net_tab.c: the table of endpoints (one entry per endpoint, found by its hash, with its
 * requests' count, errors, times, bytes and phases, a uniform sample of its request times for
 * the percentiles and its slowest requests), the requests in flight between
 * fathom_request_begin and fathom_request_end, and the API that adds to them.
 *
 * Invariant: at most FATHOM_NET_MAX_ENDPOINTS entries (requests to further endpoints are
 * counted in `dropped`, never lost silently); at most FATHOM_REQUEST_SAMPLES times per entry
 * (every request's while there are no more, then a reservoir: each request's time is kept
 * with the same probability); slowest requests sorted slowest first; a slot in flight is
 * ended once (its generation changes when it ends or the table is cleared); everything under
 * fz_net_mu. The figures are those of the latest session that began (cleared at its first
 * request), or of every request when no session ever began. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/record.h"
#include "util/resv.h"
#include "session/session.h"
#include "work/net.h"

pthread_mutex_t fz_net_mu = PTHREAD_MUTEX_INITIALIZER;
fz_net_tab fz_net;

typedef struct slot {
  uint32_t gen;        /* bumped at each begin and end: a handle's gen_ must match */
  int busy;
  uint32_t ent, epoch; /* its entry, valid while epoch is the table's */
  uint64_t t0;
  char *url;
} slot;
static slot *slots;    /* FATHOM_NET_INFLIGHT of them, made at the first begin */
static uint32_t cursor;
static int wired;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t hash(const char *s, size_t n) {   /* FNV-1a */
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
  return h;
}

static void clear(fz_net_tab *t) {
  for (uint32_t i = 0; i < t->n; i++) {
    free(t->e[i].name);
    free(t->e[i].samples);
    for (uint32_t k = 0; k < t->e[i].n_slow; k++) free(t->e[i].slow_url[k]);
  }
  t->n = 0;
  if (t->idx) memset(t->idx, 0, t->idx_cap * sizeof *t->idx);
  t->requests = t->dropped = 0;
  t->epoch++;
}

/* Clears the figures when a session began since they started. Caller holds fz_net_mu. */
static void session_check(fz_net_tab *t) {
  uint32_t g = FZ_LD(fz_rec_gen);
  if (!g || g == t->gen) return;
  clear(t);
  t->gen = g;
}

/* The entry of an endpoint, created when new: FZ_NET_NONE at the cap or out of memory. */
static uint32_t find(fz_net_tab *t, const char *name, size_t len) {
  if (!t->idx) {
    t->idx_cap = 2 * FATHOM_NET_MAX_ENDPOINTS;
    if (!(t->idx = calloc(t->idx_cap, sizeof *t->idx))) return FZ_NET_NONE;
    t->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)t->idx;
  }
  uint64_t h = hash(name, len);
  uint32_t mask = t->idx_cap - 1, j = (uint32_t)h & mask;
  for (;; j = (j + 1) & mask) {
    uint32_t v = t->idx[j];
    if (!v) break;
    fz_net_ent *e = &t->e[v - 1];
    if (e->hash == h && strlen(e->name) == len && memcmp(e->name, name, len) == 0) return v - 1;
  }
  if (t->n >= FATHOM_NET_MAX_ENDPOINTS) return FZ_NET_NONE;
  if (t->n == t->cap) {
    uint32_t nc = t->cap ? t->cap * 2 : 16;
    fz_net_ent *ne = realloc(t->e, nc * sizeof *ne);
    if (!ne) return FZ_NET_NONE;
    t->e = ne;
    t->cap = nc;
  }
  fz_net_ent *e = &t->e[t->n];
  memset(e, 0, sizeof *e);
  if (!(e->name = malloc(len + 1))) return FZ_NET_NONE;
  memcpy(e->name, name, len);
  e->name[len] = 0;
  e->hash = h;
  t->idx[j] = ++t->n;
  return t->n - 1;
}

static void keep_slow(fz_net_ent *e, const fz_net_req *r) {
  uint32_t k = 0;
  while (k < e->n_slow && e->slow_ns[k] >= r->ns) k++;
  if (k >= FATHOM_REQUEST_SLOWEST) return;
  char buf[FATHOM_REQUEST_URL_MAX];
  fz_net_url_clean(r->url ? r->url : e->name, buf, sizeof buf);
  char *c = strdup(buf);
  if (!c) return;
  if (e->n_slow == FATHOM_REQUEST_SLOWEST) free(e->slow_url[--e->n_slow]);
  uint32_t m = e->n_slow - k;
  memmove(&e->slow_ns[k + 1], &e->slow_ns[k], m * sizeof *e->slow_ns);
  memmove(&e->slow_status[k + 1], &e->slow_status[k], m * sizeof *e->slow_status);
  memmove(&e->slow_url[k + 1], &e->slow_url[k], m * sizeof *e->slow_url);
  e->slow_ns[k] = r->ns;
  e->slow_status[k] = r->status;
  e->slow_url[k] = c;
  e->n_slow++;
}

/* Adds r to entry i. Caller holds fz_net_mu. */
static void add(fz_net_tab *t, uint32_t i, const fz_net_req *r) {
  fz_net_ent *e = &t->e[i];
  if (!e->count || r->ns < e->min_ns) e->min_ns = r->ns;
  if (r->ns > e->max_ns) e->max_ns = r->ns;
  e->count++;
  e->total_ns += r->ns;
  e->errors += r->error != 0;
  e->http_errors += r->error && r->http_error;
  e->sent += r->sent;
  e->received += r->received;
  if (r->has_phases) {
    e->phased++;
    e->phased_ns += r->ns;
    for (int k = 0; k < 5; k++) e->ph[k] += r->ph[k];
  }
  t->requests++;
  fz_resv_offer(&e->samples, &e->n_samples, &e->cap_samples, FATHOM_REQUEST_SAMPLES, &t->rng, e->count,
                r->ns);   /* e->count already counts this one */
  keep_slow(e, r);
}

void fz_net_wire(void) {
  if (__atomic_load_n(&wired, __ATOMIC_ACQUIRE)) return;
  fz_session_set_requests(fz_net_fill_profile);
  __atomic_store_n(&wired, 1, __ATOMIC_RELEASE);
}

int fz_net_add_url(const char *url, const fz_net_req *r) {
  if (!url || !*url || !r) return FATHOM_E_INVAL;
  char name[FZ_NET_ENDPOINT_MAX];
  size_t n = fz_net_endpoint(url, name, sizeof name);
  if (!n) return FATHOM_E_INVAL;
  fz_net_wire();
  pthread_mutex_lock(&fz_net_mu);
  session_check(&fz_net);
  uint32_t i = find(&fz_net, name, n);
  int rc = 0;
  if (i == FZ_NET_NONE) {
    fz_net.dropped++;
    rc = fz_net.n >= FATHOM_NET_MAX_ENDPOINTS ? FATHOM_E_LIMIT : FATHOM_E_NOMEM;
  } else {
    add(&fz_net, i, r);
  }
  pthread_mutex_unlock(&fz_net_mu);
  return rc;
}

/* ---- the API ---- */

FATHOM_EXTERN fathom_request fathom_request_begin(const char *url) {
  fathom_request h = {FATHOM_E_INVAL, 0, 0};
  char name[FZ_NET_ENDPOINT_MAX];
  size_t n = url ? fz_net_endpoint(url, name, sizeof name) : 0;
  if (!n) return h;
  char *copy = strdup(url);
  if (!copy) {
    h.status = FATHOM_E_NOMEM;
    return h;
  }
  fz_net_wire();
  pthread_mutex_lock(&fz_net_mu);
  session_check(&fz_net);
  if (!slots) slots = calloc(FATHOM_NET_INFLIGHT, sizeof *slots);
  uint32_t i = slots ? find(&fz_net, name, n) : FZ_NET_NONE;
  slot *s = NULL;
  for (uint32_t k = 0; i != FZ_NET_NONE && k < FATHOM_NET_INFLIGHT && !s; k++) {
    uint32_t j = (cursor + k) % FATHOM_NET_INFLIGHT;
    if (!slots[j].busy) {
      s = &slots[j];
      cursor = (j + 1) % FATHOM_NET_INFLIGHT;
    }
  }
  if (!s) {
    h.status = !slots || (i == FZ_NET_NONE && fz_net.n < FATHOM_NET_MAX_ENDPOINTS)
                   ? FATHOM_E_NOMEM
                   : FATHOM_E_LIMIT;
    fz_net.dropped++;
    free(copy);
  } else {
    s->busy = 1;
    s->gen++;
    s->ent = i;
    s->epoch = fz_net.epoch;
    s->url = copy;
    h.status = 0;
    h.slot_ = (uint32_t)(s - slots) + 1;
    h.gen_ = s->gen;
    s->t0 = now_ns();
  }
  pthread_mutex_unlock(&fz_net_mu);
  return h;
}

FATHOM_EXTERN int fathom_request_end(fathom_request h, uint64_t bytes_sent,
                                     uint64_t bytes_received, int error) {
  uint64_t t1 = now_ns();
  if (h.status) return h.status;
  if (!h.slot_ || h.slot_ > FATHOM_NET_INFLIGHT) return FATHOM_E_ENDED;
  pthread_mutex_lock(&fz_net_mu);
  slot *s = slots ? &slots[h.slot_ - 1] : NULL;
  int rc = 0;
  if (!s || !s->busy || s->gen != h.gen_) {
    rc = FATHOM_E_ENDED;
  } else {
    uint32_t g = FZ_LD(fz_rec_gen);
    if (s->epoch != fz_net.epoch || (g && g != fz_net.gen)) {
      rc = FATHOM_E_STATE;   /* begun before the figures were cleared */
    } else {
      fz_net_req r = {.ns = t1 > s->t0 ? t1 - s->t0 : 0, .sent = bytes_sent,
                      .received = bytes_received, .status = error,
                      .error = fz_net_is_error(error), .http_error = error >= 400,
                      .url = s->url};
      add(&fz_net, s->ent, &r);
    }
    free(s->url);
    s->url = NULL;
    s->busy = 0;
    s->gen++;
  }
  pthread_mutex_unlock(&fz_net_mu);
  return rc;
}

FATHOM_EXTERN int fathom_request_record(const char *url, uint64_t total_ns,
                                        const fathom_request_phases *ph, uint64_t bytes_sent,
                                        uint64_t bytes_received, int error) {
  fz_net_req r = {.ns = total_ns, .sent = bytes_sent, .received = bytes_received,
                  .status = error, .error = fz_net_is_error(error), .http_error = error >= 400,
                  .url = url};
  if (ph) {
    const uint64_t v[5] = {ph->dns_ns, ph->connect_ns, ph->tls_ns, ph->wait_ns, ph->transfer_ns};
    uint64_t sum = 0;
    for (int k = 0; k < 5; k++) {
      if (v[k] > total_ns || sum + v[k] > total_ns) return FATHOM_E_INVAL;
      sum += v[k];
      r.ph[k] = v[k];
    }
    r.has_phases = 1;
  }
  return fz_net_add_url(url, &r);
}

FATHOM_EXTERN void fathom_net_reset(void) {
  pthread_mutex_lock(&fz_net_mu);
  clear(&fz_net);
  pthread_mutex_unlock(&fz_net_mu);
}
