/* autosave.h: periodic saving of the whole profile (seed 000's auto_save/save_interval):
 * every N seconds and/or every N zone calls, from fathom's background thread, and once more
 * at session end.
 *
 * Invariant: every save is atomic (fathom_profile_save: a reader sees the old file or the
 * complete new one); failures are counted and reported once per session on stderr, never
 * fatal. Only the background thread and, after it was joined, session end touch the state. */
#ifndef FATHOM_AUTOSAVE_H
#define FATHOM_AUTOSAVE_H

#include <stdint.h>

#include "fathom.h"
#include "util/sched.h"

#pragma GCC visibility push(hidden)

/* Arms autosave for a session (path NULL: off). Copies path. Registers the background task. */
void fz_autosave_begin(const char *path, double interval_s, uint64_t every_ops);
/* The last save, with the session's final model; disarms. */
void fz_autosave_end(const fathom_profile *p);
/* A forked child saves to "<path>.<pid>" (unless the path has %p). */
void fz_autosave_after_fork_child(void);

/* The scheduler's task (the session registers it): saves when due while autosave is armed. */
extern const fz_sched_task fz_autosave_task;

#pragma GCC visibility pop
#endif
