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
int fz_write_csv(const fathom_profile *p, FILE *f, int color);         /* view/csv.c */
int fz_write_chrome(const fathom_profile *p, FILE *f, int color);      /* view/chrome.c */
int fz_write_html(const fathom_profile *p, FILE *f, int color);        /* view/html.c */
int fz_write_folded(const fathom_profile *p, FILE *f, int color);      /* view/folded.c */
int fz_write_speedscope(const fathom_profile *p, FILE *f, int color);  /* view/speedscope.c */

/* The format a path's name ends in ("trace.json", ".speedscope.json", ".html"/".htm",
 * ".folded", ".json", ".csv", case-insensitive); text otherwise. */
fathom_format fz_format_for_path(const char *path);
/* path into buf (cap bytes) with "%p" expanded to the pid; when forked (a forked child) and
 * path has no "%p", ".<pid>" is appended. */
void fz_out_name(const char *path, int forked, char *buf, size_t cap);

#pragma GCC visibility pop
#endif
