/* locks.h: the lock recorder (record/locks.c) for the pthread hooks (hooks/lock_hooks.c) and
 * the model build (session.c), and its histogram scheme for the views.
 *
 * Invariant: fz_lock_acquired and fz_lock_released never allocate, lock, or change errno;
 * call them only while g (the fathom_recording_ read before the acquisition) is not 0. */
#ifndef FATHOM_RECORD_LOCKS_H
#define FATHOM_RECORD_LOCKS_H

#include <stdint.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

#define FZ_LOCK_MUTEX 1u
#define FZ_LOCK_RWLOCK 2u
/* Wait and hold histograms: 8 buckets per power of two of ns (exact below 16 ns), so a
 * bucket's middle is within 1/16 of any value in it. */
#define FZ_LOCK_BUCKETS 496
uint32_t fz_lock_bucket(uint64_t ns);
double fz_lock_bucket_mid(uint32_t b);
/* The value at quantile q (0..1) of histogram h of n values, at most max; NaN when n is 0. */
double fz_lock_pct(const uint64_t *h, uint64_t n, double q, double max);

/* lock (of kind FZ_LOCK_*, shared: a reader) was taken at ticks now by the calling thread,
 * called from pc, after a wait of wait_ticks when waited (its try-lock failed). */
void fz_lock_acquired(const void *lock, const char *name, uint32_t kind, int shared,
                      const void *pc, uint32_t g, int waited, uint64_t wait_ticks,
                      uint64_t now);
/* The calling thread's timed hold of lock: its index (for fz_lock_released), or -1. */
int fz_lock_held_index(const void *lock);
/* The hold at index i (fz_lock_held_index) ended at ticks now (the lock was released). */
void fz_lock_released(int i, uint64_t now);
/* A condition wait on the lock of hold i, which releases the lock, begins at ticks now: the
 * hold pauses. Returns the lock's record for fz_lock_resume (NULL: the hold is not timed)
 * and the ticks held so far in *acc; fz_lock_resume, when the wait has taken the lock back,
 * carries the hold on from now (one hold, one acquisition: the wait's time is neither). */
void *fz_lock_suspend(int i, uint64_t now, uint64_t *acc);
void fz_lock_resume(const void *lock, void *rec, uint32_t g, uint64_t now, uint64_t acc);

/* The locks of session generation g into p (p->locks, most waited on first); 0 or -1 out
 * of memory (p then has none). */
int fz_locks_fill(fathom_profile *p, uint32_t g);

#pragma GCC visibility pop

#endif
