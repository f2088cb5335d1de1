/* cudart_standin.c: a STAND-IN for NVIDIA's CUDA runtime (libcudart.so), for tests only. It is
 * not CUDA and talks to no GPU: it exports the few functions fathom's work/gpu_zones.c looks up
 * and answers them from a virtual clock, so tests point FATHOM_CUDART_LIB at
 * build/libcudart_standin.so and check that known GPU times reach the profile exactly.
 *
 * Model: one stream in order. Every cudaEventRecord (on any stream) advances the virtual clock
 * by the next value of CUDART_STANDIN_MS (a comma list of ms, used in turn, cycled; default
 * "1") and stamps the event with the clock. A recorded event completes after it was queried
 * CUDART_STANDIN_NOT_READY times (default 0: at once; "never": never), and every event
 * recorded before a completed one is complete too (stream order). cudaEventElapsedTime
 * answers cudaErrorNotReady until both events are complete, then the difference of stamps.
 *
 * Other environment: CUDART_STANDIN_DEVICES=N (default 1; 0: cudaGetDeviceCount answers
 * cudaErrorNoDevice), CUDART_STANDIN_FAIL_RECORD=1 (every record fails),
 * CUDART_STANDIN_BUS=list (the PCI bus number, hex, of each device in turn, default device + 1:
 * cudaDeviceGetPCIBusId answers "0000:BB:00.0"; lets a test make CUDA's device order differ
 * from NVML's). cudaSetDevice / cudaGetDevice keep a current device per thread (0 at first).
 * The environment is read at the first call and again by cudart_standin_reset().
 *
 * Extra exports for tests: cudart_standin_reset() (rereads the environment, zeroes the
 * counters; events still existing stay valid), and the counters cudart_standin_created(),
 * _destroyed(), _records(), _queries(), _syncs() (calls of cudaStreamSynchronize,
 * cudaDeviceSynchronize and cudaEventSynchronize: fathom must make none).
 *
 * Invariant: every answer is a pure function of the environment and the order of calls;
 * one mutex guards the state (fathom may call from any thread). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int cudaError_t;
#define S_OK 0
#define E_INVAL 1
#define E_NODEV 100
#define E_HANDLE 400
#define E_NOTREADY 600
#define E_LAUNCH 719
#define MAX_STEPS 64
#define MAGIC 0x65766e74u

typedef struct CUevent_st {
  uint32_t magic;
  int recorded;
  uint64_t seq;       /* record number (1-based) of its last record */
  double stamp_ms;
  long queries;       /* since its last record */
} ev;
typedef struct CUstream_st *cudaStream_t;

#define API __attribute__((visibility("default")))
API cudaError_t cudaEventCreateWithFlags(ev **e, unsigned int flags);
API cudaError_t cudaEventCreate(ev **e);
API cudaError_t cudaEventRecord(ev *e, cudaStream_t s);
API cudaError_t cudaEventQuery(ev *e);
API cudaError_t cudaEventSynchronize(ev *e);
API cudaError_t cudaEventElapsedTime(float *ms, ev *a, ev *b);
API cudaError_t cudaEventDestroy(ev *e);
API cudaError_t cudaStreamSynchronize(cudaStream_t s);
API cudaError_t cudaDeviceSynchronize(void);
API cudaError_t cudaGetDeviceCount(int *n);
API cudaError_t cudaGetDevice(int *d);
API cudaError_t cudaSetDevice(int d);
API cudaError_t cudaDeviceGetPCIBusId(char *id, int len, int d);
API const char *cudaGetErrorString(cudaError_t r);
API void cudart_standin_reset(void);
API long cudart_standin_created(void);
API long cudart_standin_destroyed(void);
API long cudart_standin_records(void);
API long cudart_standin_queries(void);
API long cudart_standin_syncs(void);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int loaded, devices = 1, fail_record;
static long not_ready;   /* -1: never */
static double steps[MAX_STEPS] = {1};
static int n_steps = 1;
static double clock_ms;
static uint64_t n_rec, done_upto, step_i;   /* records made; every record up to done_upto is
                                                complete; the next step's index */
static long created, destroyed, records, queries, syncs;
static unsigned bus[MAX_STEPS];
static int n_bus;
static __thread int current;

static void load_env(void) {
  const char *d = getenv("CUDART_STANDIN_DEVICES");
  devices = d && *d ? atoi(d) : 1;
  const char *f = getenv("CUDART_STANDIN_FAIL_RECORD");
  fail_record = f && *f == '1';
  const char *r = getenv("CUDART_STANDIN_NOT_READY");
  not_ready = !r || !*r ? 0 : strcmp(r, "never") == 0 ? -1 : atol(r);
  const char *m = getenv("CUDART_STANDIN_MS");
  n_steps = 0;
  if (m && *m) {
    char *end;
    for (const char *s = m; *s && n_steps < MAX_STEPS; s = *end ? end + 1 : end) {
      steps[n_steps++] = strtod(s, &end);
      if (end == s) break;
    }
  }
  const char *b = getenv("CUDART_STANDIN_BUS");
  n_bus = 0;
  if (b && *b) {
    char *end;
    for (const char *s = b; *s && n_bus < MAX_STEPS; s = *end ? end + 1 : end) {
      bus[n_bus++] = (unsigned)strtoul(s, &end, 16);
      if (end == s) break;
    }
  }
  if (!n_steps) {
    steps[0] = 1;
    n_steps = 1;
  }
  loaded = 1;
}

static void lock(void) {
  pthread_mutex_lock(&mu);
  if (!loaded) load_env();
}

void cudart_standin_reset(void) {
  pthread_mutex_lock(&mu);
  load_env();
  clock_ms = 0;
  step_i = 0;
  created = destroyed = records = queries = syncs = 0;
  pthread_mutex_unlock(&mu);
}
static long get(const long *v) {
  lock();
  long r = *v;
  pthread_mutex_unlock(&mu);
  return r;
}
long cudart_standin_created(void) { return get(&created); }
long cudart_standin_destroyed(void) { return get(&destroyed); }
long cudart_standin_records(void) { return get(&records); }
long cudart_standin_queries(void) { return get(&queries); }
long cudart_standin_syncs(void) { return get(&syncs); }

static int valid(const ev *e) { return e && e->magic == MAGIC; }
static int complete(const ev *e) { return e->recorded && e->seq <= done_upto; }

cudaError_t cudaEventCreateWithFlags(ev **e, unsigned int flags) {
  (void)flags;
  if (!e) return E_INVAL;
  ev *n = calloc(1, sizeof *n);
  if (!n) return E_LAUNCH;
  n->magic = MAGIC;
  lock();
  created++;
  pthread_mutex_unlock(&mu);
  *e = n;
  return S_OK;
}
cudaError_t cudaEventCreate(ev **e) { return cudaEventCreateWithFlags(e, 0); }

cudaError_t cudaEventRecord(ev *e, cudaStream_t s) {
  (void)s;
  if (!valid(e)) return E_HANDLE;
  lock();
  cudaError_t r = S_OK;
  if (fail_record) {
    r = E_LAUNCH;
  } else {
    clock_ms += steps[step_i++ % (uint64_t)n_steps];
    e->seq = ++n_rec;
    e->stamp_ms = clock_ms;
    e->recorded = 1;
    e->queries = 0;
    records++;
    if (not_ready == 0) done_upto = e->seq;
  }
  pthread_mutex_unlock(&mu);
  return r;
}

cudaError_t cudaEventQuery(ev *e) {
  if (!valid(e)) return E_HANDLE;
  lock();
  queries++;
  cudaError_t r = S_OK;
  if (e->recorded && !complete(e)) {
    e->queries++;
    if (not_ready >= 0 && e->queries > not_ready) done_upto = e->seq;
    else r = E_NOTREADY;
  }
  pthread_mutex_unlock(&mu);
  return r;
}

cudaError_t cudaEventSynchronize(ev *e) {
  if (!valid(e)) return E_HANDLE;
  lock();
  syncs++;
  if (e->recorded && e->seq > done_upto) done_upto = e->seq;
  pthread_mutex_unlock(&mu);
  return S_OK;
}

cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  (void)s;
  lock();
  syncs++;
  done_upto = n_rec;
  pthread_mutex_unlock(&mu);
  return S_OK;
}
cudaError_t cudaDeviceSynchronize(void) { return cudaStreamSynchronize(NULL); }

cudaError_t cudaEventElapsedTime(float *ms, ev *a, ev *b) {
  if (!ms || !valid(a) || !valid(b)) return E_HANDLE;
  lock();
  cudaError_t r = S_OK;
  if (!a->recorded || !b->recorded) r = E_HANDLE;
  else if (!complete(a) || !complete(b)) r = E_NOTREADY;
  else *ms = (float)(b->stamp_ms - a->stamp_ms);
  pthread_mutex_unlock(&mu);
  return r;
}

cudaError_t cudaEventDestroy(ev *e) {
  if (!valid(e)) return E_HANDLE;
  lock();
  destroyed++;
  pthread_mutex_unlock(&mu);
  e->magic = 0;
  free(e);
  return S_OK;
}

cudaError_t cudaGetDeviceCount(int *n) {
  if (!n) return E_INVAL;
  lock();
  int d = devices;
  pthread_mutex_unlock(&mu);
  if (d <= 0) {
    *n = 0;
    return E_NODEV;
  }
  *n = d;
  return S_OK;
}

cudaError_t cudaGetDevice(int *d) {
  if (!d) return E_INVAL;
  *d = current;
  return S_OK;
}

cudaError_t cudaSetDevice(int d) {
  lock();
  int n = devices;
  pthread_mutex_unlock(&mu);
  if (d < 0 || d >= n) return E_INVAL;
  current = d;
  return S_OK;
}

cudaError_t cudaDeviceGetPCIBusId(char *id, int len, int d) {
  if (!id || len < 13) return E_INVAL;
  lock();
  int n = devices;
  unsigned b = d >= 0 && d < n_bus ? bus[d] : (unsigned)d + 1;
  pthread_mutex_unlock(&mu);
  if (d < 0 || d >= n) return E_INVAL;
  snprintf(id, (size_t)len, "0000:%02X:00.0", b & 0xffu);
  return S_OK;
}

const char *cudaGetErrorString(cudaError_t r) {
  switch (r) {
  case S_OK: return "no error";
  case E_INVAL: return "invalid argument";
  case E_NODEV: return "no CUDA-capable device is detected";
  case E_HANDLE: return "invalid resource handle";
  case E_NOTREADY: return "device not ready";
  case E_LAUNCH: return "unspecified launch failure";
  default: return "unknown error";
  }
}
