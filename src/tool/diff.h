/* diff.h: `fathom diff`'s comparison engine (diff.c: matching and rows; diff_stat.c: the noise
 * tests; diff_sum.c: sorting, filtering, summary and the regression gate) and its renderers
 * (diff_text.c, diff_json.c, diff_html.c). The method is documented in docs/diff.md.
 *
 * Invariant: a diff_result only points into the two profiles it was built from (which must
 * outlive it) and owns everything else; the renderers read it and never change it, so one
 * result can be written in any format. */
#ifndef FATHOM_TOOL_DIFF_H
#define FATHOM_TOOL_DIFF_H

#include <stdint.h>
#include <stdio.h>

#include "fathom.h"

/* Exit status of `fathom diff` when --fail-on-regression found a regression (0, 1, 2 are
 * tool.h's). */
#define DIFF_EXIT_REGRESSION 3

/* The figures compared per zone and per call path (indices into diff_row.m). */
typedef enum dm_id {
  DM_CALLS = 0,      /* calls: exact count */
  DM_TOTAL,          /* total inclusive time, ns */
  DM_MEAN,           /* mean time per call, ns */
  DM_P50,            /* median, ns */
  DM_P99,            /* 99th percentile, ns */
  DM_ALLOC_BYTES,    /* heap bytes allocated (inclusive), exact when tracked */
  DM_ALLOC_COUNT,    /* heap allocations made (inclusive) */
  DM_LIVE_BYTES,     /* heap bytes still live at the end */
  DM_RSS,            /* process RSS change over the zone's calls (estimate from probes) */
  DM_SELF,           /* own time (total less the nested zones'), ns */
  DM_CPU,            /* own CPU time from the CPU sampler (samples x period), ns; judged
                        by diff_row.cpu_dir; not comparable unless both sides sampled */
  DM_N
} dm_id;
/* JSON names: "calls", "total_ns", "mean_ns", "p50_ns", "p99_ns", "alloc_bytes",
 * "alloc_count", "live_bytes", "rss_delta_bytes", "self_ns", "self_cpu_ns". */
const char *dm_name(int id);

/* How a figure's change was judged. */
typedef enum dj {
  DJ_NA = 0,         /* missing or not comparable on a side: no figure */
  DJ_SAME,           /* identical on both sides */
  DJ_NOISE,          /* changed, within noise */
  DJ_BEYOND,         /* changed, beyond noise */
  DJ_UNKNOWN         /* changed; cannot judge: no spread to judge by (one timed call, no
                        stddev, RSS) */
} dj;
/* "not_comparable", "unchanged", "within_noise", "beyond_noise", "unknown". */
const char *dj_name(int j);

typedef enum dmethod { DMETH_NONE = 0, DMETH_EXACT, DMETH_WELCH, DMETH_QUANTILE } dmethod;
/* "none", "exact", "welch", "quantile". */
const char *dmethod_name(int m);

typedef struct dm {          /* one compared figure */
  double a, b;               /* base and new (NaN: not available on that side) */
  dj judge;
  dmethod method;
  double t, df, p;           /* DMETH_WELCH: statistic, degrees of freedom, two-sided p */
  double se_a, se_b;         /* DMETH_WELCH: standard errors of the two estimates from timing a
                                sample of the calls (0: every call timed; NaN otherwise) */
  double lo_a, hi_a, lo_b, hi_b;  /* DMETH_QUANTILE: intervals (hi may be +inf) */
  int floored;               /* 1: the test found a change but it moves less run time than
                                the noise floor (judge is then DJ_NOISE) */
} dm;

typedef enum drow_status { DROW_BOTH = 0, DROW_ADDED = 1, DROW_GONE = 2 } drow_status;
typedef enum dchange { DCH_NONE = 0, DCH_WORSE = 1, DCH_BETTER = 2 } dchange;

typedef struct diff_row {    /* one zone (name + component) or one call path */
  uint32_t ia, ib;           /* index in the base / new profile's zones (is_path 0) or merged
                                call paths (is_path 1), or FATHOM_NONE */
  int is_path;               /* 1: a call-path row (ia, ib index diff_side.paths) */
  drow_status status;
  dchange change;            /* of the gate metric, beyond noise */
  int gated;                 /* 1: fails --fail-on-regression */
  double gate_pct;           /* the change in % the gate compares with PCT (own CPU time per
                                call where both sides have CPU samples, else the gate metric's;
                                NaN: base 0 or not compared) */
  int shown;                 /* 1: passes --min-share (and is not cut by --top) */
  double share_pct;          /* larger of its shares of total zone time on the two sides */
  double impact_ns;          /* change of own time, new - base: of own CPU time where both
                                sides have CPU samples (a zone that waited longer is not
                                charged for it), else of self time; NaN: not compared */
  int cpu_dir;               /* where both sides ran the CPU sampler: +1 / -1 when the row's
                                own CPU time grew / shrank beyond its sampling error and the
                                run's overall CPU change (cpu_z beyond sigma x cpu_disp and
                                cpu_d beyond cpu_floor_ns), 0 when it did not, or no sampler */
  double cpu_z, cpu_d;       /* own CPU time's change after the run's scale, in standard
                                errors and in ns (NaN: no CPU samples) */
  double moved_ns;           /* run time the gate metric's change moves (|Δ per call| x
                                calls, |Δ total|): compared with the noise floor */
  uint64_t timed_a, timed_b; /* calls timed on each side (= calls when every one was; 0 for
                                a side that lacks the row) */
  dm m[DM_N];
} diff_row;

typedef enum dsort { DSORT_IMPACT = 0, DSORT_PCT, DSORT_TOTAL, DSORT_MEAN, DSORT_CALLS, DSORT_NAME } dsort;

typedef struct diff_opts {
  double sigma;              /* noise threshold in standard errors (default 3) */
  double fail_pct;           /* --fail-on-regression PCT, or < 0 when not set */
  dm_id fail_metric;         /* DM_MEAN (default), DM_TOTAL, DM_P50 or DM_P99 */
  double min_share_pct;      /* rows below this share of total zone time are hidden */
  double floor_pct;          /* a change moving less than this % of the run's wall time is
                                noise (default 1) */
  uint32_t top;              /* rows per table, 0 = all */
  dsort sort;
  int paths;                 /* 1: show the call-path table in text and HTML */
  int color;                 /* text: ANSI colour */
} diff_opts;
void diff_opts_init(diff_opts *o);

typedef struct diff_side {   /* one profile with what the rows need */
  const fathom_profile *p;
  const char *file;          /* as named on the command line */
  struct fz_path *paths;     /* merged call paths (model.h) */
  uint32_t n_paths;
  struct fz_path_res *pres;
  double zone_time_ns;       /* sum of the top-level zones' total time */
  double cpu_ns;             /* the zones' own CPU time from the CPU sampler, summed */
  double cpu_se_ns;          /* its standard error (the zones' errors in quadrature: Poisson) */
  uint64_t n_timed;          /* zone calls timed (meta.n_timed, or the zones' timed calls) */
  double bias_ns;            /* per-call systematic difference allowed (levels, clocks) */
} diff_side;

#define DIFF_MAX_NOTES 12
#define DIFF_NOTE_LEN 240

typedef struct diff_result {
  diff_opts opt;
  diff_side a, b;
  diff_row *zones;  uint32_t n_zones;
  diff_row *paths;  uint32_t n_paths;
  uint32_t *zord, *pord;     /* shown rows of both status DROW_BOTH, sorted (n_zshown / n_pshown) */
  uint32_t n_zshown, n_pshown;
  uint32_t n_zhidden;        /* compared zones hidden by --min-share or --top */
  uint32_t n_added, n_gone, n_gated;
  uint32_t n_worse, n_better, n_unchanged;   /* compared zones at or above --min-share */
  uint32_t n_small;          /* compared zones below --min-share (not judged as a whole) */
  uint32_t top_worse[5], top_better[5];   /* zone rows: gate failures first, then by impact_ns
                                             (the verdict names top_worse[0]) */
  uint32_t n_top_worse, n_top_better;
  dm wall, zone_time, cpu;   /* session figures (no noise judgement: DJ_UNKNOWN or SAME) */
  dm run_cpu;                /* the run's sampled CPU time (the zones' own CPU time summed,
                                with the samples' Poisson errors): judged where run_judged,
                                else DJ_UNKNOWN or SAME; NaN without the CPU sampler */
  int sampled;               /* both profiles sampled (fathom run): CPU samples, no calls
                                counted */
  int run_judged;            /* sampled: the verdict and the gate also judge the run's whole
                                CPU time (run_cpu): a uniform slow-down changes no zone's
                                share */
  dchange run_change;        /* run_judged: run_cpu grew / shrank beyond noise */
  int run_gated;             /* run_judged: it grew beyond noise by more than
                                --fail-on-regression PCT */
  double floor_ns;           /* the noise floor: opt.floor_pct of the longer run's wall time */
  double cpu_floor_ns;       /* opt.floor_pct of the larger process CPU time */
  double cpu_disp;           /* how many times more the zones' own CPU times vary between
                                the runs than sampling explains (>= 1) */
  int cpu_ok;                /* both sides ran the CPU sampler (self CPU time compared) */
  int timing_ok, alloc_ok, rss_ok;  /* what can be compared */
  char notes[DIFF_MAX_NOTES][DIFF_NOTE_LEN];
  uint32_t n_notes;
  char verdict[640];
  const char *status;        /* "fail", "regressed", "improved", "mixed", "unchanged" */
} diff_result;

/* 1 when --fail-on-regression failed: a zone, or (sampled profiles) the run's CPU time. */
int diff_failed(const diff_result *r);

/* Builds the comparison of base a and new b (both outlive r). Returns 0 or FATHOM_E_NOMEM
 * (r is then freed and zeroed). */
int diff_build(diff_result *r, const fathom_profile *a, const char *file_a,
               const fathom_profile *b, const char *file_b, const diff_opts *o);
void diff_free(diff_result *r);

/* ---- inside the engine ---- */
typedef struct dsrc {        /* one side of a row: the figures a judgement reads */
  const fathom_stats *st;
  const fathom_hist *h;
  const fathom_alloc *al;
  const fathom_res *res;
} dsrc;
/* Judges every figure of row (filled on both sides) from the two sides' data (diff_stat.c). */
void diff_judge_row(const diff_result *r, diff_row *row, const dsrc *a, const dsrc *b);
/* Sorting, filtering, summary, gate and verdict (diff_sum.c). Returns 0 or FATHOM_E_NOMEM. */
int diff_summarize(diff_result *r);
/* Two-sided p-value of Student's t with df degrees of freedom. */
double diff_t_pvalue(double t, double df);

/* ---- what the renderers share ---- */
/* Zone name, component of a row (the side that has it; a path row's last zone). */
const char *diff_row_name(const diff_result *r, const diff_row *row);
const char *diff_row_comp(const diff_result *r, const diff_row *row);
/* "a;b;c" for a path row into buf (cut with "..." when longer than cap). */
void diff_path_string(const diff_result *r, const diff_row *row, char *buf, size_t cap);
/* "all" when every call of the side was timed, else the timed calls, into b. */
void diff_timed_cell(char *b, size_t cap, uint64_t timed, double calls);
/* Where the run's CPU time was judged (sampled profiles), what was found, into buf:
 * "sampled CPU time +97.0 %: beyond noise (10.0 standard errors of the samples, more than
 * 3.0 = --sigma 3 x dispersion 1.00)"; else "". */
void diff_run_line(const diff_result *r, char *buf, size_t cap);
/* Change in percent (NaN when base is 0 or either side missing). */
double dm_pct(const dm *m);

/* Renderers: return 0, or FATHOM_E_IO / FATHOM_E_NOMEM (errno kept for I/O). */
int diff_write_text(const diff_result *r, FILE *f);
int diff_write_json(const diff_result *r, FILE *f);
int diff_write_html(const diff_result *r, FILE *f);

/* ---- HTML pieces shared by diff_html.c and `fathom compare` (one style, one sort script) ---- */
/* s HTML-escaped (controls as '?'). */
void diff_html_esc(FILE *f, const char *s);
/* v for a data-v attribute ("NaN", "Infinity" where not finite). */
void diff_html_num(FILE *f, double v);
/* The page up to <body> and <h1>cmd</h1>: title "cmd: title" (escaped), the shared style. */
void diff_html_begin(FILE *f, const char *cmd, const char *title);
/* The script that sorts every table.sortable by a clicked header, and the page's end. */
void diff_html_end(FILE *f);
/* r's verdict line in a box (id as given), red when regressed, mixed or failed, green when
 * improved. */
void diff_html_verdict(FILE *f, const diff_result *r, const char *id);
/* ' class="worse"' / ' class="better"' for a change of m beyond noise (larger is worse),
 * ' class="changed"' when neutral (a count), "" when not beyond noise. */
const char *diff_html_cls(const dm *m, int neutral);

#endif
