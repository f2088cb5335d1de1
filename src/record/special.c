/* record/special.c: the recorder's special path: calls of nodes that are not timed every call
 * on the plain path. A node goes special when the governor (gov.c) samples its timing (each
 * call timed with probability 1/t_every), when its calls are probed (DETAILED and
 * COMPREHENSIVE: thread CPU, context switches, faults, I/O, RSS, hardware counters around a
 * random sample of its timed calls), when the timeline records events, or when the timer is
 * CLOCK_MONOTONIC, or when an extension reads every timed call (record/ext.c: extensions are
 * read around the probed calls, outside the probes). Also: declared FLOPs, the live-heap
 * trend of a path.
 *
 * How sampling works: each node keeps countdowns drawn from the geometric distribution, so
 * every call is timed independently with probability 1/t_cur (the interval the countdown was
 * drawn with) and every timed call probed with probability 1/p_cur. The probabilities are
 * known when the call is made, so each timed call weighs t_cur and each probed call
 * t_cur * p_cur, and the weighted sums are unbiased estimates of the whole run's totals
 * (Horvitz-Thompson), whatever the workload does over time. The governor changes t_every
 * and p_every at any tick and asks for a redraw through the node's key (FZ_KEY_REDRAW):
 * because the distribution is memoryless, dropping a countdown mid-way and drawing a new
 * one keeps every call's probability the one in force when it was made.
 *
 * Invariant: only the owner thread runs this on its nodes and writes the countdowns; the
 * governor writes t_every, p_every and the key (relaxed stores under fz_g.lock). A probed
 * call reads the probes before its begin time and after its end time, so the zone's
 * duration never includes them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/alloc.h"
#include "record/ext.h"
#include "record/record.h"
#include "record/window.h"

#define SPLIT_MIN_CPU_NS 100000000ull /* user/system split shown from 100 ms of probed CPU */
#define P_MAX 65536u                  /* at most 1 probed call in this many timed ones */


FZ_TEXT static uint64_t rng_next(fz_thread *t) {
  uint64_t x = t->rng; /* xorshift64* */
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  t->rng = x;
  return x * 0x2545f4914f6cdd1dull;
}

/* Calls until the next selected one when each call is selected with probability 1/n:
 * geometric on {1, 2, ...} with mean n. */
FZ_TEXT static uint32_t geom(fz_thread *t, uint32_t n) {
  if (n <= 1) return 1;
  double u = (double)((rng_next(t) >> 11) | 1) * 0x1p-53; /* (0, 1) */
  double k = 1.0 + floor(log(u) / log1p(-1.0 / (double)n));
  return k >= 2147483647.0 ? 2147483647u : (uint32_t)k;
}

FZ_TEXT const void *fz_node_key_for(const fz_node *n, int live, int redraw) {
  if (!live || (n->flags & FZ_NODE_MUTED)) return FZ_KEY_DEAD(n->rkey);
  int sampled = FZ_LD(n->p_every) != 0 || FZ_LD(n->t_every) > 1 || FZ_LD(fz_ext_every);
  int win = FZ_LD(n->win) != 0; /* a rolling window's: its ends go to the special path */
  if (!sampled && !win && fz_g.plain_ok) return n->rkey;
  if (!sampled && !win && fz_g.timeline_ok) return FZ_KEY_TL(n->rkey); /* every call, events */
  return redraw ? FZ_KEY_REDRAW(n->rkey) : FZ_KEY_SPECIAL(n->rkey);
}

FZ_TEXT void fz_node_update_special(fz_node *n) {
  const void *k = FZ_LD(n->key);
  int redraw = k == FZ_KEY_REDRAW(n->rkey);
  FZ_ST(n->key, fz_node_key_for(n, FZ_LD(fz_rec_gen) != 0, redraw));
}

FZ_TEXT void fz_node_sampling_init(fz_node *n) {
  n->t_every = 1;
  n->p_every = 0;
  n->win = fz_win_lookup(n->site);
  /* decided once per node: its component's level (record/levels.c) says whether its calls
   * are probed; the hot path never asks */
  if (fz_site_probed(n->site)) n->flags |= FZ_NODE_PROBE;
  if (n->flags & FZ_NODE_PROBE)
    n->p_every = fz_g.cfg.governor ? FZ_P_AUTO : (fz_g.cfg.sample_every ? fz_g.cfg.sample_every : 16);
  n->key = fz_node_key_for(n, 1, 0);
}

FZ_TEXT void fz_probe_thread_release(fz_thread *t) {
  if (t->probe) fz_probe_close(t->probe);
  t->probe = NULL;
  t->probe_state = 0;
}

FZ_TEXT fz_wframe *fz_wframes(fz_thread *t) {
  if (FZ_UNLIKELY(!t->wstack)) {
    int saved = errno;
    fz_alloc_pause();
    t->wstack = calloc(FZ_STACK_ENTRIES, sizeof(fz_wframe));
    fz_alloc_resume();
    errno = saved;
  }
  return t->wstack;
}

/* What a thread's probes were opened for: the level and the metric switches they obey (a
 * context kept for a later session is reopened when this differs: record/threads.c). */
FZ_TEXT int fz_probe_level_key(void) {
  return (int)fz_g.cfg.level | (int)(fz_g.metrics_off & FATHOM_METRIC_ALL) << 2 |
         (int)(fz_g.metrics_on & FATHOM_METRIC_ALL) << 12;
}

/* The probe frame for stack entry e, or NULL when probes cannot work on this thread. */
FZ_TEXT static fz_pframe *frame_for(fz_thread *t, fz_entry *e) {
  if (t->probe_state == 0) {
    int saved = errno;
    fz_alloc_pause();
    if (!t->pstack) t->pstack = calloc(FZ_STACK_ENTRIES, sizeof *t->pstack);
    t->probe = t->pstack ? fz_probe_open((int)fz_g.cfg.level) : NULL;
    fz_alloc_resume();
    errno = saved;
    t->probe_level = fz_probe_level_key();
    t->probe_state = t->probe ? 1 : -1;
  }
  return t->probe_state > 0 ? &t->pstack[e - t->stack] : NULL;
}

/* The probing interval the owner uses while the governor has not decided for n (p_every
 * FZ_P_AUTO): a probed call costs probe_cost_ns, so probing 1 timed call in p keeps the
 * probes of a path within the level's budget of its own time. */
FZ_TEXT static uint32_t p_auto(const fz_node *n) {
  uint64_t c = FZ_LD(n->count);
  if (!c || fz_g.probe_cost_ns <= 0) return 1; /* the first call: probed */
  double mean_ns = (double)fz_ticks_to_ns(FZ_LD(n->total)) / (double)c;
  double frac = fz_g.cfg.max_overhead_percent / 100.0;
  double p = fz_g.probe_cost_ns / (frac * (mean_ns > 1 ? mean_ns : 1));
  if (p <= 1) return 1;
  return p >= P_MAX ? P_MAX : (uint32_t)ceil(p);
}

FZ_TEXT static uint32_t p_next(const fz_node *n, uint32_t pe) {
  return pe == FZ_P_AUTO ? p_auto(n) : pe;
}

/* New countdowns from the node's current intervals (a redraw, or the first special call). */
FZ_TEXT static void redraw(fz_thread *t, fz_node *c, const void *k) {
  __atomic_thread_fence(__ATOMIC_ACQUIRE); /* the governor stored t_every, p_every first */
  uint32_t win = FZ_LD(c->win);
  uint32_t te = win ? 1 : FZ_LD(c->t_every), pe = FZ_LD(c->p_every);
  c->t_cur = te > 1 ? te : 1;
  c->t_skip = geom(t, c->t_cur);
  FZ_ST(c->p_cur, pe ? p_next(c, pe) : 0); /* (snapshots read it) */
  c->p_skip = c->p_cur ? geom(t, c->p_cur) : 0;
  if (pe && FZ_LD(c->count) + FZ_LD(c->s_n) + FZ_LD(c->untimed) == 0) {
    FZ_ST(c->p_cur, 1); /* a path's first call is always probed (weight 1), then 1 in p_every */
    c->p_skip = 1;
  }
  if (k == FZ_KEY_REDRAW(c->rkey)) {
    const void *want = fz_node_key_for(c, 1, 0);
    if (__atomic_compare_exchange_n(&c->key, &k, want, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED) &&
        !win) { /* the redraw taken may be a window's, enabled after win was read: its calls
                   are all timed from now on (window.c stores win before the key) */
      __atomic_thread_fence(__ATOMIC_ACQUIRE);
      if (FZ_LD(c->win)) c->t_cur = c->t_skip = 1;
    }
  } else if (k == FZ_KEY_DEAD(c->rkey)) { /* linked while the tree was set dead */
    fz_glock();
    fz_node_update_special(c);
    fz_gunlock();
  }
}

FZ_TEXT fathom_zone fz_begin_special(fz_thread *t, fz_entry *e, fz_node *c) {
  fz_cache_to(e->node, c); /* e < t->last: its node is under the depth cap */
  const void *k = FZ_LD(c->key);
  if (k != FZ_KEY_SPECIAL(c->rkey) || c->t_skip == 0) redraw(t, c, k);
  fz_entry *ne = e + 1;
  ne->node = c;
  uint32_t skip = c->t_skip;
  if (skip > 1) { /* counted, not timed */
    c->t_skip = skip - 1;
    uint64_t tag = ++t->seq; /* FZ_T0_UNTIMED set from the start (record.h) */
    ne->t0 = tag | FZ_T0_SPECIAL;
    FZ_ADD(c->untimed, 1);
    FZ_PUBLISH_TOP(t, ne);
    return (fathom_zone){tag};
  }
  /* timed: it weighs the interval its countdown was drawn with; draw the next one */
  uint32_t w = c->t_cur ? c->t_cur : 1;
  uint32_t te = FZ_LD(c->win) ? 1 : FZ_LD(c->t_every); /* a window's calls: all timed */
  c->t_cur = te > 1 ? te : 1;
  c->t_skip = geom(t, c->t_cur);
  uint32_t wp = 0;
  if (c->p_cur) {
    if (c->p_skip > 1) {
      c->p_skip--;
    } else {
      wp = c->p_cur;
      uint32_t pe = FZ_LD(c->p_every);
      FZ_ST(c->p_cur, pe ? p_next(c, pe) : 0);
      c->p_skip = c->p_cur ? geom(t, c->p_cur) : 0;
    }
  }
  fz_wframe *wf = fz_wframes(t);
  if (FZ_UNLIKELY(!wf) && w > 1) { /* no memory for its weight: counted only */
    uint64_t tag = ++t->seq; /* FZ_T0_UNTIMED set from the start (record.h) */
    ne->t0 = tag | FZ_T0_SPECIAL;
    FZ_ADD(c->untimed, 1);
    FZ_PUBLISH_TOP(t, ne);
    return (fathom_zone){tag};
  }
  uint32_t idx = (uint32_t)(ne - t->stack);
  if (wf) {
    wf[idx].w = w;
    wf[idx].wp = 0;
  }
  if (FZ_UNLIKELY(__atomic_load_n(&fz_ext_n, __ATOMIC_ACQUIRE) != 0) && wf)
    fz_ext_begin(t, idx, w, wp);   /* extensions: read outside the probes (record/ext.c) */
  if (wp && wf) {
    fz_pframe *f = frame_for(t, ne);
    if (f) {
      f->mask = fz_probe_read_at(t->probe, &f->v, 0);
      if (f->mask) wf[idx].wp = wp;
      f->heap_ok = f->mask && fz_alloc_peak_begin(&f->heap_live0, &f->heap_prev);
    }
  }
  FZ_PUBLISH_TOP(t, ne);
  uint64_t t0 = fz_ticks_fenced(); /* fenced: the interval holds a fixed cost (clock.h) */
  ne->t0 = t0 | FZ_T0_SPECIAL;
  return (fathom_zone){t0};
}

FZ_TEXT void fz_node_record_weighted(fz_thread *t, fz_node *n, uint64_t d, uint32_t w) {
  double dd = (double)d, ww = (double)w;
  FZ_ST(n->s_n, n->s_n + 1);
  FZ_ST(n->s_w, n->s_w + w);
  FZ_ST(n->s_w2, n->s_w2 + (uint64_t)w * w);
  fz_dadd(&n->s_wd, ww * dd);
  fz_dadd(&n->s_wd2, ww * dd * dd);
  fz_dadd(&n->s_v0, ww * (ww - 1));
  fz_dadd(&n->s_v1, ww * (ww - 1) * dd);
  fz_dadd(&n->s_v, ww * (ww - 1) * dd * dd);
  if (d < n->min) FZ_ST(n->min, d);
  if (d > n->max) FZ_ST(n->max, d);
  uint64_t *slot = fz_hist_slot(n, d);
  if (slot)
    FZ_ST(*slot, *slot + w);
  else
    fz_hist_add_cold(t, n, d, w);
}

/* Adds (calls, live) to n's trend: every stride-th probed call; when the 16 points are full,
 * every other one is dropped and the stride doubles (bounded, spans the whole run). */
FZ_TEXT static void trend_add(fz_thread *t, fz_node *n, uint64_t calls, int64_t live) {
  fz_trend *tr = n->trend;
  if (!tr) {
    int saved = errno;
    tr = fz_chunk_alloc(t, sizeof *tr);
    errno = saved;
    if (!tr) return;
    memset(tr, 0, sizeof *tr);
    tr->stride = 1;
    FZ_STR(n->trend, tr);
  }
  if (tr->skip++ % tr->stride) return;
  uint32_t k = FZ_LD(tr->n);
  if (k == FZ_TREND_PTS) {
    for (uint32_t i = 0; i < FZ_TREND_PTS / 2; i++) {
      FZ_ST(tr->calls[i], tr->calls[2 * i + 1]);
      FZ_ST(tr->live[i], tr->live[2 * i + 1]);
    }
    k = FZ_TREND_PTS / 2;
    tr->stride *= 2;
  }
  FZ_ST(tr->calls[k], calls);
  FZ_ST(tr->live[k], live);
  FZ_STR(tr->n, k + 1);
}

/* Adds one probed call's deltas (end - begin, masked by m), weighted by W, to n. CPU time:
 * the probes' own share (calibrated) is taken off the total, and the kernel's tick-sampled
 * system part is kept within [0, total], so user and system are never negative. */
FZ_TEXT static void probe_add(fz_node *n, const fz_pval *b, fz_pval *now, uint32_t m, uint64_t d_ns,
                      uint64_t W) {
  if (m >> FATHOM_RES_CPU_NS & 1) {
    int64_t cpu = now->v[FATHOM_RES_CPU_NS] - b->v[FATHOM_RES_CPU_NS];
    cpu -= (int64_t)fz_probe_cpu_bias_ns;
    if (cpu < 0) cpu = 0;
    int64_t sys = now->v[FATHOM_RES_CPU_SYS_NS] - b->v[FATHOM_RES_CPU_SYS_NS];
    if (sys < 0) sys = 0;
    if (sys > cpu) sys = cpu;
    now->v[FATHOM_RES_CPU_NS] = b->v[FATHOM_RES_CPU_NS] + cpu;
    now->v[FATHOM_RES_CPU_SYS_NS] = b->v[FATHOM_RES_CPU_SYS_NS] + sys;
    now->v[FATHOM_RES_CPU_USER_NS] = b->v[FATHOM_RES_CPU_USER_NS] + (cpu - sys);
    FZ_ST(n->pcpu_raw, n->pcpu_raw + (uint64_t)cpu);
  }
  for (int i = 0; i < FATHOM_RES_N; i++)
    if (m >> i & 1) FZ_ST(n->psum[i], n->psum[i] + (int64_t)W * (now->v[i] - b->v[i]));
  FZ_ST(n->psum[FATHOM_RES_WALL_NS], n->psum[FATHOM_RES_WALL_NS] + (int64_t)(W * d_ns));
  FZ_ST(n->pmask, n->pmask | m | 1u << FATHOM_RES_WALL_NS);
  FZ_ST(n->psamples, n->psamples + 1);
  FZ_ST(n->pweight, n->pweight + W);
}

FZ_TEXT uint64_t fz_close_special(fz_thread *t, fz_entry *e, uint64_t t1) {
  fz_node *n = e->node;
  uint64_t et0 = e->t0;
  if (et0 & FZ_T0_UNTIMED) {
    FZ_ST(t->top, e - 1);
    return 0;
  }
  uint64_t t0 = et0 & ~FZ_T0_SPECIAL;
  uint64_t d = t1 - t0, d_ns = fz_ticks_to_ns(d);
  uint32_t idx = (uint32_t)(e - t->stack);
  uint32_t w = t->wstack ? t->wstack[idx].w : 1, wp = t->wstack ? t->wstack[idx].wp : 0;
  if (w < 1) w = 1;
  if (wp && t->pstack && t->probe) {
    fz_pframe *f = &t->pstack[idx];
    fz_pval now;
    uint32_t m = fz_probe_read_at(t->probe, &now, 1) & f->mask;
    if (m) probe_add(n, &f->v, &now, m, d_ns, (uint64_t)w * wp);
    if (f->heap_ok) {
      int64_t pk = fz_alloc_peak_end(f->heap_live0, f->heap_prev);
      if (pk >= 0) {
        if (pk > n->hpeak) FZ_ST(n->hpeak, pk);
        FZ_ST(n->hpeak_n, n->hpeak_n + 1);
      }
    }
    if (n->acell)
      trend_add(t, n, n->count + n->s_n + n->untimed + 1, fz_alloc_cell_live(n->acell));
  }
  if (FZ_UNLIKELY(t->xstack != NULL) && t->xstack[idx].mask) fz_ext_end(t, n, idx);
  if (w == 1) {
    fz_node_record_cold(t, n, d);
    FZ_ST(n->sp1, n->sp1 + 1);
  } else
    fz_node_record_weighted(t, n, d, w);
  if (t->ring) fz_ring_push(t->ring, t0, t1, n->site_id, idx);
  uint32_t win = FZ_LDA(n->win);
  if (win) fz_win_record(t, win, t1, d_ns);
  FZ_ST(t->top, e - 1);
  return d_ns;
}

/* Whether n's probed CPU spans enough of the kernel's ticks for its user/system split to
 * mean something (snapshot.c drops the split otherwise). */
FZ_TEXT int fz_node_cpu_split_known(const fz_node *n) { return FZ_LD(n->pcpu_raw) >= SPLIT_MIN_CPU_NS; }

FZ_TEXT FATHOM_EXTERN int fathom_flops_add(double x) {
  if (!FZ_LD(fz_rec_gen)) return FATHOM_E_STATE;
  fz_thread *t = fz_thread_get_fast();
  if (!t) return FATHOM_E_NOMEM;
  fz_entry *e = FZ_LD(t->top);
  fz_node *n = e->node;
  if (n == &fz_nil_node) return FATHOM_E_LIMIT; /* inside a dropped call */
  FZ_ST(n->flops_bits, fz_d_bits(fz_bits_d(n->flops_bits) + x));
  return e == t->stack ? FATHOM_E_NOTFOUND : 0;
}

/* The node after n in a depth-first walk of its thread's tree below root (NULL at the end);
 * no memory needed (parent links). Children are read with acquire loads: owners may be
 * linking new ones. */
FZ_TEXT fz_node *fz_tree_next(fz_node *root, fz_node *n) {
  fz_node *c = FZ_LDA(n->first_child);
  if (c) return c;
  while (n != root) {
    fz_node *s = FZ_LDA(n->next_sibling);
    if (s) return s;
    n = n->parent;
  }
  return NULL;
}

FZ_TEXT void fz_nodes_set_live(int live) {
  __atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with fz_child_slow's fence */
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    if (live && FZ_LD(t->gen) != fz_g.session_gen) continue;
    uint64_t nn = FZ_LDA(t->n_nodes);
    for (uint64_t i = 0; i < nn; i++) {
      fz_node *n = fz_node_at(t, i);
      const void *k = FZ_LD(n->key);
      FZ_ST(n->key, fz_node_key_for(n, live, k == FZ_KEY_REDRAW(n->rkey)));
    }
  }
}
