/* fathom_work.h: workload helpers. A parallel map over an array on a pool of worker threads, each task inside
 * a zone, with the worker count chosen by measurement (auto-tune) when not given.
 * Part of the public API: included by fathom.h (include <fathom.h>, not this file).
 * See docs/workloads.md. */
#ifndef FATHOM_API_WORK_H
#define FATHOM_API_WORK_H
#ifndef FATHOM_H
#error "include <fathom.h>, not fathom_work.h"
#endif

#define FATHOM_MAP_MAX_WORKERS 64  /* most worker threads one call uses */
#define FATHOM_MAP_MAX_CURVE 8     /* most worker counts auto-tune tries */
#define FATHOM_MAP_MAX_CHUNKS 4    /* most chunk sizes auto-tune tries (1, 4, 16, 64) */

/* Called once for each item: item points at items + index * item_size. Called on a worker
 * thread ("fathom-map-N"), inside a zone named opts->name; calls for different items run
 * at the same time. */
typedef void (*fathom_map_fn)(void *item, size_t index, void *user);

typedef struct fathom_map_opts {
  unsigned workers;       /* worker threads; 0: auto-tune (at most FATHOM_MAP_MAX_WORKERS) */
  size_t chunk;           /* items a worker takes at a time; 0: about 16 chunks per worker */
  const char *name;       /* zone name of each task; NULL: "map_task" (component "work") */
  double tune_fraction;   /* auto-tune: share of the items used to measure (first items);
                           * 0: 0.1; at most 0.5 */
  unsigned max_workers;   /* auto-tune: largest count tried; 0: 2 x online CPUs, at least 4 */
} fathom_map_opts;

/* Fills the defaults (all zero: auto-tune, automatic chunk). */
FATHOM_EXTERN void fathom_map_opts_init(fathom_map_opts *opts);

/* One point of an auto-tune curve: a worker count and chunk size, and the throughput
 * measured with them. */
typedef struct fathom_map_point {
  unsigned workers;
  size_t chunk;
  unsigned trials;        /* timed runs of a slice of the sample with this count */
  uint64_t items;         /* items those runs processed */
  double items_per_s;     /* mean throughput of the trials (an estimate) */
  double err;             /* its standard error (0 with one trial) */
  int eligible;           /* 0: not chosen whatever it measured (more workers than CPUs for
                           * tasks that are on the CPU all the time) */
} fathom_map_point;

typedef struct fathom_map_result {
  size_t n_items;         /* items processed (every item, exactly once) */
  unsigned workers;       /* workers that ran the items after tuning (or all, untuned) */
  size_t chunk;           /* items taken at a time in that run (tuned, given or by rule) */
  int tuned;              /* 1: auto-tune chose `workers` from the curve */
  char decision[160];     /* the choice and its reason, in words */
  uint64_t wall_ns;       /* the whole call, tuning included */
  uint64_t tune_ns;       /* of which tuning */
  size_t tune_items;      /* items processed while tuning (real work, counted in n_items) */
  unsigned n_threads;     /* threads the pool had; the per-worker arrays have this many */
  uint64_t busy_ns[FATHOM_MAP_MAX_WORKERS];   /* per worker: running tasks, whole call */
  uint64_t idle_ns[FATHOM_MAP_MAX_WORKERS];   /* per worker: in a run, not running tasks */
  uint64_t tasks[FATHOM_MAP_MAX_WORKERS];     /* per worker: items processed (sum: n_items) */
  uint64_t queue_wait_ns; /* all workers: from a run's start to their first item, and taking
                           * each next chunk */
  double imbalance;       /* max busy / mean busy among the workers of the main run (1: even) */
  double speedup;         /* chosen count's throughput / one worker's (estimate); 0: unknown */
  double speedup_err;     /* its standard error */
  double margin;          /* chosen count's throughput minus the best other eligible one's,
                           * items/s (may be negative: fewer taken within noise) */
  double margin_err;      /* its standard error */
  double off_cpu_share;   /* share of the tasks' time off the CPU, neither running nor waiting
                           * for a CPU (sleep, I/O, locks), measured while tuning; -1: unknown */
  unsigned n_curve;       /* worker counts tried (chunk 1), fewest first */
  fathom_map_point curve[FATHOM_MAP_MAX_CURVE];
  unsigned n_chunk_curve; /* chunk sizes tried with the chosen count, largest first; 0: the
                           * sample's last quarter was too small, chunk by rule */
  fathom_map_point chunk_curve[FATHOM_MAP_MAX_CHUNKS];
} fathom_map_result;

/* Calls fn(items + i * item_size, i, user) for every i in [0, n), on a pool of worker
 * threads created for this call and joined before it returns (no thread outlives the call,
 * so a child forked meanwhile never shares it). With opts->workers 0 (or opts NULL) the first
 * items measure worker counts 1, 2, 4, ... (docs/workloads.md) and the rest run with the
 * best; res (may be NULL) gets the figures. Returns 0; FATHOM_E_INVAL (fn or items NULL,
 * n or item_size 0, an option out of range); FATHOM_E_NOMEM (no thread could start). */
FATHOM_EXTERN int fathom_parallel_map(void *items, size_t n, size_t item_size,
                                      fathom_map_fn fn, void *user,
                                      const fathom_map_opts *opts, fathom_map_result *res);

/* Writes the result as text (the curve included). Returns 0, FATHOM_E_INVAL, FATHOM_E_IO. */
FATHOM_EXTERN int fathom_map_result_print(FILE *f, const fathom_map_result *res);
/* Writes the result as one JSON object (docs/workloads.md). Returns 0, FATHOM_E_INVAL,
 * FATHOM_E_IO. */
FATHOM_EXTERN int fathom_map_result_json(FILE *f, const fathom_map_result *res);

/* ---- Ranking variants of one piece of work (src/work/variants.c) ---------------------- */

typedef struct fathom_variant {
  const char *name;
  void (*fn)(void *user);       /* one run of the variant (on the same input as the others) */
  void *user;
} fathom_variant;

typedef struct fathom_variants_opts {
  uint32_t warmup;              /* runs of each variant first, not measured (default 1) */
  uint32_t min_runs;            /* measured runs of each variant at least (default 10) */
  uint32_t max_runs;            /* and at most (default 100000) */
  double min_time_s;            /* measuring time at least, all variants (default 0.5) */
  double max_time_s;            /* and at most (default 10) */
  double confidence;            /* of the intervals and the tests (default 0.95) */
} fathom_variants_opts;

typedef struct fathom_variant_stats {
  const char *name;             /* the variant's name (the caller's string) */
  uint32_t index;               /* its index in the caller's array */
  uint64_t runs;
  double mean_ns, sd_ns;        /* wall time of one run */
  double ci_lo_ns, ci_hi_ns;    /* confidence interval of the mean (Student's t) */
  double median_ns, min_ns, max_ns;
  double cpu_mean_ns;           /* CPU time of the calling thread per run */
  uint32_t rank;                /* 1: the fastest; variants that cannot be told apart from
                                   the one before share its rank */
  double ratio, ratio_lo, ratio_hi;  /* mean over the fastest's, with its interval */
  double p_next;                /* Welch's two-sided p-value against the next slower
                                   variant (NaN for the last) */
  /* The robust ranking: by median, which a few stalled runs hardly move. */
  double median_lo_ns, median_hi_ns;  /* interval of the median from the runs' order
                                   statistics (no assumption on their distribution); with
                                   too few runs for the confidence (fewer than 6 at 95 %)
                                   it is the range, which covers less */
  uint32_t median_rank;         /* 1: the smallest median; a variant whose median interval
                                   overlaps the one before's shares its rank */
  /* Memory per run; NaN: not measured. */
  double heap_retained_bytes;   /* heap in use after a run minus before it (glibc's count:
                                   its blocks and mapped blocks), mean over the runs: memory
                                   a run keeps. Process-wide: other threads' allocations
                                   meanwhile count. NaN where glibc's allocator is not the
                                   process's (a sanitizer's) */
  double heap_retained_lo, heap_retained_hi;   /* its interval (Student's t) */
  double alloc_bytes;           /* bytes a run allocates (the calling thread's), mean; needs
                                   allocation tracking (libfathom.so, with FATHOM_ALLOC=1
                                   or level detailed), else NaN */
  double peak_bytes;            /* the highest the calling thread's heap rose above its
                                   start during a run, mean; allocation tracking as above */
} fathom_variant_stats;

typedef struct fathom_variants_result {
  uint32_t n;
  fathom_variant_stats *v;      /* fastest first */
  int settled;                  /* 1: each variant was told apart from the next slower one
                                   (p < 1 - confidence) before the budget ran out */
  double elapsed_s;
  double confidence;
  int disagree;                 /* 1: the rankings by mean and by median order some pair
                                   oppositely, and one of them tells the pair apart (a few
                                   slow runs moved a mean: compare max with median) */
} fathom_variants_result;

/* Runs the n variants interleaved (each round every variant once, in a new random order,
 * so that drift hits all alike) until the ranking is settled, or max_runs or max_time_s is
 * reached (after min_runs and min_time_s), and ranks them by mean wall time; also by median
 * (median_rank), and measures the memory of each run outside its timed part. When a session
 * records, each run is a zone named after the variant, component `name`. opts NULL: the
 * defaults. Returns 0, FATHOM_E_INVAL (NULL or empty arguments, a variant without fn or
 * name), FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_variants_rank(const char *name, const fathom_variant *v, uint32_t n,
                                       const fathom_variants_opts *opts,
                                       fathom_variants_result *res);
FATHOM_EXTERN void fathom_variants_result_free(fathom_variants_result *res);
/* The ranking as a text table ("a is 1.84 x slower [1.80, 1.88] than b"...) or as JSON
 * (docs/workloads.md). 0, FATHOM_E_INVAL, FATHOM_E_IO. */
FATHOM_EXTERN int fathom_variants_print(FILE *f, const fathom_variants_result *res);
FATHOM_EXTERN int fathom_variants_write_json(FILE *f, const fathom_variants_result *res);

/* ---- Profiling a processing pipeline step by step (src/work/pipeline.c) ---------------- */

typedef struct fathom_step {
  const char *name;
  int (*fn)(void *data, void *user);   /* one step on the data; non-zero: it failed */
  void *user;
} fathom_step;

typedef struct fathom_pipeline_opts {
  uint32_t runs;                /* runs of the whole pipeline (default 5) */
  uint64_t items;               /* items the data holds, for throughput (0: not given) */
  double slow_ms;               /* a step slower than this per run is flagged (default 200) */
  double memory_mb;             /* a step growing the heap or RSS by more (default 200) */
} fathom_pipeline_opts;

typedef struct fathom_step_stats {
  const char *name;
  uint32_t runs;                /* runs completed (a failed step ends its run) */
  double mean_ns, sd_ns, ci_lo_ns, ci_hi_ns;   /* wall time per run, 95 % interval */
  double share_pct;             /* of the pipeline's time (means) */
  double items_per_s;           /* items / mean time (NaN when items not given) */
  double heap_delta_bytes;      /* mean change of the heap in use over the step (glibc; NaN
                                 * under another allocator) */
  double rss_delta_bytes;       /* mean change of the process's RSS over the step */
  int slow, heavy;              /* over slow_ms, over memory_mb */
  int failed;                   /* the step returned non-zero (that run stopped there) */
} fathom_step_stats;

typedef struct fathom_pipeline_result {
  uint32_t n;
  fathom_step_stats *s;         /* in pipeline order */
  uint32_t bottleneck;          /* index of the slowest step */
  double bottleneck_p;          /* Welch's p: slowest against the next slowest (NaN: one step) */
  double total_mean_ns;
  double items_per_s;           /* of the whole pipeline (NaN when items not given) */
} fathom_pipeline_result;

/* Runs the steps in order on data, opts.runs times (each step a zone of component `name`
 * when a session records), and measures each: time, throughput, heap and RSS change; names
 * the bottleneck and flags the steps over the thresholds. opts NULL: the defaults. Returns
 * 0, FATHOM_E_INVAL, FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_pipeline_run(const char *name, const fathom_step *steps, uint32_t n,
                                      void *data, const fathom_pipeline_opts *opts,
                                      fathom_pipeline_result *res);
FATHOM_EXTERN void fathom_pipeline_result_free(fathom_pipeline_result *res);
/* The steps as a table with the bottleneck and suggestions, or as JSON (docs/workloads.md). */
FATHOM_EXTERN int fathom_pipeline_print(FILE *f, const fathom_pipeline_result *res);
FATHOM_EXTERN int fathom_pipeline_write_json(FILE *f, const fathom_pipeline_result *res);

/* ---- Profiling a batch loader and its consumer (src/work/batches.c) ------------------- */

typedef struct fathom_batch {
  void *data;                   /* the batch, handed to the consumer */
  uint64_t items;               /* items it holds (for items/s) */
  uint64_t bytes;               /* its size in bytes (for bytes/s; 0: not given) */
} fathom_batch;

/* One configuration of a loader (a batch size, a worker count...): its own callbacks and
 * user data. */
typedef struct fathom_loader {
  const char *name;             /* the configuration, e.g. "batch 64, 2 workers" */
  /* Fills *b with the next batch. Returns 1 (a batch), 0 (no more) or < 0 (failed). */
  int (*next)(fathom_batch *b, void *user);
  /* Optional: once the consumer is done with a batch (to free or recycle it). Called on the
   * calling thread: with prefetch, at the same time as next() on the producer thread. */
  void (*release)(fathom_batch *b, void *user);
  /* Optional: before this configuration's batches (to rewind the data). Non-zero: failed. */
  int (*reset)(void *user);
  void *user;
  uint32_t prefetch;            /* 0: each batch is produced when the consumer asks for it, on
                                 * the calling thread; k > 0: a producer thread keeps up to k
                                 * batches ready while the consumer works */
} fathom_loader;

/* The consumer: one training step, one write... on each batch. Non-zero: failed (the
 * configuration's run stops). May be NULL: the loader alone is measured. */
typedef int (*fathom_consume_fn)(fathom_batch *b, void *user);

typedef struct fathom_batches_opts {
  uint32_t batches;             /* measured batches per configuration (default 20, at most
                                 * 1,000,000) */
  uint32_t warmup;              /* batches beginning each round, consumed but not measured
                                 * (default 1; FATHOM_BATCHES_NO_WARMUP for none) */
  double slow_ms;               /* producing a batch slower than this is flagged (default 500) */
  double io_mb;                 /* reading more than this per batch is flagged (default 50) */
  double memory_mb;             /* a batch growing the heap more is flagged (default 100) */
  double starved_pct;           /* the consumer waiting more of the time is flagged (10) */
  uint32_t rounds;              /* the batches are measured in this many rounds, each running
                                 * every configuration in turn, in a new random order, so that
                                 * a change of the machine's load hits all alike (default 4) */
} fathom_batches_opts;
#define FATHOM_BATCHES_NO_WARMUP UINT32_MAX
#define FATHOM_BATCHES_MAX_LOADERS 64   /* configurations one call compares */

typedef struct fathom_loader_stats {
  const char *name;             /* the configuration's name (the caller's string) */
  uint32_t index;               /* its index in the caller's array */
  uint32_t prefetch;
  uint32_t batches;             /* measured (fewer than asked when the loader ran out) */
  uint64_t items, bytes;        /* in the measured batches */
  double wall_ns;               /* the consumer's measured time: from asking for the first
                                 * measured batch to finishing with the last */
  double produce_mean_ns, produce_sd_ns;   /* time in next() per batch */
  double produce_ci_lo_ns, produce_ci_hi_ns, produce_max_ns;
  double produce_cpu_ns;        /* CPU time of next() per batch (the producing thread's) */
  double produce_cpu_wait_ns;   /* next()'s time waiting for a free CPU per batch (the
                                 * kernel's run-queue delay; NaN where not exposed) */
  double consume_mean_ns, consume_sd_ns;   /* time in the consumer per batch */
  double wait_ns;               /* the consumer waiting for batches, in all */
  double wait_pct;              /* its share of wall_ns: the consumer starved */
  double stall_pct;             /* the producer thread's waiting for room, as a share of its
                                 * time (waiting + in next()): high when the consumer is the
                                 * limit; 0 without prefetch */
  double items_per_s, items_per_s_err;     /* throughput (an estimate from the batches) */
  double bytes_per_s;           /* NaN when batches give no bytes */
  double read_bytes;            /* bytes next() read through system calls, per batch (rchar);
                                 * NaN: not measurable here */
  double disk_read_bytes;       /* of which the storage layer read, per batch */
  double heap_bytes;            /* heap growth over next() per batch (the process's, glibc);
                                 * NaN: not measurable (another allocator, or prefetch: the
                                 * consumer frees batches while next() runs) */
  double rss_delta_bytes;       /* the process's RSS change over the run */
  uint32_t rank;                /* 1: the highest throughput; configurations that cannot be
                                 * told apart from the one before share its rank */
  double p_next;                /* two-sided p of the difference with the next (NaN: last) */
  int slow, io_heavy, heavy, starved, failed;
} fathom_loader_stats;

typedef struct fathom_batches_result {
  uint32_t n;
  fathom_loader_stats *c;       /* highest throughput first */
  uint32_t rounds;
  double slow_ms, io_mb, memory_mb, starved_pct;   /* the thresholds applied */
} fathom_batches_result;

/* Runs the n configurations (at most FATHOM_BATCHES_MAX_LOADERS) in rounds (reset before the
 * first): in each, warmup + about batches / rounds batches from each loader, each handed to
 * consume (on the calling thread);
 * a configuration whose loader runs out or fails takes no more rounds. Measures the loader
 * (time, CPU, bytes read, heap per batch), the consumer, the consumer's waiting and the
 * throughput; ranks the configurations by throughput and flags what crosses the thresholds. When a session records, each next()
 * is a zone "NAME: load" and each consume a zone "NAME: consume", component `name`. opts
 * NULL: the defaults. Returns 0, FATHOM_E_INVAL, FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_batches_run(const char *name, const fathom_loader *loaders, uint32_t n,
                                     fathom_consume_fn consume, void *consume_user,
                                     const fathom_batches_opts *opts,
                                     fathom_batches_result *res);
FATHOM_EXTERN void fathom_batches_result_free(fathom_batches_result *res);
/* The configurations as a table with findings and suggestions, or as JSON
 * (docs/workloads.md). 0, FATHOM_E_INVAL, FATHOM_E_IO. */
FATHOM_EXTERN int fathom_batches_print(FILE *f, const fathom_batches_result *res);
FATHOM_EXTERN int fathom_batches_write_json(FILE *f, const fathom_batches_result *res);

/* ---- Profiling database statements (src/work/sqlite.c, sql_*.c) ----------------------- */

#define FATHOM_SQL_MAX_CONNECTIONS 64   /* connections attached at a time */
#define FATHOM_SQL_MAX_STATEMENTS 512   /* distinct normalised statements per connection;
                                         * runs of further ones are counted as dropped */

/* Profiles every statement the SQLite connection db (a sqlite3 *) runs from now on, grouped
 * by normalised statement (fathom_query_info): runs, time (total, mean, min, max, p50, p95,
 * p99), rows returned, SQLite's counters of full-scan steps, sorts, automatic indexes and VM
 * steps, and the slowest runs with their literals. name labels the connection in reports
 * (NULL: "sqlite"; copied). The profile of a session gets the table ("queries"; runs are no
 * zones: a run spans the program's own code between its steps). The figures count the runs
 * since attach, or since the latest session that began after it.
 * fathom does not link SQLite: the program's own (sqlite3_trace_v2 and its siblings) is
 * found at run time. The connection's trace callback is fathom's until detach (one the
 * program set is replaced). Connections may be used from several threads (serialised mode).
 * Returns 0; FATHOM_E_INVAL (db NULL, or already attached); FATHOM_E_NOTSUP (the program has
 * no SQLite: sqlite3_trace_v2 and the others not found; fathom_sqlite_why says which);
 * FATHOM_E_LIMIT (FATHOM_SQL_MAX_CONNECTIONS attached); FATHOM_E_IO (SQLite refused the
 * callback); FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_sqlite_attach(void *db, const char *name);
/* Stops profiling db and forgets its figures (read them first). Detach before closing the
 * connection, or not at all: a connection closed while attached keeps its figures (for the
 * session's profile) until its place among the FATHOM_SQL_MAX_CONNECTIONS is needed, and one
 * attached again under the same name adds to them. Returns 0; FATHOM_E_INVAL (NULL);
 * FATHOM_E_NOTFOUND (not attached, or closed). */
FATHOM_EXTERN int fathom_sqlite_detach(void *db);
/* Why the last fathom_sqlite_attach returned FATHOM_E_NOTSUP, in words ("" otherwise). */
FATHOM_EXTERN const char *fathom_sqlite_why(void);

/* Other databases: a statement run measured by the program. begin returns a handle for the
 * matching end (on any thread); the run joins the table of connection db (any pointer that
 * identifies it; registered on first use, named "db"), with rows the rows it returned. No
 * SQLite counters for these. A null handle (statement or db NULL, no memory) is ignored by
 * end. Ends return 0, FATHOM_E_ENDED (null handle), FATHOM_E_LIMIT (beyond the caps). */
typedef struct fathom_query {
  void *db_;
  const char *statement_;
  uint64_t t0_;
} fathom_query;
FATHOM_EXTERN fathom_query fathom_query_begin(void *db, const char *statement);
FATHOM_EXTERN int fathom_query_end(fathom_query q, uint64_t rows);

/* The figures gathered so far: every attached connection (db NULL) or one. */
typedef struct fathom_sql_stats {
  uint32_t n;
  fathom_query_info *q;     /* by total time, largest first */
  uint64_t runs;            /* statement runs counted */
  uint64_t dropped;         /* runs not counted (statements beyond the cap) */
  double total_ns;          /* time of the runs counted */
} fathom_sql_stats;
/* Returns 0; FATHOM_E_INVAL (out NULL); FATHOM_E_NOTFOUND (db not attached); FATHOM_E_NOMEM.
 * Free with fathom_sql_stats_free. */
FATHOM_EXTERN int fathom_sql_stats_get(void *db, fathom_sql_stats *out);
FATHOM_EXTERN void fathom_sql_stats_free(fathom_sql_stats *s);
/* As a text table (with the slowest runs), or as JSON ({"queries": [...]}, the fields of the
 * profile's "queries" table, docs/sql.md). 0, FATHOM_E_INVAL, FATHOM_E_IO. */
FATHOM_EXTERN int fathom_sql_stats_print(FILE *f, const fathom_sql_stats *s);
FATHOM_EXTERN int fathom_sql_stats_json(FILE *f, const fathom_sql_stats *s);

/* ---- GPU time per zone (CUDA events; src/work/gpu_zones.c, docs/gpu.md) ----------------
 * fathom_gpu_zone_begin records a CUDA event on stream (a cudaStream_t; NULL: the default
 * stream) and opens a CPU zone of the same name (so the CPU side shows what launching costs);
 * fathom_gpu_zone_end (on the same thread) records the second event and ends the CPU zone.
 * The GPU time between the two events is read later, without ever waiting on the program's
 * stream: pending pairs are polled (cudaEventQuery) at later begins and ends, and at session
 * end fathom waits at most FATHOM_GPU_WAIT_MS in all for its own events; a pair still not
 * complete then is counted as unresolved. The CUDA runtime is loaded at first use (dlopen:
 * libcudart.so, .so.13, .so.12, .so.11, or the path in env FATHOM_CUDART_LIB); without it
 * both calls do nothing but the CPU zone. Figures per name: the profile's "gpu_zones" table.
 * The handle's status: 0 (recorded), FATHOM_E_NOTSUP (no CUDA runtime or no device:
 * fathom_gpu_status says why), FATHOM_E_LIMIT (FATHOM_GPU_PAIRS_MAX pairs in flight or
 * FATHOM_GPU_NAMES_MAX names: dropped, counted), FATHOM_E_STATE (no session), FATHOM_E_INVAL
 * (name NULL or empty), FATHOM_E_IO (CUDA refused to record: dropped, counted).
 * fathom_gpu_zone_end returns the status of the CPU zone's end when the GPU side was
 * recorded (FATHOM_E_ENDED for a pair already ended), otherwise the handle's status. */
#define FATHOM_GPU_PAIRS_MAX 1024   /* pairs of events in flight (begun, not yet read) */
#define FATHOM_GPU_NAMES_MAX 256    /* distinct GPU zone names per session */
#define FATHOM_GPU_WAIT_MS 2000     /* the most session end waits for pending pairs */
typedef struct fathom_gpu_zone {
  int status;
  uint32_t slot_, gen_;
  fathom_zone cpu_;
} fathom_gpu_zone;
FATHOM_EXTERN fathom_gpu_zone fathom_gpu_zone_begin(const char *name, void *stream);
FATHOM_EXTERN int fathom_gpu_zone_end(fathom_gpu_zone z);
/* Whether GPU zones can be recorded: 0, or FATHOM_E_NOTSUP with the reason in why (cap
 * bytes; may be NULL). Loads the CUDA runtime if not yet tried. */
FATHOM_EXTERN int fathom_gpu_status(char *why, size_t cap);

/* ---- Network requests per endpoint (src/work/net*.c, docs/network.md) ---------------------
 * Requests are grouped by endpoint: a URL reduced to scheme://host:port/path (scheme and host
 * in lower case, the scheme's default port written out, user, password, query string and
 * fragment dropped; an empty path is "/"), or host:port when there is no scheme. Per endpoint:
 * requests, errors, latency (total, mean, min, max; p50, p95, p99 exact up to
 * FATHOM_REQUEST_SAMPLES requests, then estimates), bytes sent and received, the mean of each
 * phase where known, and the slowest requests: the profile's "requests" table. At most
 * FATHOM_NET_MAX_ENDPOINTS endpoints: requests to further ones are counted as dropped. All
 * calls are thread-safe. An error argument is 0 or an HTTP status below 400 for a success;
 * anything else (an HTTP status >= 400, a library's error code, a negative value) counts as
 * an error. */
#define FATHOM_NET_MAX_ENDPOINTS 512   /* distinct endpoints counted */
#define FATHOM_NET_INFLIGHT 1024       /* requests begun and not yet ended */
/* A request measured by the program: begin returns a handle for the matching end (on any
 * thread). The handle's status: 0, FATHOM_E_INVAL (url NULL or empty), FATHOM_E_LIMIT
 * (FATHOM_NET_INFLIGHT in flight, or the endpoint beyond the cap: counted as dropped),
 * FATHOM_E_NOMEM. end returns 0; the handle's status when it was not 0; FATHOM_E_ENDED (a
 * null handle, or one already ended); FATHOM_E_STATE (a session began since: not counted). */
typedef struct fathom_request {
  int status;
  uint32_t slot_, gen_;
} fathom_request;
FATHOM_EXTERN fathom_request fathom_request_begin(const char *url);
FATHOM_EXTERN int fathom_request_end(fathom_request r, uint64_t bytes_sent,
                                     uint64_t bytes_received, int error);
/* A request measured elsewhere: its total time and, when known (ph not NULL), its phases:
 * name resolution, TCP connect, TLS handshake, waiting for the first byte of the answer after
 * the request was sent, and receiving the answer. Each phase at most the total, their sum at
 * most the total. 0, FATHOM_E_INVAL, FATHOM_E_LIMIT (endpoint beyond the cap: counted as
 * dropped), FATHOM_E_NOMEM. */
typedef struct fathom_request_phases {
  uint64_t dns_ns, connect_ns, tls_ns, wait_ns, transfer_ns;
} fathom_request_phases;
FATHOM_EXTERN int fathom_request_record(const char *url, uint64_t total_ns,
                                        const fathom_request_phases *ph, uint64_t bytes_sent,
                                        uint64_t bytes_received, int error);
/* libcurl: records the transfer the easy handle easy (a CURL *) just completed, curlcode
 * being what the transfer returned (curl_easy_perform's result, or the multi interface's
 * CURLMsg data.result): URL, HTTP status, phases and body sizes read with curl_easy_getinfo
 * (libcurl 7.61 or later, found in the running program: fathom links no libcurl). An error
 * when curlcode is not 0 or the HTTP status is 400 or more. With libfathom.so loaded and
 * FATHOM_CURL=1 in the environment, every curl_easy_perform is recorded without this call.
 * 0, FATHOM_E_INVAL (easy NULL), FATHOM_E_NOTSUP (no libcurl in the process),
 * FATHOM_E_LIMIT, FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_curl_record(void *easy, int curlcode);
/* The figures gathered so far (all endpoints, largest total time first). */
typedef struct fathom_net_stats {
  uint32_t n;
  fathom_request_info *r;
  uint64_t requests;          /* requests counted */
  uint64_t dropped;           /* requests not counted (endpoints beyond the cap, in flight
                                 beyond FATHOM_NET_INFLIGHT) */
  double total_ns;            /* time of the requests counted */
} fathom_net_stats;
/* 0, FATHOM_E_INVAL (out NULL), FATHOM_E_NOMEM. Free with fathom_net_stats_free. */
FATHOM_EXTERN int fathom_net_stats_get(fathom_net_stats *out);
FATHOM_EXTERN void fathom_net_stats_free(fathom_net_stats *s);
/* As a text table, or as JSON ({"requests": [...], "requests_dropped": N}, the members of the
 * profile's "requests" table). 0, FATHOM_E_INVAL, FATHOM_E_IO. */
FATHOM_EXTERN int fathom_net_stats_print(FILE *f, const fathom_net_stats *s);
FATHOM_EXTERN int fathom_net_stats_json(FILE *f, const fathom_net_stats *s);
/* Clears the figures (the endpoints, the dropped count; requests in flight are not counted
 * when they end). */
FATHOM_EXTERN void fathom_net_reset(void);

#endif
