/* test_alloc.c: heap allocation tracking (linked against libfathom.so, whose malloc family
 * is fathom's): the hooks behave like glibc's (contents, alignment, usable size, overflow,
 * errno), every allocation and free lands in the right zone with exact counts and bytes
 * (frees on other threads included), leaks are found by path, allocations before and after a
 * session work and are not attributed, fork while allocating, memory snapshots and the leak
 * check. Under a sanitizer (FATHOM_SANITIZE set by ctest) the sanitizer owns malloc: the
 * honest "not available" path is checked instead of the accuracy.
 *
 * Invariant: the expected figures are the test's own ground truth (known sizes and counts);
 * no assertion depends on timing; worker threads never assert (the main thread checks what
 * they recorded). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fathom.h"
#include "testutil.h"

/* glibc's own allocator, to hand the hooks a pointer they did not make */
extern void *__libc_malloc(size_t n);

/* The compiler may drop an allocation whose block is never used (free(malloc(8)) vanishes at
 * -O2): every block the tests make escapes through an empty asm, so each call really runs. */
static void *escape(void *p) {
  __asm__ volatile("" : : "r"(p) : "memory");
  return p;
}
#define malloc(n) escape((malloc)(n))
#define calloc(n, s) escape((calloc)((n), (s)))
#define realloc(p, n) escape((realloc)((p), (n)))
#define reallocarray(p, n, s) escape((reallocarray)((p), (n), (s)))
#define valloc(n) escape((valloc)(n))
#define pvalloc(n) escape((pvalloc)(n))
#define memalign(a, n) escape((memalign)((a), (n)))
#define aligned_alloc(a, n) escape((aligned_alloc)((a), (n)))

static int sanitized(void) {
  const char *s = getenv("FATHOM_SANITIZE");
  return s && *s;
}

static void begin_tracked(const char *name) {
  fathom_config c;
  fathom_config_init(&c);
  c.level = FATHOM_LEVEL_DETAILED;
  c.alloc_track = 1;
  c.monitor = 0;
  assert_int_equal(fathom_session_begin(name, &c), 0);
}

static const fathom_probe_info *probe(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_probes; i++)
    if (strcmp(p->probes[i].name, name) == 0) return &p->probes[i];
  fail_msg("probe '%s' is not in the model", name);
  return NULL;
}

/* The one node of zone `name` (on any thread). */
static const fathom_node *node1(const fathom_profile *p, const char *name) {
  uint32_t z = zidx(p, name), k = FATHOM_NONE;
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].zone == z) {
      if (k != FATHOM_NONE) fail_msg("zone '%s' has more than one node", name);
      k = i;
    }
  if (k == FATHOM_NONE) fail_msg("zone '%s' has no node", name);
  return &p->nodes[k];
}

static void check_alloc(const fathom_alloc *a, uint64_t ac, uint64_t ab, uint64_t fc,
                        uint64_t fb) {
  assert_int_equal(a->alloc_count, ac);
  assert_int_equal(a->alloc_bytes, ab);
  assert_int_equal(a->free_count, fc);
  assert_int_equal(a->free_bytes, fb);
  assert_int_equal(a->live_count, ac - fc);
  assert_int_equal(a->live_bytes, ab - fb);
}

/* A block allocated before main, freed by a test. */
static char *before_main;
__attribute__((constructor)) static void alloc_before_main(void) {
  before_main = malloc(100);
  if (before_main) memset(before_main, 7, 100);
}

/* ---- the hooks behave like glibc ---------------------------------------------------- */

static void test_libc_behaviour(void **state) {
  (void)state;
  errno = EDOM; /* successful calls leave errno alone */
  unsigned char *p = malloc(100);
  assert_non_null(p);
  assert_true(((uintptr_t)p & 15) == 0);
  assert_true(malloc_usable_size(p) >= 100);
  for (int i = 0; i < 100; i++) p[i] = (unsigned char)i;
  p = realloc(p, 10000); /* grows: contents kept */
  assert_non_null(p);
  for (int i = 0; i < 100; i++) assert_int_equal(p[i], i);
  assert_true(malloc_usable_size(p) >= 10000);
  p = realloc(p, 50); /* shrinks: contents kept */
  assert_non_null(p);
  for (int i = 0; i < 50; i++) assert_int_equal(p[i], i);
  free(p);
  free(NULL);
  assert_int_equal(malloc_usable_size(NULL), 0);

  unsigned char *z = calloc(1000, 3);
  assert_non_null(z);
  for (int i = 0; i < 3000; i++) assert_int_equal(z[i], 0);
  free(z);

  char *r = realloc(NULL, 33); /* realloc(NULL, n) is malloc(n) */
  assert_non_null(r);
  memset(r, 1, 33);
  r = reallocarray(r, 10, 100);
  assert_non_null(r);
  assert_int_equal(r[32], 1);
  free(r);
  void *m0 = malloc(0); /* a unique pointer that free accepts */
  assert_non_null(m0);
  free(m0);

  for (size_t al = 64; al <= 4096; al *= 2) {
    void *a = NULL;
    assert_int_equal(posix_memalign(&a, al, al * 3 + 5), 0);
    assert_non_null(a);
    assert_true(((uintptr_t)a & (al - 1)) == 0);
    assert_true(malloc_usable_size(a) >= al * 3 + 5);
    memset(a, 0x5a, al * 3 + 5);
    unsigned char *b = realloc(a, al * 8); /* an aligned block reallocated keeps its data */
    assert_non_null(b);
    for (size_t i = 0; i < al * 3 + 5; i++) assert_int_equal(b[i], 0x5a);
    free(b);
    void *c = aligned_alloc(al, al * 2);
    assert_non_null(c);
    assert_true(((uintptr_t)c & (al - 1)) == 0);
    free(c);
    void *d = memalign(al, 10);
    assert_non_null(d);
    assert_true(((uintptr_t)d & (al - 1)) == 0);
    free(d);
  }
  void *a8 = NULL; /* small alignments are malloc's own */
  assert_int_equal(posix_memalign(&a8, 8, 24), 0);
  assert_true(((uintptr_t)a8 & 7) == 0);
  free(a8);

  long ps = sysconf(_SC_PAGESIZE);
  void *v = valloc(100);
  assert_non_null(v);
  assert_true(((uintptr_t)v & (uintptr_t)(ps - 1)) == 0);
  free(v);
  void *pv = pvalloc(100);
  assert_non_null(pv);
  assert_true(((uintptr_t)pv & (uintptr_t)(ps - 1)) == 0);
  assert_true(malloc_usable_size(pv) >= (size_t)ps); /* rounded up to a page */
  memset(pv, 1, (size_t)ps);
  free(pv);
  assert_int_equal(errno, EDOM);

  if (sanitized()) return; /* a sanitizer reports these instead of returning an error */
  char *q = malloc(10);
  assert_non_null(q);
  assert_null(realloc(q, 0)); /* glibc: frees, returns NULL */
  void *bad = (void *)&bad;
  assert_int_equal(posix_memalign(&bad, 24, 10), EINVAL); /* not a power of two */
  assert_ptr_equal(bad, (void *)&bad);                    /* untouched */
  assert_int_equal(posix_memalign(&bad, 2, 10), EINVAL);  /* below sizeof(void *) */
  volatile size_t huge = SIZE_MAX - 8, half = SIZE_MAX / 2, quarter = SIZE_MAX / 4;
  /* through pointers: the compiler must not reason about the block after a failed call */
  void *(*volatile ra)(void *, size_t, size_t) = (reallocarray);
  void *(*volatile re)(void *, size_t) = (realloc);
  errno = 0;
  assert_null(calloc(half, 3));
  assert_int_equal(errno, ENOMEM);
  errno = 0;
  assert_null(malloc(huge));
  assert_int_equal(errno, ENOMEM);
  char *keep = malloc(8);
  assert_non_null(keep);
  strcpy(keep, "kept");
  errno = 0;
  assert_null(ra(keep, quarter, 8));
  assert_int_equal(errno, ENOMEM);
  assert_string_equal(keep, "kept"); /* a failed realloc leaves the block alone */
  errno = 0;
  assert_null(re(keep, huge - 92));
  assert_int_equal(errno, ENOMEM);
  assert_string_equal(keep, "kept");
  free(keep);
  void *big = NULL;
  assert_int_equal(posix_memalign(&big, 64, huge - 2), ENOMEM);
  errno = 0;
  assert_null(memalign(half + 2, 10));
  assert_int_equal(errno, EINVAL);
}

/* A pointer glibc made itself (no fathom header) is freed, reallocated and measured by glibc. */
static void test_foreign_pointer(void **state) {
  (void)state;
  if (sanitized()) skip();
  char *f = __libc_malloc(40);
  assert_non_null(f);
  assert_true(malloc_usable_size(f) >= 40);
  strcpy(f, "foreign");
  f = realloc(f, 4000);
  assert_non_null(f);
  assert_string_equal(f, "foreign");
  free(f);
  assert_non_null(before_main); /* allocated by a constructor, before main */
  for (int i = 0; i < 100; i++) assert_int_equal(before_main[i], 7);
  free(before_main);
  before_main = NULL;
}

/* ---- availability -------------------------------------------------------------------- */

static void test_availability(void **state) {
  (void)state;
  assert_int_equal(fathom_mem_snapshot("x"), FATHOM_E_STATE); /* no session */
  assert_int_equal(fathom_leak_check(0), FATHOM_E_STATE);
  begin_tracked("avail");
  errno = EDOM;
  int s = fathom_mem_snapshot("x"), l = fathom_leak_check(0);
  assert_int_equal(errno, EDOM);
  fathom_profile *p = end();
  const fathom_probe_info *pi = probe(p, "alloc");
  assert_non_null(pi->detail);
  assert_true(strlen(pi->detail) > 0);
  if (sanitized()) { /* the sanitizer's malloc is the process's: said so, nothing tracked */
    assert_int_equal(pi->available, 0);
    assert_non_null(strstr(pi->detail, "interposed"));
    assert_int_equal(p->meta.alloc_tracking, 0);
    assert_int_equal(s, FATHOM_E_NOTSUP);
    assert_int_equal(l, FATHOM_E_NOTSUP);
  } else {
    assert_int_equal(pi->available, 1);
    assert_int_equal(p->meta.alloc_tracking, 1);
    assert_int_equal(s, 0);
    assert_true(l >= 0);
    assert_int_equal(p->n_mem_snapshots, 1);
    assert_string_equal(p->mem_snapshots[0].label, "x");
  }
  release(p);
  /* tracking off (BASIC, alloc_track auto): the public functions say so */
  fathom_config c;
  fathom_config_init(&c);
  c.level = FATHOM_LEVEL_BASIC;
  assert_int_equal(fathom_session_begin("basic", &c), 0);
  assert_int_equal(fathom_mem_snapshot("y"), FATHOM_E_NOTSUP);
  assert_int_equal(fathom_leak_check(0), FATHOM_E_NOTSUP);
  p = end();
  assert_int_equal(p->meta.alloc_tracking, 0);
  release(p);
}

/* ---- accuracy ------------------------------------------------------------------------ */

enum { N_BLOCKS = 100 };

/* Exact counts and bytes in the zone that allocated; realloc counts as one allocation. */
static void test_zone_counts(void **state) {
  (void)state;
  if (sanitized()) skip();
  begin_tracked("counts");
  void *b[N_BLOCKS];
  uint64_t bytes = 0, freed = 0;
  {
    FATHOM_ZONE("acct", "alloc");
    for (int i = 0; i < N_BLOCKS; i++) {
      b[i] = malloc((size_t)(10 + i));
      bytes += (uint64_t)(10 + i);
    }
    for (int i = 0; i < N_BLOCKS; i += 2) {
      free(b[i]);
      freed += (uint64_t)(10 + i);
    }
  }
  {
    FATHOM_ZONE("acct_other", "alloc");
    void *c = calloc(4, 25);            /* 100 */
    void *r = realloc(NULL, 30);        /* 30 */
    r = realloc(r, 300);                /* frees 30, allocates 300 */
    void *al = NULL;
    assert_int_equal(posix_memalign(&al, 256, 64), 0); /* 64 */
    void *v = valloc(10);               /* 10 */
    free(c);
    free(r);
    free(al);
    free(v);
  }
  fathom_profile *p = end();
  check_alloc(&zone(p, "acct")->alloc_self, N_BLOCKS, bytes, N_BLOCKS / 2, freed);
  check_alloc(&zone(p, "acct")->alloc, N_BLOCKS, bytes, N_BLOCKS / 2, freed);
  check_alloc(&node1(p, "acct")->alloc_self, N_BLOCKS, bytes, N_BLOCKS / 2, freed);
  check_alloc(&zone(p, "acct_other")->alloc_self, 5, 100 + 30 + 300 + 64 + 10, 5,
              100 + 30 + 300 + 64 + 10);
  assert_int_equal(p->res.leaked_count, N_BLOCKS / 2);
  assert_int_equal(p->res.leaked_bytes, bytes - freed);
  for (int i = 1; i < N_BLOCKS; i += 2) free(b[i]); /* after the end: not counted */
}

/* Nested zones: self is the zone's own code, inclusive adds the zones inside it. */
static void test_nested(void **state) {
  (void)state;
  if (sanitized()) skip();
  begin_tracked("nested");
  void *keep[7];
  {
    FATHOM_ZONE("n_outer", "alloc");
    void *o = malloc(500);
    {
      FATHOM_ZONE("n_inner", "alloc");
      for (int i = 0; i < 7; i++) keep[i] = malloc(1000);
    }
    free(o);
  }
  fathom_profile *p = end();
  check_alloc(&zone(p, "n_outer")->alloc_self, 1, 500, 1, 500);
  check_alloc(&zone(p, "n_outer")->alloc, 8, 7500, 1, 500);
  check_alloc(&zone(p, "n_inner")->alloc_self, 7, 7000, 0, 0);
  uint32_t outer = node_under(p, "n_outer", FATHOM_NONE);
  check_alloc(&p->nodes[node_under(p, "n_inner", outer)].alloc_self, 7, 7000, 0, 0);
  for (int i = 0; i < 7; i++) free(keep[i]);
}

/* The heap's high-water mark inside a zone, every call probed: a burst of 300,000 + 200,000
 * bytes freed before the zone ends peaks 500,000 above its begin (the delta is 0); the zone
 * around it, holding 100,000 of its own, peaks at 600,000: a child's high-water mark counts
 * in its parent's. */
static void test_heap_peak(void **state) {
  (void)state;
  if (sanitized()) skip();
  fathom_config c;
  fathom_config_init(&c);
  c.level = FATHOM_LEVEL_DETAILED;
  c.alloc_track = 1;
  c.monitor = 0;
  c.governor = 0;
  c.sample_every = 1;
  assert_int_equal(fathom_session_begin("heap_peak", &c), 0);
  for (int r = 0; r < 3; r++) {
    FATHOM_ZONE("hp_outer", "alloc");
    void *a = malloc(100000);
    {
      FATHOM_ZONE("hp_burst", "alloc");
      void *b = malloc(300000), *d = malloc(200000);
      free(b);
      free(d);
      free(malloc(50000));
    }
    free(a);
  }
  {
    FATHOM_ZONE("hp_none", "alloc");   /* allocates nothing */
  }
  fathom_profile *p = end();
  assert_int_equal(zone(p, "hp_burst")->heap_peak_calls, 3);
  assert_true(zone(p, "hp_burst")->heap_peak_bytes == 500000);
  assert_int_equal(zone(p, "hp_outer")->heap_peak_calls, 3);
  assert_true(zone(p, "hp_outer")->heap_peak_bytes == 600000);
  assert_int_equal(zone(p, "hp_none")->heap_peak_calls, 1);
  assert_true(zone(p, "hp_none")->heap_peak_bytes == 0);
  check_alloc(&zone(p, "hp_burst")->alloc_self, 9, 3 * 550000, 9, 3 * 550000);
  uint32_t o = node_under(p, "hp_outer", FATHOM_NONE);
  assert_true(p->nodes[node_under(p, "hp_burst", o)].heap_peak_bytes == 500000);
  char msg[1024];
  assert_int_equal(fathom_profile_check(p, msg, sizeof msg), 0);
}

typedef struct xfer {
  void **blocks;
  int n;
  int in_zone;   /* the worker allocates in a zone of its own (and main frees) */
} xfer;

static void *free_all(void *arg) {
  xfer *x = arg;
  for (int i = 0; i < x->n; i++) free(x->blocks[i]);
  return NULL;
}

static void *alloc_in_zone(void *arg) {
  xfer *x = arg;
  FATHOM_ZONE("x_worker", "alloc");
  for (int i = 0; i < x->n; i++) x->blocks[i] = malloc(64);
  return NULL;
}

/* Frees on another thread are credited to the allocating zone; so are frees after the
 * allocating thread exited. */
static void test_cross_thread(void **state) {
  (void)state;
  if (sanitized()) skip();
  enum { N = 64 };
  void *blocks[N];
  xfer x = {blocks, N, 0};
  begin_tracked("xthread");
  {
    FATHOM_ZONE("x_main", "alloc");
    for (int i = 0; i < N; i++) blocks[i] = malloc(128);
  }
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, free_all, &x), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  void *wb[N];
  xfer w = {wb, N, 1};
  assert_int_equal(pthread_create(&th, NULL, alloc_in_zone, &w), 0);
  assert_int_equal(pthread_join(th, NULL), 0); /* the worker has exited */
  {
    FATHOM_ZONE("x_free", "alloc");
    for (int i = 0; i < N; i++) free(wb[i]); /* credited to x_worker, not to x_free */
  }
  fathom_profile *p = end();
  check_alloc(&zone(p, "x_main")->alloc_self, N, N * 128, N, N * 128);
  check_alloc(&zone(p, "x_worker")->alloc_self, N, N * 64, N, N * 64);
  check_alloc(&zone(p, "x_free")->alloc_self, 0, 0, 0, 0);
  assert_int_equal(p->res.leaked_count, 0);
}

/* Leaked blocks are found on their path with exact count and bytes; the leak check counts the
 * zones at or above its threshold. */
static void test_leaks(void **state) {
  (void)state;
  if (sanitized()) skip();
  begin_tracked("leaks");
  void *keep[10];
  int k = 0;
  {
    FATHOM_ZONE("leak_outer", "alloc");
    for (int i = 0; i < 3; i++) keep[k++] = malloc(500);
    free(malloc(9999));
    {
      FATHOM_ZONE("leak_inner", "alloc");
      for (int i = 0; i < 7; i++) keep[k++] = malloc(1000);
    }
  }
  assert_int_equal(fathom_leak_check(1), 2);
  assert_int_equal(fathom_leak_check(1500), 2);
  assert_int_equal(fathom_leak_check(1501), 1);
  assert_int_equal(fathom_leak_check(7000), 1);
  assert_int_equal(fathom_leak_check(7001), 0);
  fathom_profile *p = end();
  uint32_t outer = node_under(p, "leak_outer", FATHOM_NONE);
  uint32_t inner = node_under(p, "leak_inner", outer);
  assert_int_equal(p->nodes[outer].alloc_self.live_count, 3);
  assert_int_equal(p->nodes[outer].alloc_self.live_bytes, 1500);
  assert_int_equal(p->nodes[outer].alloc.live_count, 10);
  assert_int_equal(p->nodes[outer].alloc.live_bytes, 8500);
  assert_int_equal(p->nodes[inner].alloc_self.live_count, 7);
  assert_int_equal(p->nodes[inner].alloc_self.live_bytes, 7000);
  assert_int_equal(p->res.leaked_count, 10);
  assert_int_equal(p->res.leaked_bytes, 8500);
  for (int i = 0; i < k; i++) free(keep[i]);
}

/* Allocations before a session, outside zones, after its end and across sessions are never
 * attributed; freeing them anywhere is fine. */
static void test_outside_sessions(void **state) {
  (void)state;
  if (sanitized()) skip();
  char *before = malloc(300);
  assert_non_null(before);
  begin_tracked("s1");
  char *top = malloc(77); /* outside any zone */
  char *carried;
  {
    FATHOM_ZONE("o_zone", "alloc");
    free(before);          /* not from this session: not credited */
    carried = malloc(40);  /* freed in the next session */
  }
  fathom_profile *p = end();
  check_alloc(&zone(p, "o_zone")->alloc_self, 1, 40, 0, 0);
  assert_int_equal(p->res.leaked_count, 1);
  assert_int_equal(p->res.leaked_bytes, 40);
  release(p);
  char *after = malloc(50); /* after the end: header only */
  assert_non_null(after);
  memset(after, 3, 50);
  free(top);
  begin_tracked("s2");
  {
    FATHOM_ZONE("o_zone", "alloc");
    free(carried);  /* a block of the previous session: ignored */
    free(after);
    free(malloc(8));
  }
  p = end();
  check_alloc(&zone(p, "o_zone")->alloc_self, 1, 8, 1, 8);
  assert_int_equal(p->res.leaked_count, 0);
}

/* fathom_reset: blocks of the older generation are not counted in the new one. */
static void test_reset(void **state) {
  (void)state;
  if (sanitized()) skip();
  begin_tracked("reset");
  char *old;
  {
    FATHOM_ZONE("r_zone", "alloc");
    old = malloc(64);
  }
  assert_int_equal(fathom_reset(), 0);
  {
    FATHOM_ZONE("r_zone", "alloc");
    free(old);
    free(malloc(16));
  }
  fathom_profile *p = end();
  check_alloc(&zone(p, "r_zone")->alloc_self, 1, 16, 1, 16);
}

/* While recording is paused (fathom_set_enabled(0)) nothing is attributed, even inside a
 * zone that stays open. */
static void test_paused(void **state) {
  (void)state;
  if (sanitized()) skip();
  begin_tracked("paused");
  {
    FATHOM_ZONE("p_zone", "alloc");
    free(malloc(10));
    fathom_set_enabled(0);
    char *x = malloc(20);
    fathom_set_enabled(1);
    free(x); /* never attributed: not credited either */
  }
  fathom_profile *p = end();
  check_alloc(&zone(p, "p_zone")->alloc_self, 1, 10, 1, 10);
}

/* ---- fork while other threads allocate ----------------------------------------------- */

static int stop_churn;

static void *churn(void *arg) {
  (void)arg;
  FATHOM_ZONE("churn", "alloc");
  void *ring[16] = {0};
  unsigned i = 0;
  while (!__atomic_load_n(&stop_churn, __ATOMIC_RELAXED)) {
    free(ring[i % 16]);
    ring[i % 16] = (i & 1) ? malloc(16 + i % 200) : calloc(1, 8 + i % 100);
    i++;
  }
  for (int k = 0; k < 16; k++) free(ring[k]);
  return NULL;
}

static void test_fork(void **state) {
  (void)state;
  begin_tracked("fork");
  pthread_t th[2];
  __atomic_store_n(&stop_churn, 0, __ATOMIC_RELAXED);
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, churn, NULL), 0);
  for (int f = 0; f < 8; f++) {
    FATHOM_ZONE("forker", "alloc");
    char *mine = malloc(1000);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the child allocates, frees the parent's block and exits */
      /* a sanitizer's own allocator is not fork-safe while other threads allocate (its
       * locks are inherited held), and our hooks are not in use then: nothing to check */
      if (sanitized()) _exit(0);
      int ok = 1;
      for (int i = 0; i < 1000; i++) {
        char *c = malloc((size_t)(1 + i));
        if (!c) ok = 0;
        else c[i] = 1;
        c = realloc(c, (size_t)(2000 + i));
        if (!c) ok = 0;
        free(c);
      }
      free(mine);
      _exit(ok ? 0 : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    free(mine);
  }
  __atomic_store_n(&stop_churn, 1, __ATOMIC_RELAXED);
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  fathom_profile *p = end();
  if (!sanitized()) {
    check_alloc(&zone(p, "forker")->alloc_self, 8, 8000, 8, 8000);
    const fathom_alloc *c = &zone(p, "churn")->alloc_self;
    assert_int_equal(c->live_count, 0);
    assert_int_equal(c->alloc_count, c->free_count);
    assert_int_equal(c->alloc_bytes, c->free_bytes);
  }
}

/* ---- snapshots ----------------------------------------------------------------------- */

static const fathom_mem_snapshot_info *snapshot_named(const fathom_profile *p, const char *l) {
  for (uint32_t i = 0; i < p->n_mem_snapshots; i++)
    if (strcmp(p->mem_snapshots[i].label, l) == 0) return &p->mem_snapshots[i];
  fail_msg("snapshot '%s' is not in the model", l);
  return NULL;
}

static uint64_t snap_zone_bytes(const fathom_mem_snapshot_info *s, uint32_t z, uint64_t *count) {
  for (uint32_t i = 0; i < s->n; i++)
    if (s->zone[i] == z) {
      if (count) *count = s->zone_live_count[i];
      return s->zone_live_bytes[i];
    }
  if (count) *count = 0;
  return 0;
}

static void test_snapshots(void **state) {
  (void)state;
  if (sanitized()) skip();
  begin_tracked("snapshots");
  void *base_blk, *blk[10];
  {
    FATHOM_ZONE("snap_z", "alloc");
    base_blk = malloc(123);
  }
  assert_int_equal(fathom_mem_snapshot("a"), 0);
  {
    FATHOM_ZONE("snap_z", "alloc");
    for (int i = 0; i < 10; i++) blk[i] = malloc(1000);
  }
  assert_int_equal(fathom_mem_snapshot("b"), 0);
  assert_int_equal(fathom_mem_snapshot(NULL), FATHOM_E_INVAL);
  fathom_profile *p = end();
  assert_int_equal(p->n_mem_snapshots, 2);
  assert_int_equal(p->meta.dropped_snapshots, 0);
  const fathom_mem_snapshot_info *a = snapshot_named(p, "a"), *b = snapshot_named(p, "b");
  uint32_t z = zidx(p, "snap_z");
  uint64_t ca, cb;
  assert_int_equal(snap_zone_bytes(a, z, &ca), 123);
  assert_int_equal(ca, 1);
  assert_int_equal(snap_zone_bytes(b, z, &cb) - snap_zone_bytes(a, z, NULL), 10000);
  assert_int_equal(cb - ca, 10);
  assert_int_equal(a->live_bytes, 123);
  assert_int_equal(b->live_bytes, 10123);
  assert_int_equal(b->live_count, 11);
  assert_true(b->ts_ns >= a->ts_ns);
  assert_true(a->rss_bytes > 0);
  fathom_mem_delta d[4];
  assert_int_equal(fathom_mem_snapshot_diff(p, "a", "b", d, 4), 1);
  assert_int_equal(d[0].zone, z);
  assert_int_equal(d[0].bytes, 10000);
  assert_int_equal(d[0].count, 10);
  free(base_blk);
  for (int i = 0; i < 10; i++) free(blk[i]);
}

/* At most 256 snapshots are kept: the oldest go and are counted. */
static void test_snapshot_cap(void **state) {
  (void)state;
  if (sanitized()) skip();
  begin_tracked("snapcap");
  char label[32];
  for (int i = 0; i < 300; i++) {
    snprintf(label, sizeof label, "s%d", i);
    assert_int_equal(fathom_mem_snapshot(label), 0);
  }
  fathom_profile *p = end();
  assert_int_equal(p->n_mem_snapshots, 256);
  assert_int_equal(p->meta.dropped_snapshots, 44);
  assert_string_equal(p->mem_snapshots[0].label, "s44");
  assert_string_equal(p->mem_snapshots[255].label, "s299");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_libc_behaviour), T(test_foreign_pointer),  T(test_availability),
      T(test_zone_counts),    T(test_nested),           T(test_cross_thread),
      T(test_leaks),          T(test_outside_sessions), T(test_reset),
      T(test_paused),         T(test_fork),             T(test_snapshots),
      T(test_snapshot_cap),   T(test_heap_peak),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
