/* probe/perf.h: private interface between probe/thread.c (the probe context, the fd budget,
 * the /proc parsers) and probe/perf.c (the perf_event_open counter group). Tests include it
 * to reach the parsers, the group decoder and the software-event test seam.
 *
 * Invariant: everything here preserves errno only where it says so (the public entry points
 * in probe.h always do); no function takes a lock or allocates, except the describe helper,
 * which mallocs the strings it returns. */
#ifndef FATHOM_PROBE_PERF_H
#define FATHOM_PROBE_PERF_H

#include <stddef.h>
#include <stdint.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

/* ---- fds held by probes (probe/thread.c) ----------------------------------------------
 * Probes hold at most a budget of fds process-wide (a quarter of RLIMIT_NOFILE's soft limit,
 * at most 512), so profiling never exhausts the program's descriptors. An fd remembers the
 * identity of what it opened, and is closed only if it still refers to that (a program that
 * closed it and reused the number keeps its own file). */
typedef struct fz_pfd {
  int fd;             /* -1: none */
  uint64_t dev, ino;  /* identity of the open file */
} fz_pfd;

/* Reserves one fd of the budget: 1, or 0 when the budget is spent (counted as a refusal). */
int fz_pfd_reserve(void);
/* Returns a reservation that was not used. */
void fz_pfd_unreserve(void);
/* Records fd (opened under a reservation, >= 0) in *p with its identity. */
void fz_pfd_adopt(fz_pfd *p, int fd);
/* Closes *p if it still refers to what was adopted, returns the reservation, sets fd -1. */
void fz_pfd_close(fz_pfd *p);
/* Budget figures for the descriptions. */
void fz_pfd_stats(uint32_t *budget, uint64_t *refusals);

/* Bytes the calling thread's probes have read through read(2)/pread(2) (these count in the
 * thread's rchar; the probe subtracts them so READ_BYTES shows only the program's reads). */
void fz_probe_self_read(uint64_t n);

/* ---- /proc parsers (probe/thread.c); robust to any content ----------------------------- */

/* Parses /proc/<tid>/io text of n bytes: out[0..3] = rchar, wchar, read_bytes, write_bytes.
 * Returns the mask of fields found (bit k: out[k] valid). */
uint32_t fz_parse_proc_io(const char *buf, size_t n, int64_t out[4]);
/* Parses /proc/self/statm text: *resident_pages = second field. Returns 1, or 0 if absent. */
int fz_parse_statm(const char *buf, size_t n, int64_t *resident_pages);

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
/* Fills hw ("perf_hw") and fp ("perf_fp") with malloc'ed strings; opens and closes a group
 * on the calling thread to find out. Returns how many of the two were filled (2, or fewer
 * when out of memory: a failed entry is left with NULL strings). Preserves errno. */
int fz_perf_describe(fathom_probe_info *hw, fathom_probe_info *fp);

/* Test seam: 1 builds the group from software events (task-clock, cpu-clock, page faults,
 * minor faults, context switches) in the slots of instructions, cycles, cache references,
 * cache misses and branch misses, so the open/read/scale/close logic runs on machines without
 * hardware counters; 0 forces hardware events; -1 (default) follows FATHOM_PERF_SOFTWARE=1
 * in the environment, read at each open. Not for production profiles. */
void fz_perf_set_software(int mode);

#pragma GCC visibility pop
#endif
