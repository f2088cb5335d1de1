/* alloc_hooks.c: the process's malloc family when libfathom.so is loaded (linked or
 * LD_PRELOADed): malloc, free, calloc, realloc, reallocarray, posix_memalign, aligned_alloc,
 * memalign, valloc, pvalloc and malloc_usable_size, forwarded to glibc's exported
 * __libc_malloc, __libc_free, __libc_calloc, __libc_realloc and __libc_memalign. Built into
 * the shared library only.
 *
 * Invariant: every block handed out has a 16-byte header right before it (size, alignment,
 * allocation cell + generation, an address-derived tag), whether or not tracking is on, so
 * free always finds the block glibc gave; a pointer without a valid tag is not ours and goes
 * to glibc unchanged. These functions take no lock, never call malloc themselves, never
 * fail an allocation glibc would serve (except sizes glibc cannot serve either), leave errno
 * as glibc leaves it (ENOMEM on failure), and attribute nothing unless alloc.c says
 * tracking is on for the calling thread's generation. While allocations are sampled by stack
 * (allocsample.c: `fathom run --alloc`) one test of a global sends them to out-of-line
 * versions; otherwise that test is all it costs. See docs/alloc.md.
 *
 * Header (two words, at user - 16):
 *   w0 = size (bits 0-47) | lg (48-53: user = glibc block + 2^lg) | tag A (54-63)
 *   w1 = cell (0-23) | generation & 0x7fffff (24-46) | sampled (47) | tag B (48-63, bit 63
 *        always set)
 * A sampled block (allocsample.c, `fathom run --alloc`) has 8 more bytes after its size: the
 * trailer naming its stack; the sampling adds nothing to any other block.
 * Tags A and B are hashes of the user address. Before a pointer glibc returned, w1 is glibc's
 * chunk size field, whose top 16 bits are always 0, so a foreign pointer never matches. */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/alloc.h"
#include "record/record.h"

/* glibc's own allocator, exported under these names (GLIBC_2.2.5); called through the GOT
 * (noplt), one jump less per call */
extern void *__libc_malloc(size_t n) __attribute__((noplt));
extern void __libc_free(void *p) __attribute__((noplt));
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);

/* ---- shared with alloc.c (declared there too; keep in step) ------------------------ */
extern uint32_t fz_alloc_track_;   /* generation being tracked, 0 = off */
extern __thread int fz_alloc_guard_ __attribute__((tls_model("initial-exec")));
uint64_t fz_alloc_note_alloc(uint32_t g, size_t n);
void fz_alloc_note_free(uint64_t cellgen, size_t n);
void *fz_alloc_self_malloc(size_t n);

#define HDR 16u
#define SIZE_BITS 48
#define SIZE_MASK ((UINT64_C(1) << SIZE_BITS) - 1)
#define CG_MASK ((UINT64_C(1) << 48) - 1)     /* bits that are not tag B */
#define CELL_GEN ((UINT64_C(1) << 47) - 1)    /* cell and generation */
#define SAMPLED (UINT64_C(1) << 47)           /* the block has a trailer (allocsample.c) */
/* the largest request served (the header keeps 48 bits of size; no 64-bit system maps that
 * much for one block anyway) */
#define MAX_REQ (SIZE_MASK - 65536)

typedef struct hdr {
  uint64_t w0, w1;
} hdr;

static inline uint64_t addr_hash(const void *u) {
  return (uint64_t)(uintptr_t)u * UINT64_C(0x9E3779B97F4A7C15);
}
static inline uint64_t tag_a(uint64_t h) { return (h >> 54) << 54; }
static inline uint64_t tag_b(uint64_t h) { return ((h & 0xffff0000u) << 32) | (UINT64_C(1) << 63); }

static inline hdr *hdr_of(void *u) { return (hdr *)u - 1; }

/* Our block (tag matches), or NULL for a pointer glibc handed out directly. */
static inline hdr *ours(void *u) {
  hdr *h = hdr_of(u);
  uint64_t k = addr_hash(u);
  uint64_t w0 = FZ_LD(h->w0), w1 = FZ_LD(h->w1);
  int match = (w1 & ~CG_MASK) == tag_b(k) && (w0 & ~(CG_MASK | UINT64_C(63) << 48)) == tag_a(k);
  return FZ_LIKELY(match) ? h : NULL;
}

static inline size_t hdr_size(const hdr *h) { return (size_t)(h->w0 & SIZE_MASK); }
static inline unsigned hdr_lg(const hdr *h) { return (unsigned)(h->w0 >> 48) & 63u; }
static inline void *hdr_base(hdr *h) { return (char *)(h + 1) - ((size_t)1 << hdr_lg(h)); }

static inline void *write_hdr(void *base, size_t n, unsigned lg, uint64_t cellgen) {
  char *u = (char *)base + ((size_t)1 << lg);
  uint64_t k = addr_hash(u);
  hdr *h = hdr_of(u);
  FZ_ST(h->w0, (uint64_t)n | (uint64_t)lg << 48 | tag_a(k));
  FZ_ST(h->w1, cellgen | tag_b(k));
  return u;
}

/* Writes the header of a block of n bytes whose user part starts 2^lg bytes into base,
 * attributing it (alloc.c decides) while tracking generation g on a thread fathom knows.
 * That case is out of line, so the common path keeps only n across glibc's call. */
static inline void *finish(void *base, size_t n, unsigned lg) {
  uint32_t g = FZ_LD(fz_alloc_track_);
  uint64_t cg = 0;
  if (FZ_UNLIKELY(g) && fz_tls) cg = fz_alloc_note_alloc(g, n);
  return write_hdr(base, n, lg, cg);
}

/* ---- allocations sampled by stack (allocsample.c, `fathom run --alloc`): all out of line,
 * behind one test of fz_asmp_mean_, so the hooks cost what they did without it ---------- */

/* The heap total moves by d bytes. */
static inline void heap_moved(int64_t d) {
  fz_asmp_tls *t = &fz_asmp_t_;
  t->delta += d;
  if (FZ_UNLIKELY(t->delta > FZ_ASMP_BATCH || t->delta < -FZ_ASMP_BATCH)) fz_asmp_flush();
}

/* Asked before glibc's call: the bytes to add after a block of n (FZ_ASMP_TRAILER when this
 * allocation is sampled: sampled_done records it, then counts it in the heap total; else 0,
 * and it is counted here). */
static inline size_t sample_extra(size_t n) {
  fz_asmp_tls *t = &fz_asmp_t_;
  t->left -= (int64_t)n;
  if (FZ_UNLIKELY(t->left < 0) && fz_asmp_slow(n)) return FZ_ASMP_TRAILER;
  heap_moved((int64_t)n);
  return 0;
}

/* After glibc's call: the block's user part u (NULL: glibc failed, the count is undone). */
static __attribute__((noinline)) void *sampled_note(void *u, size_t n, size_t extra) {
  if (!u) {
    if (!extra) heap_moved(-(int64_t)n);
    return NULL;
  }
  if (extra) { /* recorded first: a peak the block makes includes it */
    uint64_t tr = fz_asmp_note_alloc(n);
    if (tr) {
      memcpy((char *)u + n, &tr, sizeof tr);
      hdr *h = hdr_of(u);
      FZ_ST(h->w1, h->w1 | SAMPLED);
    }
    heap_moved((int64_t)n);
  }
  return u;
}

static inline void *sampled_done(void *u, size_t n, size_t extra) {
  return FZ_LIKELY(u && !extra) ? u : sampled_note(u, n, extra);
}

/* malloc while sampling. */
static __attribute__((noinline)) void *sampled_malloc(size_t n) {
  size_t extra = sample_extra(n);
  void *b = __libc_malloc(n + HDR + extra);
  return sampled_done(b ? finish(b, n, 4) : NULL, n, extra);
}

/* calloc (zero) or an over-aligned block (align), while sampling. */
static __attribute__((noinline)) void *sampled_alloc(size_t n, size_t align, int zero) {
  size_t extra = sample_extra(n);
  void *b = align ? __libc_memalign(align, n + align + extra)
                  : zero ? __libc_calloc(1, n + HDR + extra) : __libc_malloc(n + HDR + extra);
  unsigned lg = align ? (unsigned)__builtin_ctzll((unsigned long long)align) : 4;
  return sampled_done(b ? finish(b, n, lg) : NULL, n, extra);
}

/* A block's free while sampling: the heap total, and its stack's figures when sampled. */
static __attribute__((noinline)) void sampled_free(void *u) {
  const hdr *h = hdr_of(u);
  size_t n = hdr_size(h);
  uint64_t w1 = h->w1;
  heap_moved(-(int64_t)n);
  if (w1 & SAMPLED) {
    uint64_t tr;
    memcpy(&tr, (const char *)(h + 1) + n, sizeof tr);
    fz_asmp_note_free(tr, n);
  }
}

static inline void *plain_alloc(size_t n) {
  if (FZ_UNLIKELY(n > MAX_REQ)) {
    errno = ENOMEM;
    return NULL;
  }
  if (FZ_UNLIKELY(FZ_LD(fz_asmp_mean_))) return sampled_malloc(n);
  void *b = __libc_malloc(n + HDR);
  if (FZ_UNLIKELY(!b)) return NULL;
  return finish(b, n, 4);
}

/* A block of n bytes aligned to align (a power of two). */
static void *aligned_alloc_pow2(size_t align, size_t n) {
  if (align <= HDR) return plain_alloc(n);
  if (n > MAX_REQ || align > MAX_REQ - n) {
    errno = ENOMEM;
    return NULL;
  }
  if (FZ_UNLIKELY(FZ_LD(fz_asmp_mean_))) return sampled_alloc(n, align, 0);
  void *b = __libc_memalign(align, n + align);
  if (!b) return NULL;
  return finish(b, n, (unsigned)__builtin_ctzll((unsigned long long)align));
}

/* Forgets the attribution of block u (its header h: crediting the free to its cell) and
 * makes its header invalid, so a stale pointer to it is never taken for one of ours. */
static inline void retire(void *u, hdr *h) {
  uint64_t w1 = h->w1;
  if (w1 & CELL_GEN) fz_alloc_note_free(w1 & CELL_GEN, hdr_size(h));
  if (FZ_UNLIKELY(FZ_LD(fz_asmp_mean_))) sampled_free(u);
  FZ_ST(hdr_of(u)->w1, 0);
}

/* glibc's malloc_usable_size, for pointers it handed out directly (found on first need). */
static size_t libc_usable(void *p) {
  static size_t (*fn)(void *);
  size_t (*f)(void *) = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
  if (!f) {
    int saved = errno;
    void *lib = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    if (lib) {
      void *sym = dlsym(lib, "malloc_usable_size");
      memcpy(&f, &sym, sizeof f);
      dlclose(lib);
    }
    errno = saved;
    if (!f) return 0;
    __atomic_store_n(&fn, f, __ATOMIC_RELEASE);
  }
  return f(p);
}

/* ---- the interposed functions ------------------------------------------------------ */

FATHOM_EXTERN void *malloc(size_t n) { return plain_alloc(n); }

/* Our own malloc, whatever the process's symbol resolution says (alloc.c compares it with
 * dlsym(RTLD_DEFAULT, "malloc") to tell whether these hooks are in force). */
extern void *fz_alloc_self_malloc(size_t n)
    __attribute__((alias("malloc"), copy(malloc), visibility("hidden")));

FATHOM_EXTERN void free(void *p) {
  if (!p) return;
  hdr *h = ours(p);
  if (FZ_UNLIKELY(!h)) {
    __libc_free(p);
    return;
  }
  retire(p, h);
  __libc_free(hdr_base(hdr_of(p)));
}

FATHOM_EXTERN void *calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total) || total > MAX_REQ) {
    errno = ENOMEM;
    return NULL;
  }
  if (FZ_UNLIKELY(FZ_LD(fz_asmp_mean_))) return sampled_alloc(total, 0, 1);
  void *b = __libc_calloc(1, total + HDR);
  if (!b) return NULL;
  return finish(b, total, 4);
}

/* realloc in place of a plain block h (to n bytes) while sampling: one free, one allocation. */
static __attribute__((noinline)) void *sampled_realloc(hdr *h, size_t n) {
  size_t old = hdr_size(h);
  uint64_t w1 = h->w1, tr = 0;
  if (w1 & SAMPLED) memcpy(&tr, (char *)(h + 1) + old, sizeof tr); /* before it moves */
  size_t extra = sample_extra(n);
  FZ_ST(h->w1, 0); /* a moved block must not leave a valid header behind */
  void *b = __libc_realloc(hdr_base(h), n + HDR + extra);
  if (!b) {
    FZ_ST(h->w1, w1); /* unchanged, still ours */
    return sampled_done(NULL, n, extra);
  }
  if (w1 & CELL_GEN) fz_alloc_note_free(w1 & CELL_GEN, old);
  heap_moved(-(int64_t)old);
  if (w1 & SAMPLED) fz_asmp_note_free(tr, old);
  return sampled_done(finish(b, n, 4), n, extra);
}

FATHOM_EXTERN void *realloc(void *p, size_t n) {
  if (!p) return plain_alloc(n);
  if (n == 0) { /* glibc frees and returns NULL */
    free(p);
    return NULL;
  }
  hdr *h = ours(p);
  if (FZ_UNLIKELY(!h)) return __libc_realloc(p, n); /* glibc's block stays glibc's */
  if (n > MAX_REQ) {
    errno = ENOMEM;
    return NULL;
  }
  size_t old = hdr_size(h);
  if (hdr_lg(h) != 4) { /* over-aligned: a plain block (realloc keeps only malloc's alignment) */
    void *q = plain_alloc(n);
    if (!q) return NULL;
    memcpy(q, p, old < n ? old : n);
    retire(p, h);
    __libc_free(hdr_base(h));
    return q;
  }
  if (FZ_UNLIKELY(FZ_LD(fz_asmp_mean_))) return sampled_realloc(h, n);
  uint64_t w1 = h->w1;
  FZ_ST(h->w1, 0); /* a moved block must not leave a valid header behind */
  void *b = __libc_realloc(hdr_base(h), n + HDR);
  if (!b) {
    FZ_ST(h->w1, w1); /* unchanged, still ours */
    return NULL;
  }
  if (w1 & CELL_GEN) fz_alloc_note_free(w1 & CELL_GEN, old);
  return finish(b, n, 4);
}

FATHOM_EXTERN void *reallocarray(void *p, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc(p, total);
}

/* glibc's memalign: alignments below 16 become 16, others not a power of two are rounded up
 * to one; beyond SIZE_MAX / 2 + 1 there is none (EINVAL). */
static void *memalign_like(size_t align, size_t n) {
  if (align > SIZE_MAX / 2 + 1) {
    errno = EINVAL;
    return NULL;
  }
  if (align & (align - 1)) {
    size_t a = HDR * 2;
    while (a < align) a <<= 1;
    align = a;
  }
  return aligned_alloc_pow2(align, n);
}

FATHOM_EXTERN void *memalign(size_t align, size_t n) { return memalign_like(align, n); }

FATHOM_EXTERN void *aligned_alloc(size_t align, size_t n) { return memalign_like(align, n); }

FATHOM_EXTERN int posix_memalign(void **out, size_t align, size_t n) {
  if (align == 0 || align % sizeof(void *) != 0 || (align & (align - 1))) return EINVAL;
  int saved = errno;
  void *p = aligned_alloc_pow2(align, n);
  errno = saved;
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

static size_t page_size(void) {
  static size_t ps;
  size_t v = __atomic_load_n(&ps, __ATOMIC_RELAXED);
  if (!v) {
    int saved = errno;
    long r = sysconf(_SC_PAGESIZE);
    errno = saved;
    v = r > 0 ? (size_t)r : 4096;
    __atomic_store_n(&ps, v, __ATOMIC_RELAXED);
  }
  return v;
}

FATHOM_EXTERN void *valloc(size_t n) { return aligned_alloc_pow2(page_size(), n); }

FATHOM_EXTERN void *pvalloc(size_t n) {
  size_t ps = page_size(), r;
  if (__builtin_add_overflow(n, ps - 1, &r)) {
    errno = ENOMEM;
    return NULL;
  }
  return aligned_alloc_pow2(ps, r & ~(ps - 1));
}

/* The size asked for (a caller may use exactly that much; the statistics count it too). */
FATHOM_EXTERN size_t malloc_usable_size(void *p) {
  if (!p) return 0;
  hdr *h = ours(p);
  return h ? hdr_size(h) : libc_usable(p);
}
