/* resv.c: a uniform reservoir of durations (resv.h).
 * Invariant: see resv.h; nothing here locks (callers hold their table's lock). */
#include <stdlib.h>

#include "util/resv.h"

static uint64_t rng_next(uint64_t *s) {   /* xorshift64* */
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

void fz_resv_offer(uint64_t **v, uint32_t *n, uint32_t *cap, uint32_t max, uint64_t *rng,
                   uint64_t seen, uint64_t x) {
  if (*n < max) {
    if (*n == *cap) {
      uint32_t nc = *cap ? *cap * 4 : 16;
      if (nc > max) nc = max;
      uint64_t *nv = realloc(*v, nc * sizeof *nv);
      if (!nv) return;   /* the percentiles rest on fewer values: marked as estimates */
      *v = nv;
      *cap = nc;
    }
    (*v)[(*n)++] = x;
    return;
  }
  uint64_t j = rng_next(rng) % (seen ? seen : 1);
  if (j < max) (*v)[j] = x;
}
