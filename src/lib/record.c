/* record.c: the zone hot path and its slow paths: thread registration and recycling, child
 * lookup and node creation, histogram blocks, misuse handling, named timers.
 *
 * Invariant: the hot path (fathom_zone_begin_site / fathom_zone_end with matching depth and
 * serial) takes no lock and allocates nothing once a call path has been seen; every
 * departure from it (new path, new thread, new session, misuse) goes through a function
 * marked cold that preserves errno. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "record.h"

fz_global fz_g = {.lock = PTHREAD_MUTEX_INITIALIZER};
uint32_t fz_rec_gen;
FATHOM_EXTERN extern uint32_t fathom_recording_ __attribute__((alias("fz_rec_gen")));

__thread fz_thread *fz_tls __attribute__((tls_model("initial-exec")));
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
static uint64_t misuse_global;   /* misuse with no thread state to charge it to */

#define COLD __attribute__((cold, noinline))
#define CHUNK_BYTES ((size_t)256 * 1024)
#define MAX_THREADS 4096

fz_thread *fz_thread_current(void) { return fz_tls; }

void fz_misuse_count(void) { __atomic_fetch_add(&misuse_global, 1, __ATOMIC_RELAXED); }
uint64_t fz_misuse_global(void) { return FZ_LD(misuse_global); }

/* ---- memory ---------------------------------------------------------------------- */

static void *chunk_alloc(fz_thread *t, size_t size) {
  size = (size + 63) & ~(size_t)63;
  fz_chunk *c = t->chunks;
  if (!c || c->used + size > c->cap) {
    size_t cap = size > CHUNK_BYTES ? size : CHUNK_BYTES;
    c = malloc(sizeof *c + cap);
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
  n->site = site;
  n->parent = parent;
  n->min_ns = UINT64_MAX;
  n->depth = parent ? parent->depth + 1 : 0;
  n->flags = flags;
}

COLD fz_node *fz_child_slow(fz_thread *t, fz_node *parent, const void *key, fathom_site *site,
                            uint32_t flags) {
  for (fz_node *c = parent->first_child; c; c = c->next_sibling)
    if (c->key == key) return parent->cache = c;
  if (t->n_nodes >= fz_g.cfg.max_nodes_per_thread) {
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    return NULL;
  }
  int saved = errno;
  fz_node *n = chunk_alloc(t, sizeof *n);
  errno = saved;
  if (!n) {
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    return NULL;
  }
  node_init(n, key, site, parent, flags);
  n->site_id = site ? site->id_ : 0;
  n->next_sibling = parent->first_child;
  FZ_STR(parent->first_child, n);
  FZ_ST(t->n_nodes, t->n_nodes + 1);
  return parent->cache = n;
}

COLD uint64_t *fz_block_alloc(fz_thread *t, fz_node *n, uint32_t blk) {
  if (t->n_blocks >= (uint64_t)fz_g.cfg.max_nodes_per_thread * 8) {
    FZ_ST(t->dropped_hist, t->dropped_hist + 1);
    return NULL;
  }
  int saved = errno;
  uint64_t *b = chunk_alloc(t, FZ_HIST_SUB * sizeof(uint64_t));
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

/* ---- threads --------------------------------------------------------------------- */

static void on_thread_exit(void *arg) {
  fz_thread *t = arg;
  FZ_ST(t->exited, 1);
  fz_tls = NULL;
}

static void make_exit_key(void) { (void)pthread_key_create(&exit_key, on_thread_exit); }

/* Resets t to generation g, keeping the zones still open on its stack (re-created as a
 * path in the fresh tree, times preserved) so handles taken before stay valid. */
static int thread_recycle(fz_thread *t, uint32_t g) {
  uint32_t depth = t->depth;
  const void *keys[depth + 1];
  fathom_site *sites[depth + 1];
  uint32_t flags[depth + 1];
  for (uint32_t i = 1; i <= depth; i++) {
    keys[i] = t->stack[i].node->key;
    sites[i] = t->stack[i].node->site;
    flags[i] = t->stack[i].node->flags;
  }
  fz_ring *ring = t->ring;
  chunks_free(t);
  memset(&t->root, 0, sizeof t->root);
  node_init(&t->root, NULL, NULL, NULL, 0);
  t->stack[0].node = &t->root;
  t->n_nodes = t->n_blocks = 0;
  t->dropped_zones = t->dropped_hist = t->misuse = 0;
  FZ_ST(t->bytes, (uint64_t)sizeof *t + sizeof(fz_entry) * (fz_g.cfg.max_depth + 1));
  t->ring = ring;
  t->max_depth = fz_g.cfg.max_depth;
  for (uint32_t i = 1; i <= depth; i++) {
    fz_node *n = fz_child_slow(t, t->stack[i - 1].node, keys[i], sites[i], flags[i]);
    if (!n) { /* cap too small to keep the open path: drop the open zones */
      t->depth = i - 1;
      break;
    }
    t->stack[i].node = n;
  }
  FZ_STR(t->gen, g);
  return 0;
}


COLD fz_thread *fz_thread_get(void) {
  int saved = errno;
  fz_thread *t = fz_tls;
  pthread_mutex_lock(&fz_g.lock);
  uint32_t g = fz_rec_gen;
  if (!g) {
    pthread_mutex_unlock(&fz_g.lock);
    errno = saved;
    return NULL;
  }
  if (!t) {
    if (fz_g.n_threads_ever >= MAX_THREADS) goto fail;
    t = calloc(1, sizeof *t);
    if (!t) goto fail;
    uint32_t cap = fz_g.cfg.max_depth + 1;
    t->stack = calloc(cap, sizeof *t->stack);
    if (!t->stack) {
      free(t);
      t = NULL;
      goto fail;
    }
    t->tid = (uint64_t)syscall(SYS_gettid);
    pthread_getname_np(pthread_self(), t->name, sizeof t->name);
    extern __thread int fz_calibrating;
    t->hidden = fz_calibrating;
    t->index = fz_g.n_threads_ever++;
    node_init(&t->root, NULL, NULL, NULL, 0);
    t->stack[0].node = &t->root;
    t->gen = 0;
    t->next = fz_g.threads;
    fz_g.threads = t;
    pthread_once(&exit_key_once, make_exit_key);
    pthread_setspecific(exit_key, t);
    fz_tls = t;
  }
  if (t->gen != g) {
    thread_recycle(t, g);
    fz_mshard_reset(t);
    if (fz_g.cfg.timeline && !t->ring && !t->hidden) fz_ring_attach(t);
    if (!fz_g.cfg.timeline && t->ring) fz_ring_detach(t);
  }
  pthread_mutex_unlock(&fz_g.lock);
  errno = saved;
  return t;
fail:
  pthread_mutex_unlock(&fz_g.lock);
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

/* ---- the hot path ---------------------------------------------------------------- */

static inline fz_node *child_of(fz_thread *t, fz_node *parent, const void *key,
                                fathom_site *site, uint32_t flags) {
  fz_node *c = parent->cache;
  if (FZ_LIKELY(c && c->key == key)) return c;
  return fz_child_slow(t, parent, key, site, flags);
}

#define TAG(serial, depth) (((serial) << 16) | (depth))
#define TAG_DEPTH(tag) ((uint32_t)((tag)&0xffff))
#define TAG_SERIAL(tag) ((tag) >> 16)

static inline fathom_zone push(fz_thread *t, uint32_t d, fz_node *c) {
  fz_entry *e = &t->stack[++d];
  uint64_t serial = ++t->serial;
  e->node = c;
  e->serial = serial;
  FZ_ST(t->depth, d);
  fathom_zone z = {t, TAG(serial, (uint64_t)d)};
  e->t0 = fz_ticks();
  return z;
}

/* Everything the fast path does not handle: no thread state yet, a new session, an
 * unregistered or muted site, a child not in the parent's cache, the depth cap. */
static COLD fathom_zone begin_slow(fathom_site *s) {
  fathom_zone z = {0, 0};
  uint32_t g = FZ_LD(fz_rec_gen);
  if (!g) return z;
  fz_thread *t = fz_thread_get_fast();
  if (!t) return z;
  if (!s) {
    FZ_ST(t->misuse, t->misuse + 1);
    return z;
  }
  if (FZ_LD(s->state_) != 1 && fz_site_register(s) != 1) return z;
  uint32_t d = t->depth;
  fz_node *c = child_of(t, t->stack[d].node, s, s, 0);
  if (!c) return z;
  if (d >= t->max_depth) {
    FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    return z;
  }
  return push(t, d, c);
}

FATHOM_EXTERN fathom_zone fathom_zone_begin_site(fathom_site *s) {
  fz_thread *t = fz_tls;
  uint32_t g = FZ_LD(fz_rec_gen);
  if (FZ_UNLIKELY(!g || !t || t->gen != g || !s || FZ_LD(s->state_) != 1)) return begin_slow(s);
  uint32_t d = t->depth;
  fz_node *c = t->stack[d].node->cache;
  if (FZ_UNLIKELY(!c || c->key != s || d >= t->max_depth)) return begin_slow(s);
  return push(t, d, c);
}

/* Closes entry d of t at time t1 (must be the top of the stack). Returns duration ns. */
static inline uint64_t close_top(fz_thread *t, uint32_t d, uint64_t t1) {
  fz_entry *e = &t->stack[d];
  fz_node *n = e->node;
  uint64_t ns = fz_ticks_to_ns(t1 - e->t0);
  if (FZ_LIKELY(!(n->flags & FZ_NODE_MUTED))) {
    fz_node_record(t, n, ns);
    if (t->ring) fz_ring_push(t->ring, e->t0, t1, n->site_id, d);
  }
  FZ_ST(t->depth, d - 1);
  return ns;
}

/* Ends handle z at t1 when it is not the top of its stack (or is invalid). */
static COLD int end_slow(fz_thread *t, uint64_t tag, uint64_t t1, uint64_t *ns) {
  uint32_t d = TAG_DEPTH(tag);
  if (d == 0 || d > t->depth || t->stack[d].serial != TAG_SERIAL(tag)) {
    FZ_ST(t->misuse, t->misuse + 1);
    return FATHOM_E_ENDED;
  }
  while (t->depth > d) { /* zones begun inside and still open: close them now */
    close_top(t, t->depth, t1);
    FZ_ST(t->misuse, t->misuse + 1);
  }
  uint64_t v = close_top(t, d, t1);
  if (ns) *ns = v;
  return FATHOM_E_UNBALANCED;
}

static inline int zone_end_at(fathom_zone z, uint64_t t1, uint64_t *ns) {
  fz_thread *t = z.t_;
  if (FZ_UNLIKELY(!t)) return FATHOM_E_ENDED;
  if (FZ_UNLIKELY(t != fz_tls)) {
    fz_thread *me = fz_tls;
    if (me)
      FZ_ST(me->misuse, me->misuse + 1);
    else
      fz_misuse_count();
    return FATHOM_E_WRONG_THREAD;
  }
  uint32_t d = TAG_DEPTH(z.tag_);
  if (FZ_UNLIKELY(d != t->depth || t->stack[d].serial != TAG_SERIAL(z.tag_)))
    return end_slow(t, z.tag_, t1, ns);
  uint64_t v = close_top(t, d, t1);
  if (ns) *ns = v;
  return 0;
}

FATHOM_EXTERN int fathom_zone_end(fathom_zone z) { return zone_end_at(z, fz_ticks(), NULL); }

FATHOM_EXTERN void fathom_zone_end_scoped(fathom_zone *z) {
  if (z->t_) (void)zone_end_at(*z, fz_ticks(), NULL);
}

/* ---- manual zones, metrics, timers ------------------------------------------------ */

typedef struct name_cache {
  const char *name, *comp;
  fathom_site *site;
} name_cache;
static __thread name_cache ncache[64];

static fathom_site *site_by_name(const char *name, const char *comp) {
  uintptr_t h = ((uintptr_t)name >> 3) ^ ((uintptr_t)comp >> 5);
  name_cache *c = &ncache[h % 64];
  if (c->site && c->name == name && c->comp == comp && strcmp(c->site->name, name) == 0 &&
      strcmp(c->site->component, comp ? comp : "default") == 0)
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
    fz_thread *t = fz_tls;
    if (t && t->gen == fz_rec_gen)
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
    m = chunk_alloc(t, sizeof *m);
    errno = saved;
    if (!m) return;
    memset(m, 0, sizeof *m);
    m->name = in;
    memcpy(&m->min_bits, &v, 8);
    memcpy(&m->max_bits, &v, 8);
    m->next = n->metrics;
    FZ_STR(n->metrics, m);
  }
  /* stored through relaxed atomics as 64-bit patterns for concurrent readers */
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
  fz_thread *t = z.t_;
  if (t && t == fz_tls && m) {
    uint32_t d = TAG_DEPTH(z.tag_);
    if (d >= 1 && d <= t->depth && t->stack[d].serial == TAG_SERIAL(z.tag_)) {
      fz_node *node = t->stack[d].node;
      for (size_t i = 0; i < n; i++)
        if (m[i].name) add_metric(t, node, m[i].name, m[i].value);
    }
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
  if (!t || t->gen != fz_rec_gen) return FATHOM_E_NOTFOUND;
  if (!name) name = "(null)";
  for (uint32_t d = t->depth; d >= 1; d--) {
    fathom_site *s = t->stack[d].node->site;
    if (s && strcmp(s->name, name) == 0) {
      fathom_zone z = {t, TAG(t->stack[d].serial, (uint64_t)d)};
      uint64_t ns = 0;
      int rc = zone_end_at(z, t1, &ns);
      return rc == 0 || rc == FATHOM_E_UNBALANCED ? (int64_t)ns : rc;
    }
  }
  FZ_ST(t->misuse, t->misuse + 1);
  return FATHOM_E_NOTFOUND;
}

FATHOM_EXTERN int fathom_zone_record(fathom_site *s, uint64_t duration_ns) {
  uint32_t g = FZ_LD(fz_rec_gen);
  if (!g) return FATHOM_E_STATE;
  if (!s) return FATHOM_E_INVAL;
  fz_thread *t = fz_tls;
  if (!t || t->gen != g) {
    if (!(t = fz_thread_get())) return FATHOM_E_NOMEM;
  }
  if (FZ_LD(s->state_) != 1 && fz_site_register(s) != 1) return 0;
  fz_node *c = child_of(t, t->stack[t->depth].node, s, s, 0);
  if (!c) return FATHOM_E_LIMIT;
  fz_node_record(t, c, duration_ns);
  return 0;
}

/* ---- -finstrument-functions ------------------------------------------------------- */

static __thread uint32_t cyg_overflow;

__attribute__((no_instrument_function)) FATHOM_EXTERN void __cyg_profile_func_enter(
    void *fn, void *call_site);
__attribute__((no_instrument_function)) FATHOM_EXTERN void __cyg_profile_func_exit(
    void *fn, void *call_site);

void __cyg_profile_func_enter(void *fn, void *call_site) {
  (void)call_site;
  uint32_t g = FZ_LD(fz_rec_gen);
  if (FZ_UNLIKELY(!g)) return;
  fz_thread *t = fz_tls;
  if (FZ_UNLIKELY(!t || t->gen != g)) {
    if (!(t = fz_thread_get())) return;
  }
  if (FZ_UNLIKELY(cyg_overflow)) {
    cyg_overflow++;
    return;
  }
  uint32_t d = t->depth;
  fz_node *parent = t->stack[d].node;
  fz_node *c = parent->cache;
  if (FZ_UNLIKELY(!c || c->key != fn)) {
    fathom_site *s = fz_site_for_function(fn);
    c = s ? fz_child_slow(t, parent, fn, s,
                          FZ_NODE_FUNC | (FZ_LD(s->state_) == 2 ? FZ_NODE_MUTED : 0))
          : NULL;
  }
  if (FZ_UNLIKELY(!c || d >= t->max_depth)) {
    if (c) FZ_ST(t->dropped_zones, t->dropped_zones + 1);
    cyg_overflow = 1;
    return;
  }
  fz_entry *e = &t->stack[++d];
  e->node = c;
  e->serial = ++t->serial;
  FZ_ST(t->depth, d);
  e->t0 = fz_ticks();
}

void __cyg_profile_func_exit(void *fn, void *call_site) {
  (void)call_site;
  uint64_t t1 = fz_ticks();
  fz_thread *t = fz_tls;
  if (FZ_UNLIKELY(!t)) return;
  if (FZ_UNLIKELY(cyg_overflow)) {
    cyg_overflow--;
    return;
  }
  uint32_t d = t->depth;
  if (FZ_UNLIKELY(d == 0)) return;
  if (FZ_UNLIKELY(t->stack[d].node->key != fn)) {
    /* exits skipped (longjmp, exceptions through uninstrumented frames): find the frame */
    uint32_t k = d;
    while (k >= 1 && t->stack[k].node->key != fn) k--;
    if (k == 0) return;
    while (t->depth > k) close_top(t, t->depth, t1);
    d = k;
  }
  close_top(t, d, t1);
}

/* ---- status helpers ---------------------------------------------------------------- */

/* Drops the caller's cyg overflow (test seam for a fresh start). */
void fz_cyg_reset(void) { cyg_overflow = 0; }
