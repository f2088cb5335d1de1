/* analysis/analyze.c: fathom_analyze: derives the per-zone figures every rule uses (the session's
 * time, time shares, each zone's own CPU/wall/I/O: its estimates over all calls minus its
 * children's), runs the rules, ranks what they found and stores it in the model; plus the
 * builder the rules add findings with.
 *
 * Invariant: the result depends only on the model and the thresholds: the ranking is a
 * total order (severity, score, class, zone, node, path), so two runs over the same profile
 * give byte-identical findings. Numbers in summaries use the C locale whatever the
 * program's locale is. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

/* ---- the builder ------------------------------------------------------------------- */

fathom_finding *fz_fa_new(fz_fa *fa, fathom_finding_class cls, fathom_severity sev,
                          double score, uint32_t zone, uint32_t node, const char *path) {
  if (fa->nomem || fa->n >= FZ_FIND_RAW_MAX) return NULL;
  if (fa->n == fa->cap) {
    uint32_t cap = fa->cap ? fa->cap * 2 : 32;
    fathom_finding *v = realloc(fa->v, cap * sizeof *v);
    if (!v) {
      fa->nomem = 1;
      return NULL;
    }
    fa->v = v;
    fa->cap = cap;
  }
  fathom_finding *f = &fa->v[fa->n];
  memset(f, 0, sizeof *f);
  f->cls = cls;
  f->severity = sev;
  f->score = isfinite(score) ? score : 0;
  f->zone = zone;
  f->node = node;
  f->path = fz_strdup_or_empty(path);
  f->summary = fz_strdup_or_empty("");
  if (!f->path || !f->summary) {
    fz_finding_free(f);
    fa->nomem = 1;
    return NULL;
  }
  fa->n++;
  return f;
}

void fz_fa_fig(fz_fa *fa, fathom_finding *f, const char *name, double v, const char *unit) {
  if (!f) return;
  fathom_figure *g = realloc(f->figures, (f->n_figures + 1) * sizeof *g);
  if (!g) {
    fa->nomem = 1;
    return;
  }
  f->figures = g;
  fathom_figure *x = &g[f->n_figures];
  x->name = fz_strdup(name);
  x->unit = fz_strdup_or_empty(unit);
  x->value = v;
  if (!x->name || !x->unit) {
    free(x->name);
    free(x->unit);
    fa->nomem = 1;
    return;
  }
  f->n_figures++;
}

static char *vfmt(const char *fmt, va_list ap) {
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  return fz_strdup(buf);
}

void fz_fa_sum(fz_fa *fa, fathom_finding *f, const char *fmt, ...) {
  if (!f) return;
  va_list ap;
  va_start(ap, fmt);
  char *s = vfmt(fmt, ap);
  va_end(ap);
  if (!s) {
    fa->nomem = 1;
    return;
  }
  free(f->summary);
  f->summary = s;
}

void fz_fa_sug(fz_fa *fa, fathom_finding *f, const char *fmt, ...) {
  if (!f) return;
  char **v = realloc(f->suggestions, (f->n_suggestions + 1) * sizeof *v);
  if (!v) {
    fa->nomem = 1;
    return;
  }
  f->suggestions = v;
  va_list ap;
  va_start(ap, fmt);
  char *s = vfmt(fmt, ap);
  va_end(ap);
  if (!s) {
    fa->nomem = 1;
    return;
  }
  v[f->n_suggestions++] = s;
}

void fz_finding_free(fathom_finding *f) {
  if (!f) return;
  free(f->path);
  free(f->summary);
  for (uint32_t i = 0; i < f->n_figures && f->figures; i++) {
    free(f->figures[i].name);
    free(f->figures[i].unit);
  }
  free(f->figures);
  for (uint32_t i = 0; i < f->n_suggestions && f->suggestions; i++) free(f->suggestions[i]);
  free(f->suggestions);
  memset(f, 0, sizeof *f);
}

void fz_findings_free(fathom_finding *v, uint32_t n) {
  for (uint32_t i = 0; i < n && v; i++) fz_finding_free(&v[i]);
  free(v);
}

void fz_slas_free(fathom_sla_result *v, uint32_t n) {
  for (uint32_t i = 0; i < n && v; i++) free(v[i].zone_name);
  free(v);
}

/* ---- derived figures ------------------------------------------------------------------ */

enum { OWN_CPU, OWN_WALL, OWN_CTX, OWN_IO, OWN_RSS, OWN_INVOL, OWN_N };

#define BIT(id) (1u << (id))

/* The resource sums each own-figure adds up (-1: none). */
static const int own_res[OWN_N][2] = {
    [OWN_CPU] = {FATHOM_RES_CPU_USER_NS, FATHOM_RES_CPU_SYS_NS},
    [OWN_WALL] = {FATHOM_RES_WALL_NS, -1},
    [OWN_CTX] = {FATHOM_RES_CTX_VOL, -1},
    [OWN_IO] = {FATHOM_RES_READ_BYTES, FATHOM_RES_WRITE_BYTES},
    [OWN_RSS] = {FATHOM_RES_RSS_DELTA_BYTES, -1},
    [OWN_INVOL] = {FATHOM_RES_CTX_INVOL, -1},
};

/* Estimate over all calls of node nd of one own-figure (k), or NAN when not measured (every
 * resource it adds up must have been measured). Schema 4: res.sum holds estimates of the
 * totals over all calls already (the loader scales older files), so nothing is scaled here.
 * CPU is the exact user + system sum (FATHOM_RES_CPU_NS) where recorded, else the two
 * tick-sampled parts added (older files, or both measured without the sum). */
static double node_est(const fathom_node *nd, int k) {
  const fathom_res *r = &nd->res;
  if (!r->samples || !nd->stats.count) return NAN;
  if (k == OWN_CPU && (r->mask & BIT(FATHOM_RES_CPU_NS)))
    return isfinite(r->sum[FATHOM_RES_CPU_NS]) ? r->sum[FATHOM_RES_CPU_NS] : NAN;
  double s = 0;
  for (int j = 0; j < 2; j++) {
    int id = own_res[k][j];
    if (id < 0) continue;
    if (!(r->mask & BIT(id))) return NAN;
    s += r->sum[id];
  }
  return isfinite(s) ? s : NAN;
}

static int shape(fz_actx *a);
static void wait_evidence(fz_actx *a, uint32_t z);

double fz_share_pct(double part, double whole) {
  if (!(whole > 0) || !isfinite(part) || !(part > 0)) return 0;
  double v = 100.0 * part / whole;
  return v < 100.0 ? v : 100.0;
}

static double pos(double v) { return isfinite(v) && v > 0 ? v : 0; }

double fz_call_cost(const fathom_meta *m, const fathom_zone_info *zi) {
  int fn = zi->kind == FATHOM_ZONE_KIND_FUNCTION;
  return pos(fn && pos(m->hook_cost_ns) > 0 ? m->hook_cost_ns : m->zone_cost_ns);
}

/* under_rec of every zone: every call of it made directly by one recursive zone R (its
 * nodes' parents are all of zone R), at two depths or more of R's recursion, its time per call
 * at the shallowest depth at least twice that at the deepest (a quicksort's partition: its
 * work shrinks as the recursion goes down). An interpreter's recursion, which calls the same
 * function at any depth with unrelated work, does not shrink that way. */
typedef struct ur_acc {
  uint32_t r;              /* 1 + R, 0 unset, UINT32_MAX: not under one recursion */
  uint32_t dmin, dmax;
  double tmin, cmin, tmax, cmax;
} ur_acc;

static int under_recursion(fz_actx *a) {
  const fathom_profile *p = a->p;
  ur_acc *u = calloc(p->n_zones ? p->n_zones : 1, sizeof *u);
  if (!u) return FATHOM_E_NOMEM;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *nd = &p->nodes[i];
    uint32_t z = nd->zone;
    if (z >= p->n_zones || !nd->stats.count || u[z].r == UINT32_MAX) continue;
    uint32_t par = nd->parent, r = par < p->n_nodes ? p->nodes[par].zone : FATHOM_NONE;
    if (r >= p->n_zones || r == z || !a->zx[r].recursive || (u[z].r && u[z].r != r + 1)) {
      u[z].r = UINT32_MAX;
      continue;
    }
    uint32_t d = 0, h = 0;
    for (uint32_t k = par; k != FATHOM_NONE && k < p->n_nodes && h < 4096;
         k = p->nodes[k].parent, h++)
      d += p->nodes[k].zone == r;
    double t = (double)nd->stats.total_ns, c = (double)nd->stats.count;
    if (!u[z].r) {
      u[z] = (ur_acc){r + 1, d, d, t, c, t, c};
      continue;
    }
    if (d < u[z].dmin) u[z].dmin = d, u[z].tmin = 0, u[z].cmin = 0;
    if (d == u[z].dmin) u[z].tmin += t, u[z].cmin += c;
    if (d > u[z].dmax) u[z].dmax = d, u[z].tmax = 0, u[z].cmax = 0;
    if (d == u[z].dmax) u[z].tmax += t, u[z].cmax += c;
  }
  for (uint32_t z = 0; z < p->n_zones; z++) {
    const ur_acc *x = &u[z];
    if (!x->r || x->r == UINT32_MAX || x->dmax <= x->dmin || !(x->cmin > 0) || !(x->cmax > 0))
      continue;
    if (x->tmin / x->cmin >= 2 * (x->tmax / x->cmax)) a->zx[z].under_rec = x->r;
  }
  free(u);
  return 0;
}

/* recursive, under_rec and thread_entry (a function called once per thread, at the thread's
 * top: main, a thread's start routine) of every zone. A node is recursive when its zone is
 * one of its ancestors (depth cap 4096: a longer chain is a damaged model, not a call tree);
 * a zone is under recursion when an ancestor of one of its nodes is a recursive node of
 * another zone. */
static int shape(fz_actx *a) {
  const fathom_profile *p = a->p;
  unsigned char *rec = calloc(p->n_nodes ? p->n_nodes : 1, 1);
  if (!rec) return FATHOM_E_NOMEM;
  for (uint32_t z = 0; z < p->n_zones; z++)
    a->zx[z].thread_entry = p->zones[z].stats.count > 0 &&
                            p->zones[z].kind == FATHOM_ZONE_KIND_FUNCTION;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *nd = &p->nodes[i];
    uint32_t z = nd->zone, d = 0;
    if (z >= p->n_zones || !nd->stats.count) continue;
    if (nd->parent != FATHOM_NONE || nd->stats.count != 1) a->zx[z].thread_entry = 0;
    if (nd->parent < p->n_nodes && p->nodes[nd->parent].zone != z &&
        p->nodes[nd->parent].zone < p->n_zones)
      a->zx[p->nodes[nd->parent].zone].kid_calls += (double)nd->stats.count;
    for (uint32_t k = nd->parent; k != FATHOM_NONE && k < p->n_nodes && d < 4096;
         k = p->nodes[k].parent, d++)
      if (p->nodes[k].zone == z) {
        a->zx[z].recursive = 1;
        rec[i] = 1;
        break;
      }
  }
  free(rec);
  return under_recursion(a);
}

/* wait_ev of zone z where the probes did not measure its own CPU time (module comment of
 * analysis.h). The sampler counts fathom's own code apart, so what fathom's hooks may cost
 * inside the zone's own time (fathom_in_ns) is counted as CPU in the bound; and the bound is
 * compared with the CPU every second of zone time got on average, so a host that preempts
 * the whole process makes no zone "waiting". Calls too short (their figures mostly fathom's
 * cost) or own time known too loosely (its standard error over a quarter of it) give no
 * evidence. */
static void wait_evidence(fz_actx *a, uint32_t z) {
  const fathom_profile *p = a->p;
  const fathom_meta *m = &p->meta;
  const fathom_zone_info *zi = &p->zones[z];
  const fathom_stats *st = &zi->stats;
  fz_zx *x = &a->zx[z];
  double self = (double)st->self_ns, per = fz_call_cost(m, zi);
  x->wait_ev = 0;
  x->wait_cpu_hi_ns = 0;
  /* fathom's hooks inside its own time: every child call's (enter and exit), the part of its
   * own calls' inside their interval, scaled by what the sampler measured of fathom's cost
   * over the calibrated estimate (the calibration can miss much of it) */
  double kf = pos(m->overhead_calibrated_ns) > 0 && pos(m->overhead_measured_ns) > 0
                  ? fmax(1.0, m->overhead_measured_ns / m->overhead_calibrated_ns) : 1.0;
  double in = pos(m->hook_cost_in_ns) > 0 && zi->kind == FATHOM_ZONE_KIND_FUNCTION
                  ? m->hook_cost_in_ns : per;
  x->fathom_in_ns = fmin(self, kf * (x->kid_calls * per + (double)st->count * in));
  /* `fathom run --wall`: stack samples (no calls) of running and waiting threads; a thread's
   * time waiting for a CPU is a frame of its own there, never in a zone's own time */
  int wall = m->clock_source && strcmp(m->clock_source, "perf_event+wall") == 0;
  if (x->own_ok || !(self > 0) || (!st->count && !wall)) return;
  if (wall && zi->name && strcmp(zi->name, "[waiting for a CPU]") == 0) return; /* contention */
  if (per > 0 && pos(st->mean_ns) < FZ_SHORT_X * per) return;
  if (pos(st->self_se_ns) > 0.25 * self) return;
  double lim = a->t->waiting_pct / 100.0;
  if (pos(m->sample_period_ns) > 0 && m->cpu_samples > 0) {
    double fat = x->fathom_in_ns;
    /* the CPU every second of zone time got, on average: a zone is waiting only when it got
     * far less than that (a host that preempts the whole process is no wait of one zone) */
    double base = !wall && a->top_ns > 0 && a->cpu_ns > 0 ? fmin(1.0, a->cpu_ns / a->top_ns) : 1.0;
    double hi = pos(st->self_cpu_ns) + 2 * pos(st->self_cpu_se_ns) + m->sample_period_ns + fat;
    if (hi <= lim * base * self) {
      x->wait_ev = FZ_WAIT_SAMPLED;
      x->wait_cpu_hi_ns = hi;
    }
  } else if (a->cpu_ns > 0 && a->cpu_ns <= lim * self) {
    x->wait_ev = FZ_WAIT_BOUND;
    x->wait_cpu_hi_ns = a->cpu_ns;
  }
}

/* How it works: a node's own figure is its estimate minus its children's estimates; a child
 * that was not measured (downgraded by the governor, say) makes its parent's own figure
 * unknown rather than wrong. A zone's own figure sums its nodes whose own figure is known. */
static int derive(fz_actx *a) {
  const fathom_profile *p = a->p;
  /* The session's time: the threads' top-level totals. Zones still open at the end (main()
   * under -finstrument-functions) or estimated totals can leave it below what the zones
   * add up to; it is then raised to the sum of every node's own time or the largest zone
   * total, whichever is larger, so no share can pass 100 %. */
  double top = 0, selfsum = 0, zmax = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    if (p->nodes[i].parent == FATHOM_NONE) top += (double)p->nodes[i].stats.total_ns;
    selfsum += (double)p->nodes[i].stats.self_ns;
  }
  for (uint32_t z = 0; z < p->n_zones; z++)
    zmax = fmax(zmax, (double)p->zones[z].stats.total_ns);
  a->top_ns = top;
  top = fmax(top, fmax(selfsum, zmax));
  if (!(top > 0)) top = (double)p->meta.duration_ns;
  a->time_ns = top;
  a->zx = calloc(p->n_zones ? p->n_zones : 1, sizeof *a->zx);
  double *own = calloc((size_t)(p->n_nodes ? p->n_nodes : 1) * OWN_N, sizeof *own);
  if (!a->zx || !own) {
    free(own);
    return FATHOM_E_NOMEM;
  }
  for (uint32_t i = 0; i < p->n_nodes; i++)
    for (int k = 0; k < OWN_N; k++) own[(size_t)i * OWN_N + k] = node_est(&p->nodes[i], k);
  unsigned char *inner = calloc(p->n_nodes ? p->n_nodes : 1, 1); /* 1: has children */
  if (!inner) {
    free(own);
    return FATHOM_E_NOMEM;
  }
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *nd = &p->nodes[i];
    if (nd->parent == FATHOM_NONE || nd->parent >= p->n_nodes || !nd->stats.count) continue;
    inner[nd->parent] = 1;
    for (int k = 0; k < OWN_N; k++) {
      double e = node_est(nd, k);
      double *po = &own[(size_t)nd->parent * OWN_N + k];
      *po = isfinite(e) ? *po - e : NAN;
    }
  }
  double sum[OWN_N * 2];
  for (uint32_t z = 0; z < p->n_zones; z++) {
    fz_zx *x = &a->zx[z];
    const fathom_stats *st = &p->zones[z].stats;
    x->share_pct = fz_share_pct((double)st->total_ns, top);
    x->self_share_pct = fz_share_pct((double)st->self_ns, top);
  }
  /* per zone: own CPU/wall/ctx over nodes where all three are known; I/O and RSS apart */
  double *acc = calloc((size_t)(p->n_zones ? p->n_zones : 1) * OWN_N * 2, sizeof *acc);
  unsigned char *zinner = calloc(p->n_zones ? p->n_zones : 1, 1);
  if (!acc || !zinner) {
    free(acc);
    free(zinner);
    free(inner);
    free(own);
    return FATHOM_E_NOMEM;
  }
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    uint32_t z = p->nodes[i].zone;
    if (z >= p->n_zones) continue;
    const double *o = &own[(size_t)i * OWN_N];
    double *s = &acc[(size_t)z * OWN_N * 2];
    if (isfinite(o[OWN_CPU]) && isfinite(o[OWN_WALL]) && isfinite(o[OWN_CTX])) {
      s[OWN_CPU] += o[OWN_CPU];
      s[OWN_WALL] += o[OWN_WALL];
      s[OWN_CTX] += o[OWN_CTX];
      if (isfinite(o[OWN_INVOL])) s[OWN_INVOL] += o[OWN_INVOL];
      s[OWN_N + OWN_CPU] += 1;
      zinner[z] |= inner[i];
    }
    if (isfinite(o[OWN_IO])) {
      s[OWN_IO] += o[OWN_IO];
      s[OWN_N + OWN_IO] += 1;
    }
    if (isfinite(o[OWN_RSS])) {
      s[OWN_RSS] += o[OWN_RSS];
      s[OWN_N + OWN_RSS] += 1;
    }
  }
  for (uint32_t z = 0; z < p->n_zones; z++) {
    fz_zx *x = &a->zx[z];
    memcpy(sum, &acc[(size_t)z * OWN_N * 2], sizeof sum);
    /* A leaf's CPU / wall is a ratio of sums over the same probed calls: sound even when
     * the probed calls are few, so it is applied to the exact own time of the statistics.
     * An inner zone's own figures are differences of estimates: trusted only when its wall
     * estimate agrees with that exact own time (within 25 %). */
    double self = (double)p->zones[z].stats.self_ns;
    x->own_ok = sum[OWN_N + OWN_CPU] > 0 && sum[OWN_WALL] > 0 && self > 0 &&
                sum[OWN_CPU] > -0.1 * sum[OWN_WALL] &&
                (!zinner[z] || fabs(sum[OWN_WALL] - self) <= 0.25 * fmax(sum[OWN_WALL], self));
    double ratio = x->own_ok ? fmin(1.0, fmax(0.0, sum[OWN_CPU] / sum[OWN_WALL])) : 0;
    x->own_cpu_pct = 100 * ratio;
    x->own_wall_ns = x->own_ok ? self : 0;
    x->own_cpu_ns = x->own_ok ? fmin(fmax(sum[OWN_CPU], 0), self) : 0;
    x->own_ctx_vol = fmax(sum[OWN_CTX], 0);
    x->own_ctx_invol = fmax(sum[OWN_INVOL], 0);
    x->io_ok = sum[OWN_N + OWN_IO] > 0;
    x->own_io_bytes = fmax(sum[OWN_IO], 0);
    x->rss_ok = sum[OWN_N + OWN_RSS] > 0;
    x->own_rss_bytes = sum[OWN_RSS];
  }
  free(acc);
  free(zinner);
  free(inner);
  free(own);
  a->cpu_ns = pos(p->meta.cpu_time_ns);
  if (shape(a)) return FATHOM_E_NOMEM;
  for (uint32_t z = 0; z < p->n_zones; z++) wait_evidence(a, z);
  return 0;
}

/* ---- ranking ----------------------------------------------------------------------- */

static int cmp_finding(const void *pa, const void *pb) {
  const fathom_finding *x = pa, *y = pb;
  if (x->severity != y->severity) return x->severity > y->severity ? -1 : 1;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  if (x->cls != y->cls) return x->cls < y->cls ? -1 : 1;
  if (x->zone != y->zone) return x->zone < y->zone ? -1 : 1;
  if (x->node != y->node) return x->node < y->node ? -1 : 1;
  return strcmp(x->path, y->path);
}

/* The rules, in the order they run (what they find is ranked afterwards). */
static const fz_zone_rule zone_rules[] = {
    fz_rule_slow,   fz_rule_cpu_bound, fz_rule_waiting, fz_rule_io,
    fz_rule_memory, fz_rule_churn,     fz_rule_tail,    fz_rule_hot,
};
/* the rules that also judge stack-sampled zones (fathom run: time without counted calls;
 * waiting: with --wall, whose samples see threads off the CPU) */
static const fz_zone_rule sampled_rules[] = {fz_rule_hot, fz_rule_waiting};
static const fz_session_rule session_rules[] = {
    fz_rule_leak, fz_rule_imbalance, fz_rule_gpu_memory, fz_rule_gpu_idle, fz_rule_overhead,
    fz_rule_sla, fz_rule_slow_query, fz_rule_locks, fz_rule_slow_endpoint, fz_rule_ext,
};

static int run_rules(fz_actx *a) {
  for (uint32_t z = 0; z < a->p->n_zones; z++) {
    const fathom_stats *st = &a->p->zones[z].stats;
    if (fathom_stats_uncounted(st)) {
      for (size_t r = 0; r < sizeof sampled_rules / sizeof sampled_rules[0]; r++) sampled_rules[r](a, z);
      continue;
    }
    if (!st->count) continue;
    for (size_t r = 0; r < sizeof zone_rules / sizeof zone_rules[0]; r++) zone_rules[r](a, z);
  }
  int rc = 0;
  for (size_t r = 0; r < sizeof session_rules / sizeof session_rules[0]; r++) {
    int e = session_rules[r](a);
    if (!rc) rc = e;
  }
  return rc;
}

static int analyze_c(fathom_profile *p, const fathom_thresholds *t) {
  fz_fa fa = {0};
  fz_actx a = {p, t, 0, 0, 0, NULL, &fa};
  int rc = derive(&a);
  if (!rc) rc = run_rules(&a);
  free(a.zx);
  if (!rc && fa.nomem) rc = FATHOM_E_NOMEM;
  fz_findings_free(p->findings, p->n_findings);
  p->findings = NULL;
  p->n_findings = 0;
  if (rc) {
    fz_findings_free(fa.v, fa.n);
    return rc;
  }
  if (fa.n) qsort(fa.v, fa.n, sizeof *fa.v, cmp_finding);
  uint32_t keep = fa.n < FZ_FIND_MAX ? fa.n : FZ_FIND_MAX;
  for (uint32_t i = keep; i < fa.n; i++) fz_finding_free(&fa.v[i]);
  for (uint32_t i = 0; i < keep; i++) fa.v[i].rank = i + 1;
  if (keep == 0) {
    free(fa.v);
    fa.v = NULL;
  }
  p->findings = fa.v;
  p->n_findings = keep;
  return 0;
}

FATHOM_EXTERN int fathom_analyze(fathom_profile *p, const fathom_thresholds *t) {
  if (!p) return FATHOM_E_INVAL;
  int saved = errno;
  fathom_thresholds def;
  if (!t) {
    fathom_thresholds_init(&def);
    fathom_thresholds_from_env(&def);
    t = &def;
  }
  locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  locale_t prev = c ? uselocale(c) : (locale_t)0;
  int rc = analyze_c(p, t);
  if (c) {
    uselocale(prev);
    freelocale(c);
  }
  errno = saved;
  return rc;
}
