/* pipeline.c: fathom_pipeline_run — a processing pipeline profiled step by step (see
 * fathom_work.h, docs/workloads.md): each step's time with its interval, its share of the
 * pipeline, its throughput, the heap and RSS it added, the bottleneck (with Welch's test
 * against the next slowest step), and the steps over the thresholds, with suggestions.
 *
 * Invariant: the steps run on the calling thread, in order, opts.runs times; a step that
 * fails ends that run (later steps of it are not run); memory is bounded by runs x steps. */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fathom.h"
#include "util/fmt.h"
#include "util/jsonw.h"
#include "util/tdist.h"

static double mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The heap in use (glibc's count: the arenas' blocks and the mmapped ones; NaN under another
 * allocator, a sanitizer's, where mallinfo2 knows nothing) and the RSS. */
static double heap_bytes(void) {
  struct mallinfo2 m = mallinfo2();
  double h = (double)m.uordblks + (double)m.hblkhd;
  return h > 0 ? h : NAN;
}
static double rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "re");
  unsigned long size = 0, res = 0;
  int ok = f && fscanf(f, "%lu %lu", &size, &res) == 2;
  if (f) fclose(f);
  return ok ? (double)res * (double)sysconf(_SC_PAGESIZE) : NAN;
}

typedef struct acc {
  fz_acc t;                     /* wall ns of the step's runs */
  double heap, rss;             /* summed growth */
} acc;

FATHOM_EXTERN int fathom_pipeline_run(const char *name, const fathom_step *steps, uint32_t n,
                                      void *data, const fathom_pipeline_opts *opts,
                                      fathom_pipeline_result *res) {
  if (res) memset(res, 0, sizeof *res);
  if (!name || !*name || !steps || !n || !res) return FATHOM_E_INVAL;
  for (uint32_t i = 0; i < n; i++)
    if (!steps[i].fn || !steps[i].name || !*steps[i].name) return FATHOM_E_INVAL;
  fathom_pipeline_opts o = {5, 0, 200, 200};
  if (opts) o = *opts;
  if (!o.runs) o.runs = 5;
  if (!(o.slow_ms > 0)) o.slow_ms = 200;
  if (!(o.memory_mb > 0)) o.memory_mb = 200;
  acc *a = calloc(n, sizeof *a);
  int *failed = calloc(n, sizeof *failed);
  res->s = calloc(n, sizeof *res->s);
  if (!a || !failed || !res->s) {
    free(a);
    free(failed);
    fathom_pipeline_result_free(res);
    return FATHOM_E_NOMEM;
  }
  for (uint32_t r = 0; r < o.runs; r++) {
    for (uint32_t i = 0; i < n; i++) {
      double h0 = heap_bytes(), m0 = rss_bytes();
      fathom_zone z = fathom_zone_begin(steps[i].name, name);
      double t0 = mono_ns();
      int rc = steps[i].fn(data, steps[i].user);
      double t1 = mono_ns();
      fathom_zone_end(z);
      fz_acc_add(&a[i].t, t1 - t0);
      a[i].heap += heap_bytes() - h0;
      a[i].rss += rss_bytes() - m0;
      if (rc) {
        failed[i] = 1;
        break;
      }
    }
  }
  res->n = n;
  double total = 0;
  for (uint32_t i = 0; i < n; i++) total += a[i].t.n ? fz_acc_mean(&a[i].t) : 0;
  res->total_mean_ns = total;
  res->items_per_s = o.items && total > 0 ? (double)o.items / (total / 1e9) : NAN;
  uint32_t best = 0, second = UINT32_MAX;
  for (uint32_t i = 0; i < n; i++) {
    fathom_step_stats *s = &res->s[i];
    s->name = steps[i].name;
    uint32_t k = (uint32_t)a[i].t.n;
    s->runs = k;
    s->mean_ns = fz_acc_mean(&a[i].t);
    s->sd_ns = sqrt(fz_acc_var(&a[i].t));
    double half = k > 1 ? fz_t_quantile(0.975, k - 1) * s->sd_ns / sqrt(k) : NAN;
    s->ci_lo_ns = s->mean_ns - half;
    s->ci_hi_ns = s->mean_ns + half;
    s->share_pct = total > 0 && k ? 100 * s->mean_ns / total : NAN;
    s->items_per_s = o.items && s->mean_ns > 0 ? (double)o.items / (s->mean_ns / 1e9) : NAN;
    s->heap_delta_bytes = k ? a[i].heap / k : NAN;
    s->rss_delta_bytes = k ? a[i].rss / k : NAN;
    s->slow = s->mean_ns > o.slow_ms * 1e6;
    s->heavy = fmax(s->heap_delta_bytes, s->rss_delta_bytes) > o.memory_mb * 1048576.0;
    s->failed = failed[i];
  }
  for (uint32_t i = 1; i < n; i++)   /* the slowest step, then the next slowest */
    if (a[i].t.n && (!a[best].t.n || res->s[i].mean_ns > res->s[best].mean_ns)) best = i;
  for (uint32_t i = 0; i < n; i++)
    if (i != best && a[i].t.n &&
        (second == UINT32_MAX || res->s[i].mean_ns > res->s[second].mean_ns))
      second = i;
  res->bottleneck = best;
  res->bottleneck_p = NAN;
  if (second != UINT32_MAX && a[best].t.n > 1 && a[second].t.n > 1)
    res->bottleneck_p = fz_welch_p(&a[second].t, &a[best].t);
  free(a);
  free(failed);
  return 0;
}

FATHOM_EXTERN void fathom_pipeline_result_free(fathom_pipeline_result *res) {
  if (!res) return;
  free(res->s);
  memset(res, 0, sizeof *res);
}

static void mb(char *b, size_t cap, double bytes) {
  if (!isfinite(bytes)) snprintf(b, cap, "-");
  else snprintf(b, cap, "%+.1f MiB", bytes / 1048576.0);
}

FATHOM_EXTERN int fathom_pipeline_print(FILE *f, const fathom_pipeline_result *res) {
  if (!f || !res || !res->s) return FATHOM_E_INVAL;
  fprintf(f, "%-24s %5s  %30s  %6s  %12s  %10s  %10s\n", "step", "runs", "mean [95 % interval]",
          "share", "items/s", "heap", "RSS");
  for (uint32_t i = 0; i < res->n; i++) {
    const fathom_step_stats *s = &res->s[i];
    char m[32], lo[32], hi[32], ci[112], sh[16], ips[32], h[32], r[32];
    fz_fmt_dur(m, sizeof m, s->mean_ns);
    fz_fmt_dur(lo, sizeof lo, s->ci_lo_ns);
    fz_fmt_dur(hi, sizeof hi, s->ci_hi_ns);
    snprintf(ci, sizeof ci, "%s [%s, %s]", m, lo, hi);
    if (isfinite(s->share_pct)) snprintf(sh, sizeof sh, "%.1f%%", s->share_pct);
    else snprintf(sh, sizeof sh, "-");
    if (isfinite(s->items_per_s)) snprintf(ips, sizeof ips, "%.4g", s->items_per_s);
    else snprintf(ips, sizeof ips, "-");
    mb(h, sizeof h, s->heap_delta_bytes);
    mb(r, sizeof r, s->rss_delta_bytes);
    fprintf(f, "%-24.24s %5u  %30s  %6s  %12s  %10s  %10s%s%s%s\n", s->name, s->runs, ci, sh,
            ips, h, r, i == res->bottleneck ? "  <- bottleneck" : "", s->failed ? "  FAILED" : "",
            s->slow || s->heavy ? "  !" : "");
  }
  const fathom_step_stats *b = &res->s[res->bottleneck];
  if (isfinite(res->bottleneck_p))
    fprintf(f, "  bottleneck: %s, %.1f %% of the pipeline (%s the next slowest step: p = %.2g)\n",
            b->name, b->share_pct,
            res->bottleneck_p < 0.05 ? "slower than" : "cannot be told apart from",
            res->bottleneck_p);
  for (uint32_t i = 0; i < res->n; i++) {
    const fathom_step_stats *s = &res->s[i];
    if (s->slow)
      fprintf(f, "  ! %s takes over the threshold per run: profile inside it (a zone per part, "
                 "or fathom run), cache what repeats across runs, or spread its items over "
                 "threads with fathom_parallel_map\n", s->name);
    if (s->heavy)
      fprintf(f, "  ! %s grows memory over the threshold per run: process the data in chunks, "
                 "reuse buffers, or free what the next steps do not need\n", s->name);
    if (s->failed) fprintf(f, "  ! %s failed: the run stopped there\n", s->name);
  }
  return ferror(f) ? FATHOM_E_IO : 0;
}

FATHOM_EXTERN int fathom_pipeline_write_json(FILE *f, const fathom_pipeline_result *res) {
  if (!f || !res || !res->s) return FATHOM_E_INVAL;
  fprintf(f, "{\"format\":\"fathom-pipeline\",\"version\":1,\"bottleneck\":%u", res->bottleneck);
  fz_json_num_member(f, "bottleneck_p", res->bottleneck_p);
  fz_json_num_member(f, "total_mean_ns", res->total_mean_ns);
  fz_json_num_member(f, "items_per_s", res->items_per_s);
  fputs(",\"steps\":[", f);
  for (uint32_t i = 0; i < res->n; i++) {
    const fathom_step_stats *s = &res->s[i];
    fputs(i ? ",\n{\"name\":" : "\n{\"name\":", f);
    fz_json_write_str(f, s->name, 0);
    fprintf(f, ",\"runs\":%u", s->runs);
    fz_json_num_member(f, "mean_ns", s->mean_ns);
    fz_json_num_member(f, "sd_ns", s->sd_ns);
    fz_json_num_member(f, "ci_lo_ns", s->ci_lo_ns);
    fz_json_num_member(f, "ci_hi_ns", s->ci_hi_ns);
    fz_json_num_member(f, "share_pct", s->share_pct);
    fz_json_num_member(f, "items_per_s", s->items_per_s);
    fz_json_num_member(f, "heap_delta_bytes", s->heap_delta_bytes);
    fz_json_num_member(f, "rss_delta_bytes", s->rss_delta_bytes);
    fprintf(f, ",\"slow\":%s,\"heavy\":%s,\"failed\":%s}", s->slow ? "true" : "false",
            s->heavy ? "true" : "false", s->failed ? "true" : "false");
  }
  fputs("]}\n", f);
  return ferror(f) ? FATHOM_E_IO : 0;
}
