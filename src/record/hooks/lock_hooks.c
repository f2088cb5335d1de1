/* lock_hooks.c: the process's pthread mutexes and reader-writer locks when libfathom.so is
 * loaded (linked or LD_PRELOADed) and FATHOM_LOCKS=1: pthread_mutex_lock, _trylock,
 * _timedlock and _unlock, pthread_rwlock_rdlock, _wrlock and _unlock, and pthread_cond_wait
 * and _timedwait (which release the mutex while they wait: that time is not a hold). Each
 * lock is profiled as with fathom_mutex_lock (record/locks.c) under no name: the profile
 * names it by its address and the function that first took it. Built into the shared
 * library only.
 *
 * Forwarding: to glibc's exported __pthread_mutex_lock & co. (their compatibility versions,
 * bound with .symver; x86-64 and arm64 without a sanitizer only: elsewhere there are no
 * hooks), and to the
 * versions dlvsym finds next for pthread_mutex_timedlock and the condition waits (looked up
 * by the constructor, or at first use by a constructor that runs before it).
 *
 * Invariant: a hook takes and releases the lock exactly as the call it replaces and returns
 * its result; errno is kept; fathom's own calls (return address inside libfathom.so) and
 * calls made while a hook of the same thread runs are forwarded untouched, so the hooks never
 * recurse into themselves or profile fathom's own locks; no lock is taken and nothing is
 * allocated on the way. Until FATHOM_LOCKS=1 is seen at the first call while a session
 * records, a hook costs one test and a jump. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/locks.h"
#include "record/record.h"

/* In a sanitizer build the sanitizer's own pthread functions come first, and they find
 * glibc's compatibility names through their own interceptors: no hooks there. */
#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)

/* glibc's own entry points under their compatibility names (no one else defines them, so
 * these references never come back to the hooks) */
#if defined(__x86_64__)
#define FZ_GLIBC_BASE "GLIBC_2.2.5"
#else
#define FZ_GLIBC_BASE "GLIBC_2.17"
#endif
#define FZ_REAL(ret, name, args)                                                   \
  extern ret fz_real_##name args;                                                    \
  __asm__(".symver fz_real_" #name ",__pthread_" #name "@" FZ_GLIBC_BASE)
FZ_REAL(int, mutex_lock, (pthread_mutex_t * m));
FZ_REAL(int, mutex_trylock, (pthread_mutex_t * m));
FZ_REAL(int, mutex_unlock, (pthread_mutex_t * m));
FZ_REAL(int, rwlock_rdlock, (pthread_rwlock_t * l));
FZ_REAL(int, rwlock_wrlock, (pthread_rwlock_t * l));
FZ_REAL(int, rwlock_tryrdlock, (pthread_rwlock_t * l));
FZ_REAL(int, rwlock_trywrlock, (pthread_rwlock_t * l));
FZ_REAL(int, rwlock_unlock, (pthread_rwlock_t * l));
#define __pthread_mutex_lock fz_real_mutex_lock
#define __pthread_mutex_trylock fz_real_mutex_trylock
#define __pthread_mutex_unlock fz_real_mutex_unlock
#define __pthread_rwlock_rdlock fz_real_rwlock_rdlock
#define __pthread_rwlock_wrlock fz_real_rwlock_wrlock
#define __pthread_rwlock_tryrdlock fz_real_rwlock_tryrdlock
#define __pthread_rwlock_trywrlock fz_real_rwlock_trywrlock
#define __pthread_rwlock_unlock fz_real_rwlock_unlock

typedef int (*timedlock_fn)(pthread_mutex_t *, const struct timespec *);
typedef int (*condwait_fn)(pthread_cond_t *, pthread_mutex_t *);
typedef int (*condtimed_fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
static timedlock_fn real_timedlock;
static condwait_fn real_condwait;
static condtimed_fn real_condtimed;

static int state;                  /* 0: FATHOM_LOCKS not read yet; 1 on; 2 off (atomic) */
static uintptr_t self_lo, self_hi; /* libfathom.so's mapping (written by the constructor) */
static __thread int in_hook __attribute__((tls_model("initial-exec")));

#define LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

static void *next_sym(const char *name, const char *ver) {
  void *f = dlvsym(RTLD_NEXT, name, ver);
  return f ? f : dlsym(RTLD_NEXT, name);
}

static void resolve(void) {
  if (!LD(real_timedlock))
    __atomic_store_n(&real_timedlock,
                     (timedlock_fn)next_sym("pthread_mutex_timedlock", "GLIBC_2.2.5"),
                     __ATOMIC_RELAXED);
  if (!LD(real_condwait))
    __atomic_store_n(&real_condwait, (condwait_fn)next_sym("pthread_cond_wait", "GLIBC_2.3.2"),
                     __ATOMIC_RELAXED);
  if (!LD(real_condtimed))
    __atomic_store_n(&real_condtimed,
                     (condtimed_fn)next_sym("pthread_cond_timedwait", "GLIBC_2.3.2"),
                     __ATOMIC_RELAXED);
}

static int find_self(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  uintptr_t base = (uintptr_t)arg;
  if ((uintptr_t)info->dlpi_addr != base) return 0;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    uintptr_t a = base + ph->p_vaddr;
    if (a < lo) lo = a;
    if (a + ph->p_memsz > hi) hi = a + ph->p_memsz;
  }
  if (hi > lo) {
    self_lo = lo;
    self_hi = hi;
  }
  return 1;
}

__attribute__((constructor(101))) static void lock_hooks_init(void) {
  resolve();
  Dl_info di;
  if (dladdr((void *)(uintptr_t)lock_hooks_init, &di) && di.dli_fbase)
    dl_iterate_phdr(find_self, di.dli_fbase);
}

/* The generation to profile this call in, 0 to forward it untouched. */
static inline uint32_t profiled(const void *caller) {
  uint32_t g = FZ_LD(fz_rec_gen);
  if (FZ_LIKELY(!g)) return 0;
  int s = LD(state);
  if (FZ_UNLIKELY(!s)) {
    const char *e = getenv("FATHOM_LOCKS");
    s = e && e[0] == '1' && !e[1] ? 1 : 2;
    __atomic_store_n(&state, s, __ATOMIC_RELAXED);
  }
  if (s != 1 || in_hook || !self_hi) return 0;
  uintptr_t c = (uintptr_t)caller;
  return c >= self_lo && c < self_hi ? 0 : g;
}

/* A lock (shared: as a reader) through try (0 when taken) then block; the wait timed. */
#define LOCK_BODY(lock, kind, shared, try_call, block_call)                       \
  const void *pc = __builtin_return_address(0);                                     \
  uint32_t g = profiled(pc);                                                        \
  if (FZ_LIKELY(!g)) return block_call;                                             \
  int saved = errno;                                                                \
  in_hook = 1;                                                                      \
  int e = try_call;                                                                 \
  uint64_t t0 = 0, t1;                                                              \
  if (e == EBUSY) {                                                                 \
    t0 = fz_ticks();                                                                \
    e = block_call;                                                                 \
  }                                                                                 \
  if (!e) {                                                                         \
    t1 = fz_ticks();                                                                \
    fz_lock_acquired(lock, NULL, kind, shared, pc, g, t0 != 0, t0 ? t1 - t0 : 0, t1); \
  }                                                                                 \
  in_hook = 0;                                                                      \
  errno = saved;                                                                    \
  return e

FATHOM_EXTERN int pthread_mutex_lock(pthread_mutex_t *m) {
  LOCK_BODY(m, FZ_LOCK_MUTEX, 0, __pthread_mutex_trylock(m), __pthread_mutex_lock(m));
}

FATHOM_EXTERN int pthread_rwlock_rdlock(pthread_rwlock_t *l) {
  LOCK_BODY(l, FZ_LOCK_RWLOCK, 1, __pthread_rwlock_tryrdlock(l), __pthread_rwlock_rdlock(l));
}

FATHOM_EXTERN int pthread_rwlock_wrlock(pthread_rwlock_t *l) {
  LOCK_BODY(l, FZ_LOCK_RWLOCK, 0, __pthread_rwlock_trywrlock(l), __pthread_rwlock_wrlock(l));
}

static int timedlock(pthread_mutex_t *m, const struct timespec *ts) {
  timedlock_fn f = LD(real_timedlock);
  if (!f) {
    resolve();
    f = LD(real_timedlock);
  }
  return f ? f(m, ts) : ENOSYS;
}

FATHOM_EXTERN int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *ts) {
  LOCK_BODY(m, FZ_LOCK_MUTEX, 0, __pthread_mutex_trylock(m), timedlock(m, ts));
}

FATHOM_EXTERN int pthread_mutex_trylock(pthread_mutex_t *m) {
  const void *pc = __builtin_return_address(0);
  uint32_t g = profiled(pc);
  int e = __pthread_mutex_trylock(m);
  if (FZ_LIKELY(!g) || e) return e;
  int saved = errno;
  in_hook = 1;
  fz_lock_acquired(m, NULL, FZ_LOCK_MUTEX, 0, pc, g, 0, 0, fz_ticks());
  in_hook = 0;
  errno = saved;
  return 0;
}

/* Ends the calling thread's timed hold of lock (if any) around the release call. */
#define UNLOCK_BODY(lock, release_call)                                           \
  if (FZ_LIKELY(!FZ_LD(fz_rec_gen)) || in_hook) return release_call;              \
  int saved = errno;                                                              \
  int i = fz_lock_held_index(lock);                                               \
  uint64_t now = i >= 0 ? fz_ticks() : 0;                                         \
  int e = release_call;                                                           \
  if (!e && i >= 0) fz_lock_released(i, now);                                     \
  errno = saved;                                                                  \
  return e

FATHOM_EXTERN int pthread_mutex_unlock(pthread_mutex_t *m) {
  UNLOCK_BODY(m, __pthread_mutex_unlock(m));
}

FATHOM_EXTERN int pthread_rwlock_unlock(pthread_rwlock_t *l) {
  UNLOCK_BODY(l, __pthread_rwlock_unlock(l));
}

static int condwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *ts) {
  if (!LD(real_condwait) || !LD(real_condtimed)) resolve();
  if (ts) {
    condtimed_fn f = LD(real_condtimed);
    return f ? f(c, m, ts) : ENOSYS;
  }
  condwait_fn f = LD(real_condwait);
  return f ? f(c, m) : ENOSYS;
}

/* The wait releases the mutex: the hold ends when it starts, another begins when it ends. */
static int cond_hooked(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *ts) {
  if (FZ_LIKELY(!FZ_LD(fz_rec_gen)) || in_hook) return condwait(c, m, ts);
  int saved = errno;
  uint32_t g = FZ_LD(fz_rec_gen);
  int i = fz_lock_held_index(m);
  uint64_t acc = 0;
  void *r = i >= 0 ? fz_lock_suspend(i, fz_ticks(), &acc) : NULL;
  int e = condwait(c, m, ts);
  if (r) fz_lock_resume(m, r, g, fz_ticks(), acc);
  errno = saved;
  return e;
}

FATHOM_EXTERN int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
  return cond_hooked(c, m, NULL);
}

FATHOM_EXTERN int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                         const struct timespec *ts) {
  return cond_hooked(c, m, ts);
}

#endif /* x86-64, arm64, no sanitizer */
