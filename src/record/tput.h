/* tput.h: windowed throughput (seed 002's get_throughput_stats): a background task that
 * samples every zone's call count and every counter's value into a bounded ring, answering
 * fathom_throughput live and filling the model's throughput at session end.
 *
 * Invariant: memory is bounded whatever the program does: at most FZ_TPUT_MAX_SERIES series
 * (zones and counters, first seen first tracked; the rest are counted in
 * fz_tput_dropped_series and answered from the model's totals only) of at most
 * FZ_TPUT_MAX_SLOTS samples each. */
#ifndef FATHOM_TPUT_H
#define FATHOM_TPUT_H

#include <stdint.h>

#include "fathom.h"
#include "util/sched.h"

#pragma GCC visibility push(hidden)

#define FZ_TPUT_MAX_SERIES 256u
#define FZ_TPUT_SLOTS_PER_WINDOW 60u      /* samples per window: the sampling period is
                                             window / 60, at least one 100 ms tick */
#define FZ_TPUT_MAX_SLOTS (FZ_TPUT_SLOTS_PER_WINDOW + 2u)
#define FZ_TPUT_MIN_PERIOD_NS 100000000ull

/* Arms the sampler for a session beginning with config c (sanitized) and registers its
 * background task. Call before the background thread is started. Never fails: without
 * memory later, the sampler stops and live queries answer FATHOM_E_NOMEM. */
void fz_tput_session_begin(const fathom_config *c);
/* Fills p->throughput (one entry per zone, then one per counter; malloc'd, freed by
 * fathom_profile_free) from the ring and p's own totals, taken as the session's end, and
 * disarms the sampler when final. Leaves p untouched on NOMEM. mean_per_s: over the whole
 * session; last_per_s: from the newest sample at least one window before the end (the
 * session's start when the session is shorter than a window); peak_per_s: the highest such
 * rate at any sample or the end; last and peak are NaN for series beyond the cap or when
 * the sampler was off (level DISABLED). Gauges count updates, sizes bytes recorded.
 * calls: a zone's calls (exact) or a counter's updates; timed: the zone calls whose duration
 * was measured (the calls where the model leaves stats.timed 0 or out of range), 0 for
 * counters. */
void fz_tput_fill(fathom_profile *p, int final);
/* In a forked child: the lock is made usable again (the sampling thread is gone; if it held
 * the lock mid-sample, the ring is cleared rather than trusted). */
void fz_tput_after_fork_child(void);

/* For tests: series tracked, series refused at the cap, samples held, ring capacity. */
void fz_tput_debug(uint32_t *n_series, uint64_t *dropped_series, uint32_t *n_samples,
                   uint32_t *n_slots);

/* The scheduler's task (the session registers it): samples the counts every period while a
 * session records. */
extern const fz_sched_task fz_tput_task;

#pragma GCC visibility pop

#endif
