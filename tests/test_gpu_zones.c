/* test_gpu_zones.c: GPU time per zone (fathom_gpu_zone_begin / end) through the CUDA runtime
 * stand-in (tests/standin/cudart_standin.c, env FATHOM_CUDART_LIB): GPU times the stand-in
 * scripts add up exactly per name; events not complete at first are read later; the
 * program's stream is never synchronised; the pool's cap drops pairs and counts them, the
 * wait at session end is bounded, and every event created is destroyed; without a CUDA
 * runtime both calls are harmless and the probe says why; the "gpu_zones" table survives
 * JSON and `fathom check`, and bad tables are refused. Device memory per name comes from the
 * NVML stand-in (tests/standin/nvml_standin.c, env FATHOM_NVML_LIB), whose memory in use the
 * test grows between begin and end by known amounts: the mean change is exactly that when
 * every pair is read, and still is when a sample is; the CUDA device is matched to NVML's by
 * PCI bus id; without NVML the figures are absent and the probe says why. No GPU is needed
 * (or used). */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "load/fathom_load.h"
#include "testutil.h"

static char standin[1024], nvml[1024], tmpdir[1024];

static void *standin_sym(const char *name) {
  void *h = dlopen(standin, RTLD_NOW | RTLD_NOLOAD);
  if (!h) return NULL;
  void *s = dlsym(h, name);
  dlclose(h);
  return s;
}
static long counter(const char *name) {
  union { void *o; long (*f)(void); } u;
  u.o = standin_sym(name);
  assert_non_null(u.o);
  return u.f();
}
/* fathom loads the runtime once per value of FATHOM_CUDART_LIB: another value first makes it
 * load the stand-in again (and ask it again how many devices there are). */
static void forget(void) {
  setenv("FATHOM_CUDART_LIB", "/nonexistent/forget", 1);
  assert_int_equal(fathom_gpu_status(NULL, 0), FATHOM_E_NOTSUP);
}

/* Points fathom at the stand-in with these settings (NULL: unset) and resets its counters. */
static void use_cudart(const char *ms, const char *not_ready) {
  forget();
  setenv("FATHOM_CUDART_LIB", standin, 1);
  unsetenv("CUDART_STANDIN_DEVICES");
  unsetenv("CUDART_STANDIN_FAIL_RECORD");
  if (ms) setenv("CUDART_STANDIN_MS", ms, 1);
  else unsetenv("CUDART_STANDIN_MS");
  if (not_ready) setenv("CUDART_STANDIN_NOT_READY", not_ready, 1);
  else unsetenv("CUDART_STANDIN_NOT_READY");
  union { void *o; void (*f)(void); } u;
  u.o = standin_sym("cudart_standin_reset");   /* NULL: not loaded yet (reads it then) */
  if (u.o) u.f();
  assert_int_equal(fathom_gpu_status(NULL, 0), 0);   /* loads it */
  u.o = standin_sym("cudart_standin_reset");
  assert_non_null(u.o);
  u.f();
}

static void begin_session(void) {
  fathom_config c;
  fathom_config_init(&c);
  assert_int_equal(fathom_session_begin("gpu", &c), 0);
}

static const fathom_gpu_zone_info *gz(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_gpu_zones; i++)
    if (strcmp(p->gpu_zones[i].name, name) == 0) return &p->gpu_zones[i];
  fail_msg("GPU zone '%s' is not in the profile", name);
  return NULL;
}
static const fathom_probe_info *probe(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_probes; i++)
    if (strcmp(p->probes[i].name, name) == 0) return &p->probes[i];
  fail_msg("probe '%s' is not listed", name);
  return NULL;
}
static void check_clean(const fathom_profile *p) {
  char msg[2048];
  int rc = fathom_profile_check(p, msg, sizeof msg);
  if (rc != 0) fail_msg("fathom_profile_check: %d\n%s", rc, msg);
}

/* One pair: begin, end, both must succeed. */
static void pair(const char *name) {
  fathom_gpu_zone z = fathom_gpu_zone_begin(name, NULL);
  assert_int_equal(z.status, 0);
  assert_int_equal(fathom_gpu_zone_end(z), 0);
}

/* Each record advances the stand-in's clock by the next step, so a pair's GPU time is the
 * step of its end record; the expected figures are computed from the same steps. */
static const double steps[] = {0.25, 1.5, 0.5, 2.5, 0.75, 4.0};
#define STEPS "0.25,1.5,0.5,2.5,0.75,4"
#define N_PAIRS 7

static fathom_profile *known_times_profile(void) {
  use_cudart(STEPS, NULL);
  begin_session();
  for (int i = 0; i < N_PAIRS; i++) pair(i % 2 ? "kernel_b" : "kernel_a");
  return end();
}

static void test_known_times_add_up(void **state) {
  (void)state;
  fathom_profile *p = known_times_profile();
  double tot[2] = {0, 0}, mn[2] = {1e9, 1e9}, mx[2] = {0, 0};
  uint64_t cnt[2] = {0, 0};
  for (int i = 0; i < N_PAIRS; i++) {
    double v = steps[(2 * i + 1) % 6];
    int k = i % 2;
    tot[k] += v;
    cnt[k]++;
    mn[k] = v < mn[k] ? v : mn[k];
    mx[k] = v > mx[k] ? v : mx[k];
  }
  assert_int_equal(p->n_gpu_zones, 2);
  const char *names[] = {"kernel_a", "kernel_b"};
  for (int k = 0; k < 2; k++) {
    const fathom_gpu_zone_info *g = gz(p, names[k]);
    assert_int_equal(g->count, cnt[k]);
    assert_true(g->total_ms == tot[k]);
    assert_true(g->mean_ms == tot[k] / (double)cnt[k]);
    assert_true(g->min_ms == mn[k]);
    assert_true(g->max_ms == mx[k]);
    assert_int_equal(g->unresolved, 0);
    assert_int_equal(g->dropped, 0);
    /* the CPU zone of the same name, one call per pair */
    assert_int_not_equal(g->zone, FATHOM_NONE);
    assert_string_equal(p->zones[g->zone].name, names[k]);
    assert_int_equal(p->zones[g->zone].stats.count, cnt[k]);
  }
  /* largest total first */
  assert_true(p->gpu_zones[0].total_ms >= p->gpu_zones[1].total_ms);
  const fathom_probe_info *pi = probe(p, "cuda");
  assert_int_equal(pi->available, 1);
  assert_non_null(strstr(pi->detail, "1 device"));
  assert_int_equal(counter("cudart_standin_syncs"), 0);
  assert_int_equal(counter("cudart_standin_records"), 2 * N_PAIRS);
  assert_true(counter("cudart_standin_created") > 0);
  assert_int_equal(counter("cudart_standin_created"), counter("cudart_standin_destroyed"));
  check_clean(p);
}

static void test_not_ready_read_later(void **state) {
  (void)state;
  use_cudart(STEPS, "3");   /* each event completes at its 4th query */
  begin_session();
  pair("late");
  fathom_profile *s = hold(fathom_snapshot());
  assert_non_null(s);
  /* queried twice so far (at its end and by the snapshot): still pending, not counted */
  assert_int_equal(s->n_gpu_zones, 1);
  assert_int_equal(s->gpu_zones[0].count, 0);
  assert_int_equal(s->gpu_zones[0].unresolved, 0);
  check_clean(s);
  release(s);
  for (int i = 1; i < 5; i++) pair("late");
  fathom_profile *p = end();
  const fathom_gpu_zone_info *g = gz(p, "late");
  double want = 0;
  for (int i = 0; i < 5; i++) want += steps[(2 * i + 1) % 6];
  assert_int_equal(g->count, 5);
  assert_int_equal(g->unresolved, 0);
  assert_true(g->total_ms == want);
  assert_int_equal(counter("cudart_standin_syncs"), 0);
  assert_int_equal(counter("cudart_standin_created"), counter("cudart_standin_destroyed"));
  check_clean(p);
}

static void test_never_ready_cap_and_bounded_end(void **state) {
  (void)state;
  use_cudart(NULL, "never");
  begin_session();
  const int extra = 40;
  int dropped = 0;
  for (int i = 0; i < FATHOM_GPU_PAIRS_MAX + extra; i++) {
    fathom_gpu_zone z = fathom_gpu_zone_begin("stuck", NULL);
    if (z.status == FATHOM_E_LIMIT) dropped++;
    else assert_int_equal(z.status, 0);
    int rc = fathom_gpu_zone_end(z);
    assert_int_equal(rc, z.status);
  }
  assert_int_equal(dropped, extra);
  fathom_profile *p = end();   /* waits FATHOM_GPU_WAIT_MS at most, then gives up */
  const fathom_gpu_zone_info *g = gz(p, "stuck");
  assert_int_equal(g->count, 0);
  assert_int_equal(g->unresolved, FATHOM_GPU_PAIRS_MAX);
  assert_int_equal(g->dropped, extra);
  assert_true(g->total_ms == 0 && g->min_ms == 0 && g->max_ms == 0);
  assert_int_equal(counter("cudart_standin_syncs"), 0);
  assert_int_equal(counter("cudart_standin_created"), 2 * FATHOM_GPU_PAIRS_MAX);
  assert_int_equal(counter("cudart_standin_destroyed"), 2 * FATHOM_GPU_PAIRS_MAX);
  check_clean(p);
  char path[1200];
  snprintf(path, sizeof path, "%s/stuck.txt", tmpdir);
  assert_int_equal(fathom_profile_save(p, FATHOM_FORMAT_TEXT, path), 0);
  char cmd[1400];
  snprintf(cmd, sizeof cmd, "grep -q 'pairs not complete at session end' '%s'", path);
  assert_int_equal(system(cmd), 0);
}

/* Several threads at once, with snapshots beside them: every pair is read exactly once. */
#define THREADS 4
#define PER_THREAD 250
static void *worker(void *arg) {
  char own[32];
  snprintf(own, sizeof own, "own_%d", (int)(intptr_t)arg);
  for (int i = 0; i < PER_THREAD; i++) {
    fathom_gpu_zone z = fathom_gpu_zone_begin(i % 2 ? own : "shared", NULL);
    if (z.status != 0 || fathom_gpu_zone_end(z) != 0) return (void *)1;
  }
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  use_cudart("0.5", "1");
  begin_session();
  pthread_t t[THREADS];
  for (int k = 0; k < THREADS; k++)
    assert_int_equal(pthread_create(&t[k], NULL, worker, (void *)(intptr_t)k), 0);
  for (int k = 0; k < 5; k++) release(hold(fathom_snapshot()));
  for (int k = 0; k < THREADS; k++) {
    void *r = NULL;
    assert_int_equal(pthread_join(t[k], &r), 0);
    assert_null(r);
  }
  fathom_profile *p = end();
  assert_int_equal(p->n_gpu_zones, THREADS + 1);
  assert_int_equal(gz(p, "shared")->count, THREADS * PER_THREAD / 2);
  for (int k = 0; k < THREADS; k++) {
    char own[32];
    snprintf(own, sizeof own, "own_%d", k);
    assert_int_equal(gz(p, own)->count, PER_THREAD / 2);
    assert_int_equal(gz(p, own)->unresolved, 0);
  }
  assert_int_equal(counter("cudart_standin_syncs"), 0);
  assert_int_equal(counter("cudart_standin_created"), counter("cudart_standin_destroyed"));
  check_clean(p);
}

static void test_record_refused_and_misuse(void **state) {
  (void)state;
  use_cudart(NULL, NULL);
  fathom_gpu_zone z = fathom_gpu_zone_begin("k", NULL);   /* no session */
  assert_int_equal(z.status, FATHOM_E_STATE);
  assert_int_equal(fathom_gpu_zone_end(z), FATHOM_E_STATE);
  begin_session();
  assert_int_equal(fathom_gpu_zone_begin(NULL, NULL).status, FATHOM_E_INVAL);
  assert_int_equal(fathom_gpu_zone_begin("", NULL).status, FATHOM_E_INVAL);
  z = fathom_gpu_zone_begin("k", NULL);
  assert_int_equal(z.status, 0);
  assert_int_equal(fathom_gpu_zone_end(z), 0);
  assert_int_equal(fathom_gpu_zone_end(z), FATHOM_E_ENDED);   /* twice */
  setenv("CUDART_STANDIN_FAIL_RECORD", "1", 1);
  union { void *o; void (*f)(void); } u;
  u.o = standin_sym("cudart_standin_reset");
  u.f();
  z = fathom_gpu_zone_begin("k", NULL);
  assert_int_equal(z.status, FATHOM_E_IO);
  assert_int_equal(fathom_gpu_zone_end(z), FATHOM_E_IO);
  fathom_profile *p = end();
  const fathom_gpu_zone_info *g = gz(p, "k");
  assert_int_equal(g->count, 1);
  assert_int_equal(g->dropped, 1);
  assert_int_equal(p->zones[g->zone].stats.count, 2);   /* the CPU side of both */
  unsetenv("CUDART_STANDIN_FAIL_RECORD");
  check_clean(p);
}

static void expect_unavailable(const char *lib, const char *devices, const char *why_part) {
  forget();
  if (lib) setenv("FATHOM_CUDART_LIB", lib, 1);
  if (devices) {
    setenv("CUDART_STANDIN_DEVICES", devices, 1);
    union { void *o; void (*f)(void); } u;
    u.o = standin_sym("cudart_standin_reset");
    assert_non_null(u.o);
    u.f();   /* rereads the environment */
  }
  char why[400];
  assert_int_equal(fathom_gpu_status(why, sizeof why), FATHOM_E_NOTSUP);
  if (!strstr(why, why_part)) fail_msg("'%s' does not say '%s'", why, why_part);
  begin_session();
  fathom_gpu_zone z = fathom_gpu_zone_begin("k", NULL);
  assert_int_equal(z.status, FATHOM_E_NOTSUP);
  assert_int_equal(fathom_gpu_zone_end(z), FATHOM_E_NOTSUP);
  fathom_profile *p = end();
  assert_int_equal(p->n_gpu_zones, 0);
  assert_null(p->gpu_zones);
  const fathom_probe_info *pi = probe(p, "cuda");
  assert_int_equal(pi->available, 0);
  assert_non_null(strstr(pi->detail, why_part));
  assert_int_equal(zone(p, "k")->stats.count, 1);   /* the CPU zone still */
  check_clean(p);
  release(p);
}

static void test_no_cuda_runtime(void **state) {
  (void)state;
  unsetenv("CUDART_STANDIN_DEVICES");
  expect_unavailable(standin, "0", "no CUDA device");
  expect_unavailable("/nonexistent/libcudart.so", NULL, "/nonexistent/libcudart.so");
  expect_unavailable("libm.so.6", NULL, "lacks the CUDA event functions");
  unsetenv("CUDART_STANDIN_DEVICES");
}

/* ---- device memory (NVML stand-in) ------------------------------------------------ */

#define GIB (1024.0 * 1024 * 1024)
static long long added[2];   /* bytes this test added to each stand-in device's memory */

static void *nvml_sym(const char *name) {
  void *h = dlopen(nvml, RTLD_NOW | RTLD_NOLOAD);
  if (!h) return NULL;
  void *s = dlsym(h, name);
  dlclose(h);
  return s;
}
/* NVML device k's memory in use grows by bytes (the stand-in is loaded by then). */
static void grow(unsigned k, long long bytes) {
  union { void *o; void (*f)(unsigned, long long); } u;
  u.o = nvml_sym("nvml_standin_add_used");
  assert_non_null(u.o);
  u.f(k, bytes);
  __atomic_add_fetch(&added[k], bytes, __ATOMIC_SEQ_CST);
}
static double used(unsigned k) {
  return (1 + k) * GIB + (double)__atomic_load_n(&added[k], __ATOMIC_SEQ_CST);
}
static void set_device(int d) {
  union { void *o; int (*f)(int); } u;
  u.o = standin_sym("cudaSetDevice");
  assert_non_null(u.o);
  assert_int_equal(u.f(d), 0);
}

/* Two CUDA devices whose PCI buses are NVML's devices 1 and 0 (the orders differ). */
static void use_nvml(const char *rate) {
  setenv("CUDART_STANDIN_BUS", "2,1", 1);
  use_cudart(NULL, NULL);
  setenv("CUDART_STANDIN_DEVICES", "2", 1);
  union { void *o; void (*f)(void); } u;
  u.o = standin_sym("cudart_standin_reset");
  assert_non_null(u.o);
  u.f();      /* the stand-in rereads the environment */
  forget();   /* fathom asks it again how many devices there are */
  setenv("FATHOM_CUDART_LIB", standin, 1);
  assert_int_equal(fathom_gpu_status(NULL, 0), 0);
  setenv("FATHOM_NVML_LIB", nvml, 1);
  setenv("NVML_STANDIN_GPUS", "2", 1);
  unsetenv("NVML_STANDIN_FAIL");
  setenv("FATHOM_GPU_MEM_RATE", rate, 1);
}
static void done_nvml(void) {
  unsetenv("CUDART_STANDIN_BUS");
  unsetenv("CUDART_STANDIN_DEVICES");
  setenv("FATHOM_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
  unsetenv("FATHOM_GPU_MEM_RATE");
}

/* A pair whose work takes bytes on NVML device k. */
static void alloc_pair(const char *name, unsigned k, long long bytes) {
  fathom_gpu_zone z = fathom_gpu_zone_begin(name, NULL);
  assert_int_equal(z.status, 0);
  grow(k, bytes);
  assert_int_equal(fathom_gpu_zone_end(z), 0);
}

#define MB (1024LL * 1024)
static void test_memory_every_pair(void **state) {
  (void)state;
  use_nvml("0");   /* every pair read */
  begin_session();
  /* CUDA device 0 is NVML device 1 (bus 2): its memory grows 3 MiB a pair */
  alloc_pair("first", 1, 3 * MB);   /* loads NVML: its devices' memory is then readable */
  double b1 = used(1) - 3 * MB;
  for (int i = 1; i < 5; i++) alloc_pair("first", 1, 3 * MB);
  /* a zone that frees 1 MiB a pair, one that changes nothing */
  double b_free = used(1);
  for (int i = 0; i < 3; i++) alloc_pair("release", 1, -MB);
  double b_none = used(1);
  for (int i = 0; i < 2; i++) alloc_pair("none", 1, 0);
  /* CUDA device 1 is NVML device 0 (bus 1) */
  set_device(1);
  double b0 = used(0);
  for (int i = 0; i < 4; i++) alloc_pair("on_dev1", 0, 5 * MB);
  set_device(0);
  fathom_profile *p = end();

  const fathom_gpu_zone_info *g = gz(p, "first");
  assert_int_equal(g->count, 5);
  assert_int_equal(g->mem_calls, 5);
  assert_true(g->mem_change_mean == 3.0 * MB);
  assert_true(g->mem_change_se == 0);   /* exact: every pair */
  assert_true(g->mem_before_max == b1 + 4 * 3.0 * MB);
  assert_true(g->mem_after_max == b1 + 5 * 3.0 * MB);
  assert_true(g->mem_peak == g->mem_after_max);
  assert_true(g->mem_peak >= g->mem_before_max + 3.0 * MB);
  g = gz(p, "release");
  assert_int_equal(g->mem_calls, 3);
  assert_true(g->mem_change_mean == -1.0 * MB);
  assert_true(g->mem_before_max == b_free && g->mem_peak == b_free);
  assert_true(g->mem_after_max == b_free - 1.0 * MB);
  g = gz(p, "none");
  assert_int_equal(g->mem_calls, 2);
  assert_true(g->mem_change_mean == 0 && g->mem_peak == b_none);
  g = gz(p, "on_dev1");
  assert_int_equal(g->mem_calls, 4);
  assert_true(g->mem_change_mean == 5.0 * MB);
  assert_true(g->mem_after_max == b0 + 4 * 5.0 * MB);
  const fathom_probe_info *pi = probe(p, "cuda");
  assert_non_null(strstr(pi->detail, "device memory from NVML"));
  assert_non_null(strstr(pi->detail, "PCI bus id"));
  check_clean(p);

  /* the figures survive JSON; the text report shows them */
  size_t len;
  char *buf = NULL;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  fathom_profile *q = NULL;
  char err[512];
  assert_int_equal(fathom_profile_load_buffer(buf, len, &q, err, sizeof err), 0);
  hold(q);
  free(buf);
  for (uint32_t i = 0; i < p->n_gpu_zones; i++) {
    const fathom_gpu_zone_info *a = &p->gpu_zones[i], *b = &q->gpu_zones[i];
    assert_int_equal(a->mem_calls, b->mem_calls);
    assert_true(a->mem_change_mean == b->mem_change_mean);
    assert_true(a->mem_change_se == b->mem_change_se);
    assert_true(a->mem_before_max == b->mem_before_max);
    assert_true(a->mem_after_max == b->mem_after_max && a->mem_peak == b->mem_peak);
  }
  check_clean(q);
  char path[1200], cmd[2600];
  snprintf(path, sizeof path, "%s/mem.txt", tmpdir);
  assert_int_equal(fathom_profile_save(p, FATHOM_FORMAT_TEXT, path), 0);
  snprintf(cmd, sizeof cmd, "grep -q 'mem change' '%s' && grep -q '+3.00 MiB' '%s'", path, path);
  assert_int_equal(system(cmd), 0);
  done_nvml();
}

static void test_memory_sampled(void **state) {
  (void)state;
  use_nvml("0.001");   /* one read in 1,000 s per name: the first pair only */
  begin_session();
  for (int i = 0; i < 50; i++) alloc_pair("sampled", 1, 2 * MB);
  fathom_profile *p = end();
  const fathom_gpu_zone_info *g = gz(p, "sampled");
  assert_int_equal(g->count, 50);
  assert_int_equal(g->mem_calls, 1);
  assert_true(g->mem_change_mean == 2.0 * MB);
  assert_true(isnan(g->mem_change_se));   /* one pair of many: unknown */
  check_clean(p);
  char *buf = NULL;
  size_t len;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  assert_non_null(strstr(buf, "\"mem_change_se\":null"));   /* unknown, not 0 */
  fathom_profile *q = NULL;
  char err[512];
  assert_int_equal(fathom_profile_load_buffer(buf, len, &q, err, sizeof err), 0);
  hold(q);
  free(buf);
  assert_true(isnan(gz(q, "sampled")->mem_change_se));
  assert_int_equal(gz(q, "sampled")->mem_calls, 1);
  check_clean(q);

  use_nvml("10");   /* at least 100 ms between reads of a name */
  begin_session();
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 4; i++) alloc_pair("paced", 1, 4 * MB);
    struct timespec nap = {0, 150000000L};
    nanosleep(&nap, NULL);   /* the next pair is due */
  }
  p = end();
  g = gz(p, "paced");
  assert_int_equal(g->count, 12);
  assert_true(g->mem_calls >= 3 && g->mem_calls <= g->count);
  assert_true(g->mem_change_mean == 4.0 * MB);   /* every pair changed it by 4 MiB */
  assert_true(g->mem_change_se == 0);            /* no spread */
  check_clean(p);
  done_nvml();
}

/* Threads at once, with the monitor reading the same NVML stand-in beside them: every pair
 * read; only growth happens, and each pair's own 1 MiB lies between its readings, so every
 * change is at least 1 MiB. */
static void *mem_worker(void *arg) {
  (void)arg;
  for (int i = 0; i < 100; i++) alloc_pair(i % 2 ? "mem_a" : "mem_b", 1, MB);
  return NULL;
}

static void test_memory_threads(void **state) {
  (void)state;
  use_nvml("0");
  fathom_config c;
  fathom_config_init(&c);
  c.monitor = 1;
  c.monitor_interval_s = 0.01;
  assert_int_equal(fathom_session_begin("gpu", &c), 0);
  alloc_pair("mem_a", 1, MB);   /* opens NVML before the threads */
  pthread_t t[THREADS];
  for (int k = 0; k < THREADS; k++)
    assert_int_equal(pthread_create(&t[k], NULL, mem_worker, NULL), 0);
  for (int k = 0; k < 3; k++) release(hold(fathom_snapshot()));
  for (int k = 0; k < THREADS; k++) assert_int_equal(pthread_join(t[k], NULL), 0);
  fathom_profile *p = end();
  assert_int_equal(p->n_gpus, 2);   /* the monitor read the stand-in too */
  const char *names[] = {"mem_a", "mem_b"};
  for (int k = 0; k < 2; k++) {
    const fathom_gpu_zone_info *g = gz(p, names[k]);
    assert_int_equal(g->count, THREADS * 50 + (k == 0));
    assert_int_equal(g->mem_calls, g->count);
    assert_true(g->mem_change_mean >= 1.0 * MB);
    assert_true(g->mem_peak <= used(1));
    assert_true(g->mem_after_max == g->mem_peak);
  }
  check_clean(p);
  done_nvml();
}

static void test_memory_not_measured(void **state) {
  (void)state;
  use_nvml("0");
  setenv("FATHOM_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
  begin_session();
  pair("k");
  fathom_profile *p = end();
  const fathom_gpu_zone_info *g = gz(p, "k");
  assert_int_equal(g->count, 1);
  assert_int_equal(g->mem_calls, 0);
  assert_true(g->mem_peak == 0 && g->mem_change_mean == 0);
  const fathom_probe_info *pi = probe(p, "cuda");
  assert_int_equal(pi->available, 1);
  assert_non_null(strstr(pi->detail, "device memory not measured"));
  assert_non_null(strstr(pi->detail, "/nonexistent/libnvidia-ml.so.1"));
  char *buf = NULL;
  size_t len;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  assert_null(strstr(buf, "mem_calls"));   /* absent, not 0 */
  free(buf);
  check_clean(p);

  /* NVML's memory call failing: the pairs are counted, not measured */
  use_nvml("0");
  setenv("NVML_STANDIN_FAIL", "memory", 1);
  begin_session();
  pair("k");
  p = end();
  assert_int_equal(gz(p, "k")->count, 1);
  assert_int_equal(gz(p, "k")->mem_calls, 0);
  unsetenv("NVML_STANDIN_FAIL");

  /* GPU metrics switched off: not read, and said so */
  use_nvml("0");
  fathom_config c;
  fathom_config_init(&c);
  c.metrics = "-gpu";
  assert_int_equal(fathom_session_begin("gpu", &c), 0);
  alloc_pair("k", 1, MB);
  p = end();
  assert_int_equal(gz(p, "k")->count, 1);
  assert_int_equal(gz(p, "k")->mem_calls, 0);
  assert_non_null(strstr(probe(p, "cuda")->detail, "switched off (FATHOM_METRICS)"));
  check_clean(p);
  done_nvml();
}

/* ---- the saved form ---------------------------------------------------------------- */

static char *json_of(const fathom_profile *p, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  assert_non_null(f);
  assert_int_equal(fathom_profile_write(p, FATHOM_FORMAT_JSON, f, 0), 0);
  fclose(f);
  return buf;
}

/* The JSON with the first occurrence of `from` in its "gpu_zones" table replaced by `to`
 * (free it). */
static char *replaced(const char *s, const char *from, const char *to) {
  const char *tab = strstr(s, "\"gpu_zones\":");
  assert_non_null(tab);
  const char *at = strstr(tab, from);
  if (!at) fail_msg("'%s' is not in the JSON", from);
  size_t n = strlen(s) + strlen(to) + 1;
  char *o = malloc(n);
  assert_non_null(o);
  snprintf(o, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
  return o;
}

static void test_json_round_trip_and_check(void **state) {
  (void)state;
  fathom_profile *p = known_times_profile();
  size_t len;
  char *js = json_of(p, &len);
  fathom_profile *q = NULL;
  char err[512];
  assert_int_equal(fathom_profile_load_buffer(js, len, &q, err, sizeof err), 0);
  hold(q);
  assert_int_equal(q->n_gpu_zones, p->n_gpu_zones);
  for (uint32_t i = 0; i < p->n_gpu_zones; i++) {
    const fathom_gpu_zone_info *a = &p->gpu_zones[i], *b = &q->gpu_zones[i];
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->zone, b->zone);
    assert_int_equal(a->count, b->count);
    assert_true(a->total_ms == b->total_ms && a->mean_ms == b->mean_ms);
    assert_true(a->min_ms == b->min_ms && a->max_ms == b->max_ms);
    assert_int_equal(a->unresolved, b->unresolved);
    assert_int_equal(a->dropped, b->dropped);
  }
  check_clean(q);

  /* `fathom check` and the text report on the file */
  char path[1200], bad[1200], cmd[4000];
  snprintf(path, sizeof path, "%s/gpu.json", tmpdir);
  snprintf(bad, sizeof bad, "%s/gpu_bad.json", tmpdir);
  assert_int_equal(fathom_profile_save(p, FATHOM_FORMAT_JSON, path), 0);
  const char *b = getenv("FATHOM_BUILD_DIR");
  snprintf(cmd, sizeof cmd, "'%s/fathom' check '%s' >/dev/null", b ? b : ".", path);
  assert_int_equal(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "'%s/fathom' report '%s' | grep -q '^GPU zones\\|GPU zones'",
           b ? b : ".", path);
  assert_int_equal(system(cmd), 0);

  /* a total that is not mean x count: loaded, but `fathom check` fails */
  char key[64];
  snprintf(key, sizeof key, "\"total_ms\":");
  char *t = replaced(js, key, "\"total_ms\":1000,\"x_\":");
  fathom_profile *r = NULL;
  assert_int_equal(fathom_profile_load_buffer(t, strlen(t), &r, err, sizeof err), 0);
  hold(r);
  char msg[2048];
  assert_true(fathom_profile_check(r, msg, sizeof msg) > 0);
  assert_non_null(strstr(msg, "not the total"));
  FILE *f = fopen(bad, "w");
  assert_non_null(f);
  fputs(t, f);
  fclose(f);
  snprintf(cmd, sizeof cmd, "'%s/fathom' check '%s' >/dev/null 2>&1", b ? b : ".", bad);
  assert_int_not_equal(system(cmd), 0);
  free(t);

  /* refused by the loader: a negative time, a zone out of range, a missing member */
  const char *const from[] = {"\"min_ms\":", "\"zone\":", "\"dropped\":"};
  const char *const to[] = {"\"min_ms\":-1,\"x_\":", "\"zone\":99999,\"x_\":", "\"dropped_\":"};
  const char *const said[] = {"min_ms", "zone", "dropped"};
  for (int k = 0; k < 3; k++) {
    t = replaced(js, from[k], to[k]);
    fathom_profile *z = NULL;
    err[0] = '\0';
    assert_int_equal(fathom_profile_load_buffer(t, strlen(t), &z, err, sizeof err),
                     FATHOM_E_FORMAT);
    assert_null(z);
    if (!strstr(err, said[k])) fail_msg("'%s' does not name %s", err, said[k]);
    free(t);
  }
  free(js);
}

/* The memory members: `fathom check` catches broken relations, the loader bad values. */
static void test_memory_json_refused(void **state) {
  (void)state;
  use_nvml("0");
  begin_session();
  for (int i = 0; i < 3; i++) alloc_pair("m", 1, MB);
  fathom_profile *p = end();
  done_nvml();
  size_t len;
  char *js = json_of(p, &len);
  char err[512], msg[2048];
  /* loaded, but fathom check fails */
  const char *const cf[] = {"\"mem_calls\":", "\"mem_peak\":"};
  const char *const ct[] = {"\"mem_calls\":99,\"x_\":", "\"mem_peak\":1,\"x_\":"};
  const char *const cs[] = {"more than the", "peak"};
  for (int k = 0; k < 2; k++) {
    char *t = replaced(js, cf[k], ct[k]);
    fathom_profile *r = NULL;
    assert_int_equal(fathom_profile_load_buffer(t, strlen(t), &r, err, sizeof err), 0);
    hold(r);
    assert_true(fathom_profile_check(r, msg, sizeof msg) > 0);
    if (!strstr(msg, cs[k])) fail_msg("'%s' does not say '%s'", msg, cs[k]);
    free(t);
  }
  /* refused by the loader */
  const char *const lf[] = {"\"mem_calls\":", "\"mem_before_max\":", "\"mem_peak\":"};
  const char *const lt[] = {"\"mem_calls\":0,\"x_\":", "\"mem_before_max\":-5,\"x_\":",
                            "\"mem_peak_\":"};
  const char *const ls[] = {"mem_calls", "mem_before_max", "mem_peak"};
  for (int k = 0; k < 3; k++) {
    char *t = replaced(js, lf[k], lt[k]);
    fathom_profile *z = NULL;
    err[0] = '\0';
    assert_int_equal(fathom_profile_load_buffer(t, strlen(t), &z, err, sizeof err),
                     FATHOM_E_FORMAT);
    assert_null(z);
    if (!strstr(err, ls[k])) fail_msg("'%s' does not name %s", err, ls[k]);
    free(t);
  }
  free(js);
}

static int group_setup(void **state) {
  (void)state;
  const char *t = getenv("FATHOM_TEST_TMP"), *b = getenv("FATHOM_BUILD_DIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/gpu-%ld", t ? t : "/tmp", (long)getpid());
  snprintf(standin, sizeof standin, "%s/libcudart_standin.so", b ? b : ".");
  snprintf(nvml, sizeof nvml, "%s/libnvml_standin.so", b ? b : ".");
  /* device memory comes from the NVML stand-in only where a test says so */
  setenv("FATHOM_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
  char cmd[2200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", tmpdir, tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  char cmd[1100];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_known_times_add_up),
      T(test_not_ready_read_later),
      T(test_never_ready_cap_and_bounded_end),
      T(test_threads),
      T(test_record_refused_and_misuse),
      T(test_no_cuda_runtime),
      T(test_json_round_trip_and_check),
      T(test_memory_every_pair),
      T(test_memory_sampled),
      T(test_memory_threads),
      T(test_memory_not_measured),
      T(test_memory_json_refused),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
