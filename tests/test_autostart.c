/* test_autostart.c: the promises around FATHOM=1 / FATHOM_OUT that involve other processes
 * or the program's own session, and the cap on dynamic zone names:
 *   - a fathom-linked program exec'd by another one, both with the same FATHOM_OUT: neither
 *     overwrites the other's file (the second claimant writes OUT.<pid>.ext and says so);
 *   - a fork()ed child (no exec) writes OUT.<pid>, the parent OUT;
 *   - a program that begins its own session while FATHOM_OUT is set: its session replaces
 *     the auto-started one, keeps its configuration, and writes FATHOM_OUT when it has no
 *     out_path of its own (its own out_path otherwise), saying so once on stderr; a session
 *     begun in a constructor before fathom's start-up is adopted the same way;
 *   - beyond 65,536 distinct dynamic zone names, every further call is still counted, under
 *     "(other dynamic zones)", and the end of the session says so.
 * The tests run this program again as a child ("--mode") with the FATHOM_* variables each
 * chose, and read the files and the stderr it left. */
#include <fcntl.h>
#include <dirent.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "scratch.h"

extern char **environ;

/* ---- the children (no cmocka here: their checks are their exit codes) ------------------ */

static char arg0[] = "test_autostart";

static int zones(const char *name, int n) {
  for (int i = 0; i < n; i++) fathom_zone_end(fathom_zone_begin(name, "auto"));
  return 0;
}

/* Records, runs this program again with the same environment ("--exec-child"), waits. */
static int exec_parent_main(void) {
  zones("parent_zone", 2);
  pid_t pid;
  static char mode[] = "--exec-child";
  char *argv[] = {arg0, mode, NULL};
  if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ) != 0) return 20;
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 21;
  return zones("parent_zone", 1);
}

/* Records, forks a child that records and exits normally (its profile written at exit). */
static int fork_parent_main(void) {
  zones("parent_zone", 1);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return 30;
  if (pid == 0) exit(zones("forked_zone", 4));
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 31;
  return 0;
}

/* Begins its own session (components "own", depth cap 77; out_path from FZT_OWN_OUT if set)
 * after recording a zone in the auto-started one; ends it unless FZT_OWN_OUT is set. */
static int own_session_main(void) {
  zones("before_begin", 1);
  fathom_config c;
  fathom_config_init(&c);
  c.components = "own";
  c.max_depth = 77;
  c.out_path = getenv("FZT_OWN_OUT");
  if (fathom_session_begin("mine", &c) != 0) return 40;
  fathom_session_info info;
  if (fathom_session_info_get(&info) != 0 || strcmp(info.name, "mine") != 0) return 41;
  { FATHOM_ZONE("mine_zone", "own"); }
  { FATHOM_ZONE("filtered_out", "elsewhere"); }
  if (c.out_path) return 0;   /* not ended: the profile is written at exit */
  fathom_profile *p = NULL;
  if (fathom_session_end(&p) != 0 || !p) return 42;
  int rc = 0;
  for (uint32_t i = 0; i < p->n_zones; i++)
    if (strcmp(p->zones[i].name, "mine_zone") != 0) rc = 43;
  if (p->n_zones != 1) rc = 44;
  fathom_profile_free(p);
  return rc;
}

/* A session begun before fathom's own start-up (a higher-priority constructor). */
__attribute__((constructor(101))) static void early_session(void) {
  if (getenv("FZT_CTOR_SESSION")) (void)fathom_session_begin("early", NULL);
}

/* ---- the parent's side ------------------------------------------------------------------ */

static char errpath[700];

/* Runs this program with `mode`; the FATHOM* and FZT_* variables of the environment replaced
 * by `vars` (NULL-terminated "NAME=value"); its stderr into errpath. Its wait status. */
static int spawn_self(const char *mode, const char *const *vars) {
  size_t n = 0, k = 0;
  while (environ[n]) n++;
  char **envp = calloc(n + 16, sizeof *envp);
  assert_non_null(envp);
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "FATHOM", 6) != 0 && strncmp(environ[i], "FZT_", 4) != 0)
      envp[k++] = environ[i];
  for (size_t i = 0; vars[i] && i < 15; i++) envp[k++] = (char *)(uintptr_t)vars[i];
  snprintf(errpath, sizeof errpath, "%s/stderr-%s.txt", dir, mode + 2);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  char arg1[32];
  snprintf(arg1, sizeof arg1, "%s", mode);
  char *argv[] = {arg0, arg1, NULL};
  pid_t pid;
  fflush(NULL);
  assert_int_equal(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, envp), 0);
  posix_spawn_file_actions_destroy(&fa);
  free(envp);
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  return st;
}

static char err[1 << 14];
static void spawn_ok(const char *mode, const char *const *vars) {
  int st = spawn_self(mode, vars);
  read_text(errpath, err, sizeof err);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    fail_msg("%s: wait status 0x%x; stderr:\n%s", mode, st, err);
}

/* How many times s occurs in text. */
static int occurrences(const char *text, const char *s) {
  int n = 0;
  for (const char *p = strstr(text, s); p; p = strstr(p + 1, s)) n++;
  return n;
}

/* The calls of the CSV row whose path is `path` in the file at `file` (-1: no such row, -2:
 * no such file). The calls are the 6th column. */
static long csv_calls(const char *file, const char *path) {
  static char csv[1 << 16];
  if (access(file, R_OK) != 0) return -2;
  read_text(file, csv, sizeof csv);
  size_t pl = strlen(path);
  for (const char *line = csv; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, path, pl) != 0 || line[pl] != ',') continue;
    const char *f = line;
    for (int col = 0; col < 5 && f; col++) f = strchr(f, ',') ? strchr(f, ',') + 1 : NULL;
    return f ? strtol(f, NULL, 10) : -1;
  }
  return -1;
}

/* The one file in dir whose name starts with prefix and is not `except` (NULL if none; fails
 * when there are several). */
static const char *only_file(const char *prefix, const char *except) {
  static char found[900];
  found[0] = 0;
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 || strcmp(e->d_name, except) == 0 ||
        strstr(e->d_name, "stderr"))
      continue;
    n++;
    snprintf(found, sizeof found, "%s/%s", dir, e->d_name);
  }
  closedir(d);
  if (n > 1) fail_msg("%d files named %s* in %s", n, prefix, dir);
  return n ? found : NULL;
}

/* An exec'd fathom-linked child and its parent, same FATHOM_OUT: two files, each whole. */
static void test_exec_child_keeps_parent_file(void **state) {
  (void)state;
  setup_dir("autostart-exec");
  char out[800], var[900];
  snprintf(out, sizeof out, "%s/run.csv", dir);
  snprintf(var, sizeof var, "FATHOM_OUT=%s", out);
  const char *vars[] = {var, NULL};
  spawn_ok("--exec-parent", vars);
  if (csv_calls(out, "parent_zone") != 3 || csv_calls(out, "child_zone") != -1)
    fail_msg("%s is not the parent's profile (parent_zone %ld, child_zone %ld); stderr:\n%s", out,
             csv_calls(out, "parent_zone"), csv_calls(out, "child_zone"), err);
  const char *child = only_file("run.", "run.csv");
  if (!child) fail_msg("the exec'd child wrote no file of its own beside %s; stderr:\n%s", out, err);
  assert_int_equal(csv_calls(child, "child_zone"), 3);
  assert_int_equal(csv_calls(child, "parent_zone"), -1);
  /* run.<pid>.csv: the pid before the extension, and said once */
  const char *name = strrchr(child, '/') + 1;
  char *end = NULL;
  long pid = strtol(name + 4, &end, 10);
  if (pid <= 0 || strcmp(end, ".csv") != 0) fail_msg("derived name %s is not run.<pid>.csv", name);
  assert_int_equal(occurrences(err, "is claimed by another running process"), 1);
  assert_non_null(strstr(err, name));
}

/* fork() without exec (the existing handling): the child writes OUT.<pid>. */
static void test_fork_child_own_file(void **state) {
  (void)state;
  setup_dir("autostart-fork");
  char out[800], var[900];
  snprintf(out, sizeof out, "%s/fork.csv", dir);
  snprintf(var, sizeof var, "FATHOM_OUT=%s", out);
  const char *vars[] = {var, NULL};
  spawn_ok("--fork-parent", vars);
  assert_int_equal(csv_calls(out, "parent_zone"), 1);
  assert_int_equal(csv_calls(out, "forked_zone"), -1);
  const char *child = only_file("fork.csv.", "fork.csv");
  if (!child) fail_msg("the forked child wrote no fork.csv.<pid>; stderr:\n%s", err);
  assert_int_equal(csv_calls(child, "forked_zone"), 4);
  assert_null(strstr(err, "claimed"));   /* a forked child is no second claimant */
}

/* The program's own session wins: its configuration, FATHOM_OUT as its out_path. */
static void test_own_session_takes_env_out(void **state) {
  (void)state;
  setup_dir("autostart-own");
  char out[800], var[900];
  snprintf(out, sizeof out, "%s/own.csv", dir);
  snprintf(var, sizeof var, "FATHOM_OUT=%s", out);
  const char *vars[] = {"FATHOM=1", var, NULL};
  spawn_ok("--own-session", vars);
  assert_int_equal(csv_calls(out, "mine_zone"), 1);
  assert_int_equal(csv_calls(out, "before_begin"), -1);   /* the auto-started session's */
  assert_int_equal(csv_calls(out, "filtered_out"), -1);   /* the program's components */
  assert_int_equal(occurrences(err, "began its own session 'mine'"), 1);
  assert_non_null(strstr(err, out));
}

/* ... and its own out_path when it has one (written at exit: it never ends its session);
 * FATHOM_OUT is then not written. */
static void test_own_session_own_out(void **state) {
  (void)state;
  setup_dir("autostart-ownout");
  char out[800], var[900], own[800], ownvar[900];
  snprintf(out, sizeof out, "%s/env.csv", dir);
  snprintf(var, sizeof var, "FATHOM_OUT=%s", out);
  snprintf(own, sizeof own, "%s/mine.csv", dir);
  snprintf(ownvar, sizeof ownvar, "FZT_OWN_OUT=%s", own);
  const char *vars[] = {var, ownvar, NULL};
  spawn_ok("--own-session", vars);
  assert_int_equal(csv_calls(own, "mine_zone"), 1);
  assert_int_equal(csv_calls(own, "before_begin"), -1);
  assert_int_equal(csv_calls(out, "mine_zone"), -2);
  assert_non_null(strstr(err, own));
}

/* A session the program began before fathom's start-up takes FATHOM_OUT and is ended at
 * exit. */
static void test_ctor_session_adopted(void **state) {
  (void)state;
  setup_dir("autostart-ctor");
  char out[800], var[900];
  snprintf(out, sizeof out, "%s/ctor.csv", dir);
  snprintf(var, sizeof var, "FATHOM_OUT=%s", out);
  const char *vars[] = {var, "FZT_CTOR_SESSION=1", NULL};
  spawn_ok("--zones", vars);
  if (csv_calls(out, "auto_zone") != 5)
    fail_msg("%s: auto_zone calls %ld, want 5; stderr:\n%s", out, csv_calls(out, "auto_zone"), err);
}

/* 100,000 distinct dynamic names: the first 65,536 are zones, the rest one zone, and every
 * call is in the profile. */
static void test_dynamic_names_overflow(void **state) {
  (void)state;
  setup_dir("autostart-names");
  fathom_config c;
  fathom_config_init(&c);
  c.max_nodes_per_thread = 1u << 18;
  assert_int_equal(fathom_session_begin("names", &c), 0);
  /* in chains of 100 nested zones: new siblings under one parent cost a walk of their
   * list each, and 100,000 of them would take minutes */
  char name[32];
  fathom_zone chain[100];
  for (int i = 0; i < 100000; i += 100) {
    for (int j = 0; j < 100; j++) {
      snprintf(name, sizeof name, "dyn%d", i + j);
      chain[j] = fathom_zone_begin(name, "names");
    }
    for (int j = 99; j >= 0; j--) assert_int_equal(fathom_zone_end(chain[j]), 0);
  }
  char path[700];
  int saved = stderr_to_file(path, sizeof path);
  fathom_profile *p = end();
  stderr_restore(saved);
  read_text(path, err, sizeof err);
  uint64_t calls = 0;
  for (uint32_t i = 0; i < p->n_zones; i++) calls += p->zones[i].stats.count;
  assert_int_equal(calls, 100000);
  assert_int_equal(p->meta.dropped_zones, 0);
  assert_int_equal(p->n_zones, 65536 + 1);
  assert_int_equal(zone(p, "(other dynamic zones)")->stats.count, 100000 - 65536);
  assert_string_equal(zone(p, "(other dynamic zones)")->component, "names");
  if (!strstr(err, "34464 calls") || !strstr(err, "(other dynamic zones)"))
    fail_msg("the session's end did not say so: '%s'", err);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--exec-parent") == 0) return exec_parent_main();
  if (argc > 1 && strcmp(argv[1], "--exec-child") == 0) return zones("child_zone", 3);
  if (argc > 1 && strcmp(argv[1], "--fork-parent") == 0) return fork_parent_main();
  if (argc > 1 && strcmp(argv[1], "--own-session") == 0) return own_session_main();
  if (argc > 1 && strcmp(argv[1], "--zones") == 0) return zones("auto_zone", 5);
  const struct CMUnitTest tests[] = {
      T(test_exec_child_keeps_parent_file), T(test_fork_child_own_file),
      T(test_own_session_takes_env_out),    T(test_own_session_own_out),
      T(test_ctor_session_adopted),         T(test_dynamic_names_overflow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
