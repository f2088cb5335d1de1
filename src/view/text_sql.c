/* text_sql.c: the text report's "Database statements" section (the profile's "queries"), and
 * the same table for fathom_sql_stats_print: per normalised statement its runs, time (total,
 * share, mean, percentiles, max), rows and SQLite's counters, then the slowest runs of the
 * statements that took the most time.
 *
 * Invariant: reads only what it is given; percentiles from a sample of the runs are marked
 * "~" (estimates); a share above 100 % (statements on several threads at once) is clamped
 * and said so. */
#include <stdio.h>

#include "view/text.h"
#include "view/view.h"

#define SQL_ROWS 30        /* statements in the table */
#define SQL_SLOW_SHOWN 5   /* statements whose slowest runs are shown */
#define SQL_TEXT_W 70      /* widest statement column */

static void dur(char *b, size_t cap, double ns, int est) {
  size_t k = 0;
  if (est && cap > 1) b[k++] = '~';
  fz_fmt_dur(b + k, cap - k, ns);
}

static void count(char *b, size_t cap, int known, uint64_t v) {
  if (known) fz_fmt_count(b, cap, v);
  else snprintf(b, cap, "-");
}

int fz_queries_text(FILE *f, int color, const fathom_query_info *q, uint32_t n,
                    uint64_t dropped, double session_ns) {
  fz_tx tx0 = {f, color}, *tx = &tx0;
  if (!(n && q) && !dropped) return 0;
  if (!q) n = 0;
  double all = 0;
  uint64_t runs = 0;
  int est = 0;
  for (uint32_t i = 0; i < n; i++) {
    all += q[i].total_ns;
    runs += q[i].count;
    est |= !q[i].exact;
  }
  double whole = session_ns > 0 ? session_ns : all;
  fz_section(tx, "Database statements");
  char a[40], b[40], c[40];
  fz_fmt_count(a, sizeof a, n);
  fz_fmt_count(b, sizeof b, runs);
  fz_fmt_dur(c, sizeof c, all);
  fprintf(f, "  %s statements, %s runs, %s in all (literals replaced by ?)\n", a, b, c);
  if (dropped) {
    fz_fmt_count(a, sizeof a, dropped);
    fz_on(tx, "33");
    fprintf(f, "  %s runs of further statements not counted (more than %u distinct statements "
               "on a connection)\n", a, FATHOM_SQL_MAX_STATEMENTS);
    fz_off(tx);
  }
  static const char *const head[] = {"total", "share", "runs", "mean", "p50", "p95", "p99",
                                     "max", "rows", "scan steps", "sorts", "statement"};
  fz_tab t;
  fz_tab_init(&t, head, "rrrrrrrrrrrl");
  int clamped = 0;
  uint32_t shown = n < SQL_ROWS ? n : SQL_ROWS;
  for (uint32_t i = 0; i < shown; i++) {
    const fathom_query_info *x = &q[i];
    char tot[40], sh[40], cnt[32], mean[40], p50[40], p95[40], p99[40], mx[40], rows[32],
        scan[32], sorts[32], st[512];
    fz_fmt_dur(tot, sizeof tot, x->total_ns);
    fz_fmt_share(sh, sizeof sh, x->total_ns, whole, 0, &clamped);
    fz_fmt_count(cnt, sizeof cnt, x->count);
    fz_fmt_dur(mean, sizeof mean, x->mean_ns);
    dur(p50, sizeof p50, x->p50_ns, !x->exact);
    dur(p95, sizeof p95, x->p95_ns, !x->exact);
    dur(p99, sizeof p99, x->p99_ns, !x->exact);
    fz_fmt_dur(mx, sizeof mx, x->max_ns);
    fz_fmt_count(rows, sizeof rows, x->rows);
    count(scan, sizeof scan, x->sqlite, x->fullscan_steps);
    count(sorts, sizeof sorts, x->sqlite, x->sorts);
    char stmt[400];
    fz_clean(stmt, sizeof stmt, x->statement, SQL_TEXT_W);
    snprintf(st, sizeof st, "%s%s%s", stmt, x->db && *x->db ? "  @" : "",
             x->db ? x->db : "");
    const char *cells[] = {tot, sh, cnt, mean, p50, p95, p99, mx, rows, scan, sorts, st};
    fz_tab_row(&t, cells);
  }
  int rc = fz_tab_print(tx, &t);
  fz_clamp_note(tx, clamped);
  fz_more(tx, n - shown, "statements");
  fz_on(tx, "2");
  fprintf(f, "  share: of the %s; scan steps: steps of full table scans (SQLite), "
             "'-': not known\n", session_ns > 0 ? "session's time" : "statements' time");
  if (est) fputs("  ~: percentile estimated from a uniform sample of the runs\n", f);
  fz_off(tx);
  uint32_t slow = n < SQL_SLOW_SHOWN ? n : SQL_SLOW_SHOWN;
  int any = 0;
  for (uint32_t i = 0; i < slow; i++) any |= q[i].n_slowest > 0;
  if (any) fputs("  slowest runs:\n", f);
  for (uint32_t i = 0; any && i < slow; i++) {
    const fathom_query_info *x = &q[i];
    for (uint32_t k = 0; k < x->n_slowest && k < FATHOM_QUERY_SLOWEST; k++) {
      char d[40], s[400];
      fz_fmt_dur(d, sizeof d, x->slowest_ns[k]);
      fz_clean(s, sizeof s, x->slowest_sql[k] && *x->slowest_sql[k] ? x->slowest_sql[k]
                                                                     : x->statement, 100);
      fprintf(f, "    %10s  %s\n", d, s);
    }
  }
  if (!rc && ferror(f)) rc = FATHOM_E_IO;
  return rc;
}

int fz_text_queries(const fz_tx *tx, const fathom_profile *p) {
  return fz_queries_text(tx->f, tx->color, p->queries, p->queries ? p->n_queries : 0,
                         p->queries_dropped, (double)p->meta.duration_ns);
}
