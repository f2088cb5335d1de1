/* alloc.c: heap allocation accounting behind the hooks (hooks/alloc_hooks.c): the table of
 * allocation cells (one per call path that allocates), tracking on/off per session, whether
 * the hooks are the process's malloc at all, and the live-memory snapshots and leak check
 * (fathom_mem_snapshot, fathom_leak_check). Also in the static library, where the hooks are
 * absent and tracking reports itself unavailable.
 *
 * Invariant: cells are never freed while the process runs and their number is bounded
 * (CELL_CAP; a path beyond it shares the OTHER cell, counted); a cell's allocation fields are
 * written only by the thread owning its node (OTHER: atomic adds), its free fields by that
 * thread (relaxed stores) or by any other (atomic adds, separate fields), so no update is
 * ever lost. A free is credited only when the block's generation is the cell's. Nothing here
 * takes a lock or allocates on the hooks' path; snapshots run under fz_g.lock with this
 * thread's allocations paused. See docs/alloc.md. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "record/alloc.h"
#include "record/record.h"
#include "util/str.h"

/* ---- shared with hooks/alloc_hooks.c (declared there too; keep in step) ------------- */
extern uint32_t fz_alloc_track_;
extern __thread int fz_alloc_guard_ __attribute__((tls_model("initial-exec")));
uint64_t fz_alloc_note_alloc(uint32_t g, size_t n);
void fz_alloc_note_free(uint64_t cellgen, size_t n);
/* defined by the hooks (shared library only): absent means the hooks are not linked */
extern void *fz_alloc_self_malloc(size_t n) __attribute__((weak));

uint32_t fz_alloc_track_;   /* generation whose allocations are attributed; 0 = off */
__thread int fz_alloc_guard_ __attribute__((tls_model("initial-exec")));
/* The calling thread's attributed allocations (fz_alloc_thread_mark) */
static __thread fz_alloc_tmark tm_ __attribute__((tls_model("initial-exec")));

/* ---- cells ------------------------------------------------------------------------- */

typedef struct fz_acell {       /* 64 bytes: one cache line */
  _Alignas(64) uint64_t a_count;            /* allocations (owner; OTHER: atomic adds) */
  uint64_t a_bytes;
  uint64_t f_count, f_bytes;                /* frees by the owner thread */
  uint64_t x_count, x_bytes;                /* frees by other threads (atomic adds) */
  const fz_thread *owner;
  uint32_t gen;                             /* generation it was claimed for (release) */
} fz_acell;
_Static_assert(sizeof(fz_acell) == 64, "a cell is one cache line");

#define CELL_OTHER 1u             /* shared by the paths beyond the cap */
#define CELL_FIRST 2u
#define BLOCK_CELLS 4096u         /* 256 KiB of cells, mapped on first use */
#define N_BLOCKS 64u
#define CELL_CAP (BLOCK_CELLS * N_BLOCKS)   /* 262144 (ids fit the header's 24 bits) */

static fz_acell *blocks[N_BLOCKS];
static uint32_t next_cell = CELL_FIRST;     /* next id to claim */
static uint64_t cells_dropped;              /* paths given CELL_OTHER */
static int session_open;                    /* between fz_alloc_session(g) and (0) */

/* Cell id (id < CELL_CAP), NULL when its block was never mapped. */
static inline fz_acell *cell_at(uint32_t id) {
  fz_acell *b = __atomic_load_n(&blocks[id / BLOCK_CELLS], __ATOMIC_ACQUIRE);
  return b ? b + id % BLOCK_CELLS : NULL;
}

/* Cell id, its block mapped if need be (NULL when mmap fails). */
static __attribute__((noinline, cold)) fz_acell *cell_make(uint32_t id) {
  fz_acell **slot = &blocks[id / BLOCK_CELLS];
  fz_acell *b = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (b) return b + id % BLOCK_CELLS;
  int saved = errno;
  void *m = mmap(NULL, BLOCK_CELLS * sizeof(fz_acell), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    errno = saved;
    return NULL;
  }
  fz_acell *expect = NULL;
  if (!__atomic_compare_exchange_n(slot, &expect, (fz_acell *)m, 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE)) {
    munmap(m, BLOCK_CELLS * sizeof(fz_acell)); /* another thread mapped it first */
    b = expect;
  } else {
    b = m;
  }
  errno = saved;
  return b + id % BLOCK_CELLS;
}

static void cell_zero(fz_acell *c, const fz_thread *owner, uint32_t gen) {
  FZ_ST(c->a_count, 0);
  FZ_ST(c->a_bytes, 0);
  FZ_ST(c->f_count, 0);
  FZ_ST(c->f_bytes, 0);
  FZ_ST(c->x_count, 0);
  FZ_ST(c->x_bytes, 0);
  FZ_ST(c->owner, owner);
  FZ_STR(c->gen, gen); /* last: a reader that sees gen sees the zeroes */
}

/* A cell for node n of thread t (owner), claimed on the path's first allocation. */
static __attribute__((noinline, cold)) uint32_t claim(fz_thread *t, fz_node *n) {
  uint32_t id = CELL_OTHER;
  fz_acell *c = NULL;
  fz_alloc_guard_++;
  if (FZ_LD(next_cell) < CELL_CAP) {
    uint32_t k = __atomic_fetch_add(&next_cell, 1, __ATOMIC_RELAXED);
    if (k < CELL_CAP && (c = cell_make(k)) != NULL) id = k;
  }
  if (id == CELL_OTHER)
    __atomic_fetch_add(&cells_dropped, 1, __ATOMIC_RELAXED);
  else
    cell_zero(c, t, t->gen);
  FZ_ST(n->acell, id);
  fz_alloc_guard_--;
  return id;
}

/* Attributes an allocation of n bytes to the calling thread's innermost zone when tracking
 * is on for generation g (the hooks read it), the thread records g, is inside a zone and not
 * inside fathom. Returns what the block's header keeps: cell | (g & 0x7fffff) << 24, or 0. */
uint64_t fz_alloc_note_alloc(uint32_t g, size_t n) {
  fz_thread *t = fz_tls;
  if (!t || fz_alloc_guard_ || t->gen != g || FZ_LD(fz_rec_gen) != g || t->top == t->stack)
    return 0;
  fz_node *node = t->top->node;
  if (FZ_UNLIKELY(node == &fz_nil_node)) return 0; /* inside a dropped call */
  uint32_t id = node->acell;
  if (FZ_UNLIKELY(!id)) id = claim(t, node);
  fz_acell *c = cell_at(id); /* a claimed cell's block is mapped; OTHER's maybe not */
  if (FZ_UNLIKELY(!c)) return 0;
  tm_.bytes += n;
  tm_.live += (int64_t)n;
  if (tm_.live > tm_.peak) tm_.peak = tm_.live;
  if (FZ_LIKELY(id != CELL_OTHER)) {
    FZ_ST(c->a_count, c->a_count + 1);
    FZ_ST(c->a_bytes, c->a_bytes + n);
  } else {
    __atomic_fetch_add(&c->a_count, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c->a_bytes, (uint64_t)n, __ATOMIC_RELAXED);
  }
  /* the cell's generation is g: claimed by t recording g, or OTHER stamped with g */
  return id | (uint64_t)(g & 0x7fffffu) << 24;
}

/* Credits the free of a block of n bytes to the cell its header names, when the cell still
 * belongs to the block's generation. */
void fz_alloc_note_free(uint64_t cellgen, size_t n) {
  uint32_t id = (uint32_t)(cellgen & 0xffffffu);
  uint32_t g = (uint32_t)(cellgen >> 24) & 0x7fffffu;
  if (id >= CELL_CAP) return;
  fz_acell *c = cell_at(id);
  if (!c || (FZ_LDA(c->gen) & 0x7fffffu) != g) return;
  fz_thread *t = fz_tls;
  if (FZ_LIKELY(t && FZ_LD(c->owner) == t)) { /* never for OTHER: no owner */
    tm_.live -= (int64_t)n;
    FZ_ST(c->f_count, c->f_count + 1);
    FZ_ST(c->f_bytes, c->f_bytes + n);
  } else {
    __atomic_fetch_add(&c->x_count, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c->x_bytes, (uint64_t)n, __ATOMIC_RELAXED);
  }
}

int fz_alloc_thread_mark(fz_alloc_tmark *m, int reset_peak) {
  fz_thread *t = fz_tls;
  uint32_t g = FZ_LD(fz_alloc_track_);
  if (!g || !t || t->gen != g) return 0;
  if (reset_peak) tm_.peak = tm_.live;
  *m = tm_;
  return 1;
}

int fz_alloc_peak_begin(int64_t *live0, int64_t *prev_peak) {
  fz_thread *t = fz_tls;
  uint32_t g = FZ_LD(fz_alloc_track_);
  if (!g || !t || t->gen != g) return 0;
  *live0 = tm_.live;
  *prev_peak = tm_.peak;
  tm_.peak = tm_.live;
  return 1;
}

int64_t fz_alloc_peak_end(int64_t live0, int64_t prev_peak) {
  fz_thread *t = fz_tls;
  uint32_t g = FZ_LD(fz_alloc_track_);
  if (!g || !t || t->gen != g) return -1;
  int64_t pk = tm_.peak;
  if (prev_peak > tm_.peak) tm_.peak = prev_peak;
  return pk > live0 ? pk - live0 : 0;
}

void fz_alloc_pause(void) { fz_alloc_guard_++; }
void fz_alloc_resume(void) {
  if (fz_alloc_guard_ > 0) fz_alloc_guard_--;
}

/* Live count and bytes of a cell as any thread sees it (never negative: a reader may see a
 * free before the allocation it undoes). */
static void cell_live(const fz_acell *c, uint64_t *count, uint64_t *bytes) {
  uint64_t ac = FZ_LD(c->a_count), ab = FZ_LD(c->a_bytes);
  uint64_t fc = FZ_LD(c->f_count) + FZ_LD(c->x_count);
  uint64_t fb = FZ_LD(c->f_bytes) + FZ_LD(c->x_bytes);
  *count = ac > fc ? ac - fc : 0;
  *bytes = ab > fb ? ab - fb : 0;
}

int fz_alloc_cell_read(uint32_t id, uint32_t gen, fathom_alloc *out) {
  if (!out || id < CELL_FIRST || id >= CELL_CAP || id >= FZ_LD(next_cell)) return -1;
  fz_acell *c = cell_at(id);
  if (!c || FZ_LDA(c->gen) != gen) return -1;
  memset(out, 0, sizeof *out);
  out->alloc_count = FZ_LD(c->a_count);
  out->alloc_bytes = FZ_LD(c->a_bytes);
  out->free_count = FZ_LD(c->f_count) + FZ_LD(c->x_count);
  out->free_bytes = FZ_LD(c->f_bytes) + FZ_LD(c->x_bytes);
  cell_live(c, &out->live_count, &out->live_bytes);
  return 0;
}

void fz_alloc_live_total(uint32_t gen, uint64_t *count, uint64_t *bytes) {
  uint64_t tc = 0, tb = 0;
  uint32_t end = FZ_LD(next_cell);
  if (end > CELL_CAP) end = CELL_CAP;
  for (uint32_t id = CELL_OTHER; gen && id < end; id++) {
    fz_acell *c = cell_at(id);
    if (!c || FZ_LDA(c->gen) != gen) continue;
    uint64_t lc, lb;
    cell_live(c, &lc, &lb);
    tc += lc;
    tb += lb;
  }
  if (count) *count = tc;
  if (bytes) *bytes = tb;
}

int64_t fz_alloc_cell_live(uint32_t id) {
  if (id < CELL_FIRST || id >= CELL_CAP) return 0; /* OTHER is shared: no trend there */
  fz_acell *c = cell_at(id);
  if (!c) return 0;
  return (int64_t)(FZ_LD(c->a_bytes) - FZ_LD(c->f_bytes) - FZ_LD(c->x_bytes));
}

/* ---- availability and sessions ----------------------------------------------------- */

static int avail_state;          /* 0 not known yet, 1 available, -1 not */
static const char *avail_why;

static int compute_available(void) {
  int st = __atomic_load_n(&avail_state, __ATOMIC_ACQUIRE);
  if (st) return st > 0;
  const char *why = NULL;
  if (!fz_alloc_self_malloc) {
    why = "static library: link the program with libfathom.so (the hooks are only there)";
  } else {
    int saved = errno;
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    if (m != (void *)fz_alloc_self_malloc) {
      Dl_info di;
      if (m && dladdr(m, &di) && di.dli_fname && strstr(di.dli_fname, "libc.so"))
        why = "libfathom.so was loaded after malloc was bound (dlopen?): link the program "
              "with it or LD_PRELOAD it";
      else
        why = "malloc is interposed by another library (a sanitizer runtime?)";
    }
    errno = saved;
  }
  avail_why = why;
  __atomic_store_n(&avail_state, why ? -1 : 1, __ATOMIC_RELEASE);
  return !why;
}

/* Decided before any session can begin (session.c's auto-start constructor runs later). */
__attribute__((constructor(101))) static void alloc_init(void) { (void)compute_available(); }

int fz_alloc_available(const char **why) {
  int ok = compute_available();
  if (why) *why = ok ? "heap allocations by zone (malloc family interposed)" : avail_why;
  return ok;
}

void fz_alloc_session(uint32_t gen, int on) {
  if (!gen) {
    FZ_STR(fz_alloc_track_, 0);
    session_open = 0;
    return;
  }
  if (on < 0) on = fz_g.cfg.level >= FATHOM_LEVEL_DETAILED;
  if (!session_open) {
    /* a new session: the previous one's cells are no longer read; claims start over (a
     * block of an older session names a cell whose generation no longer matches) */
    FZ_ST(next_cell, CELL_FIRST);
    FZ_ST(cells_dropped, 0);
    session_open = 1;
  }
  fz_acell *o = cell_make(CELL_OTHER);
  if (o) cell_zero(o, NULL, gen);
  FZ_STR(fz_alloc_track_, on && compute_available() ? gen : 0);
}

/* ---- live memory by site: snapshots and the leak check ----------------------------- */

typedef struct snap {
  char *label;
  uint64_t ts_ns;
  double rss_bytes;
  uint64_t live_count, live_bytes;
  uint32_t n;                 /* sites with live memory */
  uint32_t *site;
  uint64_t *count, *bytes;
} snap;

#define MAX_SNAPS 256
#define MAX_LABEL 1024
static snap snaps[MAX_SNAPS];     /* ring, under fz_g.lock */
static uint32_t snap_first, snap_n;
static uint64_t snaps_dropped;

static void snap_free(snap *s) {
  free(s->label);
  free(s->site);
  free(s->count);
  free(s->bytes);
  memset(s, 0, sizeof *s);
}

void fz_alloc_snapshots_clear(void) {
  fz_alloc_pause();
  for (uint32_t i = 0; i < snap_n; i++) snap_free(&snaps[(snap_first + i) % MAX_SNAPS]);
  snap_first = snap_n = 0;
  snaps_dropped = 0;
  fz_alloc_resume();
}

/* Live count and bytes of generation g by site id (arrays of n_sites), summed over every
 * node of every thread recording g. Caller holds fz_g.lock (no tree is recycled meanwhile). */
static void live_by_site(uint32_t g, uint32_t n_sites, uint64_t *count, uint64_t *bytes) {
  for (fz_thread *t = fz_g.threads; t; t = t->next) {
    if (FZ_LDA(t->gen) != g || t->hidden) continue;
    fz_node *root = &t->root, *n = FZ_LDA(root->first_child);
    while (n) {
      uint32_t id = FZ_LD(n->acell);
      fathom_alloc a;
      if (id && n->site_id < n_sites && fz_alloc_cell_read(id, g, &a) == 0) {
        count[n->site_id] += a.live_count;
        bytes[n->site_id] += a.live_bytes;
      }
      fz_node *c = FZ_LDA(n->first_child);
      if (c) {
        n = c;
        continue;
      }
      while (n != root) { /* up to the nearest ancestor with a next sibling */
        fz_node *s = FZ_LD(n->next_sibling);
        if (s) {
          n = s;
          break;
        }
        n = n->parent;
      }
      if (n == root) break;
    }
  }
}

/* Process RSS in bytes from /proc/self/statm, NaN when it cannot be read. */
static double rss_now(void) {
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return __builtin_nan("");
  char buf[128];
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return __builtin_nan("");
  buf[r] = 0;
  char *p = buf, *e;
  (void)strtoull(p, &e, 10); /* size */
  if (e == p) return __builtin_nan("");
  p = e;
  unsigned long long pages = strtoull(p, &e, 10);
  if (e == p) return __builtin_nan("");
  long ps = sysconf(_SC_PAGESIZE);
  return (double)pages * (double)(ps > 0 ? ps : 4096);
}

/* STATE without a session, NOTSUP without tracking, else 0 (caller holds fz_g.lock). */
static int tracking_state(void) {
  if (!fz_g.active) return FATHOM_E_STATE;
  if (!FZ_LD(fz_alloc_track_) || FZ_LD(fz_alloc_track_) != fz_g.session_gen)
    return FATHOM_E_NOTSUP;
  return 0;
}

static int take_snapshot(const char *label) {
  uint32_t g = fz_g.session_gen, ns = fz_site_count();
  uint64_t *cnt = calloc(ns ? ns : 1, sizeof *cnt), *byt = calloc(ns ? ns : 1, sizeof *byt);
  snap s;
  memset(&s, 0, sizeof s);
  size_t ll = strnlen(label, MAX_LABEL - 1);
  s.label = malloc(ll + 1);
  int rc = cnt && byt && s.label ? 0 : FATHOM_E_NOMEM;
  if (!rc) {
    memcpy(s.label, label, ll);
    s.label[ll] = 0;
    s.ts_ns = fz_mono_ns() - fz_g.start_mono_ns;
    live_by_site(g, ns, cnt, byt);
    fz_alloc_live_total(g, &s.live_count, &s.live_bytes);
    uint32_t k = 0;
    for (uint32_t i = 0; i < ns; i++) k += cnt[i] != 0 || byt[i] != 0;
    s.site = malloc((k ? k : 1) * sizeof *s.site);
    s.count = malloc((k ? k : 1) * sizeof *s.count);
    s.bytes = malloc((k ? k : 1) * sizeof *s.bytes);
    if (!s.site || !s.count || !s.bytes) rc = FATHOM_E_NOMEM;
    for (uint32_t i = 0; !rc && i < ns; i++) {
      if (!cnt[i] && !byt[i]) continue;
      s.site[s.n] = i;
      s.count[s.n] = cnt[i];
      s.bytes[s.n] = byt[i];
      s.n++;
    }
  }
  free(cnt);
  free(byt);
  if (rc) {
    snap_free(&s);
    return rc;
  }
  s.rss_bytes = rss_now();
  if (snap_n == MAX_SNAPS) { /* the oldest goes */
    snap_free(&snaps[snap_first]);
    snap_first = (snap_first + 1) % MAX_SNAPS;
    snap_n--;
    snaps_dropped++;
  }
  snaps[(snap_first + snap_n) % MAX_SNAPS] = s;
  snap_n++;
  return 0;
}

FATHOM_EXTERN int fathom_mem_snapshot(const char *label) {
  int saved = errno;
  fz_alloc_pause();
  pthread_mutex_lock(&fz_g.lock);
  int rc = tracking_state();
  if (!rc) rc = label ? take_snapshot(label) : FATHOM_E_INVAL;
  pthread_mutex_unlock(&fz_g.lock);
  fz_alloc_resume();
  errno = saved;
  return rc;
}

static const char *site_comp(const fathom_site *s) {
  return s->component && *s->component ? s->component : "default";
}
static const char *site_name(const fathom_site *s) { return s->name ? s->name : "(null)"; }

static int by_zone(const void *a, const void *b) {
  const fathom_site *x = fz_site_by_id(*(const uint32_t *)a);
  const fathom_site *y = fz_site_by_id(*(const uint32_t *)b);
  int c = strcmp(site_name(x), site_name(y));
  return c ? c : strcmp(site_comp(x), site_comp(y));
}

/* Zones (name, component) whose own code's live heap is at least threshold_bytes, among
 * those with a live block; sites of one zone (several static sites) are summed first. */
static int count_leaks(uint64_t threshold) {
  uint32_t g = fz_g.session_gen, ns = fz_site_count();
  uint64_t *cnt = calloc(ns ? ns : 1, sizeof *cnt), *byt = calloc(ns ? ns : 1, sizeof *byt);
  uint32_t *ids = malloc((ns ? ns : 1) * sizeof *ids);
  int rc = FATHOM_E_NOMEM;
  if (cnt && byt && ids) {
    live_by_site(g, ns, cnt, byt);
    uint32_t k = 0;
    for (uint32_t i = 0; i < ns; i++)
      if (cnt[i] && fz_site_by_id(i)) ids[k++] = i;
    qsort(ids, k, sizeof *ids, by_zone);
    rc = 0;
    for (uint32_t i = 0; i < k;) {
      uint64_t b = 0;
      uint32_t j = i;
      for (; j < k && by_zone(&ids[i], &ids[j]) == 0; j++) b += byt[ids[j]];
      if (b >= threshold) rc++;
      i = j;
    }
  }
  free(cnt);
  free(byt);
  free(ids);
  return rc;
}

FATHOM_EXTERN int fathom_leak_check(uint64_t threshold_bytes) {
  int saved = errno;
  fz_alloc_pause();
  pthread_mutex_lock(&fz_g.lock);
  int rc = tracking_state();
  if (!rc) rc = count_leaks(threshold_bytes);
  pthread_mutex_unlock(&fz_g.lock);
  fz_alloc_resume();
  errno = saved;
  return rc;
}

/* ---- into the model ---------------------------------------------------------------- */

typedef struct zentry {
  uint32_t zone;
  uint64_t count, bytes;
} zentry;

static int by_zone_index(const void *a, const void *b) {
  uint32_t x = ((const zentry *)a)->zone, y = ((const zentry *)b)->zone;
  return x < y ? -1 : x > y;
}

/* One snapshot into the model's form: sites mapped to zones, a zone's sites summed. */
static int snap_to_model(const snap *s, fathom_mem_snapshot_info *o,
                         uint32_t (*zone_of)(void *ctx, uint32_t site_id), void *ctx) {
  memset(o, 0, sizeof *o);
  zentry *z = malloc((s->n ? s->n : 1) * sizeof *z);
  o->label = fz_strdup_or_empty(s->label);
  if (!z || !o->label) goto oom;
  uint32_t k = 0;
  for (uint32_t i = 0; i < s->n; i++) {
    uint32_t zi = zone_of ? zone_of(ctx, s->site[i]) : FATHOM_NONE;
    if (zi == FATHOM_NONE) continue;
    z[k++] = (zentry){zi, s->count[i], s->bytes[i]};
  }
  qsort(z, k, sizeof *z, by_zone_index);
  uint32_t m = 0;
  for (uint32_t i = 0; i < k; i++) {
    if (m && z[m - 1].zone == z[i].zone) {
      z[m - 1].count += z[i].count;
      z[m - 1].bytes += z[i].bytes;
    } else {
      z[m++] = z[i];
    }
  }
  o->zone = malloc((m ? m : 1) * sizeof *o->zone);
  o->zone_live_count = malloc((m ? m : 1) * sizeof *o->zone_live_count);
  o->zone_live_bytes = malloc((m ? m : 1) * sizeof *o->zone_live_bytes);
  if (!o->zone || !o->zone_live_count || !o->zone_live_bytes) goto oom;
  for (uint32_t i = 0; i < m; i++) {
    o->zone[i] = z[i].zone;
    o->zone_live_count[i] = z[i].count;
    o->zone_live_bytes[i] = z[i].bytes;
  }
  o->n = m;
  o->ts_ns = s->ts_ns;
  o->rss_bytes = s->rss_bytes;
  o->live_count = s->live_count;
  o->live_bytes = s->live_bytes;
  free(z);
  return 0;
oom:
  free(z);
  free(o->label);
  free(o->zone);
  free(o->zone_live_count);
  free(o->zone_live_bytes);
  memset(o, 0, sizeof *o);
  return FATHOM_E_NOMEM;
}

int fz_alloc_snapshots_collect(fathom_profile *p, uint32_t (*zone_of)(void *ctx, uint32_t site_id),
                               void *ctx) {
  if (!p) return FATHOM_E_INVAL;
  p->meta.dropped_snapshots = snaps_dropped;
  if (!snap_n) return 0;
  fz_alloc_pause();
  int rc = 0;
  fathom_mem_snapshot_info *v =
      realloc(p->mem_snapshots, (p->n_mem_snapshots + snap_n) * sizeof *v);
  if (!v) {
    rc = FATHOM_E_NOMEM;
  } else {
    p->mem_snapshots = v;
    for (uint32_t i = 0; i < snap_n && !rc; i++) {
      rc = snap_to_model(&snaps[(snap_first + i) % MAX_SNAPS], &v[p->n_mem_snapshots], zone_of,
                         ctx);
      if (!rc) p->n_mem_snapshots++;
    }
  }
  fz_alloc_resume();
  return rc;
}
