/* probe.h: per-thread resource probes for DETAILED and COMPREHENSIVE zones. The context
 * (probe/thread.c) reads one table of probe kinds (probe/kinds.h), one file each:
 * probe/io.c (/proc/thread-self/io), probe/rss.c (process RSS from /proc/self/statm),
 * probe/rusage.c (getrusage(RUSAGE_THREAD) and the thread's CPU clock) and probe/perf.c
 * (perf_event_open hardware counters, COMPREHENSIVE).
 *
 * Invariant: a probe never fails the program: anything it cannot open or read is left out
 * of the returned mask, errno is preserved, and nothing here takes fathom's locks. A context
 * belongs to one thread, which opens, reads and closes it. */
#ifndef FATHOM_PROBE_H
#define FATHOM_PROBE_H

#include <stdint.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

typedef struct fz_probe_ctx fz_probe_ctx;   /* per thread, opaque */

typedef struct fz_pval {
  int64_t v[FATHOM_RES_N];  /* cumulative values (index fathom_res_id); rss is absolute */
} fz_pval;

/* Opens the calling thread's probes for level (DETAILED: rusage, thread io, rss;
 * COMPREHENSIVE: those plus the perf counter group). NULL when nothing could be opened or
 * out of memory (zones are then timed only). */
fz_probe_ctx *fz_probe_open(int level);
/* Closes fds and frees; NULL is fine. Called by the owner thread, at thread exit or when
 * the thread's data is recycled for a new session, or by fathom at exit. */
void fz_probe_close(fz_probe_ctx *c);
/* Reads the current cumulative values into *out; returns the mask of valid indices
 * (bit i = index i). Subtracting two reads gives a zone's delta. */
uint32_t fz_probe_read(fz_probe_ctx *c, fz_pval *out);
/* The same, ordered for a zone's begin (at_end 0: CPU and counters read last) or end
 * (at_end 1: read first), so the probe's own cost stays outside the zone's figures. */
uint32_t fz_probe_read_at(fz_probe_ctx *c, fz_pval *out, int at_end);
/* The metric switches (FATHOM_METRIC_* bits, fathom_config.metrics): a kind whose family is
 * off is never opened; one whose family is on is opened whatever the level (set at session
 * begin, before any context of the session opens). */
void fz_probe_families(uint32_t off, uint32_t on);
/* The families switched off (the monitor leaves out GPUs, energy and the network). */
uint32_t fz_probe_families_off(void);
/* Process-wide description of the probes a level uses: one fathom_probe_info per probe
 * ("rusage", "thread_io", "rss", and at COMPREHENSIVE "perf_hw", "perf_fp") with
 * availability and, when unavailable, the reason ("perf_event_open: No such file or
 * directory: the kernel exposes no hardware counters here"). Strings are malloc'ed (the
 * model frees them). Returns the number written (at most cap). */
uint32_t fz_probe_describe(int level, fathom_probe_info *out, uint32_t cap);

#pragma GCC visibility pop
#endif
