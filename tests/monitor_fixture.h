/* monitor_fixture.h: what the monitor's tests share (test_monitor.c, test_monitor_host.c):
 * includes, a scratch directory per process, files written atomically under a fake /proc,
 * starting the monitor, waiting for its samples, collecting and reading its series and
 * probes, and the group setup that keeps figures independent of this machine's GPUs and
 * RAPL tree. Included once per test program. */
#ifndef FATHOM_TEST_MONITOR_FIXTURE_H
#define FATHOM_TEST_MONITOR_FIXTURE_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fathom.h"
#include "probe/machine.h"
#include "probe/monitor.h"
#include "testutil.h"

#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * MIB)

/* ---- helpers ---------------------------------------------------------------------- */

static char tmpdir[512];
static char standin[600];

TESTUTIL_FN uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
TESTUTIL_FN void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) continue;
}
TESTUTIL_FN void sh(const char *fmt, ...) {
  char cmd[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  assert_int_equal(system(cmd), 0);
}
/* Writes text to the file named by fmt atomically (a sampler never sees half of it). */
__attribute__((format(printf, 2, 3))) TESTUTIL_FN void put(const char *text, const char *fmt, ...) {
  char path[900], tmp[1000];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(path, sizeof path, fmt, ap);
  va_end(ap);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(rename(tmp, path), 0);
}

TESTUTIL_FN fathom_profile *collect(void) {
  fathom_profile *p = calloc(1, sizeof *p);
  assert_non_null(p);
  hold(p);
  assert_int_equal(fz_monitor_collect(p), 0);
  return p;
}
/* Samples the running monitor has taken so far. */
TESTUTIL_FN uint64_t samples_now(void) {
  fathom_profile *p = collect();
  uint64_t n = p->res.n_samples;
  release(p);
  return n;
}
/* Waits until the running monitor has taken at least n samples (or fails after 60 s). */
TESTUTIL_FN void wait_samples(uint64_t n) {
  for (int i = 0; i < 6000; i++) {
    if (samples_now() >= n) return;
    sleep_ms(10);
  }
  fail_msg("the monitor did not take %llu samples in 60 s", (unsigned long long)n);
}
TESTUTIL_FN void start(double interval) {
  assert_int_equal(fz_monitor_start(1, interval, 475, now_ns()), 0);
}
/* Starts at interval, waits for n samples, stops and collects. */
TESTUTIL_FN fathom_profile *run(double interval, uint64_t n) {
  start(interval);
  if (n) wait_samples(n);
  fz_monitor_stop();
  return collect();
}
TESTUTIL_FN uint32_t col(const fathom_profile *p, const char *name) {
  for (uint32_t c = 0; c < p->series.n_cols; c++)
    if (strcmp(p->series.cols[c], name) == 0) return c;
  fail_msg("no series column '%s'", name);
  return 0;
}
TESTUTIL_FN double val(const fathom_profile *p, uint64_t row, const char *name) {
  return p->series.v[row * p->series.n_cols + col(p, name)];
}
TESTUTIL_FN const fathom_probe_info *probe(const fathom_profile *p, const char *name) {
  for (uint32_t i = 0; i < p->n_probes; i++)
    if (strcmp(p->probes[i].name, name) == 0) return &p->probes[i];
  fail_msg("no probe '%s'", name);
  return NULL;
}
TESTUTIL_FN void expect_detail(const fathom_profile *p, const char *name, int avail,
                               const char *sub) {
  const fathom_probe_info *pi = probe(p, name);
  if (pi->available != avail || !strstr(pi->detail, sub))
    fail_msg("probe %s: available %d, detail '%s'; wanted available %d and '%s'", name,
             pi->available, pi->detail, avail, sub);
}
/* A short run whose probe `name` must be in state avail with sub in its detail. */
TESTUTIL_FN void run_expect(const char *name, int avail, const char *sub) {
  fathom_profile *p = run(0.02, 1);
  expect_detail(p, name, avail, sub);
  release(p);
}
TESTUTIL_FN void ascending(const fathom_profile *p) {   /* row times strictly increase */
  const uint64_t *t = p->series.ts_ns;
  for (uint64_t i = 1; i < p->series.n; i++) assert_true(t[i] > t[i - 1]);
}
TESTUTIL_FN void near(double got, double want, double tol) {
  if (!(fabs(got - want) <= tol)) fail_msg("got %.9g, wanted %.9g (+- %g)", got, want, tol);
}
TESTUTIL_FN int (*standin_fn(const char *sym))(void) {
  void *h = dlopen(standin, RTLD_NOW | RTLD_NOLOAD);
  if (!h) return NULL;
  union { void *o; int (*f)(void); } u;
  u.o = dlsym(h, sym);
  dlclose(h);
  return u.f;
}
/* GPU stand-in with n devices and the failure list (NULL: none). */
TESTUTIL_FN void use_standin(const char *gpus, const char *fail) {
  setenv("FATHOM_NVML_LIB", standin, 1);
  setenv("NVML_STANDIN_GPUS", gpus, 1);
  if (fail) setenv("NVML_STANDIN_FAIL", fail, 1);
  else unsetenv("NVML_STANDIN_FAIL");
}

TESTUTIL_FN int group_setup(void **state) {
  (void)state;
  const char *t = getenv("FATHOM_TEST_TMP"), *b = getenv("FATHOM_BUILD_DIR");
  snprintf(tmpdir, sizeof tmpdir, "%s/monitor-%ld", t ? t : "/tmp", (long)getpid());
  snprintf(standin, sizeof standin, "%s/libnvml_standin.so", b ? b : ".");
  char cmd[1100];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", tmpdir, tmpdir);
  if (system(cmd) != 0) return -1;
  /* by default: no GPU library, no RAPL tree, so figures do not depend on the machine */
  setenv("FATHOM_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
  setenv("FATHOM_POWERCAP_ROOT", "/nonexistent/powercap", 1);
  return 0;
}
TESTUTIL_FN int group_teardown(void **state) {
  (void)state;
  char cmd[1100];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}
TESTUTIL_FN int mon_cleanup(void **state) {
  fz_monitor_stop();
  fz_monitor_test_max_rows(0);
  fz_proc_set_root(NULL);
  setenv("FATHOM_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
  setenv("FATHOM_POWERCAP_ROOT", "/nonexistent/powercap", 1);
  unsetenv("NVML_STANDIN_FAIL");
  return cleanup(state);
}
#define M(f) cmocka_unit_test_teardown(f, mon_cleanup)

#endif
