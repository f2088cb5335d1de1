/* diff_gen.c: writes hand-built profiles with known differences for tests/test_diff.sh, using
 * only the public API (the histogram buckets are computed from the layout fathom.h documents):
 *   diff_gen base OUT.json    the baseline
 *   diff_gen new OUT.json     the same program after a change:
 *       A  10,000 calls, every call 2x slower            -> regression beyond noise
 *       B  3 calls, 5 % slower                           -> within noise
 *       C  only in new (added); D only in base (gone)
 *       E  100 -> 150 calls of the same durations        -> calls and total beyond noise,
 *                                                           mean unchanged
 *       F  same timing, allocations doubled              -> memory beyond noise (exact)
 *       G  5,000 calls, 2x faster                        -> improvement beyond noise
 *       S  identical                                     -> unchanged
 *       T  10 calls of ~1 us, 2x slower                  -> below the default --min-share
 *   diff_gen other OUT.json   "new" recorded at DETAILED with the TSC and no allocation
 *                             tracking (what cannot be compared)
 * and profiles whose timing was sampled (schema 4 estimates: 1 call in 100 timed, a simple
 * random sample; totals, means and percentiles estimated from the timed calls with their
 * standard errors and 95 % intervals; the histograms weighted, summing to the calls):
 *   diff_gen ebase OUT.json   the baseline: zones H, K, W sampled, X exact, 200,000 calls each
 *   diff_gen enew OUT.json    after a change:
 *       H  sampled, every call 0.3 % slower    -> within the sampling error: not flagged
 *       X  exact, every call 0.3 % slower      -> beyond noise (the same change, all timed)
 *       K  sampled, every call 10 % slower     -> beyond the sampling error: regressed
 *       W  sampled, 1.5 % slower; its recorded standard error is 3 % of its total (a
 *          sampling rate that varied) where a simple random sample would give 0.13 %
 *                                              -> within noise only if that error is used
 *   diff_gen erun OUT.json    ebase run again: the same calls, another random sample timed
 *                             (identical runs: nothing may be flagged)
 * Every zone above is a child of one top-level zone "main". And profiles of a "real" run, with
 * CPU samples (1 ms period) and run-to-run noise, for the regression gate:
 *   diff_gen nbase OUT.json   main -> outer -> hot, main -> z00..z39, main -> burst: 300,000
 *                             calls each (burst: 1 call), every zone's own CPU time sampled
 *   diff_gen nrun OUT.json    nbase run again: every zone's per-call time 3 % off either way
 *                             (another machine state), every zone's CPU samples off by up to
 *                             2 standard errors, the whole run's CPU 5 % slower: nothing may
 *                             be flagged
 *   diff_gen nslow OUT.json   nrun with hot's own work 4x (its calls 4x longer, its CPU
 *                             samples 4x, outer's total up by as much) and burst called
 *                             21,700,000 times: hot is the first regression, burst the second
 *   diff_gen tie OUT.json     zones a, b, c nested under each other in every order (more call
 *                             paths than zones), every path the same: call-path rows whose
 *                             sort keys are all equal
 * Durations are deterministic.
 * Invariant: exits 0 only when the file was written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fathom.h"

#define MAX_ZONES 16

static char *dup(const char *s) {
  char *d = malloc(strlen(s) + 1);
  if (!d) exit(2);
  return strcpy(d, s);
}

static void *zalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) exit(2);
  return p;
}

/* Bucket of v ns in the layout documented on fathom_hist (unit 1 ns). */
static uint32_t bucket_of(uint64_t v) {
  if (v < 128) return (uint32_t)v;
  int top = 63 - __builtin_clzll(v);   /* floor(log2 v) >= 7 */
  uint32_t k = (uint32_t)top - 5, w = 1u << (k - 1);
  uint32_t b = k * 64 + (uint32_t)(v / w - 64);
  return b < FATHOM_HIST_BUCKETS ? b : FATHOM_HIST_BUCKETS - 1;
}

/* Every call timed: each percentile's interval is the percentile itself. */
static void set_exact_intervals(fathom_stats *st) {
  const double v[FATHOM_PCT_N] = {st->p50_ns, st->p90_ns, st->p95_ns, st->p99_ns, st->p999_ns};
  for (int k = 0; k < FATHOM_PCT_N; k++) st->pct_lo_ns[k] = st->pct_hi_ns[k] = v[k];
}

/* Lowest value of bucket b and its width (layout on fathom_hist, unit 1 ns). */
static double bucket_lo(uint32_t b) {
  if (b < 128) return b;
  uint32_t k = b / 64, sub = b % 64;
  return (double)(64 + sub) * (double)(1ull << (k - 1));
}
static double bucket_width(uint32_t b) { return b < 128 ? 1 : (double)(1ull << (b / 64 - 1)); }

/* The edge (lower, or upper when hi) of the bucket holding the calls at fraction frac of the
 * histogram's cumulative counts. */
static double frac_edge(const fathom_hist *h, double frac, int hi) {
  double total = 0, seen = 0;
  for (uint32_t i = 0; i < h->n; i++) total += (double)h->count[i];
  uint32_t b = h->bucket[h->n - 1];
  for (uint32_t i = 0; i < h->n; i++) {
    seen += (double)h->count[i];
    if (seen >= frac * total * (1 - 1e-12)) {
      b = h->bucket[i];
      break;
    }
  }
  return hi ? bucket_lo(b) + bucket_width(b) : bucket_lo(b);
}

/* Sampled timing: of the n calls v[], the `timed` ones (a simple random sample picked with
 * seed) were measured, each standing for n / timed calls. Fills estimates like the recorder's:
 * total = n x the timed mean, its standard error (se_factor x that of a simple random sample),
 * the weighted histogram and 95 % intervals of the percentiles from the timed ranks. */
static void fill_sampled(fathom_stats *st, fathom_hist *h, const uint64_t *v, uint64_t n,
                         uint64_t timed, uint32_t seed, double se_factor) {
  unsigned char *pick = zalloc(n, 1);
  uint32_t x = seed;
  for (uint64_t k = 0; k < timed;) {   /* timed distinct calls, deterministic */
    x = x * 1664525u + 1013904223u;
    uint64_t i = (uint64_t)((double)(x >> 8) / 16777216.0 * (double)n);
    if (i < n && !pick[i]) {
      pick[i] = 1;
      k++;
    }
  }
  uint64_t w = n / timed;   /* each timed call stands for w calls (n a multiple of timed) */
  uint64_t *dense = zalloc(FATHOM_HIST_BUCKETS, sizeof *dense);
  double sum = 0, m2 = 0, mean_t;
  memset(st, 0, sizeof *st);
  st->min_ns = UINT64_MAX;
  for (uint64_t i = 0; i < n; i++) {
    if (!pick[i]) continue;
    sum += (double)v[i];
    dense[bucket_of(v[i])] += w;
    if (v[i] < st->min_ns) st->min_ns = v[i];
    if (v[i] > st->max_ns) st->max_ns = v[i];
  }
  mean_t = sum / (double)timed;
  for (uint64_t i = 0; i < n; i++)
    if (pick[i]) m2 += ((double)v[i] - mean_t) * ((double)v[i] - mean_t);
  st->count = n;
  st->timed = timed;
  st->mean_ns = mean_t;
  st->total_ns = (uint64_t)llround(mean_t * (double)n);
  st->self_ns = st->total_ns;
  st->stddev_ns = sqrt(m2 / (double)(timed - 1));
  double N = (double)n, t = (double)timed;
  st->total_se_ns = se_factor * N * st->stddev_ns * sqrt((1 - t / N) / t);
  st->self_se_ns = st->total_se_ns;
  h->unit_ns = 1;
  for (uint32_t b = 0; b < FATHOM_HIST_BUCKETS; b++) h->n += dense[b] != 0;
  h->bucket = zalloc(h->n, sizeof *h->bucket);
  h->count = zalloc(h->n, sizeof *h->count);
  for (uint32_t b = 0, k = 0; b < FATHOM_HIST_BUCKETS; b++)
    if (dense[b]) {
      h->bucket[k] = b;
      h->count[k++] = dense[b];
    }
  free(dense);
  free(pick);
  static const double q[FATHOM_PCT_N] = {50, 90, 95, 99, 99.9};
  double *pv[FATHOM_PCT_N] = {&st->p50_ns, &st->p90_ns, &st->p95_ns, &st->p99_ns, &st->p999_ns};
  for (int k = 0; k < FATHOM_PCT_N; k++) {
    double val = fathom_hist_percentile(h, q[k], st->min_ns, st->max_ns), f = q[k] / 100;
    double c = t * f, sd = 1.959963984540054 * sqrt(t * f * (1 - f));
    double rlo = floor(c - sd), rhi = ceil(c + sd);
    double lo = rlo < 1 ? 0 : frac_edge(h, rlo / t, 0);
    double hi = rhi > t ? frac_edge(h, 1, 1) : frac_edge(h, rhi / t, 1);
    *pv[k] = val;
    st->pct_lo_ns[k] = lo < val ? lo : val;
    st->pct_hi_ns[k] = hi > val ? hi : val;
  }
}

/* Stats and histogram of n durations v[]. */
static void fill(fathom_stats *st, fathom_hist *h, const uint64_t *v, uint64_t n) {
  memset(st, 0, sizeof *st);
  uint64_t *dense = zalloc(FATHOM_HIST_BUCKETS, sizeof *dense);
  double sum = 0;
  st->min_ns = n ? v[0] : 0;
  for (uint64_t i = 0; i < n; i++) {
    sum += (double)v[i];
    dense[bucket_of(v[i])]++;
    if (v[i] < st->min_ns) st->min_ns = v[i];
    if (v[i] > st->max_ns) st->max_ns = v[i];
  }
  st->count = st->timed = n;
  st->total_ns = (uint64_t)sum;
  st->self_ns = st->total_ns;
  st->mean_ns = n ? sum / (double)n : 0;
  double m2 = 0;
  for (uint64_t i = 0; i < n; i++) m2 += ((double)v[i] - st->mean_ns) * ((double)v[i] - st->mean_ns);
  st->stddev_ns = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0;
  h->unit_ns = 1;
  for (uint32_t b = 0; b < FATHOM_HIST_BUCKETS; b++) h->n += dense[b] != 0;
  h->bucket = zalloc(h->n, sizeof *h->bucket);
  h->count = zalloc(h->n, sizeof *h->count);
  for (uint32_t b = 0, k = 0; b < FATHOM_HIST_BUCKETS; b++)
    if (dense[b]) {
      h->bucket[k] = b;
      h->count[k++] = dense[b];
    }
  free(dense);
  st->p50_ns = fathom_hist_percentile(h, 50, st->min_ns, st->max_ns);
  st->p90_ns = fathom_hist_percentile(h, 90, st->min_ns, st->max_ns);
  st->p95_ns = fathom_hist_percentile(h, 95, st->min_ns, st->max_ns);
  st->p99_ns = fathom_hist_percentile(h, 99, st->min_ns, st->max_ns);
  st->p999_ns = fathom_hist_percentile(h, 99.9, st->min_ns, st->max_ns);
  set_exact_intervals(st);
}

/* n durations around mean_ns, spread +-10 %, the same for the same (seed, i). */
static uint64_t *durations(uint64_t n, double mean_ns, uint32_t seed) {
  uint64_t *v = zalloc(n, sizeof *v);
  uint32_t x = seed;
  for (uint64_t i = 0; i < n; i++) {
    x = x * 1664525u + 1013904223u;
    v[i] = (uint64_t)(mean_ns * (0.9 + 0.2 * (double)(x >> 8) / 16777216.0));
  }
  return v;
}

typedef struct zspec {
  const char *name, *comp;
  uint64_t n;
  double mean_ns;
  uint32_t seed;
  uint64_t alloc_bytes, alloc_count;
  uint64_t timed;        /* 0: every call timed; else a sample of this many */
  uint32_t pick_seed;    /* which calls were timed */
  double se_factor;      /* recorded standard error / a simple random sample's */
} zspec;

static int write_profile(const char *which, const char *path) {
  int est = which[0] == 'e';
  int is_new = strcmp(which, "base") != 0 && strcmp(which, "ebase") != 0 &&
               strcmp(which, "erun") != 0;
  int other = strcmp(which, "other") == 0, rerun = strcmp(which, "erun") == 0;
  double k = is_new ? 2.0 : 1.0;
  zspec z[MAX_ZONES];
  uint32_t nz = 0;
  if (est) {
    double small = is_new ? 1.003 : 1.0, big = is_new ? 1.10 : 1.0, mid = is_new ? 1.015 : 1.0;
    uint32_t ps = rerun ? 1000 : is_new ? 2000 : 3000;   /* another sample in every run */
    z[nz++] = (zspec){"H", "work", 200000, 10000, 21, 0, 0, 2000, ps + 1, 1};
    z[nz++] = (zspec){"X", "work", 200000, 10000, 22, 0, 0, 0, 0, 1};
    z[nz++] = (zspec){"K", "work", 200000, 20000, 23, 0, 0, 2000, ps + 3, 1};
    z[nz++] = (zspec){"W", "work", 200000, 10000, 24, 0, 0, 2000, ps + 4, 3.0 / 0.1285};
    z[0].mean_ns *= small;
    z[1].mean_ns *= small;
    z[2].mean_ns *= big;
    z[3].mean_ns *= mid;
  } else {
    z[nz++] = (zspec){"A", "work", 10000, 100000 * k, 1, 0, 0, 0, 0, 1};
    z[nz++] = (zspec){"B", "work", 3, 0, 0, 0, 0, 0, 0, 1};
    z[nz++] = (zspec){"E", "io", is_new ? 150 : 100, 0, 0, 0, 0, 0, 0, 1};
    z[nz++] = (zspec){"F", "mem", 1000, 20000, 6, is_new ? 2097152 : 1048576,
                      is_new ? 200 : 100, 0, 0, 1};
    z[nz++] = (zspec){"G", "work", 5000, 50000 / k, 7, 0, 0, 0, 0, 1};
    z[nz++] = (zspec){"S", "work", 1000, 30000, 8, 0, 0, 0, 0, 1};
    z[nz++] = (zspec){"T", "work", 10, 1000 * k, 9, 0, 0, 0, 0, 1};
    z[nz++] = is_new ? (zspec){"C", "work", 50, 40000, 10, 0, 0, 0, 0, 1}
                     : (zspec){"D", "work", 50, 40000, 11, 0, 0, 0, 0, 1};
  }
  fathom_profile *p = zalloc(1, sizeof *p);
  fathom_meta *m = &p->meta;
  m->schema_version = FATHOM_SCHEMA_VERSION;
  m->fathom_version = dup(FATHOM_VERSION_STRING);
  m->session_name = dup(is_new ? "after" : "before");
  m->program = dup("/opt/app/bin/app");
  m->level = other ? FATHOM_LEVEL_DETAILED : FATHOM_LEVEL_BASIC;
  m->clock_source = dup(other ? "tsc" : "clock_monotonic");
  m->clock_resolution_ns = 1;
  m->zone_cost_ns = other ? 40 : 20;
  m->alloc_tracking = !other;
  p->n_zones = nz + 1;
  p->zones = zalloc(nz + 1, sizeof *p->zones);
  p->n_nodes = nz + 1;
  p->nodes = zalloc(nz + 1, sizeof *p->nodes);
  p->n_threads = 1;
  p->threads = zalloc(1, sizeof *p->threads);
  p->threads[0].name = dup("main");
  fathom_node *root = &p->nodes[0];
  root->parent = FATHOM_NONE;
  root->depth = 1;
  root->time_every = 1;
  p->zones[0].name = dup("main");
  p->zones[0].component = dup("app");
  p->zones[0].time_every = 1;
  uint64_t child_ns = 0, calls = 1, untimed = 0;
  for (uint32_t i = 0; i < nz; i++) {
    uint64_t *v;
    if (z[i].name[0] == 'B') {   /* 3 calls, 5 % slower in new */
      v = zalloc(3, sizeof *v);
      v[0] = (uint64_t)(95000 * (is_new ? 1.05 : 1));
      v[1] = (uint64_t)(100000 * (is_new ? 1.05 : 1));
      v[2] = (uint64_t)(105000 * (is_new ? 1.05 : 1));
    } else if (z[i].name[0] == 'E') {   /* a cycle of 50 durations, repeated */
      v = zalloc(z[i].n, sizeof *v);
      for (uint64_t j = 0; j < z[i].n; j++) v[j] = 60000 + 200 * (j % 50);
    } else {
      v = durations(z[i].n, z[i].mean_ns, z[i].seed);
    }
    fathom_zone_info *zi = &p->zones[i + 1];
    fathom_node *nd = &p->nodes[i + 1];
    zi->name = dup(z[i].name);
    zi->component = dup(z[i].comp);
    zi->time_every = nd->time_every = 1;
    if (z[i].timed) {
      fill_sampled(&nd->stats, &nd->hist, v, z[i].n, z[i].timed, z[i].pick_seed, z[i].se_factor);
      fill_sampled(&zi->stats, &zi->hist, v, z[i].n, z[i].timed, z[i].pick_seed, z[i].se_factor);
      untimed += z[i].n - z[i].timed;
    } else {
      fill(&nd->stats, &nd->hist, v, z[i].n);
      fill(&zi->stats, &zi->hist, v, z[i].n);
    }
    free(v);
    nd->zone = i + 1;
    nd->parent = 0;
    nd->depth = 2;
    nd->alloc.alloc_bytes = nd->alloc_self.alloc_bytes = z[i].alloc_bytes;
    nd->alloc.alloc_count = nd->alloc_self.alloc_count = z[i].alloc_count;
    zi->alloc = nd->alloc;
    zi->alloc_self = nd->alloc_self;
    root->alloc.alloc_bytes += z[i].alloc_bytes;
    root->alloc.alloc_count += z[i].alloc_count;
    child_ns += nd->stats.total_ns;
    calls += z[i].n;
  }
  uint64_t main_ns = child_ns + 1000000;
  fill(&root->stats, &root->hist, &main_ns, 1);
  root->stats.self_ns = 1000000;
  p->zones[0].stats = root->stats;
  p->zones[0].hist.unit_ns = 1;
  p->zones[0].hist.n = 1;
  p->zones[0].hist.bucket = zalloc(1, sizeof(uint32_t));
  p->zones[0].hist.count = zalloc(1, sizeof(uint64_t));
  p->zones[0].hist.bucket[0] = root->hist.bucket[0];
  p->zones[0].hist.count[0] = 1;
  p->zones[0].alloc = root->alloc;
  m->duration_ns = main_ns + 5000000;
  m->cpu_time_ns = (double)main_ns;
  m->n_zones = calls;
  m->n_timed = calls - untimed;
  p->threads[0].n_zones = calls;
  int rc = fathom_profile_save(p, FATHOM_FORMAT_JSON, path);
  fathom_profile_free(p);
  if (rc) fprintf(stderr, "diff_gen: %s: %s\n", path, fathom_strerror(rc));
  return rc ? 1 : 0;
}

/* ---- the "real run" profiles (nbase, nrun, nslow) and the tie profile ---- */
#define NZ_MAX 48
typedef struct nzone {
  const char *name;
  uint32_t parent;          /* index into the node list (0 = main) */
  uint64_t n;
  double mean_ns;
  double cpu_factor;        /* own CPU samples = own time x this, then the noise */
  uint32_t seed;
} nzone;

/* Deterministic noise in [-1, 1] from (seed, k). */
static double jitter(uint32_t seed, uint32_t k) {
  uint32_t x = seed * 2654435761u ^ (k + 1) * 2246822519u;
  x ^= x >> 15;
  x *= 2246822519u;
  x ^= x >> 13;
  return (double)(x % 20001) / 10000.0 - 1.0;
}

static int write_run(const char *which, const char *path) {
  int run = strcmp(which, "nrun") == 0, slow = strcmp(which, "nslow") == 0;
  int tie = strcmp(which, "tie") == 0;
  int again = run || slow;
  nzone z[NZ_MAX];
  uint32_t nz = 0;
  char names[NZ_MAX][8];
  if (tie) {   /* main -> a, b, c; each -> the two others */
    static const char *const abc[3] = {"a", "b", "c"};
    for (uint32_t i = 0; i < 3; i++) {
      z[nz++] = (nzone){abc[i], 0, 1000, 5000, 0, 1};
      uint32_t me = nz;
      for (uint32_t j = 0; j < 3; j++)
        if (j != i) z[nz++] = (nzone){abc[j], me, 1000, 1000, 0, 1};
    }
  } else {
    z[nz++] = (nzone){"outer", 0, 300000, 500, 1, 3};
    z[nz++] = (nzone){"hot", 1, 300000, slow ? 4000 : 1000, 1, 4};
    for (uint32_t i = 0; i < 40; i++) {
      snprintf(names[i], sizeof names[i], "z%02u", i);
      double m = 200 + 10 * i;
      if (again) m *= 1 + 0.03 * (jitter(77, i) > 0 ? 1 : -1);   /* 3 % off, either way */
      z[nz++] = (nzone){names[i], 0, 300000, m, 1, 10 + i};
    }
    z[nz++] = (nzone){"burst", 0, slow ? 21700000 : 1, slow ? 10 : 1000, 1, 99};
    if (again) z[0].mean_ns *= 1.03;
  }
  fathom_profile *p = zalloc(1, sizeof *p);
  fathom_meta *m = &p->meta;
  m->schema_version = FATHOM_SCHEMA_VERSION;
  m->fathom_version = dup(FATHOM_VERSION_STRING);
  m->session_name = dup(which);
  m->program = dup("/opt/app/bin/app");
  m->level = FATHOM_LEVEL_BASIC;
  m->clock_source = dup("clock_monotonic");
  m->clock_resolution_ns = 1;
  m->zone_cost_ns = 20;
  m->sample_period_ns = tie ? 0 : 1e6;
  /* zones: main, then one per distinct name (tie: a, b, c) */
  uint32_t nzi = 1, zone_of[NZ_MAX];
  const char *zn[NZ_MAX];
  zn[0] = "main";
  for (uint32_t i = 0; i < nz; i++) {
    uint32_t k = 1;
    while (k < nzi && strcmp(zn[k], z[i].name) != 0) k++;
    if (k == nzi) zn[nzi++] = z[i].name;
    zone_of[i] = k;
  }
  p->n_zones = nzi;
  p->zones = zalloc(nzi, sizeof *p->zones);
  for (uint32_t k = 0; k < nzi; k++) {
    p->zones[k].name = dup(zn[k]);
    p->zones[k].component = dup("app");
    p->zones[k].time_every = 1;
  }
  p->n_nodes = nz + 1;
  p->nodes = zalloc(nz + 1, sizeof *p->nodes);
  p->n_threads = 1;
  p->threads = zalloc(1, sizeof *p->threads);
  p->threads[0].name = dup("main");
  double child[NZ_MAX + 1] = {0};
  uint64_t calls = 1;
  for (uint32_t i = nz; i-- > 0;) {   /* children (later in the list) before parents */
    fathom_node *nd = &p->nodes[i + 1];
    uint64_t *v = durations(z[i].n, z[i].mean_ns, z[i].seed);
    for (uint64_t j = 0; j < z[i].n; j++) v[j] += (uint64_t)(child[i + 1] / (double)z[i].n);
    fill(&nd->stats, &nd->hist, v, z[i].n);
    free(v);
    nd->stats.self_ns = nd->stats.total_ns - (uint64_t)child[i + 1];
    if (!tie) {   /* own CPU: samples of 1 ms, off by up to 2 standard errors on a rerun */
      double smp = floor((double)nd->stats.self_ns * z[i].cpu_factor / 1e6);
      if (again) smp = floor(smp * 1.05 + 2 * sqrt(smp) * jitter(55, i) + 0.5);
      if (smp < 0) smp = 0;
      nd->stats.self_cpu_ns = smp * 1e6;
      nd->stats.self_cpu_se_ns = sqrt(smp) * 1e6;
      m->cpu_time_ns += smp * 1e6;
    }
    nd->zone = zone_of[i];
    nd->parent = z[i].parent;
    nd->depth = p->nodes[z[i].parent].depth + 1;
    nd->time_every = 1;
    child[z[i].parent] += (double)nd->stats.total_ns;
    calls += z[i].n;
  }
  fathom_node *root = &p->nodes[0];
  root->parent = FATHOM_NONE;
  root->depth = 1;
  root->time_every = 1;
  uint64_t main_ns = (uint64_t)child[0] + 1000000;
  fill(&root->stats, &root->hist, &main_ns, 1);
  root->stats.self_ns = 1000000;
  for (uint32_t i = 0; i < nz; i++) p->nodes[i + 1].depth = p->nodes[z[i].parent].depth + 1;
  /* zone roll-ups: every node of a zone summed (no zone recurs on its own path here) */
  for (uint32_t k = 0; k < nzi; k++) {
    fathom_zone_info *zi = &p->zones[k];
    int first = 1;
    for (uint32_t i = 0; i <= nz; i++) {
      const fathom_node *nd = &p->nodes[i];
      if (nd->zone != k) continue;
      if (first) {
        zi->stats = nd->stats;
        zi->hist.unit_ns = 1;
        zi->hist.n = nd->hist.n;
        zi->hist.bucket = zalloc(nd->hist.n, sizeof(uint32_t));
        zi->hist.count = zalloc(nd->hist.n, sizeof(uint64_t));
        memcpy(zi->hist.bucket, nd->hist.bucket, nd->hist.n * sizeof(uint32_t));
        memcpy(zi->hist.count, nd->hist.count, nd->hist.n * sizeof(uint64_t));
        first = 0;
        continue;
      }
      /* another node of the zone (tie): counts, times and histograms summed */
      fathom_stats *s = &zi->stats;
      double m1 = s->mean_ns, m2 = nd->stats.mean_ns, n1 = (double)s->count;
      double n2 = (double)nd->stats.count, mm = (n1 * m1 + n2 * m2) / (n1 + n2);
      double var = ((n1 - 1) * s->stddev_ns * s->stddev_ns +
                    (n2 - 1) * nd->stats.stddev_ns * nd->stats.stddev_ns +
                    n1 * (m1 - mm) * (m1 - mm) + n2 * (m2 - mm) * (m2 - mm)) / (n1 + n2 - 1);
      s->count += nd->stats.count;
      s->timed += nd->stats.timed;
      s->total_ns += nd->stats.total_ns;
      s->self_ns += nd->stats.self_ns;
      s->mean_ns = mm;
      s->stddev_ns = sqrt(var);
      if (nd->stats.min_ns < s->min_ns) s->min_ns = nd->stats.min_ns;
      if (nd->stats.max_ns > s->max_ns) s->max_ns = nd->stats.max_ns;
      uint64_t *dense = zalloc(FATHOM_HIST_BUCKETS, sizeof *dense);
      for (uint32_t b = 0; b < zi->hist.n; b++) dense[zi->hist.bucket[b]] += zi->hist.count[b];
      for (uint32_t b = 0; b < nd->hist.n; b++) dense[nd->hist.bucket[b]] += nd->hist.count[b];
      free(zi->hist.bucket);
      free(zi->hist.count);
      zi->hist.n = 0;
      for (uint32_t b = 0; b < FATHOM_HIST_BUCKETS; b++) zi->hist.n += dense[b] != 0;
      zi->hist.bucket = zalloc(zi->hist.n, sizeof(uint32_t));
      zi->hist.count = zalloc(zi->hist.n, sizeof(uint64_t));
      for (uint32_t b = 0, k2 = 0; b < FATHOM_HIST_BUCKETS; b++)
        if (dense[b]) {
          zi->hist.bucket[k2] = b;
          zi->hist.count[k2++] = dense[b];
        }
      free(dense);
      s->p50_ns = fathom_hist_percentile(&zi->hist, 50, s->min_ns, s->max_ns);
      s->p90_ns = fathom_hist_percentile(&zi->hist, 90, s->min_ns, s->max_ns);
      s->p95_ns = fathom_hist_percentile(&zi->hist, 95, s->min_ns, s->max_ns);
      s->p99_ns = fathom_hist_percentile(&zi->hist, 99, s->min_ns, s->max_ns);
      s->p999_ns = fathom_hist_percentile(&zi->hist, 99.9, s->min_ns, s->max_ns);
      set_exact_intervals(s);
    }
  }
  m->duration_ns = main_ns + 5000000;
  if (!(m->cpu_time_ns > 0)) m->cpu_time_ns = (double)main_ns;
  m->n_zones = calls;
  m->n_timed = calls;
  p->threads[0].n_zones = calls;
  int rc = fathom_profile_save(p, FATHOM_FORMAT_JSON, path);
  fathom_profile_free(p);
  if (rc) fprintf(stderr, "diff_gen: %s: %s\n", path, fathom_strerror(rc));
  return rc ? 1 : 0;
}

int main(int argc, char **argv) {
  static const char *const modes[] = {"base", "new", "other", "ebase", "enew", "erun", "nbase",
                                      "nrun", "nslow", "tie"};
  int ok = 0;
  for (size_t i = 0; argc == 3 && i < sizeof modes / sizeof modes[0]; i++)
    ok |= strcmp(argv[1], modes[i]) == 0;
  if (!ok) {
    fprintf(stderr, "usage: diff_gen base|new|other|ebase|enew|erun|nbase|nrun|nslow|tie "
            "OUT.json\n");
    return 2;
  }
  if (strcmp(argv[1], "new") != 0 && (argv[1][0] == 'n' || argv[1][0] == 't'))
    return write_run(argv[1], argv[2]);
  return write_profile(argv[1], argv[2]);
}
