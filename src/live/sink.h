/* sink.h: metrics sinks (seed 000's tracker integration): user callbacks (fathom_sink_add)
 * and the JSON-lines stream (cfg.sink_path), fed at each flush: every sink interval on
 * fathom's background thread, on fathom_sink_flush, and once at session end.
 *
 * Invariant: flushes never overlap (one flush lock); a sink removed is never called after
 * fathom_sink_remove returns; a stream line is written with one append so it is whole in the
 * file; a stream that cannot take a line (a FIFO nobody reads, a pipe whose reader left, a
 * full disk) never blocks, kills or hangs the program: every wait is bounded, SIGPIPE is
 * never raised, the line is dropped and counted, and session end says so in one stderr line. */
#ifndef FATHOM_SINK_H
#define FATHOM_SINK_H

#include <stdint.h>
#include <stdio.h>

#include "fathom.h"
#include "util/sched.h"

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

/* The JSON-lines stream (sink_jsonl.c), owned by sink.c under its flush lock. A regular file
 * is opened for each line (O_APPEND); anything else (a FIFO, a pipe through /dev/fd/N, a
 * terminal) is opened without blocking once and kept open until it fails or the session
 * ends. */
typedef struct fz_stream {
  char *path;          /* NULL: no stream */
  int fd;              /* the kept descriptor, -1 when none */
  int torn;            /* a pipe took part of a line: the next line ends it with '\n' first */
  int stalled;         /* the last line found the pipe full all its wait: no wait till it drains */
  uint64_t lines;      /* lines this session */
  uint64_t dropped;    /* of which not written */
  char why[96];        /* why the last one was dropped */
} fz_stream;
/* Appends one line for m with a single write where it can (a regular file, or a line of at
 * most PIPE_BUF bytes into a pipe), waiting at most wait_ms for a FIFO's reader to appear or
 * for room in a pipe; never raises SIGPIPE. Returns 0, FATHOM_E_IO (the line dropped and
 * counted, why filled, errno tells) or FATHOM_E_NOMEM. */
int fz_stream_append(fz_stream *s, const fathom_sink_metrics *m, int wait_ms);
/* Closes the kept descriptor, if any. */
void fz_stream_close(fz_stream *s);
/* When lines were dropped, says so in one stderr line (what, how many, why), written without
 * raising SIGPIPE should stderr be a pipe nobody reads either. */
void fz_stream_report(const fz_stream *s);

/* The scheduler's task (the session registers it): flushes every sink interval while sinks
 * are armed. */
extern const fz_sched_task fz_sink_task;

#pragma GCC visibility pop
#endif
