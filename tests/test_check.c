/* test_check.c: fathom_profile_check (src/model/check.c): a hand-built consistent model
 * passes; each rule, broken one at a time, is reported (the count and a message naming the
 * rule and the node's path); and the library's hook fz_check_env (FATHOM_CHECK,
 * FATHOM_CHECK_FAIL_FILE). (test_check_hostile.c: hostile models, the message buffer.)
 *
 * Invariant: every model here is built by mk_ok() (check_fixture.h) and changed in one place
 * per case, so the expected count is exact; the environment the ctest run sets
 * (FATHOM_CHECK_FAIL_FILE pointing at the run's shared log) is replaced by this group's own
 * file before fz_check_env runs. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/check.h"
#include "check_fixture.h"

/* ---- a consistent model ---------------------------------------------------------------- */

static void test_consistent(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  msg[0] = 'x';
  assert_int_equal(fathom_profile_check(p, msg, sizeof msg), 0);
  assert_string_equal(msg, "");
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  assert_int_equal(fathom_profile_check(p, NULL, 100), 0);
  fathom_profile_free(p);

  fathom_profile empty;
  memset(&empty, 0, sizeof empty);
  assert_int_equal(fathom_profile_check(&empty, msg, sizeof msg), 0);
  assert_int_equal(fathom_profile_check(NULL, msg, sizeof msg), FATHOM_E_INVAL);
  assert_string_equal(msg, "");
}

/* ---- each rule broken alone -------------------------------------------------------------- */

static void test_self_above_total(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[2].stats.self_ns = p->nodes[2].stats.total_ns + 5;
  /* the node, and its zone's roll-up of self times no longer matching */
  expect(p, 2, "node 2 (main;parse;read, thread 0): self 2.00 ms > total 2.00 ms (+5 ns)",
         "zone 2 (read): self", NULL);
  p->nodes[2].stats.self_ns = p->nodes[2].stats.total_ns + 1;   /* 1 ns of slack */
  rollup(p);
  p->nodes[2].stats.self_ns = p->nodes[2].stats.total_ns + 1;
  p->zones[2].stats.self_ns += 1;
  expect(p, 0, NULL);
  fathom_profile_free(p);
}

static void test_children_above_total(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  set_node(p, 1, 4, 1500000);   /* parse: 1.5 ms, its child read 2 ms */
  rollup(p);
  expect(p, 1, "node 1 (main;parse, thread 0): children total 2.00 ms > total 1.50 ms", NULL);
  fathom_profile_free(p);

  /* slack: 1 ns per child */
  p = mk_ok();
  set_node(p, 0, 1, 1500000 - 3);
  set_node(p, 1, 4, 1000000);
  set_node(p, 2, 8, 1000000);
  set_node(p, 3, 2, 300000);
  set_node(p, 4, 1, 200000);
  set_node(p, 5, 2, 100000);
  rollup(p);    /* main's children: 1 + 0.3 + 0.2 ms = 1.5 ms = main + 3 ns */
  expect(p, 0, NULL);
  set_node(p, 0, 1, 1500000 - 4);
  rollup(p);
  expect(p, 1, "node 0 (main, thread 0): children total 1.50 ms > total 1.50 ms (+4 ns, 3 children)",
         NULL);
  fathom_profile_free(p);
}

static void test_thread_above_duration(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->meta.duration_ns = 9000000;   /* thread 0's main lasted 10 ms, thread 1's 5 ms */
  expect(p, 1, "thread 0: top-level total 10.00 ms > session duration 9.00 ms", NULL);
  p->meta.duration_ns = 10000000 - 1;   /* one top-level node: 1 ns of slack */
  expect(p, 0, NULL);
  fathom_profile_free(p);
}

static void test_shares(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->findings[0].figures[0].value = 120;
  expect(p, 1, "finding 0 (hot_path main;parse): self_share_pct 120.00 % > 100 %", NULL);
  p->findings[0].figures[0].value = NAN;
  expect(p, 1, "self_share_pct nan", NULL);
  p->findings[0].figures[0].value = 40;
  p->res.gpu_util_max_pct = 101;
  p->res.sys_mem_used_pct_max = 100.5;
  expect(p, 2, "resources: gpu_util_max_pct 101.00 % > 100 %", "sys_mem_used_pct_max", NULL);
  fathom_profile_free(p);
}

static void test_cpu_negative(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[1].res.sum[FATHOM_RES_CPU_SYS_NS] = -5;
  p->zones[1].res.sum[FATHOM_RES_CPU_USER_NS] = -1;
  p->res.cpu_user_s = -0.5;
  p->res.cpu_sys_s = NAN;   /* not measured: fine */
  expect(p, 3, "node 1 (main;parse, thread 0): cpu_sys_ns -5 ns is negative",
         "zone 1 (parse): cpu_user_ns -1 ns", "resources: cpu_user_s -0.50 < 0", NULL);
  p->nodes[1].res.sum[FATHOM_RES_CPU_SYS_NS] = -5;
  p->nodes[1].res.mask = 0;   /* not measured there: not judged */
  p->zones[1].res.sum[FATHOM_RES_CPU_USER_NS] = 0;
  p->res.cpu_user_s = 0;
  expect(p, 0, NULL);
  fathom_profile_free(p);
}

static void test_timed_above_count(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[3].stats.timed = 3;   /* 2 calls; and zone read's timed no longer adds up */
  expect(p, 2, "node 3 (main;read, thread 0): timed 3 > count 2",
         "zone 2 (read): timed 10 != 11", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->slas[0].timed = 5;
  p->throughput[0].timed = 5;
  p->meta.n_timed = p->meta.n_zones + 1;
  expect(p, 3, "sla 0 (parse): timed 5 > count 4", "throughput 0: timed 5 > calls 4",
         "meta: n_timed 20 > n_zones 19", NULL);
  fathom_profile_free(p);
}

static void test_percentiles(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  fathom_stats *st = &p->nodes[1].stats;   /* d = 1.5 ms */
  st->p90_ns = 1400000;                    /* below p50, still inside its interval */
  st->pct_lo_ns[1] = 1300000;
  expect(p, 1, "node 1 (main;parse, thread 0): percentiles out of order: p90 1.40 ms < p50 1.50 ms",
         NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->nodes[1].stats.p99_ns = NAN;
  expect(p, 1, "p99 nan ns is not finite", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  st = &p->nodes[1].stats;                 /* max 3 ms */
  st->p999_ns = 3000000 + 10;
  st->pct_hi_ns[4] = 4e6;
  expect(p, 1, "p99.9 3.00 ms outside [min 750.00 us, max 3.00 ms]", NULL);
  st->p999_ns = 3000000 + 1;               /* 1 ns of slack */
  expect(p, 0, NULL);
  st->max_ns = 1;                          /* min > max */
  expect(p, 1, "min 750.00 us > max 1 ns", NULL);
  fathom_profile_free(p);
}

static void test_mean(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[1].stats.mean_ns = 3000000 + 100;
  expect(p, 1, "node 1 (main;parse, thread 0): mean 3.00 ms outside [min 750.00 us, max 3.00 ms]",
         NULL);
  p->nodes[1].stats.timed = 0;   /* "every call" in a hand-built model: not judged */
  expect(p, 0, NULL);
  p->nodes[1].stats.timed = 4;
  p->nodes[1].stats.mean_ns = 1e6;
  p->nodes[1].stats.stddev_ns = -1;
  expect(p, 1, "stddev -1 ns is negative", NULL);
  fathom_profile_free(p);
}

static void test_errors(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[1].stats.total_se_ns = -1;
  p->nodes[2].stats.self_se_ns = INFINITY;
  p->zones[0].stats.total_se_ns = NAN;
  p->zones[0].stats.overhead_ns = -3;
  expect(p, 4, "node 1 (main;parse, thread 0): total_se_ns -1.00 is negative or not finite",
         "node 2 (main;parse;read, thread 0): self_se_ns inf", "zone 0 (main): total_se_ns nan",
         "zone 0 (main): overhead_ns -3.00", NULL);
  fathom_profile_free(p);
}

static void test_intervals(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[1].stats.pct_lo_ns[0] = 1500000 + 1;   /* above p50 */
  p->zones[2].stats.pct_hi_ns[4] = 0;
  p->slas[0].actual_lo_ns = 2.8e6;
  expect(p, 3, "node 1 (main;parse, thread 0): p50 1.50 ms outside its interval [1.50 ms, ",
         "zone 2 (read): p99.9", "sla 0 (parse): actual 2.70 ms outside its interval", NULL);
  fathom_profile_free(p);
}

static void test_rollups(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->zones[1].stats.count += 1;
  expect(p, 1, "zone 1 (parse): count 5 != 4, the sum of its 1 nodes' counts", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->zones[2].stats.total_ns += 2;   /* 2 outermost nodes: 2 ns of slack */
  expect(p, 0, NULL);
  p->zones[2].stats.total_ns += 98;
  expect(p, 1, "zone 2 (read): total 3.00 ms != 3.00 ms, the sum of the totals of its 2 outermost",
         NULL);
  fathom_profile_free(p);

  /* recursion: rec's total is its outer node's (0.5 ms), not both nodes' (0.8 ms) */
  p = mk_ok();
  assert_int_equal(p->zones[3].stats.total_ns, 500000);
  assert_int_equal(p->zones[3].stats.count, 3);
  expect(p, 0, NULL);
  p->zones[3].stats.total_ns = 800000;
  expect(p, 1, "zone 3 (rec): total 800.00 us != 500.00 us", NULL);
  fathom_profile_free(p);
}

static void test_meta(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->meta.overhead_pct = -1;
  expect(p, 1, "meta: overhead_pct -1.00 is negative", NULL);
  p->meta.overhead_pct = NAN;
  expect(p, 1, "meta: overhead_pct nan", NULL);
  p->meta.overhead_pct = 0;
  p->meta.overhead_ns = -1;
  expect(p, 1, "meta: overhead_ns -1.00", NULL);
  fathom_profile_free(p);
}

static void test_indices(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  p->nodes[3].zone = 99;   /* and zone read misses its calls, self and total */
  expect(p, 4, "node 3 (main;?, thread 0): zone 99 out of range (4 zones)",
         "zone 2 (read): count 10 != 8, the sum of its 1 nodes' counts",
         "zone 2 (read): self 3.00 ms != 2.00 ms", "zone 2 (read): total 3.00 ms != 2.00 ms", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->nodes[3].thread = 7;
  expect(p, 2, "node 3 (main;read, thread 7): thread 7 out of range (2 threads)",
         "thread 7 but its parent node 0 is on thread 0", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->nodes[1].parent = 5;
  expect(p, 1, "node 1 (...;parse, thread 0): parent 5 does not precede it", NULL);
  p->nodes[1].parent = 1;   /* itself */
  expect(p, 1, "parent 1 does not precede it", NULL);
  p->nodes[1].parent = 0;
  p->nodes[3].depth = 3;
  expect(p, 1, "node 3 (main;read, thread 0): depth 3 but its parent node 0 has depth 1", NULL);
  p->nodes[3].depth = 2;
  p->nodes[6].depth = 2;
  expect(p, 1, "node 6 (main, thread 1): depth 2 for a top-level node", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->findings[0].zone = 9;
  expect(p, 1, "finding 0 (hot_path main;parse): zone 9 out of range (4 zones)", NULL);
  p->findings[0].zone = 1;
  p->findings[0].node = 99;
  expect(p, 1, "node 99 out of range (7 nodes)", NULL);
  p->findings[0].node = 2;
  expect(p, 1, "node 2 is a path of zone 2, not of its zone 1", NULL);
  p->findings[0].node = FATHOM_NONE;
  p->findings[0].cls = FATHOM_FIND_N;
  p->findings[0].severity = (fathom_severity)7;
  char cls_msg[40];
  snprintf(cls_msg, sizeof cls_msg, "class %d out of range", (int)FATHOM_FIND_N);
  expect(p, 2, cls_msg, "severity 7 out of range", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->events[0].thread = 5;
  p->events[1].zone = 9;
  p->counter_events[0].counter = 3;
  expect(p, 3, "event 0: thread 5 out of range (2 threads)", "event 1: zone 9 out of range",
         "counter event 0: counter 3 out of range (1 counters)", NULL);
  p->events[0].thread = 0;
  p->events[1].zone = 1;
  p->counter_events[0].counter = 0;
  p->counter_events[0].thread = 2;
  p->events[1].ts_ns = 50;
  expect(p, 2, "counter event 0: thread 2 out of range", "event 1: ts_ns 50 before the previous", NULL);
  fathom_profile_free(p);

  p = mk_ok();
  p->slas[0].zone = 9;
  p->throughput[0].index = 9;
  p->throughput[1].index = 1;
  p->mem_snapshots[0].zone[0] = 9;
  p->gov_actions[0].zone = 9;
  expect(p, 5, "sla 0 (parse): zone 9 out of range", "throughput 0: zone 9 out of range",
         "throughput 1: counter 1 out of range (1 counters)",
         "memory snapshot 0 (epoch): zone 9 out of range", "governor action 0: zone 9", NULL);
  fathom_profile_free(p);
}

static void test_hist(void **state) {
  (void)state;
  fathom_profile *p = mk_ok();
  fathom_hist *h = &p->nodes[2].hist;
  h->n = 3;
  h->bucket = xcalloc(3, sizeof *h->bucket);
  h->count = xcalloc(3, sizeof *h->count);
  h->bucket[0] = 5, h->bucket[1] = 9, h->bucket[2] = 70;
  expect(p, 0, NULL);
  h->bucket[2] = 9;
  expect(p, 1, "node 2 (main;parse;read, thread 0): histogram buckets not ascending (9 after 9)",
         NULL);
  h->bucket[2] = FATHOM_HIST_BUCKETS;
  expect(p, 1, "histogram bucket 2560 out of range", NULL);
  fathom_profile_free(p);
}

/* ---- the hook: FATHOM_CHECK, FATHOM_CHECK_FAIL_FILE ------------------------------------------ */

static size_t count_lines(const char *path, const char *prefix, size_t *matching) {
  FILE *f = fopen(path, "r");
  size_t n = 0;
  *matching = 0;
  if (!f) return 0;
  char line[2048];
  while (fgets(line, sizeof line, f)) {
    n++;
    if (strncmp(line, prefix, strlen(prefix)) == 0) (*matching)++;
  }
  fclose(f);
  return n;
}

static void test_env_hook(void **state) {
  (void)state;
  char dir[512], log[600], err[600];
  const char *t = getenv("FATHOM_TEST_TMP");
  snprintf(dir, sizeof dir, "%s/check.%ld", t && *t ? t : "/tmp", (long)getpid());
  mkdir(t && *t ? t : "/tmp", 0777);
  assert_true(mkdir(dir, 0777) == 0 || errno == EEXIST);
  snprintf(log, sizeof log, "%s/fail.log", dir);
  snprintf(err, sizeof err, "%s/stderr.txt", dir);
  unlink(log);
  /* never the run's shared log (check_failures would fail the whole run) */
  const char *run_log = getenv("FATHOM_CHECK_FAIL_FILE");
  char *saved_log = run_log ? xstrdup(run_log) : NULL;
  const char *run_on = getenv("FATHOM_CHECK");
  char *saved_on = run_on ? xstrdup(run_on) : NULL;
  setenv("FATHOM_CHECK_FAIL_FILE", log, 1);

  fathom_profile *bad = mk_ok();
  bad->nodes[1].stats.timed = 9;                 /* node 1: timed > count; zone 1's sum */
  bad->meta.overhead_pct = -2;
  fathom_profile *ok = mk_ok();

  fflush(stderr);
  int saved_err = dup(2), fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(saved_err >= 0 && fd >= 0);
  dup2(fd, 2);
  close(fd);

  unsetenv("FATHOM_CHECK");
  errno = 1234;
  int off = fz_check_env(bad, "unit");
  int e_off = errno;
  setenv("FATHOM_CHECK", "0", 1);
  int zero = fz_check_env(bad, "unit");
  setenv("FATHOM_CHECK", "1", 1);
  errno = 4321;
  int n1 = fz_check_env(bad, "unit");
  int e_on = errno;
  int n2 = fz_check_env(bad, "unit");            /* the same lines: not printed again */
  int n3 = fz_check_env(ok, "unit");
  int n4 = fz_check_env(NULL, "unit");
  bad->meta.overhead_pct = -3;                   /* a new line */
  int n5 = fz_check_env(bad, "unit");

  fflush(stderr);
  dup2(saved_err, 2);
  close(saved_err);

  assert_int_equal(off, 0);
  assert_int_equal(e_off, 1234);
  assert_int_equal(zero, 0);
  assert_int_equal(n1, 3);
  assert_int_equal(e_on, 4321);
  assert_int_equal(n2, 3);
  assert_int_equal(n3, 0);
  assert_int_equal(n4, 0);
  assert_int_equal(n5, 3);

  char prefix[128];
  snprintf(prefix, sizeof prefix, "pid %ld (test_check): unit: ", (long)getpid());
  size_t match, lines = count_lines(log, prefix, &match);
  assert_int_equal(lines, 4);   /* 3, then the one new line */
  assert_int_equal(match, 4);
  lines = count_lines(err, "fathom: check: unit: ", &match);
  assert_int_equal(lines, 4);
  assert_int_equal(match, 4);
  FILE *f = fopen(log, "r");
  assert_non_null(f);
  char text[4096];
  size_t got = fread(text, 1, sizeof text - 1, f);
  text[got] = '\0';
  fclose(f);
  if (!strstr(text, "unit: node 1 (main;parse, thread 0): timed 9 > count 4\n") ||
      !strstr(text, "unit: meta: overhead_pct -2.00") || !strstr(text, "unit: meta: overhead_pct -3.00"))
    fail_msg("unexpected log:\n%s", text);

  fathom_profile_free(bad);
  fathom_profile_free(ok);
  unlink(log);
  unlink(err);
  rmdir(dir);
  if (saved_log) setenv("FATHOM_CHECK_FAIL_FILE", saved_log, 1);
  else unsetenv("FATHOM_CHECK_FAIL_FILE");
  if (saved_on) setenv("FATHOM_CHECK", saved_on, 1);
  else unsetenv("FATHOM_CHECK");
  free(saved_log);
  free(saved_on);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_consistent),
      cmocka_unit_test(test_self_above_total),
      cmocka_unit_test(test_children_above_total),
      cmocka_unit_test(test_thread_above_duration),
      cmocka_unit_test(test_shares),
      cmocka_unit_test(test_cpu_negative),
      cmocka_unit_test(test_timed_above_count),
      cmocka_unit_test(test_percentiles),
      cmocka_unit_test(test_mean),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_intervals),
      cmocka_unit_test(test_rollups),
      cmocka_unit_test(test_meta),
      cmocka_unit_test(test_indices),
      cmocka_unit_test(test_hist),
      cmocka_unit_test(test_env_hook),
  };
  return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
