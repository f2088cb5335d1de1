/* resv.h: a uniform reservoir of durations (resv.c) for percentiles of tables that keep a
 * bounded sample of what they saw: the database statements and the network requests.
 *
 * Invariant: after offering the seen-th value, the reservoir holds min(seen, max) values, each
 * of the seen ones kept with the same probability (Vitter's algorithm R); a growth that fails
 * for want of memory leaves it smaller, never wrong (the caller marks its percentiles as
 * estimates whenever n < seen). */
#ifndef FATHOM_UTIL_RESV_H
#define FATHOM_UTIL_RESV_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

/* Offers x, the seen-th value (seen >= 1 counts it), to the reservoir (*v, *n values, room for
 * *cap) of at most max values; *rng is the caller's xorshift state (nonzero). */
void fz_resv_offer(uint64_t **v, uint32_t *n, uint32_t *cap, uint32_t max, uint64_t *rng,
                   uint64_t seen, uint64_t x);

#pragma GCC visibility pop

#endif
