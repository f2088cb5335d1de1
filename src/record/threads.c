/* record/threads.c: the recorder's per-thread state: its registration at a thread's first
 * zone, its recycling at each new session (open zones kept), its node memory (chunks), its
 * release at thread exit and after fork.
 *
 * Invariant: a thread's state is written by its owner only, except at reaping (no session
 * active, fz_g.lock held); fz_thread_get preserves errno and marks the thread busy while its
 * nodes may be freed, so the CPU sampler keeps off them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "record/alloc.h"
#include "record/ext.h"
#include "record/record.h"
#include "record/sampler.h"

#define COLD __attribute__((cold, noinline))
#define CHUNK_BYTES ((size_t)256 * 1024)
#define MAX_THREADS 4096

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

/* ---- memory ---------------------------------------------------------------------- */

FZ_TEXT void *fz_chunk_alloc(fz_thread *t, size_t size) {
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

FZ_TEXT static void chunks_free(fz_thread *t) {
  fz_chunk *c = t->chunks;
  while (c) {
    fz_chunk *n = c->next;
    free(c);
    c = n;
  }
  t->chunks = NULL;
}

/* ---- threads --------------------------------------------------------------------- */

FZ_TEXT static void on_thread_exit(void *arg) {
  fz_thread *t = arg;
  fz_sampler_disarm(t);
  fz_probe_thread_release(t);
  FZ_ST(t->exited, 1);
  fz_tls = &fz_nil_thread;
}

FZ_TEXT static void make_exit_key(void) { (void)pthread_key_create(&exit_key, on_thread_exit); }

/* Resets t to generation g, keeping the zones still open on its stack (re-created as a
 * path in the fresh tree, begin times preserved) so handles taken before stay valid. */
FZ_TEXT static void thread_recycle(fz_thread *t, uint32_t g) {
  uint32_t depth = fz_depth(t);
  typedef struct saved_open { const void *key; fathom_site *site; uint32_t flags; } saved_open;
  saved_open *keep = depth ? malloc(depth * sizeof *keep) : NULL;
  if (!keep) depth = 0; /* out of memory: the open zones are dropped */
  for (uint32_t i = 1; i <= depth; i++) {
    if (t->stack[i].node == &fz_nil_node) { /* a dropped call's marker: kept no further */
      depth = i - 1;
      break;
    }
    keep[i - 1] = (saved_open){t->stack[i].node->rkey, t->stack[i].node->site, t->stack[i].node->flags};
  }
  t->cyg_overflow = 0;
  chunks_free(t);
  memset(t->dcache, 0, sizeof t->dcache);
  t->hidx = NULL; /* its memory went with the chunks */
  FZ_ST(t->wtab, NULL); /* so did the rolling windows' rings */
  t->hidx_mask = 0;
  fz_node_init(&t->root, NULL, NULL, NULL, 0);
  t->stack[0].node = &t->root;
  t->stack[0].t0 = FZ_T0_NONE;
  t->n_nodes = t->n_blocks = 0;
  /* the node directory: one pointer per block the cap allows (freed with the chunks) */
  size_t nb = fz_g.cfg.max_nodes_per_thread / FZ_NDIR_BLOCK + 1;
  t->ndir = fz_chunk_alloc(t, nb * sizeof *t->ndir);
  if (t->ndir) memset(t->ndir, 0, nb * sizeof *t->ndir);
  t->dropped_zones = t->dropped_hist = t->misuse = 0;
  FZ_ST(t->s_all, 0);
  FZ_ST(t->s_fathom, 0);
  FZ_ST(t->s_root, 0);
  FZ_ST(t->s_sig, 0);
  FZ_ST(t->bytes, (uint64_t)sizeof *t + sizeof(fz_entry) * (fz_g.cfg.max_depth + 1) +
                      (t->ring ? (t->ring->mask + 1) * sizeof(fz_tev) : 0));
  FZ_STR(t->gen, g); /* before the nodes are made: they belong to g (fz_child_slow) */
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
}

FZ_TEXT COLD fz_thread *fz_thread_get(void) {
  int saved = errno;
  fz_thread *t = fz_tls_real();
  if (t) FZ_ST(t->busy, 1); /* its nodes may be freed: the sampler keeps off them */
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
    t->stack = calloc(FZ_STACK_ENTRIES, sizeof *t->stack);
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
    t->rng = fz_seed_rng(t->tid, (uint64_t)(uintptr_t)t);
    t->seq = FZ_T0_UNTIMED;
    t->perf_fd = -1;
    fz_node_init(&t->root, NULL, NULL, NULL, 0);
    t->stack[0].node = &t->root;
    t->stack[0].t0 = FZ_T0_NONE;
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
    if (t->probe_state && t->probe_level != fz_probe_level_key()) fz_probe_thread_release(t);
    thread_recycle(t, g);
    fz_mshard_reset(t);
    if (fz_g.sampling) fz_sampler_arm(t);
  }
  FZ_ST(t->busy, 0);
  fz_gunlock();
  errno = saved;
  return t;
fail:
  if (t) FZ_ST(t->busy, 0);
  fz_gunlock();
  fz_misuse_count();
  errno = saved;
  return NULL;
}

/* Frees records of threads that exited (caller holds fz_g.lock, no session active). */
FZ_TEXT void fz_threads_reap(void) {
  fz_thread **pp = &fz_g.threads;
  while (*pp) {
    fz_thread *t = *pp;
    if (FZ_LD(t->exited)) {
      *pp = t->next;
      chunks_free(t);
      fz_ring_detach(t);
      fz_mshard_free(t);
      free(t->pstack);
      free(t->wstack);
      fz_ext_thread_free(t);
      free(t->stack);
      free(t);
    } else {
      pp = &t->next;
    }
  }
}

/* After fork: only the calling thread lives on in the child. */
FZ_TEXT void fz_threads_after_fork(void) {
  pthread_mutex_init(&fz_g.lock, NULL);
  fz_thread *me = fz_tls_real();
  for (fz_thread *t = fz_g.threads; t; t = t->next)
    if (t != me) t->exited = 1;
  for (fz_thread *t = fz_g.threads; t; t = t->next) fz_sampler_after_fork(t);
  if (me) {
    me->tid = (uint64_t)syscall(SYS_gettid);
    if (fz_g.sampling && me->gen == fz_g.session_gen && fz_g.active) fz_sampler_arm(me);
    me->rng = fz_seed_rng(me->tid, me->rng);  /* parent and child draw apart */
  }
}
