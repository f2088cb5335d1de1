/* probe/perf.h: the perf_event_open counter group of probe/perf.c (the probe kind
 * fz_probe_perf, probe/kinds.h) on its own. Tests and benchmarks include it to reach the
 * group, its decoder and the software-event test seam.
 *
 * Invariant: everything here preserves errno only where it says so (the public entry points
 * in probe.h always do); no function takes a lock or allocates. */
#ifndef FATHOM_PROBE_PERF_H
#define FATHOM_PROBE_PERF_H

#include <stddef.h>
#include <stdint.h>

#include "fathom.h"
#include "probe/kinds.h"

#pragma GCC visibility push(hidden)

/* ---- the perf_event_open group (probe/perf.c) ------------------------------------------ */

#define FZ_PERF_MAX 5

typedef struct fz_perf_group {
  fz_pfd fd[FZ_PERF_MAX];    /* fd[0] is the group leader */
  uint64_t id[FZ_PERF_MAX];  /* kernel event ids (PERF_EVENT_IOC_ID); 0: unknown, use order */
  uint8_t slot[FZ_PERF_MAX]; /* fathom_res_id each event fills */
  uint32_t n;                /* events open (0: no group) */
  uint32_t software;         /* 1: built from software events (the test seam) */
  int64_t last[FZ_PERF_MAX]; /* last value returned per event: scaled values never decrease */
} fz_perf_group;

/* Opens the calling thread's group (software events when the seam is on). Returns the mask
 * of slots opened; 0 with g->n == 0 when the leader could not open. Preserves errno. */
uint32_t fz_perf_open(fz_perf_group *g);
/* Closes every fd of g (n = 0). Preserves errno. */
void fz_perf_close(fz_perf_group *g);
/* One read(2) of the group into v[slot]; returns the mask of slots written (0: the read
 * failed or the group was never scheduled). Owner thread only. Does not preserve errno. */
uint32_t fz_perf_read(fz_perf_group *g, int64_t v[FATHOM_RES_N]);
/* Decodes a PERF_FORMAT_GROUP | ID | TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING buffer of
 * nwords 64-bit words into v[slot]: counts are scaled by enabled / running when the group
 * was multiplexed and clamped so they never decrease. Returns the mask of slots written. */
uint32_t fz_perf_decode(fz_perf_group *g, const uint64_t *buf, size_t nwords,
                        int64_t v[FATHOM_RES_N]);
/* Test seam: 1 builds the group from software events (task-clock, cpu-clock, page faults,
 * minor faults, context switches) in the slots of instructions, cycles, cache references,
 * cache misses and branch misses, so the open/read/scale/close logic runs on machines without
 * hardware counters; 0 forces hardware events; -1 (default) follows FATHOM_PERF_SOFTWARE=1
 * in the environment, read at each open. Not for production profiles. */
void fz_perf_set_software(int mode);

#pragma GCC visibility pop
#endif
