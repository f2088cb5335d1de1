/* timeline.c: the timeline's rings, their flusher (a task of the scheduler, util/sched.h)
 * and its spill file.
 *
 * How it works: each thread's ring (a power of two of fz_tev) is filled by its owner: the
 * plain zones' events in batches of up to 32 (when the thread's histogram batch is flushed,
 * record.c), special zones' and counters' events one by one. The flusher runs every 10 ms
 * (down to 0.5 ms while rings fill up), and under drain_lock copies each ring's events from tail to head into the spill file (an
 * unlinked tmpfile) with the thread's index, then publishes the new tail.
 *
 * Bounded and spread over the whole run: at most max_trace_events zone events and as many
 * counter events are kept. Zone events are kept by length: every event whose duration lies
 * in a duration bucket at or above the threshold bucket `thr` is kept, and whenever more than
 * the budget are kept the threshold rises (the shortest go first). An enclosing zone lasts at
 * least as long as the zones inside it, so a kept zone's callers are kept: the outer frames
 * and the long calls of the whole run stay, never a prefix. Counter events are kept one in
 * `c_stride` (by their order of arrival), the stride doubling when more than the budget are
 * kept. Events below the threshold are dropped when spilled, or skipped when read back and
 * when the file is compacted (rewritten with only the kept events, once it holds more than
 * twice the kept ones), so the file stays within a few times the budget. Every event left out
 * is counted in fz_timeline_dropped(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "record/record.h"

/* Spill file layout: blocks of [spill_hdr][count x fz_tev], copied straight from a ring. */
typedef struct spill_hdr {
  uint32_t thread;
  uint32_t count;
} spill_hdr;

static pthread_mutex_t drain_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *spill;
static uint64_t n_over, n_dropped_reaped;
/* Under drain_lock. Zone-event durations in ticks fall in TL_NB buckets (tl_bucket);
 * hist[b]: kept zone events in bucket b. */
#define TL_NB (32 + 59 * 32)
static uint64_t hist[TL_NB];
static unsigned thr;                /* zone events in buckets below thr are left out */
static uint64_t n_kept, n_short;    /* zone events kept; left out as shorter than thr */
static uint64_t c_seq, c_stride = 1;  /* counter events seen; one in c_stride is kept */
static uint64_t n_file;             /* events in the spill file, kept or not */
static int flusher_on;                      /* the scheduler's task wants ticks */
static uint64_t flusher_sleep_ns = 10000000;   /* its thread only (and start) */

int fz_ring_attach(fz_thread *t) {
  uint64_t cap = 1;
  while (cap < fz_g.cfg.ring_events) cap <<= 1;
  fz_ring *r = aligned_alloc(64, sizeof *r + cap * sizeof(fz_tev));
  if (!r) return FATHOM_E_NOMEM;
  memset(r, 0, sizeof *r);
  r->mask = cap - 1;
  FZ_ST(t->bytes, t->bytes + sizeof *r + cap * sizeof(fz_tev));
  FZ_STR(t->ring, r);
  return 0;
}

void fz_ring_detach(fz_thread *t) {
  fz_ring *r = t->ring;
  if (!r) return;
  /* caller holds fz_g.lock, which every drain also holds: no drain is reading r */
  n_dropped_reaped += FZ_LD(r->dropped);
  FZ_STR(t->ring, NULL);
  free(r);
}

void fz_ring_push_counter(fz_thread *t, uint32_t id, uint64_t ticks, double value) {
  uint64_t bits;
  memcpy(&bits, &value, 8);
  fz_ring_push(t->ring, ticks, bits, id | FZ_TEV_COUNTER, 0);
}

/* Duration bucket of d ticks: d itself below 32, then 32 buckets per power of two (each
 * about 3 % wide; monotone in d). */
static unsigned tl_bucket(uint64_t d) {
  if (d < 32) return (unsigned)d;
  unsigned e = 63u - (unsigned)__builtin_clzll(d);
  return 32u + (e - 5u) * 32u + (unsigned)((d >> (e - 5u)) & 31u);
}

static uint64_t budget(void) { return fz_g.cfg.max_trace_events; }

/* Counter events kept: seq 0, stride, 2 stride, ... of the c_seq seen. */
static uint64_t c_kept(void) { return (c_seq + c_stride - 1) / c_stride; }

/* Whether a spilled event is still kept (a counter event's depth holds its arrival number). */
static int tl_kept(const fz_tev *e) {
  if (e->id & FZ_TEV_COUNTER) return e->depth % c_stride == 0;
  return tl_bucket(e->t1 > e->t0 ? e->t1 - e->t0 : 0) >= thr;
}

static int spill_block(uint32_t thread, const fz_tev *ev, uint32_t n) {
  spill_hdr h = {thread, n};
  if (!n) return 0;
  if (fwrite(&h, sizeof h, 1, spill) != 1 || fwrite(ev, sizeof *ev, n, spill) != n) return -1;
  n_file += n;
  return 0;
}

/* Appends the kept events of [tail, head) of ring r to the spill file. */
static void spill_ring(fz_thread *t, fz_ring *r, uint64_t tail, uint64_t head) {
  fz_tev buf[512];
  uint32_t nb = 0;
  uint64_t cap = spill ? budget() : 0;
  int failed = 0;
  for (uint64_t h = tail; h != head; h++) {
    fz_tev e = r->ev[h & r->mask];
    if (!cap) {   /* no file, or a budget of 0 */
      n_over++;
      continue;
    }
    if (e.id & FZ_TEV_COUNTER) {
      uint64_t seq = c_seq++;
      while (c_kept() > cap && c_stride < ((uint64_t)1 << 31))   /* thin: one in twice as many */
        c_stride *= 2;
      if (seq % c_stride) continue;
      e.depth = (uint32_t)seq;   /* arrival number: thinned again by the stride if it grows */
    } else {
      unsigned b = tl_bucket(e.t1 > e.t0 ? e.t1 - e.t0 : 0);
      if (b < thr) {
        n_short++;
        continue;
      }
      hist[b]++;
      n_kept++;
      while (n_kept > cap) {   /* over the budget: the shortest kept events go first */
        n_kept -= hist[thr];
        n_short += hist[thr];
        hist[thr++] = 0;
      }
      if (b < thr) continue;
    }
    if (failed) {
      n_over++;
      continue;
    }
    buf[nb++] = e;
    if (nb == 512) {
      if (spill_block(t->index, buf, nb)) failed = 1, n_over += nb;
      nb = 0;
    }
  }
  if (!failed && spill_block(t->index, buf, nb)) n_over += nb;
}

/* Caller holds drain_lock. Rewrites the spill file with only the events still kept, once it
 * holds more than twice as many as are kept; keeps the old file when that fails. */
static void compact(void) {
  uint64_t live = n_kept + c_kept();
  if (!spill || n_file < 4096 || n_file <= 2 * live) return;
  if (fflush(spill) != 0) return;
  FILE *nf = tmpfile();
  if (!nf) return;
  FILE *old = spill;
  uint64_t old_n = n_file;
  spill = nf;
  n_file = 0;
  int fd = fileno(old), bad = 0;
  off_t off = 0;
  fz_tev buf[512];
  spill_hdr h;
  while (!bad && pread(fd, &h, sizeof h, off) == (ssize_t)sizeof h) {
    off += (off_t)sizeof h;
    uint32_t left = h.count;
    while (left && !bad) {
      uint32_t k = left < 512 ? left : 512, m = 0;
      ssize_t got = pread(fd, buf, k * sizeof(fz_tev), off);
      if (got != (ssize_t)(k * sizeof(fz_tev))) { bad = 1; break; }
      for (uint32_t i = 0; i < k; i++)
        if (tl_kept(&buf[i])) buf[m++] = buf[i];
      if (spill_block(h.thread, buf, m)) bad = 1;
      left -= k;
      off += got;
    }
  }
  if (bad || fflush(spill) != 0) {   /* keep the old file */
    fclose(nf);
    spill = old;
    n_file = old_n;
    return;
  }
  fclose(old);
}

/* Caller holds drain_lock and fz_g.lock. Returns the largest ring fill seen (0..1). */
static double drain_locked(void) {
  double fill = 0;
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    fz_ring *r = FZ_LDA(t->ring);
    if (!r) continue;
    uint64_t head = FZ_LDA(r->head), tail = r->tail;
    if (head == tail) continue;
    double f = (double)(head - tail) / (double)(r->mask + 1);
    if (f > fill) fill = f;
    spill_ring(t, r, tail, head);
    FZ_STR(r->tail, head);
  }
  return fill;
}

static double drain(void) {
  int saved = errno;
  pthread_mutex_lock(&drain_lock);
  pthread_mutex_lock(&fz_g.lock);
  double fill = drain_locked();
  pthread_mutex_unlock(&fz_g.lock);
  compact();   /* the program's threads may register meanwhile */
  pthread_mutex_unlock(&drain_lock);
  errno = saved;
  return fill;
}

void fz_timeline_drain(void) { (void)drain(); }

/* The flusher: drains, then adapts: a ring found over a quarter full halves the delay to the
 * next drain (down to 0.5 ms), one under 5 % doubles it (up to 10 ms). */
static int flusher_wanted(void) { return __atomic_load_n(&flusher_on, __ATOMIC_ACQUIRE); }
static uint64_t flusher_first(uint64_t now) {
  (void)now;
  return flusher_sleep_ns;
}
static uint64_t flusher_tick(uint64_t now) {
  (void)now;
  double fill = drain();
  if (fill > 0.25 && flusher_sleep_ns > 500000) flusher_sleep_ns /= 2;
  else if (fill < 0.05 && flusher_sleep_ns < 10000000) flusher_sleep_ns *= 2;
  return flusher_sleep_ns;
}
const fz_sched_task fz_timeline_task = {"timeline", flusher_wanted, flusher_tick, flusher_first};

static void reset_counts(void) {
  n_over = n_dropped_reaped = n_kept = n_short = n_file = c_seq = 0;
  c_stride = 1;
  thr = 0;
  memset(hist, 0, sizeof hist);
}

/* Caller holds neither lock. */
int fz_timeline_start(void) {
  pthread_mutex_lock(&drain_lock);
  if (spill) fclose(spill);
  spill = tmpfile();
  pthread_mutex_lock(&fz_g.lock);   /* fz_timeline_dropped reads the counts under it */
  reset_counts();
  for (fz_thread *t = fz_g.threads; t; t = t->next)
    if (t->ring) { /* discard what older sessions left */
      FZ_STR(t->ring->tail, FZ_LDA(t->ring->head));
      FZ_ST(t->ring->dropped, 0);
    }
  pthread_mutex_unlock(&fz_g.lock);
  pthread_mutex_unlock(&drain_lock);
  if (!spill) return FATHOM_E_IO;
  flusher_sleep_ns = 10000000;
  __atomic_store_n(&flusher_on, 1, __ATOMIC_RELEASE);
  return 0;
}

void fz_timeline_stop(void) {
  __atomic_store_n(&flusher_on, 0, __ATOMIC_RELEASE);
  fz_timeline_drain();   /* serialised with a tick in progress by drain_lock */
}

uint64_t fz_timeline_dropped(void) {
  uint64_t d = n_over + n_dropped_reaped + n_short + (c_seq - c_kept());
  for (fz_thread *t = fz_g.threads; t; t = t->next)
    if (t->ring && FZ_LD(t->gen) == fz_g.session_gen) d += FZ_LD(t->ring->dropped);
  return d;
}

void fz_timeline_lock(void) { pthread_mutex_lock(&drain_lock); }
void fz_timeline_unlock(void) { pthread_mutex_unlock(&drain_lock); }

/* Caller holds fz_timeline_lock(). Only the events still kept are passed on. */
uint64_t fz_timeline_read(void (*fn)(void *ctx, uint32_t thread, const fz_tev *ev), void *ctx) {
  uint64_t n = 0;
  if (spill && fflush(spill) == 0) {
    int fd = fileno(spill);
    off_t off = 0;
    fz_tev buf[512];
    spill_hdr h;
    while (pread(fd, &h, sizeof h, off) == (ssize_t)sizeof h) {
      off += (off_t)sizeof h;
      uint32_t left = h.count;
      while (left) {
        uint32_t k = left < 512 ? left : 512;
        ssize_t r = pread(fd, buf, k * sizeof(fz_tev), off);
        if (r != (ssize_t)(k * sizeof(fz_tev))) return n;
        for (uint32_t i = 0; i < k; i++)
          if (tl_kept(&buf[i])) fn(ctx, h.thread, &buf[i]), n++;
        left -= k;
        off += r;
      }
    }
  }
  return n;
}

/* In a forked child: the flusher did not survive the fork; locks are re-initialised and
 * rings are drained at session end (or by snapshots) instead. */
void fz_timeline_after_fork(void) {
  pthread_mutex_init(&drain_lock, NULL);
  flusher_on = 0;   /* the scheduler's thread does not exist here */
  if (spill) {
    /* The inherited FILE shares the parent's file and offset, and its buffer holds the
     * parent's unwritten events: close the descriptor first so the flush inside fclose
     * fails instead of writing them twice, then start a file of the child's own. */
    close(fileno(spill));
    fclose(spill);
    spill = tmpfile();
    reset_counts();
  }
}
