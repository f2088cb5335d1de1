/* record_probe.c: the recorder's special path: zones whose node is sampled. At DETAILED and
 * COMPREHENSIVE a call path's probes (probe.h: thread CPU, context switches, faults, I/O,
 * RSS, hardware counters) are read around its first 8 calls and then 1 call in p_every;
 * when the governor (gov.c) thins a hot path further it may time only 1 call in t_every and
 * merely count the others. Also: declared FLOPs, the live-heap trend of a path.
 *
 * Invariant: only the owner thread runs this on its nodes; the governor changes p_every,
 * t_every and key with relaxed stores and this code reads them once per call. A probed call
 * reads the probes before its begin time and after its end time, so the zone's duration
 * never includes them; each thread probes at most ptokens times per governor tick. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "record.h"

#define PROBE_FIRST_CALLS 8

void fz_node_sampling_init(fz_node *n) {
  n->t_every = 1;
  if (fz_g.cfg.level >= FATHOM_LEVEL_DETAILED) {
    n->p_every = fz_g.cfg.sample_every ? fz_g.cfg.sample_every : 16;
    n->key = FZ_KEY_SPECIAL(n->rkey);
  }
}

void fz_node_update_special(fz_node *n) {
  int special = FZ_LD(n->p_every) != 0 || FZ_LD(n->t_every) > 1;
  FZ_ST(n->key, special ? FZ_KEY_SPECIAL(n->rkey) : n->rkey);
}

void fz_probe_thread_release(fz_thread *t) {
  if (t->probe) fz_probe_close(t->probe);
  t->probe = NULL;
  t->probe_state = 0;
}

/* The probe frame for stack entry e, or NULL when probes cannot work on this thread. */
static fz_pframe *frame_for(fz_thread *t, fz_entry *e) {
  if (t->probe_state == 0) {
    int saved = errno;
    fz_alloc_pause();
    if (!t->pstack) t->pstack = calloc(4096 + 1, sizeof *t->pstack);
    t->probe = t->pstack ? fz_probe_open((int)fz_g.cfg.level) : NULL;
    fz_alloc_resume();
    errno = saved;
    t->probe_level = (int)fz_g.cfg.level;
    t->probe_state = t->probe ? 1 : -1;
  }
  return t->probe_state > 0 ? &t->pstack[e - t->stack] : NULL;
}

fathom_zone fz_begin_special(fz_thread *t, fz_entry *e, fz_node *c, int timed) {
  e->node->cache = c;
  fz_entry *ne = e + 1;
  ne->node = c;
  uint32_t te = FZ_LD(c->t_every);
  if (!timed && te > 1 && ++c->t_skip < te) { /* counted, not timed */
    uint64_t tag = FZ_T0_UNTIMED | (++t->seq & (FZ_T0_UNTIMED - 1));
    ne->t0 = tag | FZ_T0_SPECIAL;
    FZ_ST(c->untimed, c->untimed + 1);
    FZ_ST(t->top, ne);
    return (fathom_zone){ne, tag};
  }
  c->t_skip = 0;
  uint32_t pe = FZ_LD(c->p_every);
  fz_pframe *f = NULL;
  if (pe && (c->count + c->untimed < PROBE_FIRST_CALLS || ++c->p_skip >= pe)) {
    c->p_skip = 0;
    int32_t tk = FZ_LD(t->ptokens); /* refilled by the governor: a lost update is harmless */
    if ((tk > 0 || !fz_g.cfg.governor) && (f = frame_for(t, ne)) != NULL) {
      FZ_ST(t->ptokens, tk - 1);
      f->mask = fz_probe_read_at(t->probe, &f->v, 0);
      if (!f->mask) f = NULL;
    }
  }
  FZ_ST(t->top, ne);
  uint64_t t0 = fz_ticks();
  ne->t0 = f ? t0 | FZ_T0_SPECIAL : t0;
  return (fathom_zone){ne, t0};
}

static double bits_d(uint64_t x) { double d; memcpy(&d, &x, 8); return d; }
static uint64_t d_bits(double d) { uint64_t x; memcpy(&x, &d, 8); return x; }

/* Adds (calls, live) to n's trend: every stride-th probed call; when the 16 points are full,
 * every other one is dropped and the stride doubles (bounded, spans the whole run). */
static void trend_add(fz_thread *t, fz_node *n, uint64_t calls, int64_t live) {
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

uint64_t fz_close_special(fz_thread *t, fz_entry *e, uint64_t t1) {
  fz_node *n = e->node;
  uint64_t et0 = e->t0;
  if (et0 & FZ_T0_UNTIMED) {
    FZ_ST(t->top, e - 1);
    return 0;
  }
  uint64_t t0 = et0 & ~FZ_T0_SPECIAL;
  uint64_t d = t1 - t0;
  fz_pframe *f = t->pstack ? &t->pstack[e - t->stack] : NULL;
  if (f && t->probe) {
    fz_pval now;
    uint32_t m = fz_probe_read_at(t->probe, &now, 1) & f->mask;
    if (m) {
      if (m >> FATHOM_RES_CPU_USER_NS & 1) { /* the probes' own CPU is not the zone's */
        int64_t du = now.v[FATHOM_RES_CPU_USER_NS] - f->v.v[FATHOM_RES_CPU_USER_NS];
        int64_t bias = (int64_t)fz_probe_cpu_bias_ns;
        now.v[FATHOM_RES_CPU_USER_NS] -= du > bias ? bias : du > 0 ? du : 0;
      }
      for (int i = 0; i < FATHOM_RES_N; i++)
        if (m >> i & 1) FZ_ST(n->psum[i], n->psum[i] + (now.v[i] - f->v.v[i]));
      FZ_ST(n->psum[FATHOM_RES_WALL_NS], n->psum[FATHOM_RES_WALL_NS] + (int64_t)fz_ticks_to_ns(d));
      m |= 1u << FATHOM_RES_WALL_NS;
      FZ_ST(n->pmask, n->pmask | m);
      FZ_ST(n->psamples, n->psamples + 1);
    }
    if (n->acell) trend_add(t, n, n->count + n->untimed + 1, fz_alloc_cell_live(n->acell));
  }
  fz_node_record_cold(t, n, d);
  if (t->ring) fz_ring_push(t->ring, t0, t1, n->site_id, (uint32_t)(e - t->stack));
  FZ_ST(t->top, e - 1);
  return fz_ticks_to_ns(d);
}

FATHOM_EXTERN int fathom_flops_add(double x) {
  if (!FZ_LD(fz_rec_gen)) return FATHOM_E_STATE;
  fz_thread *t = fz_thread_get_fast();
  if (!t) return FATHOM_E_NOMEM;
  fz_entry *e = FZ_LD(t->top);
  fz_node *n = e->node;
  FZ_ST(n->flops_bits, d_bits(bits_d(n->flops_bits) + x));
  return e == t->stack ? FATHOM_E_NOTFOUND : 0;
}
