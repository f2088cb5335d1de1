/* record.h: the per-thread recorder: call-tree nodes with in-place statistics and
 * histograms, the zone stack, the thread registry and the session state.
 *
 * Invariant: only a thread's owner writes its fz_thread and nodes, with relaxed atomic
 * stores; readers (snapshots, live status) load with relaxed/acquire atomics and may see a
 * zone's fields one call apart, never freed memory: node and block memory lives until the
 * thread's data is recycled by its owner or freed at process exit. New nodes are linked into
 * their parent's child list with a release store after being fully initialised. */
#ifndef FATHOM_RECORD_H
#define FATHOM_RECORD_H

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "clock.h"
#include "fathom.h"
#include "model.h"
#include "probe.h"
#include "timeline.h"

#pragma GCC visibility push(hidden)

#define FZ_LIKELY(x) __builtin_expect(!!(x), 1)
#define FZ_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define FZ_LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define FZ_ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define FZ_LDA(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define FZ_STR(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

#define FZ_NODE_MUTED 1u   /* excluded function or filtered site: enter/exit only */
#define FZ_NODE_FUNC 2u    /* key is a function address (-finstrument-functions) */

typedef struct fz_mrec {       /* custom metric stats on one node */
  struct fz_mrec *next;
  const char *name;            /* interned */
  uint64_t count;
  uint64_t sum_bits, min_bits, max_bits;   /* doubles, stored as bits for atomic access */
} fz_mrec;

typedef struct fz_node fz_node;
struct fz_node {
  /* first cache line: everything a zone's begin reads and its end writes but the histogram */
  _Alignas(64) const void *key; /* fathom_site* or function address */
  fz_node *cache;              /* last child matched (owner only) */
  uint64_t count, total, min, max;  /* durations in timer ticks */
  uint64_t sq_lo, sq_hi;       /* exact sum of squared durations (ticks^2), 128 bits */
  /* cold: the tree and identity */
  fathom_site *site;
  fz_node *parent;
  fz_node *first_child;        /* release-published */
  fz_node *next_sibling;       /* written before the node is published */
  fz_mrec *metrics;            /* release-published list */
  uint32_t depth, flags;
  uint32_t site_id;
  uint32_t acell;              /* allocation cell (alloc.c), 0 until the path allocates */
  /* sampling (record_probe.c). While a node needs its begin to look at these (probes, or
   * timing only 1 call in t_every), key holds FZ_KEY_SPECIAL(rkey), so the hot path's key
   * compare misses and the special path takes the call; rkey is always the real key. */
  const void *rkey;
  uint64_t untimed;            /* calls counted but not timed */
  uint32_t p_every, p_skip;    /* probe 1 call in p_every (0: never); owner's countdown */
  uint32_t t_every, t_skip;    /* time 1 call in t_every (<= 1: every call); countdown */
  uint32_t gov;                /* FATHOM_GOV_* bits the governor set */
  uint32_t pmask;              /* probe values ever measured here */
  uint64_t psamples;           /* probed calls */
  int64_t psum[FATHOM_RES_N];  /* sums of the probed calls' deltas */
  uint64_t flops_bits;         /* declared + counted FLOPs (a double's bits) */
  struct fz_trend *trend;      /* live-bytes trend over probed calls (alloc tracking) */
  uint64_t g_count, g_untimed, g_probes;  /* the governor's last readings (governor only) */
  uint64_t *blk[FZ_HIST_BLOCKS]; /* 64 counts each, allocated on first use */
};

typedef struct fz_entry {      /* one open zone; a handle is {entry, t0} */
  fz_node *node;
  uint64_t t0;                 /* ticks at begin: also tells a live handle from a stale one;
                                  0 marks an excluded function's frame (not recorded) */
} fz_entry;

#define FZ_DCACHE 256             /* per-thread (parent, key) -> child cache entries */
typedef struct fz_dslot {
  const fz_node *parent;
  const void *key;
  fz_node *child;
} fz_dslot;

typedef struct fz_chunk {      /* node/block memory, freed only when the thread is freed */
  struct fz_chunk *next;
  size_t used, cap;
  _Alignas(64) unsigned char mem[];
} fz_chunk;

#define FZ_PEND 32                /* completed zones whose histogram slot (and timeline event)
                                     are still to add */
typedef struct fz_pend {
  fz_node *node;
  uint64_t d;                  /* duration, ticks */
  uint64_t t0;                 /* begin, ticks (for the timeline's event) */
} fz_pend;

/* An entry whose t0 has FZ_T0_SPECIAL set was begun by the special path; its handle's tag is
 * t0 without that bit, so the fast end's tag check fails and the special end takes it.
 * FZ_T0_UNTIMED marks a call that was counted, not timed (t0 then is a sequence number). */
#define FZ_T0_SPECIAL (1ull << 63)
#define FZ_T0_UNTIMED (1ull << 62)
#define FZ_KEY_SPECIAL(k) ((const void *)((uintptr_t)(k) ^ ((uintptr_t)1 << 63)))

#define FZ_TREND_PTS 16
typedef struct fz_trend {      /* (calls, live bytes) points, decimated when full */
  uint32_t n, stride, skip;
  uint64_t calls[FZ_TREND_PTS];
  int64_t live[FZ_TREND_PTS];
} fz_trend;

typedef struct fz_pframe {     /* probe values at a probed zone's begin */
  uint32_t mask;
  fz_pval v;
} fz_pframe;

typedef struct fz_ring fz_ring;  /* timeline ring (timeline.c) */
typedef struct fz_mshard fz_mshard; /* counters (metrics.c) */

typedef struct fz_thread {
  /* hot */
  uint32_t gen;                /* session generation the data belongs to (never 0 once set) */
  uint32_t cyg_overflow;       /* -finstrument-functions calls nested in a dropped one */
  fz_entry *top;               /* innermost open zone; stack[0] is the root sentinel */
  fz_entry *last;              /* stack + max_depth: the deepest usable entry */
  fz_entry *stack;             /* max_depth + 1 entries */
  fz_ring *ring;               /* non-NULL when the timeline is on */
  uint32_t n_pend;             /* entries of pend not yet in the histograms (release-stored) */
  fz_pend pend[FZ_PEND];
  /* cold */
  fz_node root;
  fz_chunk *chunks;            /* node and block memory */
  uint64_t n_nodes, n_blocks;
  uint64_t dropped_zones, dropped_hist, misuse;
  uint64_t bytes;              /* memory held */
  fz_mshard *mshard;
  fz_probe_ctx *probe;         /* per-thread probes (probe.h), opened on first use */
  int probe_state;             /* 0 not tried, 1 open, -1 could not open */
  int probe_level;             /* level the probes were opened for */
  fz_pframe *pstack;           /* one frame per stack entry, allocated on first probe */
  int32_t ptokens;             /* probes left until the governor's next refill */
  uint64_t seq;                /* untimed entries' sequence */
  fz_dslot dcache[FZ_DCACHE];  /* children found off the parents' one-entry caches */
  uint64_t tid;
  char name[32];
  int exited;
  int hidden;                  /* fathom's own calibration thread: not reported */
  uint32_t index;              /* registration order within the process */
  struct fz_thread *next;      /* registry list (under fz_g.lock) */
} fz_thread;

/* 0 while not recording; else the session generation. This is the exported
 * fathom_recording_ the macros read: the library must use that very symbol (through the GOT
 * when shared), because a program linked to libfathom.so may hold a copy-relocated copy. */
#define fz_rec_gen fathom_recording_
typedef struct fz_global {
  uint32_t session_gen;        /* generation of the active session even while paused */
  uint32_t session_first_gen;  /* generation the session began with (resets raise session_gen) */
  int active, enabled;
  fathom_config cfg;
  char session_name[128];
  uint64_t session_id;
  uint64_t start_unix_ns, start_ticks, end_ticks;
  uint64_t cpu_at_start_ns, cpu_at_end_ns;
  uint64_t misuse_at_start;
  int autostarted, forked_child;
  pthread_mutex_t lock;        /* registry, sites, session changes */
  fz_thread *threads;
  uint32_t n_threads_ever;
  fathom_site_filter filter;
  void *filter_user;
  char **components;           /* parsed cfg.components, NULL-terminated */
  double zone_cost_ns;         /* measured at session begin */
  double untimed_cost_ns;      /* a counted-only call (time sampling) */
  double probe_cost_ns;        /* a probed call's probes (begin + end) */
  int32_t ptokens_per_tick;    /* probes each thread may make per governor tick */
  uint64_t start_mono_ns;      /* CLOCK_MONOTONIC at session start (or last reset) */
  int monitor_sampling;        /* the background monitor samples (not only the governor) */
  uint64_t ended_duration_ns;  /* for session_info after end */
} fz_global;

extern fz_global fz_g;

extern __thread fz_thread *fz_tls __attribute__((tls_model("initial-exec")));
const char *fz_intern_locked(const char *s);   /* caller holds fz_g.lock */
void fz_misuse_count(void);
uint64_t fz_misuse_global(void);
char **fz_split_list(const char *s);

/* Thread state of the caller for the current generation, creating or recycling it.
 * NULL if no session is recording or memory is exhausted. */
fz_thread *fz_thread_get(void);
/* Slow path of zone begin: find or create the child of parent for key. NULL when a cap is
 * reached (counted) or the site is muted. */
fz_node *fz_child_slow(fz_thread *t, fz_node *parent, const void *key, fathom_site *site,
                       uint32_t flags);
/* Node/block memory of thread t (owner), freed with the thread's data. NULL on NOMEM. */
void *fz_chunk_alloc(fz_thread *t, size_t size);
/* Allocates a histogram block for node n (NULL at the cap, counted). */
uint64_t *fz_block_alloc(fz_thread *t, fz_node *n, uint32_t blk);
/* Register a static site (assign id, apply filters). Returns its state (1 or 2). */
int fz_site_register(fathom_site *s);
/* Interned site for a dynamic (name, component); NULL on NOMEM. */
fathom_site *fz_site_intern(const char *name, const char *component);
/* Site for a function address (cyg); name resolved lazily by fz_site_resolve. */
fathom_site *fz_site_for_function(const void *fn);
/* Interned copy of a string (lives until exit). */
const char *fz_intern(const char *s);

/* fz_g.lock for code that may allocate under it: fathom's own memory is never charged to
 * the program's zones (alloc.h). */
void fz_alloc_pause(void);
void fz_alloc_resume(void);
static inline void fz_glock(void) {
  fz_alloc_pause();
  pthread_mutex_lock(&fz_g.lock);
}
static inline void fz_gunlock(void) {
  pthread_mutex_unlock(&fz_g.lock);
  fz_alloc_resume();
}

static inline fz_thread *fz_thread_get_fast(void) {
  fz_thread *t = fz_tls;
  if (FZ_LIKELY(t && t->gen == FZ_LD(fz_rec_gen))) return t;
  return fz_thread_get();
}

/* ---- internal API between the library's files ---- */
void fz_threads_reap(void);                 /* record.c; caller holds fz_g.lock */
void fz_threads_after_fork(void);
void fz_sites_refilter(void);               /* sites.c; caller holds fz_g.lock */
void fz_sites_set_excludes(const char *list);
fathom_site *fz_site_by_id(uint32_t id);    /* caller holds fz_g.lock */
uint32_t fz_site_count(void);
int fz_ring_attach(fz_thread *t);           /* timeline.c; caller holds fz_g.lock */
void fz_ring_detach(fz_thread *t);
void fz_mshard_reset(fz_thread *t);         /* metrics.c */
void fz_mshard_free(fz_thread *t);
uint32_t fz_metrics_collect(uint32_t g, fathom_counter_info *out, uint32_t cap);
uint32_t fz_metrics_count(void);
const char *fz_metric_name(uint32_t id);
uint64_t fz_process_cpu_ns(void);           /* session.c */
/* calib.c: one BASIC zone's cost and a counted-only (untimed) call's, in ns */
void fz_measure_zone_cost(double *zone_ns, double *untimed_ns);
double fz_measure_probe_cost(int level);    /* begin + end probes of one call, ns */
extern double fz_probe_cpu_bias_ns;         /* CPU an empty probed call shows (calib.c) */
fathom_profile *fz_build_profile(uint32_t g, int final);  /* snapshot.c */

static inline uint32_t fz_depth(fz_thread *t) {
  return (uint32_t)(FZ_LD(t->top) - t->stack);
}


/* Count, total, min, max and the sum of squares of one zone of d ticks, in place (owner
 * thread); everything but the histogram. */
__attribute__((always_inline)) static inline void fz_node_add(fz_node *n, uint64_t d) {
  FZ_ST(n->count, n->count + 1);
  FZ_ST(n->total, n->total + d);
  if (d < n->min) FZ_ST(n->min, d);
  if (d > n->max) FZ_ST(n->max, d);
  unsigned __int128 sq = ((unsigned __int128)n->sq_hi << 64 | n->sq_lo) + (unsigned __int128)d * d;
  FZ_ST(n->sq_lo, (uint64_t)sq);
  FZ_ST(n->sq_hi, (uint64_t)(sq >> 64));
}

/* Records one completed zone of duration d ticks on node n (owner thread) at once,
 * histogram included (allocating its block; at the cap the sample is counted in
 * dropped_hist and kept out of the histogram only). Zone ends batch the histogram instead. */
void fz_node_record_cold(fz_thread *t, fz_node *n, uint64_t d);

/* Adds every pending histogram sample of t, pushes their timeline events to t's ring (when
 * the timeline is on) and empties the batch (owner thread). */
void fz_pend_flush(fz_thread *t);

/* ---- record_probe.c: the special path (probes, time sampling) ---- */
/* Sets a new node's sampling from the session's level. */
void fz_node_sampling_init(fz_node *n);
/* Begins a zone on special node c above entry e (e < t->last checked by the caller).
 * timed: the caller already decided this call is timed (time sampling's countdown done). */
fathom_zone fz_begin_special(fz_thread *t, fz_entry *e, fz_node *c, int timed);
/* Closes special top entry e at t1 (ticks; ignored for an untimed entry). Returns the
 * duration in ns (0 for an untimed entry). */
uint64_t fz_close_special(fz_thread *t, fz_entry *e, uint64_t t1);
/* The thread is exiting or its data is recycled: close its probes (owner thread). */
void fz_probe_thread_release(fz_thread *t);
/* Recomputes whether n is special after its sampling fields changed (relaxed stores). */
void fz_node_update_special(fz_node *n);

#pragma GCC visibility pop

#endif
