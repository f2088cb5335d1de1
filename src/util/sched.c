/* sched.c: fathom's background thread and its table of periodic tasks (see sched.h). */
#include "util/sched.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fathom.h"

static const fz_sched_task *tasks[FZ_SCHED_MAX_TASKS];
static int n_tasks;   /* published with release; the thread reads it with acquire */

static struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;   /* CLOCK_MONOTONIC; signalled by stop */
  int th_valid, stop_req;
  pthread_t th;
  uint64_t cpu_ns;       /* the thread's CPU time, updated at every wake-up */
  void (*on_thread)(void);
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_mutex_t ctl = PTHREAD_MUTEX_INITIALIZER;   /* serialises start and stop */
static pthread_once_t cond_once = PTHREAD_ONCE_INIT;

static void init_cond(void) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  pthread_cond_init(&S.cond, &a);
  pthread_condattr_destroy(&a);
}

static uint64_t clock_ns(clockid_t c) {
  struct timespec ts;
  return clock_gettime(c, &ts) != 0 ? 0 : (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int fz_sched_add(const fz_sched_task *t) {
  int n = __atomic_load_n(&n_tasks, __ATOMIC_ACQUIRE);
  for (int i = 0; i < n; i++)
    if (tasks[i] == t) return 0;
  if (n >= FZ_SCHED_MAX_TASKS) return FATHOM_E_LIMIT;
  tasks[n] = t;
  __atomic_store_n(&n_tasks, n + 1, __ATOMIC_RELEASE);
  return 0;
}

int fz_sched_wanted(void) {
  int n = __atomic_load_n(&n_tasks, __ATOMIC_ACQUIRE);
  for (int i = 0; i < n; i++)
    if (tasks[i]->wanted && tasks[i]->wanted()) return 1;
  return 0;
}

void fz_sched_on_thread(void (*fn)(void)) {
  pthread_mutex_lock(&S.lock);
  S.on_thread = fn;
  pthread_mutex_unlock(&S.lock);
}

static void *sched_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&S.lock);
  void (*on_thread)(void) = S.on_thread;
  pthread_mutex_unlock(&S.lock);
  if (on_thread) on_thread();
  pthread_setname_np(pthread_self(), "fathom-bg");
  uint64_t due[FZ_SCHED_MAX_TASKS] = {0};   /* 0: not wanted at the last look */
  for (;;) {
    /* sleep until the next task is due; with none wanted, look again after FZ_SCHED_IDLE_NS
     * (a session's throughput task ticks every 100 ms, so a task wanted later waits no
     * longer than that) */
    uint64_t now = clock_ns(CLOCK_MONOTONIC), wake = UINT64_MAX;
    int n = __atomic_load_n(&n_tasks, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++) {
      const fz_sched_task *t = tasks[i];
      if (!t->wanted || !t->wanted()) {
        due[i] = 0;
        continue;
      }
      if (!due[i]) due[i] = now + (t->first_delay ? t->first_delay(now) : 0);
      if (now >= due[i]) {
        uint64_t d = t->tick(now);
        now = clock_ns(CLOCK_MONOTONIC);
        due[i] += d;
        if (due[i] <= now) due[i] = now + d;   /* fell behind: no burst of catch-up ticks */
        if (!due[i]) due[i] = 1;
      }
      if (due[i] < wake) wake = due[i];
    }
    if (wake == UINT64_MAX) wake = now + FZ_SCHED_IDLE_NS;
    uint64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    pthread_mutex_lock(&S.lock);
    S.cpu_ns = cpu;
    while (!S.stop_req && clock_ns(CLOCK_MONOTONIC) < wake) {
      struct timespec ts = {(time_t)(wake / 1000000000u), (long)(wake % 1000000000u)};
      pthread_cond_timedwait(&S.cond, &S.lock, &ts);
    }
    int stop = S.stop_req;
    pthread_mutex_unlock(&S.lock);
    if (stop) break;
  }
  uint64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  pthread_mutex_lock(&S.lock);
  S.cpu_ns = cpu;
  pthread_mutex_unlock(&S.lock);
  return NULL;
}

int fz_sched_start(char *why, unsigned why_cap) {
  int saved = errno, rc = 0;
  pthread_once(&cond_once, init_cond);
  pthread_mutex_lock(&ctl);
  pthread_mutex_lock(&S.lock);
  int busy = S.th_valid;
  if (!busy) {
    S.stop_req = 0;
    S.cpu_ns = 0;
  }
  pthread_mutex_unlock(&S.lock);
  if (!busy) {
    sigset_t all, old;   /* the thread blocks every signal */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t th;
    int e = pthread_create(&th, NULL, sched_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e == 0) {
      pthread_mutex_lock(&S.lock);
      S.th = th;
      S.th_valid = 1;
      pthread_mutex_unlock(&S.lock);
    } else {
      if (why && why_cap)
        snprintf(why, why_cap, "fathom's background thread could not start: %s", strerror(e));
      rc = e == ENOMEM || e == EAGAIN ? FATHOM_E_NOMEM : FATHOM_E_INVAL;
    }
  }
  pthread_mutex_unlock(&ctl);
  errno = saved;
  return busy ? FATHOM_E_STATE : rc;
}

void fz_sched_stop(void) {
  int saved = errno;
  pthread_mutex_lock(&ctl);
  pthread_mutex_lock(&S.lock);
  int running = S.th_valid;
  pthread_t th = S.th;
  if (running) {
    S.stop_req = 1;
    S.th_valid = 0;   /* from here fz_sched_cpu_ns reads the stored figure */
    pthread_cond_broadcast(&S.cond);
  }
  pthread_mutex_unlock(&S.lock);
  if (running) pthread_join(th, NULL);
  pthread_mutex_unlock(&ctl);
  errno = saved;
}

uint64_t fz_sched_cpu_ns(void) {
  int saved = errno;
  pthread_mutex_lock(&S.lock);
  uint64_t v = S.cpu_ns;
  clockid_t cid;
  struct timespec ts;
  if (S.th_valid && pthread_getcpuclockid(S.th, &cid) == 0 && clock_gettime(cid, &ts) == 0)
    v = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  pthread_mutex_unlock(&S.lock);
  errno = saved;
  return v;
}

void fz_sched_after_fork_child(void) {
  pthread_mutex_init(&S.lock, NULL);
  pthread_mutex_init(&ctl, NULL);
  init_cond();
  S.th_valid = 0;
  S.stop_req = 0;
  S.cpu_ns = 0;
}
