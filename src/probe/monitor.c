/* monitor.c: the resource monitor (see monitor.h): a task of fathom's scheduler
 * (util/sched.h) that samples the process and the machine every interval into a bounded time
 * series plus running summaries, and turns it all into the model's fathom_resources,
 * fathom_series, fathom_gpu_info and probe infos.
 *
 * Invariant: its tick runs on the scheduler's thread, never calls into the zone recorder, and
 * takes M.lock only to publish a sample (never while calling a probe); M's fields are read
 * and written under M.lock, T's only by the tick (and by fz_monitor_begin and fz_monitor_end,
 * which the session calls while the scheduler's thread does not run). Memory is bounded: at
 * max_rows rows every other row is dropped and the interval doubles. Public entry points
 * preserve errno. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/machine.h"
#include "probe/monitor.h"
#include "probe/probe.h"
#include "util/sched.h"
#include "util/conffile.h"

enum { C_CPU_USER, C_CPU_SYS, C_RSS, C_VM, C_THREADS, C_READ, C_WRITE, C_DREAD, C_DWRITE,
       C_CTXV, C_CTXI, C_MINFLT, C_MAJFLT, C_SYSMEM, C_NETRX, C_NETTX, C_CPU_E, C_HOSTCPU,
       C_DISKUTIL, N_BASE };
static const char *const base_cols[N_BASE] = {
    "cpu_user_pct", "cpu_sys_pct", "rss_bytes", "vm_bytes", "threads", "read_bytes",
    "write_bytes", "disk_read_bytes", "disk_write_bytes", "ctx_vol", "ctx_invol", "minflt",
    "majflt", "sys_mem_used_pct", "net_rx_bytes", "net_tx_bytes", "cpu_energy_j",
    "host_cpu_pct", "disk_util_pct"};
enum { G_MEM, G_UTIL, G_POWER, G_TEMP, G_ENERGY, GPU_COLS };
static const char *const gpu_cols[GPU_COLS] = {"mem_used_bytes", "util_pct", "power_w",
                                               "temp_c", "energy_j"};
static const char *const gpu_field[6] = {"memory", "utilization", "power", "temperature",
                                         "energy counter", "processes"};
#define MAX_COLS (N_BASE + GPU_COLS * FZ_MAX_GPUS)
#define DEFAULT_ROWS 65536u
#define NAN_ FZ_MON_NAN

typedef struct gpu_acc {
  double mem_total, mem_peak, proc_mem_peak;
  double util_sum, util_max, power_sum, temp_max;
  uint64_t util_n, power_n;
  double energy_j;          /* latest cumulative value */
  uint32_t miss;            /* FZ_GPU_* bits that failed at least once */
  char err[6][40];          /* the last failure's nvmlErrorString, by bit */
  int integrated;           /* 1: energy integrated from power */
} gpu_acc;

enum { RUN_NONE, RUN_SAMPLED, RUN_GOV_ONLY, RUN_FORKED, RUN_FAILED };

static struct {
  pthread_mutex_t lock;
  int active;               /* between fz_monitor_begin and fz_monitor_end */
  int sample, run;          /* run: RUN_* of the last begin */
  char run_why[160];
  uint64_t start_ns, base_ns, interval_ns, last_ns;
  double interval_s, carbon;
  uint32_t max_rows;        /* test seam, 0: DEFAULT_ROWS */
  /* the series */
  uint32_t n_gpus, n_cols;  /* n_cols is 0 until the thread has opened the GPUs */
  uint64_t n, cap, dropped;
  uint64_t *ts;             /* n rows of (ts, v[n_cols]), cap allocated */
  double *v;
  /* running summary */
  uint64_t n_samples;
  double last[N_BASE];      /* latest valid value of each base column */
  double cpu_user_s, cpu_sys_s, rss_initial, rss_peak, rss_final, vm_peak, cpu_pct_max;
  double mem_total, mem_used_max, threads_max, gpu_mem_peak, maxrss_base, maxrss;
  double host_sum, host_max, disk_max;   /* host CPU % (mean = sum / host_n), busiest disk % */
  uint64_t host_n;
  gpu_acc gpu[FZ_MAX_GPUS];
  char gpu_name[FZ_MAX_GPUS][96];
  uint32_t gpu_index[FZ_MAX_GPUS];   /* NVML's device index: columns are gpu<index>_* */
  uint32_t proc_fail;        /* FZ_PROC_* bits that failed at least once, with their errno */
  int proc_err[4];
  int nvml_state;           /* -1 not probed, 0 not available, 1 GPUs open */
  char nvml_why[256], nvml_lib[256];
  uint32_t nvml_devices;
  int rapl_ok, net_ok;
  char rapl_text[320], net_why[200];
  uint64_t rapl_errors;
  uint32_t net_ifaces;
} M = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The thread's own state (and the baseline, written by start before the thread exists). */
static struct {
  fz_proc_read base;
  int rapl_on;
  int gpu_off, net_off;     /* switched off (FATHOM_METRICS): not read */
  uint64_t prev_ns;
  double prev_u, prev_s, net_prev_rx, net_prev_tx, net_rx, net_tx;
  fz_proc_read prev_host;   /* the last read's host CPU and disks (for their rates) */
  int e_mode[FZ_MAX_GPUS];  /* 0 unknown, 1 NVML counter, 2 integrated from power */
  double e_base[FZ_MAX_GPUS], e_int[FZ_MAX_GPUS], p_last[FZ_MAX_GPUS];
  double row[MAX_COLS];
  char nvml_lib[256];       /* env FATHOM_NVML_LIB at begin ("": the default library) */
  int gpus_opened;          /* the first tick opens the GPUs (dlopen, off the session's thread) */
} T;

static pthread_mutex_t ctl = PTHREAD_MUTEX_INITIALIZER;   /* serialises begin/end */
static uint64_t rss_now_bits;   /* latest RSS as double bits; 0: none */

static int ok(double x) { return x == x; }
static double maxv(double a, double b) { return !ok(a) ? b : !ok(b) ? a : a > b ? a : b; }
static double sub0(double now, double base) {   /* cumulative since the baseline, >= 0 */
  if (!ok(now) || !ok(base)) return NAN_;
  return now > base ? now - base : 0;
}

static void set_rss_now(double v) {
  uint64_t b = 0;
  if (ok(v) && v > 0) memcpy(&b, &v, sizeof b);
  __atomic_store_n(&rss_now_bits, b, __ATOMIC_RELAXED);
}

/* ---- the series ------------------------------------------------------------------- */

/* Appends one row (under M.lock): grows by doubling up to the cap; at the cap (or when
 * memory is short) keeps rows 0, 2, 4, ... and doubles the interval. */
static void append_row(uint64_t ts, const double *row) {
  uint32_t nc = M.n_cols;
  uint64_t max = M.max_rows ? M.max_rows : DEFAULT_ROWS;
  if (M.n == M.cap && M.cap < max) {
    uint64_t want = M.cap ? M.cap * 2 : 64;
    if (want > max) want = max;
    uint64_t *nts = realloc(M.ts, want * sizeof *nts);
    if (nts) M.ts = nts;
    double *nv = realloc(M.v, want * nc * sizeof *nv);
    if (nv) M.v = nv;
    if (nts && nv) M.cap = want;
  }
  if (M.n == M.cap) {
    if (M.n < 2) {   /* not even two rows: out of memory, the row is lost */
      M.dropped++;
      return;
    }
    uint64_t k = 0;
    for (uint64_t i = 0; i < M.n; i += 2, k++) {
      M.ts[k] = M.ts[i];
      memmove(M.v + k * nc, M.v + i * nc, nc * sizeof *M.v);
    }
    M.dropped += M.n - k;
    M.n = k;
    M.interval_ns *= 2;
    M.interval_s *= 2;
  }
  M.ts[M.n] = ts;
  memcpy(M.v + M.n * nc, row, nc * sizeof *row);
  M.n++;
}

/* ---- one sample -------------------------------------------------------------------- */

/* Takes one sample; returns its time (read next to getrusage, so CPU % is exact) and the
 * interval in force (doubled when the series reached its cap) in *ival. */
static uint64_t take_sample(uint64_t *ival) {
  fz_proc_read r;
  fz_proc_read_all(&r);
  uint64_t now = r.at_ns;
  double rapl = T.rapl_on ? fz_rapl_sample() : NAN_;
  uint32_t ng = M.n_gpus;   /* written by this thread only */
  fz_gpu_read g[FZ_MAX_GPUS];
  const char *gerr[FZ_MAX_GPUS][6];   /* NVML's static strings, copied under the lock */
  for (uint32_t i = 0; i < ng; i++) {
    fz_nvml_read(i, &g[i]);
    for (int k = 0; k < 6; k++)
      gerr[i][k] = g[i].miss & (1u << k) ? fz_nvml_strerror(g[i].err[k]) : "";
  }

  const fz_proc_read *b = &T.base;
  double *row = T.row;
  double dt = now > T.prev_ns ? (double)(now - T.prev_ns) * 1e-9 : 0;
  double du = r.utime_s - T.prev_u, ds = r.stime_s - T.prev_s;
  /* CPU % over the time since the last row (or the baseline); NaN under 1 ms, too short */
  row[C_CPU_USER] = dt >= 1e-3 && ok(du) ? (du > 0 ? du : 0) / dt * 100 : NAN_;
  row[C_CPU_SYS] = dt >= 1e-3 && ok(ds) ? (ds > 0 ? ds : 0) / dt * 100 : NAN_;
  row[C_RSS] = r.rss_bytes;
  row[C_VM] = r.vm_bytes;
  row[C_THREADS] = r.threads;
  row[C_READ] = sub0(r.rchar, b->rchar);
  row[C_WRITE] = sub0(r.wchar, b->wchar);
  row[C_DREAD] = sub0(r.disk_read, b->disk_read);
  row[C_DWRITE] = sub0(r.disk_write, b->disk_write);
  row[C_CTXV] = sub0(r.ctx_vol, b->ctx_vol);
  row[C_CTXI] = sub0(r.ctx_invol, b->ctx_invol);
  row[C_MINFLT] = sub0(r.minflt, b->minflt);
  row[C_MAJFLT] = sub0(r.majflt, b->majflt);
  row[C_SYSMEM] = ok(r.mem_total) && ok(r.mem_avail)
                      ? (r.mem_total - r.mem_avail) / r.mem_total * 100 : NAN_;
  /* network: increases only, so an interface that goes away subtracts nothing */
  row[C_NETRX] = row[C_NETTX] = NAN_;
  if (ok(r.net_rx) && !T.net_off) {
    if (ok(T.net_prev_rx)) {
      T.net_rx += r.net_rx > T.net_prev_rx ? r.net_rx - T.net_prev_rx : 0;
      T.net_tx += r.net_tx > T.net_prev_tx ? r.net_tx - T.net_prev_tx : 0;
    }
    T.net_prev_rx = r.net_rx;
    T.net_prev_tx = r.net_tx;
    row[C_NETRX] = T.net_rx;
    row[C_NETTX] = T.net_tx;
  }
  row[C_CPU_E] = rapl;
  /* the host: every CPU's busy share, and the busiest disk's time with I/O in flight */
  const fz_proc_read *h = &T.prev_host;
  double dtot = r.host_total - h->host_total, dbusy = r.host_busy - h->host_busy;
  row[C_HOSTCPU] = ok(dtot) && ok(dbusy) && dtot > 0 && dbusy >= 0 ? dbusy / dtot * 100 : NAN_;
  row[C_DISKUTIL] = NAN_;
  for (uint32_t i = 0; i < r.n_disks && dt >= 1e-3; i++)
    for (uint32_t j = 0; j < h->n_disks; j++)
      if (!strcmp(r.disk[i].name, h->disk[j].name) && r.disk[i].io_ms >= h->disk[j].io_ms) {
        double u = (r.disk[i].io_ms - h->disk[j].io_ms) / (dt * 1e3) * 100;
        row[C_DISKUTIL] = maxv(row[C_DISKUTIL], u > 100 ? 100 : u);
      }
  if (ok(r.host_total)) {
    T.prev_host.host_total = r.host_total;
    T.prev_host.host_busy = r.host_busy;
  }
  T.prev_host.n_disks = r.n_disks;
  memcpy(T.prev_host.disk, r.disk, sizeof r.disk);
  for (uint32_t i = 0; i < ng; i++) {
    double *gr = row + N_BASE + GPU_COLS * i;
    gr[G_MEM] = g[i].mem_used;
    gr[G_UTIL] = g[i].util_pct;
    gr[G_POWER] = g[i].power_w;
    gr[G_TEMP] = g[i].temp_c;
    if (T.e_mode[i] == 0) T.e_mode[i] = ok(g[i].energy_mj) ? 1 : 2;
    double e = NAN_;
    if (T.e_mode[i] == 1 && ok(g[i].energy_mj)) {
      if (!ok(T.e_base[i]) || g[i].energy_mj < T.e_base[i]) T.e_base[i] = g[i].energy_mj;
      e = (g[i].energy_mj - T.e_base[i]) / 1000.0;
    } else if (T.e_mode[i] == 2 && ok(g[i].power_w)) {   /* trapezoids from the first sample */
      if (ok(T.p_last[i]) && dt > 0) T.e_int[i] += (T.p_last[i] + g[i].power_w) / 2 * dt;
      e = T.e_int[i];
    }
    if (T.e_mode[i] == 2) T.p_last[i] = g[i].power_w;
    gr[G_ENERGY] = e;
  }
  double du_all = sub0(r.utime_s, b->utime_s), ds_all = sub0(r.stime_s, b->stime_s);
  double pct = dt >= 0.01 && ok(du) && ok(ds) ? (du + ds) / dt * 100 : NAN_;
  T.prev_ns = now;
  if (ok(r.utime_s)) T.prev_u = r.utime_s;
  if (ok(r.stime_s)) T.prev_s = r.stime_s;
  set_rss_now(r.rss_bytes);

  pthread_mutex_lock(&M.lock);
  append_row(now - M.start_ns, row);
  M.n_samples++;
  M.last_ns = now;
  for (int c = 0; c < N_BASE; c++)
    if (ok(row[c])) M.last[c] = row[c];
  if (ok(du_all)) M.cpu_user_s = du_all;
  if (ok(ds_all)) M.cpu_sys_s = ds_all;
  M.cpu_pct_max = maxv(M.cpu_pct_max, pct);
  if (!ok(M.rss_initial)) M.rss_initial = r.rss_bytes;
  M.rss_peak = maxv(M.rss_peak, r.rss_bytes);
  if (ok(r.rss_bytes)) M.rss_final = r.rss_bytes;
  M.maxrss = maxv(M.maxrss, r.maxrss_bytes);
  M.vm_peak = maxv(M.vm_peak, r.vm_bytes);
  M.mem_total = ok(r.mem_total) ? r.mem_total : M.mem_total;
  M.mem_used_max = maxv(M.mem_used_max, row[C_SYSMEM]);
  if (ok(row[C_HOSTCPU])) M.host_sum += row[C_HOSTCPU], M.host_n++;
  M.host_max = maxv(M.host_max, row[C_HOSTCPU]);
  M.disk_max = maxv(M.disk_max, row[C_DISKUTIL]);
  M.threads_max = maxv(M.threads_max, r.threads);
  M.proc_fail |= r.fail;
  for (int k = 0; k < 4; k++)
    if (r.fail & (1u << k)) M.proc_err[k] = r.err[k];
  M.rapl_errors = T.rapl_on ? fz_rapl_read_errors() : 0;
  double gsum = NAN_;
  for (uint32_t i = 0; i < ng; i++) {
    gpu_acc *a = &M.gpu[i];
    const double *gr = row + N_BASE + GPU_COLS * i;
    if (ok(g[i].mem_total)) a->mem_total = g[i].mem_total;
    a->mem_peak = maxv(a->mem_peak, gr[G_MEM]);
    if (ok(gr[G_MEM])) gsum = (ok(gsum) ? gsum : 0) + gr[G_MEM];
    a->proc_mem_peak = maxv(a->proc_mem_peak, g[i].proc_mem);
    if (ok(gr[G_UTIL])) a->util_sum += gr[G_UTIL], a->util_n++;
    if (ok(gr[G_POWER])) a->power_sum += gr[G_POWER], a->power_n++;
    a->util_max = maxv(a->util_max, gr[G_UTIL]);
    a->temp_max = maxv(a->temp_max, gr[G_TEMP]);
    if (ok(gr[G_ENERGY])) a->energy_j = gr[G_ENERGY];
    a->integrated = T.e_mode[i] == 2;
    for (int k = 0; k < 6; k++)
      if (g[i].miss & (1u << k)) {
        a->miss |= 1u << k;
        snprintf(a->err[k], sizeof a->err[k], "%s", gerr[i][k]);
      }
  }
  M.gpu_mem_peak = maxv(M.gpu_mem_peak, gsum);
  *ival = M.interval_ns;
  pthread_mutex_unlock(&M.lock);
  return now;
}

/* ---- the scheduler's task ------------------------------------------------------------ */

static void open_gpus(void) {
  char why[256] = "switched off (FATHOM_METRICS)";
  int n = T.gpu_off ? 0 : fz_nvml_open(T.nvml_lib, why, sizeof why);
  pthread_mutex_lock(&M.lock);
  M.nvml_state = n > 0;
  snprintf(M.nvml_why, sizeof M.nvml_why, "%s", why);
  snprintf(M.nvml_lib, sizeof M.nvml_lib, "%s", fz_nvml_lib());
  M.nvml_devices = fz_nvml_devices();
  M.n_gpus = n > 0 ? (uint32_t)n : 0;
  for (uint32_t i = 0; i < M.n_gpus; i++) {
    snprintf(M.gpu_name[i], sizeof M.gpu_name[i], "%s", fz_nvml_name(i));
    M.gpu_index[i] = fz_nvml_index(i);
  }
  M.n_cols = N_BASE + GPU_COLS * M.n_gpus;
  pthread_mutex_unlock(&M.lock);
}

static int task_wanted(void) {
  return __atomic_load_n(&M.active, __ATOMIC_ACQUIRE) &&
         __atomic_load_n(&M.sample, __ATOMIC_RELAXED);
}

/* One sample (the first tick opens the GPUs); returns the interval to the next. */
static uint64_t task_tick(uint64_t now) {
  (void)now;
  if (!T.gpus_opened) {
    open_gpus();
    T.gpus_opened = 1;
  }
  uint64_t ival;
  take_sample(&ival);
  return ival;
}

const fz_sched_task fz_monitor_task = {"monitor", task_wanted, task_tick, NULL};

/* ---- start, stop, fork ------------------------------------------------------------------ */

/* Forgets the last run's data (caller holds M.lock). */
static void reset_locked(void) {
  free(M.ts);
  free(M.v);
  M.ts = NULL;
  M.v = NULL;
  M.n = M.cap = M.dropped = M.n_samples = M.last_ns = M.rapl_errors = 0;
  M.n_gpus = M.n_cols = M.proc_fail = M.nvml_devices = M.net_ifaces = 0;
  M.run = RUN_NONE;
  M.rapl_ok = M.net_ok = 0;
  M.nvml_state = -1;
  M.run_why[0] = M.nvml_why[0] = M.nvml_lib[0] = M.rapl_text[0] = M.net_why[0] = '\0';
  memset(M.proc_err, 0, sizeof M.proc_err);
  for (int c = 0; c < N_BASE; c++) M.last[c] = NAN_;
  M.cpu_user_s = M.cpu_sys_s = M.rss_initial = M.rss_peak = M.rss_final = M.vm_peak = NAN_;
  M.cpu_pct_max = M.mem_total = M.mem_used_max = M.threads_max = M.gpu_mem_peak = NAN_;
  M.maxrss_base = M.maxrss = NAN_;
  M.host_sum = 0;
  M.host_n = 0;
  M.host_max = M.disk_max = NAN_;
  for (int i = 0; i < FZ_MAX_GPUS; i++) {
    gpu_acc *a = &M.gpu[i];
    memset(a, 0, sizeof *a);
    a->mem_total = a->mem_peak = a->proc_mem_peak = a->util_max = a->temp_max = a->energy_j = NAN_;
    M.gpu_name[i][0] = '\0';
  }
  set_rss_now(NAN_);
}

void fz_monitor_clear(void) {
  int saved = errno;
  pthread_mutex_lock(&ctl);
  pthread_mutex_lock(&M.lock);
  if (!M.active) reset_locked();
  pthread_mutex_unlock(&M.lock);
  pthread_mutex_unlock(&ctl);
  errno = saved;
}

void fz_monitor_test_max_rows(uint32_t rows) {
  pthread_mutex_lock(&M.lock);
  M.max_rows = rows == 0 ? 0 : rows < 4 ? 4 : rows;
  pthread_mutex_unlock(&M.lock);
}

int fz_monitor_begin(int sample, double interval_s, double carbon_g_per_kwh,
                     uint64_t start_mono_ns) {
  int saved = errno;
  pthread_mutex_lock(&ctl);
  pthread_mutex_lock(&M.lock);
  int busy = M.active;
  if (!busy) reset_locked();
  pthread_mutex_unlock(&M.lock);
  if (busy) goto out;
  if (!(interval_s > 0)) interval_s = 0.5;   /* 0 or NaN: the default */
  if (interval_s < 0.01) interval_s = 0.01;
  if (interval_s > 86400) interval_s = 86400;
  if (!(carbon_g_per_kwh >= 0)) carbon_g_per_kwh = 475;

  /* the baseline, on the caller's thread so that it is close to the session's start */
  memset(&T, 0, sizeof T);
  fz_proc_read_all(&T.base);
  T.prev_ns = T.base.at_ns;
  T.prev_u = T.base.utime_s;
  T.prev_s = T.base.stime_s;
  T.net_prev_rx = T.base.net_rx;
  T.net_prev_tx = T.base.net_tx;
  T.prev_host = T.base;
  for (int i = 0; i < FZ_MAX_GPUS; i++) T.e_base[i] = T.p_last[i] = NAN_;
  char rapl_why[256] = "", rapl_desc[200] = "";
  const char *lib = fz_getenv("FATHOM_NVML_LIB");
  snprintf(T.nvml_lib, sizeof T.nvml_lib, "%s", lib ? lib : "");
  /* the metric switches: a family switched off is not read at all */
  uint32_t off = fz_probe_families_off();
  T.gpu_off = (off & FATHOM_METRIC_GPU) != 0;
  T.net_off = (off & FATHOM_METRIC_NETWORK) != 0;
  if (off & FATHOM_METRIC_ENERGY)
    snprintf(rapl_why, sizeof rapl_why, "switched off (FATHOM_METRICS)");
  else if (sample) {
    T.rapl_on = fz_rapl_open(rapl_why, sizeof rapl_why) > 0;
    if (T.rapl_on) fz_rapl_describe(rapl_desc, sizeof rapl_desc);
  }
  pthread_mutex_lock(&M.lock);
  M.sample = sample != 0;
  M.run = sample ? RUN_SAMPLED : RUN_GOV_ONLY;
  M.start_ns = start_mono_ns && start_mono_ns <= T.prev_ns ? start_mono_ns : T.prev_ns;
  M.base_ns = T.prev_ns;
  M.interval_s = interval_s;
  M.interval_ns = (uint64_t)(interval_s * 1e9 + 0.5);
  M.carbon = carbon_g_per_kwh;
  M.rss_initial = T.base.rss_bytes;
  M.maxrss_base = T.base.maxrss_bytes;
  M.rapl_ok = T.rapl_on;
  snprintf(M.rapl_text, sizeof M.rapl_text, "%s", T.rapl_on ? rapl_desc : rapl_why);
  M.net_ok = !(T.base.fail & FZ_PROC_NETDEV) && !T.net_off;
  M.net_ifaces = T.base.net_ifaces;
  if (T.net_off) {
    snprintf(M.net_why, sizeof M.net_why, "switched off (FATHOM_METRICS)");
  } else if (!M.net_ok) {
    char p[300];
    int e = T.base.err[3];
    snprintf(M.net_why, sizeof M.net_why, "%s: %s", fz_proc_path(FZ_PROC_NETDEV, p, sizeof p),
             e ? strerror(e) : "no interface line could be parsed");
  }
  M.proc_fail = T.base.fail;
  memcpy(M.proc_err, T.base.err, sizeof M.proc_err);
  pthread_mutex_unlock(&M.lock);
  set_rss_now(T.base.rss_bytes);
  __atomic_store_n(&M.active, 1, __ATOMIC_RELEASE);
out:
  pthread_mutex_unlock(&ctl);
  errno = saved;
  return busy ? FATHOM_E_STATE : 0;
}

void fz_monitor_end(void) {
  int saved = errno;
  pthread_mutex_lock(&ctl);
  if (M.active) {
    if (M.sample) {
      uint64_t ival;
      take_sample(&ival);   /* the final sample */
      fz_nvml_close();
    }
    __atomic_store_n(&M.active, 0, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&ctl);
  errno = saved;
}

void fz_monitor_fail(const char *why) {
  pthread_mutex_lock(&M.lock);
  M.run = RUN_FAILED;
  snprintf(M.run_why, sizeof M.run_why, "%s", why);
  pthread_mutex_unlock(&M.lock);
}

int fz_monitor_start(int sample, double interval_s, double carbon_g_per_kwh,
                     uint64_t start_mono_ns) {
  int rc = fz_monitor_begin(sample, interval_s, carbon_g_per_kwh, start_mono_ns);
  if (rc) return rc;
  char why[160];
  (void)fz_sched_add(&fz_monitor_task);
  rc = fz_sched_start(why, sizeof why);
  if (rc == FATHOM_E_STATE) rc = 0;   /* the thread runs already: it takes the task */
  if (rc) {
    fz_monitor_end();
    fz_monitor_fail(why);
  }
  return rc;
}

void fz_monitor_stop(void) {
  fz_sched_stop();
  fz_monitor_end();
}

double fz_monitor_rss_now(void) {
  uint64_t b = __atomic_load_n(&rss_now_bits, __ATOMIC_RELAXED);
  double v;
  if (!b) return NAN_;
  memcpy(&v, &b, sizeof v);
  return v;
}

void fz_monitor_after_fork_child(void) {
  /* The thread does not exist here. If it held M.lock when the parent forked, the series
   * may be mid-update: then its memory is left alone (a bounded, one-time leak). */
  int consistent = pthread_mutex_trylock(&M.lock) == 0;
  int was_running = M.active || M.run == RUN_FORKED;   /* called twice: still forked */
  if (!consistent) {
    M.ts = NULL;
    M.v = NULL;
  }
  pthread_mutex_init(&M.lock, NULL);
  pthread_mutex_init(&ctl, NULL);
  M.active = 0;
  reset_locked();
  M.run = was_running ? RUN_FORKED : RUN_NONE;
  fz_nvml_after_fork_child();
}

/* ---- the model ---------------------------------------------------------------------------- */

/* Bounded text: appends stop at the buffer's end. */
typedef struct tbuf {
  char b[1024];
  size_t k;
} tbuf;

__attribute__((format(printf, 2, 3))) static void tadd(tbuf *t, const char *fmt, ...) {
  if (t->k + 1 >= sizeof t->b) return;
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(t->b + t->k, sizeof t->b - t->k, fmt, ap);
  va_end(ap);
  if (w > 0) t->k += (size_t)w < sizeof t->b - t->k ? (size_t)w : sizeof t->b - t->k - 1;
}

static void describe_monitor(tbuf *t, int *avail) {
  *avail = M.run == RUN_SAMPLED;
  static const char *const off[] = {
      [RUN_NONE] = "off for this session (monitor = 0, or auto below the detailed level)",
      [RUN_GOV_ONLY] = "sampling off: the thread ran only the overhead governor",
      [RUN_FORKED] = "the process forked: the monitor thread runs in the parent only"};
  if (M.run != RUN_SAMPLED) {
    tadd(t, "%s", M.run == RUN_FAILED ? M.run_why : off[M.run]);
    return;
  }
  tadd(t, "process CPU, context switches and faults (getrusage), RSS, VM size and threads "
          "(/proc/self/stat), I/O (/proc/self/io), system memory (/proc/meminfo) every %g s; "
          "%llu samples", M.interval_s, (unsigned long long)M.n_samples);
  if (M.dropped)
    tadd(t, " (%llu rows dropped at the %u-row cap: interval doubled to %g s)",
         (unsigned long long)M.dropped, M.max_rows ? M.max_rows : DEFAULT_ROWS, M.interval_s);
  static const uint32_t bits[3] = {FZ_PROC_STAT, FZ_PROC_IO, FZ_PROC_MEMINFO};
  for (int k = 0; k < 3; k++) {
    if (!(M.proc_fail & bits[k])) continue;
    char path[300];
    int e = M.proc_err[k];
    tadd(t, "; not available: %s: %s", fz_proc_path(bits[k], path, sizeof path),
         e ? strerror(e) : "unexpected content");
  }
}

static void describe_nvml(tbuf *t, int *avail) {
  *avail = M.run == RUN_SAMPLED && M.nvml_state == 1;
  if (M.run != RUN_SAMPLED || M.nvml_state <= 0) {
    tadd(t, "%s", M.run != RUN_SAMPLED ? "not probed: the monitor did not sample"
                  : M.nvml_state < 0 ? "not probed yet" : M.nvml_why);
    return;
  }
  tadd(t, "%u GPU%s via %s", M.n_gpus, M.n_gpus == 1 ? "" : "s", M.nvml_lib);
  if (M.nvml_devices > M.n_gpus) tadd(t, " (%u of %u devices)", M.n_gpus, M.nvml_devices);
  for (uint32_t i = 0; i < M.n_gpus; i++)
    tadd(t, "%s%u %s", i ? ", " : ": ", M.gpu_index[i], M.gpu_name[i]);
  for (uint32_t i = 0; i < M.n_gpus; i++) {
    const gpu_acc *a = &M.gpu[i];
    uint32_t x = M.gpu_index[i];
    if (a->integrated) tadd(t, "; GPU %u energy integrated from power", x);
    for (int k = 0; k < 6; k++)
      if (a->miss & (1u << k)) tadd(t, "; GPU %u %s: %s", x, gpu_field[k], a->err[k]);
  }
}

static void describe_rapl(tbuf *t, int *avail) {
  *avail = M.run == RUN_SAMPLED && M.rapl_ok;
  if (M.run != RUN_SAMPLED) tadd(t, "not probed: the monitor did not sample");
  else if (!M.rapl_ok) tadd(t, "%s", M.rapl_text);
  else {
    tadd(t, "CPU package energy of %s (powercap energy_uj, wraparound handled)", M.rapl_text);
    if (M.rapl_errors) tadd(t, "; %llu reads failed", (unsigned long long)M.rapl_errors);
  }
}

static void describe_net(tbuf *t, int *avail) {
  *avail = M.run == RUN_SAMPLED && M.net_ok;
  if (M.run != RUN_SAMPLED) tadd(t, "not probed: the monitor did not sample");
  else if (!M.net_ok) tadd(t, "%s", M.net_why);
  else
    tadd(t, "host-wide: bytes received and sent by every process in this network namespace, "
            "%u interface%s except lo (/proc/net/dev)", M.net_ifaces, M.net_ifaces == 1 ? "" : "s");
}

static void fill_res(fathom_resources *r) {
  const double nan = NAN_;
  int on = M.run == RUN_SAMPLED;
  r->monitored = on;
  r->n_samples = on ? M.n_samples : 0;
  double *dv[] = {&r->wall_s, &r->cpu_user_s, &r->cpu_sys_s, &r->cpu_pct_mean, &r->cpu_pct_max,
                  &r->rss_initial_bytes, &r->rss_peak_bytes, &r->rss_final_bytes,
                  &r->vm_peak_bytes, &r->sys_mem_total_bytes, &r->sys_mem_used_pct_max,
                  &r->read_bytes, &r->write_bytes, &r->disk_read_bytes, &r->disk_write_bytes,
                  &r->net_rx_bytes, &r->net_tx_bytes, &r->ctx_vol, &r->ctx_invol, &r->minflt,
                  &r->majflt, &r->gpu_mem_peak_bytes, &r->gpu_util_mean_pct, &r->gpu_util_max_pct,
                  &r->cpu_energy_j, &r->gpu_energy_j, &r->energy_j, &r->carbon_g_per_kwh,
                  &r->carbon_g, &r->host_cpu_pct_mean, &r->host_cpu_pct_max,
                  &r->disk_util_pct_max};
  for (size_t i = 0; i < sizeof dv / sizeof dv[0]; i++) *dv[i] = nan;
  r->threads_max = 0;
  if (!on) return;
  r->carbon_g_per_kwh = M.carbon;
  if (!M.n_samples) return;
  r->wall_s = (double)(M.last_ns - M.start_ns) * 1e-9;
  r->cpu_user_s = M.cpu_user_s;
  r->cpu_sys_s = M.cpu_sys_s;
  double span = (double)(M.last_ns - M.base_ns) * 1e-9;
  if (span > 0 && ok(M.cpu_user_s) && ok(M.cpu_sys_s))
    r->cpu_pct_mean = (M.cpu_user_s + M.cpu_sys_s) / span * 100;
  r->cpu_pct_max = ok(M.cpu_pct_max) ? maxv(M.cpu_pct_max, r->cpu_pct_mean) : r->cpu_pct_mean;
  r->rss_initial_bytes = M.rss_initial;
  /* between samples: the lifetime peak (ru_maxrss) is this session's if it rose during it */
  double peak = maxv(M.rss_peak, M.rss_initial);
  if (ok(M.maxrss) && ok(M.maxrss_base) && M.maxrss > M.maxrss_base) peak = maxv(peak, M.maxrss);
  r->rss_peak_bytes = peak;
  r->rss_final_bytes = M.rss_final;
  r->vm_peak_bytes = M.vm_peak;
  r->sys_mem_total_bytes = M.mem_total;
  r->sys_mem_used_pct_max = M.mem_used_max;
  r->host_cpu_pct_mean = M.host_n ? M.host_sum / (double)M.host_n : NAN_;
  r->host_cpu_pct_max = M.host_max;
  r->disk_util_pct_max = M.disk_max;
  r->threads_max = ok(M.threads_max) ? (uint32_t)M.threads_max : 0;
  r->read_bytes = M.last[C_READ];
  r->write_bytes = M.last[C_WRITE];
  r->disk_read_bytes = M.last[C_DREAD];
  r->disk_write_bytes = M.last[C_DWRITE];
  r->net_rx_bytes = M.last[C_NETRX];
  r->net_tx_bytes = M.last[C_NETTX];
  r->ctx_vol = M.last[C_CTXV];
  r->ctx_invol = M.last[C_CTXI];
  r->minflt = M.last[C_MINFLT];
  r->majflt = M.last[C_MAJFLT];
  r->gpu_mem_peak_bytes = M.gpu_mem_peak;
  double usum = 0, gsum = nan;
  uint64_t un = 0;
  for (uint32_t i = 0; i < M.n_gpus; i++) {
    usum += M.gpu[i].util_sum;
    un += M.gpu[i].util_n;
    r->gpu_util_max_pct = maxv(r->gpu_util_max_pct, M.gpu[i].util_max);
    if (ok(M.gpu[i].energy_j)) gsum = (ok(gsum) ? gsum : 0) + M.gpu[i].energy_j;
  }
  if (un) r->gpu_util_mean_pct = usum / (double)un;
  r->cpu_energy_j = M.last[C_CPU_E];
  r->gpu_energy_j = gsum;
  if (ok(r->cpu_energy_j) || ok(gsum))
    r->energy_j = (ok(r->cpu_energy_j) ? r->cpu_energy_j : 0) + (ok(gsum) ? gsum : 0);
  if (ok(r->energy_j)) r->carbon_g = r->energy_j / 3.6e6 * M.carbon;
}

static void free_series(fathom_series *s) {
  for (uint32_t i = 0; s->cols && i < s->n_cols; i++) free(s->cols[i]);
  free(s->cols);
  free(s->ts_ns);
  free(s->v);
  memset(s, 0, sizeof *s);
}

static void free_gpus(fathom_gpu_info *g, uint32_t n) {
  for (uint32_t i = 0; g && i < n; i++) free(g[i].name);
  free(g);
}

static int copy_series(fathom_series *s) {
  memset(s, 0, sizeof *s);
  s->interval_s = M.run == RUN_SAMPLED ? M.interval_s : 0;
  if (M.run != RUN_SAMPLED || !M.n_cols) return 0;
  uint32_t nc = M.n_cols;
  s->cols = calloc(nc, sizeof *s->cols);
  if (!s->cols) return -1;
  s->n_cols = nc;
  for (uint32_t c = 0; c < nc; c++) {
    char name[64];
    if (c < N_BASE) snprintf(name, sizeof name, "%s", base_cols[c]);
    else snprintf(name, sizeof name, "gpu%u_%s", M.gpu_index[(c - N_BASE) / GPU_COLS],
                  gpu_cols[(c - N_BASE) % GPU_COLS]);
    if (!(s->cols[c] = strdup(name))) return -1;
  }
  if (!M.n) return 0;
  s->ts_ns = malloc(M.n * sizeof *s->ts_ns);
  s->v = malloc(M.n * nc * sizeof *s->v);
  if (!s->ts_ns || !s->v) return -1;
  memcpy(s->ts_ns, M.ts, M.n * sizeof *s->ts_ns);
  memcpy(s->v, M.v, M.n * nc * sizeof *s->v);
  s->n = M.n;
  return 0;
}

static int copy_gpus(fathom_gpu_info **out, uint32_t *n_out) {
  *out = NULL;
  *n_out = 0;
  uint32_t n = M.run == RUN_SAMPLED ? M.n_gpus : 0;
  if (!n) return 0;
  fathom_gpu_info *g = calloc(n, sizeof *g);
  if (!g) return -1;
  *out = g;
  *n_out = n;
  for (uint32_t i = 0; i < n; i++) {
    const gpu_acc *a = &M.gpu[i];
    g[i].index = M.gpu_index[i];
    if (!(g[i].name = strdup(M.gpu_name[i]))) return -1;
    g[i].mem_total_bytes = a->mem_total;
    g[i].mem_peak_bytes = a->mem_peak;
    g[i].proc_mem_peak_bytes = a->proc_mem_peak;
    g[i].util_mean_pct = a->util_n ? a->util_sum / (double)a->util_n : NAN_;
    g[i].util_max_pct = a->util_max;
    g[i].power_mean_w = a->power_n ? a->power_sum / (double)a->power_n : NAN_;
    g[i].temp_max_c = a->temp_max;
    g[i].energy_j = a->energy_j;
  }
  return 0;
}

int fz_monitor_collect(fathom_profile *p) {
  if (!p) return FATHOM_E_INVAL;
  int saved = errno, rc = 0;
  fathom_series s;
  fathom_gpu_info *g = NULL;
  uint32_t ng = 0;
  fathom_probe_info pi[4];
  memset(pi, 0, sizeof pi);
  static const char *const names[4] = {"monitor", "nvml", "rapl", "net"};
  void (*const desc[4])(tbuf *, int *) = {describe_monitor, describe_nvml, describe_rapl,
                                          describe_net};
  pthread_mutex_lock(&M.lock);
  fill_res(&p->res);
  if (copy_series(&s) || copy_gpus(&g, &ng)) rc = FATHOM_E_NOMEM;
  for (int i = 0; i < 4 && !rc; i++) {
    tbuf t = {.k = 0};
    desc[i](&t, &pi[i].available);
    pi[i].name = strdup(names[i]);
    pi[i].detail = strdup(t.b);
    if (!pi[i].name || !pi[i].detail) rc = FATHOM_E_NOMEM;
  }
  pthread_mutex_unlock(&M.lock);
  fathom_probe_info *np = NULL;
  if (!rc) {
    np = realloc(p->probes, ((size_t)p->n_probes + 4) * sizeof *np);
    if (!np) rc = FATHOM_E_NOMEM;
  }
  if (rc) {
    free_series(&s);
    free_gpus(g, ng);
    for (int i = 0; i < 4; i++) {
      free(pi[i].name);
      free(pi[i].detail);
    }
    errno = saved;
    return rc;
  }
  p->probes = np;
  memcpy(np + p->n_probes, pi, sizeof pi);
  p->n_probes += 4;
  free_series(&p->series);
  p->series = s;
  free_gpus(p->gpus, p->n_gpus);
  p->gpus = g;
  p->n_gpus = ng;
  errno = saved;
  return 0;
}
