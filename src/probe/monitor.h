/* monitor.h: the resource monitor (monitor.c): a task of fathom's scheduler
 * (util/sched.h) that samples the machine-level probes: /proc (process CPU, RSS, VM,
 * threads, I/O, context switches, faults, system memory, host network), NVML GPUs loaded with
 * dlopen (probe/nvml.c), RAPL energy from /sys/class/powercap (probe/rapl.c).
 *
 * Invariant: nothing here fails the program: a probe that cannot work is reported as
 * "not available: reason"; the task holds bounded memory (when the series is full, every
 * other row is dropped and the interval doubles) and never calls into the zone recorder. */
#ifndef FATHOM_MONITOR_H
#define FATHOM_MONITOR_H

#include <stdint.h>

#include "fathom.h"
#include "util/sched.h"

#pragma GCC visibility push(hidden)

/* Readies the monitor for a session that began at start_mono_ns (CLOCK_MONOTONIC ns): takes
 * the baseline on the caller's thread. sample: 1 to sample at interval_s (clamped to
 * >= 0.01) once fz_monitor_task is ticked; 0 to report that only the scheduler's other
 * tasks ran. Returns 0 or FATHOM_E_STATE (already begun). */
int fz_monitor_begin(int sample, double interval_s, double carbon_g_per_kwh,
                     uint64_t start_mono_ns);
/* The scheduler's task: wanted between begin and end when sampling; each tick takes one
 * sample (the first opens the GPUs) and returns the interval. */
extern const fz_sched_task fz_monitor_task;
/* Takes the final sample and closes the GPUs; call after the scheduler's thread stopped.
 * No-op if not begun. */
void fz_monitor_end(void);
/* The scheduler's thread could not start: the monitor reports why instead of figures. */
void fz_monitor_fail(const char *why);
/* For tests and benchmarks, which have no session: begin, register the task and start the
 * scheduler's thread; stop it and end. (A session wires these itself.) */
int fz_monitor_start(int sample, double interval_s, double carbon_g_per_kwh,
                     uint64_t start_mono_ns);
void fz_monitor_stop(void);
/* Fills p->res (everything but flops, flops_per_s, leaked_*), p->series, p->gpus and
 * appends the "monitor", "nvml", "rapl", "net" probe infos to p->probes (reallocating).
 * Works on a live session (copies under the monitor's lock) and after stop. Returns 0 or
 * FATHOM_E_NOMEM. */
int fz_monitor_collect(fathom_profile *p);
/* Latest sample of process RSS in bytes (NaN when none); cheap. */
double fz_monitor_rss_now(void);
/* Forgets the last run's data (series, summary, probe states), so a session that does not
 * begin the monitor reports it as off instead of the previous session's figures. No-op
 * between begin and end. */
void fz_monitor_clear(void);
/* In a forked child: the scheduler's thread is gone; forget the run (the child records no
 * series). */
void fz_monitor_after_fork_child(void);

#pragma GCC visibility pop
#endif
