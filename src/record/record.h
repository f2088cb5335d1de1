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
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "record/clock.h"
#include "fathom.h"
#include "util/hist.h"
#include "probe/probe.h"
#include "record/timeline.h"

#pragma GCC visibility push(hidden)

/* Makes entry e the top of t's stack, its node written before (the CPU sampler's handler,
 * on this very thread, reads the top's node: a compiler barrier, no instruction). */
#define FZ_PUBLISH_TOP(t, e)                     \
  do {                                           \
    __atomic_signal_fence(__ATOMIC_SEQ_CST);     \
    FZ_ST((t)->top, (e));                        \
  } while (0)

/* fathom's hot code lives in its own section (FZ_TEXT, fztext.h) */
#include "util/fztext.h"

#define FZ_LIKELY(x) __builtin_expect(!!(x), 1)
#define FZ_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define FZ_LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define FZ_ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define FZ_LDA(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define FZ_STR(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

/* Doubles kept as 64-bit patterns, so that other threads read them with the atomics above;
 * fz_dadd is the owner's addition (relaxed store of the sum). */
static inline double fz_bits_d(uint64_t x) { double d; memcpy(&d, &x, 8); return d; }
static inline uint64_t fz_d_bits(double d) { uint64_t x; memcpy(&x, &d, 8); return x; }
static inline void fz_dadd(uint64_t *x, double v) { FZ_ST(*x, fz_d_bits(fz_bits_d(*x) + v)); }

/* The owner's additions on the hot path. Readers load with atomics; the owner adds with one
 * read-modify-write instruction (an aligned 64-bit store, single-copy atomic on x86-64 and
 * arm64), which saves two instructions per field over a relaxed atomic store of the sum.
 * Under ThreadSanitizer they are relaxed atomic stores, so the analysis stays exact. */
#if defined(__SANITIZE_THREAD__)
#define FZ_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FZ_TSAN 1
#endif
#endif
#ifdef FZ_TSAN
#define FZ_ADD(x, v) FZ_ST(x, (x) + (v))
#else
#define FZ_ADD(x, v) ((void)((x) += (v)))
#endif

#define FZ_NODE_MUTED 1u   /* excluded function or filtered site: enter/exit only */
#define FZ_NODE_FUNC 2u    /* key is a function address (-finstrument-functions) */
#define FZ_NODE_PROBE 4u   /* its calls may be probed: its component's level (or a metric
                              switched on) asks for probes; set once at creation */

typedef struct fz_mrec {       /* custom metric stats on one node */
  struct fz_mrec *next;
  const char *name;            /* interned */
  uint64_t count;
  uint64_t sum_bits, min_bits, max_bits;   /* doubles, stored as bits for atomic access */
} fz_mrec;

/* How a node's key works: the hot paths compare the parent's cached child's key with the
 * site (or function) being entered. key equals the real key (rkey) only while every call of
 * the node is timed on the plain path (the session records, the timer is the counter, no
 * probes, no time sampling); otherwise it holds rkey with high bits flipped:
 *   FZ_KEY_SPECIAL: sampled or probed; the special path (record/special.c) takes the call;
 *   FZ_KEY_REDRAW:  the same, and the governor changed the sampling: the owner draws new
 *                   countdowns at the next call (then stores FZ_KEY_SPECIAL or rkey);
 *   FZ_KEY_DEAD:    the session ended, was paused or reset: every call takes the slow path.
 * User-space addresses leave bits 62 and 63 clear, so no flipped key equals a real one. */
#define FZ_KEY_SPECIAL(k) ((const void *)((uintptr_t)(k) ^ ((uintptr_t)1 << 63)))
#define FZ_KEY_REDRAW(k) ((const void *)((uintptr_t)(k) ^ ((uintptr_t)3 << 62)))
#define FZ_KEY_DEAD(k) ((const void *)((uintptr_t)(k) ^ ((uintptr_t)1 << 62)))
/* FZ_KEY_TL: every call timed, with a timeline event (the timeline is on, nothing sampled):
 * the miss branch pushes like the plain path and the special end records the event. */
#define FZ_KEY_TL(k) ((const void *)((uintptr_t)(k) ^ ((uintptr_t)1 << 61)))
#define FZ_NIL_KEY ((const void *)(uintptr_t)1)   /* the nil node's: equals no key */

/* How the histogram is stored: a duration of d ticks has top bit m = bsr(d | 64) (6..63),
 * shift sh = m - 6 and slot q = d >> sh = (d << 6) >> m, and lands in bucket 64 * sh + q of
 * the model's scheme (model.h). Block m holds slots q in [0, 128) for m = 6 and [64, 128)
 * for the others, and hb[m] is its address biased so that slot q is at hb[m] + 8 q: the
 * hot path finds a slot with a bit scan, two shifts and one load. Blocks past
 * FZ_HIST_LAST_M (durations past the last bucket) keep hb 0 and take the cold path, which
 * clamps them into the last bucket. */
#define FZ_HIST_PTRS 64
/* The block of top bit m (6..63): addressed from the node's start, so the compiler folds the
 * "- 6" into the load's displacement (the address stays inside the node). */
#define FZ_HB(n, m) \
  (*(uintptr_t *)((uintptr_t)(n) + offsetof(fz_node, hb6) - 6 * sizeof(uintptr_t) + \
                  sizeof(uintptr_t) * (m)))
#define FZ_HIST_LAST_M 44        /* the last bucket, 2559, is in block m = 44 (sh 38) */

typedef struct fz_node fz_node;
struct fz_node {
  /* first cache line: what every call reads or writes (a counted-only call touches nothing
   * else of its node), and the sums a timed call adds to */
  _Alignas(64) const void *key; /* see above */
  fz_node *cache;              /* last child matched (owner only); &fz_nil_node when none,
                                  and always for a node at the depth cap */
  fz_node *cache2;             /* the child begun before cache (owner only): zones that
                                  alternate between two callees find both here (the hooks
                                  go to the thread's (parent, key) cache instead) */
  uint64_t count, total;       /* calls timed with weight 1 and their durations, ticks */
  uint64_t untimed;            /* calls counted but not timed */
  uint32_t t_skip, t_cur;      /* owner: calls left until the next timed one; the interval
                                  the countdown was drawn with (record/special.c) */
  /* second line: the rest of a timed call's figures */
  uint64_t min, max;           /* over every timed call, sampled ones too (ticks) */
  unsigned __int128 sq;        /* exact sum of their squared durations (ticks^2); read as
                                  two 64-bit halves (fz_node_sq) */
  uintptr_t hb6[FZ_HIST_PTRS - 6]; /* histogram blocks hb[6..63] (FZ_HB), 0 until used; a
                                  sampled call adds its weight */
  /* cold: the tree and identity */
  fathom_site *site;
  fz_node *parent;
  fz_node *first_child;        /* release-published */
  fz_node *next_sibling;       /* written before the node is published */
  fz_mrec *metrics;            /* release-published list */
  uint32_t depth, flags;
  uint32_t site_id;
  uint32_t acell;              /* allocation cell (alloc.c), 0 until the path allocates */
  const void *rkey;            /* the real key */
  uintptr_t fn_end;            /* a function's: the end of its code (rkey is its start), for
                                  the CPU sampler; 0 unknown or not a function */
  /* sampling (record/special.c). The governor (gov.c) sets t_every and p_every and asks for a
   * redraw through the key; the owner keeps the countdowns. Each call is timed with
   * probability 1/t_cur and each timed call probed with probability 1/p_cur, independently
   * (a countdown drawn from the geometric distribution), so a timed call weighs t_cur and a
   * probed one t_cur * p_cur (Horvitz-Thompson). */
  uint64_t ext;                /* of the weight-1 timed calls, durations given to
                                  fathom_zone_record (no zone work inside them) */
  uint64_t sp1;                /* of the weight-1 timed calls, those the special path timed
                                  (its fenced reads: their own calibrated cost) */
  uint32_t t_every, p_every;   /* governor: mean interval between timed calls (<= 1: every
                                  call), between probed timed calls (0: no probes;
                                  FZ_P_AUTO: not decided yet, the owner's rule) */
  uint32_t p_skip, p_cur;      /* owner: the same for probes (counted over timed calls) */
  uint32_t gov;                /* FATHOM_GOV_* bits the governor set */
  uint32_t pmask;              /* probe values ever measured here */
  uint64_t s_n, s_w, s_w2;     /* calls timed with a weight w > 1: their number, sum of w,
                                  sum of w^2 */
  uint64_t s_wd, s_wd2;        /* doubles' bits: their sums of w*d and w*d^2 (ticks) */
  uint64_t s_v0, s_v1, s_v;    /* doubles' bits: sums of w(w-1), w(w-1)d, w(w-1)d^2: the
                                  estimate's variance (snapshot.c) */
  uint64_t ss;                 /* CPU samples taken while this path was the innermost open
                                  zone and the program's own code ran (sampler.c) */
  uint64_t psamples;           /* probed calls */
  uint64_t pcpu_raw;           /* their CPU time, unweighted (ns) */
  uint64_t pweight;            /* sum of the probed calls' weights */
  int64_t psum[FATHOM_RES_N];  /* sums of the probed calls' deltas times their weights */
  uint64_t flops_bits;         /* declared + counted FLOPs (a double's bits) */
  struct fz_trend *trend;      /* live-bytes trend over probed calls (alloc tracking) */
  int64_t hpeak;               /* highest heap high-water mark above a probed call's begin
                                  (owner writes, relaxed; alloc tracking) */
  uint64_t hpeak_n;            /* probed calls that measured it */
  uint64_t g_timed, g_untimed, g_probes;  /* the governor's last readings (governor only) */
  double b_inner;              /* the model builder's scratch (under fz_g.lock): fathom's
                                  own cost inside this path's calls, ns */
  uint32_t win;                /* rolling window (window.c): its index + 1, 0 none; set
                                  before publishing or under fz_g.lock, release-stored */
  struct fz_xnode *xn;         /* extensions' sums (record/ext.h), release-published */
};

typedef struct fz_entry {      /* one open zone; a handle is {entry, t0} */
  fz_node *node;
  uint64_t t0;                 /* ticks at begin: also tells a live handle from a stale one;
                                  0 marks an excluded function's frame (not recorded) */
} fz_entry;

#define FZ_DCACHE_BITS 11          /* per-thread (parent, key) -> child cache: 2048 slots,
                                     48 KiB (a whole-program profile of Lua misses it on
                                     0.3 % of calls; 256 slots missed on 7 %) */
#define FZ_DCACHE (1u << FZ_DCACHE_BITS)
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

/* An entry whose t0 has FZ_T0_SPECIAL set was begun by the special path; its handle's tag is
 * t0 without that bit, so the fast end's tag check fails and the special end takes it.
 * FZ_T0_UNTIMED marks a call that was counted, not timed (t0 then is a sequence number). */
#define FZ_T0_SPECIAL (1ull << 63)
#define FZ_T0_UNTIMED (1ull << 62)
/* t0 of entries no handle may end: the root, an excluded function's frame, a dropped call's
 * marker, the nil entry (a tag never has bit 63 set, so none equals it). */
#define FZ_T0_NONE UINT64_MAX
/* t0 of a counted-only -finstrument-functions call of function fn (no handle, so no
 * sequence number): its exit knows it from the stack entry alone, without the node. Bit 61
 * keeps it apart from every untimed tag (those count up from FZ_T0_UNTIMED). */
#define FZ_T0_CYG_COUNTED(fn) \
  (FZ_T0_SPECIAL | FZ_T0_UNTIMED | (1ull << 61) | (uint64_t)(uintptr_t)(fn))

#define FZ_P_AUTO 0xffffffffu

#define FZ_TREND_PTS 16
typedef struct fz_trend {      /* (calls, live bytes) points, decimated when full */
  uint32_t n, stride, skip;
  uint64_t calls[FZ_TREND_PTS];
  int64_t live[FZ_TREND_PTS];
} fz_trend;

typedef struct fz_pframe {     /* a probed call's probe values at begin */
  uint32_t mask;
  int heap_ok;                 /* 1: the heap's high-water mark is followed (alloc.c) */
  int64_t heap_live0, heap_prev; /* the thread's live heap at begin, its running peak then */
  fz_pval v;
} fz_pframe;
typedef struct fz_wframe {     /* a special call's weights, one per stack entry */
  uint32_t w, wp;              /* timing weight; probe weight (0: not probed) */
} fz_wframe;

typedef struct fz_ring fz_ring;  /* timeline ring (timeline.c) */
typedef struct fz_mshard fz_mshard; /* counters (metrics.c) */
typedef struct fz_wtab fz_wtab;     /* rolling windows' rings (window.c) */

typedef struct fz_thread {
  /* hot */
  uint32_t gen;                /* session generation the data belongs to (never 0 once set) */
  uint32_t cyg_overflow;       /* -finstrument-functions calls nested in a dropped one */
  fz_entry *top;               /* innermost open zone; stack[0] is the root sentinel */
  fz_entry *last;              /* stack + max_depth: the deepest usable entry */
  fz_entry *stack;             /* FZ_STACK_ENTRIES entries */
  fz_ring *ring;               /* non-NULL when the timeline is on */
  /* cold */
  fz_node root;
  fz_chunk *chunks;            /* node and block memory */
  uint64_t n_nodes, n_blocks;
  fz_node ***ndir;             /* every node in creation order (parents before children):
                                  blocks of FZ_NDIR_BLOCK, published with release stores, so
                                  readers walk a thread's nodes without chasing the tree */
  uint64_t dropped_zones, dropped_hist, misuse;
  uint64_t bytes;              /* memory held */
  fz_mshard *mshard;
  fz_probe_ctx *probe;         /* per-thread probes (probe.h), opened on first use */
  int probe_state;             /* 0 not tried, 1 open, -1 could not open */
  int probe_level;             /* what the probes were opened for (fz_probe_level_key) */
  fz_pframe *pstack;           /* one frame per stack entry, allocated on first probe */
  fz_wframe *wstack;           /* one per stack entry, allocated on first special call */
  uint64_t rng;                /* xorshift state of the sampling countdowns */
  uint64_t seq;                /* untimed entries' tags: starts at FZ_T0_UNTIMED and counts
                                  up (bit 63 would be reached after 2^62 calls) */
  fz_dslot dcache[FZ_DCACHE];  /* children found off the parents' one-entry caches */
  fz_node **hidx;              /* every node of the thread by (parent, key): open addressing,
                                  linear probing, at most half full (record.c); NULL until
                                  the first node, arena memory */
  uint64_t hidx_mask;          /* its slots - 1 */
  uint64_t s_all, s_fathom, s_root; /* CPU sampler periods: all, in fathom's code, outside
                                  any zone (a signal may stand for several: its overruns) */
  uint64_t s_sig;              /* the sampler's signals (each costs its thread) */
  timer_t timer;               /* the CPU sampler's POSIX timer (timer_armed 1) */
  int perf_fd;                 /* or its perf_event counter (timer_armed 2), -1 */
  int timer_armed;
  int busy;                    /* in a slow path that makes or frees nodes: the sampler counts
                                  fathom and touches no node */
  uint64_t tid;
  char name[32];
  int exited;
  int hidden;                  /* fathom's own calibration thread: not reported */
  uint32_t index;              /* registration order within the process */
  struct fz_thread *next;      /* registry list (under fz_g.lock) */
  struct fz_wtab *wtab;        /* rolling windows' rings (window.c; arena memory, cleared
                                  when the thread's data is recycled), release-published */
  struct fz_xframe *xstack;    /* extensions' readings per stack entry (record/ext.h) */
  double *xvals;               /* and their values at begin; both on first use */
} fz_thread;

#define FZ_NDIR_BLOCK 1024

/* Node i of thread t (i < n_nodes read with acquire). */
static inline FZ_TEXT fz_node *fz_node_at(const fz_thread *t, uint64_t i) {
  fz_node **b = __atomic_load_n(&t->ndir[i / FZ_NDIR_BLOCK], __ATOMIC_ACQUIRE);
  return __atomic_load_n(&b[i % FZ_NDIR_BLOCK], __ATOMIC_ACQUIRE);
}

/* Entries of every thread's stack: the root, max_depth (at most 4096) zones, and one more
 * for the marker of a dropped -finstrument-functions call. */
#define FZ_STACK_ENTRIES (4096 + 2)

/* The node and thread every lookup may read but nobody writes: fz_tls points to
 * fz_nil_thread until a thread records (and again after it exits); fz_nil_node is every
 * empty cache, so the hot paths need no NULL tests. */
extern fz_node fz_nil_node;
extern fz_thread fz_nil_thread;

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
  /* what fathom's own work costs (calib.c, measured at session begin), ns */
  double zone_cost_ns;         /* a timed zone call (begin + end) */
  double zone_in_ns;           /* of which inside the zone's own interval */
  double untimed_cost_ns;      /* a counted-only zone call (time sampling) */
  double hook_cost_ns;         /* a timed -finstrument-functions call (enter + exit) */
  double hook_in_ns;           /* of which inside the function's own interval */
  double hook_untimed_ns;      /* a counted-only one */
  double zone_sp_ns, zone_sp_in_ns; /* a timed zone call of the special path, and its part
                                  inside the interval */
  double hook_sp_ns, hook_sp_in_ns; /* the same for the hooks */
  double probe_cost_ns;        /* a probed call's probes (begin + end) */
  uint64_t setup_ns;           /* session begin, calibrations included */
  int plain_ok;                /* nodes may take the plain path: counter clock, no timeline */
  int timeline_ok;             /* ... or the timeline's lean path: counter clock, timeline */
  int sampling;                /* the CPU sampler runs this session (sampler.c) */
  uint64_t start_mono_ns;      /* CLOCK_MONOTONIC at session start (or last reset) */
  int monitor_sampling;        /* the background monitor samples (not only the governor) */
  uint64_t ended_duration_ns;  /* for session_info after end */
  /* levels per component, metric switches (record/levels.c); cfg.level is the highest
   * level any component runs at, so that what it needs is set up */
  fathom_level base_level;     /* the level of components not listed */
  struct fz_clevel *clevels;   /* the components listed, with their levels */
  uint32_t n_clevels;
  uint32_t metrics_off, metrics_on; /* FATHOM_METRIC_* bits */
} fz_global;

extern fz_global fz_g;
extern const char fz_session_anchor; /* session.c: see record.c */
extern uint32_t fz_hooks_armed;   /* record.c: a session has recorded in this process */

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
/* Initialises node n (a child of parent, or a root when parent is NULL) for key. */
void fz_node_init(fz_node *n, const void *key, fathom_site *site, fz_node *parent,
                  uint32_t flags);
/* The stack entry of the calling thread's zone with handle tag, or NULL. */
fz_entry *fz_entry_of(fz_thread *t, uint64_t tag);
/* Ends the zone with handle tag at t1 (ticks); its duration in ns in *ns when not NULL.
 * 0, or FATHOM_E_ENDED / WRONG_THREAD / UNBALANCED as fathom_zone_end. */
int fz_zone_end_tag(uint64_t tag, uint64_t t1, uint64_t *ns);
/* Allocates node n's histogram block m (record.h); its biased address, 0 at the cap
 * (counted). */
uintptr_t fz_block_alloc(fz_thread *t, fz_node *n, uint32_t m);
/* Register a static site (assign id, apply filters). Returns its state (1 or 2). */
int fz_site_register(fathom_site *s);
/* Interned site for a dynamic (name, component); NULL on NOMEM. */
fathom_site *fz_site_intern(const char *name, const char *component);
/* Sets aside the dynamic sites of component comp under the component `retired` (sites.c). */
int fz_sites_retire_component(const char *comp, const char *retired);
/* The size of the function starting at fn (its module's symbol table; symbols.c), 0. */
uint64_t fz_function_size(const void *fn);
/* Site for a function address (cyg); name resolved lazily by fz_site_resolve. */
fathom_site *fz_site_for_function(const void *fn);
/* Interned copy of a string (lives until exit). */
const char *fz_intern(const char *s);

/* fz_g.lock for code that may allocate under it: fathom's own memory is never charged to
 * the program's zones (alloc.h). */
void fz_alloc_pause(void);
void fz_alloc_resume(void);
static inline FZ_TEXT void fz_glock(void) {
  fz_alloc_pause();
  pthread_mutex_lock(&fz_g.lock);
}
static inline FZ_TEXT void fz_gunlock(void) {
  pthread_mutex_unlock(&fz_g.lock);
  fz_alloc_resume();
}

static inline FZ_TEXT fz_thread *fz_thread_get_fast(void) {
  fz_thread *t = fz_tls;
  if (FZ_LIKELY(t->gen == FZ_LD(fz_rec_gen) && t != &fz_nil_thread)) return t;
  return fz_thread_get();
}
/* A thread's sampling random state from two seeds (splitmix64 of their mix; never 0). */
static inline FZ_TEXT uint64_t fz_seed_rng(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9e3779b97f4a7c15ull ^ b ^ 0x2545f4914f6cdd1dull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return z ? z : 1;
}
/* Makes c parent's cached child, the one before moving to cache2 (owner; the caller knows
 * parent is under the depth cap). */
static inline FZ_TEXT void fz_cache_to(fz_node *parent, fz_node *c) {
  fz_node *old = parent->cache;
  if (old != c) {
    parent->cache2 = old;
    parent->cache = c;
  }
}
/* The caller's thread state, or NULL when it has none (fz_tls is then fz_nil_thread). */
static inline FZ_TEXT fz_thread *fz_tls_real(void) {
  fz_thread *t = fz_tls;
  return t == &fz_nil_thread ? NULL : t;
}

/* ---- internal API between the library's files ---- */
void fz_threads_reap(void);                 /* record/threads.c; caller holds fz_g.lock */
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
uint64_t fz_process_cpu_ns(void);           /* clock.c: the process's CPU time */
/* calib.c: fills fz_g's zone and hook costs (zone_cost_ns ... hook_untimed_ns) */
void fz_measure_zone_cost(void);
double fz_measure_probe_cost(int level);    /* begin + end probes of one call, ns */
extern double fz_probe_cpu_bias_ns;         /* CPU an empty probed call shows (calib.c) */
fathom_profile *fz_build_profile(uint32_t g, int final);  /* snapshot.c */

static inline FZ_TEXT uint32_t fz_depth(fz_thread *t) {
  return (uint32_t)(FZ_LD(t->top) - t->stack);
}


/* The histogram slot of d ticks on node n, or NULL when its block is missing (the caller
 * then takes the cold path). */
__attribute__((always_inline)) static inline uint64_t *fz_hist_slot(const fz_node *n, uint64_t d) {
  unsigned m = 63u - (unsigned)__builtin_clzll(d | 64);
  uintptr_t b = FZ_HB(n, m);
  return b ? (uint64_t *)(b + 8 * ((d << 6) >> m)) : NULL;
}

/* The two 64-bit halves of n's sum of squares, for readers on other threads. */
static inline FZ_TEXT unsigned __int128 fz_node_sq(const fz_node *n) {
  const uint64_t *h = (const uint64_t *)&n->sq;
  return (unsigned __int128)__atomic_load_n(&h[1], __ATOMIC_RELAXED) << 64 |
         __atomic_load_n(&h[0], __ATOMIC_RELAXED);
}

/* Records one timed call of d ticks with weight 1 on node n (owner thread): count, total,
 * min, max, the sum of squares and the histogram. */
void fz_node_record_cold(fz_thread *t, fz_node *n, uint64_t d);
/* The same for a sampled call of weight w > 1 (record/special.c). */
void fz_node_record_weighted(fz_thread *t, fz_node *n, uint64_t d, uint32_t w);
/* Adds w to the histogram slot of d on n, allocating its block (at the cap the sample is
 * counted in dropped_hist and left out of the histogram only). */
void fz_hist_add_cold(fz_thread *t, fz_node *n, uint64_t d, uint64_t w);

/* ---- record/special.c: the special path (probes, time sampling) ---- */
/* Sets a new node's sampling and key from the session's level and state (owner, before the
 * node is published). */
void fz_node_sampling_init(fz_node *n);
/* Begins a zone on node c (whose key is not its real key) above entry e, the caller having
 * checked that the thread records this session and e < t->last. */
fathom_zone fz_begin_special(fz_thread *t, fz_entry *e, fz_node *c);
/* The thread's weight frames (allocated on first use), or NULL without memory. */
fz_wframe *fz_wframes(fz_thread *t);
/* Closes special top entry e at t1 (ticks; ignored for an untimed entry). Returns the
 * duration in ns (0 for an untimed entry). */
uint64_t fz_close_special(fz_thread *t, fz_entry *e, uint64_t t1);
/* The level and metric switches a thread's probes are opened for, as one value (a context
 * opened for another value is closed when the thread's data is recycled). */
int fz_probe_level_key(void);
/* The thread is exiting or its data is recycled: close its probes (owner thread). */
void fz_probe_thread_release(fz_thread *t);
/* The key node n should hold now (its real key, FZ_KEY_SPECIAL or FZ_KEY_DEAD), from its
 * sampling fields and whether the session records (live). redraw: FZ_KEY_REDRAW instead of
 * FZ_KEY_SPECIAL. */
const void *fz_node_key_for(const fz_node *n, int live, int redraw);
/* Whether n's probed CPU spans enough kernel ticks for its user/system split to mean
 * something. */
int fz_node_cpu_split_known(const fz_node *n);
/* Stores that key (relaxed; callers hold fz_g.lock, or own the node before publishing). */
void fz_node_update_special(fz_node *n);
/* Sets every node of every thread of the session to its key for `live` (pause, resume, end,
 * reset). Caller holds fz_g.lock. */
void fz_nodes_set_live(int live);
/* The node after n in a depth-first walk of root's tree (NULL at the end), no memory used. */
fz_node *fz_tree_next(fz_node *root, fz_node *n);

/* ---- record/levels.c: levels per component, metric switches ---- */
typedef struct fz_clevel {
  const char *component;       /* points into the session's copy of the list */
  fathom_level level;
} fz_clevel;
/* Parses "comp=level,..." into a malloc'ed array (*out, *n; NULL, 0 for NULL or ""). 0, or
 * FATHOM_E_INVAL with a message in err (what is wrong, quoting the item), FATHOM_E_NOMEM. The
 * components point into buf, a malloc'ed copy of s the caller frees after the array. */
int fz_levels_parse(const char *s, fz_clevel **out, uint32_t *n, char **buf, char *err,
                    size_t cap);
/* Parses "-io,gpu=off,cpu=on,+alloc" into the FATHOM_METRIC_* bits switched off and on. 0, or
 * FATHOM_E_INVAL with a message in err. */
int fz_metrics_parse(const char *s, uint32_t *off, uint32_t *on, char *err, size_t cap);
/* The level of site s's zones this session (its component's, else the base level). */
fathom_level fz_site_level(const fathom_site *s);
/* Whether a node of site s is probed: its level is DETAILED or more, or it runs at the base
 * level and a probed family was switched on. */
int fz_site_probed(const fathom_site *s);
/* The FATHOM_METRIC_* families the per-thread probes read. */
#define FZ_METRIC_PROBED                                                                   \
  (FATHOM_METRIC_MEMORY | FATHOM_METRIC_CPU | FATHOM_METRIC_IO | FATHOM_METRIC_NETWORK |  \
   FATHOM_METRIC_HWCOUNTERS)

/* ---- sites.c (what the session's diagnostics ask) ---- */
/* The name of the zone that stands for dynamic zone names beyond the cap. */
extern const char fz_overflow_zone_name[];
/* The cap on distinct dynamic zone names. */
uint32_t fz_dynamic_names_cap(void);
/* Of the sites registered so far: *excl muted by FATHOM_EXCLUDE, *filt by the component
 * list or the site filter; pat: the first FATHOM_EXCLUDE pattern that matches the file
 * name `exe` ("" when none). */
void fz_sites_muted(const char *exe, uint32_t *excl, uint32_t *filt, char *pat, size_t cap);

/* ---- symbols.c ---- */
/* How many loaded modules call the -finstrument-functions hooks through the dynamic linker
 * and get another module's hooks than fathom's: the first one's file in module, the module
 * whose hooks they get in provider. */
int fz_hooks_misbound(char *module, size_t mcap, char *provider, size_t pcap);

#pragma GCC visibility pop

#endif
