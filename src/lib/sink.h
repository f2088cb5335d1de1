/* sink.h: metrics sinks (seed 000's tracker integration): user callbacks (fathom_sink_add)
 * and the JSON-lines stream (cfg.sink_path), fed at each flush: every sink interval on
 * fathom's background thread, on fathom_sink_flush, and once at session end.
 *
 * Invariant: flushes never overlap (one flush lock); a sink removed is never called after
 * fathom_sink_remove returns; a stream line is written with one append so it is whole in the
 * file; failures are reported once per session on stderr, never fatal. */
#ifndef FATHOM_SINK_H
#define FATHOM_SINK_H

#include <stdint.h>
#include <stdio.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

/* Arms the sinks for a session: the stream path (copied; NULL for none) and the interval
 * (<= 0: 10 s). Registers the background task. */
void fz_sink_begin(const char *path, double interval_s);
/* The final flush, with the session's final model; disarms. */
void fz_sink_end(const fathom_profile *p);
/* In a forked child (single-threaded): the locks are made usable again. */
void fz_sink_after_fork_child(void);

/* Metrics of a model (sink.c): zones and counters arrays malloc'ed (caller frees both with
 * fz_sink_metrics_free). Returns 0 or FATHOM_E_NOMEM. */
int fz_sink_metrics_build(const fathom_profile *p, fathom_sink_metrics *m);
void fz_sink_metrics_free(fathom_sink_metrics *m);

/* One JSON line (ending in '\n') for m into f (sink_jsonl.c). */
void fz_sink_jsonl_write(const fathom_sink_metrics *m, FILE *f);
/* Appends one line for m to path with a single write. Returns 0 or FATHOM_E_IO /
 * FATHOM_E_NOMEM (errno tells why). */
int fz_sink_jsonl_append(const char *path, const fathom_sink_metrics *m);

#pragma GCC visibility pop
#endif
