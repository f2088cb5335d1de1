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
  const char *windows;           /* rolling windows enabled at session begin, e.g.
                                    "request=1000,parse=60s,io=500/10s" (FATHOM_WINDOWS;
                                    docs/windows.md) */
  /* levels per component and metric switches (docs/config.md) */
  const char *component_levels;  /* a level per component, e.g. "data=detailed,render=basic,
                                    net=off" (FATHOM_COMPONENT_LEVELS): a listed component's
                                    zones run at its level (off: not recorded), the others at
                                    `level`; NULL: every component at `level` */
  const char *metrics;           /* metric families switched on or off whatever the levels,
                                    e.g. "-io,-gpu" or "memory=off,cpu=on" (FATHOM_METRICS):
                                    memory, cpu, io, network, gpu, energy, hwcounters, alloc,
                                    timeline, monitor; NULL: the levels' defaults */
} fathom_config;

/* Fills defaults. Never fails. */
FATHOM_EXTERN void fathom_config_init(fathom_config *cfg);
/* Overrides fields from the environment (FATHOM_PRESET first, then FATHOM_LEVEL,
 * FATHOM_TIMELINE, FATHOM_OUT, FATHOM_TRACE, FATHOM_REPORT, FATHOM_MAX_NODES, ...: every
 * variable of docs/config.md) and from the file FATHOM_CONFIG names (a variable set in the
 * environment wins over the file's line). Returns 0, or FATHOM_E_INVAL when a variable
 * could not be parsed (a message naming it goes to stderr, the field keeps its value).
 * String fields point into the environment. */
FATHOM_EXTERN int fathom_config_from_env(fathom_config *cfg);
/* Sets the fields a preset governs (level, max_overhead_percent, monitor,
 * monitor_interval_s, alloc_track, timeline, governor, sample_every, metrics; the others keep
 * their values): "standard" (BASIC, the defaults), "lightweight" (BASIC, 1 % budget, time
 * only: no monitor, no allocation tracking, every probe family switched off), "detailed" (DETAILED), "comprehensive" (COMPREHENSIVE,
 * monitor, allocations, timeline) or "research" (comprehensive with every call probed, the
 * monitor at 10 Hz and the governor off: nothing thinned, the overhead reported, not held).
 * FATHOM_PRESET names one for fathom_config_from_env. 0, or FATHOM_E_INVAL (unknown name). */
FATHOM_EXTERN int fathom_config_preset(fathom_config *cfg, const char *name);
/* Applies a config file's options (docs/config.md: `KEY = VALUE` lines, keys the FATHOM_*
 * variables with or without the prefix; its preset first). fathom_config_from_env also reads
 * the file FATHOM_CONFIG names, under the environment's own variables. Returns 0,
 * FATHOM_E_INVAL (a value could not be parsed: said on stderr with the file and line, the
 * field keeps its value) or FATHOM_E_IO (the file cannot be read). String fields point into
 * the file's text, kept for the process's life. */
FATHOM_EXTERN int fathom_config_from_file(fathom_config *cfg, const char *path);

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
 * Optimisation attempts: what was tried, and whether it helped (the profile's attempts). */
#define FATHOM_LOWER_IS_BETTER (-1)   /* latency, memory, cost */
#define FATHOM_HIGHER_IS_BETTER 1     /* throughput, hit rate */
/* Records one attempt: its outcome metric before and after, each with its standard error
 * (0: exact), and which direction is better. It is judged at once: improved or worse when
 * the change passes 1.96 combined standard errors in that direction (any change, when both
 * errors are 0), else unchanged. Thread-safe; up to 4096 attempts a session (FATHOM_E_LIMIT
 * after, counted). Returns 0, FATHOM_E_INVAL (NULL or empty name or metric, a value that is
 * not finite, an error < 0, direction not -1 or 1), FATHOM_E_STATE (no session). */
FATHOM_EXTERN int fathom_attempt(const char *name, const char *metric, double before,
                                 double before_se, double after, double after_se,
                                 int direction);

/* ---------------------------------------------------------------------------------------
 * Outcome events: something the program did (a growth step of a strategy, an analyzer's
 * run), what it cost and what it gained (the profile's outcome_events; fathom_efficiency
 * ranks the subjects by outcome per unit of cost). */
#define FATHOM_OUTCOMES_MAX 8
typedef struct fathom_outcome {
  const char *name;              /* "accuracy_gain", "params_added" */
  double value;
} fathom_outcome;
typedef struct fathom_outcome_desc {
  const char *group;             /* what kind of event: "growth", "analysis" */
  const char *subject;           /* who did it: the strategy, component or analyzer */
  const char *kind;              /* optional: "add_layer" */
  const char *attrs;             /* optional: "layer=3,width=64" */
  double time_ns;                /* its cost in time (NaN: not known) */
  double bytes;                  /* its cost in memory (NaN: not known) */
  uint32_t n_outcomes;           /* at most FATHOM_OUTCOMES_MAX */
  const fathom_outcome *outcomes;
} fathom_outcome_desc;
/* Records one event (strings copied). Thread-safe; up to 65536 events a session
 * (FATHOM_E_LIMIT after, counted in the profile). Returns 0, FATHOM_E_INVAL (no group or
 * subject, more outcomes than the maximum, an outcome without a name or not finite, a cost
 * below 0 or infinite), FATHOM_E_STATE (no session). */
FATHOM_EXTERN int fathom_outcome_event(const fathom_outcome_desc *e);
/* Times an event: begin returns a token (the time now); fathom_outcome_end records e with
 * time_ns set to the time since begin (e->time_ns is ignored). Same returns as fathom_event. */
typedef struct fathom_outcome_timer {
  uint64_t start_ns;
} fathom_outcome_timer;
FATHOM_EXTERN fathom_outcome_timer fathom_outcome_begin(void);
FATHOM_EXTERN int fathom_outcome_end(fathom_outcome_timer t, const fathom_outcome_desc *e);

#include "fathom_model.h" /* the profile model (part of this header) */

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
#include "fathom_work.h" /* parallel map with worker auto-tuning (part of this header) */
#include "fathom_locks.h" /* lock profiling wrappers (part of this header) */
#include "fathom_profilers.h" /* named profilers (part of this header) */

/* ---------------------------------------------------------------------------------------
 * Rolling windows (docs/windows.md): percentiles and rates of a zone over its last N calls
 * and/or the last T seconds, beside its whole-run figures. */
#define FATHOM_WINDOW_MAX_CALLS 65536u     /* the most calls a window holds */
#define FATHOM_WINDOW_MAX_SECONDS 3600.0   /* the longest time window */
#define FATHOM_WINDOWS_MAX 32              /* windows a process may enable (changes count) */
/* fathom_window (the figures of one window): in fathom_model.h, beside the profile's table. */
/* From now on (this session and later ones in the process), every call of zones named
 * zone_name (any component, path or thread) keeps its duration in a window of its last
 * last_calls calls (0: no call limit, at most FATHOM_WINDOW_MAX_CALLS) that ended in the last
 * last_seconds seconds (0: no time limit, at most FATHOM_WINDOW_MAX_SECONDS). Such calls are
 * always timed (never thinned by the governor). Enabling a name again sets new limits and
 * starts its window afresh; both limits 0 disables it. The zone need not exist yet. Returns
 * 0, FATHOM_E_INVAL (NULL or empty name, a limit out of range), FATHOM_E_LIMIT (more than
 * FATHOM_WINDOWS_MAX enables in the process), FATHOM_E_NOTFOUND (disabling a name that has no
 * window). */
FATHOM_EXTERN int fathom_window_enable(const char *zone_name, uint32_t last_calls,
                                       double last_seconds);
/* The window of zone_name now (at the session's end once it ended, until the next session).
 * Returns 0, FATHOM_E_INVAL (NULL arguments), FATHOM_E_NOTFOUND (no window of that name),
 * FATHOM_E_STATE (no session has recorded), FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_window_stats(const char *zone_name, fathom_window *out);
#include "fathom_ext.h" /* extensions: user-defined measures per zone (part of this header) */

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
