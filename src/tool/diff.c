/* diff.c: `fathom diff`'s matching: zones are paired by (name, component), call paths by the
 * sequence of (name, component) from the top level; each pair (or lone zone) becomes a row
 * whose figures are filled from both profiles and then judged (diff_stat.c).
 *
 * Invariant: matching uses one hash table of canonical ids keyed by (parent id, name,
 * component), so a path's key is its parent's id plus its own zone: memory stays linear in
 * the number of paths whatever their depth, and every row has at most one index per side. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "model/estimates.h"
#include "view/text.h"
#include "model/model.h"

#define ROOT_ZONES (FATHOM_NONE - 1)   /* the parent id of every zone key */

static const char *comp_of(const char *c) { return c && *c ? c : "default"; }
static const char *name_of(const char *n) { return n ? n : ""; }
/* The component a zone is matched by: a sampled function of the profiled program itself
 * (fathom run: its component is the program's file name) matches the other side's program,
 * whatever each binary is called (variants built under other names). */
static const char *comp_key(const fathom_profile *p, const fathom_zone_info *z) {
  const char *c = comp_of(z->component);
  const char *prog = p->meta.program, *base = prog ? strrchr(prog, '/') : NULL;
  base = base ? base + 1 : prog;
  if (z->kind == FATHOM_ZONE_KIND_FUNCTION && base && *base && !strcmp(c, base))
    return "\001the program";
  return c;
}
/* Calls whose duration was measured (timed, or every call where the file leaves it 0). */
static uint64_t timed_of(const fathom_stats *st) {
  return st->timed && st->timed <= st->count ? st->timed : st->count;
}

/* ---- canonical ids: an open-addressing table of (parent, name, component) ---- */
typedef struct dkey {
  uint32_t parent, cid;
  const char *name, *comp;
} dkey;
typedef struct dmap {
  dkey *slot;   /* name NULL: empty */
  uint32_t mask, n;
} dmap;

static uint64_t str_hash(uint64_t h, const char *s) {
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return (h ^ 0xff) * 1099511628211ULL;
}

static int dmap_init(dmap *m, uint64_t max_keys) {
  uint64_t cap = 16;
  while (cap < 2 * max_keys + 2) cap *= 2;
  if (cap > (1ULL << 31)) return FATHOM_E_NOMEM;
  m->slot = calloc(cap, sizeof *m->slot);
  m->mask = (uint32_t)(cap - 1);
  m->n = 0;
  return m->slot ? 0 : FATHOM_E_NOMEM;
}

/* The canonical id of (parent, name, comp), a new one (m->n - 1) if never seen. */
static uint32_t dmap_id(dmap *m, uint32_t parent, const char *name, const char *comp) {
  uint64_t h = str_hash(str_hash(14695981039346656037ULL ^ parent, name), comp);
  for (uint32_t i = (uint32_t)h & m->mask;; i = (i + 1) & m->mask) {
    dkey *k = &m->slot[i];
    if (!k->name) {
      *k = (dkey){parent, m->n++, name, comp};
      return k->cid;
    }
    if (k->parent == parent && strcmp(k->name, name) == 0 && strcmp(k->comp, comp) == 0)
      return k->cid;
  }
}

/* ---- rows ---- */
/* Rows of one kind (zones or paths) under construction. Every index of the base side gets a
 * row; the rows of one canonical id are chained (head, tail, next) in order, and the new
 * side's k-th index of an id joins the id's k-th row: a zone duplicated in a hand-made file
 * (or a path under it) pairs with its k-th namesake, so a file compared with itself matches
 * every row with itself; an index left over gets a row of its own. Constant time per index,
 * whatever the duplicates. */
typedef struct drows {
  diff_row **rows;
  uint32_t *n, cap;
  uint32_t *head, *tail, *next;   /* per canonical id, per id, per row (FATHOM_NONE: none) */
} drows;

static int drows_init(drows *d, diff_row **rows, uint32_t *n, uint64_t max_ids) {
  *d = (drows){rows, n, 0, NULL, NULL, NULL};
  size_t bytes = ((size_t)max_ids + 1) * sizeof(uint32_t);
  d->head = malloc(bytes);
  d->tail = malloc(bytes);
  d->next = malloc(bytes);
  if (!d->head || !d->tail || !d->next) return FATHOM_E_NOMEM;
  memset(d->head, 0xff, bytes);   /* FATHOM_NONE */
  return 0;
}

static void drows_free(drows *d) {
  free(d->head);
  free(d->tail);
  free(d->next);
}

static int rows_add(drows *d, uint32_t cid, int side, uint32_t idx) {
  uint32_t k = d->head[cid];
  if (side && k != FATHOM_NONE) {   /* the id's next row not yet paired */
    (*d->rows)[k].ib = idx;
    d->head[cid] = d->next[k];
    return 0;
  }
  if (*d->n == d->cap) {
    uint32_t nc = d->cap ? d->cap * 2 : 64;
    diff_row *g = realloc(*d->rows, (size_t)nc * sizeof *g);
    if (!g) return FATHOM_E_NOMEM;
    *d->rows = g;
    d->cap = nc;
  }
  uint32_t i = (*d->n)++;
  diff_row *r = &(*d->rows)[i];
  memset(r, 0, sizeof *r);
  r->ia = side ? FATHOM_NONE : idx;
  r->ib = side ? idx : FATHOM_NONE;
  if (side) return 0;
  d->next[i] = FATHOM_NONE;
  if (k == FATHOM_NONE) d->head[cid] = i;
  else d->next[d->tail[cid]] = i;
  d->tail[cid] = i;
  return 0;
}

static int match_zones(diff_result *r) {
  const fathom_profile *pa = r->a.p, *pb = r->b.p;
  uint64_t max = (uint64_t)pa->n_zones + pb->n_zones;
  dmap m;
  drows d;
  int rc = dmap_init(&m, max);
  if (rc) return rc;
  rc = drows_init(&d, &r->zones, &r->n_zones, max);
  for (int side = 0; side < 2 && !rc; side++) {
    const fathom_profile *p = side ? pb : pa;
    for (uint32_t i = 0; i < p->n_zones && !rc; i++) {
      uint32_t cid = dmap_id(&m, ROOT_ZONES, name_of(p->zones[i].name),
                             comp_key(p, &p->zones[i]));
      rc = rows_add(&d, cid, side, i);
    }
  }
  drows_free(&d);
  free(m.slot);
  return rc;
}

static int match_paths(diff_result *r) {
  uint64_t max = (uint64_t)r->a.n_paths + r->b.n_paths;
  dmap m;
  drows d;
  if (dmap_init(&m, max)) return FATHOM_E_NOMEM;
  uint32_t n_max = r->a.n_paths > r->b.n_paths ? r->a.n_paths : r->b.n_paths;
  uint32_t *cid = malloc(((size_t)n_max + 1) * sizeof *cid);
  int rc = drows_init(&d, &r->paths, &r->n_paths, max);
  if (!cid) rc = FATHOM_E_NOMEM;
  for (int side = 0; side < 2 && !rc; side++) {
    const diff_side *s = side ? &r->b : &r->a;
    for (uint32_t i = 0; i < s->n_paths && !rc; i++) {
      const fz_path *fp = &s->paths[i];
      const fathom_zone_info *z = &s->p->zones[fp->zone];
      uint32_t parent = fp->parent < i ? cid[fp->parent] : FATHOM_NONE;
      cid[i] = dmap_id(&m, parent, name_of(z->name), comp_key(s->p, z));
      rc = rows_add(&d, cid[i], side, i);
    }
  }
  drows_free(&d);
  free(cid);
  free(m.slot);
  return rc;
}

/* ---- the sides ---- */
static double zone_time(const fathom_profile *p) {
  double t = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].parent == FATHOM_NONE) t += (double)p->nodes[i].stats.total_ns;
  return t;
}

static int side_init(diff_side *s, const fathom_profile *p, const char *file) {
  memset(s, 0, sizeof *s);
  s->p = p;
  s->file = file;
  s->zone_time_ns = zone_time(p);
  double v = 0;
  for (uint32_t i = 0; i < p->n_zones; i++) {
    const fathom_stats *st = &p->zones[i].stats;
    if (isfinite(st->self_cpu_ns)) s->cpu_ns += st->self_cpu_ns;
    if (isfinite(st->self_cpu_se_ns)) v += st->self_cpu_se_ns * st->self_cpu_se_ns;
  }
  s->cpu_se_ns = sqrt(v);   /* the zones' samples are disjoint: independent Poisson counts */
  /* timed zone calls: meta.n_timed where the file says (schema 4), else from the zones */
  if (p->meta.n_timed && p->meta.n_timed <= p->meta.n_zones) {
    s->n_timed = p->meta.n_timed;
  } else {
    uint64_t untimed = 0;
    for (uint32_t i = 0; i < p->n_nodes; i++)
      untimed += p->nodes[i].stats.count - timed_of(&p->nodes[i].stats);
    s->n_timed = p->meta.n_zones > untimed ? p->meta.n_zones - untimed : 0;
  }
  uint32_t first = FATHOM_NONE;
  int rc = fz_paths_build(p, &s->paths, &s->n_paths, &first);
  if (rc) return rc;
  /* the paths' standard errors and percentile intervals from their nodes' (a path the
   * nodes do not describe consistently keeps none: its sampled side falls back on the error
   * of a simple random sample, diff_stat.c) */
  rc = fz_paths_est_fill(p, s->paths, s->n_paths);
  if (rc && rc != FATHOM_E_FORMAT) return rc;
  if (s->n_paths) rc = fz_paths_res_build(p, s->paths, s->n_paths, &s->pres);
  return rc;
}

static void side_free(diff_side *s) {
  if (s->paths) fz_paths_free(s->paths, s->n_paths);
  free(s->pres);
  s->paths = NULL;
  s->pres = NULL;
}

/* What cannot be compared, as notes, and the systematic per-call difference it allows. */
static void note(diff_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(diff_result *r, const char *fmt, ...) {
  va_list ap;
  if (r->n_notes >= DIFF_MAX_NOTES) return;
  va_start(ap, fmt);
  vsnprintf(r->notes[r->n_notes++], DIFF_NOTE_LEN, fmt, ap);
  va_end(ap);
}

static const char *s_or(const char *s, const char *d) { return s && *s ? s : d; }

/* Whether any zone of p counted its calls (a sampled profile's do not). */
static int counted(const fathom_profile *p) {
  for (uint32_t z = 0; z < p->n_zones; z++)
    if (p->zones[z].stats.count) return 1;
  return 0;
}

static void comparability(diff_result *r) {
  const fathom_meta *a = &r->a.p->meta, *b = &r->b.p->meta;
  double bias = fabs(a->zone_cost_ns - b->zone_cost_ns);
  if (!isfinite(bias)) bias = 0;
  if (a->level != b->level) {
    note(r, "levels differ (%s vs %s): instrumentation costs differ per call, so timings "
         "are compared with that difference allowed and resources only where both measured "
         "them", fathom_level_name(a->level), fathom_level_name(b->level));
    double pc = a->probe_cost_ns > b->probe_cost_ns ? a->probe_cost_ns : b->probe_cost_ns;
    if (isfinite(pc) && pc > 0) bias += pc;
  }
  if (strcmp(s_or(a->clock_source, "?"), s_or(b->clock_source, "?")) != 0) {
    note(r, "clock sources differ (%s vs %s): differences within the clocks' resolution "
         "and read cost are not judged beyond noise", s_or(a->clock_source, "unknown"),
         s_or(b->clock_source, "unknown"));
    double res = a->clock_resolution_ns > b->clock_resolution_ns ? a->clock_resolution_ns
                                                                 : b->clock_resolution_ns;
    double rd = fabs(a->clock_read_ns - b->clock_read_ns);
    if (isfinite(res)) bias += res;
    if (isfinite(rd)) bias += rd;
  }
  r->a.bias_ns = r->b.bias_ns = bias;
  r->timing_ok = 1;
  r->alloc_ok = a->alloc_tracking && b->alloc_tracking;
  if (a->alloc_tracking != b->alloc_tracking)
    note(r, "allocations were tracked in the %s profile only: allocation figures are not "
         "compared", a->alloc_tracking ? "base" : "new");
  if (a->dropped_zones || b->dropped_zones)
    note(r, "zone calls were dropped by caps (%s%s): call counts there are lower bounds",
         a->dropped_zones ? "base" : "", b->dropped_zones ? (a->dropped_zones ? ", new" : "new") : "");
  if (strcmp(s_or(a->program, ""), s_or(b->program, "")) != 0 && a->program && b->program &&
      *a->program && *b->program)
    note(r, "the profiles come from different programs (%s vs %s)", a->program, b->program);
}

/* ---- filling the figures of a row ---- */
static int src_of(const diff_result *r, const diff_row *row, int side, int path, dsrc *s) {
  const diff_side *d = side ? &r->b : &r->a;
  uint32_t i = side ? row->ib : row->ia;
  if (i == FATHOM_NONE) return 0;
  if (path) {
    *s = (dsrc){&d->paths[i].stats, &d->paths[i].hist, &d->pres[i].alloc, &d->pres[i].res};
  } else {
    const fathom_zone_info *z = &d->p->zones[i];
    *s = (dsrc){&z->stats, &z->hist, &z->alloc, &z->res};
  }
  return 1;
}

/* The RSS change over all calls: res sums are estimates over every call (schema 4; the
 * loader scales older files). */
static double rss_of(const dsrc *s) {
  if (!(s->res->mask & (1u << FATHOM_RES_RSS_DELTA_BYTES)) || !s->res->samples) return NAN;
  return s->res->sum[FATHOM_RES_RSS_DELTA_BYTES];
}


static void fill_side(const diff_result *r, diff_row *row, const dsrc *s, int side) {
  double v[DM_N];
  v[DM_CALLS] = (double)s->st->count;
  v[DM_TOTAL] = (double)s->st->total_ns;
  v[DM_MEAN] = s->st->count ? s->st->mean_ns : NAN;
  v[DM_P50] = s->st->count ? s->st->p50_ns : NAN;
  v[DM_P99] = s->st->count ? s->st->p99_ns : NAN;
  int al = side ? r->b.p->meta.alloc_tracking : r->a.p->meta.alloc_tracking;
  v[DM_ALLOC_BYTES] = al ? (double)s->al->alloc_bytes : NAN;
  v[DM_ALLOC_COUNT] = al ? (double)s->al->alloc_count : NAN;
  v[DM_LIVE_BYTES] = al ? (double)s->al->live_bytes : NAN;
  v[DM_RSS] = rss_of(s);
  v[DM_SELF] = (double)s->st->self_ns;
  v[DM_CPU] = r->cpu_ok && isfinite(s->st->self_cpu_ns) ? s->st->self_cpu_ns : NAN;
  for (int k = 0; k < DM_N; k++) {
    if (side) row->m[k].b = v[k];
    else row->m[k].a = v[k];
  }
}

/* Own-time change of a row compared on both sides: the change of its own CPU time where both
 * sides ran the CPU sampler (own time that was spent waiting, a worker loop idle longer, is
 * not CPU time), else of its self time. */
static double impact_of(const diff_result *r, const dsrc *a, const dsrc *b) {
  if (r->cpu_ok) return b->st->self_cpu_ns - a->st->self_cpu_ns;
  return (double)b->st->self_ns - (double)a->st->self_ns;
}

/* The CPU sampler's period of the two runs, the longer one (ns). */
static double sample_period(const diff_result *r) {
  double pa = r->a.p->meta.sample_period_ns, pb = r->b.p->meta.sample_period_ns;
  return pa > pb ? pa : pb;
}

/* The CPU evidence of a row: its own CPU time's change (CPU sampler: samples x period,
 * standard error sqrt(samples) x period) once the run's overall change of sampled program CPU
 * time is allowed for (a machine that ran the whole program slower or faster moves every zone
 * alike), in standard errors (*z, NaN without samples) and in ns (*d). */
static void cpu_z_of(const diff_result *r, const dsrc *a, const dsrc *b, double *z, double *d) {
  *z = *d = NAN;
  if (!r->cpu_ok || !(r->a.cpu_ns > 0) || !(r->b.cpu_ns > 0)) return;
  double k = r->b.cpu_ns / r->a.cpu_ns;   /* the run's scale */
  double ea = a->st->self_cpu_se_ns, eb = b->st->self_cpu_se_ns;
  double dd = b->st->self_cpu_ns - k * a->st->self_cpu_ns;
  double v = eb * eb + k * k * ea * ea;
  double p = sample_period(r);
  if (!isfinite(dd) || !isfinite(v)) return;
  if (v < p * p) v = p * p;   /* no sample on either side still allows one */
  *d = dd;
  *z = dd / sqrt(v);
}

static int cmp_dbl(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* How much more the zones' own CPU times vary between these two runs than sampling alone
 * explains: the median |z| of the zones called as often on both sides (the same work) with at
 * least 5 samples on a side, over that of a
 * normal variable (0.6745), at least 1. Zones run at other moments of the run, with other
 * caches and clock speeds; one zone that really changed hardly moves a median. */
static double cpu_dispersion(const diff_result *r) {
  double p = sample_period(r);
  double *z = malloc(((size_t)r->n_zones + 1) * sizeof *z);
  uint32_t n = 0;
  if (!z) return 1;
  for (uint32_t i = 0; i < r->n_zones; i++) {
    const diff_row *w = &r->zones[i];
    if (w->status != DROW_BOTH || !isfinite(w->cpu_z)) continue;
    if (w->m[DM_CALLS].a != w->m[DM_CALLS].b) continue;   /* its work changed */
    double m = w->m[DM_CPU].a > w->m[DM_CPU].b ? w->m[DM_CPU].a : w->m[DM_CPU].b;
    if (m >= 5 * p) z[n++] = fabs(w->cpu_z);
  }
  double phi = 1;
  if (n >= 5) {
    qsort(z, n, sizeof *z, cmp_dbl);
    double med = n % 2 ? z[n / 2] : 0.5 * (z[n / 2 - 1] + z[n / 2]);
    if (med / 0.6745 > phi) phi = med / 0.6745;
  }
  free(z);
  return phi;
}

/* cpu_dir and the judgement of DM_CPU of every compared row, once the dispersion is known:
 * beyond sigma x dispersion standard errors and the CPU noise floor. */
static void judge_cpu(diff_result *r, diff_row *rows, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    diff_row *w = &rows[i];
    dm *c = &w->m[DM_CPU];
    w->cpu_dir = 0;
    if (w->status != DROW_BOTH) continue;
    if (isfinite(w->cpu_z) && fabs(w->cpu_z) > r->opt.sigma * r->cpu_disp &&
        fabs(w->cpu_d) >= r->cpu_floor_ns)
      w->cpu_dir = w->cpu_z > 0 ? 1 : -1;
    c->judge = !isfinite(c->a) || !isfinite(c->b) ? DJ_NA : w->cpu_dir ? DJ_BEYOND
               : c->a == c->b ? DJ_SAME : DJ_NOISE;
  }
}

static void fill_rows(diff_result *r, diff_row *rows, uint32_t n, int path) {
  for (uint32_t i = 0; i < n; i++) {
    diff_row *row = &rows[i];
    row->is_path = path;
    row->impact_ns = row->moved_ns = row->cpu_z = row->cpu_d = NAN;
    for (int k = 0; k < DM_N; k++) {
      memset(&row->m[k], 0, sizeof row->m[k]);
      row->m[k].a = row->m[k].b = NAN;
      row->m[k].t = row->m[k].df = row->m[k].p = NAN;
      row->m[k].se_a = row->m[k].se_b = NAN;
    }
    dsrc sa, sb;
    int ha = src_of(r, row, 0, path, &sa), hb = src_of(r, row, 1, path, &sb);
    row->status = ha && hb ? DROW_BOTH : ha ? DROW_GONE : DROW_ADDED;
    if (ha) fill_side(r, row, &sa, 0);
    if (hb) fill_side(r, row, &sb, 1);
    row->timed_a = ha ? timed_of(sa.st) : 0;
    row->timed_b = hb ? timed_of(sb.st) : 0;
    double sha = ha && r->a.zone_time_ns > 0 ? 100.0 * row->m[DM_TOTAL].a / r->a.zone_time_ns : 0;
    double shb = hb && r->b.zone_time_ns > 0 ? 100.0 * row->m[DM_TOTAL].b / r->b.zone_time_ns : 0;
    row->share_pct = sha > shb ? sha : shb;
    if (row->status == DROW_BOTH) {
      row->impact_ns = impact_of(r, &sa, &sb);
      cpu_z_of(r, &sa, &sb, &row->cpu_z, &row->cpu_d);
      diff_judge_row(r, row, &sa, &sb);
    }
  }
}

void diff_opts_init(diff_opts *o) {
  memset(o, 0, sizeof *o);
  o->sigma = 3.0;
  o->fail_pct = -1;
  o->fail_metric = DM_MEAN;
  o->min_share_pct = 0.1;
  o->floor_pct = 1.0;
  o->top = 20;
  o->sort = DSORT_IMPACT;
}

int diff_build(diff_result *r, const fathom_profile *a, const char *file_a,
               const fathom_profile *b, const char *file_b, const diff_opts *o) {
  memset(r, 0, sizeof *r);
  r->opt = *o;
  int rc = side_init(&r->a, a, file_a);
  if (!rc) rc = side_init(&r->b, b, file_b);
  if (!rc) {
    comparability(r);
    /* the run's time: its wall time (the zones' summed time where a file lacks it: threads
     * that waited would make that larger than the run) */
    double ra = a->meta.duration_ns ? (double)a->meta.duration_ns : r->a.zone_time_ns;
    double rb = b->meta.duration_ns ? (double)b->meta.duration_ns : r->b.zone_time_ns;
    double rt = ra > rb ? ra : rb;
    r->floor_ns = o->floor_pct > 0 && isfinite(rt) ? o->floor_pct / 100.0 * rt : 0;
    r->cpu_ok = a->meta.sample_period_ns > 0 && b->meta.sample_period_ns > 0;
    /* the CPU floor: of the run's CPU time (a loaded machine stretches wall time, not CPU) */
    double ca = a->meta.cpu_time_ns > 0 ? a->meta.cpu_time_ns : r->a.cpu_ns;
    double cb = b->meta.cpu_time_ns > 0 ? b->meta.cpu_time_ns : r->b.cpu_ns;
    double ct = ca > cb ? ca : cb;
    r->cpu_floor_ns = o->floor_pct > 0 && isfinite(ct) ? o->floor_pct / 100.0 * ct : 0;
    /* sampled profiles (fathom run) count no calls: per call means nothing there, so the
     * verdict and the gate judge own CPU time as a whole */
    r->sampled = r->cpu_ok && !counted(a) && !counted(b);
    if (r->sampled && r->opt.fail_metric == DM_MEAN) {
      r->opt.fail_metric = DM_TOTAL;
      note(r, "calls were not counted (sampled profiles): the verdict and the gate judge each "
              "zone's own CPU time, not per call");
    }
    rc = match_zones(r);
  }
  if (!rc) rc = match_paths(r);
  if (!rc) {
    fill_rows(r, r->zones, r->n_zones, 0);
    fill_rows(r, r->paths, r->n_paths, 1);
    r->cpu_disp = cpu_dispersion(r);
    judge_cpu(r, r->zones, r->n_zones);
    judge_cpu(r, r->paths, r->n_paths);
    rc = diff_summarize(r);
  }
  if (rc) diff_free(r);
  return rc;
}

void diff_free(diff_result *r) {
  side_free(&r->a);
  side_free(&r->b);
  free(r->zones);
  free(r->paths);
  free(r->zord);
  free(r->pord);
  memset(r, 0, sizeof *r);
}

/* The zone a row names: a zone row's own, a path row's last zone (NULL: no side, which a
 * row never is). */
static const fathom_zone_info *row_zone(const diff_result *r, const diff_row *row) {
  const diff_side *s = row->ia != FATHOM_NONE ? &r->a : &r->b;
  uint32_t i = row->ia != FATHOM_NONE ? row->ia : row->ib;
  if (row->is_path) {
    if (i >= s->n_paths) return NULL;
    i = s->paths[i].zone;
  }
  return i < s->p->n_zones ? &s->p->zones[i] : NULL;
}

const char *diff_row_name(const diff_result *r, const diff_row *row) {
  const fathom_zone_info *z = row_zone(r, row);
  return z ? name_of(z->name) : "";
}

const char *diff_row_comp(const diff_result *r, const diff_row *row) {
  const fathom_zone_info *z = row_zone(r, row);
  return z ? comp_of(z->component) : "default";
}

void diff_path_string(const diff_result *r, const diff_row *row, char *buf, size_t cap) {
  const diff_side *s = row->ia != FATHOM_NONE ? &r->a : &r->b;
  uint32_t i = row->ia != FATHOM_NONE ? row->ia : row->ib;
  uint32_t chain[FATHOM_HIST_BUCKETS], n = 0;   /* deeper than any depth cap */
  if (!row->is_path) {   /* a zone row: its name alone */
    snprintf(buf, cap, "%s", diff_row_name(r, row));
    return;
  }
  for (uint32_t k = i; k != FATHOM_NONE && n < FATHOM_HIST_BUCKETS; k = s->paths[k].parent)
    chain[n++] = k;
  size_t len = 0;
  buf[0] = '\0';
  while (n-- > 0) {
    const char *nm = name_of(s->p->zones[s->paths[chain[n]].zone].name);
    size_t l = strlen(nm), sep = len ? 1 : 0;
    if (len + sep + l + 4 > cap) {
      if (cap >= 4) memcpy(buf + (len + 4 <= cap ? len : cap - 4), "...", 4);
      return;
    }
    if (sep) buf[len++] = ';';
    memcpy(buf + len, nm, l + 1);
    len += l;
  }
}

void diff_timed_cell(char *b, size_t cap, uint64_t timed, double calls) {
  if ((double)timed >= calls) snprintf(b, cap, "all");
  else fz_fmt_num(b, cap, (double)timed);
}

double dm_pct(const dm *m) {
  if (!isfinite(m->a) || !isfinite(m->b) || m->a == 0) return NAN;
  return 100.0 * (m->b - m->a) / fabs(m->a);
}
