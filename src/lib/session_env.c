/* session_env.c: the FATHOM_* environment variables: fathom_config_from_env.
 *
 * Invariant: an invalid variable prints one line naming it and keeps the previous value. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "record.h"

static int env_double(const char *var, double *out, double lo, double hi) {
  const char *v = getenv(var);
  if (!v || !*v) return 0;
  char *end;
  double d = strtod(v, &end);
  if (*end || !(d >= lo && d <= hi)) {
    fprintf(stderr, "fathom: %s=%s: expected a number in [%g, %g]; ignored\n", var, v, lo, hi);
    return FATHOM_E_INVAL;
  }
  *out = d;
  return 0;
}

static int env_u64(const char *var, uint64_t *out, uint64_t lo, uint64_t hi) {
  const char *v = getenv(var);
  if (!v || !*v) return 0;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 10);
  if (errno || *end || x < lo || x > hi) {
    fprintf(stderr, "fathom: %s=%s: expected an integer in [%llu, %llu]; ignored\n", var, v,
            (unsigned long long)lo, (unsigned long long)hi);
    return FATHOM_E_INVAL;
  }
  *out = x;
  return 0;
}

static int env_bool(const char *var, int *out) {
  const char *v = getenv(var);
  if (!v || !*v) return 0;
  if (!strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on")) {
    *out = 1;
  } else if (!strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "false") ||
             !strcasecmp(v, "off")) {
    *out = 0;
  } else {
    fprintf(stderr, "fathom: %s=%s: expected 0 or 1; ignored\n", var, v);
    return FATHOM_E_INVAL;
  }
  return 0;
}

FATHOM_EXTERN int fathom_config_from_env(fathom_config *c) {
  int rc = 0;
  const char *v = getenv("FATHOM_LEVEL");
  if (v && *v && fathom_level_parse(v, &c->level) != 0) {
    fprintf(stderr, "fathom: FATHOM_LEVEL=%s: expected disabled, basic, detailed or comprehensive; ignored\n", v);
    rc = FATHOM_E_INVAL;
  }
  uint64_t x;
  if (env_bool("FATHOM_TIMELINE", &c->timeline)) rc = FATHOM_E_INVAL;
  if (env_bool("FATHOM_REPORT", &c->report_to_stderr)) rc = FATHOM_E_INVAL;
  x = c->max_nodes_per_thread;
  if (env_u64("FATHOM_MAX_NODES", &x, 16, 1u << 26)) rc = FATHOM_E_INVAL;
  c->max_nodes_per_thread = (uint32_t)x;
  x = c->max_depth;
  if (env_u64("FATHOM_MAX_DEPTH", &x, 4, 4096)) rc = FATHOM_E_INVAL;
  c->max_depth = (uint32_t)x;
  x = c->ring_events;
  if (env_u64("FATHOM_RING", &x, 64, 1u << 24)) rc = FATHOM_E_INVAL;
  c->ring_events = (uint32_t)x;
  x = c->max_trace_events;
  if (env_u64("FATHOM_MAX_EVENTS", &x, 0, (uint64_t)1 << 32)) rc = FATHOM_E_INVAL;
  c->max_trace_events = x;
  if ((v = getenv("FATHOM_OUT")) && *v) c->out_path = v;
  if ((v = getenv("FATHOM_TRACE")) && *v) {
    c->trace_path = v;
    c->timeline = 1;
  }
  if ((v = getenv("FATHOM_COMPONENTS")) && *v) c->components = v;
  if ((v = getenv("FATHOM_CLOCK")) && *v) {
    if (!strcasecmp(v, "auto") || !strcasecmp(v, "tsc")) {
      c->clock = FATHOM_CLOCK_AUTO;
    } else if (!strcasecmp(v, "monotonic")) {
      c->clock = FATHOM_CLOCK_MONOTONIC;
    } else {
      fprintf(stderr, "fathom: FATHOM_CLOCK=%s: expected auto or monotonic; ignored\n", v);
      rc = FATHOM_E_INVAL;
    }
  }
  if (env_double("FATHOM_MAX_OVERHEAD", &c->max_overhead_percent, 0, 100)) rc = FATHOM_E_INVAL;
  if (env_bool("FATHOM_MONITOR", &c->monitor)) rc = FATHOM_E_INVAL;
  if (env_double("FATHOM_MONITOR_INTERVAL", &c->monitor_interval_s, 0.01, 86400)) rc = FATHOM_E_INVAL;
  if (env_bool("FATHOM_GOVERNOR", &c->governor)) rc = FATHOM_E_INVAL;
  x = c->sample_every;
  if (env_u64("FATHOM_SAMPLE_EVERY", &x, 1, 1u << 20)) rc = FATHOM_E_INVAL;
  c->sample_every = (uint32_t)x;
  if (env_double("FATHOM_SAMPLE_HZ", &c->sample_hz, 0, 20000)) rc = FATHOM_E_INVAL;
  if (env_bool("FATHOM_ALLOC", &c->alloc_track)) rc = FATHOM_E_INVAL;
  if (env_double("FATHOM_CARBON_INTENSITY", &c->carbon_g_per_kwh, 0, 10000)) rc = FATHOM_E_INVAL;
  /* issue 4: findings, live monitoring */
  if ((v = getenv("FATHOM_SLA")) && *v) c->sla = v;
  if (env_double("FATHOM_THROUGHPUT_WINDOW", &c->throughput_window_s, 0.1, 86400))
    rc = FATHOM_E_INVAL;
  if ((v = getenv("FATHOM_LISTEN")) && *v) c->listen = v;
  if ((v = getenv("FATHOM_AUTOSAVE")) && *v) c->autosave_path = v;
  if (env_double("FATHOM_AUTOSAVE_INTERVAL", &c->autosave_interval_s, 0.01, 86400 * 365))
    rc = FATHOM_E_INVAL;
  x = c->autosave_every_ops;
  if (env_u64("FATHOM_AUTOSAVE_OPS", &x, 0, UINT64_MAX)) rc = FATHOM_E_INVAL;
  c->autosave_every_ops = x;
  if ((v = getenv("FATHOM_SINK")) && *v) c->sink_path = v;
  if (env_double("FATHOM_SINK_INTERVAL", &c->sink_interval_s, 0.1, 86400 * 365))
    rc = FATHOM_E_INVAL;
  return rc;
}
