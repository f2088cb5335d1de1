/* autosave.c: periodic atomic saves of the profile (see autosave.h).
 *
 * How it works: the background task ticks every 100 ms. A save is due when interval_s
 * passed since the last save or, with every_ops, when the zone calls recorded (the
 * snapshot's meta.n_zones) grew by every_ops since the last save. Counting calls needs a
 * snapshot, so the ops check runs at most once per 20 snapshot durations (the check costs the
 * background thread at most ~5 % of one core), and the snapshot it took is the one saved. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "live/autosave.h"
#include "util/sched.h"
#include "live/live.h"
#include "model/model.h"
#include "view/view.h"

#define TICK_NS 100000000ull

static struct {
  int armed;               /* read by the background thread's `wanted` */
  char *path;              /* as given */
  fathom_format fmt;
  uint64_t interval_ns, every_ops;
  uint64_t last_save_ns, last_ops, next_ops_check_ns;
  int reported, forked;
  uint64_t n, errors;      /* atomics: read by fathom_live_info_get */
} A;

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void save(const fathom_profile *p) {
  char path[4096];
  fz_out_name(A.path, A.forked, path, sizeof path);
  int saved = errno;
  int r = fathom_profile_save(p, A.fmt, path);
  if (r == 0) {
    __atomic_add_fetch(&A.n, 1, __ATOMIC_RELAXED);
  } else {
    __atomic_add_fetch(&A.errors, 1, __ATOMIC_RELAXED);
    if (!A.reported) {
      A.reported = 1;
      fprintf(stderr, "fathom: autosave to %s failed: %s (%s); the program goes on\n", path,
              fathom_strerror(r), strerror(errno));
    }
  }
  errno = saved;
}

static int wanted(void) { return __atomic_load_n(&A.armed, __ATOMIC_ACQUIRE); }

static void tick_work(uint64_t now) {
  int due_time = A.interval_ns && now - A.last_save_ns >= A.interval_ns;
  int check_ops = A.every_ops && now >= A.next_ops_check_ns;
  if (!due_time && !check_ops) return;
  uint64_t t0 = mono_ns();
  fathom_profile *p = fz_live_snapshot();
  uint64_t cost = mono_ns() - t0;
  if (!p) return;
  if (check_ops) A.next_ops_check_ns = now + (20 * cost > TICK_NS ? 20 * cost : 0);
  uint64_t ops = p->meta.n_zones;
  if (ops < A.last_ops) A.last_ops = 0;   /* fathom_reset cleared the counts */
  if (due_time || (A.every_ops && ops - A.last_ops >= A.every_ops)) {
    save(p);
    A.last_save_ns = now;
    A.last_ops = ops;
  }
  fathom_profile_free(p);
}

static uint64_t tick(uint64_t now) {
  tick_work(now);
  return FZ_SCHED_IDLE_NS;
}

const fz_sched_task fz_autosave_task = {"autosave", wanted, tick, NULL};

void fz_autosave_begin(const char *path, double interval_s, uint64_t every_ops) {
  __atomic_store_n(&A.armed, 0, __ATOMIC_RELEASE);
  free(A.path);
  A.path = NULL;
  __atomic_store_n(&A.n, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&A.errors, 0, __ATOMIC_RELAXED);
  A.reported = A.forked = 0;
  if (!path || !*path) return;
  A.path = fz_strdup(path);
  if (!A.path) return;
  A.fmt = fz_format_for_path(path);
  A.interval_ns = interval_s > 0 ? (uint64_t)(interval_s * 1e9) : 0;
  if (A.interval_ns && A.interval_ns < TICK_NS) A.interval_ns = TICK_NS;
  A.every_ops = every_ops;
  A.last_save_ns = A.next_ops_check_ns = mono_ns();
  A.last_ops = 0;
  __atomic_store_n(&A.armed, 1, __ATOMIC_RELEASE);
}

void fz_autosave_end(const fathom_profile *p) {
  if (!__atomic_load_n(&A.armed, __ATOMIC_ACQUIRE)) return;
  __atomic_store_n(&A.armed, 0, __ATOMIC_RELEASE);
  if (p) save(p);
}

void fz_autosave_after_fork_child(void) { A.forked = 1; }

void fz_autosave_counts(uint64_t *n, uint64_t *errors) {
  *n = __atomic_load_n(&A.n, __ATOMIC_RELAXED);
  *errors = __atomic_load_n(&A.errors, __ATOMIC_RELAXED);
}
