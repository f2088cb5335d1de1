/* gov.h: the overhead governor (gov.c): measures fathom's own cost against the level's
 * budget and thins what is measured on the hottest call paths when over it.
 *
 * Invariant: only the scheduler's thread calls fz_gov_tick; it changes nodes' sampling fields
 * with relaxed atomic stores under fz_g.lock, and owner threads pick them up on their next
 * begin of that node. */
#ifndef FATHOM_GOV_H
#define FATHOM_GOV_H

#include <stdint.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

/* 1 while the active session wants governor ticks. */
int fz_gov_wanted(void);
/* The interval until the next tick: 10 ms during the session's first 200 ms (so that a
 * storm of zones is thinned before it costs much), 100 ms after. */
uint64_t fz_gov_tick_ns(uint64_t now_ns);
/* One governor step at now_ns (CLOCK_MONOTONIC). */
void fz_gov_tick(uint64_t now_ns);

/* Forgets the governor's decisions (session begin, reset; caller holds fz_g.lock). */
void fz_gov_reset(void);
/* Appends the governor's decisions to p->gov_actions (zone_of maps site ids to zones). */
int fz_gov_collect(fathom_profile *p, uint32_t (*zone_of)(void *ctx, uint32_t site_id), void *ctx);

#pragma GCC visibility pop
#endif
