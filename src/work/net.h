/* net.h: network requests per endpoint, private to src/work: endpoint names (net_url.c), the
 * table of endpoints and the requests in flight (net_tab.c), libcurl's figures (net_curl.c)
 * and the readers (net_out.c).
 *
 * Invariant: one table for the process, changed and read only under its lock (fz_net_mu); no
 * other lock is taken under it, and it is never held while the session's lock is. */
#ifndef FATHOM_WORK_NET_H
#define FATHOM_WORK_NET_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "fathom.h"

#define FZ_NET_NONE UINT32_MAX
#define FZ_NET_ENDPOINT_MAX 256   /* bytes of an endpoint's name, its terminating 0 in */

/* ---- net_url.c ---- */
/* The endpoint of url into out (cap bytes, at least 8): see fathom_work.h. Returns its
 * length, 0 for an empty url. */
size_t fz_net_endpoint(const char *url, char *out, size_t cap);
/* url without its user and password, cut before a character to fit cap (the 0 in). */
void fz_net_url_clean(const char *url, char *out, size_t cap);
/* Whether an error argument is an error, and an HTTP one (>= 400). */
int fz_net_is_error(int e);

/* One endpoint's figures. */
typedef struct fz_net_ent {
  char *name;
  uint64_t hash;
  uint64_t count, errors, http_errors, sent, received;
  uint64_t total_ns, min_ns, max_ns;
  uint64_t phased, phased_ns, ph[5];   /* dns, connect, tls, wait, transfer */
  uint64_t *samples;                   /* request times: all, or a uniform sample */
  uint32_t n_samples, cap_samples;
  uint32_t n_slow;
  uint64_t slow_ns[FATHOM_REQUEST_SLOWEST];
  int slow_status[FATHOM_REQUEST_SLOWEST];
  char *slow_url[FATHOM_REQUEST_SLOWEST];
} fz_net_ent;

/* A request to add. */
typedef struct fz_net_req {
  uint64_t ns, sent, received;
  int has_phases;
  uint64_t ph[5];
  int status;         /* as recorded (the slowest requests show it) */
  int error, http_error;
  const char *url;    /* for the slowest requests (cleaned when kept); NULL: the endpoint */
} fz_net_req;

/* ---- net_tab.c ---- */
extern pthread_mutex_t fz_net_mu;
typedef struct fz_net_tab {
  uint32_t gen;             /* the session whose requests it counts (0: none yet) */
  uint32_t epoch;           /* bumped when its figures are cleared */
  fz_net_ent *e;
  uint32_t n, cap;
  uint32_t *idx;            /* open addressing: entry index + 1, 0 empty */
  uint32_t idx_cap;
  uint64_t requests, dropped, rng;
} fz_net_tab;
extern fz_net_tab fz_net;
/* Adds a request to the endpoint of url (caller holds nothing). 0, FATHOM_E_INVAL,
 * FATHOM_E_LIMIT (counted as dropped), FATHOM_E_NOMEM. */
int fz_net_add_url(const char *url, const fz_net_req *r);

/* ---- net_curl.c ---- */
/* Test seam: how curl_easy_getinfo is found (NULL: dlsym in the process). */
extern void *(*fz_net_curl_resolver)(const char *name);

/* ---- net_out.c ---- */
/* The profile's "requests" for session generation g (handed to the session at first use). */
int fz_net_fill_profile(fathom_profile *p, uint32_t g);
void fz_net_info_free(fathom_request_info *r);
/* Hands the reader to the session once (net_tab.c). */
void fz_net_wire(void);

#endif
