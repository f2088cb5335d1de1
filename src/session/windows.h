/* windows.h: the session's side of rolling windows (session/windows.c): the profile's windows
 * table, FATHOM_WINDOWS, and a window read at a given clock (for tests).
 *
 * Invariant: every function here takes fz_g.lock itself (through record/window.c): callers
 * must not hold it. */
#ifndef FATHOM_SESSION_WINDOWS_H
#define FATHOM_SESSION_WINDOWS_H

#include <stddef.h>
#include <stdint.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

/* fathom_window_stats as at `now` (ticks): the window and the whole run's figures. Same
 * returns as fathom_window_stats. */
int fz_window_stats_at(const char *name, uint64_t now, fathom_window *out);
/* Fills p->windows (every enabled window as at tick `at`, 0: the session's end) for session
 * generation g, the whole-run figures from p's zones. Leaves p untouched when none could be
 * read. */
void fz_win_fill(fathom_profile *p, uint32_t g, uint64_t at);
/* Parses a FATHOM_WINDOWS list "name=N,name=Ts,name=N/Ts" (s, ms or m); enables each window
 * when apply is 1. 0, or FATHOM_E_INVAL (a malformed item) or the first enable's error, with
 * the reason in why. */
int fz_windows_parse(const char *spec, int apply, char *why, size_t cap);

#pragma GCC visibility pop

#endif
