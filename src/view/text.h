/* view/text.h: what the text report's files share (view/text.c: header, time and call
 * tree sections; view/text_res.c: resources, GPUs, probes, per-operation resources;
 * view/text_mem.c: leaks, memory snapshots, the governor; view/text_fmt.c: figures and
 * aligned tables).
 *
 * Invariant: sections read only the model; each prints nothing at all for data the profile
 * does not hold, and returns 0 or FATHOM_E_NOMEM. */
#ifndef FATHOM_EXPORT_TEXT_H
#define FATHOM_EXPORT_TEXT_H

#include <stdio.h>

#include "model/estimates.h"
#include "model/model.h"
#include "util/fmt.h"

#define FZ_TOP_OPS 20        /* rows in the operations tables */
#define FZ_TREE_LINES 80     /* rows in the call tree */
#define FZ_TREE_MIN_PCT 0.5  /* the call tree hides paths under this share of the total time */
#define FZ_TREE_CHAIN_PCT 99.0  /* a path whose one shown child holds this share of its time
                                   is a wrapper: the tree puts the two on one line */
#define FZ_TREE_CHAIN_SHOW 4 /* names of a chain written out (the first and the last 3) */
#define FZ_TREE_CHAIN_W 90   /* widest chain in the call tree, in characters */
#define FZ_TREE_INDENT 24    /* deepest indentation of the call tree (then lines align) */
#define FZ_MAX_ROWS 40       /* rows in the metrics, counters and threads tables */
#define FZ_NAME_W 56         /* widest name column, in characters */
#define FZ_TAB_COLS 16

typedef struct fz_tx {
  FILE *f;
  int color;
} fz_tx;

/* ---- colours: only through these, so color=0 output has no escapes at all ---- */
void fz_on(const fz_tx *tx, const char *code);
void fz_off(const fz_tx *tx);

/* ---- estimates (schema 4): "~" marks an estimate, "±" is FZ_Z95 x its standard error ---- */
/* ns as fz_fmt_dur; when est: "~12.31 ms ±0.42" (the ± in the value's unit, left out when
 * se is 0). */
void fz_fmt_dur_est(char *b, size_t cap, double ns, double se, int est);
/* Percentile k of st: "4.10 ms", or estimated "~4.10 ms [3.90, 4.40]" (its 95 % interval,
 * when the model has a usable one). */
void fz_fmt_pctl(char *b, size_t cap, const fathom_stats *st, int k);
/* v with its interval "~4.10 ms [3.90, 4.40]" when [lo, hi] holds v and lo < hi, else v. */
void fz_fmt_interval(char *b, size_t cap, double v, double lo, double hi);
/* part / whole as "45.0%" ("~45.0%" when est); above 100 % it is shown as "100.0%*" and
 * *clamped set (say so with fz_clamp_note under the table). */
void fz_fmt_share(char *b, size_t cap, double part, double whole, int est, int *clamped);
void fz_clamp_note(const fz_tx *tx, int clamped);
/* Calls: "6,600", or "6,600 (412 timed)" when only some were timed. */
void fz_fmt_calls(char *b, size_t cap, const fathom_stats *st);

/* ---- tables: cells are formatted first, then printed with computed widths ---- */
typedef struct fz_tab {
  int nc;
  const char *head[FZ_TAB_COLS];
  const char *align;   /* 'l' or 'r' per column */
  size_t w[FZ_TAB_COLS];
  char **cell;
  size_t nrows, cap;
  int nomem;
  int nohead;          /* 1: print the rows only (key-value lists) */
} fz_tab;
/* Columns from head[] and align ('l' or 'r' per column, its length the column count). */
void fz_tab_init(fz_tab *t, const char *const *head, const char *align);
void fz_tab_row(fz_tab *t, const char *const *cells);
/* Prints (the head unless t->nohead) and frees the table. */
int fz_tab_print(const fz_tx *tx, fz_tab *t);

void fz_section(const fz_tx *tx, const char *title);
void fz_more(const fz_tx *tx, uint64_t n, const char *what);
void fz_kv(const fz_tx *tx, const char *key, const char *val, int warn);
/* The header's lines for levels per component and metric switches (text_levels.c). */
void fz_text_levels(const fz_tx *tx, const fathom_profile *p);

/* ---- the last sections (view/text_misc.c): 0 or a FATHOM_E_* code ---- */
int fz_text_metrics(const fz_tx *tx, const fathom_profile *p);
int fz_text_counters(const fz_tx *tx, const fathom_profile *p);
int fz_text_threads(const fz_tx *tx, const fathom_profile *p);

/* ---- resource sections (view/text_res.c, view/text_mem.c) ---- */
/* The header's one-line summary of measured figures into buf ("" when none). */
void fz_text_summary(const fathom_profile *p, char *buf, size_t cap);
/* Whole-session resources by group (memory, timing, compute, system, energy), GPUs and the
 * probes that were not available. */
int fz_text_resources(const fz_tx *tx, const fathom_profile *p);
/* Per-operation resources for zones in ord[0..n) (sorted by total time). */
int fz_text_zone_res(const fz_tx *tx, const fathom_profile *p, const uint32_t *ord, uint32_t n);
/* Live memory at the end by call path, memory snapshots and their differences. */
int fz_text_memory(const fz_tx *tx, const fathom_profile *p, const fz_path *paths, uint32_t n);
/* The zones that allocate the most, by their own heap bytes (beside the time rankings). */
int fz_text_mem_top(const fz_tx *tx, const fathom_profile *p);
/* The overhead governor: budget, cost, what it thinned or downgraded. */
int fz_text_governor(const fz_tx *tx, const fathom_profile *p);
/* Findings (ranked, with figures and suggestions) and SLA checks (view/text_find.c). */
int fz_text_findings(const fz_tx *tx, const fathom_profile *p);
/* Throughput of zones and counters: mean, last window, peak window. */
int fz_text_throughput(const fz_tx *tx, const fathom_profile *p);
/* "Recent windows": the rolling windows beside the whole run (text_win.c). */
int fz_text_windows(const fz_tx *tx, const fathom_profile *p);
/* Sampled profiles (view/text_run.c): hot lines of the top functions, the processes. */
int fz_text_lines(const fz_tx *tx, const fathom_profile *p);
/* Optimisation attempts (view/text_misc.c). */
int fz_text_attempts(const fz_tx *tx, const fathom_profile *p);
int fz_text_outcomes(const fz_tx *tx, const fathom_profile *p);   /* text_outcomes.c */
int fz_text_locks(const fz_tx *tx, const fathom_profile *p);
int fz_text_ext(const fz_tx *tx, const fathom_profile *p);        /* text_ext.c */      /* text_locks.c */
/* Rankings of variants, one section each (view/text_misc.c). */
int fz_text_rankings(const fz_tx *tx, const fathom_profile *p);
/* Database statements (view/text_sql.c). */
int fz_text_queries(const fz_tx *tx, const fathom_profile *p);
/* Network requests per endpoint (view/text_net.c). */
int fz_text_requests(const fz_tx *tx, const fathom_profile *p);
/* GPU zones: GPU time per name from CUDA events (view/text_gpu.c). */
int fz_text_gpu(const fz_tx *tx, const fathom_profile *p);
int fz_text_processes(const fz_tx *tx, const fathom_profile *p);
/* A source file's text (at most 16 MiB; free it), or NULL when it cannot be read; line
 * `line` of it (1-based), without its indentation, cleaned and cut for a report (""
 * when there is none). */
char *fz_src_read(const char *path, size_t *len);
void fz_src_line(const char *buf, size_t len, uint32_t line, char *out, size_t cap);
/* The functions whose hot lines reports show: up to max zones, most self time first, each
 * with lines and at least 1 % of the sampled self time. Returns how many (out[] filled). */
uint32_t fz_hot_functions(const fathom_profile *p, uint32_t *out, uint32_t max);

#endif
