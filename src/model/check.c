/* check.c: do a profile's figures add up? fathom_profile_check (fathom.h) checks every rule a
 * profile holds (docs/cli.md, `fathom check`, lists them): per call-tree node and per zone,
 * self <= total, timed <= count, live and peak allocations <= allocated, percentiles ordered,
 * inside [min, max] and inside their 95 % intervals, min <= mean <= max, standard errors >= 0
 * and finite, CPU times >= 0; the children's totals <= their parent's; per thread, the
 * top-level totals <= the session's duration (not for threads with durations the program
 * gave: fathom_zone_record); zone roll-ups equal the sums of their nodes; no share above
 * 100 %; meta's n_timed <= n_zones and overhead >= 0; every index in range, parents before children,
 * events in time order. fz_check_env (check_env.c) runs it on the library's own models when
 * FATHOM_CHECK is set.
 *
 * Invariant: the checker only reads the model, never trusts it (a NULL array with n > 0, an
 * index out of range or a cycle is a violation, never a dereference), runs in time linear in
 * the model's size (nodes, zones, findings and their figures, events, histogram buckets), and
 * never writes more than cap bytes of messages, always NUL-terminated. Numbers in messages
 * are formatted without the C locale's decimal separator (a program may have set one). */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/check.h"

#define CK_NAME 64         /* bytes of one name in a message */
#define CK_PATH_DEPTH 16   /* zones named in a node's path; the rest become "..." */
#define CK_NB 8            /* number buffers in flight per message (a duration takes 2) */

static const char *const pct_names[FATHOM_PCT_N] = {"p50", "p90", "p95", "p99", "p99.9"};

typedef enum subj_kind {
  S_NODE, S_ZONE, S_THREAD, S_META, S_RES, S_GPU, S_FINDING, S_SLA, S_TPUT, S_EVENT,
  S_CEVENT, S_SNAP, S_GOV, S_SERIES
} subj_kind;

/* What a message is about: "node 12 (main;parse, thread 0)", "zone 3 (parse)", ... */
typedef struct subj {
  subj_kind kind;
  uint64_t i;
} subj;

typedef struct ck {
  const fathom_profile *p;
  char *msg;
  size_t cap, len;
  size_t mark;     /* length after the last whole line that still leaves room for "...\n" */
  int full;        /* messages no longer fit: only counted */
  uint64_t n;      /* violations */
  uint32_t nn, nz, nt;   /* nodes, zones, threads there are (0 for a NULL array) */
  char nb[CK_NB][48];
  unsigned nk;
} ck;

/* ---- numbers and names in messages ------------------------------------------------- */

/* v with two decimals ("5.20"), whatever LC_NUMERIC says. */
static const char *fix2(ck *c, double v) {
  char *b = c->nb[c->nk++ % CK_NB];
  if (isnan(v)) return strcpy(b, "nan");
  if (isinf(v)) return strcpy(b, v > 0 ? "inf" : "-inf");
  double a = fabs(v);
  if (a >= 9e15) {   /* no decimal point in %e with precision 0 */
    snprintf(b, sizeof c->nb[0], "%s%.0e", v < 0 ? "-" : "", a);
    return b;
  }
  unsigned long long s = (unsigned long long)(a * 100.0 + 0.5);
  snprintf(b, sizeof c->nb[0], "%s%llu.%02llu", v < 0 && s ? "-" : "", s / 100, s % 100);
  return b;
}

/* A duration in ns with its unit: "512 ns", "1.25 us", "5.20 ms", "3.00 s". */
static const char *dur(ck *c, double ns) {
  double a = fabs(ns);
  const char *unit = "s";
  double div = 1e9;
  if (!isfinite(ns) || a < 1e3) unit = "ns", div = 1;
  else if (a < 1e6) unit = "us", div = 1e3;
  else if (a < 1e9) unit = "ms", div = 1e6;
  const char *num;
  if (div == 1 && isfinite(ns) && ns == floor(ns)) {
    char *b = c->nb[c->nk++ % CK_NB];
    snprintf(b, sizeof c->nb[0], "%s%llu", ns < 0 ? "-" : "", (unsigned long long)a);
    num = b;
  } else {
    num = fix2(c, ns / div);
  }
  char *b = c->nb[c->nk++ % CK_NB];
  snprintf(b, sizeof c->nb[0], "%s %s", num, unit);
  return b;
}
static const char *dur_u(ck *c, uint64_t ns) { return dur(c, (double)ns); }

/* s cut to CK_NAME bytes at most, control bytes as '?' (one message stays one line). */
static void put_name(char *buf, size_t cap, const char *s) {
  if (!cap) return;
  if (!s) s = "(null)";
  size_t k = 0, lim = cap - 1 < CK_NAME ? cap - 1 : CK_NAME;
  for (; s[k] && k < lim; k++) {
    unsigned char ch = (unsigned char)s[k];
    buf[k] = (char)(ch < 0x20 || ch == 0x7f ? '?' : ch);
  }
  buf[k] = '\0';
}

static const char *zone_name(const fathom_profile *p, uint32_t z) {
  if (!p->zones || z >= p->n_zones) return "?";
  return p->zones[z].name ? p->zones[z].name : "(null)";
}

/* "a;b;c": the zones from the top of node i's path (at most CK_PATH_DEPTH, "...;" before
 * when there are more or the chain is broken). Follows only parents that precede their child,
 * so it ends whatever the model holds. */
static void node_path(const fathom_profile *p, uint32_t i, char *buf, size_t cap) {
  uint32_t chain[CK_PATH_DEPTH];
  int k = 0, more = 0;
  uint32_t cur = i;
  for (;;) {
    if (k == CK_PATH_DEPTH) { more = 1; break; }
    chain[k++] = cur;
    uint32_t up = p->nodes[cur].parent;
    if (up == FATHOM_NONE) break;
    if (up >= cur) { more = 1; break; }
    cur = up;
  }
  size_t len = 0;
  buf[0] = '\0';
  if (more) len = (size_t)snprintf(buf, cap, "...;");
  for (int j = k - 1; j >= 0 && len + 1 < cap; j--) {
    char nm[CK_NAME + 1];
    put_name(nm, sizeof nm, zone_name(p, p->nodes[chain[j]].zone));
    int w = snprintf(buf + len, cap - len, "%s%s", nm, j ? ";" : "");
    if (w < 0) break;
    len += (size_t)w;
  }
}

static void subj_fmt(const ck *c, subj s, char *buf, size_t cap) {
  const fathom_profile *p = c->p;
  char nm[CK_NAME + 1];
  uint32_t i = (uint32_t)s.i;
  switch (s.kind) {
    case S_NODE:
      if (p->nodes && i < p->n_nodes) {
        char path[CK_PATH_DEPTH * (CK_NAME + 1) + 8];
        node_path(p, i, path, sizeof path);
        snprintf(buf, cap, "node %u (%s, thread %u)", i, path, p->nodes[i].thread);
      } else {
        snprintf(buf, cap, "node %u", i);
      }
      return;
    case S_ZONE:
      put_name(nm, sizeof nm, zone_name(p, i));
      snprintf(buf, cap, "zone %u (%s)", i, nm);
      return;
    case S_THREAD: snprintf(buf, cap, "thread %u", i); return;
    case S_META: snprintf(buf, cap, "meta"); return;
    case S_RES: snprintf(buf, cap, "resources"); return;
    case S_GPU: snprintf(buf, cap, "gpu %u", i); return;
    case S_FINDING: {
      const fathom_finding *f = p->findings && i < p->n_findings ? &p->findings[i] : NULL;
      const char *cls = f ? fathom_finding_class_name((int)f->cls) : NULL;
      put_name(nm, sizeof nm, f ? f->path : "");
      snprintf(buf, cap, "finding %u (%s%s%s)", i, cls ? cls : "?", nm[0] ? " " : "", nm);
      return;
    }
    case S_SLA:
      put_name(nm, sizeof nm, p->slas && i < p->n_slas ? p->slas[i].zone_name : "?");
      snprintf(buf, cap, "sla %u (%s)", i, nm);
      return;
    case S_TPUT: snprintf(buf, cap, "throughput %u", i); return;
    case S_EVENT: snprintf(buf, cap, "event %llu", (unsigned long long)s.i); return;
    case S_CEVENT: snprintf(buf, cap, "counter event %llu", (unsigned long long)s.i); return;
    case S_SNAP:
      put_name(nm, sizeof nm,
               p->mem_snapshots && i < p->n_mem_snapshots ? p->mem_snapshots[i].label : "?");
      snprintf(buf, cap, "memory snapshot %u (%s)", i, nm);
      return;
    case S_GOV: snprintf(buf, cap, "governor action %u", i); return;
    case S_SERIES: snprintf(buf, cap, "series"); return;
  }
  snprintf(buf, cap, "profile");
}

/* ---- the message buffer --------------------------------------------------------------- */

/* Appends one line (with its '\n'). When it does not fit, the lines that no longer leave
 * room for "...\n" are dropped and "...\n" ends the buffer; later lines are only counted. */
static void put_line(ck *c, const char *line, size_t l) {
  if (c->len + l + 1 <= c->cap) {
    memcpy(c->msg + c->len, line, l);
    c->len += l;
    c->msg[c->len] = '\0';
    if (c->len + 4 + 1 <= c->cap) c->mark = c->len;
    return;
  }
  c->full = 1;
  size_t k = 4;
  if (c->mark + k + 1 > c->cap) k = c->cap - 1 - c->mark;  /* cap < 5: what fits of it */
  memcpy(c->msg + c->mark, "...\n", k);
  c->len = c->mark + k;
  c->msg[c->len] = '\0';
}

/* One violation: counted always, its message written while there is room (VIOL below does
 * not even evaluate the message's figures once there is none). */
__attribute__((format(printf, 3, 4))) static void viol(ck *c, subj s, const char *fmt, ...) {
  c->n++;
  if (!c->msg || !c->cap || c->full) return;
  char line[CK_LINE];
  subj_fmt(c, s, line, sizeof line - 2);
  size_t l = strlen(line);
  if (l + 2 < sizeof line - 2) {
    line[l++] = ':';
    line[l++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(line + l, sizeof line - 1 - l, fmt, ap);
    va_end(ap);
    if (w > 0) l += (size_t)w < sizeof line - 1 - l ? (size_t)w : sizeof line - 2 - l;
  }
  line[l++] = '\n';
  put_line(c, line, l);
}

#define VIOL(c, ...)                                       \
  do {                                                     \
    if (!(c)->msg || !(c)->cap || (c)->full) (c)->n++;     \
    else viol((c), __VA_ARGS__);                           \
  } while (0)

/* ---- comparisons with the documented slack --------------------------------------------- */

/* fz_ck_le (check.h): a <= b allowing `slack` plus 1e-9 relative; false when either is NaN;
 * infinities compare as they are (no relative slack makes inf <= 5). Integers: */
static int le_u(uint64_t a, uint64_t b, uint64_t slack) { return a <= b || a - b <= slack; }
static int eq_u(uint64_t a, uint64_t b, uint64_t slack) { return le_u(a, b, slack) && le_u(b, a, slack); }
static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
static uint64_t timed_of(const fathom_stats *st) { return st->timed ? st->timed : st->count; }
static int nonneg(double x) { return isfinite(x) && x >= 0; }

/* ---- the rules --------------------------------------------------------------------------- */

static void check_stats(ck *c, subj s, const fathom_stats *st) {
  if (st->timed > st->count)
    VIOL(c, s, "timed %llu > count %llu", (unsigned long long)st->timed,
      (unsigned long long)st->count);
  if (!le_u(st->self_ns, st->total_ns, 1))
    VIOL(c, s, "self %s > total %s (+%llu ns)", dur_u(c, st->self_ns), dur_u(c, st->total_ns),
      (unsigned long long)(st->self_ns - st->total_ns));
  const double pv[FATHOM_PCT_N] = {st->p50_ns, st->p90_ns, st->p95_ns, st->p99_ns, st->p999_ns};
  int fin[FATHOM_PCT_N];
  for (int k = 0; k < FATHOM_PCT_N; k++) {
    fin[k] = isfinite(pv[k]) != 0;
    if (!fin[k]) VIOL(c, s, "%s %s is not finite", pct_names[k], dur(c, pv[k]));
  }
  for (int k = 1; k < FATHOM_PCT_N; k++)
    if (fin[k - 1] && fin[k] && !fz_ck_le(pv[k - 1], pv[k], 0))
      VIOL(c, s, "percentiles out of order: %s %s < %s %s", pct_names[k], dur(c, pv[k]),
        pct_names[k - 1], dur(c, pv[k - 1]));
  double mn = (double)st->min_ns, mx = (double)st->max_ns;
  int range_ok = 1;
  if (st->count > 0 && st->min_ns > st->max_ns) {
    VIOL(c, s, "min %s > max %s", dur_u(c, st->min_ns), dur_u(c, st->max_ns));
    range_ok = 0;
  }
  if (st->count > 0 && range_ok)
    for (int k = 0; k < FATHOM_PCT_N; k++)
      if (fin[k] && (!fz_ck_le(mn, pv[k], 1) || !fz_ck_le(pv[k], mx, 1)))
        VIOL(c, s, "%s %s outside [min %s, max %s]", pct_names[k], dur(c, pv[k]), dur(c, mn),
          dur(c, mx));
  if (st->timed > 0 && range_ok) {
    if (!fz_ck_le(mn, st->mean_ns, 1) || !fz_ck_le(st->mean_ns, mx, 1))
      VIOL(c, s, "mean %s outside [min %s, max %s]", dur(c, st->mean_ns), dur(c, mn), dur(c, mx));
    if (!nonneg(st->stddev_ns))
      VIOL(c, s, "stddev %s is negative or not finite", dur(c, st->stddev_ns));
  }
  if (!nonneg(st->total_se_ns))
    VIOL(c, s, "total_se_ns %s is negative or not finite", fix2(c, st->total_se_ns));
  if (!nonneg(st->self_se_ns))
    VIOL(c, s, "self_se_ns %s is negative or not finite", fix2(c, st->self_se_ns));
  if (!nonneg(st->self_cpu_ns))
    VIOL(c, s, "self_cpu_ns %s is negative or not finite", fix2(c, st->self_cpu_ns));
  if (!nonneg(st->self_cpu_se_ns))
    VIOL(c, s, "self_cpu_se_ns %s is negative or not finite", fix2(c, st->self_cpu_se_ns));
  for (int k = 0; k < FATHOM_PCT_N; k++)
    if (fin[k] && (!fz_ck_le(st->pct_lo_ns[k], pv[k], 0) || !fz_ck_le(pv[k], st->pct_hi_ns[k], 0)))
      VIOL(c, s, "%s %s outside its interval [%s, %s]", pct_names[k], dur(c, pv[k]),
        dur(c, st->pct_lo_ns[k]), dur(c, st->pct_hi_ns[k]));
  if (!nonneg(st->overhead_ns))
    VIOL(c, s, "overhead_ns %s is negative or not finite", fix2(c, st->overhead_ns));
}

static void check_hist(ck *c, subj s, const fathom_hist *h) {
  if (h->n && (!h->bucket || !h->count)) {
    VIOL(c, s, "histogram of %u buckets without its %s array", h->n, h->bucket ? "count" : "bucket");
    return;
  }
  for (uint32_t k = 0; k < h->n; k++) {
    if (h->bucket[k] >= FATHOM_HIST_BUCKETS) {
      VIOL(c, s, "histogram bucket %u out of range (%u buckets)", h->bucket[k], FATHOM_HIST_BUCKETS);
      break;
    }
    if (k && h->bucket[k] <= h->bucket[k - 1]) {
      VIOL(c, s, "histogram buckets not ascending (%u after %u)", h->bucket[k], h->bucket[k - 1]);
      break;
    }
  }
  if (!nonneg(h->unit_ns)) VIOL(c, s, "histogram unit_ns %s is negative or not finite", fix2(c, h->unit_ns));
}

/* Allocation figures: what is live (now, or at the heap's peak) was allocated; standard
 * errors of sampled figures >= 0 and finite. */
static void check_alloc(ck *c, subj s, const char *what, const fathom_alloc *a) {
  if (a->live_count > a->alloc_count)
    VIOL(c, s, "%s live_count %llu > alloc_count %llu", what,
      (unsigned long long)a->live_count, (unsigned long long)a->alloc_count);
  if (a->live_bytes > a->alloc_bytes)
    VIOL(c, s, "%s live_bytes %llu > alloc_bytes %llu", what,
      (unsigned long long)a->live_bytes, (unsigned long long)a->alloc_bytes);
  if (a->peak_count > a->alloc_count)
    VIOL(c, s, "%s peak_count %llu > alloc_count %llu", what,
      (unsigned long long)a->peak_count, (unsigned long long)a->alloc_count);
  if (a->peak_bytes > a->alloc_bytes)
    VIOL(c, s, "%s peak_bytes %llu > alloc_bytes %llu", what,
      (unsigned long long)a->peak_bytes, (unsigned long long)a->alloc_bytes);
  const double se[] = {a->alloc_count_se, a->alloc_bytes_se, a->free_count_se, a->free_bytes_se,
                       a->live_count_se,  a->live_bytes_se,  a->peak_count_se, a->peak_bytes_se};
  static const char *const se_name[] = {"alloc_count_se", "alloc_bytes_se", "free_count_se",
                                        "free_bytes_se",  "live_count_se",  "live_bytes_se",
                                        "peak_count_se",  "peak_bytes_se"};
  for (size_t k = 0; k < sizeof se / sizeof se[0]; k++)
    if (!nonneg(se[k]))
      VIOL(c, s, "%s %s %s is negative or not finite", what, se_name[k], fix2(c, se[k]));
}

/* The heap's high-water mark inside a zone: a size, measured on at most every call. */
static void check_heap_peak(ck *c, subj s, double bytes, uint64_t calls, uint64_t count) {
  if (!nonneg(bytes)) VIOL(c, s, "heap_peak bytes %s is negative or not finite", fix2(c, bytes));
  if (calls > count)
    VIOL(c, s, "heap_peak measured on %llu calls of %llu", (unsigned long long)calls,
      (unsigned long long)count);
  if (!calls && bytes > 0) VIOL(c, s, "heap_peak %s bytes measured on no call", fix2(c, bytes));
}

static void check_res(ck *c, subj s, const fathom_res *r, uint64_t count) {
  static const int cpu[] = {FATHOM_RES_CPU_USER_NS, FATHOM_RES_CPU_SYS_NS, FATHOM_RES_CPU_NS};
  for (size_t k = 0; k < sizeof cpu / sizeof cpu[0]; k++) {
    int id = cpu[k];
    if ((r->mask & (1u << id)) && !(r->sum[id] >= 0))
      VIOL(c, s, "%s %s is negative or not a number", fathom_res_name(id), dur(c, r->sum[id]));
  }
  if (r->samples > count)
    VIOL(c, s, "probed calls %llu > count %llu", (unsigned long long)r->samples,
      (unsigned long long)count);
}

/* A share in percent: at most 100 (NaN counts as a violation too). */
static void check_share(ck *c, subj s, const char *what, double pct, int nan_ok) {
  if (nan_ok && isnan(pct)) return;
  if (!fz_ck_le(pct, 100.0, 0)) VIOL(c, s, "%s %s %% > 100 %%", what, fix2(c, pct));
}

/* Sums the checker keeps while it walks the nodes (NULL when out of memory: the rules that
 * need them are then skipped, never guessed). */
typedef struct sums {
  uint64_t *child_total;   /* per node: its children's totals */
  uint32_t *child_n;
  uint32_t *first_child, *next_sib;
  uint64_t *stack;         /* depth-first walk: node << 1 | leaving */
  uint64_t *z_count, *z_timed, *z_self, *z_total;
  uint32_t *z_nodes, *z_outer, *z_active;
  uint64_t *t_total;       /* per thread: top-level totals */
  uint32_t *t_n;
} sums;

static void sums_free(sums *m) {
  free(m->child_total); free(m->child_n); free(m->first_child); free(m->next_sib);
  free(m->stack); free(m->z_count); free(m->z_timed); free(m->z_self); free(m->z_total);
  free(m->z_nodes); free(m->z_outer); free(m->z_active); free(m->t_total); free(m->t_n);
  memset(m, 0, sizeof *m);
}

static int sums_alloc(sums *m, uint32_t nn, uint32_t nz, uint32_t nt) {
  memset(m, 0, sizeof *m);
  size_t n1 = nn ? nn : 1, z1 = nz ? nz : 1, t1 = nt ? nt : 1;
  m->child_total = calloc(n1, sizeof *m->child_total);
  m->child_n = calloc(n1, sizeof *m->child_n);
  m->first_child = malloc(n1 * sizeof *m->first_child);
  m->next_sib = malloc(n1 * sizeof *m->next_sib);
  m->stack = malloc(2 * n1 * sizeof *m->stack);
  m->z_count = calloc(z1, sizeof *m->z_count);
  m->z_timed = calloc(z1, sizeof *m->z_timed);
  m->z_self = calloc(z1, sizeof *m->z_self);
  m->z_total = calloc(z1, sizeof *m->z_total);
  m->z_nodes = calloc(z1, sizeof *m->z_nodes);
  m->z_outer = calloc(z1, sizeof *m->z_outer);
  m->z_active = calloc(z1, sizeof *m->z_active);
  m->t_total = calloc(t1, sizeof *m->t_total);
  m->t_n = calloc(t1, sizeof *m->t_n);
  if (!m->child_total || !m->child_n || !m->first_child || !m->next_sib || !m->stack ||
      !m->z_count || !m->z_timed || !m->z_self || !m->z_total || !m->z_nodes || !m->z_outer ||
      !m->z_active || !m->t_total || !m->t_n) {
    sums_free(m);
    return -1;
  }
  memset(m->first_child, 0xff, n1 * sizeof *m->first_child);
  return 0;
}

/* Each node: indices, structure, its own figures; sums for the rules across nodes. */
static void check_nodes(ck *c, sums *m) {
  const fathom_profile *p = c->p;
  for (uint32_t i = 0; i < c->nn; i++) {
    const fathom_node *nd = &p->nodes[i];
    subj s = {S_NODE, i};
    int zok = nd->zone < p->n_zones, tok = nd->thread < p->n_threads;
    if (!zok) VIOL(c, s, "zone %u out of range (%u zones)", nd->zone, p->n_zones);
    if (!tok) VIOL(c, s, "thread %u out of range (%u threads)", nd->thread, p->n_threads);
    if (nd->parent == FATHOM_NONE) {
      if (nd->depth != 1) VIOL(c, s, "depth %u for a top-level node (expected 1)", nd->depth);
      if (m && nd->thread < c->nt) {
        m->t_total[nd->thread] = sat_add(m->t_total[nd->thread], nd->stats.total_ns);
        m->t_n[nd->thread]++;
      }
    } else if (nd->parent >= i) {
      VIOL(c, s, "parent %u does not precede it (parents come before children)", nd->parent);
    } else {
      const fathom_node *up = &p->nodes[nd->parent];
      if (nd->depth != up->depth + 1)
        VIOL(c, s, "depth %u but its parent node %u has depth %u", nd->depth, nd->parent, up->depth);
      if (nd->thread != up->thread)
        VIOL(c, s, "thread %u but its parent node %u is on thread %u", nd->thread, nd->parent,
          up->thread);
      if (m) {
        m->child_total[nd->parent] = sat_add(m->child_total[nd->parent], nd->stats.total_ns);
        m->child_n[nd->parent]++;
      }
    }
    check_stats(c, s, &nd->stats);
    check_hist(c, s, &nd->hist);
    check_res(c, s, &nd->res, nd->stats.count);
    check_alloc(c, s, "alloc", &nd->alloc);
    check_alloc(c, s, "alloc_self", &nd->alloc_self);
    check_heap_peak(c, s, nd->heap_peak_bytes, nd->heap_peak_calls, nd->stats.count);
    if (nd->n_metrics && !nd->metrics)
      VIOL(c, s, "%u metrics but no metrics array", nd->n_metrics);
    if (m && nd->zone < c->nz) {
      uint32_t z = nd->zone;
      m->z_count[z] = sat_add(m->z_count[z], nd->stats.count);
      m->z_timed[z] = sat_add(m->z_timed[z], timed_of(&nd->stats));
      m->z_self[z] = sat_add(m->z_self[z], nd->stats.self_ns);
      m->z_nodes[z]++;
    }
  }
  if (!m) return;
  for (uint32_t i = 0; i < c->nn; i++) {
    const fathom_stats *st = &p->nodes[i].stats;
    if (m->child_n[i] && !le_u(m->child_total[i], st->total_ns, m->child_n[i]))
      VIOL(c, (subj){S_NODE, i}, "children total %s > total %s (+%llu ns, %u children)",
        dur_u(c, m->child_total[i]), dur_u(c, st->total_ns),
        (unsigned long long)(m->child_total[i] - st->total_ns), m->child_n[i]);
  }
}

/* Zone totals count recursion once: the total of a node with an ancestor of its own zone is
 * inside that ancestor's. A depth-first walk keeps, per zone, how many of the current path's
 * nodes are of it. */
static void outer_totals(const ck *c, sums *m) {
  const fathom_profile *p = c->p;
  uint32_t nn = c->nn;
  size_t sp = 0;
  for (uint32_t i = nn; i-- > 0;) {
    uint32_t up = p->nodes[i].parent;
    if (up != FATHOM_NONE && up < i) {
      m->next_sib[i] = m->first_child[up];
      m->first_child[up] = i;
    } else {
      m->stack[sp++] = (uint64_t)i << 1;   /* a root (or a node whose parent is broken) */
    }
  }
  while (sp) {
    uint64_t e = m->stack[--sp];
    uint32_t i = (uint32_t)(e >> 1), z = p->nodes[i].zone;
    int zok = z < c->nz;
    if (e & 1) {
      if (zok) m->z_active[z]--;
      continue;
    }
    if (zok) {
      if (m->z_active[z] == 0) {
        m->z_total[z] = sat_add(m->z_total[z], p->nodes[i].stats.total_ns);
        m->z_outer[z]++;
      }
      m->z_active[z]++;
    }
    m->stack[sp++] = e | 1;
    for (uint32_t k = m->first_child[i]; k != FATHOM_NONE; k = m->next_sib[k])
      m->stack[sp++] = (uint64_t)k << 1;
  }
}

static void check_zones(ck *c, const sums *m) {
  const fathom_profile *p = c->p;
  for (uint32_t z = 0; z < c->nz; z++) {
    const fathom_zone_info *zi = &p->zones[z];
    subj s = {S_ZONE, z};
    check_stats(c, s, &zi->stats);
    check_hist(c, s, &zi->hist);
    check_res(c, s, &zi->res, zi->stats.count);
    check_alloc(c, s, "alloc", &zi->alloc);
    check_alloc(c, s, "alloc_self", &zi->alloc_self);
    check_heap_peak(c, s, zi->heap_peak_bytes, zi->heap_peak_calls, zi->stats.count);
    if (!m) continue;
    uint32_t nz = m->z_nodes[z];
    if (zi->stats.count != m->z_count[z])
      VIOL(c, s, "count %llu != %llu, the sum of its %u nodes' counts",
        (unsigned long long)zi->stats.count, (unsigned long long)m->z_count[z], nz);
    else if (timed_of(&zi->stats) != m->z_timed[z])
      VIOL(c, s, "timed %llu != %llu, the sum of its %u nodes' timed calls",
        (unsigned long long)timed_of(&zi->stats), (unsigned long long)m->z_timed[z], nz);
    if (!eq_u(zi->stats.self_ns, m->z_self[z], nz ? nz : 1))
      VIOL(c, s, "self %s != %s, the sum of its %u nodes' self times", dur_u(c, zi->stats.self_ns),
        dur_u(c, m->z_self[z]), nz);
    uint32_t no = m->z_outer[z];
    if (!eq_u(zi->stats.total_ns, m->z_total[z], no ? no : 1))
      VIOL(c, s, "total %s != %s, the sum of the totals of its %u outermost nodes",
        dur_u(c, zi->stats.total_ns), dur_u(c, m->z_total[z]), no);
  }
}

static void check_threads(ck *c, const sums *m) {
  const fathom_profile *p = c->p;
  if (!m) return;
  uint64_t d = p->meta.duration_ns;
  for (uint32_t t = 0; t < c->nt; t++)
    if (m->t_n[t] && !p->threads[t].n_recorded && !le_u(m->t_total[t], d, m->t_n[t]))
      VIOL(c, (subj){S_THREAD, t}, "top-level total %s > session duration %s (+%llu ns, %u top-level nodes)",
        dur_u(c, m->t_total[t]), dur_u(c, d), (unsigned long long)(m->t_total[t] - d), m->t_n[t]);
}

static void check_meta(ck *c) {
  const fathom_meta *mt = &c->p->meta;
  subj s = {S_META, 0};
  if (mt->n_timed > mt->n_zones)
    VIOL(c, s, "n_timed %llu > n_zones %llu", (unsigned long long)mt->n_timed,
      (unsigned long long)mt->n_zones);
  if (!nonneg(mt->overhead_pct))
    VIOL(c, s, "overhead_pct %s is negative or not finite", fix2(c, mt->overhead_pct));
  if (!nonneg(mt->overhead_ns))
    VIOL(c, s, "overhead_ns %s is negative or not finite", fix2(c, mt->overhead_ns));
}

static void check_resources(ck *c) {
  const fathom_profile *p = c->p;
  const fathom_resources *r = &p->res;
  subj s = {S_RES, 0};
  /* NaN: not measured */
  if (r->cpu_user_s < 0) VIOL(c, s, "cpu_user_s %s < 0", fix2(c, r->cpu_user_s));
  if (r->cpu_sys_s < 0) VIOL(c, s, "cpu_sys_s %s < 0", fix2(c, r->cpu_sys_s));
  check_share(c, s, "gpu_util_mean_pct", r->gpu_util_mean_pct, 1);
  check_share(c, s, "gpu_util_max_pct", r->gpu_util_max_pct, 1);
  check_share(c, s, "sys_mem_used_pct_max", r->sys_mem_used_pct_max, 1);
  check_share(c, s, "host_cpu_pct_mean", r->host_cpu_pct_mean, 1);
  check_share(c, s, "host_cpu_pct_max", r->host_cpu_pct_max, 1);
  check_share(c, s, "disk_util_pct_max", r->disk_util_pct_max, 1);
  if (isfinite(r->host_cpu_pct_mean) && isfinite(r->host_cpu_pct_max) &&
      !fz_ck_le(r->host_cpu_pct_mean, r->host_cpu_pct_max, 0))
    VIOL(c, s, "host_cpu_pct_mean %s %% > host_cpu_pct_max", fix2(c, r->host_cpu_pct_mean));
  if (p->n_gpus && !p->gpus) VIOL(c, s, "%u GPUs but no gpus array", p->n_gpus);
  for (uint32_t g = 0; p->gpus && g < p->n_gpus; g++) {
    check_share(c, (subj){S_GPU, g}, "util_mean_pct", p->gpus[g].util_mean_pct, 1);
    check_share(c, (subj){S_GPU, g}, "util_max_pct", p->gpus[g].util_max_pct, 1);
  }
  if (p->n_probes && !p->probes) VIOL(c, s, "%u probes but no probes array", p->n_probes);
  const fathom_series *se = &p->series;
  subj ss = {S_SERIES, 0};
  if (se->n_cols && !se->cols) VIOL(c, ss, "%u columns but no column names", se->n_cols);
  if (se->n && !se->ts_ns) VIOL(c, ss, "%llu rows but no ts_ns array", (unsigned long long)se->n);
  if (se->n && se->n_cols && !se->v) VIOL(c, ss, "%llu rows but no values", (unsigned long long)se->n);
}

/* "..._pct" names that contain "share": shares of a whole, at most 100. */
static int is_share(const char *name) {
  if (!name) return 0;
  size_t l = strlen(name);
  return l >= 4 && strcmp(name + l - 4, "_pct") == 0 && strstr(name, "share") != NULL;
}

static void check_findings(ck *c) {
  const fathom_profile *p = c->p;
  for (uint32_t i = 0; p->findings && i < p->n_findings; i++) {
    const fathom_finding *f = &p->findings[i];
    subj s = {S_FINDING, i};
    if ((unsigned)f->cls >= FATHOM_FIND_N) VIOL(c, s, "class %d out of range", (int)f->cls);
    if ((unsigned)f->severity > FATHOM_SEV_CRITICAL)
      VIOL(c, s, "severity %d out of range", (int)f->severity);
    int zok = f->zone < p->n_zones;
    if (f->zone != FATHOM_NONE && !zok)
      VIOL(c, s, "zone %u out of range (%u zones)", f->zone, p->n_zones);
    if (f->node != FATHOM_NONE) {
      if (f->node >= p->n_nodes)
        VIOL(c, s, "node %u out of range (%u nodes)", f->node, p->n_nodes);
      else if (f->node < c->nn && (f->zone == FATHOM_NONE || zok) &&
               p->nodes[f->node].zone != f->zone)
        VIOL(c, s, "node %u is a path of zone %u, not of its zone %u", f->node,
          p->nodes[f->node].zone, f->zone);
    }
    if (f->n_figures && !f->figures) {
      VIOL(c, s, "%u figures but no figures array", f->n_figures);
      continue;
    }
    for (uint32_t k = 0; k < f->n_figures; k++)
      if (is_share(f->figures[k].name))
        check_share(c, s, f->figures[k].name, f->figures[k].value, 0);
    if (f->n_suggestions && !f->suggestions)
      VIOL(c, s, "%u suggestions but no suggestions array", f->n_suggestions);
  }
}

static void check_slas(ck *c) {
  const fathom_profile *p = c->p;
  for (uint32_t i = 0; p->slas && i < p->n_slas; i++) {
    const fathom_sla_result *r = &p->slas[i];
    subj s = {S_SLA, i};
    if (r->zone != FATHOM_NONE && r->zone >= p->n_zones)
      VIOL(c, s, "zone %u out of range (%u zones)", r->zone, p->n_zones);
    if (r->timed > r->count)
      VIOL(c, s, "timed %llu > count %llu", (unsigned long long)r->timed,
        (unsigned long long)r->count);
    if (isfinite(r->actual_ns) &&
        (!fz_ck_le(r->actual_lo_ns, r->actual_ns, 0) || !fz_ck_le(r->actual_ns, r->actual_hi_ns, 0)))
      VIOL(c, s, "actual %s outside its interval [%s, %s]", dur(c, r->actual_ns),
        dur(c, r->actual_lo_ns), dur(c, r->actual_hi_ns));
  }
}

static void check_throughput(ck *c) {
  const fathom_profile *p = c->p;
  for (uint32_t i = 0; p->throughput && i < p->n_throughput; i++) {
    const fathom_throughput_info *t = &p->throughput[i];
    subj s = {S_TPUT, i};
    if (t->kind == FATHOM_TPUT_ZONE) {
      if (t->index >= p->n_zones) VIOL(c, s, "zone %u out of range (%u zones)", t->index, p->n_zones);
    } else if (t->kind == FATHOM_TPUT_COUNTER) {
      if (t->index >= p->n_counters)
        VIOL(c, s, "counter %u out of range (%u counters)", t->index, p->n_counters);
    } else {
      VIOL(c, s, "kind %d out of range", (int)t->kind);
    }
    if (t->timed > t->calls)
      VIOL(c, s, "timed %llu > calls %llu", (unsigned long long)t->timed,
        (unsigned long long)t->calls);
  }
}

static void check_events(ck *c) {
  const fathom_profile *p = c->p;
  for (uint64_t i = 0; p->events && i < p->n_events; i++) {
    const fathom_event *e = &p->events[i];
    subj s = {S_EVENT, i};
    if (e->thread >= p->n_threads)
      VIOL(c, s, "thread %u out of range (%u threads)", e->thread, p->n_threads);
    if (e->zone >= p->n_zones) VIOL(c, s, "zone %u out of range (%u zones)", e->zone, p->n_zones);
    if (i && e->ts_ns < e[-1].ts_ns)
      VIOL(c, s, "ts_ns %llu before the previous event's %llu (events are sorted by time)",
        (unsigned long long)e->ts_ns, (unsigned long long)e[-1].ts_ns);
  }
  for (uint64_t i = 0; p->counter_events && i < p->n_counter_events; i++) {
    const fathom_counter_event *e = &p->counter_events[i];
    subj s = {S_CEVENT, i};
    if (e->counter >= p->n_counters)
      VIOL(c, s, "counter %u out of range (%u counters)", e->counter, p->n_counters);
    if (e->thread != FATHOM_NONE && e->thread >= p->n_threads)
      VIOL(c, s, "thread %u out of range (%u threads)", e->thread, p->n_threads);
  }
}

static void check_snapshots_gov(ck *c) {
  const fathom_profile *p = c->p;
  for (uint32_t i = 0; p->mem_snapshots && i < p->n_mem_snapshots; i++) {
    const fathom_mem_snapshot_info *m = &p->mem_snapshots[i];
    subj s = {S_SNAP, i};
    if (m->n && (!m->zone || !m->zone_live_count || !m->zone_live_bytes)) {
      VIOL(c, s, "%u zones but a NULL zone array", m->n);
      continue;
    }
    for (uint32_t k = 0; k < m->n; k++)
      if (m->zone[k] >= p->n_zones) {
        VIOL(c, s, "zone %u out of range (%u zones)", m->zone[k], p->n_zones);
        break;
      }
  }
  for (uint32_t i = 0; p->gov_actions && i < p->n_gov_actions; i++) {
    const fathom_gov_action *g = &p->gov_actions[i];
    if (g->zone != FATHOM_NONE && g->zone >= p->n_zones)
      VIOL(c, (subj){S_GOV, i}, "zone %u out of range (%u zones)", g->zone, p->n_zones);
  }
}

/* Arrays announced by a count but missing: each is one violation, and the rules that read
 * that array are skipped (the checker never dereferences them). */
static void check_arrays(ck *c) {
  const fathom_profile *p = c->p;
  subj s = {S_META, 0};
#define CK_ARRAY(n, arr, what)                                                         \
  if ((n) && !(arr)) VIOL(c, s, "%llu " what " but a NULL " #arr " array", (unsigned long long)(n))
  CK_ARRAY(p->n_zones, p->zones, "zones");
  CK_ARRAY(p->n_nodes, p->nodes, "nodes");
  CK_ARRAY(p->n_threads, p->threads, "threads");
  CK_ARRAY(p->n_counters, p->counters, "counters");
  CK_ARRAY(p->n_events, p->events, "events");
  CK_ARRAY(p->n_counter_events, p->counter_events, "counter events");
  CK_ARRAY(p->n_mem_snapshots, p->mem_snapshots, "memory snapshots");
  CK_ARRAY(p->n_gov_actions, p->gov_actions, "governor actions");
  CK_ARRAY(p->n_findings, p->findings, "findings");
  CK_ARRAY(p->n_slas, p->slas, "SLAs");
  CK_ARRAY(p->n_throughput, p->throughput, "throughput entries");
  CK_ARRAY(p->n_lines, p->lines, "lines");
  CK_ARRAY(p->n_processes, p->processes, "processes");
  CK_ARRAY(p->n_attempts, p->attempts, "attempts");
  CK_ARRAY(p->n_rankings, p->rankings, "rankings");
  CK_ARRAY(p->n_outcome_events, p->outcome_events, "outcome_events");
  CK_ARRAY(p->n_queries, p->queries, "database statements");
  CK_ARRAY(p->n_gpu_zones, p->gpu_zones, "GPU zones");
  CK_ARRAY(p->n_requests, p->requests, "network endpoints");
#undef CK_ARRAY
}

/* A violation found by check_run.c: counted, and its line written while there is room. */
static void run_viol(void *x, const char *line) {
  ck *c = x;
  c->n++;
  if (!c->msg || !c->cap || c->full) return;
  char buf[CK_LINE + 1];
  int l = snprintf(buf, sizeof buf, "%s\n", line);
  put_line(c, buf, l > 0 && (size_t)l < sizeof buf ? (size_t)l : sizeof buf - 1);
}

int fathom_profile_check(const fathom_profile *p, char *msg, size_t cap) {
  if (!p) {
    if (msg && cap) msg[0] = '\0';
    return FATHOM_E_INVAL;
  }
  ck c;
  memset(&c, 0, sizeof c);
  c.p = p;
  c.msg = msg;
  c.cap = msg ? cap : 0;
  if (c.cap) msg[0] = '\0';
  /* indices are judged against the counts the model announces; the rules walk and index
   * only the arrays that are there */
  c.nn = p->nodes ? p->n_nodes : 0;
  c.nz = p->zones ? p->n_zones : 0;
  c.nt = p->threads ? p->n_threads : 0;

  check_arrays(&c);
  sums m;
  int have = sums_alloc(&m, c.nn, c.nz, c.nt) == 0;
  sums *mp = have ? &m : NULL;
  check_nodes(&c, mp);
  if (have) outer_totals(&c, &m);
  check_zones(&c, p->nodes || !p->n_nodes ? mp : NULL);
  check_threads(&c, mp);
  check_meta(&c);
  check_resources(&c);
  check_findings(&c);
  check_slas(&c);
  check_throughput(&c);
  check_events(&c);
  check_snapshots_gov(&c);
  fz_check_run(p, run_viol, &c);
  fz_check_sql(p, run_viol, &c);
  fz_check_net(p, run_viol, &c);
  fz_check_win(p, run_viol, &c);
  fz_check_ext(p, run_viol, &c);   /* extensions (check_ext.c) */
  if (have) sums_free(&m);
  return c.n > INT_MAX ? INT_MAX : (int)c.n;
}
