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
/* Reads window `name` as at `now` (ticks; the session's end once it ended) into out, its
 * whole-run figures left to the caller except run_calls; when dense is not NULL, adds the
 * zones' histograms (ticks, FATHOM_HIST_BUCKETS counts) to it and lowers *mn / raises *mx to
 * their least and greatest timed durations (ticks). Takes fz_g.lock. Returns 0,
 * FATHOM_E_NOTFOUND (no window of that name), FATHOM_E_STATE (no session yet), NOMEM. */
int fz_win_read(const char *name, uint64_t now, fathom_window *out, uint64_t *dense,
                uint64_t *mn, uint64_t *mx);
/* The whole run's calls of zones named name in generation g and, as fz_win_read, their
 * merged histogram (ticks) and extremes. Takes fz_g.lock. */
void fz_win_run_hist(const char *name, uint32_t g, uint64_t *run_calls, uint64_t *dense,
                     uint64_t *mn, uint64_t *mx);
/* Every enabled window of generation g as at tick `at` (0: the session's end), whole-run
 * figures left 0: *out malloc'd (names too), *n entries (0 and NULL when none). Takes
 * fz_g.lock. 0, or FATHOM_E_NOMEM (what could be read is still returned). */
int fz_win_read_all(uint32_t g, uint64_t at, fathom_window_info **out, uint32_t *n);

#pragma GCC visibility pop

#endif
