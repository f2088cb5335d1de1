/* signals.h: an auto-started session's profile when the program is ended by a signal or
 * crashes, and the serialised session end (signals.c; used by session.c).
 *
 * Invariant: at most one thread ends the session at a time (fz_sig_end); a signal taken by
 * fathom's handlers takes its default course (same exit status, same core dump) once the
 * profile is written, or once a bounded wait for it has run out. */
#ifndef FATHOM_SIGNALS_H
#define FATHOM_SIGNALS_H

#include "fathom.h"

#pragma GCC visibility push(hidden)

/* Auto-start, on the main thread, once the session has begun: starts the watcher thread and
 * takes SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT, each
 * only where its action is the default one (a handler or SIG_IGN of the program's, or a
 * sanitizer's, is left alone). */
void fz_sig_watch(void);

/* A forked child (no watcher there): the signals taken go back to their default action. */
void fz_sig_after_fork_child(void);

/* Runs end(out) as the only session end in progress. While another thread ends the session,
 * waits for it (bounded) and returns FATHOM_E_STATE; an end called from inside an end (on the
 * same thread) returns FATHOM_E_STATE at once. Afterwards, if a signal was taken, lets it
 * take its course (a termination signal ends the process here). errno is kept. */
int fz_sig_end(int (*end)(fathom_profile **out), fathom_profile **out);

/* The model of a session end: marks it cut short by the signal taken, if any
 * (meta.cut_short_by; for a crash, meta.cut_short_path: the zones open on its thread). */
void fz_sig_mark(fathom_profile *p);

#pragma GCC visibility pop

#endif
