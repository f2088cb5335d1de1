/* fathom_live.h: live monitoring (HTTP endpoint), periodic autosave, and sinks.
 * Part of the public API: included by fathom.h (include <fathom.h>, not this file). */
#ifndef FATHOM_API_LIVE_H
#define FATHOM_API_LIVE_H
#ifndef FATHOM_H
#error "include <fathom.h>, not fathom_live.h"
#endif

/* ---------------------------------------------------------------------------------------
 * Live monitoring, autosave and sinks. See docs/live.md.
 *
 * The live HTTP endpoint (cfg.listen / FATHOM_LISTEN = "127.0.0.1:PORT"; port 0 picks a free
 * one) serves, read-only, GET and HEAD of /metrics (Prometheus text format 0.0.4),
 * /profile.json (a snapshot in the JSON schema) and / (a self-contained page that refreshes).
 * It answers only requests addressed to localhost, a loopback address or its own address
 * (no DNS rebinding), bounds each request's time and each client's connections. It runs on
 * its own thread, with signals blocked and its allocations never attributed to the
 * program's zones. */
typedef struct fathom_live_info {
  int running;              /* 1 while the endpoint serves */
  int port;                 /* the bound port (the one picked when 0 was asked), 0 if none */
  char address[64];         /* the bound address, e.g. "127.0.0.1" or "::1" */
  char url[112];            /* "http://127.0.0.1:PORT/" or "" */
  char why[256];            /* why it is not running, "" if it is or was never asked for */
  uint64_t n_requests;      /* requests answered this session */
  uint64_t n_autosaves;     /* autosave files written this session */
  uint64_t n_autosave_errors;
  uint64_t n_sink_flushes;  /* flushes delivered to the sinks this session */
} fathom_live_info;
/* Fills info about the current (or last) session's endpoint, autosave and sinks. Returns 0
 * or FATHOM_E_INVAL (NULL). */
FATHOM_EXTERN int fathom_live_info_get(fathom_live_info *info);

/* Writes the Prometheus text exposition (format 0.0.4) of a model: per zone (labels zone and
 * component) calls, total and self seconds, a summary of call durations (quantiles 0.5, 0.9,
 * 0.99), the longest call; counters, gauges and sizes (fathom_metric_total, _value,
 * fathom_metric_size_bytes, label name); session figures (overhead, dropped zones and events,
 * process RSS and CPU seconds). Metric names are fixed; every user string is an escaped label
 * value, so the output always passes `promtool check metrics`. Returns 0, FATHOM_E_INVAL,
 * FATHOM_E_IO. */
FATHOM_EXTERN int fathom_metrics_write(const fathom_profile *p, FILE *f);

/* Sinks: at each flush (every cfg.sink_interval_s seconds on fathom's background thread, at
 * fathom_sink_flush, and once at session end with final = 1) every sink receives the same
 * compact metrics. Pointers in it are valid during the call only. */
typedef struct fathom_sink_zone {
  const char *name, *component;
  uint64_t calls;
  double total_s, self_s, mean_s;     /* inclusive total, self, mean per call */
  double p50_s, p90_s, p99_s, max_s;  /* of call durations (0 when no call was timed) */
} fathom_sink_zone;
typedef struct fathom_sink_counter {
  const char *name;
  fathom_metric_kind kind;
  uint64_t n_updates;
  double value;           /* counter: sum; gauge: last set; size: last sample */
} fathom_sink_counter;
typedef struct fathom_sink_metrics {
  uint64_t seq;           /* 1, 2, ... within the session */
  int final;              /* 1 for the flush at session end */
  uint64_t unix_ns;       /* wall-clock time of the flush */
  double elapsed_s;       /* since the session began */
  const char *session;    /* session name */
  int64_t pid;
  uint64_t zone_calls;    /* zone calls recorded so far, all threads */
  uint64_t dropped_zones, dropped_events;
  double cpu_s;           /* process CPU time in the session */
  double rss_bytes;       /* current resident memory (NaN when unknown) */
  double overhead_pct;    /* fathom's estimated overhead */
  uint32_t n_zones;       const fathom_sink_zone *zones;       /* sorted by total_s, largest first */
  uint32_t n_counters;    const fathom_sink_counter *counters;
  const fathom_profile *profile;  /* the full model the figures come from */
} fathom_sink_metrics;
/* Called on fathom's background thread or on the thread ending the session or calling
 * fathom_sink_flush; flushes never overlap. It may call any fathom function except
 * fathom_session_end and fathom_sink_flush. */
typedef void (*fathom_sink_fn)(const fathom_sink_metrics *m, void *user);
/* Registers a sink (at most 16; the pair (fn, user) once). Sinks stay registered across
 * sessions. Register before fathom_session_begin for periodic flushes to be ticked even when
 * nothing else runs the background thread. Returns 0, FATHOM_E_INVAL (fn NULL),
 * FATHOM_E_LIMIT (table full). */
FATHOM_EXTERN int fathom_sink_add(fathom_sink_fn fn, void *user);
/* Removes a sink; after it returns the sink is not running and will not be called.
 * Returns 0 or FATHOM_E_NOTFOUND. Not from inside a sink. */
FATHOM_EXTERN int fathom_sink_remove(fathom_sink_fn fn, void *user);
/* Flushes now (a snapshot to every sink and the JSON-lines stream). Returns 0,
 * FATHOM_E_STATE (no active session), FATHOM_E_NOMEM. */
FATHOM_EXTERN int fathom_sink_flush(void);

#endif
