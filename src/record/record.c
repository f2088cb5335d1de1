/* record.c: the zone hot path and its slow paths: child lookup and node creation, histogram
 * blocks, misuse handling, the -finstrument-functions hooks. (Threads' registration and
 * memory: record/threads.c; zones by name, metrics and timers: record/manual.c.)
 *
 * Invariant: the hot path (fathom_zone_begin_site, and fathom_zone_end of the calling
 * thread's top entry) takes no lock and allocates nothing once a call path has been seen;
 * every departure from it (new path, new thread, new session, sampled or probed node,
 * misuse) goes through an out-of-line function that preserves errno. The hot path tests no
 * pointer for NULL: fz_tls is fz_nil_thread until a thread records, every empty cache is
 * fz_nil_node, and a node's key equals the key being looked up only while the node takes
 * the plain path (record.h: how a node's key works). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "record/alloc.h"
#include "record/ext.h"
#include "record/record.h"
#include "record/sampler.h"
#include "record/window.h"

fz_global fz_g = {.lock = PTHREAD_MUTEX_INITIALIZER};
FATHOM_EXTERN uint32_t fathom_recording_;
/* 1 once a session recorded in this process: the exit hook then pops frames even while no
 * session records (a function entered before the end or a pause exits after it). */
uint32_t fz_hooks_armed;

fz_node fz_nil_node = {.key = FZ_NIL_KEY, .cache = &fz_nil_node, .cache2 = &fz_nil_node,
                       .min = UINT64_MAX, .rkey = FZ_NIL_KEY};
static fz_entry nil_entry = {&fz_nil_node, FZ_T0_NONE};
fz_thread fz_nil_thread = {.top = &nil_entry, .last = &nil_entry, .stack = &nil_entry, .perf_fd = -1};

#ifdef FZ_TLS_LOCAL_EXEC /* the static library's copy: the program itself defines fz_tls */
__thread fz_thread *fz_tls __attribute__((tls_model("local-exec"))) = &fz_nil_thread;
#else
__thread fz_thread *fz_tls __attribute__((tls_model("initial-exec"))) = &fz_nil_thread;
#endif
static uint64_t misuse_global;   /* misuse with no thread state to charge it to */

/* Pulls session.c (the FATHOM=1 / FATHOM_OUT auto-start) into every static link that uses
 * the zones or the hooks. */
extern const char fz_session_anchor;
__attribute__((used)) static const char *const session_anchor = &fz_session_anchor;

#define COLD __attribute__((cold, noinline))

FZ_TEXT void fz_misuse_count(void) { __atomic_fetch_add(&misuse_global, 1, __ATOMIC_RELAXED); }
FZ_TEXT uint64_t fz_misuse_global(void) { return FZ_LD(misuse_global); }

FZ_TEXT void fz_node_init(fz_node *n, const void *key, fathom_site *site, fz_node *parent,
                          uint32_t flags) {
  memset(n, 0, sizeof *n);
  n->key = key;
  n->rkey = key;
  n->cache = &fz_nil_node;
  n->cache2 = &fz_nil_node;
  n->site = site;
  n->parent = parent;
  n->min = UINT64_MAX;
  n->depth = parent ? parent->depth + 1 : 0;
  n->flags = flags;
}

FZ_TEXT static inline fz_dslot *dslot(fz_thread *t, const fz_node *parent, const void *key) {
  uint64_t h = ((uint64_t)(uintptr_t)parent ^ ((uint64_t)(uintptr_t)key << 7)) * 0x9e3779b97f4a7c15ull;
  return &t->dcache[h >> (64 - FZ_DCACHE_BITS)];
}

/* A parent at the depth cap keeps an empty cache, so the hot path's key compare fails there
 * and the slow path counts the dropped zone: no depth test on the hot path. */
FZ_TEXT static inline void cache_set(fz_node *parent, fz_node *c) {
  if (parent->depth < fz_g.cfg.max_depth) fz_cache_to(parent, c);
}

/* The thread's index of every node by (parent, key): the slot where it is, or the empty
 * slot where it would go. The index is never full (at most half). */
FZ_TEXT static fz_node **hidx_slot(const fz_thread *t, const fz_node *parent, const void *key) {
  uint64_t h = ((uint64_t)(uintptr_t)parent * 0xff51afd7ed558ccdull) ^
               ((uint64_t)(uintptr_t)key * 0x9e3779b97f4a7c15ull);
  h ^= h >> 29;
  for (uint64_t i = h & t->hidx_mask;; i = (i + 1) & t->hidx_mask) {
    fz_node *x = t->hidx[i];
    if (!x || (x->parent == parent && x->rkey == key)) return &t->hidx[i];
  }
}

/* Adds node n to t's index, doubling it first when it would be over half full (the old
 * table stays in the arena: at most as much again as the last one). 0, or -1 with no
 * memory (the node is then not made). */
FZ_TEXT static int hidx_add(fz_thread *t, fz_node *n, uint64_t n_nodes) {
  if (!t->hidx || 2 * (n_nodes + 1) > t->hidx_mask + 1) {
    uint64_t slots = t->hidx ? 2 * (t->hidx_mask + 1) : 64;
    int saved = errno;
    fz_node **nt = fz_chunk_alloc(t, slots * sizeof *nt);
    errno = saved;
    if (!nt) return -1;
    memset(nt, 0, slots * sizeof *nt);
    fz_node **old = t->hidx;
    uint64_t old_slots = t->hidx ? t->hidx_mask + 1 : 0;
    t->hidx = nt;
    t->hidx_mask = slots - 1;
    for (uint64_t i = 0; i < old_slots; i++)
      if (old[i]) *hidx_slot(t, old[i]->parent, old[i]->rkey) = old[i];
  }
  *hidx_slot(t, n->parent, n->rkey) = n;
  return 0;
}

/* How it works: the parent's one-entry cache (last child begun) serves a parent with one
 * child; siblings that alternate (a loop calling A then B) find each other here in the
 * thread's direct-mapped (parent, key) cache; a miss there looks the child up in the
 * thread's index, so the cost of a call never depends on how many siblings it has.
 * Muted nodes (excluded functions) are never cached, so a cache hit is always recorded. */
FZ_TEXT static fz_node *child_find(fz_thread *t, fz_node *parent, const void *key) {
  fz_dslot *ds = dslot(t, parent, key);
  if (ds->parent == parent && ds->key == key) {
    cache_set(parent, ds->child);
    return ds->child;
  }
  fz_node *c = t->hidx ? *hidx_slot(t, parent, key) : NULL;
  if (!c) return NULL;
  if (c->flags & FZ_NODE_MUTED) return c;
  *ds = (fz_dslot){parent, key, c};
  cache_set(parent, c);
  return c;
}

/* The child of parent for key, created (with site and flags) if it is new. NULL at the
 * node cap (counted) or out of memory. */
FZ_TEXT COLD fz_node *fz_child_slow(fz_thread *t, fz_node *parent, const void *key, fathom_site *site,
                            uint32_t flags) {
  fz_node *found = child_find(t, parent, key);
  if (found) return found;
  if (t->n_nodes >= fz_g.cfg.max_nodes_per_thread || !t->ndir) {
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    return NULL;
  }
  int saved = errno;
  fz_node *n = fz_chunk_alloc(t, sizeof *n);
  errno = saved;
  if (!n) {
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    return NULL;
  }
  uint32_t wv = FZ_LD(fz_win_version); /* windows enabled meanwhile: looked up again */
  fz_node_init(n, key, site, parent, flags);
  n->site_id = site ? site->id_ : 0;
  if (flags & FZ_NODE_MUTED)
    n->key = FZ_KEY_DEAD(key);
  else
    fz_node_sampling_init(n);
  uint64_t idx = t->n_nodes;
  fz_node **blk = t->ndir[idx / FZ_NDIR_BLOCK];
  if (!blk) {
    saved = errno;
    blk = fz_chunk_alloc(t, FZ_NDIR_BLOCK * sizeof *blk);
    errno = saved;
    if (!blk) {
      FZ_ST(t->dropped_zones, t->dropped_zones + 1);
      return NULL;
    }
    FZ_STR(t->ndir[idx / FZ_NDIR_BLOCK], blk);
  }
  if (hidx_add(t, n, idx) != 0) {
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    return NULL;
  }
  n->next_sibling = parent->first_child;
  FZ_STR(parent->first_child, n);
  FZ_STR(blk[idx % FZ_NDIR_BLOCK], n);
  FZ_STR(t->n_nodes, idx + 1);
  /* A pause, end or reset that walked the tree before the node was linked could not set
   * its key: whichever of the two runs second sees the other (both fenced). */
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (FZ_UNLIKELY(FZ_LD(fz_win_version) != wv) && !(flags & FZ_NODE_MUTED)) fz_win_node_fix(n);
  if (FZ_LD(fz_rec_gen) != t->gen) FZ_ST(n->key, FZ_KEY_DEAD(key));
  if (flags & FZ_NODE_MUTED) return n;
  *dslot(t, parent, key) = (fz_dslot){parent, key, n};
  cache_set(parent, n);
  return n;
}

FZ_TEXT COLD uintptr_t fz_block_alloc(fz_thread *t, fz_node *n, uint32_t m) {
  uint32_t blocks = m > 6 ? 1 : 2; /* in 64-slot units, like the cap */
  if (t->n_blocks + blocks > (uint64_t)fz_g.cfg.max_nodes_per_thread * 8) {
    FZ_ST(t->dropped_hist, t->dropped_hist + 1);
    return 0;
  }
  int saved = errno;
  size_t bytes = blocks * FZ_HIST_SUB * sizeof(uint64_t);
  uint64_t *b = fz_chunk_alloc(t, bytes);
  errno = saved;
  if (!b) {
    FZ_ST(t->dropped_hist, t->dropped_hist + 1);
    return 0;
  }
  memset(b, 0, bytes);
  uintptr_t hb = (uintptr_t)b - (m > 6 ? FZ_HIST_SUB * sizeof(uint64_t) : 0);
  FZ_STR(FZ_HB(n, m), hb);
  FZ_ST(t->n_blocks, t->n_blocks + blocks);
  return hb;
}

FZ_TEXT COLD void fz_hist_add_cold(fz_thread *t, fz_node *n, uint64_t d, uint64_t w) {
  uint32_t bk = fz_hist_bucket_of(d); /* clamps durations past the last bucket into it */
  uint32_t sh = bk < 2 * FZ_HIST_SUB ? 0 : bk / FZ_HIST_SUB - 1;
  uintptr_t hb = FZ_HB(n, sh + 6);
  if (!hb && !(hb = fz_block_alloc(t, n, sh + 6))) return;
  uint64_t *slot = (uint64_t *)(hb + 8 * (bk - FZ_HIST_SUB * sh));
  FZ_ST(*slot, *slot + w);
}

/* Count, total, min, max and the sum of squares of one timed call of d ticks, weight 1, in
 * place (owner thread), then its histogram slot. */
/* The sum of squares (node_add's last step, and its cold path's). */
__attribute__((always_inline)) static inline void sq_add(fz_node *n, uint64_t d) {
#ifdef FZ_TSAN
  unsigned __int128 sq = fz_node_sq(n) + (unsigned __int128)d * d;
  uint64_t *h = (uint64_t *)&n->sq;
  FZ_ST(h[0], (uint64_t)sq);
  FZ_ST(h[1], (uint64_t)(sq >> 64));
#else
  n->sq += (unsigned __int128)d * d;
#endif
}

/* node_add when the histogram block is missing: allocates it (a tail call from the hot path,
 * so that path needs no stack frame). */
FZ_TEXT static COLD void node_add_cold(fz_thread *t, fz_node *n, uint64_t d) {
  sq_add(n, d);
  fz_hist_add_cold(t, n, d, 1);
}

__attribute__((always_inline)) static inline void node_add(fz_thread *t, fz_node *n, uint64_t d) {
  FZ_ADD(n->count, 1);
  FZ_ADD(n->total, d);
  if (d < n->min) FZ_ST(n->min, d);
  if (d > n->max) FZ_ST(n->max, d);
  unsigned m = 63u - (unsigned)__builtin_clzll(d | 64); /* the histogram slot (record.h) */
  uintptr_t hb = FZ_HB(n, m);
  if (FZ_UNLIKELY(hb == 0)) {
    node_add_cold(t, n, d);
    return;
  }
  FZ_ADD(*(uint64_t *)(hb + 8 * ((d << 6) >> m)), 1);
  sq_add(n, d);
}

FZ_TEXT COLD void fz_node_record_cold(fz_thread *t, fz_node *n, uint64_t d) { node_add(t, n, d); }

/* ---- the hot path ----------------------------------------------------------------
 * How it works: each thread has a stack of open zones (node, begin ticks); a handle is the
 * address of its entry plus its begin ticks. Begin compares the key of the parent's cached
 * child with the site: equal means the plain path (every call timed, weight 1), so it
 * pushes and reads the counter last. End checks that the handle is the calling thread's top
 * entry (same address, same begin ticks), reads the counter first and records the duration
 * on the node in place: count, total, min, max, the sum of squares, the histogram slot.
 * Anything else (a sampled or probed node, a new path or thread or session, the depth cap,
 * misuse) takes an out-of-line path. */

/* Pushes child c above entry e and reads the counter last (plain path only). */
__attribute__((always_inline)) static inline fathom_zone push(fz_thread *t, fz_entry *e,
                                                               fz_node *c) {
  e++;
  e->node = c;
  FZ_PUBLISH_TOP(t, e);
  uint64_t t0 = fz_counter();
  e->t0 = t0;
  return (fathom_zone){t0};
}

/* A counted-only call of sampled node c (its countdown not at its end): no clock read. */
__attribute__((always_inline)) static inline fathom_zone push_untimed(fz_thread *t, fz_entry *e,
                                                                       fz_node *c) {
  e++;
  uint64_t tag = ++t->seq; /* FZ_T0_UNTIMED set from the start (record.h) */
  e->node = c;
  e->t0 = tag | FZ_T0_SPECIAL;
  FZ_ADD(c->untimed, 1);
  FZ_PUBLISH_TOP(t, e);
  return (fathom_zone){tag};
}

/* Every call of c timed, its event recorded (FZ_KEY_TL): pushed like the plain path with the
 * entry flagged special (weight 1), so that the end records the event; its reads are fenced
 * like every special call's. */
FZ_TEXT static fathom_zone push_tl(fz_thread *t, fz_entry *e, fz_node *c) {
  fz_wframe *wf = fz_wframes(t);
  if (FZ_UNLIKELY(!wf)) return fz_begin_special(t, e, c);
  e++;
  e->node = c;
  wf[e - t->stack] = (fz_wframe){1, 0};
  FZ_PUBLISH_TOP(t, e);
  uint64_t t0 = fz_ticks_fenced(); /* a special call: fenced reads (clock.h) */
  e->t0 = t0 | FZ_T0_SPECIAL;
  return (fathom_zone){t0};
}

/* Begin on node c found for site s above e: plain, counted-only, or the special path. */
FZ_TEXT static fathom_zone begin_on(fz_thread *t, fz_entry *e, fz_node *c, fathom_site *s) {
  const void *k = FZ_LD(c->key);
  if (k == s) return push(t, e, c);
  if (k == FZ_KEY_TL(s)) return push_tl(t, e, c);
  uint32_t skip = c->t_skip;
  if (k == FZ_KEY_SPECIAL(s) && skip > 1) {
    c->t_skip = skip - 1;
    return push_untimed(t, e, c);
  }
  return fz_begin_special(t, e, c);
}

/* Everything the fast path does not handle: no thread state yet, a new session, an
 * unregistered or muted site, a child not in the parent's cache, the depth cap. */
FZ_TEXT static COLD fathom_zone begin_slow(fathom_site *s) {
  fathom_zone z = {0};
  if (!FZ_LD(fz_rec_gen)) return z;
  fz_thread *t = fz_thread_get_fast();
  if (!t) return z;
  if (!s) {
    FZ_ST(t->misuse, t->misuse + 1);
    return z;
  }
  if (FZ_LDA(s->state_) != 1 && fz_site_register(s) != 1) return z;
  fz_entry *e = t->top;
  if (e >= t->last || e->node == &fz_nil_node) { /* the cap, or inside a dropped call: no
                                                     node is made for a dropped zone */
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    return z;
  }
  fz_node *c = fz_child_slow(t, e->node, s, s, 0);
  if (!c) return z;
  if (FZ_LD(c->key) == FZ_KEY_DEAD(s)) { /* linked while the tree was set dead: repair */
    fz_glock();
    fz_node_update_special(c);
    fz_gunlock();
  }
  return begin_on(t, e, c, s);
}

/* The parent's cached child is not a plain node of s: a sampled node of s (the counted-only
 * calls of a thinned hot path come here), or a sibling in the thread's (parent, key) cache,
 * or the slow path. Not cold: thinned paths and alternating siblings come here all the
 * time. A key other than a dead one means the session records this thread's generation, and
 * a cached child is never past the depth cap. */
static FZ_TEXT __attribute__((noinline)) fathom_zone begin_miss(fz_thread *t, fz_entry *e,
                                                        fathom_site *s) {
  fz_node *c = e->node->cache;
  uint32_t skip = c->t_skip;
  if (FZ_LIKELY(FZ_LD(c->key) == FZ_KEY_SPECIAL(s)) && skip > 1) {
    c->t_skip = skip - 1;
    return push_untimed(t, e, c);
  }
  if (FZ_LD(c->key) == FZ_KEY_TL(s)) return push_tl(t, e, c);
  fz_node *p = e->node;
  fz_dslot *ds = dslot(t, p, s);
  if (ds->parent == p && ds->key == s && t->gen == FZ_LD(fz_rec_gen) && e < t->last) {
    c = ds->child;
    fz_cache_to(p, c);
    return begin_on(t, e, c, s);
  }
  if (FZ_LD(c->key) == FZ_KEY_SPECIAL(s) || FZ_LD(c->key) == FZ_KEY_REDRAW(s))
    return fz_begin_special(t, e, c);
  return begin_slow(s);
}

FZ_TEXT FATHOM_EXTERN fathom_zone fathom_zone_begin_site(fathom_site *s) {
  fz_thread *t = fz_tls;
  fz_entry *e = t->top;
  fz_node *c = e->node->cache;
  const void *k = FZ_LD(c->key);
  if (FZ_UNLIKELY(k != s)) {
    /* a thinned hot path: counted, not timed, right here (no call, no clock) */
    uint32_t skip = c->t_skip;
    if (k == FZ_KEY_SPECIAL(s) && skip > 1) {
      c->t_skip = skip - 1;
      return push_untimed(t, e, c);
    }
    if (k == FZ_KEY_TL(s)) return push_tl(t, e, c);
    fz_node *c2 = e->node->cache2; /* callers alternating between two zones */
    if (FZ_LD(c2->key) == s) {
      e->node->cache2 = c;
      e->node->cache = c2;
      return push(t, e, c2);
    }
    return begin_miss(t, e, s);
  }
  return push(t, e, c);
}

/* Closes the top entry e of t at time t1, the general way. Returns the duration in ns. */
FZ_TEXT static uint64_t close_top(fz_thread *t, fz_entry *e, uint64_t t1) {
  if (e->t0 == FZ_T0_NONE) { /* an excluded function's frame, a drop marker */
    FZ_ST(t->top, e - 1);
    return 0;
  }
  if (e->t0 & FZ_T0_SPECIAL) return fz_close_special(t, e, t1);
  fz_node *n = e->node;
  uint64_t d = t1 - e->t0, ns = fz_ticks_to_ns(d);
  if (!(n->flags & FZ_NODE_MUTED)) {
    node_add(t, n, d);
    if (t->ring) fz_ring_push(t->ring, e->t0, t1, n->site_id, (uint32_t)(e - t->stack));
  }
  FZ_ST(t->top, e - 1);
  return ns;
}

/* The entry of t's stack that handle tag names (top first), or NULL. */
FZ_TEXT fz_entry *fz_entry_of(fz_thread *t, uint64_t tag) {
  if (!tag) return NULL;
  for (fz_entry *e = t->top; e > t->stack; e--)
    if (e->t0 != FZ_T0_NONE && (e->t0 & ~FZ_T0_SPECIAL) == tag) return e;
  return NULL;
}

FZ_TEXT static int owned_by_other_thread(uint64_t tag) {
  int found = 0;
  fz_thread *me = fz_tls;
  pthread_mutex_lock(&fz_g.lock);
  for (fz_thread *o = fz_g.threads; o && !found; o = o->next) {
    if (o == me) continue;
    for (fz_entry *e = FZ_LD(o->top); e > o->stack && !found; e--) {
      uint64_t t0 = FZ_LD(e->t0);
      if (t0 != FZ_T0_NONE && (t0 & ~FZ_T0_SPECIAL) == tag) found = 1;
    }
  }
  pthread_mutex_unlock(&fz_g.lock);
  return found;
}

/* Ends the zone of handle tag at t1, whatever its kind: the top entry, or one below it
 * (the zones above are closed with it: misuse), or none of this thread's. */
FZ_TEXT int fz_zone_end_tag(uint64_t tag, uint64_t t1, uint64_t *ns) {
  if (!tag) return FATHOM_E_ENDED;
  fz_thread *t = fz_tls_real();
  fz_entry *e = t ? fz_entry_of(t, tag) : NULL;
  if (!e) { /* not an open zone of this thread */
    int saved = errno;
    int other = owned_by_other_thread(tag);
    errno = saved;
    if (t)
      FZ_ST(t->misuse, t->misuse + 1);
    else
      fz_misuse_count();
    return other ? FATHOM_E_WRONG_THREAD : FATHOM_E_ENDED;
  }
  int rc = 0;
  while (t->top > e) { /* zones begun inside and still open: close them now */
    close_top(t, t->top, t1);
    FZ_ST(t->misuse, t->misuse + 1);
    rc = FATHOM_E_UNBALANCED;
  }
  uint64_t v = close_top(t, e, t1);
  if (ns) *ns = v;
  return rc;
}

/* Every end the fast one does not take: a counted-only call (no clock read), a special
 * call (the clock first, fenced: clock.h), misuse. */
static FZ_TEXT __attribute__((noinline)) int end_other(fz_thread *t, uint64_t tag) {
  fz_entry *e = t->top;
  if (e->t0 == (tag | FZ_T0_SPECIAL) && tag && t != &fz_nil_thread) {
    if (tag & FZ_T0_UNTIMED) {
      FZ_ST(t->top, e - 1); /* counted at its begin; nothing else to record */
      return 0;
    }
    uint64_t t1 = fz_ticks_fenced(); /* the top entry, timed: the clock first */
    fz_wframe *wf = t->wstack;
    uint32_t idx = (uint32_t)(e - t->stack);
    if (wf && wf[idx].w == 1 && !wf[idx].wp && t->ring &&
        !FZ_LD(e->node->win) && !fz_ext_pending(t, idx)) { /* a timeline call (FZ_KEY_TL); a
                                                              window's: below */
      fz_node *n = e->node;
      uint64_t t0 = tag;
      FZ_ST(t->top, e - 1);
      node_add(t, n, t1 - t0);
      FZ_ST(n->sp1, n->sp1 + 1);
      fz_ring_push(t->ring, t0, t1, n->site_id, idx);
      return 0;
    }
    fz_close_special(t, e, t1);
    return 0;
  }
  return fz_zone_end_tag(tag, fz_ticks(), NULL);
}

/* The fast end: the handle is the top entry's begin time (a counted-only call's tag and a
 * special call's begin differ from their entry's t0 by a flag bit, so they miss here and
 * no clock is read for the first). */
FZ_TEXT FATHOM_EXTERN int fathom_zone_end(fathom_zone z) {
  fz_thread *t = fz_tls;
  fz_entry *e = t->top;
  if (FZ_UNLIKELY(e->t0 != z.tag_)) return end_other(t, z.tag_);
  uint64_t d = fz_counter() - z.tag_;
  fz_node *n = e->node;
  FZ_ST(t->top, e - 1);
  node_add(t, n, d);
  return 0;
}

FZ_TEXT FATHOM_EXTERN void fathom_zone_leave_(fathom_zone z) {
  fz_thread *t = fz_tls;
  fz_entry *e = t->top;
  if (FZ_UNLIKELY(e->t0 != z.tag_)) {
    if (e->t0 == (z.tag_ | FZ_T0_SPECIAL) && (z.tag_ & FZ_T0_UNTIMED)) {
      FZ_ST(t->top, e - 1); /* counted at its begin: nothing else to record */
      return;
    }
    (void)end_other(t, z.tag_);
    return;
  }
  uint64_t d = fz_counter() - z.tag_;
  fz_node *n = e->node;
  FZ_ST(t->top, e - 1);
  node_add(t, n, d);
}

FZ_TEXT FATHOM_EXTERN void fathom_zone_end_scoped(fathom_zone *z) {
  if (z->tag_) (void)fathom_zone_end(*z);
}

/* ---- -finstrument-functions ---------------------------------------------------------
 * How it works: the enter hook is a zone begin keyed by the function's address; the exit
 * hook a zone end of the top entry when that entry is the function's and was timed on the
 * plain path. While no session records, the enter hook tests one global and returns; so
 * does the exit hook until a session has recorded once (fz_hooks_armed): after that it also
 * pops frames entered before the session ended or paused. A dropped call (depth or node
 * cap) pushes a marker entry whose node is fz_nil_node, and every call nested in it only
 * counts its depth (cyg_overflow), so exits stay matched with their enters. */

__attribute__((no_instrument_function)) FATHOM_EXTERN void __cyg_profile_func_enter(
    void *fn, void *call_site);
__attribute__((no_instrument_function)) FATHOM_EXTERN void __cyg_profile_func_exit(
    void *fn, void *call_site);

/* Drops the call entering above e: a marker entry (nil node) until its exit. */
FZ_TEXT static void cyg_drop(fz_thread *t, fz_entry *e) {
  FZ_ST(t->dropped_zones, t->dropped_zones + 1);
  e++;
  e->node = &fz_nil_node;
  e->t0 = FZ_T0_NONE;
  FZ_PUBLISH_TOP(t, e);
  t->cyg_overflow = 1;
}

/* Everything the fast enter does not handle: a new thread or session, a dropped caller, the
 * depth cap, a sampled or probed function, a callee not in the parent's cache (found by key
 * first; the function's site, which takes the registry lock, is looked up only to create a
 * node). */
FZ_TEXT static COLD void cyg_enter_slow(fz_thread *t, void *fn) {
  if (t->gen != FZ_LD(fz_rec_gen) || t == &fz_nil_thread) {
    if (!FZ_LD(fz_rec_gen) || !(t = fz_thread_get())) return;
  }
  fz_entry *e = t->top;
  if (t->cyg_overflow) { /* inside a dropped call: every nested call is dropped */
    t->cyg_overflow++;
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    return;
  }
  if (e >= t->last) return cyg_drop(t, e);
  fz_node *c = child_find(t, e->node, fn);
  if (!c) {
    FZ_ST(t->busy, 1); /* symbols are looked up (libc's code): the sampler counts fathom */
    fathom_site *s = fz_site_for_function(fn);
    c = s ? fz_child_slow(t, e->node, fn, s,
                          FZ_NODE_FUNC | (FZ_LDA(s->state_) == 2 ? FZ_NODE_MUTED : 0))
          : NULL;
    if (c && !c->fn_end && fz_g.sampling) {
      uint64_t size = fz_function_size(fn);
      if (size) FZ_ST(c->fn_end, (uintptr_t)fn + size);
    }
    FZ_ST(t->busy, 0);
  }
  if (!c) return cyg_drop(t, e); /* node cap (counted by fz_child_slow) or no memory */
  if (c->flags & FZ_NODE_MUTED) { /* excluded: a frame that keeps the stack, records nothing */
    e++;
    e->node = c;
    e->t0 = FZ_T0_NONE;
    FZ_PUBLISH_TOP(t, e);
    return;
  }
  const void *k = FZ_LD(c->key);
  if (k == FZ_KEY_DEAD(fn)) { /* linked while the tree was set dead: repair */
    fz_glock();
    fz_node_update_special(c);
    fz_gunlock();
    k = FZ_LD(c->key);
  }
  if (k == fn) {
    push(t, e, c);
    return;
  }
  if (k == FZ_KEY_TL(fn)) {
    push_tl(t, e, c);
    return;
  }
  fz_begin_special(t, e, c);
}

/* A thinned hot function's call that is only counted (its countdown not yet at the timed
 * call): pushed with no clock read. 1 when it was; 0 when c (key k) is not fn's sampled node
 * or this call is the one to time. */
static FZ_TEXT __attribute__((always_inline)) inline int cyg_count_only(fz_thread *t, fz_entry *e,
                                                                      fz_node *c, const void *k,
                                                                      const void *fn) {
  uint32_t skip = c->t_skip;
  if (k != FZ_KEY_SPECIAL(fn) || skip <= 1) return 0;
  c->t_skip = skip - 1;
  e++;
  e->node = c;
  e->t0 = FZ_T0_CYG_COUNTED(fn);
  FZ_ADD(c->untimed, 1);
  FZ_PUBLISH_TOP(t, e);
  return 1;
}

/* Neither the parent's cached child nor the thread's (parent, key) cache gives a plain or
 * counted node of fn: c (key k) is the node found, if any (see begin_miss). The (parent,
 * key) cache, probed by the enter hook, is a 2048-slot table that holds the keys, so a miss
 * there touches no node (a cached child is never muted and never past the depth cap). */
static FZ_TEXT __attribute__((noinline)) void cyg_enter_miss(fz_thread *t, fz_entry *e, void *fn,
                                                            fz_node *c, const void *k) {
  if (k == FZ_KEY_TL(fn)) {
    push_tl(t, e, c);
    return;
  }
  if (k == FZ_KEY_SPECIAL(fn) || k == FZ_KEY_REDRAW(fn)) {
    fz_begin_special(t, e, c);
    return;
  }
  cyg_enter_slow(t, fn);
}

FZ_TEXT void __cyg_profile_func_enter(void *fn, void *call_site) {
  (void)call_site;
  if (FZ_LIKELY(!FZ_LD(fz_rec_gen))) return;
  fz_thread *t = fz_tls;
  fz_entry *e = t->top;
  fz_node *c = e->node->cache;
  const void *k = FZ_LD(c->key);
  if (FZ_UNLIKELY(k != fn)) {
    /* a thinned hot function: counted, not timed, right here */
    if (cyg_count_only(t, e, c, k, fn)) return;
    /* a caller calling several functions in turn: the callee from the thread's (parent,
     * key) cache, plain or counted (see cyg_enter_miss) */
    fz_node *p = e->node;
    fz_dslot *ds = dslot(t, p, fn);
    if (ds->parent == p && ds->key == fn && t->gen == FZ_LD(fz_rec_gen) && e < t->last &&
        !t->cyg_overflow) {
      fz_node *c2 = ds->child;
      fz_cache_to(p, c2);
      const void *k2 = FZ_LD(c2->key);
      if (k2 == fn) {
        push(t, e, c2);
        return;
      }
      if (cyg_count_only(t, e, c2, k2, fn)) return;
      return cyg_enter_miss(t, e, fn, c2, k2);
    }
    return cyg_enter_miss(t, e, fn, c, k);
  }
  push(t, e, c);
}

/* Exits the fast path does not handle: a sampled or probed call, a dropped call, an
 * excluded function's frame, exits after the session ended or paused, or exits that were
 * skipped (longjmp, exceptions through uninstrumented frames). */
FZ_TEXT static COLD void cyg_exit_slow(fz_thread *t, void *fn) {
  if (t == &fz_nil_thread) return;
  uint64_t t1 = fz_ticks();
  if (t->cyg_overflow) { /* nested in a dropped call, or the dropped call itself */
    if (--t->cyg_overflow == 0 && t->top->node == &fz_nil_node) FZ_ST(t->top, t->top - 1);
    return;
  }
  fz_entry *e = t->top;
  if (e == t->stack) return;
  if (e->node->rkey != fn) { /* find the frame, closing the ones above it */
    fz_entry *k = e;
    while (k > t->stack && k->node->rkey != fn) k--;
    if (k == t->stack) return;
    while (t->top > k) close_top(t, t->top, t1);
    e = k;
  }
  /* after the session's end (or a reset) the frame is only popped; while it is paused, a
   * frame begun before the pause is still recorded */
  if (t->gen != fz_g.session_gen || !FZ_LD(fz_g.active)) {
    FZ_ST(t->top, e - 1);
    return;
  }
  close_top(t, e, t1);
}

/* Exits of sampled or probed functions (their entries' t0 has FZ_T0_SPECIAL): a counted-only
 * call pops (no clock read), a timed one reads the clock first. Not cold: a thinned hot
 * function comes here at every call. */
static FZ_TEXT __attribute__((noinline)) void cyg_exit_other(fz_thread *t, fz_entry *e, void *fn) {
  uint64_t t0 = e->t0;
  if (e->node->rkey == fn && (t0 & FZ_T0_SPECIAL) && t0 != FZ_T0_NONE) {
    if (t0 & FZ_T0_UNTIMED) {
      FZ_ST(t->top, e - 1);
      return;
    }
    uint64_t t1 = fz_ticks_fenced(); /* a special call: fenced (clock.h) */
    if (t->gen == fz_g.session_gen && FZ_LD(fz_g.active)) {
      fz_close_special(t, e, t1);
      return;
    }
  }
  cyg_exit_slow(t, fn);
}

FZ_TEXT void __cyg_profile_func_exit(void *fn, void *call_site) {
  (void)call_site;
  if (FZ_LIKELY(!FZ_LD(fz_hooks_armed))) return;
  fz_thread *t = fz_tls;
  fz_entry *e = t->top;
  uint64_t t0 = e->t0;
  if (t0 == FZ_T0_CYG_COUNTED(fn)) { /* counted at its enter: the node is not touched */
    FZ_ST(t->top, e - 1);
    return;
  }
  const void *k = FZ_LD(e->node->key);
  if (FZ_UNLIKELY(k != fn || (int64_t)t0 <= 0)) return cyg_exit_other(t, e, fn);
  uint64_t d = fz_counter() - t0;
  fz_node *n = e->node;
  FZ_ST(t->top, e - 1);
  node_add(t, n, d);
}
