/* test_config_file.c: presets and config files.
 * - Each preset sets exactly the fields it governs (level, budget, monitor, allocations,
 *   timeline, governor, probing rate) and keeps the others (an output path set before); an
 *   unknown name is refused and changes nothing.
 * - A config file: comments, blank lines, quotes, keys with and without FATHOM_ in any case,
 *   `=` or a space; its preset applies before its other lines whatever their order; an
 *   unknown key and a bad value are each reported with the file and line, and the other
 *   lines still apply; a file that is missing, too large or binary is refused.
 * - FATHOM_CONFIG: fathom_config_from_env reads the file under the environment (a variable
 *   set there wins); thresholds come from it too; a missing file is an error said once. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char dir[] = "/tmp/fathom-conf-XXXXXX";

static const char *write_file(const char *name, const char *text, size_t len) {
  static char path[4][256];
  static int k;
  char *p = path[k++ % 4];
  snprintf(p, 256, "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  assert_int_equal(fwrite(text, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
  return p;
}
#define WRITE(name, text) write_file(name, text, strlen(text))

/* Runs fn with stderr going to a file; returns what it wrote (static buffer). */
static int saved_fd = -1;
static char errbuf[8192];
static void capture_begin(void) {
  fflush(stderr);
  saved_fd = dup(2);
  char p[256];
  snprintf(p, sizeof p, "%s/stderr", dir);
  int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0600);
  assert_true(fd >= 0);
  dup2(fd, 2);
  close(fd);
}
static const char *capture_end(void) {
  fflush(stderr);
  dup2(saved_fd, 2);
  close(saved_fd);
  char p[256];
  snprintf(p, sizeof p, "%s/stderr", dir);
  FILE *f = fopen(p, "r");
  size_t n = f ? fread(errbuf, 1, sizeof errbuf - 1, f) : 0;
  if (f) fclose(f);
  errbuf[n] = '\0';
  return errbuf;
}

static void test_presets(void **state) {
  (void)state;
  fathom_config c, d;
  fathom_config_init(&d);
  fathom_config_init(&c);
  c.out_path = "keep.json";
  assert_int_equal(fathom_config_preset(&c, "lightweight"), 0);
  assert_int_equal(c.level, FATHOM_LEVEL_BASIC);
  assert_true(c.max_overhead_percent == 1);
  assert_int_equal(c.monitor, 0);
  assert_int_equal(c.alloc_track, 0);
  assert_int_equal(c.timeline, 0);
  assert_string_equal(c.out_path, "keep.json");
  assert_int_equal(fathom_config_preset(&c, "Comprehensive"), 0);
  assert_int_equal(c.level, FATHOM_LEVEL_COMPREHENSIVE);
  assert_true(c.max_overhead_percent == 0);   /* the level's own budget (10 %) */
  assert_int_equal(c.monitor, 1);
  assert_int_equal(c.alloc_track, 1);
  assert_int_equal(c.timeline, 1);
  assert_int_equal(c.governor, 1);
  assert_int_equal(fathom_config_preset(&c, "research"), 0);
  assert_int_equal(c.governor, 0);
  assert_int_equal(c.sample_every, 1);
  assert_true(c.monitor_interval_s == 0.1);
  assert_int_equal(fathom_config_preset(&c, "detailed"), 0);
  assert_int_equal(c.level, FATHOM_LEVEL_DETAILED);
  assert_int_equal(c.sample_every, d.sample_every);
  assert_int_equal(c.monitor, d.monitor);
  assert_int_equal(fathom_config_preset(&c, "standard"), 0);
  assert_int_equal(c.level, d.level);
  assert_int_equal(c.timeline, d.timeline);
  assert_int_equal(c.alloc_track, d.alloc_track);
  assert_string_equal(c.out_path, "keep.json");
  fathom_config before = c;
  assert_int_equal(fathom_config_preset(&c, "turbo"), FATHOM_E_INVAL);
  assert_memory_equal(&before, &c, sizeof c);
  assert_int_equal(fathom_config_preset(NULL, "standard"), FATHOM_E_INVAL);
  assert_int_equal(fathom_config_preset(&c, NULL), FATHOM_E_INVAL);
}

static void test_file(void **state) {
  (void)state;
  const char *p = WRITE("team.conf",
                        "# our profiling setup\n"
                        "\n"
                        "level = basic\n"                    /* line 3: over the preset */
                        "  FATHOM_OUT=\"out dir/profile.json\"\n"
                        "Sample_Every 4\n"
                        "max_nodes = lots\n"                 /* line 6: bad value */
                        "colour = blue\n"                    /* line 7: unknown key */
                        "preset = research\n"                /* applied first */
                        "sla = request:p95<=50ms\n"
                        "timeline = 0\n"
                        "timeline = off\n");                 /* the last line wins */
  fathom_config c;
  fathom_config_init(&c);
  uint32_t nodes = c.max_nodes_per_thread;
  capture_begin();
  int rc = fathom_config_from_file(&c, p);
  const char *err = capture_end();
  printf("%s", err);
  assert_int_equal(rc, FATHOM_E_INVAL);
  assert_int_equal(c.level, FATHOM_LEVEL_BASIC);
  assert_int_equal(c.governor, 0);                   /* from the research preset */
  assert_string_equal(c.out_path, "out dir/profile.json");
  assert_int_equal(c.sample_every, 4);
  assert_int_equal(c.max_nodes_per_thread, nodes);  /* kept */
  assert_string_equal(c.sla, "request:p95<=50ms");
  assert_int_equal(c.timeline, 0);
  assert_non_null(strstr(err, "team.conf:6: FATHOM_MAX_NODES=lots: expected an integer"));
  assert_non_null(strstr(err, "team.conf:7: unknown option 'colour'"));
  /* read once per process: a second call says nothing new about its lines */
  fathom_config_init(&c);
  capture_begin();
  rc = fathom_config_from_file(&c, p);
  err = capture_end();
  assert_null(strstr(err, "colour"));
  assert_int_equal(c.sample_every, 4);
}

static void test_bad_files(void **state) {
  (void)state;
  fathom_config c;
  fathom_config_init(&c);
  char path[300];
  snprintf(path, sizeof path, "%s/missing.conf", dir);
  capture_begin();
  assert_int_equal(fathom_config_from_file(&c, path), FATHOM_E_IO);
  const char *err = capture_end();
  assert_non_null(strstr(err, "missing.conf: cannot read it"));
  char *big = malloc(70000);
  memset(big, '#', 70000);
  const char *bp = write_file("big.conf", big, 70000);
  free(big);
  capture_begin();
  assert_int_equal(fathom_config_from_file(&c, bp), FATHOM_E_IO);
  err = capture_end();
  assert_non_null(strstr(err, "larger than 64 KiB"));
  const char *np = write_file("nul.conf", "level = basic\n\0x", 16);
  capture_begin();
  assert_int_equal(fathom_config_from_file(&c, np), FATHOM_E_IO);
  err = capture_end();
  assert_non_null(strstr(err, "a NUL byte"));
  assert_int_equal(fathom_config_from_file(NULL, np), FATHOM_E_INVAL);
  assert_int_equal(fathom_config_from_file(&c, ""), FATHOM_E_INVAL);
  fathom_config d;
  fathom_config_init(&d);
  assert_memory_equal(&c, &d, sizeof c);
}

static void test_env(void **state) {
  (void)state;
  const char *p = WRITE("env.conf", "preset = lightweight\n"
                                    "timeline = 1\n"
                                    "out = from-file.json\n"
                                    "cpu_threshold_ms = 42\n"
                                    "thresholds = db.cpu_ms=7\n");
  setenv("FATHOM_CONFIG", p, 1);
  setenv("FATHOM_OUT", "from-env.json", 1);
  fathom_config c;
  fathom_config_init(&c);
  assert_int_equal(fathom_config_from_env(&c), 0);
  assert_string_equal(c.out_path, "from-env.json");  /* the environment wins */
  assert_int_equal(c.timeline, 1);
  assert_true(c.max_overhead_percent == 1);
  assert_int_equal(c.monitor, 0);
  fathom_thresholds t;
  fathom_thresholds_init(&t);
  assert_int_equal(fathom_thresholds_from_env(&t), 0);
  assert_true(t.cpu_ms == 42);
  int db = 0;
  for (uint32_t i = 0; i < t.n_components; i++)
    if (!strcmp(t.components[i].component, "db")) db = t.components[i].cpu_ms == 7;
  assert_true(db);
  unsetenv("FATHOM_OUT");
  fathom_config_init(&c);
  assert_int_equal(fathom_config_from_env(&c), 0);
  assert_string_equal(c.out_path, "from-file.json");
  char missing[300];
  snprintf(missing, sizeof missing, "%s/nope.conf", dir);
  setenv("FATHOM_CONFIG", missing, 1);
  capture_begin();
  assert_int_equal(fathom_config_from_env(&c), FATHOM_E_INVAL);
  assert_int_equal(fathom_config_from_env(&c), FATHOM_E_INVAL);
  const char *err = capture_end();
  const char *first = strstr(err, "nope.conf: cannot read it");
  assert_non_null(first);
  assert_null(strstr(first + 1, "nope.conf: cannot read it"));   /* said once */
  unsetenv("FATHOM_CONFIG");
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_presets),
      cmocka_unit_test(test_file),
      cmocka_unit_test(test_bad_files),
      cmocka_unit_test(test_env),
  };
  int rc = cmocka_run_group_tests_name("config_file", tests, NULL, NULL);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) return 1;
  return rc;
}
