/* fathom_findings.h: the findings model (bottlenecks with evidence and suggestions),
 * thresholds, latency SLAs, windowed throughput, and the functions that compute them.
 * Part of the public API: included by fathom.h (include <fathom.h>, not this file). */
#ifndef FATHOM_API_FINDINGS_H
#define FATHOM_API_FINDINGS_H
#ifndef FATHOM_H
#error "include <fathom.h>, not fathom_findings.h"
#endif

/* ---- Findings: what the measurements mean, each with its evidence ---------- */
typedef enum fathom_finding_class {
  FATHOM_FIND_SLOW = 0,        /* time per call above the cpu_ms threshold */
  FATHOM_FIND_CPU_BOUND,       /* CPU time close to wall time */
  FATHOM_FIND_WAITING,         /* wall time far above CPU time: I/O, locks, sleep */
  FATHOM_FIND_IO_HEAVY,        /* bytes read/written per call above io_mb */
  FATHOM_FIND_MEMORY_HEAVY,    /* bytes allocated / RSS growth per call above memory_mb */
  FATHOM_FIND_GPU_MEMORY,      /* GPU memory above gpu_memory_mb */
  FATHOM_FIND_ALLOC_CHURN,     /* many small allocations per call */
  FATHOM_FIND_LEAK,            /* growth trend or live bytes at the end */
  FATHOM_FIND_TAIL_LATENCY,    /* p99 far above p50 */
  FATHOM_FIND_HOT_PATH,        /* large share of self time */
  FATHOM_FIND_IMBALANCE,       /* the same zone on several threads with unequal time */
  FATHOM_FIND_GPU_IDLE,        /* GPUs idle while the CPU is busy */
  FATHOM_FIND_OVERHEAD,        /* fathom's own overhead is significant */
  FATHOM_FIND_SLA,             /* a latency SLA was missed */
  FATHOM_FIND_SLOW_QUERY,      /* a database statement holds a share of the time */
  FATHOM_FIND_LOCK_CONTENTION, /* threads wait on a lock for a share of the time */
  FATHOM_FIND_SLOW_ENDPOINT,   /* network requests to one endpoint hold a share of the time */
  FATHOM_FIND_EXT_THRESHOLD,   /* an extension's metric per call above its threshold */
  FATHOM_FIND_N
} fathom_finding_class;
/* "slow", "cpu_bound", "waiting", "io_heavy", "memory_heavy", "gpu_memory", "alloc_churn",
 * "leak", "tail_latency", "hot_path", "imbalance", "gpu_idle", "overhead", "sla",
 * "slow_query", "lock_contention", "slow_endpoint", "ext_threshold"; NULL out of range. */
FATHOM_EXTERN const char *fathom_finding_class_name(int cls);

typedef enum fathom_severity {
  FATHOM_SEV_INFO = 0,
  FATHOM_SEV_WARNING = 1,
  FATHOM_SEV_CRITICAL = 2
} fathom_severity;
/* "info", "warning", "critical"; NULL out of range. */
FATHOM_EXTERN const char *fathom_severity_name(int sev);

/* One figure a finding rests on, e.g. {"cpu_share_pct", 97.1, "%"}. */
typedef struct fathom_figure {
  char *name;
  double value;
  char *unit;             /* "ns", "%", "bytes", "calls", "ratio", ... ("" if none) */
} fathom_figure;

typedef struct fathom_finding {
  uint32_t rank;          /* 1 = most important */
  fathom_finding_class cls;
  fathom_severity severity;
  double score;           /* what ranks it (higher first); documented per class */
  uint32_t zone;          /* index into zones, FATHOM_NONE for the whole session */
  uint32_t node;          /* index into nodes for one call path, FATHOM_NONE when it is about
                             the zone rolled up (or the session) */
  char *path;             /* "main;load;parse", the zone name, or "" for the session */
  char *summary;          /* one sentence citing the figures */
  uint32_t n_figures;     fathom_figure *figures;
  uint32_t n_suggestions; char **suggestions;  /* concrete, phrased for C */
} fathom_finding;

/* A latency SLA checked against a zone's histogram. */
typedef struct fathom_sla_result {
  char *zone_name;        /* as given */
  uint32_t zone;          /* index into zones, FATHOM_NONE when no such zone was recorded */
  double percentile;      /* e.g. 95 */
  double target_ns;
  double actual_ns;       /* the zone's percentile (NaN when the zone has no calls) */
  uint64_t count;         /* calls it rests on */
  int met;                /* 1 met, 0 missed, -1 not measurable (no calls), -2 not enough
                             data: too few timed calls, or the target inside the
                             percentile's 95 % interval (schema 4) */
  /* schema 4 */
  uint64_t timed;         /* timed calls the percentile rests on */
  double actual_lo_ns, actual_hi_ns; /* 95 % interval of actual_ns (= actual_ns when exact) */
} fathom_sla_result;

/* Throughput of one zone or counter. */
typedef enum fathom_tput_kind { FATHOM_TPUT_ZONE = 0, FATHOM_TPUT_COUNTER = 1 } fathom_tput_kind;
typedef struct fathom_throughput_info {
  fathom_tput_kind kind;
  uint32_t index;         /* into zones or counters */
  double mean_per_s;      /* calls (zone) or counter units per second over the session */
  double window_s;        /* the window the next two figures use */
  double last_per_s;      /* over the last window_s seconds of the session */
  double peak_per_s;      /* highest over any window_s-long window (NaN when not sampled) */
  /* schema 4 */
  uint64_t calls;         /* zone: calls counted (exact); counter: updates */
  uint64_t timed;         /* zone: calls timed (time per call rests on these); counter: 0 */
} fathom_throughput_info;

/* Live windowed throughput (fathom_throughput). */
typedef struct fathom_throughput_stats {
  fathom_tput_kind kind;  /* what `name` matched: zones first, then counters */
  double ops;             /* calls (zone, every component/path/thread) or counter units in
                             the window (gauges: updates; sizes: bytes recorded) */
  double window_s;        /* the span actually covered: at least the window asked for (up to
                             one sampling period more) once the session is that old */
  double ops_per_s;       /* ops / window_s */
  double total;           /* since the session began (or the last fathom_reset) */
} fathom_throughput_stats;
/* ops/s of zone or counter `name` over about the last window_s seconds, from a reading now
 * and the sampler's ring: every zone's calls and every counter's value are sampled each
 * cfg.throughput_window_s / 60 seconds (at least 0.1 s) into a ring of 62 samples, for at
 * most 256 zones and counters (the first seen). A window_s longer than the ring covers is
 * answered over what it covers (window_s in *out says how long). Returns 0, FATHOM_E_INVAL
 * (NULL, window_s not > 0), FATHOM_E_STATE (no session recording), FATHOM_E_NOTFOUND (no
 * such zone or counter yet), FATHOM_E_LIMIT (it exists but is beyond the 256 series the
 * sampler tracks), FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_throughput(const char *name, double window_s,
                                    fathom_throughput_stats *out);

/* Thresholds of the bottleneck rules (docs/findings.md documents each rule). A threshold
 * applies to one call unless said otherwise; MB means 10^6 bytes. */
#define FATHOM_THRESHOLDS_MAX_COMPONENTS 16
typedef struct fathom_component_thresholds {
  char component[48];       /* compared case-insensitively with the zone's component */
  double cpu_ms;            /* these four override the global ones; 0 = use the global */
  double memory_mb;
  double io_mb;
  double gpu_memory_mb;
} fathom_component_thresholds;

typedef struct fathom_thresholds {
  double cpu_ms;            /* slow: mean time per call above (100) */
  double memory_mb;         /* memory_heavy: allocated or RSS growth per call above (100) */
  double gpu_memory_mb;     /* gpu_memory: GPU memory in use above (500) */
  double io_mb;             /* io_heavy: bytes read + written per call above (100) */
  double min_share_pct;     /* time rules ignore zones under this share of the time (1) */
  double classify_share_pct;/* cpu_bound / waiting: zones whose own time is at least this
                               share of the time (5) */
  double cpu_bound_pct;     /* cpu_bound: own CPU time / own wall time at least (90) */
  double waiting_pct;       /* waiting: own CPU time / own wall time at most (50) */
  double tail_ratio;        /* tail_latency: p99 / p50 at least (10) */
  uint64_t tail_min_calls;  /* tail_latency: with at least this many calls (100) */
  double tail_min_us;       /* tail_latency: and p99 at least this long (10 µs) */
  double hot_path_pct;      /* hot_path: own (self) time share at least (20) */
  double churn_allocs_per_call; /* alloc_churn: allocations per call at least (16) */
  double churn_small_bytes; /* alloc_churn: mean allocation size at most (256) */
  uint64_t churn_min_allocs;/* alloc_churn: and at least this many in all (10000) */
  double leak_mb;           /* leak: live bytes at the end of a call path at least (1) */
  double leak_growth_bytes; /* leak: or retained bytes growing by at least this per call,
                               over at least tail_min_calls calls (64) */
  double imbalance_ratio;   /* imbalance: slowest thread / fastest thread at least (1.5) */
  double gpu_idle_pct;      /* gpu_idle: mean GPU utilization under (30) ... */
  double cpu_busy_pct;      /* ... while the process CPU is above (80; 100 = one core) */
  double overhead_pct;      /* overhead: what the zones cost (meta.overhead_pct, fathom's
                               fixed costs apart) above this; 0 = the session's budget
                               (meta.overhead_budget_pct) */
  uint32_t n_components;    /* per-component overrides, the built-in ones first */
  fathom_component_thresholds components[FATHOM_THRESHOLDS_MAX_COMPONENTS];
} fathom_thresholds;

/* Fills the defaults above, with the components "data", "load", "loading", "data_loading"
 * at 500 ms and 50 MB of I/O per call, and "preprocess", "preprocessing" at 200 ms and
 * 200 MB of memory per call. Never fails. */
FATHOM_EXTERN void fathom_thresholds_init(fathom_thresholds *t);
/* Parses "key=value,key=value" (',' or ';' between items) into t: a key is a field name
 * above (cpu_ms, tail_ratio, ...) or COMPONENT.FIELD for an override (FIELD one of cpu_ms,
 * memory_mb, io_mb, gpu_memory_mb), e.g. "tail_ratio=8,data.cpu_ms=400". Returns 0 or
 * FATHOM_E_INVAL with a message in err (t keeps the items before the bad one). */
FATHOM_EXTERN int fathom_thresholds_parse(fathom_thresholds *t, const char *spec, char *err,
                                          size_t errlen);
/* Overrides t from FATHOM_CPU_THRESHOLD_MS, FATHOM_MEMORY_THRESHOLD_MB,
 * FATHOM_GPU_MEMORY_THRESHOLD_MB, FATHOM_IO_THRESHOLD_MB (positive numbers) and
 * FATHOM_THRESHOLDS (the spec above). Returns 0, or FATHOM_E_INVAL when a variable could not
 * be used (a line naming it goes to stderr, the values keep theirs). */
FATHOM_EXTERN int fathom_thresholds_from_env(fathom_thresholds *t);

/* Runs every rule on p and replaces p->findings with what they found, ranked (severity,
 * then score, then class, zone, node: deterministic). Missed SLAs in p->slas become
 * findings, so check SLAs first. t NULL: defaults plus the environment. Rules needing a
 * figure the profile did not measure (BASIC level: no resources, no allocations) do not
 * fire. At most 256 findings are kept (the best ranked). Returns 0, FATHOM_E_INVAL (p
 * NULL), FATHOM_E_NOMEM (p->findings then empty). */
FATHOM_EXTERN int fathom_analyze(fathom_profile *p, const fathom_thresholds *t);

/* Checks the SLAs of spec against p and replaces p->slas. spec: "zone:pQ<=TARGET" items
 * separated by ';', Q a percentile in (0, 100] ("p95", "p99.9"), TARGET a positive number
 * with a unit ns, us, ms or s, e.g. "request:p95<=50ms;parse:p99<=2ms"; a zone name is
 * matched across components. NULL or empty spec: no SLAs. Returns 0, FATHOM_E_INVAL for a
 * bad spec (message in err, p untouched), FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_sla_check_profile(fathom_profile *p, const char *spec, char *err,
                                           size_t errlen);
/* Live SLA check: is the `percentile` of zone `zone` in the active
 * session at most target_ms? Fills out if non-NULL (out->zone_name is NULL: the caller has
 * the name). Returns 1 met, 0 not met (out->met says which: 0 missed, -2 not enough data,
 * i.e. too few timed calls or the target inside the percentile's 95 % interval),
 * FATHOM_E_NOTFOUND (no calls of that zone yet), FATHOM_E_STATE (no session),
 * FATHOM_E_INVAL (bad arguments). */
FATHOM_EXTERN int fathom_check_sla(const char *zone, double percentile, double target_ms,
                                   fathom_sla_result *out);
/* The bottlenecks of the active session now: a live
 * snapshot with its SLAs (the session's FATHOM_SLA / cfg.sla) checked and its findings
 * filled by fathom_analyze(t). Caller frees with fathom_profile_free. NULL when no session
 * is active or out of memory. */
FATHOM_EXTERN fathom_profile *fathom_bottlenecks_summary(const fathom_thresholds *t);

#endif
