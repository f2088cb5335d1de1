/* test_parallel_map.c: fathom_parallel_map: every item processed exactly once with the right
 * result, the per-worker figures adding up, tasks as zones on named worker threads, the
 * auto-tune's decisions, the text and JSON outputs, bad arguments, a forked child.
 *
 * Invariant: no assertion on how fast anything ran. The auto-tune checks are decisions with
 * wide margins: CPU-bound tasks get at most the online CPUs (the test reads their number);
 * tasks that sleep 1 ms (no CPU) get more than 2 workers, out of up to 8. */
#include <jansson.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

typedef struct item {
  uint64_t in, out;
} item;

static atomic_uint seen[20000];     /* times each index was processed */
static atomic_ullong task_ns;        /* the tasks' own time, as they measured it */

static uint64_t mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static uint64_t mix(uint64_t h) { return (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ull + 1; }

/* CPU-bound: `rounds` of mixing (user: a pointer to the rounds). */
static void spin_task(void *p, size_t index, void *user) {
  item *it = p;
  uint64_t t0 = mono(), h = it->in;
  for (int r = *(const int *)user; r > 0; r--) h = mix(h);
  it->out = h;
  atomic_fetch_add(&seen[index], 1);
  atomic_fetch_add(&task_ns, mono() - t0);
}
static uint64_t spin_want(uint64_t in, int rounds) {
  for (int r = rounds; r > 0; r--) in = mix(in);
  return in;
}
/* I/O-bound: a 1 ms sleep. */
static void sleep_task(void *p, size_t index, void *user) {
  item *it = p;
  struct timespec ts = {0, 1000000};
  while (nanosleep(&ts, &ts) != 0) {}
  it->out = it->in + 7;
  atomic_fetch_add(&seen[index], 1);
}

static item *make_items(size_t n) {
  item *v = calloc(n, sizeof *v);
  assert_non_null(v);
  for (size_t i = 0; i < n; i++) v[i].in = i * 3 + 1;
  for (size_t i = 0; i < n && i < 20000; i++) atomic_store(&seen[i], 0);
  atomic_store(&task_ns, 0);
  return v;
}

/* Every item once, results right, per-worker figures that add up. */
static void check_result(const fathom_map_result *r, const item *v, size_t n, int rounds) {
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(atomic_load(&seen[i]), 1);
    if (rounds >= 0) assert_true(v[i].out == spin_want(v[i].in, rounds));
  }
  assert_int_equal(r->n_items, n);
  assert_true(r->workers >= 1 && r->workers <= r->n_threads);
  uint64_t tasks = 0;
  for (unsigned i = 0; i < r->n_threads; i++) {
    tasks += r->tasks[i];
    assert_true(r->busy_ns[i] + r->idle_ns[i] <= r->wall_ns);
  }
  for (unsigned i = r->n_threads; i < FATHOM_MAP_MAX_WORKERS; i++) assert_true(r->tasks[i] == 0);
  assert_true(tasks == n);
  assert_true(r->tune_items < n);
  assert_true(r->imbalance >= 1.0);
}

static void test_bad_args(void **state) {
  item v[4] = {{1, 0}, {2, 0}, {3, 0}, {4, 0}};
  int rounds = 1;
  fathom_map_result r;
  fathom_map_opts o;
  fathom_map_opts_init(&o);
  assert_int_equal(fathom_parallel_map(v, 4, sizeof *v, NULL, &rounds, &o, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_parallel_map(v, 4, 0, spin_task, &rounds, &o, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_parallel_map(v, 0, sizeof *v, spin_task, &rounds, &o, &r),
                   FATHOM_E_INVAL);
  assert_int_equal(fathom_parallel_map(NULL, 4, sizeof *v, spin_task, &rounds, &o, &r),
                   FATHOM_E_INVAL);
  assert_int_equal(fathom_parallel_map(v, SIZE_MAX / 2, 4, spin_task, &rounds, &o, &r),
                   FATHOM_E_INVAL);
  o.workers = FATHOM_MAP_MAX_WORKERS + 1;
  assert_int_equal(fathom_parallel_map(v, 4, sizeof *v, spin_task, &rounds, &o, &r),
                   FATHOM_E_INVAL);
  fathom_map_opts_init(&o);
  o.tune_fraction = 0.9;
  assert_int_equal(fathom_parallel_map(v, 4, sizeof *v, spin_task, &rounds, &o, &r),
                   FATHOM_E_INVAL);
  o.tune_fraction = -1;
  assert_int_equal(fathom_parallel_map(v, 4, sizeof *v, spin_task, &rounds, &o, &r),
                   FATHOM_E_INVAL);
  for (int i = 0; i < 4; i++) assert_true(v[i].out == 0);   /* nothing ran */
  assert_int_equal(fathom_map_result_print(NULL, &r), FATHOM_E_INVAL);
  assert_int_equal(fathom_map_result_json(stdout, NULL), FATHOM_E_INVAL);
}

/* Given workers and chunk: exactly those, every item once, busy about the tasks' own time. */
static void test_fixed_workers(void **state) {
  const size_t n = 10007;
  int rounds = 200;
  item *v = make_items(n);
  fathom_map_opts o;
  fathom_map_opts_init(&o);
  o.workers = 3;
  o.chunk = 7;
  fathom_map_result r;
  assert_int_equal(fathom_parallel_map(v, n, sizeof *v, spin_task, &rounds, &o, &r), 0);
  check_result(&r, v, n, rounds);
  assert_int_equal(r.workers, 3);
  assert_int_equal(r.n_threads, 3);
  assert_int_equal(r.chunk, 7);
  assert_int_equal(r.tuned, 0);
  assert_int_equal(r.tune_items, 0);
  assert_int_equal(r.n_curve, 0);
  /* busy encloses every task's own time, plus per-item bookkeeping (a zone, two clock
   * reads): within 50 % + 100 us an item of it, a bound no real run comes near */
  uint64_t busy = 0, tn = atomic_load(&task_ns);
  for (unsigned i = 0; i < r.n_threads; i++) busy += r.busy_ns[i];
  assert_true(busy >= tn);
  assert_true(busy <= tn + tn / 2 + n * 100000ull);
  free(v);
}

/* More workers asked than items: at most one per item. */
static void test_few_items(void **state) {
  int rounds = 10;
  item *v = make_items(3);
  fathom_map_opts o;
  fathom_map_opts_init(&o);
  o.workers = 8;
  fathom_map_result r;
  assert_int_equal(fathom_parallel_map(v, 3, sizeof *v, spin_task, &rounds, &o, &r), 0);
  check_result(&r, v, 3, rounds);
  assert_true(r.n_threads <= 3);
  assert_non_null(strstr(r.decision, "8 asked"));
  /* auto-tune with too few items: untuned, and still every item once; res may be NULL */
  item *w = make_items(5);
  assert_int_equal(fathom_parallel_map(w, 5, sizeof *w, spin_task, &rounds, NULL, &r), 0);
  check_result(&r, w, 5, rounds);
  assert_int_equal(r.tuned, 0);
  assert_non_null(strstr(r.decision, "not tuned"));
  for (size_t i = 0; i < 5; i++) atomic_store(&seen[i], 0);
  assert_int_equal(fathom_parallel_map(w, 5, sizeof *w, spin_task, &rounds, NULL, NULL), 0);
  for (size_t i = 0; i < 5; i++) assert_int_equal(atomic_load(&seen[i]), 1);
  free(v);
  free(w);
}

/* Each task is a zone on a thread named fathom-map-N, and the call itself is one. */
static void test_zones(void **state) {
  fathom_config c;
  fathom_config_init(&c);
  test_level(&c);
  c.monitor = 0;
  assert_int_equal(fathom_session_begin("pmap", &c), 0);
  const size_t n = 500;
  int rounds = 50;
  item *v = make_items(n);
  fathom_map_opts o;
  fathom_map_opts_init(&o);
  o.workers = 2;
  o.name = "ptask";
  fathom_map_result r;
  assert_int_equal(fathom_parallel_map(v, n, sizeof *v, spin_task, &rounds, &o, &r), 0);
  fathom_profile *p = end();
  assert_int_equal(zone(p, "ptask")->stats.count, n);
  assert_int_equal(zone(p, "fathom_parallel_map")->stats.count, 1);
  unsigned named = 0;
  for (uint32_t i = 0; i < p->n_threads; i++)
    named += p->threads[i].name && strncmp(p->threads[i].name, "fathom-map-", 11) == 0;
  assert_true(named >= 1 && named <= 2);
  release(p);
  free(v);
}

/* CPU-bound tasks: never more workers than online CPUs. */
static void test_tune_cpu(void **state) {
  const size_t n = 8000;
  int rounds = 3000;
  item *v = make_items(n);
  fathom_map_opts o;
  fathom_map_opts_init(&o);
  o.tune_fraction = 0.5;
  fathom_map_result r;
  assert_int_equal(fathom_parallel_map(v, n, sizeof *v, spin_task, &rounds, &o, &r), 0);
  check_result(&r, v, n, rounds);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  print_message("cpu-bound on %ld CPUs: %s\n", cpus, r.decision);
  assert_int_equal(r.tuned, 1);
  assert_true(r.workers <= (unsigned)cpus);
  assert_true(r.n_curve >= 2);
  assert_int_equal(r.curve[0].workers, 1);
  assert_true(r.tune_items > 0 && r.tune_items <= n / 2);
  uint64_t curve_items = 0;
  for (unsigned i = 0; i < r.n_curve; i++) {
    curve_items += r.curve[i].items;
    assert_int_equal(r.curve[i].chunk, 1);
  }
  /* the chunk sizes, tried with the chosen count on the sample's last quarter */
  int chunk_seen = r.n_chunk_curve == 0;
  for (unsigned i = 0; i < r.n_chunk_curve; i++) {
    curve_items += r.chunk_curve[i].items;
    assert_int_equal(r.chunk_curve[i].workers, r.workers);
    chunk_seen |= r.chunk_curve[i].chunk == r.chunk;
  }
  assert_true(chunk_seen);
  /* the last quarter of 4000 sample items has room for chunks 1 and 4 with up to 5 workers */
  if (r.workers <= 5) assert_true(r.n_chunk_curve >= 2);
  assert_true(curve_items == r.tune_items);
  assert_true(r.speedup > 0);
  free(v);
}

/* Tasks that sleep: more workers help, and the tune sees it. */
static void test_tune_sleep(void **state) {
  const size_t n = 1400;
  item *v = make_items(n);
  fathom_map_opts o;
  fathom_map_opts_init(&o);
  o.tune_fraction = 0.5;
  o.max_workers = 8;
  fathom_map_result r;
  assert_int_equal(fathom_parallel_map(v, n, sizeof *v, sleep_task, NULL, &o, &r), 0);
  check_result(&r, v, n, -1);
  for (size_t i = 0; i < n; i++) assert_true(v[i].out == v[i].in + 7);
  print_message("sleep-bound: %s\n", r.decision);
  assert_int_equal(r.tuned, 1);
  assert_true(r.workers > 2);
  assert_int_equal(r.n_curve, 4);   /* 1, 2, 4, 8 */
  if (r.off_cpu_share >= 0) assert_true(r.off_cpu_share > 0.5);
  free(v);
}

/* The JSON output reads back with the result's figures; the text names the choice. */
static void test_outputs(void **state) {
  const size_t n = 3000;
  int rounds = 100;
  item *v = make_items(n);
  fathom_map_opts o;
  fathom_map_opts_init(&o);
  o.tune_fraction = 0.5;
  o.max_workers = 4;
  fathom_map_result r;
  assert_int_equal(fathom_parallel_map(v, n, sizeof *v, spin_task, &rounds, &o, &r), 0);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(fathom_map_result_json(f, &r), 0);
  fclose(f);
  json_error_t err;
  json_t *j = json_loads(buf, 0, &err);
  if (!j) fail_msg("JSON does not parse: %s: %s", err.text, buf);
  assert_int_equal(json_integer_value(json_object_get(j, "n_items")), n);
  assert_int_equal(json_integer_value(json_object_get(j, "workers")), r.workers);
  assert_true(json_is_boolean(json_object_get(j, "tuned")));
  json_t *pw = json_object_get(j, "per_worker"), *cv = json_object_get(j, "curve");
  assert_int_equal(json_array_size(pw), r.n_threads);
  assert_int_equal(json_array_size(cv), r.n_curve);
  json_int_t tasks = 0;
  for (size_t i = 0; i < json_array_size(pw); i++)
    tasks += json_integer_value(json_object_get(json_array_get(pw, i), "tasks"));
  assert_int_equal(tasks, n);
  assert_true(json_number_value(json_object_get(json_array_get(cv, 0), "items_per_s")) ==
              r.curve[0].items_per_s);
  json_decref(j);
  free(buf);
  buf = NULL;
  f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(fathom_map_result_print(f, &r), 0);
  fclose(f);
  char want[64];
  snprintf(want, sizeof want, "%zu items", n);
  assert_non_null(strstr(buf, want));
  assert_non_null(strstr(buf, "<- chosen"));
  free(buf);
  free(v);
}

/* A child forked after a call runs its own map (no pool is shared with the parent). */
static void test_fork(void **state) {
  int rounds = 20;
  item *v = make_items(200);
  fathom_map_opts o;
  fathom_map_opts_init(&o);
  o.workers = 2;
  assert_int_equal(fathom_parallel_map(v, 200, sizeof *v, spin_task, &rounds, &o, NULL), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    for (size_t i = 0; i < 200; i++) atomic_store(&seen[i], 0);
    int rc = fathom_parallel_map(v, 200, sizeof *v, spin_task, &rounds, &o, NULL);
    int ok = rc == 0;
    for (size_t i = 0; i < 200; i++) ok = ok && atomic_load(&seen[i]) == 1;
    _exit(ok ? 0 : 1);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  free(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_bad_args), T(test_fixed_workers), T(test_few_items), T(test_zones),
      T(test_tune_cpu), T(test_tune_sleep), T(test_outputs), T(test_fork),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
