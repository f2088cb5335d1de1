/* timeline.c: the timeline's rings, its flusher thread and its spill file.
 *
 * How it works: each thread's ring (a power of two of fz_tev) is filled by its owner: the
 * plain zones' events in batches of up to 32 (when the thread's histogram batch is flushed,
 * record.c), special zones' and counters' events one by one. The flusher wakes every 5 ms,
 * and under drain_lock copies each ring's events from tail to head into the spill file (an
 * unlinked tmpfile) with the thread's index, then publishes the new tail. Events beyond max_trace_events are counted as
 * dropped, never stored, so the file is bounded. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "record.h"

/* Spill file layout: blocks of [spill_hdr][count x fz_tev], copied straight from a ring. */
typedef struct spill_hdr {
  uint32_t thread;
  uint32_t count;
} spill_hdr;

static pthread_mutex_t drain_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *spill;
static uint64_t n_spilled, n_over, n_dropped_reaped;
static pthread_t flusher;
static int flusher_on, flusher_stop;
static pthread_cond_t stop_cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t stop_mx = PTHREAD_MUTEX_INITIALIZER;

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

/* Appends events [tail, head) of ring r (at most up to the event cap) to the spill file in
 * at most two contiguous runs. Returns the number of events consumed (written or dropped). */
static uint64_t spill_ring(fz_thread *t, fz_ring *r, uint64_t tail, uint64_t head) {
  uint64_t n = head - tail, room = 0;
  if (spill && n_spilled < fz_g.cfg.max_trace_events) room = fz_g.cfg.max_trace_events - n_spilled;
  uint64_t take = n < room ? n : room;
  n_over += n - take;
  uint64_t pos = tail & r->mask;
  while (take) {
    uint64_t run = r->mask + 1 - pos;
    if (run > take) run = take;
    if (run > UINT32_MAX) run = UINT32_MAX;
    spill_hdr h = {t->index, (uint32_t)run};
    if (fwrite(&h, sizeof h, 1, spill) != 1 || fwrite(&r->ev[pos], sizeof(fz_tev), run, spill) != run) {
      n_over += take;   /* disk full: count what is lost */
      break;
    }
    n_spilled += run;
    take -= run;
    pos = (pos + run) & r->mask;
  }
  return n;
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
  pthread_mutex_unlock(&drain_lock);
  errno = saved;
  return fill;
}

void fz_timeline_drain(void) { (void)drain(); }

static void *flusher_main(void *arg) {
  (void)arg;
  long sleep_ns = 10000000;
  pthread_mutex_lock(&stop_mx);
  while (!flusher_stop) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += sleep_ns;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&stop_cv, &stop_mx, &ts);
    if (flusher_stop) break;
    pthread_mutex_unlock(&stop_mx);
    /* adapt: a ring found over a quarter full halves the sleep (down to 0.5 ms) */
    double fill = drain();
    if (fill > 0.25 && sleep_ns > 500000) sleep_ns /= 2;
    else if (fill < 0.05 && sleep_ns < 10000000) sleep_ns *= 2;
    pthread_mutex_lock(&stop_mx);
  }
  pthread_mutex_unlock(&stop_mx);
  return NULL;
}

/* Caller holds neither lock. */
int fz_timeline_start(void) {
  pthread_mutex_lock(&drain_lock);
  if (spill) fclose(spill);
  spill = tmpfile();
  n_spilled = n_over = n_dropped_reaped = 0;
  pthread_mutex_lock(&fz_g.lock);
  for (fz_thread *t = fz_g.threads; t; t = t->next)
    if (t->ring) { /* discard what older sessions left */
      FZ_STR(t->ring->tail, FZ_LDA(t->ring->head));
      FZ_ST(t->ring->dropped, 0);
    }
  pthread_mutex_unlock(&fz_g.lock);
  pthread_mutex_unlock(&drain_lock);
  if (!spill) return FATHOM_E_IO;
  flusher_stop = 0;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* the flusher never takes the program's signals */
  flusher_on = pthread_create(&flusher, NULL, flusher_main, NULL) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return 0;
}

void fz_timeline_stop(void) {
  if (flusher_on) {
    pthread_mutex_lock(&stop_mx);
    flusher_stop = 1;
    pthread_cond_signal(&stop_cv);
    pthread_mutex_unlock(&stop_mx);
    pthread_join(flusher, NULL);
    flusher_on = 0;
  }
  fz_timeline_drain();
}

uint64_t fz_timeline_dropped(void) {
  uint64_t d = n_over + n_dropped_reaped;
  for (fz_thread *t = fz_g.threads; t; t = t->next)
    if (t->ring && FZ_LD(t->gen) == fz_g.session_gen) d += FZ_LD(t->ring->dropped);
  return d;
}

void fz_timeline_lock(void) { pthread_mutex_lock(&drain_lock); }
void fz_timeline_unlock(void) { pthread_mutex_unlock(&drain_lock); }

/* Caller holds fz_timeline_lock(). */
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
        for (uint32_t i = 0; i < k; i++) fn(ctx, h.thread, &buf[i]);
        n += k;
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
  pthread_mutex_init(&stop_mx, NULL);
  flusher_on = 0;
  if (spill) {
    /* The inherited FILE shares the parent's file and offset, and its buffer holds the
     * parent's unwritten events: close the descriptor first so the flush inside fclose
     * fails instead of writing them twice, then start a file of the child's own. */
    close(fileno(spill));
    fclose(spill);
    spill = tmpfile();
    n_spilled = n_over = n_dropped_reaped = 0;
  }
}

