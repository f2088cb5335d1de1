/* probe/machine.h: the machine-level probes the background monitor (monitor.c) samples:
 * /proc readers (probe/proc.c), NVML GPUs loaded with dlopen (probe/nvml.c), RAPL package
 * energy from /sys/class/powercap (probe/rapl.c); plus the monitor's test seams.
 *
 * Invariant: a probe never fails the program: what it cannot read comes back as NaN (or a
 * reason string), it allocates nothing per sample, and it never takes fathom's locks. The
 * NVML and RAPL state belongs to one thread at a time: fz_monitor_begin opens RAPL before the
 * scheduler's thread ticks the monitor; after that only the monitor's ticks use them, and
 * fz_monitor_end after the thread stopped. */
#ifndef FATHOM_MON_PROBES_H
#define FATHOM_MON_PROBES_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

#define FZ_MON_NAN __builtin_nan("")

/* ---- /proc (probe/proc.c) -------------------------------------------------------- */

/* Which /proc files a read could not use (bits of fz_proc_read.fail). */
#define FZ_PROC_STAT 1u     /* /proc/self/stat: rss, vm, threads */
#define FZ_PROC_IO 2u       /* /proc/self/io */
#define FZ_PROC_MEMINFO 4u  /* /proc/meminfo */
#define FZ_PROC_NETDEV 8u   /* /proc/net/dev */

#define FZ_MAX_DISKS 16   /* block devices read for the busiest disk's utilisation */

typedef struct fz_proc_read {
  uint64_t at_ns;                       /* CLOCK_MONOTONIC just before getrusage */
  double utime_s, stime_s;              /* getrusage(RUSAGE_SELF) */
  double ctx_vol, ctx_invol, minflt, majflt;
  double maxrss_bytes;                  /* the process's lifetime peak RSS (ru_maxrss) */
  double rss_bytes, vm_bytes, threads;  /* /proc/self/stat */
  double rchar, wchar, disk_read, disk_write;  /* /proc/self/io */
  double mem_total, mem_avail;          /* /proc/meminfo, bytes */
  double net_rx, net_tx;                /* /proc/net/dev, every interface but lo */
  uint32_t net_ifaces;                  /* interfaces summed */
  double host_busy, host_total;         /* /proc/stat "cpu": jiffies busy (all but idle and
                                           iowait) and in all, every CPU of the host */
  uint32_t n_disks;                     /* /proc/diskstats: whole disks (not partitions, loop
                                           or ram devices), at most FZ_MAX_DISKS */
  struct {
    char name[32];
    double io_ms;                       /* time the device had I/O in flight, ms */
  } disk[FZ_MAX_DISKS];
  uint32_t fail;                        /* FZ_PROC_* bits: unreadable or unparsable */
  int err[4];                           /* errno per source (0: parse error), by bit order */
} fz_proc_read;

/* Reads everything above; NaN for what could not be read. Allocates nothing. */
void fz_proc_read_all(fz_proc_read *out);
/* Test seam: read files under root instead of "/proc" (NULL: back to /proc). Call only
 * while the monitor is stopped. */
void fz_proc_set_root(const char *root);
/* The /proc path used for source bit b ("/proc/self/io"), for messages. */
const char *fz_proc_path(uint32_t bit, char *buf, size_t cap);

/* ---- NVML (probe/nvml.c) ---------------------------------------------------------- */

#define FZ_MAX_GPUS 16   /* GPUs beyond this are left out (and said so) */

/* Fields of fz_gpu_read (bits of .miss when a call failed). */
#define FZ_GPU_MEM 1u
#define FZ_GPU_UTIL 2u
#define FZ_GPU_POWER 4u
#define FZ_GPU_TEMP 8u
#define FZ_GPU_ENERGY 16u
#define FZ_GPU_PROCS 32u

typedef struct fz_gpu_read {
  double mem_used, mem_total;   /* bytes */
  double util_pct;
  double power_w;
  double temp_c;
  double energy_mj;             /* NVML's total-energy counter (since driver load) */
  double proc_mem;              /* this process's device memory, bytes */
  uint32_t miss;                /* FZ_GPU_* bits whose call failed: the value is NaN */
  int err[6];                   /* the nvmlReturn_t of each failed call, by bit order */
} fz_gpu_read;

/* Loads the library lib (NULL or "": libnvidia-ml.so.1; the monitor passes env
 * FATHOM_NVML_LIB, read when it starts), initialises NVML and opens every device. Returns
 * the number of GPUs (0..FZ_MAX_GPUS) or -1; on 0 or -1, why receives the reason. Monitor
 * thread only. */
int fz_nvml_open(const char *lib, char *why, size_t cap);
/* The library loaded ("libnvidia-ml.so.1" or the seam's path), the total number of devices
 * NVML reported (may exceed the GPUs opened), and the name and NVML index of the i-th GPU
 * opened (a device whose handle could not be had is skipped, so they may differ). */
const char *fz_nvml_lib(void);
uint32_t fz_nvml_devices(void);
const char *fz_nvml_name(uint32_t i);
uint32_t fz_nvml_index(uint32_t i);
/* One sample of GPU i. */
void fz_nvml_read(uint32_t i, fz_gpu_read *out);
/* nvmlErrorString for code (a static string; "error N" when the library has none). */
const char *fz_nvml_strerror(int code);
/* nvmlShutdown (the library stays loaded for the next session). */
void fz_nvml_close(void);
/* In a forked child: forget the parent's NVML state (both users') without calling into it. */
void fz_nvml_after_fork_child(void);
/* Device memory for the GPU zones: a second NVML user, independent of the monitor's, whose
 * calls its caller serialises. fz_nvml_mem_open loads lib (NULL or "": libnvidia-ml.so.1)
 * and initialises NVML (0; -1 with why); fz_nvml_mem_bus_ids says whether devices can be
 * found by PCI bus id; fz_nvml_mem_device finds one by bus_id ("0000:65:00.0"), or by NVML
 * index when bus_id is NULL or lookup by bus id is missing (NULL with why); fz_nvml_mem_used
 * reads its memory in use, bytes (1; 0: the call failed); fz_nvml_mem_close shuts NVML down
 * (the library stays loaded). */
int fz_nvml_mem_open(const char *lib, char *why, size_t cap);
int fz_nvml_mem_bus_ids(void);
void *fz_nvml_mem_device(const char *bus_id, unsigned index, char *why, size_t cap);
int fz_nvml_mem_used(void *dev, double *used);
void fz_nvml_mem_close(void);

/* ---- RAPL (probe/rapl.c) ---------------------------------------------------------- */

#define FZ_RAPL_MAX_ZONES 16

/* Finds the package zones under env FATHOM_POWERCAP_ROOT (default /sys/class/powercap) and
 * reads each counter once. Returns the number of zones read (0: not available, reason in
 * why). Called by fz_monitor_begin, before the monitor's first tick. */
int fz_rapl_open(char *why, size_t cap);
/* Energy in J since fz_rapl_open, wraparound handled (NaN when no zone is open). A zone
 * whose counter cannot be read this time keeps its last value and adds nothing. */
double fz_rapl_sample(void);
/* Reads that failed since fz_rapl_open. */
uint64_t fz_rapl_read_errors(void);
/* Describes the open zones ("package-0 (intel-rapl:0)"). */
void fz_rapl_describe(char *buf, size_t cap);

/* ---- monitor test seams and additions (monitor.c) ------------------------------------ */

/* Test seam: cap on the series rows (0: the default, 65536; at least 4). Call while the
 * monitor is stopped. */
void fz_monitor_test_max_rows(uint32_t rows);
/* Forgets the last run's data, so a session that does not start the monitor does not
 * report the previous session's (meant for monitor.h; see docs/resources.md). */
void fz_monitor_clear(void);

#pragma GCC visibility pop
#endif
