/* probe/nvml.c: NVIDIA GPUs through NVML, loaded at run time with dlopen (libnvidia-ml.so.1,
 * or the path in env FATHOM_NVML_LIB: the test seam), so fathom neither links against nor
 * needs the driver. Only the few types used are declared here, after NVML's public header
 * (nvml.h): return codes are ints, a device is an opaque pointer.
 *
 * Invariant: every failure (library missing, symbol missing, init or a call failing) is a
 * reported state, never a failure of the program; the library is loaded once per path and
 * never unloaded while NVML may be initialised; only the monitor's ticks (on the scheduler's
 * thread) call into the monitor's state (nv). The GPU zones' device memory (fz_nvml_mem_*,
 * at the end) is a second, independent user: its own dlopen reference and nvmlInit (NVML
 * counts initialisations), its calls serialised by its caller. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe/machine.h"

/* ---- the NVML types used (layouts from nvml.h) ---------------------------------------- */
typedef int nvmlReturn_t;                 /* NVML_SUCCESS = 0 */
#define NVML_SUCCESS 0
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_FUNCTION_NOT_FOUND 13
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct {
  unsigned long long total, free, used;   /* bytes */
} nvmlMemory_t;
typedef struct {
  unsigned int gpu, memory;               /* percent over the last sample period */
} nvmlUtilization_t;
typedef struct {                          /* nvmlProcessInfo_v1_t */
  unsigned int pid;
  unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;
typedef struct {                          /* nvmlProcessInfo_t (v2, used by _v2 and _v3) */
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_v2_t;
#define NVML_TEMPERATURE_GPU 0
#define NVML_VALUE_NOT_AVAILABLE_ULL 0xFFFFFFFFFFFFFFFFull
#define NAME_BUF 96                       /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */

typedef nvmlReturn_t (*f_void)(void);
typedef nvmlReturn_t (*f_count)(unsigned int *);
typedef nvmlReturn_t (*f_handle)(unsigned int, nvmlDevice_t *);
typedef nvmlReturn_t (*f_name)(nvmlDevice_t, char *, unsigned int);
typedef nvmlReturn_t (*f_mem)(nvmlDevice_t, nvmlMemory_t *);
typedef nvmlReturn_t (*f_util)(nvmlDevice_t, nvmlUtilization_t *);
typedef nvmlReturn_t (*f_uint)(nvmlDevice_t, unsigned int *);
typedef nvmlReturn_t (*f_temp)(nvmlDevice_t, int, unsigned int *);
typedef nvmlReturn_t (*f_ull)(nvmlDevice_t, unsigned long long *);
typedef nvmlReturn_t (*f_procs)(nvmlDevice_t, unsigned int *, void *);
typedef const char *(*f_errstr)(nvmlReturn_t);

static struct {
  void *h;
  char path[256];
  int inited;
  f_void init, shutdown;
  f_count count;
  f_handle handle;
  f_name name;
  f_mem mem;
  f_util util;
  f_uint power;
  f_temp temp;
  f_ull energy;
  f_procs procs;
  size_t proc_size;   /* sizeof the process-info struct procs fills */
  f_errstr errstr;
  uint32_t n, n_dev;
  nvmlDevice_t dev[FZ_MAX_GPUS];
  uint32_t idx[FZ_MAX_GPUS];   /* NVML's index of each device opened */
  char names[FZ_MAX_GPUS][NAME_BUF];
} nv;

/* dlsym through a union: ISO C has no conversion from object to function pointers. */
static void (*sym(const char *name))(void) {
  union {
    void *obj;
    void (*fn)(void);
  } u;
  u.obj = dlsym(nv.h, name);
  return u.fn;
}
/* The first of the names (NULL-terminated) the library exports. */
static void (*sym_first(const char *a, ...))(void) {
  va_list ap;
  va_start(ap, a);
  void (*f)(void) = NULL;
  for (const char *n = a; n && !f; n = va_arg(ap, const char *)) f = sym(n);
  va_end(ap);
  return f;
}
#define SYM(field, type, ...) (nv.field = (type)sym_first(__VA_ARGS__, (const char *)NULL))

const char *fz_nvml_strerror(int code) {
  static __thread char buf[32];
  const char *s = nv.errstr ? nv.errstr(code) : NULL;
  if (s && *s) return s;
  snprintf(buf, sizeof buf, "error %d", code);
  return buf;
}

static void clear_syms(void) {
  nv.init = nv.shutdown = NULL;
  nv.count = NULL;
  nv.handle = NULL;
  nv.name = NULL;
  nv.mem = NULL;
  nv.util = NULL;
  nv.power = NULL;
  nv.temp = NULL;
  nv.energy = NULL;
  nv.procs = NULL;
  nv.errstr = NULL;
}

int fz_nvml_open(const char *want, char *why, size_t cap) {
  nv.n = nv.n_dev = 0;
  if (!want || !*want) want = "libnvidia-ml.so.1";
  if (nv.h && strcmp(nv.path, want) != 0) {   /* the seam changed: load the other one */
    dlclose(nv.h);
    nv.h = NULL;
  }
  if (!nv.h) {
    clear_syms();
    nv.h = dlopen(want, RTLD_NOW | RTLD_LOCAL);
    if (!nv.h) {
      const char *e = dlerror();
      snprintf(why, cap, "%s", e ? e : want);
      return -1;
    }
    snprintf(nv.path, sizeof nv.path, "%s", want);
    SYM(init, f_void, "nvmlInit_v2", "nvmlInit");
    SYM(shutdown, f_void, "nvmlShutdown");
    SYM(count, f_count, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount");
    SYM(handle, f_handle, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex");
    SYM(name, f_name, "nvmlDeviceGetName");
    SYM(mem, f_mem, "nvmlDeviceGetMemoryInfo");
    SYM(util, f_util, "nvmlDeviceGetUtilizationRates");
    SYM(power, f_uint, "nvmlDeviceGetPowerUsage");
    SYM(temp, f_temp, "nvmlDeviceGetTemperature");
    SYM(energy, f_ull, "nvmlDeviceGetTotalEnergyConsumption");
    SYM(errstr, f_errstr, "nvmlErrorString");
    nv.proc_size = sizeof(nvmlProcessInfo_v2_t);
    SYM(procs, f_procs, "nvmlDeviceGetComputeRunningProcesses_v3",
        "nvmlDeviceGetComputeRunningProcesses_v2");
    if (!nv.procs) {
      SYM(procs, f_procs, "nvmlDeviceGetComputeRunningProcesses");
      nv.proc_size = sizeof(nvmlProcessInfo_v1_t);
    }
  }
  const char *missing = !nv.init ? "nvmlInit_v2" : !nv.shutdown ? "nvmlShutdown"
                        : !nv.count ? "nvmlDeviceGetCount_v2"
                        : !nv.handle ? "nvmlDeviceGetHandleByIndex_v2" : NULL;
  if (missing) {
    snprintf(why, cap, "%s does not export %s (not an NVML library?)", want, missing);
    return -1;
  }
  nvmlReturn_t r = nv.init();
  if (r != NVML_SUCCESS) {
    snprintf(why, cap, "nvmlInit_v2: %s", fz_nvml_strerror(r));
    return -1;
  }
  nv.inited = 1;
  unsigned int n = 0;
  r = nv.count(&n);
  if (r != NVML_SUCCESS) {
    snprintf(why, cap, "nvmlDeviceGetCount_v2: %s", fz_nvml_strerror(r));
    fz_nvml_close();
    return -1;
  }
  nv.n_dev = n;
  int first_err = NVML_SUCCESS;
  unsigned bad = 0;
  for (unsigned int i = 0; i < n && nv.n < FZ_MAX_GPUS; i++) {
    nvmlDevice_t d = NULL;
    r = nv.handle(i, &d);
    if (r != NVML_SUCCESS) {   /* e.g. a device the process may not see: left out */
      if (!bad++) first_err = r;
      continue;
    }
    nv.dev[nv.n] = d;
    nv.idx[nv.n] = i;
    char *nm = nv.names[nv.n];
    if (!nv.name || nv.name(d, nm, NAME_BUF) != NVML_SUCCESS) snprintf(nm, NAME_BUF, "GPU %u", i);
    nm[NAME_BUF - 1] = '\0';
    nv.n++;
  }
  if (!nv.n) {
    if (n == 0) snprintf(why, cap, "no GPU: nvmlDeviceGetCount_v2 found 0 devices");
    else snprintf(why, cap, "nvmlDeviceGetHandleByIndex_v2: %s (%u of %u devices)",
                  fz_nvml_strerror(first_err), bad, n);
    fz_nvml_close();
    return 0;
  }
  return (int)nv.n;
}

const char *fz_nvml_lib(void) { return nv.path; }
uint32_t fz_nvml_devices(void) { return nv.n_dev; }
const char *fz_nvml_name(uint32_t i) { return i < nv.n ? nv.names[i] : ""; }
uint32_t fz_nvml_index(uint32_t i) { return i < nv.n ? nv.idx[i] : i; }

static void miss(fz_gpu_read *o, uint32_t bit, int idx, nvmlReturn_t r) {
  o->miss |= bit;
  o->err[idx] = r;
}

void fz_nvml_read(uint32_t i, fz_gpu_read *o) {
  const double nan = FZ_MON_NAN;
  memset(o, 0, sizeof *o);
  o->mem_used = o->mem_total = o->util_pct = o->power_w = o->temp_c = nan;
  o->energy_mj = o->proc_mem = nan;
  if (i >= nv.n || !nv.inited) {
    o->miss = FZ_GPU_MEM | FZ_GPU_UTIL | FZ_GPU_POWER | FZ_GPU_TEMP | FZ_GPU_ENERGY | FZ_GPU_PROCS;
    return;
  }
  nvmlDevice_t d = nv.dev[i];
  nvmlReturn_t r;

  nvmlMemory_t m;
  if (!nv.mem) miss(o, FZ_GPU_MEM, 0, NVML_ERROR_FUNCTION_NOT_FOUND);
  else if ((r = nv.mem(d, &m)) != NVML_SUCCESS) miss(o, FZ_GPU_MEM, 0, r);
  else {
    o->mem_used = (double)m.used;
    o->mem_total = (double)m.total;
  }

  nvmlUtilization_t u;
  if (!nv.util) miss(o, FZ_GPU_UTIL, 1, NVML_ERROR_FUNCTION_NOT_FOUND);
  else if ((r = nv.util(d, &u)) != NVML_SUCCESS) miss(o, FZ_GPU_UTIL, 1, r);
  else o->util_pct = (double)u.gpu;

  unsigned int mw;
  if (!nv.power) miss(o, FZ_GPU_POWER, 2, NVML_ERROR_FUNCTION_NOT_FOUND);
  else if ((r = nv.power(d, &mw)) != NVML_SUCCESS) miss(o, FZ_GPU_POWER, 2, r);
  else o->power_w = (double)mw / 1000.0;

  unsigned int t;
  if (!nv.temp) miss(o, FZ_GPU_TEMP, 3, NVML_ERROR_FUNCTION_NOT_FOUND);
  else if ((r = nv.temp(d, NVML_TEMPERATURE_GPU, &t)) != NVML_SUCCESS) miss(o, FZ_GPU_TEMP, 3, r);
  else o->temp_c = (double)t;

  unsigned long long mj;
  if (!nv.energy) miss(o, FZ_GPU_ENERGY, 4, NVML_ERROR_FUNCTION_NOT_FOUND);
  else if ((r = nv.energy(d, &mj)) != NVML_SUCCESS) miss(o, FZ_GPU_ENERGY, 4, r);
  else o->energy_mj = (double)mj;

  /* this process's device memory: the sum over its entries (a fixed array: no allocation;
   * with more processes than fit, NVML says INSUFFICIENT_SIZE and the value is unknown) */
  enum { MAXP = 64 };
  union {
    nvmlProcessInfo_v1_t v1[MAXP];
    nvmlProcessInfo_v2_t v2[MAXP];
  } pi;
  unsigned int np = MAXP;
  if (!nv.procs) miss(o, FZ_GPU_PROCS, 5, NVML_ERROR_FUNCTION_NOT_FOUND);
  else if ((r = nv.procs(d, &np, &pi)) != NVML_SUCCESS) miss(o, FZ_GPU_PROCS, 5, r);
  else {
    unsigned int me = (unsigned int)getpid();
    double sum = 0;
    int known = 1;
    for (unsigned int k = 0; k < np && k < MAXP; k++) {
      unsigned int pid = nv.proc_size == sizeof(nvmlProcessInfo_v1_t) ? pi.v1[k].pid : pi.v2[k].pid;
      unsigned long long used = nv.proc_size == sizeof(nvmlProcessInfo_v1_t)
                                    ? pi.v1[k].usedGpuMemory : pi.v2[k].usedGpuMemory;
      if (pid != me) continue;
      if (used == NVML_VALUE_NOT_AVAILABLE_ULL) known = 0;
      else sum += (double)used;
    }
    o->proc_mem = known ? sum : nan;
    if (!known) miss(o, FZ_GPU_PROCS, 5, NVML_ERROR_NOT_SUPPORTED);
  }
}

void fz_nvml_close(void) {
  if (nv.inited && nv.shutdown) nv.shutdown();
  nv.inited = 0;
  nv.n = 0;
}

/* ---- device memory for the GPU zones (work/gpu_zones.c) ------------------------------ */
typedef nvmlReturn_t (*f_bus)(const char *, nvmlDevice_t *);
static struct {
  void *h;
  char path[256];
  int inited;
  f_void init, shutdown;
  f_handle handle;
  f_bus bus;
  f_mem mem;
  f_errstr errstr;
} mm;

static void (*mm_sym(const char *name))(void) {
  union {
    void *obj;
    void (*fn)(void);
  } u;
  u.obj = dlsym(mm.h, name);
  return u.fn;
}

static const char *mm_err(nvmlReturn_t r) {
  static __thread char buf[32];
  const char *s = mm.errstr ? mm.errstr(r) : NULL;
  if (s && *s) return s;
  snprintf(buf, sizeof buf, "error %d", r);
  return buf;
}

int fz_nvml_mem_open(const char *want, char *why, size_t cap) {
  if (!want || !*want) want = "libnvidia-ml.so.1";
  if (mm.inited) return 0;
  if (mm.h && strcmp(mm.path, want) != 0) {
    dlclose(mm.h);
    mm.h = NULL;
  }
  if (!mm.h) {
    mm.h = dlopen(want, RTLD_NOW | RTLD_LOCAL);
    if (!mm.h) {
      const char *e = dlerror();
      snprintf(why, cap, "%s", e ? e : want);
      return -1;
    }
    snprintf(mm.path, sizeof mm.path, "%s", want);
    mm.init = (f_void)mm_sym("nvmlInit_v2");
    if (!mm.init) mm.init = (f_void)mm_sym("nvmlInit");
    mm.shutdown = (f_void)mm_sym("nvmlShutdown");
    mm.handle = (f_handle)mm_sym("nvmlDeviceGetHandleByIndex_v2");
    if (!mm.handle) mm.handle = (f_handle)mm_sym("nvmlDeviceGetHandleByIndex");
    mm.bus = (f_bus)mm_sym("nvmlDeviceGetHandleByPciBusId_v2");
    if (!mm.bus) mm.bus = (f_bus)mm_sym("nvmlDeviceGetHandleByPciBusId");
    mm.mem = (f_mem)mm_sym("nvmlDeviceGetMemoryInfo");
    mm.errstr = (f_errstr)mm_sym("nvmlErrorString");
  }
  if (!mm.init || !mm.shutdown || !mm.handle || !mm.mem) {
    snprintf(why, cap, "%s does not export nvmlInit_v2, nvmlShutdown, "
             "nvmlDeviceGetHandleByIndex_v2 and nvmlDeviceGetMemoryInfo", want);
    return -1;
  }
  nvmlReturn_t r = mm.init();
  if (r != NVML_SUCCESS) {
    snprintf(why, cap, "nvmlInit_v2: %s", mm_err(r));
    return -1;
  }
  mm.inited = 1;
  return 0;
}

int fz_nvml_mem_bus_ids(void) { return mm.bus != NULL; }

void *fz_nvml_mem_device(const char *bus_id, unsigned index, char *why, size_t cap) {
  if (!mm.inited) {
    snprintf(why, cap, "NVML not initialised");
    return NULL;
  }
  nvmlDevice_t d = NULL;
  nvmlReturn_t r = bus_id && mm.bus ? mm.bus(bus_id, &d) : mm.handle(index, &d);
  if (r != NVML_SUCCESS || !d) {
    if (bus_id && mm.bus)
      snprintf(why, cap, "nvmlDeviceGetHandleByPciBusId_v2(%s): %s", bus_id, mm_err(r));
    else
      snprintf(why, cap, "nvmlDeviceGetHandleByIndex_v2(%u): %s", index, mm_err(r));
    return NULL;
  }
  return d;
}

int fz_nvml_mem_used(void *dev, double *used) {
  nvmlMemory_t m;
  if (!mm.inited || !dev) return 0;
  if (mm.mem((nvmlDevice_t)dev, &m) != NVML_SUCCESS) return 0;
  *used = (double)m.used;
  return 1;
}

void fz_nvml_mem_close(void) {
  if (mm.inited && mm.shutdown) mm.shutdown();
  mm.inited = 0;
}

void fz_nvml_after_fork_child(void) {
  nv.inited = 0;   /* the parent's initialisation: not ours to shut down */
  nv.n = 0;
  mm.inited = 0;
}
