/* allocsample.c: allocations sampled by bytes, by stack, for `fathom run --alloc`. Active only
 * when libfathom.so's malloc hooks are the process's malloc and FATHOM_ALLOC_SAMPLE (the mean
 * number of bytes between samples) and FATHOM_ALLOC_STACKS (an output prefix) are both set,
 * as `fathom run --alloc` sets them; otherwise nothing here ever runs on the hooks' path.
 *
 * Sampling: each thread counts down the bytes it allocates from a length drawn from an
 * exponential distribution of mean N, so sample points fall on the allocated bytes as a
 * Poisson process of rate 1/N: an allocation of s bytes holds at least one with probability
 * p = 1 - exp(-s/N), and is then sampled and weighs s/p bytes and 1/p objects (Horvitz-
 * Thompson: unbiased); the countdown is drawn afresh from its end (the process is
 * memoryless). A sampled allocation's stack is unwound in the process with libgcc's
 * _Unwind_Backtrace (DWARF call frame information: no frame pointers needed), found or added
 * in a bounded table of stacks (by thread), and its slot and pid are written in an 8-byte
 * trailer after the block's bytes; the hooks mark such a block in its header, so a free
 * finds it with no lookup, and a free of any other block costs nothing here.
 *
 * Per stack: allocated bytes and objects with their variance estimates (sum of (1-p) w^2),
 * the same for what is still live, and for what was live when the process's heap was at its
 * peak. The heap total (every block, sampled or not) is kept per thread and added to one
 * process-wide counter whenever a thread's share moved by more than BATCH bytes, so it is
 * exact to within BATCH bytes per thread; each time that counter passes its previous
 * maximum, the stacks changed since the last peak copy their live figures to their peak ones.
 *
 * At exit (a destructor: exit() or a return from main; in forked children too) the table
 * and the process's executable mappings are written to "<prefix>.<pid>" (util/afile.h: whole
 * or not at all), a small text format that src/run/allocfile.c reads (see docs/run.md).
 *
 * Invariant: nothing here allocates on the hooks' path, changes errno there, or runs while
 * the calling thread is inside fathom (fz_alloc_guard_); the table's size is fixed (stacks beyond it share the
 * overflow slot 0, counted); its figures change only under one lock, taken only on sampled
 * events, peak copies and the final write. */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <link.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <unwind.h>

#include "record/alloc.h"
#include "record/record.h"
#include "util/afile.h"

extern __thread int fz_alloc_guard_ __attribute__((tls_model("initial-exec")));

uint64_t fz_asmp_mean_;                 /* mean bytes between samples; 0: off (hooks read) */
__thread fz_asmp_tls fz_asmp_t_ __attribute__((tls_model("initial-exec")));

#define ST_CAP 8192u      /* stacks kept (slot 0: those beyond the table) */
#define ST_DEPTH 64       /* frames kept per stack */
#define TAB_CAP (2 * ST_CAP)

enum { F_AB, F_AO, F_AVB, F_AVO, F_LB, F_LO, F_LVB, F_LVO, F_PB, F_PO, F_PVB, F_PVO, F_N };

typedef struct sstack {
  uint64_t hash;
  uint32_t tid, depth;
  uint32_t dirty;           /* listed in dirty[] since the last peak */
  double f[F_N];            /* allocated, live, at the peak: bytes, objects, their variances */
  uint64_t pcs[ST_DEPTH];   /* return addresses, innermost first */
} sstack;

static struct {
  int lock;
  int done;                       /* the file was written: nothing more is recorded */
  pid_t pid;                      /* the trailer's check (changes in a forked child) */
  char prefix[1024];
  sstack *st;                     /* ST_CAP slots, mapped at start */
  uint32_t n_st;                  /* slots in use (slot 0 always) */
  uint32_t *tab;                  /* hash -> slot + 1 */
  uint32_t *dirty, n_dirty;
  uint64_t dropped_samples;       /* samples that went to slot 0 (table full) */
  uint64_t samples;
  int64_t heap, heap_peak;        /* the process's live heap (batched), its maximum */
  uint64_t self_lo, self_hi;      /* libfathom.so's code: frames there are left out */
  _Unwind_Reason_Code (*backtrace)(_Unwind_Trace_Fn, void *);
  _Unwind_Ptr (*get_ip)(struct _Unwind_Context *);
  pthread_key_t key;
} S;

static void lock(void) {
  while (__atomic_exchange_n(&S.lock, 1, __ATOMIC_ACQUIRE))
    while (__atomic_load_n(&S.lock, __ATOMIC_RELAXED)) sched_yield();
}
static void unlock(void) { __atomic_store_n(&S.lock, 0, __ATOMIC_RELEASE); }

/* ---- the countdown ------------------------------------------------------------------- */

static uint64_t rnd(fz_asmp_tls *t) {   /* xorshift64* */
  uint64_t x = t->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  t->rng = x;
  return x * UINT64_C(2685821657736338717);
}

/* An exponential length of mean N (at least 1 byte). */
static int64_t draw(fz_asmp_tls *t, uint64_t mean) {
  double u = ((double)(rnd(t) >> 11) + 1.0) * 0x1p-53;   /* (0, 1] */
  double v = -log(u) * (double)mean;
  if (v > 0x1p62) v = 0x1p62;
  return v < 1 ? 1 : (int64_t)v;
}

/* The thread's exit: its heap share goes to the process's count. */
static void thread_gone(void *arg) {
  (void)arg;
  fz_asmp_tls *t = &fz_asmp_t_;
  if (t->delta) __atomic_fetch_add(&S.heap, t->delta, __ATOMIC_RELAXED);
  t->delta = 0;
}

/* The countdown ran out inside an allocation of n bytes (t->left < 0): 8 (the trailer's size)
 * when a sample point falls in it, else 0. A thread's first call draws its countdown. */
size_t fz_asmp_slow(size_t n) {
  fz_asmp_tls *t = &fz_asmp_t_;
  uint64_t mean = FZ_LD(fz_asmp_mean_);
  if (!mean) return 0;
  if (FZ_UNLIKELY(!t->inited)) {
    int saved = errno;
    t->inited = 1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t->rng = ((uint64_t)(uintptr_t)t * UINT64_C(0x9E3779B97F4A7C15)) ^ (uint64_t)ts.tv_nsec ^
             ((uint64_t)gettid() << 32) ^ 1;
    pthread_setspecific(S.key, (void *)1);  /* thread_gone at its exit */
    t->left = draw(t, mean) - (int64_t)n;
    errno = saved;
    if (t->left >= 0) return 0;
  }
  t->left = draw(t, mean);                  /* afresh from the allocation's end */
  if (fz_alloc_guard_ || FZ_LD(S.done)) return 0;
  return 8;
}

/* ---- the heap total and its peak -------------------------------------------------------- */

/* The thread's heap share moved by more than BATCH: into the process's count; a new maximum
 * copies the live figures of the stacks changed since the last one. */
void fz_asmp_flush(void) {
  fz_asmp_tls *t = &fz_asmp_t_;
  int64_t d = t->delta;
  t->delta = 0;
  int64_t now = __atomic_add_fetch(&S.heap, d, __ATOMIC_RELAXED);
  if (d <= 0 || now <= __atomic_load_n(&S.heap_peak, __ATOMIC_RELAXED)) return;
  lock();
  if (now > S.heap_peak && !S.done) {
    __atomic_store_n(&S.heap_peak, now, __ATOMIC_RELAXED);
    for (uint32_t i = 0; i < S.n_dirty; i++) {
      sstack *s = &S.st[S.dirty[i]];
      memcpy(&s->f[F_PB], &s->f[F_LB], 4 * sizeof(double));
      s->dirty = 0;
    }
    S.n_dirty = 0;
  }
  unlock();
}

static void mark_dirty(uint32_t slot) {
  sstack *s = &S.st[slot];
  if (!s->dirty) {
    s->dirty = 1;
    S.dirty[S.n_dirty++] = slot;
  }
}

/* ---- stacks ------------------------------------------------------------------------------ */

typedef struct ucap {
  uint64_t *pcs;
  int n, skipping;
} ucap;

static _Unwind_Reason_Code on_frame(struct _Unwind_Context *ctx, void *arg) {
  ucap *c = arg;
  uint64_t ip = (uint64_t)S.get_ip(ctx);
  if (!ip) return _URC_END_OF_STACK;
  if (c->skipping && ip >= S.self_lo && ip < S.self_hi) return _URC_NO_REASON; /* fathom's */
  c->skipping = 0;
  c->pcs[c->n++] = ip;
  return c->n >= ST_DEPTH ? _URC_END_OF_STACK : _URC_NO_REASON;
}

static uint64_t stack_hash(uint32_t tid, const uint64_t *pcs, int n) {
  uint64_t h = 1469598103934665603ull ^ tid;
  for (int i = 0; i < n; i++) {
    h = (h ^ pcs[i]) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  return h | 1;
}

/* The slot of stack (tid, pcs), added when new; 0 when the table is full. Under the lock. */
static uint32_t slot_of(uint32_t tid, const uint64_t *pcs, int n) {
  uint64_t h = stack_hash(tid, pcs, n);
  for (uint32_t k = (uint32_t)h & (TAB_CAP - 1);; k = (k + 1) & (TAB_CAP - 1)) {
    uint32_t v = S.tab[k];
    if (!v) {
      if (S.n_st >= ST_CAP) return 0;
      uint32_t id = S.n_st++;
      sstack *s = &S.st[id];
      memset(s, 0, offsetof(sstack, pcs));
      s->hash = h;
      s->tid = tid;
      s->depth = (uint32_t)n;
      memcpy(s->pcs, pcs, (size_t)n * sizeof *pcs);
      S.tab[k] = id + 1;
      return id;
    }
    const sstack *s = &S.st[v - 1];
    if (s->hash == h && s->tid == tid && s->depth == (uint32_t)n &&
        memcmp(s->pcs, pcs, (size_t)n * sizeof *pcs) == 0)
      return v - 1;
  }
}

/* Weights of a sampled block of n bytes: w[0] bytes, w[1] objects, w[2], w[3] their variance
 * terms (1 - p) w^2. */
static void weights(size_t n, double w[4]) {
  double mean = (double)FZ_LD(fz_asmp_mean_);
  double p = mean > 0 ? -expm1(-(double)n / mean) : 1;
  if (!(p > 0)) p = 1;
  w[0] = (double)n / p;
  w[1] = 1 / p;
  w[2] = (1 - p) * w[0] * w[0];
  w[3] = (1 - p) * w[1] * w[1];
}

/* A sampled allocation of n bytes made by the calling thread: its trailer (pid << 32 | slot),
 * or 0 when nothing could be recorded. */
uint64_t fz_asmp_note_alloc(size_t n) {
  if (fz_alloc_guard_ || !S.st || FZ_LD(S.done)) return 0;
  fz_alloc_guard_++;
  int saved = errno; /* the hooks leave errno as glibc does */
  uint64_t pcs[ST_DEPTH];
  ucap c = {pcs, 0, 1};
  if (S.backtrace) S.backtrace(on_frame, &c);
  double w[4];
  weights(n, w);
  uint32_t tid = (uint32_t)gettid();
  lock();
  uint64_t tr = 0;
  if (!S.done) {
    uint32_t slot = slot_of(tid, pcs, c.n);
    if (!slot) S.dropped_samples++;
    S.samples++;
    sstack *s = &S.st[slot];
    for (int k = 0; k < 4; k++) {
      s->f[F_AB + k] += w[k];
      s->f[F_LB + k] += w[k];
    }
    mark_dirty(slot);
    tr = (uint64_t)(uint32_t)S.pid << 32 | slot;
  }
  unlock();
  errno = saved;
  fz_alloc_guard_--;
  return tr;
}

/* The free of a sampled block of n bytes whose trailer is tr. */
void fz_asmp_note_free(uint64_t tr, size_t n) {
  uint32_t slot = (uint32_t)tr;
  if ((uint32_t)(tr >> 32) != (uint32_t)S.pid || !S.st) return; /* another process's block */
  double w[4];
  weights(n, w);
  lock();
  if (slot < S.n_st && !S.done) {
    sstack *s = &S.st[slot];
    for (int k = 0; k < 4; k++) s->f[F_LB + k] -= w[k];
    for (int k = 0; k < 2; k++)  /* rounding never leaves less than nothing */
      if (s->f[F_LB + k] < 0) s->f[F_LB + k] = 0;
    for (int k = 2; k < 4; k++)
      if (s->f[F_LB + k] < 0 || s->f[F_LB + k - 2] == 0) s->f[F_LB + k] = 0;
    mark_dirty(slot);
  }
  unlock();
}

/* ---- the file ------------------------------------------------------------------------------ */

static void write_maps(FILE *f) {
  FILE *m = fopen("/proc/self/maps", "re");
  if (!m) return;
  char line[4096 + 128];
  while (fgets(line, sizeof line, m)) {
    unsigned long long lo, hi, off;
    char perm[8];
    int pos = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &lo, &hi, perm, &off, &pos) < 4) continue;
    if (!strchr(perm, 'x')) continue;
    char *path = line + pos;
    while (*path == ' ') path++;
    path[strcspn(path, "\n")] = 0;
    if (!*path) continue;
    fprintf(f, "map %llx %llx %llx %s\n", lo, hi, off, path);
  }
  fclose(m);
}

static void write_file(void) {
  char path[1100];
  snprintf(path, sizeof path, "%s.%d", S.prefix, (int)S.pid);
  fz_afile a;
  if (fz_afile_open(&a, path)) return;
  FILE *f = a.f;
  fprintf(f, "fathom-alloc 1\npid %d\nrate %" PRIu64 "\n", (int)S.pid, FZ_LD(fz_asmp_mean_));
  fprintf(f, "samples %" PRIu64 "\ndropped %" PRIu64 "\n", S.samples, S.dropped_samples);
  fprintf(f, "heap_peak %" PRId64 " %u\n", S.heap_peak > 0 ? S.heap_peak : 0, FZ_ASMP_BATCH);
  write_maps(f);
  for (uint32_t i = 0; i < S.n_st; i++) {
    const sstack *s = &S.st[i];
    if (s->f[F_AO] <= 0) continue;
    fprintf(f, "stack %u %u", s->tid, s->depth);
    for (int k = 0; k < F_N; k++) fprintf(f, " %.17g", s->f[k]);
    for (uint32_t k = 0; k < s->depth; k++) fprintf(f, " %" PRIx64, s->pcs[k]);
    fputc('\n', f);
  }
  fputs("end\n", f);
  fz_afile_commit(&a);
}

/* exit(): the table as it stands (live: still allocated now, the leaks) */
__attribute__((destructor)) static void asmp_fini(void) {
  if (!S.st || FZ_LD(S.done)) return;
  fz_alloc_guard_++;
  thread_gone(NULL);
  lock();
  int64_t h = __atomic_load_n(&S.heap, __ATOMIC_RELAXED);
  if (h > S.heap_peak) { /* the last batch may hold the maximum */
    S.heap_peak = h;
    for (uint32_t i = 0; i < S.n_dirty; i++)
      memcpy(&S.st[S.dirty[i]].f[F_PB], &S.st[S.dirty[i]].f[F_LB], 4 * sizeof(double));
    S.n_dirty = 0;
  }
  FZ_ST(S.done, 1);  /* from here the table no longer changes (every change checks it) */
  unlock();
  write_file();     /* unlocked: frees the writing may make never wait for this thread */
  fz_alloc_guard_--;
}

/* ---- start, and forks ------------------------------------------------------------------ */

static void fork_prepare(void) { lock(); }
static void fork_parent(void) { unlock(); }
/* The child starts its own table; the blocks it inherited are the parent's (their trailers
 * name the parent's pid: their frees are not counted here). */
static void fork_child(void) {
  S.pid = getpid();
  memset(S.tab, 0, TAB_CAP * sizeof *S.tab);
  memset(&S.st[0], 0, sizeof S.st[0]);
  S.n_st = 1;
  S.n_dirty = 0;
  S.samples = S.dropped_samples = 0;
  S.heap_peak = S.heap;
  unlock();
}

static int find_self(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  uint64_t me = (uint64_t)(uintptr_t)arg;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
    uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
    if (me >= lo && me < hi) {
      S.self_lo = lo;
      S.self_hi = hi;
      return 1;
    }
  }
  return 0;
}

__attribute__((constructor(102))) static void asmp_init(void) {
  const char *rate = getenv("FATHOM_ALLOC_SAMPLE"), *prefix = getenv("FATHOM_ALLOC_STACKS");
  if (!rate || !*rate || !prefix || !*prefix || strlen(prefix) >= sizeof S.prefix) return;
  char *end;
  errno = 0;
  unsigned long long mean = strtoull(rate, &end, 10);
  if (errno || *end || mean < 1 || mean > (1ull << 40)) return;
  if (!fz_alloc_available(NULL)) return;   /* a sanitizer's malloc, or a static link */
  fz_alloc_guard_++;
  void *lib = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (lib) {
    void *b = dlsym(lib, "_Unwind_Backtrace"), *g = dlsym(lib, "_Unwind_GetIP");
    memcpy(&S.backtrace, &b, sizeof b);
    memcpy(&S.get_ip, &g, sizeof g);
    if (!S.backtrace || !S.get_ip) S.backtrace = NULL;
  }
  size_t bytes = ST_CAP * sizeof(sstack) + TAB_CAP * sizeof(uint32_t) + ST_CAP * sizeof(uint32_t);
  void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (m == MAP_FAILED || pthread_key_create(&S.key, thread_gone)) {
    fz_alloc_guard_--;
    return;
  }
  S.st = m;
  S.tab = (uint32_t *)(S.st + ST_CAP);
  S.dirty = S.tab + TAB_CAP;
  S.n_st = 1;
  S.pid = getpid();
  memcpy(S.prefix, prefix, strlen(prefix) + 1);
  dl_iterate_phdr(find_self, (void *)(uintptr_t)&asmp_init);
  pthread_atfork(fork_prepare, fork_parent, fork_child);
  fz_alloc_guard_--;
  FZ_STR(fz_asmp_mean_, (uint64_t)mean);
}
