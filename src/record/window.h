/* window.h: rolling windows (fathom_window_enable): the durations of a zone's last N calls
 * and/or of the calls that ended in the last T seconds, kept per thread in bounded rings and
 * merged when read (window.c, docs/windows.md).
 *
 * Invariant: a windowed node is never on the plain path (its key is never its real key), so
 * the hot path is unchanged and every call of it ends in the special path
 * (fz_close_special), which hands it to fz_win_record; its calls are all timed (weight 1).
 * Window definitions are published once and never rewritten (a change makes a new one), so
 * the owners read them without the lock. */
#ifndef FATHOM_WINDOW_H
#define FATHOM_WINDOW_H

#include <stdint.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

struct fz_node;
struct fz_thread;
struct fathom_site;

#define FZ_WIN_MAX FATHOM_WINDOWS_MAX

/* Bumped (seq_cst) each time a window is enabled or disabled: a node made while it changed
 * has its window looked up again under the lock (fz_child_slow). */
extern uint32_t fz_win_version;

/* The window of zone site s (its index + 1), 0 when none; no lock. */
uint32_t fz_win_lookup(const struct fathom_site *s);
/* Looks n's window up again and sets its key, under fz_g.lock (n just made by its owner). */
void fz_win_node_fix(struct fz_node *n);
/* One call of window `win` (index + 1) on thread t (its owner): ended at t1 (ticks), lasted d_ns.
 * No lock; allocates the thread's ring on its first call only. */
void fz_win_record(struct fz_thread *t, uint32_t win, uint64_t t1, uint64_t d_ns);
/* The window of name as at `now` (ticks): fathom_window_stats with a given clock, for tests.
 * Same returns as fathom_window_stats. */
int fz_window_stats_at(const char *name, uint64_t now, fathom_window *out);
/* Fills p->windows (every enabled window as at tick `at`, 0: the session's end) for
 * session generation g, its whole-run figures from p's zones. Takes fz_g.lock (the caller
 * must not hold it). Leaves p untouched on NOMEM. */
void fz_win_fill(fathom_profile *p, uint32_t g, uint64_t at);
/* Parses a FATHOM_WINDOWS list "name=N,name=Ts,name=N/Ts" (s, ms or m suffixes); enables
 * each window when apply is 1. 0, or FATHOM_E_INVAL with the reason in why. */
int fz_windows_parse(const char *spec, int apply, char *why, size_t cap);

#pragma GCC visibility pop

#endif
