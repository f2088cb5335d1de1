/* variants.c: fathom_variants_rank — variants of one piece of work run interleaved and ranked
 * by their mean wall time with confidence, and by their median (see fathom_work.h,
 * docs/workloads.md).
 *
 * How it decides: each round runs every variant once, in a fresh random order. After
 * min_runs rounds and min_time_s, and then each time the runs have doubled, the variants are
 * sorted by mean and each is compared with the next slower one by Welch's test; the ranking
 * is settled when every such pair differs at (1 - confidence) / LOOKS. It stops when
 * settled, or at max_runs or max_time_s. The ranks and p-values reported are then those of
 * the final data at 1 - confidence: pairs not told apart share a rank. Means carry Student-t
 * intervals, ratios to the fastest an interval by the delta method. The ranking by median is
 * made from the final data only (it does not stop the runs): medians carry order-statistic
 * intervals, and a variant whose interval overlaps the one before's shares its rank.
 *
 * Memory per run, read outside the timed part: the heap in use before and after (glibc's
 * mallinfo2), and, when allocation tracking is on for the session, the calling thread's
 * allocated bytes and the peak of its heap above the run's start (record/alloc.c).
 *
 * Invariant: memory is bounded by max_runs durations per variant; the user's functions run
 * on the calling thread only; nothing is printed. */
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fathom.h"
#include "model/check.h"
#include "record/alloc.h"
#include "session/session.h"
#include "util/fmt.h"
#include "util/jsonw.h"
#include "util/tdist.h"

/* The ranking is looked at when the runs double (about 14 looks from 10 to 100,000 runs);
 * stopping asks each adjacent pair to differ at alpha / LOOKS, so that looking again and
 * again does not end the runs on a chance difference (Bonferroni over the looks). */
#define LOOKS 16

typedef struct vrun {
  double *t;                    /* wall ns of each measured run (acc.n of them) */
  fz_acc acc;
  double cpu;
  fz_acc heap;                  /* heap retained by each run (mallinfo2) */
  double alloc, peak;           /* summed over the runs (allocation tracking) */
  uint64_t tracked;             /* runs measured by allocation tracking */
} vrun;

static double now_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng_next(uint64_t *s) {   /* xorshift64* */
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static int by_mean(const void *x, const void *y, void *runs) {
  const vrun *r = runs;
  double a = fz_acc_mean(&r[*(const uint32_t *)x].acc), b = fz_acc_mean(&r[*(const uint32_t *)y].acc);
  return (a > b) - (a < b);
}
static int by_value(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* The variants' order by mean, and whether every adjacent pair differs. */
static int settled(vrun *r, uint32_t n, uint32_t *ord, double alpha) {
  for (uint32_t i = 0; i < n; i++) ord[i] = i;
  qsort_r(ord, n, sizeof *ord, by_mean, r);
  for (uint32_t i = 0; i + 1 < n; i++)
    if (!(fz_welch_p(&r[ord[i]].acc, &r[ord[i + 1]].acc) < alpha)) return 0;
  return 1;
}

/* The heap in use: glibc's count of its blocks and mapped blocks; 0 where glibc's allocator
 * is not the process's (a sanitizer's answers zeroes). */
static double heap_bytes(void) {
  struct mallinfo2 m = mallinfo2();
  return (double)m.uordblks + (double)m.hblkhd;
}

/* One run of v (a zone named after it); measured: its times and memory into r. The heap is
 * read outside the zone and the timed part (mallinfo2 walks the arenas); heap 0: not read. */
static void run_one(const fathom_variant *v, const char *comp, vrun *r, int measure, int heap) {
  double h0 = measure && heap ? heap_bytes() : 0;
  fathom_zone z = fathom_zone_begin(v->name, comp);
  fz_alloc_tmark m0, m1;
  int tracked = measure && fz_alloc_thread_mark(&m0, 1);
  double c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), t0 = now_ns(CLOCK_MONOTONIC);
  v->fn(v->user);
  double t1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
  tracked = tracked && fz_alloc_thread_mark(&m1, 0);
  fathom_zone_end(z);
  if (!measure) return;
  if (heap) fz_acc_add(&r->heap, heap_bytes() - h0);
  r->t[r->acc.n] = t1 - t0;
  fz_acc_add(&r->acc, t1 - t0);
  r->cpu += c1 - c0;
  if (tracked) {
    r->alloc += (double)(m1.bytes - m0.bytes);
    r->peak += (double)(m1.peak > m0.live ? m1.peak - m0.live : 0);
    r->tracked++;
  }
}

/* The interval of the median of x[0..n) (sorted) at confidence conf, from the order
 * statistics: the number of runs below the true median is binomial(n, 1/2), so
 * [x(k), x(n+1-k)] (1-based) covers it with probability 1 - 2 P(B <= k - 1); k is the largest
 * for which that is at least conf. With too few runs (no such k) the range. */
static void median_interval(const double *x, uint64_t n, double conf, double *lo, double *hi) {
  double tail = (1 - conf) / 2, lp = -(double)n * log(2.0), cdf = 0;
  uint64_t k = 0;   /* P(B <= k - 1) <= tail */
  for (uint64_t i = 0; i < n / 2; i++) {
    cdf += exp(lp);   /* P(B <= i) */
    if (cdf > tail) break;
    k = i + 1;
    lp += log((double)(n - i)) - log((double)(i + 1));
  }
  if (!k) k = 1;
  *lo = x[k - 1];
  *hi = x[n - k];
}

static int by_median(const void *x, const void *y, void *stats) {
  const fathom_variant_stats *s = stats;
  double a = s[*(const uint32_t *)x].median_ns, b = s[*(const uint32_t *)y].median_ns;
  return (a > b) - (a < b);
}

/* median_rank of each of the n stats (ord: scratch of n) */
static void rank_by_median(fathom_variant_stats *s, uint32_t n, uint32_t *ord) {
  for (uint32_t i = 0; i < n; i++) ord[i] = i;
  qsort_r(ord, n, sizeof *ord, by_median, s);
  for (uint32_t k = 0; k < n; k++) {
    fathom_variant_stats *x = &s[ord[k]], *prev = k ? &s[ord[k - 1]] : NULL;
    x->median_rank = !prev || prev->median_hi_ns < x->median_lo_ns ? k + 1 : prev->median_rank;
  }
}

/* The result as the profile's entries (names borrowed). NULL: out of memory. */
static fathom_ranking_entry *entries(const fathom_variants_result *res) {
  fathom_ranking_entry *e = calloc(res->n, sizeof *e);
  for (uint32_t k = 0; e && k < res->n; k++) {
    const fathom_variant_stats *s = &res->v[k];
    e[k] = (fathom_ranking_entry){(char *)(uintptr_t)s->name, s->rank, s->runs, s->mean_ns,
                                  s->ci_lo_ns, s->ci_hi_ns, s->median_ns, s->ratio,
                                  s->ratio_lo, s->ratio_hi, s->p_next, s->median_lo_ns,
                                  s->median_hi_ns, s->median_rank, s->heap_retained_bytes,
                                  s->heap_retained_lo, s->heap_retained_hi, s->alloc_bytes,
                                  s->peak_bytes};
  }
  return e;
}

/* The ranking into the running session's profile (its reports show it); none: nothing. */
static void keep(const char *name, const fathom_variants_result *res,
                 const fathom_ranking_entry *e) {
  fathom_ranking_info info = {(char *)(uintptr_t)name, res->settled, res->disagree,
                              res->confidence, res->n, (fathom_ranking_entry *)(uintptr_t)e};
  fz_ranking_add(&info);   /* copied; no session or out of memory: the caller has the result */
}

FATHOM_EXTERN int fathom_variants_rank(const char *name, const fathom_variant *v, uint32_t n,
                                       const fathom_variants_opts *opts,
                                       fathom_variants_result *res) {
  if (res) memset(res, 0, sizeof *res);
  if (!name || !*name || !v || !n || !res) return FATHOM_E_INVAL;
  for (uint32_t i = 0; i < n; i++)
    if (!v[i].fn || !v[i].name || !*v[i].name) return FATHOM_E_INVAL;
  fathom_variants_opts o = {1, 10, 100000, 0.5, 10, 0.95};
  if (opts) {
    o = *opts;
    if (!o.min_runs) o.min_runs = 2;
    if (o.max_runs < o.min_runs) o.max_runs = o.min_runs;
    if (!(o.confidence > 0 && o.confidence < 1)) o.confidence = 0.95;
    if (!(o.max_time_s > 0)) o.max_time_s = 10;
  }
  if (o.min_runs < 2) o.min_runs = 2;   /* a spread needs two */
  vrun *r = calloc(n, sizeof *r);
  uint32_t *ord = malloc(n * sizeof *ord);
  int rc = r && ord ? 0 : FATHOM_E_NOMEM;
  for (uint32_t i = 0; !rc && i < n; i++)
    if (!(r[i].t = malloc((size_t)o.max_runs * sizeof *r[i].t))) rc = FATHOM_E_NOMEM;
  uint64_t seed = (uint64_t)now_ns(CLOCK_MONOTONIC) | 1;
  double alpha = 1 - o.confidence, start = now_ns(CLOCK_MONOTONIC), el = 0;
  int done = 0;
  uint64_t next_look = 0;
  int heap = heap_bytes() > 0;   /* glibc's allocator counts (not a sanitizer's) */
  for (uint32_t w = 0; !rc && w < o.warmup; w++)
    for (uint32_t i = 0; i < n; i++) run_one(&v[i], name, &r[i], 0, 0);
  start = now_ns(CLOCK_MONOTONIC);
  while (!rc) {
    for (uint32_t i = 0; i < n; i++) ord[i] = i;
    for (uint32_t i = n; i > 1; i--) {   /* a fresh random order each round */
      uint32_t j = (uint32_t)(rng_next(&seed) % i), x = ord[i - 1];
      ord[i - 1] = ord[j];
      ord[j] = x;
    }
    for (uint32_t k = 0; k < n; k++) run_one(&v[ord[k]], name, &r[ord[k]], 1, heap);
    el = (now_ns(CLOCK_MONOTONIC) - start) / 1e9;
    uint64_t runs = r[0].acc.n;
    if (runs >= o.max_runs || el >= o.max_time_s) {
      done = settled(r, n, ord, alpha / LOOKS);
      break;
    }
    if (runs < o.min_runs || el < o.min_time_s || runs < next_look) continue;
    next_look = 2 * runs;   /* looks at doubling counts only: few looks, few false stops */
    done = settled(r, n, ord, alpha / LOOKS);
    if (done) break;
  }
  if (!rc) {
    res->v = calloc(n, sizeof *res->v);
    if (!res->v) rc = FATHOM_E_NOMEM;
  }
  if (!rc) {
    settled(r, n, ord, alpha);   /* the final order */
    res->n = n;
    res->settled = done;
    res->elapsed_s = el;
    res->confidence = o.confidence;
    const vrun *best = &r[ord[0]];
    double mb = fz_acc_mean(&best->acc), sb2 = fz_acc_var(&best->acc) / (double)best->acc.n;
    for (uint32_t k = 0; k < n; k++) {
      const vrun *x = &r[ord[k]];
      fathom_variant_stats *s = &res->v[k];
      s->name = v[ord[k]].name;
      s->index = ord[k];
      uint64_t xn = x->acc.n;
      s->runs = xn;
      s->mean_ns = fz_acc_mean(&x->acc);
      s->sd_ns = sqrt(fz_acc_var(&x->acc));
      double tq = xn > 1 ? fz_t_quantile(1 - alpha / 2, (double)(xn - 1)) : NAN;
      double se = s->sd_ns / sqrt((double)xn);
      s->ci_lo_ns = s->mean_ns - tq * se;
      s->ci_hi_ns = s->mean_ns + tq * se;
      qsort(x->t, xn, sizeof *x->t, by_value);
      s->min_ns = x->t[0];
      s->max_ns = x->t[xn - 1];
      s->median_ns = xn % 2 ? x->t[xn / 2] : 0.5 * (x->t[xn / 2 - 1] + x->t[xn / 2]);
      s->cpu_mean_ns = x->cpu / (double)xn;
      s->p_next = k + 1 < n ? fz_welch_p(&x->acc, &r[ord[k + 1]].acc) : NAN;
      s->rank = k == 0 ? 1 : res->v[k - 1].p_next < alpha ? k + 1 : res->v[k - 1].rank;
      /* ratio to the fastest, its interval by the delta method (normal) */
      s->ratio = s->mean_ns / mb;
      double rel = sqrt((k ? fz_acc_var(&x->acc) / (double)xn : 0) / (s->mean_ns * s->mean_ns) +
                        (k ? sb2 / (mb * mb) : 0));
      double z = fz_t_quantile(1 - alpha / 2, 1e8);
      s->ratio_lo = s->ratio * (1 - z * rel);
      s->ratio_hi = s->ratio * (1 + z * rel);
      median_interval(x->t, xn, o.confidence, &s->median_lo_ns, &s->median_hi_ns);
      s->heap_retained_bytes = s->heap_retained_lo = s->heap_retained_hi = NAN;
      if (heap && x->heap.n == xn) {
        double hm = fz_acc_mean(&x->heap), hse = sqrt(fz_acc_var(&x->heap) / (double)xn);
        s->heap_retained_bytes = hm;
        s->heap_retained_lo = hm - tq * hse;
        s->heap_retained_hi = hm + tq * hse;
      }
      /* tracking on for every run, or the figures would mix runs measured and not */
      s->alloc_bytes = x->tracked == xn ? x->alloc / (double)xn : NAN;
      s->peak_bytes = x->tracked == xn ? x->peak / (double)xn : NAN;
    }
    rank_by_median(res->v, n, ord);
  }
  fathom_ranking_entry *e = rc ? NULL : entries(res);
  if (!rc && !e) rc = FATHOM_E_NOMEM;
  if (!rc) res->disagree = fz_ranking_disagree(e, n, NULL, NULL);
  for (uint32_t i = 0; r && i < n; i++) free(r[i].t);
  free(r);
  free(ord);
  if (rc) fathom_variants_result_free(res);
  else keep(name, res, e);
  free(e);
  return rc;
}

FATHOM_EXTERN void fathom_variants_result_free(fathom_variants_result *res) {
  if (!res) return;
  free(res->v);
  memset(res, 0, sizeof *res);
}

FATHOM_EXTERN int fathom_variants_print(FILE *f, const fathom_variants_result *res) {
  if (!f || !res || !res->v) return FATHOM_E_INVAL;
  fprintf(f, "%-4s %-28s %8s  %26s  %30s %6s  %24s  %22s %12s %12s\n", "rank", "variant", "runs",
          "mean [interval]", "median [interval]", "by med", "vs fastest", "heap kept/run",
          "allocated/run", "peak/run");
  int mem = 0;
  for (uint32_t k = 0; k < res->n; k++) {
    const fathom_variant_stats *s = &res->v[k];
    char m[32], lo[32], hi[32], ci[112], md[112], vs[64], kept[96], al[40], pk[40];
    fz_fmt_dur(m, sizeof m, s->mean_ns);
    fz_fmt_dur(lo, sizeof lo, s->ci_lo_ns);
    fz_fmt_dur(hi, sizeof hi, s->ci_hi_ns);
    snprintf(ci, sizeof ci, "%s [%s, %s]", m, lo, hi);
    fz_fmt_dur(m, sizeof m, s->median_ns);
    fz_fmt_dur(lo, sizeof lo, s->median_lo_ns);
    fz_fmt_dur(hi, sizeof hi, s->median_hi_ns);
    snprintf(md, sizeof md, "%s [%s, %s]", m, lo, hi);
    if (k == 0) snprintf(vs, sizeof vs, "fastest");
    else snprintf(vs, sizeof vs, "%.3fx [%.3f, %.3f]", s->ratio, s->ratio_lo, s->ratio_hi);
    fz_fmt_bytes_pm(kept, sizeof kept, s->heap_retained_bytes, s->heap_retained_lo,
             s->heap_retained_hi);
    fz_fmt_bytes(al, sizeof al, s->alloc_bytes);
    fz_fmt_bytes(pk, sizeof pk, s->peak_bytes);
    mem |= !isnan(s->heap_retained_bytes) || !isnan(s->alloc_bytes);
    fprintf(f, "%-4u %-28.28s %8llu  %26s  %30s %6u  %24s  %22s %12s %12s\n", s->rank, s->name,
            (unsigned long long)s->runs, ci, md, s->median_rank, vs, kept, al, pk);
  }
  for (uint32_t k = 0; k + 1 < res->n; k++)
    if (!(res->v[k].p_next < 1 - res->confidence))
      fprintf(f, "  %s and %s cannot be told apart (p = %.3g)\n", res->v[k].name,
              res->v[k + 1].name, res->v[k].p_next);
  if (res->disagree) {
    fathom_ranking_entry *e = entries(res);
    uint32_t a, b;
    if (e && fz_ranking_disagree(e, res->n, &a, &b))
      fprintf(f, "  the rankings by mean and by median disagree: %s is ahead of %s by mean, "
              "behind it by median (a few slow runs move a mean: compare the medians)\n",
              res->v[a].name, res->v[b].name);
    else
      fprintf(f, "  the rankings by mean and by median disagree\n");
    free(e);
  }
  fprintf(f, "  %.0f %% intervals; %s after %.2f s\n", 100 * res->confidence,
          res->settled ? "settled" : "not settled (the budget ran out)", res->elapsed_s);
  if (mem)
    fprintf(f, "  memory per run, means: heap kept = heap in use after the run minus before "
            "(glibc, whole process); allocated and peak above the run's start: the calling "
            "thread's, by allocation tracking; -: not measured\n");
  return ferror(f) ? FATHOM_E_IO : 0;
}

FATHOM_EXTERN int fathom_variants_write_json(FILE *f, const fathom_variants_result *res) {
  if (!f || !res || !res->v) return FATHOM_E_INVAL;
  fprintf(f, "{\"format\":\"fathom-variants\",\"version\":1,\"settled\":%s,\"disagree\":%s",
          res->settled ? "true" : "false", res->disagree ? "true" : "false");
  fz_json_num_member(f, "confidence", res->confidence);
  fz_json_num_member(f, "elapsed_s", res->elapsed_s);
  fputs(",\"variants\":[", f);
  for (uint32_t k = 0; k < res->n; k++) {
    const fathom_variant_stats *s = &res->v[k];
    fputs(k ? ",\n{\"name\":" : "\n{\"name\":", f);
    fz_json_write_str(f, s->name, 0);
    fprintf(f, ",\"index\":%u,\"rank\":%u,\"runs\":%llu", s->index, s->rank,
            (unsigned long long)s->runs);
    fz_json_num_member(f, "mean_ns", s->mean_ns);
    fz_json_num_member(f, "sd_ns", s->sd_ns);
    fz_json_num_member(f, "ci_lo_ns", s->ci_lo_ns);
    fz_json_num_member(f, "ci_hi_ns", s->ci_hi_ns);
    fz_json_num_member(f, "median_ns", s->median_ns);
    fz_json_num_member(f, "min_ns", s->min_ns);
    fz_json_num_member(f, "max_ns", s->max_ns);
    fz_json_num_member(f, "cpu_mean_ns", s->cpu_mean_ns);
    fz_json_num_member(f, "ratio", s->ratio);
    fz_json_num_member(f, "ratio_lo", s->ratio_lo);
    fz_json_num_member(f, "ratio_hi", s->ratio_hi);
    fz_json_num_member(f, "p_next", s->p_next);
    fz_json_num_member(f, "median_lo_ns", s->median_lo_ns);
    fz_json_num_member(f, "median_hi_ns", s->median_hi_ns);
    fprintf(f, ",\"median_rank\":%u", s->median_rank);
    fz_json_num_member(f, "heap_retained_bytes", s->heap_retained_bytes);
    fz_json_num_member(f, "heap_retained_lo", s->heap_retained_lo);
    fz_json_num_member(f, "heap_retained_hi", s->heap_retained_hi);
    fz_json_num_member(f, "alloc_bytes", s->alloc_bytes);
    fz_json_num_member(f, "peak_bytes", s->peak_bytes);
    fputc('}', f);
  }
  fputs("]}\n", f);
  return ferror(f) ? FATHOM_E_IO : 0;
}
