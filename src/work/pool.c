/* pool.c: fathom_parallel_map: the per-call pool of worker threads ("fathom-map-N"), its runs
 * over a range of items, and the call that tunes (tune.c) then runs the rest.
 *
 * Invariant: the pool is created by the call and joined before it returns, so no thread
 * outlives it and a forked child never inherits a pool in use (the child has only the forking
 * thread, and no pool state is global). Every index in [0, n) is taken exactly once: runs
 * cover consecutive ranges, and within a run an atomic cursor hands out disjoint chunks.
 * Each task runs inside a zone (opts->name, component "work"). Per-worker figures are
 * written by their worker only, and read after the run's end under the pool's mutex. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "work/work.h"

uint64_t fz_work_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int fz_work_sched_times(uint64_t *run_ns, uint64_t *wait_ns) {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return -1;
  *run_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  char buf[128];
  int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t k = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (k <= 0) return -1;
  buf[k] = '\0';
  unsigned long long r, w;
  if (sscanf(buf, "%llu %llu", &r, &w) != 2) return -1;
  *wait_ns = w;
  return 0;
}

/* One worker's share of the current run. */
static void work_run(fz_pool *p, unsigned id, size_t end, size_t chunk, uint64_t start,
                     fz_run_stats *st) {
  uint64_t r0 = 0, w0 = 0, r1 = 0, w1 = 0;
  int known = fz_work_sched_times(&r0, &w0) == 0;
  uint64_t t = fz_work_now_ns(), t_begin = t;
  uint64_t busy = 0, queue = t > start ? t - start : 0, tasks = 0;
  for (;;) {
    size_t s = atomic_fetch_add_explicit(&p->cursor, chunk, memory_order_relaxed);
    uint64_t t1 = fz_work_now_ns();
    queue += t1 - t;
    if (s >= end) { t = t1; break; }
    size_t e = end - s > chunk ? s + chunk : end;
    for (size_t i = s; i < e; i++) {
      fathom_zone z = fathom_zone_begin(p->name, "work");
      p->fn(p->items + i * p->item_size, i, p->user);
      (void)fathom_zone_end(z);
    }
    t = fz_work_now_ns();
    busy += t - t1;
    tasks += e - s;
  }
  known = known && fz_work_sched_times(&r1, &w1) == 0;
  uint64_t span = t - t_begin, on = (r1 - r0) + (w1 - w0);
  st->busy_ns[id] = busy;
  st->tasks[id] = tasks;
  st->queue_ns[id] = queue;
  st->span_ns[id] = span;
  st->off_known[id] = known;
  st->off_cpu_ns[id] = known && span > on ? span - on : 0;
}

static void *worker_main(void *arg) {
  struct fz_worker *w = arg;
  fz_pool *p = w->pool;
  char name[16];
  snprintf(name, sizeof name, "fathom-map-%u", w->id);
  pthread_setname_np(pthread_self(), name);
  uint64_t seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (p->gen == seen && !p->quit) pthread_cond_wait(&p->go, &p->mu);
    if (p->quit) break;
    seen = p->gen;
    unsigned workers = p->run_workers;
    size_t end = p->run_end, chunk = p->run_chunk;
    uint64_t start = p->run_start_ns;
    fz_run_stats *st = p->stats;
    pthread_mutex_unlock(&p->mu);
    if (w->id < workers) work_run(p, w->id, end, chunk, start, st);
    pthread_mutex_lock(&p->mu);
    if (++p->n_done == p->n_threads) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

int fz_pool_start(fz_pool *p, unsigned n) {
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->go, NULL);
  pthread_cond_init(&p->done, NULL);
  p->n_threads = 0;
  p->gen = 0;
  p->quit = 0;
  for (unsigned i = 0; i < n; i++) {
    p->w[i].pool = p;
    p->w[i].id = i;
    if (pthread_create(&p->w[i].th, NULL, worker_main, &p->w[i]) != 0) break;
    p->n_threads++;   /* no worker reads n_threads before the first run */
  }
  if (p->n_threads == 0) {
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->go);
    pthread_mutex_destroy(&p->mu);
    return FATHOM_E_NOMEM;
  }
  return 0;
}

void fz_pool_run(fz_pool *p, unsigned workers, size_t begin, size_t end, size_t chunk,
                 fz_run_stats *st) {
  memset(st, 0, sizeof *st);
  if (workers > p->n_threads) workers = p->n_threads;
  pthread_mutex_lock(&p->mu);
  atomic_store_explicit(&p->cursor, begin, memory_order_relaxed);
  p->run_workers = workers;
  p->run_end = end;
  p->run_chunk = chunk ? chunk : 1;
  p->stats = st;
  p->n_done = 0;
  p->run_start_ns = fz_work_now_ns();
  p->gen++;
  pthread_cond_broadcast(&p->go);
  while (p->n_done < p->n_threads) pthread_cond_wait(&p->done, &p->mu);
  st->wall_ns = fz_work_now_ns() - p->run_start_ns;
  pthread_mutex_unlock(&p->mu);
}

void fz_pool_stop(fz_pool *p) {
  pthread_mutex_lock(&p->mu);
  p->quit = 1;
  pthread_cond_broadcast(&p->go);
  pthread_mutex_unlock(&p->mu);
  for (unsigned i = 0; i < p->n_threads; i++) pthread_join(p->w[i].th, NULL);
  pthread_cond_destroy(&p->done);
  pthread_cond_destroy(&p->go);
  pthread_mutex_destroy(&p->mu);
}

void fz_result_add(fathom_map_result *res, const fz_run_stats *st, unsigned workers) {
  for (unsigned i = 0; i < workers && i < FATHOM_MAP_MAX_WORKERS; i++) {
    res->busy_ns[i] += st->busy_ns[i];
    res->idle_ns[i] += st->wall_ns > st->busy_ns[i] ? st->wall_ns - st->busy_ns[i] : 0;
    res->tasks[i] += st->tasks[i];
    res->queue_wait_ns += st->queue_ns[i];
  }
}

void fathom_map_opts_init(fathom_map_opts *opts) {
  if (opts) memset(opts, 0, sizeof *opts);
}

static unsigned online_cpus(void) {
  long c = sysconf(_SC_NPROCESSORS_ONLN);
  return c < 1 ? 1u : c > FATHOM_MAP_MAX_WORKERS ? FATHOM_MAP_MAX_WORKERS : (unsigned)c;
}

static size_t auto_chunk(size_t n, unsigned workers) {
  size_t c = n / ((size_t)workers * 16);
  return c ? c : 1;
}

int fathom_parallel_map(void *items, size_t n, size_t item_size, fathom_map_fn fn,
                        void *user, const fathom_map_opts *opts, fathom_map_result *res) {
  fathom_map_opts o;
  fathom_map_opts_init(&o);
  if (opts) o = *opts;
  if (!items || !fn || n == 0 || item_size == 0 || n > SIZE_MAX / item_size) return FATHOM_E_INVAL;
  if (o.workers > FATHOM_MAP_MAX_WORKERS || o.max_workers > FATHOM_MAP_MAX_WORKERS ||
      !(o.tune_fraction >= 0 && o.tune_fraction <= 0.5))
    return FATHOM_E_INVAL;
  fathom_map_result local;
  fathom_map_result *r = res ? res : &local;
  memset(r, 0, sizeof *r);
  r->off_cpu_share = -1;
  unsigned cpus = online_cpus();
  unsigned max_w = o.workers;
  if (!max_w) {
    max_w = o.max_workers ? o.max_workers : 2 * cpus;
    if (!o.max_workers && max_w < 4) max_w = 4;
    if (max_w > FATHOM_MAP_MAX_WORKERS) max_w = FATHOM_MAP_MAX_WORKERS;
  }
  if (max_w > n) max_w = (unsigned)n;

  fathom_zone outer = fathom_zone_begin("fathom_parallel_map", "work");
  fz_pool *p = calloc(1, sizeof *p);
  if (!p) { (void)fathom_zone_end(outer); return FATHOM_E_NOMEM; }
  p->items = items;
  p->item_size = item_size;
  p->fn = fn;
  p->user = user;
  p->name = o.name && o.name[0] ? o.name : "map_task";
  if (fz_pool_start(p, max_w) != 0) {
    free(p);
    (void)fathom_zone_end(outer);
    return FATHOM_E_NOMEM;
  }
  r->n_threads = p->n_threads;
  uint64_t t0 = fz_work_now_ns();
  size_t done = 0;
  unsigned workers = o.workers ? o.workers : 0;
  if (!workers) {
    double frac = o.tune_fraction > 0 ? o.tune_fraction : 0.1;
    size_t sample = (size_t)((double)n * frac);
    workers = fz_tune(p, sample, p->n_threads, cpus, r, &done);
    r->tune_ns = fz_work_now_ns() - t0;
    r->tune_items = done;
  } else if (workers <= p->n_threads) {
    snprintf(r->decision, sizeof r->decision, "%u worker%s, as asked", workers,
             workers == 1 ? "" : "s");
  } else {
    snprintf(r->decision, sizeof r->decision, "%u worker%s (%u asked; %s)", p->n_threads,
             p->n_threads == 1 ? "" : "s", workers,
             n < workers ? "no more than the items" : "no more threads could start");
  }
  if (workers > p->n_threads) workers = p->n_threads;
  r->workers = workers;
  if (o.chunk) r->chunk = o.chunk;
  else if (!r->chunk) r->chunk = auto_chunk(n - done, workers);
  r->imbalance = 1;
  if (done < n) {
    fz_run_stats *st = &p->scratch;
    fz_pool_run(p, workers, done, n, r->chunk, st);
    fz_result_add(r, st, workers);
    uint64_t max = 0, sum = 0;
    for (unsigned i = 0; i < workers; i++) {
      sum += st->busy_ns[i];
      if (st->busy_ns[i] > max) max = st->busy_ns[i];
    }
    if (sum) r->imbalance = (double)max * workers / (double)sum;
  }
  r->n_items = n;
  r->wall_ns = fz_work_now_ns() - t0;
  fz_pool_stop(p);
  free(p);
  (void)fathom_zone_end(outer);
  return 0;
}
