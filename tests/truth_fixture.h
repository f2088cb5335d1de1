/* truth_fixture.h: what the ground-truth groups share (test_truth.c, test_truth_model.c):
 * clocks, busy-waits and random numbers, sessions at the DEFAULT configuration, the truth and
 * the comparisons of fathom's figures with it, and the invariants every profile they build
 * (and every live snapshot) must hold: fathom_profile_check and the local rules here.
 *
 * Truth of a zone's total: the zone covers the span between two clock reads taken just
 * inside it (lo) and lies inside the span between two reads just outside it (hi); the gap
 * is fathom's own cost, which fathom may or may not take out (overhead_ns). A figure passes
 * when it lies within REL (2 %) of [lo, hi], or, when it is an estimate, within 1.96 standard
 * errors (total_se_ns) of it. Percentiles: within 2 % of [the nearest-rank value of the
 * durations measured inside the zones, that of the durations measured around them], or that
 * truth inside the reported 95 % interval (pct_lo_ns, pct_hi_ns) widened by the histogram's
 * resolution (0.78 %). The hot tiny zones' truth is rough (their duration is mostly clock
 * reads and fathom's own cost): inside them two clock reads, around them the whole batch.
 * Counts are always exact. Workloads busy-wait on the monotonic clock, so they take the same
 * wall time however loaded the machine is; only correctness is asserted, never speed.
 *
 * FATHOM_GOVERNOR=0 in the environment turns the governor off (every call timed): ctest runs
 * each group that way too (truth_nogov, truth_model_nogov), which validates the truth and the
 * tolerances here.
 *
 * Header-only: every function is static and marked unused (each group uses a subset). */
#ifndef FATHOM_TRUTH_FIXTURE_H
#define FATHOM_TRUTH_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fathom.h"

#define TRUTH_FN static __attribute__((unused))

TRUTH_FN void check_invariants(const fathom_profile *p, const char *what);
#define TESTUTIL_END_CHECK(p) check_invariants((p), "profile at session end")
#include "testutil.h"

/* Without src/model/check.c (CMake defines TRUTH_HAVE_CHECK when it exists) the reference is
 * weak, so each group links and says the check was skipped. */
#ifndef TRUTH_HAVE_CHECK
#pragma weak fathom_profile_check
#endif

#define REL 0.02          /* totals, means, percentiles: within 2 % of the truth */
#define HIST_RES 0.0078   /* histogram: a bucket's midpoint is within 0.78 % of its values */
/* An estimate passes when the truth is within 3.29 standard errors (99.9 %): each run checks
 * dozens of figures, and a 95 % interval misses 1 time in 20 by design. */
#define Z95 3.29

/* ---- clocks, work, random numbers ------------------------------------------------------ */

TRUTH_FN uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
TRUTH_FN uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
/* Busy-waits at least d ns on the monotonic clock; returns the span it measured. */
TRUTH_FN uint64_t spin_ns(uint64_t d) {
  uint64_t t0 = now_ns(), t;
  do t = now_ns(); while (t - t0 < d);
  return t - t0;
}
TRUTH_FN uint64_t sleep_span_ns(uint64_t d) {
  uint64_t t0 = now_ns();
  struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
  while (nanosleep(&ts, &ts) != 0) continue;
  return now_ns() - t0;
}

TRUTH_FN uint64_t rnd(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
TRUTH_FN uint64_t rnd_range(uint64_t *s, uint64_t lo, uint64_t hi) { return lo + rnd(s) % (hi - lo + 1); }

/* n kinds, exactly n_slow of them 1, in an order shuffled with seed. */
TRUTH_FN void shuffled_kinds(unsigned char *k, size_t n, size_t n_slow, uint64_t seed) {
  for (size_t i = 0; i < n; i++) k[i] = i < n_slow;
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = (size_t)(rnd(&seed) % (i + 1));
    unsigned char t = k[i];
    k[i] = k[j];
    k[j] = t;
  }
}

TRUTH_FN int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}
/* Nearest-rank percentile q of n sorted values. */
TRUTH_FN double rank_pct(const uint64_t *sorted, size_t n, double q) {
  double r = ceil(q / 100.0 * (double)n);
  size_t i = r < 1 ? 0 : (size_t)r - 1;
  return (double)sorted[i < n ? i : n - 1];
}

static int n_bad; /* figures that disagreed with the truth in the current test */

/* ---- sessions ------------------------------------------------------------------------- */

/* The default configuration at `level`; FATHOM_GOVERNOR (0/1) may turn the governor off to
 * validate the truth here (every call then timed). */
static int governor_on = 1;
TRUTH_FN void begin(const char *name, fathom_level level) {
  fathom_config c;
  fathom_config_init(&c);
  c.level = level;
  const char *g = getenv("FATHOM_GOVERNOR");
  if (g && *g) c.governor = atoi(g) != 0;
  governor_on = c.governor;
  n_bad = 0;
  assert_int_equal(fathom_session_begin(name, &c), 0);
}

/* ---- truth and the comparisons ------------------------------------------------------------ */

/* The true value lies in [lo, hi] (inside the zone .. around it). */
typedef struct truth {
  double lo, hi;
} truth;

TRUTH_FN void print_stats_line(const char *what, const fathom_stats *st) {
  printf("    %-26s count %llu timed %llu total %llu ns (se %.0f) mean %.0f p50 %.0f p90 %.0f "
         "p99 %.0f overhead %.0f\n",
         what, (unsigned long long)st->count, (unsigned long long)st->timed,
         (unsigned long long)st->total_ns, st->total_se_ns, st->mean_ns, st->p50_ns, st->p90_ns,
         st->p99_ns, st->overhead_ns);
}

/* got within REL of [lo, hi], or within Z95*se of it. Prints both sides; returns 1 if ok. */
/* Under a sanitizer every instruction of the program and of fathom is instrumented, unevenly
 * (ThreadSanitizer: 5-15x, and more on memory traffic): the calibrated costs and the timings
 * do not describe the program any more, so there the timings are printed, not asserted;
 * counts, invariants and the sanitizers' own checks still are. The normal build asserts
 * them. */
TRUTH_FN int timings_asserted(void) {
  const char *san = getenv("FATHOM_SANITIZE");
  return !(san && *san);
}

TRUTH_FN int near_truth(const char *what, double got, truth t, double se) {
  double lo = t.lo - fmax(REL * t.lo, Z95 * se), hi = t.hi + fmax(REL * t.hi, Z95 * se);
  int ok = got >= lo && got <= hi;
  if (!ok && !timings_asserted()) {
    printf("  note %s: %.1f outside [%.1f, %.1f] (not asserted under a sanitizer)\n", what, got,
           lo, hi);
    return 1;
  }
  double mid = 0.5 * (t.lo + t.hi);
  printf("  %s %-30s fathom %15.1f  truth [%15.1f, %15.1f] (%+7.2f %% of its middle)  se %.1f\n",
         ok ? "ok  " : "FAIL", what, got, t.lo, t.hi, mid > 0 ? 100.0 * (got - mid) / mid : 0.0,
         se);
  if (!ok)
    print_error("%s: fathom %.1f is outside the truth [%.1f, %.1f] widened by max(%.0f %%, "
                "3.29 se = %.1f): accepted [%.1f, %.1f]\n",
                what, got, t.lo, t.hi, 100 * REL, Z95 * se, lo, hi);
  return ok;
}
/* The truth's clocks are read around the zone's body, so it holds fathom's own work for any
 * zone nested in it (the cost fathom takes out of its total, overhead_ns): the total is
 * right when it or the total with that cost put back matches. How well the cost taken out
 * matches the real one is measured against perf on a real program (make bench). */
TRUTH_FN int check_total(const char *what, const fathom_stats *st, truth t) {
  char w[96];
  snprintf(w, sizeof w, "%s total", what);
  double lo = t.lo - fmax(REL * t.lo, Z95 * st->total_se_ns);
  double hi = t.hi + fmax(REL * t.hi, Z95 * st->total_se_ns);
  double got = (double)st->total_ns;
  if ((got < lo || got > hi) && st->overhead_ns > 0) {
    snprintf(w, sizeof w, "%s total+overhead", what);
    got += st->overhead_ns;
  }
  return near_truth(w, got, t, st->total_se_ns);
}
TRUTH_FN int check_mean(const char *what, const fathom_stats *st, truth t) {
  char w[96];
  snprintf(w, sizeof w, "%s mean", what);
  truth m = {t.lo / (double)st->count, t.hi / (double)st->count};
  return near_truth(w, st->mean_ns, m, fathom_stats_mean_se_ns(st));
}

/* Percentile k (0: p50, 1: p90, 2: p95, 3: p99) against the nearest-rank values of the
 * durations measured inside the zones (lo) and around them (hi): within REL of [lo, hi], or
 * the truth inside the reported 95 % interval widened by the histogram resolution. */
TRUTH_FN int check_pct(const char *what, const fathom_stats *st, int k, const uint64_t *sorted_in,
                     const uint64_t *sorted_out, size_t n) {
  static const double qs[] = {50, 90, 95, 99};
  double got = k == 0 ? st->p50_ns : k == 1 ? st->p90_ns : k == 2 ? st->p95_ns : st->p99_ns;
  double tlo = rank_pct(sorted_in, n, qs[k]), thi = rank_pct(sorted_out, n, qs[k]);
  double ilo = st->pct_lo_ns[k] * (1 - HIST_RES), ihi = st->pct_hi_ns[k] * (1 + HIST_RES);
  int in_interval = st->pct_hi_ns[k] > 0 && thi >= ilo && tlo <= ihi;
  int ok = (got >= tlo * (1 - REL) && got <= thi * (1 + REL)) || in_interval ||
           !timings_asserted();
  double mid = 0.5 * (tlo + thi);
  printf("  %s %s p%-4g fathom %12.0f  truth [%12.0f, %12.0f] (%+7.2f %% of its middle)  "
         "interval [%.0f, %.0f]\n", ok ? "ok  " : "FAIL", what, qs[k], got, tlo, thi,
         100.0 * (got - mid) / mid, st->pct_lo_ns[k], st->pct_hi_ns[k]);
  if (!ok)
    print_error("%s p%g: fathom %.0f, truth [%.0f, %.0f] (tolerance %.0f %%), and the truth is "
                "outside the reported interval [%.0f, %.0f] widened by %.2f %%\n",
                what, qs[k], got, tlo, thi, 100 * REL, st->pct_lo_ns[k], st->pct_hi_ns[k],
                100 * HIST_RES);
  return ok;
}

/* Collects failures so one run reports every wrong figure, then fails once. */
#define EXPECT(cond) do { if (!(cond)) n_bad++; } while (0)
#define EXPECT_MSG(cond, ...)                                      \
  do {                                                             \
    if (!(cond)) {                                                 \
      n_bad++;                                                     \
      printf("  FAIL ");                                           \
      printf(__VA_ARGS__);                                         \
    }                                                              \
  } while (0)
#define EXPECT_DONE()                                                              \
  do {                                                                             \
    int bad_ = n_bad;                                                              \
    n_bad = 0;                                                                     \
    if (bad_) fail_msg("%d figure(s) disagree with the truth (listed above)", bad_); \
  } while (0)

/* ---- invariants of every profile --------------------------------------------------------- */

#define APPEND(...)                                                                   \
  do {                                                                                \
    n++;                                                                              \
    size_t used_ = strlen(buf);                                                       \
    if (used_ + 1 < cap) snprintf(buf + used_, cap - used_, __VA_ARGS__);             \
  } while (0)

TRUTH_FN void stats_rules(const fathom_stats *st, const char *kind, uint32_t i, char *buf,
                        size_t cap, int *np) {
  int n = *np;
  if (st->timed > st->count)
    APPEND("%s %u: timed %llu > count %llu\n", kind, i, (unsigned long long)st->timed,
           (unsigned long long)st->count);
  if (st->self_ns > st->total_ns + 1)
    APPEND("%s %u: self %llu > total %llu\n", kind, i, (unsigned long long)st->self_ns,
           (unsigned long long)st->total_ns);
  if (!(st->total_se_ns >= 0) || !(st->self_se_ns >= 0))
    APPEND("%s %u: negative or NaN standard error (%g, %g)\n", kind, i, st->total_se_ns,
           st->self_se_ns);
  const double pc[5] = {st->p50_ns, st->p90_ns, st->p95_ns, st->p99_ns, st->p999_ns};
  for (int k = 0; k + 1 < 5; k++)
    if (pc[k] > pc[k + 1] + 1) APPEND("%s %u: percentiles out of order (%g > %g)\n", kind, i, pc[k], pc[k + 1]);
  if (st->count && st->timed != 0)
    for (int k = 0; k < 5; k++)
      if (pc[k] + 1 < (double)st->min_ns || pc[k] > (double)st->max_ns + 1)
        APPEND("%s %u: percentile %g outside [min %llu, max %llu]\n", kind, i, pc[k],
               (unsigned long long)st->min_ns, (unsigned long long)st->max_ns);
  for (int k = 0; k < FATHOM_PCT_N; k++)
    if (st->pct_lo_ns[k] > st->pct_hi_ns[k] + 1)
      APPEND("%s %u: interval %d reversed [%g, %g]\n", kind, i, k, st->pct_lo_ns[k], st->pct_hi_ns[k]);
  *np = n;
}
TRUTH_FN void res_rules(const fathom_res *r, const char *kind, uint32_t i, char *buf, size_t cap,
                      int *np) {
  int n = *np;
  static const int ids[] = {FATHOM_RES_CPU_USER_NS, FATHOM_RES_CPU_SYS_NS, FATHOM_RES_CPU_NS,
                            FATHOM_RES_WALL_NS};
  for (size_t k = 0; k < sizeof ids / sizeof *ids; k++)
    if ((r->mask >> ids[k] & 1) && !(r->sum[ids[k]] >= 0))
      APPEND("%s %u: %s = %g < 0\n", kind, i, fathom_res_name(ids[k]), r->sum[ids[k]]);
  *np = n;
}

/* The rules of fathom_profile_check that this file relies on, checked here as well. */
TRUTH_FN int local_problems(const fathom_profile *p, char *buf, size_t cap) {
  int n = 0;
  buf[0] = 0;
  double *kids = calloc(p->n_nodes + 1u, sizeof *kids);
  double *top = calloc(p->n_threads + 1u, sizeof *top);
  uint32_t *nk = calloc(p->n_nodes + 1u, sizeof *nk);
  if (!kids || !top || !nk) {
    free(kids), free(top), free(nk);
    APPEND("out of memory\n");
    return n;
  }
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *x = &p->nodes[i];
    if (x->zone >= p->n_zones || x->thread >= p->n_threads ||
        (x->parent != FATHOM_NONE && x->parent >= i)) {
      APPEND("node %u: index out of range or parent after child\n", i);
      continue;
    }
    stats_rules(&x->stats, "node", i, buf, cap, &n);
    res_rules(&x->res, "node", i, buf, cap, &n);
    if (x->parent != FATHOM_NONE) {
      kids[x->parent] += (double)x->stats.total_ns;
      nk[x->parent]++;
    } else {
      top[x->thread] += (double)x->stats.total_ns;
    }
  }
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (nk[i] && kids[i] > (double)p->nodes[i].stats.total_ns + nk[i])
      APPEND("node %u (%s): children's totals %.0f > its total %llu\n", i,
             p->zones[p->nodes[i].zone].name, kids[i],
             (unsigned long long)p->nodes[i].stats.total_ns);
  for (uint32_t t = 0; t < p->n_threads; t++)
    if (top[t] > (double)p->meta.duration_ns + p->n_nodes)
      APPEND("thread %u: top-level totals %.0f > session duration %llu\n", t, top[t],
             (unsigned long long)p->meta.duration_ns);
  for (uint32_t z = 0; z < p->n_zones; z++) {
    stats_rules(&p->zones[z].stats, "zone", z, buf, cap, &n);
    res_rules(&p->zones[z].res, "zone", z, buf, cap, &n);
  }
  free(kids), free(top), free(nk);
  return n;
}

/* Runs fathom_profile_check and the local rules; a violation is printed and counted as a
 * failure of the test (reported by EXPECT_DONE, after the figures are compared). */
TRUTH_FN void check_invariants(const fathom_profile *p, const char *what) {
  static char buf[16384];
#ifdef TRUTH_HAVE_CHECK
  int have = 1;
#else
  int have = fathom_profile_check != NULL;
#endif
  if (have) {
    buf[0] = 0;
    int r = fathom_profile_check(p, buf, sizeof buf);
    if (r != 0) {
      printf("  FAIL %s: fathom_profile_check found %d violation(s):\n%s", what, r, buf);
      n_bad++;
    }
  } else {
    static int said;
    if (!said++) printf("  note: fathom_profile_check is not linked yet; only the local rules run\n");
  }
  int r = local_problems(p, buf, sizeof buf);
  if (r) {
    printf("  FAIL %s: %d local invariant violation(s):\n%s", what, r, buf);
    n_bad++;
  }
}

TRUTH_FN const fathom_profile *snapshot_held(void) {
  fathom_profile *s = fathom_snapshot();
  assert_non_null(s);
  hold(s);
  check_invariants(s, "live snapshot");
  return s;
}

#endif /* FATHOM_TRUTH_FIXTURE_H */
