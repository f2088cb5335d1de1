/* ext_profiler.c: an extension (fathom_ext.h) measuring the program's own object pool beside
 * fathom's figures. The pool hands out buffers: a request it can serve from its free list is
 * a hit, one that must allocate is a miss. Its counters (hits, misses, bytes allocated on
 * misses) are an extension's three metrics, read by fathom around every timed call
 * (FATHOM_EXT_EVERY_CALL) with the governor off (every call timed), so each zone's figures
 * below are exact; a threshold of 0.5 misses
 * per call (in a zone's own code) raises a finding on the zones that miss more. The counters
 * are also sampled on fathom's background tick (a time series), and the extension adds its
 * own section (the hit rate) to the text report.
 *
 * Two phases of 2000 requests, each waiting 50 us as if for I/O: "serve_returning" returns
 * each buffer to the pool (all hits but the first), "serve_keeping" keeps 3 in 4 of them
 * (about 0.75 misses per call: its finding).
 *
 *   ext_profiler [OUT.json]     prints the text report; writes the profile as JSON too */
#include <fathom.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REQUESTS 2000
#define BUF_BYTES 4096

typedef struct pool {
  pthread_mutex_t lock;
  void *free_list[256];
  int n_free;
  double hits, misses, bytes;      /* the counters the extension reads (under lock) */
} pool;

static pool P = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0, 0, 0};

static void *pool_get(pool *p) {
  pthread_mutex_lock(&p->lock);
  void *b = NULL;
  if (p->n_free > 0) {
    b = p->free_list[--p->n_free];
    p->hits += 1;
  } else {
    p->misses += 1;
    p->bytes += BUF_BYTES;
  }
  pthread_mutex_unlock(&p->lock);
  return b ? b : malloc(BUF_BYTES);
}

static void pool_put(pool *p, void *b) {
  pthread_mutex_lock(&p->lock);
  if (p->n_free < 256) {
    p->free_list[p->n_free++] = b;
    b = NULL;
  }
  pthread_mutex_unlock(&p->lock);
  free(b);
}

/* ---- the extension: four callbacks over the pool's counters ---------------------------- */

static int read_counters(void *user, double *v) {
  pool *p = user;
  pthread_mutex_lock(&p->lock);
  v[0] = p->hits;
  v[1] = p->misses;
  v[2] = p->bytes;
  pthread_mutex_unlock(&p->lock);
  return 0;
}

static int sample_pool(void *user, double *v) {   /* the series: counters so far */
  return read_counters(user, v);
}

static void report_pool(void *user, const fathom_profile *p, FILE *f) {
  pool *q = user;
  (void)p;
  pthread_mutex_lock(&q->lock);
  double all = q->hits + q->misses;
  fprintf(f, "  object pool: %.0f requests, %.1f%% served from the free list, %d buffers free "
          "at the end\n", all, all > 0 ? 100 * q->hits / all : 0.0, q->n_free);
  pthread_mutex_unlock(&q->lock);
}

static const char *const metric_names[] = {"hits", "misses", "bytes"};
static const char *const metric_units[] = {"requests", "requests", "bytes"};

/* ---- the program ------------------------------------------------------------------------- */

static unsigned work(void *b, int i) {   /* what a request does with its buffer */
  unsigned char *c = b;
  memset(c, i & 0xff, BUF_BYTES);
  unsigned s = 0;
  for (int k = 0; k < BUF_BYTES; k += 64) s += c[k];
  return s;
}

static void *kept[REQUESTS];   /* buffers the second phase holds on to (freed at the end) */

static unsigned serve_returning(int i) {
  FATHOM_ZONE("serve_returning", "pool");
  void *b = pool_get(&P);
  unsigned s = work(b, i);
  usleep(50);
  pool_put(&P, b);
  return s;
}

static unsigned serve_keeping(int i) {
  FATHOM_ZONE("serve_keeping", "pool");
  void *b = pool_get(&P);
  unsigned s = work(b, i);
  usleep(50);
  if (i % 4) kept[i] = b;     /* held by the caller: never returned */
  else pool_put(&P, b);
  return s;
}

int main(int argc, char **argv) {
  const double thresholds[] = {NAN, 0.5, NAN};   /* a finding above 0.5 misses per call */
  fathom_extension x = {
      .name = "object_pool",
      .n_metrics = 3,
      .metric_names = metric_names,
      .metric_units = metric_units,
      .thresholds = thresholds,
      .flags = FATHOM_EXT_EVERY_CALL,
      .user = &P,
      .begin = read_counters,
      .end = read_counters,
      .sample = sample_pool,
      .report = report_pool,
  };
  int rc = fathom_extension_register(&x);
  if (rc) {
    fprintf(stderr, "ext_profiler: cannot register the extension: %s\n", fathom_strerror(rc));
    return 1;
  }
  fathom_config c;
  fathom_config_init(&c);
  c.monitor_interval_s = 0.05;
  c.governor = 0;   /* every call timed, so every call read: exact figures even where fathom's
                       cost would make the governor time only some calls (a slow machine, a
                       sanitizer build) */
  if (fathom_session_begin("ext_profiler", &c)) return 1;
  unsigned sum = 0;
  {
    FATHOM_ZONE("returning_phase", "pool");
    for (int i = 0; i < REQUESTS; i++) sum += serve_returning(i);
  }
  {
    FATHOM_ZONE("keeping_phase", "pool");
    for (int i = 0; i < REQUESTS; i++) sum += serve_keeping(i);
  }
  fathom_profile *p = NULL;
  if (fathom_session_end(&p) || !p) return 1;
  fathom_profile_write(p, FATHOM_FORMAT_TEXT, stdout, 0);
  if (argc > 1 && fathom_profile_save(p, FATHOM_FORMAT_JSON, argv[1])) {
    fprintf(stderr, "ext_profiler: cannot write %s\n", argv[1]);
    rc = 1;
  }
  printf("checksum %u\n", sum);
  fathom_profile_free(p);
  for (int i = 0; i < REQUESTS; i++) free(kept[i]);
  for (int i = 0; i < P.n_free; i++) free(P.free_list[i]);
  return rc;
}
