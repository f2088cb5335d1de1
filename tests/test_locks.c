/* test_locks.c: lock profiling (fathom_mutex_lock & co.) against what the test knows:
 *   ping-pong: two threads take turns holding mutex "pingpong" for 2 ms while the other,
 *     told that it is held, asks for it: every acquisition and every hold is counted
 *     exactly, some acquisitions are contended, the waits fathom timed lie inside the waits
 *     the test timed around its calls (and add up to at least half of them), every hold
 *     lasts at least its 2 ms sleep, and the waiting and holding zones are the threads' own;
 *   an uncontended lock: no contention, no wait, every hold counted;
 *   rwlock: readers do not contend with readers; a writer contends with a reader;
 *   an unnamed lock is named by its address and the function that took it first;
 *   fathom_cond_wait: the condition wait is not part of the hold;
 *   misuse: NULL locks and failed pthread calls are refused with errno kept; no session:
 *     the wrappers only lock; a new session starts with nothing;
 *   the profile: JSON round trip, fathom_profile_check (tampered figures caught), a bad
 *     file refused, the text report's Locks section;
 *   the cap: locks past FATHOM_LOCKS_MAX are counted as dropped (run last: the table is
 *     the process's). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fathom_load.h"
#include "testutil.h"

#define TURNS 8
#define HOLD_NS 2000000L

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void sleep_ns(long ns) {
  struct timespec ts = {0, ns};
  while (nanosleep(&ts, &ts) && errno == EINTR) continue;
}

static const fathom_lock_info *lock_named(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_locks; i++)
    if (!strcmp(p->locks[i].name, name)) return &p->locks[i];
  return NULL;
}

static const fathom_lock_zone *zone_in(const fathom_lock_zone *z, uint32_t n, const char *nm) {
  for (uint32_t i = 0; i < n; i++)
    if (!strcmp(z[i].zone, nm)) return &z[i];
  return NULL;
}

/* ---- ping-pong ---------------------------------------------------------------------- */

typedef struct pp {
  pthread_mutex_t m;
  int turn;                 /* the round under way (atomic) */
  int holding;              /* 1 + the round whose holder has the lock (atomic) */
  double waited_ns[2];      /* what each thread timed around its waiting calls */
} pp;

/* Round r: thread r % 2 holds the lock for HOLD_NS; the other, once told it is held, asks
 * for it (a wait), releases it and starts round r + 1. */
static void pp_side(pp *s, int me) {
  for (int r = 0; r < 2 * TURNS; r++) {
    if (r % 2 == me) {
      while (__atomic_load_n(&s->turn, __ATOMIC_ACQUIRE) != r) sched_yield();
      fathom_zone z = fathom_zone_begin(me ? "pong_hold" : "ping_hold", "test");
      assert_int_equal(fathom_mutex_lock(&s->m, "pingpong"), 0);
      __atomic_store_n(&s->holding, r + 1, __ATOMIC_RELEASE);
      sleep_ns(HOLD_NS);
      assert_int_equal(fathom_mutex_unlock(&s->m), 0);
      fathom_zone_end(z);
    } else {
      while (__atomic_load_n(&s->holding, __ATOMIC_ACQUIRE) != r + 1) sched_yield();
      fathom_zone z = fathom_zone_begin(me ? "pong_wait" : "ping_wait", "test");
      double t0 = now_ns();
      assert_int_equal(fathom_mutex_lock(&s->m, "pingpong"), 0);
      s->waited_ns[me] += now_ns() - t0;
      assert_int_equal(fathom_mutex_unlock(&s->m), 0);
      fathom_zone_end(z);
      __atomic_store_n(&s->turn, r + 1, __ATOMIC_RELEASE);
    }
  }
}

static void *pp_thread(void *arg) {
  pp_side(arg, 1);
  return NULL;
}

static void test_pingpong(void **state) {
  (void)state;
  pp s = {PTHREAD_MUTEX_INITIALIZER, 0, 0, {0, 0}};
  assert_int_equal(fathom_session_begin("locks", NULL), 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, pp_thread, &s), 0);
  pp_side(&s, 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  fathom_profile *p = end();
  const fathom_lock_info *l = lock_named(p, "pingpong");
  assert_non_null(l);
  /* 2 TURNS rounds of two acquisitions: one that holds, one that waits */
  uint64_t acq = 4 * TURNS;
  double waited = s.waited_ns[0] + s.waited_ns[1];
  printf("pingpong: %llu acquisitions, %llu contended, wait %.3f ms (test timed %.3f ms), "
         "hold %.3f ms, p50 %.3f ms\n", (unsigned long long)l->acquisitions,
         (unsigned long long)l->contended, l->wait_ns / 1e6, waited / 1e6, l->hold_ns / 1e6,
         l->hold_p50_ns / 1e6);
  assert_string_equal(l->kind, "mutex");
  assert_int_equal(l->n_addresses, 1);
  assert_int_equal(l->acquisitions, acq);
  assert_int_equal(l->holds, acq);
  assert_int_equal(l->read_acquisitions, 0);
  assert_true(l->contended > 0 && l->contended <= 2 * TURNS);
  assert_true(l->wait_ns <= waited);               /* timed inside the test's own interval */
  assert_true(l->wait_ns >= 0.5 * waited);
  assert_true(l->wait_max_ns <= l->wait_ns && l->wait_max_ns * (double)l->contended >= l->wait_ns);
  assert_true(l->wait_p50_ns <= l->wait_p90_ns && l->wait_p90_ns <= l->wait_p99_ns &&
              l->wait_p99_ns <= l->wait_max_ns);
  /* 2 TURNS holds of at least HOLD_NS each (their sleep) */
  assert_true(l->hold_ns >= 2.0 * TURNS * HOLD_NS);
  assert_true(l->hold_max_ns >= HOLD_NS);
  /* half the holds sleep: the 99th percentile is one of them, within the histogram's 1/16 */
  assert_true(l->hold_p99_ns >= HOLD_NS * (1 - 1.0 / 16));
  /* who waited and who held */
  const fathom_lock_zone *pw = zone_in(l->waiters, l->n_waiters, "ping_wait");
  const fathom_lock_zone *qw = zone_in(l->waiters, l->n_waiters, "pong_wait");
  assert_true(pw || qw);
  uint64_t wc = 0;
  double wt = 0;
  for (uint32_t i = 0; i < l->n_waiters; i++) {
    wc += l->waiters[i].count;
    wt += l->waiters[i].ns;
    assert_true(!strcmp(l->waiters[i].zone, "ping_wait") || !strcmp(l->waiters[i].zone, "pong_wait"));
  }
  assert_int_equal(wc, l->contended);
  assert_true(fabs(wt - l->wait_ns) <= 1);
  const fathom_lock_zone *ph = zone_in(l->holders, l->n_holders, "ping_hold");
  const fathom_lock_zone *qh = zone_in(l->holders, l->n_holders, "pong_hold");
  assert_non_null(ph);
  assert_non_null(qh);
  assert_int_equal(ph->count, TURNS);
  assert_int_equal(qh->count, TURNS);
  assert_true(ph->ns >= TURNS * HOLD_NS && qh->ns >= TURNS * HOLD_NS);
  /* the holders of a sleeping hold come first */
  assert_true(l->holders[0].ns >= l->holders[l->n_holders - 1].ns);
  assert_int_equal(l->zones_dropped, 0);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  /* the contention finding: half the session's time was a wait (16 of them, if all
   * contended), so it names the lock, its waiting and holding zones */
  const fathom_finding *fd = NULL;
  for (uint32_t i = 0; i < p->n_findings; i++)
    if (p->findings[i].cls == FATHOM_FIND_LOCK_CONTENTION) fd = &p->findings[i];
  if (l->contended >= 10) {
    assert_non_null(fd);
    printf("finding: [%s] %s: %s\n", fathom_severity_name(fd->severity), fd->path, fd->summary);
    assert_string_equal(fd->path, "lock pingpong");
    assert_non_null(strstr(fd->summary, "_wait"));
    assert_non_null(strstr(fd->summary, "held longest in ping_hold") ||
                    strstr(fd->summary, "held longest in pong_hold"));
    double share = NAN;
    for (uint32_t k = 0; k < fd->n_figures; k++)
      if (!strcmp(fd->figures[k].name, "wait_share_pct")) share = fd->figures[k].value;
    assert_true(share > 1 && share <= 100);
    assert_true(fd->severity >= FATHOM_SEV_WARNING);
    int rw = 0, shorten = 0;
    for (uint32_t k = 0; k < fd->n_suggestions; k++) {
      rw |= !!strstr(fd->suggestions[k], "pthread_rwlock_t");
      shorten |= !!strstr(fd->suggestions[k], "Shorten the critical section in p");
    }
    assert_true(rw && shorten);   /* a mutex; its holders hold it 2 ms each time */
  }

  /* JSON round trip */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  fathom_profile *q = NULL;
  char err[256];
  assert_int_equal(fathom_profile_load_buffer(buf, len, &q, err, sizeof err), 0);
  const fathom_lock_info *m = lock_named(q, "pingpong");
  assert_non_null(m);
  assert_int_equal(m->acquisitions, l->acquisitions);
  assert_int_equal(m->contended, l->contended);
  assert_true(m->wait_ns == l->wait_ns && m->hold_p50_ns == l->hold_p50_ns);
  assert_int_equal(m->n_holders, l->n_holders);
  assert_string_equal(m->holders[0].zone, l->holders[0].zone);
  assert_int_equal(fathom_profile_check(q, NULL, 0), 0);
  fathom_profile_free(q);
  /* a kind that is not a lock's is refused with its path */
  char *k = strstr(buf, "\"kind\":\"mutex\"");
  assert_non_null(k);
  memcpy(k, "\"kind\":\"mutux\"", 14);
  q = NULL;
  assert_int_not_equal(fathom_profile_load_buffer(buf, len, &q, err, sizeof err), 0);
  assert_non_null(strstr(err, "locks"));
  free(buf);

  /* the text report */
  buf = render(p, FATHOM_FORMAT_TEXT, 0);
  assert_non_null(strstr(buf, "Locks"));
  assert_non_null(strstr(buf, "pingpong:"));
  assert_non_null(strstr(buf, "held in: "));
  assert_non_null(strstr(buf, "ping_hold"));
  free(buf);

  /* tampered figures are caught */
  fathom_lock_info *x = (fathom_lock_info *)(uintptr_t)l;
  x->contended = x->acquisitions + 1;
  char msg[1024];
  assert_int_equal(fathom_profile_check(p, msg, sizeof msg), 1);
  assert_non_null(strstr(msg, "pingpong"));
  x->contended = l->acquisitions - 1;
  double p50 = x->wait_p50_ns;
  x->wait_p50_ns = x->wait_max_ns * 2 + 1;
  assert_true(fathom_profile_check(p, msg, sizeof msg) >= 1);
  x->wait_p50_ns = p50;
  release(p);
}

/* ---- uncontended, rwlock, unnamed ----------------------------------------------------- */

static void test_uncontended(void **state) {
  (void)state;
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  assert_int_equal(fathom_session_begin("solo", NULL), 0);
  for (int i = 0; i < 1000; i++) {
    assert_int_equal(fathom_mutex_lock(&m, "solo"), 0);
    assert_int_equal(fathom_mutex_unlock(&m), 0);
  }
  fathom_profile *p = end();
  const fathom_lock_info *l = lock_named(p, "solo");
  assert_non_null(l);
  assert_int_equal(l->acquisitions, 1000);
  assert_int_equal(l->contended, 0);
  assert_true(l->wait_ns == 0 && l->wait_max_ns == 0);
  assert_true(isnan(l->wait_p50_ns) && isnan(l->wait_p99_ns));
  assert_int_equal(l->holds, 1000);
  assert_int_equal(l->n_waiters, 0);
  assert_int_equal(l->n_holders, 1);
  assert_string_equal(l->holders[0].zone, "(no zone)");
  assert_int_equal(l->holders[0].count, 1000);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  for (uint32_t i = 0; i < p->n_findings; i++)
    assert_int_not_equal(p->findings[i].cls, FATHOM_FIND_LOCK_CONTENTION);
  release(p);
}

typedef struct rw {
  pthread_rwlock_t l;
  int state;                /* 1: the main thread holds it (atomic); 2: the other is done */
  int write;
} rw;

static void *rw_thread(void *arg) {
  rw *s = arg;
  while (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != 1) sched_yield();
  if (s->write) assert_int_equal(fathom_rwlock_wrlock(&s->l, "table"), 0);
  else assert_int_equal(fathom_rwlock_rdlock(&s->l, "table"), 0);
  assert_int_equal(fathom_rwlock_unlock(&s->l), 0);
  __atomic_store_n(&s->state, 2, __ATOMIC_RELEASE);
  return NULL;
}

static void test_rwlock(void **state) {
  (void)state;
  rw s = {PTHREAD_RWLOCK_INITIALIZER, 0, 0};
  assert_int_equal(fathom_session_begin("rw", NULL), 0);
  /* readers: the other reader gets it while this one holds it */
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, rw_thread, &s), 0);
  assert_int_equal(fathom_rwlock_rdlock(&s.l, "table"), 0);
  __atomic_store_n(&s.state, 1, __ATOMIC_RELEASE);
  while (__atomic_load_n(&s.state, __ATOMIC_ACQUIRE) != 2) sched_yield();
  assert_int_equal(fathom_rwlock_unlock(&s.l), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  /* a writer: waits until this reader lets go */
  s.state = 0;
  s.write = 1;
  assert_int_equal(pthread_create(&t, NULL, rw_thread, &s), 0);
  assert_int_equal(fathom_rwlock_rdlock(&s.l, "table"), 0);
  __atomic_store_n(&s.state, 1, __ATOMIC_RELEASE);
  sleep_ns(20 * 1000 * 1000);
  assert_int_equal(fathom_rwlock_unlock(&s.l), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  fathom_profile *p = end();
  const fathom_lock_info *l = lock_named(p, "table");
  assert_non_null(l);
  assert_string_equal(l->kind, "rwlock");
  assert_int_equal(l->acquisitions, 4);
  assert_int_equal(l->read_acquisitions, 3);
  assert_int_equal(l->holds, 4);
  /* the writer contended (unless it came after the 20 ms, then nobody did) */
  assert_true(l->contended <= 1);
  if (l->contended) assert_true(l->wait_ns > 0);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  release(p);
}

static void test_unnamed(void **state) {
  (void)state;
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  assert_int_equal(fathom_session_begin("unnamed", NULL), 0);
  assert_int_equal(fathom_mutex_lock(&m, NULL), 0);
  assert_int_equal(fathom_mutex_unlock(&m), 0);
  fathom_profile *p = end();
  char want[64];
  snprintf(want, sizeof want, "mutex %#lx ", (unsigned long)(uintptr_t)&m);
  int found = 0;
  for (uint32_t i = 0; i < p->n_locks; i++)
    if (!strncmp(p->locks[i].name, want, strlen(want))) {
      found = 1;
      assert_non_null(strstr(p->locks[i].name, "first taken in"));
      assert_int_equal(p->locks[i].acquisitions, 1);
    }
  assert_true(found);
  release(p);
}

/* fathom_cond_wait: the wait (the mutex released) is not part of the hold */
typedef struct cw {
  pthread_mutex_t m;
  pthread_cond_t c;
  int ready;
} cw;

static void *cw_signal(void *arg) {
  cw *s = arg;
  sleep_ns(20 * 1000 * 1000);
  assert_int_equal(fathom_mutex_lock(&s->m, "cond"), 0);
  s->ready = 1;
  pthread_cond_signal(&s->c);
  assert_int_equal(fathom_mutex_unlock(&s->m), 0);
  return NULL;
}

static void test_cond(void **state) {
  (void)state;
  cw s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
  assert_int_equal(fathom_session_begin("cond", NULL), 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, cw_signal, &s), 0);
  assert_int_equal(fathom_mutex_lock(&s.m, "cond"), 0);
  double t0 = now_ns();
  while (!s.ready) assert_int_equal(fathom_cond_wait(&s.c, &s.m), 0);
  double waited = now_ns() - t0;
  assert_int_equal(fathom_mutex_unlock(&s.m), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  assert_int_equal(fathom_cond_wait(NULL, &s.m), FATHOM_E_INVAL);
  fathom_profile *p = end();
  const fathom_lock_info *l = lock_named(p, "cond");
  assert_non_null(l);
  assert_int_equal(l->acquisitions, 2);
  assert_int_equal(l->holds, 2);
  printf("cond: holds %.3f ms in all, the condition wait %.3f ms\n", l->hold_ns / 1e6,
         waited / 1e6);
  assert_true(l->hold_ns < waited);   /* the wait (at least 20 ms) is not held */
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  release(p);
}

/* ---- misuse ------------------------------------------------------------------------- */

static void test_misuse(void **state) {
  (void)state;
  assert_int_equal(fathom_mutex_lock(NULL, "x"), FATHOM_E_INVAL);
  assert_int_equal(fathom_mutex_unlock(NULL), FATHOM_E_INVAL);
  assert_int_equal(fathom_rwlock_rdlock(NULL, "x"), FATHOM_E_INVAL);
  assert_int_equal(fathom_rwlock_wrlock(NULL, "x"), FATHOM_E_INVAL);
  assert_int_equal(fathom_rwlock_unlock(NULL), FATHOM_E_INVAL);
  /* no session: they lock and unlock */
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  assert_int_equal(fathom_mutex_lock(&m, "quiet"), 0);
  assert_int_equal(pthread_mutex_trylock(&m), EBUSY);
  assert_int_equal(fathom_mutex_unlock(&m), 0);
  assert_int_equal(pthread_mutex_trylock(&m), 0);
  assert_int_equal(pthread_mutex_unlock(&m), 0);
  /* a failed pthread call: unlocking an error-checking mutex this thread does not hold, and
   * taking it twice (ThreadSanitizer stops the program at either misuse: it is left out
   * there) */
  const char *san = getenv("FATHOM_SANITIZE");
  int tsan = san && !strcmp(san, "thread");
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_t e;
  pthread_mutex_init(&e, &a);
  assert_int_equal(fathom_session_begin("misuse", NULL), 0);
  errno = 0;
  if (!tsan) {
    assert_int_equal(fathom_mutex_unlock(&e), FATHOM_E_INVAL);
    assert_int_equal(errno, EPERM);
  }
  assert_int_equal(fathom_mutex_lock(&e, "errcheck"), 0);
  errno = 0;
  if (!tsan) {
    assert_int_equal(fathom_mutex_lock(&e, "errcheck"), FATHOM_E_INVAL);   /* EDEADLK */
    assert_int_equal(errno, EDEADLK);
  }
  assert_int_equal(fathom_mutex_unlock(&e), 0);
  fathom_profile *p = end();
  assert_null(lock_named(p, "quiet"));   /* taken with no session */
  const fathom_lock_info *l = lock_named(p, "errcheck");
  assert_non_null(l);
  assert_int_equal(l->acquisitions, 1);
  assert_int_equal(l->holds, 1);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  release(p);
  /* a new session starts with nothing */
  assert_int_equal(fathom_session_begin("again", NULL), 0);
  p = end();
  assert_int_equal(p->n_locks, 0);
  release(p);
  pthread_mutex_destroy(&e);
  pthread_mutexattr_destroy(&a);
}

/* ---- the cap (last: it fills the process's table) ----------------------------------- */

static void test_cap(void **state) {
  (void)state;
  static pthread_mutex_t ms[FATHOM_LOCKS_MAX + 10];
  for (int i = 0; i < FATHOM_LOCKS_MAX + 10; i++) pthread_mutex_init(&ms[i], NULL);
  assert_int_equal(fathom_session_begin("cap", NULL), 0);
  for (int i = 0; i < FATHOM_LOCKS_MAX + 10; i++) {
    assert_int_equal(fathom_mutex_lock(&ms[i], "many"), 0);
    assert_int_equal(fathom_mutex_unlock(&ms[i]), 0);
  }
  fathom_profile *p = end();
  const fathom_lock_info *l = lock_named(p, "many");
  assert_non_null(l);
  /* every acquisition is either counted or dropped */
  assert_true(p->locks_dropped >= 10);
  assert_int_equal(l->acquisitions + p->locks_dropped, FATHOM_LOCKS_MAX + 10);
  assert_int_equal(l->n_addresses, l->acquisitions);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  release(p);
}

static int teardown(void **state) {
  (void)state;
  for (int i = 0; i < 8; i++)
    if (held[i]) release(held[i]);
  fathom_profile *p = NULL;
  if (fathom_session_end(&p) == 0) fathom_profile_free(p);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_pingpong, teardown),
      cmocka_unit_test_teardown(test_uncontended, teardown),
      cmocka_unit_test_teardown(test_rwlock, teardown),
      cmocka_unit_test_teardown(test_unnamed, teardown),
      cmocka_unit_test_teardown(test_cond, teardown),
      cmocka_unit_test_teardown(test_misuse, teardown),
      cmocka_unit_test_teardown(test_cap, teardown),
  };
  return cmocka_run_group_tests_name("locks", tests, NULL, NULL);
}
