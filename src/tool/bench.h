/* bench.h: what the parts of `fathom bench` share (cmd_bench.c runs the commands,
 * bench_profile.c profiles them with --profile, bench_out.c writes the text table and the
 * JSON, CSV and Markdown exports, bench_stats.c does the statistics).
 *
 * Invariant: once bench_analyze has run, every bench_cmd's summaries describe exactly its
 * runs[0..n), and every comparison names two commands of the same set. Times are seconds. */
#ifndef FATHOM_TOOL_BENCH_H
#define FATHOM_TOOL_BENCH_H

#include <stddef.h>
#include <stdio.h>

#include "bench_stats.h"

/* One timed run of a command, from CLOCK_MONOTONIC around fork..wait4 and wait4's rusage. */
typedef struct bench_run {
  double wall, user, sys;         /* seconds (the shell's startup subtracted, see bench_set) */
  double maxrss_kib;              /* peak resident set size */
  double nvcsw, nivcsw;           /* voluntary and involuntary context switches */
  double minflt, majflt;          /* page faults without and with I/O */
  double inblock, oublock;        /* block input and output operations */
  int status;                     /* exit status, or 128 + signal */
} bench_run;

/* The per-run resources whose means are reported, in bench_run's order after sys. */
enum { BENCH_RES_RSS, BENCH_RES_NVCSW, BENCH_RES_NIVCSW, BENCH_RES_MINFLT, BENCH_RES_MAJFLT,
       BENCH_RES_INBLOCK, BENCH_RES_OUBLOCK, BENCH_N_RES };

typedef struct bench_cmd {
  char *cmd;                      /* the command as run (parameters substituted) */
  const char *param_name;         /* NULL without --parameter-*; */
  char *param_value;
  bench_run *runs;
  size_t n, cap, failed;          /* failed: runs with a non-zero status (--ignore-failure) */
  double elapsed;                 /* wall time of its timed runs, for --min-time */
  int done;
  bs_summary wall;
  double user_mean, sys_mean, res_mean[BENCH_N_RES];
} bench_cmd;

/* A comparison of command a against command b (b's mean over a's). */
typedef struct bench_cmp {
  size_t a, b;
  bs_ratio ratio;
  bs_welch welch;
  int distinct;                   /* Welch's p < 0.05: the means differ at 95 % */
} bench_cmp;

typedef struct bench_set {
  bench_cmd *cmds;
  size_t n;
  double shell_wall, shell_user, shell_sys;   /* subtracted from each run (0 with --shell none) */
  const char *shell;                          /* NULL: --shell none */
  size_t *rank;                               /* command indices, fastest mean first */
  bench_cmp *vs_fastest;                      /* [i]: rank[i + 1] against rank[0] */
} bench_set;

/* Summaries, ranking and comparisons of s (after the runs). Returns 0, or -1 out of memory. */
int bench_analyze(bench_set *s);

/* Output (bench_out.c). time_text: a time in s with a unit that suits it ("51.2 ms"). */
void bench_print_cmd(const bench_set *s, size_t i, FILE *f);
void bench_print_summary(const bench_set *s, FILE *f);
int bench_write_json(void *set, FILE *f, int color);
int bench_write_csv(void *set, FILE *f, int color);
int bench_write_markdown(void *set, FILE *f, int color);

/* --profile DIR (bench_profile.c): each command once more under `fathom run`, saved as
 * DIR/<n>.json, and the biggest differences against the fastest printed to f (fathom diff's
 * text view). Returns a TOOL_EXIT_* code after reporting any failure. */
int bench_profile(const bench_set *s, const char *dir, int show_output, FILE *f);

#endif
