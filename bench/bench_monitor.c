/* bench_monitor.c: what the background monitor costs: it runs at the default 0.5 s interval
 * for ~5 s in an otherwise idle process and reports the monitor thread's CPU time over the
 * wall time (BENCH monitor_cpu_pct, goal < 0.5 %); then one short round with the NVML
 * stand-in (tests' libnvml_standin.so, when built next to this program) checks that a GPU's
 * sampling works in a release build too.
 *
 * Invariant: a figure is printed only after the run checked itself (samples taken, series
 * as long as the samples, CPU time measured); otherwise BENCH-FAIL and a non-zero exit. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "fathom.h"
#include "probe/monitor.h"

static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) != 0) continue;
}

/* Path of libnvml_standin.so next to this executable, or "" if there is none. */
static void standin_path(char *out, size_t cap) {
  char exe[PATH_MAX];
  out[0] = '\0';
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (!slash) return;
  *slash = '\0';
  snprintf(out, cap, "%s/libnvml_standin.so", exe);
  if (access(out, R_OK) != 0) out[0] = '\0';
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 5.0;
  if (!(secs > 0)) secs = 5.0;
  setenv("FATHOM_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);   /* CPU-side cost only */

  uint64_t t0 = bench_now_ns();
  int rc = fz_monitor_start(1, 0.5, 475, t0);
  bench_check(rc == 0, "monitor_cpu_pct", "fz_monitor_start failed");
  if (rc) return 1;
  sleep_s(secs);
  fz_monitor_stop();
  uint64_t wall = bench_now_ns() - t0;
  double cpu = (double)fz_sched_cpu_ns();
  fathom_profile *p = calloc(1, sizeof *p);
  bench_check(p && fz_monitor_collect(p) == 0, "monitor_cpu_pct", "collect failed");
  if (!p) return 1;
  uint64_t want = (uint64_t)(secs / 0.5);   /* about secs/0.5 + 2; allow a slow start */
  bench_check(p->res.monitored == 1, "monitor_cpu_pct", "the monitor did not sample");
  bench_check(p->res.n_samples >= want / 2 && p->series.n == p->res.n_samples, "monitor_cpu_pct",
              "too few samples, or the series does not hold them all");
  bench_check(cpu > 0, "monitor_cpu_pct", "the monitor thread's CPU time was not measured");
  bench_check(p->res.rss_peak_bytes > 0, "monitor_cpu_pct", "no RSS measured");
  double pct = cpu / (double)wall * 100;
  if (!bench_failed) {
    printf("# %llu samples in %.2f s; monitor thread CPU %.3f ms; rss peak %.1f MiB; "
           "cpu mean %.2f %%\n",
           (unsigned long long)p->res.n_samples, (double)wall / 1e9, cpu / 1e6,
           p->res.rss_peak_bytes / 1048576.0, p->res.cpu_pct_mean);
    bench_print("monitor_cpu_pct", pct, "%");
    bench_check(pct < 0.5, "monitor_cpu_pct", "above the 0.5 % goal");
  }
  fathom_profile_free(p);

  char lib[PATH_MAX + 32];
  standin_path(lib, sizeof lib);
  if (lib[0]) {
    setenv("FATHOM_NVML_LIB", lib, 1);
    setenv("NVML_STANDIN_GPUS", "1", 1);
    t0 = bench_now_ns();
    rc = fz_monitor_start(1, 0.5, 475, t0);
    sleep_s(1.0);
    fz_monitor_stop();
    wall = bench_now_ns() - t0;
    p = calloc(1, sizeof *p);
    bench_check(rc == 0 && p && fz_monitor_collect(p) == 0, "monitor_cpu_pct", "run failed");
    if (!p) return 1;
    bench_check(p->n_gpus == 1 && p->res.n_samples >= 2 && !isnan(p->res.gpu_energy_j),
                "monitor_cpu_pct", "the stand-in GPU was not sampled");
    if (!bench_failed)
      printf("# stand-in GPU round: %llu samples, monitor thread CPU %.3f %% of %.2f s (with "
             "the library's load and init)\n", (unsigned long long)p->res.n_samples,
             (double)fz_sched_cpu_ns() / (double)wall * 100, (double)wall / 1e9);
    fathom_profile_free(p);
  } else {
    printf("# no libnvml_standin.so next to this program: GPU round skipped\n");
  }
  return bench_failed ? 1 : 0;
}
