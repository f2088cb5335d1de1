/* pipeline_bench.c: the reference workload (the demo pipeline) run once, compiled with
 * fathom (pipeline_on: a session at PIPELINE_LEVEL, default BASIC, governor per
 * PIPELINE_GOVERNOR, budget PIPELINE_BUDGET percent if set, background monitor per
 * PIPELINE_MONITOR (default on; the governor needs it), text report on stderr with
 * PIPELINE_REPORT) or without (pipeline_off, FATHOM_DISABLE). Prints "wall_ns zones
 * checksum overhead_pct" for bench/run.sh to interleave and compare (overhead_pct: the
 * profile's meta.overhead_pct, fathom's estimate of what the zones cost; 0 without fathom). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pipeline_work.h"

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 250000;
#ifndef FATHOM_DISABLE
  /* PIPELINE_LEVEL (default basic) and PIPELINE_GOVERNOR (default 1) choose the variant */
  fathom_config c;
  fathom_config_init(&c);
  c.level = FATHOM_LEVEL_BASIC;
  const char *lv = getenv("PIPELINE_LEVEL"), *gv = getenv("PIPELINE_GOVERNOR");
  if (lv && fathom_level_parse(lv, &c.level) != 0) return 2;
  if (gv) c.governor = atoi(gv) != 0;
  if (getenv("PIPELINE_BUDGET")) c.max_overhead_percent = atof(getenv("PIPELINE_BUDGET"));
  if (getenv("PIPELINE_MONITOR")) c.monitor = atoi(getenv("PIPELINE_MONITOR")) != 0;
  if (fathom_session_begin("pipeline_bench", &c) != 0) return 1;
#endif
  uint64_t t0 = now_ns();
  double sum = pw_run_pipeline(n);
  uint64_t t1 = now_ns();
  unsigned long long zones = 0;
  double overhead_pct = 0;
#ifndef FATHOM_DISABLE
  fathom_profile *p = NULL;
  fathom_session_end(&p);
  if (!p) return 1;
  zones = p->meta.n_zones;
  overhead_pct = p->meta.overhead_pct;
  if (getenv("PIPELINE_REPORT")) fathom_profile_write(p, FATHOM_FORMAT_TEXT, stderr, 0);
  fathom_profile_free(p);
#endif
  printf("%llu %llu %.9g %.6f\n", (unsigned long long)(t1 - t0), zones, sum, overhead_pct);
  return 0;
}
