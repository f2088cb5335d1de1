/* test_monitor_host.c: the monitor's view of the host, from a fake /proc whose counters the
 * test sets: every CPU's busy share from /proc/stat ("cpu" jiffies: busy = all but idle and
 * iowait) and the busiest whole disk's utilisation from /proc/diskstats (io_ticks over the
 * interval), partitions, loop and ram devices left out; both in the series and the summary,
 * the summary's mean within its maximum, unreadable files NaN ("not measured"), never 0. */
#include "monitor_fixture.h"

static void write_stat(const char *root, double user, double sys, double idle, double iow) {
  char b[512];
  snprintf(b, sizeof b, "cpu  %.0f 0 %.0f %.0f %.0f 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"
           "intr 12345\n", user, sys, idle, iow);
  put(b, "%s/stat", root);
}

/* sda and its partition sda1, nvme0n1 and nvme0n1p1, a loop and a ram device */
static void write_disks(const char *root, double sda, double sda1, double nvme, double loop) {
  char b[1024];
  snprintf(b, sizeof b,
           "   8       0 sda 10 0 80 5 1 0 8 1 0 %.0f 6 0 0 0 0 0 0\n"
           "   8       1 sda1 10 0 80 5 1 0 8 1 0 %.0f 6 0 0 0 0 0 0\n"
           " 259       0 nvme0n1 1 0 8 1 0 0 0 0 0 %.0f 1 0 0 0 0 0 0\n"
           " 259       1 nvme0n1p1 1 0 8 1 0 0 0 0 0 %.0f 1 0 0 0 0 0 0\n"
           "   7       0 loop0 1 0 8 1 0 0 0 0 0 %.0f 1 0 0 0 0 0 0\n"
           "   1       0 ram0 1 0 8 1 0 0 0 0 0 %.0f 1 0 0 0 0 0 0\n",
           sda, sda1, nvme, 1e12, loop, loop);
  put(b, "%s/diskstats", root);
}

static void test_host_cpu_and_disks(void **state) {
  (void)state;
  char root[700];
  snprintf(root, sizeof root, "%s/proc", tmpdir);
  sh("rm -rf '%s' && mkdir -p '%s/self' '%s/net'", root, root, root);
  sh("cp /proc/self/stat /proc/self/io /proc/meminfo '%s/' 2>/dev/null || true", root);
  write_stat(root, 100, 100, 800, 0);
  write_disks(root, 1000, 1000, 50, 0);
  fz_proc_set_root(root);
  start(0.02);
  wait_samples(2);
  /* 300 of 500 jiffies busy (the 100 of iowait count as idle): 60 % exactly; the disks:
   * sda1 (a partition) and the loop device busy beyond all time, sda and nvme0n1 idle */
  write_stat(root, 350, 150, 900, 100);
  write_disks(root, 1000, 1e9, 50, 1e9);
  uint64_t n = samples_now();
  wait_samples(n + 2);
  fz_monitor_stop();
  fathom_profile *p = collect();
  const fathom_resources *r = &p->res;
  print_message("host CPU mean %.3f max %.3f, disk max %.3f\n", r->host_cpu_pct_mean,
                r->host_cpu_pct_max, r->disk_util_pct_max);
  near(r->host_cpu_pct_max, 60, 1e-9);
  near(r->host_cpu_pct_mean, 60, 1e-9);   /* intervals without a change have no figure */
  near(r->disk_util_pct_max, 0, 0);        /* partitions and loop devices left out */
  int seen = 0;
  for (uint64_t i = 0; i < p->series.n; i++) {
    double h = val(p, i, "host_cpu_pct"), d = val(p, i, "disk_util_pct");
    if (!isnan(h)) near(h, 60, 1e-9), seen++;
    if (!isnan(d)) near(d, 0, 0);
  }
  assert_int_equal(seen, 1);
  release(p);

  /* the disk busy all the time: capped at 100 % */
  write_stat(root, 350, 150, 900, 100);
  write_disks(root, 1000, 0, 50, 0);
  start(0.02);
  wait_samples(2);
  write_disks(root, 1e9, 0, 50, 0);
  n = samples_now();
  wait_samples(n + 2);
  fz_monitor_stop();
  p = collect();
  near(p->res.disk_util_pct_max, 100, 0);
  assert_int_equal(fathom_profile_check(p, NULL, 0), 0);
  release(p);

  /* no /proc/stat, no diskstats: not measured, never 0 */
  sh("rm -f '%s/stat' '%s/diskstats'", root, root);
  p = run(0.02, 2);
  assert_true(isnan(p->res.host_cpu_pct_mean) && isnan(p->res.host_cpu_pct_max));
  assert_true(isnan(p->res.disk_util_pct_max));
  release(p);
}

static void test_real_host(void **state) {
  (void)state;
  fathom_profile *p = run(0.02, 3);
  const fathom_resources *r = &p->res;
  print_message("this host: CPU mean %.1f %%, max %.1f %%; busiest disk %.1f %%\n",
                r->host_cpu_pct_mean, r->host_cpu_pct_max, r->disk_util_pct_max);
  assert_true(r->host_cpu_pct_max >= r->host_cpu_pct_mean);
  assert_true(r->host_cpu_pct_max >= 0 && r->host_cpu_pct_max <= 100);
  assert_true(isnan(r->disk_util_pct_max) ||
              (r->disk_util_pct_max >= 0 && r->disk_util_pct_max <= 100));
  release(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      M(test_host_cpu_and_disks),
      M(test_real_host),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
