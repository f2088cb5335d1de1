/* view.h: the views: one file per output format, each a writer of a whole model to a stream,
 * listed in one table (view/write.c) that fathom_profile_write, fathom_format_parse and the
 * choice of a format by file name all read. Adding a format: its writer in a new file here,
 * its value in fathom_format (fathom.h), and one row in write.c's table.
 *
 * Invariant: a writer only reads the model; it returns 0, FATHOM_E_IO when the stream
 * failed, or FATHOM_E_NOMEM, and leaves nothing half-built behind. */
#ifndef FATHOM_VIEW_H
#define FATHOM_VIEW_H

#include <stddef.h>
#include <stdio.h>

#include "fathom.h"

#pragma GCC visibility push(hidden)

/* color: ANSI colours (the text view only) */
int fz_write_text(const fathom_profile *p, FILE *f, int color);        /* view/text.c */
int fz_write_json(const fathom_profile *p, FILE *f, int color);        /* view/json.c */
/* The sampled profile's tables ("lines", "processes"), each as ",\n\"name\":[...]" when it
 * has entries (view/json_run.c; called by fz_write_json). */
void fz_json_put_run(FILE *f, const fathom_profile *p);
/* Database statements (view/json_sql.c): the array of q, and the profile's "queries" and
 * "queries_dropped" as ",\n\"queries\":[...]" when it has any (called by fz_write_json). */
void fz_json_queries(FILE *f, const fathom_query_info *q, uint32_t n);
void fz_json_put_queries(FILE *f, const fathom_profile *p);
/* The rolling windows' table (json_win.c): nothing when the profile has none. */
void fz_json_put_windows(FILE *f, const fathom_profile *p);
/* The extensions (view/json_ext.c): ",\n\"extensions\":[...]" when the profile has any. */
void fz_json_put_ext(FILE *f, const fathom_profile *p);
/* The statements as a text table (view/text_sql.c): q sorted by total time; session_ns the
 * time their shares are of (0: the statements' own total). 0 or FATHOM_E_IO. */
int fz_queries_text(FILE *f, int color, const fathom_query_info *q, uint32_t n,
                    uint64_t dropped, double session_ns);
/* Network requests (view/json_net.c, view/text_net.c): the same three for the profile's
 * "requests" and "requests_dropped". */
void fz_json_requests(FILE *f, const fathom_request_info *r, uint32_t n);
void fz_json_put_requests(FILE *f, const fathom_profile *p);
int fz_requests_text(FILE *f, int color, const fathom_request_info *r, uint32_t n,
                     uint64_t dropped, double session_ns);
int fz_write_csv(const fathom_profile *p, FILE *f, int color);         /* view/csv.c */
struct fz_path;   /* model/model.h */
/* The CSV's extension columns (view/csv_ext.c): per merged path and metric [total, total_se,
 * self, self_se] into *out (NULL when none; the caller frees), the header cells and a row's
 * cells (each ",value"). */
int fz_csv_ext_build(const fathom_profile *p, const struct fz_path *paths, uint32_t n,
                     double **out);
void fz_csv_ext_header(FILE *f, const fathom_profile *p);
void fz_csv_ext_cells(FILE *f, const fathom_profile *p, const double *v);
int fz_write_chrome(const fathom_profile *p, FILE *f, int color);      /* view/chrome.c */
int fz_write_html(const fathom_profile *p, FILE *f, int color);        /* view/html.c */
int fz_write_folded(const fathom_profile *p, FILE *f, int color);      /* view/folded.c */
int fz_write_speedscope(const fathom_profile *p, FILE *f, int color);  /* view/speedscope.c */
int fz_write_pprof(const fathom_profile *p, FILE *f, int color);       /* view/pprof.c */

/* The format a path's name ends in ("trace.json", ".speedscope.json", ".html"/".htm",
 * ".folded", ".json", ".csv", ".pb.gz"/".pprof", case-insensitive); text otherwise. */
fathom_format fz_format_for_path(const char *path);
/* path into buf (cap bytes) with "%p" expanded to the pid; when forked (a forked child) and
 * path has no "%p", ".<pid>" is appended. */
void fz_out_name(const char *path, int forked, char *buf, size_t cap);

/* ---- the trace budget (Chrome and speedscope exports) ----
 * A trace keeps at most `budget` of the profile's timeline events: when there are more, it
 * keeps every event at least min_dur_ns long, min_dur_ns the smallest duration for which
 * that is at most budget events, and leaves out the shorter ones. An enclosing call lasts at
 * least as long as the calls inside it, so a kept call's callers are kept too: the trace
 * shows the outer frames and the long calls of the whole run, not a prefix of it. */
#define FZ_TRACE_EVENTS_DEFAULT 250000u   /* FATHOM_TRACE_EVENTS overrides; 0: no limit */

typedef struct fz_trace_cut {
  uint64_t budget;       /* 0: no limit */
  uint64_t events;       /* timeline events in the profile */
  uint64_t kept;         /* of which written */
  uint64_t min_dur_ns;   /* events shorter than this were left out (0: none was) */
} fz_trace_cut;

/* The budget: FATHOM_TRACE_EVENTS when set to a number, else FZ_TRACE_EVENTS_DEFAULT. */
uint64_t fz_trace_budget(void);
/* Marks keep[k] = 1 for the events of p a trace with this budget writes, 0 for the rest, and
 * fills *cut. keep has p->n_events entries. Returns 0 or FATHOM_E_NOMEM. */
int fz_trace_select(const fathom_profile *p, uint64_t budget, unsigned char *keep,
                    fz_trace_cut *cut);

#pragma GCC visibility pop
#endif
