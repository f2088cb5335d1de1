/* fuzz_config.c: libFuzzer harness of the parsers of what a user types: the FATHOM_*
 * environment (fathom_config_from_env, session.c), the findings thresholds
 * (fathom_thresholds_from_env and the spec parser fathom_thresholds_parse behind
 * FATHOM_THRESHOLDS, analysis/thresholds.c) and latency SLAs (FATHOM_SLA: fz_sla_validate and
 * fathom_sla_check_profile, analysis/sla.c).
 *
 * Input: lines "NAME=VALUE"; each NAME starting with FATHOM_ is set in the environment for
 * this run (and unset after it), the other lines are ignored. Then the configuration and the
 * thresholds are read from the environment, the SLA spec is validated and checked against a
 * fixed profile (fuzz/corpus/load/sampled.json: exact and sampled zones with histograms),
 * the profile is analysed with the thresholds read, and its text view is written (the last
 * three only when FATHOM_SLA or a thresholds variable is set).
 * Invariant: a bad value is rejected with FATHOM_E_INVAL and leaves its default in place;
 * the SLA validator and the SLA check agree on which specs are valid; nothing crashes or
 * leaks. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "fathom_load.h"
#include "fuzz_common.h"

#ifndef FUZZ_SOURCE_DIR
#define FUZZ_SOURCE_DIR "fuzz"
#endif
#define MAX_VARS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *profile_json;   /* the fixed profile's file, loaded afresh for every run */
static size_t profile_len;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *path = getenv("FUZZ_CONFIG_PROFILE");
  if (!path || !*path) path = FUZZ_SOURCE_DIR "/corpus/load/sampled.json";
  FILE *f = fopen(path, "rb");
  if (!f) fuzz_fail("cannot open %s (set FUZZ_CONFIG_PROFILE)", path);
  FILE *m = open_memstream(&profile_json, &profile_len);
  char buf[4096];
  size_t n;
  while (m && (n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, m);
  if (!m || ferror(f) || fclose(m)) fuzz_fail("cannot read %s", path);
  fclose(f);
  fathom_profile *p = fuzz_load(profile_json, profile_len);
  if (!p) fuzz_fail("%s does not load", path);
  fathom_profile_free(p);
  return 0;
}

/* Sets the FATHOM_* variables of the input's lines; returns how many names were set. */
static int set_vars(const char *d, size_t n, char names[][64]) {
  int k = 0;
  for (const char *line = d, *end = d + n; line < end && k < MAX_VARS;) {
    const char *nl = memchr(line, '\n', (size_t)(end - line));
    size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
    const char *eq = memchr(line, '=', len);
    size_t nlen = eq ? (size_t)(eq - line) : 0;
    if (eq && nlen > 7 && nlen < 64 && memcmp(line, "FATHOM_", 7) == 0) {
      memcpy(names[k], line, nlen);
      names[k][nlen] = 0;
      char *value = strndup(eq + 1, len - nlen - 1);   /* stops at a NUL byte */
      if (!value) fuzz_fail("out of memory");
      int bad = setenv(names[k], value, 1);
      free(value);
      if (bad) break;
      k++;
    }
    line = nl ? nl + 1 : end;
  }
  return k;
}

#define IN(x, lo, hi) ((x) >= (lo) && (x) <= (hi))

/* Fails unless every value read lies in the range fathom_config_from_env and
 * fathom_thresholds_from_env accept (a value out of range keeps the default). */
static void check_ranges(const fathom_config *c, const fathom_thresholds *t) {
  if (!IN(c->level, FATHOM_LEVEL_DISABLED, FATHOM_LEVEL_COMPREHENSIVE) ||
      !IN(c->max_nodes_per_thread, 16, 1u << 26) || !IN(c->max_depth, 4, 4096) ||
      !IN(c->ring_events, 64, 1u << 24) || c->max_trace_events > (uint64_t)1 << 32 ||
      !IN(c->max_overhead_percent, 0, 100) || !IN(c->monitor_interval_s, 0.01, 86400) ||
      !IN(c->sample_every, 1, 1u << 20) || !IN(c->sample_hz, 0, 20000) ||
      !IN(c->carbon_g_per_kwh, 0, 10000) || !IN(c->throughput_window_s, 0.1, 86400))
    fuzz_fail("fathom_config_from_env left a value out of its range");
  const double th[] = {t->cpu_ms, t->memory_mb, t->gpu_memory_mb, t->io_mb, t->min_share_pct,
                       t->tail_ratio, t->tail_min_us, t->leak_mb, t->imbalance_ratio};
  for (size_t i = 0; i < sizeof th / sizeof th[0]; i++)
    if (!(th[i] >= 0 && th[i] < INFINITY)) fuzz_fail("threshold %zu is %g", i, th[i]);
  if (t->n_components > FATHOM_THRESHOLDS_MAX_COMPONENTS) fuzz_fail("too many components");
  for (uint32_t i = 0; i < t->n_components; i++)
    if (!memchr(t->components[i].component, 0, sizeof t->components[i].component))
      fuzz_fail("component %u's name is not terminated", i);
}

static void check_sla(const char *spec, fathom_profile *p) {
  char e1[256], e2[256];
  int v = fz_sla_validate(spec, e1, sizeof e1);
  int c = fathom_sla_check_profile(p, spec, e2, sizeof e2);
  if (v != 0 && v != FATHOM_E_INVAL && v != FATHOM_E_NOMEM) fuzz_fail("fz_sla_validate: %d", v);
  if ((v == FATHOM_E_INVAL) != (c == FATHOM_E_INVAL))
    fuzz_fail("SLA spec \"%s\": fz_sla_validate says %d, fathom_sla_check_profile %d", spec, v,
              c);
  if (v == FATHOM_E_INVAL && (!e1[0] || strcmp(e1, e2) != 0))
    fuzz_fail("SLA spec \"%s\": messages differ: \"%s\" and \"%s\"", spec, e1, e2);
}

/* Whether a variable of fathom_thresholds_from_env is set. */
static int thresholds_set(void) {
  static const char *const vars[] = {"FATHOM_THRESHOLDS", "FATHOM_CPU_THRESHOLD_MS",
                                     "FATHOM_MEMORY_THRESHOLD_MB",
                                     "FATHOM_GPU_MEMORY_THRESHOLD_MB", "FATHOM_IO_THRESHOLD_MB"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    if (getenv(vars[i])) return 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char names[MAX_VARS][64];
  int k = set_vars((const char *)data, size, names);

  fuzz_quiet_begin();   /* fathom names each value it ignores on stderr */
  fathom_config c;
  fathom_config_init(&c);
  fathom_config_from_env(&c);
  fathom_thresholds th;
  fathom_thresholds_init(&th);
  fathom_thresholds_from_env(&th);
  fuzz_quiet_end();
  check_ranges(&c, &th);

  if (c.sla || thresholds_set()) {   /* else the analysis is the same every time */
    fathom_profile *p = fuzz_load(profile_json, profile_len);
    if (!p) fuzz_fail("the fixed profile did not load");
    if (c.sla) check_sla(c.sla, p);
    int rc = fathom_analyze(p, &th);
    if (rc != 0 && rc != FATHOM_E_NOMEM) fuzz_fail("fathom_analyze: %d", rc);
    if (fathom_profile_write(p, FATHOM_FORMAT_TEXT, fuzz_sink(), 0) != 0)
      fuzz_fail("the text view failed");
    fathom_profile_free(p);
  }

  for (int i = 0; i < k; i++) unsetenv(names[i]);
  return 0;
}
