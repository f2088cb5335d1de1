/* fathom.h: the whole public C API of the fathom profiling library.
 *
 * Invariant: every macro in this header compiles to nothing when FATHOM_DISABLE is
 * defined, and every function is safe to call with fathom inactive (it then does
 * nothing and returns FATHOM_E_STATE or an empty result). Nothing here ever aborts
 * the program being profiled.
 *
 * Usable from C11 and C++11. See docs/api.md for the full reference. */
#ifndef FATHOM_H
#define FATHOM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(FATHOM_BUILDING) && defined(__GNUC__)
#define FATHOM_EXTERN __attribute__((visibility("default")))
#else
#define FATHOM_EXTERN
#endif

#define FATHOM_VERSION_MAJOR 0
#define FATHOM_VERSION_MINOR 1
#define FATHOM_VERSION_PATCH 0
#define FATHOM_VERSION_STRING "0.1.0"

/* Version of the JSON profile schema this library writes and reads (docs/json-schema.md). */
#define FATHOM_SCHEMA_VERSION 4

/* ---------------------------------------------------------------------------------------
 * Errors: functions return 0 or a negative FATHOM_E_* code. Codes are never renumbered. */
#define FATHOM_ERRNO_MAP(XX)                                                          \
  XX(INVAL, -1, "invalid argument")                                                   \
  XX(NOMEM, -2, "out of memory")                                                      \
  XX(STATE, -3, "no profiling session is active (or one is already active)")         \
  XX(WRONG_THREAD, -4, "zone ended on a thread other than the one that began it")    \
  XX(ENDED, -5, "zone already ended (or its handle is stale or null)")               \
  XX(UNBALANCED, -6, "zones nested inside were still open and were closed with it")  \
  XX(IO, -7, "input/output error")                                                    \
  XX(FORMAT, -8, "malformed or truncated profile file")                               \
  XX(VERSION, -9, "unsupported profile schema version")                               \
  XX(NOTFOUND, -10, "not found")                                                      \
  XX(LIMIT, -11, "a configured limit was reached; the event was counted as dropped")  \
  XX(NOTSUP, -12, "not supported here")

typedef enum fathom_errno {
  FATHOM_OK = 0,
#define FATHOM_XX_(name, code, msg) FATHOM_E_##name = (code),
  FATHOM_ERRNO_MAP(FATHOM_XX_)
#undef FATHOM_XX_
} fathom_errno;

/* Message for a code; never NULL ("unknown error" for codes not in the table). */
FATHOM_EXTERN const char *fathom_strerror(int err);

/* ---------------------------------------------------------------------------------------
 * Levels and configuration. */
typedef enum fathom_level {
  FATHOM_LEVEL_DISABLED = 0,      /* nothing recorded, zones cost one predictable branch */
  FATHOM_LEVEL_BASIC = 1,         /* wall time per zone; budget < 1 % overhead */
  FATHOM_LEVEL_DETAILED = 2,      /* + per-zone resource deltas (probes); budget < 5 % */
  FATHOM_LEVEL_COMPREHENSIVE = 3  /* + hardware counters, FLOPs; budget < 10 % */
} fathom_level;

/* "disabled", "basic", "detailed", "comprehensive". */
FATHOM_EXTERN const char *fathom_level_name(fathom_level level);
/* Parses a level name (case-insensitive) or digit 0-3. Returns 0 or FATHOM_E_INVAL. */
FATHOM_EXTERN int fathom_level_parse(const char *s, fathom_level *out);

/* The timer. AUTO: the invariant TSC (x86-64) or virtual counter (arm64) when the CPU has
 * one, else CLOCK_MONOTONIC. MONOTONIC: always CLOCK_MONOTONIC (slower reads, histograms in
 * exact nanoseconds). */
typedef enum fathom_clock { FATHOM_CLOCK_AUTO = 0, FATHOM_CLOCK_MONOTONIC = 1 } fathom_clock;

struct fathom_thresholds; /* bottleneck thresholds, defined with the findings below */

typedef struct fathom_config {
  fathom_level level;            /* default BASIC */
  fathom_clock clock;            /* default AUTO */
  int timeline;                  /* 1: record begin/end events for the Chrome trace */
  uint32_t max_nodes_per_thread; /* call-tree node cap per thread (default 16384) */
  uint32_t max_depth;            /* zone stack depth cap per thread (default 256) */
  uint32_t ring_events;          /* timeline ring capacity per thread, events (default 65536) */
  uint64_t max_trace_events;     /* timeline events kept per session (default 4 M) */
  double max_overhead_percent;   /* budget; 0 = the level's default (1, 5, 10) */
  const char *out_path;          /* write the profile here at session end; format from the
                                    extension (.json .csv .txt .trace.json) or NULL */
  const char *trace_path;        /* write the Chrome trace here at session end, or NULL */
  int report_to_stderr;          /* 1: print the text report to stderr at session end */
  const char *components;        /* comma list: only zones of these components are
                                    recorded (NULL = all) */
  /* resources */
  int monitor;                   /* background monitor: -1 auto (on at DETAILED and above),
                                    0 off, 1 on */
  double monitor_interval_s;     /* sampling interval, default 0.5, at least 0.01 */
  int governor;                  /* 1 (default): hold max_overhead_percent by thinning what
                                    is measured; 0: never thin */
  uint32_t sample_every;         /* DETAILED probes: after the first 8 calls of a call path,
                                    1 call in N is probed (default 16; the governor raises
                                    it per path) */
  int alloc_track;               /* allocation tracking when fathom's allocator hooks are
                                    linked: -1 auto (on at DETAILED and above), 0 off, 1 on */
  double carbon_g_per_kwh;       /* grid carbon intensity, default 475 (world average,
                                    IEA 2019); FATHOM_CARBON_INTENSITY */
  /* findings and live monitoring */
  const struct fathom_thresholds *thresholds; /* bottleneck thresholds (NULL: defaults plus
                                    the environment; see fathom_thresholds_init) */
  const char *sla;               /* latency SLAs checked at session end, e.g.
                                    "request:p95<=50ms;parse:p99<=2ms" (FATHOM_SLA) */
  double throughput_window_s;    /* window of the windowed throughput, default 60 s
                                    (FATHOM_THROUGHPUT_WINDOW) */
  const char *listen;            /* live HTTP endpoint "127.0.0.1:PORT" or NULL (FATHOM_LISTEN) */
  const char *autosave_path;     /* save the profile here periodically (FATHOM_AUTOSAVE) */
  double autosave_interval_s;    /* every N seconds (default 60 when autosave_path is set) */
  uint64_t autosave_every_ops;   /* and/or every N zone calls (0: not by count) */
  const char *sink_path;         /* JSON-lines metrics stream appended at each sink flush
                                    (FATHOM_SINK) or NULL */
  double sink_interval_s;        /* sink flush interval, 0: 10 s (FATHOM_SINK_INTERVAL) */
  /* schema 4 */
  double sample_hz;              /* the CPU sampler: samples per second of each thread's CPU
                                    time (default 1000; 0: off; FATHOM_SAMPLE_HZ). It
                                    measures fathom's real cost and each zone's own CPU time
                                    (docs/estimates.md) */
} fathom_config;

/* Fills defaults. Never fails. */
FATHOM_EXTERN void fathom_config_init(fathom_config *cfg);
/* Overrides fields from the environment (FATHOM_LEVEL, FATHOM_TIMELINE, FATHOM_OUT,
 * FATHOM_TRACE, FATHOM_REPORT, FATHOM_MAX_NODES, FATHOM_MAX_DEPTH, FATHOM_RING,
 * FATHOM_COMPONENTS, FATHOM_MAX_OVERHEAD). Returns 0, or FATHOM_E_INVAL when a variable
 * could not be parsed (a message naming it goes to stderr, the field keeps its value).
 * String fields point into the environment. */
FATHOM_EXTERN int fathom_config_from_env(fathom_config *cfg);

/* ---------------------------------------------------------------------------------------
 * Sessions. One session is active at a time per process. */

/* Begins a session named `name` (NULL: the program name). cfg NULL means defaults plus the
 * environment. Returns 0, FATHOM_E_STATE if one is active, FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_session_begin(const char *name, const fathom_config *cfg);

typedef struct fathom_profile fathom_profile;

/* Ends the active session: builds the profile model from every thread's data (threads that
 * exited included), writes cfg.out_path / cfg.trace_path if set and prints the report if
 * asked. If out is non-NULL, *out receives the model (caller frees it with
 * fathom_profile_free); otherwise it is freed. Returns 0, FATHOM_E_STATE, or the first
 * write error (the model is still returned). */
FATHOM_EXTERN int fathom_session_end(fathom_profile **out);

typedef struct fathom_session_info {
  int active;
  uint64_t id;               /* unique per process run: pid and start time mixed */
  char name[128];
  uint64_t start_unix_ns;    /* wall-clock time the session began */
  uint64_t duration_ns;      /* so far, or total once ended */
  fathom_level level;
} fathom_session_info;
/* Fills info about the active (or last ended) session. Returns 0 or FATHOM_E_STATE. */
FATHOM_EXTERN int fathom_session_info_get(fathom_session_info *info);

/* Pauses (0) or resumes (1) recording within the active session. */
FATHOM_EXTERN void fathom_set_enabled(int enabled);
/* Clears every zone, counter and event recorded so far; the session goes on. */
FATHOM_EXTERN int fathom_reset(void);

/* ---------------------------------------------------------------------------------------
 * Zones. A call site has one static descriptor; the library fills the private fields. */
typedef struct fathom_site {
  const char *name;       /* zone name; never NULL once registered */
  const char *component;  /* group ("data", "training"); NULL = "default" */
  const char *tags;       /* comma-separated tags, or NULL */
  const char *file;
  const char *func;
  int line;
  /* private */
  volatile int state_;    /* 0 unregistered, 1 recorded, 2 muted by a filter */
  uint32_t id_;
} fathom_site;

/* Handle of an open zone: a value, 8 bytes (its begin time, or a sequence number for a call
 * counted but not timed; 0 for the null handle), valid only on the thread that began it. */
typedef struct fathom_zone {
  uint64_t tag_;
} fathom_zone;

/* Begins a zone at a static call site. Never fails: with fathom inactive, the site muted,
 * a cap reached, it returns a null handle (ending it is a no-op returning FATHOM_E_ENDED). */
FATHOM_EXTERN fathom_zone fathom_zone_begin_site(fathom_site *site);
/* Begins a zone by name (copied and interned; ~50 ns slower than a static site). NULL or
 * empty name: the name "(null)" / "(empty)" is used and the misuse counted. */
FATHOM_EXTERN fathom_zone fathom_zone_begin(const char *name, const char *component);

/* Ends a zone. Returns 0; FATHOM_E_ENDED for a null, stale or already-ended handle (nothing
 * recorded); FATHOM_E_WRONG_THREAD if called on another thread (nothing recorded, the zone
 * stays open on its thread); FATHOM_E_UNBALANCED if zones begun inside it were still open:
 * they are closed at the same instant (recorded) and counted as misuse. */
FATHOM_EXTERN int fathom_zone_end(fathom_zone z);

/* A custom numeric metric attached at the end of a zone (name = value). */
typedef struct fathom_metric {
  const char *name;
  double value;
} fathom_metric;
/* Ends a zone and adds each metric to that zone's per-path metric statistics (count, sum,
 * min, max). Same returns as fathom_zone_end; metrics with NULL names are skipped. */
FATHOM_EXTERN int fathom_zone_end_metrics(fathom_zone z, const fathom_metric *m, size_t n);

/* For the cleanup attribute of the scoped macros. */
FATHOM_EXTERN void fathom_zone_end_scoped(fathom_zone *z);
/* Private: fathom_zone_end without a result, for the scoped macros (an instruction less). */
FATHOM_EXTERN void fathom_zone_leave_(fathom_zone z);

/* Private: nonzero while a session records (read by the macros, written by the library). */
FATHOM_EXTERN extern uint32_t fathom_recording_;

/* Named timers. start begins a zone named `name`;
 * stop ends the innermost open zone of that name on this thread and returns its duration
 * in ns, or a negative FATHOM_E_* code (FATHOM_E_NOTFOUND when none is open). Zones opened
 * after it and still open are closed with it (FATHOM_E_UNBALANCED is counted, not returned). */
FATHOM_EXTERN int fathom_timer_start(const char *name);
FATHOM_EXTERN int64_t fathom_timer_stop(const char *name);

/* Records an externally measured duration as one completed call of a zone nested in the
 * current zone (asynchronous operations, replayed measurements). */
FATHOM_EXTERN int fathom_zone_record(fathom_site *site, uint64_t duration_ns);

/* Per-site filter evaluated once when a site is first seen (conditional profiling).
 * Return nonzero to record the site. NULL removes it. Sites seen before the call keep
 * their decision until fathom_reset or the next session. */
typedef int (*fathom_site_filter)(const fathom_site *site, void *user);
FATHOM_EXTERN void fathom_set_site_filter(fathom_site_filter fn, void *user);

/* ---------------------------------------------------------------------------------------
 * Counters, gauges, recorded sizes. Thread-safe; names are interned on first use. */
FATHOM_EXTERN int fathom_counter_add(const char *name, int64_t delta);
FATHOM_EXTERN int fathom_gauge_set(const char *name, double value);
/* Records a sample of a size (e.g. a buffer's bytes): count/total/min/max/last kept. */
FATHOM_EXTERN int fathom_record_size(const char *name, uint64_t bytes);

/* ---------------------------------------------------------------------------------------
 * Resources in zones (DETAILED and above). */

/* Adds n floating-point operations to the innermost open zone of the calling thread.
 * FLOP/s = flops / the zone's total time. Returns 0, FATHOM_E_STATE (no session),
 * FATHOM_E_NOTFOUND (no open zone: added to the thread's top level). */
FATHOM_EXTERN int fathom_flops_add(double n);

/* Takes a labelled snapshot of live heap memory by zone; kept
 * in the session (at most 256; the oldest beyond that are dropped and counted) and saved in
 * the profile. Needs allocation tracking. Returns 0, FATHOM_E_STATE, FATHOM_E_NOTSUP
 * (allocation tracking not active), FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_mem_snapshot(const char *label);

/* Live-leak check: the number of zones whose live
 * heap bytes (allocated inside them and not freed) are at or above threshold_bytes now, or a
 * negative code. */
FATHOM_EXTERN int fathom_leak_check(uint64_t threshold_bytes);

/* ---------------------------------------------------------------------------------------
 * The profile model: what every output is a view of. Read-only for users. */
typedef struct fathom_hist {
  /* Log-linear histogram of durations, sparse, counted in units of unit_ns nanoseconds (the
   * recorder counts timer ticks, so nothing is converted on the hot path; 0 means 1 ns).
   * Bucket b covers, in units:
   *   b < 64:            [b, b+1)
   *   b >= 64: k = b/64 (block), s = b%64, w = 2^(k-1):  [(64+s)*w, (64+s+1)*w)
   * (so values below 128 units are exact)
   * so every bucket is at most 1/64 of its lower bound wide and its midpoint is within
   * 0.78 % of any value in it. Values at or above 2^45 units land in the last bucket. */
  uint32_t n;          /* non-empty buckets */
  uint32_t *bucket;    /* ascending bucket indices */
  uint64_t *count;
  double unit_ns;      /* ns per unit; 0 or 1 for nanoseconds */
} fathom_hist;

#define FATHOM_HIST_BUCKETS (40 * 64)

/* Which figures are exact and which are estimates (docs/estimates.md):
 * - count is always exact.
 * - When timed == count (or timed == 0: hand-built models, schema-1 files) every call was
 *   timed: total, self, mean, min, max and stddev are exact, percentiles exact to the
 *   histogram's resolution (0.78 %), and the *_se_ns fields are 0.
 * - When timed < count the governor timed a random sample of the calls (each call timed
 *   with a known probability, decided again and again over the whole run): total_ns,
 *   self_ns, mean_ns, stddev_ns and the percentiles are unbiased estimates of the whole run
 *   (Horvitz-Thompson: each timed call weighs the inverse of its probability of being
 *   timed), total_se_ns and self_se_ns their standard errors, pct_lo_ns/pct_hi_ns 95 %
 *   intervals of the percentiles; min_ns and max_ns are those of the timed calls (bounds:
 *   the true min is at most min_ns, the true max at least max_ns).
 * - fathom's own calibrated cost (the zones' and hooks' work inside a zone's interval) is
 *   taken out of total_ns and self_ns; overhead_ns says how much was. */
#define FATHOM_PCT_N 5          /* p50, p90, p95, p99, p99.9: the index of pct_lo_ns/hi_ns */
typedef struct fathom_stats {
  uint64_t count;
  uint64_t timed;       /* calls whose duration was measured (0 in hand-built models and
                           schema-1 files: every call) */
  uint64_t total_ns;    /* inclusive; for zones rolled up across paths, recursion counted once */
  uint64_t self_ns;     /* total minus time in child zones */
  uint64_t min_ns, max_ns;
  double mean_ns;       /* mean duration of one call */
  double stddev_ns;     /* standard deviation of one call's duration */
  double p50_ns, p90_ns, p95_ns, p99_ns, p999_ns;
  /* schema 4 */
  double total_se_ns;   /* standard error of total_ns (0: exact) */
  double self_se_ns;    /* standard error of self_ns (0: exact) */
  double pct_lo_ns[FATHOM_PCT_N], pct_hi_ns[FATHOM_PCT_N]; /* 95 % intervals of p50..p99.9
                           (both equal to the percentile when every call was timed) */
  double overhead_ns;   /* fathom's calibrated cost taken out of total_ns (own zone work
                           inside the interval and that of the zones nested in it) */
  double self_cpu_ns;   /* CPU time of this path's own code (the program's, fathom's
                           excluded) from the CPU sampler: its samples x the period (0 when
                           the sampler did not run, meta.sample_period_ns 0) */
  double self_cpu_se_ns;/* its standard error: sqrt(samples) x the period */
} fathom_stats;

/* 1 when st's calls were not counted: a stack-sampled path (`fathom run`), time only. */
static inline int fathom_stats_uncounted(const fathom_stats *st) {
  return st->count == 0 && st->total_ns > 0;
}
/* 1 when st's timing figures are estimates: from a sample of the calls, or stack-sampled. */
static inline int fathom_stats_estimated(const fathom_stats *st) {
  return (st->timed != 0 && st->timed < st->count) || (st->count == 0 && st->total_se_ns > 0);
}
/* Standard error of mean_ns (0: exact). */
static inline double fathom_stats_mean_se_ns(const fathom_stats *st) {
  return st->count ? st->total_se_ns / (double)st->count : 0.0;
}

typedef struct fathom_metric_stats {
  char *name;
  uint64_t count;
  double sum, min, max;
} fathom_metric_stats;

/* Per-zone resource measurements. Indices into fathom_res.sum; never renumbered. */
typedef enum fathom_res_id {
  FATHOM_RES_CPU_USER_NS = 0,  /* thread CPU time in user mode */
  FATHOM_RES_CPU_SYS_NS,       /* thread CPU time in the kernel */
  FATHOM_RES_CTX_VOL,          /* voluntary context switches (waits) */
  FATHOM_RES_CTX_INVOL,        /* involuntary context switches (preemption) */
  FATHOM_RES_MINFLT,           /* minor page faults */
  FATHOM_RES_MAJFLT,           /* major page faults */
  FATHOM_RES_READ_BYTES,       /* bytes read through system calls (rchar) */
  FATHOM_RES_WRITE_BYTES,      /* bytes written through system calls (wchar) */
  FATHOM_RES_DISK_READ_BYTES,  /* bytes the storage layer read for the thread */
  FATHOM_RES_DISK_WRITE_BYTES, /* bytes the thread caused to be written to storage */
  FATHOM_RES_RSS_DELTA_BYTES,  /* process RSS change (signed) */
  FATHOM_RES_INSTRUCTIONS,     /* hardware counters (COMPREHENSIVE) */
  FATHOM_RES_CYCLES,
  FATHOM_RES_CACHE_REFS,
  FATHOM_RES_CACHE_MISSES,
  FATHOM_RES_BRANCH_MISSES,
  FATHOM_RES_FP_OPS,           /* hardware floating-point operations, where counted */
  FATHOM_RES_WALL_NS,          /* wall time of the probed calls (their CPU share is
                                  CPU / this, not CPU / the zone's average) */
  FATHOM_RES_CPU_NS,           /* thread CPU time, user + system (exact per call; schema 4).
                                  The user/system split (the two ids above) is the kernel's
                                  tick-sampled estimate: recorded only where the zone's
                                  probed CPU spans enough ticks to mean something, else
                                  only this sum is (mask says which) */
  FATHOM_RES_N
} fathom_res_id;
/* "cpu_user_ns", "cpu_sys_ns", "ctx_vol", "ctx_invol", "minflt", "majflt", "read_bytes",
 * "write_bytes", "disk_read_bytes", "disk_write_bytes", "rss_delta_bytes", "instructions",
 * "cycles", "cache_refs", "cache_misses", "branch_misses", "fp_ops", "wall_ns", "cpu_ns";
 * NULL out of range. */
FATHOM_EXTERN const char *fathom_res_name(int id);

typedef struct fathom_res {
  uint64_t samples;          /* calls the probes measured (0: none) */
  uint32_t sample_every;     /* probing interval in force at the end: 1 call in N on average */
  uint32_t mask;             /* bit i set: sum[i] was measured (a probe was available) */
  double sum[FATHOM_RES_N];  /* schema 4: estimates of the totals over ALL calls, nested
                                zones included (where mask bit i is set): the probed calls'
                                mean, each weighing 1 / its probability of being probed,
                                times count, so sum / count is the mean per call. Files of
                                schemas 1-3 (sums over the probed calls) are scaled by
                                count / samples when loaded. */
} fathom_res;

typedef struct fathom_alloc {
  uint64_t alloc_count, alloc_bytes;   /* heap allocations made (realloc counts as one) */
  uint64_t free_count, free_bytes;     /* of those, freed since (by any thread) */
  uint64_t live_count, live_bytes;     /* of those, still live when the model was built */
  double growth_bytes_per_call;        /* trend of retained bytes per call (least squares
                                          over sampled calls); 0 when none or not measured */
} fathom_alloc;

/* Governor decisions on a zone (bits of fathom_zone_info.gov / fathom_node.gov). */
#define FATHOM_GOV_PROBES_THINNED 1u  /* probe sampling interval raised */
#define FATHOM_GOV_DOWNGRADED 2u      /* probes stopped: recorded at BASIC */
#define FATHOM_GOV_TIME_SAMPLED 4u    /* only 1 call in time_every timed; the rest counted */
typedef enum fathom_zone_kind { FATHOM_ZONE_KIND_ZONE = 0, FATHOM_ZONE_KIND_FUNCTION = 1 } fathom_zone_kind;

typedef struct fathom_zone_info {  /* one per distinct (name, component) */
  char *name, *component, *tags, *file, *func;
  int line;
  fathom_zone_kind kind;
  fathom_stats stats;    /* rolled up across every path and thread */
  fathom_hist hist;
  fathom_res res;        /* rolled up like total_ns (recursion counted once) */
  fathom_alloc alloc;    /* inclusive (nested zones' allocations included) */
  fathom_alloc alloc_self; /* made by the zone's own code */
  double flops;          /* inclusive: declared (fathom_flops_add) plus hardware-counted */
  uint32_t gov;          /* FATHOM_GOV_* bits set on any of its paths */
  uint32_t time_every;   /* largest timing interval on any path (1: every call timed) */
} fathom_zone_info;

#define FATHOM_NONE UINT32_MAX

typedef struct fathom_node {  /* one call path on one thread */
  uint32_t zone;          /* index into zones */
  uint32_t parent;        /* index into nodes, FATHOM_NONE for a thread's top level */
  uint32_t thread;        /* index into threads */
  uint32_t depth;         /* 1 for top-level zones */
  fathom_stats stats;
  fathom_hist hist;
  uint32_t n_metrics;
  fathom_metric_stats *metrics;
  fathom_res res;
  fathom_alloc alloc;      /* inclusive */
  fathom_alloc alloc_self; /* this path's own code: leaks are grouped by these */
  double flops;            /* inclusive */
  double flops_self;
  uint32_t gov;            /* FATHOM_GOV_* */
  uint32_t time_every;     /* 1: every call timed */
} fathom_node;

typedef struct fathom_thread_info {
  uint64_t tid;           /* kernel thread id */
  char *name;             /* pthread name at registration, or "" */
  int exited;             /* the thread ended before the profile was built */
  uint32_t n_open;        /* zones still open when the profile was built */
  uint64_t n_zones;       /* zones recorded */
  uint64_t n_dropped;     /* zones not recorded because a cap was reached */
  /* schema 4 */
  uint64_t n_recorded;    /* calls whose durations the program gave (fathom_zone_record):
                             their times are not bounded by the thread's wall time */
} fathom_thread_info;

typedef enum fathom_metric_kind {
  FATHOM_METRIC_COUNTER = 0,
  FATHOM_METRIC_GAUGE = 1,
  FATHOM_METRIC_SIZE = 2
} fathom_metric_kind;

typedef struct fathom_counter_info {
  char *name;
  fathom_metric_kind kind;
  uint64_t n_updates;
  double value;           /* counter: sum; gauge: last value set; size: last sample */
  double total;           /* counter: sum; gauge and size: sum of samples */
  double min, max;
} fathom_counter_info;

typedef struct fathom_event {   /* timeline: one completed zone */
  uint32_t thread, zone;
  uint32_t depth;
  uint64_t ts_ns;         /* begin, ns since session start */
  uint64_t dur_ns;
} fathom_event;

typedef struct fathom_counter_event {   /* timeline: one counter or gauge update */
  uint32_t counter;
  uint32_t thread;
  uint64_t ts_ns;
  double value;           /* the counter's running total or the gauge's new value */
} fathom_counter_event;

typedef struct fathom_meta {
  int schema_version;
  char *fathom_version;
  char *session_name;
  uint64_t session_id;
  uint64_t start_unix_ns, duration_ns;
  int64_t pid;
  char *program;          /* executable path */
  char *host, *os, *kernel, *arch, *cpu_model;
  uint32_t n_cpus;
  fathom_level level;
  char *clock_source;     /* "tsc" or "clock_monotonic" */
  double clock_resolution_ns;
  double clock_read_ns;   /* measured cost of one timer read */
  double tsc_hz;          /* 0 when not the TSC */
  double zone_cost_ns;    /* measured cost of one timed zone (begin+end) at this level */
  double overhead_ns;     /* what the zones cost the program: measured by the CPU sampler
                             where it ran with enough samples (overhead_measured_ns), else
                             the calibrated estimate (overhead_calibrated_ns: timed calls x
                             zone_cost_ns + counted-only calls x untimed_cost_ns + probed
                             calls x probe_cost_ns, hooks at their own costs); fathom's
                             fixed costs are apart (fixed_cost_ns) */
  double overhead_pct;    /* overhead_ns as a slowdown: over the program's own CPU time
                             (cpu_time_ns less overhead_ns and monitor_cpu_ns), % */
  double cpu_time_ns;     /* process CPU time during the session */
  uint64_t n_zones;       /* zone calls recorded, all threads */
  uint64_t dropped_zones; /* not recorded: node cap or depth cap */
  uint64_t dropped_events;/* timeline events lost to full rings or the event cap */
  uint64_t dropped_hist;  /* samples counted in stats but left out of histograms (cap) */
  uint64_t misuse;        /* API misuse events (wrong thread, double end, unbalanced, NULL) */
  uint64_t fathom_bytes;  /* memory fathom held for this session */
  /* schema 2 */
  double overhead_budget_pct; /* the level's budget (max_overhead_percent) */
  int governor;           /* 1: the governor was on */
  double probe_cost_ns;   /* measured cost of one probed call (begin + end probes) */
  double monitor_cpu_ns;  /* CPU time of fathom's background thread */
  uint32_t sample_every;  /* initial probing interval */
  int alloc_tracking;     /* 1: allocations were tracked */
  uint64_t dropped_snapshots; /* memory snapshots beyond the cap */
  /* schema 4 */
  double untimed_cost_ns; /* a counted-only zone call (its calls sampled, this one untimed) */
  double zone_cost_in_ns; /* of zone_cost_ns, the part inside the zone's own interval */
  double hook_cost_ns;    /* a timed -finstrument-functions call (enter + exit hooks) */
  double hook_untimed_cost_ns; /* a counted-only one */
  double hook_cost_in_ns; /* of hook_cost_ns, the part inside the function's interval */
  double zone_special_cost_ns; /* a timed zone call of a sampled or probed path (or with the
                             timeline or CLOCK_MONOTONIC): the special path */
  double zone_special_in_ns;  /* of which inside the zone's own interval */
  double hook_special_cost_ns, hook_special_in_ns; /* the same for the hooks */
  uint64_t n_timed;       /* zone calls timed, all threads (n_zones when every call was) */
  double setup_ns;        /* fixed cost: session begin (clock and cost calibration) */
  double build_ns;        /* fixed cost: building this model and its analysis */
  double fixed_cost_ns;   /* setup_ns + monitor_cpu_ns (the background thread: monitor,
                             governor, live tasks) + build_ns; never counted in overhead_ns
                             and never a reason to thin the zones */
  /* the CPU sampler (schema 4; docs/estimates.md) */
  double sample_period_ns;   /* CPU time between samples of a thread; 0: it did not run
                                (the "sampler" probe says why) */
  uint64_t cpu_samples;      /* sampler periods on the program's threads (one signal may
                                stand for several: CPU timers fire at the kernel's tick) */
  uint64_t cpu_samples_fathom; /* of which spent inside fathom's own code */
  double sampler_cost_ns;    /* what one sample costs (its signal; measured at setup) */
  double overhead_measured_ns;    /* fathom's cost as the samples measure it: samples in
                                fathom x period + signals x sampler_cost_ns + probed calls x
                                probe_cost_ns (the probes' system calls are kernel time) */
  double overhead_measured_se_ns; /* its standard error (binomial) */
  double overhead_calibrated_ns;  /* the same from the calibrated costs per call (what
                                overhead_ns is when the sampler did not run) */
  char *cut_short_by, *cut_short_path; /* NULL, or the signal ending it; a crash's zones "a;b" */
} fathom_meta;

/* Whether a probe worked on this machine. */
typedef struct fathom_probe_info {
  char *name;             /* "rusage", "thread_io", "rss", "perf_hw", "perf_fp", "alloc",
                             "monitor", "nvml", "rapl", "net", "sampler" */
  int available;
  char *detail;           /* what it measures, or why it is not available */
} fathom_probe_info;

/* Background monitor time series: row i is (ts_ns[i], v[i*n_cols .. +n_cols)). Columns are
 * named with their unit (docs/json-schema.md lists them): "cpu_user_pct", "cpu_sys_pct",
 * "rss_bytes", "vm_bytes", "threads", "read_bytes", "write_bytes", "disk_read_bytes",
 * "disk_write_bytes", "ctx_vol", "ctx_invol", "minflt", "majflt", "sys_mem_used_pct",
 * "net_rx_bytes", "net_tx_bytes", "cpu_energy_j", then per GPU k "gpu<k>_mem_used_bytes",
 * "gpu<k>_util_pct", "gpu<k>_power_w", "gpu<k>_temp_c", "gpu<k>_energy_j". Cumulative
 * quantities are totals since the session began; NaN where a value was not available. */
typedef struct fathom_series {
  uint32_t n_cols;
  char **cols;
  uint64_t n;
  uint64_t *ts_ns;        /* ns since session start */
  double *v;
  double interval_s;      /* interval in force at the end (doubled when the cap was hit) */
} fathom_series;

typedef struct fathom_gpu_info {
  uint32_t index;
  char *name;
  double mem_total_bytes;
  double mem_peak_bytes;      /* device memory used, peak over the samples */
  double proc_mem_peak_bytes; /* this process's use, NaN when the driver does not say */
  double util_mean_pct, util_max_pct;
  double power_mean_w;
  double temp_max_c;
  double energy_j;
} fathom_gpu_info;

/* Whole-session resource summary (initial/peak/final RAM, utilization, I/O, energy).
 * NaN means not measured/not available. */
typedef struct fathom_resources {
  int monitored;                 /* 1 if the background monitor ran */
  uint64_t n_samples;
  double wall_s, cpu_user_s, cpu_sys_s;
  double cpu_pct_mean, cpu_pct_max;  /* process CPU, 100 = one core busy */
  double rss_initial_bytes, rss_peak_bytes, rss_final_bytes;
  double vm_peak_bytes;
  double sys_mem_total_bytes, sys_mem_used_pct_max;
  uint32_t threads_max;
  double read_bytes, write_bytes, disk_read_bytes, disk_write_bytes;
  double net_rx_bytes, net_tx_bytes;  /* host-wide (every process) */
  double ctx_vol, ctx_invol, minflt, majflt;
  double gpu_mem_peak_bytes, gpu_util_mean_pct, gpu_util_max_pct;
  double cpu_energy_j, gpu_energy_j, energy_j;
  double carbon_g_per_kwh, carbon_g;
  double flops, flops_per_s;     /* declared + counted, over the session's wall time */
  uint64_t leaked_bytes, leaked_count; /* heap still live at the end, from tracked zones */
} fathom_resources;

/* A labelled live-heap snapshot (fathom_mem_snapshot), by zone. */
typedef struct fathom_mem_snapshot {
  char *label;
  uint64_t ts_ns;            /* since session start */
  double rss_bytes;
  uint64_t live_count, live_bytes;  /* all tracked heap */
  uint32_t n;                /* zones with live memory */
  uint32_t *zone;            /* index into zones */
  uint64_t *zone_live_count, *zone_live_bytes;  /* self: allocated by that zone's code */
} fathom_mem_snapshot_info;

/* One governor decision. */
typedef struct fathom_gov_action {
  uint64_t ts_ns;            /* since session start */
  uint32_t zone;             /* index into zones, FATHOM_NONE for the whole session */
  uint32_t gov;              /* the FATHOM_GOV_* bit it set */
  uint32_t value;            /* new sample_every / time_every */
  double overhead_pct;       /* overhead measured when it decided */
} fathom_gov_action;

#include "fathom_findings.h" /* findings, thresholds, SLAs, throughput (part of this header) */

struct fathom_profile {
  fathom_meta meta;
  uint32_t n_zones;   fathom_zone_info *zones;
  uint32_t n_nodes;   fathom_node *nodes;        /* parents always precede children */
  uint32_t n_threads; fathom_thread_info *threads;
  uint32_t n_counters; fathom_counter_info *counters;
  int timeline;       /* 1 if a timeline was recorded */
  uint64_t n_events;  fathom_event *events;      /* sorted by ts_ns */
  uint64_t n_counter_events; fathom_counter_event *counter_events;
  /* schema 2 */
  fathom_resources res;
  uint32_t n_probes;  fathom_probe_info *probes;
  uint32_t n_gpus;    fathom_gpu_info *gpus;
  fathom_series series;
  uint32_t n_mem_snapshots; fathom_mem_snapshot_info *mem_snapshots;
  uint32_t n_gov_actions;   fathom_gov_action *gov_actions;
  /* schema 3 and later */
  uint32_t n_findings;   fathom_finding *findings;       /* sorted by rank */
  uint32_t n_slas;       fathom_sla_result *slas;
  uint32_t n_throughput; fathom_throughput_info *throughput;
};

/* Growth between two memory snapshots of a profile, by zone. */
typedef struct fathom_mem_delta {
  uint32_t zone;
  int64_t bytes, count;      /* b - a */
} fathom_mem_delta;
/* Fills up to cap deltas sorted by growth (largest first; zones with no change left out).
 * Returns how many zones changed (may exceed cap), FATHOM_E_NOTFOUND for an unknown label,
 * FATHOM_E_INVAL for NULL arguments. A label taken twice means its latest snapshot. */
FATHOM_EXTERN int fathom_mem_snapshot_diff(const fathom_profile *p, const char *label_a,
                                           const char *label_b, fathom_mem_delta *out,
                                           size_t cap);

FATHOM_EXTERN void fathom_profile_free(fathom_profile *p);

/* Checks that a profile's figures add up (docs/estimates.md lists the rules): self <= total,
 * the children's totals <= their parent's, each thread's top-level totals <= the session's
 * duration, no share above 100 %, user and system CPU >= 0, timed <= count, percentiles
 * ordered and inside [min, max], errors >= 0, every index in range. Small slack is allowed
 * for rounding (1 ns per figure added). When msg is not NULL, up to cap bytes of messages
 * are written there, one violation per line, NUL-terminated (truncated with "...\n" when
 * they do not fit). Returns the number of violations (0: every rule holds) or
 * FATHOM_E_INVAL (p NULL). */
FATHOM_EXTERN int fathom_profile_check(const fathom_profile *p, char *msg, size_t cap);

/* A live snapshot of the active session's model; caller frees. NULL if none active or out
 * of memory. Other threads keep recording while it is taken (figures may lag by a call). */
FATHOM_EXTERN fathom_profile *fathom_snapshot(void);

/* Percentile q in [0,100] from a histogram, in ns: the midpoint of the bucket holding the
 * nearest-rank sample times unit_ns, clamped to [min_ns, max_ns]. 0 for an empty one. */
FATHOM_EXTERN double fathom_hist_percentile(const fathom_hist *h, double q, uint64_t min_ns,
                                            uint64_t max_ns);

/* ---------------------------------------------------------------------------------------
 * Reading while the program runs. */

/* Statistics of zone `name` (every component, path and thread rolled up). Returns 0,
 * FATHOM_E_NOTFOUND, FATHOM_E_STATE. */
FATHOM_EXTERN int fathom_zone_stats(const char *name, fathom_stats *out);

typedef struct fathom_breakdown {
  const char *name;       /* valid until the next call of fathom_timing_breakdown */
  double total_s;
  double percent;         /* of the sum of top-level zone time */
  uint64_t count;
} fathom_breakdown;
/* The timing breakdown: fills up to cap entries sorted by total time, returns how
 * many zones there are (may exceed cap), or a negative code. */
FATHOM_EXTERN int fathom_timing_breakdown(fathom_breakdown *out, size_t cap);

/* Value of a counter/gauge/size by name. Returns 0, FATHOM_E_NOTFOUND, FATHOM_E_STATE. */
FATHOM_EXTERN int fathom_counter_get(const char *name, double *value);

typedef struct fathom_status {
  int active, enabled;
  fathom_level level;
  uint32_t n_threads;     /* threads that recorded in this session */
  uint32_t n_sites;       /* distinct zones */
  uint64_t n_nodes;
  uint64_t n_zones;
  uint64_t fathom_bytes;  /* memory fathom holds */
  uint64_t dropped_zones, dropped_events, misuse;
} fathom_status;
FATHOM_EXTERN int fathom_status_get(fathom_status *st);

/* ---------------------------------------------------------------------------------------
 * Views of a model. Writers write atomically: a temporary file renamed into place, so a
 * failed write leaves no partial file. Return 0 or a negative code. */
typedef enum fathom_format {
  FATHOM_FORMAT_TEXT = 0,
  FATHOM_FORMAT_JSON = 1,
  FATHOM_FORMAT_CSV = 2,
  FATHOM_FORMAT_CHROME = 3,
  FATHOM_FORMAT_HTML = 4,        /* self-contained HTML report */
  FATHOM_FORMAT_FOLDED = 5,      /* folded stacks "a;b;c <self ns>" (flamegraph.pl) */
  FATHOM_FORMAT_SPEEDSCOPE = 6,  /* speedscope's JSON file format */
  FATHOM_FORMAT_PPROF = 7        /* gzip-compressed profile.proto (go tool pprof) */
} fathom_format;
/* "text", "json", "csv", "chrome", "html", "folded", "speedscope", "pprof": 0 or E_INVAL. */
FATHOM_EXTERN int fathom_format_parse(const char *s, fathom_format *out);
/* Writes to a stream (color: 1 to use ANSI colour in the text view). */
FATHOM_EXTERN int fathom_profile_write(const fathom_profile *p, fathom_format fmt, FILE *f,
                                       int color);
/* Writes to a file atomically; path "-" writes to stdout. */
FATHOM_EXTERN int fathom_profile_save(const fathom_profile *p, fathom_format fmt,
                                      const char *path);

#include "fathom_live.h" /* live endpoint, autosave, sinks (part of this header) */

/* ---------------------------------------------------------------------------------------
 * Macros. Scoped zones end when the enclosing block ends (GCC/Clang cleanup attribute). */
#define FATHOM_CAT2_(a, b) a##b
#define FATHOM_CAT_(a, b) FATHOM_CAT2_(a, b)
#define FATHOM_UNIQ_(p) FATHOM_CAT_(p, __LINE__)

#if defined(FATHOM_DISABLE)

#define FATHOM_ZONE(name, component)
#define FATHOM_ZONE_TAGS(name, component, tags)
#define FATHOM_FUNC(component)
#define FATHOM_ZONE_IF(cond, name, component)
#define FATHOM_TIMER(name)
#define FATHOM_SITE(var, name, component, tags)
#define FATHOM_COUNTER_ADD(name, delta) do { } while (0)
#define FATHOM_GAUGE_SET(name, value) do { } while (0)
#define FATHOM_RECORD_SIZE(name, bytes) do { } while (0)
#define FATHOM_FLOPS(n) do { } while (0)

#else

/* Declares a static call-site descriptor named var. */
#define FATHOM_SITE(var, name_, component_, tags_)                                       \
  static fathom_site var = {(name_), (component_), (tags_), __FILE__, __func__, __LINE__, 0, 0}

/* The recording check is inline, so a zone costs one load and branch while fathom is off. */
#define FATHOM_ZONE_IMPL_(cond, name_, component_, tags_)                                \
  FATHOM_SITE(FATHOM_UNIQ_(fathom_site_), name_, component_, tags_);                      \
  fathom_zone FATHOM_UNIQ_(fathom_zone_) __attribute__((cleanup(fathom_zone_cleanup_),   \
                                                       unused)) =                         \
      (__builtin_expect(__atomic_load_n(&fathom_recording_, __ATOMIC_RELAXED) != 0, 0) &&  \
       (cond))                                                                            \
          ? fathom_zone_begin_site(&FATHOM_UNIQ_(fathom_site_))                          \
          : fathom_zone_null_()

/* A zone from here to the end of the enclosing block. */
#define FATHOM_ZONE(name, component) FATHOM_ZONE_IMPL_(1, name, component, NULL)
#define FATHOM_ZONE_TAGS(name, component, tags) FATHOM_ZONE_IMPL_(1, name, component, tags)
/* A zone named after the current function. */
#define FATHOM_FUNC(component) FATHOM_ZONE_IMPL_(1, __func__, component, NULL)
/* A zone recorded only when cond (evaluated each time) is true. */
#define FATHOM_ZONE_IF(cond, name, component) FATHOM_ZONE_IMPL_(cond, name, component, NULL)
/* A scoped timer: a zone named name, ended when the enclosing block exits. */
#define FATHOM_TIMER(name) FATHOM_ZONE_IMPL_(1, name, NULL, NULL)

#define FATHOM_COUNTER_ADD(name, delta) do { (void)fathom_counter_add((name), (delta)); } while (0)
#define FATHOM_GAUGE_SET(name, value) do { (void)fathom_gauge_set((name), (value)); } while (0)
#define FATHOM_RECORD_SIZE(name, bytes) do { (void)fathom_record_size((name), (bytes)); } while (0)
#define FATHOM_FLOPS(n) do { (void)fathom_flops_add(n); } while (0)

#endif /* FATHOM_DISABLE */

static inline fathom_zone fathom_zone_null_(void) {
  fathom_zone z = {0};
  return z;
}

static inline void fathom_zone_cleanup_(fathom_zone *z) {
  if (z->tag_) fathom_zone_leave_(*z);
}

#ifdef __cplusplus
}
#endif
#endif /* FATHOM_H */
