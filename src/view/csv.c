/* view/csv.c: the CSV view: one row per call path merged across threads (RFC 4180).
 *
 * Invariant: the output is exactly one header row plus one row per merged path, in the
 * call tree's depth-first order (children by descending total), every row with the same
 * 80 fields (17 statistics, 9 profile-wide columns identical on every row: the clock,
 * fathom's measured cost and what was dropped, so the CSV alone tells how far to trust it;
 * then 39 schema-2 columns of the path: timing sample, governor, probed resource estimates,
 * allocations, FLOPs; then 15 schema-4 columns: standard errors, percentile intervals,
 * fathom's cost taken out, whether the timing is estimated, CPU time), columns only ever
 * added at the end so existing readers keep their positions; then, only for profiles with
 * extensions, 4 columns per extension metric (view/csv_ext.c); CRLF line ends, and any field
 * holding a comma, quote, CR or LF quoted with inner quotes doubled; so any RFC 4180 reader
 * gets the table back unchanged. A figure that was not measured (a probe that was not
 * available, a NaN) is an empty field.
 *
 * Text cells (path, zone, component, clock_source) are safe to open in a spreadsheet: one
 * that starts with '=', '+', '-', '@', TAB or CR gets a leading '\'' (OWASP's guidance on CSV
 * injection: names can come from request data); numbers are never prefixed. Every row is
 * bounded whatever the model holds: a path cell keeps at most FZ_CSV_PATH_MAX bytes (its
 * root end cut to "..."), any other text cell at most FZ_CSV_TEXT_MAX (its end cut to
 * "..."), so the output is at most linear in the model (docs/formats.md, "Bounded output"). */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/estimates.h"
#include "model/model.h"
#include "view/view.h"

static const char *const fz_csv_header =
    "path,zone,component,depth,threads,calls,total_ns,self_ns,mean_ns,stddev_ns,min_ns,"
    "max_ns,p50_ns,p90_ns,p95_ns,p99_ns,p999_ns,clock_source,clock_resolution_ns,"
    "clock_read_ns,zone_cost_ns,overhead_pct,dropped_zones,dropped_events,dropped_hist,"
    "misuse,timed,time_every,gov,res_samples,res_sample_every,res_cpu_user_ns,res_cpu_sys_ns,"
    "res_ctx_vol,res_ctx_invol,res_minflt,res_majflt,res_read_bytes,res_write_bytes,"
    "res_disk_read_bytes,res_disk_write_bytes,res_rss_delta_bytes,res_instructions,"
    "res_cycles,res_cache_refs,res_cache_misses,res_branch_misses,res_fp_ops,res_wall_ns,alloc_count,"
    "alloc_bytes,free_count,free_bytes,live_count,live_bytes,growth_bytes_per_call,"
    "self_alloc_count,self_alloc_bytes,self_free_count,self_free_bytes,self_live_count,"
    "self_live_bytes,self_growth_bytes_per_call,flops,flops_self,total_se_ns,self_se_ns,"
    "p50_lo_ns,p50_hi_ns,p90_lo_ns,p90_hi_ns,p95_lo_ns,p95_hi_ns,p99_lo_ns,p99_hi_ns,"
    "p999_lo_ns,p999_hi_ns,overhead_ns,estimated,res_cpu_ns";   /* then the extensions' */

#define FZ_CSV_PATH_MAX 4096   /* bytes of a path cell */
#define FZ_CSV_TEXT_MAX 1024   /* bytes of any other text cell */

/* Whether a cell starting with c would be read as a formula (or cut short) by a spreadsheet. */
static int fz_csv_formula_start(char c) {
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/* A text cell: at most max bytes of s (cut at a character boundary, then "..."), with a
 * leading '\'' where it would start a formula, quoted when it holds a comma, quote, CR or LF. */
static void fz_csv_text(FILE *f, const char *s, size_t max) {
  if (!s) s = "";
  size_t n = strnlen(s, max + 1), keep = n;
  if (n > max) {
    keep = max;
    while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80) keep--;   /* UTF-8 */
  }
  int quote = 0;
  for (size_t k = 0; k < keep && !quote; k++)
    quote = s[k] == ',' || s[k] == '"' || s[k] == '\r' || s[k] == '\n';
  if (quote) fputc('"', f);
  if (fz_csv_formula_start(s[0])) fputc('\'', f);
  for (size_t k = 0; k < keep; k++) {
    if (s[k] == '"') fputc('"', f);
    fputc(s[k], f);
  }
  if (keep < n) fputs("...", f);
  if (quote) fputc('"', f);
}

/* ",x" with the shortest digits that read back as x; ",": not finite (not measured). */
static void fz_csv_double(FILE *f, double v) {
  char b[48];
  fputc(',', f);
  if (!isfinite(v)) return;
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(b, sizeof b, "%.*g", prec, v);
    if (prec == 17 || strtod(b, NULL) == v) break;
  }
  fputs(b, f);
}

static void fz_csv_alloc(FILE *f, const fathom_alloc *a) {
  fprintf(f, ",%llu,%llu,%llu,%llu,%llu,%llu", (unsigned long long)a->alloc_count,
          (unsigned long long)a->alloc_bytes, (unsigned long long)a->free_count,
          (unsigned long long)a->free_bytes, (unsigned long long)a->live_count,
          (unsigned long long)a->live_bytes);
  fz_csv_double(f, a->growth_bytes_per_call);
}

/* The 39 schema-2 fields of a path, each preceded by its comma. */
static void fz_csv_res(FILE *f, const fz_path_res *r) {
  fprintf(f, ",%llu,%u,", (unsigned long long)r->timed, r->time_every);
  const char *sep = "";
  for (uint32_t bit = 1; bit; bit <<= 1) {   /* names joined by '|'; unnamed bits in hex */
    if (!(r->gov & bit)) continue;
    if (fz_gov_name(bit)) fprintf(f, "%s%s", sep, fz_gov_name(bit));
    else fprintf(f, "%s0x%x", sep, bit);
    sep = "|";
  }
  fprintf(f, ",%llu,%u", (unsigned long long)r->res.samples, r->res.sample_every);
  for (int k = 0; k < FATHOM_RES_CPU_NS; k++) {   /* the schema-2 ids; cpu_ns comes last */
    if (r->res.mask & (1u << k)) fz_csv_double(f, r->res.sum[k]);
    else fputc(',', f);
  }
  fz_csv_alloc(f, &r->alloc);
  fz_csv_alloc(f, &r->alloc_self);
  fz_csv_double(f, r->flops);
  fz_csv_double(f, r->flops_self);
}

/* The 15 schema-4 fields of a path: errors, percentile intervals, fathom's cost taken out,
 * whether its timing figures are estimates, and the CPU time (user + system) estimate. */
static void fz_csv_est(FILE *f, const fathom_stats *s, const fz_path_res *r) {
  fz_csv_double(f, s->total_se_ns);
  fz_csv_double(f, s->self_se_ns);
  for (int k = 0; k < FATHOM_PCT_N; k++) {
    fz_csv_double(f, s->pct_lo_ns[k]);
    fz_csv_double(f, s->pct_hi_ns[k]);
  }
  fz_csv_double(f, s->overhead_ns);
  fprintf(f, ",%d", fathom_stats_estimated(s) ? 1 : 0);
  if (r->res.mask & (1u << FATHOM_RES_CPU_NS)) fz_csv_double(f, r->res.sum[FATHOM_RES_CPU_NS]);
  else fputc(',', f);
}

static void fz_csv_row(FILE *f, const fathom_profile *p, const fz_path *e, const fz_path_res *r,
                       const char *path, const double *ext) {
  const fathom_zone_info *z = &p->zones[e->zone];
  const fathom_stats *s = &e->stats;
  fz_csv_text(f, path, FZ_CSV_PATH_MAX);
  fputc(',', f);
  fz_csv_text(f, z->name, FZ_CSV_TEXT_MAX);
  fputc(',', f);
  fz_csv_text(f, z->component && *z->component ? z->component : "default", FZ_CSV_TEXT_MAX);
  fprintf(f, ",%u,%u,%llu,%llu,%llu,%.1f,%.1f,%llu,%llu,%.1f,%.1f,%.1f,%.1f,%.1f,", e->depth,
          e->n_threads, (unsigned long long)s->count, (unsigned long long)s->total_ns,
          (unsigned long long)s->self_ns, s->mean_ns, s->stddev_ns,
          (unsigned long long)s->min_ns, (unsigned long long)s->max_ns, s->p50_ns, s->p90_ns,
          s->p95_ns, s->p99_ns, s->p999_ns);
  const fathom_meta *m = &p->meta;
  fz_csv_text(f, m->clock_source, FZ_CSV_TEXT_MAX);
  fprintf(f, ",%.3f,%.3f,%.3f,%.4f,%llu,%llu,%llu,%llu", m->clock_resolution_ns,
          m->clock_read_ns, m->zone_cost_ns, m->overhead_pct,
          (unsigned long long)m->dropped_zones, (unsigned long long)m->dropped_events,
          (unsigned long long)m->dropped_hist, (unsigned long long)m->misuse);
  fz_csv_res(f, r);
  fz_csv_est(f, s, r);
  fz_csv_ext_cells(f, p, ext);   /* extensions (csv_ext.c) */
  fputs("\r\n", f);
}

static int fz_write_csv_c(const fathom_profile *p, FILE *f) {
  fz_path *paths = NULL;
  uint32_t n = 0, top = FATHOM_NONE;
  fz_path_res *res = NULL;
  double *ext = NULL;
  int rc = fz_paths_build(p, &paths, &n, &top);
  if (rc) return rc;
  rc = fz_paths_est_fill(p, paths, n);
  if (!rc) rc = fz_paths_res_build(p, paths, n, &res);
  if (!rc) rc = fz_csv_ext_build(p, paths, n, &ext);
  if (rc) {
    free(res);
    fz_paths_free(paths, n);
    return rc;
  }
  fputs(fz_csv_header, f);
  fz_csv_ext_header(f, p);
  fputs("\r\n", f);
  char *buf = malloc(FZ_CSV_PATH_MAX + 1);   /* a longer path keeps its leaf end: ".../c" */
  if (!buf) rc = FATHOM_E_NOMEM;
  /* depth-first preorder through the links, no stack: down, else across, else up */
  uint32_t i = top;
  while (i != FATHOM_NONE && rc == 0) {
    fz_path_string(p, paths, i, buf, FZ_CSV_PATH_MAX + 1);
    fz_csv_row(f, p, &paths[i], &res[i], buf, ext ? &ext[(size_t)i * 4 * p->n_ext_metrics] : NULL);
    if (paths[i].first_child != FATHOM_NONE) {
      i = paths[i].first_child;
      continue;
    }
    while (i != FATHOM_NONE && paths[i].next_sibling == FATHOM_NONE) i = paths[i].parent;
    if (i != FATHOM_NONE) i = paths[i].next_sibling;
  }
  free(buf);
  free(res);
  free(ext);
  fz_paths_free(paths, n);
  if (rc == 0 && ferror(f)) rc = FATHOM_E_IO;
  return rc;
}

int fz_write_csv(const fathom_profile *p, FILE *f, int color) {
  if (!p || !f) return FATHOM_E_INVAL;
  /* a decimal comma would split fields: numbers in the "C" locale, whatever the host set */
  locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  locale_t prev = c ? uselocale(c) : (locale_t)0;
  int rc = fz_write_csv_c(p, f);
  if (c) {
    uselocale(prev);
    freelocale(c);
  }
  return rc;
}
