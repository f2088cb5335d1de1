/* batches.c: fathom_batches_run — a batch loader and its consumer profiled together (see
 * fathom_work.h, docs/workloads.md): per configuration, the time, CPU, bytes read and heap of
 * producing each batch, the consumer's time and its waiting for batches (starvation), the
 * throughput with its standard error, and a ranking of the configurations by throughput.
 *
 * How it measures: the consumer runs on the calling thread. Without prefetch it asks the
 * loader for each batch itself, so all of next()'s time is waiting. With prefetch k a
 * producer thread calls next() and keeps up to k batches in a ring; the consumer waits only
 * when the ring is empty, the producer only when it is full. Batch i's cycle is the
 * consumer's time from asking for batch i to asking for batch i + 1; the cycles add up to
 * the measured wall time. Throughput is the ratio estimate sum(items) / sum(cycles), its
 * standard error by the delta method over the batches, or the spread of the rounds' own
 * throughputs where that is larger. Two configurations are compared by a paired t-test over
 * the rounds both ran (each round runs every configuration in turn, so a change of the
 * machine's load within the run falls on both and cancels in the pair).
 *
 * Invariant: the user's next() runs on one thread per configuration (the caller's, or the
 * producer thread, joined before the configuration ends), consume on the calling thread;
 * every batch next() produced is released (when release is given) exactly once, also when a
 * configuration fails; memory is bounded by warmup + batches records and k ring slots. */
#include <malloc.h>
#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fathom.h"
#include "probe/probe.h"
#include "util/fmt.h"
#include "util/jsonw.h"
#include "util/tdist.h"
#include "work/work.h"

static double mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "re");
  unsigned long size = 0, res = 0;
  int ok = f && fscanf(f, "%lu %lu", &size, &res) == 2;
  if (f) fclose(f);
  return ok ? (double)res * (double)sysconf(_SC_PAGESIZE) : NAN;
}

/* The heap in use by glibc's count; NaN under another allocator (a sanitizer's), where
 * mallinfo2 knows nothing. */
static double heap_bytes(void) {
  struct mallinfo2 m = mallinfo2();
  double h = (double)m.uordblks + (double)m.hblkhd;
  return h > 0 ? h : NAN;
}

#define CPU_BIT (1u << FATHOM_RES_CPU_NS)
#define READ_BIT (1u << FATHOM_RES_READ_BYTES)
#define DISK_BIT (1u << FATHOM_RES_DISK_READ_BYTES)

/* One batch as produced: the loader's answer and what producing it cost. */
typedef struct slot {
  fathom_batch b;
  int rc;                       /* next()'s return */
  double ns, cpu, rq, rd, disk, heap;   /* NaN where not measured; rq: waiting for a CPU */
} slot;

/* One configuration's run. */
typedef struct run {
  const fathom_loader *l;
  const char *comp;             /* zone component */
  char zload[128], zcons[128];  /* zone names */
  uint32_t total;               /* warmup + batches */
  uint32_t warmup;
  /* the ring (prefetch) */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  slot *ring;
  uint32_t cap, head, count;
  int stop;                     /* the consumer is done: the producer ends */
  double stall_ns;              /* the producer waiting for room, measured batches */
  struct rec *recs;             /* the measured batches, all rounds */
  uint32_t nrec;
  int done, failed;             /* the loader ran out; something failed */
  uint32_t round;               /* the round being run */
  double *rrate;                /* throughput of each round (NaN: no batch measured in it) */
  uint32_t nrounds;
  double rss;                   /* the process's RSS change over its segments */
} run;

/* Calls next() once, measured, inside the load zone. ctx may be NULL (no probes). */
static void produce(run *r, fz_probe_ctx *ctx, slot *s) {
  fz_pval p0, p1;
  uint64_t run0, rq0, run1, rq1;   /* outside the probe's reads: its rchar stays next()'s */
  int rq = fz_work_sched_times(&run0, &rq0) == 0;
  uint32_t m0 = ctx ? fz_probe_read_at(ctx, &p0, 0) : 0;
  double h0 = r->l->prefetch ? NAN : heap_bytes();
  fathom_zone z = fathom_zone_begin(r->zload, r->comp);
  double t0 = mono_ns();
  memset(&s->b, 0, sizeof s->b);
  s->rc = r->l->next(&s->b, r->l->user);
  double t1 = mono_ns();
  fathom_zone_end(z);
  double h1 = r->l->prefetch ? NAN : heap_bytes();
  uint32_t m1 = ctx ? fz_probe_read_at(ctx, &p1, 1) : 0, m = m0 & m1;
  rq = rq && fz_work_sched_times(&run1, &rq1) == 0;
  s->rq = rq ? (double)(rq1 - rq0) : NAN;
  s->ns = t1 - t0;
  s->heap = h1 - h0;
  s->cpu = m & CPU_BIT ? (double)(p1.v[FATHOM_RES_CPU_NS] - p0.v[FATHOM_RES_CPU_NS]) : NAN;
  s->rd = m & READ_BIT ? (double)(p1.v[FATHOM_RES_READ_BYTES] - p0.v[FATHOM_RES_READ_BYTES])
                       : NAN;
  s->disk = m & DISK_BIT
                ? (double)(p1.v[FATHOM_RES_DISK_READ_BYTES] - p0.v[FATHOM_RES_DISK_READ_BYTES])
                : NAN;
}

static void *producer(void *arg) {
  run *r = arg;
  pthread_setname_np(pthread_self(), "fathom-loader");
  fz_probe_ctx *ctx = fz_probe_open(FATHOM_LEVEL_DETAILED);
  for (uint32_t i = 0; i < r->total; i++) {
    slot s;
    produce(r, ctx, &s);
    pthread_mutex_lock(&r->mu);
    double w0 = mono_ns();
    while (r->count == r->cap && !r->stop) pthread_cond_wait(&r->cv, &r->mu);
    if (i >= r->warmup) r->stall_ns += mono_ns() - w0;
    int stop = r->stop;
    if (!stop) {
      r->ring[(r->head + r->count) % r->cap] = s;
      r->count++;
      pthread_cond_broadcast(&r->cv);
    }
    pthread_mutex_unlock(&r->mu);
    if (stop) {                   /* the consumer is gone: this batch is nobody's */
      if (s.rc > 0 && r->l->release) r->l->release(&s.b, r->l->user);
      break;
    }
    if (s.rc <= 0) break;
  }
  fz_probe_close(ctx);
  return NULL;
}

static int take(run *r, slot *s) {
  pthread_mutex_lock(&r->mu);
  while (r->count == 0) pthread_cond_wait(&r->cv, &r->mu);
  *s = r->ring[r->head];
  r->head = (r->head + 1) % r->cap;
  r->count--;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
  return 0;
}

/* The per-batch records of a configuration's measured part. */
typedef struct rec {
  double start, cycle;          /* when the consumer asked for it; until it asked again */
  double items, bytes, wait, cons;
  uint32_t round;
  slot s;
} rec;

/* Runs one segment of a configuration: skip batches unmeasured, then up to want measured
 * ones, appended to r->recs. Sets r->done when the loader ran out, r->failed when next()
 * failed, consume returned non-zero, or no thread could start. */
static void run_segment(run *r, fathom_consume_fn consume, void *cu, uint32_t skip,
                        uint32_t want) {
  const fathom_loader *l = r->l;
  r->warmup = skip;
  r->total = skip + want;
  r->head = r->count = 0;
  r->stop = 0;
  uint32_t first = r->nrec;
  rec *recs = r->recs;
  pthread_t th;
  fz_probe_ctx *ctx = NULL;
  if (l->prefetch) {
    r->cap = l->prefetch;
    r->ring = calloc(r->cap, sizeof *r->ring);
    if (!r->ring || pthread_mutex_init(&r->mu, NULL) != 0) {
      free(r->ring);
      r->failed = 1;
      return;
    }
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&th, NULL, producer, r) != 0) {
      pthread_cond_destroy(&r->cv);
      pthread_mutex_destroy(&r->mu);
      free(r->ring);
      r->failed = 1;
      return;
    }
  } else {
    ctx = fz_probe_open(FATHOM_LEVEL_DETAILED);
  }
  double ask = mono_ns();
  for (uint32_t i = 0; i < r->total; i++) {
    slot s;
    if (l->prefetch) take(r, &s);
    else produce(r, ctx, &s);
    double got = mono_ns();
    if (s.rc <= 0) {
      if (s.rc < 0) r->failed = 1;
      else r->done = 1;
      break;
    }
    int rc = 0;
    double c0 = mono_ns();
    if (consume) {
      fathom_zone z = fathom_zone_begin(r->zcons, r->comp);
      rc = consume(&s.b, cu);
      fathom_zone_end(z);
    }
    double c1 = mono_ns();
    if (l->release) l->release(&s.b, l->user);
    if (i >= r->warmup) {
      rec *e = &recs[r->nrec++];
      e->round = r->round;
      e->start = ask;
      e->items = (double)s.b.items;
      e->bytes = (double)s.b.bytes;
      e->wait = got - ask;
      e->cons = c1 - c0;
      e->s = s;
    }
    ask = mono_ns();
    if (rc) {
      r->failed = 1;
      break;
    }
  }
  for (uint32_t j = first; j < r->nrec; j++)   /* the last ends at the last ask */
    recs[j].cycle = (j + 1 < r->nrec ? recs[j + 1].start : ask) - recs[j].start;
  if (l->prefetch) {
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(th, NULL);
    for (uint32_t k = 0; k < r->count; k++) {   /* produced, never consumed */
      slot *s = &r->ring[(r->head + k) % r->cap];
      if (s->rc > 0 && l->release) l->release(&s->b, l->user);
    }
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r->ring);
  }
  fz_probe_close(ctx);
}

/* Mean of a field over the records, NaN when any is NaN or there are none. */
static double mean_of(const rec *e, uint32_t k, size_t off) {
  double s = 0;
  for (uint32_t i = 0; i < k; i++) s += *(const double *)((const char *)&e[i] + off);
  return k ? s / k : NAN;
}
#define MEAN(e, k, f) mean_of(e, k, offsetof(rec, f))

/* Each round's throughput: its batches' items over their cycles. */
static void round_rates(run *r) {
  for (uint32_t q = 0; q < r->nrounds; q++) {
    double n = 0, t = 0;
    for (uint32_t i = 0; i < r->nrec; i++)
      if (r->recs[i].round == q) n += r->recs[i].items, t += r->recs[i].cycle;
    r->rrate[q] = t > 0 ? n / (t / 1e9) : NAN;
  }
}

static void fill(fathom_loader_stats *c, const run *r) {
  const rec *e = r->recs;
  uint32_t k = r->nrec;
  c->batches = k;
  fz_acc t = {0};
  double N = 0, C = 0, B = 0, wait = 0, mx = 0;
  for (uint32_t i = 0; i < k; i++) {
    fz_acc_add(&t, e[i].s.ns);
    N += e[i].items;
    C += e[i].cycle;
    B += e[i].bytes;
    wait += e[i].wait;
    mx = fmax(mx, e[i].s.ns);
    c->items += e[i].s.b.items;
    c->bytes += e[i].s.b.bytes;
  }
  c->wall_ns = C;
  c->produce_mean_ns = fz_acc_mean(&t);
  c->produce_sd_ns = sqrt(fz_acc_var(&t));
  double half = k > 1 ? fz_t_quantile(0.975, k - 1) * c->produce_sd_ns / sqrt(k) : NAN;
  c->produce_ci_lo_ns = c->produce_mean_ns - half;
  c->produce_ci_hi_ns = c->produce_mean_ns + half;
  c->produce_max_ns = k ? mx : NAN;
  c->produce_cpu_ns = MEAN(e, k, s.cpu);
  c->produce_cpu_wait_ns = MEAN(e, k, s.rq);
  c->consume_mean_ns = MEAN(e, k, cons);
  fz_acc cs = {0};
  for (uint32_t i = 0; i < k; i++) fz_acc_add(&cs, e[i].cons);
  c->consume_sd_ns = sqrt(fz_acc_var(&cs));
  c->wait_ns = wait;
  c->wait_pct = C > 0 ? fmin(100, 100 * wait / C) : NAN;
  double busy = 0;   /* the producer thread's time in next() for the measured batches */
  for (uint32_t i = 0; i < k; i++) busy += e[i].s.ns;
  c->stall_pct = !r->l->prefetch ? 0 : busy + r->stall_ns > 0
                     ? 100 * r->stall_ns / (busy + r->stall_ns) : NAN;
  double R = C > 0 ? N / (C / 1e9) : NAN;
  c->items_per_s = R;
  double ss = 0;
  for (uint32_t i = 0; i < k; i++) {
    double d = e[i].items - R * e[i].cycle / 1e9;
    ss += d * d;
  }
  c->items_per_s_err = k > 1 && C > 0 ? sqrt(ss / ((double)k * (k - 1))) / (C / 1e9 / k) : NAN;
  /* the rounds are the independent runs: their spread includes what the batches' own does
   * not (a change of the machine's load over a round); the larger error is kept */
  fz_acc ra = {0};
  for (uint32_t q = 0; q < r->nrounds; q++)
    if (isfinite(r->rrate[q])) fz_acc_add(&ra, r->rrate[q]);
  if (ra.n > 1) {
    double se_r = sqrt(fz_acc_var(&ra) / (double)ra.n);
    if (!(c->items_per_s_err >= se_r)) c->items_per_s_err = se_r;
  }
  c->bytes_per_s = B > 0 && C > 0 ? B / (C / 1e9) : NAN;
  c->read_bytes = MEAN(e, k, s.rd);
  c->disk_read_bytes = MEAN(e, k, s.disk);
  c->heap_bytes = MEAN(e, k, s.heap);
  c->rss_delta_bytes = r->rss;
}

/* Two-sided p of the difference of two configurations' throughputs: a paired t-test over the
 * rounds both measured (a round runs every configuration in turn, so load shared by the round
 * cancels out); with fewer than two such rounds, from the throughputs' standard errors
 * (Student's t with the smaller batch count's degrees of freedom). */
static double rate_p(const fathom_loader_stats *a, const fathom_loader_stats *b, const run *ra,
                     const run *rb) {
  fz_acc d = {0};
  for (uint32_t q = 0; q < ra->nrounds && q < rb->nrounds; q++)
    if (isfinite(ra->rrate[q]) && isfinite(rb->rrate[q])) fz_acc_add(&d, ra->rrate[q] - rb->rrate[q]);
  if (d.n >= 2) {
    double m = fz_acc_mean(&d), sd = sqrt(fz_acc_var(&d));
    if (sd == 0) return m == 0 ? 1 : 0;
    return fz_t_pvalue(m / (sd / sqrt((double)d.n)), (double)d.n - 1);
  }
  double se = sqrt(a->items_per_s_err * a->items_per_s_err +
                   b->items_per_s_err * b->items_per_s_err);
  uint32_t k = a->batches < b->batches ? a->batches : b->batches;
  if (!isfinite(se) || k < 2) return NAN;
  if (se == 0) return a->items_per_s == b->items_per_s ? 1 : 0;
  return fz_t_pvalue((a->items_per_s - b->items_per_s) / se, k - 1);
}

static int by_rate(const void *x, const void *y) {
  const fathom_loader_stats *a = x, *b = y;
  double ra = isfinite(a->items_per_s) ? a->items_per_s : -1;
  double rb = isfinite(b->items_per_s) ? b->items_per_s : -1;
  if (ra != rb) return ra > rb ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

FATHOM_EXTERN int fathom_batches_run(const char *name, const fathom_loader *loaders, uint32_t n,
                                     fathom_consume_fn consume, void *consume_user,
                                     const fathom_batches_opts *opts,
                                     fathom_batches_result *res) {
  if (res) memset(res, 0, sizeof *res);
  if (!name || !*name || !loaders || !n || n > FATHOM_BATCHES_MAX_LOADERS || !res)
    return FATHOM_E_INVAL;
  for (uint32_t i = 0; i < n; i++)
    if (!loaders[i].name || !*loaders[i].name || !loaders[i].next ||
        loaders[i].prefetch > 4096)
      return FATHOM_E_INVAL;
  fathom_batches_opts o = {20, 1, 500, 50, 100, 10, 4};
  if (opts) o = *opts;
  if (!o.batches) o.batches = 20;
  if (o.warmup == FATHOM_BATCHES_NO_WARMUP) o.warmup = 0;
  else if (!o.warmup) o.warmup = 1;
  if (o.batches > 1000000 || o.warmup > 1000000) return FATHOM_E_INVAL;
  if (!(o.slow_ms > 0)) o.slow_ms = 500;
  if (!(o.io_mb > 0)) o.io_mb = 50;
  if (!(o.memory_mb > 0)) o.memory_mb = 100;
  if (!(o.starved_pct > 0)) o.starved_pct = 10;
  if (!o.rounds) o.rounds = 4;
  if (o.rounds > o.batches) o.rounds = o.batches;
  res->c = calloc(n, sizeof *res->c);
  run *runs = calloc(n, sizeof *runs);
  uint32_t *order = calloc(n, sizeof *order);
  int nomem = !res->c || !runs || !order;
  for (uint32_t i = 0; !nomem && i < n; i++) {
    runs[i].recs = calloc(o.batches, sizeof *runs[i].recs);
    runs[i].rrate = calloc(o.rounds, sizeof *runs[i].rrate);
    runs[i].nrounds = o.rounds;
    nomem = !runs[i].recs || !runs[i].rrate;
  }
  if (nomem) {
    for (uint32_t i = 0; runs && i < n; i++) free(runs[i].recs), free(runs[i].rrate);
    free(runs);
    free(order);
    fathom_batches_result_free(res);
    return FATHOM_E_NOMEM;
  }
  res->n = n;
  res->rounds = o.rounds;
  res->slow_ms = o.slow_ms;
  res->io_mb = o.io_mb;
  res->memory_mb = o.memory_mb;
  res->starved_pct = o.starved_pct;
  for (uint32_t i = 0; i < n; i++) {
    run *r = &runs[i];
    r->l = &loaders[i];
    r->comp = name;
    snprintf(r->zload, sizeof r->zload, "%s: load", loaders[i].name);
    snprintf(r->zcons, sizeof r->zcons, "%s: consume", loaders[i].name);
    if (loaders[i].reset && loaders[i].reset(loaders[i].user) != 0) r->failed = 1;
    order[i] = i;
  }
  uint64_t rng = (uint64_t)mono_ns() | 1;
  for (uint32_t round = 0; round < o.rounds; round++) {
    for (uint32_t i = n; i > 1; i--) {   /* a new order each round (Fisher-Yates) */
      rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
      uint32_t j = (uint32_t)(rng % i), t = order[i - 1];
      order[i - 1] = order[j];
      order[j] = t;
    }
    uint32_t want = o.batches / o.rounds + (round < o.batches % o.rounds);
    for (uint32_t k = 0; k < n; k++) {
      run *r = &runs[order[k]];
      if (r->done || r->failed) continue;
      double rss0 = rss_bytes();
      r->round = round;
      run_segment(r, consume, consume_user, o.warmup, want);
      r->rss += rss_bytes() - rss0;
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    fathom_loader_stats *c = &res->c[i];
    c->name = loaders[i].name;
    c->index = i;
    c->prefetch = loaders[i].prefetch;
    c->failed = runs[i].failed;
    round_rates(&runs[i]);
    fill(c, &runs[i]);
    c->slow = c->produce_mean_ns > o.slow_ms * 1e6;
    c->io_heavy = c->read_bytes > o.io_mb * 1048576.0;
    c->heavy = c->heap_bytes > o.memory_mb * 1048576.0;
    c->starved = c->wait_pct > o.starved_pct;
  }
  qsort(res->c, n, sizeof *res->c, by_rate);
  for (uint32_t i = 0; i < n; i++) {
    fathom_loader_stats *c = &res->c[i];
    c->p_next = i + 1 < n ? rate_p(c, &res->c[i + 1], &runs[c->index], &runs[res->c[i + 1].index])
                          : NAN;
    c->rank = i == 0 ? 1 : res->c[i - 1].p_next < 0.05 ? i + 1 : res->c[i - 1].rank;
  }
  for (uint32_t i = 0; i < n; i++) {
    free(runs[i].recs);
    free(runs[i].rrate);
  }
  free(runs);
  free(order);
  return 0;
}

FATHOM_EXTERN void fathom_batches_result_free(fathom_batches_result *res) {
  if (!res) return;
  free(res->c);
  memset(res, 0, sizeof *res);
}

/* "12.3 ms [11.9, 12.7]" or "-" */
static void dur_ci(char *b, size_t cap, double m, double lo, double hi) {
  char x[24], y[24], z[24];
  if (!isfinite(m)) {
    snprintf(b, cap, "-");
    return;
  }
  fz_fmt_dur(x, sizeof x, m);
  if (!isfinite(lo) || !isfinite(hi)) {
    snprintf(b, cap, "%s", x);
    return;
  }
  fz_fmt_dur(y, sizeof y, fmax(lo, 0));
  fz_fmt_dur(z, sizeof z, hi);
  snprintf(b, cap, "%s [%s, %s]", x, y, z);
}

static void bytes_or_dash(char *b, size_t cap, double v, int sign) {
  if (!isfinite(v)) snprintf(b, cap, "-");
  else if (sign && v < 0) {
    char t[32];
    fz_fmt_bytes(t, sizeof t, -v);
    snprintf(b, cap, "-%s", t);
  } else {
    char t[32];
    fz_fmt_bytes(t, sizeof t, v);
    snprintf(b, cap, "%s%s", sign ? "+" : "", t);
  }
}

static void advise(FILE *f, const fathom_batches_result *res, const fathom_loader_stats *c) {
  char a[32], b[32];
  if (c->failed) fprintf(f, "  ! %s failed after %u measured batches: its figures cover those\n",
                         c->name, c->batches);
  if (c->starved) {
    double on_cpu = c->produce_cpu_ns / c->produce_mean_ns;
    fprintf(f, "  ! %s: the consumer waits %.0f %% of the time for batches. ", c->name, c->wait_pct);
    if (!c->prefetch)
      fprintf(f, "Load ahead on another thread (prefetch 2) so that loading overlaps "
                 "consuming");
    else
      fprintf(f, "The loader cannot keep up even working ahead: make next() faster, or load a "
                 "batch's items in parallel (fathom_parallel_map)");
    double queued = c->produce_cpu_wait_ns / c->produce_mean_ns;
    double off = 1 - on_cpu - (isfinite(queued) ? queued : 0);
    if (!isfinite(on_cpu)) fputs(".\n", f);
    else if (off > 0.5)
      fprintf(f, "; next() waits %.0f %% of its time neither on a CPU nor for one (e.g. for "
                 "I/O): loaders in parallel hide that even on few CPUs.\n", 100 * off);
    else if (queued > 0.25)
      fprintf(f, "; next() waits for a free CPU %.0f %% of its time: the machine is busy, "
                 "more threads will not help.\n", 100 * queued);
    else
      fprintf(f, "; next() is on a CPU %.0f %% of its time: more loaders help only up to the "
                 "free CPUs.\n", 100 * fmin(on_cpu, 1));
  }
  if (c->prefetch && c->stall_pct > 50)
    fprintf(f, "  %s: the loader waits %.0f %% of the time for room: the consumer is the limit, "
               "a faster loader would not help\n", c->name, c->stall_pct);
  if (c->slow) {
    fz_fmt_dur(a, sizeof a, c->produce_mean_ns);
    fprintf(f, "  ! %s: producing a batch takes %s (over %g ms): cache decoded data between "
               "passes, map the files into memory, prefetch, or load the items in parallel\n",
            c->name, a, res->slow_ms);
  }
  if (c->io_heavy) {
    fz_fmt_bytes(a, sizeof a, c->read_bytes);
    fprintf(f, "  ! %s: next() reads %s per batch (over %g MB): keep the data in memory "
               "between passes, store it compressed, or read only the fields needed\n",
            c->name, a, res->io_mb);
  }
  if (c->heavy) {
    fz_fmt_bytes(b, sizeof b, c->heap_bytes);
    fprintf(f, "  ! %s: each batch grows the heap by %s (over %g MB): use smaller batches or "
               "reuse the batch buffers (release)\n", c->name, b, res->memory_mb);
  }
}

FATHOM_EXTERN int fathom_batches_print(FILE *f, const fathom_batches_result *res) {
  if (!f || !res || !res->c) return FATHOM_E_INVAL;
  fprintf(f, "%4s  %-22s %3s %5s  %28s  %10s  %6s  %20s  %10s  %10s\n", "rank", "configuration",
          "pre", "batch", "load per batch [95 %]", "consume", "waits", "items/s", "read/batch",
          "heap/batch");
  for (uint32_t i = 0; i < res->n; i++) {
    const fathom_loader_stats *c = &res->c[i];
    char ld[112], cs[112], w[16], ips[80], rd[48], hp[48];
    dur_ci(ld, sizeof ld, c->produce_mean_ns, c->produce_ci_lo_ns, c->produce_ci_hi_ns);
    dur_ci(cs, sizeof cs, c->consume_mean_ns, NAN, NAN);
    if (isfinite(c->wait_pct)) snprintf(w, sizeof w, "%.0f%%", c->wait_pct);
    else snprintf(w, sizeof w, "-");
    if (isfinite(c->items_per_s_err))
      snprintf(ips, sizeof ips, "%.4g ± %.2g", c->items_per_s, c->items_per_s_err);
    else if (isfinite(c->items_per_s)) snprintf(ips, sizeof ips, "%.4g", c->items_per_s);
    else snprintf(ips, sizeof ips, "-");
    bytes_or_dash(rd, sizeof rd, c->read_bytes, 0);
    bytes_or_dash(hp, sizeof hp, c->heap_bytes, 1);
    fprintf(f, "%4u  %-22.22s %3u %5u  %28s  %10s  %6s  %20s  %10s  %10s%s\n", c->rank, c->name,
            c->prefetch, c->batches, ld, cs, w, ips, rd, hp, c->failed ? "  FAILED" : "");
  }
  for (uint32_t i = 0; i + 1 < res->n; i++) {
    const fathom_loader_stats *c = &res->c[i], *d = &res->c[i + 1];
    if (!isfinite(c->p_next)) continue;
    if (c->p_next < 0.05)
      fprintf(f, "  %s: %.2fx the throughput of %s (p = %.2g)\n", c->name,
              c->items_per_s / d->items_per_s, d->name, c->p_next);
    else
      fprintf(f, "  %s and %s cannot be told apart (%.2fx, p = %.2g)\n", c->name, d->name,
              c->items_per_s / d->items_per_s, c->p_next);
  }
  for (uint32_t i = 0; i < res->n; i++) advise(f, res, &res->c[i]);
  return ferror(f) ? FATHOM_E_IO : 0;
}

FATHOM_EXTERN int fathom_batches_write_json(FILE *f, const fathom_batches_result *res) {
  if (!f || !res || !res->c) return FATHOM_E_INVAL;
  fprintf(f, "{\"format\":\"fathom-batches\",\"version\":1,\"rounds\":%u", res->rounds);
  fz_json_num_member(f, "slow_ms", res->slow_ms);
  fz_json_num_member(f, "io_mb", res->io_mb);
  fz_json_num_member(f, "memory_mb", res->memory_mb);
  fz_json_num_member(f, "starved_pct", res->starved_pct);
  fputs(",\"configurations\":[", f);
  for (uint32_t i = 0; i < res->n; i++) {
    const fathom_loader_stats *c = &res->c[i];
    fputs(i ? ",\n{\"name\":" : "\n{\"name\":", f);
    fz_json_write_str(f, c->name, 0);
    fprintf(f, ",\"index\":%u,\"prefetch\":%u,\"rank\":%u,\"batches\":%u,\"items\":%llu,"
               "\"bytes\":%llu", c->index, c->prefetch, c->rank, c->batches,
            (unsigned long long)c->items, (unsigned long long)c->bytes);
    fz_json_num_member(f, "wall_ns", c->wall_ns);
    fz_json_num_member(f, "produce_mean_ns", c->produce_mean_ns);
    fz_json_num_member(f, "produce_sd_ns", c->produce_sd_ns);
    fz_json_num_member(f, "produce_ci_lo_ns", c->produce_ci_lo_ns);
    fz_json_num_member(f, "produce_ci_hi_ns", c->produce_ci_hi_ns);
    fz_json_num_member(f, "produce_max_ns", c->produce_max_ns);
    fz_json_num_member(f, "produce_cpu_ns", c->produce_cpu_ns);
    fz_json_num_member(f, "produce_cpu_wait_ns", c->produce_cpu_wait_ns);
    fz_json_num_member(f, "consume_mean_ns", c->consume_mean_ns);
    fz_json_num_member(f, "consume_sd_ns", c->consume_sd_ns);
    fz_json_num_member(f, "wait_ns", c->wait_ns);
    fz_json_num_member(f, "wait_pct", c->wait_pct);
    fz_json_num_member(f, "stall_pct", c->stall_pct);
    fz_json_num_member(f, "items_per_s", c->items_per_s);
    fz_json_num_member(f, "items_per_s_err", c->items_per_s_err);
    fz_json_num_member(f, "bytes_per_s", c->bytes_per_s);
    fz_json_num_member(f, "read_bytes", c->read_bytes);
    fz_json_num_member(f, "disk_read_bytes", c->disk_read_bytes);
    fz_json_num_member(f, "heap_bytes", c->heap_bytes);
    fz_json_num_member(f, "rss_delta_bytes", c->rss_delta_bytes);
    fz_json_num_member(f, "p_next", c->p_next);
    fprintf(f, ",\"slow\":%s,\"io_heavy\":%s,\"heavy\":%s,\"starved\":%s,\"failed\":%s}",
            c->slow ? "true" : "false", c->io_heavy ? "true" : "false",
            c->heavy ? "true" : "false", c->starved ? "true" : "false",
            c->failed ? "true" : "false");
  }
  fputs("]}\n", f);
  return ferror(f) ? FATHOM_E_IO : 0;
}
