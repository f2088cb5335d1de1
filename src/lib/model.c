/* model.c: the profile model's shared helpers: histogram buckets, statistics merge,
 * percentiles, freeing, and the dispatch from a format to its view.
 *
 * Invariant: histograms are sparse with strictly ascending bucket indices; merging keeps
 * that order, so percentile scans are a single pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"

uint64_t fz_hist_bucket_lo(uint32_t b) {
  if (b < FZ_HIST_SUB) return b;
  uint32_t k = b / FZ_HIST_SUB, s = b % FZ_HIST_SUB;
  return (uint64_t)(FZ_HIST_SUB + s) << (k - 1);
}

uint64_t fz_hist_bucket_width(uint32_t b) {
  if (b < FZ_HIST_SUB) return 1;
  return (uint64_t)1 << (b / FZ_HIST_SUB - 1);
}

double fz_hist_bucket_mid(uint32_t b) {
  if (b < FZ_HIST_SUB) return (double)b;
  return (double)fz_hist_bucket_lo(b) + (double)(fz_hist_bucket_width(b) - 1) / 2.0;
}

void fz_hist_free(fathom_hist *h) {
  if (!h) return;
  free(h->bucket);
  free(h->count);
  h->bucket = NULL;
  h->count = NULL;
  h->n = 0;
}

uint64_t fz_hist_total(const fathom_hist *h) {
  uint64_t t = 0;
  for (uint32_t i = 0; i < h->n; i++) t += h->count[i];
  return t;
}

int fz_hist_copy(fathom_hist *dst, const fathom_hist *src) {
  dst->unit_ns = src->unit_ns;
  dst->n = 0;
  dst->bucket = NULL;
  dst->count = NULL;
  if (src->n == 0) return 0;
  dst->bucket = malloc(src->n * sizeof *dst->bucket);
  dst->count = malloc(src->n * sizeof *dst->count);
  if (!dst->bucket || !dst->count) {
    fz_hist_free(dst);
    return FATHOM_E_NOMEM;
  }
  memcpy(dst->bucket, src->bucket, src->n * sizeof *dst->bucket);
  memcpy(dst->count, src->count, src->n * sizeof *dst->count);
  dst->n = src->n;
  return 0;
}

static double unit_of(const fathom_hist *h) { return h->unit_ns > 0 ? h->unit_ns : 1.0; }

/* src re-expressed in dst's unit: each bucket's midpoint moved to the bucket holding it
 * (adds at most one bucket's half-width of error; only profiles of different clocks mix). */
static int hist_rebin(fathom_hist *out, const fathom_hist *src, double unit) {
  uint64_t *dense = calloc(FATHOM_HIST_BUCKETS, sizeof *dense);
  if (!dense) return FATHOM_E_NOMEM;
  double f = unit_of(src) / unit;
  for (uint32_t i = 0; i < src->n; i++) {
    double v = fz_hist_bucket_mid(src->bucket[i]) * f;
    dense[fz_hist_bucket_of(v < 0 ? 0 : v >= 1.8e19 ? UINT64_MAX : (uint64_t)(v + 0.5))] +=
        src->count[i];
  }
  int rc = fz_hist_from_dense(out, dense);
  out->unit_ns = unit;
  free(dense);
  return rc;
}

int fz_hist_merge(fathom_hist *dst, const fathom_hist *src) {
  if (src->n == 0) return 0;
  if (dst->n == 0) dst->unit_ns = src->unit_ns;
  if (unit_of(dst) != unit_of(src)) {
    fathom_hist tmp;
    if (hist_rebin(&tmp, src, unit_of(dst))) return FATHOM_E_NOMEM;
    int rc = fz_hist_merge(dst, &tmp);
    fz_hist_free(&tmp);
    return rc;
  }
  uint32_t cap = dst->n + src->n;
  uint32_t *b = malloc(cap * sizeof *b);
  uint64_t *c = malloc(cap * sizeof *c);
  if (!b || !c) {
    free(b);
    free(c);
    return FATHOM_E_NOMEM;
  }
  uint32_t i = 0, j = 0, n = 0;
  while (i < dst->n || j < src->n) {
    if (j >= src->n || (i < dst->n && dst->bucket[i] < src->bucket[j])) {
      b[n] = dst->bucket[i];
      c[n++] = dst->count[i++];
    } else if (i >= dst->n || src->bucket[j] < dst->bucket[i]) {
      b[n] = src->bucket[j];
      c[n++] = src->count[j++];
    } else {
      b[n] = dst->bucket[i];
      c[n++] = dst->count[i++] + src->count[j++];
    }
  }
  free(dst->bucket);
  free(dst->count);
  dst->bucket = b;
  dst->count = c;
  dst->n = n;
  return 0;
}

int fz_hist_from_dense(fathom_hist *dst, const uint64_t *dense) {
  uint32_t n = 0;
  dst->unit_ns = 0;
  dst->n = 0;
  dst->bucket = NULL;
  dst->count = NULL;
  for (uint32_t b = 0; b < FATHOM_HIST_BUCKETS; b++) n += dense[b] != 0;
  if (n == 0) return 0;
  dst->bucket = malloc(n * sizeof *dst->bucket);
  dst->count = malloc(n * sizeof *dst->count);
  if (!dst->bucket || !dst->count) {
    fz_hist_free(dst);
    return FATHOM_E_NOMEM;
  }
  for (uint32_t b = 0; b < FATHOM_HIST_BUCKETS; b++) {
    if (!dense[b]) continue;
    dst->bucket[dst->n] = b;
    dst->count[dst->n++] = dense[b];
  }
  return 0;
}

double fathom_hist_percentile(const fathom_hist *h, double q, uint64_t min_ns, uint64_t max_ns) {
  if (!h || h->n == 0) return 0.0;
  uint64_t total = fz_hist_total(h);
  if (q < 0) q = 0;
  if (q > 100) q = 100;
  /* nearest rank: the smallest sample with at least q% of samples at or below it */
  /* q% of total, with a relative tolerance so 99.9% of 1000 is 999, not 999.0000000001 */
  double x = q / 100.0 * (double)total;
  uint64_t rank = (uint64_t)ceil(x - 1e-9 * (x > 1 ? x : 1));
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  double v = fz_hist_bucket_mid(h->bucket[h->n - 1]);
  for (uint32_t i = 0; i < h->n; i++) {
    seen += h->count[i];
    if (seen >= rank) {
      v = fz_hist_bucket_mid(h->bucket[i]);
      break;
    }
  }
  v *= unit_of(h);
  if (v < (double)min_ns) v = (double)min_ns;
  if (max_ns && v > (double)max_ns) v = (double)max_ns;
  return v;
}

void fz_stats_set_percentiles(fathom_stats *st, const fathom_hist *h) {
  st->p50_ns = fathom_hist_percentile(h, 50, st->min_ns, st->max_ns);
  st->p90_ns = fathom_hist_percentile(h, 90, st->min_ns, st->max_ns);
  st->p95_ns = fathom_hist_percentile(h, 95, st->min_ns, st->max_ns);
  st->p99_ns = fathom_hist_percentile(h, 99, st->min_ns, st->max_ns);
  st->p999_ns = fathom_hist_percentile(h, 99.9, st->min_ns, st->max_ns);
}

/* How the merge works: each side is (n, mean, M2) with M2 = stddev^2 * (n - 1), the sum of
 * squared deviations. Combined: n = na + nb, delta = mean_b - mean_a,
 * mean = mean_a + delta * nb / n, M2 = M2a + M2b + delta^2 * na * nb / n. Exact in real
 * arithmetic and stable in floating point (no large sums of squares are subtracted). */
void fz_stats_merge(fathom_stats *dst, const fathom_stats *src) {
  if (src->count == 0) {
    dst->total_ns += src->total_ns;
    dst->self_ns += src->self_ns;
    return;
  }
  if (dst->count == 0) {
    uint64_t t = dst->total_ns, s = dst->self_ns;
    *dst = *src;
    dst->total_ns += t;
    dst->self_ns += s;
    return;
  }
  double na = (double)dst->count, nb = (double)src->count, n = na + nb;
  double m2a = dst->stddev_ns * dst->stddev_ns * (na - 1);
  double m2b = src->stddev_ns * src->stddev_ns * (nb - 1);
  double delta = src->mean_ns - dst->mean_ns;
  double mean = dst->mean_ns + delta * nb / n;
  double m2 = m2a + m2b + delta * delta * na * nb / n;
  dst->count += src->count;
  dst->total_ns += src->total_ns;
  dst->self_ns += src->self_ns;
  if (src->min_ns < dst->min_ns) dst->min_ns = src->min_ns;
  if (src->max_ns > dst->max_ns) dst->max_ns = src->max_ns;
  dst->mean_ns = mean;
  dst->stddev_ns = n > 1 && m2 > 0 ? sqrt(m2 / (n - 1)) : 0.0;
}

char *fz_strdup(const char *s) { return s ? strdup(s) : NULL; }
char *fz_strdup_or_empty(const char *s) { return strdup(s ? s : ""); }

void fathom_profile_free(fathom_profile *p) {
  if (!p) return;
  fathom_meta *m = &p->meta;
  free(m->fathom_version);
  free(m->session_name);
  free(m->program);
  free(m->host);
  free(m->os);
  free(m->kernel);
  free(m->arch);
  free(m->cpu_model);
  free(m->clock_source);
  for (uint32_t i = 0; i < p->n_zones; i++) {
    fathom_zone_info *z = &p->zones[i];
    free(z->name);
    free(z->component);
    free(z->tags);
    free(z->file);
    free(z->func);
    fz_hist_free(&z->hist);
  }
  free(p->zones);
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    fathom_node *nd = &p->nodes[i];
    fz_hist_free(&nd->hist);
    for (uint32_t k = 0; k < nd->n_metrics; k++) free(nd->metrics[k].name);
    free(nd->metrics);
  }
  free(p->nodes);
  for (uint32_t i = 0; i < p->n_threads; i++) free(p->threads[i].name);
  free(p->threads);
  for (uint32_t i = 0; i < p->n_counters; i++) free(p->counters[i].name);
  free(p->counters);
  free(p->events);
  free(p->counter_events);
  free(p);
}

static const char *const level_names[] = {"disabled", "basic", "detailed", "comprehensive"};

const char *fathom_level_name(fathom_level level) {
  if ((unsigned)level > FATHOM_LEVEL_COMPREHENSIVE) return "unknown";
  return level_names[level];
}

int fathom_level_parse(const char *s, fathom_level *out) {
  if (!s || !out) return FATHOM_E_INVAL;
  for (int i = 0; i < 4; i++) {
    if (strcasecmp(s, level_names[i]) == 0 || (s[0] == (char)('0' + i) && s[1] == 0)) {
      *out = (fathom_level)i;
      return 0;
    }
  }
  return FATHOM_E_INVAL;
}

const char *fathom_strerror(int err) {
  switch (err) {
    case 0: return "success";
#define FATHOM_XX_(name, code, msg) case code: return msg;
    FATHOM_ERRNO_MAP(FATHOM_XX_)
#undef FATHOM_XX_
    default: return "unknown error";
  }
}

int fathom_format_parse(const char *s, fathom_format *out) {
  static const char *const names[] = {"text", "json", "csv", "chrome"};
  if (!s || !out) return FATHOM_E_INVAL;
  for (int i = 0; i < 4; i++) {
    if (strcasecmp(s, names[i]) == 0) {
      *out = (fathom_format)i;
      return 0;
    }
  }
  return FATHOM_E_INVAL;
}

int fathom_profile_write(const fathom_profile *p, fathom_format fmt, FILE *f, int color) {
  if (!p || !f) return FATHOM_E_INVAL;
  switch (fmt) {
    case FATHOM_FORMAT_TEXT: return fz_write_text(p, f, color);
    case FATHOM_FORMAT_JSON: return fz_write_json(p, f);
    case FATHOM_FORMAT_CSV: return fz_write_csv(p, f);
    case FATHOM_FORMAT_CHROME: return fz_write_chrome(p, f);
  }
  return FATHOM_E_INVAL;
}

int fathom_profile_save(const fathom_profile *p, fathom_format fmt, const char *path) {
  if (!p || !path) return FATHOM_E_INVAL;
  fz_afile a;
  int rc = fz_afile_open(&a, path);
  if (rc) return rc;
  rc = fathom_profile_write(p, fmt, a.f, 0);
  if (rc) {
    fz_afile_abort(&a);
    return rc;
  }
  return fz_afile_commit(&a);
}
