/* test_env.c: the environment path. fathom_config_from_env parses every FATHOM_* variable
 * (valid values set the field; invalid ones return FATHOM_E_INVAL, keep the old value and
 * print a message naming the variable); a session begun with cfg NULL takes them; and the
 * auto-start: this test binary re-runs itself as a child ("--child") with FATHOM=1 and
 * FATHOM_OUT set, the child records zones without calling any session function, and the
 * profile file is checked after it exits.
 *
 * Invariant: each test starts from an environment with no FATHOM_* variable that fathom
 * reads, and the children get exactly the variables the test chose. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "fathom.h"

extern char **environ;

static const char *const vars[] = {
    "FATHOM",         "FATHOM_OUT",        "FATHOM_LEVEL",     "FATHOM_TIMELINE",
    "FATHOM_TRACE",   "FATHOM_REPORT",     "FATHOM_MAX_NODES", "FATHOM_MAX_DEPTH",
    "FATHOM_RING",    "FATHOM_COMPONENTS", "FATHOM_MAX_OVERHEAD", "FATHOM_MAX_EVENTS",
    "FATHOM_EXCLUDE", NULL};

static void clear_env(void) {
  for (int i = 0; vars[i]; i++) unsetenv(vars[i]);
}

static char tmpdir[512];
static void make_tmpdir(void) {
  const char *t = getenv("FATHOM_TEST_TMP");
  char base[400];
  snprintf(base, sizeof base, "%s", t && *t ? t : "/tmp");
  mkdir(base, 0777);
  snprintf(tmpdir, sizeof tmpdir, "%s/env-%ld", base, (long)getpid());
  if (mkdir(tmpdir, 0777) != 0 && errno != EEXIST) fail_msg("mkdir %s: %s", tmpdir, strerror(errno));
}
static void tmp_path(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "%s/%s", tmpdir, name);
}

/* Reads a whole file (NUL-terminated, caller frees) or returns NULL. */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (n + 1 == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (buf) buf[n] = 0;
  return buf;
}

/* Runs fathom_config_from_env on *c with stderr captured into err. */
static int from_env_captured(fathom_config *c, char *err, size_t cap) {
  char path[600];
  tmp_path(path, sizeof path, "stderr.txt");
  fflush(stderr);
  int saved = dup(2), fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
  if (saved < 0 || fd < 0) fail_msg("cannot capture stderr into %s", path);
  dup2(fd, 2);
  close(fd);
  int rc = fathom_config_from_env(c);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  char *s = slurp(path);
  snprintf(err, cap, "%s", s ? s : "");
  free(s);
  unlink(path);
  return rc;
}

/* ---- fathom_config_from_env ------------------------------------------------------------- */

/* One variable set to a valid value: returns 0, no message. */
static fathom_config valid(const char *var, const char *value) {
  clear_env();
  setenv(var, value, 1);
  fathom_config c;
  fathom_config_init(&c);
  char err[1024];
  int rc = from_env_captured(&c, err, sizeof err);
  if (rc != 0) fail_msg("%s=%s: returned %d, stderr: %s", var, value, rc, err);
  if (err[0]) fail_msg("%s=%s: unexpected message: %s", var, value, err);
  unsetenv(var);
  return c;
}

static int same_str(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }
static int same_config(const fathom_config *a, const fathom_config *b) {
  return a->level == b->level && a->timeline == b->timeline &&
         a->max_nodes_per_thread == b->max_nodes_per_thread && a->max_depth == b->max_depth &&
         a->ring_events == b->ring_events && a->max_trace_events == b->max_trace_events &&
         a->max_overhead_percent == b->max_overhead_percent &&
         a->report_to_stderr == b->report_to_stderr && same_str(a->out_path, b->out_path) &&
         same_str(a->trace_path, b->trace_path) && same_str(a->components, b->components);
}

/* One variable set to an invalid value: FATHOM_E_INVAL, the config unchanged, a message
 * naming the variable. */
static void invalid(const char *var, const char *value) {
  clear_env();
  setenv(var, value, 1);
  fathom_config c, before;
  fathom_config_init(&c);
  c.level = FATHOM_LEVEL_COMPREHENSIVE; /* non-default values that must survive */
  c.timeline = 1;
  c.report_to_stderr = 1;
  c.max_nodes_per_thread = 777;
  c.max_depth = 77;
  c.ring_events = 7777;
  c.max_overhead_percent = 7.5;
  before = c;
  char err[1024];
  int rc = from_env_captured(&c, err, sizeof err);
  if (rc != FATHOM_E_INVAL) fail_msg("%s=%s: returned %d, want FATHOM_E_INVAL", var, value, rc);
  if (!same_config(&c, &before)) fail_msg("%s=%s: the config was changed", var, value);
  if (!strstr(err, var)) fail_msg("%s=%s: the message does not name it: '%s'", var, value, err);
  unsetenv(var);
}

static void test_config_defaults_untouched(void **state) {
  (void)state;
  clear_env();
  fathom_config a, b;
  fathom_config_init(&a);
  fathom_config_init(&b);
  char err[256];
  assert_int_equal(from_env_captured(&a, err, sizeof err), 0);
  if (!same_config(&a, &b)) fail_msg("an environment without FATHOM_* changed the config");
  assert_string_equal(err, "");
  assert_int_equal(a.level, FATHOM_LEVEL_BASIC);
  assert_int_equal(a.max_nodes_per_thread, 16384);
  assert_int_equal(a.max_depth, 256);
  assert_int_equal(a.ring_events, 65536);
}

static void test_config_level(void **state) {
  (void)state;
  assert_int_equal(valid("FATHOM_LEVEL", "detailed").level, FATHOM_LEVEL_DETAILED);
  assert_int_equal(valid("FATHOM_LEVEL", "COMPREHENSIVE").level, FATHOM_LEVEL_COMPREHENSIVE);
  assert_int_equal(valid("FATHOM_LEVEL", "0").level, FATHOM_LEVEL_DISABLED);
  assert_int_equal(valid("FATHOM_LEVEL", "Basic").level, FATHOM_LEVEL_BASIC);
  invalid("FATHOM_LEVEL", "verbose");
  invalid("FATHOM_LEVEL", "4");
}

static void test_config_bools(void **state) {
  (void)state;
  static const char *const on[] = {"1", "yes", "true", "on", "TRUE"};
  static const char *const names[] = {"FATHOM_TIMELINE", "FATHOM_REPORT"};
  for (int v = 0; v < 2; v++) {
    for (int i = 0; i < 5; i++) {
      fathom_config c = valid(names[v], on[i]);
      assert_int_equal(v ? c.report_to_stderr : c.timeline, 1);
    }
    invalid(names[v], "maybe");
    invalid(names[v], "2");
  }
  /* "0" switches off a field that was on */
  clear_env();
  setenv("FATHOM_TIMELINE", "off", 1);
  setenv("FATHOM_REPORT", "0", 1);
  fathom_config c;
  fathom_config_init(&c);
  c.timeline = c.report_to_stderr = 1;
  assert_int_equal(fathom_config_from_env(&c), 0);
  assert_int_equal(c.timeline, 0);
  assert_int_equal(c.report_to_stderr, 0);
}

static void test_config_numbers(void **state) {
  (void)state;
  assert_int_equal(valid("FATHOM_MAX_NODES", "1000").max_nodes_per_thread, 1000);
  assert_int_equal(valid("FATHOM_MAX_DEPTH", "64").max_depth, 64);
  assert_int_equal(valid("FATHOM_RING", "1024").ring_events, 1024);
  double ov = valid("FATHOM_MAX_OVERHEAD", "2.5").max_overhead_percent;
  if (ov != 2.5) fail_msg("FATHOM_MAX_OVERHEAD=2.5 gave %g", ov);
  static const char *const bad_int[] = {"abc", "12x", "-5", "99999999999999999999999", " "};
  for (int i = 0; i < 5; i++) {
    invalid("FATHOM_MAX_NODES", bad_int[i]);
    invalid("FATHOM_MAX_DEPTH", bad_int[i]);
    invalid("FATHOM_RING", bad_int[i]);
  }
  invalid("FATHOM_MAX_NODES", "0");
  invalid("FATHOM_MAX_DEPTH", "0");
  invalid("FATHOM_MAX_OVERHEAD", "abc");
  invalid("FATHOM_MAX_OVERHEAD", "5%x");
}

static void test_config_strings(void **state) {
  (void)state;
  fathom_config c = valid("FATHOM_OUT", "/x/run.json");
  assert_string_equal(c.out_path, "/x/run.json");
  c = valid("FATHOM_TRACE", "/x/run.trace.json");
  assert_string_equal(c.trace_path, "/x/run.trace.json");
  c = valid("FATHOM_COMPONENTS", "data,training");
  assert_string_equal(c.components, "data,training");
  /* several at once, one of them invalid: the others still apply */
  clear_env();
  setenv("FATHOM_LEVEL", "detailed", 1);
  setenv("FATHOM_MAX_DEPTH", "nope", 1);
  setenv("FATHOM_OUT", "/x/y.csv", 1);
  fathom_config d;
  fathom_config_init(&d);
  char err[1024];
  assert_int_equal(from_env_captured(&d, err, sizeof err), FATHOM_E_INVAL);
  assert_int_equal(d.level, FATHOM_LEVEL_DETAILED);
  assert_int_equal(d.max_depth, 256);
  assert_string_equal(d.out_path, "/x/y.csv");
  assert_non_null(strstr(err, "FATHOM_MAX_DEPTH"));
  assert_null(strstr(err, "FATHOM_LEVEL"));
  clear_env();
}

/* fathom_session_begin(name, NULL): defaults plus the environment. */
static void test_session_from_env(void **state) {
  (void)state;
  clear_env();
  setenv("FATHOM_LEVEL", "detailed", 1);
  setenv("FATHOM_COMPONENTS", "envc", 1);
  assert_int_equal(fathom_session_begin("from-env", NULL), 0);
  clear_env();
  { FATHOM_ZONE("env_kept", "envc"); }
  { FATHOM_ZONE("env_dropped", "other"); }
  fathom_session_info info;
  assert_int_equal(fathom_session_info_get(&info), 0);
  assert_int_equal(info.level, FATHOM_LEVEL_DETAILED);
  fathom_profile *p = NULL;
  assert_int_equal(fathom_session_end(&p), 0);
  assert_non_null(p);
  assert_int_equal(p->n_zones, 1);
  assert_string_equal(p->zones[0].name, "env_kept");
  assert_int_equal(p->meta.level, FATHOM_LEVEL_DETAILED);
  fathom_profile_free(p);
}

/* ---- auto-start in a child process ------------------------------------------------------ */

/* The child: records zones and returns from main without any session call. */
static int child_main(void) {
  for (int i = 0; i < 3; i++) {
    FATHOM_ZONE("auto_outer", "env");
    { FATHOM_ZONE("auto_inner", "env"); }
  }
  return 0;
}

/* The child killed by a signal: records zones, sends itself SIGTERM, and waits to die. The
 * library must write the profile before the signal ends the program. */
static int child_sigterm_main(void) {
  for (int i = 0; i < 4; i++) {
    FATHOM_ZONE("before_signal", "env");
  }
  kill(getpid(), SIGTERM);
  for (int i = 0; i < 500; i++) usleep(10000); /* 5 s at most, then a distinct exit code */
  return 3;
}

/* Runs this program as a child with the FATHOM_* variables in `env` (NULL-terminated
 * "NAME=value" list) replacing the parent's; stderr into err. Returns the child's pid and
 * its wait status in *status. */
static pid_t run_child_mode(const char *mode, const char *const *env, int *status, char *err,
                            size_t cap) {
  char errpath[600];
  tmp_path(errpath, sizeof errpath, "child-stderr.txt");
  size_t n = 0;
  while (environ[n]) n++;
  const char **envp = calloc(n + 16, sizeof *envp);
  assert_non_null(envp);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "FATHOM", 6) != 0) envp[k++] = environ[i];
  for (size_t i = 0; env[i]; i++) envp[k++] = env[i];
  envp[k] = NULL;
  fflush(NULL);
  pid_t pid = fork();
  assert_in_range(pid, 0, INT32_MAX);
  if (pid == 0) {
    int fd = open(errpath, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd >= 0) dup2(fd, 2);
    char arg0[] = "test_env", arg1[32];
    snprintf(arg1, sizeof arg1, "%s", mode);
    char *const argv[] = {arg0, arg1, NULL};
    execve("/proc/self/exe", argv, (char *const *)(uintptr_t)envp);
    _exit(127);
  }
  free(envp);
  assert_int_equal(waitpid(pid, status, 0), pid);
  char *s = slurp(errpath);
  snprintf(err, cap, "%s", s ? s : "");
  free(s);
  unlink(errpath);
  return pid;
}

static pid_t run_child(const char *const *env, int *status, char *err, size_t cap) {
  return run_child_mode("--child", env, status, err, cap);
}

static void expect_exit0(int status, const char *err) {
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail_msg("child: wait status 0x%x, stderr: %s", status, err);
}

/* The CSV row of path `path` has `calls` in its calls column (the 6th). */
static void check_csv_row(const char *csv, const char *path, const char *calls) {
  char head[128];
  snprintf(head, sizeof head, "\n%s,", path);
  const char *r = strstr(csv, head);
  if (!r) fail_msg("no CSV row for path '%s' in:\n%s", path, csv);
  r++;
  for (int f = 0; f < 5 && r; f++) r = strchr(r, ',') ? strchr(r, ',') + 1 : NULL;
  if (!r || strncmp(r, calls, strlen(calls)) != 0 || r[strlen(calls)] != ',')
    fail_msg("CSV row '%s': calls is not %s:\n%s", path, calls, csv);
}

/* A program ended by SIGTERM still writes its profile, and still dies of SIGTERM. */
static void test_autostart_signal(void **state) {
  (void)state;
  make_tmpdir();
  char out[600], env_out[700], err[4096];
  tmp_path(out, sizeof out, "signal.csv");
  unlink(out);
  snprintf(env_out, sizeof env_out, "FATHOM_OUT=%s", out);
  const char *env[] = {"FATHOM=1", env_out, NULL};
  int status;
  run_child_mode("--child-sigterm", env, &status, err, sizeof err);
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
    fail_msg("child should die of SIGTERM: wait status 0x%x, stderr: %s", status, err);
  char *csv = slurp(out);
  if (!csv) fail_msg("no profile written to %s before the signal; stderr: %s", out, err);
  check_csv_row(csv, "before_signal", "4");
  free(csv);
  unlink(out);
}

static void test_autostart_csv(void **state) {
  (void)state;
  make_tmpdir();
  char out[600], env_out[700], err[4096];
  tmp_path(out, sizeof out, "auto.csv");
  unlink(out);
  snprintf(env_out, sizeof env_out, "FATHOM_OUT=%s", out);
  const char *env[] = {"FATHOM=1", env_out, "FATHOM_MAX_DEPTH=abc", NULL};
  int status;
  run_child(env, &status, err, sizeof err);
  expect_exit0(status, err);
  assert_non_null(strstr(err, "FATHOM_MAX_DEPTH")); /* the bad variable was reported */
  char *csv = slurp(out);
  if (!csv) fail_msg("no profile written to %s; child stderr: %s", out, err);
  if (strncmp(csv, "path,zone,component,", 20) != 0) fail_msg("not the CSV view:\n%s", csv);
  check_csv_row(csv, "auto_outer", "3");
  check_csv_row(csv, "auto_outer/auto_inner", "3");
  free(csv);
  unlink(out);
}

static void test_autostart_disabled(void **state) {
  (void)state;
  make_tmpdir();
  char out[600], env_out[700], err[4096];
  tmp_path(out, sizeof out, "disabled.csv");
  unlink(out);
  snprintf(env_out, sizeof env_out, "FATHOM_OUT=%s", out);
  const char *env[] = {"FATHOM=0", env_out, NULL};
  int status;
  run_child(env, &status, err, sizeof err);
  expect_exit0(status, err);
  struct stat st;
  if (stat(out, &st) == 0) fail_msg("FATHOM=0 still wrote %s", out);
}

static void test_autostart_pid(void **state) {
  (void)state;
  make_tmpdir();
  char pattern[600], env_out[700], err[4096], want[600], name[64];
  tmp_path(pattern, sizeof pattern, "auto-%p.csv");
  snprintf(env_out, sizeof env_out, "FATHOM_OUT=%s", pattern);
  const char *env[] = {"FATHOM=1", env_out, NULL};
  int status;
  pid_t pid = run_child(env, &status, err, sizeof err);
  expect_exit0(status, err);
  snprintf(name, sizeof name, "auto-%ld.csv", (long)pid);
  tmp_path(want, sizeof want, name);
  char *csv = slurp(want);
  if (!csv) fail_msg("%%p was not expanded to the pid: no %s; stderr: %s", want, err);
  check_csv_row(csv, "auto_outer", "3");
  free(csv);
  unlink(want);
}

/* No file named `prefix`* is left in dir. */
static void expect_no_file(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
      closedir(d);
      fail_msg("%s/%s was left behind", dir, e->d_name);
    }
  closedir(d);
}

static void test_autostart_unwritable(void **state) {
  (void)state;
  make_tmpdir();
  char out[600], env_out[700], err[4096];
  /* a directory that does not exist */
  tmp_path(out, sizeof out, "no/such/dir/x.csv");
  snprintf(env_out, sizeof env_out, "FATHOM_OUT=%s", out);
  const char *env[] = {"FATHOM=1", env_out, NULL};
  int status;
  run_child(env, &status, err, sizeof err);
  expect_exit0(status, err);
  if (!strstr(err, "fathom")) fail_msg("no message on stderr");
  struct stat st;
  if (stat(out, &st) == 0) fail_msg("%s exists", out);
  expect_no_file(tmpdir, "no");
  /* the target is a directory: the file is written, the rename fails, the temp file goes */
  char dir[600];
  tmp_path(dir, sizeof dir, "isadir.csv");
  mkdir(dir, 0777);
  char inner[700];
  snprintf(inner, sizeof inner, "%s/keep", dir);
  FILE *f = fopen(inner, "w"); /* non-empty: rename over it must fail */
  assert_non_null(f);
  fclose(f);
  snprintf(env_out, sizeof env_out, "FATHOM_OUT=%s", dir);
  run_child(env, &status, err, sizeof err);
  expect_exit0(status, err);
  if (!strstr(err, "fathom")) fail_msg("no message on stderr for %s", dir);
  expect_no_file(tmpdir, "isadir.csv.");
  unlink(inner);
  rmdir(dir);
}

static int cleanup(void **state) {
  (void)state;
  clear_env();
  (void)fathom_session_end(NULL);
  return 0;
}
#define T(f) cmocka_unit_test_teardown(f, cleanup)

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--child") == 0) return child_main();
  if (argc > 1 && strcmp(argv[1], "--child-sigterm") == 0) return child_sigterm_main();
  const struct CMUnitTest tests[] = {
      T(test_config_defaults_untouched), T(test_config_level),     T(test_config_bools),
      T(test_config_numbers),            T(test_config_strings),   T(test_session_from_env),
      T(test_autostart_csv),             T(test_autostart_disabled), T(test_autostart_pid),
      T(test_autostart_unwritable),      T(test_autostart_signal),
  };
  make_tmpdir();
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  rmdir(tmpdir);
  return rc;
}
