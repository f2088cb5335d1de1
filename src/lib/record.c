/* record.c: the zone hot path and its slow paths: thread registration and recycling, child
 * lookup and node creation, histogram blocks and batches, misuse handling, named timers,
 * the -finstrument-functions hooks.
 *
 * Invariant: the hot path (fathom_zone_begin_site, and fathom_zone_end of the calling
 * thread's top entry) takes no lock and allocates nothing once a call path has been seen;
 * every departure from it (new path, new thread, new session, misuse) goes through an
 * out-of-line function that preserves errno. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "record.h"

fz_global fz_g = {.lock = PTHREAD_MUTEX_INITIALIZER};
FATHOM_EXTERN uint32_t fathom_recording_;

__thread fz_thread *fz_tls __attribute__((tls_model("initial-exec")));
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
static uint64_t misuse_global;   /* misuse with no thread state to charge it to */

#define COLD __attribute__((cold, noinline))
#define CHUNK_BYTES ((size_t)256 * 1024)
#define MAX_THREADS 4096

void fz_misuse_count(void) { __atomic_fetch_add(&misuse_global, 1, __ATOMIC_RELAXED); }
uint64_t fz_misuse_global(void) { return FZ_LD(misuse_global); }

/* ---- memory ---------------------------------------------------------------------- */

void *fz_chunk_alloc(fz_thread *t, size_t size) {
  size = (size + 63) & ~(size_t)63;
  fz_chunk *c = t->chunks;
  if (!c || c->used + size > c->cap) {
    size_t cap = size > CHUNK_BYTES ? size : CHUNK_BYTES;
    fz_alloc_pause(); /* fathom's own memory is not the program's */
    c = malloc(sizeof *c + cap);
    fz_alloc_resume();
    if (!c) return NULL;
    c->used = 0;
    c->cap = cap;
    c->next = t->chunks;
    t->chunks = c;
    FZ_ST(t->bytes, t->bytes + sizeof *c + cap);
  }
  void *p = c->mem + c->used;
  c->used += size;
  return p;
}

static void chunks_free(fz_thread *t) {
  fz_chunk *c = t->chunks;
  while (c) {
    fz_chunk *n = c->next;
    free(c);
    c = n;
  }
  t->chunks = NULL;
}

static void node_init(fz_node *n, const void *key, fathom_site *site, fz_node *parent,
                      uint32_t flags) {
  memset(n, 0, sizeof *n);
  n->key = key;
  n->rkey = key;
  n->site = site;
  n->parent = parent;
  n->min = UINT64_MAX;
  n->depth = parent ? parent->depth + 1 : 0;
  n->flags = flags;
}

static inline fz_dslot *dslot(fz_thread *t, const fz_node *parent, const void *key) {
  uint64_t h = ((uint64_t)(uintptr_t)parent ^ ((uint64_t)(uintptr_t)key << 7)) * 0x9e3779b97f4a7c15ull;
  return &t->dcache[h >> (64 - 8)];
}

/* How it works: the parent's one-entry cache (last child begun) serves a parent with one
 * child; siblings that alternate (a loop calling A then B) find each other here in the
 * thread's direct-mapped (parent, key) cache; only a miss there walks the child list.
 * Muted nodes (excluded functions) are never cached, so a cache hit is always recorded. */
static fz_node *child_find(fz_thread *t, fz_node *parent, const void *key) {
  fz_dslot *ds = dslot(t, parent, key);
  if (ds->parent == parent && ds->key == key) return parent->cache = ds->child;
  for (fz_node *c = parent->first_child; c; c = c->next_sibling)
    if (c->rkey == key) {
      if (c->flags & FZ_NODE_MUTED) return c;
      *ds = (fz_dslot){parent, key, c};
      return parent->cache = c;
    }
  return NULL;
}

/* The child of parent for key, created (with site and flags) if it is new. NULL at the
 * node cap (counted) or out of memory. */
COLD fz_node *fz_child_slow(fz_thread *t, fz_node *parent, const void *key, fathom_site *site,
                            uint32_t flags) {
  fz_node *found = child_find(t, parent, key);
  if (found) return found;
  if (t->n_nodes >= fz_g.cfg.max_nodes_per_thread) {
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
  node_init(n, key, site, parent, flags);
  n->site_id = site ? site->id_ : 0;
  if (!(flags & FZ_NODE_MUTED)) fz_node_sampling_init(n);
  n->next_sibling = parent->first_child;
  FZ_STR(parent->first_child, n);
  FZ_ST(t->n_nodes, t->n_nodes + 1);
  if (flags & FZ_NODE_MUTED) return n;
  *dslot(t, parent, key) = (fz_dslot){parent, key, n};
  return parent->cache = n;
}

COLD uint64_t *fz_block_alloc(fz_thread *t, fz_node *n, uint32_t blk) {
  if (t->n_blocks >= (uint64_t)fz_g.cfg.max_nodes_per_thread * 8) {
    FZ_ST(t->dropped_hist, t->dropped_hist + 1);
    return NULL;
  }
  int saved = errno;
  uint64_t *b = fz_chunk_alloc(t, FZ_HIST_SUB * sizeof(uint64_t));
  errno = saved;
  if (!b) {
    FZ_ST(t->dropped_hist, t->dropped_hist + 1);
    return NULL;
  }
  memset(b, 0, FZ_HIST_SUB * sizeof(uint64_t));
  FZ_STR(n->blk[blk], b);
  FZ_ST(t->n_blocks, t->n_blocks + 1);
  return b;
}

__attribute__((always_inline)) static inline void hist_add(fz_thread *t, fz_node *n,
                                                           uint64_t d) {
  uint32_t b = fz_hist_bucket_of(d);
  uint64_t *blk = n->blk[b / FZ_HIST_SUB];
  if (FZ_UNLIKELY(!blk) && !(blk = fz_block_alloc(t, n, b / FZ_HIST_SUB))) return;
  uint64_t *slot = &blk[b % FZ_HIST_SUB];
  FZ_ST(*slot, *slot + 1);
}


/* How it works: a zone's end updates count, total, min, max and the squares in place, but
 * only notes (node, duration, begin) for the histogram and the timeline; every FZ_PEND
 * zones this loop adds the batch. The timer read waits for the work before it on the CPUs
 * we measured (a dependent chain between two reads adds its whole latency), so computing a
 * bucket and its slot address at every end delayed the next read by ~4 ns, and a ring push
 * (its head, its room check, a 24-byte event) by ~2.5 ns; here they cost a fraction of
 * that, and the ring's head is published once per batch. Snapshots add the pending entries
 * too (histogram samples and events), so nothing is missing from a model. */
void fz_pend_flush(fz_thread *t) {
  uint32_t k = t->n_pend;
  for (uint32_t i = 0; i < k; i++) hist_add(t, t->pend[i].node, t->pend[i].d);
  if (t->ring) fz_ring_push_pend(t->ring, t->pend, k);
  FZ_STR(t->n_pend, 0);
}

COLD void fz_node_record_cold(fz_thread *t, fz_node *n, uint64_t d) {
  fz_node_add(n, d);
  hist_add(t, n, d);
}

/* ---- threads --------------------------------------------------------------------- */

static void on_thread_exit(void *arg) {
  fz_thread *t = arg;
  fz_probe_thread_release(t);
  FZ_ST(t->exited, 1);
  fz_tls = NULL;
}

static void make_exit_key(void) { (void)pthread_key_create(&exit_key, on_thread_exit); }

/* Resets t to generation g, keeping the zones still open on its stack (re-created as a
 * path in the fresh tree, begin times preserved) so handles taken before stay valid. */
static void thread_recycle(fz_thread *t, uint32_t g) {
  uint32_t depth = fz_depth(t);
  typedef struct saved_open { const void *key; fathom_site *site; uint32_t flags; } saved_open;
  saved_open *keep = depth ? malloc(depth * sizeof *keep) : NULL;
  if (!keep) depth = 0; /* out of memory: the open zones are dropped */
  for (uint32_t i = 1; i <= depth; i++)
    keep[i - 1] = (saved_open){t->stack[i].node->rkey, t->stack[i].node->site, t->stack[i].node->flags};
  FZ_STR(t->n_pend, 0); /* the batch points into the nodes freed next (already reported) */
  chunks_free(t);
  memset(t->dcache, 0, sizeof t->dcache);
  node_init(&t->root, NULL, NULL, NULL, 0);
  t->stack[0].node = &t->root;
  t->n_nodes = t->n_blocks = 0;
  t->dropped_zones = t->dropped_hist = t->misuse = 0;
  FZ_ST(t->bytes, (uint64_t)sizeof *t + sizeof(fz_entry) * (fz_g.cfg.max_depth + 1) +
                      (t->ring ? (t->ring->mask + 1) * sizeof(fz_tev) : 0));
  uint32_t kept = 0;
  for (uint32_t i = 1; i <= depth && i <= fz_g.cfg.max_depth; i++) {
    fz_node *n = fz_child_slow(t, t->stack[i - 1].node, keep[i - 1].key, keep[i - 1].site,
                               keep[i - 1].flags);
    if (!n) break; /* cap too small to keep the whole open path */
    t->stack[i].node = n;
    kept = i;
  }
  free(keep);
  FZ_ST(t->top, t->stack + kept);
  FZ_STR(t->gen, g);
}

COLD fz_thread *fz_thread_get(void) {
  int saved = errno;
  fz_thread *t = fz_tls;
  fz_glock();
  uint32_t g = fz_rec_gen;
  if (!g) {
    fz_gunlock();
    errno = saved;
    return NULL;
  }
  if (!t) {
    if (fz_g.n_threads_ever >= MAX_THREADS) goto fail;
    t = calloc(1, sizeof *t);
    if (!t) goto fail;
    /* the stack is sized once, for the largest cap a session may set */
    t->stack = calloc(4096 + 1, sizeof *t->stack);
    if (!t->stack) {
      free(t);
      t = NULL;
      goto fail;
    }
    t->tid = (uint64_t)syscall(SYS_gettid);
    pthread_getname_np(pthread_self(), t->name, sizeof t->name);
    extern __thread int fz_calibrating __attribute__((tls_model("initial-exec")));
    t->hidden = fz_calibrating;
    t->index = fz_g.n_threads_ever++;
    node_init(&t->root, NULL, NULL, NULL, 0);
    t->stack[0].node = &t->root;
    t->top = t->stack;
    t->next = fz_g.threads;
    fz_g.threads = t;
    pthread_once(&exit_key_once, make_exit_key);
    pthread_setspecific(exit_key, t);
    fz_tls = t;
  }
  if (t->gen != g) {
    t->last = t->stack + fz_g.cfg.max_depth;
    uint64_t want = 1;
    while (want < fz_g.cfg.ring_events) want <<= 1;
    if (t->ring && (!fz_g.cfg.timeline || t->ring->mask + 1 != want)) fz_ring_detach(t);
    if (fz_g.cfg.timeline && !t->ring && !t->hidden) fz_ring_attach(t);
    /* zones left open by an earlier session are dropped; across fathom_reset they stay */
    if (t->gen < fz_g.session_first_gen) FZ_ST(t->top, t->stack);
    if (t->probe_state && t->probe_level != (int)fz_g.cfg.level) fz_probe_thread_release(t);
    FZ_ST(t->ptokens, fz_g.ptokens_per_tick);
    thread_recycle(t, g);
    fz_mshard_reset(t);
  }
  fz_gunlock();
  errno = saved;
  return t;
fail:
  fz_gunlock();
  fz_misuse_count();
  errno = saved;
  return NULL;
}

/* Frees records of threads that exited (caller holds fz_g.lock, no session active). */
void fz_threads_reap(void) {
  fz_thread **pp = &fz_g.threads;
  while (*pp) {
    fz_thread *t = *pp;
    if (FZ_LD(t->exited)) {
      *pp = t->next;
      chunks_free(t);
      fz_ring_detach(t);
      fz_mshard_free(t);
      free(t->pstack);
      free(t->stack);
      free(t);
    } else {
      pp = &t->next;
    }
  }
}

/* After fork: only the calling thread lives on in the child. */
void fz_threads_after_fork(void) {
  pthread_mutex_init(&fz_g.lock, NULL);
  for (fz_thread *t = fz_g.threads; t; t = t->next)
    if (t != fz_tls) t->exited = 1;
  if (fz_tls) fz_tls->tid = (uint64_t)syscall(SYS_gettid);
}

/* ---- the hot path ----------------------------------------------------------------
 * How it works: each thread has a stack of open zones (node, begin ticks); a handle is the
 * address of its entry plus its begin ticks. Begin finds the child node through the
 * parent's one-entry cache and pushes; end checks that the handle is the top entry of the
 * calling thread (same address, same begin ticks), records the duration on the node in
 * place, and pops. Anything else takes a cold path. */

__attribute__((always_inline)) static inline fz_node *child_of(fz_thread *t, fz_node *parent, const void *key,
                                fathom_site *site, uint32_t flags) {
  fz_node *c = parent->cache;
  if (FZ_LIKELY(c && FZ_LD(c->key) == key)) return c;
  return fz_child_slow(t, parent, key, site, flags);
}

/* Pushes child c above entry e; the clock is read last, so the bookkeeping is not timed. */
__attribute__((always_inline)) static inline fathom_zone push_with(fz_thread *t, fz_entry *e,
                                                                    fz_node *c, int mono) {
  e++;
  e->node = c;
  FZ_ST(t->top, e);
  uint64_t t0 = mono ? fz_mono_ns() : fz_counter();
  e->t0 = t0;
  fathom_zone z = {e, t0};
  return z;
}

/* CLOCK_MONOTONIC: out of line, so the counter path needs no stack frame */
static COLD fathom_zone push_mono(fz_thread *t, fz_entry *e, fz_node *c) {
  return push_with(t, e, c, 1);
}

__attribute__((always_inline)) static inline fathom_zone push(fz_thread *t, fz_entry *e,
                                                               fz_node *c) {
  if (FZ_UNLIKELY(!FZ_LD(fz_clk.use_counter))) return push_mono(t, e, c);
  return push_with(t, e, c, 0);
}

/* Everything the fast path does not handle: no thread state yet, a new session, an
 * unregistered or muted site, a child not in the parent's cache, the depth cap. */
static COLD fathom_zone begin_slow(fathom_site *s) {
  fathom_zone z = {0, 0};
  if (!FZ_LD(fz_rec_gen)) return z;
  fz_thread *t = fz_thread_get_fast();
  if (!t) return z;
  if (!s) {
    FZ_ST(t->misuse, t->misuse + 1);
    return z;
  }
  if (FZ_LDA(s->state_) != 1 && fz_site_register(s) != 1) return z;
  fz_entry *e = t->top;
  if (e >= t->last) { /* before the lookup: no node is made for a dropped zone */
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    return z;
  }
  fz_node *c = child_of(t, e->node, s, s, 0);
  if (!c) return z;
  if (FZ_UNLIKELY(FZ_LD(c->key) != s)) return fz_begin_special(t, e, c, 0);
  return push(t, e, c);
}

/* The parent's last child was another one (siblings alternating): the thread's
 * (parent, key) cache usually has it. Not cold: loops alternate all the time. */
static __attribute__((noinline)) fathom_zone begin_sibling(fz_thread *t, fz_entry *e,
                                                           fathom_site *s) {
  fz_node *c = e->node->cache;
  if (c && FZ_LD(c->key) == FZ_KEY_SPECIAL(s) && e < t->last) {
    uint32_t te = FZ_LD(c->t_every);
    if (te > 1 && ++c->t_skip < te) { /* counted, not timed: the cheapest special case */
      fz_entry *ne = e + 1;
      uint64_t tag = FZ_T0_UNTIMED | (++t->seq & (FZ_T0_UNTIMED - 1));
      ne->node = c;
      ne->t0 = tag | FZ_T0_SPECIAL;
      FZ_ST(c->untimed, c->untimed + 1);
      FZ_ST(t->top, ne);
      return (fathom_zone){ne, tag};
    }
    if (te > 1) c->t_skip = 0;
    return fz_begin_special(t, e, c, te > 1);
  }
  fz_dslot *ds = dslot(t, e->node, s);
  if (FZ_UNLIKELY(e >= t->last || ds->parent != e->node || ds->key != s)) return begin_slow(s);
  c = e->node->cache = ds->child;
  if (FZ_UNLIKELY(FZ_LD(c->key) != s)) return fz_begin_special(t, e, c, 0);
  return push(t, e, c);
}

FATHOM_EXTERN fathom_zone fathom_zone_begin_site(fathom_site *s) {
  fz_thread *t = fz_tls;
  if (FZ_UNLIKELY(!t || t->gen != FZ_LD(fz_rec_gen) || !s || FZ_LDA(s->state_) != 1))
    return begin_slow(s);
  fz_entry *e = t->top;
  fz_node *c = e->node->cache;
  if (FZ_UNLIKELY(!c || FZ_LD(c->key) != s || e >= t->last)) return begin_sibling(t, e, s);
  return push(t, e, c);
}

/* Closes the top entry e of t at time t1, the general way. Returns the duration in ns. */
static uint64_t close_top(fz_thread *t, fz_entry *e, uint64_t t1) {
  if (e->t0 & FZ_T0_SPECIAL) return fz_close_special(t, e, t1);
  fz_node *n = e->node;
  uint64_t d = t1 - e->t0, ns = fz_ticks_to_ns(d);
  if (!(n->flags & FZ_NODE_MUTED)) {
    fz_node_record_cold(t, n, d);
    if (t->ring) fz_ring_push(t->ring, e->t0, t1, n->site_id, (uint32_t)(e - t->stack));
  }
  FZ_ST(t->top, e - 1);
  return ns;
}

/* The fast close of a zone's top entry (not for muted nodes): the duration is recorded in
 * ticks, converted only when a model is built; its histogram slot and its timeline event
 * wait in the thread's batch. Returns 1 when the batch is full and must be flushed (by the
 * caller, last). */
__attribute__((always_inline)) static inline int close_top_fast(fz_thread *t, fz_entry *e,
                                                                uint64_t t1, uint64_t *ns) {
  fz_node *n = e->node;
  uint64_t d = t1 - e->t0;
  fz_node_add(n, d);
  uint32_t k = t->n_pend;
  FZ_ST(t->pend[k].node, n);
  FZ_ST(t->pend[k].d, d);
  FZ_ST(t->pend[k].t0, e->t0);
  FZ_STR(t->n_pend, k + 1);
  FZ_ST(t->top, e - 1);
  if (ns) *ns = fz_ticks_to_ns(d);
  return k + 1 == FZ_PEND;
}

static COLD int flush_ret0(fz_thread *t) {
  fz_pend_flush(t);
  return 0;
}

static int owned_by_other_thread(const fz_entry *e, uint64_t t0) {
  int found = 0;
  pthread_mutex_lock(&fz_g.lock);
  for (fz_thread *o = fz_g.threads; o && !found; o = o->next)
    if (o != fz_tls && e > o->stack && e <= FZ_LD(o->top) && (e->t0 & ~FZ_T0_SPECIAL) == t0)
      found = 1;
  pthread_mutex_unlock(&fz_g.lock);
  return found;
}

/* Ends handle (e, t0) at t1 when it is not the calling thread's top entry. */
static COLD int end_slow(fz_entry *e, uint64_t t0, uint64_t t1, uint64_t *ns) {
  if (!e) return FATHOM_E_ENDED;
  fz_thread *t = fz_tls;
  if (!t || e <= t->stack || e > t->last) { /* not an entry of this thread's stack */
    int saved = errno;
    int other = owned_by_other_thread(e, t0);
    errno = saved;
    if (t)
      FZ_ST(t->misuse, t->misuse + 1);
    else
      fz_misuse_count();
    return other ? FATHOM_E_WRONG_THREAD : FATHOM_E_ENDED;
  }
  uint64_t et0 = e->t0;
  if (e > t->top || (et0 != t0 && (!(et0 & FZ_T0_SPECIAL) || (et0 & ~FZ_T0_SPECIAL) != t0))) {
    FZ_ST(t->misuse, t->misuse + 1);
    return FATHOM_E_ENDED;
  }
  if (e == t->top) { /* a special entry, balanced */
    uint64_t v = close_top(t, e, t1);
    if (ns) *ns = v;
    return 0;
  }
  while (t->top > e) { /* zones begun inside and still open: close them now */
    close_top(t, t->top, t1);
    FZ_ST(t->misuse, t->misuse + 1);
  }
  uint64_t v = close_top(t, e, t1);
  if (ns) *ns = v;
  return FATHOM_E_UNBALANCED;
}

__attribute__((always_inline)) static inline int zone_end_at(fathom_zone z, uint64_t t1,
                                                             uint64_t *ns) {
  fz_entry *e = z.t_;
  fz_thread *t = fz_tls;
  /* a NULL handle never equals t->top, which always points into the stack */
  if (FZ_UNLIKELY(!t || t->top != e || e->t0 != z.tag_)) return end_slow(e, z.tag_, t1, ns);
  if (FZ_UNLIKELY(close_top_fast(t, e, t1, ns))) return flush_ret0(t);
  return 0;
}

/* Every end the fast one does not take: special entries (an untimed call reads no clock),
 * CLOCK_MONOTONIC, misuse. */
static __attribute__((noinline)) int end_other(fathom_zone z) {
  fz_entry *e = z.t_;
  fz_thread *t = fz_tls;
  if (t && e && t->top == e && e->t0 == (z.tag_ | FZ_T0_SPECIAL) && (z.tag_ & FZ_T0_UNTIMED)) {
    FZ_ST(t->top, e - 1); /* counted at its begin; nothing else to record */
    return 0;
  }
  return zone_end_at(z, fz_ticks(), NULL);
}

/* The handle is checked before the clock is read, so a call that is counted but not timed
 * (time sampling) costs no clock read at its end. */
FATHOM_EXTERN int fathom_zone_end(fathom_zone z) {
  fz_entry *e = z.t_;
  fz_thread *t = fz_tls;
  if (FZ_UNLIKELY(!t || t->top != e || e->t0 != z.tag_ || !FZ_LD(fz_clk.use_counter)))
    return end_other(z);
  if (FZ_UNLIKELY(close_top_fast(t, e, fz_counter(), NULL))) return flush_ret0(t);
  return 0;
}

FATHOM_EXTERN void fathom_zone_end_scoped(fathom_zone *z) {
  if (z->t_) (void)fathom_zone_end(*z);
}

/* ---- manual zones, metrics, timers ------------------------------------------------ */

typedef struct name_cache {
  const char *name, *comp;
  fathom_site *site;
} name_cache;
static __thread name_cache ncache[64]; /* default TLS model: see metrics.c */

static fathom_site *site_by_name(const char *name, const char *comp) {
  uintptr_t h = ((uintptr_t)name >> 3) ^ ((uintptr_t)comp >> 5);
  name_cache *c = &ncache[h % 64];
  if (c->site && c->name == name && c->comp == comp && strcmp(c->site->name, name) == 0 &&
      strcmp(c->site->component, comp && *comp ? comp : "default") == 0)
    return c->site;
  fathom_site *s = fz_site_intern(name, comp);
  if (s) {
    c->name = name;
    c->comp = comp;
    c->site = s;
  }
  return s;
}

FATHOM_EXTERN fathom_zone fathom_zone_begin(const char *name, const char *component) {
  fathom_zone z = {0, 0};
  if (FZ_UNLIKELY(!FZ_LD(fz_rec_gen))) return z;
  if (!name || !*name) {
    fz_thread *t = fz_thread_get_fast();
    if (t)
      FZ_ST(t->misuse, t->misuse + 1);
    else
      fz_misuse_count();
    name = name ? "(empty)" : "(null)";
  }
  fathom_site *s = site_by_name(name, component);
  if (!s) return z;
  return fathom_zone_begin_site(s);
}

static void add_metric(fz_thread *t, fz_node *n, const char *name, double v) {
  fz_mrec *m = n->metrics;
  while (m && strcmp(m->name, name) != 0) m = m->next;
  if (!m) {
    const char *in = fz_intern(name);
    if (!in) return;
    int saved = errno;
    m = fz_chunk_alloc(t, sizeof *m);
    errno = saved;
    if (!m) return;
    memset(m, 0, sizeof *m);
    m->name = in;
    memcpy(&m->min_bits, &v, 8);
    memcpy(&m->max_bits, &v, 8);
    m->next = n->metrics;
    FZ_STR(n->metrics, m);
  }
  /* doubles stored as 64-bit patterns through relaxed atomics for concurrent readers */
  double sum, mn, mx;
  memcpy(&sum, &m->sum_bits, 8);
  memcpy(&mn, &m->min_bits, 8);
  memcpy(&mx, &m->max_bits, 8);
  sum += v;
  if (v < mn) mn = v;
  if (v > mx) mx = v;
  uint64_t b;
  memcpy(&b, &sum, 8);
  FZ_ST(m->sum_bits, b);
  memcpy(&b, &mn, 8);
  FZ_ST(m->min_bits, b);
  memcpy(&b, &mx, 8);
  FZ_ST(m->max_bits, b);
  FZ_ST(m->count, m->count + 1);
}

FATHOM_EXTERN int fathom_zone_end_metrics(fathom_zone z, const fathom_metric *m, size_t n) {
  uint64_t t1 = fz_ticks();
  fz_entry *e = z.t_;
  fz_thread *t = fz_tls;
  if (t && m && e && e > t->stack && e <= t->top && (e->t0 & ~FZ_T0_SPECIAL) == z.tag_) {
    for (size_t i = 0; i < n; i++)
      if (m[i].name) add_metric(t, e->node, m[i].name, m[i].value);
  }
  return zone_end_at(z, t1, NULL);
}

FATHOM_EXTERN int fathom_timer_start(const char *name) {
  if (!FZ_LD(fz_rec_gen)) return FATHOM_E_STATE;
  fathom_zone z = fathom_zone_begin(name, NULL);
  return z.t_ ? 0 : FATHOM_E_LIMIT;
}

FATHOM_EXTERN int64_t fathom_timer_stop(const char *name) {
  uint64_t t1 = fz_ticks();
  if (!FZ_LD(fz_rec_gen)) return FATHOM_E_STATE;
  fz_thread *t = fz_tls;
  if (!t || t->gen != FZ_LD(fz_rec_gen)) return FATHOM_E_NOTFOUND;
  if (!name) name = "(null)";
  else if (!*name) name = "(empty)";
  for (fz_entry *e = t->top; e > t->stack; e--) {
    fathom_site *s = e->node->site;
    if (s && !(e->node->flags & FZ_NODE_FUNC) && strcmp(s->name, name) == 0) {
      fathom_zone z = {e, e->t0 & ~FZ_T0_SPECIAL};
      uint64_t ns = 0;
      int rc = zone_end_at(z, t1, &ns);
      return rc == 0 || rc == FATHOM_E_UNBALANCED ? (int64_t)ns : rc;
    }
  }
  FZ_ST(t->misuse, t->misuse + 1);
  return FATHOM_E_NOTFOUND;
}

FATHOM_EXTERN int fathom_zone_record(fathom_site *s, uint64_t duration_ns) {
  if (!FZ_LD(fz_rec_gen)) return FATHOM_E_STATE;
  if (!s) return FATHOM_E_INVAL;
  fz_thread *t = fz_thread_get_fast();
  if (!t) return FATHOM_E_NOMEM;
  if (FZ_LDA(s->state_) != 1 && fz_site_register(s) != 1) return 0;
  fz_node *c = child_of(t, t->top->node, s, s, 0);
  if (!c) return FATHOM_E_LIMIT;
  fz_node_record_cold(t, c, fz_ns_to_ticks(duration_ns));
  return 0;
}

/* ---- -finstrument-functions ------------------------------------------------------- */

__attribute__((no_instrument_function)) FATHOM_EXTERN void __cyg_profile_func_enter(
    void *fn, void *call_site);
__attribute__((no_instrument_function)) FATHOM_EXTERN void __cyg_profile_func_exit(
    void *fn, void *call_site);

/* Everything the fast enter does not handle: a new thread or session, a dropped caller, the
 * depth cap, a callee not in the parent's cache (found by key first; the function's site,
 * which takes the registry lock, is looked up only to create a node). */
static COLD void cyg_enter_slow(fz_thread *t, void *fn) {
  if (!t || t->gen != FZ_LD(fz_rec_gen)) {
    if (!FZ_LD(fz_rec_gen) || !(t = fz_thread_get())) return;
  }
  if (t->cyg_overflow) { /* inside a dropped call: every nested call is dropped */
    t->cyg_overflow++;
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    return;
  }
  fz_entry *e = t->top;
  if (e >= t->last) {
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    t->cyg_overflow = 1;
    return;
  }
  fz_node *c = child_find(t, e->node, fn);
  if (!c) {
    fathom_site *s = fz_site_for_function(fn);
    c = s ? fz_child_slow(t, e->node, fn, s,
                          FZ_NODE_FUNC | (FZ_LDA(s->state_) == 2 ? FZ_NODE_MUTED : 0))
          : NULL;
  }
  if (!c) { /* node cap (counted by fz_child_slow) or no memory */
    t->cyg_overflow = 1;
    return;
  }
  if (FZ_LD(c->key) != fn && !(c->flags & FZ_NODE_MUTED)) {
    fz_begin_special(t, e, c, 0);
    return;
  }
  if (c->flags & FZ_NODE_MUTED) { /* excluded: a frame that keeps the stack, records nothing */
    e++;
    e->node = c;
    e->t0 = 0;
    FZ_ST(t->top, e);
    return;
  }
  push(t, e, c);
}

void __cyg_profile_func_enter(void *fn, void *call_site) {
  (void)call_site;
  fz_thread *t = fz_tls;
  if (FZ_UNLIKELY(!t || t->gen != FZ_LD(fz_rec_gen) || t->cyg_overflow))
    return cyg_enter_slow(t, fn);
  fz_entry *e = t->top;
  fz_node *c = e->node->cache;
  if (FZ_UNLIKELY(!c || FZ_LD(c->key) != fn || e >= t->last)) return cyg_enter_slow(t, fn);
  push(t, e, c);
}

/* Exits the fast path does not handle: a dropped call, an excluded function's frame, or
 * exits that were skipped (longjmp, exceptions through uninstrumented frames). */
static COLD void cyg_exit_slow(fz_thread *t, void *fn, uint64_t t1) {
  if (!t) return;
  if (t->cyg_overflow) {
    t->cyg_overflow--;
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
  close_top(t, e, t1);
}

void __cyg_profile_func_exit(void *fn, void *call_site) {
  (void)call_site;
  uint64_t t1 = FZ_LIKELY(FZ_LD(fz_clk.use_counter)) ? fz_counter() : fz_mono_ns_cold();
  fz_thread *t = fz_tls;
  if (FZ_UNLIKELY(!t || t->cyg_overflow)) return cyg_exit_slow(t, fn, t1);
  fz_entry *e = t->top;
  if (FZ_UNLIKELY(e == t->stack || e->node->key != fn || (int64_t)e->t0 <= 0))
    return cyg_exit_slow(t, fn, t1);
  if (FZ_UNLIKELY(close_top_fast(t, e, t1, NULL))) fz_pend_flush(t);
}
