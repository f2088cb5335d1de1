/* record/ext.c: extensions (fathom_ext.h) in the recorder: the registry, the readings around
 * special calls, the per-node sums, the background samples (a task of the scheduler,
 * util/sched.h) and the model's figures from the sums.
 *
 * How a zone's figure is estimated: a call read with weight W (the inverse of its
 * probability of being read: the probe weight for probe-based extensions, the timing weight
 * for FATHOM_EXT_EVERY_CALL ones) adds W x to its node, x the difference end - begin. As for
 * the probes' resources (record/special.c) the total over all M calls is the ratio estimate
 * M * sum(W x) / sum(W), exact when every call was read with weight 1; its variance is that
 * of the timing's estimates (docs/estimates.md): (M / sum W)^2 sum W(W-1) (x - mean)^2, and
 * with fewer than 10 calls read, or calls missed with no sampling weight to stand for them
 * (an extension registered mid-session), at least that of a simple random sample of them;
 * with fewer than 10, its spread taken as at least 100 % of the mean (a few readings cannot
 * tell their spread: two equal ones would claim none).
 *
 * Invariant: see ext.h. Callbacks run outside every fathom lock; errno is preserved around
 * them; the readings of an entry are consumed (cleared) by its end. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/ext.h"
#include "record/record.h"
#include "util/sched.h"

#define XROWS_MAX 4096u   /* sample rows kept per extension: then every other one is dropped */

typedef struct xreg {
  fathom_extension e;            /* the copy the callbacks are read from */
  const fathom_extension *orig;  /* the caller's table (registering it twice is refused) */
  char *name, *names[FZ_XM], *units[FZ_XM];
  double th[FZ_XM];
  /* samples (under xlock): rows of the session gen */
  uint32_t gen;
  uint64_t nrows, caprows, stride, skip;
  uint64_t *ts;
  double *v;
} xreg;

static pthread_mutex_t xlock = PTHREAD_MUTEX_INITIALIZER;
static xreg regs[FATHOM_EXT_MAX];
uint32_t fz_ext_n;
uint32_t fz_ext_every;

/* ---- registration --------------------------------------------------------------------- */

static int name_ok(const char *s) {
  if (!s || !*s || strlen(s) > 63) return 0;
  for (; *s; s++) {
    char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '-' || c == '.'))
      return 0;
  }
  return 1;
}

static void free_reg(xreg *r) {
  free(r->name);
  for (int i = 0; i < FZ_XM; i++) {
    free(r->names[i]);
    free(r->units[i]);
  }
  free(r->ts);
  free(r->v);
  memset(r, 0, sizeof *r);
}

static uint32_t sample_interval_ns(void) {
  double s = fz_g.cfg.monitor_interval_s;
  if (!(s >= 0.01)) s = 0.5;
  return (uint32_t)(s * 1e9 > 4e9 ? 4e9 : s * 1e9);
}

static int task_wanted(void) {
  if (!FZ_LD(fz_rec_gen)) return 0;
  uint32_t n = __atomic_load_n(&fz_ext_n, __ATOMIC_ACQUIRE);
  for (uint32_t i = 0; i < n; i++)
    if (regs[i].e.sample) return 1;
  return 0;
}

/* Appends one row to r (caller holds xlock); at the cap every other row is dropped and only
 * every stride-th tick is kept from then on. */
static void add_row(xreg *r, uint32_t gen, uint64_t ts, const double *v) {
  uint32_t nm = r->e.n_metrics;
  if (r->gen != gen) {
    r->gen = gen;
    r->nrows = r->skip = 0;
    r->stride = 1;
  }
  if (r->skip++ % r->stride) return;
  if (r->nrows == r->caprows) {
    if (r->caprows < XROWS_MAX) {
      uint64_t cap = r->caprows ? r->caprows * 2 : 64;
      uint64_t *nts = realloc(r->ts, cap * sizeof *nts);
      if (nts) r->ts = nts;
      double *nv = nts ? realloc(r->v, cap * nm * sizeof *nv) : NULL;
      if (nv) r->v = nv;
      if (!nts || !nv) return;
      r->caprows = cap;
    } else {
      for (uint64_t i = 0; i < r->nrows / 2; i++) {
        r->ts[i] = r->ts[2 * i + 1];
        memcpy(&r->v[i * nm], &r->v[(2 * i + 1) * nm], nm * sizeof *r->v);
      }
      r->nrows /= 2;
      r->stride *= 2;
    }
  }
  r->ts[r->nrows] = ts;
  memcpy(&r->v[r->nrows * nm], v, nm * sizeof *v);
  r->nrows++;
}

/* Under xlock (the registry cannot be cleared meanwhile; the callbacks never call fathom). */
static uint64_t task_tick(uint64_t now) {
  uint32_t gen = FZ_LD(fz_rec_gen);
  uint64_t t0 = fz_g.start_mono_ns;
  fz_alloc_pause();
  pthread_mutex_lock(&xlock);
  for (uint32_t i = 0; i < fz_ext_n && gen; i++) {
    xreg *r = &regs[i];
    if (!r->e.sample) continue;
    double v[FZ_XM];
    for (int k = 0; k < FZ_XM; k++) v[k] = NAN;
    int saved = errno;
    int rc = r->e.sample(r->e.user, v);
    errno = saved;
    if (!rc) add_row(r, gen, now > t0 ? now - t0 : 0, v);
  }
  pthread_mutex_unlock(&xlock);
  fz_alloc_resume();
  return sample_interval_ns();
}

static const fz_sched_task ext_task = {"extensions", task_wanted, task_tick, NULL};

FATHOM_EXTERN int fathom_extension_register(const fathom_extension *x) {
  if (!x || !name_ok(x->name) || !x->begin || !x->end || x->n_metrics == 0 ||
      x->n_metrics > FZ_XM || !x->metric_names)
    return FATHOM_E_INVAL;
  for (uint32_t i = 0; i < x->n_metrics; i++) {
    if (!name_ok(x->metric_names[i])) return FATHOM_E_INVAL;
    for (uint32_t j = 0; j < i; j++)
      if (strcmp(x->metric_names[i], x->metric_names[j]) == 0) return FATHOM_E_INVAL;
    if (x->metric_units && x->metric_units[i] && strlen(x->metric_units[i]) > 63)
      return FATHOM_E_INVAL;
  }
  int saved = errno;
  int rc = 0;
  fz_alloc_pause();
  pthread_mutex_lock(&xlock);
  uint32_t n = fz_ext_n;
  for (uint32_t i = 0; i < n && !rc; i++)
    if (regs[i].orig == x || strcmp(regs[i].e.name, x->name) == 0) rc = FATHOM_E_INVAL;
  if (!rc && n == FATHOM_EXT_MAX) rc = FATHOM_E_LIMIT;
  if (!rc) {
    xreg *r = &regs[n];
    memset(r, 0, sizeof *r);
    r->e = *x;
    r->orig = x;
    r->e.name = r->name = strdup(x->name);
    int oom = !r->name;
    for (uint32_t i = 0; i < x->n_metrics; i++) {
      r->names[i] = strdup(x->metric_names[i]);
      const char *u = x->metric_units && x->metric_units[i] ? x->metric_units[i] : "";
      r->units[i] = strdup(u);
      r->th[i] = x->thresholds ? x->thresholds[i] : NAN;
      if (!r->names[i] || !r->units[i]) oom = 1;
    }
    r->e.metric_names = (const char *const *)r->names;
    r->e.metric_units = (const char *const *)r->units;
    r->e.thresholds = r->th;
    if (oom) {
      free_reg(r);
      rc = FATHOM_E_NOMEM;
    } else {
      __atomic_store_n(&fz_ext_n, n + 1, __ATOMIC_RELEASE);
    }
  }
  int every = !rc && (x->flags & FATHOM_EXT_EVERY_CALL) && !fz_ext_every;
  pthread_mutex_unlock(&xlock);
  fz_alloc_resume();
  if (!rc && x->sample) (void)fz_sched_add(&ext_task);
  if (every) { /* every node's calls go through the special path from now on */
    fz_glock();
    FZ_ST(fz_ext_every, 1);
    if (FZ_LD(fz_rec_gen)) fz_nodes_set_live(1);
    fz_gunlock();
  }
  errno = saved;
  return rc;
}

FATHOM_EXTERN int fathom_extensions_clear(void) {
  int saved = errno;
  fz_glock();
  int rc = 0;
  if (fz_g.active) {
    rc = FATHOM_E_STATE;
  } else {
    pthread_mutex_lock(&xlock);
    uint32_t n = fz_ext_n;
    __atomic_store_n(&fz_ext_n, 0, __ATOMIC_RELEASE);
    FZ_ST(fz_ext_every, 0);
    for (uint32_t i = 0; i < n; i++) free_reg(&regs[i]);
    pthread_mutex_unlock(&xlock);
  }
  fz_gunlock();
  errno = saved;
  return rc;
}

FATHOM_EXTERN uint32_t fathom_extension_count(void) {
  return __atomic_load_n(&fz_ext_n, __ATOMIC_ACQUIRE);
}

/* ---- readings (owner thread) ------------------------------------------------------------ */

static int alloc_frames(fz_thread *t) {
  int saved = errno;
  fz_alloc_pause();
  if (!t->xstack) t->xstack = calloc(FZ_STACK_ENTRIES, sizeof *t->xstack);
  if (t->xstack && !t->xvals)
    t->xvals = malloc((size_t)FZ_STACK_ENTRIES * FATHOM_EXT_MAX * FZ_XM * sizeof *t->xvals);
  fz_alloc_resume();
  errno = saved;
  return t->xstack && t->xvals;
}

FZ_TEXT void fz_ext_begin(fz_thread *t, uint32_t idx, uint32_t w, uint32_t wp) {
  if (FZ_UNLIKELY(!t->xvals) && !alloc_frames(t)) return;
  uint32_t n = __atomic_load_n(&fz_ext_n, __ATOMIC_ACQUIRE);
  fz_xframe *f = &t->xstack[idx];
  f->mask = 0;
  f->gen = t->gen;
  f->w_probe = wp ? w * wp : 0;
  f->w_every = w;
  double *vals = &t->xvals[(size_t)idx * FATHOM_EXT_MAX * FZ_XM];
  int saved = errno;
  for (uint32_t i = 0; i < n; i++) {
    const fathom_extension *x = &regs[i].e;
    if (!(x->flags & FATHOM_EXT_EVERY_CALL) && !wp) continue;
    if (x->begin(x->user, &vals[i * FZ_XM]) == 0) f->mask |= 1u << i;
  }
  errno = saved;
}

FZ_TEXT int fz_ext_pending(const fz_thread *t, uint32_t idx) {
  return t->xstack && t->xstack[idx].mask && t->xstack[idx].gen == t->gen;
}

/* The node's block of extension i, allocated on first use (NULL without memory). */
static fz_xblk *blk(fz_thread *t, fz_node *n, uint32_t i) {
  fz_xnode *xn = n->xn;
  if (!xn) {
    int saved = errno;
    xn = fz_chunk_alloc(t, sizeof *xn);
    errno = saved;
    if (!xn) return NULL;
    memset(xn, 0, sizeof *xn);
    FZ_STR(n->xn, xn);
  }
  fz_xblk *b = xn->b[i];
  if (!b) {
    int saved = errno;
    b = fz_chunk_alloc(t, sizeof *b);
    errno = saved;
    if (!b) return NULL;
    memset(b, 0, sizeof *b);
    FZ_STR(xn->b[i], b);
  }
  return b;
}

FZ_TEXT void fz_ext_end(fz_thread *t, fz_node *n, uint32_t idx) {
  fz_xframe *f = &t->xstack[idx];
  uint32_t mask = f->gen == t->gen ? f->mask : 0;   /* begun in this session */
  f->mask = 0;
  uint32_t nreg = __atomic_load_n(&fz_ext_n, __ATOMIC_ACQUIRE);
  const double *b0 = &t->xvals[(size_t)idx * FATHOM_EXT_MAX * FZ_XM];
  int saved = errno;
  for (uint32_t i = 0; i < nreg && mask; i++) {
    if (!(mask >> i & 1)) continue;
    mask &= ~(1u << i);
    const fathom_extension *x = &regs[i].e;
    double now[FZ_XM];
    if (x->end(x->user, now) != 0) continue;
    fz_xblk *b = blk(t, n, i);
    if (!b) continue;
    double W = (double)((x->flags & FATHOM_EXT_EVERY_CALL) ? f->w_every : f->w_probe);
    double ww = W * (W - 1);
    FZ_ST(b->n, b->n + 1);
    fz_dadd(&b->sw, W);
    fz_dadd(&b->v0, ww);
    for (uint32_t k = 0; k < x->n_metrics; k++) {
      double d = now[k] - b0[i * FZ_XM + k];
      if (!isfinite(d)) d = 0;
      if (d < 0 && !(x->flags & FATHOM_EXT_SIGNED)) d = 0;
      fz_dadd(&b->m[k][0], W * d);
      fz_dadd(&b->m[k][1], W * d * d);
      fz_dadd(&b->m[k][2], ww * d);
      fz_dadd(&b->m[k][3], ww * d * d);
    }
  }
  errno = saved;
}

double fz_ext_probe_cost_ns(void) {
  enum { PAIRS = 16, ROUNDS = 4 };
  double v[FZ_XM], best = 0;
  int saved = errno;
  pthread_mutex_lock(&xlock);
  for (uint32_t i = 0; i < fz_ext_n; i++) {
    const fathom_extension *x = &regs[i].e;
    if (x->flags & FATHOM_EXT_EVERY_CALL) continue;   /* their cost is the special path's */
    double lo = -1;
    for (int r = 0; r < ROUNDS; r++) {   /* the fastest round: what a reading costs alone */
      uint64_t t0 = fz_mono_ns();
      for (int k = 0; k < PAIRS; k++) {
        (void)x->begin(x->user, v);
        (void)x->end(x->user, v);
      }
      double d = (double)(fz_mono_ns() - t0) / PAIRS;
      if (lo < 0 || d < lo) lo = d;
    }
    best += lo > 0 ? lo : 0;
  }
  pthread_mutex_unlock(&xlock);
  errno = saved;
  return best;
}

void fz_ext_thread_free(fz_thread *t) {
  free(t->xstack);
  free(t->xvals);
  t->xstack = NULL;
  t->xvals = NULL;
}

/* ---- the model ---------------------------------------------------------------------------- */

/* Estimate of the total over all calls and its variance from one block's metric k. */
static void estimate(const fz_xblk *b, uint32_t k, double all, double *tot, double *var) {
  double n = (double)FZ_LD(b->n), sw = fz_bits_d(FZ_LD(b->sw)), v0 = fz_bits_d(FZ_LD(b->v0));
  double sx = fz_bits_d(FZ_LD(b->m[k][0])), sxx = fz_bits_d(FZ_LD(b->m[k][1]));
  double v1 = fz_bits_d(FZ_LD(b->m[k][2])), v2 = fz_bits_d(FZ_LD(b->m[k][3]));
  *tot = *var = 0;
  if (!(sw > 0) || n < 1) return;
  if (all < n) all = n;   /* a live model may read a call half-recorded */
  double mean = sx / sw, r = all / sw;
  *tot = sw == all ? sx : all * mean;   /* every call read with weight 1: the sum itself */
  double v = r * r * (v2 - 2 * mean * v1 + mean * mean * v0);
  if (!(v > 0)) v = 0;
  if (all > n && (n < 10 || v0 == 0)) { /* few calls read, or calls missed unweighted */
    double s2 = n > 1 ? (sxx / sw - mean * mean) * n / (n - 1) : 0;
    if (!(s2 > 0)) s2 = 0;
    double f = sw < all ? 1 - sw / all : 1 - n / all;   /* the share of calls not read */
    double srs = all * all * f * s2 / n;
    if (n < 10 && srs < all * all * f * mean * mean / n) /* too few to tell their spread: */
      srs = all * all * f * mean * mean / n;              /* as wide as a spread of 100 % */
    if (srs > v) v = srs;
  }
  *var = v;
}

int fz_ext_model_node(fathom_profile *p, fathom_node *m, const fz_node *n, uint64_t all) {
  const fz_xnode *xn = FZ_LDA(n->xn);
  uint32_t ne = __atomic_load_n(&fz_ext_n, __ATOMIC_ACQUIRE);
  if (!xn || !ne) return 0;
  if (!m->ext) {
    m->ext = calloc(FATHOM_EXT_MAX * FZ_XM, sizeof *m->ext);   /* cut to n_ext_metrics by
                                                                  the finish */
    if (!m->ext) return FATHOM_E_NOMEM;
  }
  (void)p;
  for (uint32_t i = 0; i < ne; i++) {
    const fz_xblk *b = FZ_LDA(xn->b[i]);
    if (!b) continue;
    for (uint32_t k = 0; k < regs[i].e.n_metrics; k++) {
      double tot, var;
      estimate(b, k, (double)all, &tot, &var);
      fathom_ext_value *v = &m->ext[i * FZ_XM + k];
      uint64_t nr = FZ_LD(b->n);
      v->samples += nr < all ? nr : all;   /* a live model may read a call half-recorded */
      v->total += tot;
      v->total_se += var;   /* a variance until the finish */
    }
  }
  return 0;
}

static int copy_series(fathom_series *s, const xreg *r, uint32_t g) {
  uint32_t nm = r->e.n_metrics;
  memset(s, 0, sizeof *s);
  s->interval_s = (double)sample_interval_ns() * 1e-9 * (double)(r->stride ? r->stride : 1);
  s->cols = calloc(nm, sizeof *s->cols);
  if (!s->cols) return FATHOM_E_NOMEM;
  s->n_cols = nm;
  for (uint32_t k = 0; k < nm; k++)
    if (!(s->cols[k] = strdup(r->names[k]))) return FATHOM_E_NOMEM;
  uint64_t rows = r->gen == g ? r->nrows : 0;
  if (!rows) return 0;
  s->ts_ns = malloc(rows * sizeof *s->ts_ns);
  s->v = malloc(rows * nm * sizeof *s->v);
  if (!s->ts_ns || !s->v) return FATHOM_E_NOMEM;
  memcpy(s->ts_ns, r->ts, rows * sizeof *s->ts_ns);
  memcpy(s->v, r->v, rows * nm * sizeof *s->v);
  s->n = rows;
  return 0;
}

int fz_ext_model_finish(fathom_profile *p, uint32_t g) {
  uint32_t ne = __atomic_load_n(&fz_ext_n, __ATOMIC_ACQUIRE);
  if (!ne) return 0;
  int rc = 0;
  p->exts = calloc(ne, sizeof *p->exts);
  if (!p->exts) return FATHOM_E_NOMEM;
  p->n_exts = ne;
  uint32_t first = 0;
  pthread_mutex_lock(&xlock);
  for (uint32_t i = 0; i < ne && !rc; i++) {
    const xreg *r = &regs[i];
    fathom_ext_info *e = &p->exts[i];
    e->name = strdup(r->e.name);
    e->flags = r->e.flags & (FATHOM_EXT_EVERY_CALL | FATHOM_EXT_SIGNED);
    e->first = first;
    e->metrics = calloc(r->e.n_metrics, sizeof *e->metrics);
    if (!e->name || !e->metrics) rc = FATHOM_E_NOMEM;
    if (!rc) e->n_metrics = r->e.n_metrics;
    for (uint32_t k = 0; k < e->n_metrics && !rc; k++) {
      e->metrics[k].name = strdup(r->names[k]);
      e->metrics[k].unit = strdup(r->units[k]);
      e->metrics[k].threshold = r->th[k];
      if (!e->metrics[k].name || !e->metrics[k].unit) rc = FATHOM_E_NOMEM;
    }
    if (!rc) rc = copy_series(&e->series, r, g);
    first += r->e.n_metrics;
  }
  pthread_mutex_unlock(&xlock);
  if (rc) return rc;
  p->n_ext_metrics = first;
  /* nodes: from the recorder's fixed layout (FZ_XM per extension) to the model's */
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    fathom_node *m = &p->nodes[i];
    if (!m->ext) continue;
    fathom_ext_value *v = calloc(first, sizeof *v);
    if (!v) return FATHOM_E_NOMEM;
    for (uint32_t e = 0; e < ne; e++)
      for (uint32_t k = 0; k < p->exts[e].n_metrics; k++) {
        v[p->exts[e].first + k] = m->ext[e * FZ_XM + k];
        v[p->exts[e].first + k].total_se = sqrt(m->ext[e * FZ_XM + k].total_se);
      }
    free(m->ext);
    m->ext = v;
  }
  return 0;
}

void fz_ext_session_report(fathom_profile *p) {
  pthread_mutex_lock(&xlock);   /* the registry cannot be cleared meanwhile */
  for (uint32_t i = 0; p && i < p->n_exts && i < fz_ext_n; i++) {
    const xreg *r = &regs[i];
    if (!r->e.report || !r->e.name || strcmp(r->e.name, p->exts[i].name) != 0) continue;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) continue;
    int saved = errno;
    r->e.report(r->e.user, p, f);
    errno = saved;
    if (fclose(f) == 0 && buf) {
      free(p->exts[i].report);
      p->exts[i].report = buf;
    } else {
      free(buf);
    }
  }
  pthread_mutex_unlock(&xlock);
}
