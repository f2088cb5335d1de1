/* nvml_standin.c: a STAND-IN for NVIDIA's libnvidia-ml.so.1, for tests only. It is not NVML
 * and talks to no GPU: it exports the few NVML functions fathom's probe/nvml.c looks up and
 * answers them with deterministic values, so tests point FATHOM_NVML_LIB at
 * build/libnvml_standin.so and check that the values reach the series and the summary.
 *
 * Invariant: everything it answers is a pure function of the environment read at nvmlInit
 * and of how many times each function was called, so tests can predict every figure.
 *
 * Environment (read at nvmlInit_v2):
 *   NVML_STANDIN_GPUS=N      devices (default 1, at most 64)
 *   NVML_STANDIN_FAIL=list   comma list of what[:gpu] that fail: init (Driver Not Loaded),
 *                            count (Unknown Error), handle (Insufficient Permissions),
 *                            name, memory, util, power, temp, energy, procs (Not Supported);
 *                            ":k" limits it to GPU k.
 * Device k answers: name "fathom NVML stand-in GPU k"; memory total (16 + 8k) GiB, used
 * (1 + k) GiB; utilization 25 + 50k % (at most 100); power 100 + 50k W; temperature 40 + k C;
 * total energy 1000000 (k+1) mJ plus (k+1) J more at every call; compute processes: this
 * process with 256 (k+1) MiB and a foreign pid with 512 MiB. Its PCI bus id is
 * "00000000:BB:00.0" with BB = k + 1 (nvmlDeviceGetHandleByPciBusId_v2 finds it).
 * Extra exports for tests: nvml_standin_init_count() (nvmlInit minus nvmlShutdown calls),
 * nvml_standin_energy_calls(k), nvml_standin_add_used(k, bytes) (device k's memory in use
 * grows by bytes, which may be negative, as if the program allocated on it; a later
 * nvmlInit does not undo it), nvml_standin_mem_reads(k) (nvmlDeviceGetMemoryInfo calls).
 * Thread-safe: the environment is read under a lock, the counters are atomic. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; } nvmlProcessInfo_v1_t;
typedef struct {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_v2_t;

#define S_OK 0
#define E_UNINIT 1
#define E_INVAL 2
#define E_NOTSUP 3
#define E_PERM 4
#define E_NODRV 9
#define E_UNKNOWN 999
#define MAXG 64
#define GIB (1024ull * 1024 * 1024)
#define MIB (1024ull * 1024)
#define FOREIGN_PID 0x7ffffff0u

#define API __attribute__((visibility("default")))
API nvmlReturn_t nvmlInit_v2(void);
API nvmlReturn_t nvmlInit(void);
API nvmlReturn_t nvmlShutdown(void);
API const char *nvmlErrorString(nvmlReturn_t r);
API nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n);
API nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d);
API nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int len);
API nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m);
API nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u);
API nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw);
API nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *t);
API nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj);
API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *n,
                                                         nvmlProcessInfo_v2_t *p);
API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t d, unsigned int *n,
                                                      nvmlProcessInfo_v1_t *p);
API int nvml_standin_init_count(void);
API unsigned long long nvml_standin_energy_calls(unsigned int k);
API nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *id, nvmlDevice_t *d);
API void nvml_standin_add_used(unsigned int k, long long bytes);
API unsigned long long nvml_standin_mem_reads(unsigned int k);

enum { F_INIT, F_COUNT, F_HANDLE, F_NAME, F_MEMORY, F_UTIL, F_POWER, F_TEMP, F_ENERGY, F_PROCS,
       F_N };
static const char *const fail_names[F_N] = {"init", "count", "handle", "name", "memory",
                                            "util", "power", "temp", "energy", "procs"};

static unsigned int n_gpus = 1;
static uint64_t fail_mask[F_N];   /* bit k: GPU k fails; all ones: every GPU */
static int init_count;
static unsigned long long energy_calls[MAXG];
static long long used_extra[MAXG];
static unsigned long long mem_reads[MAXG];
static pthread_mutex_t env_mu = PTHREAD_MUTEX_INITIALIZER;

/* A device handle is its index + 1, as a pointer (never dereferenced). */
static nvmlDevice_t dev_of(unsigned int i) { return (nvmlDevice_t)(uintptr_t)(i + 1); }
static int idx_of(nvmlDevice_t d, unsigned int *i) {
  uintptr_t v = (uintptr_t)d;
  if (v == 0 || v > __atomic_load_n(&n_gpus, __ATOMIC_RELAXED)) return 0;
  *i = (unsigned int)(v - 1);
  return 1;
}
static int fails(int what, unsigned int gpu) {
  return (__atomic_load_n(&fail_mask[what], __ATOMIC_RELAXED) >> (gpu % 64)) & 1u;
}

static void read_env(void) {
  pthread_mutex_lock(&env_mu);
  const char *g = getenv("NVML_STANDIN_GPUS");
  unsigned int ng = g && *g ? (unsigned int)strtoul(g, NULL, 10) : 1;
  __atomic_store_n(&n_gpus, ng > MAXG ? MAXG : ng, __ATOMIC_RELAXED);
  uint64_t mask[F_N] = {0};
  const char *f = getenv("NVML_STANDIN_FAIL");
  char buf[512];
  snprintf(buf, sizeof buf, "%s", f ? f : "");
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(tok, ':');
    uint64_t bits = ~0ull;
    if (colon) {
      *colon = '\0';
      bits = 1ull << (strtoul(colon + 1, NULL, 10) % 64);
    }
    for (int w = 0; w < F_N; w++)
      if (strcmp(tok, fail_names[w]) == 0) mask[w] |= bits;
  }
  for (int w = 0; w < F_N; w++) __atomic_store_n(&fail_mask[w], mask[w], __ATOMIC_RELAXED);
  pthread_mutex_unlock(&env_mu);
}

nvmlReturn_t nvmlInit_v2(void) {
  read_env();
  if (fails(F_INIT, 0)) return E_NODRV;
  __atomic_add_fetch(&init_count, 1, __ATOMIC_SEQ_CST);
  return S_OK;
}
nvmlReturn_t nvmlInit(void) { return nvmlInit_v2(); }

nvmlReturn_t nvmlShutdown(void) {
  if (__atomic_load_n(&init_count, __ATOMIC_SEQ_CST) <= 0) return E_UNINIT;
  __atomic_sub_fetch(&init_count, 1, __ATOMIC_SEQ_CST);
  return S_OK;
}

const char *nvmlErrorString(nvmlReturn_t r) {
  switch (r) {
  case S_OK: return "Success";
  case E_UNINIT: return "Uninitialized";
  case E_INVAL: return "Invalid Argument";
  case E_NOTSUP: return "Not Supported";
  case E_PERM: return "Insufficient Permissions";
  case E_NODRV: return "Driver Not Loaded";
  default: return "Unknown Error";
  }
}

static int live(void) { return __atomic_load_n(&init_count, __ATOMIC_SEQ_CST) > 0; }

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n) {
  if (!live()) return E_UNINIT;
  if (!n) return E_INVAL;
  if (fails(F_COUNT, 0)) return E_UNKNOWN;
  *n = __atomic_load_n(&n_gpus, __ATOMIC_RELAXED);
  return S_OK;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d) {
  if (!live()) return E_UNINIT;
  if (!d || i >= __atomic_load_n(&n_gpus, __ATOMIC_RELAXED)) return E_INVAL;
  if (fails(F_HANDLE, i)) return E_PERM;
  *d = dev_of(i);
  return S_OK;
}

/* "domain:bus:device.function", hex: the device whose bus is k + 1. */
nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *id, nvmlDevice_t *d) {
  if (!live()) return E_UNINIT;
  unsigned int dom, b, dv, fn;
  if (!id || !d || sscanf(id, "%x:%x:%x.%x", &dom, &b, &dv, &fn) != 4) return E_INVAL;
  if (b == 0 || b > __atomic_load_n(&n_gpus, __ATOMIC_RELAXED)) return 6;   /* NOT_FOUND */
  if (fails(F_HANDLE, b - 1)) return E_PERM;
  *d = dev_of(b - 1);
  return S_OK;
}

/* The common prologue of the per-device calls. */
#define DEVICE(d, what, out)                          \
  unsigned int i;                                     \
  if (!live()) return E_UNINIT;                       \
  if (!idx_of(d, &i) || !(out)) return E_INVAL;       \
  if (fails(what, i)) return E_NOTSUP

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int len) {
  DEVICE(d, F_NAME, name);
  snprintf(name, len, "fathom NVML stand-in GPU %u", i);
  return S_OK;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m) {
  DEVICE(d, F_MEMORY, m);
  m->total = (16 + 8ull * i) * GIB;
  m->used = (1 + (unsigned long long)i) * GIB +
            (unsigned long long)__atomic_load_n(&used_extra[i], __ATOMIC_SEQ_CST);
  __atomic_add_fetch(&mem_reads[i], 1, __ATOMIC_SEQ_CST);
  m->free = m->total - m->used;
  return S_OK;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u) {
  DEVICE(d, F_UTIL, u);
  u->gpu = 25 + 50 * i > 100 ? 100 : 25 + 50 * i;
  u->memory = 10;
  return S_OK;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw) {
  DEVICE(d, F_POWER, mw);
  *mw = 100000 + 50000 * i;
  return S_OK;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *t) {
  DEVICE(d, F_TEMP, t);
  if (sensor != 0) return E_INVAL;
  *t = 40 + i;
  return S_OK;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj) {
  DEVICE(d, F_ENERGY, mj);
  unsigned long long c = i < MAXG ? __atomic_fetch_add(&energy_calls[i], 1, __ATOMIC_SEQ_CST) : 0;
  *mj = 1000000ull * (i + 1) + c * 1000ull * (i + 1);
  return S_OK;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *n,
                                                     nvmlProcessInfo_v2_t *p) {
  DEVICE(d, F_PROCS, n);
  if (*n < 2) {
    *n = 2;
    return 7;   /* NVML_ERROR_INSUFFICIENT_SIZE */
  }
  memset(p, 0, 2 * sizeof *p);
  p[0].pid = (unsigned int)getpid();
  p[0].usedGpuMemory = 256 * MIB * (i + 1);
  p[1].pid = FOREIGN_PID;
  p[1].usedGpuMemory = 512 * MIB;
  p[0].gpuInstanceId = p[0].computeInstanceId = p[1].gpuInstanceId = p[1].computeInstanceId = ~0u;
  *n = 2;
  return S_OK;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t d, unsigned int *n,
                                                  nvmlProcessInfo_v1_t *p) {
  DEVICE(d, F_PROCS, n);
  if (*n < 2) {
    *n = 2;
    return 7;
  }
  p[0].pid = (unsigned int)getpid();
  p[0].usedGpuMemory = 256 * MIB * (i + 1);
  p[1].pid = FOREIGN_PID;
  p[1].usedGpuMemory = 512 * MIB;
  *n = 2;
  return S_OK;
}

int nvml_standin_init_count(void) { return __atomic_load_n(&init_count, __ATOMIC_SEQ_CST); }
unsigned long long nvml_standin_energy_calls(unsigned int k) {
  return k < MAXG ? __atomic_load_n(&energy_calls[k], __ATOMIC_SEQ_CST) : 0;
}
void nvml_standin_add_used(unsigned int k, long long bytes) {
  if (k < MAXG) __atomic_add_fetch(&used_extra[k], bytes, __ATOMIC_SEQ_CST);
}
unsigned long long nvml_standin_mem_reads(unsigned int k) {
  return k < MAXG ? __atomic_load_n(&mem_reads[k], __ATOMIC_SEQ_CST) : 0;
}
