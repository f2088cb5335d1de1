/* test_threads.c: recording from several threads: exact per-thread and total counts, the
 * thread table (names, exited flags, data of exited threads kept), counters summed across
 * threads, live snapshots taken while writers record, and a session ended while threads
 * are still recording.
 *
 * Invariant: worker threads never call cmocka asserts (a failed assert longjmps, which only
 * the main thread may do): they record what they saw and the main thread checks it. No
 * assertion depends on speed: writers run fixed loops; concurrent figures are checked with
 * relations that hold at any interleaving (monotonic counts, bounds, model consistency). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fathom.h"
#include "testutil.h"

/* ---- helpers ---------------------------------------------------------------------- */

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) continue;
}

static void begin(const char *name) {
  fathom_config c;
  fathom_config_init(&c);
  test_level(&c);
  assert_int_equal(fathom_session_begin(name, &c), 0);
}

static const fathom_counter_info *counter(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_counters; i++)
    if (strcmp(p->counters[i].name, name) == 0) return &p->counters[i];
  fail_msg("counter '%s' is not in the model", name);
  return NULL;
}
static uint32_t thread_by_tid(const fathom_profile *p, uint64_t tid) {
  for (uint32_t i = 0; i < p->n_threads; i++)
    if (p->threads[i].tid == tid) return i;
  fail_msg("thread %llu is not in the model", (unsigned long long)tid);
  return FATHOM_NONE;
}
/* Calls of zone `name` recorded on model thread th (FATHOM_NONE: all threads). */
static uint64_t calls_on(const fathom_profile *p, const char *name, uint32_t th) {
  uint32_t z = zidx(p, name);
  uint64_t n = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++)
    if (p->nodes[i].zone == z && (th == FATHOM_NONE || p->nodes[i].thread == th))
      n += p->nodes[i].stats.count;
  return n;
}

/* Structure of any model, live or final: indices in range, parents first, depths, and the
 * roll-ups (zone counts, thread counts, meta count) agree with the nodes. Returns a message
 * (static) or NULL, so reader threads can use it without asserting. */
static const char *model_problem(const fathom_profile *p) {
  static __thread char msg[200];
  uint64_t total = 0;
  for (uint32_t i = 0; i < p->n_nodes; i++) {
    const fathom_node *n = &p->nodes[i];
    if (n->zone >= p->n_zones || n->thread >= p->n_threads) return "node index out of range";
    if (n->parent != FATHOM_NONE) {
      if (n->parent >= i) return "a child precedes its parent";
      if (n->depth != p->nodes[n->parent].depth + 1) return "depth != parent depth + 1";
      if (n->thread != p->nodes[n->parent].thread) return "child on another thread";
    } else if (n->depth != 1) {
      return "top-level node with depth != 1";
    }
    total += n->stats.count;
  }
  if (total != p->meta.n_zones) {
    snprintf(msg, sizeof msg, "meta.n_zones %llu != sum of node counts %llu",
             (unsigned long long)p->meta.n_zones, (unsigned long long)total);
    return msg;
  }
  for (uint32_t z = 0; z < p->n_zones; z++) {
    uint64_t c = 0;
    for (uint32_t i = 0; i < p->n_nodes; i++)
      if (p->nodes[i].zone == z) c += p->nodes[i].stats.count;
    if (c != p->zones[z].stats.count) return "zone count != sum of its nodes";
  }
  for (uint32_t t = 0; t < p->n_threads; t++) {
    uint64_t c = 0;
    for (uint32_t i = 0; i < p->n_nodes; i++)
      if (p->nodes[i].thread == t) c += p->nodes[i].stats.count;
    if (c != p->threads[t].n_zones) {
      snprintf(msg, sizeof msg, "thread %u: n_zones %llu != sum of its nodes %llu", t,
               (unsigned long long)p->threads[t].n_zones, (unsigned long long)c);
      return msg;
    }
  }
  return NULL;
}
static void check_model(const fathom_profile *p) {
  const char *m = model_problem(p);
  if (m) fail_msg("model: %s", m);
}

/* ---- N threads, K nested zones each --------------------------------------------------- */

enum { K = 2000 };

typedef struct worker {
  int idx;
  uint64_t tid;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  char name[16];
  snprintf(name, sizeof name, "w%d", w->idx);
  pthread_setname_np(pthread_self(), name);
  w->tid = (uint64_t)syscall(SYS_gettid);
  for (int i = 0; i < K; i++) {
    FATHOM_ZONE("thr_outer", "threads");
    { FATHOM_ZONE("thr_inner", "threads"); }
    fathom_counter_add("thr.count", 1);
    fathom_counter_add("thr.sum", i);
  }
  return NULL;
}

static void run_threads(int n) {
  worker w[8];
  pthread_t th[8];
  begin("threads");
  for (int i = 0; i < n; i++) {
    w[i] = (worker){i, 0};
    assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
  }
  for (int i = 0; i < n; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_non_null(p);
  check_model(p);
  assert_int_equal(p->n_threads, n); /* the main thread recorded nothing */
  assert_int_equal(p->meta.n_zones, (uint64_t)2 * n * K);
  assert_int_equal(zone(p, "thr_outer")->stats.count, (uint64_t)n * K);
  assert_int_equal(zone(p, "thr_inner")->stats.count, (uint64_t)n * K);
  for (int i = 0; i < n; i++) {
    uint32_t t = thread_by_tid(p, w[i].tid);
    char name[16];
    snprintf(name, sizeof name, "w%d", i);
    assert_string_equal(p->threads[t].name, name);
    assert_int_equal(p->threads[t].exited, 1); /* joined: exited, its data kept */
    assert_int_equal(p->threads[t].n_open, 0);
    assert_int_equal(p->threads[t].n_dropped, 0);
    assert_int_equal(p->threads[t].n_zones, 2 * K);
    assert_int_equal(calls_on(p, "thr_outer", t), K);
    assert_int_equal(calls_on(p, "thr_inner", t), K);
    /* one call path per thread: outer at the top, inner under it */
    uint32_t outer = FATHOM_NONE, nodes = 0;
    for (uint32_t k = 0; k < p->n_nodes; k++) {
      if (p->nodes[k].thread != t) continue;
      nodes++;
      if (p->nodes[k].parent == FATHOM_NONE) outer = k;
    }
    assert_int_equal(nodes, 2);
    assert_int_not_equal(outer, FATHOM_NONE);
    assert_int_equal(p->nodes[outer].zone, zidx(p, "thr_outer"));
  }
  const fathom_counter_info *c = counter(p, "thr.count"), *s = counter(p, "thr.sum");
  assert_int_equal(c->n_updates, (uint64_t)n * K);
  assert_int_equal((uint64_t)c->value, (uint64_t)n * K);
  assert_int_equal(s->n_updates, (uint64_t)n * K);
  assert_int_equal((uint64_t)s->value, (uint64_t)n * K * (K - 1) / 2);
  assert_int_equal((uint64_t)s->min, 0);
  assert_int_equal((uint64_t)s->max, K - 1);
  fathom_profile_free(p);
}

static void test_2_threads(void **state) { (void)state; run_threads(2); }
static void test_4_threads(void **state) { (void)state; run_threads(4); }
static void test_8_threads(void **state) { (void)state; run_threads(8); }

/* ---- exited and live threads in one profile ------------------------------------------ */

static pthread_mutex_t gate_mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_recorded, gate_open;

static void *lingering(void *arg) {
  *(uint64_t *)arg = (uint64_t)syscall(SYS_gettid);
  for (int i = 0; i < 10; i++) {
    FATHOM_ZONE("linger", "threads");
  }
  pthread_mutex_lock(&gate_mx);
  gate_recorded = 1;
  pthread_cond_broadcast(&gate_cv);
  while (!gate_open) pthread_cond_wait(&gate_cv, &gate_mx);
  pthread_mutex_unlock(&gate_mx);
  return NULL;
}
static void *short_lived(void *arg) {
  *(uint64_t *)arg = (uint64_t)syscall(SYS_gettid);
  for (int i = 0; i < 7; i++) {
    FATHOM_ZONE("short", "threads");
  }
  return NULL;
}

static void test_exited_and_live(void **state) {
  (void)state;
  uint64_t tid_live = 0, tid_gone = 0;
  pthread_t a, b;
  gate_recorded = gate_open = 0;
  begin("exited");
  assert_int_equal(pthread_create(&a, NULL, lingering, &tid_live), 0);
  assert_int_equal(pthread_create(&b, NULL, short_lived, &tid_gone), 0);
  assert_int_equal(pthread_join(b, NULL), 0);
  pthread_mutex_lock(&gate_mx);
  while (!gate_recorded) pthread_cond_wait(&gate_cv, &gate_mx);
  pthread_mutex_unlock(&gate_mx);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  pthread_mutex_lock(&gate_mx);
  gate_open = 1;
  pthread_cond_broadcast(&gate_cv);
  pthread_mutex_unlock(&gate_mx);
  assert_int_equal(pthread_join(a, NULL), 0);
  check_model(p);
  assert_int_equal(p->n_threads, 2);
  uint32_t live = thread_by_tid(p, tid_live), gone = thread_by_tid(p, tid_gone);
  assert_int_equal(p->threads[live].exited, 0);
  assert_int_equal(p->threads[gone].exited, 1);
  assert_int_equal(calls_on(p, "linger", live), 10);
  assert_int_equal(calls_on(p, "short", gone), 7);
  fathom_profile_free(p);
  /* the next session frees the exited threads' data: nothing else changes */
  begin("after");
  { FATHOM_ZONE("after", "threads"); }
  assert_int_equal(fathom_session_end(&p), 0);
  check_model(p);
  assert_int_equal(p->n_threads, 1);
  assert_int_equal(zone(p, "after")->stats.count, 1);
  fathom_profile_free(p);
}

/* ---- live snapshots while writers record ---------------------------------------------- */

/* Writers record until the reader has taken SNAPS snapshots (at least 1000 iterations,
 * at most MAX_ITERS), so snapshots overlap recording whatever the speed. The reader's count
 * is read relaxed: no happens-before edge hides a race from ThreadSanitizer. */
enum { WRITERS = 4, SNAPS = 20, MAX_ITERS = 2000000 };
static int writers_done, reader_started, reader_snaps;
static uint64_t written[WRITERS], written_tid[WRITERS];

static void *snap_writer(void *arg) {
  uint64_t *n = arg;
  written_tid[n - written] = (uint64_t)syscall(SYS_gettid);
  while (!__atomic_load_n(&reader_started, __ATOMIC_ACQUIRE)) sched_yield();
  do {
    FATHOM_ZONE("snap_outer", "threads");
    { FATHOM_ZONE("snap_inner", "threads"); }
    fathom_counter_add("snap.count", 1);
  } while (++*n < 1000 ||
           (__atomic_load_n(&reader_snaps, __ATOMIC_RELAXED) < SNAPS && *n < MAX_ITERS));
  return NULL;
}

typedef struct reader_result {
  int n_snaps, null_snaps;
  char problem[256];
} reader_result;

static void *snap_reader(void *arg) {
  reader_result *r = arg;
  uint64_t last_outer = 0, last_inner = 0, last_zones = 0;
  double last_counter = 0;
  do {
    fathom_profile *p = fathom_snapshot();
    __atomic_store_n(&reader_started, 1, __ATOMIC_RELEASE);
    if (!p) {
      r->null_snaps++;
      continue;
    }
    __atomic_store_n(&reader_snaps, ++r->n_snaps, __ATOMIC_RELAXED);
    const char *m = model_problem(p);
    uint64_t outer = calls_on(p, "snap_outer", FATHOM_NONE);
    uint64_t inner = calls_on(p, "snap_inner", FATHOM_NONE);
    double cv = 0;
    for (uint32_t i = 0; i < p->n_counters; i++)
      if (strcmp(p->counters[i].name, "snap.count") == 0) cv = p->counters[i].value;
    if (m && !r->problem[0])
      snprintf(r->problem, sizeof r->problem, "snapshot %d: %s", r->n_snaps, m);
    if ((outer < last_outer || inner < last_inner || p->meta.n_zones < last_zones ||
         cv < last_counter) && !r->problem[0])
      snprintf(r->problem, sizeof r->problem,
               "snapshot %d went backwards: outer %llu -> %llu, inner %llu -> %llu, "
               "zones %llu -> %llu, counter %g -> %g", r->n_snaps,
               (unsigned long long)last_outer, (unsigned long long)outer,
               (unsigned long long)last_inner, (unsigned long long)inner,
               (unsigned long long)last_zones, (unsigned long long)p->meta.n_zones,
               last_counter, cv);
    last_outer = outer;
    last_inner = inner;
    last_zones = p->meta.n_zones;
    last_counter = cv;
    fathom_profile_free(p);
  } while (!__atomic_load_n(&writers_done, __ATOMIC_ACQUIRE));
  return NULL;
}

static void test_live_snapshots(void **state) {
  (void)state;
  pthread_t w[WRITERS], rd;
  reader_result res;
  memset(&res, 0, sizeof res);
  writers_done = reader_started = reader_snaps = 0;
  memset(written, 0, sizeof written);
  memset(written_tid, 0, sizeof written_tid);
  begin("snapshots");
  assert_int_equal(pthread_create(&rd, NULL, snap_reader, &res), 0);
  for (int i = 0; i < WRITERS; i++)
    assert_int_equal(pthread_create(&w[i], NULL, snap_writer, &written[i]), 0);
  for (int i = 0; i < WRITERS; i++) assert_int_equal(pthread_join(w[i], NULL), 0);
  __atomic_store_n(&writers_done, 1, __ATOMIC_RELEASE);
  assert_int_equal(pthread_join(rd, NULL), 0);
  if (res.problem[0]) fail_msg("%s", res.problem);
  assert_int_equal(res.null_snaps, 0);
  assert_in_range(res.n_snaps, 1, UINT32_MAX);
  uint64_t total = 0;
  for (int i = 0; i < WRITERS; i++) total += written[i];
  /* everything has been recorded: a snapshot now is exact */
  fathom_profile *p = fathom_snapshot();
  assert_non_null(p);
  check_model(p);
  assert_int_equal(calls_on(p, "snap_outer", FATHOM_NONE), total);
  assert_int_equal(calls_on(p, "snap_inner", FATHOM_NONE), total);
  assert_int_equal((uint64_t)counter(p, "snap.count")->value, total);
  fathom_profile_free(p);
  assert_int_equal(fathom_session_end(&p), 0);
  check_model(p);
  assert_int_equal(p->n_threads, WRITERS); /* the reader recorded nothing */
  for (int i = 0; i < WRITERS; i++) /* each writer's own count, on its own thread */
    assert_int_equal(calls_on(p, "snap_outer", thread_by_tid(p, written_tid[i])), written[i]);
  fathom_profile_free(p);
}

/* ---- the session ends while threads record --------------------------------------------- */

typedef struct busy {
  uint64_t tid;
  uint64_t outer_ok, inner_ok, adds_ok; /* calls that returned 0 */
  uint64_t loops;
  int after_null, after_add_rc, after_end_rc; /* probes made once the session has ended */
} busy;
static int busy_stop;

static void *busy_main(void *arg) {
  busy *b = arg;
  b->tid = (uint64_t)syscall(SYS_gettid);
  while (!__atomic_load_n(&busy_stop, __ATOMIC_ACQUIRE)) {
    fathom_zone o = fathom_zone_begin("busy_outer", "threads");
    fathom_zone i = fathom_zone_begin("busy_inner", "threads");
    b->inner_ok += fathom_zone_end(i) == 0;
    b->outer_ok += fathom_zone_end(o) == 0;
    b->adds_ok += fathom_counter_add("busy.count", 1) == 0;
    __atomic_store_n(&b->loops, b->loops + 1, __ATOMIC_RELAXED);
  }
  /* the session ended before busy_stop was set: fathom is inactive now */
  fathom_zone z = fathom_zone_begin("busy_after", "threads");
  b->after_null = z.tag_ == 0;
  b->after_end_rc = fathom_zone_end(z);
  b->after_add_rc = fathom_counter_add("busy.count", 1);
  return NULL;
}

static void test_end_while_recording(void **state) {
  (void)state;
  busy b[4];
  pthread_t th[4];
  memset(b, 0, sizeof b);
  busy_stop = 0;
  begin("busy");
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, busy_main, &b[i]), 0);
  /* let every thread record for a while: wait for progress, not for time */
  for (int i = 0; i < 4; i++)
    while (__atomic_load_n(&b[i].loops, __ATOMIC_RELAXED) < 100) sleep_ms(1);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  sleep_ms(5); /* they go on calling fathom with no session */
  __atomic_store_n(&busy_stop, 1, __ATOMIC_RELEASE);
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  assert_non_null(p);
  check_model(p);
  assert_int_equal(p->n_threads, 4);
  uint64_t outer_sum = 0;
  for (int i = 0; i < 4; i++) {
    uint32_t t = thread_by_tid(p, b[i].tid);
    uint64_t outer = calls_on(p, "busy_outer", t), inner = calls_on(p, "busy_inner", t);
    /* at least one call (each thread ran 100 loops first), at most what it saw succeed */
    assert_in_range(outer, 1, b[i].outer_ok);
    assert_in_range(inner, 1, b[i].inner_ok);
    assert_in_range(p->threads[t].exited, 0, 1);
    outer_sum += outer;
    assert_int_equal(b[i].after_null, 1);        /* no zone after the end */
    assert_int_equal(b[i].after_end_rc, FATHOM_E_ENDED);
    assert_int_equal(b[i].after_add_rc, FATHOM_E_STATE);
  }
  assert_int_equal(zone(p, "busy_outer")->stats.count, outer_sum);
  assert_int_equal(zidx(p, "busy_after"), FATHOM_NONE);
  double added = 0;
  for (int i = 0; i < 4; i++) added += (double)b[i].adds_ok;
  assert_in_range((uint64_t)counter(p, "busy.count")->value, 1, (uint64_t)added);
  fathom_profile_free(p);
  /* a new session afterwards starts clean */
  begin("after-busy");
  { FATHOM_ZONE("clean", "threads"); }
  assert_int_equal(fathom_session_end(&p), 0);
  check_model(p);
  assert_int_equal(p->meta.n_zones, 1);
  assert_int_equal(zidx(p, "busy_outer"), FATHOM_NONE);
  fathom_profile_free(p);
}

/* ---- publication of first uses ----------------------------------------------------------
 * A site registered, or a counter shard created, by one thread must be safely visible to
 * another that reads it without taking a lock. Flags here are relaxed atomics on purpose:
 * they order the steps without adding the happens-before edges the library must provide. */

static int pub_flag, pub_done;
static pthread_barrier_t pub_barrier;

static void pub_site_zone(void) { FATHOM_ZONE("pub_site", "threads"); }

static void *pub_registrar(void *arg) {
  (void)arg;
  pthread_barrier_wait(&pub_barrier);
  pub_site_zone(); /* registers the site */
  fathom_counter_add("pub.count", 1); /* creates this thread's counter shard */
  __atomic_store_n(&pub_flag, 1, __ATOMIC_RELAXED);
  while (!__atomic_load_n(&pub_done, __ATOMIC_RELAXED)) sched_yield();
  return NULL;
}
static void *pub_user(void *arg) {
  (void)arg;
  { FATHOM_ZONE("pub_own", "threads"); } /* this thread is known before the barrier */
  pthread_barrier_wait(&pub_barrier);
  while (!__atomic_load_n(&pub_flag, __ATOMIC_RELAXED)) sched_yield();
  pub_site_zone(); /* the site is registered by now: used without the lock */
  return NULL;
}

static void test_first_use_publication(void **state) {
  (void)state;
  pthread_t a, b;
  pub_flag = pub_done = 0;
  assert_int_equal(pthread_barrier_init(&pub_barrier, NULL, 2), 0);
  begin("publication");
  assert_int_equal(pthread_create(&a, NULL, pub_registrar, NULL), 0);
  assert_int_equal(pthread_create(&b, NULL, pub_user, NULL), 0);
  while (!__atomic_load_n(&pub_flag, __ATOMIC_RELAXED)) sched_yield();
  fathom_profile *snap = fathom_snapshot(); /* reads the registrar's new shard */
  assert_non_null(snap);
  fathom_profile_free(snap);
  __atomic_store_n(&pub_done, 1, __ATOMIC_RELAXED);
  assert_int_equal(pthread_join(a, NULL), 0);
  assert_int_equal(pthread_join(b, NULL), 0);
  pthread_barrier_destroy(&pub_barrier);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  check_model(p);
  assert_int_equal(zone(p, "pub_site")->stats.count, 2);
  assert_int_equal((uint64_t)counter(p, "pub.count")->value, 1);
  fathom_profile_free(p);
}

/* ---- timeline events of batched zones ------------------------------------------------ */

/* A zone's end batches its timeline event with its histogram sample (up to 32 zones); the
 * events of zones still in a batch when the session ends must be in the model too, each
 * once, with its own thread and depth, and within the trace's event cap. */
typedef struct tl_arg { int n; } tl_arg;
static void *tl_main(void *arg) {
  tl_arg *a = arg;
  for (int i = 0; i < a->n; i++) {
    FATHOM_ZONE("tl_outer", "t");
    FATHOM_ZONE("tl_inner", "t");
  }
  return NULL;
}

static void timeline_run(uint64_t cap, const int *per_thread, int k, fathom_profile **out) {
  fathom_config c;
  fathom_config_init(&c);
  c.level = FATHOM_LEVEL_BASIC;
  c.timeline = 1;
  c.governor = 0;
  if (cap) c.max_trace_events = cap;
  assert_int_equal(fathom_session_begin("timeline_batches", &c), 0);
  pthread_t th[4];
  tl_arg a[4];
  for (int i = 0; i < k; i++) {
    a[i].n = per_thread[i];
    assert_int_equal(pthread_create(&th[i], NULL, tl_main, &a[i]), 0);
  }
  for (int i = 0; i < k; i++) pthread_join(th[i], NULL);
  assert_int_equal(fathom_session_end(out), 0);
  assert_non_null(*out);
}

static void test_timeline_batches(void **state) {
  (void)state;
  const int per[3] = {1, 37, 69};   /* 2, 74, 138 zones: none a multiple of the batch */
  fathom_profile *p = NULL;
  timeline_run(0, per, 3, &p);
  uint64_t zones = 0;
  for (uint32_t i = 0; i < p->n_zones; i++) zones += p->zones[i].stats.count;
  assert_int_equal(zones, 2 * (1 + 37 + 69));
  assert_int_equal(p->meta.dropped_events, 0);
  assert_int_equal(p->n_events, zones);
  uint64_t by_thread[8] = {0}, outer = 0, inner = 0;
  for (uint64_t i = 0; i < p->n_events; i++) {
    const fathom_event *e = &p->events[i];
    assert_true(e->thread < p->n_threads);
    by_thread[e->thread]++;
    const char *name = p->zones[e->zone].name;
    if (strcmp(name, "tl_outer") == 0) {
      assert_int_equal(e->depth, 1);
      outer++;
    } else {
      assert_string_equal(name, "tl_inner");
      assert_int_equal(e->depth, 2);
      inner++;
    }
  }
  assert_int_equal(outer, 1 + 37 + 69);
  assert_int_equal(inner, 1 + 37 + 69);
  /* each thread's events are its own zones */
  for (uint32_t t = 0; t < p->n_threads; t++) assert_int_equal(by_thread[t], p->threads[t].n_zones);
  fathom_profile_free(p);

  /* a cap under the number of zones: events + dropped = zones, never over the cap */
  timeline_run(100, per, 3, &p);
  assert_true(p->n_events <= 100);
  assert_int_equal(p->n_events + p->meta.dropped_events, 2 * (1 + 37 + 69));
  fathom_profile_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_2_threads),       T(test_4_threads),      T(test_8_threads),
      T(test_exited_and_live), T(test_live_snapshots), T(test_end_while_recording),
      T(test_first_use_publication), T(test_timeline_batches),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
