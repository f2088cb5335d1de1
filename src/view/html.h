/* view/html.h: what the HTML report's files share (view/html.c: the page around the
 * data, and the escaping of text and JSON for it; view/html_data.c: the profile as one
 * compact JSON value that the page's script renders).
 *
 * Invariant: every byte of model text reaches the page through fz_hj_str (inside the
 * JSON data block) or fz_html_text (in markup): neither can end the element it is in,
 * and invalid UTF-8 becomes U+FFFD, so no profile can change the page's structure. */
#ifndef FATHOM_EXPORT_HTML_H
#define FATHOM_EXPORT_HTML_H

#include <stdio.h>

#include "model/model.h"

/* Events of the timeline kept in the page (the first ones in time order); the rest are
 * counted in the data ("events.n") and the page says so. */
#define FZ_HTML_MAX_EVENTS 100000u
/* Governor actions listed (the rest are counted). */
#define FZ_HTML_MAX_GOV 500u

/* A JSON string safe inside <script>: '"', '\\' and controls escaped, '<', '>' and '&' as
 * \u003c, \u003e, \u0026 (so neither "</script" nor "<!--" can appear), invalid UTF-8 as
 * U+FFFD. NULL is written as "". */
void fz_hj_str(FILE *f, const char *s);
/* An unsigned integer in decimal. */
void fz_hj_u64(FILE *f, uint64_t v);
/* A double with 7 significant digits (enough for every view); null when not finite.
 * Needs LC_NUMERIC "C" (fz_write_html sets it). */
void fz_hj_num(FILE *f, double v);
/* An index: FATHOM_NONE (or anything >= limit) is -1. */
void fz_hj_idx(FILE *f, uint32_t v, uint32_t limit);
/* The sampled profile's members of the page data: ,"lines":[...],"procs":[...] (html_run.c). */
void fz_html_run_data(FILE *f, const fathom_profile *p);
/* The database statements: ,"queries":[...],"queries_n":N,"queries_dropped":N (html_sql.c). */
void fz_html_sql_data(FILE *f, const fathom_profile *p);
/* The rolling windows: ,"windows":[...] (html_win.c). */
void fz_html_win_data(FILE *f, const fathom_profile *p);
/* The network requests: ,"requests":[...],"requests_n":N,"requests_dropped":N (html_net.c). */
void fz_html_net_data(FILE *f, const fathom_profile *p);
/* The extensions: ,"exts":[...] (html_ext.c). */
void fz_html_ext_data(FILE *f, const fathom_profile *p);

/* Text for HTML markup: & < > " ' as character references, invalid UTF-8 as U+FFFD. */
void fz_html_text(FILE *f, const char *s);

/* The data block's JSON value (layout in docs/html.md). Returns 0 or FATHOM_E_NOMEM. */
int fz_html_data(const fathom_profile *p, FILE *f);

#endif
