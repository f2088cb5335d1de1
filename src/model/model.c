/* model.c: the profile model's shared helpers: histogram buckets, statistics merge,
 * percentiles, freeing, the names of resources, governor actions, finding classes and
 * severities, memory-snapshot differences, the machine's description. (Writing a model in a
 * format: view/write.c.)
 *
 * Invariant: histograms are sparse with strictly ascending bucket indices; merging keeps
 * that order, so percentile scans are a single pass. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "model/model.h"
#include "record/ext.h"
#include "fathom_findings.h"

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

double fz_hist_frac_edge(const fathom_hist *h, double frac, int hi) {
  double total = (double)fz_hist_total(h), want = frac * total, seen = 0;
  uint32_t b = h->bucket[h->n - 1];
  for (uint32_t i = 0; i < h->n; i++) {
    seen += (double)h->count[i];
    if (seen >= want - 1e-9 * want) {
      b = h->bucket[i];
      break;
    }
  }
  double unit = h->unit_ns > 0 ? h->unit_ns : 1.0;
  double lo = (double)fz_hist_bucket_lo(b);
  return (hi ? lo + (double)fz_hist_bucket_width(b) : lo) * unit;
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

/* The value at cumulative fraction f of h (0 < f <= 1): the lower (lo) or upper bound of
 * the bucket holding it, in ns. */
static double hist_at_fraction(const fathom_hist *h, double f, int upper) {
  uint64_t total = fz_hist_total(h);
  if (!total) return 0;
  if (f < 0) f = 0;
  if (f > 1) f = 1;
  double want = f * (double)total;
  uint64_t seen = 0;
  uint32_t i = 0;
  for (; i < h->n; i++) {
    seen += h->count[i];
    if ((double)seen >= want && seen > 0) break;
  }
  if (i == h->n) i = h->n - 1;
  uint32_t b = h->bucket[i];
  double v = (double)fz_hist_bucket_lo(b) + (upper ? (double)fz_hist_bucket_width(b) : 0.0);
  return v * unit_of(h);
}

int fz_pct_interval(const fathom_hist *h, double q, uint64_t n, double *lo, double *hi) {
  if (!h || h->n == 0 || n == 0) return -1;
  double p = q / 100.0, se = sqrt(p * (1 - p) / (double)n);
  *lo = hist_at_fraction(h, p - 1.96 * se, 0);
  *hi = hist_at_fraction(h, p + 1.96 * se > 1 ? 1 : p + 1.96 * se, 1);
  return 0;
}

static const double pct_q[FATHOM_PCT_N] = {50, 90, 95, 99, 99.9};

void fz_stats_set_percentiles(fathom_stats *st, const fathom_hist *h) {
  double *pv[FATHOM_PCT_N] = {&st->p50_ns, &st->p90_ns, &st->p95_ns, &st->p99_ns, &st->p999_ns};
  int est = fathom_stats_estimated(st);
  for (int i = 0; i < FATHOM_PCT_N; i++) {
    double v = fathom_hist_percentile(h, pct_q[i], st->min_ns, st->max_ns);
    if (st->count && h->n && v > (double)st->max_ns) v = (double)st->max_ns; /* max 0 too */
    *pv[i] = v;
    double lo = v, hi = v;
    if (est && fz_pct_interval(h, pct_q[i], st->timed, &lo, &hi) == 0) {
      /* the true percentile may lie beyond the timed calls' extremes: no clamping there */
      if (lo > v) lo = v;
      if (hi < v) hi = v;
    }
    st->pct_lo_ns[i] = lo;
    st->pct_hi_ns[i] = hi;
  }
}

/* Calls whose duration a stats record describes: `timed` when set (the governor sampled
 * timing), else every call (hand-built models and schema-1 files leave it 0). */
static uint64_t timed_of(const fathom_stats *st) {
  return st->timed && st->timed <= st->count ? st->timed : st->count;
}

/* How the merge works: each side is (n, mean, M2) with n its calls and
 * M2 = stddev^2 * (n - 1), the sum of squared deviations. Combined: n = na + nb,
 * delta = mean_b - mean_a, mean = mean_a + delta * nb / n, M2 = M2a + M2b + delta^2 * na * nb / n.
 * Exact in real arithmetic and stable in floating point (no large sums of squares are
 * subtracted). `timed` stays 0 only while both sides leave it 0 (meaning: every call). */
void fz_stats_merge(fathom_stats *dst, const fathom_stats *src) {
  if (src->count == 0) {
    dst->total_ns += src->total_ns;
    dst->self_ns += src->self_ns;
    dst->overhead_ns += src->overhead_ns;
    dst->self_cpu_ns += src->self_cpu_ns;
    dst->self_cpu_se_ns = hypot(dst->self_cpu_se_ns, src->self_cpu_se_ns);
    return;
  }
  if (dst->count == 0) {
    uint64_t t = dst->total_ns, s = dst->self_ns;
    double o = dst->overhead_ns, sc = dst->self_cpu_ns, sce = dst->self_cpu_se_ns;
    *dst = *src;
    dst->total_ns += t;
    dst->self_ns += s;
    dst->overhead_ns += o;
    dst->self_cpu_ns += sc;
    dst->self_cpu_se_ns = hypot(sce, src->self_cpu_se_ns);
    return;
  }
  int keep_timed = dst->timed || src->timed;
  dst->timed = keep_timed ? timed_of(dst) + timed_of(src) : 0;
  /* mean and stddev describe every call (estimates where sampled): each side weighs its
   * calls */
  uint64_t ta = dst->count, tb = src->count;
  dst->count += src->count;
  dst->total_ns += src->total_ns;
  dst->self_ns += src->self_ns;
  /* independent estimates: their variances add */
  dst->total_se_ns = sqrt(dst->total_se_ns * dst->total_se_ns + src->total_se_ns * src->total_se_ns);
  dst->self_se_ns = sqrt(dst->self_se_ns * dst->self_se_ns + src->self_se_ns * src->self_se_ns);
  dst->overhead_ns += src->overhead_ns;
  dst->self_cpu_ns += src->self_cpu_ns;
  dst->self_cpu_se_ns = sqrt(dst->self_cpu_se_ns * dst->self_cpu_se_ns +
                             src->self_cpu_se_ns * src->self_cpu_se_ns);
  if (tb == 0) return;   /* nothing timed on that side: its mean and extremes mean nothing */
  if (ta == 0) {
    dst->min_ns = src->min_ns;
    dst->max_ns = src->max_ns;
    dst->mean_ns = src->mean_ns;
    dst->stddev_ns = src->stddev_ns;
    return;
  }
  double na = (double)ta, nb = (double)tb, n = na + nb;
  double m2a = dst->stddev_ns * dst->stddev_ns * (na - 1);
  double m2b = src->stddev_ns * src->stddev_ns * (nb - 1);
  double delta = src->mean_ns - dst->mean_ns;
  double mean = dst->mean_ns + delta * nb / n;
  double m2 = m2a + m2b + delta * delta * na * nb / n;
  if (src->min_ns < dst->min_ns) dst->min_ns = src->min_ns;
  if (src->max_ns > dst->max_ns) dst->max_ns = src->max_ns;
  dst->mean_ns = mean;
  dst->stddev_ns = n > 1 && m2 > 0 ? sqrt(m2 / (n - 1)) : 0.0;
}


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
  free(m->cut_short_by);
  free(m->cut_short_path);
  fz_ext_model_free(p);   /* extensions (model/ext.c) */
  for (uint32_t i = 0; i < p->n_zones && p->zones; i++) {
    fathom_zone_info *z = &p->zones[i];
    free(z->name);
    free(z->component);
    free(z->tags);
    free(z->file);
    free(z->func);
    fz_hist_free(&z->hist);
  }
  free(p->zones);
  for (uint32_t i = 0; i < p->n_nodes && p->nodes; i++) {
    fathom_node *nd = &p->nodes[i];
    fz_hist_free(&nd->hist);
    for (uint32_t k = 0; k < nd->n_metrics && nd->metrics; k++) free(nd->metrics[k].name);
    free(nd->metrics);
  }
  free(p->nodes);
  for (uint32_t i = 0; i < p->n_threads && p->threads; i++) free(p->threads[i].name);
  free(p->threads);
  for (uint32_t i = 0; i < p->n_counters && p->counters; i++) free(p->counters[i].name);
  free(p->counters);
  free(p->events);
  free(p->counter_events);
  /* schema 2 */
  for (uint32_t i = 0; i < p->n_probes && p->probes; i++) {
    free(p->probes[i].name);
    free(p->probes[i].detail);
  }
  free(p->probes);
  for (uint32_t i = 0; i < p->n_gpus && p->gpus; i++) free(p->gpus[i].name);
  free(p->gpus);
  for (uint32_t i = 0; i < p->series.n_cols && p->series.cols; i++) free(p->series.cols[i]);
  free(p->series.cols);
  free(p->series.ts_ns);
  free(p->series.v);
  for (uint32_t i = 0; i < p->n_mem_snapshots && p->mem_snapshots; i++) {
    fathom_mem_snapshot_info *s = &p->mem_snapshots[i];
    free(s->label);
    free(s->zone);
    free(s->zone_live_count);
    free(s->zone_live_bytes);
  }
  free(p->mem_snapshots);
  free(p->gov_actions);
  /* schema 3 */
  for (uint32_t i = 0; i < p->n_findings && p->findings; i++) {
    fathom_finding *fd = &p->findings[i];
    free(fd->path);
    free(fd->summary);
    for (uint32_t k = 0; k < fd->n_figures && fd->figures; k++) {
      free(fd->figures[k].name);
      free(fd->figures[k].unit);
    }
    free(fd->figures);
    for (uint32_t k = 0; k < fd->n_suggestions && fd->suggestions; k++) free(fd->suggestions[k]);
    free(fd->suggestions);
  }
  free(p->findings);
  for (uint32_t i = 0; i < p->n_slas && p->slas; i++) free(p->slas[i].zone_name);
  free(p->slas);
  free(p->throughput);
  for (uint32_t i = 0; i < p->n_lines && p->lines; i++) free(p->lines[i].file);
  free(p->lines);
  for (uint32_t i = 0; i < p->n_processes && p->processes; i++) free(p->processes[i].command);
  free(p->processes);
  for (uint32_t i = 0; i < p->n_outcome_events && p->outcome_events; i++) {
    fathom_outcome_event_info *e = &p->outcome_events[i];
    free(e->group);
    free(e->subject);
    free(e->kind);
    free(e->attrs);
    for (uint32_t k = 0; k < e->n_outcomes && k < FATHOM_OUTCOMES_MAX; k++)
      free(e->outcome_name[k]);
  }
  free(p->outcome_events);
  for (uint32_t i = 0; i < p->n_locks && p->locks; i++) {
    fathom_lock_info *l = &p->locks[i];
    free(l->name);
    free(l->kind);
    for (uint32_t k = 0; k < l->n_waiters && l->waiters; k++) free(l->waiters[k].zone);
    for (uint32_t k = 0; k < l->n_holders && l->holders; k++) free(l->holders[k].zone);
    free(l->waiters);
    free(l->holders);
  }
  free(p->locks);
  for (uint32_t i = 0; i < p->n_attempts && p->attempts; i++) {
    free(p->attempts[i].name);
    free(p->attempts[i].metric);
  }
  free(p->attempts);
  for (uint32_t i = 0; i < p->n_rankings && p->rankings; i++) {
    free(p->rankings[i].name);
    for (uint32_t k = 0; k < p->rankings[i].n && p->rankings[i].e; k++)
      free(p->rankings[i].e[k].variant);
    free(p->rankings[i].e);
  }
  free(p->rankings);
  for (uint32_t i = 0; i < p->n_queries && p->queries; i++) {
    free(p->queries[i].db);
    free(p->queries[i].statement);
    for (uint32_t k = 0; k < p->queries[i].n_slowest && k < FATHOM_QUERY_SLOWEST; k++)
      free(p->queries[i].slowest_sql[k]);
  }
  free(p->queries);
  for (uint32_t i = 0; i < p->n_gpu_zones && p->gpu_zones; i++) free(p->gpu_zones[i].name);
  free(p->gpu_zones);
  for (uint32_t i = 0; i < p->n_requests && p->requests; i++) {
    free(p->requests[i].endpoint);
    for (uint32_t k = 0; k < p->requests[i].n_slowest && k < FATHOM_REQUEST_SLOWEST; k++)
      free(p->requests[i].slowest_url[k]);
  }
  free(p->requests);
  for (uint32_t i = 0; i < p->n_windows && p->windows; i++) free(p->windows[i].name);
  free(p->windows);
  for (uint32_t i = 0; i < p->n_component_levels && p->component_levels; i++)
    free(p->component_levels[i].component);
  free(p->component_levels);
  free(p);
}

static const char *const res_names[FATHOM_RES_N] = {
    "cpu_user_ns",  "cpu_sys_ns",      "ctx_vol",          "ctx_invol",      "minflt",
    "majflt",       "read_bytes",      "write_bytes",      "disk_read_bytes", "disk_write_bytes",
    "rss_delta_bytes", "instructions", "cycles",           "cache_refs",     "cache_misses",
    "branch_misses", "fp_ops", "wall_ns", "cpu_ns", "read_ops", "write_ops", "sock_sent_bytes",
    "sock_recv_bytes"};

const char *fathom_res_name(int id) {
  return id >= 0 && id < FATHOM_RES_N ? res_names[id] : NULL;
}

int fz_res_parse(const char *name) {
  for (int i = 0; name && i < FATHOM_RES_N; i++)
    if (strcmp(name, res_names[i]) == 0) return i;
  return -1;
}

const char *fz_gov_name(uint32_t bit) {
  switch (bit) {
    case FATHOM_GOV_PROBES_THINNED: return "probes_thinned";
    case FATHOM_GOV_DOWNGRADED: return "downgraded";
    case FATHOM_GOV_TIME_SAMPLED: return "time_sampled";
    default: return NULL;
  }
}

uint32_t fz_gov_parse(const char *name) {
  for (uint32_t bit = 1; bit & FZ_GOV_KNOWN; bit <<= 1)
    if (name && strcmp(name, fz_gov_name(bit)) == 0) return bit;
  return 0;
}

/* ---- memory snapshots ---- */

static int delta_cmp(const void *a, const void *b) {
  const fathom_mem_delta *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  if (x->count != y->count) return x->count > y->count ? -1 : 1;
  return x->zone < y->zone ? -1 : x->zone > y->zone;
}

/* How it works: both snapshots are spread into one dense array per zone (bytes and count of
 * b minus a; entries naming a zone out of range are ignored), then the changed zones are
 * collected and sorted. Saturating conversion keeps values above INT64_MAX meaningful. */
static int64_t to_i64(uint64_t v) { return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v; }

int fz_mem_diff_idx(const fathom_profile *p, uint32_t ia, uint32_t ib, fathom_mem_delta *out,
                    size_t cap) {
  if (!p || (!out && cap) || ia >= p->n_mem_snapshots || ib >= p->n_mem_snapshots)
    return FATHOM_E_INVAL;
  uint32_t nz = p->n_zones;
  if (nz == 0) return 0;
  int64_t *db = calloc(nz, sizeof *db), *dc = calloc(nz, sizeof *dc);
  if (!db || !dc) {
    free(db);
    free(dc);
    return FATHOM_E_NOMEM;
  }
  const fathom_mem_snapshot_info *sv[2] = {&p->mem_snapshots[ia], &p->mem_snapshots[ib]};
  for (int side = 0; side < 2; side++) {
    const fathom_mem_snapshot_info *s = sv[side];
    for (uint32_t k = 0; k < s->n && s->zone; k++) {
      uint32_t z = s->zone[k];
      if (z >= nz) continue;
      int64_t b = s->zone_live_bytes ? to_i64(s->zone_live_bytes[k]) : 0;
      int64_t c = s->zone_live_count ? to_i64(s->zone_live_count[k]) : 0;
      db[z] += side ? b : -b;
      dc[z] += side ? c : -c;
    }
  }
  uint32_t changed = 0;
  for (uint32_t z = 0; z < nz; z++) changed += db[z] != 0 || dc[z] != 0;
  int rc = (int)(changed > INT32_MAX ? INT32_MAX : changed);
  if (cap && changed) {
    fathom_mem_delta *all = malloc((size_t)changed * sizeof *all);
    if (!all) {
      rc = FATHOM_E_NOMEM;
    } else {
      uint32_t k = 0;
      for (uint32_t z = 0; z < nz; z++)
        if (db[z] != 0 || dc[z] != 0) all[k++] = (fathom_mem_delta){z, db[z], dc[z]};
      qsort(all, changed, sizeof *all, delta_cmp);
      memcpy(out, all, (cap < changed ? cap : changed) * sizeof *all);
      free(all);
    }
  }
  free(db);
  free(dc);
  return rc;
}

/* The most recent snapshot with that label (labels may repeat), or -1. */
static int64_t snapshot_by_label(const fathom_profile *p, const char *label) {
  for (uint32_t i = p->n_mem_snapshots; i-- > 0;) {
    const char *l = p->mem_snapshots[i].label;
    if (l && strcmp(l, label) == 0) return i;
  }
  return -1;
}

int fathom_mem_snapshot_diff(const fathom_profile *p, const char *label_a, const char *label_b,
                             fathom_mem_delta *out, size_t cap) {
  if (!p || !label_a || !label_b || (!out && cap)) return FATHOM_E_INVAL;
  int64_t a = snapshot_by_label(p, label_a), b = snapshot_by_label(p, label_b);
  if (a < 0 || b < 0) return FATHOM_E_NOTFOUND;
  return fz_mem_diff_idx(p, (uint32_t)a, (uint32_t)b, out, cap);
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

/* the findings' class and severity names (fathom_findings.h) */
static const char *const class_names[FATHOM_FIND_N] = {
    "slow",         "cpu_bound", "waiting",  "io_heavy", "memory_heavy",
    "gpu_memory",   "alloc_churn", "leak",   "tail_latency", "hot_path",
    "imbalance",    "gpu_idle",  "overhead", "sla", "slow_query", "lock_contention",
    "slow_endpoint", "ext_threshold"};

FATHOM_EXTERN const char *fathom_finding_class_name(int cls) {
  return cls >= 0 && cls < FATHOM_FIND_N ? class_names[cls] : NULL;
}

FATHOM_EXTERN const char *fathom_severity_name(int sev) {
  static const char *const n[] = {"info", "warning", "critical"};
  return sev >= 0 && sev <= FATHOM_SEV_CRITICAL ? n[sev] : NULL;
}

void fz_alloc_add(fathom_alloc *d, const fathom_alloc *s) {
  d->alloc_count += s->alloc_count;
  d->alloc_bytes += s->alloc_bytes;
  d->free_count += s->free_count;
  d->free_bytes += s->free_bytes;
  d->live_count += s->live_count;
  d->live_bytes += s->live_bytes;
  d->growth_bytes_per_call += s->growth_bytes_per_call;
  /* sampled figures: independent samples, their variances add */
  d->alloc_count_se = hypot(d->alloc_count_se, s->alloc_count_se);
  d->alloc_bytes_se = hypot(d->alloc_bytes_se, s->alloc_bytes_se);
  d->free_count_se = hypot(d->free_count_se, s->free_count_se);
  d->free_bytes_se = hypot(d->free_bytes_se, s->free_bytes_se);
  d->live_count_se = hypot(d->live_count_se, s->live_count_se);
  d->live_bytes_se = hypot(d->live_bytes_se, s->live_bytes_se);
  d->peak_count += s->peak_count;
  d->peak_bytes += s->peak_bytes;
  d->peak_count_se = hypot(d->peak_count_se, s->peak_count_se);
  d->peak_bytes_se = hypot(d->peak_bytes_se, s->peak_bytes_se);
  if (!d->line) d->line = s->line;
}

void fz_res_add(fathom_res *d, const fathom_res *s) {
  /* the user/system split of the sum is known only where it is known on both sides */
  const uint32_t cpu = 1u << FATHOM_RES_CPU_NS,
                 split = (1u << FATHOM_RES_CPU_USER_NS) | (1u << FATHOM_RES_CPU_SYS_NS);
  uint32_t drop = 0;
  if (((d->mask & cpu) && (d->mask & split) != split && d->samples) ||
      ((s->mask & cpu) && (s->mask & split) != split && s->samples))
    drop = split;
  d->samples += s->samples;
  if (s->sample_every > d->sample_every) d->sample_every = s->sample_every;
  d->mask |= s->mask;
  d->mask &= ~drop;
  for (int k = 0; k < FATHOM_RES_N; k++)
    if (s->mask & (1u << k)) d->sum[k] += s->sum[k];
}

/* ---- the machine ---- */

static char *read_cpu_model(void) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512], *r = NULL;
  if (!f) return fz_strdup_or_empty("");
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model", 5) == 0) {
      char *c = strchr(line, ':');
      if (!c) continue;
      c++;
      while (*c == ' ' || *c == '\t') c++;
      c[strcspn(c, "\n")] = 0;
      r = strdup(c);
      break;
    }
  }
  fclose(f);
  return r ? r : fz_strdup_or_empty("");
}

void fz_meta_machine(fathom_meta *m) {
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  m->host = strdup(host);
  struct utsname u;
  if (uname(&u) != 0) memset(&u, 0, sizeof u);
  m->os = strdup(u.sysname);
  m->kernel = strdup(u.release);
  m->arch = strdup(u.machine);
  m->cpu_model = read_cpu_model();
  long nc = sysconf(_SC_NPROCESSORS_ONLN);
  m->n_cpus = nc > 0 ? (uint32_t)nc : 1;
}
