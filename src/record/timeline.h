/* timeline.h: per-thread bounded rings of completed-zone and counter events, drained by a
 * flusher (a task of the scheduler) into a spill file that the model builder reads back.
 *
 * Invariant: each ring has exactly one producer (its thread) and one consumer at a time
 * (whoever holds the timeline lock); a full ring drops the new event and counts it. */
#ifndef FATHOM_TIMELINE_H
#define FATHOM_TIMELINE_H

#include <stdint.h>
#include <stdio.h>
#include "util/sched.h"
#include "fathom.h"
#include "util/fztext.h"

#pragma GCC visibility push(hidden)

#define FZ_TEV_COUNTER 0x80000000u   /* id flag: a counter event; t1 holds the value bits */

typedef struct fz_tev {
  uint64_t t0, t1;    /* ticks */
  uint32_t id;        /* site id, or metric id | FZ_TEV_COUNTER */
  uint32_t depth;
} fz_tev;

typedef struct fz_ring {
  uint64_t head;              /* producer */
  uint64_t tail_cache;        /* producer's last view of tail */
  uint64_t dropped;           /* producer */
  uint64_t mask;
  _Alignas(64) uint64_t tail; /* consumer */
  _Alignas(64) fz_tev ev[];
} fz_ring;

/* Whether slot h is free (producer): the cached tail first, the consumer's tail when the
 * ring looks full. */
static inline FZ_TEXT int fz_ring_room(fz_ring *r, uint64_t h) {
  if (__builtin_expect(h - r->tail_cache <= r->mask, 1)) return 1;
  r->tail_cache = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
  return h - r->tail_cache <= r->mask;
}

static inline FZ_TEXT void fz_ring_push(fz_ring *r, uint64_t t0, uint64_t t1, uint32_t id,
                                uint32_t depth) {
  uint64_t h = r->head;
  if (!fz_ring_room(r, h)) {
    __atomic_store_n(&r->dropped, r->dropped + 1, __ATOMIC_RELAXED);
    return;
  }
  fz_tev *e = &r->ev[h & r->mask];
  e->t0 = t0;
  e->t1 = t1;
  e->id = id;
  e->depth = depth;
  __atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
}

struct fz_thread;
void fz_ring_push_counter(struct fz_thread *t, uint32_t id, uint64_t ticks, double value);
/* Session hooks (caller holds no lock). */
int fz_timeline_start(void);
void fz_timeline_stop(void);
/* Drains every ring now (snapshot). */
void fz_timeline_drain(void);
void fz_timeline_after_fork(void);
void fz_timeline_lock(void);
void fz_timeline_unlock(void);
/* Caller holds fz_timeline_lock(). Reads the spilled events back: calls fn for each (thread index, event) in file order.
 * Returns events read. */
uint64_t fz_timeline_read(void (*fn)(void *ctx, uint32_t thread, const fz_tev *ev), void *ctx);
uint64_t fz_timeline_dropped(void);

/* The flusher, a task of the scheduler (the session registers it): wanted between
 * fz_timeline_start and fz_timeline_stop. */
extern const fz_sched_task fz_timeline_task;

#pragma GCC visibility pop

#endif
