/* window.c: rolling windows' recording side: fathom_window_enable, the per-thread rings and
 * the reading of a window's calls (docs/windows.md).
 *
 * How it works: a window is a definition (zone name, last N calls, last T seconds) kept in
 * a fixed table; nodes of that name carry its index (fz_node.win) and a key that sends them
 * off the plain path, so their ends reach fz_close_special (or fathom_zone_record), which
 * calls fz_win_record: the call's end time and duration go to the thread's ring for that
 * window (capacity N, or FATHOM_WINDOW_MAX_CALLS without a call limit), overwriting the
 * oldest. A reading merges every thread's ring under fz_g.lock: the calls that ended in the
 * time window, newest first, the first N of them; percentiles are exact (nearest rank) over
 * their durations. The whole-run figures beside them and FATHOM_WINDOWS are the session's
 * (session/windows.c).
 *
 * Invariant: only the owner writes its rings, with a sequence pair: `begun` is raised (then a
 * release fence) before a slot is written, `done` (release) after, so a reader that copies
 * slots between an acquire load of done and an acquire fence plus a load of begun keeps only
 * the slots no write touched meanwhile (index >= begun - cap): never a torn entry. Rings live
 * in the thread's arena (freed with its data, t->wtab cleared when it is recycled under the
 * lock). With a call limit no call of the window is ever lost (each thread keeps its own
 * newest N, a superset of the window's share); with only a time limit, a ring that overwrote
 * calls of the last T s narrows the window to the calls after its oldest kept one and marks
 * the figures truncated. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "record/window.h"
#include "util/str.h"

typedef struct win_def {
  const char *name;     /* interned */
  uint32_t n;           /* last N calls, 0: no limit */
  double secs;          /* last T s, 0: no limit */
  uint32_t cap;         /* ring slots per thread */
  uint64_t since;       /* ticks when enabled */
  int retired;          /* disabled or replaced (atomic) */
  uint64_t dropped;     /* calls lost for want of memory (atomic) */
} win_def;

typedef struct win_ent {
  uint64_t end, dur;    /* end: ticks; duration: ns */
} win_ent;

typedef struct fz_wring {
  uint64_t begun, done; /* writes begun, completed (owner; readers load) */
  uint32_t cap, pos;    /* slots; the next slot (owner only) */
  win_ent e[];
} fz_wring;

struct fz_wtab {
  fz_wring *r[FZ_WIN_MAX];
};

static win_def W[FZ_WIN_MAX];
static uint32_t n_w;    /* definitions published (release) */
uint32_t fz_win_version;

FZ_TEXT static int active(uint32_t i) { return !FZ_LD(W[i].retired); }

FZ_TEXT uint32_t fz_win_lookup(const fathom_site *s) {
  uint32_t k = FZ_LDA(n_w);
  if (!k || !s || !s->name) return 0;
  for (uint32_t i = k; i-- > 0;)
    if (active(i) && strcmp(W[i].name, s->name) == 0) return i + 1;
  return 0;
}

/* Sets n's window to win and its key from it (caller holds fz_g.lock). The window first,
 * released, so an owner that sees the new key sees the window. */
FZ_TEXT static void set_node(fz_node *n, uint32_t win) {
  FZ_STR(n->win, win);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  FZ_ST(n->key, fz_node_key_for(n, FZ_LD(fz_rec_gen) != 0, 1));
}

FZ_TEXT void fz_win_node_fix(fz_node *n) {
  fz_glock();
  uint32_t w = fz_win_lookup(n->site);
  if (w != FZ_LD(n->win)) set_node(n, w);
  fz_gunlock();
}

/* ---- recording (owner thread) ---- */

FZ_TEXT static fz_wring *ring_of(fz_thread *t, uint32_t id) {
  fz_wtab *tab = t->wtab;
  int saved = errno;
  if (!tab) {
    tab = fz_chunk_alloc(t, sizeof *tab);
    if (!tab) goto none;
    memset(tab, 0, sizeof *tab);
    FZ_STR(t->wtab, tab);
  }
  fz_wring *r = tab->r[id];
  if (!r) {
    uint32_t cap = W[id].cap;
    r = fz_chunk_alloc(t, sizeof *r + (size_t)cap * sizeof(win_ent));
    if (!r) goto none;
    memset(r, 0, sizeof *r);
    r->cap = cap;
    FZ_STR(tab->r[id], r);
  }
  errno = saved;
  return r;
none:
  errno = saved;
  return NULL;
}

FZ_TEXT void fz_win_record(fz_thread *t, uint32_t win, uint64_t t1, uint64_t d) {
  uint32_t id = win - 1;
  if (id >= FZ_WIN_MAX || id >= FZ_LDA(n_w)) return;
  fz_wring *r = ring_of(t, id);
  if (!r) {
    __atomic_fetch_add(&W[id].dropped, 1, __ATOMIC_RELAXED);
    return;
  }
  uint64_t k = r->done;
  FZ_ST(r->begun, k + 1);
  __atomic_thread_fence(__ATOMIC_RELEASE);
  uint32_t p = r->pos;
  FZ_ST(r->e[p].end, t1);
  FZ_ST(r->e[p].dur, d);
  r->pos = p + 1 == r->cap ? 0 : p + 1;
  FZ_STR(r->done, k + 1);
}

/* ---- enabling ---- */

/* Sets the window of every node named name of the session's threads to win (caller holds
 * fz_g.lock). */
FZ_TEXT static void retag(const char *name, uint32_t win) {
  __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with fz_child_slow's fence */
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    if (FZ_LD(t->gen) != fz_g.session_gen) continue;
    uint64_t nn = FZ_LDA(t->n_nodes);
    for (uint64_t i = 0; i < nn; i++) {
      fz_node *n = fz_node_at(t, i);
      if (!n->site || !n->site->name || (n->flags & FZ_NODE_MUTED)) continue;
      if (strcmp(n->site->name, name) == 0) set_node(n, win);
    }
  }
}

FATHOM_EXTERN int fathom_window_enable(const char *zone_name, uint32_t last_calls,
                                       double last_seconds) {
  if (!zone_name || !*zone_name || last_calls > FATHOM_WINDOW_MAX_CALLS ||
      !(last_seconds >= 0 && last_seconds <= FATHOM_WINDOW_MAX_SECONDS))
    return FATHOM_E_INVAL;
  int saved = errno;
  fz_glock();
  int rc = 0;
  uint32_t old = fz_win_lookup(&(fathom_site){.name = zone_name});
  if (!last_calls && last_seconds == 0) { /* disable */
    if (!old) {
      rc = FATHOM_E_NOTFOUND;
    } else {
      FZ_ST(W[old - 1].retired, 1);
      __atomic_fetch_add(&fz_win_version, 1, __ATOMIC_SEQ_CST);
      retag(zone_name, 0);
    }
  } else if (old && W[old - 1].n == last_calls && W[old - 1].secs == last_seconds) {
    rc = 0; /* the same window: kept as it is */
  } else if (n_w >= FZ_WIN_MAX) {
    rc = FATHOM_E_LIMIT;
  } else {
    const char *in = fz_intern_locked(zone_name);
    if (!in) {
      rc = FATHOM_E_NOMEM;
    } else {
      uint32_t id = n_w;
      W[id] = (win_def){.name = in, .n = last_calls, .secs = last_seconds,
                        .cap = last_calls ? last_calls : FATHOM_WINDOW_MAX_CALLS,
                        .since = fz_ticks()};
      if (old) FZ_ST(W[old - 1].retired, 1);
      FZ_STR(n_w, id + 1);
      __atomic_fetch_add(&fz_win_version, 1, __ATOMIC_SEQ_CST);
      retag(in, id + 1);
    }
  }
  fz_gunlock();
  errno = saved;
  return rc;
}

/* ---- reading ---- */

static int by_end_desc(const void *a, const void *b) {
  uint64_t x = ((const win_ent *)a)->end, y = ((const win_ent *)b)->end;
  return x < y ? 1 : x > y ? -1 : 0;
}
static int by_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q % of the n sorted values at or below. */
static double rank_pct(const uint64_t *v, uint64_t n, unsigned q) {
  uint64_t r = (q * n + 99) / 100;
  return (double)v[r ? r - 1 : 0];
}

/* Copies ring r's entries that ended in [lo, now] to *buf (grown); *lost_after: the end of
 * the oldest kept entry when older entries were overwritten (else 0). 0 or -1 (NOMEM). */
static int ring_copy(const fz_wring *r, uint64_t lo, uint64_t now, win_ent **buf, size_t *n,
                     size_t *cap, uint64_t *lost_after) {
  uint64_t d1 = FZ_LDA(r->done), c = r->cap;
  uint64_t k = d1 < c ? d1 : c;
  if (*n + k > *cap) {
    size_t nc = (*n + k) * 2;
    win_ent *nb = realloc(*buf, nc * sizeof *nb);
    if (!nb) return -1;
    *buf = nb;
    *cap = nc;
  }
  win_ent *tmp = *buf + *n;  /* copied in index order, filtered after the check */
  for (uint64_t i = d1 - k; i < d1; i++) {
    tmp[i - (d1 - k)].end = FZ_LD(r->e[i % c].end);
    tmp[i - (d1 - k)].dur = FZ_LD(r->e[i % c].dur);
  }
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  uint64_t b2 = FZ_LD(r->begun);
  uint64_t first = b2 > c ? b2 - c : 0; /* older indices may have been overwritten */
  if (first < d1 - k) first = d1 - k;
  *lost_after = 0;
  if (first > 0 && first < d1) *lost_after = tmp[first - (d1 - k)].end;
  else if (first > 0) *lost_after = now; /* everything kept was overwritten meanwhile */
  size_t m = 0;
  for (uint64_t i = first; i < d1; i++) {
    win_ent e = tmp[i - (d1 - k)];
    if (e.end >= lo && e.end <= now) tmp[m++] = e;
  }
  *n += m;
  return 0;
}

/* The newest active window named name, its index + 1; 0 when none (lock held). */
static uint32_t find(const char *name) { return fz_win_lookup(&(fathom_site){.name = name}); }

/* The figures of window id for generation g at `now` (ticks; lock held). 0 or NOMEM. */
static int compute(uint32_t id, uint32_t g, uint64_t now, fathom_window *o) {
  const win_def *d = &W[id];
  memset(o, 0, sizeof *o);
  o->last_calls = d->n;
  o->last_seconds = d->secs;
  o->mean_ns = o->min_ns = o->max_ns = NAN;
  o->p50_ns = o->p90_ns = o->p95_ns = o->p99_ns = NAN;
  o->dropped = FZ_LD(W[id].dropped);
  uint64_t lo = d->since > fz_g.start_ticks ? d->since : fz_g.start_ticks;
  if (d->secs > 0) {
    uint64_t span = fz_ns_to_ticks((uint64_t)(d->secs * 1e9));
    if (now > span && now - span > lo) lo = now - span;
  }
  win_ent *buf = NULL;
  size_t n = 0, cap = 0;
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    if (FZ_LD(t->gen) != g) continue;
    fz_wtab *tab = FZ_LDA(t->wtab);
    fz_wring *r = tab ? FZ_LDA(tab->r[id]) : NULL;
    if (!r) continue;
    uint64_t lost_after;
    if (ring_copy(r, lo, now, &buf, &n, &cap, &lost_after)) {
      free(buf);
      return FATHOM_E_NOMEM;
    }
    if (!d->n && lost_after > lo) { /* time window only: calls before it may be missing */
      lo = lost_after;
      o->truncated = 1;
    }
  }
  if (n) qsort(buf, n, sizeof *buf, by_end_desc);   /* buf is NULL when nothing was copied */
  size_t keep = 0;
  while (keep < n && buf[keep].end >= lo) keep++; /* lo may have risen after the copies */
  uint32_t lim = d->n ? d->n : FATHOM_WINDOW_MAX_CALLS;
  if (keep > lim || (d->n && keep == lim)) { /* full: it covers from its oldest call's end */
    if (keep > lim && !d->n) o->truncated = 1;
    keep = lim;
    lo = buf[keep - 1].end;
  }
  o->calls = keep;
  o->seconds = now > lo ? (double)fz_ticks_to_ns(now - lo) / 1e9 : 0;
  o->rate_per_s = o->seconds > 0 ? (double)keep / o->seconds : 0;
  if (keep) {
    uint64_t *v = malloc(keep * sizeof *v);
    if (!v) {
      free(buf);
      return FATHOM_E_NOMEM;
    }
    double sum = 0;
    for (size_t i = 0; i < keep; i++) {
      v[i] = buf[i].dur;
      sum += (double)v[i];
    }
    qsort(v, keep, sizeof *v, by_u64);
    o->mean_ns = sum / (double)keep;
    o->min_ns = (double)v[0];
    o->max_ns = (double)v[keep - 1];
    if (o->mean_ns < o->min_ns) o->mean_ns = o->min_ns; /* rounding of the sum */
    if (o->mean_ns > o->max_ns) o->mean_ns = o->max_ns;
    o->p50_ns = rank_pct(v, keep, 50);
    o->p90_ns = rank_pct(v, keep, 90);
    o->p95_ns = rank_pct(v, keep, 95);
    o->p99_ns = rank_pct(v, keep, 99);
    free(v);
  }
  free(buf);
  return 0;
}

/* The whole run's calls of zones named name (generation g; lock held), and when dense is not
 * NULL, their merged histogram (ticks; FATHOM_HIST_BUCKETS counts) and the least and
 * greatest timed durations (ticks). */
static void run_figures(const char *name, uint32_t g, fathom_window *o, uint64_t *dense,
                        uint64_t *mn, uint64_t *mx) {
  o->run_calls = 0;
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    if (FZ_LD(t->gen) != g) continue;
    uint64_t nn = FZ_LDA(t->n_nodes);
    for (uint64_t i = 0; i < nn; i++) {
      fz_node *n = fz_node_at(t, i);
      if (!n->site || !n->site->name || strcmp(n->site->name, name) != 0) continue;
      o->run_calls += FZ_LD(n->count) + FZ_LD(n->s_n) + FZ_LD(n->untimed);
      if (!dense || FZ_LD(n->count) + FZ_LD(n->s_n) == 0) continue;
      uint64_t a = FZ_LD(n->min), b = FZ_LD(n->max);
      if (a < *mn) *mn = a;
      if (b > *mx) *mx = b;
      for (uint32_t m = 6; m <= FZ_HIST_LAST_M; m++) {
        uintptr_t hb = __atomic_load_n(&FZ_HB(n, m), __ATOMIC_ACQUIRE);
        if (!hb) continue;
        for (uint32_t q = m == 6 ? 0 : 64; q < 128; q++)
          dense[FZ_HIST_SUB * (m - 6) + q] += FZ_LD(*(uint64_t *)(hb + 8 * q));
      }
    }
  }
}

int fz_win_read(const char *name, uint64_t now, fathom_window *out, uint64_t *dense,
                uint64_t *mn, uint64_t *mx) {
  int saved = errno;
  fz_glock();
  uint32_t w = find(name);
  int rc = !w ? FATHOM_E_NOTFOUND : !fz_g.session_gen ? FATHOM_E_STATE : 0;
  if (!rc && !FZ_LD(fz_g.active) && now > fz_g.end_ticks) now = fz_g.end_ticks;
  if (!rc) rc = compute(w - 1, fz_g.session_gen, now, out);
  if (!rc) run_figures(name, fz_g.session_gen, out, dense, mn, mx);
  fz_gunlock();
  errno = saved;
  return rc;
}

void fz_win_run_hist(const char *name, uint32_t g, uint64_t *run_calls, uint64_t *dense,
                     uint64_t *mn, uint64_t *mx) {
  fathom_window o;
  int saved = errno;
  fz_glock();
  run_figures(name, g, &o, dense, mn, mx);
  fz_gunlock();
  errno = saved;
  if (run_calls) *run_calls = o.run_calls;
}

int fz_win_read_all(uint32_t g, uint64_t at, fathom_window_info **out, uint32_t *n_out) {
  *out = NULL;
  *n_out = 0;
  int saved = errno;
  fz_glock();
  uint32_t k = n_w, m = 0;
  fathom_window_info *arr = k ? calloc(k, sizeof *arr) : NULL;
  uint64_t now = at ? at : fz_g.end_ticks;
  int rc = k && !arr ? FATHOM_E_NOMEM : 0;
  for (uint32_t i = 0; arr && i < k; i++) {
    if (!active(i)) continue;
    arr[m].name = fz_strdup(W[i].name);
    if (!arr[m].name || compute(i, g, now, &arr[m].w) != 0) {
      free(arr[m].name);
      rc = FATHOM_E_NOMEM;
      continue;
    }
    m++;
  }
  fz_gunlock();
  errno = saved;
  if (!m) {
    free(arr);
    return rc;
  }
  *out = arr;
  *n_out = m;
  return rc;
}
