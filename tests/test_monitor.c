/* test_monitor.c: the background monitor (src/probe/monitor.c) driven directly through
 * monitor.h and through the public API: peak RSS, CPU of a spinning thread and of an idle
 * process, I/O bytes, the bounded series, NVML through the stand-in library (0, 1, 2 GPUs,
 * init and per-call failures, values reaching the series and summary exactly), RAPL through
 * a fake powercap tree (wraparound, unreadable, missing), odd /proc files, every
 * "not available" state, start/stop/restart, errno and fork.
 *
 * Invariant: no assertion depends on speed: a test waits (with a generous limit) for the
 * samples it needs, and checks relations that hold at any load (exact stand-in values,
 * bounds, CPU seconds against a thread's own CPU clock). Every test leaves the monitor
 * stopped and the seams (environment, /proc root, row cap) as it found them. */
#include "monitor_fixture.h"

/* ---- process figures --------------------------------------------------------------- */

static void test_rss_peak_covers_touched_allocation(void **state) {
  (void)state;
  start(0.02);
  wait_samples(1);
  size_t n = 64u << 20;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, 1, n);
  wait_samples(samples_now() + 2);   /* a sample has seen it; ru_maxrss covers it anyway */
  free(big);
  fz_monitor_stop();
  fathom_profile *p = collect();
  const fathom_resources *r = &p->res;
  assert_int_equal(r->monitored, 1);
  assert_true(r->n_samples >= 3);
  assert_true(r->rss_initial_bytes > 0);
  if (!(r->rss_peak_bytes >= r->rss_initial_bytes + 60 * MIB))
    fail_msg("peak %.0f, initial %.0f", r->rss_peak_bytes, r->rss_initial_bytes);
  assert_true(r->vm_peak_bytes >= r->rss_peak_bytes);
  assert_true(r->rss_final_bytes > 0);
  assert_true(fz_monitor_rss_now() > 0);
  assert_true(r->threads_max >= 2);   /* this thread and the monitor */
  assert_true(r->sys_mem_total_bytes > 0);
  assert_true(r->sys_mem_used_pct_max > 0 && r->sys_mem_used_pct_max <= 100);
  assert_true(r->minflt >= 1);   /* the touched pages faulted in (huge pages: few faults) */
  assert_int_equal(p->series.n_cols, 19);   /* the base columns, the host's two included */
  assert_int_equal(p->series.n, r->n_samples);
  near(p->series.interval_s, 0.02, 0);
  ascending(p);
  near(val(p, p->series.n - 1, "rss_bytes"), r->rss_final_bytes, 0);
  expect_detail(p, "monitor", 1, "samples");
  /* energy: nothing measured here (no RAPL, no GPU) */
  assert_true(isnan(r->cpu_energy_j) && isnan(r->gpu_energy_j) && isnan(r->energy_j));
  assert_true(isnan(r->carbon_g));
  near(r->carbon_g_per_kwh, 475, 0);
}

static volatile int spin_stop;
static void *spinner(void *arg) {
  double *cpu_s = arg;
  struct timespec ts;
  volatile uint64_t x = 0;
  while (!__atomic_load_n(&spin_stop, __ATOMIC_RELAXED)) x++;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  *cpu_s = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
  return NULL;
}

static void test_cpu_spinning_and_idle(void **state) {
  (void)state;
  /* idle: the process sleeps; only the monitor runs */
  start(0.05);
  sleep_ms(600);
  fz_monitor_stop();
  fathom_profile *p = collect();
  assert_true(p->res.cpu_pct_mean >= 0 && p->res.cpu_pct_mean < 50);
  assert_true(p->res.cpu_user_s + p->res.cpu_sys_s < p->res.wall_s);
  double idle_mean = p->res.cpu_pct_mean;
  /* spinning: a thread busy until it has used 0.5 s of CPU (whatever the machine's load) */
  start(0.05);
  double spun = 0;
  pthread_t th;
  spin_stop = 0;
  assert_int_equal(pthread_create(&th, NULL, spinner, &spun), 0);
  clockid_t cid;
  assert_int_equal(pthread_getcpuclockid(th, &cid), 0);
  for (;;) {
    struct timespec ts;
    clock_gettime(cid, &ts);
    if ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9 >= 0.5) break;
    sleep_ms(20);
  }
  __atomic_store_n(&spin_stop, 1, __ATOMIC_RELAXED);
  pthread_join(th, NULL);
  fz_monitor_stop();
  fathom_profile *q = collect();
  const fathom_resources *r = &q->res;
  /* the process's CPU covers the spinner's own CPU clock */
  assert_true(r->cpu_user_s + r->cpu_sys_s >= spun * 0.95);
  assert_true(r->cpu_pct_mean > idle_mean);
  assert_true(r->cpu_pct_mean >= 5);   /* generous: a loaded machine shares the cores */
  assert_true(r->cpu_pct_max >= r->cpu_pct_mean - 1e-9);
  double mx = 0;
  for (uint64_t i = 0; i < q->series.n; i++) {
    double u = val(q, i, "cpu_user_pct"), s = val(q, i, "cpu_sys_pct");
    if (!isnan(u) && !isnan(s) && u + s > mx) mx = u + s;
  }
  assert_true(mx >= 10);
  assert_true(r->ctx_vol >= 0 && r->ctx_invol >= 0);
  assert_true(fz_sched_cpu_ns() > 0);
}

/* The text after "key:" in a /proc file; NULL when the file or the key is missing. */
static const char *proc_value(const char *path, const char *key) {
  static char line[256];
  FILE *f = fopen(path, "r");
  const char *v = NULL;
  size_t k = strlen(key);
  while (f && !v && fgets(line, sizeof line, f))
    if (strncmp(line, key, k) == 0 && line[k] == ':') v = line + k + 1;
  if (f) fclose(f);
  return v;
}
static double self_io(const char *key) {
  const char *v = proc_value("/proc/self/io", key);
  return v ? atof(v) : -1;
}

static void test_io_bytes(void **state) {
  (void)state;
  enum { N = 1 << 20 };
  char path[700];
  snprintf(path, sizeof path, "%s/io.bin", tmpdir);
  char *buf = malloc(N);
  assert_non_null(buf);
  memset(buf, 7, N);
  start(30);   /* two samples: the first right away, the last at stop */
  wait_samples(1);
  double wb0 = self_io("write_bytes");
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, buf, N), N);
  assert_int_equal(fsync(fd), 0);
  close(fd);
  double wb1 = self_io("write_bytes");
  fd = open(path, O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(read(fd, buf, N), N);
  close(fd);
  fz_monitor_stop();
  free(buf);
  fathom_profile *p = collect();
  const fathom_resources *r = &p->res;
  /* rchar/wchar: every byte through read/write, the monitor's own /proc reads included */
  assert_true(r->write_bytes >= N && r->write_bytes < N + 256 * 1024);
  assert_true(r->read_bytes >= N && r->read_bytes < N + 256 * 1024);
  if (wb0 >= 0 && wb1 - wb0 >= N) assert_true(r->disk_write_bytes >= N);   /* accounted here */
  else print_message("note: storage write_bytes not accounted here (%.0f)\n", wb1 - wb0);
  assert_true(r->disk_read_bytes >= 0);
  uint64_t last = p->series.n - 1;
  near(val(p, last, "write_bytes"), r->write_bytes, 0);
  near(val(p, 0, "write_bytes"), 0, 64 * 1024);
}

/* ---- the series bound ----------------------------------------------------------------- */

static void test_series_bounded_interval_doubles(void **state) {
  (void)state;
  fz_monitor_test_max_rows(8);
  start(0.01);
  int doubled = 0;
  for (int i = 0; i < 6000 && !doubled; i++) {
    fathom_profile *p = collect();
    doubled = p->series.interval_s >= 0.04;
    assert_true(p->series.n <= 8);
    release(p);
    if (!doubled) sleep_ms(10);
  }
  assert_true(doubled);
  fz_monitor_stop();
  fathom_profile *p = collect();
  assert_true(p->series.n >= 4 && p->series.n <= 8);
  assert_true(p->res.n_samples > p->series.n);
  /* exact doublings of 0.01 */
  double iv = p->series.interval_s;
  int k = 0;
  while (iv > 0.01 * 1.5 && k < 40) iv /= 2, k++;
  near(iv, 0.01, 1e-15);
  assert_true(k >= 2);
  ascending(p);
  expect_detail(p, "monitor", 1, "rows dropped at the 8-row cap");
}

/* ---- NVML through the stand-in --------------------------------------------------------- */

static void test_nvml_two_gpus_values(void **state) {
  (void)state;
  use_standin("2", NULL);
  fathom_profile *p = run(0.02, 4);
  int (*inits)(void) = standin_fn("nvml_standin_init_count");
  assert_non_null(inits);
  assert_int_equal(inits(), 0);   /* nvmlShutdown was called */
  expect_detail(p, "nvml", 1, "2 GPUs via");
  expect_detail(p, "nvml", 1, "0 fathom NVML stand-in GPU 0, 1 fathom NVML stand-in GPU 1");
  assert_int_equal(p->n_gpus, 2);
  assert_int_equal(p->series.n_cols, 19 + 10);
  assert_string_equal(p->series.cols[19], "gpu0_mem_used_bytes");
  assert_string_equal(p->series.cols[28], "gpu1_energy_j");
  uint64_t n = p->series.n;
  assert_true(n >= 5);
  for (uint64_t i = 0; i < n; i++) {
    near(val(p, i, "gpu0_mem_used_bytes"), 1 * GIB, 0);
    near(val(p, i, "gpu1_mem_used_bytes"), 2 * GIB, 0);
    near(val(p, i, "gpu0_util_pct"), 25, 0);
    near(val(p, i, "gpu1_util_pct"), 75, 0);
    near(val(p, i, "gpu0_power_w"), 100, 1e-9);
    near(val(p, i, "gpu1_power_w"), 150, 1e-9);
    near(val(p, i, "gpu0_temp_c"), 40, 0);
    near(val(p, i, "gpu1_temp_c"), 41, 0);
    near(val(p, i, "gpu0_energy_j"), (double)i, 1e-9);        /* +1 J per read */
    near(val(p, i, "gpu1_energy_j"), 2.0 * (double)i, 1e-9);  /* +2 J per read */
  }
  for (uint32_t k = 0; k < 2; k++) {
    const fathom_gpu_info *g = &p->gpus[k];
    char name[64];
    snprintf(name, sizeof name, "fathom NVML stand-in GPU %u", k);
    assert_int_equal(g->index, k);
    assert_string_equal(g->name, name);
    near(g->mem_total_bytes, (16 + 8 * k) * GIB, 0);
    near(g->mem_peak_bytes, (1 + k) * GIB, 0);
    near(g->proc_mem_peak_bytes, 256 * MIB * (k + 1), 0);
    near(g->util_mean_pct, 25 + 50 * k, 1e-9);
    near(g->util_max_pct, 25 + 50 * k, 0);
    near(g->power_mean_w, 100 + 50 * k, 1e-9);
    near(g->temp_max_c, 40 + k, 0);
    near(g->energy_j, (double)(k + 1) * (double)(n - 1), 1e-9);
  }
  const fathom_resources *r = &p->res;
  near(r->gpu_mem_peak_bytes, 3 * GIB, 0);
  near(r->gpu_util_mean_pct, 50, 1e-9);
  near(r->gpu_util_max_pct, 75, 0);
  near(r->gpu_energy_j, 3.0 * (double)(n - 1), 1e-9);
  assert_true(isnan(r->cpu_energy_j));
  near(r->energy_j, r->gpu_energy_j, 0);
  near(r->carbon_g, r->energy_j / 3.6e6 * 475, 1e-12);
}

static void test_nvml_one_gpu_and_carbon(void **state) {
  (void)state;
  use_standin("1", NULL);
  assert_int_equal(fz_monitor_start(1, 0.02, 100, now_ns()), 0);
  wait_samples(3);
  fz_monitor_stop();
  fathom_profile *p = collect();
  assert_int_equal(p->n_gpus, 1);
  assert_int_equal(p->series.n_cols, 24);
  expect_detail(p, "nvml", 1, "1 GPU via");
  near(p->res.carbon_g_per_kwh, 100, 0);
  near(p->res.carbon_g, p->res.energy_j / 3.6e6 * 100, 1e-12);
  assert_true(p->res.energy_j > 0);
}

static void test_nvml_zero_gpus(void **state) {
  (void)state;
  use_standin("0", NULL);
  fathom_profile *p = run(0.02, 2);
  expect_detail(p, "nvml", 0, "no GPU: nvmlDeviceGetCount_v2 found 0 devices");
  assert_int_equal(p->n_gpus, 0);
  assert_null(p->gpus);
  assert_int_equal(p->series.n_cols, 19);
  assert_true(isnan(p->res.gpu_mem_peak_bytes) && isnan(p->res.gpu_util_mean_pct));
  assert_int_equal(standin_fn("nvml_standin_init_count")(), 0);
}

static void test_nvml_init_and_count_fail(void **state) {
  (void)state;
  use_standin("2", "init");
  run_expect("nvml", 0, "nvmlInit_v2: Driver Not Loaded");
  use_standin("2", "count");
  run_expect("nvml", 0, "nvmlDeviceGetCount_v2: Unknown Error");
  assert_int_equal(standin_fn("nvml_standin_init_count")(), 0);   /* shut down again */
  use_standin("2", "handle");
  run_expect("nvml", 0, "nvmlDeviceGetHandleByIndex_v2: Insufficient Permissions (2 of 2");
  use_standin("2", "handle:0");   /* one device left out, the other monitored */
  fathom_profile *p = run(0.02, 1);
  expect_detail(p, "nvml", 1, "1 GPU via");
  expect_detail(p, "nvml", 1, "(1 of 2 devices)");
  assert_int_equal(p->n_gpus, 1);
  assert_string_equal(p->gpus[0].name, "fathom NVML stand-in GPU 1");
  assert_int_equal(p->gpus[0].index, 1);   /* NVML's index, and the columns' */
  near(val(p, 0, "gpu1_mem_used_bytes"), 2 * GIB, 0);
}

static void test_nvml_per_call_errors(void **state) {
  (void)state;
  use_standin("2", "memory:1,energy:0,temp,procs:0,name:1");
  fathom_profile *p = run(0.02, 4);
  assert_int_equal(p->n_gpus, 2);
  assert_string_equal(p->gpus[1].name, "GPU 1");   /* the name call failed */
  expect_detail(p, "nvml", 1, "GPU 0 energy integrated from power");
  expect_detail(p, "nvml", 1, "GPU 1 memory: Not Supported");
  expect_detail(p, "nvml", 1, "GPU 0 temperature: Not Supported");
  expect_detail(p, "nvml", 1, "GPU 0 processes: Not Supported");
  uint64_t n = p->series.n;
  for (uint64_t i = 0; i < n; i++) {
    assert_true(isnan(val(p, i, "gpu1_mem_used_bytes")));
    assert_true(isnan(val(p, i, "gpu0_temp_c")) && isnan(val(p, i, "gpu1_temp_c")));
    /* constant 100 W integrated over the time since the first sample */
    double t = (double)(p->series.ts_ns[i] - p->series.ts_ns[0]) * 1e-9;
    near(val(p, i, "gpu0_energy_j"), 100 * t, 1e-6);
    near(val(p, i, "gpu1_energy_j"), 2.0 * (double)i, 1e-9);
  }
  assert_true(isnan(p->gpus[1].mem_peak_bytes) && isnan(p->gpus[1].mem_total_bytes));
  assert_true(isnan(p->gpus[0].temp_max_c));
  assert_true(isnan(p->gpus[0].proc_mem_peak_bytes));
  near(p->gpus[1].proc_mem_peak_bytes, 512 * MIB, 0);
  near(p->res.gpu_mem_peak_bytes, 1 * GIB, 0);   /* GPU 1's memory unknown */
  double t = (double)(p->series.ts_ns[n - 1] - p->series.ts_ns[0]) * 1e-9;
  near(p->gpus[0].energy_j, 100 * t, 1e-6);
}

static void test_nvml_missing_library(void **state) {
  (void)state;
  setenv("FATHOM_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1);
  run_expect("nvml", 0, "cannot open shared object file");
  setenv("FATHOM_NVML_LIB", "libm.so.6", 1);   /* a library, but not NVML */
  run_expect("nvml", 0, "libm.so.6 does not export nvmlInit_v2");
  unsetenv("FATHOM_NVML_LIB");   /* the real library: here, or "not available" saying why */
  fathom_profile *p = run(0.02, 1);
  const fathom_probe_info *pi = probe(p, "nvml");
  if (pi->available) assert_true(p->n_gpus > 0);
  else assert_non_null(strstr(pi->detail, "libnvidia-ml.so.1"));
  print_message("note: nvml on this machine: %s: %s\n",
                pi->available ? "available" : "not available", pi->detail);
}

/* ---- RAPL through a fake powercap tree --------------------------------------------------- */

#define RAPL_MAX "262143328850"
static void rapl_zone(const char *root, const char *zone, const char *name, const char *uj) {
  sh("mkdir -p '%s/%s'", root, zone);
  put(name, "%s/%s/name", root, zone);
  put(RAPL_MAX "\n", "%s/%s/max_energy_range_uj", root, zone);
  put(uj, "%s/%s/energy_uj", root, zone);
}

static void test_rapl_fake_tree_wraparound(void **state) {
  (void)state;
  char root[700];
  snprintf(root, sizeof root, "%s/powercap", tmpdir);
  sh("rm -rf '%s' && mkdir -p '%s/intel-rapl'", root, root);
  rapl_zone(root, "intel-rapl:0", "package-0\n", "262142328850\n");   /* 1 J below the wrap */
  rapl_zone(root, "intel-rapl:0:0", "core\n", "1000\n");             /* a subzone: not summed */
  rapl_zone(root, "intel-rapl:1", "psys\n", "1000\n");               /* overlaps: not summed */
  rapl_zone(root, "intel-rapl:2", "package-1\n", "5000000\n");
  setenv("FATHOM_POWERCAP_ROOT", root, 1);
  start(30);
  wait_samples(1);
  put("2000000\n", "%s/intel-rapl:0/energy_uj", root);           /* wrapped: 1 J + 2 J */
  put("9000000\n", "%s/intel-rapl:2/energy_uj", root);           /* + 4 J */
  put("99000000000\n", "%s/intel-rapl:0:0/energy_uj", root);
  put("99000000000\n", "%s/intel-rapl:1/energy_uj", root);
  fz_monitor_stop();
  fathom_profile *p = collect();
  expect_detail(p, "rapl", 1, "package-0 (intel-rapl:0), package-1 (intel-rapl:2)");
  near(p->res.cpu_energy_j, 7, 1e-9);
  near(val(p, 0, "cpu_energy_j"), 0, 0);
  near(val(p, p->series.n - 1, "cpu_energy_j"), 7, 1e-9);
  near(p->res.energy_j, 7, 1e-9);
  near(p->res.carbon_g, 7 / 3.6e6 * 475, 1e-15);
  release(p);
  /* a counter that becomes unreadable during the run adds nothing and is counted */
  start(30);
  wait_samples(1);
  sh("cd '%s/intel-rapl:2' && rm -f energy_uj && mkdir energy_uj", root);
  fz_monitor_stop();
  p = collect();
  expect_detail(p, "rapl", 1, "1 reads failed");
  near(p->res.cpu_energy_j, 0, 0);
}

static void test_rapl_not_available(void **state) {
  (void)state;
  char root[700];
  snprintf(root, sizeof root, "%s/powercap-bad", tmpdir);
  sh("rm -rf '%s' && mkdir -p '%s'", root, root);
  setenv("FATHOM_POWERCAP_ROOT", root, 1);   /* no zones */
  fathom_profile *p = run(30, 0);
  expect_detail(p, "rapl", 0, "has no intel-rapl zones (virtual machine?)");
  assert_true(isnan(p->res.cpu_energy_j) && isnan(p->res.energy_j));
  release(p);

  rapl_zone(root, "intel-rapl:1", "psys\n", "1\n");   /* zones, but no package */
  run_expect("rapl", 0, "has no RAPL package zone (1 other zone)");
  rapl_zone(root, "intel-rapl:0", "package-0\n", "1\n");   /* unreadable counter */
  sh("cd '%s/intel-rapl:0' && rm -f energy_uj && mkdir energy_uj", root);
  run_expect("rapl", 0, "intel-rapl:0/energy_uj: Is a directory");
  setenv("FATHOM_POWERCAP_ROOT", "/nonexistent/powercap", 1);
  run_expect("rapl", 0, "/nonexistent/powercap: No such file or directory");

  unsetenv("FATHOM_POWERCAP_ROOT");   /* this machine's tree, whatever it holds */
  p = run(30, 0);
  const fathom_probe_info *pi = probe(p, "rapl");
  if (!pi->available) assert_non_null(strstr(pi->detail, "/sys/class/powercap"));
  print_message("note: rapl on this machine: %s: %s\n",
                pi->available ? "available" : "not available", pi->detail);
}

/* ---- odd /proc files ------------------------------------------------------------------------ */

static void test_odd_proc_files(void **state) {
  (void)state;
  char root[700];
  snprintf(root, sizeof root, "%s/proc", tmpdir);
  sh("rm -rf '%s' && mkdir -p '%s/self' '%s/net'", root, root, root);
  put("1234 (odd) name) S 1 2", "%s/self/stat", root);   /* truncated */
  put("", "%s/self/io", root);
  /* meminfo missing; net/dev: headers, lo, a long garbage line, a malformed line, eth0 */
  char *net = malloc(20000);
  assert_non_null(net);
  int k = sprintf(net, "Inter-|   Receive\n face |bytes\n    lo: 5 0 0 0 0 0 0 0 5 0\n");
  memset(net + k, 'x', 9000);
  k += 9000;
  k += sprintf(net + k, "\n  bad0: nonsense\n  eth0: 1000 1 0 0 0 0 0 0 2000 1 0 0 0 0 0 0\n");
  put(net, "%s/net/dev", root);
  fz_proc_set_root(root);
  start(30);
  wait_samples(1);
  sprintf(net, "  eth0: 5000 1 0 0 0 0 0 0 2500 1 0 0 0 0 0 0\n    lo: 99 0 0 0 0 0 0 0 99 0\n");
  put(net, "%s/net/dev", root);
  free(net);
  fz_monitor_stop();
  fathom_profile *p = collect();
  const fathom_resources *r = &p->res;
  assert_int_equal(r->monitored, 1);
  /* rss_peak may still come from ru_maxrss, when the lifetime peak rose during the run */
  assert_true(isnan(r->rss_initial_bytes) && isnan(r->rss_final_bytes) && isnan(r->vm_peak_bytes));
  assert_int_equal(r->threads_max, 0);
  assert_true(isnan(r->read_bytes) && isnan(r->disk_write_bytes));
  assert_true(isnan(r->sys_mem_total_bytes) && isnan(r->sys_mem_used_pct_max));
  assert_true(r->cpu_user_s >= 0);   /* getrusage does not read /proc */
  near(r->net_rx_bytes, 4000, 0);
  near(r->net_tx_bytes, 500, 0);
  assert_true(isnan(fz_monitor_rss_now()));
  expect_detail(p, "net", 1, "host-wide");
  expect_detail(p, "monitor", 1, "self/stat: unexpected content");
  expect_detail(p, "monitor", 1, "meminfo: No such file or directory");
  release(p);

  put("Inter-|\n face |\n    lo: 1 0 0 0 0 0 0 0 1 0\n", "%s/net/dev", root);   /* only lo: zero */
  run_expect("net", 1, "0 interfaces except lo");
  sh("rm -rf '%s/net'", root);
  p = run(30, 0);
  expect_detail(p, "net", 0, "net/dev: No such file or directory");
  assert_true(isnan(p->res.net_rx_bytes));
  release(p);

  fz_proc_set_root(NULL);   /* the real /proc/net/dev */
  p = run(30, 0);
  expect_detail(p, "net", 1, "host-wide");
  assert_true(p->res.net_rx_bytes >= 0);
}

/* ---- states, restart, errno, fork ---------------------------------------------------------- */

static void test_states_and_restart(void **state) {
  (void)state;
  fz_monitor_clear();
  fathom_profile *p = collect();
  assert_int_equal(p->res.monitored, 0);
  assert_int_equal(p->n_probes, 4);
  expect_detail(p, "monitor", 0, "off for this session");
  expect_detail(p, "nvml", 0, "not probed");
  expect_detail(p, "rapl", 0, "not probed");
  expect_detail(p, "net", 0, "not probed");
  assert_int_equal(p->series.n, 0);
  assert_true(isnan(p->res.rss_peak_bytes) && isnan(p->res.carbon_g));
  assert_true(isnan(fz_monitor_rss_now()));
  release(p);
  /* governor only */
  assert_int_equal(fz_monitor_start(0, 0.5, 475, now_ns()), 0);
  sleep_ms(50);
  fz_monitor_stop();
  p = collect();
  assert_int_equal(p->res.monitored, 0);
  expect_detail(p, "monitor", 0, "sampling off");
  release(p);
  /* start twice, stop twice, restart: the second run starts from scratch; errno kept */
  errno = 4321;
  assert_int_equal(fz_monitor_start(1, 0.001, -1, now_ns()), 0);   /* clamped, default carbon */
  assert_int_equal(errno, 4321);
  assert_int_equal(fz_monitor_start(1, 0.5, 475, now_ns()), FATHOM_E_STATE);
  wait_samples(3);
  p = collect();   /* live */
  assert_int_equal(errno, 4321);
  near(p->series.interval_s, 0.01, 0);
  near(p->res.carbon_g_per_kwh, 475, 0);
  assert_true(p->res.n_samples >= 3);
  release(p);
  fz_monitor_stop();
  fz_monitor_stop();
  assert_int_equal(errno, 4321);
  uint64_t cpu = fz_sched_cpu_ns();
  assert_true(cpu > 0);
  assert_int_equal(fz_sched_cpu_ns(), cpu);   /* stopped: stays */
  p = run(30, 0);
  assert_true(p->res.n_samples >= 1 && p->res.n_samples <= 2);
  assert_int_equal(p->series.n, p->res.n_samples);
  /* collect twice into the same profile: probes appended, series replaced */
  assert_int_equal(fz_monitor_collect(p), 0);
  assert_int_equal(p->n_probes, 8);
  assert_int_equal(errno, 4321);
  errno = 0;
}

static void test_fork_child(void **state) {
  (void)state;
  start(0.02);
  wait_samples(2);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    fz_monitor_after_fork_child();   /* what the session's atfork handler calls */
    fathom_profile *c = calloc(1, sizeof *c);
    int bad = 0;
    if (!c || fz_monitor_collect(c) != 0) _exit(10);
    if (c->res.monitored != 0 || c->series.n != 0) bad |= 1;
    for (uint32_t i = 0; i < c->n_probes; i++)
      if (!strcmp(c->probes[i].name, "monitor") && !strstr(c->probes[i].detail, "forked")) bad |= 2;
    fathom_profile_free(c);
    fz_monitor_stop();   /* nothing to join */
    const char *san = getenv("FATHOM_SANITIZE");
    if (san && strcmp(san, "thread") == 0) _exit(bad ? 20 + bad : 0);   /* no threads after fork */
    if (fz_monitor_start(1, 0.02, 475, now_ns()) != 0) _exit(11);
    sleep_ms(60);
    fz_monitor_stop();
    c = calloc(1, sizeof *c);
    if (!c || fz_monitor_collect(c) != 0) _exit(12);
    if (c->res.monitored != 1 || c->res.n_samples < 1) bad |= 4;
    fathom_profile_free(c);
    _exit(bad ? 20 + bad : 0);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  wait_samples(samples_now() + 1);   /* the parent's monitor goes on */
  fz_monitor_stop();
  fathom_profile *p = collect();
  assert_int_equal(p->res.monitored, 1);
}

/* The scheduler's thread ("fathom-bg", which runs the monitor) blocks every signal: the
 * program's handlers never run on it. Read from its /proc status (SigBlk, a hex mask of signals 1..64). */
static void test_thread_blocks_signals(void **state) {
  (void)state;
  start(30);
  wait_samples(1);
  char path[300];
  const char *blk_text = NULL;
  DIR *d = opendir("/proc/self/task");
  assert_non_null(d);
  for (struct dirent *de; !blk_text && (de = readdir(d)) != NULL;) {
    snprintf(path, sizeof path, "/proc/self/task/%s/status", de->d_name);
    const char *name = proc_value(path, "Name");
    if (name && strncmp(name + strspn(name, " \t"), "fathom-bg", 9) == 0)
      blk_text = proc_value(path, "SigBlk");
  }
  closedir(d);
  int found = blk_text != NULL;
  unsigned long long blk = found ? strtoull(blk_text, NULL, 16) : 0;
  fz_monitor_stop();
  assert_true(found);
  static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
                             SIGTERM, SIGCHLD, SIGPROF, SIGWINCH};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (!(blk >> (sigs[i] - 1) & 1)) fail_msg("signal %d not blocked (SigBlk %llx)", sigs[i], blk);
}

/* ---- through the public API ---------------------------------------------------------------- */

static void test_session_monitor(void **state) {
  (void)state;
  use_standin("1", NULL);
  fathom_config c;
  fathom_config_init(&c);
  c.monitor = 1;
  c.monitor_interval_s = 0.02;
  assert_int_equal(fathom_session_begin("monitor", &c), 0);
  wait_samples(3);
  fathom_profile *live = fathom_snapshot();
  assert_non_null(live);
  hold(live);
  assert_int_equal(live->res.monitored, 1);
  release(live);
  fathom_profile *p = end();
  assert_int_equal(p->res.monitored, 1);
  assert_true(p->res.n_samples >= 3);
  assert_int_equal(p->n_gpus, 1);
  expect_detail(p, "monitor", 1, "samples");
  expect_detail(p, "nvml", 1, "1 GPU via");
  assert_true(p->res.rss_peak_bytes > 0);
  assert_true(p->meta.monitor_cpu_ns > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      M(test_rss_peak_covers_touched_allocation),
      M(test_cpu_spinning_and_idle),
      M(test_io_bytes),
      M(test_series_bounded_interval_doubles),
      M(test_nvml_two_gpus_values),
      M(test_nvml_one_gpu_and_carbon),
      M(test_nvml_zero_gpus),
      M(test_nvml_init_and_count_fail),
      M(test_nvml_per_call_errors),
      M(test_nvml_missing_library),
      M(test_rapl_fake_tree_wraparound),
      M(test_rapl_not_available),
      M(test_odd_proc_files),
      M(test_states_and_restart),
      M(test_fork_child),
      M(test_thread_blocks_signals),
      M(test_session_monitor),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
