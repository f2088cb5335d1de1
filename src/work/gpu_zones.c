/* gpu_zones.c: GPU time per zone with CUDA events (fathom_gpu_zone_begin / end). A zone's
 * begin records an event on the program's stream, its end a second one; the time between
 * them (cudaEventElapsedTime) is read once both have completed, found out with
 * cudaEventQuery (which never blocks) at later begins and ends, when a snapshot is taken, and
 * at session end, where fathom polls its own pending events for at most FATHOM_GPU_WAIT_MS in
 * all and counts the pairs still pending then as unresolved. Each GPU zone is also a CPU zone
 * of the same name (fathom_zone_begin), timing the program's own code between begin and end
 * (launching the work); fathom's event calls are left out of it.
 *
 * The CUDA runtime is not linked: it is loaded with dlopen at first use (the path in env
 * FATHOM_CUDART_LIB, the test seam, or libcudart.so, .so.13, .so.12, .so.11.0, .so.11,
 * .so.10.2), and only the few functions used are declared here, after cuda_runtime_api.h
 * (error codes are ints, events and streams opaque pointers). It is never unloaded.
 *
 * Invariant: fathom never synchronises the program's stream or device, and never blocks on an
 * event; events come from a bounded pool (at most 2 x FATHOM_GPU_PAIRS_MAX exist) and are
 * reused; every event created is destroyed at session end unless its pair is still open (its
 * end not called yet). One mutex guards everything here; it is never held while sleeping,
 * and no recorder lock is taken under it. A pair begun in one session and finished in another
 * is dropped silently (the figures of a session are that session's pairs).
 *
 * Device memory (NVML's "used" of the current CUDA device, probe/nvml.c fz_nvml_mem_*) is
 * read at a pair's begin and end when the name's last read began at least 1/rate s before
 * (FATHOM_GPU_MEM_RATE reads a second per name, default 100; 0: every pair), and always at
 * its first pair; it joins the name's figures when the pair's GPU time does, so the pairs
 * measured never outnumber count. NVML is opened at the first GPU zone of a session and shut
 * down at its end; its calls are made under mu. */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe/machine.h"
#include "probe/probe.h"
#include "util/conffile.h"
#include "record/record.h"
#include "session/session.h"
#include "util/str.h"

/* ---- the CUDA runtime types used (from cuda_runtime_api.h / driver_types.h) ------------ */
typedef int cudaError_t;
#define cudaSuccess 0
#define cudaErrorNotReady 600
typedef struct CUevent_st *cudaEvent_t;
typedef struct CUstream_st *cudaStream_t;
#define cudaEventDefault 0u

typedef cudaError_t (*f_create)(cudaEvent_t *, unsigned int);
typedef cudaError_t (*f_record)(cudaEvent_t, cudaStream_t);
typedef cudaError_t (*f_event)(cudaEvent_t);
typedef cudaError_t (*f_elapsed)(float *, cudaEvent_t, cudaEvent_t);
typedef cudaError_t (*f_count)(int *);
typedef const char *(*f_errstr)(cudaError_t);
typedef cudaError_t (*f_busid)(char *, int, int);

#define POOL_MAX (2 * FATHOM_GPU_PAIRS_MAX)
#define POLL_SLEEP_NS 1000000L   /* between polling rounds at session end */
#define MEM_RATE_DEFAULT 100.0   /* device memory reads a second per name */
#define MEM_DEVS 64              /* CUDA devices whose memory is read */

enum { P_FREE, P_OPEN, P_PENDING };
typedef struct {
  cudaEvent_t b, e;
  cudaStream_t stream;
  uint32_t name, gen, seq;
  int state;
  int mem;                  /* 1: memory read at its begin (and end, once ended) */
  void *dev;                /* the NVML device read */
  double mem_b, mem_a;      /* bytes in use at begin, at end */
} pair;

typedef struct {
  char *name;
  uint64_t count, unresolved, dropped;
  double total, min, max;   /* ms */
  int mem_tried;            /* a read of its memory began */
  uint64_t mem_last_ns;     /* when the last one began */
  uint64_t mem_n;           /* pairs counted with their memory read */
  double mem_sum, mem_mean, mem_m2;   /* of end - begin: sum, running mean and sum of squared
                                         deviations (Welford) */
  double mem_bmax, mem_amax;
} gname;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  int tried, ok, devices;
  char key[256];     /* what was tried: FATHOM_CUDART_LIB's value, "" for the default names */
  char path[256];    /* what was loaded */
  char why[320];     /* why not available */
  void *h;
  f_create create;
  f_record record;
  f_event query, destroy;
  f_elapsed elapsed;
  f_count count, getdev;
  f_busid busid;
  f_errstr errstr;
} cu;
static struct {              /* device memory, for the session mem.gen */
  uint32_t gen;
  int ok, by_bus;
  double rate;               /* reads a second per name (0: every pair) */
  uint64_t gap_ns;
  char lib[256];
  char why[320];             /* why not measured (ok 0), or a device not found (ok 1) */
  void *dev[MEM_DEVS];       /* by CUDA device */
  uint8_t tried[MEM_DEVS];
} mem;
static pair pairs[FATHOM_GPU_PAIRS_MAX];
static uint32_t free_slots[FATHOM_GPU_PAIRS_MAX], n_free;   /* stack of P_FREE slots */
static uint32_t pend[FATHOM_GPU_PAIRS_MAX], n_pend;         /* P_PENDING slots */
static uint32_t n_open;                                     /* P_OPEN slots */
static int slots_ready;
static cudaEvent_t pool[POOL_MAX];   /* idle events */
static uint32_t n_pool, n_events;    /* idle; created and not destroyed */
static gname names[FATHOM_GPU_NAMES_MAX];
static uint32_t n_names, table_gen;
static uint64_t names_dropped;       /* pairs of names beyond the cap */

static const char *errtext(cudaError_t r) {
  static __thread char buf[32];
  const char *s = cu.errstr ? cu.errstr(r) : NULL;
  if (s && *s) return s;
  snprintf(buf, sizeof buf, "CUDA error %d", r);
  return buf;
}

/* dlsym through a union: ISO C has no conversion from object to function pointers. */
static void (*sym(const char *name))(void) {
  union {
    void *obj;
    void (*fn)(void);
  } u;
  u.obj = dlsym(cu.h, name);
  return u.fn;
}

static void fill_fn(fathom_profile *p, uint32_t g, int final);

/* Loads the runtime once per value of FATHOM_CUDART_LIB (a changed value is tried again when
 * no event of the earlier library exists). Caller holds mu. Returns cu.ok. */
static int load(void) {
  const char *env = fz_getenv("FATHOM_CUDART_LIB");   /* the environment, or FATHOM_CONFIG's file */
  const char *key = env && *env ? env : "";
  if (cu.tried && (strcmp(cu.key, key) == 0 || n_events)) return cu.ok;
  fz_session_set_gpu(fill_fn);
  memset(&cu, 0, sizeof cu);
  cu.tried = 1;
  snprintf(cu.key, sizeof cu.key, "%s", key);
  static const char *const names_tried[] = {"libcudart.so",    "libcudart.so.13",
                                            "libcudart.so.12", "libcudart.so.11.0",
                                            "libcudart.so.11", "libcudart.so.10.2"};
  const char *err = NULL;
  if (*key) {
    cu.h = dlopen(key, RTLD_NOW | RTLD_LOCAL);
    if (!cu.h) err = dlerror();
  } else {
    for (size_t i = 0; i < sizeof names_tried / sizeof *names_tried && !cu.h; i++)
      cu.h = dlopen(names_tried[i], RTLD_NOW | RTLD_LOCAL);
    if (!cu.h) dlerror();
  }
  if (!cu.h) {
    if (*key)
      snprintf(cu.why, sizeof cu.why, "FATHOM_CUDART_LIB=%s cannot be loaded: %s", key,
               err ? err : "dlopen failed");
    else
      snprintf(cu.why, sizeof cu.why,
               "no CUDA runtime (libcudart.so, .so.13, .so.12, .so.11 not found;"
               " FATHOM_CUDART_LIB names another)");
    return 0;
  }
  snprintf(cu.path, sizeof cu.path, "%s", *key ? key : "libcudart.so");
  cu.create = (f_create)sym("cudaEventCreateWithFlags");
  cu.record = (f_record)sym("cudaEventRecord");
  cu.query = (f_event)sym("cudaEventQuery");
  cu.destroy = (f_event)sym("cudaEventDestroy");
  cu.elapsed = (f_elapsed)sym("cudaEventElapsedTime");
  cu.count = (f_count)sym("cudaGetDeviceCount");
  cu.errstr = (f_errstr)sym("cudaGetErrorString");
  cu.getdev = (f_count)sym("cudaGetDevice");
  cu.busid = (f_busid)sym("cudaDeviceGetPCIBusId");
  if (!cu.create || !cu.record || !cu.query || !cu.destroy || !cu.elapsed || !cu.count) {
    snprintf(cu.why, sizeof cu.why, "%s lacks the CUDA event functions", cu.path);
    return 0;
  }
  int n = 0;
  cudaError_t r = cu.count(&n);
  if (r != cudaSuccess || n <= 0) {
    snprintf(cu.why, sizeof cu.why, "no CUDA device: %s",
             r != cudaSuccess ? errtext(r) : "the runtime sees none");
    return 0;
  }
  cu.devices = n;
  cu.ok = 1;
  return 1;
}

static void slots_init(void) {
  if (slots_ready) return;
  for (uint32_t i = 0; i < FATHOM_GPU_PAIRS_MAX; i++)
    free_slots[i] = FATHOM_GPU_PAIRS_MAX - 1 - i;
  n_free = FATHOM_GPU_PAIRS_MAX;
  slots_ready = 1;
}

static cudaEvent_t ev_get(void) {
  if (n_pool) return pool[--n_pool];
  if (n_events >= POOL_MAX) return NULL;
  cudaEvent_t e = NULL;
  if (cu.create(&e, cudaEventDefault) != cudaSuccess || !e) return NULL;
  n_events++;
  return e;
}

static void ev_put(cudaEvent_t e) {
  if (!e) return;
  if (n_pool < POOL_MAX) {
    pool[n_pool++] = e;
  } else {   /* not reached: at most POOL_MAX exist */
    cu.destroy(e);
    n_events--;
  }
}

static void slot_release(uint32_t s) {
  ev_put(pairs[s].b);
  ev_put(pairs[s].e);
  pairs[s].b = pairs[s].e = NULL;
  pairs[s].state = P_FREE;
  pairs[s].seq++;
  free_slots[n_free++] = s;
}

/* The figures of session gen: a new session starts an empty table. */
static void table_for(uint32_t gen) {
  if (gen == table_gen) return;
  for (uint32_t i = 0; i < n_names; i++) free(names[i].name);
  memset(names, 0, sizeof names);
  n_names = 0;
  names_dropped = 0;
  table_gen = gen;
}

static gname *name_of(const pair *q) {
  return q->gen == table_gen && q->name < n_names ? &names[q->name] : NULL;
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void mem_close(void) {
  if (mem.ok) fz_nvml_mem_close();
  mem.ok = 0;
  memset(mem.dev, 0, sizeof mem.dev);
  memset(mem.tried, 0, sizeof mem.tried);
}

/* Opens NVML for session gen once (a later session opens it again). Caller holds mu.
 * Returns mem.ok. */
static int mem_ready(uint32_t gen) {
  if (mem.gen == gen) return mem.ok;
  mem_close();
  mem.gen = gen;
  mem.why[0] = '\0';
  const char *r = fz_getenv("FATHOM_GPU_MEM_RATE");
  char *end = NULL;
  double rate = r && *r ? strtod(r, &end) : MEM_RATE_DEFAULT;
  if (r && *r && (end == r || *end || !(rate >= 0) || rate > 1e9)) rate = MEM_RATE_DEFAULT;
  mem.rate = rate;
  mem.gap_ns = rate > 0 ? (uint64_t)(1e9 / rate) : 0;
  const char *lib = getenv("FATHOM_NVML_LIB");
  snprintf(mem.lib, sizeof mem.lib, "%s", lib && *lib ? lib : "libnvidia-ml.so.1");
  char why[300] = "";
  if (fz_probe_families_off() & FATHOM_METRIC_GPU)
    snprintf(mem.why, sizeof mem.why, "switched off (FATHOM_METRICS)");
  else if (!cu.getdev)
    snprintf(mem.why, sizeof mem.why, "%s lacks cudaGetDevice", cu.path);
  else if (fz_nvml_mem_open(mem.lib, why, sizeof why) != 0)
    snprintf(mem.why, sizeof mem.why, "no NVML: %s", why);
  else
    mem.ok = 1;
  mem.by_bus = mem.ok && cu.busid && fz_nvml_mem_bus_ids();
  return mem.ok;
}

/* The NVML device of the calling thread's current CUDA device (NULL: none). Caller holds mu. */
static void *mem_dev(void) {
  int d = -1;
  if (cu.getdev(&d) != cudaSuccess || d < 0 || d >= MEM_DEVS) return NULL;
  if (!mem.tried[d]) {
    mem.tried[d] = 1;
    char bus[32] = "", why[320] = "";
    int by_bus = mem.by_bus && cu.busid(bus, (int)sizeof bus, d) == cudaSuccess;
    bus[sizeof bus - 1] = '\0';
    mem.dev[d] = fz_nvml_mem_device(by_bus ? bus : NULL, (unsigned)d, why, sizeof why);
    if (!mem.dev[d] && !mem.why[0])
      snprintf(mem.why, sizeof mem.why, "CUDA device %d: %s", d, why);
  }
  return mem.dev[d];
}

/* Reads the memory at a pair's begin when its name is due. Caller holds mu. */
static void mem_begin(pair *q, gname *g, uint32_t gen) {
  q->mem = 0;
  if (!mem_ready(gen)) return;
  uint64_t now = now_ns();
  if (g->mem_tried && now - g->mem_last_ns < mem.gap_ns) return;
  g->mem_tried = 1;   /* a failed read counts too: failures cost no more than reads */
  g->mem_last_ns = now;
  q->dev = mem_dev();
  q->mem = q->dev && fz_nvml_mem_used(q->dev, &q->mem_b);
}

/* A counted pair's memory readings join its name's figures. */
static void mem_add(gname *g, const pair *q) {
  if (!q->mem) return;
  double x = q->mem_a - q->mem_b;
  g->mem_n++;
  g->mem_sum += x;
  double d = x - g->mem_mean;
  g->mem_mean += d / (double)g->mem_n;
  g->mem_m2 += d * (x - g->mem_mean);
  if (g->mem_n == 1 || q->mem_b > g->mem_bmax) g->mem_bmax = q->mem_b;
  if (g->mem_n == 1 || q->mem_a > g->mem_amax) g->mem_amax = q->mem_a;
}

/* Reads every pending pair whose end event completed; keeps the others. Caller holds mu. */
static void poll_pending(void) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < n_pend; i++) {
    uint32_t s = pend[i];
    pair *q = &pairs[s];
    cudaError_t r = cu.query(q->e);
    if (r == cudaErrorNotReady) {
      pend[k++] = s;
      continue;
    }
    float ms = 0;
    if (r == cudaSuccess) r = cu.elapsed(&ms, q->b, q->e);
    if (r == cudaErrorNotReady) {   /* the begin event not yet: the next round */
      pend[k++] = s;
      continue;
    }
    gname *g = name_of(q);
    if (g && r == cudaSuccess && ms >= 0) {
      double v = ms;
      g->min = g->count ? (v < g->min ? v : g->min) : v;
      g->max = g->count ? (v > g->max ? v : g->max) : v;
      g->count++;
      g->total += v;
      mem_add(g, q);
    } else if (g) {
      g->unresolved++;
    }
    slot_release(s);
  }
  n_pend = k;
}

FATHOM_EXTERN int fathom_gpu_status(char *why, size_t cap) {
  int saved = errno;
  pthread_mutex_lock(&mu);
  int ok = load();
  if (why && cap) snprintf(why, cap, "%s", ok ? "" : cu.why);
  pthread_mutex_unlock(&mu);
  errno = saved;
  return ok ? 0 : FATHOM_E_NOTSUP;
}

FATHOM_EXTERN fathom_gpu_zone fathom_gpu_zone_begin(const char *name, void *stream) {
  fathom_gpu_zone z;
  memset(&z, 0, sizeof z);
  if (!name || !*name) {
    z.status = FATHOM_E_INVAL;
    return z;
  }
  int saved = errno;
  uint32_t gen = FZ_LD(fz_rec_gen);
  pthread_mutex_lock(&mu);
  if (!load()) {
    z.status = FATHOM_E_NOTSUP;
  } else if (!gen) {
    z.status = FATHOM_E_STATE;
  } else {
    slots_init();
    table_for(gen);
    poll_pending();
    uint32_t ni = 0;
    while (ni < n_names && strcmp(names[ni].name, name) != 0) ni++;
    if (ni == n_names && n_names < FATHOM_GPU_NAMES_MAX) {
      names[ni].name = fz_strdup(name);
      if (names[ni].name) n_names++;
    }
    if (ni >= n_names) {   /* beyond the cap (or no memory for the name) */
      names_dropped++;
      z.status = FATHOM_E_LIMIT;
    } else if (!n_free) {
      names[ni].dropped++;
      z.status = FATHOM_E_LIMIT;
    } else {
      uint32_t s = free_slots[--n_free];
      pair *q = &pairs[s];
      q->b = ev_get();
      q->e = q->b ? ev_get() : NULL;
      q->stream = (cudaStream_t)stream;
      q->name = ni;
      q->gen = gen;
      if (!q->e || cu.record(q->b, q->stream) != cudaSuccess) {
        names[ni].dropped++;
        z.status = q->e ? FATHOM_E_IO : FATHOM_E_LIMIT;
        slot_release(s);
      } else {
        q->state = P_OPEN;
        n_open++;
        mem_begin(q, &names[ni], gen);
        z.slot_ = s;
        z.gen_ = q->seq;
      }
    }
  }
  pthread_mutex_unlock(&mu);
  /* last: fathom's own calls stay out of the CPU zone */
  if (z.status != FATHOM_E_STATE) z.cpu_ = fathom_zone_begin(name, NULL);
  errno = saved;
  return z;
}

FATHOM_EXTERN int fathom_gpu_zone_end(fathom_gpu_zone z) {
  int saved = errno;
  int rc = z.status;
  int cpu_rc = z.cpu_.tag_ ? fathom_zone_end(z.cpu_) : 0;   /* first: fathom's own calls
                                                               stay out of the CPU zone */
  if (!rc) {
    pthread_mutex_lock(&mu);
    pair *q = z.slot_ < FATHOM_GPU_PAIRS_MAX ? &pairs[z.slot_] : NULL;
    if (!q || q->state != P_OPEN || q->seq != z.gen_) {
      rc = FATHOM_E_ENDED;
    } else {
      n_open--;
      gname *g = name_of(q);
      if (q->gen != FZ_LD(fz_rec_gen) || cu.record(q->e, q->stream) != cudaSuccess) {
        if (g) g->dropped++;   /* CUDA refused, or the session it began in is over */
        slot_release(z.slot_);
      } else {
        q->state = P_PENDING;
        pend[n_pend++] = z.slot_;
        if (q->mem && !(mem.ok && fz_nvml_mem_used(q->dev, &q->mem_a))) q->mem = 0;
      }
      poll_pending();
    }
    pthread_mutex_unlock(&mu);
  }
  if (!rc) rc = cpu_rc;
  errno = saved;
  return rc;
}

static int by_total(const void *a, const void *b) {
  const fathom_gpu_zone_info *x = a, *y = b;
  if (x->total_ms != y->total_ms) return x->total_ms < y->total_ms ? 1 : -1;
  return strcmp(x->name, y->name);
}

static void add_probe(fathom_profile *p) {
  fathom_probe_info *v = realloc(p->probes, (p->n_probes + 1) * sizeof *v);
  if (!v) return;
  p->probes = v;
  char detail[1000], m[720] = "";
  if (cu.ok && mem.gen && mem.gen == table_gen && mem.ok) {
    char rate[64] = "every pair read";
    if (mem.rate > 0) snprintf(rate, sizeof rate, "at most %g reads a second per name", mem.rate);
    snprintf(m, sizeof m, "; device memory from NVML (%s, devices matched by %s, %s%s%s)",
             mem.lib, mem.by_bus ? "PCI bus id" : "index", rate, mem.why[0] ? "; " : "",
             mem.why);
  } else if (cu.ok && mem.gen && mem.gen == table_gen)
    snprintf(m, sizeof m, "; device memory not measured: %s", mem.why);
  if (cu.ok)
    snprintf(detail, sizeof detail, "GPU time of GPU zones from CUDA events (%s, %d device%s)%s",
             cu.path, cu.devices, cu.devices == 1 ? "" : "s", m);
  else
    snprintf(detail, sizeof detail, "%s", cu.why);
  fathom_probe_info *o = &v[p->n_probes];
  o->name = fz_strdup("cuda");
  o->available = cu.ok;
  o->detail = fz_strdup(detail);
  if (o->name && o->detail) {
    p->n_probes++;
  } else {
    free(o->name);
    free(o->detail);
  }
}

/* Session end (final): waits for the pending pairs, bounded, then gives back every idle
 * event. Caller holds mu; it is let go while sleeping. */
static void settle(void) {
  struct timespec t0, now, nap = {0, POLL_SLEEP_NS};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    poll_pending();
    clock_gettime(CLOCK_MONOTONIC, &now);
    double ms = (double)(now.tv_sec - t0.tv_sec) * 1e3 + (double)(now.tv_nsec - t0.tv_nsec) / 1e6;
    if (!n_pend || ms >= FATHOM_GPU_WAIT_MS) break;
    pthread_mutex_unlock(&mu);
    nanosleep(&nap, NULL);
    pthread_mutex_lock(&mu);
  }
  while (n_pend) {   /* never completed: counted, and their events given back */
    uint32_t s = pend[--n_pend];
    gname *g = name_of(&pairs[s]);
    if (g) g->unresolved++;
    slot_release(s);
  }
  while (n_pool) {
    cu.destroy(pool[--n_pool]);
    n_events--;
  }
}

static void fill_fn(fathom_profile *p, uint32_t g, int final) {
  int saved = errno;
  pthread_mutex_lock(&mu);
  if (cu.ok && slots_ready) {
    if (final)
      settle();
    else
      poll_pending();
  }
  if (p && cu.tried) add_probe(p);
  uint32_t n = g && g == table_gen ? n_names : 0;
  if (p && n) {
    fathom_gpu_zone_info *v = calloc(n, sizeof *v);
    uint32_t k = 0;
    for (uint32_t i = 0; v && i < n; i++) {
      const gname *s = &names[i];
      fathom_gpu_zone_info *o = &v[k];
      o->name = fz_strdup(s->name);
      if (!o->name) continue;
      o->zone = FATHOM_NONE;
      for (uint32_t z = 0; z < p->n_zones && p->zones; z++)
        if (p->zones[z].name && strcmp(p->zones[z].name, s->name) == 0) {
          o->zone = z;
          break;
        }
      o->count = s->count;
      o->total_ms = s->total;
      o->mean_ms = s->count ? s->total / (double)s->count : 0;
      o->min_ms = s->count ? s->min : 0;
      o->max_ms = s->count ? s->max : 0;
      o->unresolved = s->unresolved;
      o->dropped = s->dropped;
      if (s->mem_n) {
        double m = (double)s->mem_n;
        o->mem_calls = s->mem_n;
        o->mem_change_mean = s->mem_sum / m;
        o->mem_change_se = s->mem_n == s->count ? 0
                           : s->mem_n < 2 ? NAN
                           : sqrt((s->mem_m2 > 0 ? s->mem_m2 : 0) / (m - 1) / m *
                                  (1 - m / (double)s->count));
        o->mem_before_max = s->mem_bmax;
        o->mem_after_max = s->mem_amax;
        o->mem_peak = s->mem_bmax > s->mem_amax ? s->mem_bmax : s->mem_amax;
      }
      k++;
    }
    if (v) qsort(v, k, sizeof *v, by_total);
    p->gpu_zones = v;
    p->n_gpu_zones = k;
  }
  if (p && g && g == table_gen) p->gpu_zones_dropped = names_dropped;
  if (final && g == table_gen) table_for(0);
  if (final && mem.gen == g) mem_close();
  pthread_mutex_unlock(&mu);
  errno = saved;
}
