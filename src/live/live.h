/* live.h: live monitoring and integration, internal side: the HTTP endpoint (live/http.c),
 * the Prometheus writer (live/prom.c), the live page (live/page.c) and the session hooks
 * that start and stop them with autosave (autosave.c) and the sinks (sink.c)
 * (live/live.c).
 *
 * Invariant: nothing here can fail the program: every failure is one stderr line and a
 * reason kept for fathom_live_info_get. The hooks are called by session.c without fz_g.lock
 * held; the endpoint is stopped before the session's final model is built. */
#ifndef FATHOM_LIVE_H
#define FATHOM_LIVE_H

#include <stdint.h>
#include <stdio.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

/* ---- session hooks (live/live.c) ---- */
/* The session's snapshot (fathom_snapshot), handed down once by the session: the endpoint,
 * autosave and the sinks take their models through fz_live_snapshot, which returns NULL
 * while nothing was handed down or no session runs. */
void fz_live_wire(fathom_profile *(*snapshot)(void));
fathom_profile *fz_live_snapshot(void);
/* At session begin, before the background thread starts: starts the endpoint when
 * c->listen is set, arms autosave and the sinks, registers their background tasks. */
void fz_live_session_begin(const fathom_config *c);
/* At session end, once recording stopped and the background thread was joined: stops the
 * endpoint (its thread is joined). */
void fz_live_session_stop(void);
/* At session end with the final model: the last autosave and the final sink flush. */
void fz_live_session_end(const fathom_profile *p);
/* In a forked child: forgets the parent's endpoint without touching its (absent) thread and
 * closes the child's copy of the listening socket. */
void fz_live_after_fork_child(void);

/* ---- the endpoint (live/http.c) ---- */
/* Starts serving on spec ("HOST:PORT", "PORT", ":PORT", "[V6]:PORT"). Returns 0, or a
 * negative code with why filled. */
int fz_http_start(const char *spec, char *why, size_t cap);
void fz_http_stop(void);
void fz_http_after_fork_child(void);
/* Fills the endpoint's fields of info. */
void fz_http_info(fathom_live_info *info);

/* ---- process figures for /metrics and the sinks ---- */
double fz_live_rss_bytes(void);      /* from /proc/self/statm; NaN when unreadable */

/* ---- Prometheus text (live/prom.c); rss_bytes NaN: from the model if it has it ---- */
int fz_prom_write(const fathom_profile *p, FILE *f, double rss_bytes, double cpu_s);

/* ---- the live page (live/page.c) ---- */
extern const char fz_live_page_html[];

/* Per-session counts kept by autosave.c and sink.c for fathom_live_info_get. */
void fz_autosave_counts(uint64_t *n, uint64_t *errors);
uint64_t fz_sink_flush_count(void);

#pragma GCC visibility pop
#endif
