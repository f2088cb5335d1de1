/* test_lock_hooks.c: the pthread lock hooks of libfathom.so (FATHOM_LOCKS=1; this test is
 * linked against the shared library): plain pthread_mutex_lock/unlock from two threads
 * taking turns (one holds while the other, told that it is held, asks) are profiled like
 * fathom_mutex_lock: every acquisition counted, some contended, waits inside what the test
 * timed around its calls, each lock named by its address and the function that took it
 * first; a condition wait is not a hold; trylock and timedlock count when they take the
 * lock; rwlock readers do not contend; errno is kept; fathom's own locks never appear.
 * In a sanitizer build (FATHOM_SANITIZE set by ctest) the sanitizer's own pthread functions
 * come first and the library has no hooks: that no lock is seen is checked instead.
 *
 * Invariant: the expected figures are the test's own ground truth; the only time relations
 * are that a wait fathom timed lies inside the one the test timed, and that a hold does not
 * include a condition wait the test timed. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fathom_load.h"
#include "testutil.h"

#define ROUNDS 12

static int sanitized(void) {
  const char *s = getenv("FATHOM_SANITIZE");
  return s && *s;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int turn, holding;
static double waited[2];

static void side(int me) {
  for (int r = 0; r < ROUNDS; r++) {
    if (r % 2 == me) {
      while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != r) sched_yield();
      pthread_mutex_lock(&m);
      __atomic_store_n(&holding, r + 1, __ATOMIC_RELEASE);
      struct timespec ts = {0, 2000000};
      nanosleep(&ts, NULL);
      pthread_mutex_unlock(&m);
    } else {
      while (__atomic_load_n(&holding, __ATOMIC_ACQUIRE) != r + 1) sched_yield();
      double t0 = now_ns();
      pthread_mutex_lock(&m);
      waited[me] += now_ns() - t0;
      pthread_mutex_unlock(&m);
      __atomic_store_n(&turn, r + 1, __ATOMIC_RELEASE);
    }
  }
}

static void *other(void *arg) {
  (void)arg;
  side(1);
  return NULL;
}

static const fathom_lock_info *lock_at(const fathom_profile *p, const void *addr) {
  char want[64];
  snprintf(want, sizeof want, "%#lx ", (unsigned long)(uintptr_t)addr);
  for (uint32_t i = 0; i < p->n_locks; i++)
    if (strstr(p->locks[i].name, want)) return &p->locks[i];
  return NULL;
}

static void test_hooks(void **state) {
  (void)state;
  setenv("FATHOM_LOCKS", "1", 1);
  assert_int_equal(fathom_session_begin("hooks", NULL), 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, other, NULL), 0);
  side(0);
  assert_int_equal(pthread_join(t, NULL), 0);
  /* a condition wait of at least 20 ms with the mutex taken around it */
  assert_int_equal(pthread_mutex_lock(&cm), 0);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += 20000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  double c0 = now_ns();
  int e;
  errno = 1234;
  while ((e = pthread_cond_timedwait(&cv, &cm, &until)) == 0) continue;
  double cwait = now_ns() - c0;
  assert_int_equal(errno, 1234);
  assert_int_equal(e, ETIMEDOUT);
  assert_int_equal(pthread_mutex_unlock(&cm), 0);
  /* trylock and timedlock take it; a failed trylock is not an acquisition */
  assert_int_equal(pthread_mutex_trylock(&cm), 0);
  assert_int_equal(pthread_mutex_unlock(&cm), 0);
  assert_int_equal(pthread_mutex_timedlock(&cm, &until), 0);
  assert_int_equal(pthread_mutex_unlock(&cm), 0);
  /* two readers at once */
  assert_int_equal(pthread_rwlock_rdlock(&rw), 0);
  assert_int_equal(pthread_rwlock_rdlock(&rw), 0);
  assert_int_equal(pthread_rwlock_unlock(&rw), 0);
  assert_int_equal(pthread_rwlock_unlock(&rw), 0);
  fathom_profile *p = end();
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  if (sanitized()) {
    /* a sanitizer's own pthread functions come first: the library has no hooks there */
    assert_int_equal(p->n_locks, 0);
    release(p);
    return;
  }
  const fathom_lock_info *l = lock_at(p, &m), *c = lock_at(p, &cm), *r = lock_at(p, &rw);
  assert_non_null(l);
  assert_non_null(c);
  assert_non_null(r);
  assert_int_equal(p->n_locks, 3);   /* the test's: none of fathom's own */
  double w = waited[0] + waited[1];
  printf("%s: %llu acquisitions, %llu contended, wait %.3f ms (test timed %.3f ms)\n", l->name,
         (unsigned long long)l->acquisitions, (unsigned long long)l->contended, l->wait_ns / 1e6,
         w / 1e6);
  assert_non_null(strstr(l->name, "first taken in side"));
  assert_int_equal(l->acquisitions, 2 * ROUNDS);
  assert_int_equal(l->holds, 2 * ROUNDS);
  assert_true(l->contended > 0 && l->contended <= ROUNDS);
  assert_true(l->wait_ns <= w && l->wait_ns >= 0.5 * w);
  assert_true(l->hold_ns >= ROUNDS * 2e6);
  /* the condition wait is not a hold */
  printf("cond: hold %.3f ms, the wait %.3f ms\n", c->hold_ns / 1e6, cwait / 1e6);
  printf("cond mutex: %llu acquisitions\n", (unsigned long long)c->acquisitions);
  assert_int_equal(c->acquisitions, 3);
  assert_true(c->hold_ns < cwait);
  assert_string_equal(r->kind, "rwlock");
  assert_int_equal(r->acquisitions, 2);
  assert_int_equal(r->read_acquisitions, 2);
  assert_int_equal(r->contended, 0);
  release(p);
}

static void test_off(void **state) {
  (void)state;
  /* FATHOM_LOCKS is read once a process: it was on above; here, no session: nothing kept */
  assert_int_equal(pthread_mutex_lock(&m), 0);
  assert_int_equal(pthread_mutex_unlock(&m), 0);
  assert_int_equal(fathom_session_begin("again", NULL), 0);
  fathom_profile *p = end();
  assert_int_equal(p->n_locks, 0);
  release(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hooks),
      cmocka_unit_test(test_off),
  };
  return cmocka_run_group_tests_name("lock_hooks", tests, NULL, NULL);
}
