/* test_autosave.c: periodic autosave: by time (several complete saves, each file loads, a
 * reader thread loading the file all along never sees a partial one), by zone calls (a save
 * follows N calls, none without new calls), the final save at session end, the format from
 * the extension, %p, FATHOM_AUTOSAVE* from the environment, and a failing path reported once
 * on stderr without harming the session. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <glob.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "scratch.h"
#include "fathom_load.h"

static uint64_t saves(void) {
  fathom_live_info i;
  assert_int_equal(fathom_live_info_get(&i), 0);
  return i.n_autosaves;
}

/* Waits (at most 20 s) until at least n saves were made. */
static void wait_saves(uint64_t n) {
  for (int i = 0; i < 2000 && saves() < n; i++) sleep_ms(10);
  if (saves() < n) fail_msg("only %llu autosaves after 20 s, expected %llu",
                            (unsigned long long)saves(), (unsigned long long)n);
}

static uint64_t count_of(const char *path, const char *zone_name) {
  fathom_profile *p = NULL;
  char err[256] = "";
  if (fathom_profile_load(path, &p, err, sizeof err) != 0) fail_msg("%s: %s", path, err);
  uint64_t n = 0;
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (!strcmp(p->zones[i].name, zone_name)) n = p->zones[i].stats.count;
  fathom_profile_free(p);
  return n;
}

static void calls(int n) {
  for (int i = 0; i < n; i++) {
    FATHOM_ZONE("step", "train");
  }
}

typedef struct reader_arg {
  const char *path;
  volatile int stop;
  int loads, bad;
  char err[256];
} reader_arg;

static void *reader(void *a_) {
  reader_arg *a = a_;
  while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
    if (access(a->path, F_OK) != 0) continue;
    fathom_profile *p = NULL;
    char err[256] = "";
    if (fathom_profile_load(a->path, &p, err, sizeof err) == 0) {
      a->loads++;
      fathom_profile_free(p);
    } else if (access(a->path, F_OK) == 0) {
      a->bad++;
      snprintf(a->err, sizeof a->err, "%s", err);
    }
  }
  return NULL;
}

static void by_time(void **state) {
  (void)state;
  char path[600];
  snprintf(path, sizeof path, "%s/time.json", dir);
  fathom_config c;
  fathom_config_init(&c);
  c.autosave_path = path;
  c.autosave_interval_s = 0.1;
  assert_int_equal(fathom_session_begin("autosave", &c), 0);
  reader_arg ra = {.path = path};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, reader, &ra), 0);
  calls(100);
  wait_saves(1);
  assert_true(count_of(path, "step") >= 100);
  calls(100);
  uint64_t before = saves();
  wait_saves(before + 2);
  assert_int_equal(count_of(path, "step"), 200);
  __atomic_store_n(&ra.stop, 1, __ATOMIC_RELEASE);
  pthread_join(th, NULL);
  if (ra.bad) fail_msg("a reader saw %d partial or bad files: %s", ra.bad, ra.err);
  assert_true(ra.loads > 0);
  calls(7);
  fathom_profile *p = end();
  assert_int_equal(zone(p, "step")->stats.count, 207);
  assert_int_equal(count_of(path, "step"), 207);   /* the final save */
  fathom_live_info i;
  fathom_live_info_get(&i);
  assert_int_equal(i.n_autosave_errors, 0);
  char pattern[700];
  snprintf(pattern, sizeof pattern, "%s.tmp.*", path); /* temporaries: random names */
  glob_t g;
  assert_int_equal(glob(pattern, 0, NULL, &g), GLOB_NOMATCH); /* no temporary left */
  globfree(&g);
}

static void by_ops(void **state) {
  (void)state;
  char path[600];
  snprintf(path, sizeof path, "%s/ops-%%p.json", dir);
  fathom_config c;
  fathom_config_init(&c);
  c.autosave_path = path;
  c.autosave_every_ops = 1000;
  assert_int_equal(fathom_session_begin("autosave-ops", &c), 0);
  char real[600];
  snprintf(real, sizeof real, "%s/ops-%ld.json", dir, (long)getpid());
  calls(999);
  sleep_ms(500);
  assert_int_equal(saves(), 0);   /* below the count: no save however long we wait */
  assert_int_equal(access(real, F_OK), -1);
  calls(1);
  wait_saves(1);
  assert_true(count_of(real, "step") >= 1000);
  sleep_ms(500);
  assert_int_equal(saves(), 1);   /* no new calls: no new save */
  calls(2500);
  wait_saves(2);
  assert_true(count_of(real, "step") >= 2000);
  end();
  assert_int_equal(count_of(real, "step"), 3500);
}

static void text_format_and_env(void **state) {
  (void)state;
  char path[600];
  snprintf(path, sizeof path, "%s/env.txt", dir);
  setenv("FATHOM_AUTOSAVE", path, 1);
  setenv("FATHOM_AUTOSAVE_INTERVAL", "0.1", 1);
  assert_int_equal(fathom_session_begin("autosave-env", NULL), 0);
  unsetenv("FATHOM_AUTOSAVE");
  unsetenv("FATHOM_AUTOSAVE_INTERVAL");
  calls(3);
  wait_saves(1);
  end();
  char buf[8192];
  read_text(path, buf, sizeof buf);
  assert_true(buf[0] != '{');              /* the text report, not JSON */
  assert_non_null(strstr(buf, "step"));
}

static int begin_bad(void) {
  fathom_config c;
  fathom_config_init(&c);
  c.autosave_path = "/nonexistent-dir-for-fathom-tests/x.json";
  c.autosave_interval_s = 0.1;
  return fathom_session_begin("autosave-bad", &c);
}

static void failure_reported_once(void **state) {
  (void)state;
  char errpath[600];
  int saved = stderr_to_file(errpath, sizeof errpath);
  int rc = begin_bad();
  calls(5);
  fathom_live_info i;
  for (int k = 0; k < 2000; k++) {
    fathom_live_info_get(&i);
    if (i.n_autosave_errors >= 3) break;
    sleep_ms(10);
  }
  fathom_profile *p = NULL;
  int erc = fathom_session_end(&p);
  stderr_restore(saved);
  hold(p);
  assert_int_equal(rc, 0);
  assert_int_equal(erc, 0);   /* autosave failures never fail the session */
  assert_int_equal(zone(p, "step")->stats.count, 5);
  fathom_live_info_get(&i);
  assert_true(i.n_autosave_errors >= 3);
  assert_int_equal(i.n_autosaves, 0);
  char buf[4096];
  size_t n = read_text(errpath, buf, sizeof buf);
  int lines = 0;
  for (size_t k = 0; k < n; k++) lines += buf[k] == '\n';
  assert_int_equal(lines, 1);
  assert_non_null(strstr(buf, "fathom: autosave to /nonexistent-dir-for-fathom-tests/x.json failed"));
}

int main(void) {
  setup_dir("autosave");
  const struct CMUnitTest tests[] = {
      T(by_time), T(by_ops), T(text_format_and_env), T(failure_reported_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
