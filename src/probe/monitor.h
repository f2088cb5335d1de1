/* monitor.h: the background monitor thread (monitor.c), and the machine-level probes it
 * samples: /proc (process CPU, RSS, VM, threads, I/O, context switches, faults, system
 * memory, host network), NVML GPUs loaded with dlopen (probe/nvml.c), RAPL energy from
 * /sys/class/powercap (probe/rapl.c).
 *
 * Invariant: nothing here fails the program: a probe that cannot work is reported as
 * "not available: reason"; the thread blocks every signal, holds bounded memory (when the
 * series is full, every other row is dropped and the interval doubles), and never calls
 * into the zone recorder. */
#ifndef FATHOM_MONITOR_H
#define FATHOM_MONITOR_H

#include <stdint.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

/* Starts the thread for a session that began at start_mono_ns (CLOCK_MONOTONIC ns).
 * sample: 1 to sample at interval_s (clamped to >= 0.01); 0 to run only the governor tick.
 * The thread calls fz_gov_tick() (gov.h) every 100 ms while fz_gov_wanted() is true.
 * Returns 0 or a negative FATHOM_E_* (the session goes on without a monitor). */
int fz_monitor_start(int sample, double interval_s, double carbon_g_per_kwh,
                     uint64_t start_mono_ns);
/* Takes a final sample and joins the thread; no-op if not running. */
void fz_monitor_stop(void);
/* Fills p->res (everything but flops, flops_per_s, leaked_*), p->series, p->gpus and
 * appends the "monitor", "nvml", "rapl", "net" probe infos to p->probes (reallocating).
 * Works on a live session (copies under the monitor's lock) and after stop. Returns 0 or
 * FATHOM_E_NOMEM. */
int fz_monitor_collect(fathom_profile *p);
/* CPU time the monitor thread has used (ns), for the overhead figures. */
uint64_t fz_monitor_cpu_ns(void);
/* Latest sample of process RSS in bytes (NaN when none); cheap. */
double fz_monitor_rss_now(void);
/* Forgets the last run's data (series, summary, probe states), so a session that does not
 * start the monitor reports it as off instead of the previous session's figures. No-op
 * while the thread runs. */
void fz_monitor_clear(void);
/* In a forked child: the thread is gone; forget it (the child records no series). */
void fz_monitor_after_fork_child(void);

#pragma GCC visibility pop
#endif
