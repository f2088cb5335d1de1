/* locks.c: lock profiling. The wrappers of fathom_locks.h (and the pthread hooks of
 * hooks/lock_hooks.c, through fz_lock_acquired and fz_lock_released) count each lock's
 * acquisitions, tell the contended ones and time their waits, time each hold, and note the
 * zone open on the thread at each wait and hold; fz_locks_fill puts the figures of a session
 * into its profile, the locks of one name added up.
 *
 * How it works: a lock is found by its address and name in a static open-addressing table (linear
 * probing, LK_SLOTS slots, at most FATHOM_LOCKS_MAX of them used, so it is never more than
 * half full); a free slot is claimed with a compare-and-swap, never freed, and its figures
 * belong to one session generation: the first thread to touch a slot in a new generation
 * zeroes them. Every figure is a relaxed atomic (sums and counts added, maxima raised by
 * compare-and-swap), so no lock is taken anywhere and concurrent threads never race. Holds
 * are timed from a small per-thread stack of the locks the thread holds (LK_HELD deep; a
 * deeper hold is not timed), so that readers of one rwlock each time their own hold.
 *
 * Invariant: only counts while a session records (fathom_recording_ != 0); never allocates,
 * never takes a lock and keeps errno on the acquisition and release paths; contended <=
 * acquisitions, and a wait or hold lands in exactly one histogram bucket. An event that
 * straddles the start of a session may be counted in it (the zeroing is not atomic with the
 * other threads' additions). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/locks.h"
#include "record/record.h"

#define LK_SLOTS 512                /* power of two, 2 x FATHOM_LOCKS_MAX */
#define LK_ZONES FATHOM_LOCK_ZONES_MAX
#define LK_HELD 16
#define LK_NAME 64
#define LK_NO_ZONE ((uintptr_t)1)   /* a wait or hold outside any zone */

typedef struct lk_zone {
  uintptr_t site;                   /* fathom_site *, LK_NO_ZONE, 0 free (claimed by CAS) */
  uint64_t n, ns;
} lk_zone;

typedef struct lk_rec {
  uintptr_t key;                    /* the lock's address mixed with its name's; 0: free */
  uintptr_t addr;                   /* the lock's address (written before named) */
  uint32_t gen;                     /* generation of the figures below */
  uint32_t kind;                    /* FZ_LOCK_MUTEX / FZ_LOCK_RWLOCK (written before named) */
  uintptr_t pc;                     /* where it was first taken (for an unnamed lock) */
  int named;                        /* 1: name (and kind, pc) written (release) */
  char name[LK_NAME];               /* "" when not given */
  uint64_t acq, contended, rd, wait_ns, wait_max, holds, hold_ns, hold_max, zdrop;
  lk_zone waiters[LK_ZONES], holders[LK_ZONES];
  uint64_t wh[FZ_LOCK_BUCKETS], hh[FZ_LOCK_BUCKETS];
} lk_rec;

typedef struct lk_held {
  const void *lock;
  lk_rec *r;
  uint64_t t0;                      /* ticks when it was taken (or got back from a condition
                                       wait) */
  uint64_t acc;                     /* ticks held before condition waits */
  uintptr_t site;                   /* the zone open then */
  uint32_t gen;
} lk_held;

static lk_rec recs[LK_SLOTS];
static uint32_t n_used;             /* slots claimed */
static uint64_t dropped;            /* acquisitions of locks that found no slot */
static uint32_t dropped_gen;
static __thread lk_held held[LK_HELD] __attribute__((tls_model("initial-exec")));
static __thread uint32_t n_held __attribute__((tls_model("initial-exec")));

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define ADD(x, v) ((void)__atomic_fetch_add(&(x), (v), __ATOMIC_RELAXED))

uint32_t fz_lock_bucket(uint64_t ns) {
  unsigned sh = 60u - (unsigned)__builtin_clzll(ns | 8);   /* top bit - 3 */
  return (uint32_t)(8u * sh + (ns >> sh));
}

double fz_lock_bucket_mid(uint32_t b) {
  if (b < 16) return b;
  unsigned sh = b / 8 - 1;
  double lo = (double)((uint64_t)(b - 8 * sh) << sh);
  return lo + ldexp(0.5, (int)sh);
}

static void raise_max(uint64_t *x, uint64_t v) {
  uint64_t cur = LD(*x);
  while (cur < v && !__atomic_compare_exchange_n(x, &cur, v, 1, __ATOMIC_RELAXED,
                                                 __ATOMIC_RELAXED))
    continue;
}

static void zero_zones(lk_zone *z) {
  for (int i = 0; i < LK_ZONES; i++) {
    ST(z[i].site, 0);
    ST(z[i].n, 0);
    ST(z[i].ns, 0);
  }
}

/* Makes r's figures generation g's (the first thread to see a new g zeroes them). */
static void own(lk_rec *r, uint32_t g) {
  uint32_t old = LD(r->gen);
  if (old == g || !__atomic_compare_exchange_n(&r->gen, &old, g, 0, __ATOMIC_RELAXED,
                                               __ATOMIC_RELAXED))
    return;
  uint64_t *f[] = {&r->acq, &r->contended, &r->rd, &r->wait_ns, &r->wait_max,
                   &r->holds, &r->hold_ns, &r->hold_max, &r->zdrop};
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) ST(*f[i], 0);
  zero_zones(r->waiters);
  zero_zones(r->holders);
  for (int i = 0; i < FZ_LOCK_BUCKETS; i++) {
    ST(r->wh[i], 0);
    ST(r->hh[i], 0);
  }
}

static void drop(uint32_t g) {
  uint32_t old = LD(dropped_gen);
  if (old != g && __atomic_compare_exchange_n(&dropped_gen, &old, g, 0, __ATOMIC_RELAXED,
                                              __ATOMIC_RELAXED))
    ST(dropped, 0);
  ADD(dropped, 1);
}

/* The record of lock (claimed on first sight), NULL when the table is full (counted). */
static lk_rec *find(const void *lock, const char *name, uint32_t kind, const void *pc,
                    uint32_t g) {
  /* the identity is the pair (address, name string): a lock destroyed and another made at
   * its address under another name is another lock */
  uintptr_t k = (uintptr_t)lock ^ (uintptr_t)((uint64_t)(uintptr_t)name * 0x9e3779b97f4a7c15ull);
  if (!k) k = 1;
  uint64_t h = (uint64_t)k * 0x9e3779b97f4a7c15ull;
  uint32_t i = (uint32_t)(h >> 40) & (LK_SLOTS - 1);
  for (uint32_t probes = 0; probes < LK_SLOTS; probes++, i = (i + 1) & (LK_SLOTS - 1)) {
    lk_rec *r = &recs[i];
    uintptr_t cur = __atomic_load_n(&r->key, __ATOMIC_ACQUIRE);
    if (cur == k) {
      own(r, g);
      return r;
    }
    if (cur) continue;
    if (__atomic_fetch_add(&n_used, 1, __ATOMIC_RELAXED) >= FATHOM_LOCKS_MAX) {
      __atomic_fetch_sub(&n_used, 1, __ATOMIC_RELAXED);
      break;
    }
    if (!__atomic_compare_exchange_n(&r->key, &cur, k, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      __atomic_fetch_sub(&n_used, 1, __ATOMIC_RELAXED);
      if (cur == k) {
        own(r, g);
        return r;
      }
      continue;
    }
    size_t n = 0;
    if (name)
      for (; name[n] && n < LK_NAME - 1; n++) r->name[n] = name[n];
    r->name[n] = 0;
    r->kind = kind;
    r->addr = (uintptr_t)lock;
    r->pc = (uintptr_t)pc;
    __atomic_store_n(&r->named, 1, __ATOMIC_RELEASE);
    own(r, g);
    return r;
  }
  drop(g);
  return NULL;
}

/* The zone open on the calling thread (LK_NO_ZONE when none). */
static uintptr_t cur_zone(uint32_t g) {
  fz_thread *t = fz_tls;
  if (t == &fz_nil_thread || t->gen != g) return LK_NO_ZONE;
  fz_entry *e = FZ_LD(t->top);
  if (!e || e == t->stack || !e->node || !e->node->site) return LK_NO_ZONE;
  return (uintptr_t)e->node->site;
}

static void zone_add(lk_rec *r, lk_zone *z, uintptr_t site, uint64_t ns) {
  for (int i = 0; i < LK_ZONES; i++) {
    uintptr_t cur = LD(z[i].site);
    if (!cur) {
      if (!__atomic_compare_exchange_n(&z[i].site, &cur, site, 0, __ATOMIC_RELAXED,
                                       __ATOMIC_RELAXED) &&
          cur != site)
        continue;
    } else if (cur != site) {
      continue;
    }
    ADD(z[i].n, 1);
    ADD(z[i].ns, ns);
    return;
  }
  ADD(r->zdrop, 1);
}

void fz_lock_acquired(const void *lock, const char *name, uint32_t kind, int shared,
                      const void *pc, uint32_t g, int waited, uint64_t wait_ticks,
                      uint64_t now) {
  lk_rec *r = find(lock, name, kind, pc, g);
  if (!r) return;
  ADD(r->acq, 1);
  if (shared) ADD(r->rd, 1);
  uintptr_t site = cur_zone(g);
  if (waited) {
    uint64_t ns = fz_ticks_to_ns(wait_ticks);
    ADD(r->contended, 1);
    ADD(r->wait_ns, ns);
    raise_max(&r->wait_max, ns);
    ADD(r->wh[fz_lock_bucket(ns)], 1);
    zone_add(r, r->waiters, site, ns);
  }
  uint32_t n = n_held;
  if (n < LK_HELD) {
    held[n] = (lk_held){lock, r, now, 0, site, g};
    n_held = n + 1;
  }
}

int fz_lock_held_index(const void *lock) {
  for (uint32_t i = n_held; i-- > 0;)
    if (held[i].lock == lock) return (int)i;
  return -1;
}

/* Takes hold i off the thread's stack into *h; 0 when it is still this session's. */
static int take(int i, uint64_t now, lk_held *h) {
  if (i < 0 || (uint32_t)i >= n_held) return -1;
  uint32_t n = n_held;
  *h = held[i];
  if ((uint32_t)i + 1 < n) memmove(&held[i], &held[i + 1], (n - (uint32_t)i - 1) * sizeof held[0]);
  n_held = n - 1;
  return h->gen != FZ_LD(fz_rec_gen) || LD(h->r->gen) != h->gen || now < h->t0 ? -1 : 0;
}

void *fz_lock_suspend(int i, uint64_t now, uint64_t *acc) {
  lk_held h;
  if (take(i, now, &h)) return NULL;
  *acc = h.acc + (now - h.t0);
  return h.r;
}

void fz_lock_released(int i, uint64_t now) {
  lk_held h;
  if (take(i, now, &h)) return;
  lk_rec *r = h.r;
  uint64_t ns = fz_ticks_to_ns(h.acc + (now - h.t0));
  ADD(r->holds, 1);
  ADD(r->hold_ns, ns);
  raise_max(&r->hold_max, ns);
  ADD(r->hh[fz_lock_bucket(ns)], 1);
  zone_add(r, r->holders, h.site, ns);
}

void fz_lock_resume(const void *lock, void *rec, uint32_t g, uint64_t now, uint64_t acc) {
  uint32_t n = n_held;
  if (!rec || g != FZ_LD(fz_rec_gen) || n >= LK_HELD) return;
  held[n] = (lk_held){lock, rec, now, acc, cur_zone(g), g};
  n_held = n + 1;
}

/* ---- the public wrappers ------------------------------------------------------------- */

FATHOM_EXTERN int fathom_mutex_lock(pthread_mutex_t *m, const char *name) {
  if (!m) return FATHOM_E_INVAL;
  int e = pthread_mutex_trylock(m);
  uint32_t g = FZ_LD(fz_rec_gen);
  if (FZ_LIKELY(e == 0)) {
    if (g)
      fz_lock_acquired(m, name, FZ_LOCK_MUTEX, 0, __builtin_return_address(0), g, 0, 0,
                       fz_ticks());
    return 0;
  }
  if (e != EBUSY) {
    errno = e;
    return FATHOM_E_INVAL;
  }
  uint64_t t0 = g ? fz_ticks() : 0;
  e = pthread_mutex_lock(m);
  if (e) {
    errno = e;
    return FATHOM_E_INVAL;
  }
  if (g) {
    uint64_t t1 = fz_ticks();
    fz_lock_acquired(m, name, FZ_LOCK_MUTEX, 0, __builtin_return_address(0), g, 1,
                     t1 > t0 ? t1 - t0 : 0, t1);
  }
  return 0;
}

FATHOM_EXTERN int fathom_mutex_unlock(pthread_mutex_t *m) {
  if (!m) return FATHOM_E_INVAL;
  int i = n_held ? fz_lock_held_index(m) : -1;
  uint64_t now = i >= 0 ? fz_ticks() : 0;
  int e = pthread_mutex_unlock(m);
  if (e) {
    errno = e;
    return FATHOM_E_INVAL;
  }
  if (i >= 0) fz_lock_released(i, now);
  return 0;
}

FATHOM_EXTERN int fathom_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
  if (!c || !m) return FATHOM_E_INVAL;
  uint32_t g = FZ_LD(fz_rec_gen);
  int i = g && n_held ? fz_lock_held_index(m) : -1;
  uint64_t acc = 0;
  void *r = i >= 0 ? fz_lock_suspend(i, fz_ticks(), &acc) : NULL;
  int e = pthread_cond_wait(c, m);
  if (r) fz_lock_resume(m, r, g, fz_ticks(), acc);
  if (e) {
    errno = e;
    return FATHOM_E_INVAL;
  }
  return 0;
}

static int rw_lock(pthread_rwlock_t *l, const char *name, int shared, const void *pc) {
  if (!l) return FATHOM_E_INVAL;
  int e = shared ? pthread_rwlock_tryrdlock(l) : pthread_rwlock_trywrlock(l);
  uint32_t g = FZ_LD(fz_rec_gen);
  if (FZ_LIKELY(e == 0)) {
    if (g) fz_lock_acquired(l, name, FZ_LOCK_RWLOCK, shared, pc, g, 0, 0, fz_ticks());
    return 0;
  }
  if (e != EBUSY) {
    errno = e;
    return FATHOM_E_INVAL;
  }
  uint64_t t0 = g ? fz_ticks() : 0;
  e = shared ? pthread_rwlock_rdlock(l) : pthread_rwlock_wrlock(l);
  if (e) {
    errno = e;
    return FATHOM_E_INVAL;
  }
  if (g) {
    uint64_t t1 = fz_ticks();
    fz_lock_acquired(l, name, FZ_LOCK_RWLOCK, shared, pc, g, 1, t1 > t0 ? t1 - t0 : 0, t1);
  }
  return 0;
}

FATHOM_EXTERN int fathom_rwlock_rdlock(pthread_rwlock_t *l, const char *name) {
  return rw_lock(l, name, 1, __builtin_return_address(0));
}

FATHOM_EXTERN int fathom_rwlock_wrlock(pthread_rwlock_t *l, const char *name) {
  return rw_lock(l, name, 0, __builtin_return_address(0));
}

FATHOM_EXTERN int fathom_rwlock_unlock(pthread_rwlock_t *l) {
  if (!l) return FATHOM_E_INVAL;
  int i = n_held ? fz_lock_held_index(l) : -1;
  uint64_t now = i >= 0 ? fz_ticks() : 0;
  int e = pthread_rwlock_unlock(l);
  if (e) {
    errno = e;
    return FATHOM_E_INVAL;
  }
  if (i >= 0) fz_lock_released(i, now);
  return 0;
}

/* ---- into the profile (model builds, under fz_g.lock) ------------------------------- */

int fz_symbolize(const void *addr, char *name, size_t cap, char *module, size_t mcap);

typedef struct lk_ref {
  uint32_t slot;
  char name[LK_NAME + 96];
} lk_ref;

static int ref_cmp(const void *a, const void *b) {
  const lk_ref *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->slot < y->slot ? -1 : x->slot > y->slot);
}

static int zone_cmp(const void *a, const void *b) {
  const fathom_lock_zone *x = a, *y = b;
  if (x->ns != y->ns) return x->ns > y->ns ? -1 : 1;
  if (x->count != y->count) return x->count > y->count ? -1 : 1;
  return strcmp(x->zone, y->zone);
}

static int lock_cmp(const void *a, const void *b) {
  const fathom_lock_info *x = a, *y = b;
  if (x->wait_ns != y->wait_ns) return x->wait_ns > y->wait_ns ? -1 : 1;
  if (x->acquisitions != y->acquisitions) return x->acquisitions > y->acquisitions ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* The value at quantile q of histogram h (n values, the largest max): the middle of its
 * bucket, at most max; NaN when empty. */
double fz_lock_pct(const uint64_t *h, uint64_t n, double q, double max) {
  if (!n) return NAN;
  uint64_t want = (uint64_t)ceil(q * (double)n), seen = 0;
  if (want < 1) want = 1;
  for (uint32_t b = 0; b < FZ_LOCK_BUCKETS; b++) {
    seen += h[b];
    if (seen >= want) {
      double v = fz_lock_bucket_mid(b);
      return v < max ? v : max;
    }
  }
  return max;
}

/* Merges the zone table z of a record into the list *v (n entries, cap c). */
static int zones_merge(fathom_lock_zone **v, uint32_t *n, uint32_t *c, const lk_zone *z) {
  for (int i = 0; i < LK_ZONES; i++) {
    uintptr_t s = LD(z[i].site);
    uint64_t cnt = LD(z[i].n);
    if (!s || !cnt) continue;
    const char *nm = s == LK_NO_ZONE ? "(no zone)" : ((const fathom_site *)s)->name;
    if (!nm) nm = "?";
    uint32_t k = 0;
    while (k < *n && strcmp((*v)[k].zone, nm)) k++;
    if (k == *n) {
      if (*n == *c) {
        uint32_t nc = *c ? *c * 2 : 8;
        fathom_lock_zone *nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return -1;
        *v = nv;
        *c = nc;
      }
      (*v)[k] = (fathom_lock_zone){strdup(nm), 0, 0};
      if (!(*v)[k].zone) return -1;
      (*n)++;
    }
    (*v)[k].count += cnt;
    (*v)[k].ns += (double)LD(z[i].ns);
  }
  return 0;
}

/* Keeps the FATHOM_LOCK_ZONES_MAX zones with most time; the counts of the rest to *drop. */
static void zones_trim(fathom_lock_zone *v, uint32_t *n, uint64_t *drop) {
  if (*n > 1) qsort(v, *n, sizeof *v, zone_cmp);
  while (*n > FATHOM_LOCK_ZONES_MAX) {
    (*n)--;
    *drop += v[*n].count;
    free(v[*n].zone);
  }
}

static int fill_one(fathom_lock_info *L, const lk_ref *refs, uint32_t n, uint64_t *wh,
                    uint64_t *hh) {
  memset(wh, 0, FZ_LOCK_BUCKETS * sizeof *wh);
  memset(hh, 0, FZ_LOCK_BUCKETS * sizeof *hh);
  uint64_t wmax = 0, hmax = 0;
  uint32_t wc = 0, hc = 0;
  L->name = strdup(refs[0].name);
  L->kind = strdup(recs[refs[0].slot].kind == FZ_LOCK_RWLOCK ? "rwlock" : "mutex");
  if (!L->name || !L->kind) return -1;
  L->n_addresses = n;
  for (uint32_t k = 0; k < n; k++) {
    lk_rec *r = &recs[refs[k].slot];
    /* contended first: a concurrent acquisition is then never missing from acquisitions */
    uint64_t cont = LD(r->contended), hl = LD(r->holds);
    L->contended += cont;
    L->acquisitions += LD(r->acq);
    L->read_acquisitions += LD(r->rd);
    L->wait_ns += (double)LD(r->wait_ns);
    L->holds += hl;
    L->hold_ns += (double)LD(r->hold_ns);
    uint64_t x = LD(r->wait_max), y = LD(r->hold_max);
    if (x > wmax) wmax = x;
    if (y > hmax) hmax = y;
    L->zones_dropped += LD(r->zdrop);
    for (int b = 0; b < FZ_LOCK_BUCKETS; b++) {
      wh[b] += LD(r->wh[b]);
      hh[b] += LD(r->hh[b]);
    }
    if (zones_merge(&L->waiters, &L->n_waiters, &wc, r->waiters) ||
        zones_merge(&L->holders, &L->n_holders, &hc, r->holders))
      return -1;
  }
  /* Threads add while this reads (a snapshot, or an acquisition that began as the session
   * ended): raise each sum to what the figures read after it hold, so that they add up. */
  uint64_t nw = 0, nh = 0, zw = 0, zh = 0;
  double zwt = 0, zht = 0;
  for (int b = 0; b < FZ_LOCK_BUCKETS; b++) {
    nw += wh[b];
    nh += hh[b];
  }
  for (uint32_t k = 0; k < L->n_waiters; k++) zw += L->waiters[k].count, zwt += L->waiters[k].ns;
  for (uint32_t k = 0; k < L->n_holders; k++) zh += L->holders[k].count, zht += L->holders[k].ns;
  if (nw > L->contended) L->contended = nw;
  if (zw > L->contended) L->contended = zw;
  if (zwt > L->wait_ns) L->wait_ns = zwt;
  if (nh > L->holds) L->holds = nh;
  if (zh > L->holds) L->holds = zh;
  if (zht > L->hold_ns) L->hold_ns = zht;
  if (L->contended > L->acquisitions) L->acquisitions = L->contended;
  if (L->holds > L->acquisitions) L->acquisitions = L->holds;
  if (L->read_acquisitions > L->acquisitions) L->read_acquisitions = L->acquisitions;
  if ((double)wmax > L->wait_ns) L->wait_ns = (double)wmax;
  if ((double)hmax > L->hold_ns) L->hold_ns = (double)hmax;
  L->wait_max_ns = (double)wmax;
  L->hold_max_ns = (double)hmax;
  /* the histograms may be a moment behind the sums: each figure is read once */
  L->wait_p50_ns = fz_lock_pct(wh, nw, 0.50, L->wait_max_ns);
  L->wait_p90_ns = fz_lock_pct(wh, nw, 0.90, L->wait_max_ns);
  L->wait_p99_ns = fz_lock_pct(wh, nw, 0.99, L->wait_max_ns);
  L->hold_p50_ns = fz_lock_pct(hh, nh, 0.50, L->hold_max_ns);
  L->hold_p90_ns = fz_lock_pct(hh, nh, 0.90, L->hold_max_ns);
  L->hold_p99_ns = fz_lock_pct(hh, nh, 0.99, L->hold_max_ns);
  if (L->wait_max_ns * (double)L->contended < L->wait_ns)
    L->wait_max_ns = L->contended ? L->wait_ns / (double)L->contended : 0;
  if (L->hold_max_ns * (double)L->holds < L->hold_ns)
    L->hold_max_ns = L->holds ? L->hold_ns / (double)L->holds : 0;
  zones_trim(L->waiters, &L->n_waiters, &L->zones_dropped);
  zones_trim(L->holders, &L->n_holders, &L->zones_dropped);
  return 0;
}

static void lock_info_free(fathom_lock_info *L) {
  free(L->name);
  free(L->kind);
  for (uint32_t i = 0; i < L->n_waiters && L->waiters; i++) free(L->waiters[i].zone);
  for (uint32_t i = 0; i < L->n_holders && L->holders; i++) free(L->holders[i].zone);
  free(L->waiters);
  free(L->holders);
}

int fz_locks_fill(fathom_profile *p, uint32_t g) {
  if (LD(dropped_gen) == g) p->locks_dropped = LD(dropped);
  lk_ref *refs = NULL;
  uint32_t n = 0;
  for (uint32_t i = 0; i < LK_SLOTS; i++) {
    lk_rec *r = &recs[i];
    if (!__atomic_load_n(&r->named, __ATOMIC_ACQUIRE) || LD(r->gen) != g || !LD(r->acq))
      continue;
    if (!refs && !(refs = calloc(FATHOM_LOCKS_MAX, sizeof *refs))) return -1;
    if (n == FATHOM_LOCKS_MAX) break;
    lk_ref *f = &refs[n++];
    f->slot = i;
    if (r->name[0]) {
      snprintf(f->name, sizeof f->name, "%s", r->name);
    } else {
      char fn[LK_NAME] = "", mod[512];
      if (r->pc) (void)fz_symbolize((const void *)r->pc, fn, sizeof fn, mod, sizeof mod);
      if (!fn[0]) snprintf(fn, sizeof fn, "?");
      snprintf(f->name, sizeof f->name, "%s %#lx (first taken in %s)",
               r->kind == FZ_LOCK_RWLOCK ? "rwlock" : "mutex", (unsigned long)r->addr, fn);
    }
  }
  if (!n) return 0;
  qsort(refs, n, sizeof *refs, ref_cmp);
  int rc = 0;
  uint64_t *wh = malloc(2 * FZ_LOCK_BUCKETS * sizeof *wh);
  fathom_lock_info *v = calloc(n, sizeof *v);
  uint32_t nv = 0;
  if (!wh || !v) rc = -1;
  for (uint32_t s = 0, e; s < n && !rc; s = e) {
    for (e = s + 1; e < n && !strcmp(refs[e].name, refs[s].name); e++) continue;
    fathom_lock_info *L = &v[nv++];
    rc = fill_one(L, refs + s, e - s, wh, wh + FZ_LOCK_BUCKETS);
  }
  if (rc) {
    for (uint32_t i = 0; v && i < nv; i++) lock_info_free(&v[i]);
    free(v);
  } else {
    qsort(v, nv, sizeof *v, lock_cmp);
    p->locks = v;
    p->n_locks = nv;
  }
  free(wh);
  free(refs);
  return rc;
}
