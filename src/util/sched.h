/* util/sched.h: periodic background tasks run on fathom's background thread (the monitor thread),
 * every 100 ms tick: windowed throughput sampling, autosave, sink flushes.
 * Invariant: a task's tick runs on that thread only, with every signal blocked and
 * allocation attribution paused; tasks are registered before the thread starts (at session
 * begin) and never removed while it runs (their `wanted` says whether they are active). */
#ifndef FATHOM_BG_H
#define FATHOM_BG_H

#include <stdint.h>

typedef struct fz_bg_task {
  const char *name;
  int (*wanted)(void);              /* nonzero: tick me (cheap, called every tick) */
  void (*tick)(uint64_t now_mono_ns);
} fz_bg_task;

/* Registers a task (a static object; adding the same one twice is a no-op). Returns 0, or
 * FATHOM_E_LIMIT when the table (8) is full. */
int fz_bg_add(const fz_bg_task *t);
/* Nonzero when any registered task wants ticks. */
int fz_bg_wanted(void);
/* Ticks every task that wants it. */
void fz_bg_tick(uint64_t now_mono_ns);

#endif
