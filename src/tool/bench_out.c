/* bench_out.c: the analysis of `fathom bench`'s runs (summaries, ranking, comparisons) and
 * its outputs: the text table on standard output and the JSON, CSV and Markdown exports.
 * Invariant: every figure printed comes from the runs (bench_analyze) and says what it is:
 * means and spreads are exact over the runs, confidence intervals and p-values are
 * estimates and are labelled so; the exports are written whole or not at all (io_write). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "util/jsonw.h"

static const char *const res_names[BENCH_N_RES] = {
    "max_rss_kib", "voluntary_context_switches", "involuntary_context_switches",
    "minor_page_faults", "major_page_faults", "block_input_ops", "block_output_ops"};

static double res_of(const bench_run *r, int k) {
  switch (k) {
    case BENCH_RES_RSS: return r->maxrss_kib;
    case BENCH_RES_NVCSW: return r->nvcsw;
    case BENCH_RES_NIVCSW: return r->nivcsw;
    case BENCH_RES_MINFLT: return r->minflt;
    case BENCH_RES_MAJFLT: return r->majflt;
    case BENCH_RES_INBLOCK: return r->inblock;
    default: return r->oublock;
  }
}

static const bench_set *rank_set;   /* qsort has no context argument */
static int by_mean(const void *x, const void *y) {
  const bench_cmd *a = &rank_set->cmds[*(const size_t *)x];
  const bench_cmd *b = &rank_set->cmds[*(const size_t *)y];
  if (a->wall.mean != b->wall.mean) return a->wall.mean < b->wall.mean ? -1 : 1;
  return *(const size_t *)x < *(const size_t *)y ? -1 : 1;   /* stable: the given order */
}

int bench_analyze(bench_set *s) {
  for (size_t i = 0; i < s->n; i++) {
    bench_cmd *c = &s->cmds[i];
    double *v = malloc((c->n ? c->n : 1) * sizeof *v);
    if (!v) return -1;
    for (size_t k = 0; k < c->n; k++) v[k] = c->runs[k].wall;
    int rc = bs_summarize(v, c->n, &c->wall);
    free(v);
    if (rc) return -1;
    double u = 0, y = 0, res[BENCH_N_RES] = {0};
    for (size_t k = 0; k < c->n; k++) {
      u += c->runs[k].user;
      y += c->runs[k].sys;
      for (int j = 0; j < BENCH_N_RES; j++) res[j] += res_of(&c->runs[k], j);
    }
    double n = c->n ? (double)c->n : NAN;
    c->user_mean = u / n;
    c->sys_mean = y / n;
    for (int j = 0; j < BENCH_N_RES; j++) c->res_mean[j] = res[j] / n;
  }
  s->rank = calloc(s->n, sizeof *s->rank);
  s->vs_fastest = calloc(s->n, sizeof *s->vs_fastest);
  if (!s->rank || !s->vs_fastest) return -1;
  for (size_t i = 0; i < s->n; i++) s->rank[i] = i;
  rank_set = s;
  qsort(s->rank, s->n, sizeof *s->rank, by_mean);
  rank_set = NULL;
  const bench_cmd *f = &s->cmds[s->rank[0]];
  for (size_t i = 1; i < s->n; i++) {
    const bench_cmd *c = &s->cmds[s->rank[i]];
    bench_cmp *q = &s->vs_fastest[i - 1];
    q->a = s->rank[0];
    q->b = s->rank[i];
    q->ratio = bs_ratio_of(c->wall.mean, c->wall.sd, c->wall.n, f->wall.mean, f->wall.sd,
                           f->wall.n);
    q->welch = bs_welch_test(c->wall.mean, c->wall.sd, c->wall.n, f->wall.mean, f->wall.sd,
                             f->wall.n);
    q->distinct = q->welch.p < 0.05;
  }
  return 0;
}

/* The unit for times around v seconds: its name and how many per second. */
static const char *unit_for(double v, double *scale) {
  if (v < 1e-3) return *scale = 1e6, "µs";
  if (v < 1) return *scale = 1e3, "ms";
  return *scale = 1, "s";
}

void bench_print_cmd(const bench_set *s, size_t i, FILE *f) {
  const bench_cmd *c = &s->cmds[i];
  const bs_summary *w = &c->wall;
  double k;
  const char *u = unit_for(w->mean, &k);
  fprintf(f, "Benchmark %zu: %s\n", i + 1, c->cmd);
  fprintf(f, "  Time (mean ± σ):   %8.3f %s ± %7.3f %s    [User: %.3f %s, System: %.3f %s]\n",
          w->mean * k, u, w->sd * k, u, c->user_mean * k, u, c->sys_mean * k, u);
  fprintf(f, "  Range (min … max): %8.3f %s … %7.3f %s    %zu runs", w->min * k, u, w->max * k,
          u, w->n);
  if (c->failed) fprintf(f, " (%zu exited non-zero)", c->failed);
  fprintf(f, "\n  Median %.3f %s; 95 %% CI of the mean (estimate) %.3f … %.3f %s\n",
          w->median * k, u, w->ci_lo * k, w->ci_hi * k, u);
  fprintf(f, "  Per run (means): peak RSS %.0f KiB, context switches %.1f voluntary + %.1f "
          "involuntary,\n    page faults %.1f minor + %.1f major, block I/O %.1f in + %.1f out\n",
          c->res_mean[BENCH_RES_RSS], c->res_mean[BENCH_RES_NVCSW],
          c->res_mean[BENCH_RES_NIVCSW], c->res_mean[BENCH_RES_MINFLT],
          c->res_mean[BENCH_RES_MAJFLT], c->res_mean[BENCH_RES_INBLOCK],
          c->res_mean[BENCH_RES_OUBLOCK]);
  if (w->outliers)
    fprintf(f, "  Warning: %zu of %zu runs are outliers (beyond 3 IQR from the quartiles)%s\n",
            w->outliers, w->n,
            w->first_is_outlier ? ", the first timed run among them: a cold cache? more "
                                  "--warmup runs may help"
                                : ": other programs or I/O may have disturbed the runs");
  fputc('\n', f);
}

void bench_print_summary(const bench_set *s, FILE *f) {
  if (s->shell)
    fprintf(f, "Shell startup subtracted from every run: %.3f ms (mean of 20 runs of %s -c '')\n",
            s->shell_wall * 1e3, s->shell);
  if (s->n < 2) return;
  fprintf(f, "\nSummary (fastest first)\n  1. %s (benchmark %zu)\n", s->cmds[s->rank[0]].cmd,
          s->rank[0] + 1);
  for (size_t i = 1; i < s->n; i++) {
    const bench_cmp *q = &s->vs_fastest[i - 1];
    const bench_cmd *c = &s->cmds[q->b];
    fprintf(f, "  %zu. %s (benchmark %zu)\n", i + 1, c->cmd, q->b + 1);
    if (q->distinct)
      fprintf(f, "     %.3f ± %.3f times slower than 1. (95 %% CI of the ratio %.3f … %.3f; "
              "Welch's t-test p = %.2g)\n",
              q->ratio.r, q->ratio.sd_err, q->ratio.ci_lo, q->ratio.ci_hi, q->welch.p);
    else
      fprintf(f, "     cannot be told apart from 1. at 95 %% (ratio %.3f ± %.3f; Welch's "
              "t-test p = %.2g)\n", q->ratio.r, q->ratio.sd_err, q->welch.p);
  }
  const bench_cmd *fa = &s->cmds[s->rank[0]];
  const bench_cmp *last = &s->vs_fastest[s->n - 2];
  if (last->distinct)
    fprintf(f, "\n%s ran %.2f ± %.2f times faster than %s\n", fa->cmd, last->ratio.r,
            last->ratio.sd_err, s->cmds[last->b].cmd);
}

static void jnum(FILE *f, const char *key, double v) {
  fprintf(f, ",\"%s\":", key);
  fz_json_write_double(f, v);
}

int bench_write_json(void *set, FILE *f, int color) {
  const bench_set *s = set;
  fputs("{\"tool\":\"fathom bench\",\"shell\":", f);
  fz_json_write_str(f, s->shell, FZ_JSTR_NULL);
  jnum(f, "shell_startup", s->shell_wall);
  fputs(",\"results\":[", f);
  for (size_t i = 0; i < s->n; i++) {
    const bench_cmd *c = &s->cmds[i];
    const bs_summary *w = &c->wall;
    fputs(i ? ",\n{\"command\":" : "\n{\"command\":", f);
    fz_json_write_str(f, c->cmd, 0);
    jnum(f, "mean", w->mean);
    jnum(f, "stddev", w->sd);
    jnum(f, "median", w->median);
    jnum(f, "user", c->user_mean);
    jnum(f, "system", c->sys_mean);
    jnum(f, "min", w->min);
    jnum(f, "max", w->max);
    fprintf(f, ",\"ci95\":[");
    fz_json_write_double(f, w->ci_lo);
    fputc(',', f);
    fz_json_write_double(f, w->ci_hi);
    fprintf(f, "],\"runs\":%zu,\"failed_runs\":%zu,\"outliers\":%zu", w->n, c->failed,
            w->outliers);
    for (int j = 0; j < BENCH_N_RES; j++) jnum(f, res_names[j], c->res_mean[j]);
    fputs(",\"times\":[", f);
    for (size_t k = 0; k < c->n; k++) {
      if (k) fputc(',', f);
      fz_json_write_double(f, c->runs[k].wall);
    }
    fputs("],\"exit_codes\":[", f);
    for (size_t k = 0; k < c->n; k++) fprintf(f, "%s%d", k ? "," : "", c->runs[k].status);
    fputs("]", f);
    if (c->param_name) {
      fputs(",\"parameters\":{", f);
      fz_json_write_str(f, c->param_name, 0);
      fputc(':', f);
      fz_json_write_str(f, c->param_value, 0);
      fputc('}', f);
    }
    fputc('}', f);
  }
  fputs("],\n\"ranking\":[", f);
  for (size_t i = 0; i < s->n; i++) fprintf(f, "%s%zu", i ? "," : "", s->rank[i]);
  fputs("],\n\"vs_fastest\":[", f);
  for (size_t i = 1; i < s->n; i++) {
    const bench_cmp *q = &s->vs_fastest[i - 1];
    fprintf(f, "%s\n{\"command\":%zu,\"fastest\":%zu", i > 1 ? "," : "", q->b, q->a);
    jnum(f, "ratio", q->ratio.r);
    jnum(f, "ratio_stddev", q->ratio.sd_err);
    fputs(",\"ratio_ci95\":[", f);
    fz_json_write_double(f, q->ratio.ci_lo);
    fputc(',', f);
    fz_json_write_double(f, q->ratio.ci_hi);
    fputc(']', f);
    jnum(f, "welch_t", q->welch.t);
    jnum(f, "welch_df", q->welch.df);
    jnum(f, "p_value", q->welch.p);
    fprintf(f, ",\"significant\":%s}", q->distinct ? "true" : "false");
  }
  fputs("]}\n", f);
  return 0;
}

/* A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void csv_str(FILE *f, const char *v) {
  if (!strpbrk(v, ",\"\r\n")) {
    fputs(v, f);
    return;
  }
  fputc('"', f);
  for (; *v; v++) {
    if (*v == '"') fputc('"', f);
    fputc(*v, f);
  }
  fputc('"', f);
}

int bench_write_csv(void *set, FILE *f, int color) {
  const bench_set *s = set;
  fputs("command,mean,stddev,median,user,system,min,max,ci95_low,ci95_high,runs,outliers", f);
  for (int j = 0; j < BENCH_N_RES; j++) fprintf(f, ",%s", res_names[j]);
  fputc('\n', f);
  for (size_t i = 0; i < s->n; i++) {
    const bench_cmd *c = &s->cmds[i];
    const bs_summary *w = &c->wall;
    csv_str(f, c->cmd);
    fprintf(f, ",%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%zu,%zu", w->mean, w->sd,
            w->median, c->user_mean, c->sys_mean, w->min, w->max, w->ci_lo, w->ci_hi, w->n,
            w->outliers);
    for (int j = 0; j < BENCH_N_RES; j++) fprintf(f, ",%.9g", c->res_mean[j]);
    fputc('\n', f);
  }
  return 0;
}

/* A Markdown table cell: '|' escaped, line breaks as spaces, in backticks. */
static void md_cell(FILE *f, const char *v) {
  fputc('`', f);
  for (; *v; v++) {
    if (*v == '|') fputs("\\|", f);
    else if (*v == '\n' || *v == '\r' || *v == '`') fputc(' ', f);
    else fputc(*v, f);
  }
  fputc('`', f);
}

int bench_write_markdown(void *set, FILE *f, int color) {
  const bench_set *s = set;
  const bench_cmd *fa = &s->cmds[s->rank[0]];
  double k;
  const char *u = unit_for(fa->wall.mean, &k);
  fprintf(f, "| Command | Mean [%s] | Min [%s] | Max [%s] | 95 %% CI [%s] | Relative |\n"
          "|:---|---:|---:|---:|---:|---:|\n", u, u, u, u);
  for (size_t i = 0; i < s->n; i++) {
    const bench_cmd *c = &s->cmds[i];
    const bs_summary *w = &c->wall;
    fputs("| ", f);
    md_cell(f, c->cmd);
    fprintf(f, " | %.3f ± %.3f | %.3f | %.3f | %.3f … %.3f | ", w->mean * k, w->sd * k,
            w->min * k, w->max * k, w->ci_lo * k, w->ci_hi * k);
    if (i == s->rank[0]) {
      fputs("1.00 |\n", f);
      continue;
    }
    for (size_t r = 1; r < s->n; r++)
      if (s->vs_fastest[r - 1].b == i)
        fprintf(f, "%.2f ± %.2f%s |\n", s->vs_fastest[r - 1].ratio.r,
                s->vs_fastest[r - 1].ratio.sd_err, s->vs_fastest[r - 1].distinct ? "" : " (same)");
  }
  return 0;
}
