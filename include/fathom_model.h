/* fathom_model.h: the profile model that every output is a view of: statistics, zones,
 * call paths, threads, resources, memory snapshots, and the profile itself.
 * Part of the public API: included by fathom.h (include <fathom.h>, not this file). */
#ifndef FATHOM_API_MODEL_H
#define FATHOM_API_MODEL_H
#ifndef FATHOM_H
#error "include <fathom.h>, not fathom_model.h"
#endif

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
  FATHOM_RES_READ_OPS,         /* read system calls (syscr: read, pread, readv...) */
  FATHOM_RES_WRITE_OPS,        /* write system calls (syscw) */
  FATHOM_RES_SOCK_SENT_BYTES,  /* bytes sent through send, sendto, sendmsg, sendmmsg */
  FATHOM_RES_SOCK_RECV_BYTES,  /* bytes received through recv, recvfrom, recvmsg, recvmmsg
                                  (libfathom.so's hooks; read/write on sockets are above) */
  FATHOM_RES_N
} fathom_res_id;
/* "cpu_user_ns", "cpu_sys_ns", "ctx_vol", "ctx_invol", "minflt", "majflt", "read_bytes",
 * "write_bytes", "disk_read_bytes", "disk_write_bytes", "rss_delta_bytes", "instructions",
 * "cycles", "cache_refs", "cache_misses", "branch_misses", "fp_ops", "wall_ns", "cpu_ns",
 * "read_ops", "write_ops", "sock_sent_bytes", "sock_recv_bytes"; NULL out of range. */
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
  /* optional (absent from older files): where allocations were sampled by bytes (`fathom
   * run --alloc`) every figure above is an unbiased estimate, and these are their standard
   * errors (0: exact, as an instrumented program's figures are) */
  double alloc_count_se, alloc_bytes_se, free_count_se, free_bytes_se;
  double live_count_se, live_bytes_se;
  uint64_t peak_count, peak_bytes;     /* of those, live when the process's heap was at its
                                          highest (0: not measured) */
  double peak_count_se, peak_bytes_se;
  uint32_t line;                       /* the allocating line in the zone's file, where known:
                                          of the path's own code, the line that allocated the
                                          most bytes (`fathom run --alloc`); 0: not known */
} fathom_alloc;

/* Governor decisions on a zone (bits of fathom_zone_info.gov / fathom_node.gov). */
#define FATHOM_GOV_PROBES_THINNED 1u  /* probe sampling interval raised */
#define FATHOM_GOV_DOWNGRADED 2u      /* probes stopped: recorded at BASIC */
#define FATHOM_GOV_TIME_SAMPLED 4u    /* only 1 call in time_every timed; the rest counted */
typedef enum fathom_zone_kind { FATHOM_ZONE_KIND_ZONE = 0, FATHOM_ZONE_KIND_FUNCTION = 1 } fathom_zone_kind;

/* One metric of an extension (fathom_ext.h) on one call path or zone. total is inclusive
 * (nested zones' share included), self = total less the child paths' totals. Estimates like
 * the probes' resources: from the calls read (a random sample of the timed calls, each
 * weighing the inverse of its probability of being read), the weighted mean times the exact
 * number of calls; total_se and self_se are their standard errors, 0 when every call was read
 * (exact). */
typedef struct fathom_ext_value {
  uint64_t samples;        /* calls read (0: none; the figures are then 0) */
  double total, total_se;
  double self, self_se;
} fathom_ext_value;

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
  /* optional (absent from older files: 0): the heap's high-water mark inside the zone, above
   * its level when the zone began (allocation tracking, on probed calls): the highest over
   * heap_peak_calls measured calls (exact when that is every call, else at least this) */
  double heap_peak_bytes;
  uint64_t heap_peak_calls;
  fathom_ext_value *ext; /* extensions' metrics (profile's n_ext_metrics, NULL: none), rolled
                            up like total_ns (recursion counted once) */
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
  double heap_peak_bytes;  /* as in fathom_zone_info, for this path */
  uint64_t heap_peak_calls;
  fathom_ext_value *ext;   /* extensions' metrics (profile's n_ext_metrics, NULL: none) */
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
  uint32_t process;       /* index into processes (fathom run); none when not below
                             n_processes */
} fathom_thread_info;

/* A source line of a function in a sampled profile (fathom run built with -g): the samples
 * taken at the line (self) and those with the line on the stack (total: the function's own
 * code at the line, and the calls made from it), each sample counted once per line. */
typedef struct fathom_line_info {
  uint32_t zone;          /* the function (index into zones) */
  uint32_t line;
  char *file;             /* the source file (the function's own, or an inlined one's) */
  uint64_t samples_self, samples_total;
  double self_ns, self_se_ns;    /* estimates: samples x period, sqrt(sum period^2) */
  double total_ns, total_se_ns;
} fathom_line_info;

/* An optimisation attempt (fathom_attempt): the outcome metric before and after. */
typedef struct fathom_attempt_info {
  char *name, *metric;
  double before, before_se, after, after_se;   /* se 0: exact */
  int direction;          /* FATHOM_LOWER_IS_BETTER (-1) or FATHOM_HIGHER_IS_BETTER (1) */
  int outcome;            /* 1 improved, -1 worse (beyond 1.96 combined errors), 0 unchanged */
  double change_pct;      /* (after - before) / |before| in %, NaN when before is 0 */
} fathom_attempt_info;

/* A ranking of variants (fathom_variants_rank run in the session): one entry per variant,
 * fastest first. */
typedef struct fathom_ranking_entry {
  char *variant;
  uint32_t rank;          /* 1: fastest; variants not told apart from the one before share it */
  uint64_t runs;
  double mean_ns, ci_lo_ns, ci_hi_ns, median_ns;
  double ratio, ratio_lo, ratio_hi;   /* mean over the fastest's, with its interval */
  double p_next;          /* Welch's p against the next slower (NaN for the last) */
  /* optional (absent from older files: NaN, median_rank 0) */
  double median_lo_ns, median_hi_ns;  /* the median's distribution-free interval */
  uint32_t median_rank;   /* rank by median (1: smallest; overlapping intervals share it) */
  double heap_retained_bytes, heap_retained_lo, heap_retained_hi;  /* heap kept per run,
                                                                      mean and interval */
  double alloc_bytes;     /* bytes allocated per run (allocation tracking), mean */
  double peak_bytes;      /* heap peak above the run's start (allocation tracking), mean */
} fathom_ranking_entry;
typedef struct fathom_ranking_info {
  char *name;
  int settled;            /* every variant told apart from the next before the budget ran out */
  int disagree;           /* the orders by mean and by median contradict (optional: 0) */
  double confidence;
  uint32_t n;
  fathom_ranking_entry *e;
} fathom_ranking_info;

/* An outcome event (fathom_outcome_event). */
typedef struct fathom_outcome_event_info {
  char *group, *subject;
  char *kind, *attrs;            /* NULL when not given */
  double t_ns;                   /* when it was recorded, since the session's start */
  double time_ns, bytes;         /* its costs; NaN: not known */
  uint32_t n_outcomes;
  char *outcome_name[FATHOM_OUTCOMES_MAX];
  double outcome[FATHOM_OUTCOMES_MAX];
} fathom_outcome_event_info;

/* One subject's line of an efficiency ranking (fathom_efficiency). */
typedef struct fathom_efficiency_row {
  const char *subject;           /* points into the profile */
  uint32_t events;               /* its events with the outcome and the cost known */
  double mean, mean_se;          /* the outcome per event, with its standard error */
  double total, cost;            /* the outcome and the cost (ns or bytes) summed */
  double per_unit, per_unit_se;  /* outcome per second (time) or per MiB (memory): the ratio
                                    of the sums, its standard error by the delta method */
  uint32_t rank;                 /* 1: the most efficient; rows that cannot be told apart
                                    from the one before (p >= 0.05) share its rank */
} fathom_efficiency_row;

/* A process that the profiled program ran, itself included (fathom run). Kernel figures are
 * NaN when never read; res_age_ns says how long before the process ended they were last
 * read (0: at its end, exact). */
typedef struct fathom_process_info {
  int64_t pid, ppid;      /* ppid -1 for the program fathom started */
  char *command;          /* command line, arguments joined by spaces (or its name) */
  int ended;              /* 1: it ended while profiled */
  int status_known;       /* 1: exit_code / signal hold its end */
  int exit_code, signal;  /* exit status, or the signal that killed it (signal > 0) */
  double start_ns, end_ns;    /* since the session's start */
  double cpu_ns, cpu_se_ns;   /* its threads' sampled CPU time: estimate and standard error */
  double user_ns, sys_ns;     /* kernel's accounting of its CPU time */
  double rss_peak_bytes;
  double read_bytes, write_bytes, read_ops, write_ops;   /* read/write calls and their bytes */
  double ctx_voluntary, ctx_involuntary, minor_faults, major_faults;
  double res_age_ns;
} fathom_process_info;

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
  /* the host while the program ran (every process; optional in files, NaN when not read) */
  double host_cpu_pct_mean, host_cpu_pct_max;  /* all CPUs busy: 100 (/proc/stat) */
  double disk_util_pct_max;      /* the busiest disk's time with I/O in flight, in % of the
                                    interval (/proc/diskstats), its highest */
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

/* A database statement as the program ran it (fathom_sqlite_attach, fathom_query_begin):
 * all the runs of one normalised statement on one connection (numbers, 'strings' and X'blobs'
 * replaced by ?, IN (?, ?, ...) lists by IN (?), comments dropped, blanks collapsed). A run's
 * time is wall time from its first step to its end (its last row or its reset), the program's
 * work between steps included. */
#define FATHOM_QUERY_SLOWEST 3       /* slowest runs kept per statement */
#define FATHOM_QUERY_TEXT_MAX 256    /* their SQL, literals in, cut to this many bytes */
typedef struct fathom_query_info {
  char *db;               /* the connection's name (given when attached) */
  char *statement;        /* the normalised text */
  uint64_t count;         /* runs (exact) */
  double total_ns, mean_ns, min_ns, max_ns;   /* exact */
  double p50_ns, p95_ns, p99_ns;  /* nearest rank over the runs' times */
  int exact;              /* 1: percentiles of every run; 0: estimates from a uniform sample
                             of the runs (reservoir of FATHOM_QUERY_SAMPLES) */
  uint64_t rows;          /* rows returned, all runs */
  int sqlite;             /* 1: the next four are SQLite's counters; 0: not known (0) */
  uint64_t fullscan_steps;/* steps of full table scans (a WHERE no index serves) */
  uint64_t sorts;         /* sort operations (an ORDER BY or GROUP BY no index serves) */
  uint64_t autoindexes;   /* rows put in automatic indexes SQLite built for the run */
  uint64_t vm_steps;      /* virtual machine steps (work done) */
  uint32_t n_slowest;     /* slowest runs, slowest first */
  double slowest_ns[FATHOM_QUERY_SLOWEST];
  char *slowest_sql[FATHOM_QUERY_SLOWEST];   /* with its literals; "" when not known */
} fathom_query_info;
#define FATHOM_QUERY_SAMPLES 1024    /* run times kept per statement for its percentiles */

#include "fathom_findings.h" /* findings, thresholds, SLAs, throughput (part of this header) */

/* Lock profiling (fathom_mutex_lock & co., or the pthread hooks under FATHOM_LOCKS=1): one
 * lock (the locks of one name added up). A contended acquisition is one whose try-lock
 * failed: the thread then waited, and its wait was timed. Hold times are the acquisitions
 * released on the thread that took them. Percentiles are estimates read from a histogram
 * (within 7 % of the true value), NaN when there is nothing to read. */
typedef struct fathom_lock_zone {
  char *zone;                    /* the zone open on the thread, "(no zone)" when none */
  uint64_t count;                /* waits (or holds) seen in that zone */
  double ns;                     /* their time */
} fathom_lock_zone;
typedef struct fathom_lock_info {
  char *name;                    /* given, or "mutex 0x... (first taken in f)" */
  char *kind;                    /* "mutex" or "rwlock" */
  uint32_t n_addresses;          /* locks (addresses) added up under this name */
  uint64_t acquisitions, contended;  /* contended <= acquisitions */
  uint64_t read_acquisitions;    /* of the acquisitions, shared (reader) ones */
  double wait_ns, wait_max_ns;   /* the contended acquisitions' waits, summed and longest */
  double wait_p50_ns, wait_p90_ns, wait_p99_ns;
  uint64_t holds;                /* timed holds */
  double hold_ns, hold_max_ns, hold_p50_ns, hold_p90_ns, hold_p99_ns;
  uint32_t n_waiters; fathom_lock_zone *waiters;  /* most wait first */
  uint32_t n_holders; fathom_lock_zone *holders;  /* most hold first */
  uint64_t zones_dropped;        /* waits and holds in zones past FATHOM_LOCK_ZONES_MAX */
} fathom_lock_info;
/* GPU time per zone name (fathom_gpu_zone_begin/end; docs/gpu.md): the time between two CUDA
 * events recorded on the program's stream, read without waiting on it. */
typedef struct fathom_gpu_zone_info {
  char *name;
  uint32_t zone;          /* the CPU zone of that name (its launch cost), FATHOM_NONE if none */
  uint64_t count;         /* pairs whose GPU time was read (exact) */
  double total_ms, mean_ms, min_ms, max_ms;   /* of those pairs (CUDA's event timer) */
  uint64_t unresolved;    /* pairs recorded but not complete at session end (or unreadable) */
  uint64_t dropped;       /* pairs not recorded (too many in flight, CUDA refused) */
  /* optional (absent from older files): the device memory in use (NVML's "used" bytes of the
   * device the zone's thread had current at its begin) read at the begin and the end of
   * mem_calls of the count pairs: the first pair of the name, then at most
   * FATHOM_GPU_MEM_RATE a second (docs/gpu.md). mem_calls 0: not measured, the rest 0. */
  uint64_t mem_calls;          /* pairs measured (<= count) */
  double mem_change_mean;      /* bytes, mean of end - begin over them: exact when mem_calls
                                  == count, else an estimate of the mean over every pair */
  double mem_change_se;        /* its standard error: 0 exact, NaN unknown (1 pair of many) */
  double mem_before_max, mem_after_max;   /* bytes: the largest reading at a begin, an end */
  double mem_peak;             /* bytes: the largest reading; at least the peak inside the
                                  zone (one between the two readings is not seen) */
} fathom_gpu_zone_info;

/* Network requests to one endpoint (fathom_request_begin / end / record, libcurl): see
 * fathom_work.h for how a URL becomes its endpoint. A request's time is its wall time (for
 * libcurl, curl's total time of the transfer). */
#define FATHOM_REQUEST_SLOWEST 3       /* slowest requests kept per endpoint */
#define FATHOM_REQUEST_URL_MAX 256     /* their URL (query in, user and password out), cut */
#define FATHOM_REQUEST_SAMPLES 1024    /* request times kept per endpoint for percentiles */
typedef struct fathom_request_info {
  char *endpoint;
  uint64_t count;           /* requests (exact) */
  uint64_t errors;          /* of those, failed (an HTTP status >= 400 or an error code) */
  uint64_t http_errors;     /* of the errors, those with an HTTP status >= 400 */
  double total_ns, mean_ns, min_ns, max_ns;   /* exact */
  double p50_ns, p95_ns, p99_ns;  /* nearest rank over the request times kept */
  int exact;                /* 1: percentiles of every request; 0: estimates from a uniform
                               sample of FATHOM_REQUEST_SAMPLES requests */
  uint64_t bytes_sent, bytes_received;   /* bodies, all requests */
  uint64_t phased;          /* requests whose phases are known (libcurl, or given) */
  double phased_ns;         /* their total time */
  double dns_ns, connect_ns, tls_ns, wait_ns, transfer_ns;   /* sums over the phased ones */
  uint32_t n_slowest;       /* slowest requests, slowest first */
  double slowest_ns[FATHOM_REQUEST_SLOWEST];
  int slowest_status[FATHOM_REQUEST_SLOWEST];   /* the error argument; libcurl: the HTTP
                                                   status, or minus the CURLcode */
  char *slowest_url[FATHOM_REQUEST_SLOWEST];
} fathom_request_info;

/* One rolling window's figures (fathom_window_stats, the profile's windows table). */
typedef struct fathom_window {
  uint32_t last_calls;    /* the window's limits: last N calls (0: no call limit) */
  double last_seconds;    /* ... and/or calls ended in the last T s (0: no time limit) */
  uint64_t calls;         /* calls in the window (exact) */
  double seconds;         /* the time the window covers, up to the reading (or the end) */
  double rate_per_s;      /* calls / seconds (0 when seconds is 0) */
  double mean_ns, min_ns, max_ns;          /* of the window's calls as measured; NaN when
                                              it is empty */
  double p50_ns, p90_ns, p95_ns, p99_ns;   /* exact, nearest rank: the smallest duration d
                                              such that at least q % of the calls take <= d */
  int truncated;          /* 1: the last T s held more calls than fit (FATHOM_WINDOW_MAX_CALLS
                             per thread, or in all): the newest are kept and `seconds` is the
                             shorter time they cover */
  uint64_t dropped;       /* calls left out for want of memory (0 normally; else the
                             figures miss them) */
  uint64_t run_calls;     /* every call of zones of that name this session */
  double run_p95_ns;      /* their whole-run p95, from their histograms (within 0.78 %);
                             NaN when none was timed. Like the window's figures it is as
                             measured: fathom's own cost inside the calls (their nested zones'
                             recording) is left in, where the profile's zone figures take its
                             average out */
} fathom_window;

/* A rolling window at the end of the session (or at a snapshot): its zone name and figures
 * (fathom_window in fathom.h: the window's calls beside the whole run's). */
typedef struct fathom_window_info {
  char *name;
  fathom_window w;
} fathom_window_info;

/* Metric families (fathom_config.metrics, FATHOM_METRICS): bits of fathom_profile's
 * metrics_off and metrics_on. */
#define FATHOM_METRIC_MEMORY 1u        /* the zones' RSS probe */
#define FATHOM_METRIC_CPU 2u           /* the zones' CPU time, context switches, faults */
#define FATHOM_METRIC_IO 4u            /* the zones' thread I/O probe */
#define FATHOM_METRIC_NETWORK 8u       /* the zones' socket bytes, the monitor's network */
#define FATHOM_METRIC_GPU 16u          /* GPUs in the monitor (NVML) */
#define FATHOM_METRIC_ENERGY 32u       /* CPU energy in the monitor (RAPL) */
#define FATHOM_METRIC_HWCOUNTERS 64u   /* the zones' hardware counters (perf_event) */
#define FATHOM_METRIC_ALLOC 128u       /* allocation tracking */
#define FATHOM_METRIC_TIMELINE 256u    /* the timeline of begin/end events */
#define FATHOM_METRIC_MONITOR 512u     /* the background monitor */
#define FATHOM_METRIC_ALL 1023u
/* "memory", "cpu", "io", "network", "gpu", "energy", "hwcounters", "alloc", "timeline",
 * "monitor" for one bit; NULL for anything else. */
FATHOM_EXTERN const char *fathom_metric_family_name(uint32_t bit);

/* A component given its own level (fathom_config.component_levels). */
typedef struct fathom_component_level {
  char *component;
  fathom_level level;     /* DISABLED: its zones were not recorded */
} fathom_component_level;
/* An extension (fathom_extension_register) as the profile describes it. */
typedef struct fathom_ext_metric_info {
  char *name;
  char *unit;              /* "" when not given */
  double threshold;        /* own (self) figure per call above which a zone gets a
                              finding; NaN: none */
} fathom_ext_metric_info;
typedef struct fathom_ext_info {
  char *name;
  uint32_t flags;          /* FATHOM_EXT_* */
  uint32_t n_metrics;
  fathom_ext_metric_info *metrics;
  uint32_t first;          /* index of its first metric in fathom_node.ext and
                              fathom_zone_info.ext (metrics are numbered extension by
                              extension) */
  fathom_series series;    /* its sample callback's rows (columns: its metric names) */
  char *report;            /* what its report callback wrote at session end, NULL: none */
} fathom_ext_info;

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
  /* sampled profiles (fathom run); absent from older files */
  uint32_t n_lines;      fathom_line_info *lines;        /* by zone, then self_ns descending */
  uint32_t n_processes;  fathom_process_info *processes; /* in order of start */
  uint32_t n_attempts;   fathom_attempt_info *attempts;  /* in the order recorded */
  uint32_t n_rankings;   fathom_ranking_info *rankings;  /* in the order run */
  uint32_t n_outcome_events; fathom_outcome_event_info *outcome_events; /* in order recorded */
  uint64_t outcome_events_dropped;                       /* past the cap (65536) */
  uint32_t n_queries;    fathom_query_info *queries;     /* database statements, by total
                                                            time, largest first */
  uint64_t queries_dropped;   /* runs not counted: distinct statements beyond the cap */
  uint32_t n_locks;      fathom_lock_info *locks;        /* most waited on first */
  uint64_t locks_dropped;   /* acquisitions of locks past FATHOM_LOCKS_MAX (not counted) */
  /* GPU zones (CUDA events); absent from older files */
  uint32_t n_gpu_zones;  fathom_gpu_zone_info *gpu_zones;   /* by total GPU time, largest first */
  uint64_t gpu_zones_dropped;   /* pairs not counted: names beyond FATHOM_GPU_NAMES_MAX */
  /* network requests per endpoint; absent from older files */
  uint32_t n_requests;   fathom_request_info *requests;   /* by total time, largest first */
  uint64_t requests_dropped;   /* requests not counted: endpoints beyond the cap */
  /* rolling windows (fathom_window_enable, docs/windows.md); absent from older files */
  uint32_t n_windows;    fathom_window_info *windows;  /* in the order enabled */
  /* levels per component and metric switches; absent from older files (none) */
  uint32_t n_component_levels; fathom_component_level *component_levels; /* as configured */
  fathom_level default_level;   /* the level of components not listed (meta.level is the
                                   highest level any component ran at); meaningful only when
                                   n_component_levels > 0 */
  uint32_t metrics_off;         /* FATHOM_METRIC_* families switched off: not measured */
  uint32_t metrics_on;          /* families switched on beyond the levels' defaults */
  /* extensions (fathom_ext.h); absent from older files */
  uint32_t n_exts;       fathom_ext_info *exts;
  uint32_t n_ext_metrics;   /* the extensions' metrics together: the length of each ext */
};

/* Ranks the subjects of group's outcome events by outcome per unit of cost: cost "time" (outcome per
 * second of time_ns) or "memory" (per MiB of bytes), most efficient first. Events without
 * the outcome or that cost are left out. Writes up to cap rows (their subject strings point
 * into p) and the number of subjects to *n. Returns 0, FATHOM_E_INVAL (NULL arguments, an
 * unknown cost), FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_efficiency(const fathom_profile *p, const char *group,
                                    const char *outcome, const char *cost,
                                    fathom_efficiency_row *rows, uint32_t cap, uint32_t *n);

#endif
