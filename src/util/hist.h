/* hist.h: the latency histograms' bucket scheme (documented on fathom_hist in fathom.h),
 * shared by the recorder's hot path (record/), which fills buckets, and the model (model/),
 * which merges them and reads percentiles out of them.
 * Invariant: every value maps to exactly one bucket; values past the last block are clamped
 * into it. */
#ifndef FATHOM_HIST_H
#define FATHOM_HIST_H

#include <stdint.h>

#include "fathom.h"
#include "util/fztext.h"

/* ---- histogram buckets (scheme documented on fathom_hist) ---- */
#define FZ_HIST_SUB 64        /* sub-buckets per power of two */
#define FZ_HIST_BLOCKS 40     /* blocks: 0 = [0,64), k>=1 = [2^(k+5), 2^(k+6)) */
#define FZ_HIST_MAX_NS ((uint64_t)1 << (FZ_HIST_BLOCKS + 5))

/* How it works: with m the top bit of (ns | 64) and sh = m - 6, ns >> sh has 7 significant
 * bits; below 128 that is ns itself (exact buckets), above it lies in [64, 128), i.e. 64
 * sub-buckets of width 2^sh. b = 64 * sh + (ns >> sh) numbers the buckets of every block
 * consecutively with no branch; values past the last block are clamped into it. */
static inline FZ_TEXT uint32_t fz_hist_bucket_of(uint64_t ns) {
  unsigned sh = 57u - (unsigned)__builtin_clzll(ns | 64);
  uint64_t b = (uint64_t)sh * FZ_HIST_SUB + (ns >> sh);
  return b < FATHOM_HIST_BUCKETS ? (uint32_t)b : FATHOM_HIST_BUCKETS - 1;
}
#endif
