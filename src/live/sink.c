/* sink.c: the sink registry, the compact metrics built from a model, and flushes (see
 * sink.h).
 *
 * How it works: the registry (at most MAX_SINKS (fn, user) pairs) is guarded by list_lock;
 * a flush takes flush_lock, copies the registry, builds the metrics once and calls each sink
 * and then appends the stream line. fathom_sink_remove takes flush_lock too, so when it
 * returns no flush is running the removed sink (from inside a sink it takes effect at the
 * next flush). The background task flushes every interval; session end flushes once more
 * with final = 1. The stream waits at most TICK_WAIT_MS for a reader at a periodic or
 * explicit flush and FINAL_WAIT_MS at the final one; what it could not write is counted and
 * said once, in one stderr line, at session end. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/sched.h"
#include "live/live.h"
#include "model/model.h"
#include "live/sink.h"

#define MAX_SINKS 16
#define DEFAULT_INTERVAL_S 10.0
#define TICK_WAIT_MS 100     /* a periodic or explicit flush: a FIFO's reader, room in a pipe */
#define FINAL_WAIT_MS 1000   /* the final flush at session end */

typedef struct sink {
  fathom_sink_fn fn;
  void *user;
} sink;

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t flush_lock = PTHREAD_MUTEX_INITIALIZER;
static sink sinks[MAX_SINKS];
static int n_sinks;                 /* under list_lock */
static __thread int in_flush;       /* this thread is inside a flush */

static struct {                     /* under flush_lock, armed also read atomically */
  int armed;
  fz_stream st;                     /* st.path NULL: no stream */
  uint64_t interval_ns, last_ns, seq;
  uint64_t flushes;                 /* atomic */
} S = {.st.fd = -1};

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- metrics ------------------------------------------------------------------------ */

static int cmp_zone(const void *a, const void *b) {
  const fathom_sink_zone *x = a, *y = b;
  return x->total_s < y->total_s ? 1 : x->total_s > y->total_s ? -1 : strcmp(x->name, y->name);
}

int fz_sink_metrics_build(const fathom_profile *p, fathom_sink_metrics *m) {
  memset(m, 0, sizeof *m);
  fathom_sink_zone *z = calloc(p->n_zones ? p->n_zones : 1, sizeof *z);
  fathom_sink_counter *k = calloc(p->n_counters ? p->n_counters : 1, sizeof *k);
  if (!z || !k) {
    free(z);
    free(k);
    return FATHOM_E_NOMEM;
  }
  for (uint32_t i = 0; i < p->n_zones; i++) {
    const fathom_zone_info *zi = &p->zones[i];
    const fathom_stats *st = &zi->stats;
    z[i].name = zi->name ? zi->name : "";
    z[i].component = zi->component ? zi->component : "default";
    z[i].calls = st->count;
    z[i].total_s = (double)st->total_ns / 1e9;
    z[i].self_s = (double)st->self_ns / 1e9;
    z[i].mean_s = st->mean_ns / 1e9;
    z[i].p50_s = st->p50_ns / 1e9;
    z[i].p90_s = st->p90_ns / 1e9;
    z[i].p99_s = st->p99_ns / 1e9;
    z[i].max_s = (double)st->max_ns / 1e9;
  }
  qsort(z, p->n_zones, sizeof *z, cmp_zone);
  for (uint32_t i = 0; i < p->n_counters; i++) {
    k[i].name = p->counters[i].name ? p->counters[i].name : "";
    k[i].kind = p->counters[i].kind;
    k[i].n_updates = p->counters[i].n_updates;
    k[i].value = p->counters[i].value;
  }
  m->unix_ns = clock_ns(CLOCK_REALTIME);
  m->elapsed_s = (double)p->meta.duration_ns / 1e9;
  m->session = p->meta.session_name ? p->meta.session_name : "";
  m->pid = (int64_t)getpid();
  m->zone_calls = p->meta.n_zones;
  m->dropped_zones = p->meta.dropped_zones;
  m->dropped_events = p->meta.dropped_events;
  m->cpu_s = p->meta.cpu_time_ns / 1e9;
  m->rss_bytes = fz_live_rss_bytes();
  m->overhead_pct = p->meta.overhead_pct;
  m->n_zones = p->n_zones;
  m->zones = z;
  m->n_counters = p->n_counters;
  m->counters = k;
  m->profile = p;
  return 0;
}

void fz_sink_metrics_free(fathom_sink_metrics *m) {
  free((void *)(uintptr_t)m->zones);
  free((void *)(uintptr_t)m->counters);
  m->zones = NULL;
  m->counters = NULL;
}

/* ---- flushing ----------------------------------------------------------------------- */

/* Delivers p to every sink and the stream (caller holds flush_lock). */
static int deliver(const fathom_profile *p, int final) {
  sink copy[MAX_SINKS];
  pthread_mutex_lock(&list_lock);
  int n = n_sinks;
  memcpy(copy, sinks, (size_t)n * sizeof *copy);
  pthread_mutex_unlock(&list_lock);
  if (!n && !S.st.path) return 0;
  fathom_sink_metrics m;
  if (fz_sink_metrics_build(p, &m) != 0) return FATHOM_E_NOMEM;
  m.seq = ++S.seq;
  m.final = final;
  in_flush = 1;
  for (int i = 0; i < n; i++) copy[i].fn(&m, copy[i].user);
  in_flush = 0;
  int wait = final ? FINAL_WAIT_MS : S.st.stalled ? 0 : TICK_WAIT_MS;
  int rc = S.st.path ? fz_stream_append(&S.st, &m, wait) : 0;
  __atomic_add_fetch(&S.flushes, 1, __ATOMIC_RELAXED);
  fz_sink_metrics_free(&m);
  return rc;
}

static int has_sinks(void) {
  pthread_mutex_lock(&list_lock);
  int n = n_sinks;
  pthread_mutex_unlock(&list_lock);
  return n > 0;
}

static int wanted(void) {
  if (!__atomic_load_n(&S.armed, __ATOMIC_ACQUIRE)) return 0;
  return __atomic_load_n(&n_sinks, __ATOMIC_RELAXED) > 0 || S.st.path != NULL;
}

static void tick_work(uint64_t now) {
  pthread_mutex_lock(&flush_lock);
  if (S.armed && now - S.last_ns >= S.interval_ns) {
    S.last_ns = now;
    fathom_profile *p = fz_live_snapshot();
    if (p) {
      deliver(p, 0);
      fathom_profile_free(p);
    }
  }
  pthread_mutex_unlock(&flush_lock);
}

static uint64_t tick(uint64_t now) {
  tick_work(now);
  return FZ_SCHED_IDLE_NS;
}

const fz_sched_task fz_sink_task = {"sinks", wanted, tick, NULL};

void fz_sink_begin(const char *path, double interval_s) {
  pthread_mutex_lock(&flush_lock);
  fz_stream_close(&S.st);
  free(S.st.path);
  S.st.path = path && *path ? fz_strdup(path) : NULL;
  S.st.lines = S.st.dropped = 0;
  S.st.why[0] = 0;
  S.interval_ns = (uint64_t)((interval_s > 0 ? interval_s : DEFAULT_INTERVAL_S) * 1e9);
  if (S.interval_ns < 100000000u) S.interval_ns = 100000000u;
  S.last_ns = clock_ns(CLOCK_MONOTONIC);
  S.seq = 0;
  __atomic_store_n(&S.flushes, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&S.armed, 1, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&flush_lock);
}

void fz_sink_end(const fathom_profile *p) {
  pthread_mutex_lock(&flush_lock);
  if (S.armed && p && (S.st.path || has_sinks())) deliver(p, 1);
  __atomic_store_n(&S.armed, 0, __ATOMIC_RELEASE);
  fz_stream_close(&S.st);
  fz_stream_report(&S.st);
  pthread_mutex_unlock(&flush_lock);
}

void fz_sink_after_fork_child(void) {
  /* a thread of the parent may have held them at the fork; only this thread exists now */
  pthread_mutex_init(&list_lock, NULL);
  pthread_mutex_init(&flush_lock, NULL);
  in_flush = 0;
  S.st.lines = S.st.dropped = 0;   /* the child reports its own drops (its copy of a kept
                                      descriptor stays: lines up to PIPE_BUF stay whole) */
}

uint64_t fz_sink_flush_count(void) { return __atomic_load_n(&S.flushes, __ATOMIC_RELAXED); }

/* ---- public API ---------------------------------------------------------------------- */

FATHOM_EXTERN int fathom_sink_add(fathom_sink_fn fn, void *user) {
  if (!fn) return FATHOM_E_INVAL;
  int rc = 0;
  pthread_mutex_lock(&list_lock);
  int i;
  for (i = 0; i < n_sinks; i++)
    if (sinks[i].fn == fn && sinks[i].user == user) break;
  if (i == n_sinks) {
    if (n_sinks == MAX_SINKS) {
      rc = FATHOM_E_LIMIT;
    } else {
      sinks[n_sinks].fn = fn;
      sinks[n_sinks].user = user;
      __atomic_store_n(&n_sinks, n_sinks + 1, __ATOMIC_RELAXED);
    }
  }
  pthread_mutex_unlock(&list_lock);
  return rc;
}

FATHOM_EXTERN int fathom_sink_remove(fathom_sink_fn fn, void *user) {
  int nested = in_flush;   /* from inside a sink: flush_lock is ours already */
  if (!nested) pthread_mutex_lock(&flush_lock);
  pthread_mutex_lock(&list_lock);
  int rc = FATHOM_E_NOTFOUND;
  for (int i = 0; i < n_sinks; i++) {
    if (sinks[i].fn != fn || sinks[i].user != user) continue;
    memmove(&sinks[i], &sinks[i + 1], (size_t)(n_sinks - i - 1) * sizeof *sinks);
    __atomic_store_n(&n_sinks, n_sinks - 1, __ATOMIC_RELAXED);
    rc = 0;
    break;
  }
  pthread_mutex_unlock(&list_lock);
  if (!nested) pthread_mutex_unlock(&flush_lock);
  return rc;
}

FATHOM_EXTERN int fathom_sink_flush(void) {
  int saved = errno;
  if (in_flush) return FATHOM_E_STATE;   /* from inside a sink */
  fathom_profile *p = fz_live_snapshot();
  if (!p) {
    errno = saved;
    return FATHOM_E_STATE;
  }
  pthread_mutex_lock(&flush_lock);
  int rc = S.armed ? deliver(p, 0) : FATHOM_E_STATE;
  pthread_mutex_unlock(&flush_lock);
  fathom_profile_free(p);
  errno = saved;
  return rc;
}
