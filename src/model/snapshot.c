/* snapshot.c: builds the profile model from the recorder: threads' call trees merged into
 * model nodes, zones rolled up, counters summed, the timeline read back, metadata filled.
 *
 * Invariant: runs under fz_g.lock; reads recorder memory only through relaxed/acquire loads
 * (owners may be recording), so a live model may lag a call behind but is always
 * structurally valid: parents precede children, every index is in range. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "model/model.h"
#include "record/alloc.h"
#include "record/ext.h"
#include "record/gov.h"
#include "probe/monitor.h"
#include "record/levels.h"
#include "record/record.h"
#include "record/sampler.h"
#include "model/snapshot.h"

/* Samples from which the CPU sampler's measure of fathom's cost is preferred to the
 * calibrated one (its relative error is then at most ~1/sqrt of the samples in fathom). */
#define FZ_SAMPLES_ENOUGH 200


typedef struct kv { uint64_t key; uint32_t val; } kv;
typedef struct kmap { kv *e; size_t cap, n; } kmap;

static uint64_t mix(uint64_t x) {
  x ^= x >> 31; x *= 0x7fb5d329728ea185ull; x ^= x >> 27; x *= 0x81dadef4bc2dd44dull;
  return x ^ (x >> 33);
}
static int kmap_put(kmap *m, uint64_t key, uint32_t val) {
  if ((m->n + 1) * 2 > m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 1024;
    kv *e = malloc(cap * sizeof *e);
    if (!e) return -1;
    for (size_t i = 0; i < cap; i++) e[i].val = FATHOM_NONE;
    for (size_t i = 0; i < m->cap; i++) {
      if (m->e[i].val == FATHOM_NONE) continue;
      size_t j = mix(m->e[i].key) & (cap - 1);
      while (e[j].val != FATHOM_NONE) j = (j + 1) & (cap - 1);
      e[j] = m->e[i];
    }
    free(m->e);
    m->e = e;
    m->cap = cap;
  }
  size_t j = mix(key) & (m->cap - 1);
  while (m->e[j].val != FATHOM_NONE && m->e[j].key != key) j = (j + 1) & (m->cap - 1);
  if (m->e[j].val == FATHOM_NONE) m->n++;
  m->e[j] = (kv){key, val};
  return 0;
}
static uint32_t kmap_get(const kmap *m, uint64_t key) {
  if (!m->cap) return FATHOM_NONE;
  size_t j = mix(key) & (m->cap - 1);
  while (m->e[j].val != FATHOM_NONE) {
    if (m->e[j].key == key) return m->e[j].val;
    j = (j + 1) & (m->cap - 1);
  }
  return FATHOM_NONE;
}

typedef struct build {
  fathom_profile *p;
  uint32_t cap_zones, cap_nodes;
  uint32_t *site_zone;     /* site id -> zone index */
  uint32_t n_site_zone;
  kmap zone_by_name;       /* hash(name, component) -> zone (collisions checked) */
  kmap child;              /* (model parent, zone) -> model node */
  uint32_t *thread_of;     /* fz_thread index -> model thread */
  uint32_t n_thread_of;
  int oom;
  uint32_t gen;
  double root_flops;       /* FLOPs declared outside any zone */
  double zone_cost_ns;     /* what the recorded zone calls cost (fz_snap_own_cost summed) */
} build;

static uint64_t hash_nc(const char *n, const char *c) {
  uint64_t h = 1469598103934665603ull;
  for (; *n; n++) h = (h ^ (unsigned char)*n) * 1099511628211ull;
  h = (h ^ 0xff) * 1099511628211ull;
  for (; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
  return h;
}

static uint32_t zone_for_site(build *b, fathom_site *s) {
  if (s->id_ < b->n_site_zone && b->site_zone[s->id_] != FATHOM_NONE) return b->site_zone[s->id_];
  uint64_t h = hash_nc(s->name, s->component);
  uint32_t z = FATHOM_NONE;
  for (uint64_t k = h;; k++) { /* probe past hash collisions of different names */
    uint32_t cand = kmap_get(&b->zone_by_name, k);
    if (cand == FATHOM_NONE) break;
    fathom_zone_info *zi = &b->p->zones[cand];
    if (strcmp(zi->name, s->name) == 0 && strcmp(zi->component, s->component) == 0) {
      z = cand;
      break;
    }
    h = k + 1;
  }
  if (z == FATHOM_NONE) {
    fathom_profile *p = b->p;
    if (p->n_zones == b->cap_zones) {
      uint32_t cap = b->cap_zones ? b->cap_zones * 2 : 64;
      fathom_zone_info *nz = realloc(p->zones, cap * sizeof *nz);
      if (!nz) { b->oom = 1; return FATHOM_NONE; }
      p->zones = nz;
      b->cap_zones = cap;
    }
    z = p->n_zones++;
    fathom_zone_info *zi = &p->zones[z];
    memset(zi, 0, sizeof *zi);
    zi->name = fz_strdup_or_empty(s->name);
    zi->component = fz_strdup_or_empty(s->component);
    zi->tags = fz_strdup_or_empty(s->tags);
    zi->file = fz_strdup_or_empty(s->file);
    zi->func = fz_strdup_or_empty(s->func);
    zi->line = s->line;
    zi->kind = strcmp(s->component, "functions") == 0 && s->line == 0 ? FATHOM_ZONE_KIND_FUNCTION
                                                                      : FATHOM_ZONE_KIND_ZONE;
    if (!zi->name || !zi->component || !zi->tags || !zi->file || !zi->func) b->oom = 1;
    if (kmap_put(&b->zone_by_name, h, z)) b->oom = 1;
  }
  if (s->id_ < b->n_site_zone) b->site_zone[s->id_] = z;
  return z;
}


/* Statistics of one recorder node in ns and its histogram (left in ticks, with unit_ns =
 * ns per tick), fathom's cost taken out of the total (not yet out of min, max and the
 * histogram: fz_snap_finish_nodes shifts them once the totals are final).
 *
 * How the estimate works: calls timed with weight 1 are summed exactly (the sum of squares in
 * 128-bit integers). The M calls made while the path was sampled (each timed with a known
 * probability 1/w) are estimated by the ratio (Hajek) estimator: their mean is sum(w d) /
 * sum(w) over the timed ones, times M, the exact number of such calls. Its bias is of order
 * 1/n, far below its error; unlike sum(w d) alone, its mean always lies between the timed
 * calls' extremes. Its variance is (M / sum w)^2 sum w (w - 1) (d - mean)^2 (Bernoulli
 * sampling); with fewer than 10 sampled calls timed, the larger of that and the variance
 * the sampling has for calls like all the timed ones. */
static void node_stats(const fz_node *n, fathom_stats *st, fathom_hist *h, uint64_t *dense,
                       int *oom) {
  memset(st, 0, sizeof *st);
  uint64_t c = FZ_LD(n->count), untimed = FZ_LD(n->untimed), sn = FZ_LD(n->s_n);
  uint64_t total = FZ_LD(n->total), sw = FZ_LD(n->s_w);
  double tick = fz_ns_per_tick();
  double s_wd = fz_bits_d(FZ_LD(n->s_wd)), s_wd2 = fz_bits_d(FZ_LD(n->s_wd2));
  double v0 = fz_bits_d(FZ_LD(n->s_v0)), v1 = fz_bits_d(FZ_LD(n->s_v1)), v2 = fz_bits_d(FZ_LD(n->s_v));
  unsigned __int128 sq = fz_node_sq(n);
  uint64_t all = c + sn + untimed, m_calls = sn + untimed;
  st->count = all;
  st->timed = c + sn;
  /* the sampled calls: mean and mean square per call (ticks), their estimated sums */
  double m_mean = 0, m_sq = 0, var = 0;
  if (sn && sw) {
    m_mean = s_wd / (double)sw;
    m_sq = s_wd2 / (double)sw;
    double r = (double)m_calls / (double)sw;
    double ss = v2 - 2 * m_mean * v1 + m_mean * m_mean * v0;
    var = ss > 0 ? r * r * ss : 0;
  } else if (m_calls && c) { /* none of them timed yet: like the calls timed in full */
    m_mean = (double)total / (double)c;
    m_sq = (double)sq / (double)c;
  }
  if (m_calls && sn < 10) {
    double nr = (double)m_calls / (double)(sn ? sn : 1);
    double mv = (double)m_calls * (nr - 1) * m_sq;
    if (mv > var) var = mv;
  }
  double est_ticks = (double)total + (double)m_calls * m_mean;
  int fn = (n->flags & FZ_NODE_FUNC) != 0;
  /* fathom's own cost inside the calls: the part of each call's own zone work between its
   * counter reads, and every nested zone call */
  uint64_t ext = FZ_LD(n->ext), sp1 = FZ_LD(n->sp1); /* ext: no zone work inside them */
  /* weight-1 calls the special path timed hold its (fenced) part, like its sampled calls */
  double plain = (double)(c >= ext + sp1 ? c - ext - sp1 : 0), special = (double)(m_calls + sp1);
  double removed = plain * (fn ? fz_g.hook_in_ns : fz_g.zone_in_ns) +
                   special * (fn ? fz_g.hook_sp_in_ns : fz_g.zone_sp_in_ns) + n->b_inner;
  st->total_se_ns = var > 0 ? sqrt(var) * tick : 0;
  if (m_calls == 0) { /* every call timed with weight 1: the exact integer total */
    uint64_t exact = fz_ticks_to_ns(total), rm = (uint64_t)llround(removed);
    st->total_ns = exact > rm ? exact - rm : 0;
    st->overhead_ns = (double)(exact - st->total_ns);
  } else {
    double est_ns = est_ticks * tick, corr = est_ns - removed;
    /* fathom's calibrated cost inside the calls came to more than they measured (their
     * nested calls cost less here than calibrated): the estimate is cut at 0, which says
     * nothing of the path's own time, so its error is at least half of what was measured
     * (0 +- 2 se spans it). A path timed in full keeps its total as exact: there the cut
     * only meets the calibration's noise on calls with no work of their own. */
    if (corr < 0) {
      corr = 0;
      if (est_ns > 0 && st->total_se_ns < est_ns / 2) st->total_se_ns = est_ns / 2;
    }
    st->overhead_ns = est_ns - corr;
    st->total_ns = (uint64_t)(corr + 0.5);
  }
  double per = (double)fz_sampler_period_ns() * (fz_g.sampling != 0);
  double ss = (double)FZ_LD(n->ss);
  st->self_cpu_ns = ss * per;
  st->self_cpu_se_ns = sqrt(ss) * per;
  st->mean_ns = all ? (double)st->total_ns / (double)all : 0;
  if (c + sn) {
    uint64_t mn = FZ_LD(n->min), mx = FZ_LD(n->max);
    if (mn > mx) mn = mx;
    st->min_ns = fz_ticks_to_ns(mn); /* as measured: fz_snap_finish_nodes shifts them */
    st->max_ns = fz_ticks_to_ns(mx);
    if (m_calls == 0) {
      /* exact: M2 = sum(x^2) - sum(x)^2 / n in 128-bit integers (ticks), remainder kept */
      unsigned __int128 tot2 = (unsigned __int128)total * total;
      unsigned __int128 q = tot2 / c, rem = tot2 % c;
      double m2 = sq >= q ? (double)(sq - q) - (double)rem / (double)c : 0.0;
      st->stddev_ns = c > 1 && m2 > 0 ? sqrt(m2 / (double)(c - 1)) * tick : 0.0;
    } else {
      /* estimated sums over every call: of squares and of durations */
      double sum2 = (double)sq + (double)m_calls * m_sq, nn = (double)all;
      double m2 = sum2 - est_ticks * est_ticks / nn;
      st->stddev_ns = nn > 1 && m2 > 0 ? sqrt(m2 / (nn - 1)) * tick : 0.0;
    }
  }
  memset(dense, 0, FATHOM_HIST_BUCKETS * sizeof *dense);
  for (uint32_t sh = 0; sh + 6 <= FZ_HIST_LAST_M; sh++) {
    uintptr_t hb = FZ_LDA(FZ_HB(n, sh + 6));
    if (!hb) continue;
    for (uint32_t q = sh ? FZ_HIST_SUB : 0; q < 2 * FZ_HIST_SUB; q++) {
      uint64_t k = FZ_LD(*(const uint64_t *)(hb + 8 * q));
      if (k) dense[FZ_HIST_SUB * sh + q] += k;
    }
  }
  if (fz_hist_from_dense(h, dense)) *oom = 1;
  h->unit_ns = tick;
}

/* Least-squares slope of live bytes over calls: the bytes a call leaves behind. */
static double trend_slope(const fz_node *n) {
  const fz_trend *tr = FZ_LDA(n->trend);
  if (!tr) return 0;
  uint32_t k = FZ_LDA(tr->n);
  if (k < 4 || k > FZ_TREND_PTS) return 0;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (uint32_t i = 0; i < k; i++) {
    double x = (double)FZ_LD(tr->calls[i]), y = (double)FZ_LD(tr->live[i]);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  double den = k * sxx - sx * sx;
  return den > 0 ? (k * sxy - sx * sy) / den : 0;
}

/* Probes, allocations, FLOPs and sampling of recorder node n, added to model node m. */
/* all: n's calls as node_stats read them (a live snapshot reads the counters one by one) */
static void add_extras(build *b, fathom_node *m, const fz_node *n, uint64_t all) {
  fathom_res r;
  memset(&r, 0, sizeof r);
  r.samples = FZ_LD(n->psamples);
  uint32_t pe = FZ_LD(n->p_every), te0 = FZ_LD(n->t_every);
  if (pe == FZ_P_AUTO) pe = FZ_LD(n->p_cur);
  double every = (double)pe * (double)(te0 > 1 ? te0 : 1); /* probed calls among all calls */
  r.sample_every = every >= 4294967295.0 ? UINT32_MAX : (uint32_t)every;
  r.mask = FZ_LD(n->pmask);
  if (!fz_node_cpu_split_known(n)) /* too little CPU for the kernel's split: the sum only */
    r.mask &= ~((1u << FATHOM_RES_CPU_USER_NS) | (1u << FATHOM_RES_CPU_SYS_NS));
  /* the ratio estimate over every call: the probed calls' weighted mean (each weighs the
   * inverse of its probability of being probed) times the exact number of calls */
  uint64_t pw = FZ_LD(n->pweight);
  double calls = (double)all;
  if (r.samples > all) r.samples = all; /* a live snapshot may read a call half-recorded */
  double k = pw ? calls / (double)pw : 0;
  for (int i = 0; i < FATHOM_RES_N; i++) r.sum[i] = (double)FZ_LD(n->psum[i]) * k;
  fz_res_add(&m->res, &r);
  uint32_t cell = FZ_LD(n->acell);
  fathom_alloc a;
  if (cell && fz_alloc_cell_read(cell, b->gen, &a) == 0) {
    a.growth_bytes_per_call = trend_slope(n);
    fz_alloc_add(&m->alloc_self, &a);
  }
  m->flops_self += fz_bits_d(FZ_LD(n->flops_bits));
  int64_t hp = FZ_LD(n->hpeak);
  if ((double)hp > m->heap_peak_bytes) m->heap_peak_bytes = (double)hp;
  m->heap_peak_calls += FZ_LD(n->hpeak_n);
  m->gov |= FZ_LD(n->gov);
  uint32_t te = FZ_LD(n->t_every);
  if (te > m->time_every) m->time_every = te;
}

static uint32_t add_node(build *b, uint32_t parent, uint32_t zone, uint32_t thread) {
  /* top-level paths are per thread; below, the parent already is */
  uint64_t key = parent == FATHOM_NONE ? (1ull << 63) | ((uint64_t)thread << 32) | zone
                                       : ((uint64_t)parent << 32) | zone;
  uint32_t idx = kmap_get(&b->child, key);
  if (idx != FATHOM_NONE) return idx;
  fathom_profile *p = b->p;
  if (p->n_nodes == b->cap_nodes) {
    uint32_t cap = b->cap_nodes ? b->cap_nodes * 2 : 256;
    fathom_node *nn = realloc(p->nodes, cap * sizeof *nn);
    if (!nn) { b->oom = 1; return FATHOM_NONE; }
    p->nodes = nn;
    b->cap_nodes = cap;
  }
  idx = p->n_nodes++;
  fathom_node *m = &p->nodes[idx];
  memset(m, 0, sizeof *m);
  m->zone = zone;
  m->parent = parent;
  m->thread = thread;
  m->depth = parent == FATHOM_NONE ? 1 : p->nodes[parent].depth + 1;
  if (kmap_put(&b->child, key, idx)) b->oom = 1;
  return idx;
}

static void add_metrics(build *b, fathom_node *m, const fz_node *n) {
  for (fz_mrec *r = FZ_LDA(n->metrics); r; r = r->next) {
    uint64_t cnt = FZ_LD(r->count);
    if (!cnt) continue;
    fathom_metric_stats *ms = NULL;
    for (uint32_t i = 0; i < m->n_metrics; i++)
      if (strcmp(m->metrics[i].name, r->name) == 0) ms = &m->metrics[i];
    double sum = fz_bits_d(FZ_LD(r->sum_bits)), mn = fz_bits_d(FZ_LD(r->min_bits)),
           mx = fz_bits_d(FZ_LD(r->max_bits));
    if (!ms) {
      fathom_metric_stats *v = realloc(m->metrics, (m->n_metrics + 1) * sizeof *v);
      if (!v) { b->oom = 1; return; }
      m->metrics = v;
      ms = &v[m->n_metrics++];
      memset(ms, 0, sizeof *ms);
      ms->name = strdup(r->name);
      if (!ms->name) b->oom = 1;
      ms->min = mn;
      ms->max = mx;
    }
    ms->count += cnt;
    ms->sum += sum;
    if (mn < ms->min) ms->min = mn;
    if (mx > ms->max) ms->max = mx;
  }
}

/* Breadth-first over one thread's tree so model parents precede children. */
/* The breadth-first queue of a thread's nodes, grown as needed (a tree may have any number
 * of top-level zones). */
struct qe { const fz_node *n; uint32_t parent; };
typedef struct bfs { struct qe *v; size_t cap, head, tail; } bfs;

static int bfs_push(bfs *q, const fz_node *n, uint32_t parent) {
  if (q->tail == q->cap && q->head > 0) { /* compact */
    memmove(q->v, q->v + q->head, (q->tail - q->head) * sizeof *q->v);
    q->tail -= q->head;
    q->head = 0;
  }
  if (q->tail == q->cap) {
    struct qe *nv = realloc(q->v, q->cap * 2 * sizeof *nv);
    if (!nv) return -1;
    q->v = nv;
    q->cap *= 2;
  }
  q->v[q->tail++] = (struct qe){n, parent};
  return 0;
}

static void add_thread_tree(build *b, fz_thread *t, uint32_t mthread, uint64_t *dense) {
  if (fz_snap_inner_costs(t)) {
    b->oom = 1;
    return;
  }
  b->root_flops += fz_bits_d(FZ_LD(t->root.flops_bits));
  bfs q = {malloc(256 * sizeof(struct qe)), 256, 0, 0};
  if (!q.v) { b->oom = 1; return; }
  for (fz_node *c = FZ_LDA(t->root.first_child); c && !b->oom; c = c->next_sibling)
    if (bfs_push(&q, c, FATHOM_NONE)) b->oom = 1;
  while (q.head < q.tail && !b->oom) {
    struct qe e = q.v[q.head++];
    const fz_node *n = e.n;
    uint32_t mi = e.parent; /* an excluded (muted) function: its callees go to its caller */
    b->zone_cost_ns += fz_snap_own_cost(n);
    if (!(n->flags & FZ_NODE_MUTED)) {
      uint32_t zone = zone_for_site(b, n->site);
      if (zone == FATHOM_NONE) break;
      mi = add_node(b, e.parent, zone, mthread);
      if (mi == FATHOM_NONE) break;
      fathom_stats st;
      fathom_hist h;
      node_stats(n, &st, &h, dense, &b->oom);
      fathom_node *m = &b->p->nodes[mi];
      fz_stats_merge(&m->stats, &st);
      if (fz_hist_merge(&m->hist, &h)) b->oom = 1;
      fz_hist_free(&h);
      add_metrics(b, m, n);
      add_extras(b, m, n, st.count);
      if (fz_ext_model_node(b->p, m, n, st.count)) b->oom = 1;   /* extensions (record/ext.c) */
    } else if (mi != FATHOM_NONE) { /* an excluded function's allocations: its caller's */
      fathom_alloc a;
      uint32_t cell = FZ_LD(n->acell);
      if (cell && fz_alloc_cell_read(cell, b->gen, &a) == 0) fz_alloc_add(&b->p->nodes[mi].alloc_self, &a);
    }
    for (fz_node *c = FZ_LDA(n->first_child); c; c = c->next_sibling)
      if (bfs_push(&q, c, mi)) { b->oom = 1; break; }
  }
  free(q.v);
}

static void fill_meta(build *b, uint32_t g, int final) {
  fathom_meta *m = &b->p->meta;
  m->schema_version = FATHOM_SCHEMA_VERSION;
  m->fathom_version = strdup(FATHOM_VERSION_STRING);
  m->session_name = strdup(fz_g.session_name);
  m->session_id = fz_g.session_id;
  m->start_unix_ns = fz_g.start_unix_ns;
  uint64_t end = final ? fz_g.end_ticks : fz_ticks();
  m->duration_ns = fz_ticks_to_ns(end - fz_g.start_ticks);
  m->pid = (int64_t)getpid();
  char exe[1024];
  ssize_t r = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[r > 0 ? r : 0] = 0;
  m->program = strdup(exe);
  fz_meta_machine(m);
  m->level = fz_g.cfg.level;
  fz_clock ck;
  fz_clock_info(&ck);
  m->clock_source = strdup(ck.source);
  m->clock_resolution_ns = ck.resolution_ns;
  m->clock_read_ns = ck.read_ns;
  m->tsc_hz = ck.hz;
  m->zone_cost_ns = fz_g.zone_cost_ns;
  uint64_t cpu_end = final ? fz_g.cpu_at_end_ns : fz_process_cpu_ns();
  m->cpu_time_ns = cpu_end > fz_g.cpu_at_start_ns ? (double)(cpu_end - fz_g.cpu_at_start_ns) : 0;
  uint64_t misuse = fz_misuse_global() - fz_g.misuse_at_start;
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    if (FZ_LD(t->gen) != g || t->hidden) continue;
    m->dropped_zones += FZ_LD(t->dropped_zones);
    m->dropped_hist += FZ_LD(t->dropped_hist);
    misuse += FZ_LD(t->misuse);
    m->fathom_bytes += FZ_LD(t->bytes);
  }
  m->misuse = misuse;
  m->dropped_events = fz_g.cfg.timeline ? fz_timeline_dropped() : 0;
  for (uint32_t i = 0; i < b->p->n_nodes; i++) {
    m->n_zones += b->p->nodes[i].stats.count;
    m->n_timed += b->p->nodes[i].stats.timed;
  }
  m->overhead_budget_pct = fz_g.cfg.max_overhead_percent;
  m->governor = fz_g.cfg.governor != 0;
  m->probe_cost_ns = fz_g.probe_cost_ns;
  m->monitor_cpu_ns = (double)fz_sched_cpu_ns();
  m->sample_every = fz_g.cfg.level >= FATHOM_LEVEL_DETAILED ? fz_g.cfg.sample_every : 0;
  const char *why;
  m->alloc_tracking = fz_alloc_available(&why) && fz_g.cfg.level != FATHOM_LEVEL_DISABLED &&
                      (fz_g.cfg.alloc_track == 1 ||
                       (fz_g.cfg.alloc_track == -1 && fz_g.cfg.level >= FATHOM_LEVEL_DETAILED));
  /* what the zones cost (fathom's fixed costs are apart): measured where it is paid when
   * the CPU sampler ran long enough, else from the calibrated costs per call */
  m->overhead_calibrated_ns = b->zone_cost_ns;
  m->sample_period_ns = (double)fz_sampler_period_ns() * (fz_g.sampling != 0);
  m->sampler_cost_ns = fz_g.sampling ? fz_sampler_cost_ns() : 0;
  uint64_t sigs = 0;
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    if (FZ_LD(t->gen) != g || t->hidden) continue;
    m->cpu_samples += FZ_LD(t->s_all);
    m->cpu_samples_fathom += FZ_LD(t->s_fathom);
    sigs += FZ_LD(t->s_sig);
  }
  if (m->cpu_samples_fathom > m->cpu_samples) m->cpu_samples_fathom = m->cpu_samples;
  double per = m->sample_period_ns, ns = (double)m->cpu_samples, nf = (double)m->cpu_samples_fathom;
  /* the sampler counts user time: the probes' system calls (kernel time) at their
   * calibrated cost */
  uint64_t probed = 0;
  for (uint32_t i = 0; i < b->p->n_nodes; i++) probed += b->p->nodes[i].res.samples;
  m->overhead_measured_ns = nf * per + (double)sigs * m->sampler_cost_ns +
                            (double)probed * fz_g.probe_cost_ns;
  m->overhead_measured_se_ns = ns > 0 ? sqrt(nf * (1 - nf / ns)) * per : 0;
  m->overhead_ns = m->cpu_samples >= FZ_SAMPLES_ENOUGH ? m->overhead_measured_ns
                                                       : m->overhead_calibrated_ns;
  /* as a slowdown: over the program's own CPU time (the session's, less fathom's cost and its
   * background thread's) */
  double own = m->cpu_time_ns - m->overhead_ns - m->monitor_cpu_ns;
  if (own < 0.01 * m->cpu_time_ns) own = 0.01 * m->cpu_time_ns;
  m->overhead_pct = m->cpu_time_ns > 0 ? 100.0 * m->overhead_ns / own : 0;
  m->untimed_cost_ns = fz_g.untimed_cost_ns;
  m->zone_cost_in_ns = fz_g.zone_in_ns;
  m->hook_cost_ns = fz_g.hook_cost_ns;
  m->hook_untimed_cost_ns = fz_g.hook_untimed_ns;
  m->hook_cost_in_ns = fz_g.hook_in_ns;
  m->zone_special_cost_ns = fz_g.zone_sp_ns;
  m->zone_special_in_ns = fz_g.zone_sp_in_ns;
  m->hook_special_cost_ns = fz_g.hook_sp_ns;
  m->hook_special_in_ns = fz_g.hook_sp_in_ns;
  m->setup_ns = (double)fz_g.setup_ns;
  m->build_ns = 0; /* set by the session once the model and its analysis are built */
  m->fixed_cost_ns = m->setup_ns + m->monitor_cpu_ns;
  if (!m->fathom_version || !m->session_name || !m->program || !m->host || !m->os ||
      !m->kernel || !m->arch || !m->clock_source)
    b->oom = 1;
}

typedef struct tl_ctx { build *b; uint64_t cap_ev, cap_cev; uint64_t start; } tl_ctx;

static void on_event(void *vctx, uint32_t thread, const fz_tev *ev) {
  tl_ctx *c = vctx;
  build *b = c->b;
  fathom_profile *p = b->p;
  if (b->oom || thread >= b->n_thread_of || b->thread_of[thread] == FATHOM_NONE) return;
  uint64_t ts = ev->t0 > c->start ? fz_ticks_to_ns(ev->t0 - c->start) : 0;
  if (ev->id & FZ_TEV_COUNTER) {
    uint32_t id = ev->id & ~FZ_TEV_COUNTER;
    if (id >= p->n_counters) return;
    if (p->n_counter_events == c->cap_cev) {
      uint64_t cap = c->cap_cev ? c->cap_cev * 2 : 1024;
      void *nv = realloc(p->counter_events, cap * sizeof *p->counter_events);
      if (!nv) { b->oom = 1; return; }
      p->counter_events = nv;
      c->cap_cev = cap;
    }
    fathom_counter_event *ce = &p->counter_events[p->n_counter_events++];
    ce->counter = id;
    ce->thread = b->thread_of[thread];
    ce->ts_ns = ts;
    memcpy(&ce->value, &ev->t1, 8);
    return;
  }
  fathom_site *s = fz_site_by_id(ev->id);
  if (!s) return;
  uint32_t z = zone_for_site(b, s);
  if (z == FATHOM_NONE) return;
  if (p->n_events == c->cap_ev) {
    uint64_t cap = c->cap_ev ? c->cap_ev * 2 : 4096;
    void *nv = realloc(p->events, cap * sizeof *p->events);
    if (!nv) { b->oom = 1; return; }
    p->events = nv;
    c->cap_ev = cap;
  }
  fathom_event *e = &p->events[p->n_events++];
  e->thread = b->thread_of[thread];
  e->zone = z;
  e->depth = ev->depth;
  e->ts_ns = ts;
  e->dur_ns = ev->t1 > ev->t0 ? fz_ticks_to_ns(ev->t1 - ev->t0) : 0;
}

static int cmp_event(const void *x, const void *y) {
  const fathom_event *a = x, *b = y;
  if (a->ts_ns != b->ts_ns) return a->ts_ns < b->ts_ns ? -1 : 1;
  if (a->thread != b->thread) return a->thread < b->thread ? -1 : 1;
  return a->depth < b->depth ? -1 : a->depth > b->depth;
}
static int cmp_cevent(const void *x, const void *y) {
  const fathom_counter_event *a = x, *b = y;
  return a->ts_ns < b->ts_ns ? -1 : a->ts_ns > b->ts_ns;
}

static uint32_t zone_of_site(void *ctx, uint32_t id) {
  fathom_site *s = fz_site_by_id(id);
  return s ? zone_for_site(ctx, s) : FATHOM_NONE;
}

void fz_res_unmeasured(fathom_resources *r) {
  const double nan = NAN;
  memset(r, 0, sizeof *r);
  double *f[] = {&r->wall_s, &r->cpu_user_s, &r->cpu_sys_s, &r->cpu_pct_mean, &r->cpu_pct_max,
                 &r->rss_initial_bytes, &r->rss_peak_bytes, &r->rss_final_bytes, &r->vm_peak_bytes,
                 &r->sys_mem_total_bytes, &r->sys_mem_used_pct_max, &r->read_bytes,
                 &r->write_bytes, &r->disk_read_bytes, &r->disk_write_bytes, &r->net_rx_bytes,
                 &r->net_tx_bytes, &r->ctx_vol, &r->ctx_invol, &r->minflt, &r->majflt,
                 &r->gpu_mem_peak_bytes, &r->gpu_util_mean_pct, &r->gpu_util_max_pct,
                 &r->cpu_energy_j, &r->gpu_energy_j, &r->energy_j, &r->carbon_g,
                 &r->host_cpu_pct_mean, &r->host_cpu_pct_max, &r->disk_util_pct_max};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) *f[i] = nan;
}

static int probe_add(fathom_profile *p, const char *name, int avail, const char *detail) {
  fathom_probe_info *v = realloc(p->probes, (p->n_probes + 1) * sizeof *v);
  if (!v) return FATHOM_E_NOMEM;
  p->probes = v;
  v[p->n_probes].name = strdup(name);
  v[p->n_probes].available = avail;
  v[p->n_probes].detail = strdup(detail);
  p->n_probes++;
  return v[p->n_probes - 1].name && v[p->n_probes - 1].detail ? 0 : FATHOM_E_NOMEM;
}

/* The session-wide resources: summary, probes, monitor series, GPUs. */
static void fill_resources(build *b) {
  fathom_profile *p = b->p;
  fz_res_unmeasured(&p->res);
  p->res.carbon_g_per_kwh = fz_g.cfg.carbon_g_per_kwh;
  int level = (int)fz_g.cfg.level;
  fathom_probe_info info[8];
  uint32_t k = fz_probe_describe(level, info, 8); /* the probes the level and switches read */
  if (k) {
    fathom_probe_info *v = realloc(p->probes, (p->n_probes + k) * sizeof *v);
    if (!v) {
      for (uint32_t i = 0; i < k; i++) { free(info[i].name); free(info[i].detail); }
      b->oom = 1;
      return;
    }
    p->probes = v;
    memcpy(v + p->n_probes, info, k * sizeof *info);
    p->n_probes += k;
  }
  const char *why = "";
  int avail = fz_alloc_available(&why);
  if (probe_add(p, "alloc", avail,
                avail ? (p->meta.alloc_tracking ? "heap allocations by call path (malloc & co. interposed)"
                                                : "hooks linked; tracking off at this level (FATHOM_ALLOC=1 turns it on)")
                      : why))
    b->oom = 1;
  if (fz_g.cfg.level != FATHOM_LEVEL_DISABLED &&
      probe_add(p, "sampler", fz_g.sampling, fz_sampler_why()))
    b->oom = 1;
  if (fz_monitor_collect(p)) b->oom = 1;
  double wall_s = (double)p->meta.duration_ns / 1e9;
  p->res.flops = b->root_flops;
  for (uint32_t i = 0; i < p->n_nodes; i++) p->res.flops += p->nodes[i].flops_self;
  p->res.flops_per_s = wall_s > 0 ? p->res.flops / wall_s : 0;
  if (p->meta.alloc_tracking) {
    uint64_t c = 0, by = 0;
    fz_alloc_live_total(b->gen, &c, &by);
    p->res.leaked_count = c;
    p->res.leaked_bytes = by;
  }
}

/* Builds the model of generation g (caller holds fz_timeline_lock() then fz_g.lock). NULL when out of memory. */
fathom_profile *fz_build_profile(uint32_t g, int final) {
  int saved = errno;
  fz_alloc_pause();
  fz_clock_refine(); /* the rate over all the time so far; fixed while this model is built */
  build b;
  memset(&b, 0, sizeof b);
  b.gen = g;
  b.p = calloc(1, sizeof *b.p);
  b.n_site_zone = fz_site_count();
  b.site_zone = malloc((b.n_site_zone ? b.n_site_zone : 1) * sizeof *b.site_zone);
  b.n_thread_of = fz_g.n_threads_ever;
  b.thread_of = malloc((b.n_thread_of ? b.n_thread_of : 1) * sizeof *b.thread_of);
  uint64_t *dense = malloc(FATHOM_HIST_BUCKETS * sizeof *dense);
  if (!b.p || !b.site_zone || !b.thread_of || !dense) b.oom = 1;
  if (!b.oom) {
    for (uint32_t i = 0; i < b.n_site_zone; i++) b.site_zone[i] = FATHOM_NONE;
    for (uint32_t i = 0; i < b.n_thread_of; i++) b.thread_of[i] = FATHOM_NONE;
    fathom_profile *p = b.p;
    uint32_t nt = 0;
    for (fz_thread *t = fz_g.threads; t; t = t->next)
      if (FZ_LD(t->gen) == g && !t->hidden) nt++;
    p->threads = calloc(nt ? nt : 1, sizeof *p->threads);
    if (!p->threads) b.oom = 1;
    /* registry is newest-first: emit in registration order */
    for (uint32_t want = 0; !b.oom && want < fz_g.n_threads_ever; want++) {
      for (fz_thread *t = fz_g.threads; t; t = t->next) {
        if (t->index != want || FZ_LD(t->gen) != g || t->hidden) continue;
        uint32_t mt = p->n_threads++;
        b.thread_of[t->index] = mt;
        fathom_thread_info *ti = &p->threads[mt];
        ti->tid = t->tid;
        ti->name = strdup(t->name);
        if (!ti->name) b.oom = 1;
        ti->exited = FZ_LD(t->exited);
        ti->n_open = fz_depth(t);
        ti->n_dropped = FZ_LD(t->dropped_zones);
        for (uint64_t i = 0, nn = FZ_LDA(t->n_nodes); i < nn; i++)
          ti->n_recorded += FZ_LD(fz_node_at(t, i)->ext);
        uint32_t before = p->n_nodes;
        add_thread_tree(&b, t, mt, dense);
        for (uint32_t i = before; i < p->n_nodes; i++) ti->n_zones += p->nodes[i].stats.count;
      }
    }
    /* counters */
    uint32_t nm = fz_metrics_count();
    p->counters = calloc(nm ? nm : 1, sizeof *p->counters);
    if (!p->counters) b.oom = 1;
    if (!b.oom) {
      p->n_counters = fz_metrics_collect(g, p->counters, nm);
      for (uint32_t i = 0; i < p->n_counters; i++) {
        p->counters[i].name = strdup(fz_metric_name(i));
        if (!p->counters[i].name) b.oom = 1;
      }
    }
    if (!b.oom && fz_alloc_snapshots_collect(p, zone_of_site, &b)) b.oom = 1;
    if (!b.oom && fz_gov_collect(p, zone_of_site, &b)) b.oom = 1;
    if (!b.oom &&
        fz_snap_finish_nodes(b.p, fz_ticks_to_ns((final ? fz_g.end_ticks : fz_ticks()) - fz_g.start_ticks)))
      b.oom = 1;
    if (!b.oom && (fz_ext_model_finish(b.p, g) || fz_ext_derive(b.p))) b.oom = 1;
    if (!b.oom && fz_g.cfg.timeline) {
      p->timeline = 1;
      tl_ctx c = {&b, 0, 0, fz_g.start_ticks};
      fz_timeline_read(on_event, &c);   /* the caller holds the drain lock too */
      if (p->n_events) qsort(p->events, p->n_events, sizeof *p->events, cmp_event);
      if (p->n_counter_events)
        qsort(p->counter_events, p->n_counter_events, sizeof *p->counter_events, cmp_cevent);
    }
    if (!b.oom) fill_meta(&b, g, final);
    if (!b.oom) fill_resources(&b);
    if (!b.oom && fz_levels_fill(p)) b.oom = 1; /* levels per component, metric switches */
  }
  free(b.site_zone);
  free(b.thread_of);
  free(b.zone_by_name.e);
  free(b.child.e);
  free(dense);
  if (b.oom) {
    fathom_profile_free(b.p);
    b.p = NULL;
  }
  fz_alloc_resume();
  errno = saved;
  return b.p;
}
