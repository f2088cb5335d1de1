/* work.h: the parallel map's pool (pool.c) and its auto-tune (tune.c), private to src/work.
 *
 * Invariant: a pool lives inside one fathom_parallel_map call: its threads are created at
 * the start and joined before the call returns. A run hands the threads one range of items;
 * every index of the range is taken by exactly one worker (a shared atomic cursor), and the
 * run returns only once every thread has finished it. */
#ifndef FATHOM_WORK_H
#define FATHOM_WORK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fathom.h"

/* What one run measured: per-worker slots, each written only by its worker; the sums after
 * the run by the thread that started it. */
typedef struct fz_run_stats {
  uint64_t wall_ns;                               /* release to the last worker's end */
  uint64_t busy_ns[FATHOM_MAP_MAX_WORKERS];       /* running tasks */
  uint64_t tasks[FATHOM_MAP_MAX_WORKERS];
  uint64_t queue_ns[FATHOM_MAP_MAX_WORKERS];      /* to the first item, taking each chunk */
  uint64_t span_ns[FATHOM_MAP_MAX_WORKERS];       /* the worker's time in the run */
  uint64_t off_cpu_ns[FATHOM_MAP_MAX_WORKERS];    /* of that, neither on a CPU nor runnable */
  int off_known[FATHOM_MAP_MAX_WORKERS];          /* 0: the kernel did not say */
} fz_run_stats;

typedef struct fz_pool fz_pool;
struct fz_worker {
  fz_pool *pool;
  unsigned id;
  pthread_t th;
};

struct fz_pool {
  pthread_mutex_t mu;
  pthread_cond_t go, done;
  unsigned n_threads;
  uint64_t gen;          /* run number; a worker runs each one once */
  unsigned n_done;
  int quit;
  /* the current run (written under mu before gen changes) */
  unsigned run_workers;
  size_t run_end, run_chunk;
  uint64_t run_start_ns;
  atomic_size_t cursor;
  fz_run_stats *stats;   /* per-worker slots written only by their worker */
  /* the map */
  char *items;
  size_t item_size;
  fathom_map_fn fn;
  void *user;
  const char *name;
  struct fz_worker w[FATHOM_MAP_MAX_WORKERS];
  fz_run_stats scratch;  /* the figures of the run in progress, for whoever runs it */
};

uint64_t fz_work_now_ns(void);
/* The calling thread's time on a CPU (its CPU clock, exact) and waiting for one (the
 * kernel's scheduler statistics: its run-queue delay, up to date while the thread runs; the
 * file's first field, time on a CPU, is not). ns; returns 0 when both are known. */
int fz_work_sched_times(uint64_t *run_ns, uint64_t *wait_ns);
/* Starts up to n threads. Returns 0 (p->n_threads >= 1) or FATHOM_E_NOMEM. */
int fz_pool_start(fz_pool *p, unsigned n);
/* Runs items [begin, end) on the first `workers` threads, `chunk` at a time; fills st. */
void fz_pool_run(fz_pool *p, unsigned workers, size_t begin, size_t end, size_t chunk,
                 fz_run_stats *st);
void fz_pool_stop(fz_pool *p);

/* Auto-tune: runs trials on items [0, sample) and fills res's curve, decision, margin,
 * speedup and off-CPU share; adds every trial's per-worker figures to res. Returns the
 * worker count to use, and sets *used to the items the trials took (a prefix). */
unsigned fz_tune(fz_pool *p, size_t sample, unsigned max_workers, unsigned n_cpus,
                 fathom_map_result *res, size_t *used);
/* Adds a run's per-worker figures to res (busy, idle, tasks, queue wait). */
void fz_result_add(fathom_map_result *res, const fz_run_stats *st, unsigned workers);

#endif
