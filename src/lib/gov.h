/* gov.h: the overhead governor (gov.c): measures fathom's own cost against the level's
 * budget and thins what is measured on the hottest call paths when over it.
 *
 * Invariant: only the monitor thread calls fz_gov_tick; it changes nodes' sampling fields
 * with relaxed atomic stores under fz_g.lock, and owner threads pick them up on their next
 * begin of that node. */
#ifndef FATHOM_GOV_H
#define FATHOM_GOV_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

/* 1 while the active session wants governor ticks. */
int fz_gov_wanted(void);
/* One governor step at now_ns (CLOCK_MONOTONIC). */
void fz_gov_tick(uint64_t now_ns);

#pragma GCC visibility pop
#endif
