/* test_stats.c: per-zone statistics and histograms. Known durations are fed through
 * fathom_zone_record (which records exactly the duration given), and the model's count,
 * total, min, max, mean, stddev and percentiles are compared with values computed here
 * from the samples themselves; the histogram helpers (bucketing, merging, percentiles) are
 * checked directly on every bucket and on hand-made histograms.
 *
 * Invariant: no figure here depends on the machine's speed: every expected value is derived
 * from the samples the test chose, with the tolerances the API documents (mean 1e-9
 * relative, stddev 1e-6 relative, percentiles within the bucket midpoint bound of 1/128). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"
#include "model/model.h"
#include "testutil.h"

/* ---- helpers ---------------------------------------------------------------------- */

/* |got - want| <= rel * |want| + abs_tol, printing both values and the tolerance. */
static void check_close(double got, double want, double rel, double abs_tol, const char *what,
                        const char *file, int line) {
  double tol = rel * fabs(want) + abs_tol;
  if (!(fabs(got - want) <= tol)) {
    print_error("%s: got %.17g, want %.17g (|diff| %.6g > tolerance %.6g)\n", what, got, want,
                fabs(got - want), tol);
    _fail(file, line);
  }
}
#define assert_close(got, want, rel, abs_tol, what) \
  check_close((got), (want), (rel), (abs_tol), (what), __FILE__, __LINE__)

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static double rnd01(void) { return (double)(rnd() >> 11) * 0x1p-53; }
static uint64_t rnd_range(uint64_t lo, uint64_t hi) { return lo + rnd() % (hi - lo + 1); }
/* log-uniform in [lo, hi] */
static uint64_t rnd_log(double lo, double hi) {
  double v = exp(log(lo) + rnd01() * (log(hi) - log(lo)));
  uint64_t r = (uint64_t)llround(v);
  return r < (uint64_t)lo ? (uint64_t)lo : r;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Sites must outlive the process's sessions: a static pool. */
static fathom_site site_pool[64];
static unsigned n_site_pool;
static fathom_site *new_site(const char *name, const char *component) {
  assert_true(n_site_pool < 64);
  fathom_site *s = &site_pool[n_site_pool++];
  memset(s, 0, sizeof *s);
  s->name = name;
  s->component = component;
  s->file = __FILE__;
  s->func = "";
  s->line = 1;
  return s;
}

static void begin(void) {
  fathom_config c;
  fathom_config_init(&c);
  /* exact values fed through fathom_zone_record: ns must not round to timer ticks */
  c.clock = FATHOM_CLOCK_MONOTONIC;
  assert_int_equal(fathom_session_begin("stats", &c), 0);
}
static const fathom_zone_info *find_zone(const fathom_profile *p, const char *name,
                                         const char *comp, uint32_t *idx) {
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (strcmp(p->zones[i].name, name) == 0 && (!comp || strcmp(p->zones[i].component, comp) == 0)) {
      if (idx) *idx = i;
      return &p->zones[i];
    }
  print_error("zone %s not found\n", name);
  fail();
  return NULL;
}

/* Exact figures of a sample set, two-pass, in long double. */
typedef struct expect {
  uint64_t n, total, min, max;
  double mean, stddev;
  uint64_t *sorted;
} expect;

static void expect_of(expect *e, const uint64_t *v, size_t n) {
  memset(e, 0, sizeof *e);
  e->n = n;
  e->sorted = malloc(n * sizeof *v);
  assert_non_null(e->sorted);
  memcpy(e->sorted, v, n * sizeof *v);
  qsort(e->sorted, n, sizeof *v, cmp_u64);
  e->min = e->sorted[0];
  e->max = e->sorted[n - 1];
  long double sum = 0;
  for (size_t i = 0; i < n; i++) {
    e->total += v[i];
    sum += (long double)v[i];
  }
  long double mean = sum / (long double)n, ss = 0;
  for (size_t i = 0; i < n; i++) ss += ((long double)v[i] - mean) * ((long double)v[i] - mean);
  e->mean = (double)mean;
  e->stddev = n > 1 ? (double)sqrtl(ss / (long double)(n - 1)) : 0.0;
}

/* Nearest rank of q (given in tenths of a percent), computed in integers:
 * the smallest sample with at least q% of the samples at or below it. */
static uint64_t nearest_rank(const expect *e, unsigned q_tenths) {
  uint64_t rank = (q_tenths * e->n + 999) / 1000;
  if (rank < 1) rank = 1;
  return e->sorted[rank - 1];
}

enum { PCT_BOUNDED = 0, PCT_EXACT = 1, PCT_CLAMPED = 2 };

static void check_stats(const fathom_stats *s, const expect *e, int pct_mode, const char *what) {
  char buf[160];
  assert_int_equal(s->count, e->n);
  assert_int_equal(s->total_ns, e->total);
  assert_int_equal(s->min_ns, e->min);
  assert_int_equal(s->max_ns, e->max);
  snprintf(buf, sizeof buf, "%s mean", what);
  assert_close(s->mean_ns, e->mean, 1e-9, 0, buf);
  snprintf(buf, sizeof buf, "%s stddev", what);
  assert_close(s->stddev_ns, e->stddev, 1e-6, 0, buf);
  const double got[5] = {s->p50_ns, s->p90_ns, s->p95_ns, s->p99_ns, s->p999_ns};
  static const unsigned q[5] = {500, 900, 950, 990, 999};
  for (int i = 0; i < 5; i++) {
    double want = (double)nearest_rank(e, q[i]);
    snprintf(buf, sizeof buf, "%s p%.1f", what, q[i] / 10.0);
    if (pct_mode == PCT_EXACT) {
      assert_close(got[i], want, 0, 0, buf);
    } else if (pct_mode == PCT_BOUNDED) {
      /* the bucket midpoint is within 1/128 (0.78 %) of every value in the bucket */
      assert_close(got[i], want, 1.0 / 128, 0, buf);
    } else { /* beyond the histogram's range: only clamping to [min, max] is promised */
      assert_true(got[i] >= (double)e->min && got[i] <= (double)e->max);
    }
  }
}

/* Records v[0..n) on a fresh site in a fresh session and checks the zone and its node. */
static void run_distribution(const char *name, const uint64_t *v, size_t n, int pct_mode) {
  fathom_site *s = new_site(name, "stats");
  begin();
  for (size_t i = 0; i < n; i++) assert_int_equal(fathom_zone_record(s, v[i]), 0);
  fathom_profile *p = end();
  expect e;
  expect_of(&e, v, n);
  uint32_t zi;
  const fathom_zone_info *z = find_zone(p, name, "stats", &zi);
  check_stats(&z->stats, &e, pct_mode, name);
  assert_int_equal(fz_hist_total(&z->hist), n);
  uint32_t nodes = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    if (p->nodes[i].zone != zi) continue;
    nodes++;
    assert_int_equal(p->nodes[i].parent, FATHOM_NONE);
    assert_int_equal(p->nodes[i].depth, 1);
    check_stats(&p->nodes[i].stats, &e, pct_mode, name);
    /* nothing is nested: all of the time is self time */
    assert_int_equal(p->nodes[i].stats.self_ns, e.total);
  }
  assert_int_equal(nodes, 1);
  assert_int_equal(p->meta.n_zones, n);
  assert_int_equal(p->meta.dropped_hist, 0);
  assert_int_equal(p->meta.dropped_zones, 0);
  free(e.sorted);
  release(p);
}

/* ---- distributions recorded through the recorder ------------------------------------ */

enum { N = 10007 };

static void test_constant(void **state) {
  (void)state;
  static uint64_t v[N];
  for (size_t i = 0; i < N; i++) v[i] = 12345;
  run_distribution("constant", v, N, PCT_EXACT); /* min == max clamps every percentile */
}

static void test_uniform(void **state) {
  (void)state;
  static uint64_t v[N];
  for (size_t i = 0; i < N; i++) v[i] = rnd_range(1, 1000000);
  run_distribution("uniform", v, N, PCT_BOUNDED);
}

static void test_log_uniform(void **state) {
  (void)state;
  static uint64_t v[N];
  for (size_t i = 0; i < N; i++) v[i] = rnd_log(1, 1e9);
  run_distribution("log_uniform", v, N, PCT_BOUNDED);
}

static void test_bimodal(void **state) {
  (void)state;
  static uint64_t v[N];
  for (size_t i = 0; i < N; i++)
    v[i] = rnd01() < 0.7 ? rnd_range(900, 1100) : rnd_range(990000, 1010000);
  run_distribution("bimodal", v, N, PCT_BOUNDED);
}

static void test_single_sample(void **state) {
  (void)state;
  const uint64_t v[1] = {777777};
  run_distribution("single", v, 1, PCT_EXACT);
  const uint64_t z[1] = {0};
  run_distribution("single_zero", z, 1, PCT_EXACT);
}

/* Values below 128 ns have one bucket each: percentiles are exact. */
static void test_small_exact(void **state) {
  (void)state;
  static uint64_t v[5003];
  for (size_t i = 0; i < 5003; i++) v[i] = rnd_range(0, 127);
  run_distribution("small", v, 5003, PCT_EXACT);
  /* 1000 samples: the 99.9th percentile's nearest rank is 999, i.e. the value 10 here */
  static uint64_t w[1000];
  for (size_t i = 0; i < 1000; i++) w[i] = i == 999 ? 50 : 10;
  run_distribution("small_rank1000", w, 1000, PCT_EXACT);
}

/* The last block of the histogram, [2^44, 2^45): still 64 sub-buckets (see the bucket formula
 * documented on fathom_hist), so percentiles keep their bound. */
static void test_top_block(void **state) {
  (void)state;
  static uint64_t v[997];
  for (size_t i = 0; i < 997; i++) v[i] = rnd_range((uint64_t)1 << 44, ((uint64_t)1 << 45) - 1);
  run_distribution("top_block", v, 997, PCT_BOUNDED);
}

/* Beyond the histogram's range every sample lands in the last bucket; statistics other than
 * percentiles stay exact. */
static void test_clamped(void **state) {
  (void)state;
  static uint64_t v[997];
  for (size_t i = 0; i < 997; i++) v[i] = rnd_log(0x1p45, 0x1p50);
  v[0] = (uint64_t)1 << 45;
  run_distribution("clamped", v, 997, PCT_CLAMPED);
  /* the histogram holds everything in the last bucket */
  fathom_site *s = new_site("clamped2", "stats");
  begin();
  for (size_t i = 0; i < 997; i++) assert_int_equal(fathom_zone_record(s, v[i]), 0);
  fathom_profile *p = end();
  const fathom_zone_info *z = find_zone(p, "clamped2", "stats", NULL);
  assert_int_equal(z->hist.n, 1);
  assert_int_equal(z->hist.bucket[0], FATHOM_HIST_BUCKETS - 1);
  assert_int_equal(z->hist.count[0], 997);
  release(p);
}

/* ---- buckets -------------------------------------------------------------------------- */

static void test_bucket_layout(void **state) {
  (void)state;
  for (uint32_t b = 0; b < FATHOM_HIST_BUCKETS; b++) {
    uint64_t lo = fz_hist_bucket_lo(b), w = fz_hist_bucket_width(b);
    double mid = fz_hist_bucket_mid(b);
    assert_true(w >= 1);
    if (b < 64) {
      assert_int_equal(lo, b);
      assert_int_equal(w, 1);
    } else { /* the documented formula */
      uint32_t k = b / 64, s = b % 64;
      uint64_t ww = (uint64_t)1 << (k - 1);
      assert_int_equal(w, ww);
      assert_int_equal(lo, (64 + s) * ww);
      assert_true(w * 64 <= lo); /* at most 1/64 of its lower bound wide */
    }
    /* each value maps to the bucket whose [lo, lo + width) holds it: both ends */
    assert_int_equal(fz_hist_bucket_of(lo), b);
    assert_int_equal(fz_hist_bucket_of(lo + w - 1), b);
    if (b + 1 < FATHOM_HIST_BUCKETS) {
      assert_int_equal(lo + w, fz_hist_bucket_lo(b + 1)); /* contiguous, no gaps */
      assert_int_equal(fz_hist_bucket_of(lo + w), b + 1);
    }
    if (b > 0) assert_int_equal(fz_hist_bucket_of(lo - 1), b - 1);
    /* the midpoint lies in the bucket, within 1/128 of every value in it */
    assert_true(mid >= (double)lo && mid <= (double)(lo + w - 1));
    if (lo > 0) {
      assert_close(mid, (double)lo, 1.0 / 128, 0, "mid vs lo");
      assert_close(mid, (double)(lo + w - 1), 1.0 / 128, 0, "mid vs hi");
    }
  }
  /* the end of the range and beyond: the last bucket */
  uint32_t last = FATHOM_HIST_BUCKETS - 1;
  uint64_t end_of_range = fz_hist_bucket_lo(last) + fz_hist_bucket_width(last);
  assert_int_equal(end_of_range, (uint64_t)1 << 45);
  assert_int_equal(fz_hist_bucket_of(end_of_range), last);
  assert_int_equal(fz_hist_bucket_of((uint64_t)1 << 50), last);
  assert_int_equal(fz_hist_bucket_of(UINT64_MAX), last);
  /* a few by hand */
  assert_int_equal(fz_hist_bucket_of(0), 0);
  assert_int_equal(fz_hist_bucket_of(63), 63);
  assert_int_equal(fz_hist_bucket_of(64), 64);
  assert_int_equal(fz_hist_bucket_of(127), 127);
  assert_int_equal(fz_hist_bucket_of(128), 128);
  assert_int_equal(fz_hist_bucket_of(129), 128);
  assert_int_equal(fz_hist_bucket_of(130), 129);
  assert_int_equal(fz_hist_bucket_of(255), 191);
  assert_int_equal(fz_hist_bucket_of(256), 192);
  /* random values anywhere in the range */
  for (int i = 0; i < 200000; i++) {
    uint64_t v = rnd() >> (19 + rnd() % 45);
    uint32_t b = fz_hist_bucket_of(v);
    assert_true(b < FATHOM_HIST_BUCKETS);
    uint64_t lo = fz_hist_bucket_lo(b);
    assert_true(lo <= v);
    if (b != last) assert_true(v < lo + fz_hist_bucket_width(b));
  }
}

/* ---- percentiles on hand-made histograms -------------------------------------------- */

static void test_percentile_direct(void **state) {
  (void)state;
  fathom_hist empty = {0, NULL, NULL, 0};
  assert_true(fathom_hist_percentile(&empty, 50, 0, 100) == 0.0);
  assert_true(fathom_hist_percentile(NULL, 50, 0, 100) == 0.0);

  uint32_t b1[] = {3, 7, 100};
  uint64_t c1[] = {1, 1, 2};
  fathom_hist h1 = {3, b1, c1, 0};
  assert_close(fathom_hist_percentile(&h1, 0, 0, 1000), 3, 0, 0, "q0");
  assert_close(fathom_hist_percentile(&h1, 25, 0, 1000), 3, 0, 0, "q25");
  assert_close(fathom_hist_percentile(&h1, 25.01, 0, 1000), 7, 0, 0, "q25.01");
  assert_close(fathom_hist_percentile(&h1, 50, 0, 1000), 7, 0, 0, "q50");
  assert_close(fathom_hist_percentile(&h1, 50.01, 0, 1000), 100, 0, 0, "q50.01");
  assert_close(fathom_hist_percentile(&h1, 100, 0, 1000), 100, 0, 0, "q100");
  /* q outside [0, 100] is clamped into it */
  assert_close(fathom_hist_percentile(&h1, -5, 0, 1000), 3, 0, 0, "q-5");
  assert_close(fathom_hist_percentile(&h1, 250, 0, 1000), 100, 0, 0, "q250");
  /* clamping to [min, max] */
  assert_close(fathom_hist_percentile(&h1, 0, 5, 1000), 5, 0, 0, "clamp min");
  assert_close(fathom_hist_percentile(&h1, 100, 0, 50), 50, 0, 0, "clamp max");

  /* a wide bucket reports its midpoint */
  uint32_t b = fz_hist_bucket_of(1000000);
  uint64_t c = 4;
  fathom_hist h2 = {1, &b, &c, 0};
  double mid = fz_hist_bucket_mid(b);
  assert_close(fathom_hist_percentile(&h2, 50, 0, UINT64_MAX), mid, 0, 0, "mid");
  assert_close(fathom_hist_percentile(&h2, 50, 1000000, 1000000), 1000000, 0, 0, "min=max");

  /* nearest rank with 1000 samples: rank(99.9) = 999 exactly; rank(50) = 500 */
  uint32_t b3[] = {10, 50};
  uint64_t c3[] = {999, 1};
  fathom_hist h3 = {2, b3, c3, 0};
  assert_close(fathom_hist_percentile(&h3, 99.9, 0, 100), 10, 0, 0, "p99.9 of 999x10 + 1x50");
  assert_close(fathom_hist_percentile(&h3, 100, 0, 100), 50, 0, 0, "p100");
  uint64_t c4[] = {500, 500};
  fathom_hist h4 = {2, b3, c4, 0};
  assert_close(fathom_hist_percentile(&h4, 50, 0, 100), 10, 0, 0, "p50 of 500/500");
  assert_close(fathom_hist_percentile(&h4, 50.1, 0, 100), 50, 0, 0, "p50.1 of 500/500");
  /* every q for every sample count up to 300 against the integer nearest rank */
  for (uint64_t n = 1; n <= 300; n++) {
    uint32_t bk[2] = {1, 2};
    for (uint64_t k = 0; k <= n; k++) { /* k samples of 1, n - k of 2 */
      uint64_t cnt[2] = {k, n - k};
      fathom_hist h = {2, bk, cnt, 0};
      if (k == 0) h = (fathom_hist){1, &bk[1], &cnt[1], 0};
      if (k == n) h = (fathom_hist){1, &bk[0], &cnt[0], 0};
      static const unsigned qs[] = {500, 900, 950, 990, 999};
      for (int i = 0; i < 5; i++) {
        uint64_t rank = (qs[i] * n + 999) / 1000;
        double want = rank <= k ? 1 : 2;
        double got = fathom_hist_percentile(&h, qs[i] / 10.0, 0, 100);
        if (got != want) {
          print_error("n=%llu k=%llu q=%.1f: got %g, want %g (nearest rank %llu)\n",
                      (unsigned long long)n, (unsigned long long)k, qs[i] / 10.0, got, want,
                      (unsigned long long)rank);
          fail();
        }
      }
    }
  }
}

/* ---- merging ---------------------------------------------------------------------------- */

static void dense_of(uint64_t *dense, const uint64_t *v, size_t n) {
  memset(dense, 0, FATHOM_HIST_BUCKETS * sizeof *dense);
  for (size_t i = 0; i < n; i++) dense[fz_hist_bucket_of(v[i])]++;
}

static void assert_hist_equal(const fathom_hist *a, const fathom_hist *b) {
  assert_int_equal(a->n, b->n);
  for (uint32_t i = 0; i < a->n; i++) {
    assert_int_equal(a->bucket[i], b->bucket[i]);
    assert_int_equal(a->count[i], b->count[i]);
    if (i) assert_true(a->bucket[i - 1] < a->bucket[i]);
  }
}

static void stats_of(fathom_stats *s, const uint64_t *v, size_t n) {
  memset(s, 0, sizeof *s);
  if (!n) return;
  expect e;
  expect_of(&e, v, n);
  s->count = e.n;
  s->total_ns = s->self_ns = e.total;
  s->min_ns = e.min;
  s->max_ns = e.max;
  s->mean_ns = e.mean;
  s->stddev_ns = e.stddev;
  free(e.sorted);
}

static void check_merge_split(const uint64_t *v, size_t n, size_t split) {
  uint64_t *dense = malloc(FATHOM_HIST_BUCKETS * sizeof *dense);
  assert_non_null(dense);
  fathom_hist ha, hb, hall;
  dense_of(dense, v, split);
  assert_int_equal(fz_hist_from_dense(&ha, dense), 0);
  dense_of(dense, v + split, n - split);
  assert_int_equal(fz_hist_from_dense(&hb, dense), 0);
  dense_of(dense, v, n);
  assert_int_equal(fz_hist_from_dense(&hall, dense), 0);
  fathom_hist copy;
  assert_int_equal(fz_hist_copy(&copy, &ha), 0);
  assert_hist_equal(&copy, &ha);
  assert_int_equal(fz_hist_merge(&copy, &hb), 0);
  assert_hist_equal(&copy, &hall);
  assert_int_equal(fz_hist_total(&copy), n);
  /* and the other way round */
  fathom_hist copy2;
  assert_int_equal(fz_hist_copy(&copy2, &hb), 0);
  assert_int_equal(fz_hist_merge(&copy2, &ha), 0);
  assert_hist_equal(&copy2, &hall);

  fathom_stats sa, sb, sall;
  stats_of(&sa, v, split);
  stats_of(&sb, v + split, n - split);
  stats_of(&sall, v, n);
  fz_stats_merge(&sa, &sb);
  assert_int_equal(sa.count, sall.count);
  assert_int_equal(sa.total_ns, sall.total_ns);
  assert_int_equal(sa.self_ns, sall.self_ns);
  assert_int_equal(sa.min_ns, sall.min_ns);
  assert_int_equal(sa.max_ns, sall.max_ns);
  assert_close(sa.mean_ns, sall.mean_ns, 1e-9, 0, "merged mean");
  assert_close(sa.stddev_ns, sall.stddev_ns, 1e-9, 1e-9, "merged stddev");
  fz_stats_set_percentiles(&sa, &copy);
  fz_stats_set_percentiles(&sall, &hall);
  assert_close(sa.p50_ns, sall.p50_ns, 0, 0, "merged p50");
  assert_close(sa.p999_ns, sall.p999_ns, 0, 0, "merged p99.9");
  fz_hist_free(&ha);
  fz_hist_free(&hb);
  fz_hist_free(&hall);
  fz_hist_free(&copy);
  fz_hist_free(&copy2);
  free(dense);
}

static void test_merge(void **state) {
  (void)state;
  static uint64_t v[4000];
  for (size_t i = 0; i < 4000; i++) v[i] = i % 3 ? rnd_log(1, 1e9) : rnd_range(0, 100);
  check_merge_split(v, 4000, 2000);
  check_merge_split(v, 4000, 1);
  check_merge_split(v, 4000, 3999);
  check_merge_split(v, 4000, 0);   /* empty into full */
  check_merge_split(v, 4000, 4000); /* full with empty */
  check_merge_split(v, 2, 1);
  /* empty with empty: counts and times still add */
  fathom_stats a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.total_ns = 5;
  b.total_ns = 7;
  b.self_ns = 3;
  fz_stats_merge(&a, &b);
  assert_int_equal(a.count, 0);
  assert_int_equal(a.total_ns, 12);
  assert_int_equal(a.self_ns, 3);
}

/* Halves recorded on two sites merge into exactly what a third site recorded whole; and
 * fathom_zone_stats rolls one name up across components the same way. */
static void test_merge_recorded(void **state) {
  (void)state;
  static uint64_t v[6000];
  for (size_t i = 0; i < 6000; i++) v[i] = i & 1 ? rnd_range(500, 5000) : rnd_log(1, 1e8);
  fathom_site *x = new_site("half_a", "stats"), *y = new_site("half_b", "stats"),
              *w = new_site("whole", "stats");
  fathom_site *ca = new_site("split_name", "comp_a"), *cb = new_site("split_name", "comp_b");
  begin();
  for (size_t i = 0; i < 6000; i++) {
    assert_int_equal(fathom_zone_record(i < 2500 ? x : y, v[i]), 0);
    assert_int_equal(fathom_zone_record(w, v[i]), 0);
    assert_int_equal(fathom_zone_record(i % 5 ? ca : cb, v[i]), 0);
  }
  fathom_stats live;
  assert_int_equal(fathom_zone_stats("split_name", &live), 0);
  fathom_profile *p = end();
  const fathom_zone_info *za = find_zone(p, "half_a", "stats", NULL);
  const fathom_zone_info *zb = find_zone(p, "half_b", "stats", NULL);
  const fathom_zone_info *zw = find_zone(p, "whole", "stats", NULL);
  fathom_stats m = za->stats;
  fz_stats_merge(&m, &zb->stats);
  assert_int_equal(m.count, zw->stats.count);
  assert_int_equal(m.total_ns, zw->stats.total_ns);
  assert_int_equal(m.self_ns, zw->stats.self_ns);
  assert_int_equal(m.min_ns, zw->stats.min_ns);
  assert_int_equal(m.max_ns, zw->stats.max_ns);
  assert_close(m.mean_ns, zw->stats.mean_ns, 1e-9, 0, "recorded merge mean");
  assert_close(m.stddev_ns, zw->stats.stddev_ns, 1e-9, 0, "recorded merge stddev");
  fathom_hist h;
  assert_int_equal(fz_hist_copy(&h, &za->hist), 0);
  assert_int_equal(fz_hist_merge(&h, &zb->hist), 0);
  assert_hist_equal(&h, &zw->hist);
  fz_hist_free(&h);
  /* the two components are two zones; fathom_zone_stats rolled them up into the whole */
  assert_int_equal(find_zone(p, "split_name", "comp_a", NULL)->stats.count, 4800);
  assert_int_equal(find_zone(p, "split_name", "comp_b", NULL)->stats.count, 1200);
  expect e;
  expect_of(&e, v, 6000);
  check_stats(&live, &e, PCT_BOUNDED, "zone_stats across components");
  assert_close(live.p50_ns, zw->stats.p50_ns, 0, 0, "zone_stats p50 vs whole");
  assert_close(live.p999_ns, zw->stats.p999_ns, 0, 0, "zone_stats p99.9 vs whole");
  free(e.sorted);
  release(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_constant),      T(test_uniform),          T(test_log_uniform), T(test_bimodal),
      T(test_single_sample), T(test_small_exact),      T(test_top_block),   T(test_clamped),
      T(test_bucket_layout), T(test_percentile_direct), T(test_merge),      T(test_merge_recorded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
