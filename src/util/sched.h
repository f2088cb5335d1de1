/* sched.h: fathom's one scheduler: the background thread and the table of periodic tasks it
 * runs (the resource monitor's samples, the overhead governor's decisions, windowed
 * throughput, autosave, sink flushes). Tasks are handed to it as function pointers; the
 * scheduler knows nothing of what they do, so every stage can register work without any
 * stage calling another's internals. The session starts and stops the thread.
 *
 * Invariant: every tick runs on the scheduler's thread, which blocks every signal; a task
 * is ticked only while its `wanted` says so, at the delay its last tick returned (`wanted`
 * is looked at whenever a task is due, at least every FZ_SCHED_IDLE_NS while no task is
 * wanted); tasks are registered before or
 * while the thread runs and never removed (at most FZ_SCHED_MAX_TASKS). Public entry
 * points preserve errno. */
#ifndef FATHOM_SCHED_H
#define FATHOM_SCHED_H

#include <stdint.h>

#define FZ_SCHED_MAX_TASKS 8
#define FZ_SCHED_IDLE_NS 100000000ull   /* the usual task cadence; the look with none wanted */

typedef struct fz_sched_task {
  const char *name;
  int (*wanted)(void);                   /* nonzero: tick me (cheap, called every wake-up) */
  uint64_t (*tick)(uint64_t now_mono_ns); /* does the work; returns ns until the next tick */
  /* ns from when the task is first wanted to its first tick; NULL: tick at once */
  uint64_t (*first_delay)(uint64_t now_mono_ns);
} fz_sched_task;

/* Registers a task (a static object; adding the same one twice is a no-op). Returns 0, or
 * FATHOM_E_LIMIT when the table is full. */
int fz_sched_add(const fz_sched_task *t);
/* Nonzero when any registered task wants ticks. */
int fz_sched_wanted(void);
/* Called first on the scheduler's thread each time it starts (the session passes what
 * keeps the thread's own allocations out of allocation tracking); NULL: nothing. */
void fz_sched_on_thread(void (*fn)(void));
/* Starts the thread. Returns 0, FATHOM_E_STATE when it runs already, or FATHOM_E_NOMEM /
 * FATHOM_E_INVAL when it could not start (why: a message, or NULL). */
int fz_sched_start(char *why, unsigned why_cap);
/* Asks the thread to stop and joins it (a tick in progress finishes first); no-op when it
 * does not run. */
void fz_sched_stop(void);
/* CPU time the thread has used (ns): live while it runs, its last figure after stop. */
uint64_t fz_sched_cpu_ns(void);
/* In a forked child: the thread does not exist there; forget it. */
void fz_sched_after_fork_child(void);

#endif
